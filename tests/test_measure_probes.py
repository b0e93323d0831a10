"""The built-in probes: parsers on real tool output, command shapes, error paths, and real quick runs.

The samples under tests/data/measure/ were captured from the real tools (sysbench 1.0.20,
stress-ng 0.15, fio 3.33, sockperf 3.7, cyclictest 2.40) on a 2-vCPU KVM guest.
The real runs use the framework's LocalRunner and need the Debian packages listed in
.ci/debian-packages; each is skipped only when its tool is not installed.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fakes import Script, ScriptedRunner

from advisor.measure import probes as builtin
from advisor.measure.api import Completed, Handle, MetricSpec, Placement, Probe, ProbeError, Role, Runner, main_metric
from advisor.measure.probes import CpuProbe, DiskProbe, JitterProbe, MemoryProbe, NetProbe, NoisyProbe
from advisor.measure.probes import latency_parsers as lp
from advisor.measure.probes import net as net_module
from advisor.measure.probes import parsers as p
from advisor.measure.probes.jitter import PRIVILEGE_HINT, cyclictest_command
from advisor.measure.probes.memory import block_size
from advisor.measure.probes.noisy import antagonist_command
from advisor.rules.catalog import PROBES

#: Mostly waiting (real probes' runs, most of them short and pinned): started first (tests/conftest.py).
pytestmark = pytest.mark.waits

DATA = Path(__file__).resolve().parent / "data" / "measure"
MIB = 1 << 20


def sample(name: str) -> str:
    return (DATA / name).read_text()


# --------------------------------------------------------------------------- answers of the scripted runner


def common(args: tuple[str, ...]) -> tuple[int, str, str] | None:
    """Answers for the helper commands every probe may issue."""
    if args[0] == "mktemp":
        return 0, "/tmp/advisor.test\n", ""
    if args[0] == "rm":
        return 0, "", ""
    if args[:2] == ("grep", "Cpus_allowed_list"):
        return 0, sample("cpus_allowed.txt"), ""
    return None


# --------------------------------------------------------------------------- registration and contract


def test_plugin_registers_the_six_catalog_probes() -> None:
    from advisor.measure.manager import load_registry

    registry = load_registry()
    assert set(PROBES) <= set(registry.probes)
    for name in PROBES:
        assert registry.probe_plugin[name] == "probes"
        assert isinstance(registry.probes[name], Probe)
    assert [pr.name for pr in builtin.advisor_probes()] == list(PROBES)


@pytest.mark.parametrize("probe", builtin.builtin_probes(), ids=lambda pr: pr.name)
def test_main_metric_direction_matches_the_catalog(probe: Probe) -> None:
    mains = [m for m in probe.metrics if m.main]
    assert len(mains) == 1 and main_metric(probe) is mains[0]
    description = PROBES[probe.name]
    # "< 1 means the VM is slower" is a higher-is-better figure; "> 1 means ... worse" a lower-is-better one.
    expected = "higher" if "< 1 means" in description else "lower"
    assert mains[0].better == expected, description
    assert probe.tools and probe.install_hint().startswith("apt-get install")
    names = [m.name for m in probe.metrics]
    assert len(set(names)) == len(names)
    assert not set(names) & set(getattr(probe, "recorded", ()))


@pytest.mark.parametrize("probe", [NetProbe(), DiskProbe()], ids=lambda pr: pr.name)
def test_p99_metric_for_the_p99_ratio_facts(probe: Probe) -> None:
    p99 = [m for m in probe.metrics if "p99" in m.name and m.better == "lower" and not m.main]
    assert p99[0].name == "p99_us" and p99[0].decision
    assert p99[0].unit == "us"


def test_catalog_figures_match_main_metrics() -> None:
    """The catalog names each probe's figure; the main metrics are those figures."""
    mains: dict[str, MetricSpec] = {pr.name: main_metric(pr) for pr in builtin.builtin_probes()}
    assert mains["cpu"].name == "events_per_s" and "events per second" in PROBES["cpu"]
    assert mains["memory"].name == "random_mb_per_s" and "random-access" in PROBES["memory"]
    assert mains["net"].name == "p50_us" and "median" in PROBES["net"]
    assert mains["jitter"].name == "other_p90_us" and "p90" in PROBES["jitter"]
    assert mains["disk"].name == "iops" and "IOPS" in PROBES["disk"]
    assert mains["noisy"].name == "slowdown" and "with / alone" in PROBES["noisy"]


