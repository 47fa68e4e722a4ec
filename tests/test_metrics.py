import math
import random

import ir_measures
import pytest
from ir_measures import RR, P, R, nDCG

from faq.metrics import (
    abstention,
    accuracy_at,
    bootstrap_ci,
    coverage_at_accuracy,
    first_relevant_rank,
    ndcg_at,
    paired_randomization,
    recall_at,
    reciprocal_rank,
    risk_coverage,
)


def test_hand_computed_single_relevant() -> None:
    ranked = ["a", "b", "c", "d"]
    assert first_relevant_rank(ranked, ["c"]) == 3
    assert accuracy_at(ranked, ["c"], 1) == 0.0 and accuracy_at(ranked, ["c"], 3) == 1.0
    assert reciprocal_rank(ranked, ["c"]) == pytest.approx(1 / 3)
    assert recall_at(ranked, ["c"], 2) == 0.0 and recall_at(ranked, ["c"], 3) == 1.0
    assert ndcg_at(ranked, ["c"]) == pytest.approx(1 / math.log2(4))


def test_no_relevant_result() -> None:
    ranked = ["a", "b"]
    assert reciprocal_rank(ranked, ["z"]) == 0.0
    assert ndcg_at(ranked, ["z"]) == 0.0
    assert accuracy_at(ranked, ["z"]) == 0.0
    assert recall_at(ranked, [], 3) == 0.0 and ndcg_at(ranked, []) == 0.0


def test_multiple_expected_ids() -> None:
    ranked = ["x", "a", "y", "b"]
    assert reciprocal_rank(ranked, ["a", "b"]) == 0.5
    assert recall_at(ranked, ["a", "b"], 3) == 0.5 and recall_at(ranked, ["a", "b"], 4) == 1.0
    ideal = 1 + 1 / math.log2(3)
    assert ndcg_at(ranked, ["a", "b"]) == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)


def test_cutoffs_are_respected() -> None:
    ranked = [str(i) for i in range(20)]
    assert reciprocal_rank(ranked, ["12"], k=10) == 0.0
    assert reciprocal_rank(ranked, ["9"], k=10) == 0.1


def test_ties_follow_the_given_order() -> None:
    """Rankings arrive with ties already broken (by id); metrics use exactly that order."""
    assert reciprocal_rank(["a", "b"], ["b"]) == 0.5
    assert reciprocal_rank(["b", "a"], ["b"]) == 1.0


def test_abstention_counts() -> None:
    oos = [True, True, False, False, False]
    abst = [True, False, True, False, False]
    a = abstention(oos, abst)
    assert a.precision == 0.5 and a.recall == 0.5 and a.f1 == 0.5
    assert a.false_abstention_rate == pytest.approx(1 / 3)
    none = abstention([False, False], [False, False])
    assert none.f1 == 0.0 and none.false_abstention_rate == 0.0


def test_bootstrap_ci_brackets_the_mean_and_is_deterministic() -> None:
    values = [1.0] * 80 + [0.0] * 20
    lo, hi = bootstrap_ci(values, seed=1)
    assert lo < 0.8 < hi and 0.65 < lo and hi < 0.92
    assert bootstrap_ci(values, seed=1) == (lo, hi)
    assert bootstrap_ci([1.0] * 10) == (1.0, 1.0)


def test_paired_randomization_separates_noise_from_a_real_difference() -> None:
    rng = random.Random(3)
    a = [float(rng.random() < 0.9) for _ in range(200)]
    b = [x if rng.random() < 0.5 else 0.0 for x in a]  # clearly worse
    assert paired_randomization(a, b) < 0.01
    assert paired_randomization(a, a) == 1.0
    c = [x if i % 50 else 1.0 - x for i, x in enumerate(a)]  # 4 flips
    assert paired_randomization(a, c) > 0.05
    with pytest.raises(ValueError):
        paired_randomization([1.0], [1.0, 0.0])


def test_risk_coverage_curve() -> None:
    curve = risk_coverage([0.9, 0.8, 0.8, 0.1], [True, True, False, False])
    assert [(p.threshold, p.coverage, p.accuracy) for p in curve] == [
        (0.9, 0.25, 1.0),
        (0.8, 0.75, pytest.approx(2 / 3)),
        (0.1, 1.0, 0.5),
    ]
    assert coverage_at_accuracy(curve, 0.95) == 0.25
    assert coverage_at_accuracy(curve, 0.6) == 0.75
    assert coverage_at_accuracy(risk_coverage([0.5], [False]), 0.95) == 0.0


def test_agrees_with_ir_measures_on_random_runs() -> None:
    """Cross-check against an established implementation (trec_eval semantics) on the same runs."""
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(15)]
    qrels, run, ours = [], [], {}
    for q in range(60):
        ranked = rng.sample(docs, 12)
        expected = rng.sample(docs, rng.choice([1, 1, 2, 3]))
        qid = f"q{q}"
        qrels += [ir_measures.Qrel(qid, d, 1) for d in expected]
        run += [ir_measures.ScoredDoc(qid, d, float(100 - i)) for i, d in enumerate(ranked)]  # distinct scores
        ours[qid] = (ranked, expected)
    measures = [P @ 1, RR @ 10, R @ 3, R @ 5, nDCG @ 10]
    for m in ir_measures.iter_calc(measures, qrels, run):
        ranked, expected = ours[m.query_id]
        name = str(m.measure)
        if name == "P@1":
            mine = accuracy_at(ranked, expected, 1)
        elif name == "RR@10":
            mine = reciprocal_rank(ranked, expected, 10)
        elif name == "R@3":
            mine = recall_at(ranked, expected, 3)
        elif name == "R@5":
            mine = recall_at(ranked, expected, 5)
        else:
            mine = ndcg_at(ranked, expected, 10)
        assert mine == pytest.approx(m.value, abs=1e-9), (name, m.query_id)
