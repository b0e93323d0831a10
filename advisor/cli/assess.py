"""``advisor assess``: answer the questionnaire (or replay a profile) and assess."""

from __future__ import annotations

import contextlib
import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor import console
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    FiniteFloatRange,
    InputFile,
    complete_keys,
    complete_set,
    format_option,
    load_questionnaire,
    measurement_progress,
    questionnaire_option,
)
from advisor.errors import ExitCode, Interrupted, Location, MeasurementError, Problem, UsageError

if TYPE_CHECKING:
    from advisor.decide import Decision, Pack
    from advisor.profile import Profile
    from advisor.questionnaire import Mode, Questionnaire
    from advisor.records import MeasurementsInfo


def _split_keys(text: str | None) -> list[str]:
    if not text:
        return []
    return [k.strip() for k in text.split(",") if k.strip()]


def _free_name(path: Path) -> Path:
    """``path``, or ``name-2.profile.yaml`` / ``name-2.yaml`` ... when it exists: never overwrite silently."""
    if not path.exists():
        return path
    suffix = ".profile.yaml" if path.name.endswith(".profile.yaml") else path.suffix
    stem = path.name.removesuffix(suffix)
    for n in itertools.count(2):
        candidate = path.with_name(f"{stem}-{n}{suffix}")
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")


@click.command(context_settings=CONTEXT_SETTINGS)
@questionnaire_option
@click.option("--profile", "profile_path", type=InputFile("profile"), metavar="FILE",
              help="Start from this profile: only missing answers are asked (on a terminal). It is updated in place.")
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", shell_complete=complete_set,
              help="Give an answer on the command line (repeatable), validated like a typed one.")
@click.option("--defaults", "use_defaults", is_flag=True,
              help="Take the default of every question not answered by --profile or --set.")
@click.option("--ask", "ask", metavar="KEY[,KEY...]|all", shell_complete=complete_keys,
              help="Ask these questions again, the current answers as defaults; 'all' asks every question of the "
              "mode (needs a terminal).")
@click.option("--note", "notes", multiple=True, metavar="KEY=TEXT",
              help="Why an answer was given (repeatable); kept in the profile and shown in the record.")
