"""Errors and exit codes: the one place that decides them.

Every failure the user can cause is an :class:`AdvisorError` carrying one or more
:class:`Problem` lines of the form ``file:line:col: what is wrong; what to do``.
The CLI prints :meth:`AdvisorError.format` on stderr and exits with
:attr:`AdvisorError.exit_code`; nothing else in the package decides an exit code.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class ExitCode(enum.IntEnum):
    """Documented exit codes of the ``advisor`` command (see docs/cli.md)."""

    OK = 0
    #: A file or value failed validation (YAML, profile, questionnaire, rules, topology).
    DATA = 1
    #: The command line itself is wrong (unknown option, missing argument), or it needs a missing extra.
    USAGE = 2
    #: A measurement, probe or plugin failed.
    MEASUREMENT = 3
    #: A check ran and reported failures (rule tests, record checks, drift).
    CHECK_FAILED = 4
    #: An unexpected internal error (a bug: please report it with --traceback output).
    INTERNAL = 70
    #: Interrupted by the user (Ctrl-C / SIGINT); partial work was kept.
    INTERRUPTED = 130


@dataclass(frozen=True, order=True)
class Location:
    """A place in a file: 1-based line and column, as editors count them."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong, where it is, and what to do about it."""

    message: str
    hint: str | None = None
    location: Location | None = None

    def format(self) -> str:
        prefix = f"{self.location}: " if self.location is not None else "advisor: "
        text = prefix + self.message
        if self.hint:
            text += "; " + self.hint
        return text


#: At most this many problem lines are printed for one error (``--format json`` lists them all).
MAX_SHOWN = 50


class AdvisorError(Exception):
    """Base of every user-facing error. Subclasses pick the exit code."""

    exit_code: ExitCode = ExitCode.DATA

    def __init__(
        self,
        message: str,
        hint: str | None = None,
        location: Location | None = None,
        *,
        problems: Sequence[Problem] | None = None,
    ) -> None:
        if problems:
            self.problems: tuple[Problem, ...] = tuple(problems)
        else:
            self.problems = (Problem(message, hint, location),)
        super().__init__(self.problems[0].format())

    @property
    def first(self) -> Problem:
        return self.problems[0]

    def format(self) -> str:
        """The problems, one line each: at most :data:`MAX_SHOWN`, then how many more there are."""
        lines = [p.format() for p in self.problems[:MAX_SHOWN]]
        if len(self.problems) > MAX_SHOWN:  # 4,000 unknown parents are not 4,000 lines
            lines.append(Problem(f"{len(self.problems) - MAX_SHOWN:,} more problems not shown",
                                 "fix those above and run again").format())
        return "\n".join(lines)


class DataError(AdvisorError):
    """A file or a value is invalid."""

    exit_code = ExitCode.DATA


class UsageError(AdvisorError):
    """The command line is wrong."""

    exit_code = ExitCode.USAGE


class MeasurementError(AdvisorError):
    """A benchmark, probe, runner or plugin failed."""

    exit_code = ExitCode.MEASUREMENT


class CheckFailed(AdvisorError):
    """A check ran to completion and found failures."""

    exit_code = ExitCode.CHECK_FAILED


class Interrupted(AdvisorError):
    """The user interrupted; whatever could be kept was kept."""

    exit_code = ExitCode.INTERRUPTED


#: Up to this many candidates, suggestions compare the word with each (difflib, as people expect).
_DIRECT = 400
#: At most this many candidates are compared with the word when there are more.
_SMALL = 64
#: Larger candidate sets go through an index of one-character deletions (linear to build, constant per word);
#: beyond these sizes no suggestion is made at all (the work would not be bounded).
_MAX_INDEXED, _MAX_WORD = 50_000, 64


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """Return ``"did you mean 'x'?"`` for the closest candidate, or None.

    Bounded work: with many candidates (thousands of host names) only those within one
    deletion of the word on either side (typos, a letter too many or too few) are
    compared, through an index built once per candidate set, so that thousands of
    unknown names cost linear time, not names x candidates.
    """
    import difflib  # imported here: 'advisor --help' does not need it

    pool = tuple(candidates)
    if len(pool) <= _DIRECT:
        matches = difflib.get_close_matches(word, pool, n=1, cutoff=0.6)
    elif len(pool) > _MAX_INDEXED or len(word) > _MAX_WORD:
        matches = []
    else:
        index = _deletion_index(pool)
        near: dict[str, None] = {}
        for variant in _deletions(word):
            near.update(dict.fromkeys(index.get(variant, ())))
            if len(near) >= _SMALL:
                break
        matches = difflib.get_close_matches(word, list(near)[:_SMALL], n=1, cutoff=0.6)
    return f"did you mean {matches[0]!r}?" if matches else None


def _deletions(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1:] for i in range(len(word)))}


@functools.lru_cache(maxsize=8)
def _deletion_index(pool: tuple[str, ...]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for candidate in pool:
        text = str(candidate)
        if len(text) > _MAX_WORD:
            continue
        for variant in _deletions(text):
            bucket = index.setdefault(variant, [])
            if len(bucket) < _SMALL:
                bucket.append(text)
    return index


def one_of(candidates: Iterable[str], limit: int = 12) -> str:
    """A short, quoted list of allowed values for a hint."""
    items = [repr(c) for c in candidates]
    if len(items) > limit:
        items = items[:limit] + ["..."]
    return ", ".join(items)
