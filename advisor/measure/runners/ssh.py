"""The SSH runner: run probe commands on a remote host through the system OpenSSH client.

Why the ``ssh`` binary and not a Python SSH library: OpenSSH's host-key checking,
``ProxyJump``, agent forwarding of keys and ``~/.ssh/config`` handling are what
operators already trust and configure; calling it with an argument list (never a
local shell) keeps all of that and adds no dependency.

Safety rules, each pinned by a test (tests/test_measure_ssh.py):

* every target value is validated (hostnames, users, ports) and ``--`` always
  precedes the destination, so no value can become an ``ssh`` option;
* host keys are checked strictly (``StrictHostKeyChecking=yes``, ``BatchMode=yes``);
* the remote sshd always hands the command to a shell, so the remote command is
  built with :func:`shlex.join`: every argument reaches the remote program as inert
  data;
* every remote command runs in its own session and process group
  (``setsid --wait``) whose id is reported back first thing; on a timeout (or
  Ctrl-C) a second ssh call kills that whole group (TERM, then KILL) and the local
  ssh client's process group is killed too.

The options and the ``ssh`` command lines are in :mod:`advisor.measure.runners.ssh_options`;
what this runner shares with the Kubernetes runner is in :mod:`advisor.measure.runners._remote`.
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from advisor.errors import MeasurementError
from advisor.measure.api import Completed, Placement, ProbeTimeout, Role, Runner
from advisor.measure.hookspecs import hookimpl
from advisor.measure.runners._remote import PLACEMENT_SCRIPT, install_command, placement_from, resolve_path, sections
from advisor.measure.runners.ssh_options import (
    SSHError,
    SSHOptions,
    classify_failure,
    no_client,
    remote_command,
    ssh_argv,
    validate_host,
    validate_jump_host,
    validate_user,
)
from advisor.measure.targets import TargetSpec

__all__ = [
    "COMMON_TOOLS",
    "SSHError",
    "SSHHandle",
    "SSHOptions",
    "SSHRunner",
    "install_command",
    "remote_command",
    "ssh_argv",
    "validate_host",
    "validate_jump_host",
    "validate_user",
    "PLACEMENT_SCRIPT",
    "resolve_path",
    "sections",
    "advisor_runners",
    "from_spec",
]

#: Tools looked up together on the first ``which`` (one connection instead of one per tool).
COMMON_TOOLS = ("sysbench", "stress-ng", "fio", "sockperf", "cyclictest", "taskset", "setsid", "mktemp", "getconf",
                "systemd-detect-virt")
#: Grace between SIGTERM and SIGKILL for a remote process group, in seconds.
KILL_GRACE = 2.0


class _Reader(threading.Thread):
    """Drains one pipe; on stderr it picks out the remote PGID marker line."""

    def __init__(self, pipe: IO[bytes], marker: bytes | None) -> None:
        super().__init__(daemon=True)
        self.pipe = pipe
        self.marker = marker
        self.chunks: list[bytes] = []
        self.pgid: int | None = None
        self.got_pgid = threading.Event()

    def run(self) -> None:
        try:
            for line in iter(self.pipe.readline, b""):
                if self.marker is not None and self.pgid is None and line.startswith(self.marker):
                    digits = line[len(self.marker):].strip()
                    if digits.isdigit() and int(digits) > 1:
                        self.pgid = int(digits)
                        self.got_pgid.set()
                        continue
                self.chunks.append(line)
        except (OSError, ValueError):
            pass
        finally:
            self.got_pgid.set()

    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")


class _Remote:
    """One ssh client process running one remote command in its own process group."""

    def __init__(self, runner: SSHRunner, argv: Sequence[str], *, cpus: Sequence[int] | None,
                 stdin: str | None) -> None:
        self.runner = runner
        self.argv = tuple(str(a) for a in argv)
        self.marker = f"advisor-pgid-{secrets.token_hex(6)}"
        opts = runner.options
        remote = remote_command(self.argv, marker=self.marker, sudo=opts.sudo,
                                cpus=cpus if cpus is not None else opts.cpus)
        self.started = time.monotonic()
        try:
            self.proc = subprocess.Popen(
                runner.ssh_command(remote),
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            )
        except OSError as exc:
            raise no_client(exc) from None
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self.out = _Reader(self.proc.stdout, None)
        self.err = _Reader(self.proc.stderr, (self.marker + ":").encode())
        self.out.start()
        self.err.start()
        if stdin is not None:
            threading.Thread(target=self._feed, args=(stdin,), daemon=True).start()

    def _feed(self, text: str) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(text.encode("utf-8"))
            self.proc.stdin.close()
        except OSError:
            pass

    def kill(self) -> None:
        """Kill the remote process group (TERM, then KILL), then the local ssh client's group."""
        if self.proc.poll() is None:
            # Still connecting? The marker comes as the remote command starts (and the wait ends
            # if ssh gives up first): without it a command started after the local client died
            # would be left running.
            self.err.got_pgid.wait(timeout=self.runner.options.connect_timeout + 5.0)
        if self.err.pgid is not None:
            self.runner.kill_remote_group(self.err.pgid)
        self._kill_local()

    def _kill_local(self) -> None:
        if self.proc.poll() is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(self.proc.pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                try:
                    self.proc.wait(timeout=1.0)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.proc.wait()

    def finish(self) -> Completed:
        self.out.join(timeout=5)
        self.err.join(timeout=5)
        rc = self.proc.wait()
        stderr = self.err.text()
        if rc == 255 and self.err.pgid is None:
            raise classify_failure(self.runner.options, stderr)
        return Completed(self.argv, rc, self.out.text(), stderr, time.monotonic() - self.started)


class SSHHandle:
    """A background command on the remote host (see :meth:`SSHRunner.spawn`)."""

    def __init__(self, remote: _Remote) -> None:
        self._remote = remote
        self._done: Completed | None = None

    @property
    def pgid(self) -> int | None:
        """The remote process group id, once reported."""
        self._remote.err.got_pgid.wait(timeout=10)
        return self._remote.err.pgid

    def alive(self) -> bool:
        return self._remote.proc.poll() is None

    def stop(self) -> Completed:
        """Kill the remote process group and the local ssh client; idempotent."""
        if self._done is None:
            self._remote.kill()
            self._done = self._remote.finish()
            self._remote.runner._forget(self)
        return self._done


class SSHRunner:
    """Runs commands on one host over ssh (see the module docstring)."""

    kind = "ssh"

    def __init__(self, name: str, options: SSHOptions, *, base_dir: str | None = None,
                 ssh: str = "ssh") -> None:
        self.name = name
        self.options = options
        self.base_dir = base_dir
        self._ssh = ssh
        self._handles: list[SSHHandle] = []
        self._lock = threading.Lock()
        self._tools: dict[str, bool] = {}
        self._closed = False

    # -- building blocks -------------------------------------------------------------
    def ssh_command(self, remote: str) -> list[str]:
        argv = ssh_argv(self.options, remote, base_dir=self.base_dir)
        argv[0] = self._ssh
        return argv

    def _plain(self, words: Sequence[str], *, timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a fixed helper command (no process-group bookkeeping); ssh failures raise."""
        words = list(words)
        if self.options.sudo:
            words = ["sudo", "-n", "--", *words]
        argv = self.ssh_command("exec " + shlex.join(words))
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  errors="replace", timeout=timeout, start_new_session=True)
        except OSError as exc:
            raise no_client(exc) from None
        except subprocess.TimeoutExpired:
            raise ProbeTimeout(f"ssh to {self.options.destination}: no answer within {timeout:g} s",
                               "check that the host is reachable") from None
        if done.returncode == 255:
            raise classify_failure(self.options, done.stderr)
        return done

    def kill_remote_group(self, pgid: int) -> None:
        """TERM the remote process group, wait up to :data:`KILL_GRACE` s, then KILL what is left."""
        steps = int(KILL_GRACE / 0.1)
        script = ('kill -s TERM -- "-$1" 2>/dev/null; i=0; '
                  f'while kill -0 -- "-$1" 2>/dev/null && [ "$i" -lt {steps} ]; do sleep 0.1; i=$((i+1)); done; '
                  'kill -s KILL -- "-$1" 2>/dev/null; exit 0')
        try:
            self._plain(["sh", "-c", script, "sh", str(int(pgid))], timeout=self.options.connect_timeout + 15)
        except MeasurementError:
            pass  # best effort: the host may be gone; the local client is killed next

    def _forget(self, handle: SSHHandle) -> None:
        with self._lock:
            if handle in self._handles:
                self._handles.remove(handle)

    # -- Runner protocol -------------------------------------------------------------
    def run(self, argv: Sequence[str], *, timeout: float, cpus: Sequence[int] | None = None,
            stdin: str | None = None) -> Completed:
        """Run ``argv`` remotely; on timeout kill the remote group and raise ProbeTimeout."""
        remote = _Remote(self, argv, cpus=cpus, stdin=stdin)
        try:
            remote.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            remote.kill()
            try:
                remote.finish()
            except MeasurementError:
                pass  # the connection itself hung: the timeout is the error to report
            raise ProbeTimeout(
                f"{self.name}: {shlex.join(remote.argv)} did not finish within {timeout:g} s on "
                f"{self.options.destination}",
                "its remote process group was killed; raise the budget or check the host") from None
        except BaseException:  # Ctrl-C: leave nothing running on the remote host
            remote.kill()
            raise
        return remote.finish()

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> SSHHandle:
        handle = SSHHandle(_Remote(self, argv, cpus=cpus, stdin=None))
        with self._lock:
            self._handles.append(handle)
        return handle

    def missing(self, tools: Iterable[str]) -> list[str]:
        """The tools not on the remote PATH (one ssh call)."""
        names = [str(t) for t in tools]
        if not names:
            return []
        script = 'for t in "$@"; do command -v -- "$t" >/dev/null 2>&1 || echo "$t"; done'
        done = self._plain(["sh", "-c", script, "sh", *names], timeout=self.options.connect_timeout + 20)
        return [line for line in done.stdout.splitlines() if line in names]

    def which(self, tool: str) -> bool:
        """Whether ``tool`` is on the remote PATH; the first call looks up the common probe tools too (cached)."""
        if tool not in self._tools:
            names = list(dict.fromkeys([tool, *COMMON_TOOLS]))
            absent = set(self.missing(names))
            for name in names:
                self._tools[name] = name not in absent
        return self._tools[tool]

    def preflight(self, tools: Iterable[str]) -> None:
        """Raise MeasurementError naming the missing tools and how to install them."""
        needed = list(dict.fromkeys(["setsid", *tools]))
        missing = self.missing(needed)
        if missing:
            raise MeasurementError(
                f"{self.name}: missing on {self.options.host}: {', '.join(missing)}",
                install_command(self.options.host, missing))

    def tool_version(self, tool: str) -> str | None:
        """First line of ``TOOL --version`` (or ``TOOL -V``) on the remote host."""
        script = ('command -v -- "$1" >/dev/null 2>&1 || exit 3; '
                  'out=$("$1" --version 2>&1) || out=$("$1" -V 2>&1) || exit 4; '
                  'printf "%s\\n" "$out" | head -n 1')
        try:
            done = self._plain(["sh", "-c", script, "sh", str(tool)], timeout=self.options.connect_timeout + 20)
        except MeasurementError:
            return None
        line = done.stdout.strip()
        return line if done.returncode == 0 and line else None

    def address(self) -> str:
        return self.options.host

    def placement(self, role: Role) -> Placement:
        """Describe the remote host with one ssh call (a fixed script: no user data in it)."""
        done = self._plain(["sh", "-c", PLACEMENT_SCRIPT], timeout=self.options.connect_timeout + 20)
        parts = sections(done.stdout)
        extra = {"ssh": self.options.destination, "arch": parts.get("arch", "").strip()}
        if self.options.jump_host:
            extra["jump_host"] = self.options.jump_host
        if self.options.sudo:
            extra["sudo"] = "yes"
        return placement_from(parts, target=self.name, role=role, runner=self.kind, hostname=None,
                              fallback_hostname=self.options.host, extra=extra,
                              pinned_cpus=tuple(self.options.cpus) if self.options.cpus else None)

    def close(self) -> None:
        """Stop every spawned command still running; idempotent."""
        with self._lock:
            handles = list(self._handles)
        for handle in handles:
            try:
                handle.stop()
            except MeasurementError:
                pass
        self._closed = True


def from_spec(spec: TargetSpec) -> SSHRunner:
    """The ``runner: ssh`` factory: validate the target's options (file:line:col errors) and build the runner.

    Relative ``identity_file`` and ``known_hosts`` paths are read from the targets file's directory.
    """
    opts = spec.options_as(SSHOptions)
    base_dir: str | None = None
    if spec.location is not None and spec.location.file and not spec.location.file.startswith("target "):
        base_dir = str(Path(spec.location.file).resolve().parent)
    for key in ("identity_file", "known_hosts"):
        value = getattr(opts, key)
        if value is None:
            continue
        if not Path(resolve_path(value, base_dir)).is_file():
            raise spec.error(key, f"{key} {value!r}: file not found",
                             "give the path of an existing file (relative paths start at the targets file)")
    return SSHRunner(spec.name, opts, base_dir=base_dir)


@hookimpl
def advisor_runners() -> dict[str, Callable[[TargetSpec], Runner]]:
    """The built-in ``ssh`` runner."""
    return {"ssh": from_spec}
