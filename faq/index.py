"""Build, save and load the TF-IDF index.

One TF-IDF space per analyzer channel: idf fitted by scikit-learn (TfidfTransformer, sublinear tf,
smoothed idf) on whole documents. Each field (title, aliases, questions, body) and each passage (sample
question, Q&A question, section) is an L2-normalised log-tf vector, the query an L2-normalised
log-tf x idf vector (SMART `lnc.ltc`): a term's idf counts once, not squared as when both sides carry
it. Against idf on both sides (`AnalyzerConfig.document_idf`), each tuned on dev: police dev acc@1
0.957 against 0.966, but the general FAQ set (corpus/eval/general) 0.647 against 0.630, that set with
a question column 0.877 against 0.857, and the police corpus loaded as answers alone 0.871 against
0.850: less fitted to one corpus's shape.

The vectors are stored term-major, like an inverted index: row = term, columns = the documents of each
field side by side (`postings`), and the question passages (`question_postings`), so a query touches
only its own terms' rows and its cost grows with those postings, not with the corpus. Values are
float32, positions int32.

Sections are kept as passages in the word and folded channels only, to show which section of an answer
matched; the character channel (off by default), the largest, indexes titles, aliases and sample
questions alone. Sections play no part in ranking, so they are stored the other way round
(`section_rows`: row = section): only the shown hits' sections are read, a handful of rows, instead of
every section's postings.

Saved as plain files (JSON, JSON lines and an uncompressed `.npz`), listed with their size, CRC-32 and
sha256 in `manifest.json`. Loading memory-maps them, verifies them (faq.storage remembers files that
passed) and executes nothing from them: no pickle, records decoded only when read. Queries are
vectorised with numpy (`vectorize`), with the formula scikit-learn used at build time (a test checks
they agree), so the query path never imports scikit-learn.

Building analyses each document once (`faq.analysis`), in parallel for large corpora, reusing the
analyses of unchanged documents from the previous build.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import mmap
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

import numpy as np

from faq import __version__, records
from faq.analyzer import Analyzer, Phrase, anchor_phrase
from faq.config import DOC_FIELDS, AnalyzerConfig, SearchConfig, analyzer_from_dict, analyzer_to_dict
from faq.corpus import MAX_BARE_TOPIC_WORDS, Document, Section, Source
from faq.errors import CorpusError, IndexError_
from faq.lexicon import Lexicon
from faq.postings import Postings
from faq.restore import Restorer
from faq.spelling import Speller, dictionary_syllables
from faq.storage import (
    build_lock,
    clean_stale_stages,
    map_verified,
    publish,
    read_npz,
    read_published,
    read_verified,
    record_verified,
    staging_dir,
    stat_key,
    try_lock,
    write_file,
)
from faq.text import fold, has_diacritics, syllables
from faq.topics import CHANNEL as TOPIC_CHANNEL
from faq.topics import Topics, build_topics

FORMAT = "faq-index"
# 20: documents keep their anchors (Document.anchors: read by confidence, never by the ranking);
# 19: the lexicon keeps danger_signs.tsv's `-` phrases, which tell of no danger (older code would show `-`);
# 18: the lexicon keeps danger_signs.tsv (emergency advice said before any answer, not read by ranking);
# 17: documents keep their `see_instead` pointers (shown under an answer, not indexed);
# 16: the lexicon keeps english_only.tsv, read in messages written in English (topic examples included);
# 15: the lexicon keeps english.tsv's forms, and the dictionary is kept for telling English messages too;
# 14: bare topics include aliases (alias_topics); 13: a lexicon phrase inside a longer one no longer expands
# (faq.analyzer), which the topic space's examples and messages are analysed with; 12: a second vector of
# each page with labelled messages in the topic space
FORMAT_VERSION = 20
SECTION_CHANNELS = ("word", "folded")  # channels that also hold section passages
REBUILD_HINT = "run `faq index build` (or `make index`)"


@dataclass(frozen=True)
class Passage:
    """A unit that can be shown as the matched text: a sample question, a Q&A entry or a section."""

    doc: int
    kind: str  # question | qa | example | section
    text: str  # what matched (the question, or the section heading)
    answer: str = ""  # for qa: its answer; for section: its text


@dataclass
class Index:
    """Passages are ordered: every question-like passage (doc order), then every section (doc order).

    Loaded from disk, `documents` and `passages` decode a record when it is read (faq.records); what
    ranking needs of every one of them (`doc_ids`, `passage_docs`, `question_passages`) is kept apart.
    """

    analyzer_config: AnalyzerConfig
    lexicon: Lexicon
    search_config: SearchConfig
    documents: Sequence[Document]
    passages: Sequence[Passage]
    vocab: dict[str, dict[str, int]]
    idf: dict[str, np.ndarray]
    postings: dict[str, Postings]  # channel -> terms x (fields * docs)
    question_postings: dict[str, Postings]  # channel -> terms x question passages (rows [0, Q) of `passages`)
    manifest: dict
    doc_ids: list[str]
    passage_docs: np.ndarray  # the document of each passage
    question_passages: int  # how many passages (the first ones) are sample questions or Q&A questions
    present: dict[str, np.ndarray]  # channel -> per document: bit f set when field f has terms, bit 4 questions
    # the coverage channel (`coverage_channel`) -> terms x documents, 1 where the term occurs in any
    # field: which documents hold a query's words, read in one gather (Searcher.term_coverage)
    doc_postings: dict[str, Postings] = field(default_factory=dict)
    # SECTION_CHANNELS -> section passages x terms (rows [Q, P) of `passages`, section-major)
    section_rows: dict[str, Postings] = field(default_factory=dict)
    dictionary: tuple[str, ...] = ()  # the language's syllables, to tell a typo from a word (faq.spelling)
    topics: Topics | None = None  # other agencies' subjects by likeness (faq.topics); None without examples
    # (phrase, document, its core) for every bare topic a document lists (Document.bare_topics), kept apart
    # from the documents and analysed at build time, so that a query decodes and analyses none of them
    # (Searcher.bare_topic; the core: faq.analyzer.Analyzer.core, as this index's analyzer reads the phrase)
    bare_topics: tuple[tuple[str, int, tuple[str, ...]], ...] = ()
    # per question passage, True for a labelled message (faq.examples): they rank pages but confidence
    # is the page's own text's (Searcher.score_vector); empty when the corpus has none
    examples: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # channel -> terms x documents: each page's sample questions and labelled messages as one field, what
    # ranking reads in place of the questions field (Searcher.score_vector); empty without messages
    asked: dict[str, Postings] = field(default_factory=dict)

    @property
    def channels(self) -> tuple[str, ...]:
        return self.analyzer_config.channels()

    def analyzer(self) -> Analyzer:
        """The analyzer that built this index; it segments queries into the index's own words and
        restores unaccented queries to them."""
        vocab = self.vocab.get("word", {})
        words = [t for t in vocab if "_" in t and " " not in t]
        restorer = self.restorer if self.analyzer_config.restore and vocab else None  # made on first need
        speller = self.speller if self.analyzer_config.repair and vocab else None  # likewise
        return Analyzer(
            self.analyzer_config,
            self.lexicon,
            query_words=words,
            restorer=restorer,
            speller=speller,
            dictionary=self.dictionary,
        )

    def restorer(self) -> Restorer:
        """Diacritic restoration from this index's word channel (faq.restore)."""
        return Restorer.from_frequencies(self.word_frequencies, self.lexicon.stopwords)

    def speller(self) -> Speller:
        """Typo repair towards this index's syllables (faq.spelling)."""
        pairs = self.vocab.get("folded", {})  # its keys: folded syllables and syllable pairs
        return Speller.from_frequencies(self.word_frequencies, self.lexicon.stopwords, self.dictionary, pairs)

    @functools.cached_property
    def word_frequencies(self) -> dict[str, int]:
        """Each word and word bigram: in how many document fields and passages it occurs (computed once:
        the restorer and the speller both start from it)."""
        questions = self.question_postings["word"]
        counts = np.diff(self.postings["word"].indptr) + np.diff(questions.indptr)
        if self.examples.any():  # the pages' own text alone: labelled messages (faq.examples) are not counted
            rows = np.repeat(np.arange(len(counts)), np.diff(questions.indptr))
            counts = counts - np.bincount(rows[self.examples[questions.indices]], minlength=len(counts))
        if "word" in self.section_rows:
            counts = counts + np.bincount(self.section_rows["word"].indices, minlength=len(counts))
        return {t: int(counts[i]) for t, i in self.vocab["word"].items()}


