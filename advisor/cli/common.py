"""Options and helpers shared by several commands."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from advisor import console

if TYPE_CHECKING:
    from advisor.questionnaire import Questionnaire

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


#: The one set of output formats: table for people, json for tools, the others where they make sense.
FORMATS = ("table", "json", "markdown", "mermaid", "yaml")

_FORMAT_HELP = {
    "table": "table for people",
    "json": "json for tools (stdout holds the JSON alone; schema: advisor schema)",
    "markdown": "markdown for documents",
    "mermaid": "mermaid for a diagram in markdown",
    "yaml": "yaml",
}


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
