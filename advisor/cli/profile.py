"""``advisor profile``: check profile files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    InputFile,
    emit_json,
    format_option,
    load_questionnaire,
    questionnaire_option,
)


@click.group(context_settings=CONTEXT_SETTINGS)
def profile() -> None:
    """Work with workload profile files."""


@profile.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@format_option()
@click.argument("files", nargs=-1, required=True, type=InputFile("profile"))
def validate(questionnaire_path: Path | None, fmt: str, files: tuple[Path, ...]) -> None:
    """Validate profile FILES against the questionnaire.

    Every file is checked; the problems of the bad ones go to stderr as
    file:line:col lines, and the exit code is 1 when any file is bad.
    """
    from advisor import profile as profiles
    from advisor.cli.outputs import problem_rows
    from advisor.errors import DataError

    questionnaire = load_questionnaire(questionnaire_path)
    rows: list[dict[str, Any]] = []
    bad: list[DataError] = []
    for path in files:
        try:
            loaded = profiles.load(path, questionnaire)
        except DataError as exc:
            bad.append(exc)
            rows.append({"file": str(path), "valid": False, "partial": False, "answers": 0, "defaults": 0,
                         "not_yet_answered": [], "problems": problem_rows(exc.problems)})
            continue
        values = loaded.values()
        missing = [k for k in questionnaire.keys() if not loaded.has(k) and questionnaire.asked_in(k, "quick", values)
                   and questionnaire.applies(k, values)]
        partial = loaded.provenance is not None and not loaded.provenance.complete
        rows.append({"file": str(path), "valid": True, "partial": partial, "answers": len(loaded.answers),
                     "defaults": len(loaded.defaults), "not_yet_answered": missing, "problems": []})
        if fmt == "table":
            status = "valid, partial" if partial else "valid"
            line = f"{path}: {status} ({len(loaded.answers)} answers, {len(loaded.defaults)} defaults"
            line += f"; not yet answered: {', '.join(missing)})" if missing else ")"
            console.out(line)
    if fmt == "json":
        emit_json({"ok": not bad, "files": rows})
    if bad:
        raise DataError("", problems=[p for exc in bad for p in exc.problems])
