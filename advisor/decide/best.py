"""Per draw, the utility of an option at its best configuration for that draw.

``P(bare metal better)`` is the share of draws in which bare metal, in whichever of its
feasible configurations is best in that draw, beats VM-backed in whichever of its
feasible configurations is best in that draw. Each configuration's utility in a draw is a
sum of monotone value functions of monotone triangular draws (common random numbers), so
an answer that moves each option's configurations one way moves the maximum the same
way: the share cannot move against it when a chosen configuration changes (docs/scoring.md).

Configurations whose uncertain estimates are the same (same attribute, stream and range)
differ by a constant in every draw; only the best of them can be a maximum, so each such
group costs one vector.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from advisor.decide.model import Criterion

__all__ = ["best_draws"]


def best_draws(attributes: Mapping[str, Any], estimates: Iterable[Mapping[str, Any]],
               prio: Mapping[Criterion, int], values: Callable[[Any, Any], list[float] | float],
               n: int, scaled: dict[tuple[float, int], tuple[list[float], list[float]]] | None = None
               ) -> list[float]:
    """``max`` over the configurations (their ``estimates``) of the utility, draw by draw.

    ``scaled`` keeps ``(v, k * v)`` by ``(k, id(v))``, for the caller to keep across calls
    (an entry counts only for the very list ``v``); by default it lasts one call.
    """
    weighted = [(name, attr, prio[attr.criterion] * attr.spec.weight) for name, attr in attributes.items()]
    groups: dict[tuple[Any, ...], tuple[float, list[tuple[float, list[float]]]]] = {}
    seen: dict[int, tuple[Any, list[float] | float]] = {}  # configurations share estimates: each valued once
    for ests in estimates:
        const = 0.0
        vecs: list[tuple[float, list[float]]] = []
        key: list[Any] = []
        for name, attr, k in weighted:
            est = ests[name]
            got = seen.get(id(est))
            if got is None or got[0] is not est:
                got = seen[id(est)] = (est, values(attr, est))
            v = got[1]
            if isinstance(v, float):
                const += k * v
            else:
                vecs.append((k, v))
                key.append((name, est.stream, est.low, est.mode, est.high))
        g = tuple(key)
        if g not in groups or groups[g][0] < const:
            groups[g] = (const, vecs)
    best: list[float] = []
    scaled = {} if scaled is None else scaled  # k * v, computed once for the groups that share it
    for const, vecs in groups.values():
        terms = []
        for k, v in vecs:
            s = scaled.get((k, id(v)))
            if s is None or s[0] is not v:
                s = scaled[(k, id(v))] = (v, [k * y for y in v])
            terms.append(s[1])
        u = _summed(const, terms, n)
        best = u if not best else [a if a >= b else b for a, b in zip(best, u, strict=True)]
    return best


def _summed(const: float, terms: list[list[float]], n: int) -> list[float]:
    """``const + t1 + t2 + ...`` draw by draw, added left to right (the same floats as one term at a time)."""
    u = [const] * n
    i = 0
    while len(terms) - i >= 3:
        u = [w + a + b + c for w, a, b, c in zip(u, terms[i], terms[i + 1], terms[i + 2], strict=True)]
        i += 3
    if len(terms) - i == 2:
        u = [w + a + b for w, a, b in zip(u, terms[i], terms[i + 1], strict=True)]
    elif len(terms) - i == 1:
        u = [w + a for w, a in zip(u, terms[i], strict=True)]
    return u
