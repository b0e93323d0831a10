"""The SSH runner, against a real OpenSSH server started on 127.0.0.1 by the test.

The server (tests/sshd_fixture.py) has a throwaway host key and user key; nothing
outside the loopback interface is contacted.
"""

from __future__ import annotations

import _thread
import secrets
import shlex
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sshd_fixture import SSHD, cpu_heavy, keygen, sshd_unavailable, start_sshd

from advisor import yamlio
from advisor.errors import DataError, ExitCode, MeasurementError
from advisor.measure.api import ProbeTimeout, Runner
from advisor.measure.runners import ssh as sshmod
from advisor.measure.runners.ssh import (
    SSHError,
    SSHOptions,
    SSHRunner,
    install_command,
    remote_command,
    ssh_argv,
    validate_host,
    validate_jump_host,
    validate_user,
)
from advisor.measure.targets import load_targets

HOSTILE_HOSTS = [
    "x; rm -rf /",
    "-oProxyCommand=touch /tmp/pwned",
    "-oProxyCommand=sh",
    "host name",
    "host\tname",
    "$(id)",
    "`id`",
    "h'ost",
    'h"ost',
    "host;id",
    "host|id",
    "host&id",
    "host\nid",
    "",
    "a..b",
]


# -- validation (no server needed) -------------------------------------------------------

@pytest.mark.parametrize("host", HOSTILE_HOSTS)
def test_hostile_hosts_are_rejected(host: str) -> None:
    with pytest.raises(ValueError):
        validate_host(host)
    with pytest.raises(ValueError):
        validate_jump_host(host)


@pytest.mark.parametrize("host", ["node-1.example.com", "bench_02", "10.0.0.7", "::1", "[::1]", "fe80::1", "h."])
def test_ordinary_hosts_are_accepted(host: str) -> None:
    assert validate_host(host) == host.strip("[]")


@pytest.mark.parametrize("user", ["$(id)", "-oProxyCommand=x", "Root", "a b", "user;id", "", "1abc", "x" * 33])
def test_hostile_users_are_rejected(user: str) -> None:
    with pytest.raises(ValueError):
        validate_user(user)


@pytest.mark.parametrize("jump", ["-oProxyCommand=touch /tmp/pwned", "ops@bastion;id", "bastion:99999",
                                  "$(id)@bastion", "bastion:22:33", "ops@-oX"])
def test_hostile_jump_hosts_are_rejected(jump: str) -> None:
    with pytest.raises(ValueError):
        validate_jump_host(jump)


@pytest.mark.parametrize("jump", ["bastion", "ops@bastion.example.com:2222", "a,ops@b:22", "[::1]:2200"])
def test_jump_hosts_are_accepted(jump: str) -> None:
    assert validate_jump_host(jump) == jump


@pytest.mark.parametrize("port", [0, -1, 65536, 100000])
def test_port_out_of_range(port: int) -> None:
    with pytest.raises(ValueError):
        SSHOptions(host="h", port=port)


@pytest.mark.parametrize("path", ["keys/%h", "${HOME}/id", 'a"b', "a\\b", "-i", "line\nbreak"])
def test_paths_ssh_would_expand_are_rejected(path: str) -> None:
    with pytest.raises(ValueError):
        SSHOptions(host="h", identity_file=path)
    with pytest.raises(ValueError):
        SSHOptions(host="h", known_hosts=path)


def test_ssh_argv_checks_host_keys_and_ends_options_before_the_destination() -> None:
    opts = SSHOptions(host="bench-1", port=2222, user="ops", identity_file="/k/my key", known_hosts="/k/known hosts",
                      jump_host="ops@bastion:22")
    argv = ssh_argv(opts, "exec true")
    assert argv[-3:] == ["--", "bench-1", "exec true"]
    assert argv.index("--") == len(argv) - 3
    pairs = list(zip(argv, argv[1:], strict=False))
    assert ("-o", "BatchMode=yes") in pairs
    assert ("-o", "StrictHostKeyChecking=yes") in pairs
    assert ("-o", 'UserKnownHostsFile="/k/known hosts"') in pairs
    assert ("-i", "/k/my key") in pairs
    assert ("-p", "2222") in pairs
    assert ("-l", "ops") in pairs
    assert ("-J", "ops@bastion:22") in pairs


@pytest.mark.parametrize("argv", [
    ["echo", "x; rm -rf /"],
    ["printf", "%s", "$(touch /tmp/pwned)", "`id`", "a'b\"c", "sp ace", "new\nline", "-oProxyCommand=x"],
    ["sh", "-c", 'echo "$1"', "sh", "$HOME"],
])
def test_remote_command_quotes_every_argument(argv: list[str]) -> None:
    cmd = remote_command(argv, marker="m", sudo=True, cpus=[0, 2])
    words = shlex.split(cmd)
    assert words[0] == "exec"
    assert words[1:4] == ["sudo", "-n", "--"]
    assert words[4:6] == ["setsid", "--wait"]
    assert words[-len(argv):] == argv  # what the remote shell sees is exactly the argv
    assert words[-len(argv) - 3:-len(argv)] == ["taskset", "-c", "0,2"]


