"""The ``advisor assess`` command: answer the questionnaire (or replay a profile), decide, measure if close, record."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor import console
from advisor.cli.assess.measure_if_close import measure_if_close, worth_measuring
from advisor.cli.assess.output import print_result
from advisor.cli.assess.resume import free_name, interrupted, resume_command
from advisor.cli.common import (
    CONTEXT_SETTINGS,
    FiniteFloatRange,
    InputFile,
    complete_keys,
    complete_set,
    format_option,
    keep_loaded,
    load_questionnaire,
    questionnaire_option,
)
from advisor.errors import ExitCode, Interrupted, UsageError

if TYPE_CHECKING:
    from advisor.decide import Decision
    from advisor.questionnaire import Mode


def _split_keys(text: str | None) -> list[str]:
    if not text:
        return []
    return [k.strip() for k in text.split(",") if k.strip()]


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
                raise interrupted(exc, profile, answered_before, plan.take_default, output, profile_path,
                                   answered_by) from None
        for warning in questionnaire.warnings(profile.values()):
            if not plan.ask:  # the questionnaire showed them before saving
                console.err(f"advisor: warning: {warning}")
        from advisor.questionnaire import yaml_word

        for key, (value, default) in profile.edited_defaults().items():
            console.err(f"{profile.where_default(key)}: {key}: {yaml_word(value)} is under 'defaults' but the default "
                        f"here is {yaml_word(default)}; it counts as an answer (move it under 'answers' to say so)")

        target = output or profile_path or free_name(profiles.default_output(profile))
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
                              f"resume with: {resume_command(target)}") from None

    from advisor import pipeline

    rules = list(rules_dirs) or None
    pack = pipeline.load_decision_pack(rules, questionnaire)
    keep_loaded()
    measured: dict[str, Any] | None = None
    info = None
    before: Decision | None = None
    if measurements_path is not None or measure_mode != "never":
        with console.Progress("deciding"):
            before = pipeline.decide_profile(profile, pack, questionnaire=questionnaire)
        if measurements_path is not None:
            from advisor import measuring

            measured, info = measuring.measurement_facts(measurements_path, before=before, pack=pack)
        elif measure_mode == "always" or worth_measuring(before):
            if targets_path is not None:
                measured, info = measure_if_close(before, pack, profile, questionnaire, targets_path, records_dir,
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
        print_result(result, fmt, info)
        return int(ExitCode.OK)

    from advisor import recording, records, render

    with console.Progress("deciding, fault domains and tipping points for the record"):
        record = recording.decide(profile, rules=rules, questionnaire=questionnaire, date=record_date,
                                 decision_makers=decision_makers, title=title, measured=measured, measurements=info,
                                 pack=pack, result=before if measured is None else None)
    print_result(record.decision, fmt, info)
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
