"""``--set`` values and planning: which questions are asked, which take their defaults, which are missing."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import DataError, Location, UsageError, did_you_mean
from advisor.profile.document import Profile
from advisor.profile.loading import load, new
from advisor.profile.model import Source
from advisor.questionnaire import Mode, Questionnaire

_ASSIGN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", re.DOTALL)


def parse_assignment(text: str, questionnaire: Questionnaire) -> tuple[str, Any]:
    """Parse and validate one ``--set key=value``; UsageError on any problem."""
    match = _ASSIGN.match(text)
    where = Location("--set")
    if match is None:
        raise UsageError(f"{text!r} is not key=value", "write e.g. --set latency_p99_ms=5", where)
    key, raw = match.group(1), match.group(2)
    if key in questionnaire.retired_by_key:
        raise UsageError(f"{key!r} was retired: {questionnaire.retired_by_key[key].why}",
                         questionnaire.retired_hint(key), where)
    if key not in questionnaire.by_key:
        raise UsageError(f"unknown question key {key!r}", suggest_key(key, questionnaire.keys()), where)
    try:
        return key, questionnaire.by_key[key].parse(raw, from_text=True)
    except ValueError as exc:
        message, _, hint = str(exc).partition("; ")
        raise UsageError(f"{key}: {message}", hint or None, where) from None


def suggest_key(key: str, keys: Sequence[str]) -> str:
    """A hint for an unknown key: keys that start with it or contain it as a word, else the closest."""
    word = key.lower()
    parts = [k for k in keys if k.startswith(word) or word in k.split("_")]
    if 0 < len(parts) <= 3:
        return "did you mean " + " or ".join(repr(k) for k in parts) + "?"
    return did_you_mean(word, keys) or "run 'advisor questions' to list the keys"


@dataclass
class Plan:
    """Which questions to ask and which take their defaults."""

    ask: list[str]
    take_default: list[str]
    missing: list[str]  # would be asked, but there is no terminal and no --defaults


def plan(profile: Profile, *, mode: Mode, use_defaults: bool, reask: Sequence[str] = (),
         interactive: bool) -> Plan:
    """Decide, question by question, what happens (conditions see earlier values)."""
    q = profile.questionnaire
    reask_set = set(reask)
    for key in reask:
        q.question(key)
    values = profile.values()
    ask: list[str] = []
    take_default: list[str] = []
    missing: list[str] = []
    for question in q.questions:
        key = question.key
        if key not in reask_set and profile.has(key):
            continue
        has_default = question.default is not None
        if key in reask_set:
            (ask if interactive else missing).append(key)
        elif not (q.asked_in(key, mode, values) and q.applies(key, values)):
            if has_default:
                take_default.append(key)  # not asked in this mode, or its condition is false
        elif use_defaults and has_default:
            take_default.append(key)
        elif interactive:
            ask.append(key)
        else:
            missing.append(key)
        # later conditions see the default of a question not yet answered
        if key not in values and has_default:
            values[key] = q.default_for(key, values)
    return Plan(ask, take_default, missing)


def follow_ups(profile: Profile, before: Mapping[str, Any], *, mode: Mode, use_defaults: bool, after: str,
               skip: Collection[str] = ()) -> list[str]:
    """Questions after ``after`` that the latest answer switched on, in order.

    A question is switched on when, with the values ``before`` the answer, its ``when``
    was false or ``mode`` did not ask it (in quick mode: its ``quick_when`` did not
    hold), and now both hold, while it holds no answer (a default taken earlier does
    not count). ``skip``: keys already asked or queued.
    """
    q = profile.questionnaire
    values, before = _with_defaults(q, profile.values()), _with_defaults(q, before)
    keys = q.keys()
    out: list[str] = []
    for key in keys[keys.index(after) + 1:]:
        if key in skip or key in profile.answers:
            continue
        if use_defaults and q.by_key[key].default is not None:
            continue
        now = q.asked_in(key, mode, values) and q.applies(key, values)
        if now and not (q.asked_in(key, mode, before) and q.applies(key, before)):
            out.append(key)
    return out


def _with_defaults(q: Questionnaire, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with the default of every question not in it (as :func:`plan` sees unanswered ones)."""
    out: dict[str, Any] = {}
    for key in q.keys():
        if key in values:
            out[key] = values[key]
        elif q.by_key[key].default is not None:
            out[key] = q.default_for(key, out)
    return out


def default_output(profile: Profile) -> Path:
    """``<workload-name>.profile.yaml`` in the current directory."""
    name = str(profile.values().get("workload_name") or "advisor")
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "advisor"
    return Path(f"{slug}.profile.yaml")


@dataclass
class Gathered:
    """A profile ready for questions: what to ask, what to default, what is missing."""

    profile: Profile
    plan: Plan
    source: Source


def gather(questionnaire: Questionnaire, *, profile_path: Path | None, sets: Sequence[str], use_defaults: bool,
           reask: Sequence[str], mode: Mode, interactive: bool) -> Gathered:
    """Load ``--profile``, apply ``--set`` values and plan the questions (no prompting here)."""
    profile = load(profile_path, questionnaire) if profile_path is not None else new(questionnaire)
    if profile.provenance is not None and not profile.provenance.complete:
        # a partial profile's defaults were never confirmed: decide them again (and ask them in this mode)
        profile.drop_defaults()
    if list(reask) == ["all"]:
        reask = [q.key for q in questionnaire.selected(mode) if q.key not in ("all",)]
    given = [parse_assignment(text, questionnaire) for text in sets]
    for key, value in given:
        profile.set_answer(key, value)
    if reask and not interactive:
        raise UsageError(
            f"--ask {','.join(reask)} needs a terminal to ask on", "use --set key=value to change answers instead"
        )
    the_plan = plan(profile, mode=mode, use_defaults=use_defaults, reask=reask, interactive=interactive)
    if the_plan.ask:
        source: Source = "interactive"
    elif given:
        source = "set"
    elif profile_path is not None:
        source = "file"
    else:
        source = "defaults"
    return Gathered(profile, the_plan, source)


def missing_error(keys: Sequence[str], questionnaire: Questionnaire) -> DataError:
    """The error for answers that are missing on a non-terminal."""
    required = [k for k in keys if questionnaire.by_key[k].default is None]
    listed = ", ".join(keys)
    if required and len(required) == len(keys):
        hint = "give " + " ".join(f"--set {k}=VALUE" for k in required)
    elif required:
        hint = ("give " + " ".join(f"--set {k}=VALUE" for k in required)
                + " and use --defaults for the rest, or run on a terminal")
    else:
        hint = "give them with --set key=value or --profile FILE, use --defaults, or run on a terminal"
    return DataError(f"missing answers (no terminal to ask on): {listed}", hint)
