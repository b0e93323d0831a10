"""Each command imports only what it uses: checked in a fresh interpreter per command (warm cache).

Heavy libraries stay behind the command that needs them: questionary only to prompt,
networkx only to build a graph, numpy only to compute fault-domain metrics that are
not cached yet, PyYAML (the C parser) only to read a YAML file that is not cached,
ruamel.yaml only to rewrite one or to point at an error in it, pluggy only for
measurement plugins, the Kubernetes client only for that runner.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROFILE = ROOT / "docs" / "examples" / "profiles" / "payments-api.profile.yaml"

HEAVY = ("networkx", "questionary", "prompt_toolkit", "numpy", "ruamel", "pydantic", "tabulate", "pluggy",
         "kubernetes", "yaml", "jsonschema")

_PROBE = """
import contextlib, io, json, sys
from advisor.cli import run
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = run(sys.argv[1:])
print(json.dumps([code, sorted({m.split(".")[0] for m in sys.modules})]))
"""

#: command line -> libraries it may import (the others of HEAVY must stay out)
CASES: dict[str, tuple[str, ...]] = {
    "--help": (),
    "--version": (),
    "measure --help": (),
    "assess --profile p.yaml --defaults --no-record --format json": ("pydantic", "yaml"),
    "assess --profile p.yaml --defaults --records-dir rec --date 2026-11-28": ("pydantic", "yaml", "tabulate"),
    "questions": ("pydantic", "tabulate"),
    "rules list": ("pydantic", "tabulate"),
    "rules show written-mandate": ("pydantic", "tabulate"),
    "facts": ("pydantic", "tabulate"),
    "schema profile": ("pydantic",),
    "profile validate p.yaml": ("pydantic", "yaml"),
    "whatif --profile p.yaml": ("pydantic", "yaml", "tabulate"),
    "graph --profile p.yaml": ("pydantic", "yaml", "tabulate", "numpy"),
    "plugins": ("pydantic", "tabulate", "pluggy"),
    "records list --records-dir rec": ("pydantic", "tabulate"),
}


def _run(args: list[str], cwd: Path) -> tuple[int, list[str]]:
    out = subprocess.run([sys.executable, "-c", _PROBE, *args], cwd=cwd, capture_output=True, text=True,
                         env=_env(cwd), check=True, timeout=300)
    code, modules = json.loads(out.stdout.splitlines()[-1])
    return int(code), list(modules)


def _env(folder: Path) -> dict[str, str]:
    """This module's own cache folder: the tests running alongside cannot prune its warm entries."""
    return {**os.environ, "NO_COLOR": "1", "ADVISOR_CACHE_DIR": str(folder / ".cache")}


_WARM = """
import contextlib, io, shlex, sys
from advisor.cli import run
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    for line in sys.argv[1:]:
        run(shlex.split(line))
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with a profile and a records folder, after every command ran once (a warm cache)."""
    folder = tmp_path_factory.mktemp("imports")
    shutil.copy(PROFILE, folder / "p.yaml")
    (folder / "rec").mkdir()
    subprocess.run([sys.executable, "-c", _WARM, *CASES], cwd=folder, env=_env(folder), check=True, timeout=600)
    shutil.rmtree(folder / "rec")
    (folder / "rec").mkdir()
    return folder


@pytest.mark.parametrize("command", list(CASES))
def test_a_command_imports_only_what_it_uses(command: str, workdir: Path) -> None:
    code, modules = _run(command.split(), workdir)
    assert code == 0, command
    loaded = set(modules) & set(HEAVY)
    assert loaded <= set(CASES[command]), f"{command!r} imported {sorted(loaded - set(CASES[command]))}"
    if command.startswith(("--help", "--version", "measure --help")):
        assert "click" in modules and "advisor" in modules
