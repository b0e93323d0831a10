"""The result file of a measurement, and the facts it gives the rules.

A result keeps everything needed to re-check a verdict: every run's summary figures
(the raw samples of the statistics), where each target ran (pinning, cgroup,
namespace, virtualization, tool versions), the settings (suite, budget, band,
method) and the comparison per metric. It is written as YAML (or JSON for a ``.json``
name), atomically, with a ``sha256`` of its content; :func:`load_result` refuses a
file whose content no longer matches it.

:func:`measured_facts` turns a result into the ``measured.<probe>.<metric>`` facts of
the rule catalog (see docs/facts.md).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from advisor import atomic, yamlio
from advisor.errors import DataError, Location
from advisor.measure.api import Placement
from advisor.validation import problems_from, validate

__all__ = [
    "CATALOG_PROBES",
    "ComparisonRecord",
    "MeasurementResult",
    "MetricResult",
    "ProbeResult",
    "RunRecord",
    "SloCheck",
    "load_result",
    "measured_facts",
    "slo_checks",
]

#: The probes the rule catalog has facts for (advisor.rules.catalog.PROBES; a test keeps them in step).
CATALOG_PROBES = ("cpu", "memory", "disk", "net", "jitter", "noisy")
#: Probes whose p99 latency metric becomes ``measured.<probe>.p99_ratio``.
P99_PROBES = ("net", "disk")
FORMAT_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRecord(_Model):
    """One probe run on one target: the replication unit."""

    probe: str
    target: str
    role: Literal["bare-metal", "vm"]
    #: 1-based run number of this probe on this target.
    index: int
    #: Seconds since the session started, and the run's own wall time.
    started: float
    elapsed: float
    values: dict[str, float] = Field(default_factory=dict)
    #: What the run ran on, as the probe saw it (the disk probe: device, fstype, mount, directory).
    context: dict[str, str] = Field(default_factory=dict)
    error: str | None = None
    #: The block (one run per target, random order) the run belongs to; 0 for warm-up runs.
    block: int = 0
    #: A warm-up run: discarded from the statistics.
    warmup: bool = False
    #: Counters sampled around the run (advisor.measure.disturbance) and why it is disturbed.
    disturbance: dict[str, float] = Field(default_factory=dict)
    disturbed: list[str] = Field(default_factory=list)


class ComparisonRecord(_Model):
    """Ratio VM / bare metal of one metric with its CI (None when it could not be computed)."""

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    verdict: Literal["faster", "slower", "equivalent", "inconclusive"]
    n_bare_metal: int
    n_vm: int
    method: str
    note: str = ""
    #: Two-sided alpha of the interval (after alpha spending and multiplicity control).
    alpha: float | None = None
    #: The equivalence band the verdict used (0.05: 95-105 %).
    band: float | None = None
    #: Whether the verdict counts for the decision (main metric, or a declared decision metric).
    decision: bool = True
    #: Hosts per arm behind the interval: 1 (the runs of one host pair), or the host pairs of a replicated
    #: comparison (advisor.measure.replication), whose interval is over hosts.
    hosts: int = 1
    #: Replicated comparisons: the standard deviation of the host pairs' log ratios.
    between_host_sd: float | None = None


class MetricResult(_Model):
    name: str
    unit: str
    better: Literal["higher", "lower"]
    main: bool = False
    description: str = ""
    band: float | None = None
    comparison: ComparisonRecord | None = None
    #: Absolute figures per target name: n, median, mean, min, max, cv.
    summary: dict[str, dict[str, float]] = Field(default_factory=dict)


class ProbeResult(_Model):
    name: str
    title: str
    plugin: str | None = None
    #: Why the probe stopped: decided (every CI inside or outside the band), budget, max-runs,
    #: interrupted, error, skipped (tools missing), single (one target: absolute figures only),
    #: refused (unfair comparison), implausible (ratio outside the probe's plausible range).
    stopped: str
    #: Blocks run (one run per target each), and how many of them were dropped as disturbed.
    rounds: int = 0
    disturbed_blocks: int = 0
    error: str | None = None
    #: Why the verdicts were withheld (disturbed, implausible, unfair); None when they stand.
    refused: str | None = None
    #: Two-host probes: the kind of network path per target (loopback, veth, network).
    paths: dict[str, str] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    metrics: list[MetricResult] = Field(default_factory=list)

    def main_metric(self) -> MetricResult | None:
        for metric in self.metrics:
            if metric.main:
                return metric
        return self.metrics[0] if self.metrics else None


class SloCheck(_Model):
    """An absolute latency figure of a single-host measurement against the workload's SLO."""

    probe: str
    metric: str
    target: str
    value_ms: float
    slo_ms: float
    fraction: float


