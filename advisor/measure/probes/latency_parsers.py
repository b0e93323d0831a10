"""Pure parsers of the latency tools' output (sockperf, cyclictest): text in, numbers out, no I/O.

cyclictest has a structured output (``--json``) and it is used; sockperf has none, so
its fixed summary lines and its ``--full-log`` rows are matched with anchored,
whitespace-tolerant patterns. Every parser raises
:class:`~advisor.measure.api.ProbeError` naming what it could not find, and never
returns a made-up value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from advisor.measure.api import ProbeError
from advisor.measure.probes.parsers import _NUM, _excerpt, _json_object, _positive, strip_ansi

__all__ = [
    "CyclictestResult",
    "SockperfLog",
    "SockperfResult",
    "histogram_percentile",
    "nearest_rank",
    "parse_cyclictest_json",
    "parse_sockperf",
    "parse_sockperf_log",
]


# --------------------------------------------------------------------------- sockperf


@dataclass(frozen=True)
class SockperfResult:
    """A ping-pong summary, always as ROUND-TRIP times in microseconds.

    ``full_rtt`` tells whether sockperf printed round trips (``--full-rtt``) or
    one-way latencies (RTT / 2, its default), which were doubled here.
    """

    avg_us: float
    p50_us: float
    p99_us: float
    full_rtt: bool
    observations: int
    #: The 99.9th percentile (None when sockperf printed none) and the messages sockperf lost.
    p999_us: float | None = None
    dropped: int = 0


def parse_sockperf(text: str) -> SockperfResult:
    """``sockperf ping-pong`` output -> round-trip avg, p50 and p99 (µs).

    sockperf 3.x has no machine-readable summary, so this reads its fixed lines
    ``====> avg-rtt=N`` (with ``--full-rtt``) or ``====> avg-latency=N`` (one way,
    i.e. RTT / 2, doubled here) and ``---> percentile P = N``. Colour escapes are
    removed first. sockperf exits 0 even on errors, so an ``ERROR:`` line fails.
    """
    clean = strip_ansi(text)
    err = re.search(r"ERROR:\s*(.*)", clean)
    if err is not None:
        raise ProbeError(f"sockperf failed: {err.group(1).strip()}", None)
    avg = re.search(r"====>\s*avg-(rtt|latency)\s*=\s*" + _NUM, clean)
    if avg is None:
        raise ProbeError("no 'avg-rtt=' or 'avg-latency=' line in the sockperf output",
                         f"output: {_excerpt(text)}")
    full_rtt = avg.group(1) == "rtt"
    factor = 1.0 if full_rtt else 2.0
    percentiles = {float(p): float(v) for p, v in
                   re.findall(r"--->\s*percentile\s+" + _NUM + r"\s*=\s*" + _NUM, clean)}
    if 50.0 not in percentiles or 99.0 not in percentiles:
        raise ProbeError("no 'percentile 50.000' / 'percentile 99.000' lines in the sockperf output",
                         f"output: {_excerpt(text)}")
    obs = re.search(r"Total\s+([0-9]+)\s+observations", clean)
    dropped = re.search(r"#\s*dropped messages\s*=\s*([0-9]+)", clean)
    return SockperfResult(
        p999_us=percentiles[99.9] * factor if 99.9 in percentiles else None,
        dropped=int(dropped.group(1)) if dropped else 0,
        avg_us=_positive(float(avg.group(2)) * factor, "sockperf average latency", text),
        p50_us=_positive(percentiles[50.0] * factor, "sockperf p50 latency", text),
        p99_us=_positive(percentiles[99.0] * factor, "sockperf p99 latency", text),
        full_rtt=full_rtt,
        observations=int(obs.group(1)) if obs else 0,
    )


@dataclass(frozen=True)
class SockperfLog:
    """Round trips of one run from sockperf's ``--full-log``, measured from each request's
    *intended* send time (microseconds): the coordinated-omission-corrected figures."""

    avg_us: float
    p50_us: float
    p99_us: float
    p999_us: float
    observations: int
    #: Requests sent more than 1 ms after their intended time (the sender itself was held up).
    late: int


_LOG_ROW = re.compile(r"^\s*([0-9]+)\s*,\s*" + _NUM + r"\s*,\s*" + _NUM + r"\s*,\s*" + _NUM + r"\s*$")


def nearest_rank(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0 < q <= 1) of ascending values by the nearest-rank rule."""
    if not sorted_values:
        raise ValueError("no values")
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def parse_sockperf_log(text: str, rate: float) -> SockperfLog | None:
    """The ``packet, txTime(sec), rxTime(sec), rtt(usec)`` rows of ``sockperf under-load
    --full-log`` -> round trips from each request's intended send time; None without rows.

    sockperf sends request ``i`` of a run at ``t0 + i / rate`` on a fixed schedule, and
    when it falls behind (its own process stalled: a CPU quota, a descheduled vCPU) it
    sends the missed requests in a burst as soon as it runs again, timing each from
    that late send: the stall is then invisible, except in the one request that was in
    flight (coordinated omission). Measured from the intended time ``t0 + i / rate``
    instead, every request that should have gone out during the stall waits for it, as
    a request of a real client arriving at that moment would. ``t0`` is the earliest
    ``tx_i - i / rate``: the sender never sends before the schedule.
    """
    rows = []
    for line in strip_ansi(text).splitlines():
        m = _LOG_ROW.match(line)
        if m is not None:
            rows.append((int(m.group(1)), float(m.group(2)), float(m.group(3))))
    if not rows:
        return None
    if not math.isfinite(rate) or rate <= 0:
        raise ValueError(f"rate must be positive, not {rate!r}")
    t0 = min(tx - i / rate for i, tx, _ in rows)
    latencies = sorted((rx - (t0 + i / rate)) * 1e6 for i, _, rx in rows)
    late = sum(1 for i, tx, _ in rows if tx - (t0 + i / rate) > 1e-3)
    return SockperfLog(
        avg_us=_positive(math.fsum(latencies) / len(latencies), "sockperf mean round trip", text),
        p50_us=_positive(nearest_rank(latencies, 0.50), "sockperf p50 round trip", text),
        p99_us=_positive(nearest_rank(latencies, 0.99), "sockperf p99 round trip", text),
        p999_us=_positive(nearest_rank(latencies, 0.999), "sockperf p99.9 round trip", text),
        observations=len(latencies),
        late=late,
    )


