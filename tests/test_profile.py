"""Profiles: the questionnaire contract, byte-exact round trips, comment-keeping rewrites.

Run ``pytest --update-golden`` to rewrite the golden files after an intended change.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples, golden

from advisor import profile as profiles
from advisor.errors import DataError, UsageError

# ----------------------------------------------------------------- the questionnaire contract

REQUIRED = object()
ANY = object()  # the contract does not fix this bound
ALWAYS = None

#: The contract of questionnaires/default.yaml (from the issue), in question order:
#: key, type, choices, default, mode, condition, (min, min exclusive, max).
CONTRACT: list[tuple] = [
    ("workload_name", "str", None, REQUIRED, "quick", ALWAYS, None),
    ("workload_class", "choice", ["web-services", "data-processing", "ml-training", "ml-inference", "trading",
                                  "telco-cnf", "hpc", "ci-build", "edge", "stateful-database"],
     "web-services", "quick", ALWAYS, None),
    ("latency_p99_ms", "float", None, 200, "quick", ALWAYS, (0.001, False, ANY)),
    ("jitter_sensitive", "bool", None, False, "quick", ALWAYS, None),
    # tenancy (single-team, multi-team, multi-tenant-untrusted) carried two facts: it is retired, split into the
    # count and the trust; profiles that still carry it load through its mapping (test_a_retired_answer_...)
    ("tenant_count", "int", None, 5, "quick", ALWAYS, (1, False, ANY)),
    ("untrusted_tenants", "bool", None, False, "quick", ALWAYS, None),
    ("runs_untrusted_code", "bool", None, False, "full", ALWAYS, None),
    ("noisy_neighbor_sensitivity", "choice", ["low", "medium", "high"], "medium", "full", ALWAYS, None),
    ("needs_hard_resource_limits", "bool", None, False, "full", ALWAYS, None),
    ("compliance", "multi-choice", ["none", "pci-dss", "hipaa", "soc2", "fedramp", "iso27001", "gdpr", "dora",
                                    "other"], ["none"], "quick", ALWAYS, None),
    ("bare_metal_mandated", "bool", None, False, "quick", ALWAYS, None),
    ("dedicated_hardware_required", "bool", None, False, "full", "compliance != ['none']", None),
    ("physical_hosts", "int", None, 20, "quick", ALWAYS, (1, False, ANY)),
    ("racks", "int", None, 4, "full", ALWAYS, (1, False, ANY)),
    ("microservices_per_host", "int", None, 20, "quick", ALWAYS, (1, False, ANY)),
    ("replicas_per_service", "int", None, 3, "full", ALWAYS, (1, False, ANY)),
    ("vms_per_host", "int", None, 4, "full", ALWAYS, (1, False, ANY)),
    ("max_blast_radius_pct", "float", None, 10, "full", ALWAYS, (0, False, 100)),
    ("clusters", "int", None, 3, "full", ALWAYS, (1, False, ANY)),
    ("k8s_versions_in_production", "int", None, 2, "quick", ALWAYS, (1, False, 10)),
    ("crd_count", "int", None, 30, "quick", ALWAYS, (0, False, ANY)),
    ("crd_owning_teams", "int", None, 3, "full", ALWAYS, (0, False, ANY)),
    ("upgrades_per_year", "int", None, 3, "quick", ALWAYS, (0, False, ANY)),
    ("upgrade_duration_days", "float", None, 5, "quick", ALWAYS, (0, False, ANY)),
    ("gpu", "choice", ["none", "inference", "training", "training-multi-node"], "none", "quick", ALWAYS, None),
    ("special_networking", "multi-choice", ["none", "sr-iov", "dpdk", "rdma", "ptp", "multus"], ["none"], "full",
     ALWAYS, None),
    ("existing_virtualization", "choice", ["none", "vsphere", "openstack", "kvm-proxmox", "hyper-v", "nutanix",
                                           "public-cloud"], "none", "quick", ALWAYS, None),
    ("virtualization_expertise", "choice", ["low", "medium", "high"], "medium", "full", ALWAYS, None),
    ("bare_metal_automation", "choice", ["none", "partial", "full"], "partial", "full", ALWAYS, None),
    ("hypervisor_license_per_core_year", "float", None, 0, "full",
     "existing_virtualization not in ['none', 'public-cloud']", (0, False, ANY)),
    ("cores_per_host", "int", None, 64, "full", ALWAYS, (1, False, ANY)),
    ("site_type", "choice", ["datacenter", "edge"], "datacenter", "full", ALWAYS, None),
    ("hosts_per_site", "int", None, 3, "full", "site_type == 'edge'", (1, False, ANY)),
    ("priority_performance", "int", None, 3, "quick", ALWAYS, (1, False, 5)),
    ("priority_isolation", "int", None, 3, "quick", ALWAYS, (1, False, 5)),
    ("priority_operations", "int", None, 3, "quick", ALWAYS, (1, False, 5)),
    ("priority_resilience", "int", None, 3, "quick", ALWAYS, (1, False, 5)),
    ("priority_cost", "int", None, 3, "quick", ALWAYS, (1, False, 5)),
]


def test_contract_has_38_questions_in_order(questionnaire):
    assert len(CONTRACT) == 38
    assert [r.key for r in questionnaire.retired] == ["tenancy"]
    assert questionnaire.id == "default" and questionnaire.version == 1
    # the contract's keys come first, in order; questions added later follow them
    assert questionnaire.keys()[:38] == [row[0] for row in CONTRACT]


@pytest.mark.parametrize("row", CONTRACT, ids=[row[0] for row in CONTRACT])
def test_question_matches_the_contract(questionnaire, row):
    key, qtype, choices, default, mode, when, bounds = row
    q = questionnaire.by_key[key]
    assert q.type == qtype
    assert (list(q.choice_values) if q.choices else None) == choices
    if default is REQUIRED:
        assert q.default is None and q.required
    else:
        assert q.default == default
        assert type(q.default) is {"int": int, "float": float, "bool": bool, "choice": str,
                                   "multi-choice": list}[qtype]
    assert q.mode == mode
    assert q.when == when
    assert q.help.strip(), f"{key} has no help text"
    assert q.prompt.strip()
    if bounds is None:
        assert (q.min, q.max) == (None, None)
        return
    low, exclusive, high = bounds
    assert (q.min, q.min_exclusive) == (low, exclusive)
    if high is not ANY:
        assert q.max == high
    # the bounds are enforced the same way for typed text and for file values
    step = 1 if qtype == "int" else 0.001
    with pytest.raises(ValueError, match="out of range"):
        q.parse(str(low - step), from_text=True)
    if exclusive:
        with pytest.raises(ValueError, match="out of range"):
            q.parse(low, from_text=False)
        assert q.parse(str(low + step), from_text=True) == low + step
    else:
        assert q.parse(str(low), from_text=True) == low
    if high is not ANY:
        assert q.parse(high, from_text=False) == high
        with pytest.raises(ValueError, match="out of range"):
            q.parse(high + step, from_text=False)


@pytest.mark.parametrize(("key", "applies", "does_not_apply"), [
    ("dedicated_hardware_required", {"compliance": ["pci-dss"]}, {"compliance": ["none"]}),
    ("hypervisor_license_per_core_year", {"existing_virtualization": "vsphere"}, {"existing_virtualization": "none"}),
    ("hypervisor_license_per_core_year", {"existing_virtualization": "nutanix"},
     {"existing_virtualization": "public-cloud"}),
    ("hosts_per_site", {"site_type": "edge"}, {"site_type": "datacenter"}),
])
def test_conditions_mean_what_the_contract_says(questionnaire, key, applies, does_not_apply):
    assert questionnaire.applies(key, applies) is True
    assert questionnaire.applies(key, does_not_apply) is False


def test_multi_choice_none_is_exclusive(questionnaire):
    for key in ("compliance", "special_networking"):
        q = questionnaire.by_key[key]
        with pytest.raises(ValueError, match="cannot be combined"):
            q.parse(["none", q.choice_values[1]], from_text=False)


# ----------------------------------------------------------------- byte-exact round trips


def _fresh(questionnaire, *, complete: bool) -> str:
    p = profiles.new(questionnaire)
    p.set_answer("workload_name", "Payments API")
    p.set_answer("latency_p99_ms", 0.25)
    p.set_answer("upgrade_duration_days", 5.0)
    p.set_answer("compliance", ["pci-dss", "gdpr"])
    for key in ("tenant_count", "gpu", "special_networking", "racks"):
        p.set_default(key)
    return p.render(source="interactive", complete=complete, answered_by="tester")


@pytest.mark.parametrize("which", ["pty-quick-golden", "hand-edited-golden", "fresh", "fresh-partial"])
def test_load_then_render_or_write_is_byte_identical(questionnaire, golden_dir, tmp_path, deterministic_env, which):
    if which.endswith("-golden"):
        text = (golden_dir / (which.removesuffix("-golden") + ".profile.yaml")).read_text(encoding="utf-8")
    else:
        text = _fresh(questionnaire, complete=which == "fresh")
    path = tmp_path / "in.profile.yaml"
    path.write_bytes(text.encode("utf-8"))

    loaded = profiles.load(path, questionnaire)
    assert loaded.changed is False
    complete = loaded.provenance is None or loaded.provenance.complete
    assert complete is (which != "fresh-partial")
    for source in ("file", "interactive", "set"):
        assert loaded.render(source=source, complete=complete) == text
    loaded.write(tmp_path / "out.profile.yaml", source="file", complete=complete)
    assert (tmp_path / "out.profile.yaml").read_bytes() == text.encode("utf-8")


def test_fresh_profile_text(questionnaire, deterministic_env, golden_dir):
    """What a new profile looks like: answers and defaults in question order, prompts as comments."""
    text = _fresh(questionnaire, complete=True)
    assert text == golden(golden_dir / "fresh.profile.yaml", text)
    assert "upgrade_duration_days: 5  #" in text  # a whole float is written as 5, read back as 5.0
    assert "compliance: [pci-dss, gdpr]  #" in text  # choice order, one line


def test_setting_the_same_values_changes_nothing(questionnaire, golden_dir, tmp_path, deterministic_env):
    path = tmp_path / "p.profile.yaml"
    text = (golden_dir / "pty-quick.profile.yaml").read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    loaded = profiles.load(path, questionnaire)
    for key, value in list(loaded.answers.items()):
        loaded.set_answer(key, value)
    for key in list(loaded.defaults):
        loaded.set_default(key)
    assert loaded.changed is False
    assert loaded.render(source="set") == text
    loaded.set_answer("crd_count", 121)
    assert loaded.changed is True
    assert loaded.render(source="set") != text


@pytest.mark.parametrize("extra", [(), ("--defaults",), ("--set", "latency_p99_ms=0.5")])
def test_assess_on_a_complete_profile_leaves_the_file_untouched(advisor, golden_dir, tmp_path, extra):
    path = tmp_path / "payments.profile.yaml"
    data = (golden_dir / "pty-quick.profile.yaml").read_bytes()
    path.write_bytes(data)
    inode = path.stat().st_ino
    result = advisor("assess", "--profile", path.name, "--no-record", *extra)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"Profile {path.name} is up to date"
    assert path.read_bytes() == data
    assert path.stat().st_ino == inode, "the file was replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_resuming_a_partial_profile_with_nothing_left_marks_it_complete(advisor, questionnaire, tmp_path,
                                                                       deterministic_env):
    # e.g. Ctrl-C at "Save these answers?": every quick answer is there but the file says complete: false
    path = tmp_path / "api.profile.yaml"
    p = profiles.new(questionnaire)
    quick = [q.key for q in questionnaire.selected("quick")]
    for key in quick:
        p.set_answer(key, "api" if key == "workload_name" else questionnaire.default_for(key, p.values()))
    for key in questionnaire.keys():
        if key not in quick:
            p.set_default(key)  # a partial profile's defaults are decided again on resume
    p.write(path, source="interactive", complete=False, answered_by="tester")
    assert "complete: false" in path.read_text(encoding="utf-8")

    result = advisor("assess", "--profile", path.name)
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"Profile written to {path.name}"
    loaded = profiles.load(path, questionnaire)
    assert loaded.provenance is not None and loaded.provenance.complete is True
    assert list(loaded.answers) == quick
    assert set(loaded.defaults) == set(questionnaire.keys()) - set(quick)
    again = advisor("assess", "--profile", path.name)
    assert again.stderr.splitlines()[0] == f"Profile {path.name} is up to date"


# ----------------------------------------------------------------- hand-edited profiles


def _body(text: str) -> str:
    return text.partition("\nprovenance:")[0]


def test_set_rewrite_keeps_hand_edited_comments_and_order(advisor, golden_dir, tmp_path, questionnaire):
    original = (golden_dir / "hand-edited.profile.yaml").read_text(encoding="utf-8")
    path = tmp_path / "payments.profile.yaml"
    path.write_text(original, encoding="utf-8")

    result = advisor("assess", "--profile", path.name, "--set", "latency_p99_ms=2", "--set", "crd_count=81",
                     "--answered-by", "bob")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == f"Profile written to {path.name}"
    text = path.read_text(encoding="utf-8")
    expected = original.replace("latency_p99_ms: 5  # from", "latency_p99_ms: 2  # from").replace(
        "crd_count: 80\n", "crd_count: 81\n")
    assert _body(text) == _body(expected)
    prov = profiles.load(path, questionnaire).provenance
    assert prov is not None
    assert (prov.created, prov.updated, prov.answered_by, prov.source) == (
        "2024-03-01T10:00:00Z", "2023-11-14T22:13:20Z", "bob", "set")


def test_set_moving_defaults_to_answers_keeps_comments(advisor, golden_dir, tmp_path, questionnaire):
    """A default that becomes an answer takes its line comment along; comment lines around it stay."""
    original = (golden_dir / "hand-edited.profile.yaml").read_text(encoding="utf-8")
    path = tmp_path / "payments.profile.yaml"
    path.write_text(original, encoding="utf-8")

    result = advisor("assess", "--profile", path.name, "--set", "racks=8", "--set", "runs_untrusted_code=yes",
                     "--set", "tenant_count=1", "--set", "hosts_per_site=2", "--answered-by", "bob")
    assert result.exit_code == 0, result.stderr
    text = path.read_text(encoding="utf-8")

    def comments(t: str) -> list[str]:
        return [line.strip() for line in t.splitlines() if line.strip().startswith("#")]

    assert comments(text) == comments(original)
    assert "  racks: 8  # two rooms, two racks each\n" in text
    loaded = profiles.load(path, questionnaire)
    assert {k: loaded.answers[k] for k in ("racks", "runs_untrusted_code", "tenant_count", "hosts_per_site")} == {
        "racks": 8, "runs_untrusted_code": True, "tenant_count": 1, "hosts_per_site": 2}
    # the user's order of answers is kept; new answers go in among them
    kept = [k for k in loaded.answers if k in profiles.load(golden_dir / "hand-edited.profile.yaml",
                                                            questionnaire).answers]
    assert kept[:3] == ["latency_p99_ms", "workload_name", "workload_class"]
    assert text == golden(golden_dir / "hand-edited.after-set.profile.yaml", text)


# ----------------------------------------------------------------- property: any valid answers round-trip


def _value_strategy(q):
    if q.type == "str":
        return st.from_regex(q.pattern, fullmatch=True).map(str.strip).filter(bool)
    if q.type == "bool":
        return st.booleans()
    if q.type == "int":
        return st.integers(int(q.min), int(q.max))
    if q.type == "float":
        # at most 10 significant digits and no denormals: ruamel re-emits some 15-17 digit exponent
        # floats (e.g. 7.221744509284799e-14, 5e-324) with the last digit changed
        return st.floats(q.min, q.max, exclude_min=q.min_exclusive, allow_nan=False, allow_infinity=False).map(
            lambda x: float(f"{x:.10g}")).filter(
            lambda x: (x > q.min if q.min_exclusive else x >= q.min) and x <= q.max and (x == 0 or x >= 1e-9))
    if q.type == "choice":
        return st.sampled_from(q.choice_values)
    rest = [v for v in q.choice_values if v != "none"]
    if "none" not in q.choice_values:
        return st.lists(st.sampled_from(rest), min_size=1, unique=True)
    return st.one_of(st.just(["none"]), st.lists(st.sampled_from(rest), min_size=1, unique=True))


@st.composite
def _answers(draw, questionnaire):
    keys = draw(st.lists(st.sampled_from(questionnaire.keys()), unique=True, max_size=12))
    return {k: questionnaire.by_key[k].parse(draw(_value_strategy(questionnaire.by_key[k])), from_text=False)
            for k in keys}


@pytest.fixture(scope="module")
def default_questionnaire():
    from advisor.questionnaire import load_default

    return load_default()


@settings(max_examples=examples(0.6), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_valid_answers_survive_write_and_load(default_questionnaire, tmp_path_factory, data):
    q = default_questionnaire
    answers = data.draw(_answers(q))
    p = profiles.new(q)
    for key, value in answers.items():
        p.set_answer(key, value)
    for key in q.keys():
        if key not in answers and data.draw(st.booleans()) and q.by_key[key].default is not None:
            p.set_default(key)
    path = tmp_path_factory.mktemp("rt") / "p.profile.yaml"
    p.write(path, source="set", answered_by="prop")
    text = path.read_text(encoding="utf-8")

    loaded = profiles.load(path, q)
    assert loaded.answers == answers
    for key, value in answers.items():
        assert type(loaded.answers[key]) is type(value)
        if isinstance(value, float):
            assert math.isfinite(loaded.answers[key])
    assert loaded.defaults == p.defaults
    assert loaded.render(source="set") == text


# ----------------------------------------------------------------- loading errors


def _profile_text(answers: str, defaults: str = "", questionnaire: str = "{id: default, version: 1}") -> str:
    return (f"advisor_profile: 1\nquestionnaire: {questionnaire}\nanswers:\n{answers}"
            + (f"defaults:\n{defaults}" if defaults else ""))


@pytest.mark.parametrize(("text", "message"), [
    (_profile_text("  latency_p99_m: 5\n"),
     "p.yaml:4:3: unknown question key 'latency_p99_m'; did you mean 'latency_p99_ms'?"),
    (_profile_text("  latency_p99_ms: '5'\n"),
     "p.yaml:4:19: latency_p99_ms: expected a number, got '5'; give a number >= 0.001 and <= 3600000 ms"),
    (_profile_text("  workload_class: shared\n"),
     "p.yaml:4:19: workload_class: 'shared' is not a choice; choose one of 'web-services', 'data-processing', "
     "'ml-training', 'ml-inference', 'trading', 'telco-cnf', 'hpc', 'ci-build', 'edge', 'stateful-database'"),
    (_profile_text("  tenancy: shared\n"),
     "p.yaml:4:12: tenancy was retired (it carried two independent facts, how many tenants share the nodes and "
     "whether they must be kept apart; they are tenant_count and untrusted_tenants) and 'shared' was never one of its "
     "values; answer tenant_count, untrusted_tenants instead (single-team -> tenant_count: 1; multi-team -> "
     "untrusted_tenants: false; multi-tenant-untrusted -> untrusted_tenants: true)"),
    (_profile_text("  gpu: none\n", "  gpu: none\n"),
     "p.yaml:6:3: 'gpu' is both answered and defaulted; keep it under 'answers' only"),
    (_profile_text("  gpu: none\n", questionnaire="{id: other, version: 1}"),
     "p.yaml:2:21: profile was written for questionnaire 'other', not 'default'; "
     "use --questionnaire with the matching file"),
    (_profile_text("  gpu: none\n", questionnaire="{id: default, version: 2}"),
     "p.yaml:2:39: profile needs questionnaire 'default' version 2, this one is version 1; upgrade advisor"),
])
def test_load_reports_problems_with_positions(questionnaire, tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        profiles.load(path, questionnaire, display="p.yaml")
    assert info.value.format() == message


def test_parse_assignment_is_the_same_validation_as_typing(questionnaire):
    assert profiles.parse_assignment("latency_p99_ms= 0.5 ", questionnaire) == ("latency_p99_ms", 0.5)
    assert profiles.parse_assignment("compliance=soc2, pci-dss", questionnaire) == ("compliance",
                                                                                    ["pci-dss", "soc2"])
    assert profiles.parse_assignment("jitter_sensitive=Yes", questionnaire) == ("jitter_sensitive", True)
    assert profiles.parse_assignment("physical_hosts=1_000", questionnaire) == ("physical_hosts", 1000)
    with pytest.raises(UsageError):
        profiles.parse_assignment("physical_hosts=1.5", questionnaire)


def test_plan_asks_only_missing_quick_questions(questionnaire):
    p = profiles.new(questionnaire)
    p.set_answer("workload_name", "api")
    p.set_answer("tenant_count", 1)
    plan = profiles.plan(p, mode="quick", use_defaults=False, interactive=True)
    quick = [q.key for q in questionnaire.selected("quick")]
    assert plan.ask == [k for k in quick if k not in ("workload_name", "tenant_count")]
    assert plan.missing == []
    full_only = [k for k in questionnaire.keys() if k not in quick]
    assert plan.take_default == full_only
    full = profiles.plan(p, mode="full", use_defaults=False, interactive=True)
    assert "hosts_per_site" not in full.ask  # site_type defaults to datacenter
    headless = profiles.plan(p, mode="quick", use_defaults=False, interactive=False)
    assert headless.ask == [] and headless.missing == plan.ask
    reask = profiles.plan(p, mode="quick", use_defaults=True, reask=["tenant_count"], interactive=True)
    assert reask.ask == ["tenant_count"]


@pytest.mark.parametrize("name", ["123", "007", "yes", "On", "null", "True", "NaN", "1e3", "1_000", "0x1F",
                                  "2024-01-01", "1.5"])
def test_names_that_look_like_other_yaml_types_stay_text(questionnaire, tmp_path, name):
    p = profiles.new(questionnaire)
    p.set_answer(*profiles.parse_assignment(f"workload_name={name}", questionnaire))
    path = tmp_path / "p.profile.yaml"
    p.write(path, source="set", answered_by="t")
    loaded = profiles.load(path, questionnaire)
    assert loaded.answers == {"workload_name": name}
    assert loaded.render(source="set") == path.read_text(encoding="utf-8")


# ----------------------------------------------------------------- defaults that follow answers, notes, hints


def test_defaults_follow_earlier_answers(questionnaire):
    assert questionnaire.default_for("latency_p99_ms", {"workload_class": "trading"}) == 0.1
    assert questionnaire.default_for("latency_p99_ms", {"workload_class": "web-services"}) == 200
    p = profiles.new(questionnaire)
    p.set_answer("workload_class", "ci-build")
    p.set_default("runs_untrusted_code")  # not asked: its default follows the workload class
    assert p.defaults["runs_untrusted_code"] is True and p.origin("runs_untrusted_code") == "default"


def test_consistency_warnings_are_printed_on_replay(advisor):
    result = advisor("assess", "--set", "workload_name=x", "--set", "untrusted_tenants=yes",
                     "--set", "runs_untrusted_code=no", "--defaults", "--no-record", "--measure", "never")
    assert result.exit_code == 0, result.stderr
    assert "advisor: warning: the platform is shared with untrusted tenants, yet no third-party code runs" \
        in result.stderr


def test_set_suggests_the_key_that_contains_the_word(advisor):
    result = advisor("assess", "--set", "latency=5", "--defaults", "--no-record")
    assert result.exit_code == 2
    assert "unknown question key 'latency'; did you mean 'latency_p99_ms'?" in result.stderr


def test_notes_are_kept_in_the_profile_and_validated(advisor, tmp_path, questionnaire):
    result = advisor("assess", "--set", "workload_name=x", "--note", "latency_p99_ms=from the SLO, section 4",
                     "--defaults", "--no-record", "--measure", "never", "--profile-output", "x.profile.yaml")
    assert result.exit_code == 0, result.stderr
    text = (tmp_path / "x.profile.yaml").read_text(encoding="utf-8")
    assert "notes:\n  latency_p99_ms: from the SLO, section 4\n" in text
    loaded = profiles.load(tmp_path / "x.profile.yaml", questionnaire)
    assert loaded.notes == {"latency_p99_ms": "from the SLO, section 4"}
    (tmp_path / "x.profile.yaml").write_text(text.replace("notes:\n  latency_p99_ms", "notes:\n  latency"),
                                             encoding="utf-8")
    with pytest.raises(DataError, match="unknown question key 'latency'"):
        profiles.load(tmp_path / "x.profile.yaml", questionnaire)


def test_default_when_is_checked_at_load(tmp_path):
    from advisor import questionnaire as questionnaires

    path = tmp_path / "q.yaml"
    path.write_text(
        "advisor_questionnaire: 1\nid: t\nversion: 1\ntitle: T\nquestions:\n"
        "  - {key: a, type: int, prompt: A, mode: quick, default: 1}\n"
        "  - key: b\n    type: int\n    prompt: B\n    default: 2\n    default_when:\n"
        "      - {when: 'c > 1', value: 3}\n"
        "  - {key: c, type: int, prompt: C, default: 1}\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        questionnaires.load(path)
    assert "q.yaml:12:16: unknown fact 'c'; a default_when can only use the keys of earlier questions" \
        in info.value.format()


def test_a_retired_answer_still_loads_as_the_answers_it_stands_for(questionnaire, tmp_path):
    """tenancy carried the tenant count and their trust; a profile written with it loads as the two answers,
    keeps its note, and is written back without it."""
    path = tmp_path / "old.profile.yaml"
    path.write_text(_profile_text("  workload_name: saas\n  tenancy: multi-tenant-untrusted\n  tenant_count: 40\n",
                                  "  racks: 4\n") + "notes:\n  tenancy: customers, contract clause 7\n",
                    encoding="utf-8")
    p = profiles.load(path, questionnaire)
    assert p.answers == {"workload_name": "saas", "untrusted_tenants": True, "tenant_count": 40}
    assert p.notes == {"untrusted_tenants": "customers, contract clause 7"}
    single = tmp_path / "single.profile.yaml"
    single.write_text(_profile_text("  workload_name: api\n", "  tenancy: single-team\n"), encoding="utf-8")
    q = profiles.load(single, questionnaire)
    assert q.defaults == {"tenant_count": 1} and q.answers == {"workload_name": "api"}
    assert "tenancy" not in q.render(source="file")


# ----------------------------------------------------------------- a value under defaults that is not the default

STALE_DEFAULTS = """advisor_profile: 1
questionnaire: {id: default, version: 1}
answers:
  workload_name: stale
