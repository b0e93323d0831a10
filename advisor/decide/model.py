"""Rule-pack format 2 as strict pydantic models: what a pack author writes.

A format-2 pack is a folder: ``pack.yaml`` (:class:`PackFile`: criteria, their
attributes and value functions, the configurations of each option, derived facts),
``constraints/<id>.yaml`` (:class:`ConstraintRule`), ``consequences/<id>.yaml``
(:class:`ConsequenceRule`) and ``cases/<archetype>.yaml`` (:class:`CaseFile`).
docs/scoring.md explains the method; docs/rule-pack.md lists the pack.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "CRITERIA",
    "OPTIONS",
    "AttributeSpec",
    "CaseFile",
    "ConsequenceRule",
    "ConstraintRule",
    "Criterion",
    "CriterionSpec",
    "DerivedSpec",
    "DimensionSpec",
    "Estimate",
    "Expect",
    "LayerFile",
    "Measured",
    "MeasurementRequirement",
    "Option",
    "OutcomeKind",
    "PackFile",
    "Requires",
    "RuleCase",
]

Criterion = Literal["performance", "isolation", "operations", "resilience", "cost"]
Option = Literal["bare-metal", "vm"]
OutcomeKind = Literal["recommend", "tie", "one-ruled-out", "both-ruled-out", "measure-first"]
Expect = Literal["fires", "does-not-fire", "unknown"]

#: The criteria, in the order they are shown.
CRITERIA: tuple[Criterion, ...] = ("performance", "isolation", "operations", "resilience", "cost")
#: The two options, in the order they are shown.
OPTIONS: tuple[Option, ...] = ("bare-metal", "vm")

_ID = r"^[a-z0-9][a-z0-9-]*$"
_NAME = r"^[a-z][a-z0-9_]*$"
_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
Expr = Annotated[str, Field(min_length=1, max_length=2000)] | int | float


class _Model(BaseModel):
    model_config = _STRICT


class AttributeSpec(_Model):
    """One attribute of a criterion, in its own unit, and its value function."""

    label: str = Field(min_length=1, max_length=200, description="what it measures, for people")
    unit: str = Field("", max_length=40, description="unit shown after numbers, e.g. '%' or 'tenants'")
    weight: float = Field(gt=0, le=1, description="weight within the criterion; the weights of a criterion sum to 1")
    default: float = Field(description="value when no consequence rule estimates it for an option")
    value: list[Annotated[list[float], Field(min_length=2, max_length=2)]] = Field(
        min_length=2, description="anchors [x, v]: piecewise linear, x increasing, v in 0..1 and monotone")
    why: str = Field(min_length=1, description="why the anchors sit where they do")


class CriterionSpec(_Model):
    label: str = Field(min_length=1, max_length=60)
    attributes: dict[Annotated[str, Field(pattern=_NAME)], AttributeSpec] = Field(min_length=1)


class DimensionSpec(_Model):
    """One dimension of an option's configurations; the first value is the plain one."""

    label: str = Field(min_length=1, max_length=80)
    values: dict[Annotated[str, Field(pattern=_ID)], str] = Field(
        min_length=2, description="value -> the phrase that names it in a recommendation ('' for the plain one)")


class DerivedSpec(_Model):
    """A fact computed from others by an expression, e.g. ``round_trips_per_request``."""

    name: str = Field(pattern=_NAME, max_length=60)
    type: Literal["float", "bool"] = "float"
    expr: str = Field(min_length=1, max_length=2000)
    unit: str = Field("", max_length=40)
    description: str = Field(min_length=1)


class PackFile(_Model):
    """``pack.yaml`` of a format-2 pack."""

    advisor_rule_pack: Literal[2] = Field(description="format version of the pack")
    name: str = Field(pattern=_ID, max_length=64)
    version: int = Field(ge=1)
    description: str = ""
    samples: int = Field(256, ge=32, le=4096, description="Monte Carlo draws per evaluation")
    close: Annotated[list[float], Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: [0.2, 0.8], description="P(bare metal better) in this band [low, high] is close")
    tie: float = Field(0.1, ge=0, le=0.5, description="|P - 0.5| at or under this, with nothing to measure: a tie")
    criteria: dict[Criterion, CriterionSpec]
    configurations: dict[Option, dict[Annotated[str, Field(pattern=_NAME)], DimensionSpec]]
    derived: list[DerivedSpec] = Field(default_factory=list)


