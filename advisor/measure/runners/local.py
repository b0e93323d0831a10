"""The ``local`` runner: this host, optionally confined like a small VM.

Options (targets file): ``cpus: [1]`` pins every process to those CPUs
(``sched_setaffinity``), ``cpu_quota: 0.5`` puts them into a cgroup limited to that
many CPUs' worth of time (cgroup v1 ``cpu.cfs_quota_us`` or v2 ``cpu.max``), and
``netns: true`` runs them in a private network namespace joined to the host by a veth
pair with link-local addresses (169.254.0.0/16).

Every child runs in its own process group (``start_new_session``) and is killed with
its group on timeout, on Ctrl-C and when the runner closes. Cgroups and namespaces
are named ``advisor-<pid>-<target>`` and removed by :meth:`LocalRunner.close`, which
also runs at interpreter exit (``atexit``) and from :func:`cleanup_all`.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from advisor.errors import MeasurementError
from advisor.measure.api import Completed, Placement, ProbeError, ProbeTimeout, Role, Runner
from advisor.measure.hookspecs import hookimpl
from advisor.measure.runners import cpu_model_from_cpuinfo, parse_virtualization
from advisor.measure.targets import LocalOptions, TargetSpec

__all__ = ["LocalHandle", "LocalRunner", "advisor_runners", "cleanup_all", "kill_group", "session_prefix", "sweep"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
_PERIOD_US = 100_000
_lock = threading.Lock()
_OPEN: list[LocalRunner] = []
_LIVE_GROUPS: set[int] = set()
_counter = 0


def session_prefix() -> str:
    """The prefix of every cgroup and network namespace this process creates."""
    return f"advisor-{os.getpid()}-"


def kill_group(pgid: int, sig: int = signal.SIGKILL) -> None:
    """Signal a process group, ignoring a group that is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def cleanup_all() -> None:
    """Kill every process group started here and close every local runner (idempotent)."""
    with _lock:
        groups = list(_LIVE_GROUPS)
        runners = list(_OPEN)
    for pgid in groups:
        kill_group(pgid)
    for runner in runners:
        runner.close()


atexit.register(cleanup_all)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, start_new_session=True)
    except FileNotFoundError:
        raise MeasurementError("the 'ip' command is missing", "apt-get install iproute2") from None
    if check and done.returncode != 0:
        raise MeasurementError(f"ip {' '.join(args)} failed: {done.stderr.strip() or done.returncode}",
                               "network namespaces need root (or CAP_NET_ADMIN) and iproute2")
    return done


class LocalHandle:
    """A background process of a local runner."""

    def __init__(self, proc: subprocess.Popen[bytes], argv: tuple[str, ...], out: Path, err: Path,
                 started: float, on_stop: Callable[[int], None]) -> None:
        self._proc = proc
        self._argv = argv
        self._out = out
        self._err = err
        self._started = started
        self._on_stop = on_stop
        self._done: Completed | None = None

    @property
    def pid(self) -> int:
        return self._proc.pid

    def stop(self) -> Completed:
        if self._done is not None:
            return self._done
        pgid = self._proc.pid
        if self._proc.poll() is None:
            kill_group(pgid, signal.SIGTERM)
            try:
                self._proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                kill_group(pgid)
                self._proc.wait()
        kill_group(pgid)
        self._on_stop(pgid)
        stdout = self._out.read_text(errors="replace") if self._out.exists() else ""
        stderr = self._err.read_text(errors="replace") if self._err.exists() else ""
        for path in (self._out, self._err):
            with contextlib.suppress(OSError):
                path.unlink()
        self._done = Completed(self._argv, self._proc.returncode, stdout, stderr, time.monotonic() - self._started)
        return self._done


