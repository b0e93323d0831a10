"""The result model: one decision, its outcome type, and every number it rests on.

Outcomes are distinct types, each with its own true sentence:

* ``recommend``: one option is better (``close`` when the probability is in the close band);
* ``tie``: neither is better by what the evidence supports, and no measurement would settle it;
* ``one-ruled-out``: a constraint rules one option out; the other is recommended;
* ``both-ruled-out``: constraints rule out both; the record says which rules out which;
* ``measure-first``: a measurement could change the result (or an option is feasible only
  if a measurement passes): measure before deciding.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from advisor.decide.model import Criterion, Option, OutcomeKind

__all__ = [
    "AttributeResult",
    "ConstraintResult",
    "CriterionResult",
    "Decision",
    "OptionResult",
    "ProbeResult",
    "Status",
    "Uncertainty",
]

Status = Literal["feasible", "feasible-if", "infeasible"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AttributeResult(_Model):
    """One attribute of the chosen configuration of one option, in its own unit."""

    attribute: str
    label: str
    unit: str
    weight: float  # its weight within the criterion
    low: float
    mode: float
    high: float
    source: Literal["prior", "measured", "default", "unknown"]
    rule_id: str | None
    evidence: list[str]
    value: float  # expected value 0..1 under the value function
    #: the estimating rule's title with the user's values and computed consequences, in their units
    title: str | None = None


class CriterionResult(_Model):
    criterion: Criterion
    priority: int
    value: dict[Option, float]  # expected criterion value 0..1 of each option's chosen configuration
    contribution: float  # priority x (value bare metal - value VM): its share of E[U_bm - U_vm]
    favours: Option | None
    attributes: dict[Option, list[AttributeResult]]


class ConstraintResult(_Model):
    rule_id: str
    option: Option
    kind: Literal["infeasible", "configuration", "measurement-failed", "met", "pending", "unknown"]
    sentence: str
    evidence: list[str]


class OptionResult(_Model):
    option: Option
    status: Status
    configuration: str  # key, e.g. "vm/io_path=sr-iov,cpu=pinned"
    name: str  # "VM-backed, with SR-IOV for the data plane and pinned vCPUs"
    expected_utility: float | None
    configurations: int  # considered
    feasible_configurations: int
    conditions: list[str]  # what its feasibility rests on (met or pending requirements)
    ruled_out_by: list[str]  # sentences of the constraints that rule every configuration out


class ProbeResult(_Model):
    probe: str
    compares: str
    value_of_information: float  # expected gain in utility from knowing the measured range exactly
    can_flip: bool  # some end of its range (alone or with other probes' ends) flips the sign
    rules: list[str]


class Uncertainty(_Model):
    p_bare_metal_better: float
    interval80: list[float]  # 10th and 90th percentile of U_bm - U_vm
    expected_difference: float
    close: bool
    samples: int
    seed: int
    rests_on: list[str]  # plain-words statements of what the probability rests on


class Decision(_Model):
    """The outcome of one profile against a format-2 pack."""

    pack: str
    outcome: OutcomeKind
    recommendation: Option | None
    configuration: str | None  # the recommended configuration's name
    sentence: str
    options: dict[Option, OptionResult]
    uncertainty: Uncertainty | None
    criteria: list[CriterionResult]
    probes: list[ProbeResult]
    constraints: list[ConstraintResult]
    unknown_rules: list[str]
    facts: dict[str, Any]

    @property
    def p_bare_metal(self) -> float | None:
        return None if self.uncertainty is None else self.uncertainty.p_bare_metal_better

    def to_json(self) -> str:
        """Deterministic JSON: sorted keys, newline at the end."""
        data = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
