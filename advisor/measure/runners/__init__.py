"""Runners: where probe commands run.

* :mod:`advisor.measure.runners.local`: this host, optionally confined (CPU pinning,
  a cgroup CPU quota, a private network namespace);
* ``ssh`` and ``kubernetes``: remote targets (their own modules).

This package also holds helpers every runner can use to describe its target
(:func:`remote_placement`, :func:`parse_virtualization`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from advisor.measure.api import Placement, ProbeError, Role, Runner

__all__ = ["DMI_VENDORS", "cpu_model_from_cpuinfo", "parse_virtualization", "remote_placement"]

#: /sys/class/dmi/id/sys_vendor (or product_name) -> hypervisor, when systemd-detect-virt is missing.
DMI_VENDORS: dict[str, str] = {
    "qemu": "kvm",
    "kvm": "kvm",
    "vmware": "vmware",
    "microsoft corporation": "microsoft",
    "xen": "xen",
    "innotek gmbh": "oracle",
    "amazon ec2": "amazon",
    "google": "google",
    "openstack": "kvm",
    "bochs": "bochs",
    "parallels": "parallels",
}


def parse_virtualization(detect_virt: str | None, cpuinfo: str, dmi: str | None) -> str:
    """'none' or the hypervisor, from systemd-detect-virt, the DMI vendor, or the cpuinfo flag.

    ``detect_virt`` is the output of ``systemd-detect-virt --vm`` (None if unavailable).
    """
    if detect_virt is not None and detect_virt.strip():
        return detect_virt.strip().splitlines()[0]
    if dmi:
        low = dmi.strip().lower()
        for key, name in DMI_VENDORS.items():
            if key in low:
                return name
    for line in cpuinfo.splitlines():
        if line.startswith("flags") and " hypervisor" in line.split(":", 1)[-1] + " ":
            return "unknown-hypervisor"
    return "none"


def cpu_model_from_cpuinfo(cpuinfo: str) -> str:
    """The ``model name`` of the first CPU (or the ARM fields), 'unknown' if absent."""
    for key in ("model name", "Model", "cpu model", "Hardware"):
        for line in cpuinfo.splitlines():
            if line.split(":", 1)[0].strip() == key and ":" in line:
                return line.split(":", 1)[1].strip()
    return "unknown"


def remote_placement(
    runner: Runner,
    role: Role,
    *,
    tools: Mapping[str, str] | None = None,
    pinned_cpus: tuple[int, ...] | None = None,
    cgroup: str | None = None,
    netns: str | None = None,
    extra: Mapping[str, str] | None = None,
    timeout: float = 15.0,
) -> Placement:
    """Describe a target by running ordinary commands through its runner (for SSH/Kubernetes runners)."""

    def out(*argv: str) -> str | None:
        with contextlib.suppress(ProbeError, OSError):
            done = runner.run(list(argv), timeout=timeout)
            if done.returncode == 0 or argv[0] == "systemd-detect-virt":
                return done.stdout.strip()
        return None

    cpuinfo = out("cat", "/proc/cpuinfo") or ""
    detect = out("systemd-detect-virt", "--vm") if runner.which("systemd-detect-virt") else None
    dmi = out("cat", "/sys/class/dmi/id/sys_vendor")
    nproc = out("nproc")
    return Placement(
        target=runner.name,
        role=role,
        runner=runner.kind,
        hostname=out("hostname") or out("uname", "-n") or "unknown",
        cpu_model=cpu_model_from_cpuinfo(cpuinfo),
        cpus_online=int(nproc) if nproc and nproc.isdigit() else 0,
        kernel=out("uname", "-r") or "unknown",
        virtualization=parse_virtualization(detect, cpuinfo, dmi),
        pinned_cpus=pinned_cpus,
        cgroup=cgroup,
        netns=netns,
        tool_versions=dict(tools or {}),
        extra=dict(extra or {}),
    )
