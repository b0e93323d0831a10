"""Measured facts for a decision: which probes can change it, and the facts and summary of a recorded result.

:func:`probes_to_measure` says for each probe whether measuring it can change a
decision (its value of information, or a constraint waiting for it);
:func:`measurement_facts` reads a recorded measurement result (checked against its own
hash) into ``measured.*`` facts and the summary a record keeps (docs/measurement.md).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import records
from advisor.pipeline import shown_path
from advisor.rules import catalog as _catalog

if TYPE_CHECKING:
    from advisor import decide as decision_engine

__all__ = [
    "decision_before",
    "measurement_facts",
    "probes_to_measure",
]


def decision_before(result: decision_engine.Decision) -> dict[str, Any]:
    """What a record keeps of the decision before the measured facts were added."""
    return {"outcome": result.outcome, "recommendation": result.recommendation or "none",
            "configuration": result.configuration, "p_bare_metal_better": result.p_bare_metal,
            "close": result.uncertainty is not None and result.uncertainty.close}


def measurement_facts(path: str | os.PathLike[str], *, display: str | None = None,
                      before: decision_engine.Decision | None = None, skipped: Mapping[str, str] | None = None,
                      pack: decision_engine.Pack | None = None) -> tuple[dict[str, Any], records.MeasurementsInfo]:
    """The ``measured.*`` facts of a recorded measurement file and its summary for a record.

    The file is checked against its own sha256 (an edited result is refused). Without
    ``skipped``, and given ``pack`` and ``before``, the catalog probes absent from the
    file are listed with the reason :func:`probes_to_measure` gives, so a record made
    from a recorded result reads like the one made while measuring.
    """
    from advisor.measure.plugins import extensions
    from advisor.measure.results import load_result
    from advisor.measure.results import measured_facts as _measured_facts

    shown = display or shown_path(Path(path))
    result = load_result(path, display=shown)
    verdicts: list[dict[str, Any]] = []
    # an imitation (a confined local target) is not a measurement of the user's platforms: said in the record
    imitation = "; imitation, not counted" if result.imitations and not result.accept_imitation else \
        ("; imitation, accepted" if result.imitations else "")
    for probe in result.probes:
        main = probe.main_metric()
        comp = main.comparison if main is not None else None
        if main is None or comp is None:
            verdicts.append({"probe": probe.name, "verdict": probe.stopped, "note": probe.error or ""})
            continue
        verdict = f"refused: {probe.refused.split(':')[0]}" if probe.refused else comp.verdict
        verdicts.append({"probe": probe.name, "metric": f"{main.name} ({main.unit})", "ratio": comp.ratio,
                         "ci_low": comp.ci_low, "ci_high": comp.ci_high, "alpha": comp.alpha,
                         "verdict": verdict + imitation,
                         "runs": f"{comp.n_bare_metal}+{comp.n_vm}"})
    targets = []
    for t in result.targets:
        where = ", ".join(x for x in (
            f"CPUs {','.join(map(str, t.pinned_cpus))}" if t.pinned_cpus else "",
            t.cgroup or "", f"netns {t.netns}" if t.netns else "") if x) or "unpinned"
        if t.origin == "imitation":
            where = f"imitation ({where})"
        targets.append({"target": t.target, "role": t.role, "runner": t.runner, "host": t.hostname,
                        "cpu_model": t.cpu_model, "kernel": t.kernel, "virtualization": t.virtualization,
                        "placement": where})
    if skipped is None and pack is not None and before is not None:
        present = {p.name for p in result.probes}
        reasons = probes_to_measure(before, [p for p in fact_probes() if p not in present], pack)
        skipped = {p: why for p, why in reasons.items() if why}
    info = records.MeasurementsInfo(
        path=shown, sha256=result.sha256, verdicts=verdicts, targets=targets,
        before=None if before is None else decision_before(before),
        skipped=dict(skipped or {}),
    )
    return dict(_measured_facts(result, plugins=extensions().plugins)), info


def fact_probes() -> list[str]:
    """The probes whose verdicts rules can read: the catalog's and the measurement plugins' (in that order)."""
    from advisor.measure.plugins import extensions

    return [*_catalog.PROBES, *extensions().facts]


def probes_to_measure(result: decision_engine.Decision, available: Collection[str],
                      pack: decision_engine.Pack | None = None) -> dict[str, str]:
    """For each available probe: ``""`` when measuring it can change the decision, else why not.

    A probe matters when an end of the prior ranges it measures (alone or with other
    probes' ends) flips the decision (the decision's value of information,
    ``Decision.probes``), or when a constraint waits for its measurement (an option
    feasible only if it passes; ``pack`` names the measured fact).
    """
    waiting: set[str] = set()
    if pack is not None:
        by_id = {c.id: c for c in pack.constraints}
        for hit in result.constraints:
            rule = by_id.get(hit.rule_id)
            if hit.kind == "pending" and rule is not None and rule.rule.requires is not None \
                    and rule.rule.requires.measurement is not None:
                waiting.add(rule.rule.requires.measurement.fact.split(".")[1])
    values = {p.probe: p for p in result.probes}
    out: dict[str, str] = {}
    for probe in sorted(available):
        value = values.get(probe)
        if probe in waiting:
            out[probe] = ""
        elif result.outcome in ("one-ruled-out", "both-ruled-out"):
            out[probe] = "a constraint decided the result; no measurement can change it"
        elif value is None:
            out[probe] = "no consequence of the compared configurations rests on it"
        elif value.can_flip:
            out[probe] = ""
        else:
            out[probe] = "at either end of its range the decision stays the same"
    return out
