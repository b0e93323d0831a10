"""A real, throwaway OpenSSH server on 127.0.0.1 for the SSH runner tests.

``start_sshd(tmp)`` generates a host key and a user key in ``tmp``, writes an
sshd_config that listens only on 127.0.0.1 on a free non-default port, authorises
the user key for the current user (root in CI: ``PermitRootLogin
prohibit-password``) and starts ``/usr/sbin/sshd -D -e``. Needs Debian's
openssh-server and openssh-client (see .ci/debian-packages) and root.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import support

SSHD_BIN = "/usr/sbin/sshd"


def sshd_unavailable() -> str | None:
    """Why a test sshd cannot run here, or None."""
    if not Path(SSHD_BIN).exists() or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "needs Debian's openssh-server and openssh-client (see .ci/debian-packages)"
    if os.geteuid() != 0:
        return "sshd must start as root"
    return None


@dataclass
class SSHD:
    """A running test sshd and the files a client needs."""

    dir: Path
    port: int
    user: str
    identity_file: Path
    known_hosts: Path
    host_pub: str
    proc: subprocess.Popen[bytes]
    log: Path
    extra: dict[str, str] = field(default_factory=dict)

    def options(self, **overrides: object) -> dict[str, object]:
        """SSH runner options reaching this server."""
        opts: dict[str, object] = {
            "host": "127.0.0.1", "port": self.port, "user": self.user,
            "identity_file": str(self.identity_file), "known_hosts": str(self.known_hosts),
            "connect_timeout": 5,
        }
        opts.update(overrides)
        return opts

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def keygen(path: Path, comment: str) -> str:
    """Generate an ed25519 key without passphrase; return the public key line."""
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
                   check=True, stdin=subprocess.DEVNULL)
    return path.with_name(path.name + ".pub").read_text().strip()


def _ready(port: int, proc: subprocess.Popen[bytes], deadline: float) -> bool:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(64).startswith(b"SSH-2.0"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def start_sshd(tmp: Path) -> SSHD:
    """Start a throwaway sshd (see the module docstring); the caller stops it."""
    tmp.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege-separation directory
    host_pub = keygen(tmp / "host_ed25519", "advisor-test-host")
    keydir = tmp / "user keys"  # a space in the path: identity_file must be passed as data
    keydir.mkdir()
    user_pub = keygen(keydir / "id ed25519", "advisor-test-user")
    (tmp / "authorized_keys").write_text(user_pub + "\n")
    user = getpass.getuser()
    log = tmp / "sshd.log"
    for _attempt in range(5):
        port = _free_port()
        config = tmp / "sshd_config"
        config.write_text("\n".join([
            f"Port {port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {tmp / 'host_ed25519'}",
            f"PidFile {tmp / 'sshd.pid'}",
            f"AuthorizedKeysFile {tmp / 'authorized_keys'}",
            "StrictModes no",
            "UsePAM no",
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PrintMotd no",
            "PermitUserEnvironment no",
            "MaxStartups 50:30:100",
            "LogLevel INFO",
            "",
        ]))
        proc = subprocess.Popen([SSHD_BIN, "-D", "-e", "-f", str(config), "-p", str(port)],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=log.open("wb"), start_new_session=True)
        if _ready(port, proc, time.monotonic() + 10):
            known = tmp / "known_hosts"
            known.write_text(f"[127.0.0.1]:{port} {host_pub}\n")
            return SSHD(tmp, port, user, keydir / "id ed25519", known, host_pub, proc, log)
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    raise RuntimeError("test sshd did not start:\n" + log.read_text(errors="replace"))


#: Hold the lock that the CPU known-answer tests hold (tests/test_measure_known_answer.py),
#: so a test that runs benchmarks does not disturb them on another xdist worker.
cpu_heavy = support.cpu1_lock
