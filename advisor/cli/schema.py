"""``advisor schema``: JSON Schema of the file formats, for editor validation."""

from __future__ import annotations

import json
from pathlib import Path

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, load_questionnaire, questionnaire_option


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.argument("kind", type=click.Choice(["profile", "questionnaire", "evidence"]))
def schema(questionnaire_path: Path | None, kind: str) -> None:
    """Print the JSON Schema of a profile, questionnaire or evidence catalogue file.

    \b
    Use it in an editor, e.g. with the YAML language server:
      advisor schema profile > profile.schema.json
      # yaml-language-server: $schema=profile.schema.json
    """
    if kind == "evidence":
        from advisor.rules.evidence import json_schema

        document = json_schema()
    else:
        from advisor.schemas import schema_for

        document = schema_for(kind, load_questionnaire(questionnaire_path))
    console.out(json.dumps(document, indent=2, ensure_ascii=False))
