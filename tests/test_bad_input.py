"""The hostile-input corpus: every broken file gives one line, a documented exit code, no traceback.

``tests/bad_input/questionnaires/*.yaml`` are run with ``advisor questions --questionnaire FILE``
and ``tests/bad_input/profiles/*.yaml`` with ``advisor profile validate FILE`` (against the
bundled questionnaire). :data:`EXPECTED` pins, for each file, the exit code and the exact
stderr line ``file:line:col: problem; what to do``; files too big to commit (50 MB) and
things that are not files (a directory, a missing path) are made at test time
(:data:`GENERATED`). ``ok-*`` files are positive controls (CRLF line ends, a UTF-8 BOM).

Each file runs in its own process running the real CLI entry point: one driver process
imports advisor once and forks a child per file (tests/hostile/harness.py), the child
having its own stdout, stderr, working directory and exit status, exactly as
``python -m advisor`` would.
A sample (:data:`FRESH_INTERPRETER`) also runs as ``python -m advisor`` to prove both agree.

To add a case: drop the file in the corpus, run this module, and pin the line it prints
(after checking that it names the right position and says what to do).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "hostile"))
from harness import Outcome, env, once_per_session, run_all  # noqa: E402  (the fork-per-case runner, shared with tests/hostile)

from advisor.errors import ExitCode  # noqa: E402
from advisor.inputs import limit

CORPUS = Path(__file__).resolve().parent / "bad_input"
DATA, OK = int(ExitCode.DATA), int(ExitCode.OK)

# ----------------------------------------------------------------------------- expectations

#: file (relative to tests/bad_input) -> (exit code, the exact stderr line), from bad_input/expected.json.
EXPECTED: dict[str, tuple[int, str]] = {
    rel: (entry["exit"], entry["stderr"])
    for rel, entry in json.loads((CORPUS / "expected.json").read_text(encoding="utf-8")).items()
}

#: Positive controls: exit 0, nothing on stderr, and this check of stdout.
POSITIVE: dict[str, Callable[[str], bool]] = {
    "questionnaires/ok-crlf.yaml": lambda out: [q["key"] for q in json.loads(out)] == ["tenancy", "hosts"],
    "questionnaires/ok-bom.yaml": lambda out: [q["key"] for q in json.loads(out)] == ["tenancy", "hosts"],
    "profiles/ok-crlf.yaml": lambda out: out.startswith("profiles/ok-crlf.yaml: valid (4 answers, 1 defaults"),
    "profiles/ok-bom.yaml": lambda out: out.startswith("profiles/ok-bom.yaml: valid (4 answers, 1 defaults"),
}


def _big(path: Path) -> None:
    """A 50 MB YAML file: a valid start, then comment lines."""
    line = b"# " + b"x" * 1021 + b"\n"
    with path.open("wb") as fh:
        fh.write(b"advisor_profile: 1\n" if path.parent.name == "profiles" else b"advisor_questionnaire: 1\n")
        for _ in range(50 * 1024):
            fh.write(line)


def _just_over(path: Path) -> None:
    path.write_bytes(b"#" * limit("profile") + b"\n")


#: Made at test time in a temporary corpus: name -> (maker, exit code, stderr line). None: do not create.
GENERATED: dict[str, tuple[Callable[[Path], None] | None, int, str]] = {
    "questionnaires/50mb.yaml": (
        _big, DATA, "questionnaires/50mb.yaml: file is too large (52,428,825 bytes; the limit is 1,048,576); "
                    "split it or check that this is the right file"),
    "profiles/50mb.yaml": (
        _big, DATA, "profiles/50mb.yaml: file is too large (52,428,819 bytes; the limit is 262,144); "
                    "split it or check that this is the right file"),
    "profiles/one-byte-too-many.yaml": (
        _just_over, DATA, "profiles/one-byte-too-many.yaml: file is too large (262,145 bytes; the limit is "
                          "262,144); split it or check that this is the right file"),
    "questionnaires/a-directory.yaml": (
        lambda p: p.mkdir(), DATA,
        "questionnaires/a-directory.yaml: is a directory, expected a YAML file; give the path of a file"),
    "profiles/a-directory.yaml": (
        lambda p: p.mkdir(), DATA,
        "profiles/a-directory.yaml: is a directory, expected a YAML file; give the path of a file"),
    "profiles/missing.yaml": (None, DATA, "profiles/missing.yaml: file not found; check the path"),
    "questionnaires/missing.yaml": (None, DATA, "questionnaires/missing.yaml: file not found; check the path"),
}

#: Also run with a fresh ``python -m advisor`` (the real entry point, imports and all).
FRESH_INTERPRETER = (
    "questionnaires/when-dunder-import.yaml",
    "questionnaires/alias-bomb.yaml",
    "profiles/nan.yaml",
    "profiles/utf16.yaml",
    "profiles/unknown-tag-then-bad-date.yaml",  # what is printed as the interpreter ends
    "profiles/ok-crlf.yaml",
)

# ----------------------------------------------------------------------------- running


def argv(rel: str) -> list[str]:
    """The advisor arguments for one corpus file."""
    if rel.startswith("profiles/"):
        return ["profile", "validate", rel]
    return ["questions", "--questionnaire", rel, "--full", "--format", "json"]


def _run_forked(jobs: list[tuple[Path, str]]) -> list[Outcome]:
    return run_all([(cwd, argv(rel)) for cwd, rel in jobs])


def _run_fresh(cwd: Path, rel: str) -> Outcome:
    proc = subprocess.run([sys.executable, "-m", "advisor", *argv(rel)], cwd=cwd, capture_output=True,
                          text=True, env=env(), timeout=120, check=False)
    return Outcome(proc.returncode, proc.stdout, proc.stderr, 0.0)


def corpus_files() -> list[str]:
    return sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*") if p.is_file())


def _run_all(generated: Path) -> dict[str, Outcome]:
    for rel, (make, _, _) in GENERATED.items():
        (generated / rel).parent.mkdir(parents=True, exist_ok=True)
        if make is not None and not (generated / rel).exists():
            make(generated / rel)
    jobs = [(CORPUS, rel) for rel in corpus_files()] + [(generated, rel) for rel in GENERATED]
    workers = max(2, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers + len(FRESH_INTERPRETER)) as pool:
        fresh = {rel: pool.submit(_run_fresh, CORPUS, rel) for rel in FRESH_INTERPRETER}
        if hasattr(os, "fork"):
            ran = _run_forked(jobs)
        else:  # no fork (Windows): a fresh interpreter per file
            ran = list(pool.map(lambda job: _run_fresh(*job), jobs))
        results = {rel: outcome for (_, rel), outcome in zip(jobs, ran, strict=True)}
        for rel, future in fresh.items():
            results["fresh:" + rel] = future.result()
    shutil.rmtree(generated, ignore_errors=True)  # 100 MB of generated files
    return results


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Outcome]:
    """Runs the whole corpus once per test session, even with pytest-xdist workers sharing the tests."""
    return once_per_session(request.config, tmp_path_factory, "bad_input", _run_all)


# ----------------------------------------------------------------------------- tests


def test_corpus_is_complete() -> None:
    files = corpus_files()
    assert len(files) >= 40
    pinned = set(EXPECTED) | set(POSITIVE)
    assert not set(EXPECTED) & set(POSITIVE)
    assert sorted(set(files) - pinned) == [], "corpus files without an expectation"
    assert sorted(pinned - set(files)) == [], "expectations without a corpus file"
    for rel in FRESH_INTERPRETER:
        assert rel in pinned


def _check_error(outcome: Outcome, code: int, line: str) -> None:
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert outcome.stderr == line + "\n"
    assert outcome.returncode == code
    assert outcome.stdout == ""


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_bad_file(rel: str, outcomes: dict[str, Outcome]) -> None:
    code, line = EXPECTED[rel]
    _check_error(outcomes[rel], code, line)


@pytest.mark.parametrize("rel", sorted(GENERATED))
def test_generated_bad_input(rel: str, outcomes: dict[str, Outcome]) -> None:
    _, code, line = GENERATED[rel]
    _check_error(outcomes[rel], code, line)


@pytest.mark.parametrize("rel", sorted(POSITIVE))
def test_positive_control(rel: str, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[rel]
    assert "Traceback" not in outcome.stderr + outcome.stdout
    assert (outcome.returncode, outcome.stderr) == (OK, "")
    assert POSITIVE[rel](outcome.stdout), outcome.stdout


@pytest.mark.parametrize("rel", FRESH_INTERPRETER)
def test_fresh_interpreter_agrees(rel: str, outcomes: dict[str, Outcome]) -> None:
    """``python -m advisor`` in a new interpreter gives the same as the forked run."""
    fresh, forked = outcomes["fresh:" + rel], outcomes[rel]
    assert (fresh.returncode, fresh.stdout, fresh.stderr) == (forked.returncode, forked.stdout, forked.stderr)


def test_every_line_has_the_documented_shape() -> None:
    """``file:line:col: problem; what to do`` (whole-file problems have no line and column)."""
    lines = [line for _, line in EXPECTED.values()] + [line for _, _, line in GENERATED.values()]
    for line in lines:
        assert "\n" not in line
        path, _, rest = line.partition(": ")
        assert path.startswith(("questionnaires/", "profiles/")), line
        parts = path.split(":")
        assert len(parts) in (1, 3) and all(p.isdigit() and int(p) >= 1 for p in parts[1:]), line
        assert "; " in rest and rest.split("; ")[-1].strip(), line
    codes = {code for code, _ in EXPECTED.values()} | {code for _, code, _ in GENERATED.values()}
    assert codes <= {int(c) for c in ExitCode}
