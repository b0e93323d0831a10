"""``advisor rules list|show|lint|test|docs|path``: read, check, test and document the format-2 rule pack."""

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
    from advisor.decide.loader import Consequence, Constraint, Pack
    from advisor.decide.testing import RuleRun, TestReport

_DIR = click.Path(file_okay=False, path_type=Path)
_WIDTH = 96


def _rules_option(func: Any) -> Any:
    return click.option(
        "--rules", "rule_dirs", multiple=True, type=_DIR, metavar="DIR",
        help="An organisation's layer over the bundled pack (or a whole pack, first); repeat to layer, later ones "
             "win.",
    )(func)


def _dirs_argument(func: Any) -> Any:
    return click.argument("dirs", nargs=-1, type=_DIR, metavar="[DIR]...")(func)


@click.group(context_settings=CONTEXT_SETTINGS)
def rules() -> None:
    """List, show, lint, test and document the rule pack.

    The pack is a folder with pack.yaml (criteria, configurations, derived facts),
    constraints/<id>.yaml, consequences/<id>.yaml and cases/<archetype>.yaml. An
    organisation layers its own folder over it: see docs/writing-rules.md.
    """


def _effect(rule: Constraint | Consequence) -> str:
    from advisor.decide.loader import Constraint

    if not isinstance(rule, Constraint):
        return f"estimates {rule.rule.attribute}"
    if rule.rule.infeasible:
        return "infeasible"
    req = rule.rule.requires
    assert req is not None
    parts = [req.says] if req.says else []
    if req.measurement is not None:
        parts.append(req.measurement.says)
    return "feasible only with " + "; ".join(p for p in parts if p)


def _layer_of(pack: Pack, rule: Constraint | Consequence) -> str:
    for layer in reversed(pack.layers):
        if rule.file.startswith(layer.root + "/"):
            return layer.name
    return f"{pack.meta.name}@{pack.meta.version}"


def _row(pack: Pack, rule: Constraint | Consequence) -> dict[str, Any]:
    model = rule.rule
    return {
        "id": rule.id, "kind": model.kind, "option": model.option,
        "attribute": getattr(model, "attribute", None), "effect": _effect(rule), "title": model.title,
        "when": " ".join(model.when.split()), "evidence": list(model.evidence), "cases": len(model.cases),
        "pack": _layer_of(pack, rule), "file": rule.file,
    }


def _load(dirs: tuple[Path, ...], questionnaire_path: Path | None) -> tuple[Pack, Any]:
    from advisor.pipeline import load_decision_pack

    questionnaire = load_questionnaire(questionnaire_path)
    return load_decision_pack(dirs, questionnaire), questionnaire


@rules.command("list", context_settings=CONTEXT_SETTINGS)
@_rules_option
@questionnaire_option
@format_option()
def list_rules(rule_dirs: tuple[Path, ...], questionnaire_path: Path | None, fmt: str) -> None:
    """List the rules of the pack.

    One line per rule: id, kind (constraint or consequence), option, what it does
    (infeasible, feasible only with a configuration or measurement, or the attribute
    it estimates) and its number of named cases. Rules a layer disables are listed
    after the table with the layer's reason.
    """
    pack, _ = _load(rule_dirs, questionnaire_path)
    rows = [_row(pack, r) for r in pack.rules]
    if fmt == "json":
        emit_json({"pack": pack.name, "rules": rows, "disabled": dict(pack.disabled)})
        return
    from tabulate import tabulate

    table = [[r["id"], r["kind"], r["option"], textwrap.shorten(r["effect"], 60), r["cases"]] for r in rows]
    console.out(tabulate(table, headers=["id", "kind", "option", "effect", "cases"]))
    for rid, why in sorted(pack.disabled.items()):
        console.out(f"disabled: {rid}: {why}")
    console.err(f"{len(rows)} rules in {pack.name}")


def _find(pack: Pack, rule_id: str) -> Constraint | Consequence:
    for rule in pack.rules:
        if rule.id == rule_id:
            return rule
    from advisor.errors import UsageError, did_you_mean

    raise UsageError(f"no rule {rule_id!r} in {pack.name}",
                     did_you_mean(rule_id, [r.id for r in pack.rules]) or "run 'advisor rules list' to see the ids")


