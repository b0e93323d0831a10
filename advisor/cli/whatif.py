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
    keep_loaded,
    load_questionnaire,
    questionnaire_option,
)

if TYPE_CHECKING:
    from advisor.questionnaire import Questionnaire
    from advisor.sensitivity import Analysis, Snapshot


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.option("--profile", "profile_path", type=InputFile("profile"), metavar="FILE",
              help="Workload profile; missing answers take the questionnaire defaults.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", shell_complete=complete_set,
              help="Change an answer (repeatable); the decision before and after is shown, then the tipping "
              "points of the changed profile.")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Rule pack folder (repeatable; later packs layer over earlier ones). "
              "Default: the bundled rules/.")
@click.option("--search-budget", "budget_ms", type=FiniteFloatRange(min=0), default=None, metavar="MS",
              help="Work budget in estimated milliseconds of evaluation (default 2000); searches it cuts short "
              "are marked incomplete.")
@format_option()
def whatif(questionnaire_path: Path | None, profile_path: Path | None, sets: tuple[str, ...],
           rules_dirs: tuple[Path, ...], budget_ms: float | None, fmt: str) -> None:
    """Show what would have to change for the decision to change.

    With --set, the decision of the profile as it is and with the changes
    (outcome, P(bare metal better), configuration), both with the same draws.
    Then each answer is changed on its own: numbers are searched up and down
    within their bounds (at most 100x away), choices and yes/no answers are
    tried, and multi-choice answers gain or lose each choice. A change tips the
    decision when it changes the outcome or the recommended option, or moves P
    across the close band. The tipping points are listed smallest relative
    change first, as sentences, then the answers no change tips (robust) and the
    revisit triggers. The method and its limits: docs/whatif.md.

    \b
    Examples:
      advisor whatif --profile payments.profile.yaml
      advisor whatif --profile payments.profile.yaml --set physical_hosts=40 --format json
    """
    from advisor import pipeline, tipping
    from advisor import profile as profiles

    questionnaire = load_questionnaire(questionnaire_path)
    gathered = profiles.gather(questionnaire, profile_path=profile_path, sets=sets, use_defaults=True,
                               reask=(), mode="full", interactive=False)
    answers = gathered.profile.values()
    before = None
    if sets:
        before = profiles.gather(questionnaire, profile_path=profile_path, sets=(), use_defaults=True,
                                 reask=(), mode="full", interactive=False).profile.values()
    pack = pipeline.load_decision_pack(list(rules_dirs), questionnaire)
    keep_loaded()
    budget = tipping.WHATIF_BUDGET_MS if budget_ms is None else budget_ms
    analysis = tipping.tipping_points(answers, pack, questionnaire, budget_ms=budget, compare_with=before)
    if fmt == "json":
        console.out(analysis.to_json(), end="")
    else:
        console.out(render_table(analysis, questionnaire), emphasis=[analysis.sentence.split(":")[0]])


def _value(questionnaire: Questionnaire, key: str, value: object) -> str:
    return questionnaire.by_key[key].format_value(value)


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _option(snapshot: Snapshot | Analysis) -> str:
    if snapshot.configuration:
        return snapshot.configuration
    return {"tie": "tie", "both-ruled-out": "both ruled out"}.get(snapshot.outcome, snapshot.outcome)


def render_table(analysis: Analysis, questionnaire: Questionnaire) -> str:
    """The analysis for people: the decision, tipping points as sentences, robust answers, revisit triggers."""
    from tabulate import tabulate

    parts = []
    if analysis.before is not None:
        b = analysis.before
        parts.append("Before the changes: " + b.sentence)
        parts.append(tabulate([["outcome", b.outcome, analysis.outcome],
                               ["option", _option(b), _option(analysis)],
                               ["P(bare metal better)", _p(b.p_bare_metal), _p(analysis.p_bare_metal)]],
                              headers=["", "before", "after"], tablefmt="simple", disable_numparse=True))
        parts.append("After the changes: " + analysis.sentence)
    else:
        parts.append(analysis.sentence)
    if analysis.tipping_points:
        rows = []
        for p in analysis.tipping_points:
            rows.append([p.key, _value(questionnaire, p.key, p.current), p.sentence, f"{p.relative_change:.3g}"])
        parts.append("Tipping points (smallest change first):\n" + tabulate(
            rows, headers=["answer", "now", "what would change", "relative change"], tablefmt="simple",
            disable_numparse=True, maxcolwidths=[None, 16, 72, None]))
    else:
        parts.append("No single change of one answer tips the decision.")
    if analysis.robust:
        rows = [[r.key, _value(questionnaire, r.key, r.current), r.searched] for r in analysis.robust]
        parts.append("Robust (no change searched tips it):\n" + tabulate(
            rows, headers=["answer", "now", "searched"], tablefmt="simple", disable_numparse=True,
            maxcolwidths=[None, 24, 60]))
    triggers = analysis.triggers()
    if triggers:
        parts.append("Revisit triggers:\n" + "\n".join(f"  {t.sentence}  ({t.condition})" for t in triggers))
    if not analysis.complete:
        parts.append("The budget cut some searches short (marked 'budget reached'); raise it with --search-budget.")
    return "\n\n".join(parts)
