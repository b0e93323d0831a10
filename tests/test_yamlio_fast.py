"""advisor.yamlio's fast path (``roundtrip=False``): the round-trip parser's data, positions and refusals.

The fast path (libyaml through PyYAML's C parser) may only ever decline: for every text
it accepts, the plain data (with its exact types) and every position ``where`` reports
must be those of the round-trip parser, and every text either refuses must be refused
with the round-trip parser's line. These tests compare both paths on every YAML file of
the repository, on generated documents and on random YAML-ish text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import examples

from advisor import yamlio
from advisor.errors import DataError
from advisor.yamlio import document

ROOT = Path(__file__).resolve().parent.parent
_SKIP_DIRS = {".git", ".venv", "build", "node_modules", "advisor.egg-info", ".ci", "__pycache__"}


def _typed(value: Any) -> Any:
    """The value with the type of every part spelled out (1, 1.0 and True differ)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", repr(float(value)))
    if isinstance(value, str):
        return ("str", str(value))
    if value is None:
        return None
    if isinstance(value, dict):
        return ("map", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("seq", [_typed(v) for v in value])
    return ("other", type(value).__name__, repr(value))


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


def _outcome(text: str, roundtrip: bool) -> tuple[Any, ...]:
    """What a caller sees: the refusal line, or the typed data and the position of every value and key."""
    try:
        doc = yamlio.parse(text, "f.yaml", expect=None, roundtrip=roundtrip)
    except DataError as exc:
        return ("refused", exc.format())
    data = doc.plain()
    where = [(str(doc.where(p)), str(doc.where(p, key=True)), str(doc.where((*p, "missing")))) for p in _paths(data)]
    return ("data", _typed(data), where)


def _same(text: str) -> None:
    assert _outcome(text, False) == _outcome(text, True)


def _repository_yaml() -> list[Path]:
    out = []
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        out += [Path(folder) / f for f in sorted(files) if f.endswith((".yaml", ".yml"))]
    return out


def test_every_yaml_file_of_the_repository_reads_the_same() -> None:
    files = _repository_yaml()
    assert len(files) > 100
    for path in files:
        data = path.read_bytes()
        try:
            text = yamlio.decode(data, path.name)
        except DataError:
            continue  # refused before parsing, by either path
        assert _outcome(text, False) == _outcome(text, True), path


def test_the_shipped_packs_and_questionnaires_take_the_fast_path() -> None:
    shipped = [p for folder in ("rules", "questionnaires") for p in sorted((ROOT / folder).rglob("*.yaml"))]
    assert len(shipped) > 50
    declined = [p.relative_to(ROOT).as_posix() for p in shipped
                if document._parse_fast(p.read_text(encoding="utf-8"), p.name) is None]
    assert declined == []


@pytest.mark.parametrize(
    "text",
    [
        "a: &x 1\n",  # anchors, aliases and everything they could expand to
        "a: [&x 1, *x]\n",
        "- &x {a: 1}\n- *x\n",
        "{&x a: 1}\n",
        "a: [x,&y z]\n",
        "a: !!str 5\n",  # tags, standard or not
        "a: !x 5\n",
        "a: !!map {b: 1}\n",
        "%YAML 1.1\n---\na: yes\n",  # a directive changes the types
        "a: 1_000\n",  # numbers the round-trip parser constructs its own way
        "a: 0x1F\n",
        "a: 0o17\n",
        "a: 017\n",
        "a: .5\n",
        "a: .nan\n",
        "a: -.inf\n",
        "a: 1e999\n",
        "a: 9223372036854775807\n",
        "a: 2024-01-02T03:04:05Z\n",  # times of day, impossible dates
        "a: 2024-02-30\n",
        "2024-01-02: a\n",  # keys that are not text, numbers or booleans
        "~: a\n",
        "? [a]\n: 1\n",
        "a: 1\nb: 2\na: 3\n",  # duplicate keys, also as values
        "1: a\n1.0: b\n",
        "<<: {a: 1}\n",
        "a: \t1\n",  # what the round-trip reader refuses or reads differently
        "a: x\x85y\n",
        "a: x\u2028y\n",
        "a: |#\n  x\n",
        'a: "\\ud800"\n',
        "a: " + "[" * 45 + "]" * 45 + "\n",  # near the nesting cap
        "a: 1\n---\nb: 2\n",
        "a: [1, 2\n",
    ],
)
def test_the_fast_path_declines_what_it_cannot_vouch_for(text: str) -> None:
    assert document._parse_fast(text, "f.yaml") is None
    _same(text)


@pytest.mark.parametrize(
    ("text", "data"),
    [
        ("a: 1\nb: -2\nc: +3\nd: 0\n", {"a": 1, "b": -2, "c": 3, "d": 0}),
        ("a: 1.5\nb: 1e3\nc: -0.0\nd: 2.\n", {"a": 1.5, "b": 1000.0, "c": -0.0, "d": 2.0}),
        ("a: true\nb: False\nc: yes\nd: ~\ne:\nf: null\n",
         {"a": True, "b": False, "c": "yes", "d": None, "e": None, "f": None}),
        ("d: 2024-01-02\nq: '5'\nr: \"x\\ty\"\ns: |\n  two\n  lines\n", {"d": "2024-01-02", "q": "5", "r": "x\ty",
                                                                          "s": "two\nlines\n"}),
        ("1: a\nfalse: b\n1.5: c\n", {1: "a", False: "b", 1.5: "c"}),
        ("R&D: latency & bandwidth\n", {"R&D": "latency & bandwidth"}),
        ("when: a != b and c >= 1 # comment\n", {"when": "a != b and c >= 1"}),
        ('a: ! 5\nb: ! "6"\nc: ! x\n', {"a": 5, "b": 6, "c": "x"}),  # the non-specific tag, as the round-trip parser
    ],
)
def test_the_fast_path_accepts_plain_data(text: str, data: Any) -> None:
    doc = document._parse_fast(text, "f.yaml")
    assert doc is not None
    assert _typed(doc.plain()) == _typed(data)
    _same(text)


def test_an_alias_bomb_is_declined_before_parsing() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 12)]
    text = "\n".join(lines) + "\n"
    assert document._parse_fast(text, "f.yaml") is None
    with pytest.raises(DataError, match="YAML anchors"):
        yamlio.parse(text, "f.yaml", roundtrip=False)


