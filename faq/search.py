"""Search: analyse the query, score every document per channel and field, fuse, rank, abstain, explain.

score(d) = sum over channels c and fields f of  w_c * w_f * cos(q_c, d_{c,f})
where the field `question_max` is the best single sample question / Q&A question of d (FAQ-style
question-to-question match) and the weights are normalised to sum to 1, so scores lie in [0, 1].
Because the score is a plain sum, `explain` can report each (channel, field, term) contribution and
they add up to the score exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from faq.config import SearchConfig
from faq.corpus import Document
from faq.index import DOC_FIELDS, PASSAGE_KINDS_FOR_MAX, Index, vectorize
from faq.text import has_diacritics

MAX_QUERY_CHARS = 2000


@dataclass(frozen=True)
class Contribution:
    """What one (channel, field) pair added to a hit's score, and which query terms did it."""

    channel: str
    field: str
    score: float
    terms: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Hit:
    id: str
    title: str
    score: float
    matched: str
    matched_kind: str
    answer: str
    document: Document
    contributions: tuple[Contribution, ...] = ()


@dataclass(frozen=True)
class Result:
    query: str
    abstained: bool
    hits: tuple[Hit, ...]
    truncated: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    confidence: float = 0.0  # the best score, lowered when the question names another agency's procedure
    referrals: tuple[tuple[str, str], ...] = ()  # (term, who handles it) from the other-agencies lexicon


@dataclass(frozen=True)
class QueryVectors:
    terms: dict[str, tuple[np.ndarray, np.ndarray]]  # channel -> (term ids, weights)
    weights: dict[str, float]  # channel -> weight for this query


