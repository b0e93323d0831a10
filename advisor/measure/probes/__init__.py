"""The built-in probes, a plugin like any other (entry point ``probes`` in group ``advisor.measurements``).

Probe names and main metrics match the measured facts of :mod:`advisor.rules.catalog`:
``measured.<name>.ratio`` is VM / bare metal of the main metric.

====== ======================== ==================================
probe  main metric              tools
====== ======================== ==================================
cpu    events_per_s (higher)    sysbench
memory mb_per_s (higher)        sysbench
disk   iops (higher); p99_us    fio
net    p50_us (lower); p99_us   sockperf (server on the peer)
jitter p99_us (lower)           cyclictest
noisy  slowdown (lower)         cyclictest, stress-ng
====== ======================== ==================================
"""

from __future__ import annotations

from advisor.measure.api import Probe
from advisor.measure.hookspecs import hookimpl
from advisor.measure.probes.cpu import CpuProbe
from advisor.measure.probes.disk import DiskProbe
from advisor.measure.probes.jitter import JitterProbe
from advisor.measure.probes.memory import MemoryProbe
from advisor.measure.probes.net import NetProbe
from advisor.measure.probes.noisy import NoisyProbe

__all__ = ["CpuProbe", "DiskProbe", "JitterProbe", "MemoryProbe", "NetProbe", "NoisyProbe", "advisor_probes",
           "builtin_probes"]


def builtin_probes() -> list[Probe]:
    """One instance of each built-in probe, in catalog order."""
    return [CpuProbe(), MemoryProbe(), DiskProbe(), NetProbe(), JitterProbe(), NoisyProbe()]


@hookimpl
def advisor_probes() -> list[Probe]:
    """The built-in probes."""
    return builtin_probes()
