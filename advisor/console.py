"""Terminal output: the product goes to stdout, diagnostics and prompts to stderr.

Terminal manners live here too, each only where a person watches: progress of a long
step on stderr (:class:`Progress`, drawn with rich, which is imported only then),
emphasis of the outcome (``out(..., emphasis=...)``; never when piped or NO_COLOR is
set) and a pager for long output (:func:`page`).
"""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the rest is imported where it is used: every command imports this module
    import threading
    from collections.abc import Sequence
    from types import TracebackType

__all__ = ["Progress", "err", "interactive", "out", "page", "printable", "use_color"]

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


#: Bold, and the reset after it (the only styling the product gets).
_BOLD, _RESET = "\x1b[1m", "\x1b[0m"


def out(text: str = "", *, end: str = "\n", emphasis: Sequence[str] = ()) -> None:
    """Write the product (results, tables, JSON) to stdout, terminal control characters removed.

    The first occurrence of each ``emphasis`` string (the outcome) is set in bold,
    only when stdout is a terminal and NO_COLOR is not set.
    """
    text = printable(text)
    if emphasis and use_color(sys.stdout):
        for word in emphasis:
            word = printable(word)
            if word:
                text = text.replace(word, _BOLD + word + _RESET, 1)
    sys.stdout.write(text + end)
    sys.stdout.flush()


def _terminal_rows() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).lines


def page(text: str) -> None:
    """Write ``text`` to stdout; through a pager ($PAGER, else less) when it is longer than a terminal screen.

    Without a terminal on stdout (a pipe, a file, a test) this is :func:`out`.
    """
    import shutil
    import subprocess

    clean = printable(text)
    try:
        tty = sys.stdout.isatty() and sys.stdin.isatty()
    except (AttributeError, ValueError):
        tty = False
    if not tty or clean.count("\n") < _terminal_rows() - 1:
        out(clean, end="" if clean.endswith("\n") else "\n")
        return
    command = os.environ.get("PAGER") or ("less" if shutil.which("less") else "more" if shutil.which("more") else "")
    if not command:
        out(clean, end="")
        return
    env = {**os.environ, "LESS": os.environ.get("LESS", "FRX")}  # quit if one screen, keep the text on exit
    try:
        subprocess.run(command, shell=True, input=clean, text=True, env=env, check=False)  # noqa: S602 - $PAGER
    except OSError:
        out(clean, end="")


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


class Progress:
    """Progress of one step on stderr, for a person watching: silent when stderr is not a terminal.

    Nothing is drawn for a step that ends within ``delay`` seconds; after that a
    transient rich progress line (a spinner, the description, a bar when ``total``
    is known, elapsed time) is drawn until the step ends. rich is imported only then.
    Messages written with :func:`err` meanwhile appear above the line.
    """

    def __init__(self, description: str, total: float | None = None, *, delay: float = 1.0) -> None:
        self.description = description
        self.total = total
        self.completed = 0.0
        self.delay = delay
        import threading

        try:
            self.enabled = sys.stderr.isatty()
        except (AttributeError, ValueError):
            self.enabled = False
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._bar: Any = None
        self._task: Any = None
        self._closed = False

    def __enter__(self) -> Progress:
        if self.enabled:
            import threading

            self._timer = threading.Timer(self.delay, self._start)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def update(self, completed: float | None = None, *, total: float | None = None,
               description: str | None = None) -> None:
        """Record how far the step is; redraws when the line is shown."""
        with self._lock:
            if completed is not None:
                self.completed = completed
            if total is not None:
                self.total = total
            if description is not None:
                self.description = description
            if self._bar is not None:
                self._bar.update(self._task, completed=self.completed, total=self.total,
                                 description=printable(self.description))

    def _start(self) -> None:
        with self._lock:
            if self._closed or self._bar is not None:
                return
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
            if self.total is not None:
                columns += [BarColumn(), MofNCompleteColumn()]
            columns.append(TimeElapsedColumn())
            console = Console(stderr=True, no_color=bool(os.environ.get("NO_COLOR")), highlight=False)
            self._bar = Bar(*columns, console=console, transient=True, redirect_stdout=False)
            self._task = self._bar.add_task(printable(self.description), total=self.total, completed=self.completed)
            self._bar.start()

    def close(self) -> None:
        """End the step: the line (if drawn) disappears."""
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
