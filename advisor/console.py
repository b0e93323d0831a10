"""Terminal output: the product goes to stdout, diagnostics and prompts to stderr."""

from __future__ import annotations

import os
import re
import sys

__all__ = ["err", "interactive", "out", "printable", "use_color"]

#: Terminal control: escape sequences (CSI, OSC, DCS ..., and lone ESC), C0 controls but tab and newline,
#: DEL, C1 controls, and the bidirectional overrides that reorder what a reader sees.
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"                       # CSI: colours, cursor moves, erase
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"       # OSC (titles, hyperlinks, clipboard), DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"                              # other escapes, or a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]"
)


def printable(text: str) -> str:
    """``text`` without terminal control characters: safe to print whatever a file held.

    Every user-controlled string reaches the terminal through this (record titles,
    names, error messages): a title cannot move the cursor, retitle the window, write
    the clipboard or hide text. Tabs and newlines stay; ``\r`` goes.
    """
    return _CONTROL.sub("", text)


def out(text: str = "", *, end: str = "\n") -> None:
    """Write the product (results, tables, JSON) to stdout, terminal control characters removed."""
    sys.stdout.write(printable(text) + end)
    sys.stdout.flush()


#: Our own framing of a stderr line: a leading carriage return and erase (progress), colour on and off.
_FRAME = re.compile(r"\A((?:\r|\x1b\[[0-9;]*[mK])*)(.*?)((?:\x1b\[[0-9;]*m)*)\Z", re.S)


def err(text: str = "", *, end: str = "\n") -> None:
    """Write a diagnostic, progress or prompt-side text to stderr.

    Control characters inside the text are removed (:func:`printable`); only the
    caller's framing (a leading ``\r`` + erase for progress lines, colour around the
    whole line) is kept.
    """
    m = _FRAME.match(text)
    if m is not None:
        text = m.group(1) + printable(m.group(2)) + m.group(3)
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
