"""``advisor observe`` and ``advisor records check --observe`` through the real entry point."""

from __future__ import annotations

import json
import re
from pathlib import Path

import observe_estates as est
import pytest

from advisor import profile as profiles
from advisor.questionnaire import load_default

EXPIRES = "2024-02-12"  # SOURCE_DATE_EPOCH (2023-11-14) + 90 days


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    """A bare-metal cluster dumped in tmp_path/prod (the CLI runs in tmp_path)."""
    est.write_folder(tmp_path / "prod", *est.estate("bare-metal"))
    return tmp_path / "prod"


def load(path: Path) -> profiles.Profile:
    return profiles.load(path, load_default())


def row(stdout: str, key: str) -> list[str]:
    """The cells of the answer table's row for ``key``."""
    line = next(x for x in stdout.splitlines() if x.startswith(key + " "))
    return re.split(r"\s{2,}", line.strip())


def test_observe_writes_a_new_profile_with_provenance(advisor, estate: Path, tmp_path: Path) -> None:
    result = advisor("observe", "--dump", "prod")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ("Profile written to estate.profile.yaml; next: advisor assess --profile "
                             "estate.profile.yaml\n")
    assert "dump:prod: 6 nodes, server v1.30.4: 6 bare-metal (metal3)" in result.stdout
    assert row(result.stdout, "crd_count") == ["crd_count", "6", "-", "set"]
    loaded = load(tmp_path / "estate.profile.yaml")
    assert loaded.origin("crd_count") == "observed"
    entry = loaded.answer_provenance["k8s_versions_in_production"]
    assert entry.model_dump(exclude_none=True) == {
        "kind": "observed", "source": ["dump:prod/cluster.json"], "time": "2023-11-14T22:13:20Z",
        "derivation": "distinct kubelet minor versions over all nodes (1.29, 1.30)", "expires": EXPIRES}
    assert loaded.answers["existing_virtualization"] == "none"
    assert loaded.provenance is not None and loaded.provenance.source == "observed"
    again = advisor("observe", "--dump", "prod", "--profile", "estate.profile.yaml")
    assert again.exit_code == 0
    assert "unchanged (time and expiry renewed)" in again.stdout
    assert again.stderr.endswith("The profile already holds these observations: nothing written\n")


def test_answers_a_person_gave_are_kept_and_every_difference_shown(advisor, estate: Path, tmp_path: Path) -> None:
    assert advisor("observe", "--dump", "prod", "-o", "p.yaml").exit_code == 0
    text = (tmp_path / "p.yaml").read_text()
    p = load(tmp_path / "p.yaml")
    p.set_answer("crd_count", 30)  # a person's answer, different from the 6 CRDs observed
    p.set_answer("racks", 4)  # the same as observed
    p.write(tmp_path / "p.yaml", source="set")
    assert text != (tmp_path / "p.yaml").read_text()
    kept = advisor("observe", "--dump", "prod", "--profile", "p.yaml")
    assert kept.exit_code == 0
    assert row(kept.stdout, "crd_count") == ["crd_count", "6", "30 (answered)",
                                             "KEPT the answer: it differs (--overwrite-answers replaces it)"]
    assert row(kept.stdout, "racks") == ["racks", "4", "4 (answered)", "agrees with the answer"]
    assert "1 observed value differs from the answers given: crd_count 30 -> 6\n" in kept.stderr
    assert load(tmp_path / "p.yaml").answers["crd_count"] == 30
    assert load(tmp_path / "p.yaml").origin("crd_count") == "answered"
    forced = advisor("observe", "--dump", "prod", "--profile", "p.yaml", "--overwrite-answers", "--format", "json")
    assert forced.exit_code == 0
    entry = next(a for a in json.loads(forced.stdout)["answers"] if a["key"] == "crd_count")
    assert (entry["before"], entry["before_kind"], entry["observed"], entry["action"]) == (
        30, "answered", 6, "overwritten")
    after = load(tmp_path / "p.yaml")
    assert after.answers["crd_count"] == 6 and after.origin("crd_count") == "observed"
    assert after.origin("racks") == "answered"  # agreeing answers keep their provenance


