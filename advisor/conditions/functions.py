"""Comparisons and the only functions a condition can call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from advisor.conditions.types import BOOL, LSTR, NUM, UNKNOWN, Evaluator

LIST_IN_HINT = {
    "in": "write all_of({fact}, [...]) for every item present, or any_of({fact}, [...]) for at least one",
    "not in": "write none_of({fact}, [...]) for no item present, or not all_of({fact}, [...]) for not every one",
}


def compare_with(sym: str, lf: Evaluator, rf: Evaluator) -> Evaluator:
    import operator

    table: dict[str, Callable[[Any, Any], bool]] = {
        "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge,
        "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
    }
    fn = table[sym]

    def compare(f: Mapping[str, Any]) -> Any:
        a = lf(f)
        if a is UNKNOWN:
            return UNKNOWN
        b = rf(f)
        if b is UNKNOWN:
            return UNKNOWN
        return fn(a, b)

    return compare


@dataclass(frozen=True)
class Function:
    params: tuple[str, ...]
    result: str
    impl: Callable[..., Any]
    doc: str
    variadic: bool = False


def _overlaps(a: list[Any], b: list[Any]) -> bool:
    return bool(set(a) & set(b))


def _contains_all(a: list[Any], b: list[Any]) -> bool:
    return set(b) <= set(a)


def _disjoint(a: list[Any], b: list[Any]) -> bool:
    return not set(a) & set(b)


#: The only functions a condition can call.
FUNCTIONS: dict[str, Function] = {
    "len": Function((LSTR,), NUM, len, "number of items in a list, e.g. len(compliance) > 1"),
    "abs": Function((NUM,), NUM, abs, "absolute value"),
    "min": Function((NUM,), NUM, min, "smallest of two or more numbers", variadic=True),
    "max": Function((NUM,), NUM, max, "largest of two or more numbers", variadic=True),
    "any_of": Function((LSTR, LSTR), BOOL, _overlaps,
                        "true when the two lists share an item, e.g. any_of(compliance, ['pci-dss', 'hipaa'])"),
    "all_of": Function((LSTR, LSTR), BOOL, _contains_all,
                        "true when the first list holds every item of the second, "
                        "e.g. all_of(special_networking, ['sr-iov', 'dpdk'])"),
    "none_of": Function((LSTR, LSTR), BOOL, _disjoint,
                         "true when the first list holds no item of the second, e.g. none_of(compliance, ['pci-dss'])"),
    "known": Function((), BOOL, lambda: True, "true when a fact is present, e.g. known(measured.cpu.ratio)"),
}


#: The functions over a multi-choice list -> the value of one item's test that decides the result alone
#: (any_of: an item present makes it true; all_of: an item absent makes it false; none_of: present, false).
LIST_TESTS = {"any_of": True, "all_of": False, "none_of": True}