@pytest.mark.parametrize("probe", builtin.builtin_probes(), ids=lambda pr: pr.name)
def test_missing_tool_is_a_probe_error_with_the_install_hint(probe: Probe) -> None:
    runner = ScriptedRunner(lambda args: (0, "", ""), tools=())
    with pytest.raises(ProbeError) as info:
        probe.run(runner, budget="quick")
    assert info.value.first.hint == probe.install_hint()
    assert probe.tools[0] in info.value.first.message
    assert runner.calls == []


def test_unknown_budget_is_refused() -> None:
    runner = ScriptedRunner(lambda args: (0, sample("sysbench_cpu.txt"), ""))
    with pytest.raises(ProbeError, match="unknown budget"):
        CpuProbe().run(runner, budget="huge")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- cpu (sysbench)


def test_sysbench_cpu_parser_on_real_output() -> None:
    got = p.parse_sysbench_cpu(sample("sysbench_cpu.txt"))
    assert got == {"events_per_s": 777.46, "latency_avg_ms": 1.28, "latency_p99_ms": 8.74}


def test_sysbench_cpu_parser_tolerates_spacing_and_rejects_what_is_missing() -> None:
    text = sample("sysbench_cpu.txt")
    squeezed = re.sub(r"[ \t]+", " ", text)
    assert p.parse_sysbench_cpu(squeezed)["events_per_s"] == 777.46
    with pytest.raises(ProbeError, match="99th percentile"):
        p.parse_sysbench_cpu(text.replace("99th percentile:", "95th percentile:"))
    with pytest.raises(ProbeError, match="events per second"):
        p.parse_sysbench_cpu(text.replace("events per second:", "events:"))
    with pytest.raises(ProbeError, match="positive"):
        p.parse_sysbench_cpu(text.replace("777.46", "0.00"))


def test_cpu_command() -> None:
    argv = CpuProbe().command("quick")
    assert argv[:2] == ["sysbench", "cpu"]
    assert {"--threads=1", "--cpu-max-prime=20000", "--percentile=99", "--time=1"} <= set(argv)
    assert "--time=10" in CpuProbe().command("full")


# --------------------------------------------------------------------------- memory (sysbench)


def test_sysbench_memory_parser_on_real_output() -> None:
    mb = p.parse_sysbench_memory(sample("sysbench_memory.txt"))
    assert mb == pytest.approx(10023.55 * 1.048576)
    with pytest.raises(ProbeError, match="MiB transferred"):
        p.parse_sysbench_memory(sample("sysbench_cpu.txt"))


def test_llc_from_sysfs_and_getconf() -> None:
    assert p.llc_from_sysfs(sample("sysfs_cache.txt")) == 491520 * 1024
    assert p.llc_from_getconf(sample("getconf_a.txt")) == 503316480
    assert p.llc_from_sysfs("") is None
    assert p.llc_from_getconf("LEVEL3_CACHE_SIZE                  0\n") is None
    # An instruction cache is never the LLC, whatever its level.
    only_icache = "\n".join(line for line in sample("sysfs_cache.txt").splitlines() if "/index1/" in line)
    assert p.llc_from_sysfs(only_icache) is None
    l2 = "\n".join(line for line in sample("sysfs_cache.txt").splitlines() if "/index3/" not in line)
    assert p.llc_from_sysfs(l2) == 2048 * 1024


def test_sizes_meminfo_and_cpu_lists() -> None:
    assert p.parse_size("491520K") == 491520 * 1024 and p.parse_size("2M") == 2 * MIB and p.parse_size("7") == 7
    with pytest.raises(ValueError):
        p.parse_size("lots")
    available = p.mem_available(sample("proc_meminfo.txt"))
    assert available is not None and available > 64 * MIB
    assert p.mem_available("MemTotal: 1 kB\n") is None
    assert p.cpu_list("0-3,6,8-9") == [0, 1, 2, 3, 6, 8, 9]
    assert p.cpus_allowed(sample("cpus_allowed.txt")) == [0, 1]
    with pytest.raises(ProbeError):
        p.cpus_allowed("Name: grep\n")


def test_memory_block_is_a_power_of_two_beyond_the_llc() -> None:
    assert block_size(480 * MIB, None) == 2048 * MIB
    assert block_size(32 * MIB, None) == 128 * MIB
    assert block_size(None, None) == 128 * MIB  # LLC unknown: 32 MiB assumed
    assert block_size(1 * MIB, None) == 64 * MIB  # floor
    assert block_size(480 * MIB, 3000 * MIB) == 512 * MIB  # at most a quarter of the available memory
    for llc in (3 * MIB, 36 * MIB, 100 * MIB, 480 * MIB):
        block = block_size(llc, None)
        assert block & (block - 1) == 0 and block >= 4 * llc


