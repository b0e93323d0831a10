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
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shlex
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from pydantic import Field, field_validator

from advisor.errors import MeasurementError
from advisor.measure.api import Completed, Placement, ProbeError, ProbeTimeout, Role, Runner
from advisor.measure.hookspecs import hookimpl
from advisor.measure.runners import cpu_model_from_cpuinfo, parse_virtualization
from advisor.measure.targets import RunnerOptions, TargetSpec

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

#: ``user`` must look like a POSIX login name.
USER_RE = re.compile(r"^[a-z_][a-z0-9_.-]*$")
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
#: Characters refused in paths handed to ssh: ssh expands ``%x`` and ``${VAR}`` in
#: IdentityFile / UserKnownHostsFile, and the known-hosts path is double-quoted.
_PATH_BAD = re.compile(r"[%$\"\\\x00-\x1f\x7f]")
#: Tools looked up together on the first ``which`` (one connection instead of one per tool).
COMMON_TOOLS = ("sysbench", "stress-ng", "fio", "sockperf", "cyclictest", "taskset", "setsid", "mktemp", "getconf",
                "systemd-detect-virt")
#: Grace between SIGTERM and SIGKILL for a remote process group, in seconds.
KILL_GRACE = 2.0


class SSHError(MeasurementError):
    """The ssh connection itself failed (host key, authentication, network)."""