def test_dry_run_writes_nothing_and_existing_files_are_never_overwritten(advisor, estate: Path,
                                                                         tmp_path: Path) -> None:
    dry = advisor("observe", "--dump", "prod", "--dry-run")
    assert dry.exit_code == 0 and dry.stderr == "Dry run: nothing written\n"
    assert not (tmp_path / "estate.profile.yaml").exists()
    (tmp_path / "taken.yaml").write_text("keep me\n")
    taken = advisor("observe", "--dump", "prod", "-o", "taken.yaml")
    assert taken.exit_code == 1
    assert taken.stderr == ("taken.yaml: file already exists; choose another --output, or pass it as --profile "
                            "to update it\n")
    assert (tmp_path / "taken.yaml").read_text() == "keep me\n"


def test_usage_and_nothing_observed(advisor, tmp_path: Path) -> None:
    none = advisor("observe")
    assert none.exit_code == 2
    assert none.stderr == "advisor: nothing to observe; give --dump DIR (one per cluster) or --context NAME\n"
    bad = advisor("observe", "--dump", "prod", "--tenant-label", "a b")
    assert bad.exit_code == 2
    assert bad.stderr == "advisor: --tenant-label 'a b' is not a valid label key; write e.g. --tenant-label " \
        "example.com/tenant\n"
    (tmp_path / "empty").mkdir()
    empty = advisor("observe", "--dump", "empty", "--dump", "missing")
    assert empty.exit_code == 1
    assert empty.stderr.splitlines() == [
        "empty: no *.json dumps in this folder; create them with 'kubectl get nodes,namespaces,pods,deployments,"
        "statefulsets,daemonsets,crds -A -o json > cluster.json' and 'kubectl version -o json > version.json'",
        "missing: not a folder of dumps; give one folder per cluster holding the output of 'kubectl get nodes,"
        "namespaces,pods,deployments,statefulsets,daemonsets,crds -A -o json > cluster.json' and 'kubectl "
        "version -o json > version.json'",
        "advisor: nothing could be observed; fix the problems above and run again",
    ]


