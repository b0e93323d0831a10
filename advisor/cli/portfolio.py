"""``advisor portfolio``: assess every workload of an inventory and summarise them."""

from __future__ import annotations

import sys
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
    from collections.abc import Callable

_NAMES = {"bare-metal": "bare metal", "vm": "VM-backed", "none": "none (both ruled out)"}


class _ProgressLine:
    """Progress on stderr: a ``\\r``-updated line on a terminal, a plain line every few seconds otherwise."""

    def __init__(self, tty: bool, every_s: float = 5.0) -> None:
        self.tty = tty
        self.every_s = every_s
        self.start = time.monotonic()
        self.last = self.start
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < (0.1 if self.tty else self.every_s):
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else 0.0
        line = f"assessed {done}/{total} workloads ({rate:.1f}/s, ETA {eta:.0f} s)"
        if self.tty:
            console.err("\r\x1b[2K" + line, end="")
            self.shown = True
        elif done < total:
            console.err(line)

    def close(self, total: int) -> None:
        if self.tty and self.shown:
            console.err("")
        console.err(f"assessed {total} workloads in {time.monotonic() - self.start:.1f} s")


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
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
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
    (counts, close calls, knock-outs, consistency flags, all workloads) to
    portfolio-summary.md and .json in --output-dir (docs/portfolio.md).

    \b
    Examples:
      advisor portfolio docs/examples/portfolio.yaml --summary-only --output-dir out
      advisor portfolio inventory.csv --records-dir reports --date 2026-11-28
    """
    from advisor import decision, pipeline
    from advisor import portfolio as core

    if record_date is not None:
        try:
            decision.check_date(record_date)
        except ValueError as exc:
            message, _, hint = str(exc).partition("; ")
            raise UsageError(f"--date: {message}", hint or None) from None
    day = record_date or decision.default_date()
    questionnaire = load_questionnaire(questionnaire_path)
    from advisor.inputs import outside_allowed

    with outside_allowed(allow_outside):
        inv = core.load_inventory(inventory, questionnaire)
    out_dir = output_dir if output_dir is not None else records_dir
    core.check_summary_free(out_dir, force)
    rules = list(rules_dirs) or None
    pack = pipeline.load_pack(rules, questionnaire, cases=False)

    n_jobs = jobs if jobs is not None else core.default_jobs()
    progress: Callable[[int, int], None] | None = None
    bar: _ProgressLine | None = None
    if not quiet:
        bar = _ProgressLine(sys.stderr.isatty())
        progress = bar
    try:
        if summary_only:
            entries = core.assess_all(inv, pack, questionnaire, on_progress=progress, jobs=n_jobs)
        else:
            entries = core.decide_all(inv, questionnaire, records_dir=records_dir, rules=rules, date=day,
                                      on_progress=progress, jobs=n_jobs)
    finally:
        if bar is not None and bar.tty and bar.shown:
            console.err("")
            bar.shown = False
    if bar is not None:
        bar.close(len(entries))
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
    rows += [["close calls", len(summary["close_calls"])], ["knock-outs", len(summary["knock_outs"])],
             ["consistency flags", len(summary["consistency"]) + summary.get("consistency_omitted", 0)]]
    text = tabulate(rows, headers=["workloads", str(summary["workload_count"])], tablefmt="simple",
                    disable_numparse=True)
    for f in summary["consistency"]:
        a, b = f["workloads"]
        diffs = ", ".join(d["key"] for d in f["differences"])
        text += f"\nflag: {a} / {b} (distance {f['distance']:.3f}) differ in {diffs}"
    return text