def test_the_round_trip_tree_is_parsed_on_first_use() -> None:
    text = "# head\na: 1  # one\nb: [x, y]\n"
    doc = yamlio.parse(text, "f.yaml", roundtrip=False)
    assert doc._data is not document._UNSET  # read by the fast path
    assert yamlio.dump(doc.root) == text  # comments kept: the tree comes from the text
    assert doc.plain() == {"a": 1, "b": ["x", "y"]}


def test_a_fast_load_imports_no_ruamel_until_an_error_needs_a_tree(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from advisor import cache, pipeline\n"
        "cache.set_enabled(False)\n"
        "q = pipeline.load_questionnaire()\n"
        "pack = pipeline.load_decision_pack(questionnaire=q)\n"
        "assert pack.consequences and q.questions\n"
        "print(sorted(m for m in sys.modules if m.startswith('ruamel')))\n"
    )
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ----------------------------------------------------------------------------- generated documents

_SCALARS = st.sampled_from([
    "1", "-7", "+3", "0", "007", "1_000", "0x1F", "0o17", "0b11", "12345678901234567890", "1.5", "2.", ".5", "1e3",
    "1E-3", "-0.0", ".inf", ".nan", "1:20", "true", "True", "TRUE", "yes", "no", "on", "null", "~", "Null", "",
    "2024-01-02", "2024-13-45", "2024-01-02 03:04:05", "<<", "=", "text", "two words", "a # b", "a#b", "x: y",
    "'quoted'", "'it''s'", '"dq \\u00e9 \\n"', '"\\ud800"', '"\\x41"', "R&D", "& x", "&a x", "*a", "!t x", "!!str 5",
    "é", "-", "- x", "?", "? x", "[a, b]", "{a: 1}", "[]", "{}", "|\n  block\n", ">-\n  folded\n  text\n", "%x",
    "`x", "@x", "a\\b", "'multi\n  line'", "plain\n  continued",
])
_KEYS = st.sampled_from(["a", "b", "key", "1", "2.5", "true", "null", "~", "'q'", '"d"', "2024-01-02", "<<",
                         "with space", "a", "? c", "[k]"])


