"""advisor.yamlio: every way a YAML file is refused, the positions reported, plain conversion, dump."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from advisor import yamlio
from advisor.errors import DataError, ExitCode, Location


def refused(text: str, *, expect: type | None = dict) -> str:
    """The one-line refusal, the same through the round-trip parser and the fast path."""
    lines = []
    for roundtrip in (True, False):
        with pytest.raises(DataError) as info:
            yamlio.parse(text, "f.yaml", expect=expect, roundtrip=roundtrip)
        assert info.value.exit_code == ExitCode.DATA
        assert len(info.value.problems) == 1
        lines.append(info.value.format())
    assert "\n" not in lines[0]
    assert lines[1] == lines[0]
    return lines[0]


# ----------------------------------------------------------------------------- rejections


ANCHOR = "are not accepted; write the value out in full"
TAG = "is not accepted; remove the tag; plain values are enough"
QUOTE = "fix the value, or quote it to keep it as text"
TOO_LARGE = "number is too large (more than 18 digits); use a smaller number"
CONTROL = "is not allowed in YAML; remove control characters from the file"
TOP = "see the format documented in docs/"
DUPLICATE = "each key may appear once; remove or rename one"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: &x 1\nb: 2\n", f"f.yaml:1:4: YAML anchors (&x) {ANCHOR}"),
        ("a: 1\nb: *x\n", f"f.yaml:2:4: YAML aliases (*name) {ANCHOR}"),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", f"f.yaml:1:7: YAML anchors (&b) {ANCHOR}"),
        ("a: !!python/object/apply:os.system [id]\n", f"f.yaml:1:4: YAML tag '!!python/object/apply:os.system' {TAG}"),
        ("a: !!python/name:os.system\n", f"f.yaml:1:4: YAML tag '!!python/name:os.system' {TAG}"),
        ("a: !secret x\n", f"f.yaml:1:4: YAML tag '!secret' {TAG}"),
        ("a: !!set {x}\n", f"f.yaml:1:4: YAML tag '!!set' {TAG}"),
        ("a: !!binary aGk=\n", f"f.yaml:1:4: YAML tag '!!binary' {TAG}"),
        ("? [a, b]\n: 1\n", "f.yaml:1:3: a mapping key must be a plain name; write the key as text"),
        ("x: {{a: 1}: 2}\n", "f.yaml:1:5: a mapping key must be a plain name; write the key as text"),
        ('a: "\\ud800"\n',
         "f.yaml:1:4: text contains an invalid \\u escape (a lone surrogate); write the real character"),
        ("a: 1\nb: 2024-13-45\n", f"f.yaml:2:4: '2024-13-45' cannot be read as a date; {QUOTE}"),
        ("a: !!int x\n", f"f.yaml:1:4: 'x' cannot be read as an integer; {QUOTE}"),
        ("a: !!float x\n", f"f.yaml:1:4: 'x' cannot be read as a number; {QUOTE}"),
        ("a: 9223372036854775808\n", f"f.yaml:1:4: {TOO_LARGE}"),
        ("a: [1, 0x" + "f" * 40 + "]\n", f"f.yaml:1:8: {TOO_LARGE}"),
        ("a: 1" + "0" * 5000 + "\n", f"f.yaml:1:4: {TOO_LARGE}"),
        ("a: 1\nb: 2\na: 3\n", f"f.yaml:3:1: duplicate key 'a' (the mapping starts at line 1); {DUPLICATE}"),
        ("a: 1\n---\nb: 2\n", "f.yaml:2:1: more than one YAML document (---) in the file; keep one document per file"),
        ("a:\n\tb: 1\n", "f.yaml:2:1: tab character in the indentation; indent with spaces, not tabs"),
        ("a: 'open\nb: 1\n", "f.yaml:1:4: quoted text is never closed; add the closing quote"),
        ("a:\n  - b\n - c\n",
         "f.yaml:3:2: invalid YAML: this line is not aligned with the lines above; check the indentation"),
        ("a: b: c\n", "f.yaml:1:5: invalid YAML: ':' not allowed here; quote a value that contains ': ', or check the "
                      "indentation"),
        ("a: [1, 2\n", "f.yaml:2:1: invalid YAML: expected ',' or ']', but got '<stream end>'; fix the syntax at this "
                       "position"),
        ("a: é\x07\n", f"f.yaml:1:5: character U+0007 {CONTROL}"),  # columns count characters, not bytes
        ("a: 1\nb: x\x1b\n", f"f.yaml:2:5: character U+001B {CONTROL}"),
        ("", "f.yaml:1:1: file is empty; expected a YAML mapping"),
        ("# only a comment\n", "f.yaml:1:1: file is empty; expected a YAML mapping"),
        ("- a\n- b\n", f"f.yaml:1:1: expected a mapping (key: value lines) at the top level, got a list; {TOP}"),
        ("42\n", f"f.yaml:1:1: expected a mapping (key: value lines) at the top level, got a number; {TOP}"),
        ("true\n", f"f.yaml:1:1: expected a mapping (key: value lines) at the top level, got a boolean; {TOP}"),
    ],
)
def test_refused(text: str, line: str) -> None:
    assert refused(text) == line


def test_expect_list_and_none() -> None:
    assert refused("a: 1\n", expect=list) == f"f.yaml:1:1: expected a list at the top level, got a mapping; {TOP}"
    assert refused("", expect=list) == "f.yaml:1:1: file is empty; expected a YAML list"
    assert yamlio.parse("- 1\n", "f.yaml", expect=list).plain() == [1]
    assert yamlio.parse("just text\n", "f.yaml", expect=None).plain() == "just text"
    assert yamlio.parse("", "f.yaml", expect=None).plain() is None


def test_nesting_cap_counts_the_top_level() -> None:
    deepest = yamlio.MAX_DEPTH - 1  # lists inside the top-level mapping
    assert yamlio.parse("a: " + "[" * deepest + "]" * deepest, "f.yaml").where(("a",)) == Location("f.yaml", 1, 4)
    n = deepest + 1
    deep = f"f.yaml:1:51: nesting is deeper than {yamlio.MAX_DEPTH} levels; flatten the structure"
    assert refused("a: " + "[" * n + "]" * n) == deep


def test_ten_thousand_deep_block_and_flow_nesting() -> None:
    flow = "a: " + "[" * 10_000 + "]" * 10_000
    assert refused(flow) == "f.yaml:1:51: nesting is deeper than 48 levels; flatten the structure"
    block = "a:\n" + "".join("  " * i + "b:\n" for i in range(1, 10_000))
    assert refused(block) == "f.yaml:48:95: nesting is deeper than 48 levels; flatten the structure"


def test_alias_bomb_is_refused_before_expansion() -> None:
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    assert refused("\n".join(lines) + "\n") == f"f.yaml:1:5: YAML anchors (&a0) {ANCHOR}"


# ----------------------------------------------------------------------------- bytes and files


BINARY = "binary data (NUL byte), not a YAML text file; check that this is the right file"
UTF16 = "text is UTF-16 or UTF-32 encoded, not UTF-8; save the file as UTF-8"


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"a: 1\nb: \x00\x01", f"f.yaml:2:4: {BINARY}"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", f"f.yaml:3:1: {BINARY}"),
        (b"a: 1\nb: caf\xe9\n", "f.yaml:2:7: not valid UTF-8 text; save the file as UTF-8"),
        (b"a: \xc3\xa9\xff\n", "f.yaml:1:5: not valid UTF-8 text; save the file as UTF-8"),
        ("a: 1\n".encode("utf-16"), f"f.yaml:1:1: {UTF16}"),
        ("a: 1\n".encode("utf-16-be"), f"f.yaml:1:1: {UTF16}"),
        ("a: 1\n".encode("utf-16-le"), f"f.yaml:1:1: {UTF16}"),
        ("a: 1\n".encode("utf-32"), f"f.yaml:1:1: {UTF16}"),
    ],
)
def test_decode_refuses(data: bytes, line: str) -> None:
    with pytest.raises(DataError) as info:
        yamlio.decode(data, "f.yaml")
    assert info.value.format() == line


def test_decode_strips_bom_and_keeps_positions() -> None:
    text = yamlio.decode(b"\xef\xbb\xbfa: 1\nb: [x\n", "f.yaml")
    assert text == "a: 1\nb: [x\n"
    with pytest.raises(DataError) as info:
        yamlio.decode(b"\xef\xbb\xbfa: \xff", "f.yaml")
    assert str(info.value.first.location) == "f.yaml:1:4"


def test_crlf_is_accepted_with_the_same_positions() -> None:
    lf = yamlio.parse("a: 1\nb:\n  c: [x, y]\n", "f.yaml")
    crlf = yamlio.parse(yamlio.decode(b"a: 1\r\nb:\r\n  c: [x, y]\r\n", "f.yaml"), "f.yaml")
    assert crlf.plain() == lf.plain() == {"a": 1, "b": {"c": ["x", "y"]}}
    assert crlf.where(("b", "c", 1)) == lf.where(("b", "c", 1)) == Location("f.yaml", 3, 10)
    assert refused("a: 1\r\nb: 2\r\na: 3\r\n").startswith("f.yaml:3:1: duplicate key 'a'")


def test_read_text_failures(tmp_path: Path) -> None:
    def fails(path: Path, **kw: int) -> str:
        with pytest.raises(DataError) as info:
            yamlio.read_text(path, display="shown.yaml", **kw)
        return info.value.format()

    assert fails(tmp_path / "nope.yaml") == "shown.yaml: file not found; check the path"
    assert fails(tmp_path) == "shown.yaml: is a directory, expected a YAML file; give the path of a file"
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" + b"#" * 100)
    assert fails(big, max_bytes=100) == (
        "shown.yaml: file is too large (105 bytes; the limit is 100); split it or check that this is the right file")
    assert yamlio.read_text(big, max_bytes=105) == "a: 1\n" + "#" * 100


def test_load_uses_the_display_name(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("a: [1,\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        yamlio.load(path, display="profiles/x.yaml")
    assert info.value.format().startswith("profiles/x.yaml:2:1: invalid YAML")
    path.write_text("a: 1\n", encoding="utf-8")
    doc = yamlio.load(path, display="profiles/x.yaml")
    assert (doc.name, doc.plain(), doc.text) == ("profiles/x.yaml", {"a": 1}, "a: 1\n")


def test_default_size_cap_is_generous_but_finite() -> None:
    assert 1024 * 1024 <= yamlio.MAX_BYTES <= 16 * 1024 * 1024


# ----------------------------------------------------------------------------- plain values and positions


def test_plain_gives_exact_builtin_types() -> None:
    doc = yamlio.parse(
        "i: 1\nh: 0x1F\no: 0o17\nu: 1_000\nf: 1.5\ne: 1e3\nb: true\nn: ~\ns: text\nq: '5'\nt: !!str 5\n"
        "d: 2024-01-02\nts: 2024-01-02T03:04:05\nl: [1, x]\nm: {k: v}\nyes: yes\nnan: .nan\ninf: -.inf\n",
        "f.yaml",
    )
    plain = doc.plain()
    assert plain["i"] == 1 and type(plain["i"]) is int
    assert (plain["h"], plain["o"], plain["u"]) == (31, 15, 1000)
    assert all(type(plain[k]) is int for k in ("h", "o", "u"))
    assert plain["f"] == 1.5 and type(plain["f"]) is float
    assert plain["e"] == 1000.0 and type(plain["e"]) is float
    assert plain["b"] is True and plain["n"] is None
    assert type(plain["s"]) is str and plain["q"] == "5" and type(plain["q"]) is str
    assert plain["t"] == "5" and type(plain["t"]) is str
    assert plain["d"] == "2024-01-02"
    assert plain["ts"] == dt.datetime(2024, 1, 2, 3, 4, 5).isoformat()
    assert type(plain["l"]) is list and plain["l"] == [1, "x"]
    assert type(plain["m"]) is dict and plain["m"] == {"k": "v"}
    assert plain["yes"] == "yes"  # YAML 1.2: yes is text, not a boolean
    assert plain["nan"] != plain["nan"] and plain["inf"] == float("-inf")
    assert type(plain) is dict


def test_where_points_at_values_keys_items_and_the_nearest_parent() -> None:
    doc = yamlio.parse("a: 1\nb:\n  c: x\n  d:\n    - p\n    - {q: r}\n", "f.yaml")
    assert doc.where(()) == Location("f.yaml", 1, 1)
    assert doc.where(("a",)) == Location("f.yaml", 1, 4)
    assert doc.where(("b", "c")) == Location("f.yaml", 3, 6)
    assert doc.where(("b", "c"), key=True) == Location("f.yaml", 3, 3)
    assert doc.where(("b", "d", 1)) == Location("f.yaml", 6, 7)
    assert doc.where(("b", "d", 1, "q")) == Location("f.yaml", 6, 11)
    assert doc.where(("b", "d", 1, "q"), key=True) == Location("f.yaml", 6, 8)
    # missing parts: the deepest part that exists
    assert doc.where(("b", "nope")) == Location("f.yaml", 3, 3)  # the mapping that should hold it
    assert doc.where(("b", "d", 7)) == Location("f.yaml", 5, 5)
    assert doc.where(("a", "deeper")) == Location("f.yaml", 1, 4)


# ----------------------------------------------------------------------------- dump


@pytest.mark.parametrize(
    "text",
    [
        "# head\na: 1  # one\nb: [x, y]\nc:\n  - {d: e}\n  - f\n",
        "a: 'quoted'\nb: \"double\"\nc: plain text\n",
        "nested:\n  deeper:\n    deepest: 1.5\nlist:\n  - a\n  - b\n",
    ],
)
def test_dump_round_trips_comments_quotes_and_order(text: str) -> None:
    assert yamlio.dump(yamlio.parse(text, "f.yaml").root) == text


def test_dump_of_new_nodes() -> None:
    root = yamlio.new_map({"a": 1})
    yamlio.set_comment(root, "a", "the answer")
    root["b"] = yamlio.flow(yamlio.new_seq(["x", "y"]))
    yamlio.comment_before(root, "b", "lists")
    root["c"] = yamlio.flow(yamlio.new_map({"id": "default", "version": 1}))
    text = yamlio.dump(root)
    assert text == "a: 1  # the answer\n# lists\nb: [x, y]\nc: {id: default, version: 1}\n"
    assert yamlio.parse(text, "f.yaml").plain() == {"a": 1, "b": ["x", "y"], "c": {"id": "default", "version": 1}}


def test_dump_of_plain_data_parses_back() -> None:
    data = {"s": "a: b", "n": 1, "f": 2.5, "l": ["#x", "- y"], "m": {"k": None}, "t": True}
    assert yamlio.parse(yamlio.dump(data), "f.yaml").plain() == data
