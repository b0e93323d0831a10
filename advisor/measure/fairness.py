"""Placement fairness: refuse a VM / bare-metal ratio that would measure something else.

A ratio of two targets means "the cost of the virtualization layer" only when the
two runs differ in that layer and not in the hardware, the placement or the host's
settings. Each target's placement (node, CPU model, kernel, virtualization detected,
pinning, confounders) is recorded in the result file; :func:`problems` names the
differences that make the ratio meaningless. ``advisor measure`` and ``advisor
assess`` refuse to use such a comparison unless ``--force-compare`` is given, and then record
why it was forced. :func:`warnings` names what the user must know but that does not
make the ratio meaningless: a "bare-metal" target that is a VM, imitation targets.
(Unfair network paths are refused per probe by the session: see
:func:`advisor.measure.session.path_kind`.)
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.measure.api import Placement
from advisor.measure.confounders import differences

__all__ = ["problems", "warnings"]

_UNKNOWN = {"", "unknown", "-"}


def problems(targets: Sequence[Placement]) -> list[str]:
    """Why the bare-metal and vm placements cannot be compared (empty: they can); several hosts per platform
    are compared in pairs (the i-th bare-metal target with the i-th vm target), each pair on its own."""
    bms = [t for t in targets if t.role == "bare-metal"]
    vms = [t for t in targets if t.role == "vm"]
    return [why for bm, vm in zip(bms, vms, strict=False) for why in _pair_problems(bm, vm)]


def _pair_problems(bm: Placement, vm: Placement) -> list[str]:
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
    for key, a, b in differences(bm.confounders, vm.confounders):
        out.append(f"different {key}: {a!r} on {bm.target} vs {b!r} on {vm.target}; the ratio would measure "
                   f"the {key} setting, not the platform (set it alike on both)")
    return out


def warnings(targets: Sequence[Placement]) -> list[str]:
    """What the comparison is (imitations, a virtualized "bare-metal" target), one sentence each."""
    out: list[str] = []
    for t in targets:
        if t.role == "bare-metal" and t.virtualization not in ("none", *_UNKNOWN):
            out.append(f"the bare-metal target {t.target} is itself a virtual machine ({t.virtualization}): "
                       "its figures are those of a VM, not of bare metal")
        if t.origin == "imitation":
            out.append(f"{t.target} is an imitation ({t.origin_reason or 'not the platform itself'}): its verdicts "
                       "describe the imitation, not your platforms, and give no measured facts unless "
                       "--accept-imitation")
    return out
