"""Reading a profile file: its structure through pydantic, every value against the questionnaire."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

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
    answers = _check_section(doc, "answers", model.answers, questionnaire, problems, given=model.answers)
    defaults = _check_section(doc, "defaults", model.defaults, questionnaire, problems, given=model.answers)
    for key in questionnaire.retired_by_key:  # a retired answer's successors replace stale defaults of theirs
        if key in model.answers:
            for new in set(answers) & set(defaults) - set(model.answers):
                del defaults[new]
    for key in sorted(set(answers) & set(defaults)):
        problems.append(Problem(
            f"{key!r} is both answered and defaulted", "keep it under 'answers' only",
            doc.where(("defaults", key), key=True),
        ))
    notes: dict[str, str] = {}
    given_notes = _successors(questionnaire, dict(model.notes), model)
    provenance = _successors(questionnaire, dict(model.answer_provenance), model)
    for key, text in given_notes.items():
        if key not in questionnaire.by_key:
            hint = did_you_mean(key, questionnaire.by_key) or "run 'advisor questions' to list the keys"
            problems.append(Problem(f"unknown question key {key!r}", hint, doc.where(("notes", key), key=True)))
        elif len(text) > 300 or "\n" in text.strip():
            problems.append(Problem(f"the note on {key} is not one line of at most 300 characters",
                                    "shorten it to one line", doc.where(("notes", key))))
        else:
            notes[key] = text.strip()
    for key, entry in provenance.items():
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
    retired = any(k in questionnaire.retired_by_key
                  for section in (model.answers, model.defaults, model.notes, model.answer_provenance) for k in section)
    # a retired answer mapped to today's keys: the file is written back with them (not byte for byte)
    return Profile(questionnaire, answers, defaults, model.provenance, Path(path), doc, retired, notes=notes,
                   answer_provenance=provenance)


_T = TypeVar("_T")


def _successors(questionnaire: Questionnaire, section: dict[str, _T], model: ProfileFile) -> dict[str, _T]:
    """``section`` (notes, provenance) with a retired answer's entry moved to the answers its value became."""
    for key in questionnaire.retired_by_key:
        if key in section:
            entry = section.pop(key)
            raw = model.answers.get(key, model.defaults.get(key))
            try:
                became = [k for k in questionnaire.migrate(key, raw) if k not in model.answers]
            except ValueError:
                became = []  # reported with the answer
            for new in became:
                section.setdefault(new, entry)
    return section


def _check_section(doc: yamlio.Document, section: str, values: Mapping[str, Any], questionnaire: Questionnaire,
                   problems: list[Problem], *, given: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` checked against the questionnaire; a retired key becomes the answers it stands for, except
    those ``given`` (the answers section) holds explicitly."""
    out: dict[str, Any] = {}
    for key, raw in values.items():
        if key in questionnaire.retired_by_key:
            try:
                mapped = questionnaire.migrate(key, raw)
            except ValueError as exc:
                message, _, hint = str(exc).partition("; ")
                problems.append(Problem(message, hint or None, doc.where((section, key))))
                continue
            out.update({k: questionnaire.by_key[k].parse(v, from_text=False)
                        for k, v in mapped.items() if k not in values and k not in given})
            continue
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