@click.option("--full", is_flag=True, help="Ask every question, not only the quick ones.")
@click.option("--profile-output", "output", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Where to write the profile (default: the --profile file, else WORKLOAD.profile.yaml).")
@click.option("--force", is_flag=True, help="Overwrite --profile-output when it exists.")
@click.option("--answered-by", metavar="NAME", help="Who answered, for the provenance (default: login name).")
@click.option("--rules", "rules_dirs", multiple=True, type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR", help="Rule pack folder (repeatable; later packs layer over earlier ones). "
              "Default: the bundled rules/.")
@format_option()
@click.option("--records-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("reports"),
              show_default=True, metavar="DIR",
              help="Where to write the decision record (NNNN-slug.md and .json; never overwritten).")
@click.option("--no-record", is_flag=True, help="Decide only; do not write a decision record.")
@click.option("--date", "record_date", metavar="YYYY-MM-DD",
              help="Date of the record (default: today in UTC, or the day of SOURCE_DATE_EPOCH).")
@click.option("--decision-maker", "decision_makers", multiple=True, metavar="NAME",
              help="Who decides (repeatable), for the record's decision-makers; asked on a terminal when not given.")
@click.option("--title", metavar="TEXT", help="Title of the record (default: 'Run WORKLOAD on ... nodes').")
@click.option("--measure", "measure_mode", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Measure on the --targets platforms when the decision is close or says "
              "measure first (auto), always, or never.")
@click.option("--targets", "targets_path", type=InputFile("targets"), metavar="FILE",
              help="Targets file naming the bare-metal and vm platforms to measure (docs/measurement.md).")
@click.option("--measurements", "measurements_path", type=InputFile("measurements"), metavar="FILE",
              help="Use a recorded measurement result instead of measuring (reproducible, no re-run).")
@click.option("--budget", "budget_s", type=FiniteFloatRange(min=1.0), default=None, metavar="SECONDS",
              help="Time budget of the measurement [default: 60].")
@click.option("--all-probes", is_flag=True,
              help="Measure with every probe, not only those whose measurement could flip the decision.")
@click.option("--force-compare", is_flag=True,
              help="Use the measurement even when the targets' placements differ (CPU model, pinning).")
@click.option("--allow-disturbed", is_flag=True,
              help="Keep measured verdicts although the machine was busy during the runs (recorded).")
@click.option("--accept-imitation", is_flag=True,
              help="Count verdicts of imitation targets (local targets with a quota, pinning or netns) as "
              "measurements (recorded).")
def assess(questionnaire_path: Path | None, profile_path: Path | None, sets: tuple[str, ...], use_defaults: bool,
           ask: str | None, notes: tuple[str, ...], full: bool, output: Path | None, force: bool,
           answered_by: str | None,
           rules_dirs: tuple[Path, ...], fmt: str, records_dir: Path, no_record: bool, record_date: str | None,
           decision_makers: tuple[str, ...], title: str | None, measure_mode: str, targets_path: Path | None,
           measurements_path: Path | None, budget_s: float | None, all_probes: bool, force_compare: bool,
           allow_disturbed: bool, accept_imitation: bool) -> int:
    """Answer the questionnaire, write the workload profile and decide between the options.

    On a terminal the questions are asked interactively (quick mode unless --full);
    Enter confirms the default shown (an answer, like a typed one); '?' shows the
    full help of a question. Without a terminal every answer must come from
    --profile, --set or --defaults. Ctrl-C, Ctrl-D, a hangup or SIGTERM save the
    answers given so far and print the command that resumes.

    The decision engine screens both options (constraints first), estimates the
    consequences of each option's configurations with their ranges and gives the
    probability that bare metal is the better option. When the decision is close or
    says measure first and a --targets file names a bare-metal and a VM platform, the
    probes whose measurement could flip the decision (its value of information) are
    run there (--measure auto); the measured ratios replace the published ranges they
    measure and the profile is decided again. --measurements FILE reuses a recorded
    result.

    Unless --no-record, a decision record (MADR markdown and its JSON twin) is
    written to --records-dir as NNNN-slug.md/.json with the next free number;
    existing records are never overwritten (docs/decision-records.md).

    \b
    Examples:
      advisor assess
      advisor assess --profile payments.profile.yaml --ask latency_p99_ms
      advisor assess --set workload_name=payments --set latency_p99_ms=5 --defaults
    """
    from advisor import profile as profiles

    if record_date is not None and not no_record:
        from advisor.records import check_date

        try:
            check_date(record_date)
        except ValueError as exc:
            message, _, hint = str(exc).partition("; ")
            raise UsageError(f"--date: {message}", hint or None) from None
    if title is not None and not title.strip():
        raise UsageError("--title is empty", "give a title or leave the option out")
    if measurements_path is not None and targets_path is not None:
        raise UsageError("--measurements and --targets exclude each other",
                         "reuse a recorded result, or measure again on the targets")
    if targets_path is not None and measure_mode != "never":
        from advisor.cli.measure import require_extras
        from advisor.measure.targets import load_targets

        require_extras(load_targets(targets_path))  # before any question is asked
    questionnaire = load_questionnaire(questionnaire_path)
    mode: Mode = "full" if full else "quick"
    reask = _split_keys(ask)
    interactive = console.interactive()
    from advisor.atomic import locked_file

    # the profile is read, changed and written back under a lock: concurrent edits keep every answer
    edited = profile_path or output
    with contextlib.ExitStack() as lock:
        if edited is not None:
            lock.enter_context(locked_file(edited, on_wait=lambda: console.err(
                f"advisor: waiting for another advisor editing {edited}")))
        gathered = profiles.gather(
            questionnaire, profile_path=profile_path, sets=sets, use_defaults=use_defaults,
            reask=reask, mode=mode, interactive=interactive,
        )
        profile, plan = gathered.profile, gathered.plan
        for text in notes:
            key, _, note = text.partition("=")
            if not _ or not note.strip():
                raise UsageError(f"--note {text!r} is not KEY=TEXT", "write e.g. --note latency_p99_ms='from the SLO'")
            profile.set_note(questionnaire.question(key.strip()).key, note)
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

            answered_before = dict(profile.answers)
            try:
                with prompt.stop_signals():
                    prompt.ask_questions(profile, plan.ask, mode=mode, use_defaults=use_defaults)
            except (KeyboardInterrupt, EOFError) as exc:
                raise _interrupted(exc, profile, answered_before, plan.take_default, output, profile_path,
                                   answered_by) from None
        for warning in questionnaire.warnings(profile.values()):
            if not plan.ask:  # the questionnaire showed them before saving
                console.err(f"advisor: warning: {warning}")

        target = output or profile_path or _free_name(profiles.default_output(profile))
        # a partial profile (Ctrl-C at the summary) with nothing left to ask is now complete: rewrite it as such
        partial = profile.provenance is not None and not profile.provenance.complete
        if profile.changed or partial or profile_path is None or target != profile_path:
            profile.write(target, source=gathered.source, answered_by=answered_by)
            console.err(f"Profile written to {target}")
        else:
            console.err(f"Profile {target} is up to date")

    if interactive and not no_record and not decision_makers:
        from advisor import prompt

        try:
            with prompt.stop_signals():
                decision_makers = tuple(prompt.ask_decision_makers())
        except (KeyboardInterrupt, EOFError) as exc:
            how = getattr(exc, "how", None) or ("Ctrl-D" if isinstance(exc, EOFError) else "Ctrl-C")
            raise Interrupted(f"stopped by {how}; the answers are saved in {target}; no record was written",
                              f"resume with: {_resume_command(target)}") from None

    from advisor import pipeline

    rules = list(rules_dirs) or None
    pack = pipeline.load_decision_pack(rules, questionnaire)
    measured: dict[str, Any] | None = None
    info = None
    before: Decision | None = None
    if measurements_path is not None or measure_mode != "never":
        with console.Progress("deciding"):
            before = pipeline.decide_profile(profile, pack, questionnaire=questionnaire)
        if measurements_path is not None:
            from advisor import measuring

            measured, info = measuring.measurement_facts(measurements_path, before=before, pack=pack)
        elif measure_mode == "always" or _worth_measuring(before):
            if targets_path is not None:
                measured, info = _measure(before, pack, profile, questionnaire, targets_path, records_dir,
                                          all_probes, budget_s, force_compare, allow_disturbed, accept_imitation,
                                          always=measure_mode == "always")
            elif measure_mode == "always":
                raise UsageError("--measure always needs --targets FILE", "name the platforms to measure")
            else:
                console.err("advisor: a measurement could change this decision; give --targets FILE to measure the "
                            "candidate platforms (docs/measurement.md)")

    if no_record:
        with console.Progress("deciding"):
            result = before if before is not None and measured is None else \
                pipeline.decide_profile(profile, pack, questionnaire=questionnaire, measured=measured)
        _print(result, fmt, info)
        return int(ExitCode.OK)

    from advisor import recording, records, render

    with console.Progress("deciding, fault domains and tipping points for the record"):
        record = recording.decide(profile, rules=rules, questionnaire=questionnaire, date=record_date,
                                 decision_makers=decision_makers, title=title, measured=measured, measurements=info,
                                 pack=pack, result=before if measured is None else None)
    _print(record.decision, fmt, info)
    from advisor.records import index_with, same_inputs

    if (match := same_inputs(records_dir, record)) is not None:
        console.err(f"No new record: {match.md_path} holds the same assessment (same answers, rule packs and "
                    "measurements); change an answer or the rules to record a new decision")
        return int(ExitCode.OK)
    md_path, _json_path, _written = records.write_record(
        record, records_dir, render.to_markdown, index=index_with,
        on_wait=lambda: console.err(f"advisor: waiting for another advisor writing to {records_dir}"))
    console.err(f"Decision record written to {md_path} (and .json)")
    return int(ExitCode.OK)


def _interrupted(exc: BaseException, profile: Profile, before: dict[str, Any], session_defaults: list[str],
                 output: Path | None, profile_path: Path | None, answered_by: str | None) -> Interrupted:
    """Save what was answered (never an empty new profile) and say how to resume, as the user ran it."""
    from advisor import profile as profiles

    how = getattr(exc, "how", None) or ("Ctrl-D" if isinstance(exc, EOFError) else "Ctrl-C")
    for key in session_defaults:
        profile.defaults.pop(key, None)  # not shown yet: decided (or asked) again on resume
    target = output or profile_path or _free_name(profiles.default_output(profile))
    given = len(profile.answers)
    if profile_path is None and not profile.answers:
        return Interrupted(f"stopped by {how} before the first answer; nothing was saved",
                           f"start again with: {_resume_command(None)}")
    if profile.answers == before and profile_path is not None and not profile.changed:
        return Interrupted(f"stopped by {how}; {target} is unchanged", f"resume with: {_resume_command(target)}")
    profile.write(target, source="interactive", complete=False, answered_by=answered_by)
    return Interrupted(f"stopped by {how}; {given} answer{'s' if given != 1 else ''} saved to {target}",
                       f"resume with: {_resume_command(target)}")


#: options that the resume command leaves out: the saved profile holds their effect
_NOT_REPEATED = {"profile_path", "sets", "ask", "notes", "output", "force", "answered_by"}


def _resume_command(target: Path | None) -> str:
    """The command as the user ran it (``ADVISOR_INVOKED_AS`` names a wrapper script), with ``--profile``."""
    import os
    import shlex

    ctx = click.get_current_context()
    wrapper = os.environ.get("ADVISOR_INVOKED_AS", "").strip()
    words = [wrapper] if wrapper else ["advisor", "assess"]
    if target is not None:
        words += ["--profile", str(target)]
    for param in ctx.command.params:
        name = param.name
        if not isinstance(param, click.Option) or name is None or name in _NOT_REPEATED:
            continue
        value = ctx.params.get(name)
        if value == param.default or value in (None, (), False):
            continue
        flag = max(param.opts, key=len)
        if param.is_flag:
            words.append(flag)
        else:
            for item in value if isinstance(value, tuple) else (value,):
                words += [flag, str(item)]
    return shlex.join(words)


_NAMES = {"bare-metal": "bare metal", "vm": "VM-backed"}


def _worth_measuring(result: Decision) -> bool:
    """Measure (``--measure auto``) when the decision is close or says measure first."""
    return result.outcome == "measure-first" or (result.uncertainty is not None and result.uncertainty.close)


def _print(result: Decision, fmt: str, info: MeasurementsInfo | None) -> None:
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


def _measure(before: Decision, pack: Pack, profile: Profile, questionnaire: Questionnaire,
             targets_path: Path, records_dir: Path, all_probes: bool, budget_s: float | None,
             force_compare: bool, allow_disturbed: bool = False, accept_imitation: bool = False, *,
             always: bool = False) -> tuple[dict[str, Any] | None, MeasurementsInfo]:
    """Run the probes that could flip ``before`` (its value of information) on the targets; write the result next
    to the records."""

    from advisor import measuring
    from advisor.measure import fairness
    from advisor.measure.manager import load_registry
    from advisor.measure.run import run_targets
    from advisor.measure.session import DEFAULT_BUDGET_S
    from advisor.measure.targets import load_targets
    from advisor.records import MeasurementsInfo, default_date

    registry = load_registry()
    for warning in registry.warnings:
        console.err(f"advisor: warning: {warning}")
    specs = load_targets(targets_path)
    # probes other than the catalog's have no facts a rule could read: only --all-probes runs them
    readable = measuring.fact_probes()
    reasons = measuring.probes_to_measure(before, [p for p in registry.probes if p in readable], pack)
    chosen = sorted(registry.probes) if all_probes else [p for p, why in reasons.items() if not why]
    skipped = {} if all_probes else {p: why for p, why in reasons.items() if why}
    for name, why in sorted(skipped.items()):
        console.err(f"advisor: not measuring {name}: {why}")
    before_info = measuring.decision_before(before)
    if not chosen:
        console.err("advisor: no measurement could change this decision; not measuring")
        return None, MeasurementsInfo(before=before_info, skipped=skipped)
    budget = budget_s or DEFAULT_BUDGET_S["quick"]
    bar, on_progress = measurement_progress(budget)
    with bar:
        result = run_targets(registry, specs, [registry.probes[n] for n in chosen], budget_s=budget, band=None,
                             suite="quick", on_progress=on_progress, allow_disturbed=allow_disturbed,
                             accept_imitation=accept_imitation, slo_us=_slo_us(before))
    result.notes.extend(fairness.warnings(result.targets))
    for warning in fairness.warnings(result.targets):
        console.err(f"advisor: note: {warning}")
    for pr in result.probes:
        if pr.refused:
            console.err(f"advisor: {pr.name}: verdicts refused: {pr.refused}")
    unfair = fairness.problems(result.targets) if not result.interrupted else []
    if unfair and force_compare:
        result.notes.append("compared with --force-compare although: " + "; ".join(unfair))
    slug = profiles_default_slug(profile)
    path = _free_name(records_dir / "measurements" / f"{slug}-{default_date()}.yaml")
    digest = result.to_file(path)
    console.err(f"advisor: measurement written to {path} (sha256 {digest[:12]})")
    if result.interrupted:
        raise Interrupted(f"interrupted; the finished runs were kept in {path}",
                          f"decide with them: advisor assess --profile {profile.path} --measurements {path}")
    idle = [p for p in result.probes if p.stopped == "skipped"]
    if idle and len(idle) == len(result.probes):
        # no probe could run (its tools are missing): asked to measure, that is a failure, not a silent 0
        lines = [Problem(f"probe {p.name} cannot run: {p.error}", None, Location(str(targets_path))) for p in idle]
        if always:
            raise MeasurementError("", problems=[*lines, Problem("nothing was measured", "install the tools "
                                                                 "above on the targets, then run again")])
        for line in lines:
            console.err(f"advisor: warning: {line.message}")
    if unfair and not force_compare:
        raise MeasurementError("", problems=[
            Problem(f"cannot compare the targets: {why}", "fix the targets file or use --force-compare",
                    Location(str(targets_path))) for why in unfair
        ] + [Problem(f"the runs were kept in {path}", "no record was written")])
    return measuring.measurement_facts(path, before=before, skipped=skipped, pack=pack)


def _slo_us(before: Decision) -> float | None:
    """The decision's p99 SLO in microseconds (the bands of the latency probes come from it), or None."""
    value = before.facts.get("latency_p99_ms")
    return float(value) * 1000 if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def profiles_default_slug(profile: Profile) -> str:
    from advisor import profile as profiles

    return profiles.default_output(profile).name.removesuffix(".profile.yaml")


def _status(result: Decision, option: str) -> str:
    opt = result.options[option]  # type: ignore[index]
    if opt.status == "infeasible":
        return "ruled out: " + "; ".join(opt.ruled_out_by)
    text = f"{opt.status}, best of {opt.feasible_configurations} feasible configurations: {opt.name}"
    if opt.conditions:
        text += " (" + "; ".join(opt.conditions) + ")"
    return text


def _result_table(result: Decision) -> str:
    from tabulate import tabulate

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
    parts = [result.sentence, tabulate(summary, tablefmt="plain", disable_numparse=True)]
    if unc is not None and unc.rests_on:
        parts.append("What the probability rests on:\n" + "\n".join(f"- {r}" for r in unc.rests_on))
    flipping = [p for p in result.probes if p.can_flip or p.value_of_information > 0]
    if flipping:
        rows = [[p.probe, p.compares, f"{p.value_of_information:.2g}", "yes" if p.can_flip else "no"]
                for p in flipping]
        parts.append("Measurable unknowns:\n" + tabulate(rows, headers=["probe", "compares", "value", "could flip"],
                                                          disable_numparse=True, tablefmt="simple"))
    if result.unknown_rules:
        parts.append("Rules not counted (they read an unknown answer): " + ", ".join(result.unknown_rules))
    return "\n\n".join(parts)