def test_install_command_names_the_host_and_packages() -> None:
    assert install_command("bench-1", ["sysbench", "fio", "cyclictest"]) == \
        "on bench-1: apt-get install sysbench fio rt-tests"


def _targets_file(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "pilot.yaml"
    path.write_text("advisor_targets: 1\ntargets:\n" + body)
    return path


@pytest.mark.parametrize(("key", "value", "line"), [
    ("host", '"x; rm -rf /"', 6),
    ("host", '"-oProxyCommand=touch {marker}"', 6),
    ("user", '"$(touch {marker})"', 7),
    ("port", "70000", 7),
    ("jump_host", '"-oProxyCommand=touch {marker}"', 7),
])
def test_hostile_target_values_are_rejected_with_a_position(tmp_path: Path, key: str, value: str,
                                                            line: int) -> None:
    marker = tmp_path / "pwned"
    value = value.format(marker=marker)
    extra = f"    {key}: {value}\n" if key != "host" else ""
    host = f"    host: {value}\n" if key == "host" else "    host: 127.0.0.1\n"
    body = ("  - name: metal\n    role: bare-metal\n    runner: ssh\n" + host + extra
            + "  - name: vm\n    role: vm\n")
    path = _targets_file(tmp_path, body)
    specs = load_targets(path)
    with pytest.raises(DataError) as err:
        sshmod.from_spec(specs[0])
    text = err.value.format()
    assert f"{path}:{line}:" in text, text
    assert key in text
    assert err.value.exit_code == ExitCode.DATA
    assert not marker.exists()


def test_missing_identity_file_points_at_its_line(tmp_path: Path) -> None:
    path = _targets_file(tmp_path, "  - name: metal\n    role: bare-metal\n    runner: ssh\n    host: h\n"
                                   "    identity_file: nope/id_ed25519\n  - name: vm\n    role: vm\n")
    with pytest.raises(DataError) as err:
        sshmod.from_spec(load_targets(path)[0])
    assert f"{path}:7:" in err.value.format()


def test_plugin_hook_provides_the_ssh_runner() -> None:
    assert sshmod.advisor_runners()["ssh"] is sshmod.from_spec


# -- against a real sshd on 127.0.0.1 -----------------------------------------------------

@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SSHD]:
    reason = sshd_unavailable()
    if reason:
        pytest.skip(reason)
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    yield server
    server.stop()


@pytest.fixture
def runner(sshd: SSHD) -> Iterator[SSHRunner]:
    r = SSHRunner("metal", SSHOptions.model_validate(sshd.options()))
    yield r
    r.close()


def _local_pgrep(pattern: str) -> list[str]:
    done = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return done.stdout.split()


