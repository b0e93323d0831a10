"""Crash consistency: ``assess`` and ``records supersede`` SIGKILLed at many points lose no record.

Each run gets its own copy of a records folder and is killed with SIGKILL either at a
step of the journalled write (the harness patches :mod:`advisor.journal` in the killed
child: before the journal, before each file, before and after removing the journal) or at
a random moment (a timer).
Afterwards ``records check`` reports the folder's state and ``records repair`` brings it
back: consistent (:func:`advisor.repair.state` empty), every record still there, and a
supersede either applied to both records or to neither.
"""

from __future__ import annotations

import random
import shutil
import signal
import statistics
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Outcome, run_all  # noqa: E402

from advisor import records, repair  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples" / "records"
PROFILE = ROOT / "docs" / "examples" / "profiles" / "payments-api.profile.yaml"
KILLED = -int(signal.SIGKILL)


def _index(directory: Path) -> str:
    return records.index_text(records.load_all(directory))


def _seed(folder: Path) -> None:
    folder.mkdir(parents=True)
    for n in (1, 2):
        for src in EXAMPLES.glob(f"{n:04d}-*"):
            shutil.copy(src, folder / src.name)
    records.write_index(folder)


ASSESS = ["assess", "--profile", "P.yaml", "--no-record", "--measure", "never"]
SUPERSEDE = ["records", "supersede", "1", "2", "--force-supersede"]  # two workloads: forced on purpose


def _args(argv: list[str], folder: Path) -> list[str]:
    return [a for a in argv if a != "--no-record"] + ["--records-dir", folder.name]


def _durations(root: Path) -> dict[str, float]:
    """Median seconds of a whole, unkilled ``assess`` and ``supersede`` on this machine, now.

    Random kill moments are drawn inside that span, so they land in the writes on a fast
    idle machine as on a loaded one.
    """
    plans = [(kind, argv) for kind, argv in (("assess", ASSESS), ("supersede", SUPERSEDE)) for _ in range(3)]
    jobs = []
    for i, (_, argv) in enumerate(plans):
        folder = root / f"calibrate{i}"
        _seed(folder)
        jobs.append((root, _args(argv, folder)))
    runs = run_all(jobs)
    assert all(o.returncode == 0 for o in runs), [o.stderr for o in runs]
    return {kind: statistics.median(o.seconds for (k, _), o in zip(plans, runs, strict=True) if k == kind)
            for kind in ("assess", "supersede")}


def _jobs(root: Path) -> list[tuple[str, Path, list[str], float, int]]:
    rng = random.Random(18)
    shutil.copy(PROFILE, root / "P.yaml")
    took = _durations(root)
    plans: list[tuple[str, list[str], float, int]] = []
    for step in range(1, 7):  # journal, JSON, markdown, index, journal removed, after
        plans.append(("assess", ASSESS, 0.0, step))
    plans += [("assess", ASSESS, rng.uniform(0.05, 0.9) * took["assess"], 0) for _ in range(40)]
    for step in range(1, 9):  # journal, 2 x (JSON, markdown), index, journal removed, after
        plans.append(("supersede", SUPERSEDE, 0.0, step))
    plans += [("supersede", SUPERSEDE, rng.uniform(0.0, 0.9) * took["supersede"], 0) for _ in range(80)]
    jobs = []
    for i, (kind, argv, after, step) in enumerate(plans):
        folder = root / f"f{i:03d}"
        _seed(folder)
        jobs.append((kind, root, _args(argv, folder), after, step))
    return jobs


def _killed_runs(root: Path, jobs: list[tuple[str, Path, list[str], float, int]]) -> list[Outcome]:
    """Run every job; a timer job that finished before its kill is run again, killed sooner.

    The kill moments are drawn from the calibrated median, but a run in the parallel pool
    can finish faster than the calibration runs did: such a run is repeated on a fresh
    copy of the folder with its moment redrawn inside the time it actually took (at most
    three rounds), so the kills keep landing inside the writes whatever the load.
    """
    rng = random.Random(1818)
    runs = run_all([(cwd, args, {}, after, step) for _, cwd, args, after, step in jobs])
    for _ in range(3):
        again = [i for i, o in enumerate(runs) if jobs[i][4] == 0 and o.returncode == 0]
        if not again:
            break
        for i in again:
            shutil.rmtree(root / f"f{i:03d}")
            _seed(root / f"f{i:03d}")
        redone = run_all([(jobs[i][1], jobs[i][2], {}, rng.uniform(0.05, 0.9) * runs[i].seconds, 0)
                          for i in again])
        for i, outcome in zip(again, redone, strict=True):
            runs[i] = outcome
    return runs


@pytest.mark.slow
def test_killed_writers_leave_a_folder_that_repair_restores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # paths in messages are relative, as the CLI shows them
    jobs = _jobs(tmp_path)
    runs = _killed_runs(tmp_path, jobs)
    killed = [i for i, o in enumerate(runs) if o.returncode == KILLED]
    missed = [jobs[i][2] for i, o in enumerate(runs) if jobs[i][4] and o.returncode != KILLED]
    assert not missed, f"a journal step was never reached: {missed}"
    assert len(killed) >= 100, f"only {len(killed)} runs were killed"
    assert all(o.returncode in (0, KILLED) for o in runs), [o.stderr for o in runs if o.returncode not in (0, KILLED)]
    folders = [Path(f"f{i:03d}") for i in killed]
    states = {f: repair.state(f, _index) for f in folders}
    dirty = sum(1 for s in states.values() if s)
    assert dirty >= 10, f"only {dirty} of {len(killed)} kills left anything to repair: they missed the writes"
    checks = run_all([(tmp_path, ["records", "check", "--records-dir", f.name, "--today", "2026-01-01"])
                      for f in folders])
    repairs = run_all([(tmp_path, ["records", "repair", "--records-dir", f.name]) for f in folders])
    for folder, check, fixed in zip(folders, checks, repairs, strict=True):
        _consistent_after(folder, states[folder], check, fixed, jobs[int(folder.name[1:])][0])


def _consistent_after(folder: Path, before: list[repair.FolderProblem], check: Outcome, fixed: Outcome,
                      kind: str) -> None:
    if before:  # check reports the state, one line per problem, exit 4
        assert check.returncode == 4, check.stderr
        assert [p.format() for p in before] == check.stdout.splitlines()[:len(before)]
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert repair.state(folder, _index) == [], fixed.stderr
    found = {rf.number: rf.record for rf in records.load_all(folder)}
    assert {1, 2} <= set(found), "a record was lost"
    if kind == "assess":
        assert set(found) <= {1, 2, 3}
    else:
        old, new = found[1], found[2]
        applied = old.superseded_by == 2
        assert (new.supersedes == 1) == applied, "the supersede was applied to one record only"
        assert (old.status == "superseded") == applied
