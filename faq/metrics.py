"""Retrieval and abstention metrics as small pure functions over ranked id lists.

A ranking is a list of document ids, best first, already in its final order (the searcher breaks
score ties by id, so a ranking never contains a tie). Relevance is binary: the ids in `expected`.
Names follow how people write them: accuracy@1, mrr@10, recall@k, ndcg@10.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def first_relevant_rank(ranked: Sequence[str], expected: Sequence[str], k: int | None = None) -> int | None:
    """1-based rank of the first expected id within the top k, or None."""
    relevant = set(expected)
    for i, doc in enumerate(ranked[:k] if k else ranked, start=1):
        if doc in relevant:
            return i
    return None


def accuracy_at(ranked: Sequence[str], expected: Sequence[str], k: int = 1) -> float:
    """1.0 when any expected id is in the top k (success@k; accuracy@1 for k=1)."""
    return 1.0 if first_relevant_rank(ranked, expected, k) else 0.0


def reciprocal_rank(ranked: Sequence[str], expected: Sequence[str], k: int = 10) -> float:
    rank = first_relevant_rank(ranked, expected, k)
    return 1.0 / rank if rank else 0.0


def recall_at(ranked: Sequence[str], expected: Sequence[str], k: int) -> float:
    """Share of the expected ids found in the top k (both intents of a two-intent query count)."""
    if not expected:
        return 0.0
    return len(set(ranked[:k]) & set(expected)) / len(set(expected))


def ndcg_at(ranked: Sequence[str], expected: Sequence[str], k: int = 10) -> float:
    """Binary-relevance nDCG: gain 1/log2(rank+1) for each expected id in the top k."""
    relevant = set(expected)
    if not relevant:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 1) for i, d in enumerate(ranked[:k], start=1) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 1) for i in range(1, min(len(relevant), k) + 1))
    return dcg / ideal


@dataclass(frozen=True)
class Abstention:
    precision: float
    recall: float
    f1: float
    false_abstention_rate: float


def abstention(out_of_scope: Sequence[bool], abstained: Sequence[bool]) -> Abstention:
    """Abstaining is the positive class: precision over all abstentions, recall over out-of-scope queries.

    false_abstention_rate: share of in-scope queries the engine wrongly declined to answer.
    """
    tp = sum(o and a for o, a in zip(out_of_scope, abstained, strict=True))
    fp = sum((not o) and a for o, a in zip(out_of_scope, abstained, strict=True))
    positives = sum(out_of_scope)
    negatives = len(out_of_scope) - positives
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Abstention(precision, recall, f1, fp / negatives if negatives else 0.0)


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def bootstrap_ci(
    values: Sequence[float], samples: int = 2000, alpha: float = 0.05, seed: int = 0
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the mean (deterministic for a given seed)."""
    if not len(values):
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    data = np.asarray(values, dtype=float)
    means = data[rng.integers(0, len(data), size=(samples, len(data)))].mean(axis=1)
    return (float(np.quantile(means, alpha / 2)), float(np.quantile(means, 1 - alpha / 2)))


def paired_randomization(a: Sequence[float], b: Sequence[float], samples: int = 10000, seed: int = 0) -> float:
    """Two-sided p-value that per-query scores `a` and `b` have the same mean (sign-flip test)."""
    if len(a) != len(b):
        raise ValueError("paired samples must have the same length")
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    observed = abs(diffs.sum())
    if observed == 0:
        return 1.0
    rng = np.random.default_rng(seed)
    signs = rng.choice((-1.0, 1.0), size=(samples, len(diffs)))
    hits = int((np.abs(signs @ diffs) >= observed - 1e-12).sum())
    return (hits + 1) / (samples + 1)


def best_threshold(
    confidence: Sequence[float], out_of_scope: Sequence[bool], max_false_abstention: float
) -> tuple[float, float]:
    """(threshold, abstention F1): the threshold with the best F1 whose false-abstention rate stays within
    the cap (the best F1 overall when none does). A query abstains when its confidence is below the
    threshold or not positive. Candidates are midpoints between observed confidences, so the choice
    does not sit on a data point; ties go to the lowest threshold."""
    conf = np.asarray(confidence, dtype=float)
    oos = np.asarray(out_of_scope, dtype=bool)
    values = np.unique(conf)
    candidates = np.concatenate(([0.0], (values[:-1] + values[1:]) / 2))
    abstain = (conf[None, :] < candidates[:, None]) | (conf[None, :] <= 0)
    tp = (abstain & oos).sum(axis=1)
    fp = (abstain & ~oos).sum(axis=1)
    positives, negatives = int(oos.sum()), int((~oos).sum())
    precision = np.divide(tp, tp + fp, out=np.zeros(len(tp)), where=(tp + fp) > 0)
    recall = tp / positives if positives else np.zeros(len(tp))
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(len(tp)), where=(precision + recall) > 0)
    feasible = fp <= max_false_abstention * negatives
    i = int(np.argmax(np.where(feasible, f1 + 10.0, f1)))
    return float(round(candidates[i], 6)), float(f1[i])


@dataclass(frozen=True)
class CurvePoint:
    threshold: float
    coverage: float  # share of in-scope queries answered
    accuracy: float  # accuracy@1 among those answered


def risk_coverage(confidence: Sequence[float], correct: Sequence[bool]) -> list[CurvePoint]:
    """Accuracy of the answered queries against the share answered, for every useful threshold.

    A query is answered when its confidence is >= the threshold; thresholds are the observed values.
    """
    pairs = sorted(zip(confidence, correct, strict=True), key=lambda p: -p[0])
    n = len(pairs)
    points, right = [], 0
    for i, (conf, ok) in enumerate(pairs, start=1):
        right += ok
        if i == n or pairs[i][0] < conf:
            points.append(CurvePoint(conf, i / n, right / i))
    return points


def coverage_at_accuracy(curve: Sequence[CurvePoint], target: float = 0.95) -> float:
    """The largest share of queries that can be answered while keeping accuracy >= target (0 if none)."""
    return max((p.coverage for p in curve if p.accuracy >= target), default=0.0)
