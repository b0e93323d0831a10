"""``advisor rules list|show|lint|test`` and ``advisor facts``: stdout, stderr and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor import pipeline
from advisor.cli import run
from advisor.rules.catalog import facts_markdown

ROOT = Path(__file__).resolve().parent.parent
BASE = "tests/data/rules/base"


@pytest.fixture(autouse=True)
def _in_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # relative fixture paths, and file names shown relative


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_list_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "rules", "list", "--rules", BASE)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["id", "criterion", "favours", "/", "knock-out", "weight", "grade"]
    assert lines[2].split() == ["licence", "cost", "bare-metal", "2", "field-report"]
    assert lines[4].split() == ["mandated", "-", "rules", "out", "vm", "-", "field-report"]
    assert err == "7 rules in base@1\n"


def test_list_json_with_layers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "rules", "list", "--rules", BASE, "--rules", "tests/data/rules/org", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["packs"] == "base@1+org@1"
    by_id = {r["id"]: r for r in data["rules"]}
    assert by_id["licence"]["enabled"] is False
    assert by_id["low-latency"]["pack"] == "org" and by_id["low-latency"]["weight"] == 5.0


def test_show_lists_test_cases_and_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "rules", "show", "net-slower", "--rules", BASE)
    assert code == 0
    assert out.startswith("net-slower: Measured network round trips are much slower on VMs\n")
    assert "  effect:    performance, favours bare-metal, weight 2 x measured-here 1 = 2\n" in out
    assert '    ok   fires         fired     {"latency_p99_ms": 5, "measured.net.ratio": 1.8}\n' in out
    assert '    ok   does_not_fire not-fired {"measured.net.ratio": 1.8}\n' in out


def test_show_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "rules", "show", "low-latncy", "--rules", BASE)
    assert (code, out) == (1, "")
    assert err == "advisor: no rule with id 'low-latncy' in base@1; did you mean 'low-latency'?\n"


def test_lint_ok_and_broken(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "rules", "lint", BASE)
    assert (code, out, err) == (0, "ok: base@1: 7 rules (1 knock-out), 2 cases\n", "")
    code, out, err = cli(capsys, "rules", "lint", "tests/data/rules/unknown-fact")
    assert (code, out) == (1, "")
    assert err == ("tests/data/rules/unknown-fact/perf/low-latency.yaml:4:7: unknown fact 'latency_p99'; "
                   "did you mean 'latency_p99_ms'?\n")


def test_test_passes_and_fails_with_exit_code_4(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, "rules", "test", BASE, "tests/data/rules/org")
    assert (code, out, err) == (0, "ok: 7 rules, 15 rule cases, 2 pack cases; 17 passed, 0 failed\n", "")
    code, out, err = cli(capsys, "rules", "test", "tests/data/rules/failing-tests")
    assert code == 4
    assert out == "FAILED: 3 rules, 7 rule cases, 1 pack cases; 5 passed, 4 failed\n"
    assert len(err.splitlines()) == 4
    assert err.startswith("tests/data/rules/failing-tests/perf/low-latency.yaml:20:7: rule 'low-latency' should")


def test_facts_formats(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "facts", "--format", "markdown")
    assert code == 0
    assert out == facts_markdown(pipeline.fact_catalog(pipeline.load_questionnaire()))
    code, out, _ = cli(capsys, "facts", "--format", "json", "--source", "derived")
    rows = json.loads(out)
    assert rows[0] == {"name": "upgrade_days_per_year", "type": "float", "choices": None, "source": "derived",
                       "description": "Days per year with a cluster upgrade in progress, summed over clusters"}
    code, out, _ = cli(capsys, "facts", "--source", "measured")
    assert code == 0 and "measured.net.p99_ratio" in out and "latency_p99_ms" not in out
