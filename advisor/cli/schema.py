"""``advisor schema``: JSON Schemas of the file formats and of every command's JSON output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, load_questionnaire, questionnaire_option

#: The file formats users write; every other name is a command's --format json output.
FILE_KINDS = ("profile", "questionnaire", "evidence")


def schema_names() -> list[str]:
    """Every schema name: the file formats, then the commands' outputs."""
    from advisor.cli.outputs import schema_names as output_names

    return [*FILE_KINDS, *output_names()]


def schema_json(name: str, questionnaire_path: Path | None = None) -> dict[str, Any]:
    """The JSON Schema called ``name``."""
    if name == "evidence":
        from advisor.rules.evidence import json_schema

        return json_schema()
    if name in FILE_KINDS:
        from advisor.schemas import schema_for

        return schema_for(name, load_questionnaire(questionnaire_path))
    from advisor.cli.outputs import schema_of

    return schema_of(name)


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.argument("name", type=click.Choice(schema_names()))
def schema(questionnaire_path: Path | None, name: str) -> None:
    """Print a JSON Schema: of a file format (profile, questionnaire, evidence) or of a command's JSON output.

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
