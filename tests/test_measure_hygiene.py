"""Nothing is left behind: SIGINT / SIGTERM to ``advisor measure`` mid-run, and probe timeouts.

The measurement runs in a subprocess with a local target confined by a cgroup CPU
quota and a network namespace. Benchmark processes are found by a marker in their
environment; cgroups and namespaces by the session's name prefix ``advisor-<pid>-``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from test_measure_local import cgroup_dirs, marked_pids, netns_names, wait_gone

REPO = Path(__file__).resolve().parents[1]
ROOT = os.geteuid() == 0
CGROUP_OK = ROOT and ((Path("/sys/fs/cgroup/cgroup.controllers")).exists()
                      or Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").exists())
pytestmark = [
    pytest.mark.skipif(not CGROUP_OK or shutil.which("ip") is None, reason="needs root, cgroups and iproute2"),
    pytest.mark.skipif(shutil.which("sysbench") is None, reason="apt-get install sysbench"),
]

PLUGIN = '''
"""Test plugin: a long sysbench run (and a spawned helper) so a signal lands mid-run."""
import re
from advisor.measure.api import MetricSpec, ProbeError
from advisor.measure.hookspecs import hookimpl


class LongCpu:
    name = "longcpu"
    title = "sysbench cpu for a long time"
    tools = ("sysbench",)
    metrics = (MetricSpec("events_per_s", "1/s", "higher", main=True),)

    def install_hint(self):
        return "apt-get install sysbench"

    def run(self, runner, *, budget, peer=None):
        helper = runner.spawn(["sleep", "300"])
        try:
            done = runner.run(["sysbench", "cpu", "--threads=1", "--time={seconds}", "run"], timeout={timeout})
        finally:
            helper.stop()
        m = re.search(r"events per second:\\s*([0-9.]+)", done.stdout)
        if m is None:
            raise ProbeError("no figure")
        return {{"events_per_s": float(m.group(1))}}


@hookimpl
def advisor_probes():
    return [LongCpu()]
'''

TARGETS = """\
advisor_targets: 1
targets:
  - name: metal
    role: bare-metal
    runner: local
    cpus: [0]
  - name: boxed
    role: vm
    runner: local
    cpus: [0]
    cpu_quota: 0.5
    netns: true
"""


def _setup(tmp_path: Path, timeout: float = 120, seconds: int = 60) -> tuple[Path, dict[str, str], str]:
    site = tmp_path / "site"
    site.mkdir()
    (site / "advisor_longcpu_plugin.py").write_text(PLUGIN.format(timeout=timeout, seconds=seconds))
    info = site / "advisor_longcpu_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: advisor-longcpu-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[advisor.measurements]\nlongcpu = advisor_longcpu_plugin\n")
    (tmp_path / "targets.yaml").write_text(TARGETS)
    marker = f"ADVISOR_HYGIENE_{uuid.uuid4().hex}"
    env = dict(os.environ, PYTHONPATH=str(site), ADVISOR_TEST_MARKER=marker)
    return tmp_path / "targets.yaml", env, marker


def _start(tmp_path: Path, env: dict[str, str], targets: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "advisor", "measure", "--targets", str(targets), "--probe", "longcpu",
         "--budget", "600", "--seed", "1", "-o", str(tmp_path / "result.json"), *extra],  # seed 1: metal first
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, start_new_session=True)


def _runs_the_probe(pid: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"sleep" in cmdline or b"sysbench" in cmdline


def _wait_for(marker: str, name: str, proc: subprocess.Popen[str], timeout: float = 30) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for pid in marked_pids(marker):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                    return
            except OSError:
                pass
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    pytest.fail(f"{name} never started")


def _assert_clean(proc: subprocess.Popen[str], marker: str) -> None:
    prefix = f"advisor-{proc.pid}-"
    assert wait_gone(marker) == [], "benchmark processes left behind"
    assert cgroup_dirs(prefix) == [], "cgroup left behind"
    assert netns_names(prefix) == [], "network namespace left behind"
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    assert f"adv{proc.pid}-" not in links, "veth left behind"


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_mid_run_cleans_up_and_keeps_a_partial_result(tmp_path: Path, sig: signal.Signals) -> None:
    targets, env, marker = _setup(tmp_path, seconds=2)
    proc = _start(tmp_path, env, targets)
    try:
        _wait_for(marker, "sysbench", proc)
        # the first bare-metal run is under way; now the same for the boxed target:
        # interrupt once a run has finished so the partial result holds it
        end = time.monotonic() + 30
        while time.monotonic() < end:
            cg = cgroup_dirs(f"advisor-{proc.pid}-")
            if cg and any(_runs_the_probe(pid) for pid in (cg[0] / "cgroup.procs").read_text().split()):
                break  # (not the session's own short commands: reading the host's settings)
            time.sleep(0.1)
        time.sleep(0.5)
        os.kill(proc.pid, sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "interrupted" in err
    _assert_clean(proc, marker)
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["interrupted"] is True
    assert [(r["target"], r["warmup"]) for r in result["runs"]] == [("metal", True)]  # the finished run is kept
    assert result["sha256"]


@pytest.mark.slow
def test_sigint_during_setup_or_first_run_leaves_nothing(tmp_path: Path) -> None:
    targets, env, marker = _setup(tmp_path)
    proc = _start(tmp_path, env, targets)
    try:
        _wait_for(marker, "sysbench", proc)
        os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    _assert_clean(proc, marker)
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["interrupted"] is True and result["runs"] == []


@pytest.mark.slow
def test_probe_timeout_leaves_nothing_and_exits_3(tmp_path: Path) -> None:
    targets, env, marker = _setup(tmp_path, timeout=1.5)
    proc = _start(tmp_path, env, targets)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 3, err
    assert "did not finish in 1.5 s" in err
    _assert_clean(proc, marker)
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["probes"][0]["stopped"] == "error"
