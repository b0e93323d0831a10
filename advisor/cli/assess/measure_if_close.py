"""``advisor assess --measure``: run the probes that could flip a close decision, then decide with their facts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import console
from advisor.cli.assess.resume import free_name
from advisor.cli.common import measurement_progress
from advisor.errors import Interrupted, Location, MeasurementError, Problem

if TYPE_CHECKING:
    from advisor.decide import Decision, Pack
    from advisor.profile import Profile
    from advisor.questionnaire import Questionnaire
    from advisor.records import MeasurementsInfo

__all__ = ["measure_if_close", "profiles_default_slug", "slo_us", "worth_measuring"]


def worth_measuring(result: Decision) -> bool:
    """Measure (``--measure auto``) when the decision is close or says measure first."""
    return result.outcome == "measure-first" or (result.uncertainty is not None and result.uncertainty.close)


def measure_if_close(before: Decision, pack: Pack, profile: Profile, questionnaire: Questionnaire,
             targets_path: Path, records_dir: Path, all_probes: bool, budget_s: float | None,
             force_compare: bool, allow_disturbed: bool = False, accept_imitation: bool = False, *,
             always: bool = False) -> tuple[dict[str, Any] | None, MeasurementsInfo]:
    """Run the probes that could flip ``before`` (its value of information) on the targets; write the result next
    to the records."""

    from advisor import measuring
    from advisor.measure import fairness
    from advisor.measure.manager import load_registry
    from advisor.measure.run import run_targets
    from advisor.measure.session import DEFAULT_BUDGET_S
    from advisor.measure.targets import load_targets
    from advisor.records import MeasurementsInfo, default_date

    registry = load_registry()
    for warning in registry.warnings:
        console.err(f"advisor: warning: {warning}")
    specs = load_targets(targets_path)
    # probes other than the catalog's have no facts a rule could read: only --all-probes runs them
    readable = measuring.fact_probes()
    reasons = measuring.probes_to_measure(before, [p for p in registry.probes if p in readable], pack)
    chosen = sorted(registry.probes) if all_probes else [p for p, why in reasons.items() if not why]
    skipped = {} if all_probes else {p: why for p, why in reasons.items() if why}
    for name, why in sorted(skipped.items()):
        console.err(f"advisor: not measuring {name}: {why}")
    before_info = measuring.decision_before(before)
    if not chosen:
        console.err("advisor: no measurement could change this decision; not measuring")
        return None, MeasurementsInfo(before=before_info, skipped=skipped)
    budget = budget_s or DEFAULT_BUDGET_S["quick"]
    bar, on_progress = measurement_progress(budget)
    with bar:
        result = run_targets(registry, specs, [registry.probes[n] for n in chosen], budget_s=budget, band=None,
                             suite="quick", on_progress=on_progress, allow_disturbed=allow_disturbed,
                             accept_imitation=accept_imitation, slo_us=slo_us(before))
    result.notes.extend(fairness.warnings(result.targets))
    for warning in fairness.warnings(result.targets):
        console.err(f"advisor: note: {warning}")
    for pr in result.probes:
        if pr.refused:
            console.err(f"advisor: {pr.name}: verdicts refused: {pr.refused}")
    unfair = fairness.problems(result.targets) if not result.interrupted else []
    if unfair and force_compare:
        result.notes.append("compared with --force-compare although: " + "; ".join(unfair))
    slug = profiles_default_slug(profile)
    path = free_name(records_dir / "measurements" / f"{slug}-{default_date()}.yaml")
    digest = result.to_file(path)
    console.err(f"advisor: measurement written to {path} (sha256 {digest[:12]})")
    if result.interrupted:
        raise Interrupted(f"interrupted; the finished runs were kept in {path}",
                          f"decide with them: advisor assess --profile {profile.path} --measurements {path}")
    idle = [p for p in result.probes if p.stopped == "skipped"]
    if idle and len(idle) == len(result.probes):
        # no probe could run (its tools are missing): asked to measure, that is a failure, not a silent 0
        lines = [Problem(f"probe {p.name} cannot run: {p.error}", None, Location(str(targets_path))) for p in idle]
        if always:
            raise MeasurementError("", problems=[*lines, Problem("nothing was measured", "install the tools "
                                                                 "above on the targets, then run again")])
        for line in lines:
            console.err(f"advisor: warning: {line.message}")
    if unfair and not force_compare:
        raise MeasurementError("", problems=[
            Problem(f"cannot compare the targets: {why}", "fix the targets file or use --force-compare",
                    Location(str(targets_path))) for why in unfair
        ] + [Problem(f"the runs were kept in {path}", "no record was written")])
    return measuring.measurement_facts(path, before=before, skipped=skipped, pack=pack)


def slo_us(before: Decision) -> float | None:
    """The decision's p99 SLO in microseconds (the bands of the latency probes come from it), or None."""
    value = before.facts.get("latency_p99_ms")
    return float(value) * 1000 if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def profiles_default_slug(profile: Profile) -> str:
    from advisor import profile as profiles

    return profiles.default_output(profile).name.removesuffix(".profile.yaml")
