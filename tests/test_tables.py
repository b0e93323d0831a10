"""advisor.tables: a table of plain ASCII text is laid out without tabulate, byte for byte as tabulate does."""

from __future__ import annotations

import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st
from tabulate import tabulate

from advisor import tables

# printable ASCII with the characters that matter to a table: spaces to strip, pipes, escapes, digits
_ASCII = st.text(st.sampled_from(list(" \\|-:`*_0123456789.eE+abcXYZ")), max_size=12)
_ANY = st.one_of(_ASCII, st.text(max_size=6))  # and any text: wide characters, controls, newlines


def _tabulate(rows: list[list[str]], headers: list[str]) -> str:
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


@st.composite
def _tables(draw: st.DrawFn, cells: st.SearchStrategy[str]) -> tuple[list[list[str]], list[str]]:
    columns = draw(st.integers(1, 5))
    headers = draw(st.lists(cells, min_size=columns, max_size=columns))
    rows = draw(st.lists(st.lists(cells, min_size=columns, max_size=columns), max_size=6))
    return rows, headers


@settings(max_examples=300, deadline=None)
@given(_tables(_ASCII))
def test_plain_ascii_tables_are_laid_out_as_tabulate_does(table: tuple[list[list[str]], list[str]]) -> None:
    rows, headers = table
    assert tables._plain_markdown(rows, headers) is not None
    assert tables.markdown(rows, headers) == _tabulate(rows, headers)


@settings(max_examples=200, deadline=None)
@given(_tables(_ANY))
def test_any_table_is_laid_out_as_tabulate_does(table: tuple[list[list[str]], list[str]]) -> None:
    rows, headers = table
    assert tables.markdown(rows, headers) == _tabulate(rows, headers)


@settings(max_examples=300, deadline=None)
@given(_tables(_ASCII), st.booleans())
def test_plain_ascii_text_tables_are_laid_out_as_tabulate_does(table: tuple[list[list[str]], list[str]],
                                                              plain: bool) -> None:
    rows, headers = table
    if plain:
        assert tables.plain(rows) == tabulate(rows, tablefmt="plain", disable_numparse=True)
    else:
        assert tables._plain_text(rows, headers) is not None
        assert tables.text(rows, headers) == tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


@settings(max_examples=200, deadline=None)
@given(_tables(_ANY))
def test_any_text_table_is_laid_out_as_tabulate_does(table: tuple[list[list[str]], list[str]]) -> None:
    rows, headers = table
    assert tables.plain(rows) == tabulate(rows, tablefmt="plain", disable_numparse=True)
    assert tables.text(rows, headers) == tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def test_wide_characters_and_numbers_go_through_tabulate() -> None:
    assert tables._plain_markdown([["日本"]], ["name"]) is None
    assert tables._plain_markdown([["a\nb"]], ["name"]) is None
    assert tables._plain_markdown([[1]], ["n"]) is None  # type: ignore[list-item]
    assert tables._plain_markdown([["a", "b"]], ["one"]) is None


def test_an_ascii_table_imports_no_tabulate() -> None:
    code = ("import sys; from advisor import tables; tables.markdown([['a', 'b']], ['x', 'y']); "
            "tables.plain([['a', 'b']]); tables.text([['a', 'b']], ['x', 'y']); "
            "print('tabulate' in sys.modules, 'wcwidth' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
