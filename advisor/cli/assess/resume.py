"""An interrupted ``advisor assess``: what was answered is saved, and the command that resumes it is said."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from advisor.errors import Interrupted

if TYPE_CHECKING:
    from advisor.profile import Profile

__all__ = ["free_name", "interrupted", "resume_command"]


def free_name(path: Path) -> Path:
    """``path``, or ``name-2.profile.yaml`` / ``name-2.yaml`` ... when it exists: never overwrite silently."""
    if not path.exists():
        return path
    suffix = ".profile.yaml" if path.name.endswith(".profile.yaml") else path.suffix
    stem = path.name.removesuffix(suffix)
    for n in itertools.count(2):
        candidate = path.with_name(f"{stem}-{n}{suffix}")
        if not candidate.exists():
            return candidate
    raise AssertionError("unreachable")


def interrupted(exc: BaseException, profile: Profile, before: dict[str, Any], session_defaults: list[str],
                 output: Path | None, profile_path: Path | None, answered_by: str | None) -> Interrupted:
    """Save what was answered (never an empty new profile) and say how to resume, as the user ran it."""
    from advisor import profile as profiles

    how = getattr(exc, "how", None) or ("Ctrl-D" if isinstance(exc, EOFError) else "Ctrl-C")
    for key in session_defaults:
        profile.defaults.pop(key, None)  # not shown yet: decided (or asked) again on resume
    target = output or profile_path or free_name(profiles.default_output(profile))
    given = len(profile.answers)
    if profile_path is None and not profile.answers:
        return Interrupted(f"stopped by {how} before the first answer; nothing was saved",
                           f"start again with: {resume_command(None)}")
    if profile.answers == before and profile_path is not None and not profile.changed:
        return Interrupted(f"stopped by {how}; {target} is unchanged", f"resume with: {resume_command(target)}")
    profile.write(target, source="interactive", complete=False, answered_by=answered_by)
    return Interrupted(f"stopped by {how}; {given} answer{'s' if given != 1 else ''} saved to {target}",
                       f"resume with: {resume_command(target)}")


#: options that the resume command leaves out: the saved profile holds their effect
_NOT_REPEATED = {"profile_path", "sets", "ask", "notes", "output", "force", "answered_by"}


def resume_command(target: Path | None) -> str:
    """The command as the user ran it (``ADVISOR_INVOKED_AS`` names a wrapper script), with ``--profile``."""
    import os
    import shlex

    ctx = click.get_current_context()
    wrapper = os.environ.get("ADVISOR_INVOKED_AS", "").strip()
    words = [wrapper] if wrapper else ["advisor", "assess"]
    if target is not None:
        words += ["--profile", str(target)]
    for param in ctx.command.params:
        name = param.name
        if not isinstance(param, click.Option) or name is None or name in _NOT_REPEATED:
            continue
        value = ctx.params.get(name)
        if value == param.default or value in (None, (), False):
            continue
        flag = max(param.opts, key=len)
        if param.is_flag:
            words.append(flag)
        else:
            for item in value if isinstance(value, tuple) else (value,):
                words += [flag, str(item)]
    return shlex.join(words)
