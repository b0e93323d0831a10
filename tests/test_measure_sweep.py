"""``advisor measure --sweep``: what a SIGKILLed session left behind is removed, a live session's is not."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_measure_local import cgroup_dirs, netns_names

from advisor.cli import cli
from advisor.measure.runners.local import LocalRunner

ROOT = os.geteuid() == 0
CGROUP_OK = ROOT and ((Path("/sys/fs/cgroup/cgroup.controllers")).exists()
                      or Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").exists())
pytestmark = pytest.mark.skipif(not CGROUP_OK or shutil.which("ip") is None,
                                reason="needs root, a cgroup cpu controller and iproute2")

SESSION = """
import sys, time
from advisor.measure.runners.local import LocalRunner
runner = LocalRunner("boxed", cpu_quota=0.5, netns=True)
print(runner.cgroup_dir, runner.netns, flush=True)
time.sleep(300)
"""


def _veths(pid: int) -> list[str]:
    out = subprocess.run(["ip", "-o", "link", "show", "type", "veth"], capture_output=True, text=True).stdout
    return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if f"adv{pid}-" in line]


def test_sweep_removes_what_a_killed_session_left_and_spares_a_live_one() -> None:
    proc = subprocess.Popen([sys.executable, "-c", SESSION], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    live = LocalRunner("live", cpu_quota=0.5, netns=True)  # this process's own session: alive
    try:
        assert proc.stdout is not None
        cgroup, netns = proc.stdout.readline().split()
        os.killpg(proc.pid, signal.SIGKILL)  # no cleanup can run
        proc.wait()
        prefix = f"advisor-{proc.pid}-"
        assert cgroup_dirs(prefix) and netns_names(prefix) and _veths(proc.pid), "the killed session left nothing"

        result = CliRunner().invoke(cli, ["measure", "--sweep"])
        assert result.exit_code == 0, result.output
        assert f"removed cgroup {cgroup}" in result.stdout
        assert f"removed network namespace {netns}" in result.stdout
        assert cgroup_dirs(prefix) == [] and netns_names(prefix) == [] and _veths(proc.pid) == []
        assert "leftover(s) of killed sessions" in result.stderr

        # the live session's cgroup and namespace are untouched
        assert live.cgroup_dir is not None and live.cgroup_dir.exists()
        assert live.netns in netns_names(f"advisor-{os.getpid()}-")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        live.close()
