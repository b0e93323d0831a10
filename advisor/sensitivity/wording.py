"""How tipping points name answers and numbers: noun phrases, units, condition literals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_OPTION = {"bare-metal": "bare metal", "vm": "VM-backed"}

#: How sentences name an answer: (noun phrase, whether the question's unit follows a number).
_NOUNS: dict[str, tuple[str, bool]] = {
    "workload_class": ("the workload class", False),
    "latency_p99_ms": ("the p99 latency SLO", True),
    "untrusted_tenants": ("whether the tenants must be kept apart", False),
    "tenant_count": ("the number of tenants", False),
    "noisy_neighbor_sensitivity": ("the noisy-neighbour sensitivity", False),
    "compliance": ("the compliance regimes", False),
    "physical_hosts": ("the number of physical hosts", False),
    "racks": ("the number of racks", False),
    "microservices_per_host": ("the number of microservices per host", False),
    "replicas_per_service": ("the replicas per service", False),
    "vms_per_host": ("the VMs per host", False),
    "max_blast_radius_pct": ("the accepted blast radius", True),
    "clusters": ("the number of clusters", False),
    "k8s_versions_in_production": ("the Kubernetes minor versions in production", False),
    "crd_count": ("the number of CRDs", False),
    "crd_owning_teams": ("the number of teams shipping CRDs", False),
    "upgrades_per_year": ("the cluster upgrades per year", False),
    "upgrade_duration_days": ("the upgrade duration", True),
    "gpu": ("the GPU use", False),
    "special_networking": ("the special networking features", False),
    "existing_virtualization": ("the existing virtualization", False),
    "virtualization_expertise": ("the virtualization know-how", False),
    "bare_metal_automation": ("the bare-metal automation", False),
    "hypervisor_license_per_core_year": ("the hypervisor licence per core and year", False),
    "cores_per_host": ("the cores per host", False),
    "site_type": ("the site type", False),
    "hosts_per_site": ("the hosts per edge site", False),
    "vm_io_paths": ("the VM data-plane I/O paths", False),
    "vm_platform_licence_per_core_year": ("the VM platform licence per core and year", False),
    "k8s_surface_reduction": ("the node operating system's surface reduction", False),
    "demand_variability": ("the demand variability", False),
    "platform_team_size": ("the platform team", True),
}


def _number(value: Any) -> str:
    """A number as a condition literal and in sentences: ``12``, ``0.5``, ``1500``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value + "'"
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return _number(value)


def _noun(key: str) -> tuple[str, bool]:
    if key.startswith("priority_"):
        return f"the {key[len('priority_'):]} priority", False
    return _NOUNS.get(key, ("the " + key.replace("_", " "), True))


def _amount(key: str, value: Any, unit: str | None) -> str:
    """A number with its unit when the noun does not already say it: ``1 ms``, ``25%``, ``45``."""
    text = _number(value)
    if not unit or not _noun(key)[1]:
        return text
    return f"{text}{unit}" if unit in ("%", "x") else f"{text} {unit}"


def _join(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _digits(value: float) -> int:
    """Significant digits of a number as written: 1 for 0.5 and 100, 4 for 0.9995."""
    text = f"{value:.15g}".lstrip("-").split("e")[0].replace(".", "").lstrip("0").rstrip("0")
    return max(1, len(text))