# ---------------------------------------------------------------- building


def vectorize(tokens: Sequence[str], vocab: dict[str, int], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sparse TF-IDF of a token list as (term indices, weights): sublinear tf, smoothed idf, L2 norm.

    Identical to scikit-learn's TfidfVectorizer(sublinear_tf=True) transform; unknown terms are dropped,
    and an all-unknown input gives an empty vector (which scores 0 everywhere).
    """
    counts = Counter(vocab[t] for t in tokens if t in vocab)
    if not counts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    idx = np.fromiter(sorted(counts), dtype=np.int64)
    tf = np.array([1.0 + math.log(counts[i]) for i in idx])
    weights = tf * idf[idx]
    return unit_length(idx, weights)


def unit_length(idx: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A sparse vector scaled to L2 norm 1 (a zero vector as it is): how every query vector is compared."""
    norm = np.sqrt(np.dot(weights, weights))
    return idx, weights / norm if norm > 0 else weights


def blend(
    with_terms: tuple[np.ndarray, np.ndarray], without: tuple[np.ndarray, np.ndarray], share: float
) -> tuple[np.ndarray, np.ndarray]:
    """`share` x the first sparse vector + (1 - share) x the second, L2-normalised, as (term indices,
    weights) with the indices ascending: a query with some of its terms counted for less
    (`SearchConfig.synonym_weight`)."""
    idx = np.union1d(with_terms[0], without[0]).astype(np.int64)
    weights = np.zeros(len(idx))
    weights[np.searchsorted(idx, with_terms[0])] += share * with_terms[1]
    weights[np.searchsorted(idx, without[0])] += (1.0 - share) * without[1]
    keep = weights > 0
    idx, weights = idx[keep], weights[keep]
    return unit_length(idx, weights)


def coverage_channel(channels: Sequence[str]) -> str:
    """The channel term coverage is read on: diacritic-free syllables, which accented and unaccented
    questions alike reach; the word channel when an index has none."""
    return "folded" if "folded" in channels else "word"


def _term_major(matrix) -> Postings:
    """rows x terms (scipy) -> terms x rows postings: float32 values, int32 positions, canonical order."""
    return Postings.from_csr(matrix.T.tocsr().astype(np.float32, copy=False))


def build_index(
    documents: Sequence[Document],
    analyzer_config: AnalyzerConfig,
    lexicon: Lexicon,
    search_config: SearchConfig,
    corpus_info: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> Index:
    """Analyse the documents (reusing cached analyses), fit idf per channel, fill the postings.

    Without `cache_dir` the counts go to a temporary directory. Channels are built one at a time, the
    largest first, each from its counts on disk, so memory holds one channel's counts at a time.

    A build holds `cache_dir` alone from reading its old counts to reading the new ones back: two
    builds that shared it (two `ask` processes finding the same edited corpus, a build beside `index
    watch`) interleaved their writes and published an index of one corpus's vocabulary over another's
    term ids, which no check could tell from a good one. A build that finds the cache busy analyses
    into a private directory instead: slower, never wrong, and it does not wait.
    """
    if cache_dir is not None:
        with try_lock(cache_dir / ".lock") as mine:
            if mine:
                return _build_index(
                    documents, analyzer_config, lexicon, search_config, corpus_info, progress, cache_dir, workers
                )
    with tempfile.TemporaryDirectory(prefix="faq-counts-") as tmp:
        return _build_index(
            documents, analyzer_config, lexicon, search_config, corpus_info, progress, Path(tmp), workers
        )


def _build_index(
    documents: Sequence[Document],
    analyzer_config: AnalyzerConfig,
    lexicon: Lexicon,
    search_config: SearchConfig,
    corpus_info: dict | None,
    progress: Callable[[int, int], None] | None,
    cache_dir: Path,
    workers: int | None,
) -> Index:
    """`build_index` with counts in `cache_dir`, which no other build uses meanwhile."""
    from scipy import sparse  # build time only, like scikit-learn: queries use numpy alone
    from sklearn.feature_extraction.text import TfidfTransformer

    from faq.analysis import count_documents, topic_analysis

    started = time.perf_counter()
    channels = analyzer_config.channels()
    counts, reused = count_documents(documents, analyzer_config, lexicon, cache_dir, progress, workers)
    stage_seconds = {"analysis": round(time.perf_counter() - started, 3)}

    # Passages: question-like ones in document order, then sections in document order.
    question_rows, section_rows, passages, sections, example_rows, example_docs = [], [], [], [], [], []
    for d, doc_passages in enumerate(counts.passages):
        first = int(counts.starts[d]) + len(DOC_FIELDS)
        for j, (kind, shown, answer) in enumerate(doc_passages):
            if kind == "example":
                example_rows.append(first + j)
                example_docs.append(d)
            if kind == "section":
                section_rows.append(first + j)
                sections.append(Passage(d, kind, shown, answer))
            else:
                question_rows.append(first + j)
                passages.append(Passage(d, kind, shown, answer))
    passages += sections

    t0 = time.perf_counter()
    vocab: dict[str, dict[str, int]] = {}
    idf: dict[str, np.ndarray] = {}
    postings: dict[str, Postings] = {}
    question_postings: dict[str, Postings] = {}
    section_postings: dict[str, Postings] = {}
    present: dict[str, np.ndarray] = {}
    doc_postings: dict[str, Postings] = {}
    asked: dict[str, Postings] = {}
    covering = coverage_channel(channels)
    n = len(documents)
    k = len(DOC_FIELDS)
    question_docs = np.array([p.doc for p in passages[: len(question_rows)]], dtype=np.int64)
    # Document d's whole text is the sum of its field rows f * n + d: one sparse product (idf is fitted on it).
    owner = sparse.csr_matrix(
        (
            np.ones(k * n, dtype=np.float32),
            np.add.outer(np.arange(n), np.arange(k) * n).ravel(),
            np.arange(0, k * n + 1, k),
        ),
        shape=(n, k * n),
    )
    for c in sorted(channels, key=lambda c: -counts.entries[c]):  # the largest first: less held meanwhile
        rows, terms = counts.matrix(c), counts.vocab[c]
        if example_rows:
            rows, terms = page_terms(rows, terms, np.array(example_rows))
        fields = rows[np.concatenate([counts.field_rows(f) for f in DOC_FIELDS])]  # field-major: f * n + d
        question_part = rows[np.array(question_rows, dtype=np.int64)]
        section_part = rows[np.array(section_rows, dtype=np.int64)] if c in SECTION_CHANNELS else None
        asked_part = asked_counts(rows, counts.field_rows("questions"), example_rows, example_docs)
        del rows
        present[c] = presence(np.diff(fields.indptr) > 0, np.diff(question_part.indptr) > 0, question_docs, n)
        whole = owner @ fields
        if whole.nnz == 0:  # e.g. character n-grams of answers without titles or questions: nothing to match
            vocab[c], idf[c] = {}, np.zeros(0)
            postings[c], question_postings[c] = Postings.empty(0, k * n), Postings.empty(0, len(question_rows))
            if c == covering:
                doc_postings[c] = Postings.empty(0, n)
            if section_part is not None:
                section_postings[c] = Postings.empty(len(section_rows))
            del fields, question_part, section_part, whole
            continue
        if c == covering:  # 1 where a term occurs in any field of the document
            doc_postings[c] = _term_major(whole.sign())
        fitted = TfidfTransformer(sublinear_tf=True, norm="l2", smooth_idf=True).fit(whole)
        # Documents are stored as log-tf vectors and idf weighs the query alone (see module doc), unless
        # the configuration asks for idf on both sides.
        transformer = (
            fitted if analyzer_config.document_idf else TfidfTransformer(sublinear_tf=True, use_idf=False).fit(whole)
        )
        del whole
        vocab[c] = {t: i for i, t in enumerate(terms)}
        idf[c] = np.asarray(fitted.idf_, dtype=np.float64)
        postings[c] = _term_major(transformer.transform(fields, copy=False))  # in place: no second copy
        del fields
        if asked_part is not None:
            asked[c] = _term_major(transformer.transform(asked_part, copy=False))
            del asked_part
        if question_part.shape[0]:
            question_postings[c] = _term_major(transformer.transform(question_part, copy=False))
        else:  # e.g. a FAQ file of answers without questions: no sample questions in this channel
            question_postings[c] = Postings.empty(len(terms))
        del question_part
        if section_part is not None:  # row = section, as it comes
            matrix = transformer.transform(section_part, copy=False).astype(np.float32, copy=False).tocsr()
            section_postings[c] = Postings.from_csr(matrix)
            del matrix, section_part
    if not any(vocab.values()):
        raise CorpusError("the corpus yields no indexable words (is the text empty?)")
    stage_seconds["matrices"] = round(time.perf_counter() - t0, 3)

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 3),
        "build_stages": stage_seconds,
        "analyses_reused": reused,
        "versions": _versions(),
        "corpus": corpus_info or {},
        "documents": len(documents),
        "passages": len(passages),
        "vocabulary": {c: len(vocab[c]) for c in channels},
        "analyzer": analyzer_to_dict(analyzer_config),
        "search": search_config.to_dict(),
    }
    index = Index(
        analyzer_config,
        lexicon,
        search_config,
        list(documents),
        passages,
        vocab,
        idf,
        postings,
        question_postings,
        manifest,
        [d.id for d in documents],
        np.array([p.doc for p in passages], dtype=np.int64),
        len(question_rows),
        {c: present[c] for c in channels},
        doc_postings,
        section_postings,
        dictionary_syllables() if analyzer_config.repair or lexicon.english else (),
    )
    if example_rows:
        index.examples = np.array([p.kind == "example" for p in passages[: len(question_rows)]], dtype=bool)
        index.asked = asked
    if any(d.bare_topics or d.aliases for d in documents):
        analyzer = index.analyzer()
        listed = tuple((t, i, analyzer.text_core(t)) for i, d in enumerate(documents) for t in d.bare_topics)
        _check_bare_topics(listed, documents)
        index.bare_topics = listed + alias_topics(documents, analyzer.text_core, listed)
    examples = lexicon.topic_examples()
    if examples and TOPIC_CHANNEL in channels:
        analyze = topic_analysis(analyzer_config, lexicon, TOPIC_CHANNEL)
        index.topics = build_topics(analyze, examples, documents)
    return index