class LayerFile(_Model):
    """``pack.yaml`` of an organisation's layer over a whole pack: rules are added, replaced or disabled."""

    advisor_rule_pack: Literal[2] = Field(description="format version of the pack")
    name: str = Field(pattern=_ID, max_length=64)
    version: int = Field(ge=1)
    description: str = ""
    derived: list[DerivedSpec] = Field(default_factory=list)
    disable: dict[Annotated[str, Field(pattern=_ID)], Annotated[str, Field(min_length=1)]] = Field(
        default_factory=dict, description="rule id -> why this organisation does not use it")


class MeasurementRequirement(_Model):
    """A measured fact that must stay at or under (or over) a threshold."""

    fact: str = Field(pattern=r"^measured\.[a-z]+\.[a-z0-9_]+$")
    at_most: Expr | None = None
    at_least: Expr | None = None
    says: str = Field(min_length=1, max_length=200, description="the condition in words, e.g. 'a measured round "
                      "trip that fits the SLO budget'")


class Requires(_Model):
    """What makes an option feasible when the constraint applies: a configuration and/or a measurement."""

    configuration: str | None = Field(None, min_length=1, description="condition over config.* facts")
    says: str | None = Field(None, min_length=1, max_length=200, description="the configuration in words")
    measurement: MeasurementRequirement | None = None


class RuleCase(_Model):
    """A named case of a rule: answers (and measured facts) and whether the rule applies."""

    name: str = Field(min_length=1, max_length=120)
    answers: dict[str, Any] = Field(default_factory=dict)
    expect: Expect
    defaults: bool = Field(True, description="false: unanswered questions stay unknown instead of taking defaults")
    configuration: dict[str, str] = Field(default_factory=dict, description="config.* values for the case")


class _Rule(_Model):
    id: str = Field(pattern=_ID, max_length=80)
    title: str = Field(min_length=1, max_length=240, description="may interpolate {fact} and {fact:unit}")
    option: Option
    when: str = Field("true", min_length=1)
    rationale: str = Field(min_length=1)
    evidence: list[Annotated[str, Field(pattern=_ID)]] = Field(
        default_factory=list, description="evidence catalogue ids; required for an estimate with a range")
    overrides: bool = Field(False, description="replace the rule with this id from an earlier pack (a layer)")
    cases: list[RuleCase] = Field(min_length=1)


class ConstraintRule(_Rule):
    """``infeasible``, or feasible only if ``requires`` holds, whenever ``when`` holds."""

    kind: Literal["constraint"]
    infeasible: bool = False
    requires: Requires | None = None
    because: str = Field(min_length=1, max_length=300, description="the constraint in one line, with the user's values")


class Estimate(_Model):
    """A range in the attribute's unit (typed expressions over facts), or one computed ``value``."""

    value: Expr | None = Field(None, description="a computed value without a range (no evidence needed)")
    low: Expr | None = None
    mode: Expr | None = None
    high: Expr | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Estimate:
        ranged = (self.low, self.mode, self.high)
        if self.value is not None and any(x is not None for x in ranged):
            raise ValueError("value: give either 'value' or 'low', 'mode' and 'high'; remove one form")
        if self.value is None and any(x is None for x in ranged):
            raise ValueError("low: a range needs 'low', 'mode' and 'high' (or one 'value'); add the missing ones")
        return self


class Measured(_Model):
    """The measured probe that replaces the prior range, and the range it gives."""

    probe: str = Field(pattern=r"^[a-z]+$")
    low: Expr
    mode: Expr
    high: Expr


class ConsequenceRule(_Rule):
    """One attribute of one option (in some configurations): an estimate with a range."""

    kind: Literal["consequence"]
    attribute: str = Field(pattern=r"^[a-z]+\.[a-z][a-z0-9_]*$", description="criterion.attribute")
    estimate: Estimate
    measured_by: Measured | None = None
    draws: str | None = Field(None, pattern=r"^[a-z][a-z0-9:-]*$", description=(
        "the uncertain quantity it draws from, shared with other rules estimating the same physical quantity "
        "(default: its probe, else its own id)"))


class CaseFile(_Model):
    """``cases/<archetype>.yaml``: a whole profile, the expected outcome and its argument."""

    name: str = Field(min_length=1, max_length=120)
    answers: dict[str, Any]
    measured: dict[str, Any] = Field(default_factory=dict)
    expect: list[Annotated[str, Field(min_length=1)]] = Field(
        min_length=1, description="acceptable outcomes: 'bare-metal', 'vm', 'tie', 'measure-first', "
        "'both-ruled-out', optionally with a configuration as 'vm/io_path=sr-iov'")
    reason: str = Field(min_length=1)
    citation: list[Annotated[str, Field(pattern=_ID)]] = Field(min_length=1, description="evidence ids")
