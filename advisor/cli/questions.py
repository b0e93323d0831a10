"""``advisor questions``: what can be answered, so non-interactive users know what to --set."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, load_questionnaire, questionnaire_option


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.option("--full", is_flag=True, help="Include the questions asked only in full mode.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True,
              help="Output format.")
def questions(questionnaire_path: Path | None, full: bool, fmt: str) -> None:
    """List the questions with their types, choices, bounds and defaults."""
    from advisor.questionnaire import describe

    questionnaire = load_questionnaire(questionnaire_path)
    selected = questionnaire.selected("full" if full else "quick")
    if fmt == "table":
        console.out(describe(selected))
        if not full:
            console.err(f"({len(questionnaire.questions) - len(selected)} more with --full)")
        return
    data: list[dict[str, Any]] = [q.model_dump(mode="json", exclude_none=True) for q in selected]
    if fmt == "json":
        console.out(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        from advisor import yamlio

        console.out(yamlio.dump(data), end="")
