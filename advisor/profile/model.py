"""The profile file format: its pydantic models, provenance vocabulary and JSON Schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from advisor.questionnaire import Questionnaire

#: Version of the profile file format (the ``advisor_profile`` key).
PROFILE_FORMAT = 1

Source = Literal["interactive", "file", "set", "defaults", "observed"]

#: Where one value came from: a person (``answered``: typed or a shown default confirmed),
#: the questionnaire (``default``: never shown), or a later stage that fills facts in
#: (``observed`` from a running platform, ``measured`` by a benchmark).
Origin = Literal["answered", "default", "observed", "measured"]


class QuestionnaireRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="id of the questionnaire that asked the questions")
    version: int = Field(ge=1, description="its version")


class Provenance(BaseModel):
    """Who or what produced the answers, and when."""

    model_config = ConfigDict(extra="forbid")

    created: str = Field(description="when the profile was first written (ISO 8601, UTC)")
    updated: str | None = Field(None, description="when it was last rewritten")
    tool_version: str = Field(description="advisor version that wrote it")
    answered_by: str = Field(description="who answered (login name, or --answered-by)")
    source: Source = Field(description="where the answers came from in the last write")
    complete: bool = Field(True, description="false for a partial profile saved on Ctrl-C")


class AnswerProvenance(BaseModel):
    """Where one answer came from, when, how, and until when it holds."""

    model_config = ConfigDict(extra="forbid")

    kind: Origin = Field(description="answered, default, observed or measured")
    source: list[str] = Field(default_factory=list, description="what it was read from: context:NAME or "
                              "dump:FOLDER/FILE.json (observed), a results file (measured)")
    time: str | None = Field(None, description="when it was read (ISO 8601, UTC)")
    derivation: str | None = Field(None, description="how the value was derived from the source")
    expires: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                description="date (YYYY-MM-DD) after which it must be observed again")
    partial: str | None = Field(None, description="why the value may be incomplete (clusters or kinds missing)")
    options: dict[str, Any] | None = Field(None, description="observation options that shaped the derivation")


class ProfileFile(BaseModel):
    """The structure of a profile file (answers are checked against the questionnaire)."""

    model_config = ConfigDict(extra="forbid")

    advisor_profile: Literal[1] = Field(description="format version of this file")
    questionnaire: QuestionnaireRef
    answers: dict[str, Any] = Field(default_factory=dict, description="answers given, by question key")
    defaults: dict[str, Any] = Field(default_factory=dict,
                                     description="defaults of questions never shown, by question key")
    notes: dict[str, str] = Field(default_factory=dict,
                                  description="why an answer was given (optional, one line), by question key")
    answer_provenance: dict[str, AnswerProvenance] = Field(
        default_factory=dict, description="where answers came from, by question key (none: answered by a person)")
    provenance: Provenance | None = None

    @field_validator("answers", "defaults", "notes", "answer_provenance", mode="before")
    @classmethod
    def _empty_section(cls, value: Any) -> Any:
        return {} if value is None else value  # a hand-written "answers:" with nothing under it



def answer_schemas(questionnaire: Questionnaire) -> dict[str, Any]:
    """A JSON Schema per question key of ``questionnaire`` (the values its answers may take)."""
    per_key: dict[str, Any] = {}
    for q in questionnaire.questions:
        item: dict[str, Any]
        if q.type == "str":
            item = {"type": "string"}
            if q.pattern:
                item["pattern"] = q.pattern
        elif q.type == "bool":
            item = {"type": "boolean"}
        elif q.type in ("int", "float"):
            item = {"type": "integer" if q.type == "int" else "number"}
            if q.min is not None:
                item["exclusiveMinimum" if q.min_exclusive else "minimum"] = q.min
            if q.max is not None:
                item["maximum"] = q.max
        elif q.type == "choice":
            item = {"type": "string", "enum": list(q.choice_values)}
        else:
            item = {"type": "array", "items": {"type": "string", "enum": list(q.choice_values)},
                    "minItems": 1, "uniqueItems": True}
        item["description"] = q.prompt + (f" ({q.unit})" if q.unit else "")
        if q.default is not None:
            item["default"] = q.default
        per_key[q.key] = item
    return per_key


def json_schema(questionnaire: Questionnaire) -> dict[str, Any]:
    """JSON Schema of profile files for ``questionnaire``, with a schema per answer key."""
    schema = ProfileFile.model_json_schema()
    per_key = answer_schemas(questionnaire)
    for section in ("answers", "defaults"):
        schema["properties"][section] = {
            "type": "object", "additionalProperties": False, "properties": per_key,
            "description": schema["properties"][section].get("description", ""),
        }
    schema["title"] = f"advisor profile (questionnaire {questionnaire.id} v{questionnaire.version})"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
