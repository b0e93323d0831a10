"""An example advisor measurement plugin: one probe, ``pyloop``.

Install it next to advisor (``pip install docs/examples/plugin``) and it shows up
in ``advisor plugins``; run it with ``advisor measure --probe pyloop``. It counts how
many iterations of an empty Python loop the target runs per second, with the target's
``python3``: a stand-in for a real benchmark tool.
"""

from __future__ import annotations

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