QUESTIONS_BIT = len(DOC_FIELDS)  # in `presence`: the document has sample questions in the channel


def page_terms(rows, terms: Sequence[str], example_rows: np.ndarray):
    """(rows, terms) kept to the terms the pages' own text uses. Labelled messages (faq.examples) are
    citizens' text: a typo, an unaccented word or teencode in one of them, taken into the vocabulary,
    would become a word that typo repair and diacritic restoration (built from the vocabulary) take as
    right, and a query term that weighs in the query's vector while matching one message."""
    others = np.setdiff1d(np.arange(rows.shape[0]), example_rows)
    keep = np.flatnonzero(rows[others].getnnz(axis=0) > 0)
    if len(keep) == len(terms):
        return rows, terms
    return rows[:, keep].tocsr(), [terms[i] for i in keep]


def asked_counts(rows, question_fields: np.ndarray, example_rows: Sequence[int], example_docs: Sequence[int]):
    """Each document's questions field with its labelled messages added (documents x terms counts), or
    None without messages: the field ranking reads, while confidence reads the questions field alone."""
    if not example_rows:
        return None
    from scipy import sparse

    owner = sparse.csr_matrix(
        (np.ones(len(example_rows), dtype=np.float32), (np.asarray(example_docs), np.arange(len(example_rows)))),
        shape=(len(question_fields), len(example_rows)),
    )
    return (rows[question_fields] + owner @ rows[np.asarray(example_rows)]).tocsr()


