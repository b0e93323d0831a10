"""The interactive questionnaire: the only module that uses questionary.

Prompts are written to stderr (so ``advisor assess > result.txt`` keeps the product
clean) and every typed answer goes through :meth:`Question.parse`, the same
validation as ``--profile`` and ``--set``. Ctrl-C raises KeyboardInterrupt to the
caller, which saves the answers given so far.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import questionary
from prompt_toolkit.output import create_output
from questionary import Choice, Style
from tabulate import tabulate

from advisor import console
from advisor.profile import Profile, plan
from advisor.questionnaire import Mode, Question

__all__ = ["ask_questions"]

_STYLE = Style([("qmark", "fg:ansicyan bold"), ("question", "bold"), ("answer", "fg:ansigreen"),
                ("instruction", "fg:ansibrightblack"), ("highlighted", "fg:ansicyan bold"),
                ("pointer", "fg:ansicyan bold")])
_SAVE = "save"
_CHANGE = "change"


def _output() -> Any:
    return create_output(stdout=sys.stderr)


def _label(question: Question, index: int | None, total: int | None) -> str:
    counter = f"[{index}/{total}] " if index is not None and total else ""
    return f"{counter}{question.prompt}"


def _ask_one(question: Question, current: Any, index: int | None = None, total: int | None = None) -> Any:
    """Ask one question; ``current`` (an earlier answer or the default) is taken on Enter."""
    if question.help:
        width = max(40, min(100, shutil.get_terminal_size((100, 24)).columns) - 4)
        text = textwrap.fill(question.help, width=width, initial_indent="  ", subsequent_indent="  ")
        console.err(f"\x1b[2m{text}\x1b[0m" if console.use_color() else text)
    message = _label(question, index, total)
    kwargs: dict[str, Any] = {"style": _STYLE, "output": _output()}
    if question.type == "bool":
        return questionary.confirm(message, default=bool(current) if current is not None else False,
                                   **kwargs).unsafe_ask()
    if question.type == "choice":
        choices = [Choice(title=c.label, value=c.value, description=c.help or None) for c in question.choices or ()]
        return questionary.select(message, choices=choices, default=current if current is not None else None,
                                  instruction="(arrows, Enter)", **kwargs).unsafe_ask()
    if question.type == "multi-choice":
        selected = set(current or [])
        choices = [Choice(title=c.label, value=c.value, checked=c.value in selected, description=c.help or None)
                   for c in question.choices or ()]

        def check(values: list[str]) -> bool | str:
            try:
                question.parse(values, from_text=False)
            except ValueError as exc:
                return str(exc)
            return True

        raw = questionary.checkbox(message, choices=choices, validate=check,
                                   instruction="(Space to toggle, Enter to confirm)", **kwargs).unsafe_ask()
        return question.parse(raw, from_text=False)

    shown = question.format_value(current) if current is not None else None
    unit = f" ({question.unit})" if question.unit and question.unit not in question.prompt else ""
    hint = f"Enter for {shown}" if shown is not None else "required"

    def validate(text: str) -> bool | str:
        if not text.strip() and current is not None:
            return True
        try:
            question.parse(text, from_text=True)
        except ValueError as exc:
            return str(exc)
        return True

    text = questionary.text(message + unit, validate=validate, instruction=f"[{hint}]", **kwargs).unsafe_ask()
    if not str(text).strip() and current is not None:
        return current
    return question.parse(text, from_text=True)


def _record(profile: Profile, question: Question, value: Any) -> None:
    """An accepted default stays a default (unless it was answered before); else an answer."""
    if value == question.default and question.key not in profile.answers:
        profile.set_default(question.key)
    else:
        profile.set_answer(question.key, value)


def _summary(profile: Profile) -> str:
    rows = []
    for key, value in profile.values().items():
        question = profile.questionnaire.by_key[key]
        rows.append([key, question.format_value(value), "default" if key in profile.defaults else ""])
    return tabulate(rows, headers=["question", "answer", ""], tablefmt="simple")


def ask_questions(profile: Profile, keys: list[str], *, mode: Mode, use_defaults: bool,
                  on_answer: Callable[[], None] | None = None) -> None:
    """Ask ``keys`` in order, then show a summary where any answer can be changed.

    Conditions are re-checked as answers come in: a question whose ``when`` became
    false takes its default. Raises KeyboardInterrupt on Ctrl-C (answers so far are
    already in ``profile``).
    """
    questionnaire = profile.questionnaire
    total = len(keys)
    for index, key in enumerate(keys, start=1):
        question = questionnaire.by_key[key]
        if not questionnaire.applies(key, profile.values()) and question.default is not None:
            profile.set_default(key)
            continue
        current = profile.values().get(key, question.default)
        _record(profile, question, _ask_one(question, current, index, total))
        if on_answer:
            on_answer()
    while True:
        console.err("")
        console.err(_summary(profile))
        console.err("")
        action = questionary.select(
            "Save these answers?",
            choices=[Choice("Save", _SAVE), Choice("Change an answer", _CHANGE)],
            style=_STYLE, output=_output(),
        ).unsafe_ask()
        if action == _SAVE:
            return
        choices = [Choice(f"{k}: {questionnaire.by_key[k].format_value(v)}", k) for k, v in profile.values().items()]
        key = questionary.select("Which answer?", choices=choices, style=_STYLE, output=_output()).unsafe_ask()
        question = questionnaire.by_key[key]
        _record(profile, question, _ask_one(question, profile.values().get(key, question.default)))
        # a changed answer may switch conditional questions on: ask those now
        follow = plan(profile, mode=mode, use_defaults=use_defaults, interactive=True)
        for extra in follow.ask:
            extra_q = questionnaire.by_key[extra]
            _record(profile, extra_q, _ask_one(extra_q, extra_q.default))
        for extra in follow.take_default:
            profile.set_default(extra)
        if on_answer:
            on_answer()
