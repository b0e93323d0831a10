"""The interactive questionnaire: the only module that uses questionary.

Prompts are written to stderr (so ``advisor assess > result.txt`` keeps the product
clean) and every typed answer goes through :meth:`Question.parse`, the same
validation as ``--profile`` and ``--set``. Every question shown is recorded as an
answer, also when Enter confirmed the default it showed. ``?`` prints the full help
of the question. Ctrl-C, Ctrl-D, a hangup (SIGHUP) and SIGTERM all raise
:class:`Stopped` (a KeyboardInterrupt) to the caller, which saves the answers given.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import questionary
from prompt_toolkit.key_binding import KeyBindings, merge_key_bindings
from prompt_toolkit.output import create_output
from questionary import Choice, Style

from advisor import console, tables
from advisor.profile import Profile, follow_ups, plan
from advisor.questionnaire import Mode, Question

__all__ = ["Stopped", "ask_questions", "help_text", "stop_signals"]

_STYLE = Style([("qmark", "fg:ansicyan bold"), ("question", "bold"), ("answer", "fg:ansigreen"),
                ("instruction", "fg:ansibrightblack"), ("highlighted", "fg:ansicyan bold"),
                ("pointer", "fg:ansicyan bold")])
_SAVE = "save"
_CHANGE = "change"
_NOTE = "note"
_HELP: Any = object()  # what a prompt returns when '?' was pressed


class Stopped(KeyboardInterrupt):
    """The questionnaire was stopped: Ctrl-C, Ctrl-D, SIGHUP or SIGTERM. ``how`` says which."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


@contextlib.contextmanager
def stop_signals() -> Iterator[None]:
    """Turn SIGHUP and SIGTERM into :class:`Stopped` while the questions are asked."""
    names: dict[int, str] = {signal.SIGTERM: "SIGTERM"}
    if hasattr(signal, "SIGHUP"):
        names[signal.SIGHUP] = "a hangup (SIGHUP)"

    def handler(signum: int, _frame: object) -> None:
        raise Stopped(names.get(signum, f"signal {signum}"))

    previous = {sig: signal.signal(sig, handler) for sig in names}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _output() -> Any:
    return create_output(stdout=sys.stderr)


def _width() -> int:
    return max(40, min(100, shutil.get_terminal_size((100, 24)).columns) - 4)


def _dim(text: str) -> str:
    return f"\x1b[2m{text}\x1b[0m" if console.use_color() else text


def _label(question: Question, index: int | None, total: int | None) -> str:
    counter = f"[{index}/{total}] " if index is not None and total else ""
    return f"{counter}{question.prompt}"


def help_text(question: Question, current: Any) -> str:
    """Everything about one question: its help, allowed values, default and key (what ``?`` prints)."""
    width = _width()
    lines = [question.prompt]
    if question.help:
        lines += textwrap.wrap(question.help, width=width, initial_indent="  ", subsequent_indent="  ")
    for choice in question.choices or ():
        extra = f": {choice.help}" if choice.help else ""
        lines.append(f"  - {choice.label} ({choice.value}){extra}")
    if question.type in ("int", "float"):
        lines.append(f"  Allowed: {question.range_hint()}")
    if question.type == "multi-choice":
        lines.append("  Space ticks or unticks the choice under the pointer, 'a' ticks all, 'i' inverts, "
                     "Enter confirms; ticking a choice unticks an exclusive one such as None.")
    if current is not None:
        lines.append(f"  Enter keeps: {question.format_value(current)}")
    lines.append(f"  Profile key: {question.key} (set it with --set {question.key}=VALUE)")
    return "\n".join(lines)


def _with_keys(prompt: Any, *, help_key: bool) -> Any:
    """Ctrl-D interrupts like Ctrl-C on every prompt; ``?`` asks for the help on choice prompts."""
    keys = KeyBindings()

    @keys.add("c-d", eager=True)
    def _eof(event: Any) -> None:
        event.app.exit(exception=EOFError, style="class:aborting")

    if help_key:
        @keys.add("?", eager=True)
        def _help(event: Any) -> None:
            event.app.exit(result=_HELP)

    app = prompt.application
    app.key_bindings = merge_key_bindings([app.key_bindings, keys])
    return prompt


def _drop_stale_exclusive(question: Question, values: list[str]) -> list[str]:
    """Ticking a choice next to a ticked exclusive one (None) means the exclusive one no longer holds."""
    exclusive = {c.value for c in question.choices or () if c.exclusive}
    kept = [v for v in values if v not in exclusive]
    return kept if kept and len(kept) < len(values) else values


