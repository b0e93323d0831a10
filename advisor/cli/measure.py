"""``advisor measure``: run benchmarks on candidate platforms and compare them."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    FiniteFloatRange,
    InputFile,
    complete_probe_names,
    format_option,
    load_questionnaire,
    measurement_progress,
    questionnaire_option,
)
from advisor.errors import Interrupted, Location, MeasurementError, Problem, UsageError

#: Probes of the quick suite (when no --probe is given); --full runs every probe.
#: The quick suite, in the order it runs without a decision to rank the probes (``advisor assess`` runs them
#: by value of information): quickest to a verdict first (cpu ~12 s, jitter ~10 s, memory ~17 s, net ~34 s),
#: so a 60-s budget gives the most verdicts and net takes what is left.
QUICK_PROBES = ("cpu", "jitter", "memory", "net")


def _render(specs: Any, probes: Any, suite: Literal["quick", "full"], directory: Path) -> None:
    from advisor.atomic import write_text
    from advisor.measure.runners.k8s_render import render_manifests

    manifests = render_manifests(specs, probes, suite)
    if not manifests:
        raise UsageError("no target uses runner: kubernetes",
                         "--render-only writes Job manifests of kubernetes targets")
    for name, text in sorted(manifests.items()):
        write_text(directory / name, text)
        console.out(str(directory / name))
    console.err(f"advisor: wrote {len(manifests)} manifests to {directory}; nothing was run")


def require_extras(specs: Any) -> None:
    """Name a missing extra (with its install command) before anything runs."""
    from advisor.resources import EXTRAS, require_extra

    for runner in sorted({s.runner for s in specs}):
        if runner in EXTRAS:
            require_extra(runner)


def _fmt(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"


def _parse_bands(values: tuple[str, ...]) -> tuple[float | None, dict[str, float]]:
    """``--band 5`` (every metric) and ``--band net=20`` / ``--band net.p99_us=30`` (per probe or metric)."""
    overall: float | None = None
    per: dict[str, float] = {}
    for value in values:
        name, sep, pct = value.rpartition("=")
        try:
            number = float(pct)
        except ValueError:
            raise UsageError(f"--band {value!r} is not PCT or NAME=PCT", "e.g. --band 5 or --band net=20") from None
        if not 0.1 <= number <= 50.0 or not math.isfinite(number):
            raise UsageError(f"--band {value!r}: the band must be between 0.1 and 50 %", "e.g. --band net=20")
        if sep:
            per[name] = number / 100.0
        else:
            overall = number / 100.0
    return overall, per


@click.command(context_settings=CONTEXT_SETTINGS)
@click.option("--targets", "targets_path", type=InputFile("targets"), default=None, metavar="FILE",
              help="Targets file (docs/measurement.md); without it, measure this host alone.")
@click.option("--profile", "profile_path", type=InputFile("profile"), default=None, metavar="FILE",
              help="Workload profile: single-host figures are compared with its latency_p99_ms SLO.")
@questionnaire_option
@click.option("--probe", "probe_names", multiple=True, metavar="NAME", shell_complete=complete_probe_names,
              help="Run this probe (repeatable; see advisor plugins).")
@click.option("--all-probes", is_flag=True, help="Run every installed probe, plugins' included.")
@click.option("--quick/--full", "quick", default=True, show_default=True,
              help="Quick suite (short runs, cpu/jitter/memory/net) or full suite (longer runs, every probe).")
@click.option("--budget", "budget_s", type=FiniteFloatRange(min=1.0), default=None, metavar="SECONDS",
              help="Time budget of the whole session [default: 60 quick, 900 full].")
@click.option("--band", "band_values", multiple=True, metavar="[NAME=]PCT",
              help="Equivalence band: a CI inside 100 +- PCT % is 'equivalent'. PCT alone sets every metric; "
              "net=20 or net.p99_us=30 one probe or metric (repeatable) [default: each metric's own].")
@click.option("--allow-disturbed", is_flag=True,
              help="Keep verdicts although the machine was busy during the runs (the result says so).")
@click.option("--accept-imitation", is_flag=True,
              help="Let verdicts of imitation targets (local targets with a quota, pinning or netns) become "
              "measured facts.")
@click.option("--seed", type=int, default=None, help="Seed of the random run order (recorded) [default: random].")
@click.option("--sweep", is_flag=True, help="Remove cgroups, network namespaces and veths left by killed "
              "sessions, then exit.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Result file (.yaml, or .json) [default: measurement-<UTC time>.yaml].")
@click.option("--force", is_flag=True, help="Overwrite --output when it exists.")
@click.option("--force-compare", is_flag=True, help="Compare even when the placements differ in a way that makes "
              "the ratio meaningless (different CPU models, pinning, host settings); the result records why.")
@format_option()
@click.option("--render-only", "render_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              metavar="DIR", help="Write the Kubernetes Job manifests of the kubernetes targets to DIR instead "
              "of running anything (for review or GitOps).")
def measure(targets_path: Path | None, profile_path: Path | None, questionnaire_path: Path | None,
            probe_names: tuple[str, ...], all_probes: bool, quick: bool, budget_s: float | None,
            band_values: tuple[str, ...], allow_disturbed: bool, accept_imitation: bool, seed: int | None,
            sweep: bool, output: Path | None, force: bool, force_compare: bool, render_dir: Path | None,
            fmt: str) -> None:
    """Run benchmarks on candidate platforms and compare them.

    With a targets file naming a bare-metal and a VM target, each probe runs on both
    in blocks of one run each, in random order, after a discarded warm-up, until the
    confidence interval of the ratio VM / bare metal is inside the metric's
    equivalence band (equivalent) or outside it (faster/slower) at one of the planned
    looks, or the budget ends (inconclusive). The error rate holds whatever look the
    session stops at (docs/measurement.md). Without a targets file, this host is
    measured alone: absolute figures, the SLO of --profile, and whether it is a VM.

    \b
    The result file keeps every run, where it ran and how busy the machine was;
    Ctrl-C stops cleanly and keeps the finished runs (exit 130).
    """
    from advisor.measure import fairness
    from advisor.measure.manager import load_registry
    from advisor.measure.results import result_path_default, slo_checks
    from advisor.measure.run import run_targets
    from advisor.measure.session import DEFAULT_BUDGET_S
    from advisor.measure.targets import load_targets, local_target

    if sweep:
        from advisor.measure.runners.local import sweep as sweep_leftovers

        removed = sweep_leftovers()
        for item in removed:
            console.out(f"removed {item}")
        console.err(f"advisor: swept {len(removed)} leftover(s) of killed sessions")
        return
    suite: Literal["quick", "full"] = "quick" if quick else "full"
    band, bands = _parse_bands(band_values)
    if render_dir is not None and fmt == "json":
        raise UsageError("--render-only writes manifests, there is no result to print as JSON",
                         "leave out --format json")
    if output is not None and output.exists() and not force:
        raise UsageError(f"{output} already exists", "use --force to replace it, or another --output")
    registry = load_registry()
    for warning in registry.warnings:
        console.err(f"advisor: warning: {warning}")
    if probe_names and all_probes:
        raise UsageError("--probe and --all-probes exclude each other", "give one of them")
    if probe_names:
        probes = [registry.probe(n) for n in dict.fromkeys(probe_names)]
    elif all_probes or suite == "full":
        probes = [registry.probes[n] for n in sorted(registry.probes)]
    else:
        probes = [registry.probes[n] for n in QUICK_PROBES if n in registry.probes]
    if not probes:
        raise MeasurementError("no probe to run", "install the built-in probes or a plugin; see advisor plugins")
    slo_ms: float | None = None
    if profile_path is not None:
        from advisor import profile as profile_mod

        prof = profile_mod.load(profile_path, load_questionnaire(questionnaire_path))
        value = prof.values().get("latency_p99_ms")
        slo_ms = float(value) if isinstance(value, (int, float)) else None
    specs = load_targets(targets_path) if targets_path is not None else [local_target("this-host", "bare-metal")]
    budget = budget_s if budget_s is not None else DEFAULT_BUDGET_S[suite]
    if render_dir is not None:
        _render(specs, probes, suite, render_dir)
        return
    require_extras(specs)  # rendering needs no client; running does
    out_path = output if output is not None else result_path_default()

    bar, on_progress = measurement_progress(budget)
    with bar:
        result = run_targets(registry, specs, probes, budget_s=budget, band=band, bands=bands, suite=suite,
                             on_progress=on_progress, allow_disturbed=allow_disturbed,
                             accept_imitation=accept_imitation, seed=seed,
                             slo_us=slo_ms * 1000 if slo_ms is not None else None)
    assert result is not None
    if slo_ms is not None:
        result.slo = slo_checks(result, slo_ms)
    if not result.comparison:
        result.notes.append("one target: absolute figures only; a comparison needs a bare-metal and a vm target "
                            "(a targets file, see docs/measurement.md)")
    result.notes.extend(fairness.warnings(result.targets) if result.comparison else [])
    unfair = fairness.problems(result.targets) if not result.interrupted else []
    if unfair and force_compare:
        result.notes.append("compared with --force-compare although: " + "; ".join(unfair))
    digest = result.to_file(out_path)
    if unfair and not force_compare:
        raise MeasurementError("", problems=[
            Problem(f"cannot compare the targets: {why}", "fix the targets file or use --force-compare",
                    Location(str(targets_path))) for why in unfair
        ] + [Problem(f"the runs were kept in {out_path}", "nothing was compared")])
    if fmt == "json":
        console.out(result.to_text("json"), end="")  # what a .json result file holds
    else:
        _print_result(result)
    console.err(f"advisor: wrote {out_path} (sha256 {digest[:12]})")
    if result.interrupted:
        raise Interrupted(f"interrupted; the finished runs were kept in {out_path}",
                          "measure again to complete the verdicts")
    if result.probes and all(p.stopped in ("error", "skipped") for p in result.probes):
        raise MeasurementError("no probe could run: " + "; ".join(f"{p.name}: {p.error}" for p in result.probes),
                               "see advisor plugins for the tools each probe needs")
    if result.disturbed and not result.allow_disturbed:
        raise MeasurementError("the machine was disturbed during the runs; verdicts withheld: "
                               + "; ".join(result.disturbed),
                               f"measure on a quiet machine, or pass --allow-disturbed; the runs are in {out_path}")


def _single_host_lines(result: Any) -> list[str]:
    """What a single-host measurement measured, and what that means for a comparison."""
    lines = []
    for t in result.targets:
        if t.virtualization == "none":
            virt = "not virtualized (no hypervisor detected): these are bare-metal figures"
        else:
            virt = (f"a virtual machine ({t.virtualization}): these are the figures of a VM, whatever its role; "
                    "a bare-metal comparison needs a bare-metal host")
        lines.append(f"{t.target}: {t.hostname}, {t.cpu_model}, kernel {t.kernel}: {virt}")
    lines.append("one host measured alone gives absolute figures, never a VM / bare-metal ratio or a verdict")
    return lines


def _role_median(summary: dict[str, dict[str, float]], targets: Any, role: str) -> float | None:
    """The median of a role's targets' medians (one target: its median; several hosts: the middle host)."""
    import statistics

    medians = [v for t in targets if t.role == role
               if (v := summary.get(t.target, {}).get("median")) is not None]
    return statistics.median(medians) if medians else None


def _print_result(result: Any) -> None:
    from tabulate import tabulate

    if result.comparison:
        rows = []
        for pr in result.probes:
            for m in pr.metrics:
                c = m.comparison
                runs = f"{c.n_bare_metal}+{c.n_vm}" if c is not None else "-"
                ci = f"[{_fmt(c.ci_low)}, {_fmt(c.ci_high)}]" if c is not None and c.ci_low is not None else "-"
                bm, vm = (_role_median(m.summary, result.targets, role) for role in ("bare-metal", "vm"))
                verdict = c.verdict if c is not None else "-"
                if pr.stopped in ("error", "skipped"):
                    verdict = pr.stopped
                if pr.refused and c is not None:
                    verdict = "refused"
                decision = c is not None and c.decision
                band = f"+-{c.band * 100:g} %" if c is not None and c.band is not None else "-"
                rows.append([pr.name, m.name + (" *" if decision else ""), m.unit, _fmt(bm), _fmt(vm),
                             _fmt(c.ratio if c else None), ci, band, verdict, runs])
        headers = ["probe", "metric", "unit", "bare-metal", "vm", "ratio vm/bm", "CI", "band", "verdict", "blocks"]
        console.out(tabulate(rows, headers=headers, tablefmt="simple"))
        console.out(f"(* decision metric; median per run; CI at the alpha left after spending over the looks and "
                    f"division among {result.decision_comparisons} decision comparisons: family error "
                    f"{result.design.get('alpha', 0.05):g})")
        if result.hosts > 1:
            console.out(f"(replicated over {result.hosts} host pairs: ratio and CI over hosts, the host is the unit; "
                        "bare-metal and vm show the middle host's median; blocks are hosts)")
        if result.imitations:
            label = "accepted as measurements (--accept-imitation)" if result.accept_imitation else \
                "NOT measurements of your platforms: no measured facts"
            console.out(f"IMITATION: {', '.join(t.target for t in result.imitations)}; verdicts are {label}")
    else:
        rows = []
        for pr in result.probes:
            for m in pr.metrics:
                for target, s in m.summary.items():
                    rows.append([pr.name, m.name, m.unit, target, _fmt(s.get("median")),
                                 f"{_fmt(s.get('min'))} .. {_fmt(s.get('max'))}", int(s.get("n", 0))])
                if pr.stopped in ("error", "skipped"):
                    rows.append([pr.name, "-", "-", "-", pr.stopped, "-", 0])
                    break
        console.out(tabulate(rows, headers=["probe", "metric", "unit", "target", "median", "range", "runs"],
                             tablefmt="simple"))
        for line in _single_host_lines(result):
            console.out(line)
        for check in result.slo:
            console.out(f"{check.probe}.{check.metric} on {check.target}: {check.value_ms:.3g} ms = "
                        f"{check.fraction * 100:.2g} % of the p99 SLO ({check.slo_ms:g} ms)")
    for pr in result.probes:
        if pr.error:
            console.err(f"advisor: {pr.name}: {pr.stopped}: {pr.error}")
        elif pr.refused:
            console.err(f"advisor: {pr.name}: verdicts refused: {pr.refused}")
        for note in pr.notes:
            console.err(f"advisor: {pr.name}: {note}")
    for note in result.notes:
        console.out(f"note: {note}")
