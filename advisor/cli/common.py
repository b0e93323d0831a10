"""Options and helpers shared by several commands."""

from __future__ import annotations

import contextlib
import gc
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from advisor import console
from advisor.cli import CONTEXT_SETTINGS as CONTEXT_SETTINGS  # kept here for the commands

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

    from advisor.questionnaire import Questionnaire

F = TypeVar("F", bound=Callable[..., Any])


#: The one set of output formats: table for people, json for tools, the others where they make sense.
FORMATS = ("table", "json", "markdown", "mermaid", "yaml")

_FORMAT_HELP = {
    "table": "table for people",
    "json": "json for tools (stdout holds the JSON alone; schema: advisor schema)",
    "markdown": "markdown for documents",
    "mermaid": "mermaid for a diagram in markdown",
    "yaml": "yaml",
}


def keep_loaded() -> None:
    """Exempt everything loaded so far (modules, the pack, the questionnaire) from full garbage collections.

    They live until the process exits. Without this, the next full collection (a record's
    tipping search allocates enough to start one) walks all of them again: 10 to 20 ms of
    a 0.3 s command. Objects made later are collected as usual.
    """
    gc.freeze()


def format_option(*extra: str, default: str = "table") -> Callable[[F], F]:
    """``--format``: ``table`` and ``json`` for every command that reports, plus ``extra`` from :data:`FORMATS`."""
    choices = ["table", "json", *extra]
    assert set(choices) <= set(FORMATS), choices
    text = "Output format: " + ", ".join(_FORMAT_HELP[c] for c in choices) + "."
    return click.option("--format", "fmt", type=click.Choice(choices), default=default, show_default=True, help=text)


def emit_json(data: Any, *, sort_keys: bool = False) -> None:
    """Print ``data`` as the JSON product on stdout (and nothing else goes to stdout)."""
    import json

    console.out(json.dumps(data, indent=2, sort_keys=sort_keys, ensure_ascii=False, allow_nan=False))


class InputFile(click.ParamType):  # type: ignore[type-arg]
    """A file the command reads, of format ``fmt`` (see ``advisor.inputs.LIMITS``).

    Refused while the command line is parsed, before any other work, when it is a
    FIFO, device, socket or directory, or larger than its format's cap: one line,
    exit 1. A missing file passes (the command says "file not found" where it matters).
    """

    name = "file"

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        from advisor import inputs

        path = Path(value)
        inputs.check(path, max_bytes=inputs.limit(self.fmt), kind=inputs.shown(self.fmt))
        return path


class FiniteFloatRange(click.FloatRange):
    """A float option in a range that also refuses NaN and infinities (which pass a range check)."""

    name = "number"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{str(value)[:40]!r} is not a finite number.", param, ctx)
        return number


def measurement_progress(budget_s: float) -> tuple[console.Progress, Callable[[Any], None]]:
    """The progress of a measurement session (assess and measure alike) and the callback that feeds it."""
    bar = console.Progress("measuring", total=budget_s)

    def on_progress(p: Any) -> None:
        what = "warm-up" if getattr(p, "message", None) == "warm-up" else f"block {p.run}"
        bar.update(min(p.elapsed, budget_s), description=f"measuring {p.probe} on {p.target} ({p.role}), {what}")

    return bar, on_progress


# --------------------------------------------------------------------------- shell completion
# click calls these with the words typed so far (ctx.params holds the options already given);
# each reads as little as it can and never fails: a broken file completes to nothing.


def _item(value: str, help: str | None = None) -> CompletionItem:
    from click.shell_completion import CompletionItem  # only when completing: --help need not import it

    return CompletionItem(value, help=help)


def complete_rule_ids(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Rule ids of the bundled pack and the --rules layers, from the file names constraints|consequences/<id>.yaml."""
    from advisor.resources import PACK_FOLDER, bundled_dir

    roots = [bundled_dir(PACK_FOLDER), *(Path(d) for d in ctx.params.get("rule_dirs") or ())]
    ids: set[str] = set()
    for root in roots:
        with contextlib.suppress(OSError):
            ids.update(p.stem for folder in ("constraints", "consequences") for p in (root / folder).glob("*.yaml"))
    return [_item(i) for i in sorted(ids) if i.startswith(incomplete)]


def _question_keys(ctx: click.Context) -> list[str]:
    try:
        return list(load_questionnaire(ctx.params.get("questionnaire_path")).keys())
    except Exception:  # noqa: BLE001 - completion must not fail on a broken questionnaire
        return []


def complete_set(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``--set KEY=``: the question keys (the value is the user's)."""
    if "=" in incomplete:
        return []
    return [_item(f"{k}=") for k in _question_keys(ctx) if k.startswith(incomplete)]


def complete_keys(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``--ask KEY[,KEY...]``: the question keys, after the last comma."""
    done, _, last = incomplete.rpartition(",")
    head = f"{done}," if done else ""
    return [_item(head + k) for k in _question_keys(ctx) if k.startswith(last)]


def complete_record_numbers(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Record numbers (0001 ...) of the --records-dir folder, with their titles from the file names."""
    folder = Path(ctx.params.get("directory") or "reports")
    items: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for p in folder.glob("[0-9][0-9][0-9][0-9]-*.json"):
            items[p.name[:4]] = p.stem[5:].replace("-", " ")
    wanted = incomplete.lstrip("0")
    return [_item(n, help=title) for n, title in sorted(items.items())
            if n.startswith(incomplete) or (wanted and n.lstrip("0").startswith(wanted))]


def complete_probe_names(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Probe names of the installed measurement plugins."""
    try:
        from advisor.measure.manager import load_registry

        names = sorted(load_registry().probes)
    except Exception:  # noqa: BLE001 - completion must not fail on a broken plugin
        return []
    return [_item(n) for n in names if n.startswith(incomplete)]


def questionnaire_option(func: F) -> F:
    return click.option(
        "--questionnaire",
        "questionnaire_path",
        type=InputFile("questionnaire"),
        default=None,
        metavar="FILE",
        help="Questionnaire file (default: the bundled questionnaires/default.yaml).",
    )(func)


def load_questionnaire(path: Path | None) -> Questionnaire:
    from advisor import questionnaire

    if path is None:
        return questionnaire.load_default()
    return questionnaire.load(path)
