"""What the remote runners (SSH and Kubernetes) share: paths, install hints, the placement script."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from advisor.measure.api import Placement, Role
from advisor.measure.runners import cpu_model_from_cpuinfo, parse_virtualization

__all__ = ["PLACEMENT_SCRIPT", "install_command", "placement_from", "resolve_path", "sections"]


def resolve_path(value: str, base_dir: str | None) -> str:
    """``~`` expanded; a relative path is taken from ``base_dir`` (the targets file's directory)."""
    path = Path(value).expanduser()
    if base_dir is not None and not path.is_absolute():
        path = Path(base_dir) / path
    return str(path)


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


def placement_from(parts: Mapping[str, str], *, target: str, role: Role, runner: str, hostname: str | None,
                   fallback_hostname: str, extra: Mapping[str, str], **fields: Any) -> Placement:
    """The placement a remote target reports through :data:`PLACEMENT_SCRIPT` (its :func:`sections`).

    ``hostname`` (when the runner knows it better, e.g. a pod's node) wins over the
    script's; ``fallback_hostname`` is used when neither says; ``fields`` are further
    :class:`~advisor.measure.api.Placement` fields (the pinned CPUs, the cgroup).
    """
    nproc = parts.get("nproc", "").strip()
    detect = parts.get("virt")
    return Placement(
        target=target, role=role, runner=runner,
        hostname=hostname or parts.get("hostname", "").strip() or fallback_hostname,
        cpu_model=cpu_model_from_cpuinfo(parts.get("cpuinfo", "")),
        cpus_online=int(nproc) if nproc.isdigit() else 0,
        kernel=parts.get("kernel", "").strip() or "unknown",
        virtualization=parse_virtualization(detect.strip() if detect else None, parts.get("cpuinfo", ""),
                                            parts.get("dmi")),
        extra=dict(extra),
        **fields,
    )
