"""``memory``: random-access memory reads beyond the last-level cache, one thread per allowed CPU."""

from __future__ import annotations

from advisor.measure.api import Budget, MetricSpec, Runner
from advisor.measure.probes._common import checked, require_tools, seconds
from advisor.measure.probes.parsers import (
    cpus_allowed,
    llc_from_getconf,
    llc_from_sysfs,
    mem_available,
    parse_sysbench_memory,
)

__all__ = ["MemoryProbe", "block_size"]

#: The buffer is at least this many times the last-level cache.
LLC_MULTIPLE = 4
#: Assumed LLC size when the target describes none.
DEFAULT_LLC = 32 << 20
MIN_BLOCK = 64 << 20
#: The discarded warm-up run reads this block once at random (a tenth of a second or so).
WARMUP_BLOCK = 16 << 20


def _pow2_ceil(n: int) -> int:
    return 1 << max(0, (n - 1).bit_length())


def _pow2_floor(n: int) -> int:
    return 1 << max(0, n.bit_length() - 1)


def block_size(llc: int | None, available: int | None) -> int:
    """The sysbench block: the power of two >= 4 x LLC (sysbench wants a power of two).

    Capped at a quarter of the target's available memory (power of two below it),
    never below 64 MiB.
    """
    block = max(MIN_BLOCK, _pow2_ceil(LLC_MULTIPLE * (llc or DEFAULT_LLC)))
    if available:
        block = min(block, max(MIN_BLOCK, _pow2_floor(available // 4)))
    return block


class MemoryProbe:
    """``sysbench memory --threads=N --memory-oper=read --memory-access-mode=rnd --memory-block-size=B --time=T``.

    The main figure is random-access read bandwidth with one thread per CPU the target
    allows: every read misses the caches and, on a VM, walks two levels of page tables
    (guest and EPT/NPT), which is the cost of virtualization a sequential sweep hides
    (the prefetcher streams it). ``B`` is sized from the target's LLC
    (``grep -r . /sys/devices/system/cpu/cpu0/cache/``, else ``getconf -a``) so the reads
    come from DRAM, not from cache; sysbench touches the whole block before timing. One
    1-s sysbench run per probe run in the quick suite (sysbench's ``--time`` takes whole
    seconds, and a fixed amount of work instead would bias a CPU-quota comparison: the
    last quota period's frozen half is not counted). The full suite adds the
    single-thread sequential sweep (``mb_per_s``, descriptive). See docs/measurement.md
    for why sysbench and not stress-ng's stream stressor.
    """

    name = "memory"
    title = "Memory reads beyond the LLC (sysbench memory, random access, a thread per CPU)"
    tools: tuple[str, ...] = ("sysbench",)
    metrics: tuple[MetricSpec, ...] = (
        MetricSpec("random_mb_per_s", "MB/s", "higher", main=True, band=0.10, resolution=0.01,
                   description="random-access read bandwidth beyond the LLC, one thread per allowed CPU "
                               "(TLB and EPT cost)"),
        MetricSpec("mb_per_s", "MB/s", "higher", band=0.05, resolution=0.01,
                   description="sequential read bandwidth of a buffer >= 4x the last-level cache, 1 thread (full)"),
    )
    #: Recorded with each run, not compared: the buffer and the LLC size it was derived from (MiB; 0 = unknown),
    #: and the threads of the random-access run.
    recorded: tuple[str, ...] = ("block_mib", "llc_mib", "threads")
    plausible = (0.05, 1.25)
    durations = {"quick": 1, "full": 10}

    def __init__(self, *, llc_bytes: int | None = None) -> None:
        #: Overrides the LLC size read from the target (e.g. a VM that reports none or a wrong one).
        self.llc_bytes = llc_bytes
        self._sizing: dict[int, tuple[int | None, int, int]] = {}

    def install_hint(self) -> str:
        return "apt-get install sysbench (Debian/Ubuntu) or dnf install sysbench (EPEL)"

    def llc(self, runner: Runner) -> int | None:
        """The last-level cache size of the target in bytes, or None when it describes none."""
        if self.llc_bytes:
            return self.llc_bytes
        done = runner.run(["grep", "-r", "-s", "-e", ".", "/sys/devices/system/cpu/cpu0/cache/"], timeout=30)
        size = llc_from_sysfs(done.stdout)
        if size is None:
            done = runner.run(["getconf", "-a"], timeout=30)
            size = llc_from_getconf(done.stdout) if done.returncode == 0 else None
        return size

    def command(self, budget: Budget, block: int, *, threads: int = 1, access: str = "seq") -> list[str]:
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        return ["sysbench", "memory", f"--threads={threads}", f"--memory-block-size={block // 1024}K",
                "--memory-total-size=1024T", "--memory-oper=read", f"--memory-access-mode={access}",
                f"--time={t}", "run"]

    def sizing(self, runner: Runner) -> tuple[int | None, int, int]:
        """LLC, block and threads of a target: read once per runner, so every run of a session uses the same."""
        key = id(runner)
        if key not in self._sizing:
            meminfo = runner.run(["cat", "/proc/meminfo"], timeout=30)
            llc = self.llc(runner)
            block = block_size(llc, mem_available(meminfo.stdout) if meminfo.returncode == 0 else None)
            threads = len(cpus_allowed(checked(runner, ["grep", "Cpus_allowed_list", "/proc/self/status"],
                                               timeout=30).stdout))
            self._sizing[key] = (llc, block, threads)
        return self._sizing[key]

    def warm_up(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        """The session's discarded warm-up run: the target sized (once), then one random read of a small block
        with the run's threads (sysbench's ``--time`` takes whole seconds; a warm-up only needs the binary,
        the caches and the clock warm)."""
        require_tools(runner, self.tools, self.install_hint())
        _, _, threads = self.sizing(runner)
        argv = ["sysbench", "memory", f"--threads={threads}", f"--memory-block-size={WARMUP_BLOCK // 1024}K",
                f"--memory-total-size={WARMUP_BLOCK * threads // (1 << 20)}M", "--memory-oper=read",
                "--memory-access-mode=rnd", "--time=0", "run"]
        return {"random_mb_per_s": parse_sysbench_memory(checked(runner, argv, timeout=60).stdout)}

    def run(self, runner: Runner, *, budget: Budget, peer: Runner | None = None) -> dict[str, float]:
        require_tools(runner, self.tools, self.install_hint())
        llc, block, threads = self.sizing(runner)
        t = seconds(budget, self.durations["quick"], self.durations["full"])
        rnd = checked(runner, self.command(budget, block, threads=threads, access="rnd"), timeout=t * 3 + 60)
        values = {"random_mb_per_s": parse_sysbench_memory(rnd.stdout), "block_mib": block / (1 << 20),
                  "llc_mib": (llc or 0) / (1 << 20), "threads": float(threads)}
        if budget == "full":
            done = checked(runner, self.command(budget, block), timeout=t * 3 + 60)
            values["mb_per_s"] = parse_sysbench_memory(done.stdout)
        return values
