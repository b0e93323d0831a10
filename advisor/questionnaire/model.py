"""A questionnaire file: identity, version, the ordered questions and the consistency checks between answers."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from advisor.conditions import Condition, FactType, compile_condition
from advisor.errors import DataError, did_you_mean
from advisor.questionnaire.question import Check, Mode, Question

__all__ = ["Questionnaire", "Retired", "yaml_word"]


class Retired(BaseModel):
    """A question no longer asked, and the answers each of its values stands for today.

    Profiles written before the change still load: the retired answer is replaced by the
    answers of its value's mapping (an answer given explicitly wins).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="the key profiles used to carry")
    why: str = Field(min_length=1, description="why it was retired, one line")
    values: dict[str, dict[str, Any]] = Field(
        min_length=1, description="each old value -> the answers (new question key -> value) it stands for")


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
    retired: tuple[Retired, ...] = Field((), description="questions no longer asked, mapped to today's answers so "
                                         "that older profiles still load")

    @model_validator(mode="after")
    def _unique_keys(self) -> Questionnaire:
        seen: set[str] = set()
        for i, q in enumerate(self.questions):
            if q.key in seen:
                raise ValueError(f"questions.{i}.key: {q.key!r} is already the key of an earlier question; "
                                 "each key may appear once")
            seen.add(q.key)
        for i, r in enumerate(self.retired):
            if r.key in seen:
                raise ValueError(f"retired.{i}.key: {r.key!r} is still the key of a question; retire it or ask it")
            for value, mapped in r.values.items():
                for key, new in mapped.items():
                    target = next((t for t in self.questions if t.key == key), None)
                    if target is None:
                        raise ValueError(f"retired.{i}.values.{value}: {key!r} is not a question key")
                    target.parse(new, from_text=False)
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

    @cached_property
    def retired_by_key(self) -> dict[str, Retired]:
        return {r.key: r for r in self.retired}

    def migrate(self, key: str, value: Any) -> dict[str, Any]:
        """The answers a retired ``key`` with ``value`` stands for (ValueError: a value it never had)."""
        r = self.retired_by_key[key]
        if not isinstance(value, str) or value not in r.values:
            raise ValueError(f"{key} was retired ({r.why}) and {value!r} was never one of its values; "
                             f"{self.retired_hint(key)}")
        return dict(r.values[value])

    def retired_hint(self, key: str) -> str:
        """What to write instead of the retired ``key``, in one line."""
        r = self.retired_by_key[key]
        ways = "; ".join(f"{old} -> " + ", ".join(f"{k}: {yaml_word(v)}" for k, v in new.items())
                         for old, new in r.values.items())
        return f"answer {', '.join(sorted({k for new in r.values.values() for k in new}))} instead ({ways})"

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
            if key in self.retired_by_key:
                raise DataError(f"{key!r} was retired: {self.retired_by_key[key].why}",
                                self.retired_hint(key)) from None
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


def yaml_word(value: Any) -> str:
    """A value as a profile file writes it: true/false, [a, b], numbers and words as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(yaml_word(v) for v in value) + "]"
    return str(value)
