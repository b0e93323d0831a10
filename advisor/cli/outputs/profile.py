"""The JSON output of ``profile validate``."""

from __future__ import annotations

from advisor.cli.outputs.common import Out, ProblemRow


class ProfileCheck(Out):
    file: str
    valid: bool
    partial: bool
    answers: int
    defaults: int
    not_yet_answered: list[str]
    problems: list[ProblemRow]


class ProfileValidateOutput(Out):
    """``profile validate``: one entry per file; ``ok`` when every file is valid."""

    ok: bool
    files: list[ProfileCheck]
