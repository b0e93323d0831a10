"""Portfolios: assess many workloads at once and summarise them (``advisor portfolio``).

An inventory is a YAML file (``advisor_portfolio: 1``) or a CSV file listing workloads,
each given by its answers or by a reference to a profile file (docs/portfolio.md).
Every value goes through the question's own parser, as in profiles; all problems of
the file are collected and raised together, before anything is written.

The format-2 rule pack is loaded once; each workload is decided with
:func:`advisor.pipeline.decide_profile` (its outcome, option, configuration and P), and
with :func:`advisor.pipeline.decide` written as a decision record unless the summary
only is asked for. The summary counts the outcomes and recommendations, lists close
calls (and "measure first") and the options ruled out by constraints, and flags pairs
of workloads whose answers are nearly the same but whose recommendations differ. Strings and files
only: nothing here prints; progress goes to an ``on_progress(done, total)`` callback.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from advisor import decision, inputs, pipeline, report, tables, yamlio
from advisor import profile as profiles
from advisor.atomic import write_text
from advisor.decide import Decision, Pack
from advisor.errors import DataError, Location, Problem, did_you_mean
from advisor.questionnaire import Question, Questionnaire
from advisor.validation import foreign

__all__ = [
    "DEFAULT_SIMILARITY",
    "FORMAT",
    "SUMMARY_JSON",
    "SUMMARY_MD",
    "OUTCOMES",
    "Assessed",
    "Flag",
    "Inventory",
    "Outcome",
    "RuledOut",
    "Workload",
    "assess_all",
    "check_summary_free",
    "consistency",
    "decide_all",
    "distance",
    "load_inventory",
    "summarize",
    "summary_paths",
    "to_json",
    "to_markdown",
    "with_defaults",
    "write_summary",
]

#: Version of the inventory format (the ``advisor_portfolio`` key).
FORMAT = 1
#: Default threshold of the consistency check: a mean per-answer distance below it is "near-identical".
DEFAULT_SIMILARITY = 0.05
SUMMARY_MD = "portfolio-summary.md"
SUMMARY_JSON = "portfolio-summary.json"

Progress = Callable[[int, int], None]

_TOP_KEYS = ("advisor_portfolio", "defaults", "workloads")
_ENTRY_KEYS = ("profile", "answers")
_NAMES = {"bare-metal": "bare metal", "vm": "VM-backed", "none": "neither (tie or both ruled out)"}
#: Constraint results that do not rule an option out.
_NOT_RULING = ("met", "pending", "unknown")
#: Outcome kinds in the order the summary counts them.
OUTCOMES = ("recommend", "measure-first", "tie", "one-ruled-out", "both-ruled-out")


# --------------------------------------------------------------------------- inventory


@dataclass
class Workload:
    """One workload of an inventory: its validated answers and where it was given."""

    name: str
    answers: dict[str, Any]
    location: Location
    #: The referenced profile file, when the answers are exactly that file's.
    profile_path: Path | None = None
    profile_display: str | None = None


@dataclass
class Inventory:
    """A loaded, validated inventory."""

    display: str
    workloads: list[Workload] = field(default_factory=list)


def load_inventory(path: str | os.PathLike[str], questionnaire: Questionnaire, *,
                   display: str | None = None) -> Inventory:
    """Load a YAML or CSV (``.csv``) inventory; DataError listing every problem of the file."""
    name = display if display is not None else str(path)
    if Path(path).suffix.lower() == ".csv":
        return _load_csv(Path(path), name, questionnaire)
    return _load_yaml(Path(path), name, questionnaire)


def _parse_value(question: Question, raw: Any, from_text: bool, where: Location,
                 problems: list[Problem]) -> Any:
    try:
        return question.parse(raw, from_text=from_text)
    except ValueError as exc:
        message, _, hint = str(exc).partition("; ")
        problems.append(Problem(f"{question.key}: {message}", hint or None, where))
        return None


def _unknown_key(key: str, questionnaire: Questionnaire, where: Location, extra: Sequence[str] = ()) -> Problem:
    hint = did_you_mean(key, [*questionnaire.by_key, *extra]) or "run 'advisor questions --full' to list the keys"
    return Problem(f"unknown question key {key!r}", hint, where)


def _load_profile(ref: Any, base: Path, base_display: str, where: Location, questionnaire: Questionnaire,
                  problems: list[Problem]) -> tuple[dict[str, Any], Path, str] | None:
    if not isinstance(ref, str) or not ref.strip():
        problems.append(Problem("profile: expected a file name", "give the profile path relative to the inventory",
                                where))
        return None
    try:
        target = inputs.confine(ref.strip(), base)
    except DataError as exc:
        problems.append(Problem(f"profile file {exc.first.message}", exc.first.hint, where))
        return None
    shown = (Path(base_display).parent / ref.strip()).as_posix()
    if not target.is_file():
        problems.append(Problem(f"profile file {ref.strip()!r} not found",
                                "give a path relative to the inventory file", where))
        return None
    try:
        loaded = profiles.load(target, questionnaire, display=shown)
    except DataError as exc:
        problems.extend(exc.problems)
        return None
    return loaded.values(), target, shown


def _finish(workloads: list[tuple[dict[str, Any], Location, Path | None, str | None]], display: str,
            problems: list[Problem]) -> Inventory:
    seen: dict[str, Location] = {}
    out: list[Workload] = []
    for answers, where, ppath, pshown in workloads:
        name = answers.get("workload_name")
        if not isinstance(name, str):
            problems.append(Problem("workload_name: missing", "every workload needs a unique workload_name", where))
            continue
        if name in seen:
            first = seen[name]
            problems.append(Problem(f"duplicate workload name {name!r} (lines {first.line} and {where.line})",
                                    "give each workload its own workload_name", where))
            continue
        seen[name] = where
        out.append(Workload(name, answers, where, ppath, pshown))
    if not out and not problems:
        problems.append(Problem("no workloads", "list at least one workload", Location(display, 1, 1)))
    if problems:
        raise DataError("", problems=sorted(problems, key=_problem_order))
    return Inventory(display, out)


def _problem_order(p: Problem) -> tuple[int, int, int]:
    loc = p.location
    # problems of this file first (in line order); those of referenced profiles follow at their reference
    return (0, loc.line, loc.col) if loc is not None else (1, 0, 0)


def _load_yaml(path: Path, display: str, questionnaire: Questionnaire) -> Inventory:
    doc = yamlio.load(path, display=display)
    other = foreign(doc, _TOP_KEYS)
    if other is not None:
        raise DataError("", problems=[other])
    root = doc.root
    problems: list[Problem] = []
    for key in root:
        if key not in _TOP_KEYS:
            hint = did_you_mean(str(key), _TOP_KEYS) or f"use {', '.join(_TOP_KEYS)}"
            problems.append(Problem(f"unknown key {key!r}", hint, doc.where((key,), key=True)))
    version = root.get("advisor_portfolio")
    if version != FORMAT or isinstance(version, bool):
        where = doc.where(("advisor_portfolio",)) if "advisor_portfolio" in root else Location(display, 1, 1)
        problems.append(Problem(f"advisor_portfolio: expected {FORMAT}, got {yamlio.to_plain(version)!r}",
                                f"start the file with 'advisor_portfolio: {FORMAT}'", where))
    defaults = _yaml_answers(doc, ("defaults",), questionnaire, problems)
    raw_workloads = root.get("workloads")
    listed: list[tuple[dict[str, Any], Location, Path | None, str | None]] = []
    if not isinstance(raw_workloads, list) or not raw_workloads:
        where = doc.where(("workloads",)) if "workloads" in root else Location(display, 1, 1)
        problems.append(Problem("workloads: expected a list of workloads",
                                "list them as '- profile: FILE' or '- answers: {...}'", where))
        raw_workloads = []
    for i, entry in enumerate(raw_workloads):
        where = doc.where(("workloads", i))
        if not isinstance(entry, Mapping):
            problems.append(Problem(f"workloads[{i}]: expected a mapping with 'profile' or 'answers'",
                                    "write '- profile: FILE' or '- answers: {...}'", where))
            continue
        bad = [k for k in entry if k not in _ENTRY_KEYS]
        for key in bad:
            hint = did_you_mean(str(key), _ENTRY_KEYS) or "use 'profile' and/or 'answers'"
            problems.append(Problem(f"unknown key {key!r} in a workload", hint,
                                    doc.where(("workloads", i, key), key=True)))
        if not any(k in entry for k in _ENTRY_KEYS):
            if not bad:
                problems.append(Problem("a workload needs 'profile' or 'answers'",
                                        "write '- profile: FILE' or '- answers: {...}'", where))
            continue
        values: dict[str, Any] = {}
        ppath: Path | None = None
        pshown: str | None = None
        first = len(problems)
        if "profile" in entry:
            loaded = _load_profile(yamlio.to_plain(entry["profile"]), path.parent, display,
                                   doc.where(("workloads", i, "profile")), questionnaire, problems)
            if loaded is None:
                continue
            values, ppath, pshown = loaded
        inline = _yaml_answers(doc, ("workloads", i, "answers"), questionnaire, problems) if "answers" in entry else {}
        merged = {**defaults, **values, **inline}
        if len(problems) > first and "workload_name" not in merged:
            continue  # its problems are reported already
        pure = ppath is not None and merged == values
        listed.append((_ordered(merged, questionnaire), where, ppath if pure else None, pshown if pure else None))
    return _finish(listed, display, problems)


def _yaml_answers(doc: yamlio.Document, at: tuple[str | int, ...], questionnaire: Questionnaire,
                  problems: list[Problem]) -> dict[str, Any]:
    node: Any = doc.root
    for part in at:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
    if node is None:
        return {}
    if not isinstance(node, Mapping):
        problems.append(Problem(f"{at[-1]}: expected a mapping of question keys to answers",
                                "write 'key: value' lines under it", doc.where(at)))
        return {}
    out: dict[str, Any] = {}
    for key, raw in node.items():
        if key not in questionnaire.by_key:
            problems.append(_unknown_key(str(key), questionnaire, doc.where((*at, key), key=True)))
            continue
        value = _parse_value(questionnaire.by_key[key], yamlio.to_plain(raw), False, doc.where((*at, key)), problems)
        if value is not None:
            out[key] = value
    return out


def _ordered(values: Mapping[str, Any], questionnaire: Questionnaire) -> dict[str, Any]:
    return {k: values[k] for k in questionnaire.keys() if k in values}


def _load_csv(path: Path, display: str, questionnaire: Questionnaire) -> Inventory:
    text = yamlio.read_text(path, display=display)
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise DataError("empty inventory", "give a header row of question keys, then one row per workload",
                        Location(display, 1, 1)) from None
    except csv.Error as exc:
        raise DataError(f"invalid CSV: {exc}", "fix the quoting", Location(display, 1, 1)) from None
    columns: list[str | None] = []
    for col, raw_key in enumerate(header, start=1):
        key = raw_key.strip()
        where = Location(display, 1, col)
        if key == "profile" or key in questionnaire.by_key:
            if key in columns:
                problems.append(Problem(f"column {key!r} appears twice", "keep one of them", where))
                columns.append(None)
            else:
                columns.append(key)
        else:
            problems.append(_unknown_key(key, questionnaire, where, ("profile",)))
            columns.append(None)
    listed: list[tuple[dict[str, Any], Location, Path | None, str | None]] = []
    line = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(f"invalid CSV: {exc}", "fix the quoting", Location(display, line, 1)))
            break
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue  # blank line
        where = Location(display, start, 1)
        if len(row) > len(columns):
            problems.append(Problem(f"{len(row)} cells but {len(columns)} columns in the header",
                                    "remove the extra cells or name their columns",
                                    Location(display, start, len(columns) + 1)))
        values: dict[str, Any] = {}
        inline: dict[str, Any] = {}
        ppath: Path | None = None
        pshown: str | None = None
        ok = True
        first = len(problems)
        for col, (column, cell) in enumerate(zip(columns, row, strict=False), start=1):
            if column is None or not cell.strip():
                continue  # an empty cell: not answered here
            cell_at = Location(display, start, col)
            if column == "profile":
                loaded = _load_profile(cell, path.parent, display, cell_at, questionnaire, problems)
                if loaded is None:
                    ok = False
                else:
                    values, ppath, pshown = loaded
                continue
            question = questionnaire.by_key[column]
            raw = cell.replace(";", ",") if question.type == "multi-choice" else cell
            before = len(problems)
            value = _parse_value(question, raw, True, cell_at, problems)
            if len(problems) == before:
                inline[column] = value
        if not ok:
            continue
        merged = {**values, **inline}
        if len(problems) > first and "workload_name" not in merged:
            continue  # its problems are reported already
        pure = ppath is not None and merged == values
        listed.append((_ordered(merged, questionnaire), where, ppath if pure else None, pshown if pure else None))
    return _finish(listed, display, problems)


# --------------------------------------------------------------------------- assessing


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
    folders the records name (:func:`advisor.pipeline.decide`).

    With ``jobs > 1`` the records are computed in that many processes and written here
    as they arrive, in inventory order, so that their numbers and files are those of a
    serial run.
    """
    day = decision.check_date(date) if date else decision.default_date()
    words = ["advisor", "portfolio", inventory.display, "--date", day]
    for r in rules or ():
        words += ["--rules", pipeline.shown_path(r)]
    _WORKER.update(pack=pack, questionnaire=questionnaire, rules=rules, day=day, command=shlex.join(words))
    workloads = inventory.workloads
    out: list[Assessed] = []
    try:
        for records in parallel_map(_decide_chunk, workloads, jobs=jobs, chunk=4):
            for record, outcome in records:
                w = workloads[len(out)]
                md_path, _json_path, _ = decision.write_record(record, records_dir, report.to_markdown)
                answers = {k: v for k, v in w.answers.items() if k != "workload_name"}
                out.append(Assessed(w, outcome, with_defaults(answers, questionnaire), md_path.name))
            if on_progress is not None:
                on_progress(len(out), len(workloads))
    finally:
        _WORKER.clear()
    return out