def test_memory_probe_sizes_the_block_from_the_target() -> None:
    def script(args: tuple[str, ...]) -> tuple[int, str, str]:
        answer = common(args)
        if answer is not None:
            return answer
        if args[0] == "grep":
            return 0, sample("sysfs_cache.txt"), ""
        if args[0] == "cat":
            return 0, sample("proc_meminfo.txt"), ""
        return 0, sample("sysbench_memory.txt"), ""

    runner = ScriptedRunner(script)
    got = MemoryProbe().run(runner, budget="quick")
    assert got["llc_mib"] == 480 and got["block_mib"] == 2048
    assert got["random_mb_per_s"] == pytest.approx(10023.55 * 1.048576) and got["threads"] == 2
    # the quick suite: one 1-s random-access run per probe run (more, shorter runs), no sequential sweep
    (rnd,) = [c for c in runner.calls if c[0] == "sysbench"]
    assert "mb_per_s" not in got
    assert rnd[:2] == ("sysbench", "memory") and "--memory-block-size=2097152K" in rnd
    # random access with one thread per allowed CPU (cpus_allowed.txt allows two)
    assert {"--memory-oper=read", "--time=1", "--memory-access-mode=rnd", "--threads=2"} <= set(rnd)
    # the full suite adds the single-thread sequential sweep
    full = ScriptedRunner(script)
    got = MemoryProbe().run(full, budget="full")
    assert got["mb_per_s"] == pytest.approx(10023.55 * 1.048576)
    rnd, seq = [c for c in full.calls if c[0] == "sysbench"]
    assert {"--memory-oper=read", "--threads=1", "--time=10", "--memory-access-mode=seq"} <= set(seq)


def test_memory_probe_falls_back_to_getconf() -> None:
    def script(args: tuple[str, ...]) -> tuple[int, str, str]:
        if args[:2] == ("grep", "Cpus_allowed_list"):
            return 0, sample("cpus_allowed.txt"), ""
        if args[0] == "grep":
            return 2, "", ""
        if args[0] == "getconf":
            return 0, sample("getconf_a.txt"), ""
        if args[0] == "cat":
            return 1, "", "no such file"
        return 0, sample("sysbench_memory.txt"), ""

    got = MemoryProbe().run(ScriptedRunner(script), budget="full")
    assert got["llc_mib"] == 480 and got["block_mib"] == 2048


# --------------------------------------------------------------------------- disk (fio)


def test_fio_parser_on_real_json() -> None:
    got = p.parse_fio_json(sample("fio_randread_libaio.json"))
    assert got.iops == pytest.approx(122806.596702)
    assert got.clat_p99_us == pytest.approx(684.032)
    assert 0 < got.clat_mean_us < got.clat_p99_us


def test_fio_parser_skips_notes_before_the_json() -> None:
    text = sample("fio_randread_psync_buffered.json")
    assert text.startswith("note: ")  # fio prints this on stdout, before the JSON
    got = p.parse_fio_json(text)
    assert got.iops == pytest.approx(12792.207792) and got.clat_p99_us == pytest.approx(337.92)


def test_fio_parser_errors() -> None:
    doc = json.loads(sample("fio_randread_libaio.json"))
    doc["jobs"][0]["error"] = 22
    with pytest.raises(ProbeError, match="error 22"):
        p.parse_fio_json(json.dumps(doc))
    del doc["jobs"][0]["read"]
    with pytest.raises(ProbeError, match="error 22"):
        p.parse_fio_json(json.dumps(doc))
    doc["jobs"][0]["error"] = 0
    with pytest.raises(ProbeError, match="unexpected fio JSON"):
        p.parse_fio_json(json.dumps(doc))
    with pytest.raises(ProbeError, match="no JSON"):
        p.parse_fio_json("fio: pid=0, err=22/file:filesetup.c:805, func=open, error=Invalid argument\n")


def test_fio_engines() -> None:
    engines = p.fio_engines(sample("fio_enghelp.txt"))
    assert {"libaio", "psync", "io_uring"} <= engines and "Available" not in engines


