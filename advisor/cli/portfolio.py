"""``advisor portfolio``: assess every workload of an inventory and summarise them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    FiniteFloatRange,
    InputFile,
    format_option,
    load_questionnaire,
    questionnaire_option,
)
from advisor.errors import ExitCode, UsageError

if TYPE_CHECKING:
    pass

_NAMES = {"bare-metal": "bare metal", "vm": "VM-backed", "none": "neither (tie or both ruled out)"}


@click.command(context_settings=CONTEXT_SETTINGS)
@click.argument("inventory", type=InputFile("inventory"), metavar="FILE")
@questionnaire_option
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Rule pack folder (repeatable; later packs layer over earlier ones). "
              "Default: the bundled rules/.")
@click.option("--records-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, metavar="DIR", help="Where to write one decision record per workload.")
@click.option("--summary-only", is_flag=True,
              help="Write only the summary, no decision records (faster: no tipping points).")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="Where to write portfolio-summary.md and .json (default: the records dir).")
@click.option("--force", is_flag=True, help="Replace existing summary files.")
@click.option("--date", "record_date", metavar="YYYY-MM-DD",
              help="Date of the records and the summary (default: today in UTC, or SOURCE_DATE_EPOCH's day).")
@click.option("--similarity", type=FiniteFloatRange(min=0.0, max=1.0), default=0.05, show_default=True,
              metavar="DISTANCE", help="Consistency check: flag workloads closer than this whose recommendations "
              "differ (mean per-answer distance, 0 to 1).")
@format_option()
@click.option("-q", "--quiet", is_flag=True, help="No progress and no timing on stderr.")
@click.option("--allow-outside", is_flag=True, help="Read profiles the inventory names outside the project (the "
              "current folder and the inventory's folder).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes to assess in (default: the CPUs available). The output is the same for any N.")
def portfolio(inventory: Path, questionnaire_path: Path | None, rules_dirs: tuple[Path, ...], records_dir: Path,
              summary_only: bool, output_dir: Path | None, force: bool, record_date: str | None, similarity: float,
              fmt: str, quiet: bool, allow_outside: bool, jobs: int | None) -> int:
    """Assess every workload of an inventory (YAML or CSV) and summarise them.

    Each workload is given by its answers or by a profile file; missing answers take
    the questionnaire's defaults. The whole inventory is checked first: every problem
    is reported (file:line:col) and nothing is written. Then one decision record per
    workload goes to --records-dir (none with --summary-only), and the summary
    (counts, close calls, options ruled out, consistency flags, all workloads) to
    portfolio-summary.md and .json in --output-dir (docs/portfolio.md).

    \b
    Examples:
      advisor portfolio docs/examples/portfolio.yaml --summary-only --output-dir out
      advisor portfolio inventory.csv --records-dir reports --date 2026-11-28
    """
    from advisor import pipeline, records
    from advisor import portfolio as core

    if record_date is not None:
        try:
            records.check_date(record_date)
        except ValueError as exc:
            message, _, hint = str(exc).partition("; ")
            raise UsageError(f"--date: {message}", hint or None) from None
    day = record_date or records.default_date()
    questionnaire = load_questionnaire(questionnaire_path)
    from advisor.inputs import outside_allowed

    with outside_allowed(allow_outside):
        inv = core.load_inventory(inventory, questionnaire)
    out_dir = output_dir if output_dir is not None else records_dir
    core.check_summary_free(out_dir, force)
    rules = list(rules_dirs) or None
    pack = pipeline.load_decision_pack(list(rules_dirs), questionnaire)

    n_jobs = jobs if jobs is not None else core.default_jobs()
    started = time.monotonic()
    bar = console.Progress("assessing workloads", total=len(inv.workloads))
    bar.enabled = bar.enabled and not quiet

    def progress(done: int, total: int) -> None:
        bar.update(done, total=total)

    with bar:
        if summary_only:
            entries = core.assess_all(inv, pack, questionnaire, on_progress=progress, jobs=n_jobs)
        else:
            entries = core.decide_all(inv, pack, questionnaire, records_dir=records_dir, rules=rules, date=day,
                                      on_progress=progress, jobs=n_jobs)
    if not quiet:
        console.err(f"assessed {len(entries)} workloads in {time.monotonic() - started:.1f} s")
    flags = core.consistency(entries, questionnaire, similarity)
    summary = core.summarize(inv, entries, flags, date=day, threshold=similarity, questionnaire=questionnaire,
                             pack=pack, records_dir=None if summary_only else pipeline.shown_path(records_dir))
    md_path, _json_path = core.write_summary(summary, out_dir, force=force)
    if fmt == "json":
        console.out(core.to_json(summary), end="")
    else:
        console.out(_table(summary))
    if not summary_only:
        console.err(f"{len(entries)} decision records written to {records_dir}")
    console.err(f"Summary written to {md_path} (and .json)")
    return int(ExitCode.OK)


def _table(summary: dict[str, Any]) -> str:
    from tabulate import tabulate

    rows = [[_NAMES[k], v] for k, v in summary["counts"].items()]
    rows += [["close calls", len(summary["close_calls"])], ["ruled out", len(summary["ruled_out"])],
             ["consistency flags", len(summary["consistency"]) + summary.get("consistency_omitted", 0)]]
    text = tabulate(rows, headers=["workloads", str(summary["workload_count"])], tablefmt="simple",
                    disable_numparse=True)
    for f in summary["consistency"]:
        a, b = f["workloads"]
        diffs = ", ".join(d["key"] for d in f["differences"])
        text += f"\nflag: {a} / {b} (distance {f['distance']:.3f}) differ in {diffs}"
    return text
