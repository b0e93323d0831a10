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

The package, one concept per module: :mod:`~advisor.conditions.types` (fact types,
compiled conditions and expressions, limits), :mod:`~advisor.conditions.compile` (the
checks before compiling), :mod:`~advisor.conditions.compiler` (the typed compiler),
:mod:`~advisor.conditions.functions` (comparisons and the functions a condition can
call), :mod:`~advisor.conditions.branches` (the parts a rule test must exercise).
"""

from __future__ import annotations

from advisor.conditions.branches import Branch, branches
from advisor.conditions.compile import compile_condition, compile_expression
from advisor.conditions.functions import FUNCTIONS
from advisor.conditions.types import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NODES,
    UNKNOWN,
    Condition,
    ConditionError,
    Expression,
    FactType,
    Kind,
)

__all__ = [
    "FUNCTIONS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_NODES",
    "UNKNOWN",
    "Branch",
    "Condition",
    "ConditionError",
    "Expression",
    "FactType",
    "Kind",
    "branches",
    "compile_condition",
    "compile_expression",
]
