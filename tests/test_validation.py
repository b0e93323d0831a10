"""advisor.validation (pydantic errors -> ``file:line:col`` lines) and the helpers of advisor.errors."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor import yamlio
from advisor.errors import (
    AdvisorError,
    CheckFailed,
    DataError,
    ExitCode,
    Interrupted,
    Location,
    MeasurementError,
    Problem,
    UsageError,
    did_you_mean,
    one_of,
)
from advisor.validation import MAX_PROBLEMS, validate


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(pattern=r"^[a-z]+$", max_length=10)
    size: int = Field(1, ge=1, le=10)
    ratio: float = Field(0.5, gt=0, lt=1)
    kind: Literal["small", "large"] = "small"

    @model_validator(mode="after")
    def _check(self) -> Item:
        if self.kind == "large" and self.size < 5:
            raise ValueError("size: a large item needs size 5 or more; raise it")
        if self.name == "self":
            raise ValueError("an item cannot be called self; rename it")
        return self


class Root(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    version: Literal[1]
    title: str = Field(min_length=1)
    enabled: bool = True
    items: tuple[Item, ...] = Field(min_length=1)
    tags: list[str] = []
    extra: dict[str, int] = {}
    nested: Item | None = None

    @model_validator(mode="after")
    def _unique(self) -> Root:
        names = [i.name for i in self.items]
        for n, name in enumerate(names):
            if name in names[:n]:
                raise ValueError(f"items.{n}.name: {name!r} is used twice; rename one")
        return self


GOOD = "version: 1\ntitle: T\nitems:\n  - name: a\n"


def lines(text: str) -> list[str]:
    doc = yamlio.parse(text, "f.yaml")
    with pytest.raises(DataError) as info:
        validate(Root, doc)
    assert info.value.exit_code == ExitCode.DATA
    return info.value.format().splitlines()


def test_valid_document() -> None:
    root = validate(Root, yamlio.parse(GOOD, "f.yaml"))
    assert root.items[0].name == "a" and root.enabled


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # unknown keys: did you mean, else the allowed keys
        (GOOD + "titel: x\n", ["f.yaml:5:1: unknown key 'titel'; did you mean 'title'?"]),
        (GOOD + "colour: x\n", ["f.yaml:5:1: unknown key 'colour'; allowed keys: 'version', 'title', 'enabled', "
                                "'items', 'tags', 'extra', 'nested'"]),
        (GOOD + "    sise: 3\n", ["f.yaml:5:5: unknown key 'sise'; did you mean 'size'?"]),
        (GOOD + "nested: {name: b, rato: 0.5}\n", ["f.yaml:5:19: unknown key 'rato'; did you mean 'ratio'?"]),
        # a misspelt required key is reported once, as the misspelling
        ("version: 1\ntitel: T\nitems:\n  - name: a\n", ["f.yaml:2:1: unknown key 'titel'; did you mean 'title'?"]),
        ("version: 1\ntitle: T\nitems:\n  - nam: a\n", ["f.yaml:4:5: unknown key 'nam'; did you mean 'name'?"]),
        # a missing key points at the mapping that should hold it
        ("version: 1\nitems:\n  - name: a\n", ["f.yaml:1:1: missing required key 'title'; add 'title:'"]),
        ("version: 1\ntitle: T\nitems:\n  - size: 2\n",
         ["f.yaml:4:5: missing required key 'name' in items.0; add 'name:'"]),
        # literals
        ("version: 2\ntitle: T\nitems:\n  - name: a\n", ["f.yaml:1:10: version: 2 is not allowed; use one of 1"]),
        (GOOD + "    kind: smal\n", ["f.yaml:5:11: items.0.kind: 'smal' is not allowed; did you mean 'small'?"]),
        (GOOD + "    kind: huge\n",
         ["f.yaml:5:11: items.0.kind: 'huge' is not allowed; use one of 'small' or 'large'"]),
        # types, in words
        ("version: 1\ntitle: [a]\nitems:\n  - name: a\n",
         ["f.yaml:2:8: title: expected text, got a list; fix the value's type"]),
        (GOOD + "    size: many\n",
         ["f.yaml:5:11: items.0.size: expected a whole number, got 'many'; fix the value's type"]),
        (GOOD + "    size: 2.5\n",
         ["f.yaml:5:11: items.0.size: expected a whole number, got 2.5; fix the value's type"]),
        (GOOD + "    ratio: half\n",
         ["f.yaml:5:12: items.0.ratio: expected a number, got 'half'; fix the value's type"]),
        (GOOD + "enabled: maybe\n",
         ["f.yaml:5:10: enabled: expected true or false, got 'maybe'; fix the value's type"]),
        (GOOD + "tags: a\n", ["f.yaml:5:7: tags: expected a list, got 'a'; fix the value's type"]),
        ("version: 1\ntitle: T\nitems: {a: 1}\n",
         ["f.yaml:3:8: items: expected a list, got a mapping; fix the value's type"]),
        (GOOD + "extra: [1]\n", ["f.yaml:5:8: extra: expected a mapping, got a list; fix the value's type"]),
        (GOOD + "nested: 5\n", ["f.yaml:5:9: nested: expected a mapping, got 5; fix the value's type"]),
        (GOOD + "title2:\n", ["f.yaml:5:1: unknown key 'title2'; did you mean 'title'?"]),
        ("version: 1\ntitle:\nitems:\n  - name: a\n",
         ["f.yaml:2:1: title: expected text, got nothing (null); fix the value's type"]),
        ("version: 1\ntitle: null\nitems:\n  - name: a\n",
         ["f.yaml:2:1: title: expected text, got nothing (null); fix the value's type"]),
        # ranges, lengths, patterns, finiteness
        (GOOD + "    size: 0\n", ["f.yaml:5:11: items.0.size: 0 is out of range, must be >= 1; use a value in range"]),
        (GOOD + "    size: 11\n",
         ["f.yaml:5:11: items.0.size: 11 is out of range, must be <= 10; use a value in range"]),
        (GOOD + "    ratio: 0\n", ["f.yaml:5:12: items.0.ratio: 0 is out of range, must be > 0; use a value in range"]),
        (GOOD + "    ratio: 1\n", ["f.yaml:5:12: items.0.ratio: 1 is out of range, must be < 1; use a value in range"]),
        (GOOD + "    ratio: .nan\n",
         ["f.yaml:5:12: items.0.ratio: must be a finite number, got nan; use a finite number"]),
        ("version: 1\ntitle: ''\nitems:\n  - name: a\n", ["f.yaml:2:8: title: is empty or too short; give a value"]),
        ("version: 1\ntitle: T\nitems: []\n", ["f.yaml:3:8: items: needs at least 1 item; add one"]),
        ("version: 1\ntitle: T\nitems:\n  - name: abcdefghijk\n",
         ["f.yaml:4:11: items.0.name: is too long; shorten it"]),
        ("version: 1\ntitle: T\nitems:\n  - name: A1\n",
         ["f.yaml:4:11: items.0.name: 'A1' does not match the pattern ^[a-z]+$; fix the value"]),
        # dictionary keys that are not text
        (GOOD + "extra:\n  7: 1\n", ["f.yaml:6:3: extra: the key 7 is not text; use a name as the key, or quote it"]),
        # model validators: a message starting with a field name points at that field
        (GOOD + "    kind: large\n", ["f.yaml:4:5: items.0.size: a large item needs size 5 or more; raise it"]),
        ("version: 1\ntitle: T\nitems:\n  - name: a\n  - name: b\n  - name: a\n",
         ["f.yaml:6:11: items.2.name: 'a' is used twice; rename one"]),
        ("version: 1\ntitle: T\nitems:\n  - name: self\n",
         ["f.yaml:4:5: items.0: an item cannot be called self; rename it"]),
    ],
)
def test_messages_and_positions(text: str, expected: list[str]) -> None:
    assert lines(text) == expected


def test_a_field_named_by_a_validator_that_is_absent_points_at_its_mapping() -> None:
    # 'size' is not written: the large item's mapping is the place to add it
    assert lines("version: 1\ntitle: T\nitems:\n  - {name: a, kind: large}\n") == [
        "f.yaml:4:5: items.0.size: a large item needs size 5 or more; raise it"]


def test_problems_are_sorted_by_position_and_capped() -> None:
    text = "version: 1\ntitle: T\nitems:\n" + "".join(f"  - name: a\n    size: {100 + i}\n" for i in range(30))
    got = lines("zzz: 1\n" + text)
    assert len(got) == MAX_PROBLEMS
    assert got[0] == "f.yaml:1:1: unknown key 'zzz'; allowed keys: 'version', 'title', 'enabled', 'items', 'tags', " \
                     "'extra', 'nested'"
    positions = [tuple(int(p) for p in line.split(":")[1:3]) for line in got]
    assert positions == sorted(positions)


def test_several_problems_one_line_each() -> None:
    assert lines("version: 3\ntitle: ''\nitems:\n  - name: a\n    size: 0\n") == [
        "f.yaml:1:10: version: 3 is not allowed; use one of 1",
        "f.yaml:2:8: title: is empty or too short; give a value",
        "f.yaml:5:11: items.0.size: 0 is out of range, must be >= 1; use a value in range",
    ]


# ----------------------------------------------------------------------------- advisor.errors


def test_problem_and_location_format() -> None:
    assert str(Location("f.yaml")) == "f.yaml"
    assert str(Location("f.yaml", 3, 7)) == "f.yaml:3:7"
    assert Problem("bad", "fix it", Location("f.yaml", 1, 2)).format() == "f.yaml:1:2: bad; fix it"
    assert Problem("bad").format() == "advisor: bad"
    err = DataError("", problems=[Problem("a", None, Location("x", 1, 1)), Problem("b", "c", Location("y"))])
    assert err.format() == "x:1:1: a\ny: b; c"
    assert str(err) == "x:1:1: a"
    assert err.first.message == "a"


def test_exit_codes_are_the_documented_ones() -> None:
    assert {c.name: int(c) for c in ExitCode} == {
        "OK": 0, "DATA": 1, "USAGE": 2, "MEASUREMENT": 3, "CHECK_FAILED": 4, "INTERNAL": 70, "INTERRUPTED": 130}
    assert AdvisorError("x").exit_code == ExitCode.DATA
    for cls, code in ((DataError, 1), (UsageError, 2), (MeasurementError, 3), (CheckFailed, 4), (Interrupted, 130)):
        assert cls("x").exit_code == code


def test_did_you_mean_and_one_of() -> None:
    assert did_you_mean("titel", ["title", "version"]) == "did you mean 'title'?"
    assert did_you_mean("zzz", ["title", "version"]) is None
    assert did_you_mean("x", []) is None
    assert one_of(["a", "b"]) == "'a', 'b'"
    assert one_of([str(i) for i in range(20)], limit=3) == "'0', '1', '2', ..."


def test_validate_passes_context() -> None:
    class WithContext(BaseModel):
        value: int

        @model_validator(mode="after")
        def _check(self, info: Any) -> WithContext:
            if info.context and self.value > info.context["limit"]:
                raise ValueError(f"value: above the limit of {info.context['limit']}; lower it")
            return self

    doc = yamlio.parse("value: 5\n", "f.yaml")
    assert validate(WithContext, doc, context={"limit": 10}).value == 5
    with pytest.raises(DataError) as info:
        validate(WithContext, doc, context={"limit": 1})
    assert info.value.format() == "f.yaml:1:8: value: above the limit of 1; lower it"
