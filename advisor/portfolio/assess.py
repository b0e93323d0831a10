"""Deciding the workloads of an inventory: once per distinct set of answers, in parallel processes.

The format-2 rule pack is loaded once; each workload is decided with
:func:`advisor.pipeline.decide_profile` (its outcome, option, configuration and P), and
with :func:`advisor.recording.decide` written as a decision record unless the summary
only is asked for. Results stream back in inventory order, so the output is that of a
serial run. Progress goes to an ``on_progress(done, total)`` callback.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from advisor import pipeline, recording, records, render
from advisor import profile as profiles
from advisor.decide import Decision, Pack
from advisor.portfolio.inventory import Inventory, Workload
from advisor.questionnaire import Questionnaire

Progress = Callable[[int, int], None]

#: Constraint results that do not rule an option out.
_NOT_RULING = ("met", "pending", "unknown")


@dataclass(frozen=True)
class RuledOut:
    """An option a workload's constraints rule out: the option, the constraint rules, why (their sentences)."""

    option: str
    rules: tuple[str, ...]
    reason: str


@dataclass(frozen=True)
class Outcome:
    """What the summary needs of a decision; the full decision (criteria, facts) is not kept per workload.

    ``recommendation`` is the recommended option, or ``none`` for a tie or both options
    ruled out; ``close`` is the decision's own (P in the close band, or a measurement
    could change it).
    """

    outcome: str
    recommendation: str
    configuration: str | None
    p_bare_metal: float | None
    close: bool
    ruled_out: tuple[RuledOut, ...]

    @classmethod
    def of(cls, d: Decision) -> Outcome:
        ruling = [c for c in d.constraints if c.kind not in _NOT_RULING]
        ruled = tuple(RuledOut(o, tuple(sorted({c.rule_id for c in ruling if c.option == o})),
                               "; ".join(r.ruled_out_by)) for o, r in d.options.items() if r.status == "infeasible")
        close = d.uncertainty.close if d.uncertainty is not None else False
        return cls(d.outcome, d.recommendation or "none", d.configuration, d.p_bare_metal, close, ruled)


@dataclass
class Assessed:
    """One workload with its outcome (and its record, when one was written).

    ``values`` are the answers the rules see (given answers and the defaults that
    apply), without the workload's name; workloads with the same answers share them.
    """

    workload: Workload
    result: Outcome
    values: dict[str, Any]
    record: str | None = None


def with_defaults(answers: Mapping[str, Any], questionnaire: Questionnaire) -> dict[str, Any]:
    """The answers plus the defaults of the unanswered questions that apply (what the rules see)."""
    out: dict[str, Any] = {}
    for q in questionnaire.questions:
        if q.key in answers:
            out[q.key] = answers[q.key]
        elif q.default is not None and questionnaire.applies(q.key, out):
            out[q.key] = list(q.default) if isinstance(q.default, list) else q.default
    return out


