"""The fact catalog: every name a rule's ``when`` may read, with its type and meaning.

Four sources feed one flat namespace (docs/facts.md lists them all):

* profile facts: one per questionnaire key (passed in, this layer does not read questionnaires);
* derived facts: computed from the answers, each defined once in :data:`DERIVED`;
* graph facts: ``graph.bare_metal.<metric>`` and ``graph.vm.<metric>`` from the fault-domain module;
* measured facts: ``measured.<probe>.<metric>``, present only after a measurement (:data:`MEASURED`, and
  those a measurement plugin's probes bring: :func:`plugin_measured`).

A fact that is absent makes the rules reading it *unknown*, never silently false.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from advisor.conditions import FactType

__all__ = [
    "DERIVED",
    "MEASURED",
    "PROBES",
    "DerivedFact",
    "Source",
    "build_catalog",
    "check_fact_value",
    "derive",
    "plugin_measured",
    "probe_facts",
    "source_of",
]

Source = Literal["profile", "derived", "graph", "measured"]


class _Missing(Exception):
    """An input of a derived fact is absent: the derived fact is absent too."""


_NOT_GIVEN: Any = object()


class Inputs:
    """Read access to the facts a derived fact is computed from."""

    __slots__ = ("_facts", "_not_applicable")

    def __init__(self, facts: Mapping[str, Any], not_applicable: frozenset[str]) -> None:
        self._facts = facts
        self._not_applicable = not_applicable

    def __call__(self, name: str, *, if_not_applicable: Any = _NOT_GIVEN) -> Any:
        """The value of ``name``; ``if_not_applicable`` when its question did not apply."""
        try:
            return self._facts[name]
        except KeyError:
            if if_not_applicable is not _NOT_GIVEN and name in self._not_applicable:
                return if_not_applicable
            raise _Missing(name) from None


@dataclass(frozen=True)
class DerivedFact:
    """A fact computed from answers. ``formula`` is what docs/facts.md shows."""

    name: str
    type: FactType
    formula: str
    inputs: tuple[str, ...]
    compute: Callable[[Inputs], Any]


def _upgrade_days(f: Inputs) -> float:
    return float(f("upgrades_per_year") * f("upgrade_duration_days") * f("clusters"))


def _services_total(f: Inputs) -> int:
    return max(1, int(f("physical_hosts") * f("microservices_per_host") // f("replicas_per_service")))


def _licence(f: Inputs) -> float:
    per_core = f("hypervisor_license_per_core_year", if_not_applicable=0.0)
    return float(per_core * f("cores_per_host") * f("physical_hosts"))


def _edge_sites(f: Inputs) -> int:
    if f("site_type") != "edge":
        return 0
    return int(math.ceil(f("physical_hosts") / f("hosts_per_site")))


def _fact(kind: Literal["int", "float", "bool"], description: str) -> FactType:
    return FactType(kind, None, description)


#: Derived facts, in the order they are computed and documented.
DERIVED: tuple[DerivedFact, ...] = (
    DerivedFact(
        "upgrade_days_per_year",
        _fact("float", "Days per year with a cluster upgrade in progress, summed over clusters"),
        "upgrades_per_year * upgrade_duration_days * clusters",
        ("upgrades_per_year", "upgrade_duration_days", "clusters"),
        _upgrade_days,
    ),
    DerivedFact(
        "total_nodes_bare_metal",
        _fact("int", "Kubernetes nodes in the bare-metal option (one per host)"),
        "physical_hosts",
        ("physical_hosts",),
        lambda f: int(f("physical_hosts")),
    ),
    DerivedFact(
        "total_nodes_vm",
        _fact("int", "Kubernetes nodes in the VM-backed option"),
        "physical_hosts * vms_per_host",
        ("physical_hosts", "vms_per_host"),
        lambda f: int(f("physical_hosts") * f("vms_per_host")),
    ),
    DerivedFact(
        "services_total",
        _fact("int", "Distinct services in the fleet (co-located services spread over their replicas)"),
        "max(1, physical_hosts * microservices_per_host // replicas_per_service)",
        ("physical_hosts", "microservices_per_host", "replicas_per_service"),
        _services_total,
    ),
    DerivedFact(
        "licence_cost_per_year",
        _fact("float", "Hypervisor licences per year for the fleet, in the profile's currency (0 without licences)"),
        "hypervisor_license_per_core_year * cores_per_host * physical_hosts (0 when the licence question "
        "did not apply)",
        ("hypervisor_license_per_core_year", "cores_per_host", "physical_hosts"),
        _licence,
    ),
    DerivedFact(
        "special_networking_needed",
        _fact("bool", "Any special networking feature (SR-IOV, DPDK, RDMA, PTP, Multus) is needed"),
        "special_networking != ['none']",
        ("special_networking",),
        lambda f: f("special_networking") != ["none"],
    ),
    DerivedFact(
        "compliance_in_scope",
        _fact("bool", "At least one compliance regime applies"),
        "compliance != ['none']",
        ("compliance",),
        lambda f: f("compliance") != ["none"],
    ),
    DerivedFact(
        "crds_per_owning_team",
        _fact("float", "CRDs per team or app that ships its own CRDs"),
        "crd_count / max(1, crd_owning_teams)",
        ("crd_count", "crd_owning_teams"),
        lambda f: f("crd_count") / max(1, f("crd_owning_teams")),
    ),
    DerivedFact(
        "edge_sites",
        _fact("int", "Edge sites the hosts are spread over (0 in a datacenter)"),
        "ceil(physical_hosts / hosts_per_site) if site_type == 'edge' else 0",
        ("site_type", "physical_hosts", "hosts_per_site"),
        _edge_sites,
    ),
    DerivedFact(
        "version_skew_burden",
        _fact("int", "Kubernetes minor versions to support, summed over clusters"),
        "k8s_versions_in_production * clusters",
        ("k8s_versions_in_production", "clusters"),
        lambda f: int(f("k8s_versions_in_production") * f("clusters")),
    ),
)

_DERIVED_NAMES = frozenset(d.name for d in DERIVED)


def derive(facts: Mapping[str, Any], not_applicable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The derived facts computable from ``facts``; one whose input is absent is left out.

    ``not_applicable`` names the questions whose ``when`` did not hold; a derived fact
    may give such an input a neutral value (e.g. no licence cost) instead of being absent.
    """
    out: dict[str, Any] = {}
    inputs = Inputs(facts, not_applicable)
    for fact in DERIVED:
        try:
            out[fact.name] = fact.compute(inputs)
        except (_Missing, ZeroDivisionError):
            continue
    return out


