"""The decision engine's parts: value functions, sampling, the format-2 loader, outcomes, the pack's own tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from advisor import pipeline
from advisor.decide import decide, sampling
from advisor.decide.text import render
from advisor.decide.values import ValueFunction
from advisor.errors import DataError

Q = pipeline.load_questionnaire()
PACK = pipeline.load_decision_pack(questionnaire=Q)


# --------------------------------------------------------------------------- values and sampling

def test_value_functions_are_monotone_and_extend_their_end_pieces() -> None:
    v = ValueFunction.from_anchors([(0, 1), (10, 0.5), (30, 0)])
    assert [v(x) for x in (0, 5, 10, 20, 30)] == [1, 0.75, 0.5, 0.25, 0]
    assert v(40) == pytest.approx(-0.25) and v.many([40, 5]) == [pytest.approx(-0.25), 0.75]
    for bad in ([(0, 0), (1, 1), (2, 0.5)], [(0, 1), (0, 0)], [(0, 1.5), (1, 0)]):
        with pytest.raises(ValueError):
            ValueFunction.from_anchors(bad)


def test_streams_are_reproducible_stratified_and_draws_monotone() -> None:
    a, b = sampling.stream(5, "x", 64), sampling.stream(5, "x", 64)
    assert a == b and a != sampling.stream(6, "x", 64)
    assert sorted(int(u * 64) for u in a) == list(range(64))  # one draw per stratum
    low = sampling.triangular(1, 2, 3, a)
    high = sampling.triangular(1, 2.5, 4, a)
    assert all(x <= y for x, y in zip(low, high, strict=True))
    assert all(1 <= x <= 3 for x in low)


def test_rule_text_carries_the_users_numbers_with_units() -> None:
    text = render("p99 SLO {latency_p99_ms}: {physical_hosts}, {nope}", {"latency_p99_ms": 0.08,
                                                                                 "physical_hosts": 1200},
                  {"latency_p99_ms": "ms", "physical_hosts": "hosts"})
    assert text == "p99 SLO 0.08 ms: 1,200 hosts, nope unknown"


# --------------------------------------------------------------------------- the loader

def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "pack"
    shutil.copytree(pipeline.DECISION_PACK_DIR, root)
    return root


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _problems(root: Path) -> str:
    with pytest.raises(DataError) as exc:
        pipeline.load_decision_pack(root, Q)
    return exc.value.format()


def test_loader_refuses_weights_that_do_not_sum_to_one(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "pack.yaml", "weight: 0.5\n", "weight: 0.6\n")
    assert "sum to 1.1, not 1" in _problems(root)


def test_loader_refuses_a_non_monotone_value_function(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "pack.yaml", "value: [[0, 1], [100, 0]]", "value: [[0, 1], [50, 0], [100, 1]]")
    out = _problems(root)
    assert "pack.yaml:" in out and "monotone" in out


def test_loader_refuses_a_configuration_of_the_other_option(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "consequences" / "vm-operations.yaml", "config.runtime == 'gvisor'", "config.kubevirt == 'kubevirt'")
    assert "config.kubevirt is not a configuration of vm" in _problems(root)


def test_loader_refuses_evidence_backing_two_estimates(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "consequences" / "vm-tail-latency.yaml", "[whiteaker2011-noisy-neighbour-rtt]",
          "[felter2014-fio-random-io]")
    out = _problems(root)
    assert "evidence 'felter2014-fio-random-io' backs two consequence estimates" in out


def test_loader_checks_ids_against_the_evidence_catalogue(tmp_path: Path) -> None:
    from advisor.decide import load_pack
    from advisor.rules.evidence import Catalogue, load_catalogue

    full = load_catalogue(pipeline.DECISION_PACK_DIR / "evidence.yaml")
    one = Catalogue(full.file, tuple(i for i in full if i.id == "felter2014-fio-random-io"),
                    {"felter2014-fio-random-io": full.locations["felter2014-fio-random-io"]})
    with pytest.raises(DataError) as exc:
        load_pack(pipeline.DECISION_PACK_DIR, pipeline.fact_catalog(Q), evidence=one)
    assert "which is not in the catalogue" in exc.value.format()
    assert "cites 'felter2014-fio-random-io'" not in exc.value.format()


def test_loader_points_at_a_bad_expression(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "consequences" / "vm-licence.yaml", "value: vm_licence_per_host", "value: vm_licence_per_hots")
    out = _problems(root)
    assert "consequences/vm-licence.yaml:" in out and "did you mean 'vm_licence_per_host'" in out


def test_a_range_needs_evidence(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "consequences" / "vm-tail-latency.yaml", "evidence: [whiteaker2011-noisy-neighbour-rtt]\n", "")
    assert "an estimate with a range needs its evidence" in _problems(root)


def test_two_estimates_of_one_attribute_are_refused_when_they_meet(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    _edit(root / "consequences" / "vm-throughput-storage.yaml", "when: workload_class == 'stateful-database'",
          "when: workload_class != 'hpc'")
    pack = pipeline.load_decision_pack(root, Q)
    with pytest.raises(DataError, match="both estimate performance.throughput_ratio"):
        decide(pack, pipeline.decision_facts({}, Q))


# --------------------------------------------------------------------------- outcomes

def test_a_tie_is_its_own_outcome(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    for f in (root / "consequences").glob("*.yaml"):
        f.unlink()
    _edit(root / "consequences" / ".." / "pack.yaml", "samples: 256", "samples: 64")
    (root / "consequences" / "same.yaml").write_text(
        "id: same\nkind: consequence\ntitle: t\noption: vm\nattribute: cost.overhead_pct\n"
        "estimate: {value: 0}\nrationale: r\ncases: [{name: c, answers: {}, expect: fires}]\n", encoding="utf-8")
    pack = pipeline.load_decision_pack(root, Q)
    d = decide(pack, pipeline.decision_facts({}, Q))
    assert (d.outcome, d.recommendation) == ("tie", None)
    assert d.sentence.startswith("Tie: neither option is better")


def test_a_measurement_replaces_the_prior_and_an_inconclusive_one_narrows_nothing() -> None:
    answers = {"workload_class": "stateful-database", "latency_p99_ms": 10}
    prior = pipeline.decide_profile(answers, PACK, questionnaire=Q, seed=3)
    measured = {"measured.disk.ratio": 0.98, "measured.disk.ci_low": 0.96, "measured.disk.ci_high": 1.0}
    narrowed = pipeline.decide_profile(answers, PACK, questionnaire=Q, seed=3,
                                       measured={**measured, "measured.disk.verdict": "equivalent"})
    same = pipeline.decide_profile(answers, PACK, questionnaire=Q, seed=3,
                                   measured={**measured, "measured.disk.verdict": "inconclusive"})

    def row(d: Any) -> Any:
        perf = next(c for c in d.criteria if c.criterion == "performance")
        return next(a for a in perf.attributes["vm"] if a.attribute == "performance.throughput_ratio")

    assert (row(narrowed).source, row(narrowed).low, row(narrowed).high) == ("measured", 0.96, 1.0)
    assert row(same) == row(prior) and row(prior).source == "prior"
    assert "disk" not in {p.probe for p in narrowed.probes}


def test_the_json_is_deterministic_and_names_no_confidence() -> None:
    a = pipeline.decide_profile({"latency_p99_ms": 5}, PACK, questionnaire=Q)
    b = pipeline.decide_profile({"latency_p99_ms": 5}, PACK, questionnaire=Q)
    assert a.to_json() == b.to_json()
    data = json.loads(a.to_json())
    assert data["outcome"] in ("recommend", "tie", "one-ruled-out", "both-ruled-out", "measure-first")
    assert "confidence" not in a.to_json()
    assert 0 <= data["uncertainty"]["p_bare_metal_better"] <= 1


def test_the_recommendation_names_its_configuration() -> None:
    d = pipeline.decide_profile({"workload_class": "ci-build", "runs_untrusted_code": True,
                                 "tenant_count": 1}, PACK, questionnaire=Q)
    assert d.configuration is not None and ("Kata" in d.configuration or "gVisor" in d.configuration)
    assert d.sentence.lower().startswith(d.configuration.lower())


# --------------------------------------------------------------------------- the pack's own tests

# The pack's rule cases, archetypes and coverage run once, through `advisor rules test` (test_rules_cli.py).


def test_every_archetype_cites_evidence_and_argues_its_expectation() -> None:
    for case in PACK.cases:
        assert case.model.citation and len(case.model.reason.split()) >= 12, case.file


ESTATE = ("existing_virtualization", "virtualization_expertise")


#: questions asked only given the platform run today: their answers decide, not the estate itself
ESTATE_QUESTIONS = {q.key for q in Q.questions if q.when is not None and "existing_virtualization" in str(q.when)}


@pytest.mark.parametrize("case", [c for c in PACK.cases if c.model.answers.get("existing_virtualization")
                                  not in (None, "none", "public-cloud")
                                  and not ESTATE_QUESTIONS & set(c.model.answers)],
                         ids=lambda c: Path(c.file).stem)
def test_an_existing_estate_alone_never_decides(case: Any) -> None:
    with_estate = pipeline.decide_profile(case.model.answers, PACK, questionnaire=Q)
    neutral = pipeline.decide_profile({k: v for k, v in case.model.answers.items() if k not in ESTATE}, PACK,
                                      questionnaire=Q)
    assert with_estate.recommendation == neutral.recommendation, (with_estate.sentence, neutral.sentence)


def test_the_worked_example_of_docs_scoring_md_is_what_the_engine_says() -> None:
    source = (Path(__file__).resolve().parent.parent / "docs" / "scoring.md").read_text(encoding="utf-8")
    snippet = source.split("```python\n", 1)[1].split("```", 1)[0]
    text = " ".join(source.split())
    scope: dict[str, Any] = {}
    exec(compile(snippet.replace("print(d.sentence)", ""), "docs/scoring.md", "exec"), scope)
    d = scope["d"]
    assert d.outcome == "recommend" and d.recommendation == "bare-metal"
    assert f"P = {d.uncertainty.p_bare_metal_better:.3f}" in text
    low, high = d.uncertainty.interval80
    assert f"{low:+.2f} to {high:+.2f}" in text
    words = " ".join(d.uncertainty.rests_on)
    for figure in ("2.4% (0.6 to 6.4%)", "0.97x (0.9 to 1x)", "bare metal 2.22 services", "VM-backed 0.185 services",
                   "6,400 per host-year"):
        assert figure in words or figure.replace("x", " x") in words, figure
    assert "12 of 24 bare-metal configurations" in text and d.options["bare-metal"].feasible_configurations == 12


def test_the_generated_pack_reference_is_current_and_the_docs_pass_markdownlint() -> None:
    import shutil
    import subprocess

    from advisor.decide.reference import pack_markdown

    root = Path(__file__).resolve().parent.parent
    assert (root / "docs" / "decision-pack.md").read_text(encoding="utf-8") == pack_markdown(PACK), (
        "docs/decision-pack.md is out of date; run: python scripts/gen_docs.py")
    cli = root / ".ci" / "node" / "node_modules" / "markdownlint-cli2" / "markdownlint-cli2-bin.mjs"
    if shutil.which("node") is None or not cli.exists():
        pytest.skip("markdownlint-cli2 is not installed: run 'npm ci --prefix .ci/node' (.ci/run does)")
    proc = subprocess.run(["node", str(cli), "docs/scoring.md", "docs/scoring-details.md", "docs/decision-pack.md"],
                          cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
