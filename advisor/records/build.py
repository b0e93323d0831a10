"""A proposed record built from a decision (:class:`advisor.decide.Decision`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from advisor._version import __version__
from advisor.decide.outcome import Decision
from advisor.records.model import (
    REVIEW_MONTHS,
    DecisionRecord,
    MeasurementsInfo,
    ProfileInfo,
    Recommendation,
    RulesInfo,
)
from advisor.records.naming import add_months, check_date, default_date, default_title


def recommendation_of(result: Decision) -> Recommendation:
    """What a record says was recommended for ``result``: its option when one is chosen, else ``none``.

    A tie, a measure-first outcome (an option leads, but a measurement could change it) and
    two ruled-out options recommend nothing. Everything that compares a re-evaluation with a
    record (``records diff``) reads the decision through this, as the record did.
    """
    chosen = result.outcome in ("recommend", "one-ruled-out")
    return result.recommendation if chosen and result.recommendation else "none"


def build_record(*, number: int, title: str | None, date: str | None, decision_makers: Sequence[str],
                 workload: str, profile: ProfileInfo, rules: RulesInfo, result: Decision,
                 graph: Mapping[str, Any], command: str = "", measurements: MeasurementsInfo | None = None,
                 tipping_points: Sequence[Mapping[str, Any]] = (), revisit_triggers: Sequence[str] = (),
                 supersedes: int | None = None, review_months: int = REVIEW_MONTHS,
                 context: Sequence[Mapping[str, Any]] = (),
                 rules_applied: Mapping[str, Mapping[str, Any]] | None = None,
                 confirmation: Sequence[Mapping[str, Any]] = (), mermaid: str = "",
                 tool_version: str = __version__) -> DecisionRecord:
    """A proposed record from a decision (:class:`advisor.decide.Decision`); ``graph`` is
    ``faultdomain.to_json(...)`` of the same facts."""
    day = check_date(date) if date else default_date()
    recommendation = recommendation_of(result)
    return DecisionRecord(
        number=number,
        title=title or default_title(workload, recommendation, result.outcome),
        date=day,
        decision_makers=list(decision_makers),
        supersedes=supersedes,
        review_by=add_months(day, review_months),
        workload=workload,
        recommendation=recommendation,
        outcome=result.outcome,
        configuration=result.configuration,
        probability=probability_of(result),
        close=result.uncertainty is not None and result.uncertainty.close,
        profile=profile,
        rules=rules,
        measurements=measurements or MeasurementsInfo(),
        tool_version=tool_version,
        command=command,
        decision=result,
        graph=dict(graph),
        tipping_points=[dict(t) for t in tipping_points],
        revisit_triggers=list(revisit_triggers),
        context=[dict(c) for c in context],
        rules_applied={k: dict(v) for k, v in (rules_applied or {}).items()},
        confirmation=[dict(c) for c in confirmation],
        mermaid=mermaid,
    )


def probability_of(result: Decision) -> float | None:
    """The probability that the recommended option is the better one (None without a comparison)."""
    p = result.p_bare_metal
    if p is None or result.recommendation is None:
        return None
    return p if result.recommendation == "bare-metal" else round(1.0 - p, 4) + 0.0
