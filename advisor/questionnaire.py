"""Questionnaires: the question model, its YAML loader and answer validation.

A questionnaire is a YAML file (``questionnaires/*.yaml``, format in
docs/questionnaire-format.md). Each question has a key, a type, prompt text, help,
an optional unit, choices, a default, bounds or a pattern, a ``when`` condition over
earlier answers (see :mod:`advisor.conditions`) and a mode (quick or full).

:meth:`Question.parse` is the single validation path for an answer, whether it was
typed at the prompt, read from a profile file or given with ``--set``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from advisor import cache, inputs, yamlio
from advisor.conditions import Condition, ConditionError, FactType, compile_condition
from advisor.errors import DataError, Location, did_you_mean, one_of
from advisor.resources import bundled_file, require
from advisor.validation import validate

__all__ = [
    "DEFAULT_PATH",
    "Choice",
    "Question",
    "Questionnaire",
    "load",
    "load_default",
]

#: The bundled questionnaire (shipped in the package; see :mod:`advisor.resources`).
DEFAULT_PATH = bundled_file("questionnaires", "default.yaml")

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
    moves: Literal["toward-bare-metal", "toward-vm", "none"] | None = Field(
        None, description="numbers and ordinal choices: the way a larger answer moves P(bare metal better)")

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


class Questionnaire(BaseModel):
    """A questionnaire file: identity, version and the ordered questions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    advisor_questionnaire: Literal[1] = Field(description="format version of this file")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=64, description="questionnaire id, kept in profiles")
    version: int = Field(ge=1, description="bump when questions change meaning")
    title: str = Field(min_length=1)
    description: str = ""
    questions: tuple[Question, ...] = Field(min_length=1)
    checks: tuple[Check, ...] = Field((), description="consistency warnings between answers, shown before saving")

    @model_validator(mode="after")
    def _unique_keys(self) -> Questionnaire:
        seen: set[str] = set()
        for i, q in enumerate(self.questions):
            if q.key in seen:
                raise ValueError(f"questions.{i}.key: {q.key!r} is already the key of an earlier question; "
                                 "each key may appear once")
            seen.add(q.key)
        return self

    @cached_property
    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}

    def _compiled(self, field: Literal["when", "quick_when"]) -> dict[str, Condition]:
        """Each question's condition ``field``, compiled against the earlier questions' types."""
        out: dict[str, Condition] = {}
        types: dict[str, FactType] = {}
        for q in self.questions:
            text = getattr(q, field)
            if text is not None:
                out[q.key] = compile_condition(text, types)
            types[q.key] = q.fact_type()
        return out

    @cached_property
    def conditions(self) -> dict[str, Condition]:
        """Compiled ``when`` conditions (checked at load time by :func:`load`)."""
        return self._compiled("when")

    @cached_property
    def quick_conditions(self) -> dict[str, Condition]:
        """Compiled ``quick_when`` conditions (checked at load time by :func:`load`)."""
        return self._compiled("quick_when")

    @cached_property
    def default_conditions(self) -> dict[str, tuple[tuple[Condition, Any], ...]]:
        """Compiled ``default_when`` conditions with their values, by question key."""
        out: dict[str, tuple[tuple[Condition, Any], ...]] = {}
        types: dict[str, FactType] = {}
        for q in self.questions:
            if q.default_when:
                out[q.key] = tuple((compile_condition(d.when, types), d.value) for d in q.default_when)
            types[q.key] = q.fact_type()
        return out

    @cached_property
    def check_conditions(self) -> tuple[tuple[Condition, str], ...]:
        types = self.fact_types()
        return tuple((compile_condition(c.when, types), c.message) for c in self.checks)

    def default_for(self, key: str, answers: Mapping[str, Any]) -> Any:
        """The default of ``key`` given the earlier ``answers`` (its ``default_when``, else ``default``)."""
        for condition, value in self.default_conditions.get(key, ()):
            if condition.evaluate(answers) is True:
                return value
        return self.by_key[key].default

    def warnings(self, answers: Mapping[str, Any]) -> list[str]:
        """The consistency warnings whose condition holds for ``answers``."""
        return [message for condition, message in self.check_conditions if condition.evaluate(answers) is True]

    def fact_types(self) -> dict[str, FactType]:
        return {q.key: q.fact_type() for q in self.questions}

    def keys(self) -> list[str]:
        return [q.key for q in self.questions]

    def question(self, key: str) -> Question:
        try:
            return self.by_key[key]
        except KeyError:
            hint = did_you_mean(key, self.by_key) or "run 'advisor questions' to list the keys"
            raise DataError(f"unknown question key {key!r}", hint) from None

    def applies(self, key: str, answers: Mapping[str, Any]) -> bool:
        """Whether the question's ``when`` holds for ``answers`` (unknown counts as yes)."""
        cond = self.conditions.get(key)
        if cond is None:
            return True
        return cond.evaluate(answers) is not False

    def selected(self, mode: Mode) -> list[Question]:
        """The questions of ``mode`` whatever the answers (quick mode: without the follow-ups of :meth:`asked_in`)."""
        return [q for q in self.questions if mode == "full" or q.mode == "quick"]

    def asked_in(self, key: str, mode: Mode, answers: Mapping[str, Any]) -> bool:
        """Whether ``mode`` asks ``key`` given the earlier ``answers``: full mode asks every question, quick
        mode the quick ones and the full ones whose ``quick_when`` holds (an earlier answer made them decisive).
        """
        if mode == "full" or self.by_key[key].mode == "quick":
            return True
        cond = self.quick_conditions.get(key)
        return cond is not None and cond.evaluate(answers) is True

    def defaults(self) -> dict[str, Any]:
        return {q.key: q.default for q in self.questions if q.default is not None}


