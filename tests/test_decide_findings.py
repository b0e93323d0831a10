"""The eight findings of the expert review (issue "Decision engine v2"), one regression test each.

Each test checks the property on the decision engine (the share-of-rule-mass scoring that
broke them is gone with the format-1 pack).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor import measuring, pipeline, render
from advisor.decide import Decision
from advisor.decide.loader import Consequence

Q = pipeline.load_questionnaire()
PACK = pipeline.load_decision_pack(questionnaire=Q)

CPU_SLOWER = {"measured.cpu.ratio": 0.85, "measured.cpu.ci_low": 0.83, "measured.cpu.ci_high": 0.87,
              "measured.cpu.verdict": "slower"}
CPU_PARITY = {"measured.cpu.ratio": 1.0, "measured.cpu.ci_low": 0.99, "measured.cpu.ci_high": 1.01,
              "measured.cpu.verdict": "equivalent", "measured.memory.ratio": 1.0, "measured.memory.ci_low": 0.99,
              "measured.memory.ci_high": 1.01, "measured.memory.verdict": "equivalent"}


def new(answers: dict[str, Any], measured: dict[str, Any] | None = None) -> Decision:
    return pipeline.decide_profile(answers, PACK, questionnaire=Q, measured=measured, seed=7)


def p(d: Decision) -> float:
    assert d.uncertainty is not None, d.sentence
    return d.uncertainty.p_bare_metal_better


# 1. share of fired rule mass: priorities of criteria where nothing fired did nothing

def test_1_every_priority_moves_the_result_at_the_defaults() -> None:
    base = new({})
    for c in ("performance", "isolation", "operations", "resilience", "cost"):
        raised = new({f"priority_{c}": 5})
        assert raised.uncertainty is not None and base.uncertainty is not None
        assert raised.uncertainty.expected_difference != base.uncertainty.expected_difference, c


# 2. margin, close and confidence: one weak rule gave "margin 1.00, not close"

ESTATE_ONLY = {"existing_virtualization": "vsphere", "physical_hosts": 100, "latency_p99_ms": 20}


def test_2_a_probability_with_an_interval_and_a_measurement_narrows() -> None:
    before = new(ESTATE_ONLY)
    assert before.uncertainty is not None
    low, high = before.uncertainty.interval80
    assert low <= before.uncertainty.expected_difference <= high
    assert "confidence" not in before.to_json()
    assert "cpu" in {pr.probe for pr in before.probes}
    after = new(ESTATE_ONLY, CPU_SLOWER)  # a slower VM CPU measured: the result moves toward bare metal
    assert p(after) >= p(before)
    if after.recommendation != before.recommendation:
        assert before.uncertainty.close  # whatever a measurement can flip is reported as close


# 3. hard requirements traded against conveniences

TRADING = {"workload_class": "trading", "latency_p99_ms": 0.08, "jitter_sensitive": True,
           "existing_virtualization": "vsphere", "virtualization_expertise": "high",
           "bare_metal_automation": "none"}


def test_3_a_microsecond_slo_is_a_constraint_not_a_weight() -> None:
    d = new(TRADING)
    assert d.recommendation == "bare-metal" or d.outcome == "measure-first"
    vm = d.options["vm"]
    assert vm.status in ("feasible-if", "infeasible")
    assert "virtio" not in vm.configuration.replace("vm/", "") or vm.status == "infeasible"
    assert any(c.rule_id == "microsecond-slo-vm" for c in d.constraints)


def test_3_no_cliff_at_one_millisecond_and_infeasible_fleets_are_not_scored() -> None:
    a, b = new({"latency_p99_ms": 1.0, **ESTATE_ONLY}), new({"latency_p99_ms": 0.99, **ESTATE_ONLY})
    assert abs(p(a) - p(b)) < 0.05
    d = new({"clusters": 200, "physical_hosts": 20})
    assert d.options["bare-metal"].status == "infeasible" and d.outcome == "one-ruled-out"


# 4. one fact counted several times

def _reads(rule: Consequence, name: str) -> bool:
    derived = {d.name: d.expr.names for d in PACK.derived}
    names = set(rule.names)
    for n in list(names):
        names |= derived.get(n, frozenset())
    return name in names


def test_4_the_slo_enters_one_estimate_per_option_and_evidence_backs_one_estimate() -> None:
    readers = [r for r in PACK.consequences if _reads(r, "latency_p99_ms")]
    assert {r.attribute.key for r in readers} == {"performance.latency_share"}
    assert sorted(r.rule.option for r in readers) == ["bare-metal", "vm"]
    used: dict[str, str] = {}
    for r in PACK.consequences:
        for item in r.rule.evidence:
            assert used.setdefault(item, r.id) == r.id, f"{item} backs {used[item]} and {r.id}"


# 5. parity scored as a VM advantage

def test_5_measured_parity_cancels_the_prior_and_adds_nothing() -> None:
    d = new({}, CPU_PARITY)
    perf = next(c for c in d.criteria if c.criterion == "performance")
    rows = {o: {a.attribute: a for a in perf.attributes[o]} for o in perf.attributes}
    vm, bm = rows["vm"]["performance.throughput_ratio"], rows["bare-metal"]["performance.throughput_ratio"]
    assert vm.source == "measured" and vm.value <= bm.value  # parity is no VM advantage
    assert p(d) <= p(new({}))  # it removes the prior bare-metal claim


# 6. isolation credited to VM nodes that do not isolate

SAAS = {"untrusted_tenants": True, "tenant_count": 500, "physical_hosts": 20}


def test_6_a_shared_vm_node_is_no_boundary() -> None:
    d = new(SAAS)
    for option in ("bare-metal", "vm"):
        chosen = d.options[option]
        if chosen.status != "infeasible":
            assert "runtime=" in chosen.configuration or "per-tenant" in chosen.configuration, chosen
    iso = next(c for c in new({}).criteria if c.criterion == "isolation")
    assert iso.contribution == 0  # 5 tenants per kernel on both at the defaults


# 7. the fault-domain rule was an artefact

def test_7_pods_per_host_move_the_result() -> None:
    values = [p(new({"microservices_per_host": m, "max_pods_per_node": 250})) for m in (5, 60, 150)]
    assert values[0] >= values[1] >= values[2] and values[0] > values[2]


def _blast(d: Decision) -> dict[str, float]:
    res = next(c for c in d.criteria if c.criterion == "resilience")
    return {o: next(a.mode for a in rows if a.attribute == "resilience.failure_loss")
            for o, rows in res.attributes.items()}


def test_7_the_kernel_blast_radius_reads_pods_per_host_and_replicas_not_replicas_over_hosts() -> None:
    """Bare metal's blast radius was replicas / hosts: pods per host did nothing and replicas moved it the wrong way."""
    base = _blast(new({}))
    denser, more_replicas = _blast(new({"microservices_per_host": 40})), _blast(new({"replicas_per_service": 6}))
    assert denser["bare-metal"] == pytest.approx(2 * base["bare-metal"])  # twice the pods on one kernel
    assert more_replicas["bare-metal"] == pytest.approx(base["bare-metal"] / 2)  # each pod half as much of its service
    assert base["bare-metal"] > base["vm"]  # a VM node kernel carries a quarter of the host
    # more replicas and a larger accepted blast radius: toward bare metal, all the way (a close 30-host fleet)
    replicas = [p(new({"replicas_per_service": r, "physical_hosts": 30})) for r in (1, 2, 3, 6)]
    assert replicas == sorted(replicas) and replicas[0] < replicas[-1]
    accepted = [p(new({"max_blast_radius_pct": a, "physical_hosts": 30})) for a in (0, 5, 10, 25, 50)]
    assert accepted == sorted(accepted) and accepted[0] < accepted[-1]
    hosts = [p(new({"physical_hosts": h})) for h in (10, 20, 40, 46, 50, 100)]
    assert hosts == sorted(hosts)


