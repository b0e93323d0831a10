"""``advisor profile``: check profile files."""

from __future__ import annotations

from pathlib import Path

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, InputFile, load_questionnaire, questionnaire_option


@click.group(context_settings=CONTEXT_SETTINGS)
def profile() -> None:
    """Work with workload profile files."""


@profile.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.argument("files", nargs=-1, required=True, type=InputFile("profile"))
def validate(questionnaire_path: Path | None, files: tuple[Path, ...]) -> None:
    """Validate profile FILES against the questionnaire (exit 1 on the first bad one)."""
    from advisor import profile as profiles

    questionnaire = load_questionnaire(questionnaire_path)
    for path in files:
        loaded = profiles.load(path, questionnaire)
        quick = {q.key for q in questionnaire.selected("quick")}
        missing = [k for k in questionnaire.keys() if k in quick and not loaded.has(k) and questionnaire.applies(
            k, loaded.values())]
        partial = loaded.provenance is not None and not loaded.provenance.complete
        status = "valid, partial" if partial else "valid"
        line = f"{path}: {status} ({len(loaded.answers)} answers, {len(loaded.defaults)} defaults"
        line += f"; not yet answered: {', '.join(missing)})" if missing else ")"
        console.out(line)
