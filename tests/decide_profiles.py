"""Generated profiles for the decision engine's property tests (seeded, reproducible)."""

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


#: Questions added after the property tests' profiles were fixed, drawn from their own stream.
LATER_FACTORS = ("max_pods_per_node", "vm_pods_on_hypervisor", "hardware_lead_time_weeks", "capacity_needed_weeks",
                 "spend_model", "pci_estate_in_scope", "data_residency_required", "platform_in_jurisdiction")


def _number(q: Any, rng: random.Random) -> int | float:
    low, high, log = NUMERIC[q.key]
    x = math.exp(rng.uniform(math.log(low), math.log(high))) if log else rng.uniform(low, high)
    return int(round(x)) if q.type == "int" else round(x, 3)


def profile(questionnaire: Questionnaire, rng: random.Random) -> dict[str, Any]:
    """One random profile: every answerable question gets a value (priorities included)."""
    out: dict[str, Any] = {}
    # the later factors draw apart, so that earlier profiles stay as they were; seeded from the integers of
    # the state only (the hash of the whole state includes hash(None), which differs from process to process)
    late = random.Random(hash(rng.getstate()[1]))
    for q in questionnaire.questions:
        if q.key in ("workload_name", "bare_metal_mandated"):
            continue
        draw = late if q.key in LATER_FACTORS else rng
        if q.type in ("int", "float"):
            if q.key.startswith("priority_"):
                out[q.key] = draw.randint(1, 5)
            elif q.key in NUMERIC:
                out[q.key] = _number(q, draw)
        elif q.type == "bool":  # the answer other than the default in 30 % of the profiles
            out[q.key] = (draw.random() < 0.3) != (q.default is True)
        elif q.type == "choice":
            out[q.key] = draw.choice([c.value for c in q.choices or ()])
        elif q.type == "multi-choice":
            values = [c.value for c in q.choices or ()]
            if "none" in values:
                picked = [v for v in values if v != "none" and draw.random() < 0.2]
                out[q.key] = picked or ["none"]
            else:
                out[q.key] = [v for v in values if draw.random() < 0.7] or values[:1]
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
