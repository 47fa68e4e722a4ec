"""Analyse documents for indexing: term counts per channel, for every field and passage of every document.

The result (`CorpusCounts`) is one sparse count matrix per channel whose rows are, document after
document, its four fields (title, aliases, questions, body) and then its passages. It lives on disk
(`<index dir>/../.cache/analysis-<settings>/`, one set of arrays per channel), so a build holds one
channel's counts in memory at a time, and it is the analysis cache: keyed by a hash of each
document's content and of the analyzer configuration and lexicon, so editing one document
re-analyses that document only and unchanged rows are copied as arrays, without touching their strings.

Segmentation is the costly step (underthesea, milliseconds a sentence), so besides the cache:
- large batches are analysed by a pool of worker processes, one per core;
- the analyzer remembers segmented sentences, which corpora repeat; one analyzer lives as long as
  the process, so `faq index watch` re-segments only the sentences an edit changed.
The cache is only a cache: an unreadable, corrupt or foreign one is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from faq.analyzer import Analyzer
from faq.config import DOC_FIELDS, AnalyzerConfig, analyzer_to_dict, field_channels
from faq.corpus import Document
from faq.lexicon import Lexicon

CACHE_VERSION = 4  # 4: normalize drops accents Vietnamese does not use
PARALLEL_MIN_DOCUMENTS = 64  # below this a worker pool costs more than it saves

Counts = dict[str, int]


@dataclass
class DocAnalysis:
    """Token counts of one document: per channel and field, and per passage per channel.

    passages: (kind, text shown as matched, answer, {channel: counts}) for each sample question,
    Q&A question (kind `question` / `qa`), labelled message (`example`) and section (kind `section`).
    """

    fields: dict[str, dict[str, Counts]]
    passages: list[tuple[str, str, str, dict[str, Counts]]]


def units(doc: Document) -> list[tuple[str, str, str, str, str]]:
    """(field or '', passage kind or '', text analysed, text shown, answer) for every analysed piece of a
    document: a piece with no field is a passage alone."""
    out = [("title", "", doc.title, "", "")]
    out += [("aliases", "", a, "", "") for a in doc.aliases]
    out += [("questions", "question", q, q, "") for q in doc.questions]
    out += [("questions", "qa", q, q, a) for q, a in doc.qas]
    # Labelled messages (faq.examples) are passages, matched one by one as sample questions are
    # (`question_max`), in no field: the fields, what confidence is read from, stay the page's own. The
    # index also sums them into the questions field's counts for ranking alone (`Index.asked`).
    out += [("", "example", q, q, "") for q in doc.examples]
    if doc.agency:
        out.append(("body", "", doc.agency, "", ""))
    for s in doc.sections:
        if s.heading == "Hỏi đáp":
            out += [("body", "", a, "", "") for _, a in doc.qas]
        else:  # a procedure's headings (Lệ phí, Hồ sơ…) are words citizens use; a FAQ row's is not
            analysed = f"{s.heading}\n{s.text}" if doc.kind != "faq" else s.text
            out.append(("body", "section", analysed, s.heading, s.text))
    return out


def analyse_document(doc: Document, analyzer: Analyzer) -> DocAnalysis:
    channels = analyzer.config.channels()
    fields: dict[str, dict[str, Counter[str]]] = {c: {f: Counter() for f in DOC_FIELDS} for c in channels}
    passages = []
    for field, kind, text, shown, answer in units(doc):
        wanted = field_channels(channels, field or "questions")  # a passage alone is read as a question
        tokens = analyzer.analyze(text, channels=wanted)
        for c in wanted if field else ():
            fields[c][field].update(tokens[c])
        if kind:
            passages.append((kind, shown, answer, {c: dict(Counter(tokens.get(c, ()))) for c in channels}))
    return DocAnalysis({c: {f: dict(v) for f, v in per.items()} for c, per in fields.items()}, passages)


def document_key(doc: Document) -> str:
    """Hash of everything in a document that analysis reads (not where its file lives)."""
    data = asdict(doc)
    data.pop("path", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# ---------------------------------------------------------------- analysing many documents

_worker_analyzer: Analyzer | None = None
_process_analyzer: tuple[str, Analyzer] | None = None


def _analyzer_for(config: AnalyzerConfig, lexicon: Lexicon) -> tuple[str, Analyzer]:
    """One analyzer per process and settings, with the settings' cache name. A long-lived process
    (`faq index watch`) keeps its segmentation memo, so re-analysing an edited document segments only
    its changed sentences."""
    global _process_analyzer
    key = _cache_name(config, lexicon)
    if _process_analyzer is None or _process_analyzer[0] != key:
        _process_analyzer = (key, Analyzer(config, lexicon))
    return _process_analyzer


TOPIC_MEMO_SIZE = 20_000  # example questions' tokens remembered per process (faq.topics)
_topic_memo: dict[tuple[str, str], list[str]] = {}


def topic_analysis(config: AnalyzerConfig, lexicon: Lexicon, channel: str) -> Callable[[str, bool], list[str]]:
    """`analyze(text, query)`: a text's tokens in `channel`, by the process's analyzer for these settings,
    for `faq.topics`. Without typo repair, which would tie an example to one index's words; so an
    example's tokens depend on the settings alone and are remembered: a long-lived process (`faq index
    watch`) rebuilding after an edit does not analyse the lexicon's examples again."""
    key, analyzer = _analyzer_for(config, lexicon)

    def analyze(text: str, query: bool) -> list[str]:
        if not query:
            return analyzer.analyze(text, query=False, channels=[channel])[channel]
        tokens = _topic_memo.get((key, text))
        if tokens is None:
            if len(_topic_memo) >= TOPIC_MEMO_SIZE:
                _topic_memo.clear()
            tokens = _topic_memo[(key, text)] = analyzer.analyze(text, query=True, channels=[channel])[channel]
        return tokens

    return analyze


def _init_worker(config: AnalyzerConfig, lexicon: Lexicon) -> None:
    global _worker_analyzer
    _worker_analyzer = Analyzer(config, lexicon)


def _analyse_in_worker(doc: Document) -> DocAnalysis:
    assert _worker_analyzer is not None
    return analyse_document(doc, _worker_analyzer)


def iter_analyses(
    documents: Sequence[Document],
    config: AnalyzerConfig,
    lexicon: Lexicon,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    already: int = 0,
    total: int | None = None,
) -> Iterator[DocAnalysis]:
    """Analyses of `documents`, in order, as they are ready; a process pool for large batches."""
    total = total if total is not None else len(documents)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(documents) >= PARALLEL_MIN_DOCUMENTS:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with context.Pool(workers, _init_worker, (config, lexicon)) as pool:
            chunk = max(1, min(64, len(documents) // (workers * 8)))
            yield from _reported(pool.imap(_analyse_in_worker, documents, chunk), already, total, progress)
        return
    _, analyzer = _analyzer_for(config, lexicon)
    yield from _reported((analyse_document(d, analyzer) for d in documents), already, total, progress)


def _reported(
    analyses: Iterable[DocAnalysis], done: int, total: int, progress: Callable[[int, int], None] | None
) -> Iterator[DocAnalysis]:
    """The analyses, calling `progress(done, total)` after each."""
    for analysis in analyses:
        done += 1
        if progress:
            progress(done, total)
        yield analysis


def analyse_documents(
    documents: Sequence[Document],
    config: AnalyzerConfig,
    lexicon: Lexicon,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> list[DocAnalysis]:
    """Analyses of `documents`, in order (for baselines that need the tokens themselves)."""
    return list(iter_analyses(documents, config, lexicon, progress, workers))


# ---------------------------------------------------------------- corpus counts (and the cache)
#
# Counts live on disk, one directory per analyzer configuration and lexicon:
#   meta.json                      keys, passages shown, vocabulary (sorted) per channel, arrays' sizes
#   starts.npy                     first row of each document
#   <channel>.{data,indices,indptr}.npy   its count matrix (rows x vocabulary) in CSR form
# A build reads one channel's matrix at a time, so memory holds one channel, not the corpus's every
# count (at 100,000 FAQ entries the counts of all channels are ~0.8 GB).

Rows = tuple[np.ndarray, np.ndarray, np.ndarray]  # term ids, counts, row lengths (of one document)


@dataclass
class CorpusCounts:
    """Term counts of a corpus, one row per field and passage, stored in `directory`.

    Document d owns rows starts[d] .. starts[d+1]: its 4 fields, then its passages.
    passages[d]: (kind, shown, answer) of each of its passages.
    """

    directory: Path
    keys: list[str]
    starts: np.ndarray
    passages: list[list[tuple[str, str, str]]]
    vocab: dict[str, list[str]]
    entries: dict[str, int]  # stored counts per channel

    def matrix(self, channel: str) -> sparse.csr_matrix:
        """The channel's count matrix, read into memory (float32 counts, int32 term ids)."""
        data, indices, indptr = (
            np.load(self.directory / f"{channel}.{p}.npy", allow_pickle=False) for p in ("data", "indices", "indptr")
        )
        return sparse.csr_matrix((data, indices, indptr), shape=(int(self.starts[-1]), len(self.vocab[channel])))

    def field_rows(self, field: str) -> np.ndarray:
        """The row of `field` for every document."""
        return self.starts[:-1] + DOC_FIELDS.index(field)


def _cache_name(config: AnalyzerConfig, lexicon: Lexicon) -> str:
    key = json.dumps([CACHE_VERSION, analyzer_to_dict(config), lexicon.to_dict()], sort_keys=True, ensure_ascii=False)
    return f"analysis-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def open_counts(directory: Path, channels: Sequence[str], mmap: bool = False) -> CorpusCounts | None:
    """The counts in `directory` if they are whole and consistent, else None (the cache is only a cache)."""
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        starts = np.load(directory / "starts.npy", allow_pickle=False)
        passages = [[tuple(p) for p in d] for d in meta["passages"]]
        counts = CorpusCounts(directory, meta["keys"], starts, passages, {}, {})
        if len(counts.keys) + 1 != len(starts) or len(counts.passages) != len(counts.keys) or starts[0] != 0:
            return None
        for c in channels:
            counts.vocab[c], counts.entries[c] = meta["vocab"][c], int(meta["entries"][c])
            mode = "r" if mmap else None
            data, indices, indptr = (
                np.load(directory / f"{c}.{p}.npy", mmap_mode=mode) for p in ("data", "indices", "indptr")
            )
            if (
                len(indptr) != starts[-1] + 1
                or not (len(data) == len(indices) == indptr[-1] == meta["entries"][c])
                or data.dtype != np.float32
                or indices.dtype != np.int32
            ):
                return None
        return counts
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError):
        return None  # missing, truncated, corrupt or foreign: analyse afresh


class _Spill:
    """Fresh documents' rows of one channel, appended to files as they arrive (bounded memory)."""

    def __init__(self, directory: Path, channel: str) -> None:
        self.paths = (directory / f"fresh.{channel}.ids", directory / f"fresh.{channel}.counts")
        self.files = [open(p, "wb") for p in self.paths]  # noqa: SIM115 (closed in `arrays`)
        self.entries = [0]  # entry offset of each fresh document
        self.lengths: list[np.ndarray] = []  # row lengths of each fresh document
        self._buffer: list[Rows] = []

    def add(self, rows: Rows) -> None:
        self._buffer.append(rows)
        self.entries.append(self.entries[-1] + len(rows[0]))
        self.lengths.append(rows[2])
        if len(self._buffer) >= 512:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            self.files[0].write(np.concatenate([r[0] for r in self._buffer]).astype(np.int32).tobytes())
            self.files[1].write(np.concatenate([r[1] for r in self._buffer]).astype(np.float32).tobytes())
            self._buffer = []

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, counts) of every fresh document, memory-mapped."""
        self._flush()
        for f in self.files:
            f.close()
        if self.entries[-1] == 0:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        return np.memmap(self.paths[0], np.int32, "r"), np.memmap(self.paths[1], np.float32, "r")


def _rows_of(analysis: DocAnalysis, channel: str, vocab: dict[str, int]) -> Rows:
    """A document's rows in one channel as flat arrays, growing the vocabulary."""
    rows = [analysis.fields[channel][f] for f in DOC_FIELDS] + [p[3][channel] for p in analysis.passages]
    total = sum(len(r) for r in rows)
    ids = np.fromiter((vocab.setdefault(t, len(vocab)) for r in rows for t in r), dtype=np.int32, count=total)
    counts = np.fromiter((n for r in rows for n in r.values()), dtype=np.float32, count=total)
    return ids, counts, np.array([len(r) for r in rows], dtype=np.int64)


def count_documents(
    documents: Sequence[Document],
    config: AnalyzerConfig,
    lexicon: Lexicon,
    cache_dir: Path,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> tuple[CorpusCounts, int]:
    """Counts of every document in `cache_dir`, reusing the rows of unchanged ones; returns them and how
    many documents were reused. The previous counts are replaced atomically once the new ones are whole."""
    channels = config.channels()
    name = _cache_name(config, lexicon)
    cache_dir.mkdir(parents=True, exist_ok=True)
    old = open_counts(cache_dir / name, channels, mmap=True)
    where = {k: i for i, k in enumerate(old.keys)} if old else {}
    keys = [document_key(d) for d in documents]
    todo = [i for i, k in enumerate(keys) if k not in where]
    reused = len(documents) - len(todo)
    if progress:
        progress(reused, len(documents))
    vocab = {c: {t: i for i, t in enumerate(old.vocab[c])} if old else {} for c in channels}
    new = cache_dir / f".{name}.{os.getpid()}.tmp"
    shutil.rmtree(new, ignore_errors=True)
    new.mkdir()
    try:
        spills = {c: _Spill(new, c) for c in channels}
        fresh_passages: list[list[tuple[str, str, str]]] = []
        for analysis in iter_analyses([documents[i] for i in todo], config, lexicon, progress, workers, reused):
            fresh_passages.append([(k, text, answer) for k, text, answer, _ in analysis.passages])
            for c in channels:
                spills[c].add(_rows_of(analysis, c, vocab[c]))
        fresh_of = {i: j for j, i in enumerate(todo)}
        passages = [
            fresh_passages[fresh_of[i]] if i in fresh_of else old.passages[where[k]] for i, k in enumerate(keys)
        ]
        row_counts = [len(DOC_FIELDS) + len(p) for p in passages]
        starts = np.concatenate(([0], np.cumsum(row_counts, dtype=np.int64)))
        np.save(new / "starts.npy", starts)
        entries, terms = {}, {}
        for c in channels:
            entries[c], terms[c] = _write_channel(new, c, keys, fresh_of, spills[c], old, where, len(vocab[c]))
        meta = {"keys": keys, "passages": passages, "vocab": {}, "entries": entries}
        for c in channels:
            meta["vocab"][c] = _renumber(new, c, vocab[c], terms[c])
        for spill in spills.values():
            for path in spill.paths:
                path.unlink(missing_ok=True)
        (new / "meta.json").write_bytes(json.dumps(meta, ensure_ascii=False).encode())
        _replace_dir(new, cache_dir / name)
    finally:
        shutil.rmtree(new, ignore_errors=True)
    for stale in cache_dir.glob("analysis-*"):
        if stale.name != name:  # caches of other analyzer settings or lexicons, or of the older layout
            shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    # what was just written, described from memory: reading meta.json back (every passage's text) is
    # seconds of JSON at 100,000 entries; the arrays themselves are read per channel by `matrix`
    return CorpusCounts(cache_dir / name, keys, starts, passages, meta["vocab"], entries), reused


def _write_channel(
    directory: Path,
    channel: str,
    keys: Sequence[str],
    fresh_of: dict[int, int],
    spill: _Spill,
    old: CorpusCounts | None,
    where: dict[str, int],
    width: int,
) -> tuple[int, np.ndarray]:
    """Write one channel's count matrix, document by document, from the old counts or the fresh ones;
    returns its number of entries and which terms it uses. Consecutive documents from the same source
    are copied as one slice, so a full build or a one-document edit is a few large copies."""
    fresh_ids, fresh_counts = spill.arrays()
    fresh_entries = np.asarray(spill.entries, dtype=np.int64)
    if old is not None:
        old_ids = np.load(old.directory / f"{channel}.indices.npy", mmap_mode="r")
        old_counts = np.load(old.directory / f"{channel}.data.npy", mmap_mode="r")
        old_indptr = np.load(old.directory / f"{channel}.indptr.npy", mmap_mode="r")
    runs: list[tuple[bool, int, int]] = []  # (fresh?, first source document, last + 1)
    for i, key in enumerate(keys):
        fresh, src = (True, fresh_of[i]) if i in fresh_of else (False, where[key])
        if runs and runs[-1][0] == fresh and runs[-1][2] == src:
            runs[-1] = (fresh, runs[-1][1], src + 1)
        else:
            runs.append((fresh, src, src + 1))
    used = np.zeros(width, dtype=bool)
    lengths: list[np.ndarray] = []
    total = 0
    with open(directory / f"{channel}.ids.raw", "wb") as fi, open(directory / f"{channel}.counts.raw", "wb") as fc:
        for fresh, lo, hi in runs:
            if fresh:
                a, b = int(fresh_entries[lo]), int(fresh_entries[hi])
                ids, counts = fresh_ids[a:b], fresh_counts[a:b]
                lengths.extend(spill.lengths[lo:hi])
            else:
                assert old is not None
                r0, r1 = int(old.starts[lo]), int(old.starts[hi])
                a, b = int(old_indptr[r0]), int(old_indptr[r1])
                ids, counts = old_ids[a:b], old_counts[a:b]
                lengths.append(np.diff(old_indptr[r0 : r1 + 1]))
            used[np.asarray(ids)] = True
            fi.write(np.asarray(ids).tobytes())
            fc.write(np.asarray(counts).tobytes())
            total += b - a
    indptr = np.concatenate(([0], np.cumsum(np.concatenate(lengths) if lengths else [], dtype=np.int64)))
    np.save(directory / f"{channel}.indptr.npy", indptr.astype(np.int64))
    return total, used


def _renumber(directory: Path, channel: str, vocab: dict[str, int], used: np.ndarray) -> list[str]:
    """Store the channel's arrays with its vocabulary sorted and cut to the terms in use (an edited or
    removed document may leave some unused); returns that vocabulary. Sorting makes term ids depend on
    the corpus alone, not on which documents a build happened to reuse."""
    terms = np.empty(len(vocab), dtype=object)
    for t, i in vocab.items():
        terms[i] = t
    keep = np.flatnonzero(used)
    order = keep[np.argsort(terms[keep].astype(str), kind="stable")]
    new_id = np.full(len(vocab), -1, dtype=np.int32)
    new_id[order] = np.arange(len(order), dtype=np.int32)
    ids = np.fromfile(directory / f"{channel}.ids.raw", dtype=np.int32)
    np.save(directory / f"{channel}.indices.npy", new_id[ids])
    del ids
    (directory / f"{channel}.ids.raw").unlink()
    counts = np.fromfile(directory / f"{channel}.counts.raw", dtype=np.float32)
    np.save(directory / f"{channel}.data.npy", counts)
    del counts
    (directory / f"{channel}.counts.raw").unlink()
    return terms[order].tolist()


def _replace_dir(new: Path, target: Path) -> None:
    """Put directory `new` in place of `target` (rename aside, rename in, delete the old)."""
    aside = target.with_name(f".{target.name}.old-{os.getpid()}")
    if target.exists():
        target.rename(aside)
    new.rename(target)
    shutil.rmtree(aside, ignore_errors=True)
