"""The rule-pack file formats as strict pydantic models (validated once, at the boundary).

A pack is a folder: ``pack.yaml`` (:class:`PackFile`), one rule per file in
``<area>/<rule-id>.yaml`` (:class:`RuleFile`) and whole-pack cases in
``cases/<archetype>.yaml`` (:class:`CaseFile`). The format is documented in
docs/writing-rules.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.conditions import Condition
from advisor.errors import DataError, Location, did_you_mean

__all__ = [
    "CRITERIA",
    "DEFAULT_CLOSE_THRESHOLD",
    "DEFAULT_GRADE_FACTORS",
    "GRADES",
    "MAX_WEIGHT",
    "OPTIONS",
    "CaseFile",
    "Criterion",
    "Effect",
    "Evidence",
    "Grade",
    "KnockOut",
    "LoadedRule",
    "Option",
    "Pack",
    "PackCase",
    "PackFile",
    "PackRef",
    "RuleFile",
    "RuleTests",
    "RuleCase",
]

Criterion = Literal["performance", "isolation", "operations", "resilience", "cost"]
Option = Literal["bare-metal", "vm"]
Grade = Literal["measured-here", "peer-reviewed", "vendor-claim", "field-report", "expert-judgement"]

#: The criteria, in the order they are shown.
CRITERIA: tuple[Criterion, ...] = ("performance", "isolation", "operations", "resilience", "cost")
#: The two options, in the order they are shown.
OPTIONS: tuple[Option, ...] = ("bare-metal", "vm")
#: Evidence grades, strongest first.
GRADES: tuple[Grade, ...] = ("measured-here", "peer-reviewed", "field-report", "vendor-claim", "expert-judgement")
#: Factor applied to a rule's weight for its strongest evidence grade, unless a pack sets its own.
DEFAULT_GRADE_FACTORS: dict[Grade, float] = {
    "measured-here": 1.0,
    "peer-reviewed": 1.0,
    "field-report": 0.7,
    "vendor-claim": 0.6,
    "expert-judgement": 0.5,
}
#: Margin (score difference) under which a result is "close", unless a pack sets its own.
DEFAULT_CLOSE_THRESHOLD = 0.15
#: Largest weight a rule may carry.
MAX_WEIGHT = 10.0

_ID = r"^[a-z0-9][a-z0-9-]*$"
_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class Evidence(BaseModel):
    """One source behind a rule, the claim taken from it and how strong it is."""

    model_config = _STRICT

    source: str = Field(min_length=1, description="author(s), title, venue or publisher")
    url: str | None = Field(None, pattern=r"^https?://\S+$", description="where to read it")
    claim: str = Field(min_length=1, description="the figure or statement the rule relies on")
    grade: Grade = Field(description="measured-here | peer-reviewed | vendor-claim | field-report | expert-judgement")


class Effect(BaseModel):
    """What a firing rule adds to the score."""

    model_config = _STRICT

    criterion: Criterion
    favours: Option
    weight: float = Field(gt=0, le=MAX_WEIGHT, description="strength before the evidence-grade factor")


class KnockOut(BaseModel):
    """An option a firing rule rules out, whatever the scores."""

    model_config = _STRICT

    option: Option
    reason: str = Field(min_length=1, description="one line shown in the result")


class RuleTests(BaseModel):
    """Partial profiles (answers) for which the rule must fire, and must not."""

    model_config = _STRICT

    fires: list[dict[str, Any]] = Field(default_factory=list)
    does_not_fire: list[dict[str, Any]] = Field(default_factory=list)


class RuleFile(BaseModel):
    """One rule file: ``<area>/<id>.yaml``."""

    model_config = _STRICT

    id: str = Field(pattern=_ID, max_length=80, description="stable id, equal to the file name")
    title: str = Field(min_length=1, max_length=200)
    when: str = Field(min_length=1, description="condition over facts (docs/writing-rules.md)")
    effect: Effect | None = None
    knock_out: KnockOut | None = None
    rationale: str = Field(min_length=1)
    evidence: list[Evidence] = Field(min_length=1)
    tests: RuleTests = RuleTests()
    overrides: bool = Field(False, description="replace the rule with this id from an earlier pack")

    @property
    def kind(self) -> Literal["effect", "knock-out"]:
        return "effect" if self.effect is not None else "knock-out"


class PackFile(BaseModel):
    """``pack.yaml``: the identity of a pack and its settings."""

    model_config = _STRICT

    advisor_rule_pack: Literal[1] = Field(description="format version of the pack")
    name: str = Field(pattern=_ID, max_length=64)
    version: int = Field(ge=1)
    description: str = ""
    close_threshold: float | None = Field(None, ge=0, le=1, description="margin under which a result is close")
    grade_factors: dict[Grade, Annotated[float, Field(gt=0, le=1)]] = Field(default_factory=dict)
    weights: dict[str, Annotated[float, Field(gt=0, le=MAX_WEIGHT)]] = Field(
        default_factory=dict, description="rule id -> weight that replaces the rule's own"
    )
    disable: dict[str, Annotated[str, Field(pattern=r"\S")]] = Field(
        default_factory=dict, description="rule id -> why it is disabled"
    )


class CaseFile(BaseModel):
    """``cases/<archetype>.yaml``: a whole profile and the answer the pack must give."""

    model_config = _STRICT

    name: str = Field(min_length=1, max_length=120)
    answers: dict[str, Any]
    expect: Option
    reason: str = Field(min_length=1)


# --------------------------------------------------------------------------- loaded packs


@dataclass(frozen=True)
class RuleCase:
    """One partial profile of a rule's ``tests`` (or a whole-pack case's ``answers``)."""

    expect_fire: bool
    answers: Mapping[str, Any]
    location: Location
    key_locations: Mapping[str, Location]


@dataclass(frozen=True)
class LoadedRule:
    """A rule after loading and layering: its file model, compiled condition and settings."""

    rule: RuleFile
    condition: Condition
    file: str
    area: str
    pack: str
    weight: float
    grade: Grade
    grade_factor: float
    disabled: str | None
    tests: tuple[RuleCase, ...]
    location: Location  # of the 'tests' key (of the file when it has none)

    @property
    def id(self) -> str:
        return self.rule.id

    @property
    def enabled(self) -> bool:
        return self.disabled is None


@dataclass(frozen=True)
class PackCase:
    """A whole-pack case: a full profile and the option the pack must recommend."""

    name: str
    expect: Option
    reason: str
    answers: Mapping[str, Any]
    file: str
    pack: str
    location: Location
    key_locations: Mapping[str, Location]


@dataclass(frozen=True)
class PackRef:
    name: str
    version: int


@dataclass(frozen=True)
class Pack:
    """One pack, or several layered ones: the rules by id, settings and cases."""

    packs: tuple[PackRef, ...]
    rules: tuple[LoadedRule, ...]
    close_threshold: float
    grade_factors: Mapping[Grade, float]
    cases: tuple[PackCase, ...]
    by_id: Mapping[str, LoadedRule] = field(init=False, repr=False, compare=False)
    enabled: tuple[LoadedRule, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {r.id: r for r in self.rules})
        object.__setattr__(self, "enabled", tuple(r for r in self.rules if r.enabled))

    @property
    def name(self) -> str:
        return "+".join(f"{p.name}@{p.version}" for p in self.packs)

    def rule(self, rule_id: str) -> LoadedRule:
        """The rule with this id; DataError with did-you-mean when there is none."""
        try:
            return self.by_id[rule_id]
        except KeyError:
            hint = did_you_mean(rule_id, self.by_id) or "run 'advisor rules list' to see the ids"
            raise DataError(f"no rule with id {rule_id!r} in {self.name}", hint) from None