def _fio_script(direct_ok: bool, enghelp: str) -> Script:
    def script(args: tuple[str, ...]) -> tuple[int, str, str]:
        answer = common(args)
        if answer is not None:
            return answer
        if args == ("fio", "--enghelp"):
            return 0, enghelp, ""
        if args[0] == "df":
            return 0, "Filesystem     Type Mounted on\n/dev/vda1      ext4 /\n", ""
        if "--direct=1" in args and not direct_ok:
            return 1, "", "fio: looks like your file system does not support direct=1/buffered=0\n"
        return 0, sample("fio_randread_libaio.json"), ""
    return script


def test_disk_probe_uses_libaio_odirect_in_a_temp_dir_and_removes_it() -> None:
    runner = ScriptedRunner(_fio_script(True, sample("fio_enghelp.txt")))
    got = DiskProbe().run(runner, budget="quick")
    assert got == {"iops": pytest.approx(122806.596702), "p99_us": pytest.approx(684.032), "direct": 1.0,
                   "iodepth": 32.0, "device": "/dev/vda1", "fstype": "ext4", "mount": "/"}
    mktemp, df, fio = runner.calls[1], runner.calls[2], runner.calls[3]
    assert df == ("df", "--output=source,fstype,target", "/tmp/advisor.test")
    assert mktemp[:4] == ("mktemp", "-d", "-p", "/var/tmp")
    assert {"--rw=randread", "--bs=4k", "--iodepth=32", "--ioengine=libaio", "--direct=1", "--size=256M",
            "--ramp_time=1", "--output-format=json", "--directory=/tmp/advisor.test"} <= set(fio)
    assert runner.calls[-1] == ("rm", "-rf", "--", "/tmp/advisor.test")


def test_disk_probe_refuses_a_buffered_run_and_names_the_file_system() -> None:
    """No O_DIRECT (tmpfs): a buffered run would measure the page cache; the probe fails instead."""
    base = _fio_script(False, "Available IO engines:\n\tsync\n\tpsync\n")

    def script(args: tuple[str, ...]) -> tuple[int, str, str]:
        if args[0] == "df":
            return 0, "Filesystem     Type  Mounted on\ntmpfs          tmpfs /tmp\n", ""
        return base(args)

    runner = ScriptedRunner(script)
    with pytest.raises(ProbeError, match=r"O_DIRECT failed in /tmp/advisor.test \(tmpfs tmpfs\)") as info:
        DiskProbe().run(runner, budget="full")
    assert "page cache" in (info.value.first.hint or "")
    fios = [c for c in runner.calls if c[0] == "fio" and c[1] != "--enghelp"]
    assert len(fios) == 1 and "--direct=1" in fios[0] and "--size=4G" in fios[0]
    assert runner.calls[-1][0] == "rm"  # cleaned up even on failure


# --------------------------------------------------------------------------- net (sockperf)


def test_sockperf_parser_full_rtt() -> None:
    text = sample("sockperf_pingpong_full_rtt.txt")
    assert "\x1b[" in text  # sockperf colours its output even into a file
    got = lp.parse_sockperf(text)
    assert got.full_rtt and got.observations > 1000
    assert got.avg_us == pytest.approx(float(re.findall(r"avg-rtt=([0-9.]+)", text)[0]))
    assert got.p50_us == pytest.approx(float(re.findall(r"percentile 50.000 =\s*([0-9.]+)", text)[0]))
    assert got.p99_us == pytest.approx(float(re.findall(r"percentile 99.000 =\s*([0-9.]+)", text)[0]))
    assert got.p50_us <= got.p99_us


def test_sockperf_parser_doubles_one_way_latency() -> None:
    text = sample("sockperf_pingpong_one_way.txt")
    got = lp.parse_sockperf(text)
    assert not got.full_rtt
    assert got.avg_us == pytest.approx(2 * float(re.findall(r"avg-latency=([0-9.]+)", text)[0]))
    assert got.p99_us == pytest.approx(2 * float(re.findall(r"percentile 99.000 =\s*([0-9.]+)", text)[0]))
    assert got.p50_us == pytest.approx(2 * float(re.findall(r"percentile 50.000 =\s*([0-9.]+)", text)[0]))


@pytest.mark.parametrize("name, message", [("sockperf_client_refused.txt", "Connection refused"),
                                           ("sockperf_server_bind_error.txt", "bind")])
def test_sockperf_parser_errors(name: str, message: str) -> None:
    with pytest.raises(ProbeError, match=message):
        lp.parse_sockperf(sample(name))


def test_sockperf_parser_needs_percentiles() -> None:
    text = "\n".join(line for line in sample("sockperf_pingpong_full_rtt.txt").splitlines()
                     if "percentile 99.000" not in line)
    with pytest.raises(ProbeError, match="percentile"):
        lp.parse_sockperf(text)