# --------------------------------------------------------------------------- cyclictest


@dataclass(frozen=True)
class CyclictestResult:
    """One cyclictest thread: wake-up latencies in microseconds.

    ``p99_us`` comes from the histogram (``-h``), None without one; ``overflows``
    counts the cycles beyond the histogram's last bucket.
    """

    cpu: int
    cycles: int
    min_us: float
    avg_us: float
    max_us: float
    p99_us: float | None
    overflows: int
    #: The median and the 90th percentile from the histogram (None without one): robust per-run
    #: summaries (hundreds of wake-ups above the p90 in a 0.5 s run, a handful above the p99).
    p50_us: float | None = None
    p90_us: float | None = None


def histogram_percentile(histogram: Mapping[int, int], total: int, q: float, max_us: float) -> float:
    """The ``q``-quantile (0 < q < 1) of a 1-µs-bucket latency histogram.

    Bucket ``b`` holds latencies truncated to ``b`` µs, so the value is the bucket's
    midpoint ``b + 0.5``. Cycles beyond the histogram (``total`` exceeds the sum)
    are overflows: when the quantile falls among them the run's maximum is returned,
    an upper bound.
    """
    if total <= 0:
        raise ValueError("empty histogram")
    need = math.ceil(q * total)
    seen = 0
    for bucket in sorted(histogram):
        seen += histogram[bucket]
        if seen >= need:
            return bucket + 0.5
    return float(max_us)


def parse_cyclictest_json(text: str, *, q: float = 0.99) -> CyclictestResult:
    """``cyclictest --json=FILE -t1 [-h N]`` file -> the first thread's latencies."""
    doc = _json_object(text, "cyclictest")
    try:
        threads = doc["thread"]
        key = min(threads, key=int)
        thread = threads[key]
        cycles = int(thread["cycles"])
        hist_raw = thread.get("histogram") or {}
        histogram = {int(k): int(v) for k, v in hist_raw.items()}
        result_max = float(thread["max"])
        min_us, avg_us = float(thread["min"]), float(thread["avg"])
        cpu = int(thread.get("cpu", -1))
    except (KeyError, TypeError, ValueError) as exc:
        raise ProbeError(f"unexpected cyclictest JSON: {type(exc).__name__}: {exc}",
                         "the probe needs rt-tests >= 2.0 (cyclictest --json)") from None
    if int(doc.get("return_code", 0) or 0) != 0:
        raise ProbeError(f"cyclictest reported return code {doc['return_code']}", None)
    if cycles <= 0:
        raise ProbeError("cyclictest recorded no cycles", "run it longer (-D) or check that it may use SCHED_FIFO")
    counted = sum(histogram.values())
    def at(quantile: float) -> float | None:
        return histogram_percentile(histogram, cycles, quantile, result_max) if histogram else None

    return CyclictestResult(cpu=cpu, cycles=cycles, min_us=min_us, avg_us=avg_us, max_us=result_max,
                            p99_us=at(q), overflows=max(0, cycles - counted) if histogram else 0,
                            p50_us=at(0.50), p90_us=at(0.90))
