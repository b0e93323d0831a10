"""Portfolios: assess many workloads at once and summarise them (``advisor portfolio``).

An inventory (:mod:`.inventory`) is a YAML file (``advisor_portfolio: 1``) or a CSV
file listing workloads, each given by its answers or by a reference to a profile file
(docs/portfolio.md). Its workloads are decided (:mod:`.assess`), with a decision record
each unless the summary only is asked for; the consistency check (:mod:`.consistency`)
flags pairs of workloads whose answers are nearly the same but whose recommendations
differ; the summary (:mod:`.summary`) counts the outcomes and recommendations, lists
close calls (and "measure first") and the options ruled out by constraints. Strings and
files only: nothing here prints; progress goes to an ``on_progress(done, total)`` callback.
"""

from __future__ import annotations

from advisor.portfolio.assess import (
    Assessed,
    Outcome,
    RuledOut,
    assess_all,
    decide_all,
    default_jobs,
    parallel_map,
    with_defaults,
)
from advisor.portfolio.consistency import DEFAULT_SIMILARITY, MAX_CANDIDATES, MAX_FLAGS, Flag, consistency, distance
from advisor.portfolio.inventory import FORMAT, Inventory, Workload, load_inventory
from advisor.portfolio.summary import (
    OUTCOMES,
    SUMMARY_JSON,
    SUMMARY_MD,
    check_summary_free,
    summarize,
    summary_paths,
    to_json,
    to_markdown,
    write_summary,
)

__all__ = [
    "DEFAULT_SIMILARITY",
    "FORMAT",
    "MAX_CANDIDATES",
    "MAX_FLAGS",
    "OUTCOMES",
    "SUMMARY_JSON",
    "SUMMARY_MD",
    "Assessed",
    "Flag",
    "Inventory",
    "Outcome",
    "RuledOut",
    "Workload",
    "assess_all",
    "check_summary_free",
    "consistency",
    "decide_all",
    "default_jobs",
    "distance",
    "load_inventory",
    "parallel_map",
    "summarize",
    "summary_paths",
    "to_json",
    "to_markdown",
    "with_defaults",
    "write_summary",
]
