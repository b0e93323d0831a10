"""The compiled-pack cache: same pack as a cold load, keyed by content and version, never trusted blindly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from advisor import cache, pipeline
from advisor.cli import run

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_DIR, str(folder))
    monkeypatch.delenv(cache.ENV_OFF, raising=False)
    cache.set_enabled(True)
    pipeline._QUESTIONNAIRE.clear()
    yield folder
    pipeline._QUESTIONNAIRE.clear()


def _cold(dirs: list[Path] | None = None) -> object:
    cache.set_enabled(False)
    try:
        return pipeline.load_decision_pack(dirs)
    finally:
        cache.set_enabled(True)


def test_a_cached_pack_equals_a_cold_load(cache_dir: Path) -> None:
    first = pipeline.load_decision_pack()  # builds and stores
    assert len(list(cache_dir.glob("pack2-*.json"))) == 1
    second = pipeline.load_decision_pack()  # decoded from the entry
    assert second == first == _cold()
    assert [r.when.source for r in second.rules] == [r.when.source for r in first.rules]
    facts = pipeline.build_facts({"untrusted_tenants": True}, pipeline.load_questionnaire())
    assert [r.when.evaluate(facts) for r in second.rules] == [r.when.evaluate(facts) for r in first.rules]


def test_a_cached_questionnaire_equals_the_file(cache_dir: Path) -> None:
    from advisor.questionnaire import load_default

    pipeline.load_questionnaire()
    pipeline._QUESTIONNAIRE.clear()
    assert pipeline.load_questionnaire() == load_default()
    assert len(list(cache_dir.glob("questionnaire-*.json"))) == 1


def test_a_changed_rule_file_is_never_served_from_the_cache(cache_dir: Path, tmp_path: Path) -> None:
    pack = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", pack)
    before = pipeline.load_decision_pack([pack])
    rule = before.constraints[0]
    path = pack / "constraints" / f"{rule.id}.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(rule.rule.title) == 1
    path.write_text(text.replace(rule.rule.title, "Changed title"), encoding="utf-8")
    after = pipeline.load_decision_pack([pack])
    assert next(r for r in after.rules if r.id == rule.id).rule.title == "Changed title"
    assert len(list(cache_dir.glob("pack2-*.json"))) == 2


def test_the_key_covers_version_code_files_and_inputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "a.yaml"
    f.write_bytes(b"x" * 200_000)  # more than one chunk
    key = cache.key_of("pack", [f], ["cases=True"])
    assert key == cache.key_of("pack", [f], ["cases=True"])
    assert key != cache.key_of("pack", [f], ["cases=False"])
    monkeypatch.setattr(cache, "__version__", "99.0")
    assert key != cache.key_of("pack", [f], ["cases=True"])
    monkeypatch.undo()
    f.write_bytes(b"x" * 199_999 + b"y")
    assert key != cache.key_of("pack", [f], ["cases=True"])


@pytest.mark.parametrize("garbage", [
    b"not json",
    b'{"key": "K", "version": "V", "value": {"$data": "os:system", "v": {}}}',
    b'{"key": "K", "version": "V", "value": {"$data": "builtins:eval", "v": {}}}',
    b'{"key": "K", "version": "V", "value": {"$model": "advisor.decide.model:PackFile", "v": {"id": 1}}}',
    b'{"key": "K", "version": "V", "value": {"$dict": {"a": {"$unknown": 1}}}}',
])
def test_a_broken_or_hostile_entry_is_rebuilt_not_trusted(cache_dir: Path, garbage: bytes) -> None:
    good = pipeline.load_decision_pack()
    [entry] = cache_dir.glob("pack2-*.json")
    key = entry.name.removeprefix("pack2-").removesuffix(".json")
    entry.write_bytes(garbage.replace(b'"K"', json.dumps(key).encode())
                      .replace(b'"V"', json.dumps(cache.__version__).encode()))
    assert pipeline.load_decision_pack() == good
    assert json.loads(entry.read_bytes())["key"] == key  # rewritten


def test_only_advisor_data_classes_can_be_named() -> None:
    with pytest.raises(ValueError, match="outside advisor"):
        cache.decode({"$data": "subprocess:Popen", "v": {"args": ["true"]}})
    with pytest.raises(ValueError, match="not a data class"):
        cache.decode({"$data": "advisor.cache:Codec", "v": {}})
    with pytest.raises(TypeError, match="cannot cache"):
        cache.encode(object())


def test_an_unwritable_cache_folder_only_means_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv(cache.ENV_DIR, str(blocker / "cache"))
    assert pipeline.load_decision_pack() == _cold()


def test_no_cache_option_bypasses_the_cache(cache_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--no-cache", "rules", "list"]) == 0
    assert not cache_dir.exists() or not list(cache_dir.glob("pack2-*.json"))
    assert run(["rules", "list"]) == 0  # the option holds for one run only
    assert list(cache_dir.glob("pack2-*.json"))
    capsys.readouterr()


def test_old_entries_are_pruned(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "MAX_ENTRIES", 3)
    monkeypatch.setattr(cache, "PRUNE_EVERY", 1)
    for i in range(5):
        assert cache.cached("test", f"k{i}", lambda i=i: {"n": i}) == {"n": i}
    assert len(list(cache_dir.glob("*.json"))) == 3
    assert cache.cached("test", "k4", lambda: {"n": -1}) == {"n": 4}


def test_a_warm_load_does_not_import_ruamel(tmp_path: Path) -> None:
    env = {**os.environ, cache.ENV_DIR: str(tmp_path / "cache")}
    env.pop(cache.ENV_OFF, None)
    code = ("import sys; from advisor import pipeline; q = pipeline.load_questionnaire(); "
            "p = pipeline.load_decision_pack(None, q); pipeline.load_decision_pack(None, q); "
            "print(len(p.rules), sorted({m.split('.')[0] for m in sys.modules} & {'ruamel', 'yaml'}))")
    cold = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert cold.stdout.split(" ", 1)[1].strip() == "['yaml']"  # the first load parses the YAML (the fast path)
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    count, modules = warm.stdout.split(" ", 1)
    assert int(count) >= 40  # the whole bundled pack
    assert modules.strip() == "[]"