def _evidence(ids: list[str]) -> list[dict[str, Any]]:
    from advisor import cache
    from advisor.pipeline import DECISION_PACK_DIR
    from advisor.rules.evidence import load_catalogue

    path = DECISION_PACK_DIR / "evidence.yaml"
    catalogue = cache.cached("evidence", cache.key_of("evidence", [path.resolve()]),
                             lambda: load_catalogue(path, display="rules/evidence.yaml"))
    items = {item.id: item for item in catalogue}
    return [{"id": i, "source": items[i].source, "url": items[i].url, "figure": items[i].figure,
             "grade": items[i].grade} for i in ids if i in items]


def _show_json(pack: Pack, rule: Constraint | Consequence, run: RuleRun) -> dict[str, Any]:
    return {
        "rule": _row(pack, rule), "rationale": " ".join(rule.rule.rationale.split()),
        "evidence": _evidence(list(rule.rule.evidence)),
        "cases": [{"name": case.name, "expect": case.expect, "outcome": run.said(got),
                   "ok": run.said(got) == case.expect, "answers": dict(case.answers), "defaults": case.defaults,
                   "configuration": dict(case.configuration)} for case, got in run.cases],
        "branches": [{"condition": b.source, "decides_when": b.decides, "case": by} for b, by in run.branches],
    }


def _show_text(data: dict[str, Any]) -> str:
    row = data["rule"]
    lines = [f"{row['id']}: {row['title']}", f"  file:      {row['file']} (pack {row['pack']})",
             f"  kind:      {row['kind']} of {row['option']}", f"  when:      {row['when']}",
             f"  effect:    {row['effect']}", "  rationale:"]
    lines += textwrap.wrap(data["rationale"], _WIDTH, initial_indent="    ", subsequent_indent="    ")
    lines.append("  evidence:" + ("" if data["evidence"] else " the user's answers"))
    for i, ev in enumerate(data["evidence"], 1):
        lines += textwrap.wrap(f"{ev['id']}: {ev['source']} ({ev['grade']})", _WIDTH, initial_indent=f"    {i}. ",
                               subsequent_indent="       ")
        lines.append(f"       {ev['url']}")
    lines.append("  cases:")
    for case in data["cases"]:
        answers = json.dumps(case["answers"], sort_keys=True, ensure_ascii=False)
        extra = ("" if case["defaults"] else " (no defaults)") + (
            f" configuration {json.dumps(case['configuration'], sort_keys=True)}" if case["configuration"] else "")
        lines.append(f"    {'ok  ' if case['ok'] else 'FAIL'} {case['expect']:<13} {case['outcome']:<13} "
                     f"{case['name']}: {answers}{extra}")
    if data["branches"]:
        lines.append("  branches:")
        for b in data["branches"]:
            by = f"case {b['case']!r}" if b["case"] is not None else "NOT COVERED"
            lines.append(f"    {b['condition']} is {'true' if b['decides_when'] else 'false'}: {by}")
    return "\n".join(lines)


@rules.command("show", context_settings=CONTEXT_SETTINGS)
@_rules_option
@questionnaire_option
@format_option()
@click.argument("rule_id", metavar="ID", shell_complete=complete_rule_ids)
def show_rule(rule_dirs: tuple[Path, ...], questionnaire_path: Path | None, fmt: str, rule_id: str) -> None:
    """Show one rule, its evidence and how its named cases come out.

    Prints the condition, effect, rationale and evidence, then each case with what
    the rule says for it (fires, does-not-fire, unknown) against what the case
    expects, and each branch of the condition with the first case that reaches it.
    """
    from advisor.decide.testing import run_rule
    from advisor.pipeline import rule_facts

    pack, questionnaire = _load(rule_dirs, questionnaire_path)
    rule = _find(pack, rule_id)
    data = _show_json(pack, rule, run_rule(pack, rule, rule_facts(questionnaire)))
    if fmt == "json":
        emit_json(data)
    else:
        console.out(_show_text(data))


