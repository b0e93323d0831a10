"""Generated profiles for the decision engine's property tests (seeded, reproducible).

Most answers are drawn each on its own. The answers that constrain each other are drawn
together (:data:`COUPLINGS`): drawn each on its own, 43 % of the profiles had both options
ruled out by the screen and 42 % one (untrusted tenants with a sandbox not acceptable,
more clusters than the hosts' control planes carry, an operating-only budget beside an
estate ...), so a test of P's direction checked few profiles where P is not 0 or 1. Each
coupling is still drawn contradictory in a share of the profiles where it can be (:data:`EDGE`),
so that the screen's edges (one option ruled out, or both) stay in the sample.
"""

from __future__ import annotations

import math
import random
from typing import Any

from advisor.questionnaire import Questionnaire

#: Realistic ranges of the numeric answers (fleets kept small so that the fault-domain graph stays fast).
NUMERIC: dict[str, tuple[float, float, bool]] = {  # key -> (low, high, log scale)
    "latency_p99_ms": (0.02, 3000.0, True),
    "tenant_count": (1, 600, True),
    "physical_hosts": (3, 24, False),
    "racks": (1, 6, False),
    "microservices_per_host": (1, 150, True),
    "replicas_per_service": (1, 6, False),
    "vms_per_host": (1, 12, False),
    "max_blast_radius_pct": (0, 60, False),
    "clusters": (1, 12, False),
    "k8s_versions_in_production": (1, 5, False),
    "crd_count": (0, 500, False),
    "crd_owning_teams": (0, 20, False),
    "upgrades_per_year": (0, 12, False),
    "upgrade_duration_days": (0, 20, False),
    "hypervisor_license_per_core_year": (0, 500, False),
    "vm_platform_licence_per_core_year": (0, 500, False),
    "cores_per_host": (8, 128, False),
    "hosts_per_site": (1, 10, False),
    "platform_team_size": (1, 20, False),
    "max_pods_per_node": (16, 400, True),
    "hardware_lead_time_weeks": (0, 30, False),
    "capacity_needed_weeks": (0, 52, False),
}

#: Share of the profiles where a yes/no answer takes the value other than its default (given the earlier answers).
NON_DEFAULT = 0.3

#: The answers drawn together, by the constraint rules (rules/constraints) their combination fires:
#: coupling -> what a consistent draw keeps apart.
COUPLINGS: dict[str, str] = {
    "control-planes": "clusters within what the hosts carry: three control-plane members a cluster on hosts of "
                      "their own, at most a cluster a host with hosted control planes",
    "sandbox": "untrusted tenants or code, or confidential computing, with a sandboxed runtime acceptable",
    "checks": "untrusted tenants or untrusted code with two tenants or more, a trading SLO under 10 ms (the "
              "questionnaire's checks)",
    "data-path": "a VM data path for what the workload needs: SR-IOV or passthrough for SR-IOV, DPDK, RDMA or "
                 "multi-node training, passthrough for PTP, a bypassed path and pinned vCPUs under 100 us",
    "budget": "a capital-only budget with a VM platform without a licence fee, an operating-only budget "
              "without servers to buy beside an estate",
    "lead-time": "servers that arrive before the capacity is needed",
    "pods": "a pod limit per node that admits the pods a host runs",
    "residency": "data kept in a jurisdiction where the platform run today has hosts",
    "pci": "card data allowed onto the estate's assessment scope",
}

#: Share of the profiles where a coupling that can contradict is drawn contradictory: the screen's edges. Higher
#: for the two answers that only the screen reads (the pod limit, the date the capacity is needed): a larger answer
#: moves the decision only where it lifts that edge, and the property tests want that seen in 1 % of the profiles.
EDGE: dict[str, float] = {**dict.fromkeys(COUPLINGS, 0.06), "lead-time": 0.15, "pods": 0.15}

_ESTATES = ("vsphere", "openstack", "kvm-proxmox", "hyper-v", "nutanix")
_OPEN_SOURCE = ("openstack", "kvm-proxmox")


def _number(key: str, integer: bool, rng: random.Random, low: float | None = None, high: float | None = None
            ) -> int | float:
    lo, hi, log = NUMERIC[key]
    lo, hi = lo if low is None else low, hi if high is None else high
    x = math.exp(rng.uniform(math.log(lo), math.log(hi))) if log else rng.uniform(lo, hi)
    return int(round(x)) if integer else round(x, 3)


def _independent(questionnaire: Questionnaire, rng: random.Random) -> dict[str, Any]:
    """Every answerable question drawn on its own (priorities included)."""
    out: dict[str, Any] = {}
    for q in questionnaire.questions:
        if q.key in ("workload_name", "bare_metal_mandated"):
            continue
        if q.type in ("int", "float"):
            if q.key.startswith("priority_"):
                out[q.key] = rng.randint(1, 5)
            elif q.key in NUMERIC:
                out[q.key] = _number(q.key, q.type == "int", rng)
        elif q.type == "bool":
            out[q.key] = (rng.random() < NON_DEFAULT) != (questionnaire.default_for(q.key, out) is True)
        elif q.type == "choice":
            out[q.key] = rng.choice([c.value for c in q.choices or ()])
        elif q.type == "multi-choice":
            values = [c.value for c in q.choices or ()]
            if "none" in values:
                picked = [v for v in values if v != "none" and rng.random() < 0.2]
                out[q.key] = picked or ["none"]
            else:
                out[q.key] = [v for v in values if rng.random() < 0.7] or values[:1]
    return out


