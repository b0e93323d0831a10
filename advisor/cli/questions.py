"""``advisor questions``: what can be answered, so non-interactive users know what to --set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, emit_json, format_option, load_questionnaire, questionnaire_option


@click.group(context_settings=CONTEXT_SETTINGS, invoke_without_command=True)
@questionnaire_option
@click.option("--full", is_flag=True, help="Include the questions asked only in full mode.")
@format_option("yaml")
@click.pass_context
def questions(ctx: click.Context, questionnaire_path: Path | None, full: bool, fmt: str) -> None:
    """List the questions with their types, choices, bounds and defaults.

    'advisor questions path' prints where the bundled questionnaire is.
    """
    if ctx.invoked_subcommand is not None:
        return
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
        emit_json(data)
    else:
        from advisor import yamlio

        console.out(yamlio.dump(data), end="")


@questions.command("path", context_settings=CONTEXT_SETTINGS)
@format_option()
def path_cmd(fmt: str) -> None:
    """Print where the bundled questionnaire is (to copy it as a starting point)."""
    from advisor.resources import bundled_file, require

    emit_path(require(bundled_file("questionnaires", "default.yaml"), "questionnaire"), fmt)


def emit_path(path: Path, fmt: str) -> None:
    """A bundled path: bare on a line (for $(...)) or as JSON."""
    if fmt == "json":
        emit_json({"path": str(path.resolve())})
    else:
        console.out(str(path.resolve()))
