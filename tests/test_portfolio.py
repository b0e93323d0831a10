"""``advisor portfolio``: inventories (YAML, CSV), records, the summary and the consistency check."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from advisor import pipeline
from advisor import portfolio as core
from advisor.errors import Location
from advisor.portfolio import summary as summary_module

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
NODE_DIR = ROOT / ".ci" / "node"

BATCH = {"workload_name": "batch", "workload_class": "data-processing", "latency_p99_ms": 5000,
         "tenant_count": 1}


def _copy_examples(tmp_path: Path) -> None:
    shutil.copytree(EXAMPLES / "profiles", tmp_path / "profiles")
    shutil.copy(EXAMPLES / "portfolio.yaml", tmp_path / "portfolio.yaml")
    shutil.copy(EXAMPLES / "portfolio.csv", tmp_path / "portfolio.csv")


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _summary(tmp_path: Path, folder: str = "reports") -> dict:
    return json.loads((tmp_path / folder / "portfolio-summary.json").read_text(encoding="utf-8"))


def _decided(inventory: Path, questionnaire) -> dict[str, core.Outcome]:
    """Each workload's outcome, decided on its own with the bundled format-2 pack."""
    pack = pipeline.load_decision_pack(questionnaire=questionnaire)
    inv = core.load_inventory(inventory, questionnaire, display=inventory.name)
    return {w.name: core.Outcome.of(pipeline.decide_profile({k: v for k, v in w.answers.items()
                                                             if k != "workload_name"}, pack,
                                                            questionnaire=questionnaire))
            for w in inv.workloads}


def _check_against(summary: dict, decided: dict[str, core.Outcome]) -> None:
    """The summary says what deciding each workload on its own says."""
    assert [w["name"] for w in summary["workloads"]] == list(decided)
    for row in summary["workloads"]:
        d = decided[row["name"]]
        assert (row["outcome"], row["recommendation"], row["configuration"], row["p_bare_metal"], row["close"]) == (
            d.outcome, d.recommendation, d.configuration, d.p_bare_metal, d.close), row["name"]
    counts = {"bare-metal": 0, "vm": 0, "none": 0}
    for d in decided.values():
        counts[d.recommendation] += 1
    assert summary["counts"] == counts
    assert sum(summary["outcomes"].values()) == len(decided)
    assert [c["workload"] for c in summary["close_calls"]] == [
        n for n, d in decided.items() if d.close or d.outcome == "measure-first"]
    assert [(r["workload"], r["option"]) for r in summary["ruled_out"]] == [
        (n, r.option) for n, d in decided.items() for r in d.ruled_out]


# ----------------------------------------------------------------- YAML and CSV inventories


def test_yaml_inventory_writes_one_record_per_workload_and_the_summary(advisor, tmp_path, questionnaire):
    _copy_examples(tmp_path)
    result = advisor("portfolio", "portfolio.yaml", "--date", "2026-11-28")
    assert result.exit_code == 0, result.stderr
    records = sorted(p.name for p in (tmp_path / "reports").glob("0*.md"))
    assert len(records) == 6
    assert len(list((tmp_path / "reports").glob("0*.json"))) == 6
    summary = _summary(tmp_path)
    assert summary["workload_count"] == 6
    names = [w["name"] for w in summary["workloads"]]
    assert names == ["payments-api", "hft-matching", "saas-platform", "edge-retail-site-large", "batch-reporting",
                     "batch-reporting-mandated"]
    _check_against(summary, _decided(tmp_path / "portfolio.yaml", questionnaire))
    assert [w["record"] for w in summary["workloads"]] == records
    mandated = [r for r in summary["ruled_out"] if r["workload"] == "batch-reporting-mandated"]
    assert mandated == [{"workload": "batch-reporting-mandated", "option": "vm", "rules": ["written-mandate"],
                         "reason": "a written mandate requires bare-metal nodes"}]
    assert summary["records_dir"] == "reports"
    # a pure profile reference keeps the profile's own hash and regenerate command; an inline workload points here
    payments = json.loads(next((tmp_path / "reports").glob("0001-*.json")).read_text())
    assert payments["profile"]["path"] == "profiles/payments-api.profile.yaml"
    assert payments["command"].startswith("advisor assess --profile profiles/payments-api.profile.yaml")
    batch = json.loads(next((tmp_path / "reports").glob("0005-*.json")).read_text())
    assert batch["command"] == "advisor portfolio portfolio.yaml --date 2026-11-28"
    assert batch["profile"]["answers"]["physical_hosts"] == 40  # from the inventory's defaults
    assert "Summary written to reports/portfolio-summary.md (and .json)" in result.stderr
    assert "assessed 6 workloads in" in result.stderr
    assert f"close calls                      {len(summary['close_calls'])}" in result.stdout


