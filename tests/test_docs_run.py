"""Docs that run as written: every shell block of README.md and docs/*.md runs in a scratch copy.

Each markdown file gets its own scratch copy of the project (the files git tracks or
would track, with this checkout's ``.venv`` on PATH); its blocks run in order, in one
shell each (``sh -e``), so a later block sees what an earlier one wrote. A block is
a fenced ``sh``, ``bash``, ``shell`` or ``console`` block, or a ``text`` block whose
first line starts with ``$ `` (a transcript: the lines after each ``$ command`` are
its shown output).

HTML comments right before a block (blank lines allowed between) declare what a
block needs; they are invisible when the markdown is rendered::

    <!-- docs-run: skip REASON -->            not run; the reason is required
    <!-- docs-run: setup COMMAND -->          run COMMAND first (repeatable)
    <!-- docs-run: replace TEXT VALUE -->     a placeholder: TEXT becomes VALUE (repeatable)
    <!-- docs-run: exit N -->                 the last command ends with exit code N (default 0)
    <!-- docs-run: output -->                 on a ``text`` block: the output of the block above

Shown output is compared line by line, in order: every shown line must appear in the
real output (stdout and stderr, interleaved), a line ``...`` stands for any number of lines, and
trailing blanks are ignored. Generated references (docs/cli.md) hold no commands.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LANGS = {"sh", "bash", "shell", "console"}
MARKER = re.compile(r"^<!--\s*docs-run:\s*(\w+)\s*(.*?)\s*-->\s*$")
FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w-]*)")
TIMEOUT = 300


@dataclass
class Block:
    path: str
    line: int
    lang: str
    text: str
    skip: str | None = None
    setup: list[str] = field(default_factory=list)
    replace: list[tuple[str, str]] = field(default_factory=list)
    exit: int = 0
    output_of_previous: bool = False

    @property
    def transcript(self) -> bool:
        return self.text.startswith("$ ")

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _marker(block: Block, name: str, arg: str) -> None:
    if name == "skip":
        assert arg, f"{block.where}: 'docs-run: skip' needs a reason"
        block.skip = arg
    elif name == "setup":
        block.setup.append(arg)
    elif name == "replace":
        text, _, value = arg.partition(" ")
        assert text and value, f"{block.where}: write 'docs-run: replace TEXT VALUE'"
        block.replace.append((text, value))
    elif name == "exit":
        block.exit = int(arg)
    elif name == "output":
        block.output_of_previous = True
    else:
        raise AssertionError(f"{block.where}: unknown marker 'docs-run: {name}'")


def blocks_of(path: Path) -> list[Block]:
    """The blocks of one markdown file that are commands (or their shown output), with their markers."""
    shown = path.relative_to(ROOT).as_posix()
    lines = path.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    pending: list[tuple[str, str]] = []
    i = 0
    while i < len(lines):
        marker = MARKER.match(lines[i])
        fence = FENCE.match(lines[i])
        if marker:
            pending.append((marker.group(1), marker.group(2)))
        elif fence:
            end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(fence.group(1))), len(lines))
            body = "\n".join(lines[i + 1:end])
            lang = fence.group(2)
            block = Block(shown, i + 1, lang, body)
            for name, arg in pending:
                _marker(block, name, arg)
            if lang in LANGS or (lang == "text" and (block.transcript or block.output_of_previous)):
                out.append(block)
            elif pending:
                raise AssertionError(f"{block.where}: a docs-run marker before a {lang or 'plain'} block")
            pending = []
            i = end
        elif lines[i].strip():
            pending = []  # a marker belongs to the block right after it
        i += 1
    return out


def _docs() -> list[Path]:
    return [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").glob("*.md") if p.name != "cli.md")]


def _users_own(name: str) -> bool:
    """What a user of this checkout made (records, profiles at the top): not part of a fresh clone."""
    return name.startswith("reports/") or ("/" not in name and name.endswith(".profile.yaml"))


def _scratch(tmp: Path) -> Path:
    """A copy of the project as a fresh clone has it (git's file list), with this .venv linked in."""
    work = tmp / "project"
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if not source.is_file() or _users_own(name):
            continue
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    from advisor.records import index_text

    (work / "reports").mkdir(exist_ok=True)
    (work / "reports" / "README.md").write_text(index_text([]), encoding="utf-8")  # the empty index it ships with
    # .venv/bin/python and .venv/bin/advisor call this checkout's; nothing else of it is reachable
    # (a doc that runs scripts/bootstrap or pip must be declared: it would change this environment)
    bin_dir = work / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "advisor"):
        wrapper = bin_dir / name
        wrapper.write_text(f'#!/bin/sh\nexec "{Path(sys.prefix) / "bin" / name}" "$@"\n', encoding="utf-8")
        wrapper.chmod(0o755)
    return work


