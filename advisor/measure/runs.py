"""One probe run, and runs that overlap: what the session (:mod:`advisor.measure.session`) repeats.

:func:`one_run` runs a probe once on one target, between two samples of the target's
counters (:mod:`advisor.measure.disturbance`), cut when the session's budget ends.

:class:`Pipeline` runs the blocks of a probe that declares ``stagger_s`` and ``start``
(:class:`~advisor.measure.api.PendingRun`): run ``k + 1`` starts ``stagger_s`` after
run ``k``, while run ``k`` is in the part its tool discards, and the next block's first
run starts before the current block's last one has finished (it is cancelled when the
probe stops there). A run still under way when the next run begins to measure
(``stagger_s`` after the next one started) overlapped it: both are marked disturbed.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from types import FrameType
from typing import Any

from advisor.errors import AdvisorError
from advisor.measure import disturbance
from advisor.measure.api import PendingRun, Probe, Role
from advisor.measure.results import ProbeResult, RunRecord
from advisor.measure.verdicts import Ctx

__all__ = ["BudgetSpent", "Pipeline", "Progress", "cut_at", "one_run"]

#: Why a run counts as disturbed when it was still under way as the next one began to measure.
OVERLAP = "overlapped the next run (it was still running when that one began to measure)"


@dataclass(frozen=True)
class Progress:
    """What the session is doing: shown by the CLI as one line on stderr."""

    probe: str
    target: str
    role: Role
    run: int
    elapsed: float
    remaining: float
    message: str = ""


class BudgetSpent(BaseException):
    """The session's budget ended while a run was under way (or before it could start).

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` in a probe or
    runner swallows it: the runner kills the run's processes on the way out, and the run
    is not recorded.
    """


@contextmanager
def cut_at(end: float, clock: Callable[[], float]) -> Iterator[None]:
    """Run the body before ``end`` (by ``clock``): BudgetSpent when no time is left, and, on the real
    clock in the main thread (and unless someone else owns SIGALRM), an alarm that raises BudgetSpent
    in the middle of the body when ``end`` comes."""
    remaining = end - clock()
    if remaining <= 0:
        raise BudgetSpent
    armed = (clock is time.monotonic and threading.current_thread() is threading.main_thread()
             and signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, None))
    if not armed:
        yield
        return

    def alarm(signum: int, frame: FrameType | None) -> None:
        raise BudgetSpent

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, remaining)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _progress(probe: Probe, ctx: Ctx, role: Role, block: int, warmup: bool) -> None:
    if ctx.on_progress is not None:
        runner = ctx.targets[role]
        ctx.on_progress(Progress(probe.name, runner.name, role, block, ctx.clock() - ctx.start,
                                 max(0.0, ctx.budget_end - ctx.clock()), "warm-up" if warmup else ""))


def _record(probe: Probe, ctx: Ctx, role: Role, block: int, warmup: bool, t0: float,
            before: disturbance.Snapshot | None, values: Mapping[str, float | str] | None,
            error: AdvisorError | None, extra: Sequence[str] = ()) -> RunRecord:
    """The run's record (appended to the result): its figures or error, and its disturbance."""
    runner = ctx.targets[role]
    elapsed = ctx.clock() - t0
    if error is not None or values is None:
        rec = RunRecord(probe=probe.name, target=runner.name, role=role, index=block, block=block, warmup=warmup,
                        started=round(t0 - ctx.start, 3), elapsed=round(elapsed, 3),
                        error=error.first.format() if error is not None else "no figures")
        ctx.result.runs.append(rec)
        return rec
    sampler = ctx.samplers[role]
    found = disturbance.assess(before, sampler.sample(), slack=sampler.slack)
    clean = {k: float(v) for k, v in values.items()
             if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
    context = {k: v for k, v in values.items() if isinstance(v, str)}
    rec = RunRecord(probe=probe.name, target=runner.name, role=role, index=block, block=block, warmup=warmup,
                    started=round(t0 - ctx.start, 3), elapsed=round(elapsed, 3), values=clean, context=context,
                    disturbance=found.figures, disturbed=[*found.reasons, *extra])
    ctx.result.runs.append(rec)
    return rec


def one_run(probe: Probe, ctx: Ctx, role: Role, pr: ProbeResult, block: int, warmup: bool) -> RunRecord:
    """Run ``probe`` once on the target of ``role`` and record it."""
    _progress(probe, ctx, role, block, warmup)
    before = ctx.samplers[role].sample()
    t0 = ctx.clock()
    try:
        with cut_at(ctx.budget_end, ctx.clock):
            warm: Any = getattr(probe, "warm_up", None) if warmup else None
            if callable(warm):  # a shorter run of the same tool, discarded anyway
                values = warm(ctx.targets[role], budget=ctx.suite, peer=ctx.peers.get(role))
            elif getattr(probe, "uses_sibling", False):  # its antagonist runs on the target's sibling
                run_with_sibling: Any = probe.run
                values = run_with_sibling(ctx.targets[role], budget=ctx.suite, peer=ctx.peers.get(role),
                                          sibling=ctx.siblings.get(role))
            else:
                values = probe.run(ctx.targets[role], budget=ctx.suite, peer=ctx.peers.get(role))
    except AdvisorError as exc:
        return _record(probe, ctx, role, block, warmup, t0, None, None, exc)
    return _record(probe, ctx, role, block, warmup, t0, before, values, None)


@dataclass
class _Flight:
    role: Role
    block: int
    t0: float
    before: disturbance.Snapshot | None
    pending: PendingRun | None  # None: the probe ran it in the foreground (the runner cannot wait)
    record: RunRecord | None = None


class Pipeline:
    """The blocks of a probe whose runs overlap by ``stagger`` seconds (see the module's text)."""

    def __init__(self, probe: Probe, ctx: Ctx, pr: ProbeResult, stagger: float) -> None:
        self.probe, self.ctx, self.pr, self.stagger = probe, ctx, pr, stagger
        self.flights: deque[_Flight] = deque()
        self.last_start = -math.inf
        self.ahead: tuple[int, list[Role]] | None = None  # the next block, its first run already started

    def _start(self, role: Role, block: int) -> _Flight:
        ctx = self.ctx
        wait = self.last_start + self.stagger - ctx.clock()
        if wait > 0:
            with cut_at(ctx.budget_end, ctx.clock):
                time.sleep(wait)
        _progress(self.probe, ctx, role, block, False)
        before = ctx.samplers[role].sample()
        t0 = self.last_start = ctx.clock()  # and, once it started, when it did (below)
        start: Callable[..., PendingRun | None] = self.probe.start  # type: ignore[attr-defined]
        flight = _Flight(role, block, t0, before, None)
        try:
            with cut_at(ctx.budget_end, ctx.clock):
                flight.pending = start(ctx.targets[role], budget=ctx.suite, peer=ctx.peers.get(role))
                # the next run starts stagger_s after this one was under way, however late a busy machine
                # let it start (timed from t0, a start delayed by the scheduler shortened the gap)
                self.last_start = ctx.clock()
                if flight.pending is None:  # this runner cannot run it in the background: a plain run
                    values = self.probe.run(ctx.targets[role], budget=ctx.suite, peer=ctx.peers.get(role))
                    flight.record = _record(self.probe, ctx, role, block, False, t0, before, values, None)
        except AdvisorError as exc:
            flight.record = _record(self.probe, ctx, role, block, False, t0, None, None, exc)
        self.flights.append(flight)
        return flight

    def _finish(self, flight: _Flight) -> RunRecord:
        self.flights.remove(flight)
        if flight.record is not None:
            return flight.record
        ctx = self.ctx
        assert flight.pending is not None
        later = [f.t0 for f in self.flights if f.t0 > flight.t0]
        try:
            with cut_at(ctx.budget_end, ctx.clock):
                values = flight.pending.finish()
        except AdvisorError as exc:
            return _record(self.probe, ctx, flight.role, flight.block, False, flight.t0, None, None, exc)
        except BaseException:  # the budget's end, Ctrl-C: the run is not wanted any more
            with suppress(Exception):
                flight.pending.cancel()
            raise
        overlapped = bool(later) and ctx.clock() > min(later) + self.stagger
        return _record(self.probe, ctx, flight.role, flight.block, False, flight.t0, flight.before, values, None,
                       [OVERLAP] if overlapped else [])

    def block(self, block: int, draw: Callable[[], list[Role]], may_go_on: Callable[[], bool]) -> list[RunRecord]:
        """The records of ``block``, its order drawn by ``draw()``; the next block's first run is started
        meanwhile when ``may_go_on()``."""
        mine: list[_Flight] = []
        if self.ahead is not None and self.ahead[0] == block:
            order = self.ahead[1]
            mine.append(next(f for f in self.flights if f.block == block))
        else:
            order = draw()
        self.ahead = None
        records: list[RunRecord] = []
        for role in order[len(mine):]:
            mine.append(self._start(role, block))
            for f in [f for f in mine[:-1] if f in self.flights]:
                records.append(self._finish(f))
        if may_go_on():
            upcoming = draw()
            self.ahead = (block + 1, upcoming)
            self._start(upcoming[0], block + 1)
        for f in [f for f in mine if f in self.flights]:
            records.append(self._finish(f))
        return sorted(records, key=lambda r: order.index(r.role))

    def close(self) -> None:
        """Cancel the runs still under way (the started first run of a block that will not be run)."""
        while self.flights:
            flight = self.flights.popleft()
            if flight.pending is not None and flight.record is None:
                with suppress(Exception):
                    flight.pending.cancel()
        self.ahead = None
