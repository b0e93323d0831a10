"""The portfolio summary: counts, close calls, options ruled out and consistency flags (JSON and markdown)."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from advisor.atomic import write_text
from advisor.decide import Pack
from advisor.errors import DataError, Location, Problem
from advisor.portfolio.assess import Assessed
from advisor.portfolio.consistency import MAX_FLAGS, Flag
from advisor.portfolio.inventory import Inventory
from advisor.questionnaire import Questionnaire
from advisor.tables import markdown as _table  # tabulate's github layout

SUMMARY_MD = "portfolio-summary.md"
SUMMARY_JSON = "portfolio-summary.json"

_NAMES = {"bare-metal": "bare metal", "vm": "VM-backed", "none": "neither (tie or both ruled out)"}
#: Outcome kinds in the order the summary counts them.
OUTCOMES = ("recommend", "measure-first", "tie", "one-ruled-out", "both-ruled-out")



def _packs(pack: Pack | None) -> list[dict[str, Any]]:
    """Name and version of the pack and of each layer over it, in the order they were applied."""
    if pack is None:
        return []
    layers = [layer.name.rpartition("@") for layer in pack.layers]
    return [{"name": pack.meta.name, "version": pack.meta.version},
            *({"name": name, "version": int(version)} for name, _, version in layers)]

def summarize(inventory: Inventory, entries: Sequence[Assessed], flags: Sequence[Flag], *, date: str,
              threshold: float, questionnaire: Questionnaire, pack: Pack | None = None,
              records_dir: str | None = None) -> dict[str, Any]:
    """The summary as JSON-ready data (deterministic: no timings, inventory order)."""
    counts = {"bare-metal": 0, "vm": 0, "none": 0}
    outcomes = dict.fromkeys(OUTCOMES, 0)
    for e in entries:
        counts[e.result.recommendation] = counts.get(e.result.recommendation, 0) + 1
        outcomes[e.result.outcome] = outcomes.get(e.result.outcome, 0) + 1
    return {
        "advisor_portfolio_summary": 1,
        "inventory": inventory.display,
        "date": date,
        "questionnaire": {"id": questionnaire.id, "version": questionnaire.version},
        "rules": _packs(pack),
        "records_dir": records_dir,
        "workload_count": len(entries),
        "counts": counts,
        "outcomes": outcomes,
        "close_calls": [{"workload": e.workload.name, "outcome": e.result.outcome,
                         "recommendation": e.result.recommendation, "p_bare_metal": e.result.p_bare_metal}
                        for e in entries if e.result.close or e.result.outcome == "measure-first"],
        "ruled_out": [{"workload": e.workload.name, "option": r.option, "rules": list(r.rules), "reason": r.reason}
                      for e in entries for r in e.result.ruled_out],
        "similarity_threshold": threshold,
        "consistency": [{"workloads": [f.a, f.b], "distance": f.distance, "recommendations": list(f.recommendations),
                         "differences": [{"key": k, "a": x, "b": y} for k, x, y in f.differences]}
                        for f in _nearest_flags(flags)],
        "consistency_omitted": max(0, len(flags) - MAX_FLAGS),
        "workloads": [{"name": e.workload.name, "source": f"{e.workload.location.file}:{e.workload.location.line}",
                       "outcome": e.result.outcome, "recommendation": e.result.recommendation,
                       "configuration": e.result.configuration, "p_bare_metal": e.result.p_bare_metal,
                       "close": e.result.close, "record": e.record} for e in entries],
    }


def _nearest_flags(flags: Sequence[Flag]) -> list[Flag]:
    """At most :data:`MAX_FLAGS` flags: the nearest pairs, kept in inventory order."""
    if len(flags) <= MAX_FLAGS:
        return list(flags)
    keep = sorted(sorted(range(len(flags)), key=lambda i: (flags[i].distance, i))[:MAX_FLAGS])
    return [flags[i] for i in keep]


def to_json(summary: Mapping[str, Any]) -> str:
    return json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _cell(text: Any) -> str:
    out = " ".join(str(text).split())
    for ch in ("\\", "|", "*", "_", "`", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    return re.sub(r"<(?=[A-Za-z/!?])", r"\\<", out) or " "


def _p(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def to_markdown(summary: Mapping[str, Any]) -> str:
    """The summary as markdown (passes markdownlint with the project's configuration)."""
    n = summary["workload_count"]
    parts = [f"# Portfolio summary: {_cell(summary['inventory'])}"]
    facts = [f"Inventory: {_cell(summary['inventory'])}", f"Date: {summary['date']}",
             f"Workloads: {n}",
             f"Questionnaire: {_cell(summary['questionnaire']['id'])} version {summary['questionnaire']['version']}"]
    if summary["rules"]:
        facts.append("Rules: " + ", ".join(f"{_cell(r['name'])} {_cell(r['version'])}" for r in summary["rules"]))
    if summary.get("records_dir"):
        facts.append(f"Decision records: {_cell(summary['records_dir'])}")
    parts.append("\n".join(f"- {f}" for f in facts))
    counts = summary["counts"]
    parts.append("## Recommendations")
    parts.append(_table([[_NAMES.get(k, k), str(v)] for k, v in counts.items()], ["recommendation", "workloads"]))
    parts.append(_table([[k, str(v)] for k, v in summary["outcomes"].items()], ["outcome", "workloads"]))
    parts.append("## Close calls")
    close = summary["close_calls"]
    if close:
        parts.append(f"{_plural(len(close), 'workload')} whose probability that bare metal is better lies in the "
                     "pack's close band, or that a measurement could change: measure before deciding "
                     "(`advisor assess --profile FILE --measure auto`, docs/measurement.md).")
        parts.append(_table([[_cell(c["workload"]), c["outcome"], _NAMES.get(c["recommendation"], c["recommendation"]),
                              _p(c["p_bare_metal"])] for c in close],
                            ["workload", "outcome", "recommendation", "P(bare metal better)"]))
    else:
        parts.append("None.")
    parts.append("## Ruled out by constraints")
    ruled = summary["ruled_out"]
    if ruled:
        parts.append(_table([[_cell(k["workload"]), _NAMES.get(k["option"], k["option"]), _cell(", ".join(k["rules"])),
                              _cell(k["reason"])] for k in ruled], ["workload", "ruled out", "rules", "reason"]))
    else:
        parts.append("None.")
    parts.append("## Consistency")
    flags = summary["consistency"]
    intro = (f"Pairs of workloads whose answers are near-identical (distance under "
             f"{summary['similarity_threshold']:g}) but whose recommendations differ.")
    if flags:
        parts.append(intro + " Check that the differing answers are right.")
        rows = []
        for f in flags:
            a, b = f["workloads"]
            diffs = "; ".join(f"{d['key']}: {d['a']} / {d['b']}" for d in f["differences"])
            rows.append([_cell(a), _cell(b), f"{f['distance']:.3f}",
                         " / ".join(_NAMES.get(r, r) for r in f["recommendations"]), _cell(diffs)])
        parts.append(_table(rows, ["workload", "workload", "distance", "recommendations", "differing answers"]))
        if summary.get("consistency_omitted"):
            parts.append(f"{_plural(summary['consistency_omitted'], 'more pair')} not shown (the "
                         f"{len(flags)} nearest are).")
    else:
        parts.append(intro + " None found.")
    parts.append("## Workloads")
    parts.append(_table([[_cell(w["name"]), w["outcome"], _cell(w["configuration"] or _NAMES["none"]),
                          _p(w["p_bare_metal"]), "yes" if w["close"] else "no"]
                         for w in summary["workloads"]], ["workload", "outcome", "configuration",
                                                          "P(bare metal better)", "close"]))
    return "\n\n".join(parts) + "\n"


def summary_paths(output_dir: str | os.PathLike[str]) -> tuple[Path, Path]:
    base = Path(output_dir)
    return base / SUMMARY_MD, base / SUMMARY_JSON


def check_summary_free(output_dir: str | os.PathLike[str], force: bool) -> None:
    """DataError when a summary file exists and ``force`` is not given (checked before any work)."""
    if force:
        return
    problems = [Problem("file already exists", "use --force to replace it, or choose another --output-dir",
                        Location(str(p))) for p in summary_paths(output_dir) if p.exists()]
    if problems:
        raise DataError("", problems=problems)


def write_summary(summary: Mapping[str, Any], output_dir: str | os.PathLike[str], *,
                  force: bool = False) -> tuple[Path, Path]:
    """Write ``portfolio-summary.md`` and ``.json``; an existing file is replaced only with ``force``."""
    md_path, json_path = summary_paths(output_dir)
    write_text(json_path, to_json(summary), exclusive=not force)
    write_text(md_path, to_markdown(summary), exclusive=not force)
    return md_path, json_path
