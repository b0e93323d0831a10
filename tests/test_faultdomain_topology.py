"""Topology files: a valid fleet's metrics by hand, and exact file:line:col for bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.errors import DataError, ExitCode
from advisor.faultdomain import analyze_file, load_topology, metrics_headers, to_json, to_mermaid

DATA = Path(__file__).parent / "data" / "topology"
DOCS = Path(__file__).parent.parent / "docs"


def _display(name: str) -> str:
    return f"tests/data/topology/{name}"


# valid.yaml, by hand:
#   rack-a: host-1 (node-1 on the host kernel), host-2 (vm-2a/node-2a, vm-2b/node-2b)
#   rack-b: host-3 (vm-3a/node-3a, vm-3b/node-3b), host-4 (node-4 on the host kernel)
#   web   (team-a): node-1, node-3a, node-4      api   (team-b): node-2a, node-3b
#   cache (team-a): node-2b x 2                  batch (team-b): node-1, node-4
# services 4, pods 3 + 2 + 2 + 2 = 9; kernels host-1, vm-2a, vm-2b, vm-3a, vm-3b, host-4 = 6.
# host touched: host-1 {web, batch}, host-2 {api, cache}, host-3 {web, api}, host-4 {web, batch}
#   -> 2/4 = 50 %; cache lives on host-2 only -> host outage 1/4 = 25 %.
# rack-a touches all 4 services -> 100 %; cache is entirely in rack-a -> rack outage 25 %.
# kernels: host-1 {web, batch} = 2 services, 2 tenants -> kernel blast 50 %, tenants/kernel 2.
# drain: node-1, node-2b and node-4 hold 2 pods; host-2 holds api + 2 cache = 3 pods.
# SPOFs for cache: vm-2b, host-2, rack-a -> 3 (the node itself and the site are not counted).
# control plane node-1 (host-1, rack-a), node-2a (host-2, rack-a), node-3a (host-3, rack-b):
#   one host takes 1 of 3 -> kept; rack-a takes 2 of 3 -> 1 cluster loses quorum.
VALID_METRICS = {
    "sites": 1, "racks": 2, "hosts": 4, "vms": 4, "nodes": 6, "kernels": 6, "clusters": 1,
    "control_plane_members": 3, "services": 4, "pods": 9, "tenants": 2,
    "pods_per_kernel": 1.5, "kernels_per_tenant": 3.0,
    "host_blast_radius_pct": 50.0, "host_outage_services_pct": 25.0,
    "rack_blast_radius_pct": 100.0, "rack_outage_services_pct": 25.0,
    "site_blast_radius_pct": 100.0, "site_outage_services_pct": 100.0,
    "kernel_blast_radius_pct": 50.0, "tenants_per_kernel": 2,
    "drain_pods_per_upgrade_step": 2, "host_drain_pods": 3,
    "spof_count": 3, "spof_services": 1,
    "control_plane_quorum_loss": False, "control_plane_quorum_loss_clusters": 0,
    "rack_control_plane_quorum_loss_clusters": 1,
    "host_blast_radius_within_limit": False,
}


def test_valid_topology_metrics() -> None:
    result = analyze_file(DATA / "valid.yaml", display=_display("valid.yaml"))
    assert result.source == "tests/data/topology/valid.yaml"
    (option,) = result.options
    assert option.option == "fleet" and option.label == "shop-prod"
    assert option.metrics == pytest.approx(VALID_METRICS)
    assert metrics_headers(result) == ["metric", "shop-prod", "definition"]
    assert to_json(result)["options"]["fleet"]["metrics"]["spof_count"] == 3
    assert "control-plane node node-1 on the host kernel: 2 pods" in to_mermaid(result)


def test_valid_topology_names_and_limit() -> None:
    topo = load_topology(DATA / "valid.yaml", display="valid.yaml", max_blast_radius_pct=50)
    assert topo.names["node"][2] == "node-2b"
    assert topo.pod_node[topo.service_start[2]:topo.service_start[3]] == [2, 2]
    assert topo.max_blast_radius_pct == 50
    assert analyze_file(DATA / "valid.yaml", max_blast_radius_pct=50).options[0].metrics[
        "host_blast_radius_within_limit"] is True


def test_docs_example_topology_loads() -> None:
    result = analyze_file(DOCS / "examples" / "topology-small.yaml", display="docs/examples/topology-small.yaml")
    assert result.options[0].metrics == pytest.approx(VALID_METRICS)


def test_two_files_get_distinct_json_keys() -> None:
    a = analyze_file(DATA / "valid.yaml")
    from advisor.faultdomain import Result

    both = Result("a + b", a.options + a.options)
    assert list(to_json(both)["options"]) == ["fleet", "fleet_2"]


BAD = {
    "cycle.yaml":
        "tests/data/topology/cycle.yaml:8:26: VM 'vm-a' is in a cycle of parents: vm-a -> vm-b -> "
        "vm-c -> vm-a; a VM's chain of parents must end at a host",
    "duplicate_name.yaml":
        "tests/data/topology/duplicate_name.yaml:8:12: name 'host-1' is already used by the host "
        "at line 6; give every site, rack, host, VM and node its own name",
    "host_two_racks.yaml":
        "tests/data/topology/host_two_racks.yaml:8:25: host 'host-2' is in two racks, 'rack-a' "
        "(line 6) and 'rack-b'; list each host under one rack",
    "negative_count.yaml":
        "tests/data/topology/negative_count.yaml:12:31: services.0.pods.0.count: -2 is out of "
        "range, must be >= 1; use a value in range",
    "self_parent.yaml":
        "tests/data/topology/self_parent.yaml:11:13: node 'node-2' is declared as its own parent; "
        "give the host or VM that runs it",
    "unknown_key.yaml":
        "tests/data/topology/unknown_key.yaml:9:5: unknown key 'parnet'; did you mean 'parent'?",
    "unknown_node.yaml":
        "tests/data/topology/unknown_node.yaml:12:20: service 'web' has a pod on unknown node "
        "'nod-2'; did you mean 'node-2'?",
    "unknown_parent.yaml":
        "tests/data/topology/unknown_parent.yaml:8:26: VM 'vm-1' has unknown parent 'hots-1'; did "
        "you mean 'host-1'?",
    "unknown_tenant.yaml":
        "tests/data/topology/unknown_tenant.yaml:11:25: service 'web' has unknown tenant "
        "'team-c'; did you mean 'team-b'?",
    "unknown_top_key.yaml":
        "tests/data/topology/unknown_top_key.yaml:9:1: unknown key 'service'; did you mean "
        "'services'?",
    "wrong_type.yaml":
        "tests/data/topology/wrong_type.yaml:6:16: sites.0.racks.0.hosts: expected a list, got "
        "'host-1'; fix the value's type",
    "zero_count.yaml":
        "tests/data/topology/zero_count.yaml:13:16: services.0.pods.0.count: 0 is out of range, "
        "must be >= 1; use a value in range",
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_topology_file(name: str) -> None:
    with pytest.raises(DataError) as info:
        load_topology(DATA / name, display=_display(name))
    assert info.value.format() == BAD[name]
    assert info.value.exit_code == ExitCode.DATA


def test_every_bad_fixture_is_pinned() -> None:
    assert {p.name for p in DATA.glob("*.yaml")} == set(BAD) | {"valid.yaml"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.yaml"
    path.write_text(text, encoding="utf-8")
    return path


_BASE = """\
advisor_topology: 1
sites:
  - name: dc-1
    racks:
      - name: rack-a
        hosts: [host-1, host-2]
