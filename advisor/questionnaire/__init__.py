"""Questionnaires: the question model, its YAML loader and answer validation.

A questionnaire is a YAML file (``questionnaires/*.yaml``, format in
docs/questionnaire-format.md). Each question has a key, a type, prompt text, help,
an optional unit, choices, a default, bounds or a pattern, a ``when`` condition over
earlier answers (see :mod:`advisor.conditions`) and a mode (quick or full).

:meth:`Question.parse` is the single validation path for an answer, whether it was
typed at the prompt, read from a profile file or given with ``--set``.

One concept per module: :mod:`~advisor.questionnaire.question` (a question and its
answers), :mod:`~advisor.questionnaire.model` (the questionnaire file),
:mod:`~advisor.questionnaire.loading` (reading and checking a file, the bundled one)
and :mod:`~advisor.questionnaire.table` (the questions as a table).
"""

from __future__ import annotations

from advisor.questionnaire.loading import DEFAULT_PATH, check_keys, load, load_default
from advisor.questionnaire.model import Questionnaire, yaml_word
from advisor.questionnaire.question import Check, Choice, DefaultWhen, Mode, Question, QuestionType
from advisor.questionnaire.table import describe

__all__ = [
    "DEFAULT_PATH",
    "Check",
    "Choice",
    "DefaultWhen",
    "Mode",
    "Question",
    "QuestionType",
    "Questionnaire",
    "check_keys",
    "describe",
    "load",
    "load_default",
    "yaml_word",
]
