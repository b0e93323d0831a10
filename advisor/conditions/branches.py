"""The parts of a condition a rule test must exercise (:func:`branches`)."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

from advisor.conditions.compile import compile_condition
from advisor.conditions.functions import LIST_TESTS
from advisor.conditions.types import Condition, FactType


@dataclass(frozen=True)
class Branch:
    """A part of a condition a rule test must exercise, and the value of it that decides alone.

    A part of an ``or`` decides when it is true, a part of an ``and`` when it is
    false; an item of ``any_of``/``none_of`` decides when it is present, an item of
    ``all_of`` when it is absent (``condition`` is then ``'item' in fact``).
    """

    source: str
    decides: bool
    condition: Condition

    @property
    def label(self) -> str:
        return f"{self.source} is {'true' if self.decides else 'false'}"


def branches(expr: str, types: Mapping[str, FactType]) -> list[Branch]:
    """The parts of the condition ``expr`` (already known to compile) that tests must exercise, outermost first."""
    text = " ".join(expr.splitlines()).strip()
    out: list[Branch] = []

    def add(node: ast.AST, source: str, decides: bool) -> None:
        out.append(Branch(source, decides, compile_condition(source, types)))

    def walk(node: ast.AST) -> None:
        if isinstance(node, ast.BoolOp):
            decides = isinstance(node.op, ast.Or)
            for value in node.values:
                add(value, ast.get_source_segment(text, value) or ast.unparse(value), decides)
                walk(value)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            walk(node.operand)
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in LIST_TESTS
              and len(node.args) == 2 and isinstance(node.args[1], ast.List) and len(node.args[1].elts) > 1):
            fact = ast.get_source_segment(text, node.args[0]) or ast.unparse(node.args[0])
            for item in node.args[1].elts:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    add(item, f"{item.value!r} in {fact}", LIST_TESTS[node.func.id])

    walk(ast.parse(text, mode="eval").body)
    return out
