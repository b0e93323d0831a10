"""Seeded, reproducible uncertainty: stratified uniform streams and triangular draws.

Every uncertain quantity draws from a named *stream* (a consequence rule's id, or the
probe that measures it). Streams depend only on the seed and the name, so the same
quantity gets the same draws for both options, every configuration and every what-if
evaluation (common random numbers): a change of one answer moves the draws it
touches monotonically and leaves the rest alone. Pure Python on purpose (start-up time).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

__all__ = ["profile_seed", "stream", "triangular"]


def profile_seed(answers: Mapping[str, Any]) -> int:
    """A seed from the profile's answers: the same profile always gets the same draws."""
    text = json.dumps({k: answers[k] for k in sorted(answers)}, sort_keys=True, default=str)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@lru_cache(maxsize=64)
def _master(seed: int, n: int) -> tuple[float, ...]:
    rng = random.Random(seed)
    order = list(range(n))
    rng.shuffle(order)
    return tuple((k + rng.random()) / n for k in order)


@lru_cache(maxsize=1024)
def stream(seed: int, name: str, n: int) -> tuple[float, ...]:
    """``n`` uniforms in (0, 1), one per stratum of width 1/n, in a seeded order (Latin hypercube).

    Each stream is the seed's master sequence read in a stream-specific order
    ``i -> (a * i + b) mod n`` with ``a`` coprime to ``n`` (a permutation), so a new
    stream costs no random draws.
    """
    master = _master(seed, n)
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    a = int.from_bytes(digest[:4], "big") % n or 1
    while math.gcd(a, n) != 1:
        a = a % n + 1
    b = int.from_bytes(digest[4:8], "big") % n
    return tuple(master[(a * i + b) % n] for i in range(n))


def triangular(low: float, mode: float, high: float, us: tuple[float, ...]) -> list[float]:
    """Inverse-CDF triangular draws for the uniforms ``us`` (monotone in low, mode, high and u)."""
    if high <= low:
        return [low] * len(us)
    span = high - low
    cut = (mode - low) / span
    left = span * (mode - low)
    right = span * (high - mode)
    return [low + (u * left) ** 0.5 if u < cut else high - ((1.0 - u) * right) ** 0.5 for u in us]