def test_sockperf_under_load_parser() -> None:
    r = lp.parse_sockperf(sample("sockperf_underload_full_rtt.txt"))
    assert r.full_rtt and r.avg_us == pytest.approx(777.185) and r.p999_us == pytest.approx(9950.035)
    assert r.p50_us == pytest.approx(233.371) and r.dropped == 0 and r.observations > 2000


def _log_rows(text: str) -> list[tuple[int, float, float]]:
    rows = []
    for line in text.splitlines():
        parts = [x.strip() for x in line.split(",")]
        if len(parts) == 4 and parts[0].isdigit():
            rows.append((int(parts[0]), float(parts[1]), float(parts[2])))
    return rows


def test_sockperf_full_log_on_a_quiet_target_agrees_with_sockperf() -> None:
    """Nothing stalled: timed from the intended send time the figures are sockperf's own (within a µs)."""
    text = sample("sockperf_underload_full_log.txt")
    summary, log = lp.parse_sockperf(text), lp.parse_sockperf_log(text, 2000)
    assert log is not None and log.observations == summary.observations == len(_log_rows(text))
    assert log.p50_us == pytest.approx(summary.p50_us, abs=1.0)
    assert log.avg_us == pytest.approx(summary.avg_us, rel=0.1) and log.late <= 5


def test_sockperf_full_log_under_a_quota_counts_the_requests_that_were_due() -> None:
    """Under a 0.5 CPU quota the sender is frozen too and sends the missed requests late, in a burst:
    sockperf's summary sees a mean under 1 ms; from the schedule, half the requests waited."""
    text = sample("sockperf_underload_full_log_quota.txt")
    summary, log = lp.parse_sockperf(text), lp.parse_sockperf_log(text, 2000)
    assert log is not None
    assert summary.avg_us < 2000 and log.avg_us > 5 * summary.avg_us
    assert log.p99_us > 40_000  # most of a 100 ms period's 50 ms stall
    assert log.late > log.observations / 4
    rows = _log_rows(text)
    t0 = min(tx - i / 2000 for i, tx, _ in rows)
    mean = sum(rx - (t0 + i / 2000) for i, _, rx in rows) / len(rows) * 1e6
    assert log.avg_us == pytest.approx(mean)


