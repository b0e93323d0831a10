"""Terminal output: the product goes to stdout, diagnostics and prompts to stderr."""

from __future__ import annotations

import os
import sys

__all__ = ["err", "interactive", "out", "use_color"]


def out(text: str = "", *, end: str = "\n") -> None:
    """Write the product (results, tables, JSON) to stdout."""
    sys.stdout.write(text + end)
    sys.stdout.flush()


def err(text: str = "", *, end: str = "\n") -> None:
    """Write a diagnostic, progress or prompt-side text to stderr."""
    sys.stderr.write(text + end)
    sys.stderr.flush()


def interactive() -> bool:
    """True when a person can answer prompts: stdin and stderr are terminals."""
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def use_color(stream: object = None) -> bool:
    """Colour only on a terminal and never when NO_COLOR is set (no-color.org)."""
    if os.environ.get("NO_COLOR"):
        return False
    target = stream if stream is not None else sys.stderr
    isatty = getattr(target, "isatty", None)
    return bool(isatty and isatty())
