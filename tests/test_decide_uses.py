"""No double counting: each answer enters exactly one consequence estimate, each evidence item backs one rule.

The rule (docs/scoring.md, "Each fact counts once"): an answer read by the pack's
consequences enters the estimate of exactly one criterion attribute (for one option or
both: the same quantity estimated for each option is one estimate), through derived
facts and the fault-domain graph's metrics. Constraints (the screen) and the choice of a
configuration are not consequence estimates. The answers in ``SHARED`` are the
exceptions the method argues for, each with its reason; the test pins their attributes,
so a new use of any answer fails here until it is argued.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import decide_profiles as gen
import pytest

from advisor import pipeline
from advisor.decide.uses import answer_attributes, evidence_rules
from advisor.errors import DataError

ROOT = Path(__file__).resolve().parent.parent
Q = pipeline.load_questionnaire()
PACK = pipeline.load_decision_pack(questionnaire=Q)

#: answer -> (the attributes it enters, why that is not counting one fact twice)
SHARED: dict[str, tuple[frozenset[str], str]] = {
    "physical_hosts": (frozenset({"cost.overhead_pct", "operations.upgrade_days", "resilience.kernel_blast",
                                  "resilience.quorum_loss"}),
                       "the fleet's size scales four different things: the headroom one host failure needs, "
                       "the hosts to upgrade, one kernel's share of the fleet, and whether a cluster's "
                       "control-plane members can sit on different hosts"),
    "clusters": (frozenset({"cost.overhead_pct", "operations.upgrade_days", "resilience.quorum_loss"}),
                 "each cluster keeps its own failure headroom, is upgraded on its own and has its own quorum"),
    "existing_virtualization": (frozenset({"cost.overhead_pct", "operations.layers", "operations.skills_gap",
                                           "operations.upgrade_days"}),
                                "the platform in place says which platform the VM option is (public cloud or "
                                "on premises: capacity, layers, skills, upgrade work differ in kind)"),
    "bare_metal_automation": (frozenset({"cost.overhead_pct", "operations.skills_gap", "operations.upgrade_days"}),
                              "provisioning automation moves hosts between clusters, is a skill, and shortens "
                              "host upgrades"),
    "site_type": (frozenset({"cost.overhead_pct", "operations.layers"}),
                  "at an edge site the VM platform's management appliances take capacity and are a layer"),
    "tenancy": (frozenset({"isolation.boundary", "isolation.tenants_per_kernel"}),
                "whether tenants are untrusted decides whether a boundary is needed at all; how many share a "
                "kernel is the tenant count (one for a single team)"),
}

#: the answers the issue's acceptance names: each enters exactly one estimate, with no exception
ONCE = ("microservices_per_host", "vms_per_host", "replicas_per_service", "tenant_count", "max_blast_radius_pct",
        "latency_p99_ms")


def _uses(pack: object = PACK) -> dict[str, dict[str, list[str]]]:
    return answer_attributes(pack, list(Q.by_key), pipeline.fact_reads())  # type: ignore[arg-type]


def _unargued(uses: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """The answers entering several estimates that ``SHARED`` does not argue for (or not with these attributes)."""
    argued = {k: attrs for k, (attrs, _) in SHARED.items() if k not in ONCE}
    return {k: sorted(a) for k, a in uses.items() if len(a) != 1 and frozenset(a) != argued.get(k)}


def test_each_answer_enters_exactly_one_consequence_estimate() -> None:
    uses = _uses()
    for key in ONCE:
        assert key not in SHARED
        assert len(uses.get(key, {})) == 1, (key, uses.get(key))
    wrong = _unargued(uses)
    assert not wrong, f"answers entering several estimates, unargued: {wrong}"
    stale = [k for k, (attrs, _) in SHARED.items() if frozenset(uses.get(k, {})) != attrs]
    assert not stale, f"exceptions that no longer match the pack: {stale}"


def test_each_evidence_item_backs_exactly_one_consequence_rule() -> None:
    backs = evidence_rules(PACK)
    assert backs
    assert all(len(rules) == 1 for rules in backs.values()), {e: r for e, r in backs.items() if len(r) > 1}


def test_a_planted_double_use_of_an_answer_fails(tmp_path: Path) -> None:
    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    path = pack / "consequences" / "bm-overhead.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("(100 * clusters / physical_hosts\n") == 3
    path.write_text(text.replace("(100 * clusters / physical_hosts\n",
                                 "(100 * clusters / physical_hosts + 0.01 * microservices_per_host\n"),
                    encoding="utf-8")
    uses = _uses(pipeline.load_decision_pack([pack], questionnaire=Q))
    assert _unargued(uses) == {"microservices_per_host": ["cost.overhead_pct", "resilience.kernel_blast"]}
    assert not _unargued(_uses())


def test_a_planted_double_use_of_an_evidence_item_is_refused(tmp_path: Path) -> None:
    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    path = pack / "consequences" / "vm-overhead.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("evidence: [k8s-reserve-compute-resources]",
                                 "evidence: [k8s-reserve-compute-resources, k8s-large-clusters-110-pods-per-node]"),
                    encoding="utf-8")
    with pytest.raises(DataError, match="k8s-large-clusters-110-pods-per-node"):
        pipeline.load_decision_pack([pack], questionnaire=Q)


@pytest.mark.parametrize("metric", sorted(pipeline.GRAPH_READS))
def test_a_graph_metric_depends_only_on_the_answers_it_declares(metric: str) -> None:
    """The precise reads above are true: the other fleet answers leave the metric unchanged."""
    rng = random.Random(f"graph-reads:{metric}")
    declared = set(pipeline.GRAPH_READS[metric])
    others = [k for k in pipeline._FLEET_KEYS if k not in declared]
    for _ in range(40):
        answers = gen.profile(Q, rng)
        answers.update(physical_hosts=rng.choice([1, 2, 3, 4, 5, 7, 12]), clusters=rng.choice([1, 2, 3, 5]))
        base = pipeline.decision_facts(answers, Q)
        key = rng.choice(others)
        changed = {**answers, key: gen.larger(Q, key, answers[key], rng) if key in answers else None}
        if changed[key] is None:
            continue
        after = pipeline.decision_facts(changed, Q)
        for option in ("bare_metal", "vm"):
            name = f"graph.{option}.{metric}"
            assert after.get(name) == base.get(name), (name, key, answers[key], changed[key])
