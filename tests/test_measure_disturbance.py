"""Disturbance detection and confounders: counters in, figures and reasons out."""

from __future__ import annotations

import pytest

from advisor.measure import disturbance
from advisor.measure.confounders import differences, parse_confounders
from advisor.measure.runners.local import LocalRunner


def _snap(wall: float, busy: int, idle: int, steal: int = 0, psi: int = 0, freq: float | None = 2_000_000,
          own: float | None = None) -> disturbance.Snapshot:
    text = (f"/proc/stat:cpu  {busy} 0 0 {idle} 0 0 0 {steal} 0 0\n/proc/stat:procs_running 3\n"
            f"/proc/loadavg:1.50 1.00 0.50 3/200 99\n"
            f"/proc/pressure/cpu:some avg10=1.00 avg60=0.00 avg300=0.00 total={psi}\n"
            + (f"/sys/devices/system/cpu/cpu1/cpufreq/scaling_cur_freq:{freq:.0f}\n" if freq else ""))
    return disturbance.parse_snapshot(text, wall, own)


def test_a_quiet_run_is_not_disturbed() -> None:
    found = disturbance.assess(_snap(0.0, 1000, 1000, own=0.0), _snap(1.0, 1100, 1100, own=1.0))
    # 100 jiffies busy in 1 s = 1 CPU, all of it the session's own
    assert found.figures["others_cpu"] == 0.0 and found.reasons == []
    assert found.figures["load1"] == 1.5 and found.figures["procs_running"] == 3


def test_other_processes_steal_and_frequency_mark_a_run() -> None:
    found = disturbance.assess(_snap(0.0, 1000, 1000, steal=0, own=0.0, freq=2_000_000),
                               _snap(1.0, 1200, 1000, steal=10, own=1.0, freq=1_500_000))
    assert found.figures["others_cpu"] == pytest.approx(1.0)
    assert found.figures["steal"] == pytest.approx(10 / 210, rel=1e-3)
    assert found.figures["freq_change"] == pytest.approx(0.25)
    assert [r.split(" ")[0] for r in found.reasons] == ["other", "steal", "CPU"]


def test_remote_targets_are_judged_by_pressure() -> None:
    """Where the session's own CPU time is unknown (SSH, pods), PSI decides."""
    found = disturbance.assess(_snap(0.0, 1000, 1000, psi=0), _snap(2.0, 1100, 1100, psi=600_000))
    assert "others_cpu" not in found.figures and found.figures["psi_cpu_some"] == pytest.approx(0.3)
    assert found.reasons == ["CPU pressure 30 % (limit 10 %)"]
    assert disturbance.assess(None, _snap(1.0, 1, 1)).figures == {"sampled": 0.0}


def test_summary_counts_each_criterion() -> None:
    runs = [{"others_cpu": 1.5}, {"others_cpu": 0.3, "steal": 0.05}, {"others_cpu": 0.1}]
    assert disturbance.summary(runs) == ("others_cpu over 0.25 in 2 run(s), up to 1.50; "
                                         "steal over 0.02 in 1 run(s), up to 0.05")


def test_this_host_is_sampled_in_process() -> None:
    runner = LocalRunner("here")
    try:
        sampler = disturbance.Sampler(runner)
        first, second = sampler.sample(), sampler.sample()
        assert first is not None and second is not None and first.own_cpu_s is not None
        assert second.wall >= first.wall and len(first.jiffies) == 8
    finally:
        runner.close()


CONFOUNDERS = """\
/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor:performance
/sys/devices/system/cpu/intel_pstate/no_turbo:1
/sys/devices/system/cpu/smt/active:1
/sys/kernel/mm/transparent_hugepage/enabled:always [madvise] never
/sys/devices/system/cpu/vulnerabilities/spectre_v2:Mitigation: Retpolines
/sys/devices/system/cpu/vulnerabilities/mds:Vulnerable: Clear CPU buffers attempted
/sys/devices/system/cpu/vulnerabilities/meltdown:Not affected
/proc/cmdline:BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro
/proc/meminfo:HugePages_Total:       8
/proc/meminfo:Hugepagesize:       2048 kB
/proc/stat:cpu  900 0 0 9000 0 0 0 100 0 0
"""


def test_confounders_are_read_and_compared() -> None:
    got = parse_confounders(CONFOUNDERS)
    assert got == {"governor": "performance", "hugepages": "8 x 2048 kB", "mitigations": "1 mitigated, 1 vulnerable",
                   "smt": "on", "steal": "1.00 %", "thp": "madvise", "turbo": "off"}
    off = parse_confounders(CONFOUNDERS.replace("ro\n", "ro mitigations=off\n"))
    assert off["mitigations"] == "off"
    assert differences(got, off) == [("mitigations", "1 mitigated, 1 vulnerable", "off")]
    assert differences(got, {"steal": "9 %"}) == []  # steal is recorded, not compared


def test_a_pinned_target_counts_only_its_own_cpus() -> None:
    """Work on another CPU (a busy neighbour on CPU 0) does not disturb a target pinned to CPU 1."""
    def snap(wall: float, cpu0_busy: int, cpu1_busy: int, own: float) -> disturbance.Snapshot:
        text = (f"/proc/stat:cpu  {cpu0_busy + cpu1_busy} 0 0 0 0 0 0 0 0 0\n"
                f"/proc/stat:cpu0 {cpu0_busy} 0 0 0 0 0 0 0 0 0\n/proc/stat:cpu1 {cpu1_busy} 0 0 0 0 0 0 0 0 0\n")
        return disturbance.parse_snapshot(text, wall, own, cpus=[1])

    found = disturbance.assess(snap(0.0, 0, 0, 0.0), snap(1.0, 100, 100, 1.0))
    assert found.figures["others_cpu"] == 0.0 and found.reasons == []
    everywhere = disturbance.assess(_snap(0.0, 0, 0, own=0.0), _snap(1.0, 200, 0, own=1.0))
    assert everywhere.figures["others_cpu"] == pytest.approx(1.0)  # unpinned: the whole machine counts


def test_what_a_quota_leaves_to_others_is_not_a_disturbance() -> None:
    """A target with a 0.5 quota on one pinned CPU leaves half of it idle; others may use that half."""
    quiet = disturbance.assess(_snap(0.0, 0, 0, own=0.0), _snap(1.0, 100, 0, own=0.5), slack=0.5)
    assert quiet.figures["others_cpu"] == 0.0 and quiet.reasons == []
    busy = disturbance.assess(_snap(0.0, 0, 0, own=0.0), _snap(1.0, 180, 0, own=0.5), slack=0.5)
    assert busy.figures["others_cpu"] == pytest.approx(0.8) and busy.reasons
    runner = LocalRunner("boxed", cpus=[0])
    try:
        runner.cpu_quota = 0.5  # as a confined target has it (no cgroup needed for the arithmetic)
        assert disturbance.Sampler(runner, [0]).slack == 0.5
    finally:
        runner.close()
