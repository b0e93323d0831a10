"""Helpers shared by the built-in probes: tool checks, checked runs, temp dirs, CPU choice."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress

from advisor.errors import MeasurementError
from advisor.measure.api import Budget, Completed, ProbeError, Runner
from advisor.measure.probes.parsers import cpus_allowed, strip_ansi

__all__ = ["checked", "excerpt", "pick_cpu", "require_tools", "seconds", "temp_dir"]


def seconds(budget: Budget, quick: int, full: int) -> int:
    """The duration of one run for ``budget``."""
    if budget == "quick":
        return quick
    if budget == "full":
        return full
    raise ProbeError(f"unknown budget {budget!r}", "use 'quick' or 'full'")


def excerpt(text: str, limit: int = 400) -> str:
    """The tail of a tool's output, for an error message."""
    text = strip_ansi(text).strip()
    if not text:
        return "(no output)"
    return text if len(text) <= limit else "..." + text[-limit:]


def require_tools(runner: Runner, tools: Sequence[str], hint: str) -> None:
    """ProbeError naming the tools missing on ``runner``, with the install hint."""
    missing = [tool for tool in tools if not runner.which(tool)]
    if missing:
        name = getattr(runner, "name", "this target")
        raise ProbeError(f"{', '.join(missing)} not found on target {name!r}", hint)


def checked(runner: Runner, argv: Sequence[str], *, timeout: float, hint: str | None = None) -> Completed:
    """Run ``argv``; ProbeError with the command's output if it exits non-zero."""
    done = runner.run(argv, timeout=timeout)
    if done.returncode != 0:
        out = done.stderr if done.stderr.strip() else done.stdout
        raise ProbeError(f"{argv[0]} exited with status {done.returncode}: {excerpt(out)}", hint)
    return done


@contextmanager
def temp_dir(runner: Runner, *, base: str | None = None, prefix: str = "advisor") -> Iterator[str]:
    """A directory made with ``mktemp -d`` ON THE TARGET (the runner may be remote), removed after.

    ``base`` is tried first (e.g. ``/var/tmp``, on disk where ``/tmp`` may be tmpfs),
    then the target's default temp directory.
    """
    template = f"{prefix}.XXXXXXXX"
    attempts: list[list[str]] = []
    if base:
        attempts.append(["mktemp", "-d", "-p", base, template])
    attempts.append(["mktemp", "-d", "-t", template])
    path = ""
    last: Completed | None = None
    for argv in attempts:
        last = runner.run(argv, timeout=30)
        path = last.stdout.strip()
        if last.returncode == 0 and path.startswith("/"):
            break
        path = ""
    if not path:
        raise ProbeError("cannot create a temporary directory on the target",
                         f"mktemp said: {excerpt(last.stderr if last else '')}")
    try:
        yield path
    finally:
        with suppress(MeasurementError, OSError):
            runner.run(["rm", "-rf", "--", path], timeout=60)


def pick_cpu(runner: Runner) -> int:
    """The CPU to pin a latency probe to: the last one the target lets its processes use.

    Read from ``/proc/self/status`` of a process the runner starts, so it honours the
    runner's own pinning (cpuset cgroup, taskset). The last CPU is usually the one
    least busy with interrupts and housekeeping (CPU 0 takes most of them).
    """
    done = checked(runner, ["grep", "Cpus_allowed_list", "/proc/self/status"], timeout=30)
    return cpus_allowed(done.stdout)[-1]