def _condition_location(doc: yamlio.Document, index: int, err: ConditionError) -> Location:
    where = doc.where(("questions", index, "when"))
    text = str(doc.root["questions"][index]["when"])
    lines = doc.text.splitlines()
    source = lines[where.line - 1] if 0 < where.line <= len(lines) else ""
    # point at the offending character when the expression is written out verbatim on one line,
    # plain or in quotes; otherwise (folded, escaped, several lines) at the start of the value
    for start in (where.col - 1, where.col):
        if text and source[start:start + len(text)] == text and (start == where.col - 1 or source[start - 1] in "'\""):
            return Location(where.file, where.line, start + 1 + err.offset)
    return where


def load(path: str | Path, *, display: str | None = None) -> Questionnaire:
    """Load and fully check a questionnaire file; DataError with file:line:col on any problem."""
    doc = yamlio.load(path, display=display, max_bytes=inputs.limit("questionnaire"), roundtrip=False)
    model = validate(Questionnaire, doc)
    types: dict[str, FactType] = {}
    later = {q.key for q in model.questions}
    for i, q in enumerate(model.questions):
        later.discard(q.key)
        if q.when is not None:
            try:
                compile_condition(q.when, types)
            except ConditionError as exc:
                message, hint = exc.message, exc.hint
                if message.startswith("unknown fact "):
                    name = message.split("'")[1]
                    if name in later:
                        message = f"'when' refers to {name!r}, which is asked later"
                        hint = "a condition can only use earlier answers; reorder the questions"
                    elif name == q.key:
                        message = f"'when' refers to its own question {name!r}"
                        hint = "a condition can only use earlier answers"
                    elif not (hint or "").startswith("did you mean"):
                        hint = "a condition can only use the keys of earlier questions"
                raise DataError(message, hint, _condition_location(doc, i, exc)) from None
        if q.quick_when is not None:
            _compile_at(doc, ("questions", i, "quick_when"), q.quick_when, types)
        for j, item in enumerate(q.default_when):
            _compile_at(doc, ("questions", i, "default_when", j, "when"), item.when, types)
        types[q.key] = q.fact_type()
    for j, check in enumerate(model.checks):
        _compile_at(doc, ("checks", j, "when"), check.when, types)
    return model


def _compile_at(doc: yamlio.Document, path: tuple[str | int, ...], expr: str, types: Mapping[str, FactType]) -> None:
    """Compile a condition of the file; a DataError at its place when it does not compile."""
    try:
        compile_condition(expr, types)
    except ConditionError as exc:
        hint = exc.hint
        if exc.message.startswith("unknown fact ") and not (hint or "").startswith("did you mean"):
            hint = f"a {path[2] if path[0] == 'questions' else 'check'} can only use the keys of earlier questions"
        raise DataError(exc.message, hint, doc.where(path)) from None


def load_default() -> Questionnaire:
    """The bundled default questionnaire (validated once, then read from the compiled-input cache)."""
    path = require(DEFAULT_PATH, "questionnaire")

    def build() -> Questionnaire:
        return load(path, display="questionnaires/default.yaml")

    return cache.cached("questionnaire", cache.key_of("questionnaire", [path]), build)


def check_keys(questionnaire: Questionnaire, keys: Sequence[str]) -> None:
    """Raise a DataError for the first key that is not a question of ``questionnaire``."""
    for key in keys:
        questionnaire.question(key)


def describe(questions: Sequence[Question]) -> str:
    """A table of questions: key, type, allowed values, default, mode, condition."""
    from advisor import tables

    rows = []
    for q in questions:
        if q.choices:
            allowed = ", ".join(q.choice_values)
        elif q.type in ("int", "float"):
            sign = ">" if q.min_exclusive else ">="
            low = "" if q.min is None else f"{sign} {q.format_value(q.min)}"
            high = "" if q.max is None else f"<= {q.format_value(q.max)}"
            allowed = " and ".join(p for p in (low, high) if p)
        elif q.pattern:
            allowed = "text (see pattern)"
        else:
            allowed = ""
        if q.unit:
            allowed = f"{allowed} {q.unit}".strip()
        default = "(required)" if q.default is None else q.format_value(q.default)
        mode = f"full; quick when {q.quick_when}" if q.quick_when else q.mode
        rows.append([q.key, q.type, allowed, default, mode, q.when or ""])
    return tables.text(rows, ["key", "type", "allowed", "default", "mode", "asked when"], numbers=True,
                       maxcolwidths=[None, None, 48, 16, None, 32])
