"""advisor.conditions: the safe, typed, three-valued condition language."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import examples

from advisor.conditions import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    Condition,
    ConditionError,
    FactType,
    compile_condition,
)

TYPES: dict[str, FactType] = {
    "n": FactType("int"),
    "m": FactType("int"),
    "x": FactType("float"),
    "flag": FactType("bool"),
    "other": FactType("bool"),
    "name": FactType("str"),
    "tenancy": FactType("str", ("single-team", "multi-team", "multi-tenant-untrusted")),
    "compliance": FactType("list", ("none", "pci-dss", "hipaa", "soc2")),
    "tags": FactType("list"),
    "graph.vm.spof_count": FactType("int"),
}

FACTS: dict[str, Any] = {
    "n": 5, "m": 0, "x": 2.5, "flag": True, "other": False, "name": "api",
    "tenancy": "multi-team", "compliance": ["pci-dss", "soc2"], "tags": [], "graph.vm.spof_count": 2,
}


def ev(expr: str, facts: dict[str, Any] | None = None) -> bool | None:
    return compile_condition(expr, TYPES).evaluate(FACTS if facts is None else facts)


def error(expr: str) -> ConditionError:
    with pytest.raises(ConditionError) as info:
        compile_condition(expr, TYPES)
    return info.value


# ----------------------------------------------------------------------------- evaluation


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("n == 5", True), ("n != 5", False), ("n < 6", True), ("n <= 5", True), ("n > 5", False), ("n >= 5", True),
        ("x > 2", True), ("x == 2.5", True), ("n > x", True), ("n == 5.0", True),
        ("name == 'api'", True), ("name != \"api\"", False),
        ("flag", True), ("not flag", False), ("flag == true", True), ("other == False", True), ("flag != other", True),
        ("n + 1 == 6", True), ("n - 7 == -2", True), ("n * 2 == 10", True), ("n / 2 == 2.5", True),
        ("-n == -5", True), ("+n == 5", True), ("(n + 1) * 2 == 12", True), ("n + 1 * 2 == 7", True),
        ("1 < n < 10", True), ("1 < n < 5", False), ("0 <= m < n <= 5", True), ("n > 1 > m", True),
        ("tenancy in ['multi-team', 'single-team']", True), ("tenancy not in ['multi-team']", False),
        ("'pci-dss' in compliance", True), ("'hipaa' in compliance", False), ("'hipaa' not in compliance", True),
        ("all_of(compliance, ['pci-dss', 'soc2'])", True), ("all_of(compliance, ['pci-dss', 'hipaa'])", False),
        ("none_of(compliance, ['hipaa', 'none'])", True), ("none_of(compliance, ['hipaa', 'soc2'])", False),
        ("not all_of(compliance, ['hipaa', 'soc2'])", True), ("all_of(compliance, [])", True),
        ("compliance == ['pci-dss', 'soc2']", True), ("compliance != ['none']", True),
        ("n in [1, 5, 9]", True), ("x not in [1, 2]", True),
        ("len(compliance) == 2", True), ("len(tags) == 0", True), ("abs(m - n) == 5", True),
        ("min(n, x, 3) == 2.5", True), ("max(n, x) == 5", True),
        ("any_of(compliance, ['hipaa', 'soc2'])", True), ("any_of(compliance, ['hipaa'])", False),
        ("known(n)", True), ("known(graph.vm.spof_count)", True), ("graph.vm.spof_count > 1", True),
        ("flag and n > 1", True), ("flag and other", False), ("other or n == 5", True), ("other or not flag", False),
        ("not (flag and other)", True), ("flag and (other or n > 1)", True),
        ("True", True), ("false", False), ("true and not False", True),
        ("n / m > 1", None),  # division by zero: unknown, never an exception
    ],
)
def test_evaluation(expr: str, expected: bool | None) -> None:
    assert ev(expr) is expected


U = None  # unknown


@pytest.mark.parametrize(
    ("a", "b", "and_", "or_"),
    [
        (True, True, True, True), (True, False, False, True), (False, True, False, True), (False, False, False, False),
        (True, U, U, True), (U, True, U, True), (False, U, False, U), (U, False, False, U), (U, U, U, U),
    ],
)
def test_kleene_logic(a: bool | None, b: bool | None, and_: bool | None, or_: bool | None) -> None:
    facts = {k: v for k, v in (("flag", a), ("other", b)) if v is not None}
    assert ev("flag and other", facts) is and_
    assert ev("flag or other", facts) is or_
    assert ev("not flag", facts) is (None if a is None else not a)


def test_unknown_spreads_through_comparisons_arithmetic_lists_and_calls() -> None:
    for expr in ("n > 1", "n + 1 > 1", "-n < 0", "n in [1, 2]", "[n, 1] == [1, 1]", "abs(n) > 0", "min(n, 1) == 1",
                 "len(compliance) > 0", "'x' in tags", "1 < n < 3", "n != 1"):
        assert ev(expr, {}) is None, expr
    assert ev("known(n)", {}) is False
    assert ev("not known(n) or n > 1", {}) is True
    assert ev("1 < 0 < n", {}) is False  # a false step decides the chain even when another is unknown
    assert ev("m > 1 and n > 1", {"m": 0}) is False


def test_names_and_missing() -> None:
    cond = compile_condition("n > 1 and (graph.vm.spof_count == 0 or known(x))", TYPES)
    assert isinstance(cond, Condition)
    assert cond.names == frozenset({"n", "graph.vm.spof_count", "x"})
    assert cond.missing({"n": 1}) == ["graph.vm.spof_count", "x"]
    assert cond.source == "n > 1 and (graph.vm.spof_count == 0 or known(x))"


def test_multi_line_expressions_are_joined() -> None:
    assert ev("n > 1\nand flag") is True


# ----------------------------------------------------------------------------- rejections


@pytest.mark.parametrize(
    ("expr", "message", "hint", "offset"),
    [
        # unknown facts
        ("tenency == 'x'", "unknown fact 'tenency'", "did you mean 'tenancy'?", 0),
        ("n > 1 and colour == 'x'", "unknown fact 'colour'", "run 'advisor facts' to list the known facts", 10),
        ("graph.vm.spof == 1", "unknown fact 'graph.vm.spof'", "did you mean 'graph.vm.spof_count'?", 0),
        # Python internals
        ("n.__class__ == 1", "'__class__' is not allowed: names starting with '_' are reserved",
         "conditions can only read facts", 2),
        ("__import__('os').system('id') == 0", "'__import__' is not allowed: names starting with '_' are reserved",
         "conditions can only read facts", 0),
        ("().__class__.__bases__[0].__subclasses__() == []",
         "'__class__' is not allowed: names starting with '_' are reserved", "conditions can only read facts", 3),
        ("n > 1 and _private", "'_private' is not allowed: names starting with '_' are reserved",
         "conditions can only read facts", 10),
        ("flag and n.__init__.__globals__", "'__init__' is not allowed: names starting with '_' are reserved",
         "conditions can only read facts", 11),
        # calls and other syntax
        ("open('/etc/passwd') == 'x'", "calling 'open' is not allowed",
         "the functions are abs, all_of, any_of, known, len, max, min, none_of", 0),
        ("lenn(tags) > 1", "calling 'lenn' is not allowed", "did you mean 'len'?", 0),
        ("name.upper() == 'X'", "calling 'name.upper' is not allowed",
         "the functions are abs, all_of, any_of, known, len, max, min, none_of", 0),
        ("'x'.upper() == 'X'", "calling a method is not allowed",
         "the functions are abs, all_of, any_of, known, len, max, min, none_of", 0),
        ("(lambda: True)()", "calling a lambda is not allowed",
         "the functions are abs, all_of, any_of, known, len, max, min, none_of", 0),
        ("compliance[0] == 'x'", "indexing ([...]) is not allowed in a condition", None, 0),
        ("[c for c in compliance] == []", "a comprehension is not allowed in a condition", None, 0),
        ("lambda: True", "a lambda is not allowed in a condition", None, 0),
        ("f'{name}' == 'x'", "an f-string is not allowed in a condition", None, 0),
        ("{'a': 1} == {}", "a dict is not allowed in a condition", None, 0),
        ("n == (1, 2)", "a tuple is not allowed in a condition", None, 5),
        ("n if flag else m", "a condition must be true or false, this one gives number",
         "compare the value, e.g. crd_count > 50", 0),
        ("(y := 1) == 1", "an assignment (:=) is not allowed in a condition", None, 1),
        ("flag is True", "'is' is not allowed", "use == or !=", 8),
        ("n | 1 == 1", "operator BitOr is not allowed", "use + - * /", 0),
        ("n ** 2 > 1", "operator Pow is not allowed", "use + - * /", 0),
        ("~n == 1", "bitwise operators are not allowed", "use and/or/not", 0),
        ("len(tags, key=1) > 0", "len() takes no keyword arguments", None, 0),
        ("known(1)", "known() takes one fact name", "write e.g. known(measured.cpu.ratio)", 0),
        ("known(nope)", "unknown fact 'nope'", "run 'advisor facts' to list the known facts", 6),
        ("len(tags, tags) > 0", "len() takes 1 argument(s), got 2", None, 0),
        ("min(n) > 0", "min() takes two or more arguments", None, 0),
        ("abs(name) > 0", "abs() argument 1 must be number, got str", None, 4),
        ("any_of(compliance, name)", "any_of() argument 2 must be list[str], got str", None, 19),
        # types
        ("n > 'many'", "'>' needs numbers, got number and str", "compare numbers, or use == for text", 4),
        ("name == 1", "cannot compare str with number", "compare values of the same type", 8),
        ("flag == 1", "cannot compare bool with number", "compare values of the same type", 8),
        ("n and flag", "'and' needs true/false values, got number", "compare the value, e.g. x > 0", 0),
        ("flag or name", "'or' needs true/false values, got str", "compare the value, e.g. x > 0", 8),
        ("not n", "'not' needs a true/false value, got number", None, 0),
        ("-name == 'x'", "'-' needs a number, got str", None, 0),
        ("name + 1 == 2", "arithmetic needs numbers, got str", None, 0),
        ("name in 'api'", "'in' needs a value and a list of the same kind, got str in str",
         "write e.g. 'pci-dss' in compliance or tenancy in ['a', 'b']", 8),
        ("n in compliance", "'in' needs a value and a list of the same kind, got number in list[str]",
         "write e.g. 'pci-dss' in compliance or tenancy in ['a', 'b']", 5),
        ("[1, 'a'] == tags", "a list must hold only strings or only numbers", None, 0),
        ("n + 1", "a condition must be true or false, this one gives number", "compare the value, e.g. crd_count > 50",
         0),
        ("name", "a condition must be true or false, this one gives str", "compare the value, e.g. crd_count > 50", 0),
        # choice literals are checked against the choices
        ("tenancy == 'multi-tenat'", "'multi-tenat' is not a choice of tenancy", "did you mean 'multi-team'?", 11),
        ("'single' == tenancy", "'single' is not a choice of tenancy", "did you mean 'single-team'?", 0),
        ("'zzz' != tenancy", "'zzz' is not a choice of tenancy",
         "choose one of 'single-team', 'multi-team', 'multi-tenant-untrusted'", 0),
        ("tenancy in ['single-team', 'hybrid']", "'hybrid' is not a choice of tenancy",
         "choose one of 'single-team', 'multi-team', 'multi-tenant-untrusted'", 11),
        ("'pci' in compliance", "'pci' is not a choice of compliance", "did you mean 'pci-dss'?", 0),
        ("none_of(compliance, ['pci', 'soc2'])", "'pci' is not a choice of compliance", "did you mean 'pci-dss'?", 20),
        # the multi-choice trap: a list 'in' / 'not in' a list points at all_of / none_of
        ("['hipaa', 'soc2'] not in compliance", "a list 'not in' a list is ambiguous",
         "write none_of(compliance, [...]) for no item present, or not all_of(compliance, [...]) for not every one", 0),
        ("flag and ['hipaa'] in compliance", "a list 'in' a list is ambiguous",
         "write all_of(compliance, [...]) for every item present, or any_of(compliance, [...]) for at least one", 9),
        ("compliance == ['zzz']", "'zzz' is not a choice of compliance",
         "choose one of 'none', 'pci-dss', 'hipaa', 'soc2'", 14),
        # literals
        ("n == 1j", "the literal 1j is not allowed", "use numbers, 'strings', true or false", 5),
        ("n == None", "the literal None is not allowed", "use numbers, 'strings', true or false", 5),
        ("name == b'x'", "the literal b'x' is not allowed", "use numbers, 'strings', true or false", 8),
        ("x > 1e999", "numbers must be finite", None, 4),
        ("n > 1" + "0" * 30, "number is too large", "use a smaller number", 4),
        # syntax
        ("n > ", "invalid condition syntax", "see docs/writing-rules.md for the syntax", 0),
        ("n >> = 1", "invalid condition syntax", "see docs/writing-rules.md for the syntax", 5),
        ("name == 'éé' and n >> = 1", "invalid condition syntax", "see docs/writing-rules.md for the syntax", 22),
        ("   n > 'x'", "'>' needs numbers, got number and str", "compare numbers, or use == for text", 7),
        ("n == 1; import os", "invalid condition syntax", "see docs/writing-rules.md for the syntax", 6),
        ("", "condition is empty", "write an expression such as latency_p99_ms < 1", 0),
        ("   \n  ", "condition is empty", "write an expression such as latency_p99_ms < 1", 0),
    ],
)
def test_rejections(expr: str, message: str, hint: str | None, offset: int) -> None:
    err = error(expr)
    assert err.message == message
    if hint is not None or "not allowed in a condition" not in message:
        assert err.hint == hint
    else:
        assert err.hint is not None and "any_of" in err.hint
    assert err.offset == offset


def test_caps() -> None:
    long = " or ".join(["n > 1"] * 400)
    assert len(long) > MAX_LENGTH
    assert error(long).message == f"condition is longer than {MAX_LENGTH} characters"
    many = " + ".join(["n"] * 250) + " > 0"
    assert len(many) <= MAX_LENGTH
    assert error(many).message == f"condition has more than {MAX_NODES} parts"
    deep = "-" * (MAX_DEPTH + 5) + "n > 0"
    assert error(deep).message == f"expression is nested deeper than {MAX_DEPTH} levels"
    assert error("(" * 300 + "n" + ")" * 300 + " > 0").message.startswith("invalid condition syntax")
    assert error("not " * 40 + "flag").message == f"expression is nested deeper than {MAX_DEPTH} levels"
    assert compile_condition("-" * (MAX_DEPTH - 2) + "n > 0", TYPES).evaluate({"n": 1}) is True


def test_non_string_is_rejected() -> None:
    with pytest.raises(ConditionError, match="a condition must be a string"):
        compile_condition(5, TYPES)  # type: ignore[arg-type]


def test_every_function_is_documented() -> None:
    assert set(FUNCTIONS) == {"len", "abs", "min", "max", "any_of", "all_of", "none_of", "known"}
    assert all(f.doc for f in FUNCTIONS.values())


def test_huge_arithmetic_is_unknown_not_a_crash() -> None:
    big = " * ".join(["9000000000000000000"] * 20)
    assert ev(f"{big} / 3 > 1") is None
    assert ev("x * 1e308 * 10 > 1", {"x": 10.0}) is True  # float overflow is inf, an ordinary value


# ----------------------------------------------------------------------------- properties

TOKENS = [
    "n", "m", "x", "flag", "name", "tenancy", "compliance", "tags", "graph.vm.spof_count", "nope", "__class__",
    "0", "1", "2.5", "-1", "1e308", "'multi-team'", "'pci-dss'", "'a'", "true", "false", "[", "]", "(", ")", ",",
    "==", "!=", "<", "<=", ">", ">=", "in", "not", "and", "or", "+", "-", "*", "/", "len", "abs", "min", "max",
    "any_of", "known", ".", "[]",
]

_value = {
    "int": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "float": st.floats(allow_nan=False, allow_infinity=False),
    "bool": st.booleans(),
    "str": st.sampled_from(["", "api", "multi-team", "single-team", "x" * 50]),
    "list": st.lists(st.sampled_from(["none", "pci-dss", "hipaa", "soc2", "other"]), max_size=5),
}


@st.composite
def facts(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, ftype in TYPES.items():
        if draw(st.booleans()):
            out[key] = draw(_value[ftype.kind])
    return out


@settings(max_examples=examples(4), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_random_text_only_ever_raises_condition_error(text: str) -> None:
    try:
        compile_condition(text, TYPES)
    except ConditionError as exc:
        assert isinstance(exc.message, str) and exc.message
        assert 0 <= exc.offset <= len(text)


@settings(max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map(" ".join), facts())
def test_token_soup_compiles_or_is_refused_and_never_fails_to_evaluate(expr: str, given_facts: dict[str, Any]) -> None:
    try:
        cond = compile_condition(expr, TYPES)
    except ConditionError as exc:
        assert 0 <= exc.offset <= len(expr)
        return
    assert cond.evaluate(given_facts) in (True, False, None)
    assert cond.evaluate({}) in (True, False, None)


@st.composite
def typed_expr(draw: st.DrawFn, depth: int = 0) -> str:
    """A well-typed boolean expression over TYPES."""
    num = st.one_of(st.sampled_from(["n", "m", "x", "graph.vm.spof_count", "len(compliance)", "len(tags)"]),
                    st.integers(-10**18, 10**18).map(str), st.floats(-1e300, 1e300).map(repr))
    choice = st.sampled_from(["'single-team'", "'multi-team'", "'multi-tenant-untrusted'"])
    regime = st.sampled_from(["'none'", "'pci-dss'", "'hipaa'", "'soc2'"])

    def number() -> str:
        a = draw(num)
        if depth < 3 and draw(st.booleans()):
            op = draw(st.sampled_from(["+", "-", "*", "/"]))
            return f"({a} {op} {draw(num)})"
        return a

    kind = draw(st.integers(0, 9 if depth < 3 else 5))
    if kind == 0:
        return f"{number()} {draw(st.sampled_from(['==', '!=', '<', '<=', '>', '>=']))} {number()}"
    if kind == 1:
        return f"{number()} < {number()} <= {number()}"
    if kind == 2:
        return f"tenancy {draw(st.sampled_from(['==', '!=']))} {draw(choice)}"
    if kind == 3:
        return f"{draw(regime)} {draw(st.sampled_from(['in', 'not in']))} compliance"
    if kind == 4:
        return draw(st.sampled_from(["flag", "other", "known(x)", "any_of(compliance, ['hipaa', 'soc2'])",
                                     "name == 'api'", "true"]))
    if kind == 5:
        return f"{draw(st.sampled_from(['any_of', 'all_of', 'none_of']))}(compliance, [{draw(regime)}, {draw(regime)}])"
    if kind == 6:
        return f"not ({draw(typed_expr(depth + 1))})"
    op = draw(st.sampled_from(["and", "or"]))
    return f"({draw(typed_expr(depth + 1))}) {op} ({draw(typed_expr(depth + 1))})"


@settings(max_examples=examples(3), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed_expr(), facts())
def test_well_typed_expressions_compile_and_evaluate_three_valued(expr: str, given_facts: dict[str, Any]) -> None:
    cond = compile_condition(expr, TYPES)
    result = cond.evaluate(given_facts)
    assert result in (True, False, None)
    if not cond.missing(given_facts):
        # every fact present: unknown only from division by zero or overflow
        assert result is not None or "/" in expr
    complete = {**FACTS, **given_facts}
    assert cond.evaluate(complete) in (True, False, None)


def test_floats_from_facts_may_be_infinite_without_crashing() -> None:
    assert ev("x > 1", {"x": math.inf}) is True
    assert ev("x - x == 0", {"x": math.inf}) is False  # inf - inf is nan


def test_branches_split_and_or_and_multi_choice_items_with_the_value_that_decides() -> None:
    from advisor.conditions import branches

    expr = "any_of(compliance, ['hipaa', 'soc2']) or flag and not (n < 1 or all_of(compliance, ['none', 'hipaa']))"
    got = [(b.source, b.decides) for b in branches(expr, TYPES)]
    assert got == [
        ("any_of(compliance, ['hipaa', 'soc2'])", True), ("'hipaa' in compliance", True),
        ("'soc2' in compliance", True),
        ("flag and not (n < 1 or all_of(compliance, ['none', 'hipaa']))", True), ("flag", False),
        ("not (n < 1 or all_of(compliance, ['none', 'hipaa']))", False),
        ("n < 1", True), ("all_of(compliance, ['none', 'hipaa'])", True),
        ("'none' in compliance", False), ("'hipaa' in compliance", False),
    ]
    soc2 = branches(expr, TYPES)[2].condition
    assert soc2.evaluate({"compliance": ["soc2"]}) is True and soc2.evaluate({}) is None
    assert branches("n > 1", TYPES) == [] and branches("none_of(compliance, ['hipaa'])", TYPES) == []
