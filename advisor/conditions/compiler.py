"""The type-checking compiler: a parsed expression to a closure over the facts (never ``eval``)."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from typing import Any

from advisor.conditions.functions import FUNCTIONS, LIST_IN_HINT, LIST_TESTS, compare_with
from advisor.conditions.types import BOOL, LNUM, LSTR, MAX_DEPTH, NUM, STR, UNKNOWN, ConditionError, Evaluator, FactType
from advisor.errors import did_you_mean, one_of


def source_offset(expr: str, node: ast.AST) -> int:
    col = getattr(node, "col_offset", 0) or 0
    # ast columns are UTF-8 byte offsets
    return len(expr.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def _dotted(node: ast.AST) -> str | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


_CMP_NAMES = {
    ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
    ast.In: "in", ast.NotIn: "not in",
}

_NODE_WORDS = {
    ast.Call: "a call", ast.Subscript: "indexing ([...])", ast.Lambda: "a lambda", ast.Attribute: "a method",
    ast.ListComp: "a comprehension", ast.GeneratorExp: "a generator", ast.DictComp: "a comprehension",
    ast.SetComp: "a comprehension", ast.Dict: "a dict", ast.Set: "a set", ast.JoinedStr: "an f-string",
    ast.IfExp: "an if-expression", ast.NamedExpr: "an assignment (:=)", ast.Starred: "unpacking (*)",
    ast.Await: "await", ast.Yield: "yield", ast.Tuple: "a tuple", ast.Slice: "a slice",
}


def _describe(node: ast.AST) -> str:
    return _NODE_WORDS.get(type(node), type(node).__name__)


class Compiler:
    def __init__(self, expr: str, types: Mapping[str, FactType]) -> None:
        self.expr = expr
        self.types = types
        self.names: set[str] = set()

    def fail(self, node: ast.AST, message: str, hint: str | None = None) -> ConditionError:
        return ConditionError(message, hint, source_offset(self.expr, node))

    # Each visit returns (static type, evaluator, constant-or-None)
    def visit(self, node: ast.AST, depth: int) -> tuple[str, Evaluator, Any]:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"expression is nested deeper than {MAX_DEPTH} levels", "split it into simpler rules")
        if isinstance(node, ast.BoolOp):
            return self._boolop(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, depth)
        if isinstance(node, ast.Compare):
            return self._compare(node, depth)
        if isinstance(node, ast.BinOp):
            return self._binop(node, depth)
        if isinstance(node, ast.Constant):
            return self._constant(node)
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self._fact(node)
        if isinstance(node, ast.List):
            return self._list(node, depth)
        if isinstance(node, ast.Call):
            return self._call(node, depth)
        if isinstance(node, ast.IfExp):
            return self._ifexp(node, depth)
        raise self.fail(
            node,
            f"{_describe(node)} is not allowed in a condition",
            "use facts, literals, and/or/not, comparisons, in, arithmetic and " + ", ".join(sorted(FUNCTIONS)),
        )

    def _constant(self, node: ast.Constant) -> tuple[str, Evaluator, Any]:
        v = node.value
        if isinstance(v, bool):
            return BOOL, (lambda f, v=v: v), v
        if isinstance(v, (int, float)) and not isinstance(v, complex):
            if isinstance(v, int) and abs(v).bit_length() > 63:
                raise self.fail(node, "number is too large", "use a smaller number")
            if not math.isfinite(v):
                raise self.fail(node, "numbers must be finite")
            return NUM, (lambda f, v=v: v), v
        if isinstance(v, str):
            return STR, (lambda f, v=v: v), v
        raise self.fail(node, f"the literal {v!r} is not allowed", "use numbers, 'strings', true or false")

    def _fact(self, node: ast.AST) -> tuple[str, Evaluator, Any]:
        name = _dotted(node)
        if name is None:
            raise self.fail(node, "only fact names may use '.'", "write a fact name such as graph.vm.spof_count")
        if name in ("true", "True"):
            return BOOL, (lambda f: True), True
        if name in ("false", "False"):
            return BOOL, (lambda f: False), False
        if any(part.startswith("_") for part in name.split(".")):
            raise self.fail(
                node,
                f"{name!r} is not allowed: names starting with '_' are reserved",
                "conditions can only read facts",
            )
        ftype = self.types.get(name)
        if ftype is None:
            hint = did_you_mean(name, self.types) or "run 'advisor facts' to list the known facts"
            raise self.fail(node, f"unknown fact {name!r}", hint)
        self.names.add(name)

        def get(f: Mapping[str, Any], name: str = name) -> Any:
            return f.get(name, UNKNOWN)

        return ftype.type_name, get, None

    def _list(self, node: ast.List, depth: int) -> tuple[str, Evaluator, Any]:
        if not node.elts:
            return LSTR, (lambda f: []), []
        items = [self.visit(e, depth + 1) for e in node.elts]
        kinds = {t for t, _, _ in items}
        if kinds == {STR}:
            ltype = LSTR
        elif kinds == {NUM}:
            ltype = LNUM
        else:
            raise self.fail(node, "a list must hold only strings or only numbers")
        consts = [c for _, _, c in items]
        if all(c is not None for c in consts):
            return ltype, (lambda f, c=consts: c), consts
        fns = [fn for _, fn, _ in items]

        def build(f: Mapping[str, Any]) -> Any:
            vals = [fn(f) for fn in fns]
            return UNKNOWN if any(v is UNKNOWN for v in vals) else vals

        return ltype, build, None

    def _boolop(self, node: ast.BoolOp, depth: int) -> tuple[str, Evaluator, Any]:
        parts = []
        for v in node.values:
            t, fn, _ = self.visit(v, depth + 1)
            if t != BOOL:
                word = "and" if isinstance(node.op, ast.And) else "or"
                raise self.fail(v, f"'{word}' needs true/false values, got {t}",
                                "compare the value, e.g. x > 0")
            parts.append(fn)
        if isinstance(node.op, ast.And):
            def and_(f: Mapping[str, Any]) -> Any:
                unknown = False
                for fn in parts:
                    v = fn(f)
                    if v is UNKNOWN:
                        unknown = True
                    elif not v:
                        return False
                return UNKNOWN if unknown else True

            return BOOL, and_, None

        def or_(f: Mapping[str, Any]) -> Any:
            unknown = False
            for fn in parts:
                v = fn(f)
                if v is UNKNOWN:
                    unknown = True
                elif v:
                    return True
            return UNKNOWN if unknown else False

        return BOOL, or_, None

    def _ifexp(self, node: ast.IfExp, depth: int) -> tuple[str, Evaluator, Any]:
        ct, cf, _ = self.visit(node.test, depth + 1)
        if ct != BOOL:
            raise self.fail(node.test, f"'if' needs a true/false test, got {ct}", "compare the value, e.g. x > 0")
        at, af, _ = self.visit(node.body, depth + 1)
        bt, bf, _ = self.visit(node.orelse, depth + 1)
        if at != bt:
            raise self.fail(node, f"both branches of 'if ... else' must have the same type, got {at} and {bt}")

        def choose(f: Mapping[str, Any]) -> Any:
            test = cf(f)
            if test is UNKNOWN:
                return UNKNOWN
            return af(f) if test else bf(f)

        return at, choose, None

    def _unary(self, node: ast.UnaryOp, depth: int) -> tuple[str, Evaluator, Any]:
        t, fn, c = self.visit(node.operand, depth + 1)
        if isinstance(node.op, ast.Not):
            if t != BOOL:
                raise self.fail(node, f"'not' needs a true/false value, got {t}")
            return BOOL, (lambda f: UNKNOWN if (v := fn(f)) is UNKNOWN else not v), None
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if t != NUM:
                raise self.fail(node, f"'-' needs a number, got {t}")
            if isinstance(node.op, ast.UAdd):
                return NUM, fn, c
            if c is not None:
                return NUM, (lambda f, v=-c: v), -c
            return NUM, (lambda f: UNKNOWN if (v := fn(f)) is UNKNOWN else -v), None
        raise self.fail(node, "bitwise operators are not allowed", "use and/or/not")

    def _binop(self, node: ast.BinOp, depth: int) -> tuple[str, Evaluator, Any]:
        ops: dict[type, Callable[[Any, Any], Any]] = {
            ast.Add: lambda a, b: a + b,
            ast.Sub: lambda a, b: a - b,
            ast.Mult: lambda a, b: a * b,
            ast.Div: lambda a, b: UNKNOWN if b == 0 else a / b,
        }
        op = ops.get(type(node.op))
        if op is None:
            raise self.fail(node, f"operator {type(node.op).__name__} is not allowed", "use + - * /")
        lt, lf, _ = self.visit(node.left, depth + 1)
        rt, rf, _ = self.visit(node.right, depth + 1)
        for side, t in ((node.left, lt), (node.right, rt)):
            if t != NUM:
                raise self.fail(side, f"arithmetic needs numbers, got {t}")

        def arith(f: Mapping[str, Any], op: Callable[[Any, Any], Any] = op) -> Any:
            a = lf(f)
            if a is UNKNOWN:
                return UNKNOWN
            b = rf(f)
            if b is UNKNOWN:
                return UNKNOWN
            try:
                return op(a, b)
            except ArithmeticError:
                return UNKNOWN  # e.g. a huge int divided into a float: no answer rather than a crash

        return NUM, arith, None

    def _check_choices(self, fact_node: ast.AST, other: ast.AST, other_const: Any) -> None:
        name = _dotted(fact_node)
        ftype = self.types.get(name) if name else None
        if ftype is None or not ftype.choices or other_const is None:
            return
        values = other_const if isinstance(other_const, list) else [other_const]
        for v in values:
            if isinstance(v, str) and v not in ftype.choices:
                hint = did_you_mean(v, ftype.choices) or f"choose one of {one_of(ftype.choices)}"
                raise self.fail(other, f"{v!r} is not a choice of {name}", hint)

    def _compare(self, node: ast.Compare, depth: int) -> tuple[str, Evaluator, Any]:
        left = node.left
        lt, lf, lc = self.visit(left, depth + 1)
        steps: list[Evaluator] = []
        for op, right in zip(node.ops, node.comparators, strict=True):
            rt, rf, rc = self.visit(right, depth + 1)
            sym = _CMP_NAMES.get(type(op))
            if sym is None:
                raise self.fail(right, "'is' is not allowed", "use == or !=")
            if sym in ("in", "not in"):
                if lt == LSTR and rt == LSTR:
                    fact = ast.get_source_segment(self.expr, right) or "fact"
                    raise self.fail(node, f"a list '{sym}' a list is ambiguous", LIST_IN_HINT[sym].format(fact=fact))
                ok = (lt == STR and rt == LSTR) or (lt == NUM and rt == LNUM)
                if not ok:
                    raise self.fail(right, f"'{sym}' needs a value and a list of the same kind, got {lt} {sym} {rt}",
                                    "write e.g. 'pci-dss' in compliance or tenancy in ['a', 'b']")
            elif sym in ("==", "!="):
                if lt != rt:
                    raise self.fail(right, f"cannot compare {lt} with {rt}", "compare values of the same type")
            elif lt != NUM or rt != NUM:
                raise self.fail(right, f"'{sym}' needs numbers, got {lt} and {rt}",
                                "compare numbers, or use == for text")
            self._check_choices(left, right, rc)
            self._check_choices(right, left, lc)
            steps.append(compare_with(sym, lf, rf))
            left, lt, lf, lc = right, rt, rf, rc
        if len(steps) == 1:
            return BOOL, steps[0], None

        def chain(f: Mapping[str, Any]) -> Any:
            unknown = False
            for s in steps:
                v = s(f)
                if v is UNKNOWN:
                    unknown = True
                elif not v:
                    return False
            return UNKNOWN if unknown else True

        return BOOL, chain, None

    def _call(self, node: ast.Call, depth: int) -> tuple[str, Evaluator, Any]:
        fname = node.func.id if isinstance(node.func, ast.Name) else None
        if fname is None or fname not in FUNCTIONS:
            dotted = _dotted(node.func)
            shown = repr(dotted) if dotted else _describe(node.func)
            listed = f"the functions are {', '.join(sorted(FUNCTIONS))}"
            hint = (did_you_mean(fname, FUNCTIONS) if fname else None) or listed
            raise self.fail(node, f"calling {shown} is not allowed", hint)
        if node.keywords:
            raise self.fail(node, f"{fname}() takes no keyword arguments")
        spec = FUNCTIONS[fname]
        if fname == "known":
            if len(node.args) != 1 or _dotted(node.args[0]) is None:
                raise self.fail(node, "known() takes one fact name", "write e.g. known(measured.cpu.ratio)")
            _, getter, _ = self._fact(node.args[0])
            return BOOL, (lambda f: getter(f) is not UNKNOWN), None
        args = [self.visit(a, depth + 1) for a in node.args]
        if fname in LIST_TESTS and len(args) == 2:
            self._check_choices(node.args[0], node.args[1], args[1][2])
        if spec.variadic:
            if len(args) < 2:
                raise self.fail(node, f"{fname}() takes two or more arguments")
        elif len(args) != len(spec.params):
            raise self.fail(node, f"{fname}() takes {len(spec.params)} argument(s), got {len(args)}")
        for i, (t, _, _) in enumerate(args):
            want = spec.params[0] if spec.variadic else spec.params[i]
            if t != want:
                raise self.fail(node.args[i], f"{fname}() argument {i + 1} must be {want}, got {t}")
        fns = [fn for _, fn, _ in args]
        impl = spec.impl

        def call(f: Mapping[str, Any]) -> Any:
            vals = [fn(f) for fn in fns]
            if any(v is UNKNOWN for v in vals):
                return UNKNOWN
            return impl(*vals)

        return spec.result, call, None
