"""Placement fairness: refuse a VM / bare-metal ratio that would measure something else.

A ratio of two targets means "the cost of the virtualization layer" only when the
two runs differ in that layer and not in the hardware or the placement. Each target's
placement (node, CPU model, kernel, virtualization detected, pinning) is recorded in
the result file; :func:`problems` names the differences that make the ratio
meaningless. ``advisor measure`` and ``advisor assess`` refuse to use such a
comparison unless ``--force`` is given, and then record why it was forced.
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.measure.api import Placement

__all__ = ["problems"]

_UNKNOWN = {"", "unknown", "-"}


def problems(targets: Sequence[Placement]) -> list[str]:
    """Why the bare-metal and vm placements cannot be compared (empty: they can)."""
    by_role = {t.role: t for t in targets}
    bm, vm = by_role.get("bare-metal"), by_role.get("vm")
    if bm is None or vm is None:
        return []
    out: list[str] = []
    if bm.cpu_model.strip() not in _UNKNOWN and vm.cpu_model.strip() not in _UNKNOWN \
            and bm.cpu_model.strip() != vm.cpu_model.strip():
        out.append(f"different CPU models: {bm.cpu_model!r} ({bm.target}) vs {vm.cpu_model!r} ({vm.target}); "
                   "the ratio would compare hardware, not the virtualization layer")
    if (bm.pinned_cpus is None) != (vm.pinned_cpus is None):
        pinned = bm if bm.pinned_cpus is not None else vm
        out.append(f"only {pinned.target} is pinned to CPUs; the ratio would compare scheduling, not platforms "
                   "(pin both targets, or neither)")
    elif bm.pinned_cpus is not None and vm.pinned_cpus is not None and len(bm.pinned_cpus) != len(vm.pinned_cpus):
        out.append(f"{bm.target} is pinned to {len(bm.pinned_cpus)} CPU(s) and {vm.target} to "
                   f"{len(vm.pinned_cpus)}; pin both to the same number of CPUs")
    if bm.virtualization not in ("none", *_UNKNOWN) and vm.virtualization == "none":
        out.append(f"the bare-metal target {bm.target} runs under {bm.virtualization} but the vm target "
                   f"{vm.target} detects no hypervisor; the roles look swapped")
    return out
