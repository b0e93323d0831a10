"""The rule-test runner: counts, every mismatch with its position, no silent passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor import pipeline
from advisor.errors import CheckFailed, ExitCode

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "rules"


def run(*names: str) -> pipeline.RuleTestReport:
    return pipeline.run_rule_tests(pipeline.lint_pack([DATA / n for n in names], base=ROOT))


def test_fixture_packs_pass() -> None:
    report = run("base")
    assert report.ok and report.summary() == "ok: 7 rules, 16 rule cases, 2 pack cases; 18 passed, 0 failed"
    report.check()
    layered = run("base", "org")
    assert layered.ok and layered.rules == 7 and layered.pack_cases == 2


def test_every_mismatch_is_reported_with_its_position() -> None:
    report = run("failing-tests")
    assert report.summary() == "FAILED: 3 rules, 7 rule cases, 1 pack cases; 5 passed, 4 failed"
    d = "tests/data/rules/failing-tests"
    assert [p.format() for p in report.failures] == [
        f"{d}/perf/low-latency.yaml:20:7: rule 'low-latency' should not fire for this case but fired "
        "(latency_p99_ms = 0.9); fix the rule's 'when' or the test case",
        f"{d}/ops/many-versions.yaml:8:1: rule 'many-versions' has no 'does_not_fire' test case; "
        "add at least one partial profile under tests.does_not_fire",
        f"{d}/perf/net-slower.yaml:10:7: rule 'net-slower' should fire for this case but was unknown "
        "(unknown: measured.net.ratio is absent; latency_p99_ms = 5); fix the rule's 'when' or the test case",
        f"{d}/cases/hft.yaml:2:10: case 'HFT matching engine' expects vm but the pack recommends bare-metal: "
        "bare-metal has the higher score (1.0000 vs 0.0000), top drivers: low-latency; adjust the rules' "
        "weights or conditions, or the case",
    ]
    with pytest.raises(CheckFailed) as info:
        report.check()
    assert info.value.exit_code is ExitCode.CHECK_FAILED and int(info.value.exit_code) == 4
    assert len(info.value.problems) == 4


def test_a_pack_without_tests_fails() -> None:
    report = run("no-tests")
    assert not report.ok
    assert report.failures[-1].format() == (
        "no-tests@1: no tests found: no rule has test cases and the pack has no cases; "
        "add tests.fires and tests.does_not_fire to each rule"
    )
    assert [p.message for p in report.failures[:2]] == [
        "rule 'low-latency' has no 'fires' test case", "rule 'low-latency' has no 'does_not_fire' test case"]


def test_case_facts_come_from_the_assess_pipeline() -> None:
    # single-host-outage reads a graph fact computed from replicas_per_service; licence a derived fact
    report = run("base")
    assert report.ok
    pack = pipeline.load_pack([DATA / "base"], base=ROOT)
    shown = pipeline.rule_case_findings(pack, "single-host-outage")
    assert [(c.expect_fire, f.outcome) for c, f in shown] == [(True, "fired"), (False, "not-fired")]