class LocalRunner:
    """Run commands on this host, in a cgroup / pinned / in a network namespace if asked."""

    kind = "local"

    def __init__(self, name: str = "local", *, cpus: Sequence[int] | None = None, cpu_quota: float | None = None,
                 netns: bool = False, nice: int | None = None) -> None:
        global _counter
        self.name = name
        self.cpus: tuple[int, ...] | None = tuple(cpus) if cpus else None
        self.cpu_quota = cpu_quota
        self.nice = nice
        self._closed = False
        self._versions: dict[str, str | None] = {}
        self._handles: list[LocalHandle] = []
        self.cgroup_dir: Path | None = None
        self.cgroup_desc: str | None = None
        self._cgroup_procs: Path | None = None
        self.netns: str | None = None
        self._veth_host: str | None = None
        self.host_ip: str | None = None
        self.ns_ip: str | None = None
        with _lock:
            _counter += 1
            self._index = _counter
            _OPEN.append(self)
        if self.cpus is not None:
            online = os.sched_getaffinity(0)
            bad = [c for c in self.cpus if c not in online]
            if bad:
                self.close()
                raise MeasurementError(f"target {name!r}: CPU {bad[0]} is not available to advisor",
                                       f"choose CPUs among {sorted(online)}")
        try:
            if cpu_quota is not None:
                self._make_cgroup(cpu_quota)
            if netns:
                self._make_netns()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------------ setup
    def _resource_name(self) -> str:
        return f"{session_prefix()}{self.name}"[:64]

    def _make_cgroup(self, quota: float) -> None:
        name = self._resource_name()
        quota_us = max(1000, int(round(quota * _PERIOD_US)))
        try:
            if (CGROUP_ROOT / "cgroup.controllers").exists():
                root = CGROUP_ROOT
                control = root / "cgroup.subtree_control"
                if "cpu" not in control.read_text().split():
                    control.write_text("+cpu")
                path = root / name
                path.mkdir()
                self.cgroup_dir = path
                (path / "cpu.max").write_text(f"{quota_us} {_PERIOD_US}")
                if self.nice is not None:
                    (path / "cpu.weight").write_text(str(max(1, min(10000, _nice_weight(self.nice) * 100 // 1024))))
                self.cgroup_desc = f"v2 cpu.max {quota_us} {_PERIOD_US} (quota {quota:g})"
            else:
                root = CGROUP_ROOT / "cpu"
                if not (root / "cpu.cfs_quota_us").exists():
                    raise MeasurementError("no cgroup CPU controller found under /sys/fs/cgroup",
                                           "mount the cgroup v1 'cpu' controller or use cgroup v2")
                path = root / name
                path.mkdir()
                self.cgroup_dir = path
                (path / "cpu.cfs_period_us").write_text(str(_PERIOD_US))
                (path / "cpu.cfs_quota_us").write_text(str(quota_us))
                _grant_rt_runtime(root, path, quota)
                if self.nice is not None:
                    (path / "cpu.shares").write_text(str(max(2, min(262144, _nice_weight(self.nice)))))
                self.cgroup_desc = f"v1 cpu quota {quota:g}"
        except OSError as exc:
            raise MeasurementError(f"target {self.name!r}: cannot create a cgroup for cpu_quota ({exc.strerror})",
                                   "cpu_quota needs root and a writable cgroup 'cpu' controller") from None
        self._cgroup_procs = self.cgroup_dir / "cgroup.procs"

    def _make_netns(self) -> None:
        name = self._resource_name()
        pid = os.getpid()
        self._veth_host = f"adv{pid}-{self._index}h"[:15]
        veth_ns = f"adv{pid}-{self._index}n"[:15]
        used = _ip("-4", "-o", "addr", check=False).stdout
        base = pid % 200
        for step in range(200 * 64):
            third = 20 + (base + step // 64) % 200
            fourth = (step % 64) * 4
            host_ip, ns_ip = f"169.254.{third}.{fourth + 1}", f"169.254.{third}.{fourth + 2}"
            if f" {host_ip}/" not in used and f" {ns_ip}/" not in used:
                break
        _ip("netns", "add", name)
        self.netns = name
        _ip("link", "add", self._veth_host, "type", "veth", "peer", "name", veth_ns)
        _ip("link", "set", veth_ns, "netns", name)
        _ip("addr", "add", f"{host_ip}/30", "dev", self._veth_host)
        _ip("link", "set", self._veth_host, "up")
        _ip("-n", name, "addr", "add", f"{ns_ip}/30", "dev", veth_ns)
        _ip("-n", name, "link", "set", veth_ns, "up")
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", name, "route", "add", "default", "via", host_ip)
        self.host_ip, self.ns_ip = host_ip, ns_ip

    # ------------------------------------------------------------------ processes
    def _command(self, argv: Sequence[str]) -> list[str]:
        if not argv:
            raise ProbeError("empty command", "pass the tool and its arguments as a list")
        if isinstance(argv, str):
            raise ProbeError("a command must be a list of arguments, not a string", "split it into argv")
        if self.netns is not None:
            return ["ip", "netns", "exec", self.netns, *argv]
        return list(argv)

    def _preexec(self, cpus: Sequence[int] | None) -> Callable[[], None]:
        procs = str(self._cgroup_procs) if self._cgroup_procs is not None else None
        pin = tuple(cpus) if cpus else self.cpus
        nice = self.nice

        def setup() -> None:  # runs in the child between fork and exec
            if procs is not None:
                with open(procs, "w") as fh:  # noqa: PTH123 - no pathlib between fork and exec
                    fh.write(str(os.getpid()))
            if pin:
                os.sched_setaffinity(0, pin)
            if nice is not None:
                os.setpriority(os.PRIO_PROCESS, 0, nice)
                try:  # a new session gets its own autogroup: give it the same priority
                    with open("/proc/self/autogroup", "w") as fh:  # noqa: PTH123
                        fh.write(str(nice))
                except OSError:
                    pass

        return setup

    def _check_open(self) -> None:
        if self._closed:
            raise ProbeError(f"runner {self.name!r} is closed", "create a new runner")

    def run(self, argv: Sequence[str], *, timeout: float, cpus: Sequence[int] | None = None,
            stdin: str | None = None) -> Completed:
        self._check_open()
        cmd = self._command(argv)
        started = time.monotonic()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                    preexec_fn=self._preexec(cpus))
        except FileNotFoundError:
            raise ProbeError(f"{argv[0]}: command not found on target {self.name!r}",
                             f"install {argv[0]} or put it on PATH") from None
        except (OSError, subprocess.SubprocessError) as exc:
            raise ProbeError(f"cannot start {argv[0]} on target {self.name!r}: {exc}") from None
        pgid = proc.pid
        with _lock:
            _LIVE_GROUPS.add(pgid)
        try:
            try:
                out, err = proc.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_group(pgid)
                proc.communicate()
                raise ProbeTimeout(f"{' '.join(argv)} on target {self.name!r} did not finish in {timeout:g} s",
                                   "its processes were killed; raise the timeout or check the target") from None
            except BaseException:
                kill_group(pgid)
                with contextlib.suppress(Exception):
                    proc.wait(timeout=5)
                raise
        finally:
            kill_group(pgid)  # leftovers a tool forked into its group
            with _lock:
                _LIVE_GROUPS.discard(pgid)
        return Completed(tuple(argv), proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"),
                         time.monotonic() - started)

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> LocalHandle:
        self._check_open()
        cmd = self._command(argv)
        fd_out, out_name = tempfile.mkstemp(prefix="advisor-out-")
        fd_err, err_name = tempfile.mkstemp(prefix="advisor-err-")
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=fd_out, stderr=fd_err,
                                    start_new_session=True, preexec_fn=self._preexec(cpus))
        except FileNotFoundError:
            raise ProbeError(f"{argv[0]}: command not found on target {self.name!r}",
                             f"install {argv[0]} or put it on PATH") from None
        finally:
            os.close(fd_out)
            os.close(fd_err)
        with _lock:
            _LIVE_GROUPS.add(proc.pid)

        def forget(pgid: int) -> None:
            with _lock:
                _LIVE_GROUPS.discard(pgid)

        handle = LocalHandle(proc, tuple(argv), Path(out_name), Path(err_name), time.monotonic(), forget)
        self._handles.append(handle)
        return handle

    # ------------------------------------------------------------------ facts
    def which(self, tool: str) -> bool:
        return shutil.which(tool) is not None

    def tool_version(self, tool: str) -> str | None:
        if tool in self._versions:
            return self._versions[tool]
        version: str | None = None
        if self.which(tool):
            for flag in ("--version", "-V"):
                try:
                    done = subprocess.run([tool, flag], capture_output=True, text=True, timeout=5,
                                          start_new_session=True, stdin=subprocess.DEVNULL)
                except (OSError, subprocess.SubprocessError):
                    continue
                text = (done.stdout.strip() or done.stderr.strip()).splitlines()
                if done.returncode == 0 and text:
                    version = text[0].strip()[:200]
                    break
        self._versions[tool] = version
        return version

    def address(self) -> str:
        if self.ns_ip is not None:
            return self.ns_ip
        with _lock:
            for runner in _OPEN:
                if runner.host_ip is not None and not runner._closed:
                    return runner.host_ip  # the host as seen from the session's namespaces (and from itself)
        return "127.0.0.1"

    def placement(self, role: Role) -> Placement:
        return local_placement(self, role)

    # ------------------------------------------------------------------ cleanup
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for handle in self._handles:
            with contextlib.suppress(Exception):
                handle.stop()
        if self.cgroup_dir is not None:
            _remove_cgroup(self.cgroup_dir)
        if self.netns is not None:
            _remove_netns(self.netns, self._veth_host)
        with _lock:
            if self in _OPEN:
                _OPEN.remove(self)


def _grant_rt_runtime(root: Path, path: Path, quota: float) -> None:
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


def _nice_weight(nice: int) -> int:
    """The CFS load weight of a nice level (kernel sched_prio_to_weight: 1024 * 1.25 ** -nice)."""
    return int(round(1024 * 1.25 ** (-nice)))


def _remove_cgroup(path: Path) -> None:
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


def _remove_netns(name: str, veth_host: str | None) -> None:
    pids = _ip("netns", "pids", name, check=False).stdout.split()
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
            os.kill(int(pid), signal.SIGKILL)
    if veth_host is not None:
        _ip("link", "del", veth_host, check=False)
    for _ in range(20):
        if _ip("netns", "del", name, check=False).returncode == 0:
            break
        time.sleep(0.05)


def _read(path: str) -> str:
    try:
        return Path(path).read_text(errors="replace")
    except OSError:
        return ""


_VIRT_CACHE: list[str] = []


def host_virtualization() -> str:
    """'none' or the hypervisor this host runs on (cached)."""
    if not _VIRT_CACHE:
        detect: str | None = None
        if shutil.which("systemd-detect-virt"):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                detect = subprocess.run(["systemd-detect-virt", "--vm"], capture_output=True, text=True,
                                        timeout=5).stdout
        _VIRT_CACHE.append(parse_virtualization(detect, _read("/proc/cpuinfo"),
                                                _read("/sys/class/dmi/id/sys_vendor") or None))
    return _VIRT_CACHE[0]


def local_placement(runner: LocalRunner, role: Role, tools: Sequence[str] = ()) -> Placement:
    """Describe this host and the runner's confinement."""
    extra: dict[str, str] = {}
    if runner.netns is not None and runner.ns_ip is not None and runner.host_ip is not None:
        extra["netns_address"] = runner.ns_ip
        extra["host_veth_address"] = runner.host_ip
    versions = {t: v for t in tools if (v := runner.tool_version(t)) is not None}
    confined = [what for what, on in (("a CPU quota", runner.cgroup_desc is not None),
                                      ("CPU pinning", runner.cpus is not None),
                                      ("a network namespace", runner.netns is not None)) if on]
    return Placement(
        target=runner.name,
        role=role,
        runner="local",
        hostname=socket.gethostname(),
        cpu_model=cpu_model_from_cpuinfo(_read("/proc/cpuinfo")),
        cpus_online=os.cpu_count() or 0,
        kernel=os.uname().release,
        virtualization=host_virtualization(),
        pinned_cpus=runner.cpus,
        cgroup=runner.cgroup_desc,
        netns=runner.netns,
        tool_versions=versions,
        extra=extra,
        origin="imitation" if confined else "real",
        origin_reason=f"a local target confined by {', '.join(confined)}" if confined else "",
    )


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
                _remove_cgroup(path)
                if not path.exists():
                    removed.append(f"cgroup {path}")
    if shutil.which("ip") is None:
        return removed
    for line in _ip("netns", "list", check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = _LEFTOVER.match(name)
        if m and not _alive(int(m.group(1))):
            _remove_netns(name, None)
            removed.append(f"network namespace {name}")
    for line in _ip("-o", "link", "show", "type", "veth", check=False).stdout.splitlines():
        parts = line.split(":")
        name = parts[1].strip() if len(parts) > 1 else ""
        m = _LEFTOVER_VETH.match(name)
        if m and not _alive(int(m.group(1))):
            name = name.split("@")[0]
            if _ip("link", "del", name, check=False).returncode == 0:
                removed.append(f"veth {name}")
    return removed


def make_local_runner(spec: TargetSpec) -> Runner:
    """Runner factory of the ``local`` kind."""
    opts = spec.options_as(LocalOptions)
    return LocalRunner(spec.name, cpus=opts.cpus, cpu_quota=opts.cpu_quota, netns=opts.netns, nice=opts.nice)


@hookimpl
def advisor_runners() -> dict[str, Callable[[TargetSpec], Runner]]:
    """The built-in ``local`` runner."""
    return {"local": make_local_runner}