def test_7_a_host_failure_takes_all_its_vm_nodes() -> None:
    """On a physical host failure VM nodes are no better: only kernel failures and drains differ between the options."""
    one_vm = _blast(new({"vms_per_host": 1}))
    assert one_vm["bare-metal"] == pytest.approx(one_vm["vm"])  # one VM per host: the same blast radius


# 8. ties reported as knock-outs

def test_8_ties_and_knock_outs_are_distinct_outcomes() -> None:
    d = new({"gpu": "training"})
    assert d.outcome != "both-ruled-out"
    both = new({"workload_class": "ci-build", "runs_untrusted_code": True, "tenant_count": 1,
                "sandbox_runtime_acceptable": False})
    assert both.outcome == "both-ruled-out" and both.recommendation is None
    assert {c.option for c in both.constraints if c.kind in ("configuration", "infeasible")} == {"bare-metal", "vm"}
    assert "bare metal because" in both.sentence and "VM-backed because" in both.sentence


GPU = ("--set", "workload_name=trainer", "--set", "gpu=training", "--defaults")


def test_8_the_cli_claims_no_knock_out_it_does_not_have(advisor: Any) -> None:
    """``advisor assess --set gpu=training --defaults``: the terminal, the JSON and the record say what holds."""
    decided = new({"gpu": "training"})
    table = advisor("assess", *GPU, "--no-record")
    assert table.exit_code == 0, table.stderr
    as_json = json.loads(advisor("assess", *GPU, "--no-record", "--format", "json").stdout)
    assert as_json["outcome"] == decided.outcome != "both-ruled-out"
    assert "both ruled out" not in table.stdout.lower() and "Both options are ruled out" not in table.stdout
    assert "ruled out" not in table.stdout or any(
        o.status == "infeasible" for o in decided.options.values())
    recorded = advisor("assess", *GPU, "--records-dir", "records")
    assert recorded.exit_code == 0, recorded.stderr
    [md] = Path("records").glob("0001-*.md")
    body = render.body(md.read_text(encoding="utf-8"))
    assert "Both options are ruled out" not in body and "knock-out" not in body


