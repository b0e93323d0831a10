"""What ``advisor assess`` prints: the decision as a table (or JSON), and what measuring changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor import console

if TYPE_CHECKING:
    from advisor.decide import Decision
    from advisor.records import MeasurementsInfo

__all__ = ["print_result"]

_NAMES = {"bare-metal": "bare metal", "vm": "VM-backed"}


def print_result(result: Decision, fmt: str, info: MeasurementsInfo | None) -> None:
    from advisor.decide.text import share

    if fmt == "json":
        console.out(result.to_json(), end="")
        return
    text = _result_table(result)
    if info is not None and info.before is not None and info.verdicts:
        b = info.before
        p = b.get("p_bare_metal_better")
        text += (f"\n\nBefore measuring: {b.get('outcome')}, "
                 + (f"bare metal better in {share(p)} of the draws" if isinstance(p, (int, float)) else
                    "no comparison")
                 + "\nMeasured: " + "; ".join(f"{v['probe']} {v.get('verdict', '-')}"
                                            + (f" (ratio {v['ratio']:.3g} [{v['ci_low']:.3g}, {v['ci_high']:.3g}])"
                                               if v.get("ratio") is not None and v.get("ci_low") is not None else "")
                                            for v in info.verdicts))
    # the outcome sentence (the first line) in bold on a terminal
    console.out(text, emphasis=[result.sentence])


def _status(result: Decision, option: str) -> str:
    opt = result.options[option]  # type: ignore[index]
    if opt.status == "infeasible":
        return "ruled out: " + "; ".join(opt.ruled_out_by)
    text = f"{opt.status}, best of {opt.feasible_configurations} feasible configurations: {opt.name}"
    if opt.conditions:
        text += " (" + "; ".join(opt.conditions) + ")"
    return text


def _result_table(result: Decision) -> str:
    from advisor import tables
    from advisor.decide.text import share

    unc = result.uncertainty
    summary = [["outcome", result.outcome]]
    if result.recommendation is not None:
        summary.append(["recommendation", result.configuration or _NAMES[result.recommendation]])
    summary += [[_NAMES[o], _status(result, o)] for o in ("bare-metal", "vm")]
    if unc is not None:
        summary.append(["P(bare metal better)", f"{share(unc.p_bare_metal_better)} of {unc.samples} draws"])
        summary.append(["U(bm) - U(vm), 80 %", f"{unc.interval80[0]:+.2f} to {unc.interval80[1]:+.2f}"])
        summary.append(["close", "yes" if unc.close else "no"])
    parts = [result.sentence, tables.plain(summary)]
    if unc is not None and unc.rests_on:
        parts.append("What the probability rests on:\n" + "\n".join(f"- {r}" for r in unc.rests_on))
    flipping = [p for p in result.probes if p.can_flip or p.value_of_information > 0]
    if flipping:
        rows = [[p.probe, p.compares, f"{p.value_of_information:.2g}", "yes" if p.can_flip else "no"]
                for p in flipping]
        parts.append("Measurable unknowns:\n" + tables.text(rows, ["probe", "compares", "value", "could flip"]))
    if result.unknown_rules:
        parts.append("Rules not counted (they read an unknown answer): " + ", ".join(result.unknown_rules))
    return "\n\n".join(parts)