@rules.command("lint", context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@format_option()
@_dirs_argument
def lint(questionnaire_path: Path | None, fmt: str, dirs: tuple[Path, ...]) -> None:
    """Check the pack without running it.

    Checks the format of every file, every condition and estimate against the facts
    (a list 'in' or 'not in' a multi-choice answer is refused: use all_of, any_of or
    none_of), ids and layer clashes, evidence ids, and the answers and configurations
    of every case. DIRs are layers over the bundled pack, later ones winning (or a
    whole pack first). Every problem is one line file:line:col; exit code 1.
    """
    from advisor.errors import AdvisorError
    from advisor.pipeline import lint_decision_pack

    try:
        pack = lint_decision_pack(dirs, load_questionnaire(questionnaire_path))
    except AdvisorError as exc:
        if fmt == "json":  # the problems as JSON too; stderr and the exit code stay those of the error
            from advisor.cli.outputs import problem_rows

            emit_json({"ok": False, "pack": None, "constraints": 0, "consequences": 0, "archetypes": 0,
                       "problems": problem_rows(exc.problems)})
        raise
    counts = {"constraints": len(pack.constraints), "consequences": len(pack.consequences),
              "archetypes": len(pack.cases)}
    if fmt == "json":
        emit_json({"ok": True, "pack": pack.name, **counts, "problems": []})
        return
    console.out(f"ok: {pack.name}: {counts['constraints']} constraints, {counts['consequences']} consequences, "
                f"{counts['archetypes']} archetypes")


def _test_json(report: TestReport, coverage: bool) -> dict[str, Any]:
    from advisor.cli.outputs import problem_rows

    data: dict[str, Any] = {
        "ok": report.ok, "rules": report.rules, "rule_cases": report.rule_cases, "pack_cases": report.pack_cases,
        "passed": report.passed, "failed": len(report.failures), "failures": problem_rows(report.failures),
        "coverage": None}
    if coverage:
        c = report.coverage
        data["coverage"] = {
            "percent": round(c.percent, 2), "rules": c.rules, "rules_covered": c.rules_covered,
            "branches": c.branches, "branches_covered": c.branches_covered, "questions": c.questions,
            "questions_read": c.questions_read,
            "items": [{"kind": i.kind, "name": i.name, "covered": i.covered, "detail": i.detail,
                       "location": str(i.where)} for i in c.items]}
    return data


@rules.command("test", context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@format_option()
@click.option("--coverage", is_flag=True,
              help="Report every rule, every branch of its condition and every question, and fail below 100 %.")
@_dirs_argument
def test(questionnaire_path: Path | None, fmt: str, coverage: bool, dirs: tuple[Path, ...]) -> None:
    """Run every rule's named cases and the archetypes.

    Each case of a rule expects it to fire, not to fire, or to be unknown (a fact
    it reads is absent); each archetype in cases/ expects one of its outcomes. With
    --coverage, every rule needs a case that fires, one that does not (unless its
    condition is 'true') and an unknown one when it reads an optional fact; every
    branch of a condition needs a case where it decides; every question needs a
    rule reading it. DIRs are layered as for lint. Exit code 4 on any failure.
    """
    from advisor.pipeline import lint_decision_pack, run_decision_tests

    questionnaire = load_questionnaire(questionnaire_path)
    report = run_decision_tests(lint_decision_pack(dirs, questionnaire), questionnaire, coverage=coverage)
    if fmt == "json":
        emit_json(_test_json(report, coverage))
    else:
        if coverage:
            from tabulate import tabulate

            table = [[i.kind, i.name, "yes" if i.covered else "NO", i.detail] for i in report.coverage.items]
            console.out(tabulate(table, headers=["kind", "item", "covered", "by"]))
            console.out(report.coverage.summary())
        console.out(report.summary(), emphasis=["ok:" if report.ok else "FAILED:"])
    report.check()


@rules.command("docs", context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@_dirs_argument
def docs(questionnaire_path: Path | None, dirs: tuple[Path, ...]) -> None:
    """Print the pack's reference as Markdown (docs/rule-pack.md is this for the bundled pack).

    Every rule with its condition, effect, rationale, evidence and named cases, and
    every archetype. DIRs are layered as for lint.
    """
    from advisor.decide.reference import rules_markdown

    pack, _ = _load(dirs, questionnaire_path)
    console.out(rules_markdown(pack).rstrip("\n"))


@rules.command("path", context_settings=CONTEXT_SETTINGS)
@format_option()
def path_cmd(fmt: str) -> None:
    """Print where the bundled rule pack is (to copy it as a starting point: cp -r)."""
    from advisor.cli.questions import emit_path
    from advisor.resources import PACK_FOLDER, bundled_dir, require

    emit_path(require(bundled_dir(PACK_FOLDER), "rule pack"), fmt)
