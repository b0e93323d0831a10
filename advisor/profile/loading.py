"""Reading a profile file: its structure through pydantic, every value against the questionnaire."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from advisor import inputs, yamlio
from advisor.errors import DataError, Problem, did_you_mean
from advisor.profile.document import Profile
from advisor.profile.model import ProfileFile
from advisor.questionnaire import Questionnaire
from advisor.validation import validate


def load(path: str | Path, questionnaire: Questionnaire, *, display: str | None = None) -> Profile:
    """Load a profile file and validate every value against the questionnaire."""
    doc = yamlio.load(path, display=display, max_bytes=inputs.limit("profile"), roundtrip=False)
    model = validate(ProfileFile, doc)
    ref = model.questionnaire
    if ref.id != questionnaire.id:
        raise DataError(
            f"profile was written for questionnaire {ref.id!r}, not {questionnaire.id!r}",
            "use --questionnaire with the matching file",
            doc.where(("questionnaire", "id")),
        )
    if ref.version > questionnaire.version:
        raise DataError(
            f"profile needs questionnaire {ref.id!r} version {ref.version}, "
            f"this one is version {questionnaire.version}",
            "upgrade advisor",
            doc.where(("questionnaire", "version")),
        )
    problems: list[Problem] = []
    answers = _check_section(doc, "answers", model.answers, questionnaire, problems)
    defaults = _check_section(doc, "defaults", model.defaults, questionnaire, problems)
    for key in sorted(set(answers) & set(defaults)):
        problems.append(Problem(
            f"{key!r} is both answered and defaulted", "keep it under 'answers' only",
            doc.where(("defaults", key), key=True),
        ))
    notes: dict[str, str] = {}
    for key, text in model.notes.items():
        if key not in questionnaire.by_key:
            hint = did_you_mean(key, questionnaire.by_key) or "run 'advisor questions' to list the keys"
            problems.append(Problem(f"unknown question key {key!r}", hint, doc.where(("notes", key), key=True)))
        elif len(text) > 300 or "\n" in text.strip():
            problems.append(Problem(f"the note on {key} is not one line of at most 300 characters",
                                    "shorten it to one line", doc.where(("notes", key))))
        else:
            notes[key] = text.strip()
    for key, entry in model.answer_provenance.items():
        held = "answers" if entry.kind != "default" else "defaults"
        if key not in (answers if held == "answers" else defaults) and key in questionnaire.by_key:
            problems.append(Problem(f"provenance for {key!r}, which is not under {held!r}",
                                    f"remove answer_provenance.{key} or give the answer",
                                    doc.where(("answer_provenance", key), key=True)))
        elif key not in questionnaire.by_key:
            hint = did_you_mean(key, questionnaire.by_key) or "run 'advisor questions' to list the keys"
            problems.append(Problem(f"unknown question key {key!r}", hint,
                                    doc.where(("answer_provenance", key), key=True)))
    if problems:
        raise DataError("", problems=problems)
    return Profile(questionnaire, answers, defaults, model.provenance, Path(path), doc, notes=notes,
                   answer_provenance=dict(model.answer_provenance))


def _check_section(doc: yamlio.Document, section: str, values: Mapping[str, Any], questionnaire: Questionnaire,
                   problems: list[Problem]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, raw in values.items():
        if key not in questionnaire.by_key:
            hint = did_you_mean(key, questionnaire.by_key) or "run 'advisor questions' to list the keys"
            problems.append(Problem(f"unknown question key {key!r}", hint, doc.where((section, key), key=True)))
            continue
        try:
            out[key] = questionnaire.by_key[key].parse(raw, from_text=False)
        except ValueError as exc:
            message, _, hint = str(exc).partition("; ")
            problems.append(Problem(f"{key}: {message}", hint or None, doc.where((section, key))))
    return out


def new(questionnaire: Questionnaire) -> Profile:
    return Profile(questionnaire)