def test_a_broken_cluster_among_good_ones_is_one_line_and_the_rest_is_kept(advisor, estate: Path,
                                                                             tmp_path: Path) -> None:
    est.write_folder(tmp_path / "edge", *est.estate("vsphere", nodes=3))
    whole = (tmp_path / "edge" / "cluster.json").read_text()
    (tmp_path / "edge" / "cluster.json").write_text(whole[: len(whole) * 2 // 3])
    result = advisor("observe", "--dump", "prod", "--dump", "edge")
    assert result.exit_code == 0
    problem = result.stderr.splitlines()[0]
    assert problem.startswith("edge/cluster.json:") and "the file ends in the middle of a value" in problem
    assert "Partial (kept, marked in the profile):" in result.stdout
    assert "  microservices_per_host: dump:edge: edge/cluster.json is truncated" in result.stdout
    entry = load(tmp_path / "estate.profile.yaml").answer_provenance["microservices_per_host"]
    assert entry.partial == "dump:edge: edge/cluster.json is truncated"


def test_the_record_shows_observed_provenance(advisor, estate: Path, tmp_path: Path) -> None:
    assert advisor("observe", "--dump", "prod").exit_code == 0
    assessed = advisor("assess", "--profile", "estate.profile.yaml", "--set", "workload_name=prod", "--defaults",
                       "--records-dir", "reports")
    assert assessed.exit_code == 0, assessed.stderr
    record = next((tmp_path / "reports").glob("0001-*.md")).read_text()
    cells = {r[1]: r[3:5] for r in (re.split(r"\s*\|\s*", line) for line in record.splitlines()) if len(r) > 5}
    assert cells["`crd_count`"] == ["6 CRDs", f"observed 2023-11-14 from dump:prod/cluster.json, expires {EXPIRES}"]
    assert cells["`workload_name`"] == ["prod", "answered"]
    assert cells["`latency_p99_ms`"] == ["200 ms", "default"]


def _record_with_trigger(advisor, tmp_path: Path) -> Path:
    assert advisor("observe", "--dump", "prod").exit_code == 0
    assessed = advisor("assess", "--profile", "estate.profile.yaml", "--set", "workload_name=prod", "--defaults",
                       "--records-dir", "reports")
    assert assessed.exit_code == 0, assessed.stderr
    twin = next((tmp_path / "reports").glob("0001-*.json"))
    # the record's trigger, as a tipping point of an earlier pack gave it: what --observe checks is the crossing
    data = json.loads(twin.read_text())
    data["revisit_triggers"] = ["k8s_versions_in_production > 2"]
    twin.write_text(json.dumps(data))
    return twin


def test_records_check_observe_finds_a_trigger_crossed_by_the_clusters(advisor, estate: Path,
                                                                        tmp_path: Path) -> None:
    _record_with_trigger(advisor, tmp_path)
    quiet = advisor("records", "check", "--records-dir", "reports", "--observe")
    assert quiet.exit_code == 0, quiet.stdout + quiet.stderr
    dump = json.loads((estate / "cluster.json").read_text())
    dump["items"].append(est.node("new-node", provider_id="metal3://metal3/new/m", kubelet="v1.31.2"))
    (estate / "cluster.json").write_text(json.dumps(dump))
    plain = advisor("records", "check", "--records-dir", "reports")
    assert plain.exit_code == 0  # the profile itself did not change
    found = advisor("records", "check", "--records-dir", "reports", "--observe")
    assert found.exit_code == 4
    assert ("revisit trigger fires after observing again (physical_hosts 6 -> 7, k8s_versions_in_production 2 -> 3): "
            "k8s_versions_in_production > 2") in found.stdout
    assert "estate.profile.yaml: k8s_versions_in_production observed again: 2 -> 3" in found.stderr


def test_records_check_observe_finds_expired_observations(advisor, estate: Path, tmp_path: Path) -> None:
    _record_with_trigger(advisor, tmp_path)
    fresh = advisor("records", "check", "--records-dir", "reports", "--observe", "--today", EXPIRES)
    assert fresh.exit_code == 0
    late = advisor("records", "check", "--records-dir", "reports", "--observe", "--today", "2024-02-13")
    assert late.exit_code == 4
    line = next(x for x in late.stdout.splitlines() if "expired" in x)
    keys = ("tenant_count", "physical_hosts", "racks", "microservices_per_host", "replicas_per_service", "clusters",
            "k8s_versions_in_production", "crd_count", "crd_owning_teams", "gpu", "special_networking",
            "existing_virtualization")
    assert line.endswith("observed answers of estate.profile.yaml expired: "
                         + ", ".join(f"{k} (on 2024-02-12)" for k in keys)
                         + "; observe again: advisor observe --profile estate.profile.yaml --dump DIR ...")
    assert advisor("records", "check", "--records-dir", "reports", "--today", "2024-02-13").exit_code == 0


def test_profile_with_provenance_for_a_missing_answer_is_refused(advisor, tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "advisor_profile: 1\nquestionnaire: {id: default, version: 1}\nanswers:\n  crd_count: 3\n"
        "answer_provenance:\n  crd_count: {kind: observed}\n  racks: {kind: observed}\n  rack: {kind: observed}\n"
        "  gpu: {kind: observed, expires: tomorrow}\n")
    result = advisor("profile", "validate", "p.yaml")
    assert result.exit_code == 1
    assert result.stderr == ("p.yaml:9:34: answer_provenance.gpu.expires: 'tomorrow' does not match the pattern "
                             "^\\d{4}-\\d{2}-\\d{2}$; fix the value\n")
    (tmp_path / "p.yaml").write_text((tmp_path / "p.yaml").read_text().replace(", expires: tomorrow", ""))
    result = advisor("profile", "validate", "p.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "p.yaml:7:3: provenance for 'racks', which is not under 'answers'; remove answer_provenance.racks or give "
        "the answer",
        "p.yaml:8:3: unknown question key 'rack'; did you mean 'racks'?",
        "p.yaml:9:3: provenance for 'gpu', which is not under 'answers'; remove answer_provenance.gpu or give the "
        "answer",
    ]


def test_records_check_observe_never_reads_dumps_outside_the_project(advisor, estate: Path, tmp_path: Path) -> None:
    _record_with_trigger(advisor, tmp_path)
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    est.write_folder(outside, *est.estate("bare-metal"))
    text = (tmp_path / "estate.profile.yaml").read_text()
    text = text.replace("dump:prod/cluster.json", f"dump:{outside}/cluster.json")
    (tmp_path / "estate.profile.yaml").write_text(text)
    result = advisor("records", "check", "--records-dir", "reports", "--observe")
    assert result.exit_code == 0, result.stdout
    note = next(line for line in result.stderr.splitlines() if "outside the project" in line)
    assert note.startswith(f"advisor: dump folder {str(outside)!r}"[:40])
    assert "not observed again; move it inside, or pass --allow-outside if you trust this file" in note
    allowed = advisor("records", "check", "--records-dir", "reports", "--observe", "--allow-outside")
    assert allowed.exit_code == 0 and "outside the project" not in allowed.stderr
