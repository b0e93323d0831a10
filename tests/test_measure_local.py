"""The local runner: process groups, timeouts, CPU pinning, cgroup quota, network namespace."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from advisor.errors import MeasurementError
from advisor.measure.api import Handle, ProbeError, ProbeTimeout, Runner
from advisor.measure.runners import local
from advisor.measure.runners.local import LocalRunner, session_prefix

#: Mostly waiting (timeouts of real process groups): started first (tests/conftest.py).
pytestmark = pytest.mark.waits

ROOT = os.geteuid() == 0
CGROUP_OK = ROOT and ((Path("/sys/fs/cgroup/cgroup.controllers")).exists()
                      or Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").exists())
NETNS_OK = ROOT and shutil.which("ip") is not None
needs_cgroup = pytest.mark.skipif(not CGROUP_OK, reason="needs root and a writable cgroup cpu controller")
needs_netns = pytest.mark.skipif(not NETNS_OK, reason="needs root and iproute2 (ip netns)")
two_cpus = pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs")


def marked_pids(marker: str) -> list[int]:
    """Processes whose command line or environment holds ``marker``."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blob = (entry / "cmdline").read_bytes() + (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in blob:
            out.append(int(entry.name))
    return out


def wait_gone(marker: str, timeout: float = 5.0) -> list[int]:
    end = time.monotonic() + timeout
    while (pids := marked_pids(marker)) and time.monotonic() < end:
        time.sleep(0.05)
    return pids


def cgroup_dirs(prefix: str) -> list[Path]:
    roots = [Path("/sys/fs/cgroup"), Path("/sys/fs/cgroup/cpu")]
    return [p for r in roots if r.is_dir() for p in r.iterdir() if p.name.startswith(prefix)]


def netns_names(prefix: str) -> list[str]:
    listing = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in listing.splitlines() if line.startswith(prefix)]


def test_run_captures_output_in_its_own_group() -> None:
    runner = LocalRunner("plain")
    try:
        done = runner.run(["python3", "-c", "import os,sys; print(os.getpgid(0) == os.getpid()); "
                           "sys.stderr.write('e'); sys.exit(3)"], timeout=30)
        assert done.returncode == 3 and done.stdout.strip() == "True" and done.stderr == "e"
        assert done.argv[0] == "python3" and done.elapsed > 0
        assert runner.run(["cat"], timeout=10, stdin="hello").stdout == "hello"
        with pytest.raises(ProbeError, match="list of arguments"):
            runner.run("echo hi", timeout=5)  # type: ignore[arg-type]
        with pytest.raises(ProbeError, match="command not found"):
            runner.run(["no-such-tool-xyz"], timeout=5)
        assert runner.which("python3") and not runner.which("no-such-tool-xyz")
        assert runner.tool_version("no-such-tool-xyz") is None
        assert runner.address() in ("127.0.0.1",) or runner.address().startswith("169.254.")
        assert isinstance(runner, Runner)
    finally:
        runner.close()


def test_timeout_kills_the_whole_group() -> None:
    marker = f"ADVISOR_TEST_{uuid.uuid4().hex}"
    runner = LocalRunner("timeout")
    try:
        start = time.monotonic()
        with pytest.raises(ProbeTimeout, match="did not finish"):
            runner.run(["sh", "-c", f"sleep 30 & sleep 30 & echo {marker}; wait"], timeout=0.5)
        assert time.monotonic() - start < 10
    finally:
        runner.close()
    assert wait_gone(marker) == []


def test_spawn_and_stop() -> None:
    runner = LocalRunner("spawn")
    handle = runner.spawn(["python3", "-u", "-c", "import time; print('ready'); time.sleep(60)"])
    assert isinstance(handle, Handle)
    end = time.monotonic() + 20
    while "ready" not in handle._out.read_text() and time.monotonic() < end:  # type: ignore[attr-defined]
        time.sleep(0.05)
    done = handle.stop()
    assert "ready" in done.stdout and done.returncode != 0
    assert handle.stop() is done
    other = runner.spawn(["sleep", "61.5"])
    runner.close()
    runner.close()  # idempotent
    assert wait_gone("61.5") == []
    with pytest.raises(ProbeError, match="closed"):
        runner.run(["true"], timeout=5)
    del other


