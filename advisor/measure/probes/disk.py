"""``disk``: 4 KiB random-read IOPS and completion latency with fio."""

from __future__ import annotations

from advisor.measure.api import Budget, MetricSpec, ProbeError, Runner
from advisor.measure.probes._common import excerpt, require_tools, seconds, temp_dir
from advisor.measure.probes.parsers import FioResult, fio_engines, parse_fio_json

__all__ = ["DiskProbe"]

#: (file size, runtime s, ramp s) per budget.
_PLAN = {"quick": ("256M", 2, 1), "full": ("4G", 20, 5)}


def _plan(budget: Budget) -> tuple[str, int, int]:
    if budget not in _PLAN:
        seconds(budget, 0, 0)  # raises the unknown-budget error
    return _PLAN[budget]


class DiskProbe:
    """``fio --rw=randread --bs=4k --iodepth=32 --ioengine=libaio|psync --direct=1 --output-format=json``.

    The file lives in a directory made with ``mktemp -d`` on the target, under
    ``/var/tmp`` by default (on disk, where ``/tmp`` may be tmpfs), and is removed
    after the run. ``--direct=1`` bypasses the page cache, and a ramp (``--ramp_time``)
    is discarded. The device, file system type and mount point under the directory
    (``df``) are returned with each run's figures and kept as the run's ``context``, so
    every disk figure says what it measured. A file system that refuses O_DIRECT (tmpfs, some overlays) fails the
    probe: a buffered run would measure the page cache, not the disk. libaio is used
    when fio has it, else psync, whose queue depth is 1 whatever ``--iodepth`` says
    (recorded as ``iodepth``). Recorded figures are returned with the metrics, so the
    session keeps them in each run's values, but they are not declared metrics.
    """

    name = "disk"
    title = "Disk 4K random read (fio)"
    tools: tuple[str, ...] = ("fio",)
    metrics: tuple[MetricSpec, ...] = (
        MetricSpec("iops", "IOPS", "higher", main=True, band=0.10,
                   description="4 KiB random reads per second, queue depth 32"),
        MetricSpec("p99_us", "us", "lower", band=0.30, decision=True,
                   description="99th percentile of the read completion latency (clat)"),
    )
    #: A virtual disk on comparable storage loses IOPS (often half or more) but cannot be 2x faster
    #: than the device itself: beyond that the runs measured a cache or a different device.
    plausible = (0.02, 2.0)
    #: Recorded with each run (in its values), not compared: 1/0 whether O_DIRECT was used, and the
    #: effective queue depth (32 with libaio, 1 with the psync fallback).
    recorded: tuple[str, ...] = ("direct", "iodepth")

    def __init__(self, *, directory: str = "/var/tmp") -> None:
        #: Where the test directory is created on the target (falls back to mktemp's default).
        self.directory = directory

    def install_hint(self) -> str:
        return "apt-get install fio (Debian/Ubuntu) or dnf install fio"

    def command(self, budget: Budget, directory: str, engine: str, direct: bool) -> list[str]:
        size, runtime, ramp = _plan(budget)
        argv = ["fio", "--name=randread", f"--directory={directory}", "--filename=advisor-fio.dat",
                "--rw=randread", "--bs=4k", "--iodepth=32", f"--ioengine={engine}", f"--direct={int(direct)}",
                f"--size={size}", f"--runtime={runtime}", "--time_based", "--randrepeat=0",
                "--output-format=json"]
        if ramp:
            argv.append(f"--ramp_time={ramp}")
        return argv

    def engine(self, runner: Runner) -> str:
        """libaio when this fio has it, else psync."""
        done = runner.run(["fio", "--enghelp"], timeout=30)
        return "libaio" if "libaio" in fio_engines(done.stdout) else "psync"

    def _fio(self, runner: Runner, argv: list[str], timeout: float) -> FioResult:
        done = runner.run(argv, timeout=timeout)
        if done.returncode != 0:
            raise ProbeError(f"fio exited with status {done.returncode}: {excerpt(done.stderr or done.stdout)}", None)
        return parse_fio_json(done.stdout)

    @staticmethod
    def storage(runner: Runner, directory: str) -> dict[str, str]:
        """The device, file system type and mount point under ``directory`` (``df`` on the target)."""
        done = runner.run(["df", "--output=source,fstype,target", directory], timeout=30)
        lines = [ln.split() for ln in done.stdout.splitlines() if ln.strip()]
        if done.returncode != 0 or len(lines) < 2 or len(lines[-1]) < 3:
            return {"device": "unknown", "fstype": "unknown", "mount": "unknown"}
        source, fstype, *mount = lines[-1]
        return {"device": source, "fstype": fstype, "mount": " ".join(mount)}

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float | str]:
        require_tools(runner, self.tools, self.install_hint())
        engine = self.engine(runner)
        _, runtime, ramp = _plan(budget)
        timeout = 120 + 3 * (runtime + ramp)
        with temp_dir(runner, base=self.directory, prefix="advisor-fio") as directory:
            where = self.storage(runner, directory)
            try:
                result = self._fio(runner, self.command(budget, directory, engine, True), timeout)
            except ProbeError as exc:
                fs = f"{where['device']} {where['fstype']}"
                raise ProbeError(f"fio with O_DIRECT failed in {directory} ({fs}): {exc.first.message}",
                                 "put the test directory on a file system that supports O_DIRECT (not tmpfs); a "
                                 "buffered run would measure the page cache, not the disk") from None
        return {"iops": result.iops, "p99_us": result.clat_p99_us, "direct": 1.0,
                "iodepth": 32.0 if engine == "libaio" else 1.0, **where}
