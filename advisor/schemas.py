"""JSON Schemas generated from the models (checked in under docs/schemas/)."""

from __future__ import annotations

from typing import Any

from advisor.profile import json_schema as profile_schema
from advisor.questionnaire import Questionnaire

__all__ = ["schema_for"]


def schema_for(kind: str, questionnaire: Questionnaire) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (``profile`` or ``questionnaire``)."""
    if kind == "profile":
        return profile_schema(questionnaire)
    if kind == "questionnaire":
        schema = Questionnaire.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["title"] = "advisor questionnaire"
        return schema
    raise ValueError(kind)