# --------------------------------------------------------------------------- measured

#: Measurement probes and what their ``ratio`` (VM / bare metal) compares.
PROBES: dict[str, str] = {
    "cpu": "CPU throughput (sysbench events per second); < 1 means the VM is slower",
    "memory": "random-access memory read bandwidth beyond the last-level cache, a thread per CPU (sysbench); "
              "< 1 means the VM is slower",
    "disk": "4K random-read IOPS (fio); < 1 means the VM is slower",
    "net": "request/response round-trip latency at a fixed request rate, median (sockperf under-load); "
           "> 1 means the VM is slower",
    "jitter": "wake-up latency of an ordinary thread (SCHED_OTHER), p90 (cyclictest); > 1 means the VM is worse",
    "noisy": "latency slowdown under a pinned antagonist (with / alone); > 1 means the VM suffers more",
}

_VERDICTS = ("faster", "slower", "equivalent", "inconclusive")


def probe_facts(probe: str, figure: str) -> dict[str, FactType]:
    """The measured facts of one probe: ``ratio`` (VM / bare metal of its main figure, described by ``figure``),
    its interval ``ci_low`` and ``ci_high``, and ``verdict``."""
    out: dict[str, FactType] = {f"measured.{probe}.ratio": FactType("float", None, f"VM / bare metal: {figure}")}
    for bound, word in (("ci_low", "Lower"), ("ci_high", "Upper")):
        out[f"measured.{probe}.{bound}"] = FactType(
            "float", None, f"{word} bound of the confidence interval of measured.{probe}.ratio "
            "(sequential design: docs/measurement.md)"
        )
    out[f"measured.{probe}.verdict"] = FactType(
        "str", _VERDICTS, f"{probe}: the VM is faster, slower, equivalent (CI inside the equivalence band) "
        "or inconclusive",
    )
    return out


