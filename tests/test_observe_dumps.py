"""Observation from dumps: the stream reader, platform detection, every derivation, hostile dumps.

Real dumps of public origin live in tests/data/observe/public (README there cites them);
generated estates come from tests/observe_estates.py and are validated against the
Kubernetes OpenAPI schemas here.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import observe_estates as est
import pytest

from advisor.errors import Problem
from advisor.observe import jsonstream, observe
from advisor.observe.derive import Settings, derive
from advisor.observe.dumps import read_folder
from advisor.observe.platform import classify
from advisor.observe.snapshot import Snapshot, shown

kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate")

PUBLIC = Path(__file__).parent / "data" / "observe" / "public"
ESTATES = ("bare-metal", "vsphere", "aws", "kubevirt")


def values(*folders: Path, settings: Settings | None = None) -> dict[str, object]:
    return {o.key: o.value for o in observe(dumps=folders, settings=settings).estate.observed}


@pytest.fixture(scope="module")
def estates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("estates")
    return {kind: est.write_folder(root / kind, *est.estate(kind)) for kind in ESTATES}


# ---------------------------------------------------------------- the generated dumps are real Kubernetes objects


@pytest.mark.parametrize("kind", ESTATES)
def test_generated_objects_validate_against_the_kubernetes_schemas(kind: str) -> None:
    dump, _ = est.estate(kind, nodes=3, per_node=2)
    kinds = set()
    for item in dump["items"]:
        kinds.add(item["kind"])
        for version in est.K8S_VERSIONS:
            try:
                kubernetes_validate.validate(item, version, strict=True)
            except kubernetes_validate.ValidationError as exc:
                pytest.fail(f"{item['kind']} invalid for {version}: {str(exc).splitlines()[0]} at {list(exc.path)}")
    assert {"Node", "Namespace", "Pod", "Deployment", "DaemonSet", "CustomResourceDefinition"} <= kinds


# ---------------------------------------------------------------- the stream reader


@pytest.mark.parametrize("chunk", [1, 7, 4096])
def test_stream_reader_yields_items_and_fields_across_any_chunk_boundary(monkeypatch: pytest.MonkeyPatch,
                                                                          chunk: int) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK", chunk)
    doc = {"apiVersion": "v1", "items": [{"n": i, "s": "é\u2028" * i, "f": 1.5e3} for i in range(40)],
           "kind": "List", "metadata": {"resourceVersion": "12345"}}
    parts = list(jsonstream.read_list(io.BytesIO(json.dumps(doc, indent=4).encode()).read))
    assert [p.value for p in parts if isinstance(p, jsonstream.Item)] == doc["items"]
    assert [(p.key, p.value) for p in parts if isinstance(p, jsonstream.Field)] == [
        ("apiVersion", "v1"), ("kind", "List"), ("metadata", {"resourceVersion": "12345"})]


@pytest.mark.parametrize(("text", "message", "line", "col", "truncated"), [
    (b'{\n  "items": [\n    {"a": 1},\n    {"a": ', "the file ends in the middle of a value (a truncated dump?)",
     4, 11, True),
    (b'{"items": [{"a": 1}, {"a": tru}]}', "invalid JSON: Expecting value", 1, 28, False),
    (b"apiVersion: v1\nitems: []\n", "not a JSON object (dump with 'kubectl get ... -o json')", 1, 1, False),
    (b"", "the file is empty", 1, 1, True),
    (b'{"items": []} {}', "extra data after the JSON object", 1, 15, False),
    (b'\xff\xfe{"items": []}', "not UTF-8 text", 1, 1, False),
])
def test_stream_reader_errors_say_where(text: bytes, message: str, line: int, col: int, truncated: bool) -> None:
    with pytest.raises(jsonstream.StreamError) as info:
        list(jsonstream.read_list(io.BytesIO(text).read))
    assert (info.value.message, info.value.line, info.value.col, info.value.truncated) == (
        message, line, col, truncated)


# ---------------------------------------------------------------- public dumps


def test_public_eks_node_list_is_a_public_cloud_with_two_zones() -> None:
    result = observe(dumps=[PUBLIC / "eks-honeycomb"])
    got = {o.key: o.value for o in result.estate.observed}
    assert got == {"clusters": 1, "k8s_versions_in_production": 1, "special_networking": ["none"],
                   "existing_virtualization": "public-cloud", "racks": 2}
    assert result.problems == []
    summary = result.estate.summary[0]
    assert "2 nodes: 2 vm (aws)" in summary and "Amazon Linux 2" in summary and "runtime docker (2)" in summary
    missing = {u.key: u.reason for u in result.estate.unobserved}
    assert missing["crd_count"] == "no cluster with crds read"
    assert missing["physical_hosts"].startswith("2 of 2 nodes are not known to be bare metal")


def test_public_vsphere_single_node_is_a_vsphere_vm() -> None:
    result = observe(dumps=[PUBLIC / "vsphere-warlock"])
    got = {o.key: o.value for o in result.estate.observed}
    assert got["existing_virtualization"] == "vsphere"
    assert got["k8s_versions_in_production"] == 1
    assert "1 vm (vsphere)" in result.estate.summary[0] and "Photon" in result.estate.summary[0]
    assert result.estate.answer("k8s_versions_in_production").derivation == (  # type: ignore[union-attr]
        "distinct kubelet minor versions over all nodes (1.26)")


def test_public_list_without_kinds_is_read_by_shape_and_classified_by_instance_type() -> None:
    snap = read_folder(PUBLIC / "gpu-k8s-status", problems := [])
    assert problems == [] and snap is not None and len(snap.nodes) == 12
    platforms = {classify(n).evidence for n in snap.nodes}
    assert platforms == {"AWS instance type"}
    assert sum(1 for n in snap.nodes if "nvidia.com/gpu" in n.extended) == 2
    assert values(PUBLIC / "gpu-k8s-status")["existing_virtualization"] == "public-cloud"


def test_public_gke_node_from_the_api_is_a_google_cloud_vm_with_one_zone() -> None:
    result = observe(dumps=[PUBLIC / "gke-managedkube"])
    got = {o.key: o.value for o in result.estate.observed}
    assert got == {"clusters": 1, "k8s_versions_in_production": 1, "special_networking": ["none"],
                   "existing_virtualization": "public-cloud", "racks": 1}  # the beta zone label counts
    assert result.problems == []
    assert result.estate.summary[0].endswith("1 node: 1 vm (gcp); OS Container-Optimized OS from Google (1); "
                                             "kernel 4.14.56+ (1); runtime docker (1)")
    assert result.estate.answer("k8s_versions_in_production").derivation == (  # type: ignore[union-attr]
        "distinct kubelet minor versions over all nodes (1.10)")
    missing = {u.key: u.reason for u in result.estate.unobserved}
    assert missing["physical_hosts"].startswith("1 of 1 node is not known to be bare metal")


def test_all_public_dumps_together_are_four_clusters_on_two_platforms() -> None:
    got = values(*(PUBLIC / d for d in ("eks-honeycomb", "vsphere-warlock", "gpu-k8s-status", "gke-managedkube")))
    assert got["clusters"] == 4
    assert got["k8s_versions_in_production"] == 3  # 1.21 (EKS), 1.26 (vSphere), 1.10 (GKE); k8s-status shows none
    assert got["existing_virtualization"] == "public-cloud"  # 15 cloud nodes against 1 vSphere node


# ---------------------------------------------------------------- generated estates: each derivation


def test_bare_metal_estate(estates: dict[str, Path]) -> None:
    assert values(estates["bare-metal"]) == {
        "clusters": 1, "k8s_versions_in_production": 2, "crd_count": 6, "crd_owning_teams": 4,
        "tenant_count": 3, "microservices_per_host": 4, "replicas_per_service": 3, "gpu": "none",
        "special_networking": ["sr-iov", "dpdk"], "existing_virtualization": "none", "physical_hosts": 6,
        "racks": 4}


def test_vsphere_estate(estates: dict[str, Path]) -> None:
    got = values(estates["vsphere"])
    assert got["existing_virtualization"] == "vsphere"
    assert got["k8s_versions_in_production"] == 3  # 1.28, 1.29, 1.30 (+vmware suffixes)
    assert "physical_hosts" not in got and "racks" not in got


def test_public_cloud_estate_with_one_gpu_inference_pod(estates: dict[str, Path]) -> None:
    result = observe(dumps=[estates["aws"]])
    got = {o.key: o.value for o in result.estate.observed}
    assert got["existing_virtualization"] == "public-cloud"
    assert got["gpu"] == "inference"
    assert got["racks"] == 3
    assert result.estate.answer("gpu").derivation == (  # type: ignore[union-attr]
        "1 node with GPUs; 1 pod requests GPUs, at most 1 per pod")


def test_kubevirt_cluster_on_bare_metal_runs_virtualization(estates: dict[str, Path]) -> None:
    got = values(estates["kubevirt"])
    assert got["existing_virtualization"] == "kvm-proxmox"
    assert got["special_networking"] == ["multus"]
    assert got["crd_owning_teams"] == 7  # kubevirt.io, cdi.kubevirt.io and k8s.cni.cncf.io are not the platform's
    assert got["physical_hosts"] == 6


def test_estate_of_four_clusters(estates: dict[str, Path]) -> None:
    result = observe(dumps=[estates[k] for k in ESTATES])
    got = {o.key: o.value for o in result.estate.observed}
    assert got["clusters"] == 4
    assert got["crd_count"] == 10  # the five common CRDs count once
    assert got["tenant_count"] == 3  # team-a, team-b, team-c in every cluster: the same tenants
    assert got["k8s_versions_in_production"] == 4
    assert result.estate.answer("microservices_per_host").derivation == (  # type: ignore[union-attr]
        "distinct owning workloads per node with any: median 4, p90 4, over 24 nodes")


def test_options_change_the_derivations(estates: dict[str, Path]) -> None:
    settings = Settings(tenant_label="tenant", system_namespaces=("team-c",), platform_groups=("example.com",))
    got = values(estates["bare-metal"], settings=settings)
    assert got["tenant_count"] == 2  # label values a and b; team-c is now a system namespace
    assert got["crd_owning_teams"] == 3  # payments.example.com is now the platform's


def test_median_and_p90_of_services_per_node() -> None:
    snap = Snapshot("dump:x")
    counts = {"n1": 1, "n2": 2, "n3": 2, "n4": 9}
    for node, n in counts.items():
        for i in range(n):
            snap.add(est.pod("shop", f"p-{node}-{i}", node, owner=("Deployment", f"svc{i}"), template_hash="abc12"),
                     "dump:x/a.json")
        snap.add(est.pod("kube-system", f"proxy-{node}", node, owner=("DaemonSet", "kube-proxy")), "dump:x/a.json")
    snap.add(est.pod("shop", "job-1", "n1", owner=("Job", "nightly")), "dump:x/a.json")
    snap.add(est.pod("shop", "done", "n1", owner=("Deployment", "old"), template_hash="h", phase="Succeeded"),
             "dump:x/a.json")
    found = derive([snap], keys=["microservices_per_host"]).observed[0]
    assert found.value == 2
    assert found.derivation == "distinct owning workloads per node with any: median 2, p90 9, over 4 nodes"


# ---------------------------------------------------------------- bad and hostile dumps


def test_truncated_dump_keeps_what_was_read_and_marks_it_partial(estates: dict[str, Path], tmp_path: Path) -> None:
    text = (estates["bare-metal"] / "cluster.json").read_text()
    cut = text.index('"kind": "Pod"', len(text) // 2)
    (tmp_path / "cluster.json").write_text(text[:cut])
    problems: list[Problem] = []
    snap = read_folder(tmp_path, problems, display="prod")
    assert snap is not None and len(snap.nodes) == 6 and snap.pods
    assert len(problems) == 1
    line = problems[0].format()
    with pytest.raises(jsonstream.StreamError) as general:  # the general reader alone finds the same place
        list(jsonstream.read_list(io.BytesIO(text[:cut].encode()).read))
    assert line.startswith(f"prod/cluster.json:{general.value.line}:{general.value.col}: ")
    assert ": the file ends in the middle of a value (a truncated dump?) (namespaces, nodes, pods read so far are " \
           "kept, marked partial); dump it again with: kubectl get nodes,namespaces,pods," in line
    result = derive([snap])
    services = result.answer("microservices_per_host")
    assert services is not None and services.partial == "dump:prod: prod/cluster.json is truncated"
    assert result.answer("crd_count") is None  # the CRDs came after the cut


def test_wrong_kind_of_dump_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "svc.json").write_text(json.dumps({"apiVersion": "v1", "kind": "ServiceList", "items": [
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}]}))
    (tmp_path / "cfg.json").write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": []}))
    problems: list[Problem] = []
    assert read_folder(tmp_path, problems, display="estate/prod") is None
    assert {u.key: u.reason for u in observe(dumps=[tmp_path]).estate.unobserved}["clusters"] == "no cluster read"
    assert [p.format() for p in problems] == [
        "estate/prod/cfg.json: wrong kind of dump: holds Config, none of nodes, namespaces, pods, deployments, "
        "statefulsets, daemonsets, crds; dump them with: kubectl get nodes,namespaces,pods,deployments,"
        "statefulsets,daemonsets,crds -A -o json > cluster.json",
        "estate/prod/svc.json: wrong kind of dump: holds only Service, none of nodes, namespaces, pods, "
        "deployments, statefulsets, daemonsets, crds; dump them with: kubectl get nodes,namespaces,pods,"
        "deployments,statefulsets,daemonsets,crds -A -o json > cluster.json",
    ]


def test_yaml_dump_and_version_without_server_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "nodes.json").write_text("apiVersion: v1\nkind: NodeList\nitems: []\n")
    (tmp_path / "a" / "version.json").write_text(json.dumps({"clientVersion": {"gitVersion": "v1.31.0"}}))
    (tmp_path / "b").mkdir()
    problems: list[Problem] = []
    assert read_folder(tmp_path / "a", problems, display="a") is None
    assert read_folder(tmp_path / "b", problems, display="b") is None
    assert read_folder(tmp_path / "c", problems, display="c") is None
    lines = [p.format() for p in problems]
    assert lines[0] == ("a/nodes.json:1:1: not a JSON object (dump with 'kubectl get ... -o json'); dump with "
                        "'kubectl get ... -o json' (not -o yaml or a table)")
    assert lines[1] == ("a/version.json: kubectl version output without serverVersion (the cluster was not "
                        "reached); run 'kubectl version -o json' with access to the cluster")
    assert lines[2].startswith("b: no *.json dumps in this folder; create them with 'kubectl get nodes,")
    assert lines[3].startswith("c: not a folder of dumps; give one folder per cluster holding the output of ")


HOSTILE = "x\u202e\x1b[31m|`<img src=x>`](javascript:alert(1))$(rm -rf ~);../../etc/passwd\n# heading"


def test_hostile_label_values_never_reach_output_unescaped(tmp_path: Path) -> None:
    node = est.node("n1", provider_id=f"{HOSTILE}://x", labels={
        "node.kubernetes.io/instance-type": HOSTILE, "topology.kubernetes.io/zone": HOSTILE},
        kernel=HOSTILE, os_image=HOSTILE, runtime=HOSTILE + "://1", kubelet=HOSTILE)
    ns = est.namespace("team-a", {"tenant": HOSTILE})
    crd = est.crd("evil.example.com", "things", "Thing")
    crd["spec"]["group"] = HOSTILE
    est.write_folder(tmp_path / "c", est.as_list([node, ns, crd]), est.version(HOSTILE))
    result = observe(dumps=[tmp_path / "c"], settings=Settings(tenant_label="tenant"))
    got = {o.key: o for o in result.estate.observed}
    assert got["tenant_count"].value == 1 and got["crd_owning_teams"].value == 1 and got["racks"].value == 1
    shown_text = "\n".join(result.estate.summary + [o.derivation for o in result.estate.observed]
                           + [u.reason for u in result.estate.unobserved])
    assert "\x1b" not in shown_text and "\u202e" not in shown_text and "\n#" not in shown_text
    assert "$(rm" not in "".join(o.derivation for o in result.estate.observed)  # values are counted, not quoted
    assert shown(HOSTILE).startswith("x\\x202e\\x1b[31m|")
    assert "k8s_versions_in_production" not in got  # a kubelet version that is no version is not counted


def test_item_larger_than_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(jsonstream, "MAX_ITEM", 1000)
    monkeypatch.setattr(jsonstream, "CHUNK", 256)
    (tmp_path / "a.json").write_text(json.dumps({"items": [{"kind": "Node", "metadata": {"name": "x" * 5000}}]}))
    problems: list[Problem] = []
    read_folder(tmp_path, problems, display="big")
    assert problems[0].format().startswith("big/a.json:1:12: an item larger than 0 MiB (or broken JSON)")


# ---------------------------------------------------------------- the kubectl fast path


def _full(data: memoryview) -> object:
    return json.loads(bytes(data))


@pytest.mark.parametrize("chunk", [512, 1 << 20])
def test_kubectl_fast_path_reads_exactly_what_the_general_reader_reads(estates: dict[str, Path],
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       chunk: int) -> None:
    monkeypatch.setattr(jsonstream, "CHUNK", chunk)
    text = (estates["kubevirt"] / "cluster.json").read_bytes()
    assert text.startswith(b'{\n    "apiVersion": "v1",\n    "items": [\n        {\n            "')  # kubectl's layout
    general = list(jsonstream.read_list(io.BytesIO(text).read))
    assert list(jsonstream.read_kubectl(io.BytesIO(text).read, _full)) == general
    # a layout kubectl never prints, half-way through (a brace alone at the items' indentation inside an
    # item): the general reader takes over from that item on, and the result is the same
    odd = text.replace(b'"name": "team-b",', b'"name": "team-b", "odd": {\n        },', 1)
    assert odd != text
    assert list(jsonstream.read_kubectl(io.BytesIO(odd).read, _full)) == list(
        jsonstream.read_list(io.BytesIO(odd).read))
    # compact JSON (an API response) goes to the general reader from the start
    compact = json.dumps(json.loads(text)).encode()
    assert list(jsonstream.read_kubectl(io.BytesIO(compact).read, _full)) == general


def test_skeleton_decoding_derives_what_full_decoding_derives(estates: dict[str, Path], tmp_path: Path) -> None:
    dump = json.loads((estates["aws"] / "cluster.json").read_text())
    dump["items"][0]["spec"]["replicas"] = "three"  # a field of an unexpected type: the object is decoded whole
    est.write_folder(tmp_path / "aws", dump, None)
    fast = derive([read_folder(tmp_path / "aws", [])])  # type: ignore[list-item]
    snap = Snapshot("dump:aws")
    for item in dump["items"]:
        snap.add(item, "dump:aws/cluster.json")
    whole = derive([snap])
    assert [(o.key, o.value, o.derivation) for o in fast.observed] == [
        (o.key, o.value, o.derivation) for o in whole.observed]


def test_the_example_estate_in_the_docs_is_current() -> None:
    root = Path(__file__).parent.parent / "docs" / "examples" / "estate"
    for name, text in est.example_files().items():
        assert (root / name).read_text(encoding="utf-8") == text, (
            f"docs/examples/estate/{name} is out of date; run: python tests/observe_estates.py docs/examples/estate")


def test_a_fifo_among_the_dumps_is_never_opened(estates: dict[str, Path], tmp_path: Path) -> None:
    import os
    import shutil

    folder = tmp_path / "prod"
    shutil.copytree(estates["vsphere"], folder)
    os.mkfifo(folder / "a-pipe.json")  # opening it for reading would block forever
    problems: list[Problem] = []
    snap = read_folder(folder, problems, display="prod")
    assert snap is not None and len(snap.nodes) == 6
    assert [p.format() for p in problems] == [
        "prod/a-pipe.json: not a regular file: skipped; dumps are files written by kubectl"]


def test_several_dump_folders_are_read_in_parallel_with_the_same_result(estates: dict[str, Path],
                                                                         monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    import advisor.observe as observe_module

    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "x.json").write_text('{"items": [')
    folders = [estates[k] for k in ESTATES] + [tmp_path / "broken"]
    sequential = observe(dumps=folders)
    monkeypatch.setattr(observe_module, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(observe_module.os, "cpu_count", lambda: 2)
    parallel = observe(dumps=folders)
    assert parallel.estate == sequential.estate
    assert [p.format() for p in parallel.problems] == [p.format() for p in sequential.problems] != []
