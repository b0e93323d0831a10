"""Three-valued rule evaluation and the explanations of findings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from advisor import pipeline
from advisor.rules.engine import evaluate_rule, evaluate_rules, format_value, outcomes
from advisor.rules.model import Pack

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "rules"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return pipeline.load_pack([DATA / "base", DATA / "org"], base=ROOT)


def facts(answers: dict[str, Any], measured: dict[str, Any] | None = None) -> dict[str, Any]:
    return pipeline.build_facts(answers, pipeline.load_questionnaire(), measured=measured)


@pytest.mark.parametrize(("answers", "measured", "outcome", "explanation"), [
    ({"latency_p99_ms": 5}, {"measured.net.ratio": 1.8}, "fired", "latency_p99_ms = 5, measured.net.ratio = 1.8"),
    ({"latency_p99_ms": 5}, {"measured.net.ratio": 1.2}, "not-fired", "latency_p99_ms = 5, measured.net.ratio = 1.2"),
    ({"latency_p99_ms": 5}, None, "unknown", "unknown: measured.net.ratio is absent; latency_p99_ms = 5"),
    # false and unknown is false: the absent fact does not matter, but it is still named
    ({"latency_p99_ms": 50}, None, "not-fired", "latency_p99_ms = 50; measured.net.ratio is absent"),
])
def test_three_valued_outcomes(pack: Pack, answers: dict[str, Any], measured: dict[str, Any] | None,
                               outcome: str, explanation: str) -> None:
    finding = evaluate_rule(pack.rule("net-slower"), facts(answers, measured))
    assert (finding.outcome, finding.explanation) == (outcome, explanation)
    assert finding.fired is (outcome == "fired")


def test_unknown_lists_every_absent_fact(pack: Pack) -> None:
    f = facts({"latency_p99_ms": 5})
    del f["latency_p99_ms"]
    finding = evaluate_rule(pack.rule("net-slower"), f)
    assert finding.outcome == "unknown"
    assert finding.explanation == "unknown: latency_p99_ms, measured.net.ratio are absent"
    assert finding.missing == ("latency_p99_ms", "measured.net.ratio")


def test_evaluate_rules_skips_disabled_rules_and_orders_by_id(pack: Pack) -> None:
    findings = evaluate_rules(pack, facts({}))
    ids = [f.rule_id for f in findings]
    assert ids == sorted(ids)
    assert "licence" not in ids  # disabled by the org layer
    assert len(ids) == len(pack.rules) - 1


def test_fast_path_agrees_with_findings(pack: Pack) -> None:
    for answers in ({}, {"latency_p99_ms": 0.5, "tenancy": "multi-tenant-untrusted"}, {"bare_metal_mandated": True}):
        f = facts(answers)
        expected = [{"fired": True, "not-fired": False, "unknown": None}[x.outcome] for x in evaluate_rules(pack, f)]
        assert outcomes(pack.enabled, f) == expected


@pytest.mark.parametrize(("value", "text"), [
    (True, "true"), (False, "false"), ("multi-team", "'multi-team'"), (["none"], "['none']"), (0.1 + 0.2, "0.3"),
    (3, "3"), (15.789473684210526, "15.7895"),
])
def test_format_value(value: object, text: str) -> None:
    assert format_value(value) == text
