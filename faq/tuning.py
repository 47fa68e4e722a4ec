"""Choose the search weights and the abstention threshold on the development set.

The score is linear in the per-(channel, field) cosines except `question_max` (a max over passages),
so every cosine of every dev query is computed once and each candidate weighting is scored with a few
array operations. The objective is accuracy@1 + MRR@10 + recall@3 + 0.5 * abstention F1 on dev, each
candidate with its own best threshold (recall@3 rewards bringing both requests of a two-request message
into the top 3).

Search: a seeded random sample of weightings (Dirichlet over channels and over fields), then the mean
of the best few. A single best point on a few hundred dev queries sits on a noisy plateau and swings
from run to run; averaging the good region gives weights that move only when the data moves (a
variance-reduction choice, made before looking at test results). Then the other-agency penalty and
the term-coverage exponent (`SearchConfig.term_coverage`) are chosen together on a small grid. Then the
weight of the labelled messages in ranking (`SearchConfig.messages_weight`), chosen on the messages
themselves: each of five folds of them is asked of an index built without it, so a message is never
its own answer (dev is too small and too like the pages to tell this weight: with the messages it
ranks 0.98 of its questions first whatever it is). Then the tie-break between the first two
(`SearchConfig.tie_break`) on its own grid, each value a full run of the
searcher on dev (it reorders results, which the cache of cosines does not model), and the threshold
again on that run. Last, with the threshold, how much a question's likeness to an example of another
agency's subject, against its likeness to the pages, moves its confidence (`SearchConfig.topic_weight`,
`faq.topics`): it moves declining only, so it is chosen by abstention F1 within the false-abstention cap.
The test set is never seen here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from faq.config import DEV_FALSE_ABSTENTION_CAP, SearchConfig
from faq.corpus import Document
from faq.evaluate import (
    EvalQuery,
    best_threshold_of,
    evaluate,
    per_query,
    run_system,
    searcher_system,
    tune_threshold,
)
from faq.examples import message_key
from faq.index import DOC_FIELDS, Index, build_index
from faq.metrics import best_threshold
from faq.search import Searcher, coverage, coverage_scale, discounted, effective_weights

SAMPLES = 600
TOP = 15
SEED = 20261128


class _Cache:
    """Per-query cosines: fields (Q, C, F, D) and passages (Q, C, P)."""

    def __init__(self, index: Index, queries: Sequence[EvalQuery]) -> None:
        searcher = Searcher(index)
        self.channels = index.channels
        ids = index.doc_ids
        self.ids = np.array(ids)
        self.fields = np.zeros((len(queries), len(self.channels), len(DOC_FIELDS), len(ids)))
        questions = index.question_passages  # the first passages: sample and Q&A questions, in document order
        self.passages = np.zeros((len(queries), len(self.channels), questions))
        self.asked = np.zeros((len(queries), len(self.channels), len(ids))) if index.asked else None
        referral_weights = []
        self.term_coverage = np.zeros((len(queries), len(ids)))  # Searcher.term_coverage per query
        for qi, q in enumerate(queries):
            qv = searcher.vectors(q.query)
            referral_weights.append(qv.referral_weight)
            self.term_coverage[qi] = searcher.term_coverage(qv)
            sims = searcher.channel_sims(qv)
            for ci, c in enumerate(self.channels):
                self.fields[qi, ci] = sims[c][0]
                self.passages[qi, ci] = sims[c][1]
                if sims[c][2] is not None:  # the questions field with the labelled messages, as ranking reads it
                    self.asked[qi, ci] = sims[c][2]
        self.group_docs, self.group_starts = searcher.question_groups
        self.examples = index.examples if index.examples.any() else None  # labelled messages (faq.examples)
        self.present = index.present
        self.in_scope = np.array([q.in_scope for q in queries])
        self.referral_weights = np.array(referral_weights)  # share of the penalty due, per query
        self.comparable = [searcher.words_comparable(q.query) for q in queries]
        id_pos = {d: i for i, d in enumerate(ids)}
        self.relevant = np.zeros((len(queries), len(ids)), dtype=bool)
        for qi, q in enumerate(queries):
            for e in q.expected:
                self.relevant[qi, id_pos[e]] = True

    def scores(self, config: SearchConfig, own: bool = False) -> np.ndarray:
        """Raw scores as `Searcher.score_vector` makes them; `own`: without the labelled messages, as
        confidence reads them (`Scored.own`)."""
        raw = {c: max(0.0, config.channel_weights.get(c, 0.0)) for c in self.channels}
        total_cw = sum(raw.values()) or 1.0
        base = {c: w / total_cw for c, w in raw.items()}
        cw = np.array([[effective_weights(base, a)[c] for c in self.channels] for a in self.comparable])
        fw_all = {f: max(0.0, config.field_weights.get(f, 0.0)) for f in (*DOC_FIELDS, "question_max")}
        total = sum(fw_all.values()) or 1.0
        fw = np.array([fw_all[f] / total for f in DOC_FIELDS])
        fields = self.fields
        if not own and self.asked is not None:  # ranking reads the questions field with the messages
            fields = fields.copy()
            fields[:, :, DOC_FIELDS.index("questions")] = max(config.messages_weight, 0.0) * self.asked
        scores = np.einsum("qcfd,qc,f->qd", fields, cw, fw)
        passage = np.einsum("qcp,qc->qp", self.passages, cw)
        if own and self.examples is not None:
            passage = np.where(self.examples, 0.0, passage)
        best = np.zeros_like(scores)
        if len(self.group_starts):
            best[:, self.group_docs] = np.maximum.reduceat(passage, self.group_starts, axis=1)
        cov = coverage(self.present, self.channels, {k: v / total for k, v in fw_all.items()})  # as Searcher
        per_kind = {a: coverage_scale(cov, effective_weights(base, a)) for a in set(self.comparable)}
        scale = np.stack([per_kind[a] for a in self.comparable]) if self.comparable else 1.0
        return (scores + fw_all["question_max"] / total * best) * scale

    def covered(self, scores: np.ndarray, exponent: float) -> np.ndarray:
        """Scores times term coverage ^ exponent, as `Searcher.ranking` multiplies them."""
        return scores * self.term_coverage**exponent if exponent else scores

    def ranked(self, config: SearchConfig) -> np.ndarray:
        """`scores` as `Searcher.ranking` orders them."""
        return self.covered(self.scores(config), config.term_coverage)


def _objective(
    scores: np.ndarray, cache: _Cache, penalty: float, term_coverage: float = 0.0, own: np.ndarray | None = None
) -> tuple[float, float, float, float]:
    """(objective, accuracy@1, mrr@10, threshold) for a score matrix, an other-agency penalty and a
    term-coverage exponent. Ranking multiplies by term coverage; confidence is the first document's own
    score (`own`: without its labelled messages, when they are apart), as in `Searcher.search`."""
    raw, scores = (scores if own is None else own), cache.covered(scores, term_coverage)
    order, acc, mrr, r3 = _ranking(scores, cache)
    top = discounted(np.take_along_axis(raw, order[:, :1], axis=1)[:, 0], penalty, cache.referral_weights)
    threshold, f1 = best_threshold(top, ~cache.in_scope, DEV_FALSE_ABSTENTION_CAP)
    return acc + mrr + r3 + 0.5 * f1, acc, mrr, threshold


def _ranking(scores: np.ndarray, cache: _Cache) -> tuple[np.ndarray, float, float, float]:
    """(the order of the documents per query, accuracy@1, MRR@10, recall@3 over the in-scope queries),
    ties broken by document id as `faq.evaluate` breaks them."""
    order = np.lexsort((np.broadcast_to(cache.ids, scores.shape), -np.round(scores, 12)), axis=1)
    rel_sorted = np.take_along_axis(cache.relevant, order, axis=1)
    inscope = cache.in_scope
    first = np.argmax(rel_sorted, axis=1)
    found = rel_sorted.any(axis=1)
    acc = float(np.mean((first == 0) & found, where=inscope)) if inscope.any() else 0.0
    rr = np.where(found & (first < 10), 1.0 / (first + 1), 0.0)
    mrr = float(np.mean(rr[inscope])) if inscope.any() else 0.0
    wanted = cache.relevant.sum(axis=1)
    recall3 = rel_sorted[:, :3].sum(axis=1) / np.maximum(wanted, 1)
    r3 = float(np.mean(recall3[inscope])) if inscope.any() else 0.0
    return order, acc, mrr, r3


PENALTIES = (0.0, 0.25, 0.5, 0.75, 0.9)
TERM_COVERAGE = (0.0, 0.25, 0.5, 0.75, 1.0)
TIE_BREAKS = (0.0, 0.125, 0.25, 0.375, 0.5, 0.75, 1.0, 1.5)
TOPIC_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)  # 0: examples of other subjects unused


MESSAGES_WEIGHTS = (1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0)
ENGLISH_FACTORS = (1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0)  # 1: English messages as any other
FOLDS = 5


def message_folds(documents: Sequence[Document], folds: int = FOLDS) -> list[tuple[list[Document], list[EvalQuery]]]:
    """The labelled messages in `folds` parts, each fixed by a hash of the message's text (the same split
    on every run and machine): per part, the documents without its messages and its messages as queries,
    each expecting every page it is a message of. Empty parts are left out."""
    parts: list[dict[str, list[str]]] = [{} for _ in range(folds)]
    for d in documents:
        for text in d.examples:
            fold = int(hashlib.sha256(message_key(text).encode("utf-8")).hexdigest(), 16) % folds
            parts[fold].setdefault(text, []).append(d.id)
    out = []
    for part in parts:
        if part:
            docs = [replace(d, examples=tuple(t for t in d.examples if t not in part)) for d in documents]
            out.append((docs, [EvalQuery(t, tuple(ids), "labelled") for t, ids in part.items()]))
    return out


def tune_messages_weight(index: Index, config: SearchConfig) -> tuple[SearchConfig, str]:
    """`config` with the labelled messages' weight in ranking that ranks held-back messages best
    (accuracy@1 + MRR@10 + recall@3, pooled over the folds of `message_folds`; the smallest of equals),
    each fold asked of an index built from the same pages, lexicon and settings without it."""
    if not index.examples.any():
        return config, "no labelled messages"
    totals, count, folds = np.zeros(len(MESSAGES_WEIGHTS)), 0, message_folds(index.documents)
    for documents, queries in folds:
        fold = build_index(documents, index.analyzer_config, index.lexicon, config)
        cache = _Cache(fold, queries)
        for i, weight in enumerate(MESSAGES_WEIGHTS):
            trial = replace(config, messages_weight=weight)
            _, acc, mrr, r3 = _ranking(cache.ranked(trial), cache)
            totals[i] += (acc + mrr + r3) * len(queries)
        count += len(queries)
    best = int(np.argmax(totals > totals.max() - 1e-6))  # the first within rounding of the best
    chosen = MESSAGES_WEIGHTS[best]
    return (
        replace(config, messages_weight=chosen),
        f"labelled messages' weight {chosen} (held-back messages' acc@1 + MRR@10 + recall@3 "
        f"{totals[best] / count:.4f}, at 1.0 {totals[0] / count:.4f}, {count} messages in {len(folds)} folds)",
    )


def tune_tie_break(index: Index, dev: Sequence[EvalQuery], config: SearchConfig) -> tuple[SearchConfig, float]:
    """`config` with the tie-break weight that ranks dev best (accuracy@1 + MRR@10 + recall@3; the
    smallest of equals) and the abstention threshold chosen again on that run; and the objective. Each
    weight is a run of the evaluation harness's own system (`faq.evaluate`), so it is judged as `eval`
    judges it."""
    best: tuple[float, SearchConfig] | None = None
    for beta in TIE_BREAKS:
        trial = replace(config, tie_break=beta)
        run = run_system("tie-break", searcher_system(Searcher(index, trial)), dev, trial.threshold)
        rows = [r for r in per_query(run) if r]  # in scope only
        objective = sum(r["accuracy_at_1"] + r["mrr_at_10"] + r["recall_at_3"] for r in rows) / max(len(rows), 1)
        if best is None or objective > best[0] + 1e-9:
            best = (objective, replace(trial, threshold=tune_threshold(run, DEV_FALSE_ABSTENTION_CAP)))
    assert best is not None
    return best[1], best[0]


def tune_search(index: Index, dev: Sequence[EvalQuery]) -> tuple[SearchConfig, str]:
    """Random search on dev, averaged over the best candidates; returns the config and a summary line."""
    cache = _Cache(index, dev)
    # the query vectors in the cache are the index's: its synonym weight is kept, not searched
    default = SearchConfig(top_k=index.search_config.top_k, synonym_weight=index.search_config.synonym_weight)
    channels = [c for c in default.channel_weights if c in index.channels]
    fields = list(default.field_weights)
    # a channel the index leaves out keeps its current weight, for whoever turns it back on
    kept = {c: w for c, w in index.search_config.channel_weights.items() if c not in channels}
    rng = np.random.default_rng(SEED)

    def config_of(cw: np.ndarray, fw: np.ndarray, penalty: float) -> SearchConfig:
        return replace(
            default,
            channel_weights=kept | {c: round(float(w), 4) for c, w in zip(channels, cw, strict=True)},
            field_weights={f: round(float(w), 4) for f, w in zip(fields, fw, strict=True)},
            other_agency_penalty=penalty,
        )

    def measure(config: SearchConfig) -> tuple[float, float, float, float]:
        own = cache.scores(config, own=True) if cache.examples is not None else None
        return _objective(cache.scores(config), cache, config.other_agency_penalty, config.term_coverage, own)

    start = measure(default)
    cws = rng.dirichlet(np.full(len(channels), 2.0), SAMPLES)
    fws = rng.dirichlet(np.full(len(fields), 2.0), SAMPLES)
    scored = []
    for cw, fw in zip(cws, fws, strict=True):
        scored.append((measure(config_of(cw, fw, default.other_agency_penalty))[0], cw, fw))
    scored.sort(key=lambda t: -t[0])
    top = scored[:TOP]
    cw = np.mean([t[1] for t in top], axis=0)
    fw = np.mean([t[2] for t in top], axis=0)
    config, best = None, None
    for penalty in PENALTIES:
        for exponent in TERM_COVERAGE:
            trial = replace(config_of(cw, fw, penalty), term_coverage=exponent)
            result = measure(trial)
            if best is None or result[0] > best[0] + 1e-9:
                config, best = trial, result
    config, messages = tune_messages_weight(index, config)
    config, ranking = tune_tie_break(index, dev, replace(config, threshold=best[3]))
    config, declining = tune_topic_weight(index, dev, config)
    summary = (
        f"dev objective {start[0]:.4f} (defaults) -> {best[0]:.4f} (acc@1 {best[1]:.4f}, MRR@10 {best[2]:.4f}); "
        f"best single sample {scored[0][0]:.4f}; other-agency penalty {config.other_agency_penalty}, "
        f"term coverage ^{config.term_coverage}, {messages}, tie-break {config.tie_break} (dev acc@1 + MRR@10 + "
        f"recall@3 {ranking:.4f}), {declining}"
    )
    return config, summary


def tune_topic_weight(index: Index, dev: Sequence[EvalQuery], config: SearchConfig) -> tuple[SearchConfig, str]:
    """`config` with the topic weight and the threshold that decline best on dev: the best abstention F1
    within the false-abstention cap over `TOPIC_WEIGHTS`, each a run of the searcher with its own best
    threshold; of equals, the one listed first (off, then the lightest: confidence moved the least)."""
    weights = TOPIC_WEIGHTS if index.topics is not None else (0.0,)
    best: tuple[float, SearchConfig] | None = None
    for weight in weights:
        trial = replace(config, topic_weight=weight)
        run = run_system("topic weight", searcher_system(Searcher(index, trial)), dev, trial.threshold)
        threshold, f1 = best_threshold_of(run, DEV_FALSE_ABSTENTION_CAP)
        if best is None or f1 > best[0] + 1e-9:
            best = (f1, replace(trial, threshold=threshold))
    assert best is not None
    chosen = best[1]
    return (
        chosen,
        f"topic weight {chosen.topic_weight}, threshold {chosen.threshold:.4f} (dev abstention F1 {best[0]:.4f})",
    )


def tune_threshold_only(index: Index, dev: Sequence[EvalQuery]) -> tuple[SearchConfig, str]:
    """The index's search configuration with only the declining chosen again on dev: the threshold and
    the topic weight, as `tune_search` chooses them last. For when dev has gained out-of-scope messages
    or the lexicon's examples of other subjects changed: every ranking stays as it was."""
    config = index.search_config
    chosen, summary = tune_topic_weight(index, dev, config)
    return chosen, f"threshold {config.threshold:.4f} -> {summary}; weights kept"


