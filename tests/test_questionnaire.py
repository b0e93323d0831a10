"""advisor.questionnaire: answers parsed from text and from YAML, bounds, choices, defaults, ``when``."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from advisor import questionnaire as qmod
from advisor.conditions import FactType
from advisor.errors import DataError
from advisor.questionnaire import Question, Questionnaire


def question(**fields: Any) -> Question:
    base: dict[str, Any] = {"key": "k", "prompt": "A question?"}
    return Question.model_validate({**base, **fields})


def bad(q: Question, raw: Any, *, from_text: bool) -> str:
    with pytest.raises(ValueError) as info:
        q.parse(raw, from_text=from_text)
    return str(info.value)


HOSTS = question(key="hosts", type="int", min=1, max=100, unit="hosts")
LATENCY = question(key="latency", type="float", min=0, min_exclusive=True, max=1000, unit="ms")
FLAG = question(key="flag", type="bool")
NAME = question(key="name", type="str", pattern=r"^[a-z][a-z0-9-]*$")
FREE = question(key="free", type="str")
TENANCY = question(key="tenancy", type="choice", choices=[
    {"value": "single-team", "label": "One team"}, {"value": "multi-team", "label": "Several teams"}])
REGIMES = question(key="regimes", type="multi-choice", choices=[
    {"value": "none", "label": "None", "exclusive": True}, {"value": "pci-dss", "label": "PCI"},
    {"value": "hipaa", "label": "HIPAA"}, {"value": "soc2", "label": "SOC 2"}])

# ----------------------------------------------------------------------------- parse: from text


@pytest.mark.parametrize(
    ("q", "raw", "value"),
    [
        (HOSTS, "5", 5), (HOSTS, " 100 ", 100), (HOSTS, "1_0", 10), (HOSTS, "+7", 7),
        (LATENCY, "0.05", 0.05), (LATENCY, "1e2", 100.0), (LATENCY, " 5 ", 5.0), (LATENCY, "1_000", 1000.0),
        (FLAG, "yes", True), (FLAG, "Y", True), (FLAG, " true ", True), (FLAG, "1", True), (FLAG, "on", True),
        (FLAG, "no", False), (FLAG, "N", False), (FLAG, "FALSE", False), (FLAG, "0", False), (FLAG, "off", False),
        (NAME, " payments-api ", "payments-api"), (FREE, "Anything at all", "Anything at all"),
        (TENANCY, " multi-team ", "multi-team"),
        (REGIMES, "soc2, pci-dss", ["pci-dss", "soc2"]),  # in questionnaire order
        (REGIMES, "hipaa,hipaa,,", ["hipaa"]),
        (REGIMES, "none", ["none"]),
    ],
)
def test_parse_from_text(q: Question, raw: str, value: Any) -> None:
    got = q.parse(raw, from_text=True)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("q", "raw", "message"),
    [
        (HOSTS, "five", "expected a whole number, got 'five'; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, "2.5", "expected a whole number, got '2.5'; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, "", "expected a whole number, got ''; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, "0", "0 is out of range; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, "101", "101 is out of range; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, "9" * 5000, "expected a whole number, got '" + "9" * 55 + "...'; "
                            "give a whole number >= 1 and <= 100 hosts"),
        (LATENCY, "0", "0 is out of range; give a number > 0 and <= 1000 ms"),
        (LATENCY, "1000.5", "1000.5 is out of range; give a number > 0 and <= 1000 ms"),
        (LATENCY, "nan", "expected a finite number, got 'nan'; give a number > 0 and <= 1000 ms"),
        (LATENCY, "inf", "expected a finite number, got 'inf'; give a number > 0 and <= 1000 ms"),
        (LATENCY, "1e999", "expected a finite number, got '1e999'; give a number > 0 and <= 1000 ms"),
        (LATENCY, "fast", "expected a number, got 'fast'; give a number > 0 and <= 1000 ms"),
        (FLAG, "maybe", "expected yes or no, got 'maybe'; answer true or false"),
        (NAME, "Payments API", "'Payments API' does not match ^[a-z][a-z0-9-]*$; see the help for the expected form"),
        (NAME, "   ", "an answer is required; type a value"),
        (FREE, "x" * 201, "is longer than 200 characters; shorten it"),
        (TENANCY, "multi-teams", "'multi-teams' is not a choice; did you mean 'multi-team'?"),
        (TENANCY, "everyone", "'everyone' is not a choice; choose one of 'single-team', 'multi-team'"),
        (REGIMES, "none, pci-dss", "'none' cannot be combined with other choices; remove it or the others"),
        (REGIMES, " , ", "choose at least one; use [none] for none"),
        (REGIMES, "pci-dss, hipa", "'hipa' is not a choice; did you mean 'hipaa'?"),
    ],
)
def test_parse_from_text_refuses(q: Question, raw: str, message: str) -> None:
    assert bad(q, raw, from_text=True) == message


# ----------------------------------------------------------------------------- parse: from YAML


@pytest.mark.parametrize(
    ("q", "raw", "value"),
    [
        (HOSTS, 5, 5), (HOSTS, 5.0, 5), (LATENCY, 5, 5.0), (LATENCY, 0.5, 0.5),
        (FLAG, True, True), (FLAG, False, False),
        (NAME, "api", "api"), (TENANCY, "single-team", "single-team"),
        (REGIMES, ["soc2", "pci-dss", "soc2"], ["pci-dss", "soc2"]), (REGIMES, ["none"], ["none"]),
    ],
)
def test_parse_from_yaml(q: Question, raw: Any, value: Any) -> None:
    got = q.parse(raw, from_text=False)
    assert got == value and type(got) is type(value)


@pytest.mark.parametrize(
    ("q", "raw", "message"),
    [
        (HOSTS, "5", "expected a whole number, got '5'; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, 2.5, "expected a whole number, got 2.5; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, True, "expected a number, got true; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, None, "expected a whole number, got nothing (null); give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, [1, 2], "expected a whole number, got [1, 2]; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, {"a": 1}, "expected a whole number, got {'a': 1}; give a whole number >= 1 and <= 100 hosts"),
        (HOSTS, 10**400, "a number with too many digits is out of range; give a whole number >= 1 and <= 100 hosts"),
        (LATENCY, 10**400, "expected a finite number, got a number with too many digits; "
                           "give a number > 0 and <= 1000 ms"),
        (LATENCY, math.nan, "expected a finite number, got nan; give a number > 0 and <= 1000 ms"),
        (LATENCY, -math.inf, "expected a finite number, got -inf; give a number > 0 and <= 1000 ms"),
        (LATENCY, 0, "0 is out of range; give a number > 0 and <= 1000 ms"),
        (FLAG, "yes", "expected yes or no, got 'yes'; answer true or false"),
        (FLAG, 1, "expected yes or no, got 1; answer true or false"),
        (NAME, 5, "expected text, got 5; quote the value"),
        (NAME, "X" * 100, "'" + "X" * 55 + "...' does not match ^[a-z][a-z0-9-]*$; see the help for the expected form"),
        (TENANCY, 3, "expected one of 'single-team', 'multi-team', got 3; pick one of them"),
        (TENANCY, ["single-team"],
         "expected one of 'single-team', 'multi-team', got ['single-team']; pick one of them"),
        (REGIMES, "pci-dss", "expected a list of choices, got 'pci-dss'; write e.g. [none]"),
        (REGIMES, [], "choose at least one; use [none] for none"),
        (REGIMES, ["none", "pci-dss"], "'none' cannot be combined with other choices; remove it or the others"),
        (REGIMES, [1], "expected one of 'none', 'pci-dss', 'hipaa', 'soc2', got 1; pick one of them"),
    ],
)
def test_parse_from_yaml_refuses(q: Question, raw: Any, message: str) -> None:
    assert bad(q, raw, from_text=False) == message


def test_long_values_are_shortened_in_messages() -> None:
    message = bad(HOSTS, "a" * 10_000, from_text=True)
    assert len(message) < 200
    assert bad(TENANCY, "b" * 10_000, from_text=True).startswith("'" + "b" * 55 + "...' is not a choice")


def test_bounds_without_min_or_max() -> None:
    only_max = question(type="int", max=10)
    assert only_max.parse("-5", from_text=True) == -5
    assert bad(only_max, "11", from_text=True) == "11 is out of range; give a whole number <= 10"
    free = question(type="float")
    assert free.parse("-1e300", from_text=True) == -1e300
    assert bad(free, "x", from_text=True) == "expected a number, got 'x'; give a number"
    inclusive = question(type="float", min=0.5)
    assert inclusive.parse(0.5, from_text=False) == 0.5
    assert bad(inclusive, 0.25, from_text=False) == "0.25 is out of range; give a number >= 0.5"


def test_format_value() -> None:
    assert FLAG.format_value(True) == "yes" and FLAG.format_value(False) == "no"
    assert REGIMES.format_value(["pci-dss", "soc2"]) == "pci-dss, soc2"
    assert LATENCY.format_value(5.0) == "5" and LATENCY.format_value(0.05) == "0.05"


# ----------------------------------------------------------------------------- the question model


def model_error(**fields: Any) -> str:
    with pytest.raises(ValidationError) as info:
        question(**fields)
    errors = info.value.errors()
    assert len(errors) == 1 and errors[0]["loc"] == ()  # advisor.validation moves it to the field named first
    return str(errors[0]["msg"]).removeprefix("Value error, ")


def test_defaults_are_validated_and_converted() -> None:
    assert question(type="float", default=200).default == 200.0
    assert type(question(type="float", default=200).default) is float
    assert question(type="int", default=5.0).default == 5
    assert REGIMES.model_copy().default is None and REGIMES.required
    regimes = question(type="multi-choice", default=["soc2", "pci-dss"], choices=[
        {"value": "pci-dss", "label": "PCI"}, {"value": "soc2", "label": "SOC 2"}])
    assert regimes.default == ["pci-dss", "soc2"] and not regimes.required


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": "int", "min": 1, "max": 10, "default": 50},
         "default: 50 is out of range; give a whole number >= 1 and <= 10"),
        ({"type": "choice", "default": "c", "choices": [{"value": "a", "label": "A"}]},
         "default: 'c' is not a choice; choose one of 'a'"),
        ({"type": "multi-choice", "default": ["none", "a"], "choices": [
            {"value": "none", "label": "-", "exclusive": True}, {"value": "a", "label": "A"}]},
         "default: 'none' cannot be combined with other choices; remove it or the others"),
        ({"type": "bool", "default": "yes"}, "default: expected yes or no, got 'yes'; answer true or false"),
        ({"type": "str", "pattern": "^a+$", "default": "b"},
         "default: 'b' does not match ^a+$; see the help for the expected form"),
        ({"type": "choice"}, "type: a choice question needs choices; add a 'choices' list"),
        ({"type": "multi-choice", "choices": []}, "type: a multi-choice question needs choices; add a 'choices' list"),
        ({"type": "int", "choices": [{"value": "a", "label": "A"}]},
         "choices: only choice and multi-choice questions have choices, this one is int; "
         "remove them or change the type"),
        ({"type": "choice", "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"},
                                        {"value": "a", "label": "A again"}]},
         "choices.2.value: the choice 'a' is listed twice; remove one"),
        ({"type": "str", "min": 1}, "min: applies to int and float questions only, this one is str; remove it"),
        ({"type": "bool", "max": 1}, "max: applies to int and float questions only, this one is bool; remove it"),
        ({"type": "int", "pattern": "^1$"}, "pattern: applies to str questions only, this one is int; remove it"),
        ({"type": "int", "min": 5, "max": 1}, "min: is greater than max; swap them"),
    ],
)
def test_inconsistent_questions(fields: dict[str, Any], message: str) -> None:
    assert model_error(**fields) == message


@pytest.mark.parametrize(
    ("fields", "loc", "kind"),
    [
        ({"type": "str", "pattern": "^[a-z(+$"}, ("pattern",), "value_error"),
        ({"type": "float", "min": math.nan}, ("min",), "finite_number"),
        ({"type": "float", "max": math.inf}, ("max",), "finite_number"),
        ({"type": "integer"}, ("type",), "literal_error"),
        ({"type": "int", "mode": "quik"}, ("mode",), "literal_error"),
        ({"type": "int", "key": "Hosts"}, ("key",), "string_pattern_mismatch"),
        ({"type": "int", "key": "k" * 65}, ("key",), "string_too_long"),
        ({"type": "int", "promt": "x"}, ("promt",), "extra_forbidden"),
        ({"type": "int", "when": 5}, ("when",), "string_type"),
        ({"type": "choice", "choices": [{"value": "Bad Value", "label": "x"}]}, ("choices", 0, "value"),
         "string_pattern_mismatch"),
    ],
)
def test_field_errors(fields: dict[str, Any], loc: tuple[Any, ...], kind: str) -> None:
    with pytest.raises(ValidationError) as info:
        question(**fields)
    assert [(e["loc"], e["type"]) for e in info.value.errors()] == [(loc, kind)]


def test_fact_types() -> None:
    assert HOSTS.fact_type() == FactType("int", None, "A question?")
    assert TENANCY.fact_type().choices == ("single-team", "multi-team")
    assert REGIMES.fact_type().kind == "list"
    assert FLAG.fact_type().kind == "bool"


# ----------------------------------------------------------------------------- loading files

HEAD = "advisor_questionnaire: 1\nid: demo\nversion: 1\ntitle: Demo\nquestions:\n"
Q_TENANCY = ("  - key: tenancy\n    type: choice\n    prompt: Who?\n    default: multi-team\n    choices:\n"
             "      - {value: single-team, label: One}\n      - {value: multi-team, label: Many}\n")  # lines 6-12
Q_HOSTS = "  - key: hosts\n    type: int\n    prompt: Hosts?\n    default: 3\n    min: 1\n"  # lines 13-17


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "q.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    with pytest.raises(DataError) as info:
        qmod.load(write(tmp_path, text), display="q.yaml")
    return info.value.format()


def with_when(when: str, key: str = "racks") -> str:
    return HEAD + Q_TENANCY + Q_HOSTS + f"  - key: {key}\n    type: int\n    prompt: Racks?\n    when: {when}\n"


def test_load_a_good_questionnaire(tmp_path: Path) -> None:
    q = qmod.load(write(tmp_path, with_when("tenancy != 'single-team' and hosts > 2")), display="q.yaml")
    assert isinstance(q, Questionnaire)
    assert q.keys() == ["tenancy", "hosts", "racks"]
    assert q.defaults() == {"tenancy": "multi-team", "hosts": 3}
    assert [x.key for x in q.selected("quick")] == [] and len(q.selected("full")) == 3
    assert q.applies("racks", {"tenancy": "multi-team", "hosts": 3}) is True
    assert q.applies("racks", {"tenancy": "single-team", "hosts": 3}) is False
    assert q.applies("racks", {}) is True  # unknown counts as yes: ask rather than skip
    assert q.applies("hosts", {}) is True
    assert q.question("hosts").default == 3
    assert set(q.conditions) == {"racks"}
    assert q.fact_types()["racks"].kind == "int"


def test_unknown_question_key(tmp_path: Path) -> None:
    q = qmod.load(write(tmp_path, with_when("hosts > 2")), display="q.yaml")
    with pytest.raises(DataError, match=r"unknown question key 'host'; did you mean 'hosts'\?"):
        q.question("host")
    with pytest.raises(DataError, match=r"unknown question key 'zzz'; run 'advisor questions' to list the keys"):
        qmod.check_keys(q, ["hosts", "zzz"])


@pytest.mark.parametrize(
    ("when", "line"),
    [
        ("racks > 1",
         "q.yaml:21:11: 'when' refers to its own question 'racks'; a condition can only use earlier answers"),
        ("tenency == 'x'", "q.yaml:21:11: unknown fact 'tenency'; did you mean 'tenancy'?"),
        ("colour == 'x'",
         "q.yaml:21:11: unknown fact 'colour'; a condition can only use the keys of earlier questions"),
        ("hosts > 'x'", "q.yaml:21:19: '>' needs numbers, got number and str; compare numbers, or use == for text"),
        ("\"hosts > 'x'\"", "q.yaml:21:20: '>' needs numbers, got number and str; compare numbers, or use == for text"),
        ("'hosts > \"x\"'", "q.yaml:21:20: '>' needs numbers, got number and str; compare numbers, or use == for text"),
        ("tenancy == 'single'", "q.yaml:21:22: 'single' is not a choice of tenancy; did you mean 'single-team'?"),
        ("\"hosts.__class__ == 1\"", "q.yaml:21:18: '__class__' is not allowed: names starting with '_' are reserved; "
                                     "conditions can only read facts"),
        # not written out verbatim on the line (escapes, folded, several lines): the start of the value
        ("\"hosts > \\x27x\\x27\"", "q.yaml:21:11: '>' needs numbers, got number and str; compare numbers, or use == "
                                   "for text"),
        (">-\n      hosts > 1 and\n      hosts > 'x'", "q.yaml:21:11: '>' needs numbers, got number and str; compare "
                                                     "numbers, or use == for text"),
        ("hosts > 1 and\n      hosts > 'x'", "q.yaml:21:11: '>' needs numbers, got number and str; compare numbers, "
                                            "or use == for text"),
        ("'hosts'", "q.yaml:21:12: a condition must be true or false, this one gives number; compare the value, "
                    "e.g. crd_count > 50"),
    ],
)
def test_when_errors_point_into_the_expression(tmp_path: Path, when: str, line: str) -> None:
    assert load_error(tmp_path, with_when(when)) == line


def test_when_refers_to_a_later_question(tmp_path: Path) -> None:
    text = HEAD + Q_TENANCY + Q_HOSTS.replace("    min: 1\n", "    min: 1\n    when: racks > 1\n") + (
        "  - key: racks\n    type: int\n    prompt: Racks?\n")
    assert load_error(tmp_path, text) == (
        "q.yaml:18:11: 'when' refers to 'racks', which is asked later; a condition can only use earlier answers; "
        "reorder the questions")


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (HEAD + Q_HOSTS + Q_TENANCY + Q_HOSTS,
         "q.yaml:18:10: questions.2.key: 'hosts' is already the key of an earlier question; each key may appear once"),
        (HEAD + Q_HOSTS.replace("default: 3", "default: 0"),
         "q.yaml:9:14: questions.0.default: 0 is out of range; give a whole number >= 1"),
        (HEAD + Q_TENANCY.replace("default: multi-team", "default: multi"),
         "q.yaml:9:14: questions.0.default: 'multi' is not a choice; did you mean 'multi-team'?"),
        (HEAD + Q_HOSTS + "    pattern: '^[0-9]+$'\n",
         "q.yaml:11:14: questions.0.pattern: applies to str questions only, this one is int; remove it"),
        (HEAD + Q_HOSTS.replace("min: 1", "min: .nan"),
         "q.yaml:10:10: questions.0.min: must be a finite number, got nan; use a finite number"),
        (HEAD.replace("title", "titel") + Q_HOSTS, "q.yaml:4:1: unknown key 'titel'; did you mean 'title'?"),
        (HEAD.replace("questions:\n", "questions: []\n"), "q.yaml:5:12: questions: needs at least 1 item; add one"),
    ],
)
def test_load_errors(tmp_path: Path, text: str, line: str) -> None:
    assert load_error(tmp_path, text) == line


def test_several_problems_are_one_line_each_in_file_order(tmp_path: Path) -> None:
    text = HEAD.replace("version: 1", "version: 0") + Q_HOSTS.replace("type: int", "type: integer").replace(
        "prompt:", "promt:")
    assert load_error(tmp_path, text).splitlines() == [
        "q.yaml:3:10: version: 0 is out of range, must be >= 1; use a value in range",
        "q.yaml:7:11: questions.0.type: 'integer' is not allowed; did you mean 'int'?",
        "q.yaml:8:5: unknown key 'promt'; did you mean 'prompt'?",
    ]


def test_the_bundled_questionnaire() -> None:
    q = qmod.load_default()
    assert q.id == "default" and q.version >= 1
    assert len(q.keys()) == len(set(q.keys()))
    assert set(q.conditions) == {x.key for x in q.questions if x.when}
    for x in q.questions:
        if x.default is not None:
            assert x.parse(x.default, from_text=False) == x.default
    assert q.applies("hosts_per_site", {"site_type": "datacenter"}) is False
    assert q.applies("hosts_per_site", {"site_type": "edge"}) is True


def test_quick_when_makes_a_full_question_a_quick_follow_up(tmp_path: Path) -> None:
    text = HEAD + Q_TENANCY + Q_HOSTS + (
        "  - key: racks\n    type: int\n    prompt: Racks?\n    default: 2\n"
        "    quick_when: \"tenancy == 'single-team'\"\n")
    q = qmod.load(write(tmp_path, text), display="q.yaml")
    assert [x.key for x in q.selected("quick")] == []
    assert q.asked_in("racks", "quick", {"tenancy": "single-team"}) is True
    assert q.asked_in("racks", "quick", {"tenancy": "multi-team"}) is False
    assert q.asked_in("racks", "quick", {}) is False  # unknown: not (yet) decisive
    assert q.asked_in("racks", "full", {"tenancy": "multi-team"}) is True
    assert "full; quick when tenancy == 'single-team'" in qmod.describe(q.questions)


def test_quick_when_reads_only_earlier_answers_and_only_on_full_questions(tmp_path: Path) -> None:
    later = HEAD + Q_TENANCY.replace("    prompt:", "    quick_when: hosts > 2\n    prompt:", 1) + Q_HOSTS
    assert "q.yaml:" in load_error(tmp_path, later) and "unknown fact 'hosts'" in load_error(tmp_path, later)
    quick = HEAD + Q_TENANCY + "  - key: racks\n    type: int\n    mode: quick\n    prompt: Racks?\n" \
        "    quick_when: tenancy == 'single-team'\n"
    assert "quick_when: a quick question is always asked in quick mode" in load_error(tmp_path, quick)
