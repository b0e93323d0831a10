"""``advisor whatif``: the tipping points of a profile, smallest change first."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    FiniteFloatRange,
    InputFile,
    complete_set,
    format_option,
    load_questionnaire,
    questionnaire_option,
)

if TYPE_CHECKING:
    from advisor.questionnaire import Questionnaire
    from advisor.whatif import Analysis

_NAMES = {"bare-metal": "bare metal", "vm": "VM-backed", "none": "none"}


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.option("--profile", "profile_path", type=InputFile("profile"), metavar="FILE",
              help="Workload profile; missing answers take the questionnaire defaults.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", shell_complete=complete_set,
              help="Override an answer (repeatable).")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Rule pack folder (repeatable; later packs layer over earlier ones). "
              "Default: the bundled rules/.")
@click.option("--search-budget", "budget_ms", type=FiniteFloatRange(min=0), default=None, metavar="MS",
              help="Work budget in estimated milliseconds of evaluation (default 200); searches it cuts short "
              "are marked incomplete.")
@format_option()
def whatif(questionnaire_path: Path | None, profile_path: Path | None, sets: tuple[str, ...],
           rules_dirs: tuple[Path, ...], budget_ms: float | None, fmt: str) -> None:
    """Show what would have to change for the recommendation to flip.

    Each answer is changed on its own: numbers are searched up and down within
    their bounds (at most 100x away), choices and yes/no answers are tried, and
    multi-choice answers gain or lose each choice. The tipping points are listed
    smallest relative change first, then the answers no change flips (robust).
    The method and its limits: docs/whatif.md.

    \b
    Examples:
      advisor whatif --profile payments.profile.yaml
      advisor whatif --profile payments.profile.yaml --set physical_hosts=40 --format json
    """
    from advisor import pipeline
    from advisor import profile as profiles

    questionnaire = load_questionnaire(questionnaire_path)
    gathered = profiles.gather(questionnaire, profile_path=profile_path, sets=sets, use_defaults=True,
                               reask=(), mode="full", interactive=False)
    answers = gathered.profile.values()
    pack = pipeline.load_pack(list(rules_dirs) or None, questionnaire, cases=False)
    budget = pipeline.WHATIF_BUDGET_MS if budget_ms is None else budget_ms
    analysis = pipeline.tipping_points(answers, pack, questionnaire, budget_ms=budget)
    if fmt == "json":
        console.out(analysis.to_json(), end="")
    else:
        outcome = f"Recommendation: {_NAMES[analysis.recommendation]}"
        console.out(render_table(analysis, questionnaire), emphasis=[outcome])


def _value(questionnaire: Questionnaire, key: str, value: object) -> str:
    return questionnaire.by_key[key].format_value(value)


def render_table(analysis: Analysis, questionnaire: Questionnaire) -> str:
    """The analysis for people: tipping points, robust answers, revisit triggers."""
    from tabulate import tabulate

    from advisor.whatif import revisit_sentences, revisit_triggers

    head = f"Recommendation: {_NAMES[analysis.recommendation]} (decided by {analysis.decided_by})"
    if analysis.knock_outs:
        head += f"; knock-out: {', '.join(analysis.knock_outs)}"
    parts = [head]
    if analysis.tipping_points:
        rows = []
        for p in analysis.tipping_points:
            change = {"up": "raise to", "down": "lower to", "set": "set to", "add": "add", "remove": "remove"}
            target = p.item if p.direction in ("add", "remove") else _value(questionnaire, p.key, p.threshold)
            new = _NAMES[p.recommendation] + (" (knock-out)" if p.decided_by == "knock-out" else "")
            rows.append([p.key, _value(questionnaire, p.key, p.current), f"{change[p.direction]} {target}", new,
                         f"{p.relative_change:.3g}"])
        parts.append("Tipping points (smallest change first):\n" + tabulate(
            rows, headers=["answer", "now", "change", "flips to", "relative change"], tablefmt="simple",
            disable_numparse=True))
    else:
        parts.append("No single change of one answer flips the recommendation.")
    removing = analysis.removing_knock_outs()
    if analysis.knock_outs and removing:
        parts.append("The knock-out goes away when: " + "; ".join(
            f"{p.key} = {_value(questionnaire, p.key, p.threshold)}" for p in removing))
    if analysis.robust:
        rows = [[r.key, _value(questionnaire, r.key, r.current), r.searched] for r in analysis.robust]
        parts.append("Robust (no change searched flips it):\n" + tabulate(
            rows, headers=["answer", "now", "searched"], tablefmt="simple", disable_numparse=True,
            maxcolwidths=[None, 24, 60]))
    triggers = revisit_triggers(analysis.tipping_points)
    if triggers:
        sentences = revisit_sentences(analysis.tipping_points)
        parts.append("Revisit triggers:\n" + "\n".join(f"  {s}  ({c})" for s, c in zip(sentences, triggers,
                                                                                        strict=True)))
    if not analysis.complete:
        parts.append("The budget cut some searches short (marked 'budget reached'); raise it with --search-budget.")
    return "\n\n".join(parts)
