"""``advisor records list|show|accept|reject|supersede|diff|check|index|repair``: the decision-record lifecycle."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    InputFile,
    complete_record_numbers,
    emit_json,
    format_option,
    load_questionnaire,
    questionnaire_option,
)
from advisor.errors import CheckFailed, DataError, UsageError

if TYPE_CHECKING:
    from advisor.questionnaire import Questionnaire
    from advisor.records import CurrentProfile, Evaluate, PackInfo, RecordFile

_DIR = click.Path(file_okay=False, path_type=Path)


def _dir_option(func: Any) -> Any:
    return click.option("--records-dir", "directory", type=_DIR, default=Path("reports"), show_default=True,
                        metavar="DIR", help="The records folder.")(func)


def _number(text: str) -> int:
    from advisor.records import parse_number

    try:
        return parse_number(text)
    except DataError as exc:
        raise UsageError(exc.first.message, exc.first.hint) from None


def _render() -> Callable[[Any], str]:
    from advisor.render import to_markdown

    return to_markdown


def _resolve_pack(path: str) -> Path:
    """A pack path as a record holds it: 'rules' is the bundled pack, others are relative to the current folder
    (and confined to it unless --allow-outside)."""
    from advisor.inputs import confine
    from advisor.pipeline import DECISION_PACK_DIR

    return DECISION_PACK_DIR if path == "rules" else confine(path, Path.cwd())


@click.group(context_settings=CONTEXT_SETTINGS)
def records() -> None:
    """List, accept, supersede, diff and check decision records.

    Records are NNNN-slug.md (MADR 4.0) with a NNNN-slug.json twin, written by
    'advisor assess'. Status changes update both files and the index (README.md of
    the folder); see docs/records-lifecycle.md.
    """


_STATUSES = ["proposed", "accepted", "rejected", "superseded", "deprecated"]  # records.STATUSES


@records.command("list", context_settings=CONTEXT_SETTINGS)
@_dir_option
@click.option("--status", "statuses", multiple=True, type=click.Choice(_STATUSES),
              help="Only records with this status (repeatable).")
@click.option("--workload", "workloads", multiple=True, metavar="NAME",
              help="Only records of this workload (its workload_name; repeatable).")
@format_option()
def list_records(directory: Path, statuses: tuple[str, ...], workloads: tuple[str, ...], fmt: str) -> None:
    """List the records: number, title, status, recommendation and date."""
    from advisor.records import load_all, rows

    loaded = [rf for rf in load_all(directory)
              if (not statuses or rf.record.status in statuses) and (not workloads or rf.record.workload in workloads)]
    found = rows(loaded)
    if fmt == "json":
        emit_json(found, sort_keys=True)
        return
    from tabulate import tabulate

    from advisor.markdown import terminal

    table = [[f"{r['number']:04d}", terminal(r["title"]), r["status"], r["recommendation"], r["date"]]
             for r in found]
    console.out(tabulate(table, headers=["number", "title", "status", "recommendation", "date"],
                         disable_numparse=True))
    console.err(f"{len(found)} record{'s' if len(found) != 1 else ''} in {directory}")


@records.command("show", context_settings=CONTEXT_SETTINGS)
@_dir_option
@format_option("markdown", default="markdown")
@click.argument("number", metavar="N", shell_complete=complete_record_numbers)
def show(directory: Path, fmt: str, number: str) -> None:
    """Print record N: its markdown (through a pager on a terminal), or its JSON twin.

    --format table and markdown both print the markdown; json prints the JSON twin
    (the whole record: answers, result, rule packs, measurements).
    """
    from advisor.errors import Location
    from advisor.records import load

    rf = load(directory, _number(number))
    if fmt == "json":
        emit_json(rf.record.model_dump(mode="json"))
        return
    from advisor.inputs import LIMITS
    from advisor.yamlio import read_text

    if not rf.md_path.exists():
        raise DataError("the record's markdown is missing", "run 'advisor records repair' to render it",
                        Location(str(rf.md_path)))
    console.page(read_text(rf.md_path, max_bytes=LIMITS["record"], kind="markdown"))


def _status_change(directory: Path, number: str, status: Any) -> None:
    from advisor.records import set_status

    rf = set_status(directory, _number(number), status, _render())
    console.err(f"Record {rf.label} is now {status}: {rf.md_path} and .json updated, index regenerated")


@records.command("accept", context_settings=CONTEXT_SETTINGS)
@_dir_option
@click.argument("number", metavar="N", shell_complete=complete_record_numbers)
def accept(directory: Path, number: str) -> None:
    """Accept record N (proposed -> accepted)."""
    _status_change(directory, number, "accepted")


@records.command("reject", context_settings=CONTEXT_SETTINGS)
@_dir_option
@click.argument("number", metavar="N", shell_complete=complete_record_numbers)
def reject(directory: Path, number: str) -> None:
    """Reject record N (proposed -> rejected)."""
    _status_change(directory, number, "rejected")


@records.command("deprecate", context_settings=CONTEXT_SETTINGS)
@_dir_option
@click.argument("number", metavar="N", shell_complete=complete_record_numbers)
def deprecate(directory: Path, number: str) -> None:
    """Deprecate record N (proposed or accepted -> deprecated): it no longer applies, nothing replaces it."""
    _status_change(directory, number, "deprecated")


@records.command("supersede", context_settings=CONTEXT_SETTINGS)
@_dir_option
@click.option("--force-supersede", "force", is_flag=True,
              help="Supersede although NEW is about another workload or older than OLD (the records say so).")
@click.argument("old", metavar="OLD", shell_complete=complete_record_numbers)
@click.argument("new", metavar="NEW", shell_complete=complete_record_numbers)
def supersede_cmd(directory: Path, force: bool, old: str, new: str) -> None:
    """Mark record OLD as superseded by record NEW.

    OLD becomes superseded (superseded_by: NEW, a link to NEW); NEW gets
    supersedes: OLD and a link back. Both files of both records and the index
    are updated. NEW must be about the same workload and not older than OLD,
    unless --force-supersede, which both links record.
    """
    from advisor.records import supersede

    o, n = supersede(directory, _number(old), _number(new), _render(), force=force)
    forced = " (forced: the links say why)" if any(lk.note for lk in n.record.links) else ""
    console.err(f"Record {o.label} is now superseded by {n.label}{forced}; both records and the index updated")


@records.command("link", context_settings=CONTEXT_SETTINGS)
@_dir_option
@click.option("--relation", default="relates to", show_default=True, metavar="TEXT",
              help="How A relates to B, e.g. 'relates to', 'depends on', 'refines'.")
@click.argument("a", metavar="A", shell_complete=complete_record_numbers)
@click.argument("b", metavar="B", shell_complete=complete_record_numbers)
def link_cmd(directory: Path, relation: str, a: str, b: str) -> None:
    """Link record A to record B (B links back); both records and the index are updated."""
    from advisor.records import link

    ra, rb = link(directory, _number(a), _number(b), relation, _render())
    console.err(f"Record {ra.label} now {' '.join(relation.split())} {rb.label}; both records and the index updated")


def _evaluator(questionnaire: Questionnaire) -> Evaluate:
    """``records.diff``'s re-evaluation: the recommendation of some answers with the packs a record names.

    The packs decide with the decision engine, every evaluation with the draws of the
    reference answers (record A's), so that a swapped answer moves P only by itself. The
    loader refuses a format-1 pack (a record written before the decision engine) with
    its file:line:col and what to do.
    """
    from advisor import pipeline
    from advisor.decide import sampling
    from advisor.records import recommendation_of

    loaded: dict[tuple[Path, ...], Any] = {}

    def evaluate(answers: Mapping[str, Any], measured: Mapping[str, Any], infos: Sequence[PackInfo],
                 reference: Mapping[str, Any]) -> str:
        roots = tuple(_resolve_pack(p.path) for p in infos)
        if roots not in loaded:
            loaded[roots] = pipeline.load_decision_pack(list(roots), questionnaire)
        facts = pipeline.decision_facts(reference, questionnaire, measured=measured)
        seed = sampling.profile_seed({k: v for k, v in facts.items() if not k.startswith("graph.")})
        decided = pipeline.decide_profile(answers, loaded[roots], questionnaire=questionnaire, measured=measured,
                                          seed=seed)
        return recommendation_of(decided)  # as the record reads it: a measure-first leader is not chosen

    return evaluate


@records.command("diff", context_settings=CONTEXT_SETTINGS)
@_dir_option
@questionnaire_option
@format_option()
@click.argument("a", metavar="A", shell_complete=complete_record_numbers)
@click.argument("b", metavar="B", shell_complete=complete_record_numbers)
def diff_cmd(directory: Path, questionnaire_path: Path | None, fmt: str, a: str, b: str) -> None:
    """Show what changed from record A to record B and what changed the outcome.

    Lists the answers, rule packs (hashes, rules fired, weights) and measurements
    that differ. When the recommendations differ, each changed input of B is swapped
    into A alone and re-evaluated with the rule packs on disk (with the decision
    engine, on the draws of A); the inputs that flip the outcome on
    their own are named.
    """
    from advisor.records import diff, load

    ra, rb = load(directory, _number(a)), load(directory, _number(b))
    result = diff(ra, rb, _evaluator(load_questionnaire(questionnaire_path)), _resolve_pack)
    if fmt == "json":
        emit_json(result.to_dict(), sort_keys=True)
    else:
        console.out("\n".join(result.lines()))


def _current_profile(path: Path, questionnaire: Questionnaire) -> CurrentProfile:
    from advisor import pipeline, profile
    from advisor.records import CurrentProfile

    loaded = profile.load(path, questionnaire)
    values = loaded.values()
    return CurrentProfile(path, str(values.get("workload_name", "")), pipeline.build_facts(values, questionnaire))


@records.command("check", context_settings=CONTEXT_SETTINGS)
@_dir_option
@questionnaire_option
@click.option("--profile", "profiles", multiple=True, type=InputFile("profile"),
              metavar="FILE", help="Current profile to check the revisit triggers against (repeatable; matched to "
              "records by workload name). Default: each record's own profile file, re-read.")
@click.option("--today", metavar="YYYY-MM-DD", help="The date to check review dates against (default: today in UTC, "
              "or the day of SOURCE_DATE_EPOCH).")
@click.option("--observe", "reobserve", is_flag=True, help="Also observe the profiles' observed answers again "
              "(dumps or contexts they name): expired ones and revisit triggers they now cross are findings.")
@click.option("--allow-outside", is_flag=True, help="Read profiles and rule packs that records name outside the "
              "project (the current folder).")
@format_option()
def check_cmd(directory: Path, questionnaire_path: Path | None, profiles: tuple[Path, ...], today: str | None,
              reobserve: bool, allow_outside: bool, fmt: str) -> None:
    """Find proposed and accepted records to revisit.

    One line per finding: a revisit trigger that holds for the current profile, a
    review date that has passed, a rule pack whose files changed since the record.
    With --observe, the observed answers of each record's profile are observed
    again from the dumps or contexts they name: one past its expiry date, or a
    revisit trigger that fires only with the re-observed values, is a finding too.
    Exit code 4 when anything is found, 0 otherwise.
    """
    from advisor import pipeline, records
    from advisor.records import check, load_all

    if today is not None:
        try:
            records.check_date(today)
        except ValueError as exc:
            raise UsageError(f"--today: {exc}") from None
    from advisor.repair import state

    problems = state(directory, _index_text)
    if fmt == "json" and problems:
        emit_json({"ok": False, "checked": 0, "findings": [], "notes": [],
                   "problems": [{"location": str(p.path), "message": p.message,
                                 "hint": None if p.repairable else "needs a person: advisor records repair lists it"}
                                for p in problems]})
    for problem in problems:
        (console.err if fmt == "json" else console.out)(problem.format())
    if problems:
        n = len(problems)
        raise CheckFailed(f"the records folder is inconsistent ({n} problem{'s' if n != 1 else ''})",
                          "run 'advisor records repair'" if all(p.repairable for p in problems) else
                          "run 'advisor records repair', then fix what it lists")
    q = load_questionnaire(questionnaire_path)
    current = [_current_profile(p, q) for p in profiles]
    found: list[RecordFile] = load_all(directory)
    from advisor.inputs import outside_allowed

    with outside_allowed(allow_outside):
        report = check(found, today=today or records.default_date(), types=pipeline.fact_catalog(q),
                       profiles=current, load_profile=lambda p: _current_profile(p, q), resolve_pack=_resolve_pack)
        if reobserve:
            from advisor.observe.recheck import check_observed

            more, notes = check_observed(found, q, today=today or records.default_date(),
                                         types=pipeline.fact_catalog(q))
            report.findings += more
            report.notes += notes
    for note in report.notes:
        console.err(note)
    if fmt == "json":
        emit_json({"ok": not report.findings, "checked": report.checked, "notes": report.notes, "problems": [],
                   "findings": [{"file": str(f.record.md_path), "number": f.record.number, "kind": f.kind,
                                 "message": f.message} for f in report.findings]})
    else:
        for finding in report.findings:
            console.out(finding.format())
    if report.findings:
        n = len(report.findings)
        raise CheckFailed(f"{n} finding{'s' if n != 1 else ''} in {report.checked} active records",
                          "revisit them: re-assess, then 'advisor records supersede OLD NEW'")
    if fmt != "json":
        n = report.checked
        console.out(f"ok: {n} active record{'s' if n != 1 else ''} checked, nothing to revisit")


@records.command("index", context_settings=CONTEXT_SETTINGS)
@_dir_option
def index(directory: Path) -> None:
    """Write the index of the records folder (README.md): a table of all records."""
    from advisor.records import write_index

    if not directory.is_dir():
        raise DataError(f"no records folder {directory}",
                        "give it with --records-dir, or write a record with 'advisor assess'")
    console.err(f"Index written to {write_index(directory)}")


def _index_text(directory: Path) -> str:
    from advisor.records import index_text, load_all

    return index_text(load_all(directory))


@records.command("repair", context_settings=CONTEXT_SETTINGS)
@_dir_option
def repair_cmd(directory: Path) -> None:
    """Repair the records folder after a crash or a kill.

    Finishes an interrupted change (from its journal), removes temporary files of
    interrupted writes, renders markdown missing next to its JSON twin and rewrites a
    stale index. Nothing is deleted that holds a record: what needs a person (markdown
    without JSON, two records of one number) is listed, with exit code 4.
    """
    from advisor.repair import repair

    report = repair(directory, _render(), _index_text)
    for line in report.fixed:
        console.err(f"repaired: {line}")
    for problem in report.remaining:
        console.out(problem.format())
    if report.remaining:
        n = len(report.remaining)
        raise CheckFailed(f"{n} problem{'s' if n != 1 else ''} left that need a person", "fix them by hand")
    console.err(f"{directory}: consistent" + ("" if report.fixed else ", nothing to repair"))
