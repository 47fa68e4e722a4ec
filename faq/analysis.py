"""Analyse documents for indexing: term counts per channel, for every field and passage of every document.

The result (`CorpusCounts`) is one sparse count matrix per channel whose rows are, document after
document, its four fields (title, aliases, questions, body) and then its passages. Building the
index from it is a few vectorised steps.

Segmentation is the costly step (underthesea, tens of milliseconds a document), so:
- `CorpusCounts` is also the on-disk cache (`<index dir>/../.cache/`), keyed by a hash of each
  document's content and of the analyzer configuration and lexicon: editing one document re-analyses
  that document only, and unchanged rows are reused as arrays, without touching their strings;
- large batches are analysed by a pool of worker processes, one per core;
- the analyzer remembers segmented sentences, which corpora repeat.
The cache is only a cache: an unreadable, corrupt or foreign one is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from faq.analyzer import Analyzer
from faq.config import DOC_FIELDS, AnalyzerConfig, analyzer_to_dict
from faq.corpus import Document
from faq.lexicon import Lexicon

CACHE_VERSION = 2
PARALLEL_MIN_DOCUMENTS = 64  # below this a worker pool costs more than it saves

Counts = dict[str, int]


@dataclass
class DocAnalysis:
    """Token counts of one document: per channel and field, and per passage per channel.

    passages: (kind, text shown as matched, answer, {channel: counts}) for each sample question,
    Q&A question (kind `question` / `qa`) and section (kind `section`).
    """

    fields: dict[str, dict[str, Counts]]
    passages: list[tuple[str, str, str, dict[str, Counts]]]


def units(doc: Document) -> list[tuple[str, str, str, str, str]]:
    """(field, passage kind or '', text analysed, text shown, answer) for every analysed piece of a document."""
    out = [("title", "", doc.title, "", "")]
    out += [("aliases", "", a, "", "") for a in doc.aliases]
    out += [("questions", "question", q, q, "") for q in doc.questions]
    out += [("questions", "qa", q, q, a) for q, a in doc.qas]
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
        tokens = analyzer.analyze(text)
        for c in channels:
            fields[c][field].update(tokens[c])
        if kind:
            passages.append((kind, shown, answer, {c: dict(Counter(tokens[c])) for c in channels}))
    return DocAnalysis({c: {f: dict(v) for f, v in per.items()} for c, per in fields.items()}, passages)


def document_key(doc: Document) -> str:
    """Hash of everything in a document that analysis reads (not where its file lives)."""
    data = asdict(doc)
    data.pop("path", None)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# ---------------------------------------------------------------- analysing many documents

_worker_analyzer: Analyzer | None = None


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
    done = already
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers > 1 and len(documents) >= PARALLEL_MIN_DOCUMENTS:
        import multiprocessing

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else None)
        with context.Pool(workers, _init_worker, (config, lexicon)) as pool:
            chunk = max(1, min(64, len(documents) // (workers * 8)))
            for analysis in pool.imap(_analyse_in_worker, documents, chunk):
                done += 1
                if progress:
                    progress(done, total)
                yield analysis
        return
    analyzer = Analyzer(config, lexicon)
    for doc in documents:
        analysis = analyse_document(doc, analyzer)
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


@dataclass
class CorpusCounts:
    """Term counts of a corpus, one row per field and passage.

    rows[c]: count matrix (rows x vocabulary) of channel c; document d owns rows
    starts[d] .. starts[d+1]: its 4 fields, then its passages. passages[d]: (kind, shown, answer).
    """

    keys: list[str]
    starts: np.ndarray
    passages: list[list[tuple[str, str, str]]]
    vocab: dict[str, list[str]]
    rows: dict[str, sparse.csr_matrix]

    def document_rows(self, d: int) -> range:
        return range(int(self.starts[d]), int(self.starts[d + 1]))

    def field_rows(self, field: str) -> np.ndarray:
        """The row of `field` for every document."""
        return self.starts[:-1] + DOC_FIELDS.index(field)


def _cache_name(config: AnalyzerConfig, lexicon: Lexicon) -> str:
    key = json.dumps([CACHE_VERSION, analyzer_to_dict(config), lexicon.to_dict()], sort_keys=True, ensure_ascii=False)
    return f"analysis-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def _read_cache(cache_dir: Path, name: str, channels: Sequence[str]) -> CorpusCounts | None:
    try:
        meta = json.loads((cache_dir / f"{name}.json").read_text(encoding="utf-8"))
        arrays = np.load(io.BytesIO((cache_dir / f"{name}.npz").read_bytes()), allow_pickle=False)
        starts = arrays["starts"]
        rows = {}
        for c in channels:
            shape = (int(starts[-1]), len(meta["vocab"][c]))
            rows[c] = sparse.csr_matrix((arrays[f"{c}.data"], arrays[f"{c}.indices"], arrays[f"{c}.indptr"]), shape)
        passages = [[tuple(p) for p in doc] for doc in meta["passages"]]
        counts = CorpusCounts(meta["keys"], starts, passages, {c: meta["vocab"][c] for c in channels}, rows)
        if len(counts.keys) + 1 != len(starts) or len(passages) != len(counts.keys):
            return None
        return counts
    except (OSError, EOFError, ValueError, KeyError, TypeError, IndexError):
        return None  # missing, truncated, corrupt or foreign: analyse afresh


def _write_cache(cache_dir: Path, name: str, counts: CorpusCounts) -> None:
    """Replace the cache atomically (temporary files, then renames; the JSON names the arrays' hash)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for old in cache_dir.glob("analysis-*"):
        if not old.name.startswith(name):
            old.unlink(missing_ok=True)  # caches of other analyzer settings or lexicons
    arrays = {"starts": counts.starts}
    for c, m in counts.rows.items():
        arrays |= {f"{c}.data": m.data, f"{c}.indices": m.indices, f"{c}.indptr": m.indptr}
    meta = {"keys": counts.keys, "passages": counts.passages, "vocab": counts.vocab}
    tmp = cache_dir / f".{name}.npz.{os.getpid()}.tmp"
    with open(tmp, "wb") as fh:  # straight to disk: no second copy of the arrays in memory
        np.savez(fh, **arrays)
    os.replace(tmp, cache_dir / f"{name}.npz")
    tmp = cache_dir / f".{name}.json.{os.getpid()}.tmp"
    tmp.write_bytes(json.dumps(meta, ensure_ascii=False).encode())
    os.replace(tmp, cache_dir / f"{name}.json")


Rows = tuple[np.ndarray, np.ndarray, np.ndarray]  # term ids, counts, row lengths (one document or a run)


def _rows_of(analysis: DocAnalysis, channel: str, vocab: dict[str, int]) -> Rows:
    """A document's rows in one channel as flat arrays, growing the vocabulary."""
    rows = [analysis.fields[channel][f] for f in DOC_FIELDS] + [p[3][channel] for p in analysis.passages]
    total = sum(len(r) for r in rows)
    ids = np.fromiter((vocab.setdefault(t, len(vocab)) for r in rows for t in r), dtype=np.int64, count=total)
    counts = np.fromiter((n for r in rows for n in r.values()), dtype=np.float32, count=total)
    return ids, counts, np.array([len(r) for r in rows], dtype=np.int64)


def _stack(blocks: list, width: int) -> sparse.csr_matrix:
    """Stack reused matrix slices and fresh row arrays into one matrix of the given width."""
    mats = []
    for block in blocks:
        if isinstance(block, tuple):
            ids, counts, lengths = block
            indptr = np.concatenate(([0], np.cumsum(lengths)))
            mats.append(sparse.csr_matrix((counts, ids, indptr), shape=(len(lengths), width)))
        else:
            block = block.copy()
            block.resize((block.shape[0], width))
            mats.append(block)
    return sparse.vstack(mats, format="csr") if mats else sparse.csr_matrix((0, width))


def count_documents(
    documents: Sequence[Document],
    config: AnalyzerConfig,
    lexicon: Lexicon,
    progress: Callable[[int, int], None] | None = None,
    cache_dir: Path | None = None,
    workers: int | None = None,
) -> tuple[CorpusCounts, int]:
    """Counts of every document, reusing cached rows of unchanged ones; returns them and how many were reused."""
    channels = config.channels()
    name = _cache_name(config, lexicon)
    cache = _read_cache(cache_dir, name, channels) if cache_dir else None
    where = {k: i for i, k in enumerate(cache.keys)} if cache else {}
    keys = [document_key(d) for d in documents]
    todo = [i for i, k in enumerate(keys) if k not in where]
    if progress:
        progress(len(documents) - len(todo), len(documents))
    reused = len(documents) - len(todo)
    vocab = {c: {t: i for i, t in enumerate(cache.vocab[c])} if cache else {} for c in channels}
    # Fresh analyses become compact arrays as they arrive: the token dictionaries are never all held.
    fresh: dict[int, tuple[list, dict[str, Rows]]] = {}
    analyses = iter_analyses([documents[i] for i in todo], config, lexicon, progress, workers, reused)
    for i, analysis in zip(todo, analyses, strict=True):
        shown = [(k, text, answer) for k, text, answer, _ in analysis.passages]
        fresh[i] = (shown, {c: _rows_of(analysis, c, vocab[c]) for c in channels})
    starts, passages, rows = [0], [], {c: [] for c in channels}
    for i, key in enumerate(keys):
        if i in fresh:
            shown, arrays = fresh.pop(i)
            passages.append(shown)
            for c in channels:
                rows[c].append(arrays[c])
        else:
            d = where[key]
            span = cache.document_rows(d)
            passages.append(cache.passages[d])
            for c in channels:
                rows[c].append(cache.rows[c][span.start : span.stop])
        starts.append(starts[-1] + len(DOC_FIELDS) + len(passages[-1]))
    matrices = {}
    for c in channels:  # one channel at a time, letting go of its pieces once stacked
        matrices[c] = _stack(_merge_fresh(rows.pop(c)), len(vocab[c]))
    counts = _compact(CorpusCounts(keys, np.array(starts, dtype=np.int64), passages, {}, matrices), vocab)
    if cache_dir and todo:
        _write_cache(cache_dir, name, counts)
    return counts, reused


def _merge_fresh(blocks: list) -> list:
    """Join runs of fresh documents' row arrays into one block each (fewer, larger matrices to stack)."""
    out: list = []
    run: list[Rows] = []
    for block in blocks + [None]:
        if isinstance(block, tuple):
            run.append(block)
            continue
        if run:
            out.append(tuple(np.concatenate([r[k] for r in run]) for k in range(3)))
            run = []
        if block is not None:
            out.append(block)
    return out


def _compact(counts: CorpusCounts, vocab: dict[str, dict[str, int]]) -> CorpusCounts:
    """Drop terms no document uses any more (from edited or removed documents), renumbering the rest."""
    for c, matrix in counts.rows.items():
        terms = np.empty(len(vocab[c]), dtype=object)
        for t, i in vocab[c].items():
            terms[i] = t
        used = np.zeros(len(terms), dtype=bool)
        used[np.unique(matrix.indices)] = True
        if not used.all():
            matrix = matrix[:, np.flatnonzero(used)]
        matrix.sort_indices()
        matrix.indices = matrix.indices.astype(np.int32)
        counts.rows[c] = matrix
        counts.vocab[c] = terms[used].tolist()
    return counts
