"""``advisor assess``: answer the questionnaire (or replay a profile) and assess."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING

import click

from advisor import console
from advisor.cli.common import CONTEXT_SETTINGS, load_questionnaire, questionnaire_option
from advisor.errors import ExitCode, Interrupted, UsageError

if TYPE_CHECKING:
    from advisor.questionnaire import Mode
    from advisor.scoring import Result


def _split_keys(text: str | None) -> list[str]:
    if not text:
        return []
    return [k.strip() for k in text.split(",") if k.strip()]


def _free_name(path: Path) -> Path:
    """``path``, or ``name-2.profile.yaml`` ... when it exists: never overwrite silently."""
    if not path.exists():
        return path
    stem = path.name.removesuffix(".profile.yaml")
    for n in itertools.count(2):
        candidate = path.with_name(f"{stem}-{n}.profile.yaml")
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.option("--profile", "profile_path", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Start from this profile: only missing answers are asked (on a terminal). It is updated in place.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE",
              help="Give an answer on the command line (repeatable), validated like a typed one.")
@click.option("--defaults", "use_defaults", is_flag=True,
              help="Take the default of every question not answered by --profile or --set.")
@click.option("--ask", "ask", metavar="KEY[,KEY...]", help="Ask these questions again (needs a terminal).")
@click.option("--full", is_flag=True, help="Ask every question, not only the quick ones.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Where to write the profile (default: the --profile file, else WORKLOAD.profile.yaml).")
@click.option("--force", is_flag=True, help="Overwrite --output when it exists.")
@click.option("--answered-by", metavar="NAME", help="Who answered, for the provenance (default: login name).")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Rule pack folder (repeatable; later packs layer over earlier ones). "
              "Default: the bundled rules/.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
              help="How to print the result: a table for people or the full result as JSON.")
def assess(questionnaire_path: Path | None, profile_path: Path | None, sets: tuple[str, ...], use_defaults: bool,
           ask: str | None, full: bool, output: Path | None, force: bool, answered_by: str | None,
           rules_dirs: tuple[Path, ...], fmt: str) -> int:
    """Answer the questionnaire, write the workload profile and score both options.

    On a terminal the questions are asked interactively (quick mode unless --full);
    Enter takes the default shown. Without a terminal every answer must come from
    --profile, --set or --defaults. Ctrl-C saves the answers given so far.

    \b
    Examples:
      advisor assess
      advisor assess --profile payments.profile.yaml --ask latency_p99_ms
      advisor assess --set workload_name=payments --set latency_p99_ms=5 --defaults
    """
    from advisor import profile as profiles

    questionnaire = load_questionnaire(questionnaire_path)
    mode: Mode = "full" if full else "quick"
    reask = _split_keys(ask)
    interactive = console.interactive()
    gathered = profiles.gather(
        questionnaire, profile_path=profile_path, sets=sets, use_defaults=use_defaults,
        reask=reask, mode=mode, interactive=interactive,
    )
    profile, plan = gathered.profile, gathered.plan
    if plan.missing:
        raise profiles.missing_error(plan.missing, questionnaire)
    if output is not None and output.exists() and not force:
        same = profile_path is not None and output.resolve() == profile_path.resolve()
        if not same:
            raise UsageError(f"{output} already exists", "use --force to replace it, or --profile to update it")
    for key in plan.take_default:
        profile.set_default(key)

    if plan.ask:
        from advisor import prompt

        try:
            prompt.ask_questions(profile, plan.ask, mode=mode, use_defaults=use_defaults)
        except KeyboardInterrupt:
            target = output or profile_path or _free_name(profiles.default_output(profile))
            profile.write(target, source="interactive", complete=False, answered_by=answered_by)
            given = len(profile.answers)
            raise Interrupted(
                f"interrupted; {given} answer{'s' if given != 1 else ''} saved to {target}",
                f"resume with: advisor assess --profile {target}",
            ) from None

    target = output or profile_path or _free_name(profiles.default_output(profile))
    # a partial profile (Ctrl-C at the summary) with nothing left to ask is now complete: rewrite it as such
    partial = profile.provenance is not None and not profile.provenance.complete
    if profile.changed or partial or profile_path is None or target != profile_path:
        profile.write(target, source=gathered.source, answered_by=answered_by)
        console.err(f"Profile written to {target}")
    else:
        console.err(f"Profile {target} is up to date")

    from advisor import pipeline

    result = pipeline.assess(profile, rules=list(rules_dirs) or None, questionnaire=questionnaire)
    console.out(result.to_json() if fmt == "json" else _result_table(result), end="" if fmt == "json" else "\n")
    return int(ExitCode.OK)


def _result_table(result: Result) -> str:
    from tabulate import tabulate

    names = {"bare-metal": "bare metal", "vm": "VM-backed", "none": "none (both ruled out)"}
    summary = [
        ["recommendation", names[result.recommendation]],
        ["decided by", result.decided_by + (f": {result.reason}" if result.reason else "")],
        ["score bare metal", f"{result.scores['bare-metal']:.2f}"],
        ["score VM-backed", f"{result.scores['vm']:.2f}"],
        ["margin", f"{result.margin:.2f}" + (f"  (close: under {result.close_threshold:.2f})" if result.close else "")],
        ["confidence", f"{result.confidence.value:.2f}  (evidence {result.confidence.evidence_quality:.2f}, "
                       f"known {result.confidence.known_share:.2f})"],
        ["close", "yes: measure before deciding" if result.close else "no"],
    ]
    for hit in result.knock_outs:
        summary.append(["ruled out", f"{names[hit.option]}: {hit.reason} ({hit.rule_id})"])
    parts = [tabulate(summary, tablefmt="plain")]
    by_id = {c.rule_id: c for c in result.contributions}
    drivers = [by_id[d] for d in result.drivers if d in by_id]
    if drivers:
        rows = [[c.rule_id, c.criterion, names[c.favours], f"{c.points:.2f}", c.grade] for c in drivers]
        headers = ["rule", "criterion", "favours", "points", "evidence"]
        parts.append("Top drivers:\n" + tabulate(rows, headers=headers, disable_numparse=True,
                                                 tablefmt="simple"))
    if result.unknown_facts:
        parts.append("Unknown facts (lower the confidence): " + ", ".join(result.unknown_facts))
    return "\n\n".join(parts)