def tune_messages_only(index: Index) -> tuple[SearchConfig, str]:
    """The index's search configuration with only the labelled messages' weight chosen again
    (`tune_messages_weight`): for when messages were added, or weights tuned before there were any
    are to be kept. Confidence does not read the messages, so the threshold keeps its meaning."""
    config = index.search_config
    chosen, summary = tune_messages_weight(index, config)
    return chosen, f"{summary}; before {config.messages_weight}, everything else kept"


def tune_english_only(index: Index, english: Sequence[EvalQuery]) -> tuple[SearchConfig, str]:
    """The index's search configuration with only the confidence factor for messages in English
    (`SearchConfig.english_confidence`) chosen, on a set of labelled messages in English: the best
    abstention F1 within dev's false-abstention cap at the threshold dev chose (kept), over
    `ENGLISH_FACTORS`; of equals, the smallest. Dev has no English messages to tell it, and Vietnamese
    messages are never multiplied, so nothing dev chose changes meaning."""
    config = index.search_config
    best: tuple[float, float, SearchConfig] | None = None
    for factor in ENGLISH_FACTORS:
        trial = replace(config, english_confidence=factor)
        run = run_system("english", searcher_system(Searcher(index, trial)), english, trial.threshold)
        metrics = evaluate(run, bootstrap=False)["metrics"]
        f1, declined = metrics["abstention_f1"], metrics["false_abstention_rate"]
        if declined <= DEV_FALSE_ABSTENTION_CAP + 1e-9 and (best is None or f1 > best[0] + 1e-9):
            best = (f1, declined, trial)
    if best is None:  # no factor keeps within the cap: the one declining the fewest
        return replace(config, english_confidence=ENGLISH_FACTORS[-1]), (
            f"english confidence x{ENGLISH_FACTORS[-1]} (none within the {DEV_FALSE_ABSTENTION_CAP:.0%} cap)"
        )
    f1, declined, chosen = best
    return chosen, (
        f"english confidence x{chosen.english_confidence} (abstention F1 {f1:.4f}, false abstention "
        f"{declined:.1%}); before x{config.english_confidence}, everything else kept"
    )