def _ask_once(question: Question, current: Any, message: str) -> Any:
    """One prompt; returns the value, or ``_HELP`` when the user asked for help."""
    kwargs: dict[str, Any] = {"style": _STYLE, "output": _output()}
    if question.type == "bool":
        prompt = questionary.confirm(message, default=bool(current) if current is not None else False,
                                     instruction="(y/n, ? for help) " if current is None else
                                     ("(Y/n, ? for help) " if current else "(y/N, ? for help) "), **kwargs)
        return _with_keys(prompt, help_key=True).unsafe_ask()
    if question.type == "choice":
        choices = [Choice(title=c.label, value=c.value, description=c.help or None) for c in question.choices or ()]
        prompt = questionary.select(message, choices=choices, default=current if current is not None else None,
                                    instruction="(arrows, Enter; ? for help)", **kwargs)
        return _with_keys(prompt, help_key=True).unsafe_ask()
    if question.type == "multi-choice":
        selected = set(current or [])
        choices = [Choice(title=c.label, value=c.value, checked=c.value in selected, description=c.help or None)
                   for c in question.choices or ()]

        def check(values: list[str]) -> bool | str:
            try:
                question.parse(_drop_stale_exclusive(question, values), from_text=False)
            except ValueError as exc:
                return str(exc)
            return True

        prompt = questionary.checkbox(message, choices=choices, validate=check,
                                      instruction="(Space ticks, a: all, i: invert, Enter confirms; ? for help)",
                                      **kwargs)
        raw = _with_keys(prompt, help_key=True).unsafe_ask()
        if raw is _HELP:
            return _HELP
        value = question.parse(_drop_stale_exclusive(question, raw), from_text=False)
        labels = {c.value: c.label for c in question.choices or ()}
        console.err(f"  selected: {', '.join(labels[v] for v in value)}")
        return value

    shown = question.format_value(current) if current is not None else None
    unit = f" ({question.unit})" if question.unit and question.unit not in question.prompt else ""
    hint = f"Enter for {shown}; ? for help" if shown is not None else "required; ? for help"

    def validate(text: str) -> bool | str:
        if text.strip() == "?" or (not text.strip() and current is not None):
            return True
        try:
            question.parse(text, from_text=True)
        except ValueError as exc:
            return str(exc)
        return True

    prompt = questionary.text(message + unit, validate=validate, instruction=f"[{hint}]", **kwargs)
    text = str(_with_keys(prompt, help_key=False).unsafe_ask())
    if text.strip() == "?":
        return _HELP
    if not text.strip() and current is not None:
        return current
    return question.parse(text, from_text=True)


def _ask_one(question: Question, current: Any, index: int | None = None, total: int | None = None) -> Any:
    """Ask one question; ``current`` (an earlier answer or the default) is taken on Enter."""
    if question.help:
        text = textwrap.fill(question.help, width=_width(), initial_indent="  ", subsequent_indent="  ")
        console.err(_dim(text))
    message = _label(question, index, total)
    while True:
        value = _ask_once(question, current, message)
        if value is not _HELP:
            return value
        console.err(help_text(question, current))


def _short(text: str, width: int = 58) -> str:
    return text if len(text) <= width else text[:width - 3].rstrip() + "..."


def _summary(profile: Profile) -> str:
    rows = []
    for key, value in profile.values().items():
        question = profile.questionnaire.by_key[key]
        origin = "default (not asked)" if profile.origin(key) == "default" else ""
        note = profile.notes.get(key)
        rows.append([_short(question.prompt), question.format_value(value),
                     "; ".join(p for p in (origin, f"note: {_short(note, 30)}" if note else "") if p)])
    return tables.text(rows, ["question", "answer", ""])


def _pick(profile: Profile, message: str) -> str:
    questionnaire = profile.questionnaire
    choices = [Choice(f"{_short(questionnaire.by_key[k].prompt)}: {questionnaire.by_key[k].format_value(v)}", k)
               for k, v in profile.values().items()]
    key = _with_keys(questionary.select(message, choices=choices, style=_STYLE, output=_output()),
                     help_key=False).unsafe_ask()
    return str(key)


#: How many decision-makers a record names at most, and how long one name or role may be.
MAX_DECISION_MAKERS, MAX_DECISION_MAKER_CHARS = 12, 120


def parse_decision_makers(text: str) -> list[str]:
    """Names or roles separated by commas, blanks dropped, duplicates once; ValueError names the problem."""
    names = list(dict.fromkeys(" ".join(part.split()) for part in text.split(",") if part.strip()))
    if len(names) > MAX_DECISION_MAKERS:
        raise ValueError(f"at most {MAX_DECISION_MAKERS} decision-makers, got {len(names)}")
    for name in names:
        if len(name) > MAX_DECISION_MAKER_CHARS:
            raise ValueError(f"a name or role is at most {MAX_DECISION_MAKER_CHARS} characters: {name[:20]}...")
    return names