def test_inventory_defaults_yield_to_profile_and_workload_answers(tmp_path, questionnaire):
    _copy_examples(tmp_path)
    inv = core.load_inventory(tmp_path / "portfolio.yaml", questionnaire, display="portfolio.yaml")
    by_name = {w.name: w for w in inv.workloads}
    edge = by_name["edge-retail-site-large"]
    assert edge.answers["hosts_per_site"] == 5
    assert edge.profile_path is None  # changed answers: not the profile file any more
    assert by_name["batch-reporting"].answers["physical_hosts"] == 40
    assert by_name["batch-reporting"].location.line == 18


def test_csv_inventory_parses_cells_like_typed_answers(advisor, tmp_path, questionnaire):
    _copy_examples(tmp_path)
    inv = core.load_inventory(tmp_path / "portfolio.csv", questionnaire, display="portfolio.csv")
    by_name = {w.name: w for w in inv.workloads}
    assert by_name["regulated-ledger"].answers["compliance"] == ["pci-dss", "soc2"]  # quoted comma list
    assert by_name["regulated-archive"].answers["compliance"] == ["pci-dss", "gdpr"]  # ';'-separated
    assert by_name["batch-reporting-mandated"].answers["bare_metal_mandated"] is True
    assert by_name["batch-reporting"].answers["latency_p99_ms"] == 5000.0
    assert by_name["payments-api"].profile_path is not None
    assert by_name["regulated-archive"].location.line == 6
    result = advisor("portfolio", "portfolio.csv", "--summary-only", "--output-dir", "out", "--format", "json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary == _summary(tmp_path, "out")
    assert summary["workload_count"] == 5
    _check_against(summary, _decided(tmp_path / "portfolio.csv", questionnaire))


def test_summary_only_writes_no_records_and_skips_tipping_points(advisor, tmp_path):
    _copy_examples(tmp_path)
    result = advisor("portfolio", "portfolio.yaml", "--summary-only", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["portfolio-summary.json",
                                                                         "portfolio-summary.md"]
    summary = _summary(tmp_path)
    assert summary["records_dir"] is None
    assert all(w["record"] is None for w in summary["workloads"])
    assert "assessed" not in result.stderr  # --quiet: no progress


def test_summary_is_never_overwritten_silently_and_is_deterministic(advisor, tmp_path):
    _copy_examples(tmp_path)
    assert advisor("portfolio", "portfolio.yaml", "--summary-only", "--date", "2026-11-28").exit_code == 0
    first = (tmp_path / "reports" / "portfolio-summary.json").read_bytes()
    again = advisor("portfolio", "portfolio.yaml", "--summary-only", "--date", "2026-11-28")
    assert again.exit_code == 1
    assert again.stderr.splitlines()[0] == (
        "reports/portfolio-summary.md: file already exists; use --force to replace it, or choose another --output-dir")
    forced = advisor("portfolio", "portfolio.yaml", "--summary-only", "--date", "2026-11-28", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert (tmp_path / "reports" / "portfolio-summary.json").read_bytes() == first


# ----------------------------------------------------------------- the consistency check


def test_near_identical_profiles_with_different_results_are_flagged(advisor, tmp_path, questionnaire):
    _write(tmp_path / "inv.yaml", f"""advisor_portfolio: 1
defaults: {json.dumps({k: v for k, v in BATCH.items() if k != "workload_name"})}
workloads:
  - answers: {{workload_name: a}}
  - answers: {{workload_name: b, bare_metal_mandated: true}}
  - answers: {{workload_name: far, workload_class: trading, latency_p99_ms: 0.05, jitter_sensitive: true,
               special_networking: [sr-iov, dpdk], untrusted_tenants: true, physical_hosts: 500}}
""")
    result = advisor("portfolio", "inv.yaml", "--summary-only")
    assert result.exit_code == 0, result.stderr
    flags = _summary(tmp_path)["consistency"]
    # one differing yes/no answer adds 1/K, K = the questions compared (every one but free text)
    k = sum(1 for q in questionnaire.questions if q.type != "str")
    assert flags == [{"workloads": ["a", "b"], "distance": round(1 / k, 4), "recommendations": ["vm", "bare-metal"],
                      "differences": [{"key": "bare_metal_mandated", "a": "no", "b": "yes"}]}]
    assert f"flag: a / b (distance {1 / k:.3f}) differ in bare_metal_mandated" in result.stdout
    md = (tmp_path / "reports" / "portfolio-summary.md").read_text()
    row = f"| a          | b          | {1 / k:.3f}      | VM-backed / bare metal | bare\\_metal\\_mandated: no / yes |"
    assert row in md
    # a threshold below the pair's distance: no flag
    tight = advisor("portfolio", "inv.yaml", "--summary-only", "--output-dir", "tight",
                   "--similarity", f"{0.9 / k:.4f}")
    assert tight.exit_code == 0, tight.stderr
    assert _summary(tmp_path, "tight")["consistency"] == []


def test_far_apart_profiles_are_not_flagged_even_when_results_differ(questionnaire):
    pack = pipeline.load_decision_pack(questionnaire=questionnaire)
    inv = core.Inventory("x", [
        core.Workload("web", dict(BATCH, workload_name="web"), Location("x", 1, 1)),
        core.Workload("hft", {"workload_name": "hft", "workload_class": "trading", "latency_p99_ms": 0.05,
                              "jitter_sensitive": True, "special_networking": ["sr-iov", "dpdk"],
                              "noisy_neighbor_sensitivity": "high", "physical_hosts": 12, "bare_metal_mandated": True},
                      Location("x", 2, 1)),
    ])
    entries = core.assess_all(inv, pack, questionnaire)
    assert {e.result.recommendation for e in entries} == {"vm", "bare-metal"}
    d = core.distance(entries[0].values, entries[1].values, questionnaire)
    assert d > 0.1
    assert core.consistency(entries, questionnaire, 0.05) == []
    assert len(core.consistency(entries, questionnaire, d + 0.01)) == 1  # found once the threshold allows it


def _brute_nearest(entries, questionnaire, threshold):
    """Each workload's nearest workload with another recommendation, by comparing every pair."""
    out = {}
    for a in entries:
        dists = [core.distance(a.values, b.values, questionnaire) for b in entries]
        others = [d for j, d in enumerate(dists) if entries[j].result.recommendation != a.result.recommendation]
        if others and min(others) < threshold:
            out[a.workload.name] = round(min(others), 4)
    return out


def test_bucketed_consistency_check_finds_every_nearest_pair(questionnaire):
    """The bounded search finds, for every workload, a partner as near as a comparison of every pair finds."""
    import random

    pack = pipeline.load_decision_pack(questionnaire=questionnaire)
    rng = random.Random(7)
    workloads = []
    for i in range(60):
        answers = {"workload_name": f"w{i}", "bare_metal_mandated": rng.random() < 0.3,
                   "tenant_count": rng.choice([1, 5]), "jitter_sensitive": rng.random() < 0.3,
                   "latency_p99_ms": rng.choice([1, 2, 200, 201, 205]), "gpu": rng.choice(["none", "inference"]),
                   "physical_hosts": rng.choice([20, 21, 25])}
        workloads.append(core.Workload(f"w{i}", answers, Location("x", i + 1, 1)))
    entries = core.assess_all(core.Inventory("x", workloads), pack, questionnaire)
    for threshold in (0.03, 0.06, 0.1):
        brute = _brute_nearest(entries, questionnaire, threshold)
        flags = core.consistency(entries, questionnaire, threshold)
        found: dict[str, float] = {}
        for f in flags:
            assert f.recommendations[0] != f.recommendations[1]
            assert f.distance <= threshold  # below it, rounded to 4 decimals
            for name in (f.a, f.b):
                found[name] = min(found.get(name, 1.0), f.distance)
        assert {k: v for k, v in found.items() if k in brute} == brute, threshold
        assert set(brute) <= set(found)
        assert len(flags) <= len(entries)
        assert found or threshold < 0.05


def test_near_identical_workloads_give_at_most_one_pair_each_and_a_capped_summary(questionnaire, tmp_path):
    """2,000 near-identical workloads in two camps: no quadratic pair list, a bounded summary."""
    pack = pipeline.load_decision_pack(questionnaire=questionnaire)
    workloads = [core.Workload(f"w{i}", {"workload_name": f"w{i}", "bare_metal_mandated": i % 2 == 0,
                                         "latency_p99_ms": 100 + i % 7}, Location("x", i + 1, 1))
                 for i in range(2000)]
    inv = core.Inventory("x", workloads)
    entries = core.assess_all(inv, pack, questionnaire)
    flags = core.consistency(entries, questionnaire, 0.05)
    assert len(entries) // 2 <= len(flags) <= len(entries)
    summary = core.summarize(inv, entries, flags, date="2026-11-28", threshold=0.05, questionnaire=questionnaire)
    assert len(summary["consistency"]) == core.MAX_FLAGS
    assert summary["consistency_omitted"] == len(flags) - core.MAX_FLAGS
    assert f"{len(flags) - core.MAX_FLAGS} more pairs not shown" in core.to_markdown(summary)


def test_large_tables_are_laid_out_as_tabulate_does():
    from tabulate import tabulate

    rows = [[f"w{i}" * (i % 7 + 1), "VM-backed" if i % 3 else "bare metal", f"{i / 7:.2f}", " "] for i in range(450)]
    headers = ["workload", "recommendation", "margin", "close"]
    expected = tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)
    assert summary_module._table(rows, headers) == expected


@pytest.mark.slow
def test_parallel_run_writes_the_same_bytes_as_a_serial_run(advisor, tmp_path, monkeypatch):
    rows = ["workload_name,workload_class,latency_p99_ms,bare_metal_mandated,physical_hosts"]
    classes = ["web-services", "trading", "ml-training", "edge"]
    for i in range(16):  # every class, SLO and mandate, more workloads than the jobs: results arrive out of order
        rows.append(f"w{i},{classes[i % 4]},{[1, 5, 200][i % 3]},{'yes' if i % 5 == 0 else 'no'},{10 + i % 9}")
    outputs = {}
    for jobs in ("1", "2"):
        run_dir = tmp_path / f"run{jobs}"
        run_dir.mkdir()
        _write(run_dir / "inv.csv", "\n".join(rows) + "\n")
        monkeypatch.chdir(run_dir)
        summary = advisor("portfolio", "inv.csv", "--summary-only", "--output-dir", "summary", "--jobs", jobs,
                          "--date", "2026-11-28")
        assert summary.exit_code == 0, summary.stderr
        assert "assessed 16 workloads" in summary.stderr
        records = advisor("portfolio", "inv.csv", "--jobs", jobs, "--date", "2026-11-28", "--quiet")
        assert records.exit_code == 0, records.stderr
        files = {str(p.relative_to(run_dir)): p.read_bytes() for p in sorted(run_dir.rglob("*")) if p.is_file()}
        outputs[jobs] = (summary.stdout, records.stdout, files)
    assert len(outputs["1"][2]) == 1 + 2 + 16 * 2 + 2  # inventory, summary, records, records' summary
    assert outputs["1"] == outputs["2"]


# ----------------------------------------------------------------- bad inventories


def test_every_problem_of_a_yaml_inventory_is_reported_before_anything_is_written(advisor, tmp_path):
    shutil.copytree(EXAMPLES / "profiles", tmp_path / "profiles")
    _write(tmp_path / "bad.yaml", """advisor_portfolio: 1
workloads:
  - answers:
      workload_name: a
      latency_p99: 5
  - answers:
      workload_name: b
      workload_class: shared
  - answers:
      workload_name: a
  - profile: profiles/nope.profile.yaml
""")
    result = advisor("portfolio", "bad.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "bad.yaml:5:7: unknown question key 'latency_p99'; did you mean 'latency_p99_ms'?",
        "bad.yaml:8:23: workload_class: 'shared' is not a choice; choose one of 'web-services', 'data-processing', "
        "'ml-training', 'ml-inference', 'trading', 'telco-cnf', 'hpc', 'ci-build', 'edge', 'stateful-database'",
        "bad.yaml:9:5: duplicate workload name 'a' (lines 3 and 9); give each workload its own workload_name",
        "bad.yaml:11:14: profile file 'profiles/nope.profile.yaml' not found; "
        "give a path relative to the inventory file",
    ]
    assert result.stdout == ""
    assert not (tmp_path / "reports").exists()


def test_every_problem_of_a_csv_inventory_is_reported_with_row_and_column(advisor, tmp_path):
    _write(tmp_path / "bad.csv", "workload_name,tenant_cont,latency_p99_ms,compliance\n"
                                 "a,multi-team,fast,pci-dss\n"
                                 "b,multi-team,5,\"pci-dss,nope\"\n"
                                 "a,multi-team,5,none\n")
    result = advisor("portfolio", "bad.csv", "--summary-only")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "bad.csv:1:2: unknown question key 'tenant_cont'; did you mean 'tenant_count'?",
        "bad.csv:2:3: latency_p99_ms: expected a number, got 'fast'; give a number >= 0.001 and <= 3600000 ms",
        "bad.csv:3:4: compliance: 'nope' is not a choice; did you mean 'none'?",
        "bad.csv:4:1: duplicate workload name 'a' (lines 2 and 4); give each workload its own workload_name",
    ]
    assert not (tmp_path / "reports").exists()


def test_a_bad_referenced_profile_reports_its_own_file_and_line(advisor, tmp_path):
    (tmp_path / "p").mkdir()
    _write(tmp_path / "p" / "x.profile.yaml", "advisor_profile: 1\nquestionnaire: {id: default, version: 1}\n"
                                              "answers:\n  workload_name: x\n  gpu: lots\n")
    _write(tmp_path / "inv.yaml", "advisor_portfolio: 1\nworkloads:\n  - profile: p/x.profile.yaml\n"
                                  "  - answers: {latency_p99_ms: 5}\n")
    result = advisor("portfolio", "inv.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "inv.yaml:4:5: workload_name: missing; every workload needs a unique workload_name",
        "p/x.profile.yaml:5:8: gpu: 'lots' is not a choice; choose one of 'none', 'inference', 'training', "
        "'training-multi-node'",
    ]


def test_the_inventory_format_itself_is_checked(advisor, tmp_path):
    _write(tmp_path / "inv.yaml", "advisor_portfolio: 2\nworkload:\n  - answers: {workload_name: a}\n")
    result = advisor("portfolio", "inv.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "inv.yaml:1:20: advisor_portfolio: 2 is not allowed; use one of 1",
        "inv.yaml:2:1: unknown key 'workload'; did you mean 'workloads'?",
    ]


# ----------------------------------------------------------------- markdownlint


def test_summary_passes_markdownlint(advisor, tmp_path):
    if shutil.which("node") is None:
        pytest.skip("node is not installed (CI installs it; see .ci/run)")
    cli = NODE_DIR / "node_modules" / "markdownlint-cli2" / "markdownlint-cli2-bin.mjs"
    if not cli.exists():
        pytest.skip(f"{cli.relative_to(ROOT)} is missing: run 'npm ci --prefix .ci/node' (.ci/run does)")
    _copy_examples(tmp_path)
    # odd characters in names, options ruled out, close calls and a consistency flag: every section filled
    _write(tmp_path / "inv.yaml", """advisor_portfolio: 1
workloads:
  - profile: profiles/payments-api.profile.yaml
  - answers: {workload_name: "a_b x", workload_class: data-processing, latency_p99_ms: 5000}
  - answers: {workload_name: "a_b.2", workload_class: data-processing, latency_p99_ms: 5000,
              bare_metal_mandated: true}
""")
    result = advisor("portfolio", "inv.yaml", "--summary-only")
    assert result.exit_code == 0, result.stderr
    summary = _summary(tmp_path)
    assert summary["close_calls"] and summary["ruled_out"] and summary["consistency"]
    target = tmp_path / "reports" / "portfolio-summary.md"
    proc = subprocess.run(["node", str(cli), "--config", str(ROOT / ".markdownlint-cli2.yaml"), str(target)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
