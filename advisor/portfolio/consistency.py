"""The consistency check: pairs of near-identical workloads whose recommendations differ."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from advisor.portfolio.assess import Assessed
from advisor.questionnaire import Question, Questionnaire

#: Default threshold of the consistency check: a mean per-answer distance below it is "near-identical".
DEFAULT_SIMILARITY = 0.05


@dataclass(frozen=True)
class Flag:
    """Two near-identical workloads with different recommendations."""

    a: str
    b: str
    distance: float
    recommendations: tuple[str, str]
    differences: tuple[tuple[str, str, str], ...]  # (key, answer of a, answer of b)


class _Space:
    """How answers compare: numbers on a log scale over the key's range, choices equal or not, Jaccard."""

    def __init__(self, questionnaire: Questionnaire) -> None:
        self.questions = [q for q in questionnaire.questions if q.type != "str"]
        self.categorical = [i for i, q in enumerate(self.questions) if q.type in ("bool", "choice")]
        self.scale: dict[int, tuple[float, float]] = {}
        for i, q in enumerate(self.questions):
            if q.type in ("int", "float"):
                low = q.min if q.min is not None else 0.0
                high = q.max if q.max is not None else low + 1e6
                self.scale[i] = (low, math.log1p(max(high - low, 1e-9)))

    def vector(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        out: list[Any] = []
        for i, q in enumerate(self.questions):
            v = values.get(q.key)
            if v is None:
                out.append(None)
            elif i in self.scale:
                low, span = self.scale[i]
                out.append(min(1.0, math.log1p(max(float(v) - low, 0.0)) / span))
            elif q.type == "multi-choice":
                out.append(frozenset(v))
            else:
                out.append(v)
        return tuple(out)

    def part(self, i: int, x: Any, y: Any) -> float:
        if x == y:
            return 0.0
        if x is None or y is None:
            return 1.0
        if i in self.scale:
            return float(abs(x - y))
        if isinstance(x, frozenset):
            return 1.0 - len(x & y) / len(x | y)
        return 1.0


def distance(a: Mapping[str, Any], b: Mapping[str, Any], questionnaire: Questionnaire) -> float:
    """The consistency-check distance of two answer sets: the mean per-answer distance, 0 (same) to 1."""
    space = _Space(questionnaire)
    va, vb = space.vector(a), space.vector(b)
    n = len(space.questions)
    return sum(space.part(i, va[i], vb[i]) for i in range(n)) / n if n else 0.0


def consistency(entries: Sequence[Assessed], questionnaire: Questionnaire,
                threshold: float = DEFAULT_SIMILARITY) -> list[Flag]:
    """Each workload's nearest workload with another recommendation, when closer than ``threshold``.

    Pairs come in inventory order, each once. The search is bounded (memory linear in
    the workloads, at most :data:`MAX_CANDIDATES` comparisons per workload and group):

    * workloads with the same answers and recommendation are compared once, as a group;
    * each differing yes/no or choice answer adds 1/K to the distance (K answers
      compared), so a pair closer than the threshold differs in at most
      ``floor(threshold * K)`` of them: splitting those answers into one more group than
      that, such a pair agrees on every answer of at least one group, and only workloads
      sharing a bucket of some group are compared;
    * within a bucket, the candidates of each other recommendation are sorted by the sum
      of their numeric answers (scaled as in the distance), which differs by no more than
      the distance itself: the search walks outwards from the workload and stops once
      that bound exceeds the nearest distance found.

    The result is exact unless a bucket holds more than :data:`MAX_CANDIDATES`
    candidates within the bound; then the nearest by that sum are compared.
    """
    space = _Space(questionnaire)
    n_keys = len(space.questions)
    if n_keys == 0 or len(entries) < 2:
        return []
    limit = threshold * n_keys
    # one representative per distinct (answers, recommendation)
    reps: dict[tuple[Any, ...], int] = {}
    members: list[list[int]] = []
    vectors: list[tuple[Any, ...]] = []
    recs: list[str] = []
    by_values: dict[int, tuple[Any, ...]] = {}
    for idx, e in enumerate(entries):
        vec = by_values.get(id(e.values))
        if vec is None:
            vec = by_values[id(e.values)] = space.vector(e.values)
        key = (vec, e.result.recommendation)
        r = reps.get(key)
        if r is None:
            r = reps[key] = len(members)
            members.append([])
            vectors.append(vec)
            recs.append(e.result.recommendation)
        members[r].append(idx)
    del reps, by_values
    sums = [sum(vec[i] for i in space.scale if vec[i] is not None) for vec in vectors]
    cat = space.categorical
    n_groups = math.floor(limit) + 1
    groups = [cat[g::n_groups] for g in range(n_groups)] if n_groups <= len(cat) else [[]]
    best: list[tuple[float, int]] = [(limit, -1)] * len(vectors)
    for group in groups:
        buckets: dict[tuple[Any, ...], dict[str, list[int]]] = {}
        for r, vec in enumerate(vectors):
            buckets.setdefault(tuple(vec[i] for i in group), {}).setdefault(recs[r], []).append(r)
        for by_rec in buckets.values():
            if len(by_rec) < 2:
                continue
            ordered = {rec: sorted(rs, key=lambda r: (sums[r], r)) for rec, rs in by_rec.items()}
            keys = {rec: [sums[r] for r in rs] for rec, rs in ordered.items()}
            for rec, rs in ordered.items():
                others = [(ordered[o], keys[o]) for o in ordered if o != rec]
                for r in rs:
                    for cands, cand_sums in others:
                        best[r] = _nearest(space, vectors, sums, r, cands, cand_sums, best[r], n_keys)
    pairs: set[tuple[int, int, float]] = set()
    for r, (total, other) in enumerate(best):
        if other < 0:
            continue
        nearest = members[other][0]
        for idx in members[r]:
            a, b = min(idx, nearest), max(idx, nearest)
            pairs.add((a, b, total))
    flags = []
    for i, j, total in sorted(pairs):
        va, vb = space.vector(entries[i].values), space.vector(entries[j].values)
        diffs = tuple((q.key, _answer(q, entries[i].values.get(q.key)), _answer(q, entries[j].values.get(q.key)))
                      for k, q in enumerate(space.questions) if space.part(k, va[k], vb[k]) > 0)
        flags.append(Flag(entries[i].workload.name, entries[j].workload.name, round(total / n_keys, 4),
                          (entries[i].result.recommendation, entries[j].result.recommendation), diffs))
    return flags


#: Candidates compared per workload and group by the consistency check before it stops searching.
MAX_CANDIDATES = 64
#: Consistency pairs written to the summary; the summary counts the pairs left out.
MAX_FLAGS = 200


def _nearest(space: _Space, vectors: Sequence[tuple[Any, ...]], sums: Sequence[float], r: int,
             cands: Sequence[int], cand_sums: Sequence[float], best: tuple[float, int],
             n_keys: int) -> tuple[float, int]:
    """The nearer of ``best`` and the candidates (sorted by sum) around workload ``r``: (distance * K, index)."""
    import bisect

    s = sums[r]
    va = vectors[r]
    hi = bisect.bisect_left(cand_sums, s)
    lo = hi - 1
    compared = 0
    while compared < MAX_CANDIDATES and (lo >= 0 or hi < len(cands)):
        if hi >= len(cands) or (lo >= 0 and s - cand_sums[lo] <= cand_sums[hi] - s):
            pos, bound = lo, s - cand_sums[lo]
            lo -= 1
        else:
            pos, bound = hi, cand_sums[hi] - s
            hi += 1
        if bound >= best[0]:  # the distance is at least the bound: nothing further out is nearer
            break
        compared += 1
        c = cands[pos]
        vb = vectors[c]
        total = 0.0
        for k in range(n_keys):
            total += space.part(k, va[k], vb[k])
            if total >= best[0]:
                break
        if total < best[0]:
            best = (total, c)
    return best


def _answer(question: Question, value: Any) -> str:
    return "(not asked)" if value is None else question.format_value(value)
