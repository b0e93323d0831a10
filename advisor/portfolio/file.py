"""The inventory file format (``advisor_portfolio: 1``): its pydantic models and JSON Schema.

The shape of a YAML inventory (keys, types, one ``profile`` or ``answers`` per workload)
is checked by these models through :func:`advisor.validation.validate`, like every
other file format; the answers are then checked by the questionnaire, as in profiles
(:mod:`advisor.portfolio.inventory`). The format is described in docs/portfolio.md.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from advisor.profile.model import answer_schemas
from advisor.questionnaire import Questionnaire

__all__ = ["INVENTORY_FORMAT", "InventoryFile", "WorkloadEntry", "json_schema"]

#: Version of the inventory format (the ``advisor_portfolio`` key).
INVENTORY_FORMAT = 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class WorkloadEntry(_Strict):
    """One workload: a profile file, answers, or both (the answers win)."""

    profile: Annotated[str, StringConstraints(min_length=1, pattern=r"\S")] | None = Field(
        None, description="a profile file, relative to the inventory")
    answers: dict[str, Any] | None = Field(None, description="answers by question key (over the profile's)")

    @model_validator(mode="after")
    def _something(self) -> WorkloadEntry:
        if self.profile is None and self.answers is None:
            raise ValueError("a workload needs 'profile' or 'answers'; write '- profile: FILE' or '- answers: {...}'")
        return self


class InventoryFile(_Strict):
    """A YAML inventory: workloads to assess together, with answers they share."""

    advisor_portfolio: Literal[1] = Field(description="format version of this file")
    defaults: dict[str, Any] = Field(default_factory=dict, description="answers every workload starts from")
    workloads: list[WorkloadEntry] = Field(min_length=1)

    @field_validator("defaults", mode="before")
    @classmethod
    def _empty_defaults(cls, value: Any) -> Any:
        return {} if value is None else value  # a hand-written "defaults:" with nothing under it


def json_schema(questionnaire: Questionnaire) -> dict[str, Any]:
    """JSON Schema of YAML inventories for ``questionnaire``, with a schema per answer key."""
    schema = InventoryFile.model_json_schema()
    answers = {"type": "object", "additionalProperties": False, "properties": answer_schemas(questionnaire)}
    schema["properties"]["defaults"] = {**answers, "description": "answers every workload starts from"}
    schema["$defs"]["WorkloadEntry"]["properties"]["answers"] = {
        **answers, "description": "answers by question key (over the profile's)"}
    schema["title"] = f"advisor inventory (questionnaire {questionnaire.id} v{questionnaire.version})"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