def presence(field_rows: np.ndarray, question_rows: np.ndarray, question_docs: np.ndarray, n: int) -> np.ndarray:
    """Per document, which of its fields hold terms (bit f, from the field-major `field_rows` flags) and
    whether any of its sample questions does (bit QUESTIONS_BIT): what faq.search.coverage reads."""
    bits = np.zeros(n, dtype=np.uint8)
    for f in range(len(DOC_FIELDS)):
        bits |= field_rows[f * n : (f + 1) * n].astype(np.uint8) << f
    asked = np.zeros(n, dtype=bool)
    asked[question_docs[question_rows]] = True
    return bits | (asked.astype(np.uint8) << QUESTIONS_BIT)


def _versions() -> dict[str, str]:
    out = {"faq": __version__}
    for pkg in ("underthesea", "scikit-learn", "numpy", "scipy"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "unknown"
    return out


# ---------------------------------------------------------------- saving and loading


def _doc_to_json(doc: Document) -> dict:
    return asdict(doc)


def _doc_from_json(data: dict) -> Document:
    return Document(
        **{
            **data,
            "aliases": tuple(data["aliases"]),
            "bare_topics": tuple(data.get("bare_topics", ())),  # none in an index built before they existed
            "examples": tuple(data.get("examples", ())),
            "questions": tuple(data["questions"]),
            "sections": tuple(Section(**s) for s in data["sections"]),
            "qas": tuple((q, a) for q, a in data["qas"]),
            "sources": tuple(Source(**s) for s in data["sources"]),
            "see_instead": tuple((w, p) for w, p in data["see_instead"]),
            "anchors": tuple(data["anchors"]),
        }
    )


def _store(arrays: dict[str, np.ndarray], name: str, m: Postings) -> None:
    arrays[f"{name}.data"] = m.data
    arrays[f"{name}.indices"] = m.indices
    arrays[f"{name}.indptr"] = m.indptr
    arrays[f"{name}.shape"] = np.array(m.shape, dtype=np.int64)


def _artifacts(index: Index) -> dict[str, Callable[[BinaryIO], object]]:
    """Every artifact file of an index, as a function that writes it (streamed: no second copy in memory)."""
    arrays: dict[str, np.ndarray] = {"passages.doc": index.passage_docs.astype(np.int32)}
    for c in index.channels:
        arrays[f"idf.{c}"] = index.idf[c]
        arrays[f"{c}.present"] = index.present[c]
        named = [(f"{c}.postings", index.postings[c]), (f"{c}.questions", index.question_postings[c])]
        if c in index.doc_postings:
            named.append((f"{c}.docs", index.doc_postings[c]))
        if c in index.section_rows:
            named.append((f"{c}.sections", index.section_rows[c]))
        for name, m in named:
            _store(arrays, name, m)
    if index.examples.any():
        arrays["passages.example"] = index.examples
        for c, m in index.asked.items():
            _store(arrays, f"{c}.asked", m)
    topics = index.topics
    if topics is not None:
        arrays["topics.idf"] = topics.idf
        _store(arrays, "topics.examples", topics.examples)
        _store(arrays, "topics.pages", topics.pages)
    vocab = {c: sorted(index.vocab[c], key=index.vocab[c].get) for c in index.channels}

    def js(obj: object) -> Callable[[BinaryIO], object]:
        return lambda fh: fh.write(json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8"))

    def lines(items: Iterable[object], name: str) -> Callable[[BinaryIO], object]:
        def write(fh: BinaryIO) -> None:  # remembers where each line ends, for `arrays.npz` (written last)
            arrays[f"{name}.ends"] = records.write_lines(fh, records.encode_lines(items))

        return write

    return {
        "vocabulary.json": js(vocab),
        "ids.json": js(
            {
                "documents": index.doc_ids,
                "question_passages": index.question_passages,
                "bare_topics": [[t, d, list(core)] for t, d, core in index.bare_topics],
            }
        ),
        "documents.jsonl": lines((_doc_to_json(d) for d in index.documents), "documents"),
        "passages.jsonl": lines(
            ({"doc": p.doc, "kind": p.kind, "text": p.text, "answer": p.answer} for p in index.passages), "passages"
        ),
        "lexicon.json": js(index.lexicon.to_dict()),
        "dictionary.json": js(list(index.dictionary)),
        # the examples themselves are the lexicon's (lexicon.json), in the order of the matrix's columns
        "topics.json": js(sorted(topics.vocab, key=topics.vocab.get) if topics is not None else None),
        "arrays.npz": lambda fh: np.savez(fh, **arrays),  # last: it holds the record ends found above
    }


def save_index(index: Index, target: Path, lock_wait: float | None = None) -> None:
    """Write the index beside `target`, then publish it atomically (see faq.storage).

    Waits up to `lock_wait` seconds (default faq.storage.LOCK_WAIT_SECONDS) for another build of `target`.
    """
    with build_lock(target, lock_wait):
        clean_stale_stages(target)
        stage = staging_dir(target)
        manifest = dict(index.manifest)
        manifest["files"] = {name: write_file(stage / name, write) for name, write in _artifacts(index).items()}
        write_file(stage / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
        # the CRCs were computed from the files as written: loads need not read them again (faq.storage)
        record_verified(
            stage, {name: stat_key(os.stat(stage / name)) for name in [*manifest["files"], "manifest.json"]}
        )
        publish(stage, target)
        index.manifest = manifest


def read_manifest(directory: Path) -> dict:
    """The manifest, checked for format and version; IndexError_ with the fix otherwise."""
    path = directory / "manifest.json"
    if not path.exists():
        raise IndexError_(f"no index at {directory}; {REBUILD_HINT}")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexError_(f"index manifest {path} is unreadable or corrupt ({exc}); {REBUILD_HINT}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise IndexError_(f"{directory} does not hold a faq index (foreign format); {REBUILD_HINT}")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise IndexError_(
            f"index {directory} has format version {version}, newer than this program reads ({FORMAT_VERSION}); "
            f"upgrade the program or {REBUILD_HINT}"
        )
    if version < FORMAT_VERSION:
        raise IndexError_(f"index {directory} has old format version {version}; {REBUILD_HINT}")
    return manifest


def _verified(
    directory: Path, files: dict, names: Sequence[str]
) -> tuple[dict[str, bytes | mmap.mmap], set[str], dict[str, list[int]] | None]:
    """Every named file, size- and CRC-checked, except files checked before and untouched since
    (faq.storage.VERIFIED): at 100,000 entries the CRC is most of a cold start's load time.
    Also returns the names checked now, and the record to write then (None when none was):
    `_load_build` writes it once every other check passed too, so a file skipped later passed them all."""
    known = read_verified(directory)
    try:  # a publish may have deleted this build since its manifest was read: a one-line error to retry on
        manifest_key = stat_key(os.stat(directory / "manifest.json"))
    except OSError as exc:
        raise IndexError_(f"index file {directory / 'manifest.json'} is missing or unreadable; {REBUILD_HINT}") from exc
    if known.get("manifest.json") != manifest_key:  # checked against another manifest: check again
        known = {}
    out: dict[str, bytes | mmap.mmap] = {}
    checked: dict[str, list[int]] = {}
    for name in names:
        path = directory / name
        try:
            out[name], stat = map_verified(path, files[name].get("size"), files[name].get("crc32"), known.get(name))
        except OSError as exc:
            raise IndexError_(f"index file {path} is missing or unreadable; {REBUILD_HINT}") from exc
        except ValueError as exc:
            raise IndexError_(f"index file {path} is corrupt ({exc}); {REBUILD_HINT}") from exc
        if stat is not None:
            checked[name] = stat
    return out, set(checked), ({**known, **checked, "manifest.json": manifest_key} if checked else None)


def load_index(directory: Path) -> Index:
    """Load and verify an index. Any inconsistency is refused with a one-line IndexError_."""
    return read_published(directory, _load_build)


def _load_build(directory: Path) -> Index:
    """Load one build directory (`load_index` picks it and retries when a publish replaces it)."""
    manifest = read_manifest(directory)
    files = manifest.get("files")
    needed = (
        "arrays.npz",
        "vocabulary.json",
        "ids.json",
        "documents.jsonl",
        "passages.jsonl",
        "lexicon.json",
        "dictionary.json",
        "topics.json",
    )
    if not isinstance(files, dict) or any(n not in files for n in needed):
        raise IndexError_(f"index manifest in {directory} lists no or incomplete files; {REBUILD_HINT}")
    if not all(isinstance(files[n], dict) for n in needed):
        raise IndexError_(f"index manifest in {directory} lists files of the wrong shape; {REBUILD_HINT}")
    raw, checked_now, stamp = _verified(directory, files, needed)
    try:
        analyzer_config = analyzer_from_dict(manifest["analyzer"])
        search_config = SearchConfig.from_dict(manifest["search"])
        lexicon = Lexicon.from_dict(json.loads(raw["lexicon.json"][:]))
        arrays = read_npz(raw["arrays.npz"])
        # where each record ends, stored by the build (an index built before they were is scanned instead)
        documents = records.Records(
            raw["documents.jsonl"],
            _doc_from_json,
            f"index {directory}: documents",
            REBUILD_HINT,
            arrays.get("documents.ends"),
        )
        passages = records.Records(
            raw["passages.jsonl"],
            lambda p: Passage(**p),
            f"index {directory}: passages",
            REBUILD_HINT,
            arrays.get("passages.ends"),
        )
        ids = json.loads(raw["ids.json"][:])
        doc_ids, questions = [str(i) for i in ids["documents"]], int(ids["question_passages"])
        bare_topics = _bare_topics(ids.get("bare_topics", []), len(doc_ids))
        vocab_lists = json.loads(raw["vocabulary.json"][:])
        channels = analyzer_config.channels()
        vocab = {c: {t: i for i, t in enumerate(vocab_lists[c])} for c in channels}
        idf = {c: arrays[f"idf.{c}"] for c in channels}

        def mat(name: str) -> Postings:
            rows, cols = (int(x) for x in arrays[f"{name}.shape"])
            postings = Postings(
                np.asarray(arrays[f"{name}.data"], dtype=np.float32),
                np.asarray(arrays[f"{name}.indices"], dtype=np.int32),
                np.asarray(arrays[f"{name}.indptr"], dtype=np.int64),
                (rows, cols),
            )
            problem = postings.check() if "arrays.npz" in checked_now else None
            if problem:
                raise ValueError(f"{name}: {problem}")
            return postings

        postings = {c: mat(f"{c}.postings") for c in channels}
        question_postings = {c: mat(f"{c}.questions") for c in channels}
        section_rows = {c: mat(f"{c}.sections") for c in channels if c in SECTION_CHANNELS}
        covering = coverage_channel(channels)
        doc_postings = {covering: mat(f"{covering}.docs")}
        present = {c: np.asarray(arrays[f"{c}.present"], dtype=np.uint8) for c in channels}
        passage_docs = np.asarray(arrays["passages.doc"], dtype=np.int64)
        dictionary = json.loads(raw["dictionary.json"][:])
        if not isinstance(dictionary, list) or not all(isinstance(w, str) for w in dictionary):
            raise ValueError("dictionary.json holds no list of syllables")
        dictionary = tuple(dictionary)
        examples = np.asarray(arrays["passages.example"] if "passages.example" in arrays else [], dtype=bool)
        asked = {c: mat(f"{c}.asked") for c in channels} if len(examples) else {}
        # the topic space has a column per page and one more per page with labelled messages (faq.topics)
        question_docs = passage_docs[:questions]
        with_messages = len(np.unique(question_docs[examples])) if len(examples) == len(question_docs) else 0
        topics = _topics(json.loads(raw["topics.json"][:]), arrays, mat, lexicon, len(doc_ids) + with_messages)
    except (AttributeError, KeyError, RecursionError, TypeError, ValueError) as exc:  # JSON of the wrong shape
        raise IndexError_(f"index {directory} is inconsistent ({exc}); {REBUILD_HINT}") from exc
    if not (len(documents) == len(doc_ids) == manifest.get("documents")) or not (
        len(passages) == len(passage_docs) == manifest.get("passages") and 0 <= questions <= len(passages)
    ):
        raise IndexError_(f"index {directory}: documents or passages do not match the manifest; {REBUILD_HINT}")
    if len(passage_docs) and (
        np.any(np.diff(passage_docs[:questions]) < 0)
        or np.any(np.diff(passage_docs[questions:]) < 0)
        or passage_docs.min() < 0
        or passage_docs.max() >= len(doc_ids)
    ):
        raise IndexError_(f"index {directory}: passages are out of order; {REBUILD_HINT}")
    for c in channels:
        if postings[c].shape != (len(vocab[c]), len(DOC_FIELDS) * len(documents)):
            raise IndexError_(f"index {directory}: postings of channel {c} have the wrong shape; {REBUILD_HINT}")
        if len(present[c]) != len(doc_ids) or (len(present[c]) and present[c].max() >> (QUESTIONS_BIT + 1)):
            raise IndexError_(f"index {directory}: field presence of channel {c} is inconsistent; {REBUILD_HINT}")
        if question_postings[c].shape != (len(vocab[c]), questions) or len(idf[c]) != len(vocab[c]):
            raise IndexError_(f"index {directory}: questions of channel {c} have the wrong shape; {REBUILD_HINT}")
        if c in section_rows and section_rows[c].shape != (len(passages) - questions, len(vocab[c])):
            raise IndexError_(f"index {directory}: sections of channel {c} have the wrong shape; {REBUILD_HINT}")
        if c in doc_postings and doc_postings[c].shape != (len(vocab[c]), len(documents)):
            raise IndexError_(
                f"index {directory}: document postings of channel {c} have the wrong shape; {REBUILD_HINT}"
            )
    if len(examples) not in (0, questions) or any(m.shape != (len(vocab[c]), len(documents)) for c, m in asked.items()):
        raise IndexError_(f"index {directory}: labelled messages do not match the passages; {REBUILD_HINT}")
    if stamp:
        record_verified(directory, stamp)
    return Index(
        analyzer_config,
        lexicon,
        search_config,
        documents,
        passages,
        vocab,
        idf,
        postings,
        question_postings,
        manifest,
        doc_ids,
        passage_docs,
        questions,
        present,
        doc_postings,
        section_rows,
        dictionary,
        topics,
        bare_topics,
        examples,
        asked,
    )


def alias_topics(
    documents: Sequence[Document],
    core_of: Callable[[str], tuple[str, ...]],
    listed: Sequence[tuple[str, int, tuple[str, ...]]],
) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """Each page's aliases as bare topics of it (`Searcher.bare_topic`): a maintainer who gives a page
    the alias `mộc đỏ`, `PA05` or `18001096` means that a message saying only that is about the page,
    yet two words match too little of a page's text to clear the threshold. Left out: an alias whose
    core (`faq.analyzer.Analyzer.core`) is empty, longer than a bare topic may be, a listed bare topic's,
    or another page's alias's (`114` for the fire service and for the hotlines): no page can claim it;
    and one whose core is a single syllable written with diacritics (`làm ồn` reads as `on`, which is
    also `ổn`, fine): cores compare without diacritics, and one such syllable has too many namesakes."""
    taken = {core for _, _, core in listed}
    owners: dict[tuple[str, ...], set[int]] = {}
    first: dict[tuple[str, ...], str] = {}
    for i, d in enumerate(documents):
        for alias in d.aliases:
            core = core_of(alias)
            if core and len(core) <= MAX_BARE_TOPIC_WORDS and not _one_accented(alias, core):
                owners.setdefault(core, set()).add(i)
                first.setdefault(core, alias)
    claimed = [(core, pages) for core, pages in owners.items() if len(pages) == 1 and core not in taken]
    return tuple((first[core], min(pages), core) for core, pages in claimed)


def _one_accented(phrase: str, core: tuple[str, ...]) -> bool:
    """Whether a phrase's core is one syllable that the phrase writes with diacritics."""
    return len(core) == 1 and any(has_diacritics(w) for w in syllables(phrase) if fold(w.lower()) == core[0])


def anchor_phrases(documents: Sequence[Document]) -> tuple[dict[int, tuple[Phrase, ...]], int]:
    """The pages' anchors (`Document.anchors`) as `Analyzer.named_anchors` reads them, by page number, and
    the most syllables any of them has: made once, for the searcher and for the build's check alike."""
    table = {d: tuple(anchor_phrase(a) for a in doc.anchors) for d, doc in enumerate(documents) if doc.anchors}
    return table, max((len(w) for phrases in table.values() for w, _ in phrases), default=0)


def check_anchors(documents: Sequence[Document], analyzer: Analyzer) -> None:
    """Every sample question of a page with anchors names one of them, read as a message is (`analyzer`:
    the index's, lexicon included): a page's own questions are what it answers, so anchors they lack are
    too narrow and would lower the confidence of those very questions (`Searcher.anchor_factor`). Refuse
    the build from a corpus, naming each question (ablations, built without the lexicon, are not held to it)."""
    table, longest = anchor_phrases(documents)
    problems = []
    for d, phrases in table.items():
        doc = documents[d]
        for q in doc.questions:
            if not analyzer.named_anchors(analyzer.prepare(q, query=True), {d: phrases}, longest):
                problems.append(f"{doc.path}: sample question {q!r} names none of the page's anchors; add one")
    if problems:
        raise CorpusError(f"{len(problems)} problem(s) with the anchors", problems)


def _check_bare_topics(bare: Sequence[tuple[str, int, tuple[str, ...]]], documents: Sequence[Document]) -> None:
    """Two pages' bare topics that read the same once stop and framing words are set aside (`thủ tục tạm
    trú` and `tạm trú`) cannot both come first: refuse the build, naming both, as `corpus check` does for
    the same phrase written twice (it cannot tell these apart: the lexicon decides what they read as)."""
    seen: dict[tuple[str, ...], tuple[str, int]] = {}
    problems = []
    for phrase, d, core in bare:
        other = seen.setdefault(core, (phrase, d))
        if core and other[1] != d:
            problems.append(
                f"{documents[d].path}: bare topic {phrase!r} reads as {other[0]!r} of `{documents[other[1]].id}` "
                "once stop and framing words are set aside; keep it on one page"
            )
    if problems:
        raise CorpusError(f"{len(problems)} problem(s) with the bare topics", problems)


def _bare_topics(items: object, documents: int) -> tuple[tuple[str, int, tuple[str, ...]], ...]:
    """`ids.json`'s bare topics, checked: (phrase, document the index has, core syllables)."""
    if not isinstance(items, list) or not all(
        isinstance(t, list)
        and len(t) == 3
        and isinstance(t[0], str)
        and type(t[1]) is int
        and 0 <= t[1] < documents
        and isinstance(t[2], list)
        and all(isinstance(s, str) for s in t[2])
        for t in items
    ):
        raise ValueError("ids.json holds bare topics of the wrong shape")
    return tuple((t[0], t[1], tuple(t[2])) for t in items)


def _topics(
    terms: list | None, arrays, mat: Callable[[str], Postings], lexicon: Lexicon, page_columns: int
) -> Topics | None:
    """The topic space as saved (`topics.json`, the `topics.*` arrays, the lexicon's examples), checked;
    `page_columns`: the pages' columns it must have (`Topics.pages`)."""
    if terms is None:
        return None
    examples = lexicon.topic_examples()
    if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
        raise ValueError("topics.json holds no vocabulary of strings")
    matrix, pages, idf = mat("topics.examples"), mat("topics.pages"), np.asarray(arrays["topics.idf"])
    shapes = (matrix.shape, pages.shape, len(idf))
    if shapes != ((len(terms), len(examples)), (len(terms), page_columns), len(terms)):
        raise ValueError("topics: arrays do not match the vocabulary, the lexicon's examples or the documents")
    who, text = zip(*examples, strict=True) if examples else ((), ())
    return Topics({t: i for i, t in enumerate(terms)}, idf, matrix, pages, tuple(who), tuple(text))