nodes:
  - {name: node-1, parent: host-1}
  - {name: node-2, parent: host-2}
"""


@pytest.mark.parametrize(
    ("tail", "expected"),
    [
        ("services:\n  - {name: web, pods: [node-1]}\nclusters:\n  - {name: prod, control_plane: [node-3]}\n",
         "fleet.yaml:13:34: cluster 'prod' has a control-plane member on unknown node 'node-3'; "
         "did you mean 'node-2'?"),
        ("services:\n  - {name: web, pods: [host-1]}\n",
         "fleet.yaml:11:24: service 'web' has a pod on unknown node 'host-1'; 'host-1' is a host; "
         "give the name of a Kubernetes node"),
        ("services:\n  - {name: web, pods: [rack-a]}\n",
         "fleet.yaml:11:24: service 'web' has a pod on unknown node 'rack-a'; 'rack-a' is a rack; "
         "give the name of a Kubernetes node"),
        ("services:\n  - {name: web, pods: [{node: node-1, count: two}]}\n",
         "fleet.yaml:11:46: services.0.pods.0.count: expected a whole number, got 'two'; fix the "
         "value's type"),
        ("services:\n  - {name: web, pods: []}\n",
         "fleet.yaml:11:23: services.0.pods: needs at least 1 item; add one"),
        ("services:\n  - {name: 7, pods: [node-1]}\n",
         "fleet.yaml:11:12: services.0.name: expected text, got 7; fix the value's type"),
        ("services:\n  - {name: web, pods: [node-1]}\n  - {name: web, pods: [node-2]}\n",
         "fleet.yaml:12:12: service 'web' is declared twice (first at line 11); give each service "
         "its own name"),
        ("services: {web: [node-1]}\n",
         "fleet.yaml:10:11: services: expected a list, got a mapping; fix the value's type"),
        ("services:\n  - {pods: [node-1]}\n",
         "fleet.yaml:11:5: missing required key 'name' in services.0; add 'name:'"),
        ("services:\n  - {name: web, pods: [node-1]}\nvms:\n  - {name: vm-1, parent: rack-a}\n",
         "fleet.yaml:13:26: parent 'rack-a' of VM 'vm-1' is a rack; a VM or node runs on a host or "
         "a VM"),
    ],
)
def test_more_bad_files(tmp_path: Path, tail: str, expected: str) -> None:
    with pytest.raises(DataError) as info:
        load_topology(_write(tmp_path, _BASE + tail), display="fleet.yaml")
    assert info.value.format() == expected


def test_several_problems_of_one_phase_are_reported_together(tmp_path: Path) -> None:
    text = _BASE.replace("parent: host-2", "parent: host-9") + "services:\n  - {name: web, pods: [node-1]}\n"
    text = text.replace("{name: node-1, parent: host-1}", "{name: node-1, parent: node-1}")
    with pytest.raises(DataError) as info:
        load_topology(_write(tmp_path, text), display="fleet.yaml")
    assert info.value.format().splitlines() == [
        "fleet.yaml:8:28: node 'node-1' is declared as its own parent; give the host or VM that runs it",
        "fleet.yaml:9:28: node 'node-2' has unknown parent 'host-9'; did you mean 'host-2'?",
    ]


def test_nested_vms_and_node_cluster_mismatch(tmp_path: Path) -> None:
    text = _BASE + (
        "vms:\n  - {name: outer, parent: host-1}\n  - {name: inner, parent: outer}\n"
        "services:\n  - {name: web, pods: [node-1, node-3]}\n"
    )
    text = text.replace("nodes:\n", "nodes:\n  - {name: node-3, parent: inner}\n")
    result = analyze_file(_write(tmp_path, text))
    m = result.options[0].metrics
    # node-3 runs on the nested VM 'inner' inside 'outer' on host-1: both pods of web are on host-1,
    # so host-1 and rack-a are SPOFs ('outer' is not: node-1 runs beside it on the host kernel).
    assert (m["vms"], m["kernels"], m["host_outage_services_pct"], m["spof_count"]) == (2, 3, 100.0, 2)
    assert m["kernel_blast_radius_pct"] == 100.0  # host-1's kernel runs node-1 and hosts 'outer'

    mismatch = _BASE.replace("{name: node-1, parent: host-1}", "{name: node-1, parent: host-1, cluster: a}") + (
        "clusters:\n  - {name: a, control_plane: [node-1]}\n  - {name: b, control_plane: [node-1]}\n"
        "services:\n  - {name: web, pods: [node-1]}\n"
    )
    with pytest.raises(DataError) as info:
        load_topology(_write(tmp_path, mismatch), display="fleet.yaml")
    assert info.value.format() == (
        "fleet.yaml:12:31: node 'node-1' is listed twice as a control-plane member (in 'a' and 'b'); "
        "list each control-plane node once"
    )


def test_yaml_level_problems_come_from_yamlio(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_topology(_write(tmp_path, "- just a list\n"), display="fleet.yaml")
    assert info.value.format().startswith("fleet.yaml:1:1: expected a mapping")


_SERVICES = "services:\n  - {name: web, pods: [node-1]}\n"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("advisor_topology: 2\n",
         "fleet.yaml:1:19: advisor_topology: 2 is not allowed; use one of 1"),
        ("version: 1\n",
         "fleet.yaml:1:1: 'version' is the old name of the format key; rename it to 'advisor_topology: 1'"),
        ("",
         "fleet.yaml:1:1: missing required key 'advisor_topology'; add 'advisor_topology:'"),
    ],
)
def test_the_format_key(tmp_path: Path, head: str, expected: str) -> None:
    """``advisor_topology: 1`` is required, like every format's key; the old ``version: 1`` says how to rename it."""
    text = head + _BASE.removeprefix("advisor_topology: 1\n") + _SERVICES
    with pytest.raises(DataError) as info:
        load_topology(_write(tmp_path, text), display="fleet.yaml")
    assert info.value.format() == expected
    assert info.value.exit_code == ExitCode.DATA


def test_another_kind_of_file_is_named_not_listed(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        load_topology(_write(tmp_path, "root: x\ndaemon: y\n"), display="fleet.yaml")
    assert info.value.format() == ("fleet.yaml:1:1: none of the expected keys is here ('advisor_topology', 'name', "
                                   "'sites', 'vms', ...); check that this is the right file")
