"""One question: its model (type, prompt, help, unit, choices, default, bounds or pattern, conditions), and
:meth:`Question.parse`, the single validation path for an answer, whether it was typed at the prompt, read
from a profile file or given with ``--set``.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from advisor.conditions import FactType
from advisor.errors import did_you_mean, one_of

__all__ = ["Check", "Choice", "DefaultWhen", "Mode", "Question", "QuestionType"]

QuestionType = Literal["str", "int", "float", "bool", "choice", "multi-choice"]
Mode = Literal["quick", "full"]

_TRUE = {"true", "yes", "y", "1", "on"}
_FALSE = {"false", "no", "n", "0", "off"}
_KIND: dict[str, Literal["str", "int", "float", "bool", "list"]] = {
    "str": "str", "int": "int", "float": "float", "bool": "bool", "choice": "str", "multi-choice": "list",
}


def _brief(value: Any) -> str:
    """A value as it appears in a message: YAML words, at most 60 characters."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, int) and abs(value).bit_length() > 128:
        return "a number with too many digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:56] + "..." + (text[-1] if isinstance(value, str) else "")


class Choice(BaseModel):
    """One allowed value of a choice or multi-choice question."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="the value stored in profiles")
    label: str = Field(min_length=1, description="what the prompt shows")
    help: str = Field("", description="one line that explains the choice")
    exclusive: bool = Field(False, description="multi-choice: this value cannot be combined with others (e.g. none)")


class DefaultWhen(BaseModel):
    """A default that follows earlier answers: ``value`` when ``when`` holds."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    when: str = Field(description="condition over earlier answers")
    value: Any = Field(description="the default when the condition holds")


