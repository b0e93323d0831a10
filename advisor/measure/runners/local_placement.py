"""What the ``local`` runner says about its target: this host, its virtualization, the runner's confinement."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.measure.api import Placement, Role
from advisor.measure.runners import cpu_model_from_cpuinfo, parse_virtualization

if TYPE_CHECKING:
    from advisor.measure.runners.local import LocalRunner

__all__ = ["host_virtualization", "local_placement"]


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