def test_runs_a_command_over_ssh(runner: SSHRunner) -> None:
    assert isinstance(runner, Runner)
    done = runner.run(["uname", "-a"], timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Linux")
    assert done.argv == ("uname", "-a")
    assert done.stderr == ""  # the process-group marker line is not passed on


def test_exit_status_stdin_and_stderr_come_back(runner: SSHRunner) -> None:
    done = runner.run(["sh", "-c", 'cat; echo oops >&2; exit 7'], timeout=20, stdin="hello\n")
    assert (done.returncode, done.stdout, done.stderr) == (7, "hello\n", "oops\n")


def test_hostile_arguments_reach_the_remote_program_as_data(runner: SSHRunner, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    args = [f"x; touch {marker}", f"$(touch {marker})", f"`touch {marker}`", "a'b\"c", "sp ace", "*", "~",
            "$HOME", "-oProxyCommand=x", f"|touch {marker}"]
    done = runner.run(["printf", "%s\\n", *args], timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == args
    assert not marker.exists()


def test_identity_file_with_spaces_works(sshd: SSHD, runner: SSHRunner) -> None:
    assert " " in str(sshd.identity_file)
    assert runner.run(["true"], timeout=20).returncode == 0


def test_wrong_host_key_is_refused(sshd: SSHD, tmp_path: Path) -> None:
    other = keygen(tmp_path / "other_host_key", "not-the-server")
    bad = tmp_path / "known hosts"
    bad.write_text(f"[127.0.0.1]:{sshd.port} {other}\n")
    r = SSHRunner("metal", SSHOptions.model_validate(sshd.options(known_hosts=str(bad))))
    with pytest.raises(SSHError) as err:
        r.run(["touch", str(tmp_path / "ran")], timeout=20)
    assert err.value.exit_code == ExitCode.MEASUREMENT == 3
    assert "host key verification failed" in err.value.format()
    assert "differs" in err.value.format()
    assert not (tmp_path / "ran").exists()


def test_unknown_host_key_is_refused(sshd: SSHD, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    r = SSHRunner("metal", SSHOptions.model_validate(sshd.options(known_hosts=str(empty))))
    with pytest.raises(SSHError, match="host key verification failed"):
        r.placement("bare-metal")
    assert empty.read_text() == ""  # nothing was added: StrictHostKeyChecking=yes


def test_wrong_user_key_is_an_authentication_error(sshd: SSHD, tmp_path: Path) -> None:
    keygen(tmp_path / "stranger", "stranger")
    r = SSHRunner("metal", SSHOptions.model_validate(sshd.options(identity_file=str(tmp_path / "stranger"))))
    with pytest.raises(SSHError, match="authentication failed"):
        r.run(["true"], timeout=20)


def test_timeout_kills_the_remote_process_group(runner: SSHRunner) -> None:
    seconds = str(900_000 + secrets.randbelow(90_000))
    pattern = f"^sleep {seconds}$"
    start = time.monotonic()
    with pytest.raises(ProbeTimeout) as err:
        # a child of a child: the whole group must go, not just the direct child
        runner.run(["sh", "-c", f"sleep {seconds} & sleep {seconds}; wait"], timeout=1)
    assert err.value.exit_code == ExitCode.MEASUREMENT
    assert time.monotonic() - start < 15
    # checked through the runner (as on a real remote host) and locally (the sshd is on this machine)
    check = runner.run(["pgrep", "-f", pattern], timeout=20)
    assert check.returncode == 1, check.stdout
    assert _local_pgrep(pattern) == []
    assert _local_pgrep(f"ssh .*sleep {seconds}") == []  # the local ssh client is gone too


def test_ctrl_c_kills_the_remote_process_group(runner: SSHRunner) -> None:
    seconds = str(600_000 + secrets.randbelow(90_000))
    timer = threading.Timer(1.0, _thread.interrupt_main)  # KeyboardInterrupt in the main thread, as Ctrl-C
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            runner.run(["sleep", seconds], timeout=60)
    finally:
        timer.cancel()
    assert _local_pgrep(f"^sleep {seconds}$") == []
    assert _local_pgrep(f"ssh .*sleep {seconds}") == []


def test_spawned_command_is_stopped_with_its_group(runner: SSHRunner) -> None:
    seconds = str(800_000 + secrets.randbelow(90_000))
    handle = runner.spawn(["sh", "-c", f"sleep {seconds} & sleep {seconds}; wait"])
    pgid = handle.pgid  # type: ignore[attr-defined]
    assert pgid is not None and pgid > 1
    deadline = time.monotonic() + 10
    while len(_local_pgrep(f"^sleep {seconds}$")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(_local_pgrep(f"^sleep {seconds}$")) == 2
    done = handle.stop()
    assert done.argv[0] == "sh"
    assert _local_pgrep(f"^sleep {seconds}$") == []
    assert handle.stop() is done  # idempotent


def test_close_stops_what_is_still_running(sshd: SSHD) -> None:
    seconds = str(700_000 + secrets.randbelow(90_000))
    r = SSHRunner("metal", SSHOptions.model_validate(sshd.options()))
    r.spawn(["sleep", seconds])
    deadline = time.monotonic() + 10
    while not _local_pgrep(f"^sleep {seconds}$") and time.monotonic() < deadline:
        time.sleep(0.05)
    r.close()
    r.close()
    assert _local_pgrep(f"^sleep {seconds}$") == []


def test_which_preflight_and_tool_versions(runner: SSHRunner) -> None:
    assert runner.which("sh")
    assert not runner.which("advisor-no-such-tool")
    assert runner.missing(["sh", "advisor-no-such-tool", "cat"]) == ["advisor-no-such-tool"]
    with pytest.raises(MeasurementError) as err:
        runner.preflight(["sh", "advisor-no-such-tool", "cyclictest"] if not runner.which("cyclictest")
                         else ["sh", "advisor-no-such-tool"])
    text = err.value.format()
    assert "on 127.0.0.1: apt-get install advisor-no-such-tool" in text
    assert err.value.exit_code == ExitCode.MEASUREMENT
    version = runner.tool_version("ssh")
    assert version is not None and "OpenSSH" in version
    assert runner.tool_version("advisor-no-such-tool") is None


def test_placement_describes_the_remote_host(runner: SSHRunner) -> None:
    placement = runner.placement("bare-metal")
    local = subprocess.run(["uname", "-r"], capture_output=True, text=True).stdout.strip()
    assert placement.runner == "ssh" and placement.role == "bare-metal" and placement.target == "metal"
    assert placement.kernel == local
    assert placement.cpus_online >= 1
    assert placement.cpu_model != ""
    assert placement.extra["ssh"].endswith(f":{runner.options.port}")
    assert runner.address() == "127.0.0.1"


def test_targets_file_builds_a_working_ssh_runner(sshd: SSHD, tmp_path: Path) -> None:
    # relative paths in the targets file are read from the file's directory
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "id key").write_bytes(sshd.identity_file.read_bytes())
    (tmp_path / "keys" / "id key").chmod(0o600)
    (tmp_path / "keys" / "known_hosts").write_text(sshd.known_hosts.read_text())
    path = _targets_file(tmp_path, f"""\
  - name: metal
    role: bare-metal
    runner: ssh
    host: 127.0.0.1
    port: {sshd.port}
    user: {sshd.user}
    identity_file: keys/id key
    known_hosts: keys/known_hosts
  - name: vm
    role: vm
""")
    r = sshmod.from_spec(load_targets(path)[0])
    try:
        assert r.run(["echo", "ok"], timeout=20).stdout == "ok\n"
    finally:
        r.close()


# -- end to end: advisor measure with an SSH target and a local target --------------------

def _pilot(tmp_path: Path, sshd: SSHD, known_hosts: Path) -> Path:
    path = tmp_path / "pilot.yaml"
    path.write_text(f"""\
advisor_targets: 1
targets:
  - name: metal
    role: bare-metal
    runner: ssh
    host: 127.0.0.1
    port: {sshd.port}
    user: {sshd.user}
    identity_file: {sshd.identity_file}
    known_hosts: {known_hosts}
  - name: vm
    role: vm
    runner: local
""")
    return path


@pytest.mark.xdist_group("cpu1")  # holds the CPU-1 lock for its benchmark (cpu_heavy): one worker runs these
@pytest.mark.slow
def test_measure_compares_an_ssh_target_with_a_local_one(sshd: SSHD, tmp_path: Path, advisor: Any) -> None:
    if subprocess.run(["sh", "-c", "command -v sysbench"], capture_output=True).returncode != 0:
        pytest.skip("sysbench is not installed (see .ci/debian-packages)")
    pilot = _pilot(tmp_path, sshd, sshd.known_hosts)
    out = tmp_path / "result.yaml"
    with cpu_heavy():
        # the budget is a hard ceiling and includes reading both placements over SSH: 30 s leave a few
        # blocks on a quiet machine (the first planned look, 5 blocks, is not needed here), one under load
        result = advisor("measure", "--targets", str(pilot), "--probe", "cpu", "--budget", "30", "--allow-disturbed",
                         "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert "verdict" in result.stdout and "CI" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("cpu") and "events_per_s" in line)
    assert any(v in row for v in ("equivalent", "faster", "slower", "inconclusive"))
    data = yamlio.load(out).plain()
    runners = {t["target"]: t["runner"] for t in data["targets"]}
    assert runners == {"metal": "ssh", "vm": "local"}
    metal = next(t for t in data["targets"] if t["target"] == "metal")
    assert metal["extra"]["ssh"] == f"{sshd.user}@127.0.0.1:{sshd.port}"
    assert {r["target"] for r in data["runs"] if not r["error"]} == {"metal", "vm"}
    cmp = data["probes"][0]["metrics"][0]["comparison"]
    assert cmp["n_bare_metal"] == cmp["n_vm"] >= 1 and cmp["ratio"] is not None and cmp["verdict"]
    if cmp["n_vm"] >= 2:  # an interval needs two blocks; the hard budget may leave one on a busy machine
        assert cmp["ci_low"] is not None and cmp["ci_high"] is not None and "[" in row


def test_measure_refuses_a_wrong_host_key_with_exit_code_3(sshd: SSHD, tmp_path: Path, advisor: Any) -> None:
    other = keygen(tmp_path / "other_host_key", "not-the-server")
    bad = tmp_path / "bad_known_hosts"
    bad.write_text(f"[127.0.0.1]:{sshd.port} {other}\n")
    result = advisor("measure", "--targets", str(_pilot(tmp_path, sshd, bad)), "--probe", "cpu", "--budget", "5",
                     "-o", str(tmp_path / "r.yaml"))
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "host key verification failed" in result.stderr


def test_a_missing_ssh_client_is_a_clear_error() -> None:
    r = SSHRunner("metal", SSHOptions(host="127.0.0.1"), ssh="/nonexistent/ssh")
    with pytest.raises(SSHError, match="cannot start the ssh client") as err:
        r.run(["true"], timeout=5)
    assert "openssh-client" in err.value.format()
    with pytest.raises(SSHError):
        r.placement("vm")