@two_cpus
@pytest.mark.cpu1
def test_pinning() -> None:
    runner = LocalRunner("pinned", cpus=[1])
    try:
        code = "import os; print(sorted(os.sched_getaffinity(0)))"
        assert runner.run(["python3", "-c", code], timeout=30).stdout.strip() == "[1]"
        assert runner.run(["python3", "-c", code], timeout=30, cpus=[0]).stdout.strip() == "[0]"
        assert runner.placement("vm").pinned_cpus == (1,)
    finally:
        runner.close()
    with pytest.raises(MeasurementError, match="CPU 99"):
        LocalRunner("bad", cpus=[99])


@needs_cgroup
def test_cgroup_quota_created_used_and_removed() -> None:
    runner = LocalRunner("quota", cpu_quota=0.5, nice=-5)
    try:
        assert runner.cgroup_dir is not None and runner.cgroup_dir.is_dir()
        assert runner.cgroup_dir.name == f"{session_prefix()}quota"
        inside = runner.run(["cat", "/proc/self/cgroup"], timeout=10).stdout
        assert runner.cgroup_dir.name in inside
        placement = runner.placement("vm")
        assert placement.cgroup is not None and "0.5" in placement.cgroup
        assert runner.run(["python3", "-c", "import os; print(os.getpriority(os.PRIO_PROCESS, 0))"],
                          timeout=10).stdout.strip() == "-5"
    finally:
        runner.close()
    assert not runner.cgroup_dir.exists()


@needs_cgroup
@needs_netns
def test_timeout_in_cgroup_and_netns_leaves_nothing() -> None:
    marker = f"ADVISOR_TEST_{uuid.uuid4().hex}"
    runner = LocalRunner("tmo", cpu_quota=0.5, netns=True)
    assert runner.cgroup_dir is not None
    try:
        with pytest.raises(ProbeTimeout):
            runner.run(["sh", "-c", f"sleep 40 & sleep 40 & echo {marker}; wait"], timeout=0.5)
        assert wait_gone(marker) == []
        end = time.monotonic() + 10
        while (runner.cgroup_dir / "cgroup.procs").read_text().split() and time.monotonic() < end:
            time.sleep(0.05)  # killed processes leave the group when they are reaped
        assert (runner.cgroup_dir / "cgroup.procs").read_text().split() == []
    finally:
        runner.close()
    assert cgroup_dirs(f"{session_prefix()}tmo") == []
    assert netns_names(f"{session_prefix()}tmo") == []


@needs_netns
def test_netns_with_veth() -> None:
    runner = LocalRunner("ns", netns=True)
    host = LocalRunner("host")
    try:
        assert runner.netns in netns_names(session_prefix())
        assert runner.address().startswith("169.254.") and runner.address() == runner.ns_ip
        assert host.address() == runner.host_ip  # the host as seen from the namespace
        addrs = runner.run(["ip", "-4", "-o", "addr"], timeout=10).stdout
        assert runner.ns_ip in addrs and "127.0.0.1" in addrs
        ping = runner.run(["ping", "-c", "1", "-W", "2", host.address()], timeout=10) if shutil.which("ping") else None
        assert ping is None or ping.returncode == 0
        assert runner.placement("vm").netns == runner.netns
    finally:
        runner.close()
        host.close()
    assert netns_names(f"{session_prefix()}ns") == []
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f"adv{os.getpid()}-" not in links


def test_placement_describes_the_host() -> None:
    runner = LocalRunner("describe")
    try:
        p = runner.placement("bare-metal")
        assert p.target == "describe" and p.role == "bare-metal" and p.runner == "local"
        assert p.kernel == os.uname().release and p.cpus_online >= 1 and p.cpu_model
        assert p.virtualization  # 'none' or the hypervisor
        assert p.pinned_cpus is None and p.cgroup is None and p.netns is None
    finally:
        runner.close()


def test_cleanup_all_closes_open_runners() -> None:
    runner = LocalRunner("atexit")
    runner.spawn(["sleep", "62.5"])
    local.cleanup_all()
    assert wait_gone("62.5") == []
    assert runner._closed
