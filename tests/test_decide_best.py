"""The per-draw best configuration: the fused sums give the very floats of adding one term at a time."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from advisor.decide.best import best_draws


def _naive(attributes, estimates, prio, values, n):  # type: ignore[no-untyped-def]
    """The definition, one configuration at a time (no grouping, no shared terms)."""
    best: list[float] = []
    for ests in estimates:
        const = 0.0
        vecs = []
        for name, attr in attributes.items():
            k = prio[attr.criterion] * attr.spec.weight
            v = values(attr, ests[name])
            if isinstance(v, float):
                const += k * v
            else:
                vecs.append((k, v))
        u = [const] * n
        for k, v in vecs:
            u = [x + k * y for x, y in zip(u, v, strict=True)]
        best = u if not best else [a if a >= b else b for a, b in zip(best, u, strict=True)]
    return best


@pytest.mark.parametrize("seed", range(40))
def test_best_draws_equals_the_definition_exactly(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 7, 64])
    names = [f"a{i}" for i in range(rng.randint(1, 9))]
    attributes = {name: SimpleNamespace(criterion=rng.choice("xyz"), spec=SimpleNamespace(weight=rng.random()))
                  for name in names}
    prio = {"x": 1, "y": 3, "z": 5}
    draws = {s: [rng.uniform(-1, 1) for _ in range(n)] for s in range(4)}
    estimates = []
    for _ in range(rng.randint(1, 12)):
        ests = {}
        for name in names:
            if rng.random() < 0.3:
                ests[name] = SimpleNamespace(fixed=rng.uniform(-2, 2), stream=None, low=0, mode=0, high=0)
            else:
                s = rng.randrange(4)
                ests[name] = SimpleNamespace(fixed=None, stream=s, low=rng.choice([0, 1]), mode=1, high=2)
        estimates.append(ests)

    def values(attr, est):  # type: ignore[no-untyped-def]
        if est.fixed is not None:
            return float(est.fixed)
        return [est.low + d * (est.high - est.low) for d in draws[est.stream]]

    assert best_draws(attributes, estimates, prio, values, n) == _naive(attributes, estimates, prio, values, n)