def plugin_measured(probes: Mapping[str, str]) -> dict[str, FactType]:
    """The measured facts of plugin probes (name -> what their ratio compares); ValueError when one would
    shadow a probe of the catalog (a plugin's made-up figures would become its facts)."""
    out: dict[str, FactType] = {}
    for probe, figure in sorted(probes.items()):
        if probe in PROBES:
            raise ValueError(f"plugin probe {probe!r} would shadow the catalog's measured.{probe}.* facts")
        out.update(probe_facts(probe, figure))
    return out


def _measured() -> dict[str, FactType]:
    out: dict[str, FactType] = {}
    for probe, figure in PROBES.items():
        out.update(probe_facts(probe, figure))
    out["measured.net.p99_ratio"] = FactType(
        "float", None, "VM / bare metal: request/response round-trip latency, p99; > 1 means the VM is slower"
    )
    out["measured.disk.p99_ratio"] = FactType(
        "float", None, "VM / bare metal: 4K random-read completion latency, p99 (fio); > 1 means the VM is slower"
    )
    return dict(sorted(out.items()))


#: Measured facts: absent unless a measurement was recorded.
MEASURED: dict[str, FactType] = _measured()


# --------------------------------------------------------------------------- catalog


def source_of(name: str) -> Source:
    """Where a fact comes from, by its name."""
    if name.startswith("graph."):
        return "graph"
    if name.startswith("measured."):
        return "measured"
    if name in _DERIVED_NAMES:
        return "derived"
    return "profile"


def build_catalog(profile: Mapping[str, FactType], graph: Mapping[str, FactType],
                  plugin_probes: Mapping[str, str] | None = None) -> dict[str, FactType]:
    """One flat catalog; raises ValueError when two sources define the same name.

    ``plugin_probes`` (probe name -> what its ratio compares) adds the measured facts of
    measurement plugins' probes (:func:`plugin_measured`).
    """
    catalog: dict[str, FactType] = dict(profile)
    for name in profile:
        if "." in name or name in _DERIVED_NAMES:
            raise ValueError(f"profile key {name!r} collides with a derived, graph or measured fact")
    for d in DERIVED:
        catalog[d.name] = d.type
    for name, ftype in graph.items():
        if not name.startswith(("graph.bare_metal.", "graph.vm.")):
            raise ValueError(f"graph fact {name!r} must start with graph.bare_metal. or graph.vm.")
        catalog[name] = ftype
    catalog.update(MEASURED)
    catalog.update(plugin_measured(plugin_probes or {}))
    return catalog


def check_fact_value(ftype: FactType, value: Any) -> Any:
    """Check a value given directly for a fact (e.g. a measured fact in a rule test).

    Returns the value (ints widened to float for float facts); raises ValueError
    with ``what is wrong; what to do``.
    """
    kind = ftype.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        raise ValueError(f"expected true or false, got {value!r}; write true or false")
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"expected a number, got {value!r}; give a finite number")
        if kind == "int":
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(f"expected a whole number, got {value!r}; give a whole number")
            return int(value)
        return float(value)
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"expected text, got {value!r}; quote the value")
        if ftype.choices and value not in ftype.choices:
            raise ValueError(f"{value!r} is not one of {', '.join(ftype.choices)}; choose one of them")
        return value
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list of text values, got {value!r}; write e.g. [a, b]")
    return value