class MeasurementResult(_Model):
    """The whole result file."""

    advisor_measurement: Literal[1] = 1
    advisor_version: str
    created: str
    suite: Literal["quick", "full"]
    budget_s: float
    band: float
    method: str
    confidence: float = 0.95
    min_runs: int = 3
    #: Equivalence bands given per probe or probe.metric (the rest use their metric's default).
    bands: dict[str, float] = Field(default_factory=dict)
    #: Seed of the random run order; the sequential design (planned looks, family alpha, rho).
    seed: int | None = None
    design: dict[str, Any] = Field(default_factory=dict)
    #: The number of decision comparisons the family alpha was divided among.
    decision_comparisons: int = 0
    #: Why the session counts as disturbed (empty: it does not) and whether that was allowed.
    disturbed: list[str] = Field(default_factory=list)
    allow_disturbed: bool = False
    #: Whether verdicts from imitation targets were accepted as measurements (--accept-imitation).
    accept_imitation: bool = False
    elapsed_s: float = 0.0
    interrupted: bool = False
    #: Host pairs compared (bare-metal and vm targets paired in file order); above 1 the comparisons are
    #: replicated over hosts (advisor.measure.replication).
    hosts: int = 1
    targets: list[Placement] = Field(default_factory=list)
    probes: list[ProbeResult] = Field(default_factory=list)
    runs: list[RunRecord] = Field(default_factory=list)
    slo: list[SloCheck] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    sha256: str | None = None

    # ------------------------------------------------------------------ helpers
    def probe(self, name: str) -> ProbeResult | None:
        return next((p for p in self.probes if p.name == name), None)

    @property
    def imitations(self) -> list[Placement]:
        """The targets that imitate a platform rather than being one."""
        return [t for t in self.targets if t.origin == "imitation"]

    @property
    def comparison(self) -> bool:
        """Whether two targets (bare metal and VM) were compared."""
        roles = {t.role for t in self.targets}
        return {"bare-metal", "vm"} <= roles

    def content_digest(self) -> str:
        """sha256 of the canonical JSON of everything but the ``sha256`` field."""
        data = self.model_dump(mode="json", exclude={"sha256"})
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def sealed(self) -> MeasurementResult:
        """A copy with :attr:`sha256` set."""
        return self.model_copy(update={"sha256": self.content_digest()})

    def to_text(self, fmt: Literal["yaml", "json"] = "yaml") -> str:
        data = self.sealed().model_dump(mode="json")
        if fmt == "json":
            return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        header = "# advisor measurement result: raw run figures, placement and verdicts. Do not edit: sha256.\n"
        return header + yamlio.dump(data)

    def to_file(self, path: str | os.PathLike[str]) -> str:
        """Write atomically (JSON for a ``.json`` name, else YAML); return the sha256."""
        fmt: Literal["yaml", "json"] = "json" if str(path).lower().endswith(".json") else "yaml"
        sealed = self.sealed()
        atomic.write_text(path, sealed.to_text(fmt))
        assert sealed.sha256 is not None
        return sealed.sha256