def _couple(a: dict[str, Any], rng: random.Random) -> None:
    """Draw the answers of each coupling together: consistent, or contradictory in ``EDGE`` of the profiles."""
    def edge(coupling: str) -> bool:
        return rng.random() < EDGE[coupling]

    # control-planes: 3 members a cluster on hosts of its own, or hosted control planes (a cluster a host at most)
    hosts = a["physical_hosts"]
    carried = min(12, hosts if a["hosted_control_planes"] else max(1, hosts // 3))
    beyond = carried < 12 and edge("control-planes")
    a["clusters"] = rng.randint(carried + 1, 12) if beyond else rng.randint(1, carried)

    # checks: what the questionnaire's checks warn of (untrusted tenants or code and one tenant, a trading SLO of
    # 10 ms or more); untrusted tenants without untrusted code stay at the yes/no answers' rate (the layouts per
    # tenant are the configurations for them)
    if (a["untrusted_tenants"] or a["runs_untrusted_code"]) and a["tenant_count"] < 2 and not edge("checks"):
        a["tenant_count"] = _number("tenant_count", True, rng, low=2)
    if a["workload_class"] == "trading" and a["latency_p99_ms"] >= 10 and not edge("checks"):
        a["latency_p99_ms"] = _number("latency_p99_ms", False, rng, high=9.999)

    # sandbox: a boundary per pod (untrusted) or a confidential micro-VM per pod needs a sandboxed runtime
    if a["untrusted_tenants"] or a["runs_untrusted_code"] or a["confidential_computing_required"]:
        a["sandbox_runtime_acceptable"] = not edge("sandbox")

    # data-path: what the VM platform offers for what the workload needs
    paths = set(a["vm_io_paths"])
    bypass = any(v in a["special_networking"] for v in ("sr-iov", "dpdk", "rdma")) \
        or a["gpu"] == "training-multi-node"
    ptp = "ptp" in a["special_networking"]
    fast = a["latency_p99_ms"] < 0.1
    if bypass or ptp or fast:
        if edge("data-path"):
            paths = {"virtio"}
        else:
            if (bypass or fast) and not paths & {"sr-iov", "passthrough"}:
                paths.add(rng.choice(["sr-iov", "passthrough"]))
            if ptp:
                paths.add("passthrough")
            if fast:
                a["vm_cpu_pinning"] = True
        a["vm_io_paths"] = [v for v in ("virtio", "sr-iov", "passthrough") if v in paths]

    # budget: licence fees by platform (0 for an open-source one in half the estates), then a budget rule they allow
    platform = a["existing_virtualization"]
    if platform in _OPEN_SOURCE and rng.random() < 0.5:
        a["hypervisor_license_per_core_year"] = 0.0
    if platform == "none" and rng.random() < 0.5:
        a["vm_platform_licence_per_core_year"] = 0.0
    if platform != "public-cloud":
        licensed = (a["hypervisor_license_per_core_year"] if platform in _ESTATES
                    else a["vm_platform_licence_per_core_year"]) > 0
        estate = platform in _ESTATES
        allowed = ["either"] + ["capital"] * (not licensed) + ["operating"] * (not estate)
        ruled = [s for s in ("capital", "operating") if s not in allowed]
        a["spend_model"] = rng.choice(ruled) if ruled and edge("budget") else rng.choice(allowed)

    if platform in _ESTATES:
        # lead-time: servers in time for the capacity
        need = a["capacity_needed_weeks"]
        if need < 30 and edge("lead-time"):  # near the date, where a later date can cross it
            a["hardware_lead_time_weeks"] = rng.randint(need + 1, min(30, 2 * need + 2))
        else:
            a["hardware_lead_time_weeks"] = rng.randint(0, min(30, need))
        # pci: card data may enter the estate's assessment scope
        if "pci-dss" in a["compliance"]:
            a["pci_estate_in_scope"] = not edge("pci")

    # pods: a node's pod limit that admits a host's pods
    pods = a["microservices_per_host"]
    if pods > 16 and edge("pods"):  # under the pods, at least half of them (where a larger limit can admit them)
        a["max_pods_per_node"] = rng.randint(max(16, pods // 2), pods - 1)
    else:
        a["max_pods_per_node"] = _number("max_pods_per_node", True, rng, low=max(16, pods))

    # residency: the platform run today has hosts where the data must stay
    if a["data_residency_required"] and platform != "none":
        a["platform_in_jurisdiction"] = not edge("residency")


def profile(questionnaire: Questionnaire, rng: random.Random) -> dict[str, Any]:
    """One random profile: every answerable question gets a value (priorities included), the answers that
    constrain each other drawn together (:data:`COUPLINGS`)."""
    out = _independent(questionnaire, rng)
    _couple(out, rng)
    return {k: v for k, v in out.items() if questionnaire.applies(k, out) or k not in questionnaire.conditions}


def larger(questionnaire: Questionnaire, key: str, value: Any, rng: random.Random) -> Any | None:
    """A larger answer than ``value`` for ``key`` (numbers and ordinal choices), or None at the top."""
    q = questionnaire.by_key[key]
    if q.type in ("int", "float"):
        top = q.max if q.max is not None else value * 4 + 10
        if key.startswith("priority_"):
            top = 5
        if value >= top:
            return None
        step = abs(value) * rng.uniform(0.05, 1.0) + 0.01
        if q.type == "int":
            step = max(1.0, step)
        new = min(top, value + step)
        return int(new) if q.type == "int" else round(new, 4)
    values = [c.value for c in q.choices or ()]
    i = values.index(value)
    return values[i + 1] if i + 1 < len(values) else None
