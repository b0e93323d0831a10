"""Compiling a condition or a numeric expression: limits, syntax, reserved names, then the typed compiler."""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping

from advisor.conditions.compiler import Compiler, source_offset
from advisor.conditions.types import (
    BOOL,
    MAX_LENGTH,
    MAX_NODES,
    NUM,
    Condition,
    ConditionError,
    Evaluator,
    Expression,
    FactType,
)


def _count_nodes(tree: ast.AST) -> int:
    return sum(1 for _ in ast.walk(tree))


def compile_condition(expr: str, types: Mapping[str, FactType]) -> Condition:
    """Parse, type-check and compile ``expr`` against the fact ``types``.

    Raises :class:`ConditionError` with a 0-based ``offset`` into ``expr``.
    """
    source, names, fn = _compile_any(expr, types, BOOL)
    return Condition(source, names, fn)


def compile_expression(expr: str | int | float, types: Mapping[str, FactType]) -> Expression:
    """Parse, type-check and compile a numeric expression (a number is one too).

    Raises :class:`ConditionError` with a 0-based ``offset`` into ``expr``.
    """
    if isinstance(expr, bool) or not isinstance(expr, str):
        if isinstance(expr, bool) or not math.isfinite(expr):
            raise ConditionError("an estimate must be a finite number or an expression")
        value = float(expr)
        return Expression(repr(expr), frozenset(), lambda f: value)
    source, names, fn = _compile_any(expr, types, NUM)
    return Expression(source, names, fn)


def _compile_any(expr: str, types: Mapping[str, FactType], want: str) -> tuple[str, frozenset[str], Evaluator]:
    if not isinstance(expr, str):
        raise ConditionError("a condition must be a string", "quote the expression")
    if len(expr) > MAX_LENGTH:
        raise ConditionError(f"condition is longer than {MAX_LENGTH} characters", "split it into simpler rules")
    joined = " ".join(expr.splitlines())
    text = joined.strip()
    lead = len(joined) - len(joined.lstrip()) if text else 0  # offsets below are into text; callers count from expr
    try:
        return _compile(expr, text, types, want)
    except ConditionError as exc:
        exc.offset += lead
        raise


def _reserved(text: str, tree: ast.AST) -> ConditionError | None:
    """The first name or attribute starting with '_' (``__class__``, ``__import__`` ...), if any."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id.startswith("_"):
            found.append((source_offset(text, node), node.id))
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            end = node.end_col_offset if node.end_col_offset is not None else node.col_offset
            start = max(end - len(node.attr.encode("utf-8")), 0)
            found.append((len(text.encode("utf-8")[:start].decode("utf-8", errors="ignore")), node.attr))
    if not found:
        return None
    offset, name = min(found)
    return ConditionError(f"{name!r} is not allowed: names starting with '_' are reserved",
                          "conditions can only read facts", offset)


def _compile(expr: str, text: str, types: Mapping[str, FactType], want: str) -> tuple[str, frozenset[str], Evaluator]:
    if not text:
        raise ConditionError("condition is empty", "write an expression such as latency_p99_ms < 1")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        col = max((exc.offset or 1) - 1, 0)
        msg = (exc.msg or "invalid syntax").split("(")[0].strip()
        detail = "" if msg == "invalid syntax" else f": {msg}"
        raise ConditionError(f"invalid condition syntax{detail}", "see docs/writing-rules.md for the syntax",
                             col) from None
    except (ValueError, MemoryError, RecursionError):
        raise ConditionError("condition cannot be parsed", "simplify the expression") from None
    if _count_nodes(tree) > MAX_NODES:
        raise ConditionError(f"condition has more than {MAX_NODES} parts", "split it into simpler rules")
    reserved = _reserved(text, tree)
    if reserved is not None:
        raise reserved
    compiler = Compiler(text, types)
    t, fn, _ = compiler.visit(tree.body, 0)
    if t != want and want == BOOL:
        raise ConditionError(f"a condition must be true or false, this one gives {t}",
                             "compare the value, e.g. crd_count > 50")
    if t != want:
        raise ConditionError(f"an estimate must be a number, this one gives {t}",
                             "write arithmetic over facts, e.g. 100 * 0.03 / latency_p99_ms")
    return expr, frozenset(compiler.names), fn
