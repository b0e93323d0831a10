"""The ``runner: ssh`` options, their validation, and the ``ssh`` command lines built from them.

Every target value is validated (hostnames, users, ports, paths) and ``--`` always
precedes the destination, so no value can become an ``ssh`` option; the remote
command is built with :func:`shlex.join`, so every argument reaches the remote
program as inert data (see :mod:`advisor.measure.runners.ssh`).
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Sequence

from pydantic import Field, field_validator

from advisor.errors import MeasurementError
from advisor.measure.api import ProbeError
from advisor.measure.runners._remote import resolve_path
from advisor.measure.targets import RunnerOptions

__all__ = [
    "SSHError",
    "SSHOptions",
    "classify_failure",
    "no_client",
    "remote_command",
    "ssh_argv",
    "validate_host",
    "validate_jump_host",
    "validate_user",
]

#: ``user`` must look like a POSIX login name.
USER_RE = re.compile(r"^[a-z_][a-z0-9_.-]*$")
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
HOSTNAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
#: Characters refused in paths handed to ssh: ssh expands ``%x`` and ``${VAR}`` in
#: IdentityFile / UserKnownHostsFile, and the known-hosts path is double-quoted.
_PATH_BAD = re.compile(r"[%$\"\\\x00-\x1f\x7f]")


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


def classify_failure(opts: SSHOptions, stderr: str) -> SSHError:
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


def no_client(exc: OSError) -> SSHError:
    return SSHError(f"cannot start the ssh client ({exc.strerror or exc})",
                    "install OpenSSH's client (apt-get install openssh-client) and put ssh on PATH")