def test_sockperf_full_log_percentiles_from_the_schedule() -> None:
    """A hand-made log: requests every 1 ms, round trips of 10 µs, one held up by 5 ms (and the
    next sent late behind it): both count from when they were due."""
    lines = ["packet, txTime(sec), rxTime(sec), rtt(usec)"]
    for i in range(1000):
        due = 1.0 + i / 1000
        sent = due + (0.005 if i == 500 else 0.0045 if i == 501 else 0.0)
        lines.append(f"{i}, {sent:.9f}, {sent + 10e-6:.9f}, 10.000")
    log = lp.parse_sockperf_log("\n".join(lines), 1000)
    assert log is not None and log.observations == 1000 and log.late == 2
    assert log.p50_us == pytest.approx(10.0, abs=0.01) and log.p99_us == pytest.approx(10.0, abs=0.01)
    assert log.p999_us == pytest.approx(4510.0, abs=0.01)  # rank 999 of 1000: the second-longest wait
    assert log.avg_us == pytest.approx((998 * 10 + 5010 + 4510) / 1000, abs=0.01)
    assert lp.parse_sockperf_log("no log here", 1000) is None
    assert lp.nearest_rank([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0 and lp.nearest_rank([1.0, 2.0], 1.0) == 2.0


def test_net_probe_on_loopback_without_full_rtt_doubles() -> None:
    def script(args: tuple[str, ...]) -> tuple[int, str, str]:
        if args[-1] == "--help":
            return 0, "--full-log  -Dump full log\n", ""
        return 0, sample("sockperf_pingpong_one_way.txt"), ""

    runner = ScriptedRunner(script)
    got = NetProbe().run(runner, budget="quick")
    assert got["full_rtt"] == 0.0 and got["co_corrected"] == 0.0  # no log rows: sockperf's own summary
    one_way = lp.parse_sockperf(sample("sockperf_pingpong_one_way.txt"))
    assert got["p50_us"] == one_way.p50_us and got["avg_us"] == one_way.avg_us
    server = runner.spawned[0]
    assert server.stopped and server.argv[:3] == ("sockperf", "server", "--tcp")
    assert server.argv[server.argv.index("-i") + 1] == "127.0.0.1"
    client = runner.calls[-1]
    assert client[:3] == ("sockperf", "under-load", "--tcp") and "--full-rtt" not in client
    assert {"--mps=2000", "--reply-every=1"} <= set(client)
    assert client[client.index("-p") + 1] == server.argv[server.argv.index("-p") + 1]


def test_net_probe_serves_on_the_peer() -> None:
    client = ScriptedRunner(lambda args: (0, "--full-rtt --full-log" if args[-1] == "--help" else
                                      sample("sockperf_underload_full_log.txt"), ""), name="bm")
    peer = ScriptedRunner(lambda args: (0, "", ""), name="vm")
    peer.address = lambda: "10.0.0.7"  # type: ignore[method-assign]
    got = NetProbe().run(client, budget="full", peer=peer)
    assert got["full_rtt"] == 1.0 and not client.spawned
    server = peer.spawned[0]
    assert server.argv[server.argv.index("-i") + 1] == "0.0.0.0" and server.stopped
    argv = client.calls[-1]
    assert argv[argv.index("-i") + 1] == "10.0.0.7" and argv[argv.index("-t") + 1] == "10"
    assert "--full-rtt" in argv and "--full-log=/dev/stdout" in argv and got["co_corrected"] == 1.0
    log = lp.parse_sockperf_log(sample("sockperf_underload_full_log.txt"), 2000)
    assert log is not None and (got["avg_us"], got["p99_us"], got["p999_us"]) == (log.avg_us, log.p99_us, log.p999_us)
    assert got["uncorrected_avg_us"] == lp.parse_sockperf(sample("sockperf_underload_full_log.txt")).avg_us


def test_net_probe_retries_a_busy_port_then_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net_module, "CONNECT_WAIT", 0.0)
    runner = ScriptedRunner(lambda args: (0, "--full-rtt", "") if args[-1] == "--help" else
                        (0, sample("sockperf_client_refused.txt"), ""))
    runner.spawn_output = (sample("sockperf_server_bind_error.txt"), "")
    with pytest.raises(ProbeError, match="refused connections") as info:
        NetProbe().run(runner, budget="quick")
    assert len(runner.spawned) == 3 and all(h.stopped for h in runner.spawned)
    assert "Address already in use" in (info.value.first.hint or "")


# --------------------------------------------------------------------------- jitter and noisy (cyclictest)


def test_cyclictest_parser_on_real_json() -> None:
    text = sample("cyclictest_hist.json")
    got = lp.parse_cyclictest_json(text)
    doc = json.loads(text)["thread"]["0"]
    assert got.cpu == 1 and got.cycles == doc["cycles"] and got.overflows == 0
    assert (got.min_us, got.avg_us, got.max_us) == (doc["min"], doc["avg"], doc["max"])
    values = sorted(int(k) for k, n in doc["histogram"].items() for _ in range(n))
    assert got.p99_us == values[math.ceil(0.99 * len(values)) - 1] + 0.5
    assert got.min_us <= got.p99_us <= got.max_us + 1


def test_cyclictest_without_histogram_has_no_p99() -> None:
    got = lp.parse_cyclictest_json(sample("cyclictest_nohist.json"))
    assert got.p99_us is None and got.avg_us > 0 and got.cycles > 0


def test_cyclictest_overflow_gives_the_max() -> None:
    doc = json.loads(sample("cyclictest_hist.json"))
    thread = doc["thread"]["0"]
    thread["cycles"] = sum(thread["histogram"].values()) * 2  # half of the cycles beyond the histogram
    got = lp.parse_cyclictest_json(json.dumps(doc))
    assert got.p99_us == thread["max"] and got.overflows == thread["cycles"] // 2


def test_histogram_percentile() -> None:
    hist = {10: 50, 11: 45, 30: 4, 500: 1}
    assert lp.histogram_percentile(hist, 100, 0.5, 600) == 10.5
    assert lp.histogram_percentile(hist, 100, 0.99, 600) == 30.5
    assert lp.histogram_percentile(hist, 100, 0.999, 600) == 500.5
    assert lp.histogram_percentile(hist, 200, 0.99, 600) == 600.0  # in the overflow
    with pytest.raises(ValueError):
        lp.histogram_percentile({}, 0, 0.99, 0)


def test_cyclictest_parser_errors() -> None:
    doc = json.loads(sample("cyclictest_hist.json"))
    doc["return_code"] = 1
    with pytest.raises(ProbeError, match="return code"):
        lp.parse_cyclictest_json(json.dumps(doc))
    with pytest.raises(ProbeError, match="unexpected cyclictest JSON"):
        lp.parse_cyclictest_json('{"thread": {}}')


def _cyclictest_script(cat_text: str, rc: int = 0, err: str = "") -> Script:
    def script(args: tuple[str, ...]) -> tuple[int, str, str]:
        answer = common(args)
        if answer is not None:
            return answer
        if args[0] == "cyclictest":
            return rc, "# /dev/cpu_dma_latency set to 0us\n", err
        if args[0] == "cat":
            return 0, cat_text, ""
        raise AssertionError(args)
    return script


def test_jitter_probe_reads_the_json_back_through_the_runner() -> None:
    runner = ScriptedRunner(_cyclictest_script(sample("cyclictest_hist.json")))
    got = JitterProbe().run(runner, budget="quick")
    expected = lp.parse_cyclictest_json(sample("cyclictest_hist.json"))
    assert expected.p50_us is not None and expected.p90_us is not None and expected.p99_us is not None
    assert expected.p50_us <= expected.p90_us <= expected.p99_us
    assert got == {"other_p90_us": expected.p90_us, "other_p99_us": expected.p99_us,
                   "other_p50_us": expected.p50_us, "cpu": 1.0}
    # the quick suite: one 0.5-s SCHED_OTHER run (2500 wake-ups; -D takes whole seconds)
    (other,) = [c for c in runner.calls if c[0] == "cyclictest"]
    assert other == tuple(cyclictest_command("/tmp/advisor.test/cyclictest-other.json", 1, 1, realtime=False,
                                             loops=2500))
    assert "--policy=other" in other and other[other.index("-p") + 1] == "0"
    assert other[other.index("-l") + 1] == "2500" and "-D" not in other
    assert ("cat", "/tmp/advisor.test/cyclictest-other.json") in runner.calls and runner.calls[-1][0] == "rm"
    # the full suite adds the SCHED_FIFO run, in the same directory
    full = ScriptedRunner(_cyclictest_script(sample("cyclictest_hist.json")))
    got = JitterProbe().run(full, budget="full")
    assert (got["p99_us"], got["avg_us"], got["max_us"]) == (expected.p99_us, expected.avg_us, expected.max_us)
    other, rt = [c for c in full.calls if c[0] == "cyclictest"]
    assert rt == tuple(cyclictest_command("/tmp/advisor.test/cyclictest-fifo.json", 1, 15))
    assert {"-p", "80"} <= set(rt) and "--policy=other" not in rt and "-D" in rt
    assert sum(c[0] == "mktemp" for c in full.calls) == 1  # one directory for both runs


def test_jitter_probe_without_privileges_says_what_to_grant() -> None:
    runner = ScriptedRunner(_cyclictest_script("", rc=1, err=sample("cyclictest_unprivileged_stderr.txt")))
    with pytest.raises(ProbeError, match="Unable to change scheduling policy") as info:
        JitterProbe().run(runner, budget="quick")
    assert info.value.first.hint == PRIVILEGE_HINT and "CAP_SYS_NICE" in PRIVILEGE_HINT
    assert runner.calls[-1][0] == "rm"


def test_noisy_probe_pins_the_antagonist_to_the_same_cpu() -> None:
    runner = ScriptedRunner(_cyclictest_script(sample("cyclictest_hist.json")))
    got = NoisyProbe().run(runner, budget="quick")
    assert got["slowdown"] == 1.0 and got["cpu"] == got["antagonist_cpu"] == 1.0
    (hog,) = runner.spawned
    assert hog.stopped and hog.argv == tuple(antagonist_command(1, 32))
    cts = [c for c in runner.calls if c[0] == "cyclictest"]
    assert len(cts) == 2 and all(c[c.index("-a") + 1] == "1" for c in cts)


def test_noisy_probe_reports_a_failed_antagonist() -> None:
    runner = ScriptedRunner(_cyclictest_script(sample("cyclictest_hist.json")))
    runner.spawn_output = ("", "taskset: invalid range, 7 is not allowed, allowed range: 0 to 1\n")
    with pytest.raises(ProbeError, match="antagonist failed"):
        NoisyProbe().run(runner, budget="quick")


def test_every_stress_ng_command_has_a_time_limit() -> None:
    for t in (1, 45):
        argv = antagonist_command(3, t)
        assert argv[0] == "stress-ng" and argv[argv.index("-t") + 1] == f"{t}s"
        assert argv[argv.index("--taskset") + 1] == "3"


# --------------------------------------------------------------------------- real runs (LocalRunner)


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed (see .ci/debian-packages)")


@pytest.fixture
def local() -> Iterator[Runner]:
    from advisor.measure.runners.local import LocalRunner

    runner = LocalRunner("probe-test")
    yield runner
    runner.close()


def test_real_cpu(local: Runner) -> None:
    _need("sysbench")
    got = CpuProbe().run(local, budget="quick")
    assert 10 < got["events_per_s"] < 1e6
    assert 0 < got["latency_p99_ms"] < 1000


def test_real_memory(local: Runner) -> None:
    _need("sysbench")
    got = MemoryProbe(llc_bytes=8 * MIB).run(local, budget="quick")  # a 64 MiB block keeps the test short
    assert got["block_mib"] == 64 and got["llc_mib"] == 8
    assert 1 < got["random_mb_per_s"] < 1e6  # random 8-byte reads: far below the sequential sweep


def test_real_disk(local: Runner) -> None:
    _need("fio")
    got = DiskProbe().run(local, budget="quick")
    assert 10 < got["iops"] < 1e8
    assert 0.1 < got["p99_us"] < 5e6
    assert got["direct"] in (0.0, 1.0)
    assert str(got["device"]) != "unknown" and str(got["fstype"]) not in ("unknown", "tmpfs")
    assert str(got["mount"]).startswith("/")


def test_real_net_loopback(local: Runner) -> None:
    _need("sockperf")
    got = NetProbe().run(local, budget="quick")
    assert 0.5 < got["p50_us"] <= got["p99_us"] < 1e6
    assert got["observations"] > 100


def test_real_net_to_a_peer_in_a_network_namespace(local: Runner) -> None:
    _need("sockperf", "ip")
    if os.geteuid() != 0:
        pytest.skip("network namespaces need root")
    from advisor.measure.runners.local import LocalRunner

    try:
        peer = LocalRunner("probe-peer", netns=True)
    except Exception as exc:  # noqa: BLE001 - a sandbox without netns support
        pytest.skip(f"cannot create a network namespace here: {exc}")
    try:
        got = NetProbe().run(local, budget="quick", peer=peer)
    finally:
        peer.close()
    assert 0.5 < got["p50_us"] <= got["p99_us"] < 1e6


def test_real_jitter(local: Runner) -> None:
    _need("cyclictest")
    if os.geteuid() != 0:
        pytest.skip("cyclictest needs root (SCHED_FIFO)")
    got = JitterProbe().run(local, budget="quick")
    assert 0 < got["other_p50_us"] <= got["other_p90_us"] <= got["other_p99_us"]
    assert got["cpu"] == max(os.sched_getaffinity(0))


def test_real_noisy(local: Runner) -> None:
    _need("cyclictest", "stress-ng")
    if os.geteuid() != 0:
        pytest.skip("cyclictest needs root (SCHED_FIFO)")
    got = NoisyProbe().run(local, budget="quick")
    assert 0 < got["p99_alone_us"] and 0 < got["p99_loaded_us"]
    assert got["slowdown"] == pytest.approx(got["p99_loaded_us"] / got["p99_alone_us"])
    assert got["cpu"] == got["antagonist_cpu"]


class _Unprivileged:
    """A LocalRunner whose commands drop to nobody without capabilities (setpriv)."""

    def __init__(self, inner: Runner) -> None:
        self.inner = inner
        self.name = "unprivileged"
        self.kind = "local"

    def run(self, argv: Sequence[str], *, timeout: float, cpus: Sequence[int] | None = None,
            stdin: str | None = None) -> Completed:
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
        return self.inner.run([*prefix, *argv], timeout=timeout, cpus=cpus, stdin=stdin)

    def spawn(self, argv: Sequence[str], *, cpus: Sequence[int] | None = None) -> Handle:
        raise NotImplementedError

    def which(self, tool: str) -> bool:
        return self.inner.which(tool)

    def tool_version(self, tool: str) -> str | None:
        return None

    def address(self) -> str:
        return "127.0.0.1"

    def placement(self, role: Role) -> Placement:
        raise NotImplementedError

    def close(self) -> None:
        pass


def test_real_jitter_without_privileges_is_a_probe_error(local: Runner) -> None:
    _need("cyclictest", "setpriv")
    if os.geteuid() != 0:
        pytest.skip("dropping privileges needs root")
    with pytest.raises(ProbeError) as info:
        JitterProbe().run(_Unprivileged(local), budget="quick")
    assert info.value.first.hint == PRIVILEGE_HINT
