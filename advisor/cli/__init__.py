"""The ``advisor`` command: a thin click dispatcher.

Sub-commands live in their own modules and are imported only when used, so that
``advisor --help`` starts fast. Every error is printed here, as one line per problem
on stderr, and the exit code comes from :mod:`advisor.errors`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from advisor import __version__

__all__ = ["COMMANDS", "CONTEXT_SETTINGS", "cli", "main"]

#: The context settings of every command (re-exported by :mod:`advisor.cli.common`).
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

#: name -> ("module:attribute", one-line help). Kept here so --help imports nothing else.
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("advisor.cli.assess.command:assess", "Answer the questionnaire and assess a workload."),
    "questions": ("advisor.cli.questions:questions", "List the questions, their types, choices and defaults."),
    "profile": ("advisor.cli.profile:profile", "Check workload profile files."),
    "schema": ("advisor.cli.schema:schema", "Print the JSON Schema of a file format."),
    "rules": ("advisor.cli.rules:rules", "List, show, lint and test rule packs."),
    "facts": ("advisor.cli.facts:facts", "List the facts that rules can read."),
    "graph": ("advisor.cli.graph:graph", "Show the fault-domain metrics of both options."),
    "whatif": ("advisor.cli.whatif:whatif", "Show what would have to change for the decision to change."),
    "measure": ("advisor.cli.measure:measure", "Run benchmarks on candidate platforms and compare them."),
    "plugins": ("advisor.cli.plugins:plugins", "List measurement plugins, probes and whether their tools exist."),
    "records": ("advisor.cli.records:records", "List, accept, supersede, diff and check decision records."),
    "portfolio": ("advisor.cli.portfolio:portfolio", "Assess many workloads at once and summarise them."),
    "observe": ("advisor.cli.observe:observe", "Fill a profile's answers from the clusters (live or dumped)."),
}



class LazyGroup(click.Group):
    """A group whose commands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n, (target, _) in COMMANDS.items() if _available(target))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None or not _available(entry[0]):
            return None
        module_name, attr = entry[0].split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def _available(target: str) -> bool:
    module_name = target.split(":")[0]
    if module_name in sys.modules:
        return True
    relative = module_name.removeprefix("advisor.cli.").replace(".", "/")
    return (Path(__file__).parent / f"{relative}.py").exists()


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "-V", "--version", prog_name="advisor")
@click.option("--traceback", is_flag=True, hidden=False, help="Show Python tracebacks of errors (for developers).")
@click.option("--no-cache", is_flag=True, help="Load rule packs and the questionnaire from their files, not from the "
              "compiled cache (also ADVISOR_NO_CACHE=1; see docs/performance.md).")
def cli(traceback: bool, no_cache: bool) -> None:
    """Decide between bare-metal and VM-backed Kubernetes nodes.

    Answer a questionnaire about the workload, get a recommendation scored by
    rules you can read and test, and keep the decision record in git.

    \b
    Start with:   advisor assess
    Docs:         docs/ in the project, or advisor COMMAND --help
    """
    if no_cache or "advisor.cache" in sys.modules:  # set for every run: tests run many in one process
        from advisor import cache

        cache.set_enabled(not no_cache and cache.enabled_by_environment())


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``advisor`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in args or bool(os.environ.get("ADVISOR_TRACEBACK"))
    code = run(args, show_traceback)
    sys.exit(int(code))


def run(args: list[str], show_traceback: bool = False) -> int:
    """Run the command line ``args``; return the exit code (never raises for user errors)."""
    try:
        result = cli.main(args=args, prog_name="advisor", standalone_mode=False)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - sorted out by _failed
        return _failed(exc, show_traceback)
    if isinstance(result, int):
        return int(result)
    from advisor.errors import ExitCode

    return int(ExitCode.OK)


def _failed(exc: BaseException, show_traceback: bool) -> int:
    """The exit code of a failed run, after its one line on stderr (the error modules are imported only now)."""
    from advisor import console
    from advisor.errors import AdvisorError, ExitCode

    if isinstance(exc, AdvisorError):
        if show_traceback:
            import traceback

            traceback.print_exception(exc)
        with contextlib.suppress(OSError):  # the terminal may be gone (a hangup): the exit code still tells
            click.echo(console.printable(exc.format()), err=True)
        return int(exc.exit_code)
    if isinstance(exc, click.exceptions.Exit):
        return int(exc.exit_code)
    if isinstance(exc, click.exceptions.Abort | KeyboardInterrupt):
        click.echo("advisor: interrupted", err=True)
        return int(ExitCode.INTERRUPTED)
    if isinstance(exc, click.ClickException):
        exc.show()
        return int(ExitCode.USAGE) if isinstance(exc, click.UsageError) else int(exc.exit_code)
    if isinstance(exc, BrokenPipeError):
        # stdout closed early (e.g. piped into head): not an error of ours
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        return int(ExitCode.OK)
    # the last line of defence: no traceback for users
    if show_traceback:
        import traceback

        traceback.print_exception(exc)  # and still exit 70, not Python's 1 (which means "data error")
    detail = " ".join(str(exc).split())[:200]  # one line, and never a whole file echoed
    click.echo(
        console.printable(f"advisor: internal error: {type(exc).__name__}: {detail}; rerun with --traceback and "
                          "report it"),
        err=True,
    )
    return int(ExitCode.INTERNAL)