def _decide_chunk(chunk: Sequence[Workload]) -> list[tuple[decision.DecisionRecord, Outcome]]:
    pack, questionnaire = _WORKER["pack"], _WORKER["questionnaire"]
    out = []
    for w in chunk:
        prof = profiles.Profile(questionnaire, dict(w.answers), path=w.profile_path)
        record = pipeline.decide(prof, rules=_WORKER["rules"], questionnaire=questionnaire, date=_WORKER["day"],
                                 command=None if w.profile_path is not None else _WORKER["command"],
                                 profile_display=w.profile_display)
        answers = {k: v for k, v in w.answers.items() if k != "workload_name"}
        out.append((record, Outcome.of(pipeline.decide_profile(answers, pack, questionnaire=questionnaire))))
    return out


# --------------------------------------------------------------------------- consistency


@dataclass(frozen=True)
class Flag:
    """Two near-identical workloads with different recommendations."""

    a: str
    b: str
    distance: float
    recommendations: tuple[str, str]
    differences: tuple[tuple[str, str, str], ...]  # (key, answer of a, answer of b)


class _Space:
    """How answers compare: numbers on a log scale over the key's range, choices equal or not, Jaccard."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questions = [q for q in questionnaire.questions if q.type != "str"]
        self.categorical = [i for i, q in enumerate(self.questions) if q.type in ("bool", "choice")]
        self.scale: dict[int, tuple[float, float]] = {}
        for i, q in enumerate(self.questions):
            if q.type in ("int", "float"):
                low = q.min if q.min is not None else 0.0
                high = q.max if q.max is not None else low + 1e6
                self.scale[i] = (low, math.log1p(max(high - low, 1e-9)))

    def vector(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out: list[Any] = []
        for i, q in enumerate(self.questions):
            v = values.get(q.key)
            if v is None:
                out.append(None)
            elif i in self.scale:
                low, span = self.scale[i]
                out.append(min(1.0, math.log1p(max(float(v) - low, 0.0)) / span))
            elif q.type == "multi-choice":
                out.append(frozenset(v))
            else:
                out.append(v)
        return tuple(out)

    def part(self, i: int, x: Any, y: Any) -> float:
        if x == y:
            return 0.0
        if x is None or y is None:
            return 1.0
        if i in self.scale:
            return float(abs(x - y))
        if isinstance(x, frozenset):
            return 1.0 - len(x & y) / len(x | y)
        return 1.0


def distance(a: Mapping[str, Any], b: Mapping[str, Any], questionnaire: Questionnaire) -> float:
    """The consistency-check distance of two answer sets: the mean per-answer distance, 0 (same) to 1."""
    space = _Space(questionnaire)
    va, vb = space.vector(a), space.vector(b)
    n = len(space.questions)
    return sum(space.part(i, va[i], vb[i]) for i in range(n)) / n if n else 0.0


def consistency(entries: Sequence[Assessed], questionnaire: Questionnaire,
                threshold: float = DEFAULT_SIMILARITY) -> list[Flag]:
    """Each workload's nearest workload with another recommendation, when closer than ``threshold``.

    Pairs come in inventory order, each once. The search is bounded (memory linear in
    the workloads, at most :data:`MAX_CANDIDATES` comparisons per workload and group):

    * workloads with the same answers and recommendation are compared once, as a group;
    * each differing yes/no or choice answer adds 1/K to the distance (K answers
      compared), so a pair closer than the threshold differs in at most
      ``floor(threshold * K)`` of them: splitting those answers into one more group than
      that, such a pair agrees on every answer of at least one group, and only workloads
      sharing a bucket of some group are compared;
    * within a bucket, the candidates of each other recommendation are sorted by the sum
      of their numeric answers (scaled as in the distance), which differs by no more than
      the distance itself: the search walks outwards from the workload and stops once
      that bound exceeds the nearest distance found.

    The result is exact unless a bucket holds more than :data:`MAX_CANDIDATES`
    candidates within the bound; then the nearest by that sum are compared.
    """
    space = _Space(questionnaire)
    n_keys = len(space.questions)
    if n_keys == 0 or len(entries) < 2:
        return []
    limit = threshold * n_keys
    # one representative per distinct (answers, recommendation)
    reps: dict[tuple[Any, ...], int] = {}
    members: list[list[int]] = []
    vectors: list[tuple[Any, ...]] = []
    recs: list[str] = []
    by_values: dict[int, tuple[Any, ...]] = {}
    for idx, e in enumerate(entries):
        vec = by_values.get(id(e.values))
        if vec is None:
            vec = by_values[id(e.values)] = space.vector(e.values)
        key = (vec, e.result.recommendation)
        r = reps.get(key)
        if r is None:
            r = reps[key] = len(members)
            members.append([])
            vectors.append(vec)
            recs.append(e.result.recommendation)
        members[r].append(idx)
    del reps, by_values
    sums = [sum(vec[i] for i in space.scale if vec[i] is not None) for vec in vectors]
    cat = space.categorical
    n_groups = math.floor(limit) + 1
    groups = [cat[g::n_groups] for g in range(n_groups)] if n_groups <= len(cat) else [[]]
    best: list[tuple[float, int]] = [(limit, -1)] * len(vectors)
    for group in groups:
        buckets: dict[tuple[Any, ...], dict[str, list[int]]] = {}
        for r, vec in enumerate(vectors):
            buckets.setdefault(tuple(vec[i] for i in group), {}).setdefault(recs[r], []).append(r)
        for by_rec in buckets.values():
            if len(by_rec) < 2:
                continue
            ordered = {rec: sorted(rs, key=lambda r: (sums[r], r)) for rec, rs in by_rec.items()}
            keys = {rec: [sums[r] for r in rs] for rec, rs in ordered.items()}
            for rec, rs in ordered.items():
                others = [(ordered[o], keys[o]) for o in ordered if o != rec]
                for r in rs:
                    for cands, cand_sums in others:
                        best[r] = _nearest(space, vectors, sums, r, cands, cand_sums, best[r], n_keys)
    pairs: set[tuple[int, int, float]] = set()
    for r, (total, other) in enumerate(best):
        if other < 0:
            continue
        nearest = members[other][0]
        for idx in members[r]:
            a, b = min(idx, nearest), max(idx, nearest)
            pairs.add((a, b, total))
    flags = []
    for i, j, total in sorted(pairs):
        va, vb = space.vector(entries[i].values), space.vector(entries[j].values)
        diffs = tuple((q.key, _answer(q, entries[i].values.get(q.key)), _answer(q, entries[j].values.get(q.key)))
                      for k, q in enumerate(space.questions) if space.part(k, va[k], vb[k]) > 0)
        flags.append(Flag(entries[i].workload.name, entries[j].workload.name, round(total / n_keys, 4),
                          (entries[i].result.recommendation, entries[j].result.recommendation), diffs))
    return flags


#: Candidates compared per workload and group by the consistency check before it stops searching.
MAX_CANDIDATES = 64
#: Consistency pairs written to the summary; the summary counts the pairs left out.
MAX_FLAGS = 200


def _nearest(space: _Space, vectors: Sequence[tuple[Any, ...]], sums: Sequence[float], r: int,
             cands: Sequence[int], cand_sums: Sequence[float], best: tuple[float, int],
             n_keys: int) -> tuple[float, int]:
    """The nearer of ``best`` and the candidates (sorted by sum) around workload ``r``: (distance * K, index)."""
    import bisect

    s = sums[r]
    va = vectors[r]
    hi = bisect.bisect_left(cand_sums, s)
    lo = hi - 1
    compared = 0
    while compared < MAX_CANDIDATES and (lo >= 0 or hi < len(cands)):
        if hi >= len(cands) or (lo >= 0 and s - cand_sums[lo] <= cand_sums[hi] - s):
            pos, bound = lo, s - cand_sums[lo]
            lo -= 1
        else:
            pos, bound = hi, cand_sums[hi] - s
            hi += 1
        if bound >= best[0]:  # the distance is at least the bound: nothing further out is nearer
            break
        compared += 1
        c = cands[pos]
        vb = vectors[c]
        total = 0.0
        for k in range(n_keys):
            total += space.part(k, va[k], vb[k])
            if total >= best[0]:
                break
        if total < best[0]:
            best = (total, c)
    return best


def _answer(question: Question, value: Any) -> str:
    return "(not asked)" if value is None else question.format_value(value)


# --------------------------------------------------------------------------- summary


def summarize(inventory: Inventory, entries: Sequence[Assessed], flags: Sequence[Flag], *, date: str,
              threshold: float, questionnaire: Questionnaire, pack: Pack | None = None,
              records_dir: str | None = None) -> dict[str, Any]:
    """The summary as JSON-ready data (deterministic: no timings, inventory order)."""
    counts = {"bare-metal": 0, "vm": 0, "none": 0}
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for e in entries:
        counts[e.result.recommendation] = counts.get(e.result.recommendation, 0) + 1
        outcomes[e.result.outcome] = outcomes.get(e.result.outcome, 0) + 1
    return {
        "advisor_portfolio_summary": 1,
        "inventory": inventory.display,
        "date": date,
        "questionnaire": {"id": questionnaire.id, "version": questionnaire.version},
        "rules": [{"name": pack.meta.name, "version": pack.meta.version}] if pack is not None else [],
        "records_dir": records_dir,
        "workload_count": len(entries),
        "counts": counts,
        "outcomes": outcomes,
        "close_calls": [{"workload": e.workload.name, "outcome": e.result.outcome,
                         "recommendation": e.result.recommendation, "p_bare_metal": e.result.p_bare_metal}
                        for e in entries if e.result.close or e.result.outcome == "measure-first"],
        "ruled_out": [{"workload": e.workload.name, "option": r.option, "rules": list(r.rules), "reason": r.reason}
                      for e in entries for r in e.result.ruled_out],
        "similarity_threshold": threshold,
        "consistency": [{"workloads": [f.a, f.b], "distance": f.distance, "recommendations": list(f.recommendations),
                         "differences": [{"key": k, "a": x, "b": y} for k, x, y in f.differences]}
                        for f in _nearest_flags(flags)],
        "consistency_omitted": max(0, len(flags) - MAX_FLAGS),
        "workloads": [{"name": e.workload.name, "source": f"{e.workload.location.file}:{e.workload.location.line}",
                       "outcome": e.result.outcome, "recommendation": e.result.recommendation,
                       "configuration": e.result.configuration, "p_bare_metal": e.result.p_bare_metal,
                       "close": e.result.close, "record": e.record} for e in entries],
    }


def _nearest_flags(flags: Sequence[Flag]) -> list[Flag]:
    """At most :data:`MAX_FLAGS` flags: the nearest pairs, kept in inventory order."""
    if len(flags) <= MAX_FLAGS:
        return list(flags)
    keep = sorted(sorted(range(len(flags)), key=lambda i: (flags[i].distance, i))[:MAX_FLAGS])
    return [flags[i] for i in keep]


def to_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _cell(text: Any) -> str:
    out = " ".join(str(text).split())
    for ch in ("\\", "|", "*", "_", "`", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return re.sub(r"<(?=[A-Za-z/!?])", r"\\<", out) or " "


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    """A GitHub markdown table, as tabulate's ``github`` format writes it.

    Large tables of plain ASCII text are laid out here, in one pass (tabulate takes
    about half a millisecond per row); anything else goes through tabulate.
    """
    cells = [[c.strip() for c in r] for r in rows]
    if len(cells) < 200 or not all(c.isascii() and c.isprintable() for r in cells for c in r):
        return tables.markdown(rows, headers)
    widths = [len(h) + 2 for h in headers]
    for r in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, r, strict=True)]
    lines = ["| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |",
             "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells]
    return "\n".join(lines)


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def to_markdown(summary: Mapping[str, Any]) -> str:
    """The summary as markdown (passes markdownlint with the project's configuration)."""
    n = summary["workload_count"]
    parts = [f"# Portfolio summary: {_cell(summary['inventory'])}"]
    facts = [f"Inventory: {_cell(summary['inventory'])}", f"Date: {summary['date']}",
             f"Workloads: {n}",
             f"Questionnaire: {_cell(summary['questionnaire']['id'])} version {summary['questionnaire']['version']}"]
    if summary["rules"]:
        facts.append("Rules: " + ", ".join(f"{_cell(r['name'])} {_cell(r['version'])}" for r in summary["rules"]))
    if summary.get("records_dir"):
        facts.append(f"Decision records: {_cell(summary['records_dir'])}")
    parts.append("\n".join(f"- {f}" for f in facts))
    counts = summary["counts"]
    parts.append("## Recommendations")
    parts.append(_table([[_NAMES.get(k, k), str(v)] for k, v in counts.items()], ["recommendation", "workloads"]))
    parts.append(_table([[k, str(v)] for k, v in summary["outcomes"].items()], ["outcome", "workloads"]))
    parts.append("## Close calls")
    close = summary["close_calls"]
    if close:
        parts.append(f"{_plural(len(close), 'workload')} whose probability that bare metal is better lies in the "
                     "pack's close band, or that a measurement could change: measure before deciding "
                     "(`advisor assess --profile FILE --measure auto`, docs/measurement.md).")
        parts.append(_table([[_cell(c["workload"]), c["outcome"], _NAMES.get(c["recommendation"], c["recommendation"]),
                              _p(c["p_bare_metal"])] for c in close],
                            ["workload", "outcome", "recommendation", "P(bare metal better)"]))
    else:
        parts.append("None.")
    parts.append("## Ruled out by constraints")
    ruled = summary["ruled_out"]
    if ruled:
        parts.append(_table([[_cell(k["workload"]), _NAMES.get(k["option"], k["option"]), _cell(", ".join(k["rules"])),
                              _cell(k["reason"])] for k in ruled], ["workload", "ruled out", "rules", "reason"]))
    else:
        parts.append("None.")
    parts.append("## Consistency")
    flags = summary["consistency"]
    intro = (f"Pairs of workloads whose answers are near-identical (distance under "
             f"{summary['similarity_threshold']:g}) but whose recommendations differ.")
    if flags:
        parts.append(intro + " Check that the differing answers are right.")
        rows = []
        for f in flags:
            a, b = f["workloads"]
            diffs = "; ".join(f"{d['key']}: {d['a']} / {d['b']}" for d in f["differences"])
            rows.append([_cell(a), _cell(b), f"{f['distance']:.3f}",
                         " / ".join(_NAMES.get(r, r) for r in f["recommendations"]), _cell(diffs)])
        parts.append(_table(rows, ["workload", "workload", "distance", "recommendations", "differing answers"]))
        if summary.get("consistency_omitted"):
            parts.append(f"{_plural(summary['consistency_omitted'], 'more pair')} not shown (the "
                         f"{len(flags)} nearest are).")
    else:
        parts.append(intro + " None found.")
    parts.append("## Workloads")
    parts.append(_table([[_cell(w["name"]), w["outcome"], _cell(w["configuration"] or _NAMES["none"]),
                          _p(w["p_bare_metal"]), "yes" if w["close"] else "no"]
                         for w in summary["workloads"]], ["workload", "outcome", "configuration",
                                                          "P(bare metal better)", "close"]))
    return "\n\n".join(parts) + "\n"


def summary_paths(output_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    base = Path(output_dir)
    return base / SUMMARY_MD, base / SUMMARY_JSON


def check_summary_free(output_dir: str | os.PathLike[str], force: bool) -> None:
    """DataError when a summary file exists and ``force`` is not given (checked before any work)."""
    if force:
        return
    problems = [Problem("file already exists", "use --force to replace it, or choose another --output-dir",
                        Location(str(p))) for p in summary_paths(output_dir) if p.exists()]
    if problems:
        raise DataError("", problems=problems)


def write_summary(summary: Mapping[str, Any], output_dir: str | os.PathLike[str], *,
                  force: bool = False) -> tuple[Path, Path]:
    """Write ``portfolio-summary.md`` and ``.json``; an existing file is replaced only with ``force``."""
    md_path, json_path = summary_paths(output_dir)
    write_text(json_path, to_json(summary), exclusive=not force)
    write_text(md_path, to_markdown(summary), exclusive=not force)
    return md_path, json_path
