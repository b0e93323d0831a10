"""Reading a questionnaire file: validated, every condition compiled against the earlier questions.

Any problem is a DataError at its ``file:line:col``; the bundled questionnaire is read
once and then from the compiled-input cache.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from advisor import cache, inputs, yamlio
from advisor.conditions import ConditionError, FactType, compile_condition
from advisor.errors import DataError, Location
from advisor.questionnaire.model import Questionnaire
from advisor.resources import bundled_file, require
from advisor.validation import validate

__all__ = ["DEFAULT_PATH", "check_keys", "load", "load_default"]

#: The bundled questionnaire (shipped in the package; see :mod:`advisor.resources`).
DEFAULT_PATH = bundled_file("questionnaires", "default.yaml")


def _condition_location(doc: yamlio.Document, index: int, err: ConditionError) -> Location:
    where = doc.where(("questions", index, "when"))
    text = str(doc.root["questions"][index]["when"])
    lines = doc.text.splitlines()
    source = lines[where.line - 1] if 0 < where.line <= len(lines) else ""
    # point at the offending character when the expression is written out verbatim on one line,
    # plain or in quotes; otherwise (folded, escaped, several lines) at the start of the value
    for start in (where.col - 1, where.col):
        if text and source[start:start + len(text)] == text and (start == where.col - 1 or source[start - 1] in "'\""):
            return Location(where.file, where.line, start + 1 + err.offset)
    return where


def load(path: str | Path, *, display: str | None = None) -> Questionnaire:
    """Load and fully check a questionnaire file; DataError with file:line:col on any problem."""
    doc = yamlio.load(path, display=display, max_bytes=inputs.limit("questionnaire"), roundtrip=False)
    model = validate(Questionnaire, doc)
    types: dict[str, FactType] = {}
    later = {q.key for q in model.questions}
    for i, q in enumerate(model.questions):
        later.discard(q.key)
        if q.when is not None:
            try:
                compile_condition(q.when, types)
            except ConditionError as exc:
                message, hint = exc.message, exc.hint
                if message.startswith("unknown fact "):
                    name = message.split("'")[1]
                    if name in later:
                        message = f"'when' refers to {name!r}, which is asked later"
                        hint = "a condition can only use earlier answers; reorder the questions"
                    elif name == q.key:
                        message = f"'when' refers to its own question {name!r}"
                        hint = "a condition can only use earlier answers"
                    elif not (hint or "").startswith("did you mean"):
                        hint = "a condition can only use the keys of earlier questions"
                raise DataError(message, hint, _condition_location(doc, i, exc)) from None
        if q.quick_when is not None:
            _compile_at(doc, ("questions", i, "quick_when"), q.quick_when, types)
        for j, item in enumerate(q.default_when):
            _compile_at(doc, ("questions", i, "default_when", j, "when"), item.when, types)
        types[q.key] = q.fact_type()
    for j, check in enumerate(model.checks):
        _compile_at(doc, ("checks", j, "when"), check.when, types)
    return model


def _compile_at(doc: yamlio.Document, path: tuple[str | int, ...], expr: str, types: Mapping[str, FactType]) -> None:
    """Compile a condition of the file; a DataError at its place when it does not compile."""
    try:
        compile_condition(expr, types)
    except ConditionError as exc:
        hint = exc.hint
        if exc.message.startswith("unknown fact ") and not (hint or "").startswith("did you mean"):
            hint = f"a {path[2] if path[0] == 'questions' else 'check'} can only use the keys of earlier questions"
        raise DataError(exc.message, hint, doc.where(path)) from None


def load_default() -> Questionnaire:
    """The bundled default questionnaire (validated once, then read from the compiled-input cache)."""
    path = require(DEFAULT_PATH, "questionnaire")

    def build() -> Questionnaire:
        return load(path, display="questionnaires/default.yaml")

    return cache.cached("questionnaire", cache.key_of("questionnaire", [path]), build)


def check_keys(questionnaire: Questionnaire, keys: Sequence[str]) -> None:
    """Raise a DataError for the first key that is not a question of ``questionnaire``."""
    for key in keys:
        questionnaire.question(key)
