"""The host resources the ``local`` runner creates (cgroups, network namespaces, veth pairs) and their removal.

Names carry the creating process's pid (``advisor-<pid>-<target>``, ``adv<pid>-<n>h``),
so :func:`sweep` can tell a killed session's leftovers from a live session's.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from advisor.errors import MeasurementError

__all__ = ["CGROUP_ROOT", "PERIOD_US", "grant_rt_runtime", "ip", "nice_weight", "remove_cgroup", "remove_netns",
           "session_prefix", "sweep"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
#: The CFS period of the quota cgroups, in microseconds.
PERIOD_US = 100_000


def session_prefix() -> str:
    """The prefix of every cgroup and network namespace this process creates."""
    return f"advisor-{os.getpid()}-"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, start_new_session=True)
    except FileNotFoundError:
        raise MeasurementError("the 'ip' command is missing", "apt-get install iproute2") from None
    if check and done.returncode != 0:
        raise MeasurementError(f"ip {' '.join(args)} failed: {done.stderr.strip() or done.returncode}",
                               "network namespaces need root (or CAP_NET_ADMIN) and iproute2")
    return done


def grant_rt_runtime(root: Path, path: Path, quota: float) -> None:
    """With RT group scheduling (v1), a new group has no real-time budget: SCHED_FIFO tools
    (cyclictest) would fail in it. Give it the quota's share of the parent's budget."""
    runtime = path / "cpu.rt_runtime_us"
    if not runtime.exists():
        return
    try:
        period = int((path / "cpu.rt_period_us").read_text())
        parent = int((root / "cpu.rt_runtime_us").read_text())
        if parent <= 0:
            return
        runtime.write_text(str(max(1000, min(parent // 2, int(min(quota, 1.0) * period * 0.9)))))
    except (OSError, ValueError):
        pass  # best effort: only real-time probes need it


def nice_weight(nice: int) -> int:
    """The CFS load weight of a nice level (kernel sched_prio_to_weight: 1024 * 1.25 ** -nice)."""
    return int(round(1024 * 1.25 ** (-nice)))


def remove_cgroup(path: Path) -> None:
    procs = path / "cgroup.procs"
    end = time.monotonic() + 10.0  # killed processes leave the group once reaped
    while True:
        try:
            pids = [int(p) for p in procs.read_text().split()]
        except OSError:
            pids = []
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        try:
            path.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as exc:
            if exc.errno not in (errno.EBUSY, errno.ENOTEMPTY) or time.monotonic() > end:
                return
        time.sleep(0.05)


def remove_netns(name: str, veth_host: str | None) -> None:
    pids = ip("netns", "pids", name, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    if veth_host is not None:
        ip("link", "del", veth_host, check=False)
    for _ in range(20):
        if ip("netns", "del", name, check=False).returncode == 0:
            break
        time.sleep(0.05)


_LEFTOVER = re.compile(r"^advisor-([0-9]+)-")
_LEFTOVER_VETH = re.compile(r"^adv([0-9]+)-[0-9]+h(?:@.*)?$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep() -> list[str]:
    """Remove the cgroups, network namespaces and veth pairs left by killed sessions.

    Only names made by this runner (``advisor-<pid>-...``, ``adv<pid>-<n>h``) whose
    process is gone are removed; a live session's are left alone. Returns what was
    removed, one description each.
    """
    removed: list[str] = []
    for base in (CGROUP_ROOT, CGROUP_ROOT / "cpu", CGROUP_ROOT / "cpu,cpuacct"):
        if not base.is_dir() or (base != CGROUP_ROOT and base.is_symlink()):
            continue
        for path in sorted(base.iterdir()):
            m = _LEFTOVER.match(path.name)
            if m and path.is_dir() and not _alive(int(m.group(1))):
                remove_cgroup(path)
                if not path.exists():
                    removed.append(f"cgroup {path}")
    if shutil.which("ip") is None:
        return removed
    for line in ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = _LEFTOVER.match(name)
        if m and not _alive(int(m.group(1))):
            remove_netns(name, None)
            removed.append(f"network namespace {name}")
    for line in ip("-o", "link", "show", "type", "veth", check=False).stdout.splitlines():
        parts = line.split(":")
        name = parts[1].strip() if len(parts) > 1 else ""
        m = _LEFTOVER_VETH.match(name)
        if m and not _alive(int(m.group(1))):
            name = name.split("@")[0]
            if ip("link", "del", name, check=False).returncode == 0:
                removed.append(f"veth {name}")
    return removed
