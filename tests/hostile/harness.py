"""Run many ``advisor`` command lines fast: one process imports advisor, forks a child per case.

Each child has its own working directory, stdout, stderr and exit status, exactly as
``python -m advisor`` would, and is timed. A fresh interpreter per case would cost
~0.3 s of imports each, too slow for a corpus of hundreds of cases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Imports advisor, every module of it (a command imports what it needs when it runs: each child would
#: import it again, half of a corpus case's CPU time), warms the bundled questionnaire and rule pack
#: once, then forks one child per job.
_DRIVER = r"""
import gc, importlib, json, os, pkgutil, signal, sys, tempfile, time
import advisor
import advisor.cli
from advisor import pipeline
for module in pkgutil.walk_packages(advisor.__path__, "advisor."):
    importlib.import_module(module.name)
pipeline.load_decision_pack(None, pipeline.load_questionnaire())
gc.freeze()  # the children share these objects' pages instead of each collector touching (copying) them

def kill_at_journal_step(at):
    # SIGKILL this process at step `at` of advisor.journal.apply (crash tests), patched in from
    # outside: before each file it writes (the journal first), before the journal is removed, after
    from advisor import journal
    steps = [0]

    def step():
        steps[0] += 1
        if steps[0] == at:
            os.kill(os.getpid(), signal.SIGKILL)

    write_text, unlink = journal.write_text, os.unlink

    def counted_write_text(*args, **kwargs):
        step()
        return write_text(*args, **kwargs)

    def counted_unlink(path, *args, **kwargs):
        if os.path.basename(os.fspath(path)) != journal.JOURNAL_NAME:
            return unlink(path, *args, **kwargs)
        step()
        unlink(path, *args, **kwargs)
        step()

    journal.write_text, os.unlink = counted_write_text, counted_unlink

def child(cwd, args, out, err, env, kill_after, kill_at_step):
    signal.alarm(int(os.environ.get("HARNESS_TIMEOUT", "60")))
    os.environ.update(env)
    if kill_after:  # SIGKILL this process at that moment, wherever it is (crash tests)
        signal.signal(signal.SIGALRM, lambda *_: os.kill(os.getpid(), signal.SIGKILL))
        signal.setitimer(signal.ITIMER_REAL, kill_after)
    if kill_at_step:
        kill_at_journal_step(kill_at_step)
    os.chdir(cwd)
    os.dup2(out, 1)
    os.dup2(err, 2)
    code = 70
    try:
        advisor.cli.main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(code)

jobs = json.load(sys.stdin)
results, running = [None] * len(jobs), {}
with tempfile.TemporaryDirectory() as tmp:
    def reap():
        pid, status = os.wait()
        i, out, err, t0 = running.pop(pid)
        elapsed = time.monotonic() - t0
        texts = []
        for fd in (out, err):
            os.lseek(fd, 0, 0)
            chunks = []
            while chunk := os.read(fd, 1 << 16):
                chunks.append(chunk)
            os.close(fd)
            texts.append(b"".join(chunks).decode("utf-8", "replace"))
        results[i] = [os.waitstatus_to_exitcode(status)] + texts + [elapsed]

    parallel = int(os.environ.get("HARNESS_PARALLEL") or max(2, os.cpu_count() or 2))
    for i, (cwd, args, env, kill_after, kill_at_step) in enumerate(jobs):
        while len(running) >= parallel:
            reap()
        out, err = (os.open(os.path.join(tmp, f"{i}.{n}"), os.O_RDWR | os.O_CREAT, 0o600) for n in ("out", "err"))
        sys.stdout.flush()
        sys.stderr.flush()
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:
            child(cwd, args, out, err, env, kill_after, kill_at_step)
        running[pid] = (i, out, err, t0)
    while running:
        reap()
json.dump(results, sys.stdout)
"""


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    seconds: float


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k != "ADVISOR_TRACEBACK"}
    out.update(NO_COLOR="1", PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8", SOURCE_DATE_EPOCH="1700000000")
    return out


Job = (tuple[Path, list[str]] | tuple[Path, list[str], dict[str, str], float]
       | tuple[Path, list[str], dict[str, str], float, int])


def run_all(jobs: Sequence[Job], parallel: int | None = None, timeout: int = 60) -> list[Outcome]:
    """Run each (working folder, advisor arguments[, environment, SIGKILL after seconds[, at journal step]]) job.

    Outcomes in job order. ``parallel`` children run at once (default: the CPU count);
    a child still running after ``timeout`` seconds is stopped (SIGALRM, exit -14). A job
    with a journal step N is SIGKILLed at step N of :func:`advisor.journal.apply` (1: before
    writing the journal, then before each file, before removing the journal, after it),
    patched into the forked child: the product has no test hook.
    """
    defaults = ({}, 0.0, 0)
    payload = json.dumps([[str(job[0]), job[1], *job[2:], *defaults[len(job) - 2:]] for job in jobs])
    environment = env()
    environment["HARNESS_TIMEOUT"] = str(timeout)
    if parallel is not None:
        environment["HARNESS_PARALLEL"] = str(parallel)
    proc = subprocess.run([sys.executable, "-c", _DRIVER], input=payload, capture_output=True, text=True,
                          env=environment, timeout=timeout + 900, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return [Outcome(*fields) for fields in json.loads(proc.stdout)]


def once_per_session(config: Any, factory: Any, name: str, compute: Callable[[Path], dict[str, Outcome]]
                     ) -> dict[str, Outcome]:
    """``compute(folder)`` once per test session, even when pytest-xdist workers share the tests.

    xdist workers share the parent of their basetemp: the first one computes, the others
    read its results.
    """
    if getattr(config, "workerinput", None) is None:
        return compute(factory.mktemp(name))
    import fcntl

    shared = factory.getbasetemp().parent
    cache = shared / f"{name}_outcomes.json"
    with (shared / f"{name}_outcomes.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cache.exists():
            results = compute(shared / f"{name}_workspace")
            cache.write_text(json.dumps({k: [o.returncode, o.stdout, o.stderr, o.seconds] for k, o in results.items()}))
        return {k: Outcome(*v) for k, v in json.loads(cache.read_text()).items()}