defaults:
  gpu: none
  vm_io_paths: [passthrough, virtio, sr-iov]
  bare_metal_mandated: true
"""


def test_a_value_under_defaults_that_is_not_the_default_counts_as_an_answer(questionnaire, tmp_path):
    path = tmp_path / "stale.yaml"
    path.write_text(STALE_DEFAULTS, encoding="utf-8")
    loaded = profiles.load(path, questionnaire)
    # a hand edit under defaults drives a knock-out: it is the profile's choice, not the default
    assert loaded.edited_defaults() == {"bare_metal_mandated": (True, False)}
    assert loaded.origin("bare_metal_mandated") == "answered"
    assert loaded.origin("gpu") == "default"  # the default itself
    assert loaded.origin("vm_io_paths") == "default"  # the default's choices in another order
    assert loaded.where_default("bare_metal_mandated") == f"{path}:8:24"


def test_assess_says_so_and_the_record_does_not_call_it_a_default(tmp_path):
    (tmp_path / "stale.yaml").write_text(STALE_DEFAULTS, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "advisor", "assess", "--profile", "stale.yaml", "--defaults",
                           "--measure", "never", "--date", "2026-01-01"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == (
        "stale.yaml:8:24: bare_metal_mandated: true is under 'defaults' but the default here is false; it counts "
        "as an answer (move it under 'answers' to say so)")
    (twin,) = (tmp_path / "reports").glob("0001-*.json")
    row = next(r for r in json.loads(twin.read_text(encoding="utf-8"))["context"] if r["key"] == "bare_metal_mandated")
    assert (row["default"], row["origin"]) == (False, "answered")
    assert json.loads(twin.read_text(encoding="utf-8"))["recommendation"] == "bare-metal"