def validate_host(value: str, *, what: str = "host") -> str:
    """A hostname or an IP address; anything that could be an option or shell syntax is refused."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or text != value:
        raise ValueError(f"{what} must be a hostname or IP address without spaces")
    if text.startswith("-"):
        raise ValueError(f"{what} must not start with '-' (it would be read as an ssh option)")
    bare = text[1:-1] if text.startswith("[") and text.endswith("]") else text
    try:
        ipaddress.ip_address(bare)
        return bare
    except ValueError:
        pass
    if len(text) > 253 or not HOSTNAME_RE.match(text):
        raise ValueError(
            f"{what} {value!r} is not a hostname or IP address (letters, digits, '-', '_' and '.' only)")
    return text


def validate_user(value: str, *, what: str = "user") -> str:
    """A POSIX login name (``^[a-z_][a-z0-9_.-]*$``, at most 32 characters)."""
    if not isinstance(value, str) or len(value) > 32 or not USER_RE.match(value):
        raise ValueError(f"{what} {value!r} is not a login name (lower-case letters, digits, '_', '.', '-')")
    return value


def validate_jump_host(value: str) -> str:
    """``[user@]host[:port]``, or several separated by commas (ssh ``-J``); each part validated.

    OpenSSH turns ``-J`` into a ProxyCommand run by a local shell, so this is strict.
    """
    if not isinstance(value, str) or not value:
        raise ValueError("jump_host must be [user@]host[:port]")
    for hop in value.split(","):
        rest = hop
        if "@" in rest:
            user, rest = rest.split("@", 1)
            validate_user(user, what="jump_host user")
        port_text = None
        if rest.startswith("["):
            end = rest.find("]")
            if end < 0:
                raise ValueError(f"jump_host {hop!r}: unclosed '['")
            host, tail = rest[: end + 1], rest[end + 1:]
            if tail:
                if not tail.startswith(":"):
                    raise ValueError(f"jump_host {hop!r} is not [user@]host[:port]")
                port_text = tail[1:]
        elif rest.count(":") == 1:
            host, port_text = rest.split(":")
        else:
            host = rest
        validate_host(host, what="jump_host")
        if port_text is not None and (not port_text.isdigit() or not 1 <= int(port_text) <= 65535):
            raise ValueError(f"jump_host {hop!r}: port must be 1-65535")
    return value


def _validate_path(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    if not value or _PATH_BAD.search(value):
        raise ValueError(f"{what} must be a path without '%', '$', quotes, backslashes or control characters "
                         "(ssh would expand or split them)")
    if value.startswith("-"):
        raise ValueError(f"{what} must not start with '-'; write ./{value}")
    return value


class SSHOptions(RunnerOptions):
    """The ``runner: ssh`` options of a target (the target's keys besides name, role, runner, peer)."""

    host: str = Field(description="hostname or IP address of the target")
    port: int = Field(22, ge=1, le=65535, description="sshd port")
    user: str | None = Field(None, description="login name (default: ssh's, from ~/.ssh/config or the local user)")
    identity_file: str | None = Field(None, description="private key file (ssh -i); IdentitiesOnly is set")
    jump_host: str | None = Field(None, description="[user@]host[:port] of a bastion (ssh -J)")
    sudo: bool = Field(False, description="run probe commands through 'sudo -n' (passwordless sudo needed)")
    known_hosts: str | None = Field(
        None, description="known_hosts file to use instead of ~/.ssh/known_hosts and the global one")
    connect_timeout: int = Field(10, ge=1, le=300, description="seconds to wait for the connection")
    cpus: list[int] | None = Field(None, description="pin probe commands to these CPUs (taskset -c)")

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        return validate_host(v)

    @field_validator("user")
    @classmethod
    def _user(cls, v: str | None) -> str | None:
        return None if v is None else validate_user(v)

    @field_validator("jump_host")
    @classmethod
    def _jump(cls, v: str | None) -> str | None:
        return None if v is None else validate_jump_host(v)

    @field_validator("identity_file")
    @classmethod
    def _identity(cls, v: str | None) -> str | None:
        return _validate_path(v, "identity_file")

    @field_validator("known_hosts")
    @classmethod
    def _known_hosts(cls, v: str | None) -> str | None:
        return _validate_path(v, "known_hosts")

    @field_validator("cpus")
    @classmethod
    def _cpus(cls, v: list[int] | None) -> list[int] | None:
        if v is not None and (not v or any(c < 0 or c > 4095 for c in v)):
            raise ValueError("cpus must be a non-empty list of CPU numbers (0-4095)")
        return v

    @property
    def destination(self) -> str:
        """``user@host:port`` for messages."""
        who = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{who}{host}:{self.port}"


def resolve_path(value: str, base_dir: str | None) -> str:
    """``~`` expanded; a relative path is taken from ``base_dir`` (the targets file's directory)."""
    path = Path(value).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    return str(path)


def ssh_argv(opts: SSHOptions, remote: str, *, base_dir: str | None = None) -> list[str]:
    """The local ``ssh`` argument list running the (already quoted) ``remote`` command string.

    ``base_dir`` resolves relative identity_file / known_hosts paths (the targets file's directory).
    """

    def resolve(path: str) -> str:
        return resolve_path(path, base_dir)

    argv = [
        "ssh", "-T", "-x",
        "-o", "BatchMode=yes",
        "-o", "StrictHostKeyChecking=yes",
        "-o", f"ConnectTimeout={opts.connect_timeout}",
        "-o", "ServerAliveInterval=10",
        "-o", "ServerAliveCountMax=3",
        "-p", str(opts.port),
    ]
    if opts.user:
        argv += ["-l", opts.user]
    if opts.identity_file:
        argv += ["-i", resolve(opts.identity_file), "-o", "IdentitiesOnly=yes"]
    if opts.known_hosts:
        # quoted for ssh's own option parser (UserKnownHostsFile takes a list separated by spaces)
        argv += ["-o", f'UserKnownHostsFile="{resolve(opts.known_hosts)}"', "-o", "GlobalKnownHostsFile=/dev/null"]
    if opts.jump_host:
        argv += ["-J", opts.jump_host]
    argv += ["--", opts.host, remote]
    return argv


def remote_command(argv: Sequence[str], *, marker: str, sudo: bool = False,
                   cpus: Sequence[int] | None = None) -> str:
    """The command string the remote shell runs: ``argv`` in a new session, quoted for that shell.

    The new session's leader prints ``<marker>:<pgid>`` on stderr before it execs ``argv``.
    """
    if not argv:
        raise ProbeError("empty command", "give the program to run")
    inner = f'echo "{marker}:$$" >&2; exec "$@"'
    words: list[str] = ["setsid", "--wait", "sh", "-c", inner, "sh"]
    if cpus:
        words += ["taskset", "-c", ",".join(str(int(c)) for c in cpus)]
    words += [str(a) for a in argv]
    if sudo:
        words = ["sudo", "-n", "--", *words]
    return "exec " + shlex.join(words)


def install_command(host: str, tools: Iterable[str]) -> str:
    """``on HOST: apt-get install sysbench fio`` (Debian package names of the tools)."""
    packages: list[str] = []
    for tool in tools:
        pkg = _PACKAGE_OF.get(tool, tool)
        if pkg not in packages:
            packages.append(pkg)
    return f"on {host}: apt-get install {' '.join(packages)}"


#: Debian package of each probe tool whose package name differs from the command.
_PACKAGE_OF = {
    "cyclictest": "rt-tests",
    "taskset": "util-linux",
    "setsid": "util-linux",
    "ping": "iputils-ping",
    "nproc": "coreutils",
}


def _classify(opts: SSHOptions, stderr: str) -> SSHError:
    """A clear error for an ssh connection failure (ssh exited 255 before the command started)."""
    text = stderr.strip()
    last = text.splitlines()[-1] if text else "no output from ssh"
    dest = opts.destination
    if "Host key verification failed" in text or "REMOTE HOST IDENTIFICATION HAS CHANGED" in text:
        kh = opts.known_hosts or "~/.ssh/known_hosts"
        changed = "REMOTE HOST IDENTIFICATION HAS CHANGED" in text
        return SSHError(
            f"ssh to {dest}: host key verification failed"
            + (" (the host's key differs from the one in known_hosts)" if changed else " (host key unknown)"),
            f"check the key out of band (ssh-keyscan -p {opts.port} {opts.host} | ssh-keygen -lf -) "
            f"and put the right one in {kh}",
        )
    if "Permission denied" in text:
        return SSHError(f"ssh to {dest}: authentication failed ({last})",
                        "check user and identity_file; BatchMode is on, so no password is asked")
    if "Connection refused" in text or "timed out" in text or "resolve" in text or "No route" in text:
        return SSHError(f"ssh to {dest}: cannot connect ({last})", "check host, port and that sshd runs")
    return SSHError(f"ssh to {dest} failed ({last})", "run the same ssh command by hand with -v to see why")


def _no_client(exc: OSError) -> SSHError:
    return SSHError(f"cannot start the ssh client ({exc.strerror or exc})",
                    "install OpenSSH's client (apt-get install openssh-client) and put ssh on PATH")


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
            raise _no_client(exc) from None
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
            raise _classify(self.runner.options, stderr)
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
            raise _no_client(exc) from None
        except subprocess.TimeoutExpired:
            raise ProbeTimeout(f"ssh to {self.options.destination}: no answer within {timeout:g} s",
                               "check that the host is reachable") from None
        if done.returncode == 255:
            raise _classify(self.options, done.stderr)
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
        nproc = parts.get("nproc", "").strip()
        detect = parts.get("virt")
        extra = {"ssh": self.options.destination, "arch": parts.get("arch", "").strip()}
        if self.options.jump_host:
            extra["jump_host"] = self.options.jump_host
        if self.options.sudo:
            extra["sudo"] = "yes"
        return Placement(
            target=self.name, role=role, runner=self.kind,
            hostname=parts.get("hostname", "").strip() or self.options.host,
            cpu_model=cpu_model_from_cpuinfo(parts.get("cpuinfo", "")),
            cpus_online=int(nproc) if nproc.isdigit() else 0,
            kernel=parts.get("kernel", "").strip() or "unknown",
            virtualization=parse_virtualization(detect.strip() if detect else None, parts.get("cpuinfo", ""),
                                                parts.get("dmi")),
            pinned_cpus=tuple(self.options.cpus) if self.options.cpus else None,
            extra=extra,
        )

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


#: Fixed script (no user data) printing sections ``@@name`` followed by their text.
PLACEMENT_SCRIPT = """
echo @@hostname; uname -n
echo @@kernel; uname -r
echo @@arch; uname -m
echo @@nproc; nproc 2>/dev/null || getconf _NPROCESSORS_ONLN
echo @@cpuinfo; cat /proc/cpuinfo 2>/dev/null
if command -v systemd-detect-virt >/dev/null 2>&1; then echo @@virt; systemd-detect-virt --vm 2>/dev/null; fi
if [ -r /sys/class/dmi/id/sys_vendor ]; then echo @@dmi; cat /sys/class/dmi/id/sys_vendor; fi
exit 0
"""


def sections(text: str) -> dict[str, str]:
    """Split ``@@name`` sections of the placement script's output."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("@@") and line[2:].isidentifier():
            current = out.setdefault(line[2:], [])
        elif current is not None:
            current.append(line)
    return {k: "\n".join(v) for k, v in out.items()}


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
