"""Pure parsers of the benchmark tools' output: text in, numbers out, no I/O.

Where a tool has a structured output mode it is used (fio ``--output-format=json``,
cyclictest ``--json``); sysbench and sockperf have none, so their fixed summary
lines are matched with anchored, whitespace-tolerant patterns. Every parser raises
:class:`~advisor.measure.api.ProbeError` naming what it could not find, and never
returns a made-up value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.measure.api import ProbeError

__all__ = [
    "CyclictestResult",
    "FioResult",
    "SockperfLog",
    "SockperfResult",
    "cpu_list",
    "cpus_allowed",
    "fio_engines",
    "histogram_percentile",
    "llc_from_getconf",
    "llc_from_sysfs",
    "mem_available",
    "nearest_rank",
    "parse_cyclictest_json",
    "parse_fio_json",
    "parse_size",
    "parse_sockperf",
    "parse_sockperf_log",
    "parse_sysbench_cpu",
    "parse_sysbench_memory",
    "strip_ansi",
]

_NUM = r"([0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """Remove terminal colour sequences (sockperf colours its output even into a pipe)."""
    return _ANSI.sub("", text)


def _excerpt(text: str, limit: int = 300) -> str:
    text = strip_ansi(text).strip()
    if not text:
        return "(no output)"
    return text if len(text) <= limit else "..." + text[-limit:]


def _positive(value: float, what: str, text: str) -> float:
    if not math.isfinite(value) or value <= 0:
        raise ProbeError(f"{what} is {value}, not a positive number", f"tool output: {_excerpt(text)}")
    return value


# --------------------------------------------------------------------------- sizes and CPUs

_SIZE = re.compile(r"^\s*([0-9]+)\s*([KMGT]?)(?:i?B)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """``"491520K"`` -> bytes (binary multiples, as sysfs and sysbench use them)."""
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"not a size: {text!r}")
    return int(m.group(1)) * _UNITS[m.group(2).upper()]


def llc_from_sysfs(text: str) -> int | None:
    """The last-level cache size in bytes from ``grep -r . /sys/devices/system/cpu/cpu0/cache/``.

    Each line is ``<dir>/indexN/<attr>:<value>``; the LLC is the highest-level Data or
    Unified cache. None when no cache is described.
    """
    caches: dict[str, dict[str, str]] = {}
    for line in text.splitlines():
        path, sep, value = line.partition(":")
        if not sep:
            continue
        parts = path.rstrip("/").split("/")
        if len(parts) < 2 or not parts[-2].startswith("index"):
            continue
        caches.setdefault(parts[-2], {})[parts[-1]] = value.strip()
    best: tuple[int, int] | None = None
    for attrs in caches.values():
        if attrs.get("type", "Unified") not in ("Data", "Unified"):
            continue
        try:
            level = int(attrs["level"])
            size = parse_size(attrs["size"])
        except (KeyError, ValueError):
            continue
        if size > 0 and (best is None or (level, size) > best):
            best = (level, size)
    return None if best is None else best[1]


def llc_from_getconf(text: str) -> int | None:
    """The last-level cache size in bytes from ``getconf -a`` (``LEVELn_[D]CACHE_SIZE`` lines)."""
    best: tuple[int, int] | None = None
    for line in text.splitlines():
        m = re.match(r"^LEVEL([0-9])_(?:D?CACHE)_SIZE\s+([0-9]+)\s*$", line.strip())
        if m is None:
            continue
        level, size = int(m.group(1)), int(m.group(2))
        if size > 0 and (best is None or level > best[0]):
            best = (level, size)
    return None if best is None else best[1]


def mem_available(text: str) -> int | None:
    """``MemAvailable`` in bytes from ``/proc/meminfo``, or None."""
    m = re.search(r"^MemAvailable:\s*([0-9]+)\s*kB", text, re.MULTILINE)
    return None if m is None else int(m.group(1)) * 1024


def cpu_list(text: str) -> list[int]:
    """``"0-3,6,8-9"`` -> ``[0, 1, 2, 3, 6, 8, 9]`` (the kernel's cpulist format)."""
    cpus: list[int] = []
    for part in text.strip().split(","):
        part = part.strip()
        if not part:
            continue
        first, sep, last = part.partition("-")
        lo = int(first)
        hi = int(last) if sep else lo
        if hi < lo:
            raise ValueError(f"bad CPU range {part!r}")
        cpus.extend(range(lo, hi + 1))
    return sorted(set(cpus))


def cpus_allowed(text: str) -> list[int]:
    """The CPUs a process may run on, from the ``Cpus_allowed_list:`` line of ``/proc/<pid>/status``."""
    m = re.search(r"^Cpus_allowed_list:\s*(\S+)", text, re.MULTILINE)
    if m is None:
        raise ProbeError("no Cpus_allowed_list line in /proc/self/status", f"output: {_excerpt(text)}")
    try:
        cpus = cpu_list(m.group(1))
    except ValueError as exc:
        raise ProbeError(f"cannot read the allowed CPUs {m.group(1)!r}: {exc}", None) from None
    if not cpus:
        raise ProbeError("the allowed CPU list is empty", f"output: {_excerpt(text)}")
    return cpus


# --------------------------------------------------------------------------- sysbench


def parse_sysbench_cpu(text: str) -> dict[str, float]:
    """``sysbench cpu --percentile=99 run`` -> ``{"events_per_s", "latency_avg_ms", "latency_p99_ms"}``.

    sysbench 1.0 has no machine-readable report for its built-in tests, so this
    matches its fixed lines ``events per second: N`` and, under ``Latency (ms):``,
    ``avg: N`` and ``99th percentile: N`` (any indentation).
    """
    eps = re.search(r"^\s*events per second:\s*" + _NUM + r"\s*$", text, re.MULTILINE)
    if eps is None:
        raise ProbeError("no 'events per second:' line in the sysbench output", f"output: {_excerpt(text)}")
    _, sep, latency = text.partition("Latency (ms):")
    avg = re.search(r"^\s*avg:\s*" + _NUM + r"\s*$", latency, re.MULTILINE)
    p99 = re.search(r"^\s*99(?:th)? percentile:\s*" + _NUM + r"\s*$", latency, re.MULTILINE)
    if not sep or avg is None or p99 is None:
        raise ProbeError("no 'Latency (ms):' avg / '99th percentile:' lines in the sysbench output",
                         f"pass --percentile=99; output: {_excerpt(text)}")
    return {
        "events_per_s": _positive(float(eps.group(1)), "sysbench events per second", text),
        "latency_avg_ms": float(avg.group(1)),
        "latency_p99_ms": float(p99.group(1)),
    }


def parse_sysbench_memory(text: str) -> float:
    """``sysbench memory run`` -> bandwidth in MB/s (decimal; sysbench prints MiB/sec)."""
    m = re.search(r"^\s*" + _NUM + r"\s*MiB transferred\s*\(\s*" + _NUM + r"\s*MiB/sec\s*\)", text, re.MULTILINE)
    if m is None:
        raise ProbeError("no 'MiB transferred (N MiB/sec)' line in the sysbench output",
                         f"output: {_excerpt(text)}")
    return _positive(float(m.group(2)) * (1 << 20) / 1e6, "sysbench memory bandwidth", text)


# --------------------------------------------------------------------------- fio


@dataclass(frozen=True)
class FioResult:
    """The read side of one fio job: IOPS and completion-latency percentiles in microseconds."""

    iops: float
    clat_p99_us: float
    clat_mean_us: float


def _json_object(text: str, tool: str) -> dict[str, Any]:
    """The first JSON object in ``text``: fio may print notes on stdout before its JSON."""
    decoder = json.JSONDecoder()
    for m in re.finditer(r"^\{", text, re.MULTILINE):
        try:
            obj, _ = decoder.raw_decode(text, m.start())
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            return obj
    raise ProbeError(f"no JSON object in the {tool} output", f"output: {_excerpt(text)}")


def parse_fio_json(text: str) -> FioResult:
    """``fio --output-format=json`` (one read job) -> IOPS and the p99 of ``clat_ns``."""
    doc = _json_object(text, "fio")
    try:
        job = doc["jobs"][0]
        error = int(job.get("error", 0))
        read = job["read"]
        iops = float(read["iops"])
        clat = read["clat_ns"]
        percentiles = clat["percentile"]
        p99_ns = float(percentiles["99.000000"])
        mean_ns = float(clat["mean"])
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        if isinstance(doc.get("jobs"), list) and doc["jobs"] and int(doc["jobs"][0].get("error", 0) or 0):
            raise ProbeError(f"fio job failed with error {doc['jobs'][0]['error']}", None) from None
        raise ProbeError(f"unexpected fio JSON: missing {exc}",
                         "the probe needs fio >= 3 with clat percentiles (the default)") from None
    if error:
        raise ProbeError(f"fio job failed with error {error}", None)
    return FioResult(iops=_positive(iops, "fio read IOPS", text),
                     clat_p99_us=_positive(p99_ns / 1000.0, "fio p99 completion latency", text),
                     clat_mean_us=mean_ns / 1000.0)


def fio_engines(text: str) -> set[str]:
    """The engine names listed by ``fio --enghelp``."""
    names: set[str] = set()
    for line in text.splitlines():
        if line[:1].isspace() and line.strip():
            names.add(line.strip().split()[0])
    return names


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
    p99 = histogram_percentile(histogram, cycles, q, result_max) if histogram else None
    return CyclictestResult(cpu=cpu, cycles=cycles, min_us=min_us, avg_us=avg_us, max_us=result_max,
                            p99_us=p99, overflows=max(0, cycles - counted) if histogram else 0)