def load_result(path: str | os.PathLike[str], *, display: str | None = None,
                verify: bool = True) -> MeasurementResult:
    """Read a result file (YAML or JSON); DataError with positions, or on a sha256 mismatch."""
    name = display if display is not None else str(path)
    if str(path).lower().endswith(".json"):
        data = yamlio.parse_json(yamlio.read_text(path, display=name, kind="JSON"), name)
        try:
            result = MeasurementResult.model_validate(data)
        except ValidationError as exc:
            raise DataError("", problems=problems_from(exc, yamlio.Document(name, data), MeasurementResult)) from None
        where = Location(name)
    else:
        doc = yamlio.load(path, display=name)
        result = validate(MeasurementResult, doc)
        where = doc.where(["sha256"])
    if verify:
        if result.sha256 is None:
            raise DataError("the result file has no sha256", "use a file written by advisor measure", where)
        if result.sha256 != result.content_digest():
            raise DataError("sha256 does not match the content: the result was changed after it was written",
                            "measure again, or restore the original file", where)
    return result


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def measured_facts(result: MeasurementResult, *, plugins: Mapping[str, str] | None = None) -> dict[str, float | str]:
    """The ``measured.*`` facts of a comparison (empty for a single-host measurement).

    ``plugins`` (probe -> plugin name: :attr:`advisor.measure.plugins.Extensions.plugins`) names the
    plugins' probes that bring measured facts: their results give facts when the result says the same
    plugin ran them. Per catalog (or such plugin) probe: ``ratio``, ``ci_low``, ``ci_high`` (the interval of the main
    metric) and ``verdict``; ``net.p99_ratio`` and ``disk.p99_ratio`` from their p99
    metric when its own verdict was reached (an inconclusive tail says nothing). A
    figure that could not be computed is absent, never guessed. Nothing comes from a
    probe whose verdicts were refused (disturbed, implausible, unfair), nor from a
    comparison of imitation targets unless it was accepted (``accept_imitation``):
    an imitation is not a measurement of the user's platforms.
    """
    facts: dict[str, float | str] = {}
    if not result.comparison or (result.imitations and not result.accept_imitation):
        return facts
    for probe in result.probes:
        readable = probe.name in CATALOG_PROBES or (plugins is not None and probe.plugin is not None
                                                    and plugins.get(probe.name) == probe.plugin)
        if not readable or probe.refused:
            continue
        main = probe.main_metric()
        if main is None or main.comparison is None:
            continue
        comp = main.comparison
        for key, value in (("ratio", comp.ratio), ("ci_low", comp.ci_low), ("ci_high", comp.ci_high)):
            finite = _finite(value)
            if finite is not None:
                facts[f"measured.{probe.name}.{key}"] = finite
        if _finite(comp.ratio) is not None:
            facts[f"measured.{probe.name}.verdict"] = comp.verdict
        if probe.name in P99_PROBES:
            p99 = p99_metric(probe)
            if p99 is not None and p99.comparison is not None and _finite(p99.comparison.ratio) is not None \
                    and p99.comparison.verdict != "inconclusive":
                facts[f"measured.{probe.name}.p99_ratio"] = p99.comparison.ratio  # type: ignore[assignment]
    return dict(sorted(facts.items()))


def p99_metric(probe: ProbeResult) -> MetricResult | None:
    """The probe's p99 latency metric: the first non-main, lower-is-better metric named with 'p99'."""
    for metric in probe.metrics:
        if "p99" in metric.name.lower() and metric.better == "lower" and not metric.main:
            return metric
    for metric in probe.metrics:
        if "p99" in metric.name.lower() and metric.better == "lower":
            return metric
    return None


_TIME_UNITS_MS = {"ns": 1e-6, "nsec": 1e-6, "us": 1e-3, "usec": 1e-3, "µs": 1e-3, "ms": 1.0, "msec": 1.0,
                  "s": 1000.0, "sec": 1000.0}


def to_ms(value: float, unit: str) -> float | None:
    """``value`` in milliseconds, or None when ``unit`` is not a time unit."""
    factor = _TIME_UNITS_MS.get(unit.strip().lower())
    return None if factor is None else value * factor


def slo_checks(result: MeasurementResult, latency_p99_ms: float) -> list[SloCheck]:
    """Each p99 latency figure (median over runs) per target, as a fraction of the SLO."""
    out: list[SloCheck] = []
    if latency_p99_ms <= 0:
        return out
    for probe in result.probes:
        for metric in probe.metrics:
            if metric.better != "lower" or "p99" not in metric.name.lower():
                continue
            for target, summary in metric.summary.items():
                median = summary.get("median")
                value = to_ms(median, metric.unit) if median is not None else None
                if value is None:
                    continue
                out.append(SloCheck(probe=probe.name, metric=metric.name, target=target, value_ms=value,
                                    slo_ms=latency_p99_ms, fraction=value / latency_p99_ms))
    return out


def placement_dict(placement: Placement) -> dict[str, Any]:
    """A placement as plain data (for tables and JSON)."""
    data: dict[str, Any] = TypeAdapter(Placement).dump_python(placement, mode="json")
    return data


def result_path_default() -> Path:
    """The default result file name: measurement-<UTC timestamp>.yaml."""
    import datetime as _dt

    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"measurement-{stamp}.yaml")
