"""advisor.yamlio.jsontext: the nesting cap of JSON text, found by a pattern and by a character scan alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import examples

from advisor.errors import DataError
from advisor.yamlio.jsontext import _json_depth, _scan_depth, parse_json

ROOT = Path(__file__).resolve().parent.parent

#: Brackets, quotes and backslashes in every order: strings that open and close, escaped quotes, unterminated ones.
_JSONISH = st.text(alphabet='[]{}"\\a, \n', max_size=40)


@given(_JSONISH, st.integers(min_value=0, max_value=6))
@settings(max_examples=examples(100))
def test_the_pattern_finds_what_the_character_scan_finds(text: str, limit: int) -> None:
    assert _json_depth(text, limit) == _scan_depth(text, limit), repr(text)


@pytest.mark.parametrize("text", ['["[[[[", 1]', '{"a\\"[[[": [[1]]}', '"[[[[', '["\\\\", [[[1]]]', '[[["]]]"]]]',
                                  "[" * 49 + "]" * 49, '["' + "[" * 60 + '"]'])
def test_known_texts(text: str) -> None:
    assert _json_depth(text, 3) == _scan_depth(text, 3)
    assert _json_depth(text, 48) == _scan_depth(text, 48)


def test_the_records_and_schemas_of_the_repository_are_within_the_cap() -> None:
    files = sorted([*ROOT.glob("docs/examples/records/*.json"), *ROOT.glob("docs/schemas/*.json")])
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert _json_depth(text, 48) == _scan_depth(text, 48) == -1, path
        assert parse_json(text, path.name) == json.loads(text)


def test_a_bracket_past_the_cap_is_named_at_its_line_and_column() -> None:
    text = '{"a": "[[[[",\n "b": ' + "[" * 49 + "]" * 49 + "}"
    with pytest.raises(DataError) as info:
        parse_json(text, "r.json")
    assert info.value.format() == ("r.json:2:54: nested deeper than 48 levels; flatten the data or check that this "
                                   "is the right file")


@pytest.mark.parametrize("tail", ["", "\\", "[[["])
def test_an_unterminated_string_of_escaped_quotes_is_read_in_linear_time(tail: str) -> None:
    """Hostile input: 2 MB of escaped quotes in an unterminated string. A pattern that needed the closing quote
    began a new attempt at each escaped quote, each running to the end: 16 KB took 0.7 s, 2 MB would take hours."""
    import time

    text = '["' + '\\"' * 1_000_000 + tail
    started = time.process_time()
    assert _json_depth(text, 48) == _scan_depth(text, 48) == -1
    assert time.process_time() - started < 5  # linear: about 0.1 s here, the character scan included
    with pytest.raises(DataError, match="invalid JSON"):
        parse_json(text, "r.json")
