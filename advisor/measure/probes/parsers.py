"""Pure parsers of the benchmark tools' output: text in, numbers out, no I/O.

Sizes, CPU lists, sysbench and fio here; the latency tools (sockperf, cyclictest) in
:mod:`advisor.measure.probes.latency_parsers`.

Where a tool has a structured output mode it is used (fio ``--output-format=json``);
sysbench has none, so their fixed summary
lines are matched with anchored, whitespace-tolerant patterns. Every parser raises
:class:`~advisor.measure.api.ProbeError` naming what it could not find, and never
returns a made-up value.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from advisor.measure.api import ProbeError

__all__ = [
    "FioResult",
    "cpu_list",
    "cpus_allowed",
    "fio_engines",
    "llc_from_getconf",
    "llc_from_sysfs",
    "mem_available",
    "parse_fio_json",
    "parse_size",
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
