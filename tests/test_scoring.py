"""Scoring with hand-computed numbers: criteria, priorities, knock-outs, margin, confidence."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor import pipeline
from advisor.rules.model import Pack
from advisor.scoring import KNOCK_OUT_MASS, Result, priorities

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "rules"


@pytest.fixture(scope="module")
def base() -> Pack:
    return pipeline.load_pack([DATA / "base"], base=ROOT)


def run(pack: Pack, answers: dict[str, Any], measured: dict[str, Any] | None = None) -> Result:
    return pipeline.evaluate(answers, pack, measured=measured)


# Fired: low-latency (performance, bare-metal, 4 x peer-reviewed 1.0 = 4),
# untrusted-tenants (isolation, vm, 3 x vendor-claim 0.6 = 1.8),
# many-versions (operations, vm, 2 x expert-judgement 0.5 = 1).
# Unknown: net-slower (performance, 2 x measured-here 1.0), measured.net.ratio is absent.
PROFILE = {
    "latency_p99_ms": 0.5, "tenancy": "multi-tenant-untrusted", "k8s_versions_in_production": 3,
    "priority_performance": 5, "priority_isolation": 3, "priority_operations": 2,
}


def test_hand_computed_scores(base: Pack) -> None:
    r = run(base, PROFILE)
    # S_bm = 5 x 4 = 20; S_vm = 3 x 1.8 + 2 x 1 = 7.4; total 27.4
    assert r.scores == {"bare-metal": round(20 / 27.4, 4), "vm": round(7.4 / 27.4, 4)} == {
        "bare-metal": 0.7299, "vm": 0.2701}
    assert r.margin == round(12.6 / 27.4, 4) == 0.4599
    assert (r.recommendation, r.decided_by, r.close) == ("bare-metal", "score", False)
    assert r.reason == "bare-metal has the higher score (0.7299 vs 0.2701)"
    rows = {c.criterion: (c.priority, c.bare_metal, c.vm) for c in r.criteria}
    assert rows == {"performance": (5, 4.0, 0.0), "isolation": (3, 0.0, 1.8), "operations": (2, 0.0, 1.0),
                    "resilience": (3, 0.0, 0.0), "cost": (3, 0.0, 0.0)}
    points = {c.rule_id: (c.value, c.points) for c in r.contributions}
    assert points == {"low-latency": (4.0, 0.7299), "many-versions": (1.0, 0.073),
                      "untrusted-tenants": (1.8, 0.1971)}
    assert r.drivers == ["low-latency", "untrusted-tenants", "many-versions"]
    assert r.unknown_rules == ["net-slower"] and r.unknown_facts == ["measured.net.ratio"]


def test_hand_computed_confidence(base: Pack) -> None:
    c = run(base, PROFILE).confidence
    # masses m = priority x weight: 5 x 4 = 20, 3 x 3 = 9, 2 x 2 = 4 (sum 33); graded: 20 + 5.4 + 2 = 27.4
    # unknown net-slower: 5 x 2 x 1.0 = 10
    assert c.evidence_quality == round(27.4 / 33, 4) == 0.8303
    assert c.known_share == round(27.4 / 37.4, 4) == 0.7326
    assert c.value == round(27.4 / 33 * 27.4 / 37.4, 4) == 0.6083


def test_every_point_is_traceable_to_a_fired_rule(base: Pack) -> None:
    r = run(base, PROFILE)
    for option in ("bare-metal", "vm"):
        total = sum(c.points for c in r.contributions if c.favours == option)
        assert abs(total - r.scores[option]) <= 2e-4
    fired = {f.rule_id for f in r.findings if f.outcome == "fired"}
    assert {c.rule_id for c in r.contributions} <= fired


def test_nothing_fired_is_an_even_close_tie(base: Pack) -> None:
    r = run(base, {})
    assert r.scores == {"bare-metal": 0.5, "vm": 0.5}
    assert (r.margin, r.close, r.recommendation, r.decided_by) == (0.0, True, "none", "tie")
    assert r.reason == "the scores are equal; no rule decides between them"
    assert r.confidence.value == 1.0 and r.contributions == [] and r.drivers == []


def test_close_when_margin_under_threshold(base: Pack) -> None:
    r = run(base, {**PROFILE, "priority_performance": 2, "priority_operations": 3})
    # S_bm = 2 x 4 = 8; S_vm = 3 x 1.8 + 3 x 1 = 8.4; margin 0.4 / 16.4 = 0.0244 < 0.15
    assert r.scores == {"bare-metal": 0.4878, "vm": 0.5122}
    assert (r.margin, r.close, r.recommendation) == (0.0244, True, "vm")


def test_knock_out_wins_whatever_the_scores(base: Pack) -> None:
    r = run(base, {"tenancy": "multi-tenant-untrusted", "bare_metal_mandated": True})
    assert r.scores == {"bare-metal": 0.0, "vm": 1.0}
    assert (r.recommendation, r.decided_by, r.ruled_out, r.close) == ("bare-metal", "knock-out", ["vm"], False)
    assert [k.rule_id for k in r.knock_outs] == ["mandated"]
    assert r.reason == "vm is ruled out: A contract forbids a hypervisor layer (mandated)"


def test_both_ruled_out_recommends_none_with_both_reasons() -> None:
    pack = pipeline.load_pack([DATA / "base", DATA / "org-knockout"], base=ROOT)
    r = run(pack, {"bare_metal_mandated": True, "existing_virtualization": "public-cloud"})
    assert (r.recommendation, r.ruled_out) == ("none", ["bare-metal", "vm"])
    assert r.reason == ("both options are ruled out: bare-metal: We own no servers outside the public cloud "
                        "(no-spare-hardware); vm: A contract forbids a hypervisor layer (mandated)")


def test_confidence_falls_with_unknown_rules(base: Pack) -> None:
    known = run(base, PROFILE, {"measured.net.ratio": 1.1}).confidence
    unknown = run(base, PROFILE).confidence
    assert known.known_share == 1.0 and known.value == known.evidence_quality
    assert unknown.value < known.value


def test_confidence_falls_with_weak_evidence_grades(base: Pack) -> None:
    strong = run(base, {"latency_p99_ms": 0.5}, {"measured.net.ratio": 1.0})
    weak = run(base, {"tenancy": "multi-tenant-untrusted"})
    weaker = run(base, {"k8s_versions_in_production": 3})
    assert strong.confidence.value == 1.0
    assert weak.confidence.value == 0.6  # vendor-claim
    assert weaker.confidence.value == 0.5  # expert-judgement


def test_a_fired_knock_out_weighs_like_the_strongest_rule(base: Pack) -> None:
    assert KNOCK_OUT_MASS == 50  # priority 5 x weight 10
    r = run(base, {"bare_metal_mandated": True, "latency_p99_ms": 0.5}, {"measured.net.ratio": 1.0})
    # mandated: 50 x field-report 0.7 = 35; low-latency: 3 x 4 x 1.0 = 12 -> quality 47 / 62
    assert r.confidence.evidence_quality == round(47 / 62, 4) == 0.7581


def test_layer_weight_override_and_disable_change_the_score() -> None:
    layered = pipeline.load_pack([DATA / "base", DATA / "org"], base=ROOT)
    r = run(layered, {"k8s_versions_in_production": 3, "latency_p99_ms": 1.5, "existing_virtualization": "vsphere",
                      "hypervisor_license_per_core_year": 1000})
    points = {c.rule_id: c.value for c in r.contributions}
    assert points == {"many-versions": 2.5, "low-latency": 5.0}  # 5 x 0.5; org's rule 5 x measured-here 1.0
    assert r.disabled == {"licence": "We have an enterprise agreement with a flat fee"}
    assert r.close_threshold == 0.2 and r.packs == ["base@1", "org@1"]


def test_priorities_default_to_three() -> None:
    assert priorities({"priority_cost": 5}) == {
        "performance": 3, "isolation": 3, "operations": 3, "resilience": 3, "cost": 5}


def test_json_is_deterministic_and_rounded(base: Pack) -> None:
    a = run(base, PROFILE).to_json()
    b = run(base, dict(reversed(list(PROFILE.items())))).to_json()
    assert a == b
    assert a.endswith("}\n")
    data = json.loads(a)
    assert list(data) == sorted(data)

    def floats(x: Any) -> list[float]:
        if isinstance(x, float):
            return [x]
        if isinstance(x, dict):
            return [f for v in x.values() for f in floats(v)]
        if isinstance(x, list):
            return [f for v in x for f in floats(v)]
        return []

    for key in ("scores", "margin", "confidence", "criteria", "contributions"):
        assert all(round(f, 4) == f for f in floats(data[key])), key