class Check(BaseModel):
    """A consistency warning between answers: ``message`` is shown when ``when`` holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    when: str = Field(description="condition over the answers that flags an inconsistency")
    message: str = Field(min_length=1, description="what looks inconsistent and what to check")


@functools.lru_cache(maxsize=256)
def _pattern(text: str) -> Any:
    """A question's ``pattern`` compiled with RE2: matching takes linear time, whatever the pattern.

    Python's backtracking engine takes exponential time on patterns such as
    ``^(a+)+$``; RE2 cannot backtrack (and so has no backreferences or lookaround).
    """
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.log_errors = False  # the error is reported once, as a ValueError, not on stderr by the C++ library
    options.max_mem = 8 << 20
    try:
        return re2.compile(text, options)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ValueError(f"invalid regular expression ({detail}); patterns use RE2 syntax (no backreferences or "
                         "lookaround)") from None


class Question(BaseModel):
    """One question of a questionnaire."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64, description="answer key in profiles")
    type: QuestionType
    prompt: str = Field(min_length=1, description="the question as asked")
    help: str = Field("", description="what to answer: meaning, units, examples")
    unit: str | None = Field(None, description="unit of a number, e.g. ms, days, hosts")
    choices: tuple[Choice, ...] | None = Field(None, description="choice and multi-choice only")
    default: Any = Field(None, description="the default answer; absent means the answer is required")
    default_when: tuple[DefaultWhen, ...] = Field(
        (), description="defaults that follow earlier answers: the first whose condition holds replaces 'default'")
    min: float | None = Field(None, description="smallest allowed number (int, float)")
    max: float | None = Field(None, description="largest allowed number (int, float)")
    min_exclusive: bool = Field(False, description="the number must be strictly greater than min")
    pattern: str | None = Field(None, max_length=500, description="regular expression a str answer must match")
    when: str | None = Field(None, description="condition over earlier answers; the question is asked only when true")
    mode: Mode = Field("full", description="quick questions are asked by default; full ones only with --full")
    quick_when: str | None = Field(
        None, description="full questions: condition over earlier answers under which the question is decisive and "
        "quick mode asks it too (the licence after vSphere, special networking after trading or telco)")
    moves: Literal["toward-bare-metal", "toward-vm", "none", "worsens-both", "improves-both"] | None = Field(
        None, description="numbers and ordinal choices: the way a larger answer moves P(bare metal better); "
        "worsens-both / improves-both: it moves configurations of both options the same way, so each option's "
        "expected utility moves that way and P has no direction true for every profile")

    @field_validator("pattern")
    @classmethod
    def _pattern_compiles(cls, v: str | None) -> str | None:
        if v is not None:
            _pattern(v)
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        is_choice = self.type in ("choice", "multi-choice")
        # "field: problem; what to do": advisor.validation points at that field
        if is_choice and not self.choices:
            raise ValueError(f"type: a {self.type} question needs choices; add a 'choices' list")
        if not is_choice and self.choices:
            raise ValueError(f"choices: only choice and multi-choice questions have choices, this one is {self.type}; "
                             "remove them or change the type")
        if self.choices:
            values = [c.value for c in self.choices]
            for i, v in enumerate(values):
                if v in values[:i]:
                    raise ValueError(f"choices.{i}.value: the choice {v!r} is listed twice; remove one")
        for bound in ("min", "max"):
            if getattr(self, bound) is not None and self.type not in ("int", "float"):
                raise ValueError(f"{bound}: applies to int and float questions only, this one is {self.type}; "
                                 "remove it")
        if self.pattern is not None and self.type != "str":
            raise ValueError(f"pattern: applies to str questions only, this one is {self.type}; remove it")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min: is greater than max; swap them")
        if self.default is not None:
            try:
                object.__setattr__(self, "default", self.parse(self.default, from_text=False))
            except ValueError as exc:
                raise ValueError(f"default: {exc}") from None
        if self.quick_when is not None and self.mode == "quick":
            raise ValueError("quick_when: a quick question is always asked in quick mode; remove quick_when or "
                             "make the question mode: full")
        if self.default_when and self.default is None:
            raise ValueError("default_when: needs a plain 'default' for when no condition holds; add one")
        parsed = []
        for i, item in enumerate(self.default_when):
            try:
                parsed.append(item.model_copy(update={"value": self.parse(item.value, from_text=False)}))
            except ValueError as exc:
                raise ValueError(f"default_when.{i}.value: {exc}") from None
        object.__setattr__(self, "default_when", tuple(parsed))
        return self

    # ------------------------------------------------------------------ answers

    @property
    def required(self) -> bool:
        return self.default is None

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices or ())

    def fact_type(self) -> FactType:
        return FactType(_KIND[self.type], self.choice_values or None, self.prompt)

    def parse(self, raw: Any, *, from_text: bool) -> Any:
        """Validate one answer; return the typed value or raise ValueError(reason; what to do).

        ``from_text`` is true for typed input and ``--set`` values (strings that are
        converted); YAML values keep their types and must already be right.
        """
        t = self.type
        if t == "str":
            return self._parse_str(raw)
        if t == "bool":
            return self._parse_bool(raw, from_text)
        if t in ("int", "float"):
            return self._parse_number(raw, from_text)
        if t == "choice":
            return self._parse_choice(raw)
        return self._parse_multi(raw, from_text)

    def _parse_str(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise ValueError(f"expected text, got {_brief(raw)}; quote the value")
        value = raw.strip()
        if not value:
            raise ValueError("an answer is required; type a value")
        if len(value) > 200:
            raise ValueError("is longer than 200 characters; shorten it")
        if self.pattern is not None and _pattern(self.pattern).fullmatch(value) is None:
            raise ValueError(f"{_brief(value)} does not match {self.pattern}; see the help for the expected form")
        return value

    def _parse_bool(self, raw: Any, from_text: bool) -> bool:
        if isinstance(raw, bool):
            return raw
        if from_text and isinstance(raw, str):
            word = raw.strip().lower()
            if word in _TRUE:
                return True
            if word in _FALSE:
                return False
        raise ValueError(f"expected yes or no, got {_brief(raw)}; answer true or false")

    def _parse_number(self, raw: Any, from_text: bool) -> int | float:
        is_int = self.type == "int"
        value: int | float
        if isinstance(raw, bool):
            raise ValueError(f"expected a number, got {_brief(raw)}; {self._range_hint()}")
        if isinstance(raw, str) and from_text:
            text = raw.strip().replace("_", "")
            try:
                value = int(text) if is_int else float(text)
            except ValueError:
                word = "a whole number" if is_int else "a number"
                raise ValueError(f"expected {word}, got {_brief(raw.strip())}; {self._range_hint()}") from None
        elif isinstance(raw, int):
            try:
                value = raw if is_int else float(raw)
            except OverflowError:
                value = math.inf
        elif isinstance(raw, float) and not is_int:
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        else:
            word = "a whole number" if is_int else "a number"
            raise ValueError(f"expected {word}, got {_brief(raw)}; {self._range_hint()}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {_brief(raw)}; {self._range_hint()}")
        low_ok = self.min is None or (value > self.min if self.min_exclusive else value >= self.min)
        high_ok = self.max is None or value <= self.max
        if not (low_ok and high_ok):
            shown = _brief(value) if isinstance(value, int) else self.format_value(value)
            raise ValueError(f"{shown} is out of range; {self._range_hint()}")
        return value

    def range_hint(self) -> str:
        """What a number answer may be, e.g. 'give a number > 0 and <= 3600000 ms'."""
        return self._range_hint()

    def _range_hint(self) -> str:
        def fmt(x: float) -> str:
            return str(int(x)) if float(x).is_integer() else str(x)

        unit = f" {self.unit}" if self.unit else ""
        low = None if self.min is None else ((">" if self.min_exclusive else ">=") + " " + fmt(self.min))
        high = None if self.max is None else "<= " + fmt(self.max)
        word = "a whole number" if self.type == "int" else "a number"
        parts = " and ".join(p for p in (low, high) if p)
        return f"give {word}{' ' + parts if parts else ''}{unit}"

    def _parse_choice(self, raw: Any) -> str:
        if not isinstance(raw, str):
            raise ValueError(f"expected one of {one_of(self.choice_values)}, got {_brief(raw)}; pick one of them")
        value = raw.strip()
        if value not in self.choice_values:
            hint = did_you_mean(value, self.choice_values) or f"choose one of {one_of(self.choice_values)}"
            raise ValueError(f"{_brief(value)} is not a choice; {hint}")
        return value

    def _parse_multi(self, raw: Any, from_text: bool) -> list[str]:
        items: list[Any]
        if isinstance(raw, str) and from_text:
            items = [p.strip() for p in raw.split(",") if p.strip()]
        elif isinstance(raw, list):
            items = list(raw)
        else:
            raise ValueError(f"expected a list of choices, got {_brief(raw)}; write e.g. [{self.choice_values[0]}]")
        if not items:
            raise ValueError(f"choose at least one; use [{self.choice_values[0]}] for none")
        out: list[str] = []
        for item in items:
            value = self._parse_choice(item)
            if value not in out:
                out.append(value)
        exclusive = {c.value for c in self.choices or () if c.exclusive}
        lonely = [v for v in out if v in exclusive]
        if lonely and len(out) > 1:
            raise ValueError(f"{lonely[0]!r} cannot be combined with other choices; remove it or the others")
        order = {v: i for i, v in enumerate(self.choice_values)}
        return sorted(out, key=order.__getitem__)

    def format_value(self, value: Any) -> str:
        """An answer as text for prompts and summaries."""
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
