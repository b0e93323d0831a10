"""`advisor observe` of 10,000 nodes and 300,000 pods from dumps (target: <= 10 s and <= 1 GiB).

Method: write an estate of ``--clusters`` folders (10 by default), each the output of
``kubectl get nodes,namespaces,pods,deployments,statefulsets,daemonsets,crds -A -o json``
(4-space indentation, as kubectl prints it) plus ``kubectl version -o json``, built from
the same object builders as the tests (tests/observe_estates.py, whose objects validate
against the Kubernetes OpenAPI schemas): 1,000 bare-metal nodes per cluster, a
kube-proxy DaemonSet pod on every node, the other pods in Deployments of 3 replicas
spread over 50 tenant namespaces, 40 CRDs. A pod is about 3.7 kB of JSON, so the
default estate is about 1.1 GB of dumps. Then run the installed console script in a
fresh process, as a user does::

    advisor observe --dump c00 ... --dump c09 --dry-run --format json

and report its wall-clock time, its CPU time (user + system of the command and the
worker processes that read the dump folders in parallel, from wait4: the machine may
be shared) and its peak resident memory (the sum over the command and its workers,
sampled every 20 ms from /proc, and never less than ``ru_maxrss``).

    .venv/bin/python benchmarks/bench_observe.py [--nodes 10000] [--pods 300000] [--clusters 10] [--runs 3]
        [--keep DIR] [--check]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from _advisor import advisor_command  # benchmarks/_advisor.py

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import observe_estates as est  # noqa: E402 - tests/observe_estates.py: the validated object builders

TARGET_S = 10.0
TARGET_RSS = 1 << 30
TENANTS = [f"team-{i:02d}" for i in range(50)]


def _indented(obj: dict[str, object]) -> str:
    """One item as kubectl prints it inside ``items``: indented by 8 spaces."""
    return "        " + json.dumps(obj, indent=4).replace("\n", "\n        ")


def write_cluster(folder: Path, index: int, nodes: int, pods: int) -> None:
    """One cluster's dump: ``nodes`` nodes and ``pods`` pods (one kube-proxy pod per node)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"c{index:02d}-node-{i:05d}" for i in range(nodes)]
    # one pod text with placeholders, filled per pod: json.dumps of 300,000 dicts would dominate the set-up
    template = _indented(est.pod("@NS@", "@POD@", "@NODE@", owner=("Deployment", "@SVC@"),
                                 template_hash="7d9f8c6b5"))
    proxy = _indented(est.pod("kube-system", "kube-proxy-@NODE@", "@NODE@", owner=("DaemonSet", "kube-proxy")))
    service_pods = pods - nodes
    services = max(1, service_pods // 3)
    with (folder / "cluster.json").open("w", encoding="utf-8") as out:
        out.write('{\n    "apiVersion": "v1",\n    "items": [\n')
        first = True

        def emit(text: str) -> None:
            nonlocal first
            out.write(text if first else ",\n" + text)
            first = False

        for i, name in enumerate(names):
            emit(_indented(est.node(name, provider_id=f"metal3://metal3/{name}/{name}-m",
                                    labels={"topology.kubernetes.io/zone": f"rack-{i % 20}"},
                                    kubelet=("v1.29.6", "v1.30.4")[i % 2])))
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease", *TENANTS]:
            emit(_indented(est.namespace(ns)))
        for i in range(service_pods):
            svc = i // 3
            emit(template.replace("@NS@", TENANTS[svc % len(TENANTS)]).replace("@SVC@", f"svc-{svc:05d}")
                 .replace("@POD@", f"svc-{svc:05d}-7d9f8c6b5-{i:06d}").replace("@NODE@", names[(i * 7) % nodes]))
        for name in names:
            emit(proxy.replace("@NODE@", name))
        for svc in range(services):
            emit(_indented(est.workload("Deployment", TENANTS[svc % len(TENANTS)], f"svc-{svc:05d}", 3)))
        emit(_indented(est.workload("DaemonSet", "kube-system", "kube-proxy", nodes)))
        for i in range(40):
            emit(_indented(est.crd(f"g{i % 12}.example.com", f"things{i}", f"Thing{i}")))
        out.write('\n    ],\n    "kind": "List",\n    "metadata": {\n        "resourceVersion": ""\n    }\n}\n')
    (folder / "version.json").write_text(json.dumps(est.version("v1.30.4"), indent=2) + "\n", encoding="utf-8")


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its children (the worker processes that read dumps in parallel)."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if entry.name == str(pid) or fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0]) * 1024
    return total


def _run(folders: list[Path]) -> tuple[float, float, int, dict[str, object]]:
    cmd = [*advisor_command(), "observe", "--dry-run", "--format", "json"]
    for folder in folders:
        cmd += ["--dump", str(folder)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = [0]
    done = threading.Event()

    def sample() -> None:  # the sum over the process tree, every 20 ms
        while not done.wait(0.02):
            peak[0] = max(peak[0], _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.stdout.read(), proc.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"advisor observe failed ({proc.returncode}): {stderr.decode()}")
    rss = max(peak[0], usage.ru_maxrss * 1024)  # ru_maxrss: the largest single process, in kilobytes
    return wall, usage.ru_utime + usage.ru_stime, rss, json.loads(stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--pods", type=int, default=300_000)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the dumps here and keep them (default: a temporary folder)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = args.keep or Path(tmp)
        folders = [base / f"c{i:02d}" for i in range(args.clusters)]
        start = time.perf_counter()
        for i, folder in enumerate(folders):
            if not (folder / "cluster.json").exists():
                write_cluster(folder, i, args.nodes // args.clusters, args.pods // args.clusters)
        size = sum(f.stat().st_size for folder in folders for f in folder.iterdir())
        print(f"estate: {args.clusters} clusters, {args.nodes} nodes, {args.pods} pods, {size / 1e9:.2f} GB of dumps "
              f"(written in {time.perf_counter() - start:.0f} s)")
        results = [_run(folders) for _ in range(args.runs)]
    walls = [r[0] for r in results]
    cpus = [r[1] for r in results]
    rss = max(r[2] for r in results)
    answers = {a["key"]: a["observed"] for a in results[0][3]["answers"]}  # type: ignore[index, union-attr]
    print(f"advisor observe: wall median {statistics.median(walls):.1f} s (min {min(walls):.1f}, max "
          f"{max(walls):.1f}), CPU median {statistics.median(cpus):.1f} s, peak RSS {rss / (1 << 20):.0f} MiB "
          f"({args.runs} runs)")
    print(f"observed: {json.dumps(answers, sort_keys=True)}")
    failed = []
    if statistics.median(walls) > TARGET_S:
        failed.append(f"wall {statistics.median(walls):.1f} s > {TARGET_S:.0f} s")
    if rss > TARGET_RSS:
        failed.append(f"peak RSS {rss / (1 << 20):.0f} MiB > 1024 MiB")
    if args.check and failed:
        print("FAIL: " + "; ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
