"""Options and helpers shared by several commands."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from advisor.questionnaire import Questionnaire

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


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
