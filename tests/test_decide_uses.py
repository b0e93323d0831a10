"""No double counting: each answer enters exactly one consequence estimate, each evidence item backs one rule.

The rule (docs/scoring-details.md, "Each fact counts once"): an answer read by the pack's
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

#: The argued exceptions: answer -> {attribute it enters: what of the answer that estimate reads, and the
#: consequence it estimates}. Each is one quantity of the answer entering estimates of *different criteria* as
#: different consequences, never two estimates of one criterion (test_no_answer_enters_two_estimates_of_one_
#: criterion checks that for every answer, derived fact and evidence item). Where one fact had entered several
#: estimates of one criterion, they were merged: the hypervisor's burden (layers, know-how, host patching) is one
#: operations estimate read once from who runs it; a kernel failure and quorum loss are one resilience estimate
#: reading the host count once.
SHARED: dict[str, dict[str, str]] = {
    "physical_hosts": {
        "cost.overhead_pct": "the failure headroom: a host's worth of capacity is 100 / hosts per cent of the fleet",
        "operations.work": "the VM option's hypervisor hosts to patch each year, a few hours each (and the nodes "
                           "drained instead of migrated with SR-IOV or passthrough)",
        "resilience.failure_loss": "one kernel's share of the fleet (100 / hosts) against the accepted share, and "
                                   "whether three hosts exist for each control plane's members: what one failure "
                                   "takes",
    },
    "clusters": {
        "cost.overhead_pct": "a bare-metal host belongs to one cluster: one host of headroom per cluster, and "
                             "peak capacity stranded in each",
        "operations.work": "each cluster is upgraded on its own: versions to support and CRD checks per upgrade, "
                           "per cluster",
        "resilience.failure_loss": "three control-plane members per cluster to place on the hosts",
    },
    "existing_virtualization": {
        "cost.overhead_pct": "in a public cloud bare-metal instances come only in the largest size and are held "
                             "for the peak; single-tenant VM hardware means dedicated hosts (the cloud's catalogue "
                             "and billing)",
        "operations.work": "who runs the hypervisor: the team on premises (its layers, patching and know-how), the "
                           "provider in a public cloud; read once, in one term",
    },
    "bare_metal_automation": {
        "cost.overhead_pct": "full automation moves hosts between clusters, halving the capacity stranded in "
                             "each cluster's peak",
        "operations.work": "the work its absence costs: re-imaging by hand and the lifecycle tooling's know-how",
    },
    "site_type": {
        "cost.overhead_pct": "at an edge site the VM platform's management appliances take a share of few hosts, and "
                             "each site keeps its own host of headroom (a failed host's VMs or pods restart only at "
                             "its site)",
        "operations.work": "an edge site run cut off from the centre needs the hypervisor's manager at the site "
                           "(read with edge_offline; a datacenter site is the centre)",
        "resilience.failure_loss": "at the edge a cluster's control-plane VMs can only use its site's hosts: too few "
                                   "of them and a host failure takes the quorum",
    },
    "hosts_per_site": {
        "cost.overhead_pct": "the appliances' share of a site's hosts, and a host of headroom per site",
        "resilience.failure_loss": "whether a site's hosts let each cluster's three control-plane VMs sit on "
                                   "different hosts",
    },
}

#: the answers the issue's acceptance names: each enters exactly one estimate, with no exception
ONCE = ("microservices_per_host", "vms_per_host", "replicas_per_service", "tenant_count", "untrusted_tenants",
        "max_blast_radius_pct", "latency_p99_ms")


def _uses(pack: object = PACK) -> dict[str, dict[str, list[str]]]:
    return answer_attributes(pack, list(Q.by_key), pipeline.fact_reads())  # type: ignore[arg-type]


def _unargued(uses: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """The answers entering several estimates that ``SHARED`` does not argue for (or not with these attributes)."""
    argued = {k: frozenset(attrs) for k, attrs in SHARED.items() if k not in ONCE}
    return {k: sorted(a) for k, a in uses.items() if len(a) != 1 and frozenset(a) != argued.get(k)}


def test_each_answer_enters_exactly_one_consequence_estimate() -> None:
    uses = _uses()
    for key in ONCE:
        assert key not in SHARED
        assert len(uses.get(key, {})) == 1, (key, uses.get(key))
    wrong = _unargued(uses)
    assert not wrong, f"answers entering several estimates, unargued: {wrong}"
    stale = [k for k, attrs in SHARED.items() if frozenset(uses.get(k, {})) != frozenset(attrs)]
    assert not stale, f"exceptions that no longer match the pack: {stale}"


def _same_criterion(uses: dict[str, dict[str, list[str]]]) -> dict[str, list[str]]:
    """The names entering estimates of two attributes of one criterion: name -> those attributes."""
    out: dict[str, list[str]] = {}
    for name, attrs in uses.items():
        criteria = [a.partition(".")[0] for a in attrs]
        twice = sorted(a for a in attrs if criteria.count(a.partition(".")[0]) > 1)
        if twice:
            out[name] = twice
    return out


def _derived_names(pack: object = PACK) -> list[str]:
    from advisor.rules import catalog

    names = {d.name for d in pack.derived} | {d.name for d in catalog.DERIVED}  # type: ignore[attr-defined]
    names |= {n for r in pack.consequences for n in r.names if n.startswith("graph.")}  # type: ignore[attr-defined]
    return sorted(names)


def test_no_answer_enters_two_estimates_of_one_criterion() -> None:
    """One fact, one consequence per criterion: every answer, derived fact and graph metric enters at most one
    estimate of each criterion (the same quantity estimated for both options is one estimate)."""
    uses = answer_attributes(PACK, [*Q.by_key, *_derived_names()], pipeline.fact_reads())
    assert uses and not _same_criterion(uses), _same_criterion(uses)
    # the answers SHARED argues enter several criteria, each once
    for key, attrs in SHARED.items():
        criteria = [a.partition(".")[0] for a in attrs]
        assert len(set(criteria)) == len(criteria) >= 2, key
    by_rule = {r.id: r.attribute.key.partition(".")[0] for r in PACK.consequences}
    for item, rules in evidence_rules(PACK).items():
        criteria = [by_rule[r] for r in rules]
        assert len(set(criteria)) == len(criteria), (item, rules)


def test_a_planted_second_estimate_of_one_criterion_fails(tmp_path: Path) -> None:
    """The host count entering the licence as well as the capacity lost: twice in cost."""
    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    path = pack / "consequences" / "vm-licence.yaml"
    text = path.read_text(encoding="utf-8")
    assert "  value: vm_licence_per_host\n" in text
    path.write_text(text.replace("  value: vm_licence_per_host\n",
                                 "  value: vm_licence_per_host * (1 + 1 / physical_hosts)\n"), encoding="utf-8")
    planted = pipeline.load_decision_pack([pack], questionnaire=Q)
    uses = answer_attributes(planted, list(Q.by_key), pipeline.fact_reads())
    assert _same_criterion(uses) == {"physical_hosts": ["cost.licence_per_host", "cost.overhead_pct"]}


def test_each_evidence_item_backs_exactly_one_consequence_rule() -> None:
    backs = evidence_rules(PACK)
    assert backs
    assert all(len(rules) == 1 for rules in backs.values()), {e: r for e, r in backs.items() if len(r) > 1}


def test_a_planted_double_use_of_an_answer_fails(tmp_path: Path) -> None:
    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    path = pack / "consequences" / "bm-overhead.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count("(100 * max(clusters, edge_sites) / physical_hosts\n") == 3
    path.write_text(text.replace("(100 * max(clusters, edge_sites) / physical_hosts\n",
                                 "(100 * max(clusters, edge_sites) / physical_hosts + 0.01 * microservices_per_host\n"),
                    encoding="utf-8")
    uses = _uses(pipeline.load_decision_pack([pack], questionnaire=Q))
    assert _unargued(uses) == {"microservices_per_host": ["cost.overhead_pct", "resilience.failure_loss"]}
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
