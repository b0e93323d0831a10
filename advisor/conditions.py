"""Safe, typed condition expressions (questionnaire ``when``, rule ``when``).

The language is a small subset of Python expression syntax, parsed with :mod:`ast`
and *interpreted* by closures built here: nothing is ever passed to ``eval``, no
attribute of a Python object is ever read, and only the functions listed in
:data:`FUNCTIONS` can be called. Expressions are type-checked against a catalog of
fact types when they are compiled, so ``tenancy == 'multi-tenat'`` or
``latency_p99_ms > 'low'`` fail at load time with the position of the mistake.

Evaluation is three-valued: a fact that is absent makes the parts that depend on it
*unknown* (``None``), combined with Kleene logic (``False and unknown`` is ``False``,
``True or unknown`` is ``True``). ``known(x)`` tests presence without becoming unknown.

Grammar, informally::

    expr    := expr 'or' expr | expr 'and' expr | 'not' expr | compare
    compare := sum (('==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in') sum)*
    sum     := sum ('+' | '-' | '*' | '/') sum | '-' sum | atom | expr 'if' expr 'else' expr
    atom    := NUMBER | 'string' | true | false | fact.name | [atom, ...] | func(expr, ...) | (expr)

A multi-choice answer is tested with ``any_of``, ``all_of`` and ``none_of``; a list on
the left of ``in`` / ``not in`` (``['a', 'b'] not in compliance``) is refused, because it
reads as "not both" but would mean "neither": the error names the function to use.
:func:`branches` splits a condition into the parts a rule test must exercise.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.errors import did_you_mean, one_of

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "Condition",
    "ConditionError",
    "Branch",
    "Expression",
    "FactType",
    "branches",
    "compile_condition",
    "compile_expression",
]

#: Longest expression accepted, in characters.
MAX_LENGTH = 2000
#: Deepest nesting of sub-expressions accepted.
MAX_DEPTH = 32
#: Most syntax nodes accepted in one expression.
MAX_NODES = 400

Kind = Literal["str", "int", "float", "bool", "list"]
# Static types of sub-expressions.
_STR, _NUM, _BOOL, _LSTR, _LNUM = "str", "number", "bool", "list[str]", "list[number]"

_KIND_TYPE = {"str": _STR, "int": _NUM, "float": _NUM, "bool": _BOOL, "list": _LSTR}


@dataclass(frozen=True)
class FactType:
    """The type of one fact: ``str``, ``int``, ``float``, ``bool`` or ``list`` (of str).

    ``choices`` lists the allowed values of a choice (``str``) or multi-choice
    (``list``) fact; string literals compared with such a fact must be one of them.
    """

    kind: Kind
    choices: tuple[str, ...] | None = None
    description: str = ""

    @property
    def type_name(self) -> str:
        return _KIND_TYPE[self.kind]


class ConditionError(Exception):
    """An expression that cannot be compiled. ``offset`` is 0-based in the expression."""

    def __init__(self, message: str, hint: str | None = None, offset: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.offset = offset


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "unknown"


UNKNOWN: Any = _Unknown()

Evaluator = Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Condition:
    """A compiled expression. ``evaluate`` returns True, False or None (unknown)."""

    source: str
    names: frozenset[str]
    _fn: Evaluator = field(repr=False, compare=False)

    def evaluate(self, facts: Mapping[str, Any]) -> bool | None:
        value = self._fn(facts)
        return None if value is UNKNOWN else bool(value)

    def missing(self, facts: Mapping[str, Any]) -> list[str]:
        """The facts this condition reads that are absent from ``facts``."""
        return sorted(n for n in self.names if n not in facts)


@dataclass(frozen=True)
class Expression:
    """A compiled numeric expression. ``evaluate`` returns a float, or None when a fact it needs is absent."""

    source: str
    names: frozenset[str]
    _fn: Evaluator = field(repr=False, compare=False)

    def evaluate(self, facts: Mapping[str, Any]) -> float | None:
        value = self._fn(facts)
        return None if value is UNKNOWN else float(value)


# --------------------------------------------------------------------------- helpers


def _offset(expr: str, node: ast.AST) -> int:
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


class _Compiler:
    def __init__(self, expr: str, types: Mapping[str, FactType]) -> None:
        self.expr = expr
        self.types = types
        self.names: set[str] = set()

    def fail(self, node: ast.AST, message: str, hint: str | None = None) -> ConditionError:
        return ConditionError(message, hint, _offset(self.expr, node))

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
            return _BOOL, (lambda f, v=v: v), v
        if isinstance(v, (int, float)) and not isinstance(v, complex):
            if isinstance(v, int) and abs(v).bit_length() > 63:
                raise self.fail(node, "number is too large", "use a smaller number")
            if not math.isfinite(v):
                raise self.fail(node, "numbers must be finite")
            return _NUM, (lambda f, v=v: v), v
        if isinstance(v, str):
            return _STR, (lambda f, v=v: v), v
        raise self.fail(node, f"the literal {v!r} is not allowed", "use numbers, 'strings', true or false")

    def _fact(self, node: ast.AST) -> tuple[str, Evaluator, Any]:
        name = _dotted(node)
        if name is None:
            raise self.fail(node, "only fact names may use '.'", "write a fact name such as graph.vm.spof_count")
        if name in ("true", "True"):
            return _BOOL, (lambda f: True), True
        if name in ("false", "False"):
            return _BOOL, (lambda f: False), False
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
            return _LSTR, (lambda f: []), []
        items = [self.visit(e, depth + 1) for e in node.elts]
        kinds = {t for t, _, _ in items}
        if kinds == {_STR}:
            ltype = _LSTR
        elif kinds == {_NUM}:
            ltype = _LNUM
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
            if t != _BOOL:
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

            return _BOOL, and_, None

        def or_(f: Mapping[str, Any]) -> Any:
            unknown = False
            for fn in parts:
                v = fn(f)
                if v is UNKNOWN:
                    unknown = True
                elif v:
                    return True
            return UNKNOWN if unknown else False

        return _BOOL, or_, None

    def _ifexp(self, node: ast.IfExp, depth: int) -> tuple[str, Evaluator, Any]:
        ct, cf, _ = self.visit(node.test, depth + 1)
        if ct != _BOOL:
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
            if t != _BOOL:
                raise self.fail(node, f"'not' needs a true/false value, got {t}")
            return _BOOL, (lambda f: UNKNOWN if (v := fn(f)) is UNKNOWN else not v), None
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            if t != _NUM:
                raise self.fail(node, f"'-' needs a number, got {t}")
            if isinstance(node.op, ast.UAdd):
                return _NUM, fn, c
            if c is not None:
                return _NUM, (lambda f, v=-c: v), -c
            return _NUM, (lambda f: UNKNOWN if (v := fn(f)) is UNKNOWN else -v), None
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
            if t != _NUM:
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

        return _NUM, arith, None

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
                if lt == _LSTR and rt == _LSTR:
                    fact = ast.get_source_segment(self.expr, right) or "fact"
                    raise self.fail(node, f"a list '{sym}' a list is ambiguous", _LIST_IN_HINT[sym].format(fact=fact))
                ok = (lt == _STR and rt == _LSTR) or (lt == _NUM and rt == _LNUM)
                if not ok:
                    raise self.fail(right, f"'{sym}' needs a value and a list of the same kind, got {lt} {sym} {rt}",
                                    "write e.g. 'pci-dss' in compliance or tenancy in ['a', 'b']")
            elif sym in ("==", "!="):
                if lt != rt:
                    raise self.fail(right, f"cannot compare {lt} with {rt}", "compare values of the same type")
            elif lt != _NUM or rt != _NUM:
                raise self.fail(right, f"'{sym}' needs numbers, got {lt} and {rt}",
                                "compare numbers, or use == for text")
            self._check_choices(left, right, rc)
            self._check_choices(right, left, lc)
            steps.append(_cmp(sym, lf, rf))
            left, lt, lf, lc = right, rt, rf, rc
        if len(steps) == 1:
            return _BOOL, steps[0], None

        def chain(f: Mapping[str, Any]) -> Any:
            unknown = False
            for s in steps:
                v = s(f)
                if v is UNKNOWN:
                    unknown = True
                elif not v:
                    return False
            return UNKNOWN if unknown else True

        return _BOOL, chain, None

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
            return _BOOL, (lambda f: getter(f) is not UNKNOWN), None
        args = [self.visit(a, depth + 1) for a in node.args]
        if fname in _LIST_TESTS and len(args) == 2:
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


_LIST_IN_HINT = {
    "in": "write all_of({fact}, [...]) for every item present, or any_of({fact}, [...]) for at least one",
    "not in": "write none_of({fact}, [...]) for no item present, or not all_of({fact}, [...]) for not every one",
}


def _cmp(sym: str, lf: Evaluator, rf: Evaluator) -> Evaluator:
    import operator

    table: dict[str, Callable[[Any, Any], bool]] = {
        "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
        ">": operator.gt, ">=": operator.ge,
        "in": lambda a, b: a in b, "not in": lambda a, b: a not in b,
    }
    fn = table[sym]

    def compare(f: Mapping[str, Any]) -> Any:
        a = lf(f)
        if a is UNKNOWN:
            return UNKNOWN
        b = rf(f)
        if b is UNKNOWN:
            return UNKNOWN
        return fn(a, b)

    return compare


@dataclass(frozen=True)
class _Function:
    params: tuple[str, ...]
    result: str
    impl: Callable[..., Any]
    doc: str
    variadic: bool = False


def _overlaps(a: list[Any], b: list[Any]) -> bool:
    return bool(set(a) & set(b))


def _contains_all(a: list[Any], b: list[Any]) -> bool:
    return set(b) <= set(a)


def _disjoint(a: list[Any], b: list[Any]) -> bool:
    return not set(a) & set(b)


#: The only functions a condition can call.
FUNCTIONS: dict[str, _Function] = {
    "len": _Function((_LSTR,), _NUM, len, "number of items in a list, e.g. len(compliance) > 1"),
    "abs": _Function((_NUM,), _NUM, abs, "absolute value"),
    "min": _Function((_NUM,), _NUM, min, "smallest of two or more numbers", variadic=True),
    "max": _Function((_NUM,), _NUM, max, "largest of two or more numbers", variadic=True),
    "any_of": _Function((_LSTR, _LSTR), _BOOL, _overlaps,
                        "true when the two lists share an item, e.g. any_of(compliance, ['pci-dss', 'hipaa'])"),
    "all_of": _Function((_LSTR, _LSTR), _BOOL, _contains_all,
                        "true when the first list holds every item of the second, "
                        "e.g. all_of(special_networking, ['sr-iov', 'dpdk'])"),
    "none_of": _Function((_LSTR, _LSTR), _BOOL, _disjoint,
                         "true when the first list holds no item of the second, e.g. none_of(compliance, ['pci-dss'])"),
    "known": _Function((), _BOOL, lambda: True, "true when a fact is present, e.g. known(measured.cpu.ratio)"),
}


#: The functions over a multi-choice list -> the value of one item's test that decides the result alone
#: (any_of: an item present makes it true; all_of: an item absent makes it false; none_of: present, false).
_LIST_TESTS = {"any_of": True, "all_of": False, "none_of": True}


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
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _LIST_TESTS
              and len(node.args) == 2 and isinstance(node.args[1], ast.List) and len(node.args[1].elts) > 1):
            fact = ast.get_source_segment(text, node.args[0]) or ast.unparse(node.args[0])
            for item in node.args[1].elts:
                if isinstance(item, ast.Constant) and isinstance(item.value, str):
                    add(item, f"{item.value!r} in {fact}", _LIST_TESTS[node.func.id])

    walk(ast.parse(text, mode="eval").body)
    return out


def _count_nodes(tree: ast.AST) -> int:
    return sum(1 for _ in ast.walk(tree))


def compile_condition(expr: str, types: Mapping[str, FactType]) -> Condition:
    """Parse, type-check and compile ``expr`` against the fact ``types``.

    Raises :class:`ConditionError` with a 0-based ``offset`` into ``expr``.
    """
    source, names, fn = _compile_any(expr, types, _BOOL)
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
    source, names, fn = _compile_any(expr, types, _NUM)
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
            found.append((_offset(text, node), node.id))
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
    compiler = _Compiler(text, types)
    t, fn, _ = compiler.visit(tree.body, 0)
    if t != want and want == _BOOL:
        raise ConditionError(f"a condition must be true or false, this one gives {t}",
                             "compare the value, e.g. crd_count > 50")
    if t != want:
        raise ConditionError(f"an estimate must be a number, this one gives {t}",
                             "write arithmetic over facts, e.g. 100 * 0.03 / latency_p99_ms")
    return expr, frozenset(compiler.names), fn
