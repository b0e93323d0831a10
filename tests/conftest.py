"""Shared fixtures: keep them small and general."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import support
from click.testing import CliRunner, Result
from hypothesis import settings

# Hypothesis profiles (tests/support.py says how a property test scales with them): ``ci`` is the
# default, bounded and derandomized (the same examples every run, no example database);
# ``thorough`` (HYPOTHESIS_PROFILE=thorough) tries ten times as many, randomly, and keeps failures.
settings.register_profile("ci", max_examples=20, derandomize=True, database=None, deadline=None,
                          print_blob=True)
settings.register_profile("thorough", max_examples=200, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Keep pytest's rewritten test modules (tests/**/__pycache__) even under PYTHONDONTWRITEBYTECODE, which CI
# sets: each pytest process (every xdist worker, the serial run) would otherwise rewrite the asserts of every
# test module anew, about 3 of its 6 CPU seconds of collection. Modules imported from here on are cached; the
# processes the tests start still inherit the variable (scripts/test compiles advisor's modules for them).
sys.dont_write_bytecode = False

TESTS_DIR = Path(__file__).resolve().parent
GOLDEN_DIR = TESTS_DIR / "golden"

#: A fixed moment for provenance timestamps (2023-11-14T22:13:20Z).
EPOCH = "1700000000"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite every golden file (tests/golden, docs/examples/records, the generated docs) "
                          "from the current output instead of comparing; review the diff before committing")


def pytest_configure(config: pytest.Config) -> None:
    """Compiled packs go to a cache folder of this test run, never the user's (subprocesses inherit it)."""
    support.UPDATE_GOLDEN = bool(config.getoption("update_golden"))
    config.addinivalue_line("markers", 'xdist_group(name): pytest-xdist\'s; xdist_group("cpu1") on a test that takes '
                            "the CPU-1 lock for a part of it (sshd_fixture.cpu_heavy): a parallel run gives these "
                            "and the cpu1 tests to one worker")
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        # started in the background of a shell script (`pytest ... &`, as scripts/test starts the serial run),
        # which ignores Ctrl-C for it: let Ctrl-C stop the run, and let the Ctrl-C tests' SIGINT reach the
        # command under test instead of being dropped (they would wait for the command to end, then fail)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if "ADVISOR_CACHE_DIR" not in os.environ:
        os.environ["ADVISOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="advisor-test-cache-")


def _group(item: pytest.Item) -> str | None:
    """The ``xdist_group`` a test is in ("cpu1" for one marked ``cpu1``, "waits" for one marked ``waits``), or None."""
    if item.get_closest_marker("cpu1") is not None:
        return "cpu1"
    if item.get_closest_marker("waits") is not None and not _holds_cpu1_lock(item):
        return "waits"
    marks = [mark.args[:1] or (mark.kwargs.get("name"),) for mark in item.iter_markers("xdist_group")]
    return str(marks[0][0]) if marks else None


def _holds_cpu1_lock(item: pytest.Item) -> bool:
    """Marked ``cpu1``, or ``xdist_group("cpu1")`` for a test that takes the lock for a part (``cpu_heavy``)."""
    return item.get_closest_marker("cpu1") is not None or any(
        (mark.args[:1] or (mark.kwargs.get("name"),))[0] == "cpu1" for mark in item.iter_markers("xdist_group"))


def _order(item: pytest.Item) -> int:
    if _holds_cpu1_lock(item):
        return 2
    return 0 if item.get_closest_marker("waits") else 1 if item.get_closest_marker("slow") else 3


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``waits`` first, all in one worker: in scripts/test the parallel lane has only
    CPU 0 while the serial lane holds CPU 1, and while that worker waits the other computes, so their
    waiting costs no time then (two workers waiting at once, or one after, with both CPUs, would leave
    one idle). Then the tests marked ``slow``, in their order: a parallel run starts its longest tests
    early instead of ending on one of them alone. Then the tests that hold the CPU-1 lock, which a
    parallel run gives to one worker (:func:`pytest_xdist_make_scheduler`); an xdist worker lists them,
    and every other test in an ``xdist_group``, for it."""
    items.sort(key=_order)
    listing = getattr(config, "workerinput", {}).get(_CPU1_TESTS)
    if listing:
        part = Path(f"{listing}.{os.getpid()}")
        part.write_text(json.dumps({item.nodeid: group for item in items if (group := _group(item))}),
                        encoding="utf-8")
        os.replace(part, listing)


#: The workers' input naming the file where they list the tests in a group (those that hold the CPU-1 lock too).
_CPU1_TESTS = "advisor_cpu1_tests"


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """(pytest-xdist, in the controller) Where the workers list the tests in a group."""
    node.workerinput[_CPU1_TESTS] = str(_cpu1_listing(node.config))


def _cpu1_listing(config: pytest.Config) -> Path:
    key = "_advisor_cpu1_listing"
    if not hasattr(config, key):
        folder = tempfile.mkdtemp(prefix="advisor-test-xdist-")
        config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
        setattr(config, key, Path(folder) / "cpu1-tests.json")
    return Path(getattr(config, key))


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """(pytest-xdist) ``-n N`` sends the tests that hold the CPU-1 lock to one worker, one after the other.

    While the serial comparisons hold CPU 1 (scripts/test), at most one worker then waits for the
    lock and the other keeps CPU 0 busy, instead of both waiting with CPU 0 idle. Any other
    ``xdist_group`` goes to one worker too (tests that share work computed once per process, such as
    the decision property tests' decisions before each change, compute it once instead of once per
    worker). The other tests are handed out one at a time, in the collection order. (``--dist
    loadgroup`` would do this from the ``xdist_group`` marks, but its group does not reach the
    controller with pytest >= 9.2.)
    An explicit ``--dist`` other than ``load`` is kept.
    """
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    listing = _cpu1_listing(config)

    class GroupsInOneWorker(LoadScopeScheduling):  # type: ignore[misc]
        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # the workers wrote the list while collecting, before scheduling starts
                self.groups = json.loads(listing.read_text(encoding="utf-8")) if listing.exists() else {}
            return self.groups.get(nodeid, nodeid)

    config.option.loadscopereorder = False  # keep the collection order (not the group first)
    return GroupsInOneWorker(config, log)


#: The CPU the timing-sensitive benchmark comparisons (``-m serial``) pin their targets to.
SERIAL_CPU = 1
_ALL_CPUS = frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else frozenset()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Keep a test (and the processes it starts) off CPU 1 while the serial comparisons run there.

    scripts/test runs ``-m serial`` beside the parallel run and names, in
    ``ADVISOR_TEST_CPU1_BUSY``, a file that exists while they run. Each other test starts
    on the CPUs other than 1 while it exists and on all of them after, so the comparisons'
    disturbance check sees a quiet CPU 1. A test that pins benchmarks to CPU 1 itself is
    marked ``cpu1``: it runs on every CPU and holds the CPU-1 lock (:func:`cpu1_for_marked`).
    """
    busy = os.environ.get("ADVISOR_TEST_CPU1_BUSY")
    if not busy or item.get_closest_marker("serial") is not None or len(_ALL_CPUS) < 2:
        return
    others = _ALL_CPUS - {SERIAL_CPU}
    pins_cpu1 = item.get_closest_marker("cpu1") is not None  # it holds the CPU-1 lock instead
    wanted = others if others and os.path.exists(busy) and not pins_cpu1 else _ALL_CPUS
    if frozenset(os.sched_getaffinity(0)) != wanted:
        os.sched_setaffinity(0, wanted)


@pytest.fixture(autouse=True)
def cpu1_for_marked(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked ``cpu1`` holds the CPU-1 lock, so no timing-sensitive comparison runs meanwhile."""
    if request.node.get_closest_marker("cpu1") is None:
        yield
        return
    with support.cpu1_lock():
        yield


@pytest.fixture
def questionnaire():
    """The bundled default questionnaire."""
    from advisor.questionnaire import load_default

    return load_default()


@pytest.fixture
def deterministic_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Pin provenance time and colour for in-process runs; returns the variables set."""
    env = {"SOURCE_DATE_EPOCH": EPOCH, "NO_COLOR": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("ADVISOR_TRACEBACK", raising=False)
    return env


@click.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                 "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def _entry(args: tuple[str, ...]) -> None:
    """Runs the real ``advisor`` entry point, so exit codes and error lines are the real ones."""
    from advisor.cli import main

    main(list(args))


def _runner() -> CliRunner:
    if "mix_stderr" in inspect.signature(CliRunner.__init__).parameters:  # click < 8.2
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    return CliRunner()


@pytest.fixture
def advisor(deterministic_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            ) -> Callable[..., Result]:
    """``advisor(*args, input=None)`` runs the CLI in-process (no terminal) in ``tmp_path``.

    The result has ``exit_code``, ``stdout`` and ``stderr`` (separate streams).
    """
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str, input: str | None = None, catch_exceptions: bool = True) -> Result:
        return _runner().invoke(_entry, list(args), input=input, catch_exceptions=catch_exceptions)

    return invoke


@pytest.fixture
def golden_dir() -> Path:
    """``tests/golden``: expected files, compared byte for byte."""
    return GOLDEN_DIR