class Searcher:
    """Ranks an index's documents for a query. Holds no per-query state; safe to reuse."""

    def __init__(self, index: Index, config: SearchConfig | None = None) -> None:
        self.index = index
        self.config = config or index.search_config
        self.analyzer = index.analyzer()
        channels = index.channels
        cw = {c: max(0.0, float(self.config.channel_weights.get(c, 0.0))) for c in channels}
        total = sum(cw.values()) or 1.0
        self.channel_weights = {c: w / total for c, w in cw.items()}
        fw = {f: max(0.0, float(self.config.field_weights.get(f, 0.0))) for f in (*DOC_FIELDS, "question_max")}
        total = sum(fw.values()) or 1.0
        self.field_weights = {f: w / total for f, w in fw.items()}
        kinds = np.array([p.kind in PASSAGE_KINDS_FOR_MAX for p in index.passages], dtype=bool)
        self._max_rows = np.flatnonzero(kinds)
        self._passage_doc = np.array([p.doc for p in index.passages], dtype=np.int64)
        self._ids = np.array([d.id for d in index.documents])
        self._inverse_vocab: dict[str, list[str]] = {}

    # -------------------------------------------------------------- scoring

    def vectors(self, query: str) -> QueryVectors:
        tokens = self.analyzer.analyze(query, query=True)
        return QueryVectors(
            {c: vectorize(tokens[c], self.index.vocab[c], self.index.idf[c]) for c in self.index.channels},
            self.query_weights(query),
        )

    def query_weights(self, query: str) -> dict[str, float]:
        return effective_weights(self.channel_weights, has_diacritics(query))

    def _sims(self, matrix, vec: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
        idx, w = vec
        if len(idx) == 0:
            return np.zeros(matrix.shape[0])
        return np.asarray(matrix[:, idx] @ w).ravel()

    def _passage_scores(self, qv: QueryVectors) -> np.ndarray:
        total = np.zeros(len(self.index.passages))
        for c in self.index.channels:
            total += qv.weights[c] * self._sims(self.index.passage_matrix[c], qv.terms[c])
        return total

    def score_vector(self, qv: QueryVectors) -> tuple[np.ndarray, np.ndarray]:
        """(document scores, passage scores) for analysed query vectors."""
        n = len(self.index.documents)
        scores = np.zeros(n)
        for c in self.index.channels:
            wc = qv.weights[c]
            for f in DOC_FIELDS:
                wf = self.field_weights[f]
                if wc and wf:
                    scores += wc * wf * self._sims(self.index.fields[(c, f)], qv.terms[c])
        passage = self._passage_scores(qv)
        best = np.zeros(n)
        if len(self._max_rows):
            np.maximum.at(best, self._passage_doc[self._max_rows], passage[self._max_rows])
        scores += self.field_weights["question_max"] * best
        return scores, passage

    def rank(self, scores: np.ndarray) -> np.ndarray:
        """Document indices best first; ties broken by id so results are deterministic."""
        return np.lexsort((self._ids, -np.round(scores, 12)))

    def score(self, query: str) -> np.ndarray:
        """Scores of every document for a query (used by the evaluation harness)."""
        return self.score_vector(self.vectors(query[:MAX_QUERY_CHARS]))[0]

    def confidence(self, best: float, referrals: Sequence[tuple[str, str]]) -> float:
        """How sure we are of the best answer: its score, discounted when another agency is named."""
        return best * (1.0 - self.config.other_agency_penalty) if referrals else best

    def abstains(self, confidence: float) -> bool:
        return confidence < self.config.threshold or confidence <= 0.0

    # -------------------------------------------------------------- results

    def search(self, query: str, top_k: int | None = None, explain: bool = False) -> Result:
        """Top-k hits with scores, matched passage and answer; `abstained` when the best is too weak."""
        top_k = top_k or self.config.top_k
        truncated = len(query) > MAX_QUERY_CHARS
        text = query[:MAX_QUERY_CHARS]
        qv = self.vectors(text)
        scores, passage = self.score_vector(qv)
        order = self.rank(scores)[:top_k]
        hits = tuple(self._hit(int(d), float(scores[d]), passage, qv, explain) for d in order)
        referrals = tuple(self.analyzer.referrals(text))
        confidence = self.confidence(hits[0].score if hits else 0.0, referrals)
        notes = (f"query cut to its first {MAX_QUERY_CHARS} characters",) if truncated else ()
        return Result(query, self.abstains(confidence), hits, truncated, notes, confidence, referrals)

    def _hit(self, d: int, score: float, passage: np.ndarray, qv: QueryVectors, explain: bool) -> Hit:
        doc = self.index.documents[d]
        rows = np.flatnonzero(self._passage_doc == d)
        matched, kind, answer = doc.title, "title", _summary(doc)
        if len(rows) and passage[rows].max() > 0:
            best = rows[int(np.argmax(passage[rows]))]
            p = self.index.passages[best]
            matched, kind = p.text, p.kind
            if p.kind in ("qa", "section") and p.answer:
                answer = p.answer
        contributions = self._explain(d, passage, qv) if explain else ()
        return Hit(doc.id, doc.title, score, matched, kind, answer, doc, contributions)

    def _explain(self, d: int, passage: np.ndarray, qv: QueryVectors) -> tuple[Contribution, ...]:
        out = []
        rows = [r for r in self._max_rows if self._passage_doc[r] == d]
        best_row = max(rows, key=lambda r: (passage[r], -r)) if rows else None
        for c in self.index.channels:
            idx, w = qv.terms[c]
            wc = qv.weights[c]
            sources = [(f, self.index.fields[(c, f)], d, self.field_weights[f]) for f in DOC_FIELDS]
            if best_row is not None:
                sources.append(
                    ("question_max", self.index.passage_matrix[c], best_row, self.field_weights["question_max"])
                )
            for f, matrix, row, wf in sources:
                if not len(idx) or not (wc and wf):
                    continue
                values = np.asarray(matrix[row, idx].todense()).ravel() * w * wc * wf
                nz = np.flatnonzero(values)
                if not len(nz):
                    continue
                terms = tuple(sorted(((self._term(c, int(idx[j])), float(values[j])) for j in nz), key=lambda t: -t[1]))
                out.append(Contribution(c, f, float(values.sum()), terms))
        return tuple(sorted(out, key=lambda x: -x.score))

    def _term(self, channel: str, term_id: int) -> str:
        if channel not in self._inverse_vocab:
            inv = [""] * len(self.index.vocab[channel])
            for t, i in self.index.vocab[channel].items():
                inv[i] = t
            self._inverse_vocab[channel] = inv
        return self._inverse_vocab[channel][term_id]


def effective_weights(weights: dict[str, float], accented: bool) -> dict[str, float]:
    """Channel weights for one query. Unaccented text cannot match accented words, so for such a query
    the word channel's share goes to the channels that can match it (folded syllables, char n-grams)."""
    rest = {c: w for c, w in weights.items() if c != "word"}
    if accented or "word" not in weights or sum(rest.values()) <= 0:
        return weights
    total = sum(rest.values())
    return {c: rest.get(c, 0.0) / total for c in weights}


def _summary(doc: Document) -> str:
    return doc.section("Tóm tắt") or (doc.sections[0].text if doc.sections else "")
