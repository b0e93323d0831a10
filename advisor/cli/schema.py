"""``advisor schema``: JSON Schemas of the file formats and of every command's JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, load_questionnaire, questionnaire_option


def _model(title: str, load: Callable[[], Any]) -> Callable[[Path | None], dict[str, Any]]:
    """The schema of a file read into the type ``load()`` returns (validation mode: what may be written)."""

    def schema(_questionnaire: Path | None) -> dict[str, Any]:
        from pydantic import TypeAdapter

        out = TypeAdapter(load()).json_schema()
        out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out["title"] = f"advisor {title}"
        return out

    return schema


def _profile(questionnaire: Path | None) -> dict[str, Any]:
    from advisor.schemas import schema_for

    return schema_for("profile", load_questionnaire(questionnaire))


def _questionnaire(questionnaire: Path | None) -> dict[str, Any]:
    from advisor.schemas import schema_for

    return schema_for("questionnaire", load_questionnaire(questionnaire))


def _inventory(questionnaire: Path | None) -> dict[str, Any]:
    from advisor.portfolio.file import json_schema

    return json_schema(load_questionnaire(questionnaire))


def _evidence(_questionnaire: Path | None) -> dict[str, Any]:
    from advisor.rules.evidence import json_schema

    return json_schema()


def _topology(_questionnaire: Path | None) -> dict[str, Any]:
    from advisor.faultdomain.file import json_schema

    return json_schema()


def _targets() -> Any:
    from advisor.measure.targets import TargetsFile

    return TargetsFile


def _measurements() -> Any:
    from advisor.measure.results import MeasurementResult

    return MeasurementResult


def _pack() -> Any:
    from advisor.decide.model import LayerFile, PackFile

    return PackFile | LayerFile


def _rule() -> Any:
    from pydantic import Field

    from advisor.decide.model import ConsequenceRule, ConstraintRule

    return Annotated[ConstraintRule | ConsequenceRule, Field(discriminator="kind")]


def _case() -> Any:
    from advisor.decide.model import CaseFile

    return CaseFile


def _record() -> Any:
    from advisor.records import DecisionRecord

    return DecisionRecord


#: The file formats users write or keep, by schema name (every other name is a command's --format json output).
FILE_FORMATS: dict[str, Callable[[Path | None], dict[str, Any]]] = {
    "profile": _profile,
    "questionnaire": _questionnaire,
    "evidence": _evidence,
    "topology": _topology,
    "inventory": _inventory,
    "targets": _model("targets file", _targets),
    "measurements": _model("measurement results file (--measurements)", _measurements),
    "pack": _model("rule pack (pack.yaml of a base pack or a layer)", _pack),
    "rule": _model("rule (constraints/*.yaml or consequences/*.yaml of a pack)", _rule),
    "case": _model("case (cases/*.yaml of a pack)", _case),
    "record": _model("decision record (the NNNN-slug.json twin)", _record),
}
FILE_KINDS = tuple(FILE_FORMATS)


def schema_names() -> list[str]:
    """Every schema name: the file formats, then the commands' outputs."""
    from advisor.cli.outputs import schema_names as output_names

    return [*FILE_KINDS, *output_names()]


def schema_json(name: str, questionnaire_path: Path | None = None) -> dict[str, Any]:
    """The JSON Schema called ``name``."""
    if name in FILE_FORMATS:
        return FILE_FORMATS[name](questionnaire_path)
    from advisor.cli.outputs import schema_of

    return schema_of(name)


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.argument("name", type=click.Choice(schema_names()))
def schema(questionnaire_path: Path | None, name: str) -> None:
    """Print a JSON Schema: of a file format or of a command's JSON output.

    The file formats: profile, questionnaire, evidence, topology, inventory, targets,
    measurements (a results file), pack, rule, case and record (a record's JSON twin).
    The output schemas are named after the command: assess, questions, rules-list,
    rules-test, records-show, ... (all are listed above);
    'advisor COMMAND --format json' prints JSON valid against it. Each is also in
    docs/schemas/NAME.schema.json.

    \b
    Use one in an editor, e.g. with the YAML language server:
      advisor schema profile > profile.schema.json
      # yaml-language-server: $schema=profile.schema.json
    """
    console.out(json.dumps(schema_json(name, questionnaire_path), indent=2, ensure_ascii=False))
