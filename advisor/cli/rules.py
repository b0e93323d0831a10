"""``advisor rules list|show|lint|test``: read, check and test rule packs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    complete_rule_ids,
    emit_json,
    format_option,
    load_questionnaire,
    questionnaire_option,
)

if TYPE_CHECKING:
    from advisor.rules.model import LoadedRule, Pack

_DIR = click.Path(file_okay=False, path_type=Path)


def _rules_option(func: Any) -> Any:
    return click.option(
        "--rules", "rule_dirs", multiple=True, type=_DIR, metavar="DIR",
        help="Rule pack folder; repeat to layer packs, later ones win (default: the bundled rules/).",
    )(func)


@click.group(context_settings=CONTEXT_SETTINGS)
def rules() -> None:
    """List, show, lint and test rule packs.

    A pack is a folder with pack.yaml and one rule per file in <area>/<rule-id>.yaml;
    see docs/writing-rules.md.
    """


def _effect(rule: LoadedRule) -> tuple[str, str]:
    model = rule.rule
    if model.effect is not None:
        return model.effect.criterion, model.effect.favours
    assert model.knock_out is not None
    return "-", f"rules out {model.knock_out.option}"


def _row(rule: LoadedRule) -> dict[str, Any]:
    criterion, effect = _effect(rule)
    return {
        "id": rule.id,
        "area": rule.area,
        "pack": rule.pack,
        "criterion": criterion,
        "effect": effect,
        "weight": rule.weight if rule.rule.effect is not None else None,
        "grade": rule.grade,
        "grade_factor": rule.grade_factor,
        "enabled": rule.enabled,
        "disabled_reason": rule.disabled,
        "title": rule.rule.title,
        "file": rule.file,
    }


def _weight(value: float) -> str:
    return f"{value:g}"


@rules.command("list", context_settings=CONTEXT_SETTINGS)
@_rules_option
@questionnaire_option
@format_option()
def list_rules(rule_dirs: tuple[Path, ...], questionnaire_path: Path | None, fmt: str) -> None:
    """List the rules of a pack.

    One line per rule: id, criterion, the option it favours (or rules out), weight
    after pack overrides, and its strongest evidence grade.
    """
    from advisor.pipeline import load_pack

    pack = load_pack(rule_dirs or None, load_questionnaire(questionnaire_path))
    rows = [_row(r) for r in pack.rules]
    if fmt == "json":
        emit_json({"packs": pack.name, "rules": rows}, sort_keys=True)
        return
    from tabulate import tabulate

    table = [
        [r["id"] + ("" if r["enabled"] else " (disabled)"), r["criterion"], r["effect"],
         "-" if r["weight"] is None else _weight(r["weight"]), r["grade"]]
        for r in rows
    ]
    console.out(tabulate(table, headers=["id", "criterion", "favours / knock-out", "weight", "grade"]))
    console.err(f"{len(rows)} rules in {pack.name}")


def _show(pack: Pack, rule: LoadedRule, cases: list[tuple[Any, Any]]) -> str:
    model = rule.rule
    width = 96
    lines = [f"{rule.id}: {model.title}", f"  file:      {rule.file} (pack {rule.pack}, area {rule.area})"]
    lines.append(f"  when:      {' '.join(model.when.split())}")
    if model.effect is not None:
        e = model.effect
        value = rule.weight * rule.grade_factor
        lines.append(f"  effect:    {e.criterion}, favours {e.favours}, weight {_weight(rule.weight)}"
                     f" x {rule.grade} {_weight(rule.grade_factor)} = {value:.4g}")
    else:
        assert model.knock_out is not None
        lines.append(f"  knock-out: rules out {model.knock_out.option}: {model.knock_out.reason}")
    lines.append("  status:    " + ("enabled" if rule.enabled else f"disabled: {rule.disabled}"))
    lines.append("  rationale:")
    lines += textwrap.wrap(" ".join(model.rationale.split()), width, initial_indent="    ", subsequent_indent="    ")
    lines.append("  evidence:")
    for i, ev in enumerate(model.evidence, 1):
        lines += textwrap.wrap(ev.source, width, initial_indent=f"    {i}. ", subsequent_indent="       ")
        if ev.url:
            lines.append(f"       {ev.url}")
        lines += textwrap.wrap(f"claim: {ev.claim}", width, initial_indent="       ", subsequent_indent="       ")
        lines.append(f"       grade: {ev.grade}")
    lines.append("  tests:")
    if not cases:
        lines.append("    (none)")
    for case, finding in cases:
        expected = "fires" if case.expect_fire else "does_not_fire"
        ok = _case_ok(case, finding)
        answers = json.dumps(dict(case.answers), sort_keys=True, ensure_ascii=False)
        lines.append(f"    {'ok  ' if ok else 'FAIL'} {expected:<13} {finding.outcome:<9} {answers}")
        lines.append(f"         {finding.explanation}")
    return "\n".join(lines)


@rules.command("show", context_settings=CONTEXT_SETTINGS)
@_rules_option
@questionnaire_option
@format_option()
@click.argument("rule_id", metavar="ID", shell_complete=complete_rule_ids)
def show_rule(rule_dirs: tuple[Path, ...], questionnaire_path: Path | None, fmt: str, rule_id: str) -> None:
    """Show one rule and how its test cases come out.

    Prints the condition, effect, rationale and evidence, then each test case with
    the rule's outcome for it (fired, not-fired, unknown) and the facts it read.
    """
    from advisor.pipeline import load_pack, rule_case_findings

    questionnaire = load_questionnaire(questionnaire_path)
    pack = load_pack(rule_dirs or None, questionnaire)
    rule = pack.rule(rule_id)
    cases = list(rule_case_findings(pack, rule_id, questionnaire))
    if fmt == "json":
        emit_json(_show_json(rule, cases))
    else:
        console.out(_show(pack, rule, cases))


def _case_ok(case: Any, finding: Any) -> bool:
    return (finding.outcome == "fired") is case.expect_fire and finding.outcome != "unknown"


def _show_json(rule: LoadedRule, cases: list[tuple[Any, Any]]) -> dict[str, Any]:
    model = rule.rule
    knock_out = f"rules out {model.knock_out.option}: {model.knock_out.reason}" if model.knock_out else None
    return {
        "rule": _row(rule), "when": " ".join(model.when.split()), "knock_out": knock_out,
        "rationale": " ".join(model.rationale.split()),
        "evidence": [{"source": ev.source, "url": ev.url, "claim": ev.claim, "grade": ev.grade}
                     for ev in model.evidence],
        "tests": [{"expect": "fires" if case.expect_fire else "does_not_fire", "outcome": finding.outcome,
                   "ok": _case_ok(case, finding), "answers": dict(case.answers), "explanation": finding.explanation}
                  for case, finding in cases],
    }


@rules.command("lint", context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@format_option()
@click.argument("dirs", nargs=-1, type=_DIR, metavar="[DIR]...")
def lint(questionnaire_path: Path | None, fmt: str, dirs: tuple[Path, ...]) -> None:
    """Check rule packs without running them.

    Checks the format, every condition against the facts, ids, evidence, and the
    answers of every test case. Several DIRs are layered in order, later ones over earlier ones (default: the
    bundled rules/). Every problem is reported as file:line:col.
    """
    from advisor.errors import AdvisorError
    from advisor.pipeline import lint_pack

    try:
        pack = lint_pack(dirs or None, load_questionnaire(questionnaire_path))
    except AdvisorError as exc:
        if fmt == "json":  # the problems as JSON too; stderr and the exit code stay those of the error
            from advisor.cli.outputs import problem_rows

            emit_json({"ok": False, "pack": None, "rules": 0, "knock_outs": 0, "cases": 0,
                       "problems": problem_rows(exc.problems)})
        raise
    knock_outs = sum(1 for r in pack.rules if r.rule.knock_out is not None)
    if fmt == "json":
        emit_json({"ok": True, "pack": pack.name, "rules": len(pack.rules), "knock_outs": knock_outs,
                   "cases": len(pack.cases), "problems": []})
        return
    console.out(f"ok: {pack.name}: {len(pack.rules)} rules ({knock_outs} knock-out), {len(pack.cases)} cases")


@rules.command("test", context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@format_option()
@click.argument("dirs", nargs=-1, type=_DIR, metavar="[DIR]...")
def test(questionnaire_path: Path | None, fmt: str, dirs: tuple[Path, ...]) -> None:
    """Run the rule tests and the whole-profile cases.

    Every rule must fire for its tests.fires cases and not fire for its
    tests.does_not_fire cases; every case in cases/ must get its expected
    recommendation. DIRs are layered as for lint. Fails (exit code 4) on any mismatch, when a rule lacks a 'fires' or a
    'does_not_fire' case, and when no test was found.
    """
    from advisor.pipeline import lint_pack, run_rule_tests

    questionnaire = load_questionnaire(questionnaire_path)
    report = run_rule_tests(lint_pack(dirs or None, questionnaire), questionnaire)
    if fmt == "json":
        from advisor.cli.outputs import problem_rows

        emit_json({"ok": report.ok, "rules": report.rules, "rule_cases": report.rule_cases,
                   "pack_cases": report.pack_cases, "passed": report.passed, "failed": len(report.failures),
                   "failures": problem_rows(report.failures)})
    else:
        console.out(report.summary(), emphasis=["ok:" if report.ok else "FAILED:"])
    report.check()


@rules.command("path", context_settings=CONTEXT_SETTINGS)
@format_option()
def path_cmd(fmt: str) -> None:
    """Print where the bundled rule pack is (to copy it as a starting point: cp -r)."""
    from advisor.cli.questions import emit_path
    from advisor.resources import bundled_dir, require

    emit_path(require(bundled_dir("rules"), "rule pack"), fmt)
