"""Search: analyse the query, score every document per channel and field, fuse, rank, abstain, explain.

score(d) = sum over channels c and fields f of  w_c * w_f * cos(q_c, d_{c,f})
(q_c weighted log-tf x idf, d_{c,f} log-tf: see faq.index), where the field `question_max` is the best
single sample question / Q&A question of d (FAQ-style question-to-question match) and the weights are
normalised to sum to 1, so scores lie in [0, 1].
For ranking, each score is multiplied by the document's term coverage, and the first two then gain
what the query terms the other lacks earned them (`Searcher.tie_break`), so the words that tell two
sibling pages apart decide between them. A message that is only a bare topic a page lists (`tạm trú`),
or an alias no other page has (`faq.index.alias_topics`), puts that page first (`Searcher.bare_topic`).
A page's labelled messages (faq.examples) count for ranking alone: its questions field is read with
them in it, and each is one more sample question;
confidence is read from the page's own text (`Scored.own`). Because every step is a sum, `explain`
can report each (channel, field, term) contribution, the tie-break's and the bare topic's included,
and they add up to the score exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from faq.analyzer import Referral
from faq.config import SearchConfig, field_channels
from faq.corpus import Document
from faq.index import DOC_FIELDS, SECTION_CHANNELS, Index, anchor_phrases, blend, coverage_channel, vectorize
from faq.postings import Rows
from faq.text import asked_part, fold, normalize, syllables, typed_accented
from faq.topics import CHANNEL as TOPIC_CHANNEL

MAX_QUERY_CHARS = 2000
CONTEXT_REFERRAL_WEIGHT = 0.5  # see Searcher.referral_weight
TOP_MARGIN = 1e-11  # Searcher.top: a score rounding to 12 decimals moves by at most 5e-13
TWIN_OVERLAP = 0.6  # share of words two questions must share to be the same question (Searcher._answered_twin)
BARE_MARGIN = 1e-6  # how far a bare topic's page is placed above the answer it displaces


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
    coverage_factor: float = 1.0  # the term-coverage factor in `score` (Searcher.ranking), 1 when off
    tie_break: float = 0.0  # what the tie-break between the first two added to `score` (Searcher.tie_break)
    bare_topic: str = ""  # the page's bare topic the message is only (Searcher.bare_topic), else ""
    placed: float = 0.0  # what placing it first added to `score`


@dataclass(frozen=True)
class Result:
    query: str
    abstained: bool
    hits: tuple[Hit, ...]
    truncated: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)
    confidence: float = 0.0  # the best score, discounted and scaled by likeness as `Searcher.confidence` says
    referrals: tuple[tuple[str, str], ...] = ()  # (term, who handles it) from the other-agencies lexicon
    referral_weight: float = 0.0  # share of the other-agency penalty applied (Searcher.referral_weight)
    # (example, who handles it): the question is more like this example of another agency's subject than
    # like any page (faq.topics); people are shown it only when the answer is declined
    topic: tuple[str, str] | None = None
    # whether `topic` is like the question enough to show a citizen (SearchConfig.topic_shown)
    topic_close: bool = False
    likeness: float = 1.0  # the factor in `confidence` for that likeness (Searcher.confidence), 1 when off
    english: float = 1.0  # the factor in `confidence` for a message in English (english_confidence), else 1
    anchor: float = 1.0  # the factor in `confidence` for naming none of the first page's anchors, else 1
    base: float = 0.0  # the first page's score as confidence reads it: its own text, before any factor
    # (sign, warning): signs of a fraud the message shows (corpus/lexicon/fraud_signs.tsv); they do not
    # change the ranking, they are said beside it (faq.analyzer.Analyzer.fraud_signs)
    fraud_signs: tuple[tuple[str, str], ...] = ()
    # (sign, advice): signs of danger the message shows (corpus/lexicon/danger_signs.tsv), said before any
    # answer or decline, never read by the ranking (faq.analyzer.Analyzer.danger_signs)
    danger_signs: tuple[tuple[str, str], ...] = ()
    asks_nothing: bool = False  # no word but stop and framing words and single letters (`asks_nothing`)


@dataclass(frozen=True)
class QueryVectors:
    terms: dict[str, tuple[np.ndarray, np.ndarray]]  # channel -> (term ids, weights)
    weights: dict[str, float]  # channel -> weight for this query
    referrals: tuple[tuple[str, str], ...] = ()  # other agencies' procedures the query names
    referral_weight: float = 0.0  # share of the other-agency penalty due: 1 asked about, 0.5 only told of
    topic: int = -1  # the closest example of another agency's subject (faq.topics), -1 for none or when off
    topic_gap: float = 0.0  # how much closer that example is than the closest page (Topics.closest)
    topic_similarity: float = 0.0  # that example's similarity to the question (SearchConfig.topic_shown)
    core: tuple[str, ...] = ()  # the message's own diacritic-free syllables, stop words aside (bare_topic)
    english: bool = False  # written in English (faq.analyzer.ENGLISH_SHARE): confidence x english_confidence
    # no word but stop and framing words and single letters (`asks_nothing`): analysed as if empty
    asks_nothing: bool = False
    anchored: frozenset[int] = frozenset()  # the pages with anchors (Document.anchors) the message names one of


# a channel's rows for the query's terms: document postings, question postings and, with labelled
# messages (faq.examples), the questions field with them summed in (`Index.asked`; else None)
ChannelRows = tuple[Rows, Rows, Rows | None]


class Display(NamedTuple):
    """Display scores of question passages: the section channels' similarities under the query's
    weights, summed only for the passages asked for (a hit's few questions), in the order a whole-array
    sum would take, so each value is the same to the last bit."""

    parts: tuple[tuple[float, np.ndarray], ...]  # (channel weight, similarity per question passage)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros(len(rows))
        for weight, sims in self.parts:
            out += weight * sims[rows]
        return out


class Scored(NamedTuple):
    """A query's scores (`Searcher.score_vector`) and the posting rows they were summed from."""

    raw: np.ndarray  # per document, before term coverage and the tie-break
    questions: np.ndarray  # per question passage
    display: Display  # per question passage, for choosing what a hit shows
    rows: dict[str, ChannelRows]  # channel -> the query terms' rows (`ChannelRows`)
    own: np.ndarray  # `raw` from the page's own text alone, without its labelled messages: for confidence


class Ordered(NamedTuple):
    """A query's ranking (`Searcher.ordering`): final scores, how they were made, and the first few."""

    scores: np.ndarray  # per document: raw x term-coverage factor, plus the tie-break for the first two
    factor: np.ndarray  # per document, the term-coverage factor
    bonus: dict[int, dict[str, np.ndarray]]  # document -> channel -> what each query term's tie-break added
    first: np.ndarray  # the first k documents of `rank(scores)`, best first
    placed: tuple[int, str, float] | None = None  # (document, bare topic, what placing it first added)


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
        self._synonym_share = min(max(float(self.config.synonym_weight), 0.0), 1.0)  # vectors: blend
        self._messages_weight = max(float(self.config.messages_weight), 0.0)  # score_vector, _parts
        # Passages: rows [0, Q) are sample/Q&A questions in document order, rows [Q, P) sections.
        self._questions = index.question_passages
        self._passage_doc = index.passage_docs
        self._question_doc = self._passage_doc[: self._questions]
        self._section_doc = self._passage_doc[self._questions :]
        self._group_docs, self._group_starts = np.unique(self._question_doc, return_index=True)
        self._ids = np.array(index.doc_ids)
        self._inverse_vocab: dict[str, list[str]] = {}
        self._twins: dict[int, int] = {}  # sample-question row -> the row shown for it (_answered_twin)
        self._coverage = coverage(index.present, index.channels, self.field_weights)
        self._scales: dict[tuple[tuple[str, float], ...], np.ndarray] = {}  # coverage_scale per channel weights
        # a FAQ table: one question per document, in document order, so each one's best question is itself
        n = len(self._ids)
        # Labelled messages (faq.examples) rank pages; whether to answer is judged on the pages' own
        # text (`Scored.own`), as dev chose the threshold before they existed (see the README).
        self._examples = index.examples if index.examples.any() else None
        self._one_question_each = self._questions == n and bool(np.array_equal(self._group_docs, np.arange(n)))
        self._bare: dict[tuple[str, ...], tuple[int, str]] = {}  # a bare topic's core -> (document, phrase)
        for phrase, d, core in index.bare_topics:
            self._bare.setdefault(core, (d, phrase))
        self._bare_length = max((len(core) for core in self._bare), default=0)  # 0: none to look for
        self._anchors, self._anchor_length = anchor_phrases(index.documents)

    # -------------------------------------------------------------- scoring

    def vectors(self, query: str) -> QueryVectors:
        """The query analysed once: its vectors per channel, channel weights and referrals."""
        own, related, english = self.analyzer.read_query(query)
        said = self.analyzer.core(own)  # once for both: whether it asks anything, whether it is a bare topic
        core = said if len(said) <= self._bare_length else ()
        nothing = asks_nothing(said)
        if nothing:  # read as stop words alone are: no term, no page, no other agency's likeness
            own, related, core = [], [], ()
        chunk_list = own + related
        accented = typed_accented(query)
        typed = self.analyzer.tokens(own, query=True, accented=accented)
        extra = self.analyzer.tokens(related, query=True, accented=accented)  # chunk by chunk: no work twice
        tokens = {c: typed[c] + extra[c] for c in typed}
        share = self._synonym_share
        terms = {}
        for c in self.index.channels:
            vocab, idf = self.index.vocab[c], self.index.idf[c]
            idx, w = vectorize(tokens[c], vocab, idf)
            if extra[c] and share < 1.0:  # the synonyms' other terms count for `share` of the vector
                idx, w = blend((idx, w), vectorize(typed[c], vocab, idf), share)
            terms[c] = self._within_budget(c, idx, w)
        named = self.analyzer.referrals(chunk_list)
        weight = self.referral_weight(query, named)
        example, gap, like = (
            self.closest_topic(tokens.get(TOPIC_CHANNEL, [])) if self.config.topic_weight else (-1, 0.0, 0.0)
        )
        weights = effective_weights(self.channel_weights, self.words_comparable(query, accented))
        english = english and self.config.english_confidence != 1.0
        named_pairs = tuple((r.term, r.who) for r in named)
        anchored = (
            self.analyzer.named_anchors(chunk_list, self._anchors, self._anchor_length)
            if self.config.anchor_penalty
            else frozenset()
        )
        return QueryVectors(terms, weights, named_pairs, weight, example, gap, like, core, english, nothing, anchored)

    def bare_topic(self, qv: QueryVectors) -> tuple[int, str] | None:
        """(document, phrase) when the message is only a bare topic a document lists
        (`Document.bare_topics`) or an alias no other document has (`faq.index.alias_topics`): `tạm trú`
        alone means the base procedure, but on two words every page of the topic scores alike and a
        variant with a shorter title (`Gia hạn tạm trú`) comes first. Message and phrase are compared as
        `faq.analyzer.Analyzer.core` reads them, the phrase's when the index was built (`ad ơi cho hỏi tạm
        trú ạ` and `tam tru` are both `tam tru`)."""
        return self._bare.get(qv.core) if qv.core else None

    def closest_topic(self, tokens: Sequence[str]) -> tuple[int, float, float]:
        """The example of another agency's subject closest to the query's folded tokens (-1 when none
        shares a term), how much closer it is than the closest page, and its similarity (`faq.topics`);
        (-1, 0.0, 0.0) without examples."""
        topics = self.index.topics
        if topics is None:
            return -1, 0.0, 0.0
        idx, w = vectorize(tokens, topics.vocab, topics.idf)
        return topics.closest(idx, w, self.config.max_postings)

    def referral_weight(self, query: str, named: Sequence[Referral]) -> float:
        """1 when the question asks about another agency's procedure, 0.5 when only the story around it
        names one (`hồ sơ xin visa đã được duyệt. …?`) or names it as a step already taken (`bố em mới
        mất, đã làm khai tử rồi, giờ có phải …`), 0 when none is named. A story's mention still counts
        for something: it may be the topic the question then refers to. `named`: the referrals of the
        whole query, which are the asked part's when the whole query is what it asks (one sentence)."""
        if not named:
            return 0.0
        asked = asked_part(query)
        if asked != query:
            named = self.analyzer.referrals(self.analyzer.prepare(asked, query=True))
        return 1.0 if any(r.pending for r in named) else CONTEXT_REFERRAL_WEIGHT

    def _within_budget(self, channel: str, idx: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The query's terms, most informative first, until their postings exceed the work budget."""
        return self.index.postings[channel].within_budget(idx, w, self.config.max_postings)

    def words_comparable(self, query: str, accented: bool | None = None) -> bool:
        """Whether the query's word channel can meet the documents' accented words: it was typed with
        diacritics, or the analyzer restores them (`faq.restore`). `accented`: `typed_accented(query)`
        when already known."""
        return (typed_accented(query) if accented is None else accented) or self.analyzer.restores

    def read_rows(self, qv: QueryVectors) -> dict[str, ChannelRows]:
        """Per channel: the query terms' rows of the document postings, of the question postings and, with
        labelled messages, of the questions field with them in it (`ChannelRows`)."""
        out = {}
        for c in self.index.channels:
            idx = qv.terms[c][0]
            asked = self.index.asked[c].rows(idx) if self._examples is not None else None
            out[c] = (self.index.postings[c].rows(idx), self.index.question_postings[c].rows(idx), asked)
        return out

    def channel_sims(
        self, qv: QueryVectors, rows: dict[str, ChannelRows] | None = None
    ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray | None]]:
        """Per channel: the query's cosine with every (field, document), as a (fields, docs) array, with
        every question passage, and (None without labelled messages) with each document's questions
        field read with its messages in it. Only the query terms' posting rows are read (`read_rows`)."""
        n = len(self.index.doc_ids)
        rows = rows if rows is not None else self.read_rows(qv)
        out = {}
        for c in self.index.channels:
            w = qv.terms[c][1]
            fields, questions, asked = rows[c]
            out[c] = (
                fields.weighted_sum(w).reshape(len(DOC_FIELDS), n),
                questions.weighted_sum(w),
                None if asked is None else asked.weighted_sum(w),
            )
        return out

    def score_vector(self, qv: QueryVectors) -> Scored:
        """Document scores, question-passage scores and display scores of the question passages for a
        query (a hit's sections get theirs when it is shown, `_section_display`), and the rows read."""
        n = len(self.index.doc_ids)
        rows = self.read_rows(qv)
        sims = self.channel_sims(qv, rows)
        fw = np.array([self.field_weights[f] for f in DOC_FIELDS])
        scores = np.zeros(n)
        questions = np.zeros(self._questions)
        for c, (fields, passages, _) in sims.items():
            scores += qv.weights[c] * (fw @ fields)
            questions += qv.weights[c] * passages
        qmax, scale = self.field_weights["question_max"], self._scale(qv.weights)
        own = scores
        if self._examples is not None:
            # confidence: the page's own text alone, as before there were labelled messages
            own = (scores + qmax * self.best_questions(np.where(self._examples, 0.0, questions))) * scale
            # ranking: the questions field read with the page's labelled messages in it (Index.asked)
            q = DOC_FIELDS.index("questions")
            scores = scores + self.field_weights["questions"] * sum(
                qv.weights[c] * (self._messages_weight * asked - fields[q]) for c, (fields, _, asked) in sims.items()
            )
        scores += qmax * self.best_questions(questions)
        scores *= scale
        # sections exist in these channels only, so they alone pick what matched
        display = Display(tuple((qv.weights[c], sims[c][1]) for c in SECTION_CHANNELS if c in sims))
        return Scored(scores, questions, display, rows, scores if self._examples is None else own)

    def best_questions(self, questions: np.ndarray) -> np.ndarray:
        """Per document, its best question passage's score (0 without any)."""
        if self._one_question_each:
            return questions
        best = np.zeros(len(self.index.doc_ids))
        if self._questions:
            best[self._group_docs] = np.maximum.reduceat(questions, self._group_starts)
        return best

    def _scale(self, weights: dict[str, float]) -> np.ndarray:
        """`coverage_scale` under these channel weights, made once per distinct weights (a query's are
        one of two: `effective_weights`), not once per query over every document."""
        key = tuple(sorted(weights.items()))
        scale = self._scales.get(key)
        if scale is None:
            scale = self._scales[key] = coverage_scale(self._coverage, weights)
            scale.setflags(write=False)
        return scale

    def term_coverage(self, qv: QueryVectors) -> np.ndarray:
        """Per document, the share of the query's informativeness it contains: the idf of the query's
        terms on the coverage channel (`faq.index.coverage_channel`) found in any of its fields, over their
        total. One gather over the index's document postings, as cheap as one channel's scoring."""
        c = coverage_channel(self.index.channels)
        idx, _ = qv.terms[c]
        if not len(idx) or c not in self.index.doc_postings:
            return np.ones(len(self.index.doc_ids))
        weights = self.index.idf[c][idx]
        return self.index.doc_postings[c].weighted_sum(idx, weights) / weights.sum()

    def ranking(self, qv: QueryVectors, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ranking scores, per-document factor): `scores` times term coverage ^ `term_coverage`."""
        a = self.config.term_coverage
        if not a:
            return scores, np.ones_like(scores)
        factor = self.term_coverage(qv) ** a
        return scores * factor, factor

    def tie_break(
        self,
        qv: QueryVectors,
        scores: np.ndarray,
        questions: np.ndarray,
        factor: np.ndarray,
        rows: dict[str, ChannelRows],
        first: np.ndarray,
    ) -> dict[int, dict[str, np.ndarray]]:
        """For each of the first two documents, what the tie-break adds, per channel and query term: the
        terms it earned from and the other did not, times `SearchConfig.tie_break`. The words both share
        are the topic they have in common (`đăng ký tạm trú` for a first registration and for an
        extension) and say nothing about which one is meant; the rest (`hết hạn`, `ở tiếp`) do. Sibling
        pages are most of the ranking's mistakes. Only the two can change places: both already score
        above the third and gain, it gains nothing. Empty when off, when there is no second, and when
        the first leads by more than the second could gain, so that scores change only where the order
        could. `first`: the leading documents, `top(scores, k)` with k >= 2 (`ordering` finds them once)."""
        beta = self.config.tie_break
        top = first[:2] if beta else ()
        if len(top) < 2 or scores[top[1]] <= 0.0 or scores[top[0]] >= (1.0 + beta) * scores[top[1]]:
            return {}  # no second, or no near tie: the second could gain at most beta times its score
        parts = self._parts([int(d) for d in top], questions, qv, [float(factor[d]) for d in top], rows)
        earned = [{c: v.sum(axis=1) for c, (_, v) in p.items()} for p in parts]
        out = {}
        for k, d in enumerate(top):
            other = earned[1 - k]
            out[int(d)] = {c: beta * np.where(other[c] > 0, 0.0, v) for c, v in earned[k].items()}
        return out

    def ordering(
        self,
        qv: QueryVectors,
        raw: np.ndarray,
        questions: np.ndarray,
        rows: dict[str, ChannelRows],
        k: int = 2,
    ) -> Ordered:
        """`ranking`, then `tie_break` added to the first two; with the first k documents. `rows`: the
        posting rows `score_vector` read. The first max(k, 2) are found once: the
        tie-break only raises the two leading documents, so afterwards they need only re-sorting."""
        scores, factor = self.ranking(qv, raw)
        first = self.top(scores, max(k, 2))
        bonus = self.tie_break(qv, scores, questions, factor, rows, first)
        if bonus:
            scores = scores.copy()
            for d, parts in bonus.items():
                scores[d] += _total(parts)
            first = first[np.lexsort((self._ids[first], -np.round(scores[first], 12)))]
        bare = self.bare_topic(qv)
        if bare is None:
            return Ordered(scores, factor, bonus, first[:k])
        d, phrase = bare
        if d == first[0] and scores[d] > 0.0:  # first already (scoring nothing, it would be no hit)
            return Ordered(scores, factor, bonus, first[:k], (d, phrase, 0.0))
        lift = max(float(scores[first[0]] - scores[d]), 0.0) + BARE_MARGIN
        scores = scores.copy()
        scores[d] += lift
        first = np.concatenate([[d], first[first != d]])
        return Ordered(scores, factor, bonus, first[:k], (d, phrase, lift))

    def rank(self, scores: np.ndarray) -> np.ndarray:
        """Document indices best first; ties broken by id so results are deterministic."""
        return np.lexsort((self._ids, -np.round(scores, 12)))

    @property
    def question_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """(documents having sample questions, where each one's questions start among the passages)."""
        return self._group_docs, self._group_starts

    def top(self, scores: np.ndarray, k: int) -> np.ndarray:
        """The first k of `rank(scores)`, without sorting the whole corpus, and rounding only the scores
        near the k-th: rounding is monotonic, so the k-th largest rounded score is the k-th largest score
        rounded, and a score that rounds to at least that lies within 1e-12 of it (rounding every score
        and partitioning their negation cost ~1.5 ms a query at 100,000 entries)."""
        n = len(scores)
        if k >= n:
            return self.rank(scores)[:k]
        kth_raw = np.partition(scores, n - k)[n - k]
        kth = np.round(np.array([kth_raw]), 12)[0]
        near = np.flatnonzero(scores >= kth_raw - TOP_MARGIN)
        rounded = np.round(scores[near], 12)
        keep = rounded >= kth
        candidates, rounded = near[keep], rounded[keep]
        return candidates[np.lexsort((self._ids[candidates], -rounded))][:k]

    def score(self, query: str) -> np.ndarray:
        """Scores of every document for a query (used by the evaluation harness)."""
        return self.assess(query)[0]

    def assess(self, query: str) -> tuple[np.ndarray, float]:
        """Ranking scores of every document and the confidence in the first, as `search` judges them."""
        qv = self.vectors(query[:MAX_QUERY_CHARS])
        raw, questions, _, rows, own = self.score_vector(qv)
        ranked, _, _, first, placed = self.ordering(qv, raw, questions, rows, 1)
        top = int(first[0]) if len(first) else -1
        return ranked, self.confidence(float(own[top]) if top >= 0 else 0.0, qv, placed is not None, top)

    def confidence(self, best: float, qv: QueryVectors, bare: bool = False, first: int = -1) -> float:
        """How sure we are of the best answer: its score, discounted when another agency is named, and
        scaled by how much more (or less) the question is like another agency's business than ours, by
        `english_confidence` when it is written in English (`QueryVectors.english`), and by the anchor
        penalty when it names none of the first page's anchors (`first`: that page, -1 for none); at least
        the threshold when the message is a bare topic of that page (`bare_topic`): a maintainer said that
        page answers it, however few of its words a two-word message can match (`kt3`)."""
        discount = discounted(best, self.config.other_agency_penalty, qv.referral_weight)
        sure = discount * self.topic_factor(qv) * self.english_factor(qv) * self.anchor_factor(qv, first)
        return max(sure, self.config.threshold) if bare else sure

    def anchor_factor(self, qv: QueryVectors, first: int) -> float:
        """What confidence is multiplied by when the first page lists anchors (Document.anchors) and the
        message names none: 1 - `anchor_penalty`; else 1."""
        if first in self._anchors and first not in qv.anchored:
            return 1.0 - self.config.anchor_penalty
        return 1.0

    def topic_factor(self, qv: QueryVectors) -> float:
        """What confidence is multiplied by for the message's likeness to other agencies' examples
        (`likeness` of its topic gap), 1 with `topic_weight` 0."""
        return likeness(qv.topic_gap, self.config.topic_weight)

    def english_factor(self, qv: QueryVectors) -> float:
        """What confidence is multiplied by for the way the message is written: `english_confidence`
        for one in English (`QueryVectors.english`), else 1."""
        return self.config.english_confidence if qv.english else 1.0

    def topic_of(self, qv: QueryVectors) -> tuple[str, str] | None:
        """(example, who handles it) when the question is more like that example of another agency's
        subject than like any page."""
        topics = self.index.topics
        if topics is None or qv.topic < 0 or qv.topic_gap <= 0.0:
            return None
        return topics.text[qv.topic], topics.who[qv.topic]

    def abstains(self, confidence: float) -> bool:
        return confidence < self.config.threshold or confidence <= 0.0

    # -------------------------------------------------------------- results

    def search(self, query: str, top_k: int | None = None, explain: bool = False) -> Result:
        """Top-k hits with scores, matched passage and answer; `abstained` when the best is too weak."""
        top_k = top_k or self.config.top_k
        truncated = len(query) > MAX_QUERY_CHARS
        text = query[:MAX_QUERY_CHARS]
        qv = self.vectors(text)
        raw, questions, display, rows, own = self.score_vector(qv)
        scores, factor, bonus, first, placed = self.ordering(qv, raw, questions, rows, top_k)
        order = [d for d in first if scores[d] > 0.0]  # nothing in common is no hit
        hits = tuple(
            self._hit(
                int(d),
                float(scores[d]),
                questions,
                display,
                qv,
                rows,
                explain,
                float(factor[d]),
                bonus.get(int(d)),
                placed[1:] if placed and placed[0] == d else None,
            )
            for d in order
        )
        referrals = qv.referrals
        base = float(own[order[0]]) if order else 0.0
        first = int(order[0]) if order else -1
        confidence = self.confidence(base, qv, placed is not None, first)
        notes = (f"query cut to its first {MAX_QUERY_CHARS} characters",) if truncated else ()
        abstained = self.abstains(confidence)
        topic = self.topic_of(qv)
        return Result(
            query,
            abstained,
            hits,
            truncated,
            notes,
            confidence,
            referrals,
            qv.referral_weight,
            topic,
            topic is not None and qv.topic_similarity >= self.config.topic_shown,
            self.topic_factor(qv),
            self.english_factor(qv),
            self.anchor_factor(qv, first),
            base,
            tuple(self.analyzer.fraud_signs(text)),
            tuple(self.analyzer.danger_signs(text)),
            qv.asks_nothing,
        )

    def _question_rows(self, d: int) -> np.ndarray:
        lo, hi = np.searchsorted(self._question_doc, [d, d + 1])
        return np.arange(lo, hi)

    def _shown_rows(self, rows: np.ndarray) -> np.ndarray:
        """The question rows a hit may show as what it matched: not the citizens' labelled messages
        (`faq.examples`), which rank a page but are not its words."""
        return rows if self._examples is None else rows[~self._examples[rows]]

    def _section_span(self, d: int) -> tuple[int, int]:
        """Document d's sections, as [lo, hi) among the sections (add `_questions` for passage rows)."""
        lo, hi = np.searchsorted(self._section_doc, [d, d + 1])
        return int(lo), int(hi)

    def _section_display(self, lo: int, hi: int, qv: QueryVectors) -> np.ndarray:
        """Display scores of sections lo..hi-1, as `score_vector` gives the question passages."""
        out = np.zeros(hi - lo)
        for c in SECTION_CHANNELS:
            if c in self.index.section_rows:
                idx, w = qv.terms[c]
                out += qv.weights[c] * self.index.section_rows[c].row_dots(lo, hi, idx, w)
        return out

    def _hit(
        self,
        d: int,
        score: float,
        questions: np.ndarray,
        display: Display,
        qv: QueryVectors,
        rows: dict[str, ChannelRows],
        explain: bool,
        factor: float = 1.0,
        bonus: dict[str, np.ndarray] | None = None,
        placed: tuple[str, float] | None = None,
    ) -> Hit:
        doc = self.index.documents[d]
        matched, kind, answer = doc.label, "title", _summary(doc)
        qrows = self._shown_rows(self._question_rows(d))
        lo, hi = self._section_span(d)
        passages = np.concatenate([qrows, np.arange(lo, hi) + self._questions])
        shown = np.concatenate([display[qrows], self._section_display(lo, hi, qv)])
        best = None
        if len(passages) and shown.max() > 0:
            best = int(passages[int(np.argmax(shown))])
        elif len(qrows) and questions[qrows].max() > 0:
            best = int(qrows[int(np.argmax(questions[qrows]))])
        if best is not None and self.index.passages[best].kind == "question":
            best = self._answered_twin(best, qrows)
        if best is not None:
            p = self.index.passages[best]
            matched, kind = p.text, p.kind
            if p.kind in ("qa", "section") and p.answer:
                answer = p.answer
        contributions = self._explain(d, questions, qv, rows, factor, bonus) if explain else ()
        added = _total(bonus) if bonus else 0.0
        phrase, lift = placed or ("", 0.0)
        if lift and explain:  # what placing it first added, so that the rows still sum to the score
            contributions = (*contributions, Contribution("bare_topic", "bare_topic", lift, ((phrase, lift),)))
        return Hit(doc.id, doc.label, score, matched, kind, answer, doc, contributions, factor, added, phrase, lift)

    def _answered_twin(self, row: int, qrows: np.ndarray) -> int:
        """A sample question has no answer of its own, so matching it shows the document's summary. When
        the document's Q&A asks the same thing in other words (`Mất hộ chiếu phải trình báo trong bao
        lâu?` / `Mất hộ chiếu thì phải báo trong bao lâu?`), show that Q&A and its answer instead.
        Remembered per row: the pairing depends on the index alone, and a bot's process asks again."""
        if row in self._twins:
            return self._twins[row]
        words = _word_set(self.index.passages[row].text)
        best, best_overlap = row, TWIN_OVERLAP
        for r in qrows:
            p = self.index.passages[int(r)]
            if p.kind == "qa" and p.answer:
                other = _word_set(p.text)
                overlap = len(words & other) / max(len(words | other), 1)
                if overlap >= best_overlap:
                    best, best_overlap = int(r), overlap
        self._twins[row] = best
        return best

    def _parts(
        self,
        docs: Sequence[int],
        questions: np.ndarray,
        qv: QueryVectors,
        factors: Sequence[float],
        rows: dict[str, ChannelRows],
    ) -> list[dict[str, tuple[tuple[str, ...], np.ndarray]]]:
        """For each of `docs`, per channel the query has terms in (the same channels for every document):
        (the sources, a (query terms, sources) array of what each term
        earned the document in each). The sources are its fields and its best sample question
        (`question_max`); the array sums to its score before any tie-break. `factors` are the documents'
        term-coverage factors (`ranking`), applied as they were to the scores. All documents' cells are
        read in one pass per channel and matrix, out of the query's posting rows (`rows`, `read_rows`)."""
        n = len(self.index.doc_ids)
        fields = [f for f in DOC_FIELDS if self.field_weights[f]]
        field_weights = np.array([self.field_weights[f] for f in fields])
        scales = coverage_scale(
            {c: (earn[list(docs)], full) for c, (earn, full) in self._coverage.items()}, qv.weights
        ) * np.asarray(factors)  # as score_vector and ranking scaled each
        best_rows = []
        for d in docs:
            qrows = self._question_rows(d)
            best_rows.append(int(qrows[int(np.argmax(questions[qrows]))]) if len(qrows) else -1)
        with_question = [r for r in best_rows if r >= 0] if self.field_weights["question_max"] else []
        columns = np.array([DOC_FIELDS.index(f) * n + d for d in docs for f in fields], dtype=np.int64)
        out: list[dict[str, tuple[tuple[str, ...], np.ndarray]]] = [{} for _ in docs]
        for c in self.index.channels:
            idx, w = qv.terms[c]
            wc = qv.weights[c]
            if not len(idx) or not wc:
                continue
            cells = rows[c][0].values_at(columns).reshape(len(idx), len(docs), len(fields))
            asked = rows[c][2]
            if asked is not None and "questions" in fields:  # as score_vector ranks
                cells[:, :, fields.index("questions")] = self._messages_weight * asked.values_at(
                    np.array(docs, dtype=np.int64)
                )
            best = rows[c][1].values_at(np.array(with_question, dtype=np.int64))
            for k, row in enumerate(best_rows):
                values, sources = cells[:, k, :] * field_weights, tuple(fields)
                if row >= 0 and with_question:
                    column = best[:, with_question.index(row)] * self.field_weights["question_max"]
                    values, sources = np.column_stack([values, column]), (*sources, "question_max")
                out[k][c] = (sources, values * (w * wc * scales[k])[:, None])
        return out

    def _explain(
        self,
        d: int,
        questions: np.ndarray,
        qv: QueryVectors,
        rows: dict[str, ChannelRows],
        factor: float = 1.0,
        bonus: dict[str, np.ndarray] | None = None,
    ) -> tuple[Contribution, ...]:
        """Each (channel, field) contribution to document d's score, with the terms behind it, and the
        tie-break's (`tie_break`) when d had one: `bonus` maps channel -> what each query term added."""
        out = []
        for c, (sources, values) in self._parts([d], questions, qv, [factor], rows)[0].items():
            columns = [(f, values[:, k]) for k, f in enumerate(sources)]
            if bonus and c in bonus:
                columns.append(("tie_break", bonus[c]))
            idx = qv.terms[c][0]
            for f, v in columns:
                nz = np.flatnonzero(v)
                if not len(nz):
                    continue
                terms = tuple(sorted(((self._term(c, int(idx[j])), float(v[j])) for j in nz), key=lambda t: -t[1]))
                out.append(Contribution(c, f, float(v.sum()), terms))
        return tuple(sorted(out, key=lambda x: -x.score))

    def _term(self, channel: str, term_id: int) -> str:
        if channel not in self._inverse_vocab:
            inv = [""] * len(self.index.vocab[channel])
            for t, i in self.index.vocab[channel].items():
                inv[i] = t
            self._inverse_vocab[channel] = inv
        return self._inverse_vocab[channel][term_id]


def coverage(
    present: dict[str, np.ndarray], channels: Sequence[str], field_weights: dict[str, float]
) -> dict[str, tuple[np.ndarray, float]]:
    """Per channel: the field weight each document can earn (the fields it has, faq.index.presence)
    and what a complete document earns (every field the channel indexes, and sample questions)."""
    keys = (*DOC_FIELDS, "question_max")
    # what each of the 32 presence patterns earns, summed the same way for every pattern, so that a
    # complete document earns exactly what `complete` does (its scale is exactly 1)
    table = np.array([sum(field_weights[k] for b, k in enumerate(keys) if pattern >> b & 1) for pattern in range(32)])
    out = {}
    for c in channels:
        complete = sum(1 << b for b, k in enumerate(keys) if k == "question_max" or c in field_channels(channels, k))
        out[c] = (table[present[c]], float(table[complete]))
    return out


def coverage_scale(cov: dict[str, tuple[np.ndarray, float]], channel_weights: dict[str, float]) -> np.ndarray:
    """Per document: (what a complete document can earn) / (what this one can), under a query's channel
    weights. Scores become a weighted mean over the evidence a document has, so an entry without
    aliases or sample questions (most FAQ tables) is not capped below a complete one, and one abstention
    threshold holds across corpora. Exactly 1 for a document with every field."""
    earn = sum(channel_weights[c] * cov[c][0] for c in cov)
    full = sum(channel_weights[c] * cov[c][1] for c in cov)
    return np.divide(full, earn, out=np.ones_like(earn), where=earn > 0)


def effective_weights(weights: dict[str, float], words_comparable: bool) -> dict[str, float]:
    """Channel weights for one query. Unaccented, unrestored text cannot match accented words, so for such
    a query the word channel's share goes to the channels that can match it (folded syllables, char n-grams)."""
    rest = {c: w for c, w in weights.items() if c != "word"}
    if words_comparable or "word" not in weights or sum(rest.values()) <= 0:
        return weights
    total = sum(rest.values())
    return {c: rest.get(c, 0.0) / total for c in weights}


def _total(bonus: dict[str, np.ndarray]) -> float:
    """What a tie-break (`Searcher.tie_break`, channel -> per-term gains) adds to one document's score."""
    return sum(float(v.sum()) for v in bonus.values())


def asks_nothing(core: Sequence[str]) -> bool:
    """Whether a message whose own words, stop and framing words aside, are `core` asks nothing: none
    are left (`cho hỏi thủ tục`, `nộp ở đâu`, `chào anh công an`) or only single letters (`ok e cảm ơn`,
    `a ơi e hỏi`: `e` is `em`, `a` is `anh`, not the class E licence nor the e-visa a lone `e` would
    match). It is declined with no pretend topics, as `em cảm ơn` is; `bằng hạng e`, `b2` still ask."""
    return all(len(s) == 1 and s.isalpha() for s in core)


def discounted(best, penalty: float, referral_weight):
    """The best score lowered by the other-agency penalty, in the share due (Searcher.referral_weight);
    on floats for a query, on arrays for the tuner (faq.tuning), so both judge alike."""
    return best * (1.0 - penalty * referral_weight)


def likeness(gap: float, weight: float) -> float:
    """The confidence factor for a question's topic gap (`Topics.closest`): exp(-weight x gap), below 1
    when it is more like another agency's example than like any page, above 1 when less, 1 when off."""
    return math.exp(-weight * gap)


def _word_set(text: str) -> set[str]:
    """Folded syllables of a question, for telling two wordings of the same question apart from others."""
    return {fold(s) for s in syllables(normalize(text))}


def _summary(doc: Document) -> str:
    return doc.section("Tóm tắt") or (doc.sections[0].text if doc.sections else "")
