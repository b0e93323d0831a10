"""Rule-pack loading: exact file:line:col errors for broken rules, layering, positions."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor import pipeline
from advisor.errors import DataError, Location
from advisor.rules.loader import condition_location
from advisor.rules.model import Pack

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "rules"


def load(*names: str) -> Pack:
    return pipeline.lint_pack([DATA / n for n in names], pipeline.load_questionnaire(), base=ROOT)


def error_of(*names: str) -> str:
    with pytest.raises(DataError) as info:
        load(*names)
    return info.value.format()


F = "tests/data/rules/{}/perf/low-latency.yaml"

BROKEN = {
    "unknown-fact": F.format("unknown-fact") + ":4:7: unknown fact 'latency_p99'; did you mean 'latency_p99_ms'?",
    "type-mismatch": F.format("type-mismatch")
    + ":4:24: '<' needs numbers, got number and str; compare numbers, or use == for text",
    "class-escape": F.format("class-escape")
    + ":4:44: '__class__' is not allowed: names starting with '_' are reserved; "
    "conditions can only read facts",
    "multiline-when": F.format("multiline-when")
    + ":6:18: 'multi-tenant' is not a choice of tenancy; did you mean 'multi-team'?",
    "missing-evidence": F.format("missing-evidence") + ":2:1: missing required key 'evidence'; add 'evidence:'",
    "unknown-key": F.format("unknown-key") + ":9:1: unknown key 'rationle'; did you mean 'rationale'?",
    "bad-grade": F.format("bad-grade")
    + ":15:12: evidence.0.grade: 'peer-review' is not allowed; did you mean 'peer-reviewed'?",
    "bad-weight": F.format("bad-weight")
    + ":8:11: effect.weight: 11 is out of range, must be <= 10; use a value in range",
    "name-mismatch": "tests/data/rules/name-mismatch/perf/low-latency-slo.yaml:2:5: rule id 'low-latency' differs "
    "from the file name 'low-latency-slo.yaml'; rename the file to low-latency.yaml or the id to low-latency-slo",
    "both-effects": F.format("both-effects")
    + ":9:1: a rule has either 'effect' or 'knock_out', not both; split it into two rules",
    "no-effect": F.format("no-effect")
    + ":2:1: a rule needs 'effect' (criterion, favours, weight) or 'knock_out' (option, reason); add one of them",
    "duplicate-id": "tests/data/rules/duplicate-id/slo/low-latency.yaml:2:5: duplicate rule id 'low-latency' "
    "(also in tests/data/rules/duplicate-id/perf/low-latency.yaml); rule ids must be unique across the pack; "
    "rename one",
    "bad-case": "tests/data/rules/bad-case/cases/hft.yaml:3:9: expect: 'baremetal' is not allowed; "
    "did you mean 'bare-metal'?",
    "bad-test-answer": F.format("bad-test-answer")
    + ":20:27: tenancy: 'multi-tenat' is not a choice; did you mean 'multi-team'?",
    "unknown-test-key": F.format("unknown-test-key")
    + ":20:8: unknown answer key 'latency_p99'; did you mean 'latency_p99_ms'?",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_rule_gives_one_exact_line(name: str) -> None:
    assert error_of(name) == BROKEN[name]


def test_messages_hold_no_absolute_path() -> None:
    for name in BROKEN:
        assert str(ROOT) not in error_of(name)


def test_missing_pack_and_missing_pack_yaml(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="rule pack not found; give the folder that holds pack.yaml"):
        pipeline.load_pack([tmp_path / "nope"])
    with pytest.raises(DataError, match=r"not a rule pack: pack.yaml is missing; add .*/pack.yaml"):
        pipeline.load_pack([tmp_path])


def test_stray_files_are_errors_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text((DATA / "base" / "pack.yaml").read_text())
    (tmp_path / "rule.yaml").write_text("id: x\n")
    (tmp_path / "perf").mkdir()
    (tmp_path / "perf" / "x.yml").write_text("id: x\n")
    (tmp_path / "perf" / "README.md").write_text("ignored\n")
    with pytest.raises(DataError) as info:
        pipeline.load_pack([tmp_path], base=tmp_path)
    assert info.value.format().splitlines() == [
        "perf/x.yml: rule and case files must end in .yaml; rename it to x.yaml",
        "rule.yaml: unexpected YAML file at the top of a rule pack; rule files live in <area>/<rule-id>.yaml "
        "and cases in cases/; move rule.yaml",
    ]


def test_every_problem_of_a_pack_is_reported() -> None:
    text = error_of("unknown-key")
    assert "missing required key 'rationale'" not in text  # the misspelt key says it all


# --------------------------------------------------------------------------- layering


def test_base_pack_loads_rules_sorted_by_id() -> None:
    pack = load("base")
    assert [r.id for r in pack.rules] == [
        "licence", "low-latency", "mandated", "many-versions", "net-slower", "single-host-outage", "untrusted-tenants",
    ]
    assert pack.name == "base@1"
    assert pack.close_threshold == 0.15
    rule = pack.rule("untrusted-tenants")
    assert (rule.file, rule.area, rule.pack, rule.weight, rule.grade, rule.grade_factor) == (
        "tests/data/rules/base/isolation/untrusted-tenants.yaml", "isolation", "base", 3.0, "vendor-claim", 0.6,
    )
    assert [c.name for c in pack.cases] == ["HFT matching engine", "Multi-tenant SaaS"]


def test_layer_overrides_by_id_weights_disables_and_settings() -> None:
    pack = load("base", "org")
    assert pack.name == "base@1+org@1"
    low = pack.rule("low-latency")
    assert (low.pack, low.weight, low.grade, low.rule.when) == ("org", 5.0, "measured-here", "latency_p99_ms < 2")
    assert low.file == "tests/data/rules/org/perf/low-latency.yaml"
    assert pack.rule("many-versions").weight == 5.0  # weight override without editing the rule
    assert pack.rule("licence").disabled == "We have an enterprise agreement with a flat fee"
    assert "licence" not in [r.id for r in pack.enabled]
    assert pack.close_threshold == 0.2
    assert pack.grade_factors["vendor-claim"] == 0.8
    assert pack.rule("untrusted-tenants").grade_factor == 0.8  # grade factors apply to earlier packs' rules
    assert pack.grade_factors["field-report"] == 0.7  # the rest stays


def test_layer_without_overrides_is_a_duplicate_naming_both_files() -> None:
    assert error_of("base", "org-duplicate") == (
        "tests/data/rules/org-duplicate/perf/low-latency.yaml:1:5: duplicate rule id 'low-latency' (already defined "
        "in tests/data/rules/base/perf/low-latency.yaml); add 'overrides: true' to replace it, or choose another id"
    )


@pytest.mark.parametrize(("layer", "expected"), [
    ("org-unknown-id", "tests/data/rules/org-unknown-id/pack.yaml:6:3: weights: no rule with id 'low-latncy'; "
                       "did you mean 'low-latency'?"),
    ("org-unknown-disable", "tests/data/rules/org-unknown-disable/pack.yaml:6:3: disable: no rule with id "
                            "'license'; did you mean 'licence'?"),
    ("org-orphan-override", "tests/data/rules/org-orphan-override/perf/low-latancy.yaml:2:1: 'overrides: true' but "
                            "no earlier pack defines 'low-latancy'; did you mean 'low-latency'?"),
])
def test_layer_naming_an_unknown_id_is_an_error(layer: str, expected: str) -> None:
    assert error_of("base", layer) == expected


def test_same_pack_twice_is_an_error() -> None:
    assert "pack 'base' is given twice" in error_of("base", "base")


def test_disable_needs_a_reason(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("advisor_rule_pack: 1\nname: org\nversion: 1\ndisable:\n  licence: ' '\n")
    with pytest.raises(DataError, match=r"pack.yaml:5:12: disable.licence: ' ' does not match"):
        pipeline.load_pack([DATA / "base", tmp_path], base=tmp_path)


def test_reload_of_an_unchanged_pack_is_equal() -> None:
    assert load("base").rules == load("base").rules


# --------------------------------------------------------------------------- positions


@pytest.mark.parametrize(("yaml_line", "expr", "offset", "expected"), [
    ("when: a < 'x'", "a < 'x'", 4, (1, 11)),
    ('when: "a < \'x\'"', "a < 'x'", 4, (1, 12)),
    ("when: 'a == ''x'' or b'", "a == 'x' or b", 12, (1, 22)),
    ("when: >-\n  a < 1\n  and b", "a < 1\nand b", 10, (3, 7)),
    ("when: a < 1\n  and b", "a < 1 and b", 10, (2, 7)),
    ("when: a <", "a <", 3, (1, 10)),
])
def test_condition_location_points_into_the_expression(
    yaml_line: str, expr: str, offset: int, expected: tuple[int, int]
) -> None:
    where = condition_location(yaml_line, Location("f.yaml", 1, 7), expr, offset)
    assert (where.line, where.col) == expected


def test_condition_location_falls_back_to_the_value_on_escapes() -> None:
    where = condition_location('when: "a\\u0020< 1"', Location("f.yaml", 1, 7), "a < 1", 4)
    assert (where.line, where.col) == (1, 7)


@pytest.mark.parametrize(("text", "expected"), [
    ("weigths: {}\n", "pack.yaml:4:1: unknown key 'weigths'; did you mean 'weights'?"),
    ("grade_factors: {vendor-claim: 1.5}\n", "pack.yaml:4:31: grade_factors.vendor-claim: 1.5 is out of range, "
                                             "must be <= 1; use a value in range"),
    ("close_threshold: 2\n", "pack.yaml:4:18: close_threshold: 2 is out of range, must be <= 1; "
                             "use a value in range"),
])
def test_pack_yaml_problems(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "pack.yaml").write_text("advisor_rule_pack: 1\nname: org\nversion: 1\n" + text)
    with pytest.raises(DataError) as info:
        pipeline.load_pack([DATA / "base", tmp_path], base=tmp_path)
    assert info.value.format() == expected
