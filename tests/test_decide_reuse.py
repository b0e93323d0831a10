"""What-if decisions that reuse earlier ones (advisor.decide.reuse) are the decisions made from scratch.

A tipping-point search decides one profile many times, one answer changed at a time, and
keeps each rule's result by the values of what the rule reads, and each option's
configurations by what all its rules read; its variants are brief decisions (no criteria,
no "rests on"). On every example profile and every case of the bundled pack, each
decision of the record's search (and of a longer what-if search on two of them) must
equal, field by field and float by float, the decision made with no reuse and no shared
draws (less those two fields for a brief one); and the reuse must really happen.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from advisor import decide, pipeline, tipping
from advisor import profile as profiles
from advisor.decide.reuse import Reuse
from advisor.questionnaire import Questionnaire

ROOT = Path(__file__).resolve().parent.parent
PROFILES = sorted((ROOT / "docs" / "examples" / "profiles").glob("*.profile.yaml"))


@pytest.fixture(scope="module")
def bundled() -> tuple[Questionnaire, decide.Pack]:
    """The bundled questionnaire and the pack loaded with it."""
    questionnaire = pipeline.load_questionnaire()
    return questionnaire, pipeline.load_decision_pack(questionnaire=questionnaire)


class _Checked:
    """``decide.decide`` that also decides each call from scratch and requires the same decision."""

    def __init__(self) -> None:
        self.real = decide.decide
        self.calls = 0
        self.reused: list[Reuse] = []

    def __call__(self, pack: decide.Pack, facts: Mapping[str, Any], **kw: Any) -> decide.Decision:
        got = self.real(pack, facts, **kw)
        fresh = self.real(pack, facts, seed=kw.get("seed"), units=kw.get("units"), samples=kw.get("samples"))
        if kw.get("brief"):  # a what-if variant: all but the criteria and what the result rests on
            assert fresh.uncertainty is None or got.uncertainty is not None
            fresh = fresh.model_copy(update={"criteria": [], "uncertainty": None if fresh.uncertainty is None else
                                             fresh.uncertainty.model_copy(update={"rests_on": []})})
        assert got == fresh, sorted(k for k in facts if not k.startswith("graph."))
        self.calls += 1
        if kw.get("reuse") is not None and kw["reuse"] not in self.reused:
            self.reused.append(kw["reuse"])
        return got


@pytest.fixture()
def checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Checked]:
    check = _Checked()
    monkeypatch.setattr(decide, "decide", check)
    yield check


def _cases(pack: decide.Pack) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(c.model.name, dict(c.model.answers), dict(c.model.measured)) for c in pack.cases]


def test_every_example_profile_and_case_decides_the_same_with_reuse(
        bundled: tuple[Questionnaire, decide.Pack], checked: _Checked) -> None:
    q, pack = bundled
    subjects: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (p.name, dict(profiles.load(p, q).values()), {}) for p in PROFILES]
    subjects += _cases(pack)
    assert len(subjects) >= 30  # the 6 example profiles and the pack's cases
    for name, answers, measured in subjects:
        facts = pipeline.decision_facts(answers, q, measured=measured or None)
        measured_facts = {k: v for k, v in facts.items() if k.startswith("measured.")} or None
        before = checked.calls
        tipping.tipping_points(answers, pack, q, measured=measured_facts, budget_ms=tipping.RECORD_BUDGET_MS)
        assert checked.calls > before, name
    reused = sum(len(r.options) for r in checked.reused)
    kept_rules = sum(len(r.rules) for r in checked.reused)
    # each option of each decision would be a new entry without reuse; a rule result per configuration key too
    assert reused < 2 * checked.calls and kept_rules > 0


@pytest.mark.parametrize("name", ["payments-api.profile.yaml", "hft-matching-engine.profile.yaml"])
def test_a_long_whatif_search_decides_the_same_with_reuse(bundled: tuple[Questionnaire, decide.Pack],
                                                           checked: _Checked, name: str) -> None:
    q, pack = bundled
    answers = profiles.load(ROOT / "docs" / "examples" / "profiles" / name, q).values()
    analysis = tipping.tipping_points(answers, pack, q, budget_ms=400.0)
    assert analysis.evaluations > 40 and checked.calls == analysis.evaluations + 1  # and the profile itself


def test_a_changed_fact_a_rule_reads_is_never_reused(bundled: tuple[Questionnaire, decide.Pack]) -> None:
    """Variants decided one after another with one Reuse give the decisions made from scratch."""
    q, pack = bundled
    reuse = Reuse()
    draws: dict[tuple[int, int], Any] = {}
    variants: list[dict[str, Any]] = [
        {}, {"latency_p99_ms": 0.5}, {"latency_p99_ms": 0.5, "priority_cost": 5}, {"physical_hosts": 200},
        {"tenancy": "multi-tenant-untrusted"}, {}, {"latency_p99_ms": 0.5}]
    units = pipeline.question_units(q)
    for answers in variants:
        facts = pipeline.decision_facts(answers, q)
        got = decide.decide(pack, facts, seed=11, units=units, draws=draws, reuse=reuse)
        assert got == decide.decide(pack, facts, seed=11, units=units), answers
    assert len(reuse.options) < 2 * len(variants)  # the repeated variants reused both options
