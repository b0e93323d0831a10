"""The targets file: valid files, and errors as file:line:col lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.errors import DataError
from advisor.measure.targets import LocalOptions, RunnerOptions, load_targets, local_target

GOOD = """\
advisor_targets: 1
targets:
  - name: metal
    role: bare-metal
    runner: local
    cpus: [1]
  - name: vm-like
    role: vm
    runner: local
    cpus: [1]
    cpu_quota: 0.5
    netns: true
    peer: metal
"""
REMOTE = """\
  - name: remote
    role: peer
    runner: ssh
    host: example.org
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    return path


def test_good_file(tmp_path: Path) -> None:
    specs = load_targets(_write(tmp_path, GOOD.replace("peer: metal", "peer: remote") + REMOTE))
    assert [(s.name, s.role, s.runner) for s in specs] == [
        ("metal", "bare-metal", "local"), ("vm-like", "vm", "local"), ("remote", "peer", "ssh")]
    opts = specs[1].options_as(LocalOptions)
    assert opts.cpus == [1] and opts.cpu_quota == 0.5 and opts.netns is True
    assert specs[2].options == {"host": "example.org"}
    assert str(specs[1].location) == f"{tmp_path / 'targets.yaml'}:7:5"


class SshLike(RunnerOptions):
    host: str
    port: int = 22


def test_runner_options_are_checked_with_positions(tmp_path: Path) -> None:
    text = (GOOD + REMOTE).replace("peer: metal", "peer: remote").replace("host: example.org",
                                                                          "host: example.org\n    prot: 2")
    specs = load_targets(_write(tmp_path, text))
    with pytest.raises(DataError) as info:
        specs[2].options_as(SshLike)
    assert info.value.first.location is not None and info.value.first.location.line == 18
    assert "port" in info.value.format()  # did you mean


@pytest.mark.parametrize(
    ("old", "new", "where", "words"),
    [
        ("cpu_quota: 0.5", "cpu_qouta: 0.5", ":11:5", "cpu_quota"),
        ("cpu_quota: 0.5", "cpu_quota: -1", ":11:16", "out of range"),
        ("role: vm", "role: virtual", ":8:11", "vm"),
        ("name: vm-like", "name: metal", ":7:11", "used twice"),
        ("peer: metal", "peer: metl", ":13:11", "did you mean 'metal'"),
        ("role: vm", "role: bare-metal", ":8:11", "2 bare-metal and 0 vm targets: several hosts per platform are "
                                                  "compared in pairs"),
        ("netns: true", "netns: maybe", ":12:12", ""),
        ("advisor_targets: 1", "advisor_targets: 2", ":1:18", ""),
    ],
)
def test_errors_point_at_the_problem(tmp_path: Path, old: str, new: str, where: str, words: str) -> None:
    path = _write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(DataError) as info:
        load_targets(path)
    text = info.value.format()
    assert f"{path}{where}" in text
    assert words in text


def test_unused_peer_target_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not used by any target"):
        load_targets(_write(tmp_path, GOOD + REMOTE))  # 'remote' is role peer but vm-like names metal
    with pytest.raises(DataError):
        load_targets(_write(tmp_path, "advisor_targets: 1\ntargets: []\n"))


def test_local_target_in_code() -> None:
    spec = local_target("x", "vm", cpus=[0], cpu_quota=0.25)
    assert spec.options_as(LocalOptions).cpu_quota == 0.25
    with pytest.raises(DataError):
        local_target("x", "vm", cpus="zero")