@st.composite
def _document(draw: st.DrawFn, depth: int = 0) -> str:
    """A YAML document of block and flow mappings and sequences over awkward scalars and keys."""
    kind = draw(st.sampled_from(["map", "seq", "flowmap", "flowseq"] if depth < 3 else ["flowseq"]))
    indent = "  " * depth
    if kind in ("flowmap", "flowseq"):
        items = draw(st.lists(_SCALARS.filter(lambda s: "\n" not in s), max_size=4))
        if kind == "flowseq":
            return "[" + ", ".join(items) + "]"
        keys = draw(st.lists(_KEYS, min_size=len(items), max_size=len(items)))
        return "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items, strict=True)) + "}"
    lines = []
    for _ in range(draw(st.integers(1, 4))):
        nested = draw(st.booleans()) and depth < 3
        value = draw(_document(depth + 1)) if nested else draw(_SCALARS).replace("\n", "\n" + indent)
        block = nested and not value.startswith(("[", "{"))
        head = f"{draw(_KEYS)}:" if kind == "map" else "-"
        lines.append(f"{indent}{head}\n{value}" if block else f"{indent}{head} {value}")
    return "\n".join(lines)


@given(_document())
@settings(max_examples=examples(25))
def test_generated_documents_read_the_same(text: str) -> None:
    _same(text + "\n")


_NOISE = st.lists(st.sampled_from([*":- \n[]{},#&*!|>'\"%?.0123456789abexyzTtnN~_+\\=<", "  ", "\n  ", "\n- ", ": ",
                                   "true", "null", "1e3", "0x1F", "2024-01-02", "1_0", ".inf", "é", "\t", "\u2028"]),
                  max_size=30).map("".join)


@given(_NOISE)
@settings(max_examples=examples(50))
def test_random_yaml_like_text_reads_or_fails_the_same(text: str) -> None:
    _same(text)


def test_a_fast_document_survives_pickle_and_deepcopy() -> None:
    import copy
    import pickle

    text = "a: 1  # one\nb:\n  c: [x, y]\n"
    doc = yamlio.parse(text, "f.yaml", roundtrip=False)
    for other in (pickle.loads(pickle.dumps(doc)), copy.deepcopy(doc)):
        assert other.plain() == {"a": 1, "b": {"c": ["x", "y"]}}
        assert [str(other.where(("b", "c"), key=k)) for k in (False, True)] == ["f.yaml:3:6", "f.yaml:3:3"]
        assert yamlio.dump(other.root) == text


#: What the fast path declines before parsing, as one pattern (the specification of advisor.yamlio.fast._declines,
#: which finds the same faster: this one took 5.5 s on a 100 MB text).
_DECLINE_TEXT = re.compile(
    r"(?<!\w)&(?!\s)|^%|[|>][-+0-9]*#"
    "|[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]",
    re.M,
)
_TRICKY = "a &%#|>-+9 \t\n\r\x00\x7f\x85\xa0\u2028\u2029\u202a\ufeff\ufffe\U0001f600é_:["


@given(st.text(alphabet=_TRICKY, max_size=12))
@settings(max_examples=examples(60))
def test_the_fast_decline_check_agrees_with_its_one_pattern(text: str) -> None:
    from advisor.yamlio.fast import _declines

    assert _declines(text) == bool(_DECLINE_TEXT.search(text)), repr(text)


@pytest.mark.parametrize("text", ["a: 1\n", "a: &x 1\n", "%YAML 1.1\n---\na: 1\n", "a: |#\n", "a: |2-#\n",
                                  "a: b&c\n", "a: 1 # c\n", "a: \x85\n", "a: \t1\n", "a: é\n", "a: \ufeff\n",
                                  "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 300))])
def test_the_fast_decline_check_on_known_texts(text: str) -> None:
    from advisor.yamlio.fast import _declines

    assert _declines(text) == bool(_DECLINE_TEXT.search(text))