def test_2_the_cli_never_says_confidence(advisor: Any) -> None:
    for args in (("--no-record",), ("--no-record", "--format", "json"), ("--records-dir", "records")):
        result = advisor("assess", "--set", "workload_name=api", "--set", "existing_virtualization=vsphere",
                         "--defaults", *args)
        assert result.exit_code == 0, result.stderr
        assert "confidence" not in result.stdout.lower()
    [md] = Path("records").glob("0001-*.md")
    assert "confidence" not in md.read_text(encoding="utf-8").lower()


@pytest.mark.parametrize("outcome", ["recommend", "one-ruled-out", "both-ruled-out", "measure-first"])
def test_each_outcome_has_its_own_sentence(outcome: str) -> None:
    profiles = {
        "recommend": {"existing_virtualization": "public-cloud"},
        "one-ruled-out": {"bare_metal_mandated": True},
        "both-ruled-out": {"workload_class": "ci-build", "runs_untrusted_code": True, "tenant_count": 1,
                           "sandbox_runtime_acceptable": False},
        "measure-first": {},
    }
    d = new(profiles[outcome])
    assert d.outcome == outcome
    first = {"recommend": "VM-backed", "one-ruled-out": "Bare metal", "both-ruled-out": "Both options are ruled out",
             "measure-first": "Measure first"}[outcome]
    assert d.sentence.startswith(first), d.sentence


def test_2_measure_auto_measures_what_could_flip_the_decision() -> None:
    """``--measure auto`` picks probes by the decision's value of information, not by rules that read them."""
    pack = pipeline.load_decision_pack()
    probes = ["cpu", "memory", "disk", "net", "jitter", "noisy"]
    first = pipeline.decide_profile({}, pack)
    assert first.outcome == "measure-first"
    flipping = {pr.probe for pr in first.probes if pr.can_flip}
    chosen = {p for p, why in measuring.probes_to_measure(first, probes, pack).items() if not why}
    assert flipping and chosen == flipping
    # an option feasible only if a measurement passes: that probe is measured
    trading = pipeline.decide_profile({"workload_class": "trading", "latency_p99_ms": 0.08}, pack)
    assert any(c.kind == "pending" for c in trading.constraints)
    assert measuring.probes_to_measure(trading, probes, pack)["net"] == ""
    # a constraint decided: no measurement can change it
    mandated = pipeline.decide_profile({"bare_metal_mandated": True}, pack)
    assert all(why for why in measuring.probes_to_measure(mandated, probes, pack).values())
    # the measured figure replaces the prior range of the consequence it measures: it narrows
    measured = pipeline.decide_profile({}, pack, measured=CPU_SLOWER)
    rows = {r.attribute: r for c in measured.criteria for r in c.attributes["vm"]}
    before = {r.attribute: r for c in first.criteria for r in c.attributes["vm"]}
    changed = [k for k, r in rows.items() if r.source == "measured"]
    assert changed
    for key in changed:
        assert rows[key].high - rows[key].low <= before[key].high - before[key].low
        assert rows[key].rule_id == before[key].rule_id  # the same consequence, not an added one


def test_the_probability_reads_the_same_in_the_terminal_the_json_and_the_record(advisor: Any) -> None:
    """One wording (advisor.decide.text.share): the figure only between 1 % and 99 %, never "100 %" or "0 %"."""
    from advisor.decide.text import share

    assert [share(x) for x in (0.0, 0.005, 0.0051, 0.5, 0.994, 0.995, 1.0)] == [
        "under 1 %", "under 1 %", "1 %", "50 %", "99 %", "over 99 %", "over 99 %"]
    hft = Path(__file__).resolve().parent.parent / "docs" / "examples" / "profiles" / "hft-matching-engine.profile.yaml"
    args = ("--profile", str(hft), "--defaults")
    table = advisor("assess", *args, "--no-record")
    assert table.exit_code == 0, table.stderr
    as_json = json.loads(advisor("assess", *args, "--no-record", "--format", "json").stdout)
    assert as_json["uncertainty"]["p_bare_metal_better"] >= 0.995
    recorded = advisor("assess", *args, "--records-dir", "records")
    assert recorded.exit_code == 0, recorded.stderr
    [md] = Path("records").glob("0001-*.md")
    for text in (table.stdout, as_json["sentence"], md.read_text(encoding="utf-8")):
        assert "over 99 %" in text, text[:400]
        assert "100 %" not in text and "100%" not in text, text[:400]