def assess_all(inventory: Inventory, pack: Pack, questionnaire: Questionnaire, *,
               on_progress: Progress | None = None, jobs: int = 1) -> list[Assessed]:
    """Decide every workload against one loaded format-2 pack (no tipping points, no records).

    Workloads with the same answers (apart from their name, which no rule reads) are
    decided once and share their outcome and values. ``jobs > 1`` spreads the
    evaluations over that many processes (:func:`parallel_map`); the result is the same.
    """
    workloads = inventory.workloads
    index: dict[str, int] = {}
    unique: list[dict[str, Any]] = []
    slot = []
    for w in workloads:
        answers = {k: v for k, v in w.answers.items() if k != "workload_name"}
        key = json.dumps(answers, sort_keys=True, default=str)
        i = index.get(key)
        if i is None:
            i = index[key] = len(unique)
            unique.append(answers)
        slot.append(i)
    del index
    _WORKER.update(pack=pack, questionnaire=questionnaire)
    outcomes: list[Outcome] = []
    try:
        for part in parallel_map(_evaluate_chunk, unique, jobs=jobs, chunk=64):
            outcomes.extend(part)
            if on_progress is not None:
                on_progress(len(workloads) * len(outcomes) // len(unique), len(workloads))
    finally:
        _WORKER.clear()
    values = [with_defaults(answers, questionnaire) for answers in unique]
    return [Assessed(w, outcomes[i], values[i]) for w, i in zip(workloads, slot, strict=True)]


def _evaluate_chunk(chunk: Sequence[Mapping[str, Any]]) -> list[Outcome]:
    pack, questionnaire = _WORKER["pack"], _WORKER["questionnaire"]
    return [Outcome.of(pipeline.decide_profile(answers, pack, questionnaire=questionnaire)) for answers in chunk]


#: What the worker functions read: set in the parent before the processes fork.
_WORKER: dict[str, Any] = {}

T = TypeVar("T")
R = TypeVar("R")


def default_jobs() -> int:
    """The processes a portfolio uses by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def parallel_map(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, jobs: int,
                 chunk: int) -> Iterator[list[R]]:
    """``fn`` over ``items`` in chunks, in ``jobs`` forked processes; yields each chunk's results in input order.

    Results stream back chunk by chunk, in order, so a caller that writes or reports
    them as they come produces the same output as a serial run. ``fn`` and what it reads
    from ``_WORKER`` reach the processes by ``fork``; where fork is not available, or
    for one job or one chunk, the chunks run in this process.
    """
    import multiprocessing

    chunks = [items[i:i + chunk] for i in range(0, len(items), chunk)]
    if jobs <= 1 or len(chunks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for c in chunks:
            yield fn(c)
        return
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=min(jobs, len(chunks)), mp_context=context) as pool:
        yield from pool.map(fn, chunks)


def decide_all(inventory: Inventory, pack: Pack, questionnaire: Questionnaire, *,
               records_dir: str | os.PathLike[str], rules: Sequence[str | os.PathLike[str]] | None = None,
               date: str | None = None, on_progress: Progress | None = None, jobs: int = 1) -> list[Assessed]:
    """Decide every workload (tipping points included) and write one decision record each.

    ``pack`` decides each workload's outcome for the summary; ``rules`` are the pack
    folders the records name (:func:`advisor.recording.decide`).

    With ``jobs > 1`` the records are computed in that many processes and written here
    as they arrive, in inventory order, so that their numbers and files are those of a
    serial run.
    """
    day = records.check_date(date) if date else records.default_date()
    words = ["advisor", "portfolio", inventory.display, "--date", day]
    for r in rules or ():
        words += ["--rules", pipeline.shown_path(r)]
    _WORKER.update(pack=pack, questionnaire=questionnaire, rules=rules, day=day, command=shlex.join(words))
    workloads = inventory.workloads
    out: list[Assessed] = []
    try:
        for decided in parallel_map(_decide_chunk, workloads, jobs=jobs, chunk=4):
            for record, outcome in decided:
                w = workloads[len(out)]
                md_path, _json_path, _ = records.write_record(record, records_dir, render.to_markdown)
                answers = {k: v for k, v in w.answers.items() if k != "workload_name"}
                out.append(Assessed(w, outcome, with_defaults(answers, questionnaire), md_path.name))
            if on_progress is not None:
                on_progress(len(out), len(workloads))
    finally:
        _WORKER.clear()
    return out


def _decide_chunk(chunk: Sequence[Workload]) -> list[tuple[records.DecisionRecord, Outcome]]:
    pack, questionnaire = _WORKER["pack"], _WORKER["questionnaire"]
    out = []
    for w in chunk:
        prof = profiles.Profile(questionnaire, dict(w.answers), path=w.profile_path)
        record = recording.decide(prof, rules=_WORKER["rules"], questionnaire=questionnaire, date=_WORKER["day"],
                                 command=None if w.profile_path is not None else _WORKER["command"],
                                 profile_display=w.profile_display)
        answers = {k: v for k, v in w.answers.items() if k != "workload_name"}
        out.append((record, Outcome.of(pipeline.decide_profile(answers, pack, questionnaire=questionnaire))))
    return out