def _env(tmp: Path) -> dict[str, str]:
    keep = ("LANG", "LC_ALL", "TMPDIR", "TERM")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({
        "PATH": f"{tmp / 'project' / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp / "home"), "NO_COLOR": "1", "COLUMNS": "120",
        "SOURCE_DATE_EPOCH": "1795824000",  # 2026-11-28, the date the docs show
        "ADVISOR_CACHE_DIR": str(tmp / "cache"), "GIT_AUTHOR_NAME": "docs", "GIT_AUTHOR_EMAIL": "docs@example.org",
        "GIT_COMMITTER_NAME": "docs", "GIT_COMMITTER_EMAIL": "docs@example.org",
        "PIP_NO_INDEX": "1",  # a doc that installs anything fails instead of changing this environment
    })
    (tmp / "home").mkdir(exist_ok=True)
    return env


def _run(script: str, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # stderr into stdout, interleaved as on a terminal
    return subprocess.run(["sh", "-c", script], cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def _matches(shown: str, actual: str) -> str | None:
    """None when every shown line appears in ``actual`` in order (``...`` = any lines); else the first miss."""
    got = [line.rstrip() for line in actual.splitlines()]
    at = 0
    for line in (s.rstrip() for s in shown.splitlines()):
        if line in ("...", ""):
            continue
        try:
            at = got.index(line, at) + 1
        except ValueError:
            return line
    return None


def _substitute(block: Block, text: str) -> str:
    for placeholder, value in block.replace:
        assert placeholder in text, f"{block.where}: placeholder {placeholder!r} is not in the block"
        text = text.replace(placeholder, value)
    return text


def _run_block(block: Block, work: Path, env: dict[str, str], last_output: str) -> str:
    """Run one block; return its output (stdout and stderr). Fails the test with the block's place."""
    if block.output_of_previous:
        miss = _matches(block.text, last_output)
        assert miss is None, f"{block.where}: shown output line not in the output of the block above: {miss!r}\n" \
                             f"--- output ---\n{last_output}"
        return last_output
    for command in block.setup:
        done = _run(command, work, env)
        assert done.returncode == 0, f"{block.where}: setup {command!r} failed:\n{done.stdout}"
    if block.transcript:
        output = ""
        parts = re.split(r"^\$ ", _substitute(block, block.text), flags=re.M)[1:]
        for n, part in enumerate(parts, start=1):
            command, _, shown = part.partition("\n")
            done = _run(command, work, env)
            output = done.stdout
            want = block.exit if n == len(parts) else 0
            assert done.returncode == want, f"{block.where}: {command!r} exited {done.returncode}, the doc " \
                                            f"says {want}:\n{output}"
            miss = _matches(shown, output)
            assert miss is None, f"{block.where}: {command!r}: shown line not in the output: {miss!r}\n" \
                                 f"--- output ---\n{output}"
        return output
    script = _substitute(block, block.text)
    if block.exit:
        done = _run(script, work, env)
    else:
        done = _run("set -e\n" + script, work, env)
    output = done.stdout
    assert done.returncode == block.exit, f"{block.where}: exited {done.returncode}, expected {block.exit}:\n" \
                                          f"{script}\n--- output ---\n{output}"
    return output


@pytest.mark.slow
@pytest.mark.parametrize("doc", _docs(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_shell_block_runs_as_written(doc: Path, tmp_path: Path) -> None:
    found = blocks_of(doc)
    runnable = [b for b in found if b.skip is None]
    if not runnable:
        return  # nothing to run: every block (if any) is declared
    work = _scratch(tmp_path)
    env = _env(tmp_path)
    output = ""
    try:
        for block in runnable:
            output = _run_block(block, work, env, output)
    finally:
        where = subprocess.run([sys.executable, "-c", "import advisor; print(advisor.__file__)"], cwd=tmp_path,
                               capture_output=True, text=True)
        assert Path(where.stdout.strip()).resolve().is_relative_to(ROOT), "a doc block reinstalled advisor"


def test_every_skip_has_a_reason_and_markers_sit_on_blocks() -> None:
    # parsing asserts the marker rules; also: no docs-run marker is left without a block
    for doc in _docs():
        found = blocks_of(doc)
        text = doc.read_text(encoding="utf-8")
        assert text.count("<!-- docs-run:") == sum(
            len(b.setup) + len(b.replace) + (b.skip is not None) + (b.exit != 0) + b.output_of_previous
            for b in found), f"{doc.name}: a docs-run marker that no block takes"
