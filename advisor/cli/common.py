"""Options and helpers shared by several commands."""

from __future__ import annotations

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


def emit_json(data: Any) -> None:
    """Print ``data`` as the JSON product on stdout (and nothing else goes to stdout)."""
    import json

    console.out(json.dumps(data, indent=2, ensure_ascii=False))


def questionnaire_option(func: F) -> F:
    return click.option(
        "--questionnaire",
        "questionnaire_path",
        type=click.Path(path_type=Path),  # a directory is reported by yamlio, in one line
        default=None,
        metavar="FILE",
        help="Questionnaire file (default: the bundled questionnaires/default.yaml).",
    )(func)


def load_questionnaire(path: Path | None) -> Questionnaire:
    from advisor import questionnaire

    if path is None:
        return questionnaire.load_default()
    return questionnaire.load(path)