def ask_decision_makers() -> list[str]:
    """Ask who decides, for the record's ``decision-makers`` (Enter leaves them unnamed).

    Raises KeyboardInterrupt or EOFError (Ctrl-C, Ctrl-D) like every other prompt.
    """
    console.err(_dim(textwrap.fill(
        "The record names who takes this decision (MADR decision-makers): the people or the board "
        "that accept or reject it.", width=_width(), initial_indent="  ", subsequent_indent="  ")))

    def validate(text: str) -> bool | str:
        try:
            parse_decision_makers(text)
        except ValueError as exc:
            return str(exc)
        return True

    prompt = questionary.text("Who decides? Names or roles, separated by commas", validate=validate,
                              instruction="[Enter leaves them unnamed]", style=_STYLE, output=_output())
    names = parse_decision_makers(str(_with_keys(prompt, help_key=False).unsafe_ask()))
    console.err(f"  decision-makers: {', '.join(names) if names else 'not named'}")
    return names


def ask_questions(profile: Profile, keys: list[str], *, mode: Mode, use_defaults: bool,
                  on_answer: Callable[[], None] | None = None) -> None:
    """Ask ``keys`` in order, then show a summary where any answer can be changed or given a note.

    Conditions are re-checked as answers come in: a question whose ``when`` became
    false takes its default, a default follows the earlier answers (its
    ``default_when``), and a later question that an answer switches on (its ``when``,
    or in quick mode its ``quick_when``: the licence after vSphere) is asked in its
    place in the order. Raises KeyboardInterrupt (Ctrl-C, Ctrl-D, SIGHUP, SIGTERM);
    the answers so far are already in ``profile``.
    """
    questionnaire = profile.questionnaire
    order = {k: i for i, k in enumerate(questionnaire.keys())}
    pending = list(keys)
    done: list[str] = []
    while pending:
        key = pending.pop(0)
        done.append(key)
        question = questionnaire.by_key[key]
        if not questionnaire.applies(key, profile.values()) and question.default is not None:
            profile.set_default(key)
            continue
        before = profile.values()
        # an answer is shown as it is; a default follows the answers given since it was recorded
        current = profile.answers[key] if key in profile.answers else questionnaire.default_for(key, before)
        profile.set_answer(key, _ask_one(question, current, len(done), len(done) + len(pending)))
        switched = follow_ups(profile, before, mode=mode, use_defaults=use_defaults, after=key, skip={*done, *pending})
        if switched:
            pending = sorted([*pending, *switched], key=order.__getitem__)
        if on_answer:
            on_answer()
    while True:
        console.err("")
        console.err(_summary(profile))
        for warning in questionnaire.warnings(profile.values()):
            console.err(f"advisor: warning: {warning}")
        console.err("")
        action = _with_keys(questionary.select(
            "Save these answers?",
            choices=[Choice("Save", _SAVE), Choice("Change an answer", _CHANGE),
                     Choice("Add a note to an answer (why this answer; goes into the record)", _NOTE)],
            style=_STYLE, output=_output(),
        ), help_key=False).unsafe_ask()
        if action == _SAVE:
            return
        if action == _NOTE:
            key = _pick(profile, "Which answer gets a note?")
            text = _with_keys(questionary.text(
                "Note", default=profile.notes.get(key, ""), instruction="[one line; empty removes it]",
                validate=lambda t: len(" ".join(t.split())) <= 300 or "at most 300 characters",
                style=_STYLE, output=_output()), help_key=False).unsafe_ask()
            profile.set_note(key, str(text))
            continue
        key = _pick(profile, "Which answer?")
        question = questionnaire.by_key[key]
        before = profile.values()
        profile.set_answer(key, _ask_one(question, before.get(key, question.default)))
        # a changed answer may switch later questions on (their 'when' or, in quick mode, 'quick_when'):
        # ask those now, and what each of their answers switches on in turn
        queue = follow_ups(profile, before, mode=mode, use_defaults=use_defaults, after=key)
        asked: set[str] = set()
        while queue:
            extra = queue.pop(0)
            asked.add(extra)
            before = profile.values()
            profile.set_answer(extra, _ask_one(questionnaire.by_key[extra], questionnaire.default_for(extra, before)))
            more = follow_ups(profile, before, mode=mode, use_defaults=use_defaults, after=extra,
                              skip={*asked, *queue})
            queue = sorted([*queue, *more], key=order.__getitem__)
        follow = plan(profile, mode=mode, use_defaults=use_defaults, interactive=True)
        for rest in follow.take_default:
            profile.set_default(rest)
        if on_answer:
            on_answer()
