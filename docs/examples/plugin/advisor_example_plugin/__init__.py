"""An example advisor measurement plugin: one probe, ``pyloop``, and the rule that reads it.

Install it next to advisor (``pip install docs/examples/plugin``) and it shows up
in ``advisor plugins``; run it with ``advisor measure --probe pyloop``. It counts how
many iterations of an empty Python loop the target runs per second, with the target's
``python3``: a stand-in for a real benchmark tool.

The probe brings the measured facts ``measured.pyloop.ratio``, ``.ci_low``, ``.ci_high``
and ``.verdict``; the rule-pack layer in ``rules/`` (returned by ``advisor_rule_packs``)
overrides the compute-throughput consequence of VM-backed nodes so that a pyloop
verdict replaces its prior range.
"""

from __future__ import annotations

from pathlib import Path

from advisor.measure.api import Budget, MetricSpec, ProbeError, Runner
from advisor.measure.hookspecs import hookimpl

_CODE = """
import time
end = time.perf_counter() + {seconds}
n = 0
while time.perf_counter() < end:
    n += 1
print(n / {seconds})
"""


class PyLoopProbe:
    """Iterations of an empty Python loop per second (higher is better)."""

    name = "pyloop"
    title = "Python loop throughput (example plugin)"
    tools = ("python3",)
    #: What ``measured.pyloop.ratio`` compares (docs/facts.md).
    measured_fact = "interpreted-code throughput (an empty Python loop, iterations per second); < 1 means the VM " \
                    "is slower"
    metrics = (MetricSpec("loops_per_s", "1/s", "higher", main=True, description="empty loop iterations per second"),)

    def install_hint(self) -> str:
        return "apt-get install python3"

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        seconds = 0.5 if budget == "quick" else 2.0
        done = runner.run(["python3", "-c", _CODE.format(seconds=seconds)], timeout=seconds + 30)
        if done.returncode != 0:
            raise ProbeError(f"python3 failed on {runner.name!r}: {done.stderr.strip()[:200]}")
        try:
            return {"loops_per_s": float(done.stdout.split()[-1])}
        except (IndexError, ValueError):
            raise ProbeError(f"unexpected output of the pyloop probe: {done.stdout[:200]!r}") from None


@hookimpl
def advisor_probes() -> list[PyLoopProbe]:
    """The probes of this plugin."""
    return [PyLoopProbe()]


@hookimpl
def advisor_rule_packs() -> list[Path]:
    """The rule-pack layer that reads this plugin's measured facts."""
    return [Path(__file__).resolve().parent / "rules"]
