"""Build, save and load the TF-IDF index.

One TF-IDF space per analyzer channel (vocabulary and idf fitted by scikit-learn on whole documents),
and in it one L2-normalised matrix per field (title, aliases, questions, body) plus one row per
passage (each sample question, Q&A entry and section). Saved as plain files: JSON and `.npz` arrays
loaded with `allow_pickle=False`, listed with their sha256 in `manifest.json`. Loading verifies
everything and executes nothing from the files. Queries are vectorised here with numpy, with the
exact formula scikit-learn used at build time (a test checks they agree), so the query path never
imports scikit-learn.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from scipy import sparse

from faq import __version__
from faq.analyzer import Analyzer
from faq.config import AnalyzerConfig, SearchConfig, analyzer_from_dict, analyzer_to_dict
from faq.corpus import Document, Section, Source
from faq.errors import CorpusError, IndexError_
from faq.lexicon import Lexicon
from faq.storage import build_lock, clean_stale_stages, publish, read_published, staging_dir, write_file

FORMAT = "faq-index"
FORMAT_VERSION = 1
DOC_FIELDS = ("title", "aliases", "questions", "body")
PASSAGE_KINDS_FOR_MAX = ("question", "qa")
REBUILD_HINT = "run `faq index build` (or `make index`)"


@dataclass(frozen=True)
class Passage:
    """A unit that can be shown as the matched text: a sample question, a Q&A entry or a section."""

    doc: int
    kind: str  # question | qa | section
    text: str  # what matched (the question, or the section heading)
    answer: str = ""  # for qa: its answer; for section: its text


@dataclass
class Index:
    analyzer_config: AnalyzerConfig
    lexicon: Lexicon
    search_config: SearchConfig
    documents: list[Document]
    passages: list[Passage]
    vocab: dict[str, dict[str, int]]
    idf: dict[str, np.ndarray]
    fields: dict[tuple[str, str], sparse.csr_matrix]  # (channel, field) -> docs x terms
    passage_matrix: dict[str, sparse.csr_matrix]  # channel -> passages x terms
    manifest: dict

    @property
    def channels(self) -> tuple[str, ...]:
        return self.analyzer_config.channels()

    def analyzer(self) -> Analyzer:
        return Analyzer(self.analyzer_config, self.lexicon)


# ---------------------------------------------------------------- building


def _units(doc: Document) -> list[tuple[str, str, str]]:
    """(field, passage kind or '', text) for every piece of a document that is analysed."""
    units = [("title", "", doc.title)]
    units += [("aliases", "", a) for a in doc.aliases]
    units += [("questions", "question", q) for q in doc.questions]
    units += [("questions", "qa", q) for q, _ in doc.qas]
    if doc.agency:
        units.append(("body", "", doc.agency))
    for s in doc.sections:
        if s.heading == "Hỏi đáp":
            units += [("body", "", a) for _, a in doc.qas]
        else:  # a procedure's headings (Lệ phí, Hồ sơ…) are words citizens use; a FAQ row's is not
            heading = s.heading if doc.kind != "faq" else ""
            units.append(("body", "section", f"{heading}\n{s.text}"))
    return units


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
    norm = np.sqrt(np.dot(weights, weights))
    return idx, weights / norm if norm > 0 else weights


def _matrix(rows: list[list[str]], vocab: dict[str, int], idf: np.ndarray) -> sparse.csr_matrix:
    indptr, indices, data = [0], [], []
    for tokens in rows:
        idx, w = vectorize(tokens, vocab, idf)
        indices.append(idx)
        data.append(w)
        indptr.append(indptr[-1] + len(idx))
    return sparse.csr_matrix(
        (
            np.concatenate(data) if data else np.zeros(0),
            np.concatenate(indices) if indices else np.zeros(0, dtype=np.int64),
            np.array(indptr),
        ),
        shape=(len(rows), len(vocab)),
    )


@dataclass
class Analysed:
    """Token lists of a corpus: per (channel, field) one list per document, per channel one per passage."""

    fields: dict[tuple[str, str], list[list[str]]]
    passages: list[Passage]
    passage_tokens: dict[str, list[list[str]]]

    def whole(self, channel: str, d: int) -> list[str]:
        """Every token of document d in one channel (all fields together)."""
        return [t for f in DOC_FIELDS for t in self.fields[(channel, f)][d]]


def analyse_documents(
    documents: Sequence[Document], analyzer: Analyzer, progress: Callable[[int, int], None] | None = None
) -> Analysed:
    """Analyse every unit of every document once (segmentation is the costly step of a build)."""
    channels = analyzer.config.channels()
    field_tokens: dict[tuple[str, str], list[list[str]]] = {(c, f): [] for c in channels for f in DOC_FIELDS}
    passage_tokens: dict[str, list[list[str]]] = {c: [] for c in channels}
    passages: list[Passage] = []
    for d, doc in enumerate(documents):
        per_field: dict[tuple[str, str], list[str]] = {(c, f): [] for c in channels for f in DOC_FIELDS}
        qa_answers = dict(doc.qas)
        for fld, kind, text in _units(doc):
            tokens = analyzer.analyze(text)
            for c in channels:
                per_field[(c, fld)].extend(tokens[c])
            if kind:
                if kind == "section":
                    heading, _, body = text.partition("\n")
                    passages.append(Passage(d, kind, heading, body))
                else:
                    passages.append(Passage(d, kind, text, qa_answers.get(text, "") if kind == "qa" else ""))
                for c in channels:
                    passage_tokens[c].append(tokens[c])
        for key, toks in per_field.items():
            field_tokens[key].append(toks)
        if progress:
            progress(d + 1, len(documents))
    return Analysed(field_tokens, passages, passage_tokens)


def build_index(
    documents: Sequence[Document],
    analyzer_config: AnalyzerConfig,
    lexicon: Lexicon,
    search_config: SearchConfig,
    corpus_info: dict | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Index:
    """Analyse every document once, fit one TF-IDF space per channel, and fill field/passage matrices."""
    from sklearn.feature_extraction.text import TfidfVectorizer  # build-time only

    started = time.perf_counter()
    analyzer = Analyzer(analyzer_config, lexicon)
    channels = analyzer_config.channels()
    analysed = analyse_documents(documents, analyzer, progress)
    passages = analysed.passages

    vocab, idf, fields, pmat = {}, {}, {}, {}
    for c in channels:
        whole_docs = [analysed.whole(c, d) for d in range(len(documents))]
        if not any(whole_docs):
            raise CorpusError(f"the corpus yields no indexable words in channel `{c}` (is the text empty?)")
        vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2", lowercase=False)
        vectorizer.fit(whole_docs)
        vocab[c] = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        idf[c] = np.asarray(vectorizer.idf_, dtype=np.float64)
        for f in DOC_FIELDS:
            fields[(c, f)] = _matrix(analysed.fields[(c, f)], vocab[c], idf[c])
        pmat[c] = _matrix(analysed.passage_tokens[c], vocab[c], idf[c])

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "build_seconds": round(time.perf_counter() - started, 3),
        "versions": _versions(),
        "corpus": corpus_info or {},
        "documents": len(documents),
        "passages": len(passages),
        "vocabulary": {c: len(vocab[c]) for c in channels},
        "analyzer": analyzer_to_dict(analyzer_config),
        "search": search_config.to_dict(),
    }
    return Index(analyzer_config, lexicon, search_config, list(documents), passages, vocab, idf, fields, pmat, manifest)


def _identity(tokens: list[str]) -> list[str]:
    return tokens


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
            "questions": tuple(data["questions"]),
            "sections": tuple(Section(**s) for s in data["sections"]),
            "qas": tuple((q, a) for q, a in data["qas"]),
            "sources": tuple(Source(**s) for s in data["sources"]),
        }
    )


def _payload(index: Index) -> dict[str, bytes]:
    """Every artifact file of an index, as bytes."""
    arrays: dict[str, np.ndarray] = {}
    for c in index.channels:
        arrays[f"idf.{c}"] = index.idf[c]
        mats = {f"{c}.{f}": index.fields[(c, f)] for f in DOC_FIELDS}
        mats[f"{c}.passages"] = index.passage_matrix[c]
        for name, m in mats.items():
            arrays[f"{name}.data"] = m.data
            arrays[f"{name}.indices"] = m.indices.astype(np.int64)
            arrays[f"{name}.indptr"] = m.indptr.astype(np.int64)
            arrays[f"{name}.shape"] = np.array(m.shape, dtype=np.int64)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    vocab = {c: sorted(index.vocab[c], key=index.vocab[c].get) for c in index.channels}

    def js(obj: object) -> bytes:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True).encode("utf-8")

    return {
        "arrays.npz": buf.getvalue(),
        "vocabulary.json": js(vocab),
        "documents.json": js([_doc_to_json(d) for d in index.documents]),
        "passages.json": js([asdict(p) for p in index.passages]),
        "lexicon.json": js(index.lexicon.to_dict()),
    }


def save_index(index: Index, target: Path, lock_wait: float | None = None) -> None:
    """Write the index beside `target`, then publish it atomically (see faq.storage).

    Waits up to `lock_wait` seconds (default faq.storage.LOCK_WAIT_SECONDS) for another build of `target`.
    """
    with build_lock(target, lock_wait):
        clean_stale_stages(target)
        stage = staging_dir(target)
        files = _payload(index)
        manifest = dict(index.manifest)
        manifest["files"] = {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)} for name, data in files.items()
        }
        for name, data in files.items():
            write_file(stage / name, data)
        write_file(stage / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
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


def _verified_bytes(directory: Path, name: str, expected: dict) -> bytes:
    path = directory / name
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IndexError_(f"index file {path} is missing or unreadable; {REBUILD_HINT}") from exc
    if len(data) != expected.get("size") or hashlib.sha256(data).hexdigest() != expected.get("sha256"):
        raise IndexError_(f"index file {path} is corrupt (size or checksum differs); {REBUILD_HINT}")
    return data


def load_index(directory: Path) -> Index:
    """Load and verify an index. Any inconsistency is refused with a one-line IndexError_."""
    return read_published(directory, _load_build)


def _load_build(directory: Path) -> Index:
    """Load one build directory (`load_index` picks it and retries when a publish replaces it)."""
    manifest = read_manifest(directory)
    files = manifest.get("files")
    needed = ("arrays.npz", "vocabulary.json", "documents.json", "passages.json", "lexicon.json")
    if not isinstance(files, dict) or any(n not in files for n in needed):
        raise IndexError_(f"index manifest in {directory} lists no or incomplete files; {REBUILD_HINT}")
    raw = {name: _verified_bytes(directory, name, files[name]) for name in needed}
    try:
        analyzer_config = analyzer_from_dict(manifest["analyzer"])
        search_config = SearchConfig.from_dict(manifest["search"])
        lexicon = Lexicon.from_dict(json.loads(raw["lexicon.json"]))
        documents = [_doc_from_json(d) for d in json.loads(raw["documents.json"])]
        passages = [Passage(**p) for p in json.loads(raw["passages.json"])]
        vocab_lists = json.loads(raw["vocabulary.json"])
        arrays = np.load(io.BytesIO(raw["arrays.npz"]), allow_pickle=False)
        channels = analyzer_config.channels()
        vocab = {c: {t: i for i, t in enumerate(vocab_lists[c])} for c in channels}
        idf = {c: arrays[f"idf.{c}"] for c in channels}

        def mat(name: str) -> sparse.csr_matrix:
            shape = tuple(int(x) for x in arrays[f"{name}.shape"])
            return sparse.csr_matrix(
                (arrays[f"{name}.data"], arrays[f"{name}.indices"], arrays[f"{name}.indptr"]), shape=shape
            )

        fields = {(c, f): mat(f"{c}.{f}") for c in channels for f in DOC_FIELDS}
        pmat = {c: mat(f"{c}.passages") for c in channels}
    except (AttributeError, KeyError, RecursionError, TypeError, ValueError) as exc:  # JSON of the wrong shape
        raise IndexError_(f"index {directory} is inconsistent ({exc}); {REBUILD_HINT}") from exc
    for (c, f), m in fields.items():
        if m.shape != (len(documents), len(vocab[c])):
            raise IndexError_(f"index {directory}: matrix {c}.{f} has the wrong shape; {REBUILD_HINT}")
    for c, m in pmat.items():
        if m.shape != (len(passages), len(vocab[c])):
            raise IndexError_(f"index {directory}: matrix {c}.passages has the wrong shape; {REBUILD_HINT}")
    return Index(analyzer_config, lexicon, search_config, documents, passages, vocab, idf, fields, pmat, manifest)
