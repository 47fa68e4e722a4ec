"""Choose the search weights and the abstention threshold on the development set.

The score is linear in the per-(channel, field) cosines except `question_max` (a max over passages),
so every cosine of every dev query is computed once and each candidate weighting is scored with a few
array operations. Coordinate ascent over the weights maximises accuracy@1 + MRR@10 + 0.5 * abstention F1
on dev (each candidate with its own best threshold); ties keep the current value, so weights move only
when dev data says so. The test set is never seen here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from faq.config import SearchConfig
from faq.evaluate import EvalQuery
from faq.index import DOC_FIELDS, PASSAGE_KINDS_FOR_MAX, Index
from faq.search import Searcher

MULTIPLIERS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
MAX_FALSE_ABSTENTION = 0.03


class _Cache:
    """Per-query cosines: fields (Q, C, F, D) and passages (Q, C, P)."""

    def __init__(self, index: Index, queries: Sequence[EvalQuery]) -> None:
        searcher = Searcher(index)
        self.channels = index.channels
        ids = [d.id for d in index.documents]
        self.ids = np.array(ids)
        self.fields = np.zeros((len(queries), len(self.channels), len(DOC_FIELDS), len(ids)))
        self.passages = np.zeros((len(queries), len(self.channels), len(index.passages)))
        for qi, q in enumerate(queries):
            qv = searcher.vectors(q.query)
            for ci, c in enumerate(self.channels):
                for fi, f in enumerate(DOC_FIELDS):
                    self.fields[qi, ci, fi] = searcher._sims(index.fields[(c, f)], qv.terms[c])
                self.passages[qi, ci] = searcher._sims(index.passage_matrix[c], qv.terms[c])
        rows = [i for i, p in enumerate(index.passages) if p.kind in PASSAGE_KINDS_FOR_MAX]
        self.max_rows = np.array(rows, dtype=np.int64)
        self.max_docs = np.array([index.passages[i].doc for i in rows], dtype=np.int64)
        self.in_scope = np.array([q.in_scope for q in queries])
        id_pos = {d: i for i, d in enumerate(ids)}
        self.relevant = np.zeros((len(queries), len(ids)), dtype=bool)
        for qi, q in enumerate(queries):
            for e in q.expected:
                self.relevant[qi, id_pos[e]] = True

    def scores(self, config: SearchConfig) -> np.ndarray:
        cw = np.array([max(0.0, config.channel_weights.get(c, 0.0)) for c in self.channels])
        cw = cw / (cw.sum() or 1.0)
        fw_all = {f: max(0.0, config.field_weights.get(f, 0.0)) for f in (*DOC_FIELDS, "question_max")}
        total = sum(fw_all.values()) or 1.0
        fw = np.array([fw_all[f] / total for f in DOC_FIELDS])
        scores = np.einsum("qcfd,c,f->qd", self.fields, cw, fw)
        passage = np.einsum("qcp,c->qp", self.passages[:, :, self.max_rows], cw)
        best = np.zeros_like(scores)
        for qi in range(len(scores)):
            np.maximum.at(best[qi], self.max_docs, passage[qi])
        return scores + fw_all["question_max"] / total * best


def _objective(scores: np.ndarray, cache: _Cache) -> tuple[float, float, float, float]:
    """(objective, accuracy@1, mrr@10, threshold) for a score matrix."""
    order = np.lexsort((np.broadcast_to(cache.ids, scores.shape), -np.round(scores, 12)), axis=1)
    rel_sorted = np.take_along_axis(cache.relevant, order, axis=1)
    inscope = cache.in_scope
    first = np.argmax(rel_sorted, axis=1)
    found = rel_sorted.any(axis=1)
    acc = float(np.mean((first == 0) & found, where=inscope)) if inscope.any() else 0.0
    rr = np.where(found & (first < 10), 1.0 / (first + 1), 0.0)
    mrr = float(np.mean(rr[inscope])) if inscope.any() else 0.0
    top = scores.max(axis=1)
    threshold, f1 = best_threshold(top, ~inscope)
    return acc + mrr + 0.5 * f1, acc, mrr, threshold


def best_threshold(confidence: np.ndarray, out_of_scope: np.ndarray) -> tuple[float, float]:
    """Threshold (midpoint between observed values) maximising abstention F1 under the false-abstention cap."""
    values = np.unique(confidence)
    candidates = np.concatenate(([0.0], (values[:-1] + values[1:]) / 2))
    abstain = confidence[None, :] < candidates[:, None]
    tp = (abstain & out_of_scope).sum(axis=1)
    fp = (abstain & ~out_of_scope).sum(axis=1)
    positives, negatives = out_of_scope.sum(), (~out_of_scope).sum()
    precision = np.divide(tp, tp + fp, out=np.zeros(len(tp)), where=(tp + fp) > 0)
    recall = tp / positives if positives else np.zeros(len(tp))
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros(len(tp)), where=(precision + recall) > 0)
    feasible = fp <= MAX_FALSE_ABSTENTION * negatives
    key = np.where(feasible, f1 + 10.0, f1)
    i = int(np.argmax(key))
    return float(round(candidates[i], 6)), float(f1[i])


def tune_search(index: Index, dev: Sequence[EvalQuery], passes: int = 3) -> tuple[SearchConfig, str]:
    """Coordinate ascent on dev; returns the tuned config and a one-line summary."""
    cache = _Cache(index, dev)
    config = index.search_config
    best = _objective(cache.scores(config), cache)
    start = best
    for _ in range(passes):
        improved = False
        for group in ("channel_weights", "field_weights"):
            for key in list(getattr(config, group)):
                base = getattr(config, group)[key] or 0.1
                for mult in MULTIPLIERS:
                    trial_weights = dict(getattr(config, group))
                    trial_weights[key] = round(base * mult, 4)
                    trial = replace(config, **{group: trial_weights})
                    result = _objective(cache.scores(trial), cache)
                    if result[0] > best[0] + 1e-9:
                        config, best, improved = trial, result, True
        if not improved:
            break
    config = replace(config, threshold=best[3])
    summary = (
        f"dev objective {start[0]:.4f} -> {best[0]:.4f} (acc@1 {best[1]:.4f}, MRR@10 {best[2]:.4f}), "
        f"threshold {best[3]:.4f}"
    )
    return config, summary
