"""The default rule pack in rules/: it loads, and its own tests and cases pass (the one place they run)."""

from __future__ import annotations

from pathlib import Path

from advisor import pipeline

ROOT = Path(__file__).resolve().parent.parent


def test_default_pack_passes_its_rule_tests() -> None:
    pack = pipeline.lint_pack([ROOT / "rules"], base=ROOT)
    assert len(pack.rules) >= 30
    report = pipeline.run_rule_tests(pack)
    assert report.ok, "\n".join(p.format() for p in report.failures)
    assert report.rule_cases >= 2 * len(pack.rules)
    assert report.pack_cases >= 12  # the archetypes in rules/cases/


def test_default_pack_is_the_default() -> None:
    assert pipeline.DEFAULT_RULES_DIR == ROOT / "rules"
    result = pipeline.assess({"workload_name": "hft", "workload_class": "trading", "latency_p99_ms": 0.05,
                              "jitter_sensitive": True})
    assert result.packs[0].startswith("default@")
