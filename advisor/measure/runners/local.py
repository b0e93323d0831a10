"""The ``local`` runner: this host, optionally confined like a small VM.

Options (targets file): ``cpus: [1]`` pins every process to those CPUs
(``sched_setaffinity``), ``cpu_quota: 0.5`` puts them into a cgroup limited to that
many CPUs' worth of time (cgroup v1 ``cpu.cfs_quota_us`` or v2 ``cpu.max``), and
``netns: true`` runs them in a private network namespace joined to the host by a veth
pair with link-local addresses (169.254.0.0/16).

Every child runs in its own process group (``start_new_session``) and is killed with
its group on timeout, on Ctrl-C and when the runner closes. Cgroups and namespaces
are named ``advisor-<pid>-<target>`` (created and removed by
:mod:`advisor.measure.runners.local_resources`) and removed by :meth:`LocalRunner.close`, which
also runs at interpreter exit (``atexit``) and from :func:`cleanup_all`.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from advisor.errors import MeasurementError
from advisor.measure.api import Completed, Placement, ProbeError, ProbeTimeout, Role, Runner
from advisor.measure.hookspecs import hookimpl
from advisor.measure.runners.local_placement import local_placement
from advisor.measure.runners.local_resources import (
    CGROUP_ROOT,
    PERIOD_US,
    grant_rt_runtime,
    ip,
    nice_weight,
    remove_cgroup,
    remove_netns,
    session_prefix,
    sweep,
)
from advisor.measure.targets import LocalOptions, TargetSpec

__all__ = ["LocalHandle", "LocalRunner", "advisor_runners", "cleanup_all", "kill_group", "session_prefix", "sweep"]

_lock = threading.Lock()
_OPEN: list[LocalRunner] = []
_LIVE_GROUPS: set[int] = set()
_counter = 0


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

    def wait(self, timeout: float) -> Completed:
        """Wait for the process to end by itself and return its output; after ``timeout`` s its group
        is killed and ProbeTimeout raised."""
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise ProbeTimeout(f"{' '.join(self._argv)} did not finish in {timeout:g} s",
                               "its processes were killed; raise the timeout or check the target") from None
        return self.stop()

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
    """Run commands on this host, in a cgroup / pinned / in a network namespace if asked.

    ``cpu_period_us`` is the CFS period of the quota (100 ms by default, the kernel's and Kubernetes'
    default): a target idle between runs starts each run with a whole quota at a random phase of the
    period, so a run of ``t`` seconds gets up to half a period more than ``quota * t``; a shorter period
    makes that edge smaller (the known-answer tests use 20 ms).
    """

    kind = "local"

    def __init__(self, name: str = "local", *, cpus: Sequence[int] | None = None, cpu_quota: float | None = None,
                 netns: bool = False, nice: int | None = None, cpu_period_us: int = PERIOD_US) -> None:
        global _counter
        self.name = name
        self.cpus: tuple[int, ...] | None = tuple(cpus) if cpus else None
        self.cpu_quota = cpu_quota
        #: The CFS period of the quota (the default is the kernel's and Kubernetes' 100 ms).
        self.cpu_period_us = cpu_period_us
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
        period = self.cpu_period_us
        quota_us = max(1000, int(round(quota * period)))
        try:
            if (CGROUP_ROOT / "cgroup.controllers").exists():
                root = CGROUP_ROOT
                control = root / "cgroup.subtree_control"
                if "cpu" not in control.read_text().split():
                    control.write_text("+cpu")
                path = root / name
                path.mkdir()
                self.cgroup_dir = path
                (path / "cpu.max").write_text(f"{quota_us} {period}")
                if self.nice is not None:
                    (path / "cpu.weight").write_text(str(max(1, min(10000, nice_weight(self.nice) * 100 // 1024))))
                self.cgroup_desc = f"v2 cpu.max {quota_us} {period} (quota {quota:g})"
            else:
                root = CGROUP_ROOT / "cpu"
                if not (root / "cpu.cfs_quota_us").exists():
                    raise MeasurementError("no cgroup CPU controller found under /sys/fs/cgroup",
                                           "mount the cgroup v1 'cpu' controller or use cgroup v2")
                path = root / name
                path.mkdir()
                self.cgroup_dir = path
                (path / "cpu.cfs_period_us").write_text(str(period))
                (path / "cpu.cfs_quota_us").write_text(str(quota_us))
                grant_rt_runtime(root, path, quota)
                if self.nice is not None:
                    (path / "cpu.shares").write_text(str(max(2, min(262144, nice_weight(self.nice)))))
                self.cgroup_desc = f"v1 cpu quota {quota:g}" + ("" if period == PERIOD_US else f", period {period} us")
        except OSError as exc:
            raise MeasurementError(f"target {self.name!r}: cannot create a cgroup for cpu_quota ({exc.strerror})",
                                   "cpu_quota needs root and a writable cgroup 'cpu' controller") from None
        self._cgroup_procs = self.cgroup_dir / "cgroup.procs"

    def _make_netns(self) -> None:
        name = self._resource_name()
        pid = os.getpid()
        self._veth_host = f"adv{pid}-{self._index}h"[:15]
        veth_ns = f"adv{pid}-{self._index}n"[:15]
        used = ip("-4", "-o", "addr", check=False).stdout
        base = pid % 200
        for step in range(200 * 64):
            third = 20 + (base + step // 64) % 200
            fourth = (step % 64) * 4
            host_ip, ns_ip = f"169.254.{third}.{fourth + 1}", f"169.254.{third}.{fourth + 2}"
            if f" {host_ip}/" not in used and f" {ns_ip}/" not in used:
                break
        ip("netns", "add", name)
        self.netns = name
        ip("link", "add", self._veth_host, "type", "veth", "peer", "name", veth_ns)
        ip("link", "set", veth_ns, "netns", name)
        ip("addr", "add", f"{host_ip}/30", "dev", self._veth_host)
        ip("link", "set", self._veth_host, "up")
        ip("-n", name, "addr", "add", f"{ns_ip}/30", "dev", veth_ns)
        ip("-n", name, "link", "set", veth_ns, "up")
        ip("-n", name, "link", "set", "lo", "up")
        ip("-n", name, "route", "add", "default", "via", host_ip)
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
            remove_cgroup(self.cgroup_dir)
        if self.netns is not None:
            remove_netns(self.netns, self._veth_host)
        with _lock:
            if self in _OPEN:
                _OPEN.remove(self)


def make_local_runner(spec: TargetSpec) -> Runner:
    """Runner factory of the ``local`` kind."""
    opts = spec.options_as(LocalOptions)
    return LocalRunner(spec.name, cpus=opts.cpus, cpu_quota=opts.cpu_quota, netns=opts.netns, nice=opts.nice)


@hookimpl
def advisor_runners() -> dict[str, Callable[[TargetSpec], Runner]]:
    """The built-in ``local`` runner."""
    return {"local": make_local_runner}
