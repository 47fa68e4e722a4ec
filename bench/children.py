"""The child processes `bench/run.py` measures. Each task prints one JSON line (its measurements) last.

    build-faq CORPUS OUT            build our index through faq.engine.build, timing its phases (the
                                    build reuses the analysis cache in OUT/../.cache when there is one)
    build-bm25s CORPUS OUT [ANALYSIS]  the same analysed tokens as faq.evaluate.bm25_system (analysed again,
                                    or read from faq's analysis cache ANALYSIS), indexed and
                                    saved by bm25s
    analysis-rate CORPUS N          analysis cost per document on the first N documents, one process,
                                    with the analyzer's segmentation memo and without it
    latency FAQ_INDEX BM25_DIR QUERIES MIN_SECONDS MAX_PASSES
                                    in-process per-query latency of both, with and without analysis
    cold-faq FAQ_INDEX QUERY        the real `cli.py ask --json` path with each phase timed (to stderr)
    watch-rebuild CORPUS OUT        `faq index watch` in one process: its first (full) build, one edit, rebuild
    ask-bm25s BM25_DIR QUERY [--timings]
                                    a minimal bm25s `ask --json`: load, analyse, score, print

Only the standard library is imported at module level, so every task pays exactly for what it uses.
Phase timings are wall-clock seconds from `time.perf_counter()`; a wrapped function's time is
booked once even when it calls itself or another function booked under the same phase. The peak
resident set size after a phase is `ru_maxrss` of this process so far (KiB on Linux): analysis worker
processes are not included (bench/run.py samples the whole process tree for that).
"""

from __future__ import annotations

import time

T0 = time.perf_counter()  # first statement after the docstring: the script's own start

import functools  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TOP_K = 5


class Phases:
    """Accumulates the time spent in named phases, and the peak RSS reached by the end of each."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.rss_kib: dict[str, int] = {}
        self._active: dict[str, int] = {}

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.rss_kib[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def timed(self, original, name: str):
        """`original` wrapped so that its duration is booked under `name` (outermost call only)."""

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if self._active.get(name):
                return original(*args, **kwargs)
            self._active[name] = 1
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self._active[name] = 0
                self.add(name, time.perf_counter() - started)

        return timed

    def wrap(self, owner: object, attr: str, name: str) -> bool:
        """Replace owner.attr by a timed wrapper; False when owner has no such attribute."""
        original = getattr(owner, attr, None)
        if original is None:
            return False
        setattr(owner, attr, self.timed(original, name))
        return True

    def wrap_function(self, module: object, attr: str, name: str) -> bool:
        """Wrap a module-level function everywhere it is bound: its module and every `faq` module that
        imported it by name (`from faq.analysis import analyse_documents` binds it in faq.index too)."""
        original = getattr(module, attr, None)
        if original is None:
            return False
        timed = self.timed(original, name)
        for mod_name, mod in list(sys.modules.items()):
            if (mod_name == "faq" or mod_name.startswith("faq.")) and getattr(mod, attr, None) is original:
                setattr(mod, attr, timed)
        return True

    def mark(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.add(name, now - since)
        return now


def emit(data: dict, stream=sys.stdout) -> None:
    stream.write(json.dumps(data, ensure_ascii=False) + "\n")
    stream.flush()


# ---------------------------------------------------------------- builds


def build_faq(corpus: str, out: str) -> None:
    """faq.engine.build as `faq index build` runs it. Phases: imports; scikit-learn import (lazy in the
    build, done first here, and counted in `engine_build_s`); load and validate corpus;
    fingerprint; analysis and counting (faq.analysis.count_documents: segmentation in a worker pool
    for 64+ documents, each analysis turned into count arrays as it arrives, reading and writing the
    per-document cache); matrices (the rest of faq.index.build_index: tf-idf, postings); save; other."""
    ph = Phases()
    t = T0
    import faq.analysis as fa
    import faq.engine as engine
    import faq.index as fi

    t = ph.mark("imports", t)
    import sklearn.feature_extraction.text  # noqa: F401  (the build imports it lazily; timed apart)

    t = ph.mark("scikit-learn import", t)
    if not ph.wrap_function(engine, "read_corpus", "load and validate corpus"):  # before: load_corpus
        ph.wrap_function(engine, "load_corpus", "load and validate corpus")
    ph.wrap_function(engine, "corpus_fingerprint", "fingerprint")
    ph.wrap_function(fa, "count_documents", "analysis and counting")
    ph.wrap_function(fi, "build_index", "_build_index")
    ph.wrap_function(fi, "save_index", "save (checksums, fsync, publish)")
    started = time.perf_counter()
    index, report = engine.build(Path(corpus), Path(out), engine.Paths.default())
    total = time.perf_counter() - started
    inc = ph.seconds
    inc["matrices"] = inc.pop("_build_index", 0.0) - inc.get("analysis and counting", 0.0)
    ph.rss_kib["matrices"] = ph.rss_kib.pop("_build_index", 0)
    ph.add("other", total - sum(v for k, v in inc.items() if k not in ("imports", "scikit-learn import")))
    from faq.analysis import units

    manifest = index.manifest
    emit(
        {
            "documents": report.documents,
            "vocabulary": report.vocabulary,
            "words": sum(len(u[2].split()) for d in index.documents for u in units(d)),
            "phases": ph.seconds,
            "rss_kib": ph.rss_kib,
            "engine_build_s": total + ph.seconds.get("scikit-learn import", 0.0),  # the build imports it
            "build_seconds": manifest.get("build_seconds"),
            "build_stages": manifest.get("build_stages"),
            "analyses_reused": manifest.get("analyses_reused"),
        }
    )


def analyzer_parts() -> tuple:
    """The analyzer configuration and lexicon `faq.engine.build` uses for the project corpus."""
    from faq.config import AnalyzerConfig
    from faq.engine import Paths
    from faq.lexicon import load_lexicon

    return AnalyzerConfig(), load_lexicon(Paths.default().lexicon)


ANALYSIS_CHUNK = 4096  # documents analysed at a time by the bm25s build (bounds its memory)
TOKENS_PHASE = "tokens from faq's analysis"  # build_bm25s reading faq's analysis (bench/run.py reports it)
EDIT_SENTENCE = "Thông tin trong mục này được rà soát lại theo quy định hiện hành."


def bm25_corpus(documents, config, lexicon) -> tuple[list[list[int]], dict[str, int]]:
    """The token lists faq.evaluate.bm25_system indexes (every channel's field counts expanded back
    into tokens, prefixed with the channel: same analysis, same expansion, same order), as bm25s's
    (token ids per document, vocabulary). Analysed a chunk at a time and turned into ids at once, so
    the full analyses and token strings of a large corpus never sit in memory together; bm25s scores
    ids exactly as it scores the strings they stand for."""
    from faq.analysis import analyse_documents

    channels = config.channels()
    vocab: dict[str, int] = {}
    ids: list[list[int]] = []
    for start in range(0, len(documents), ANALYSIS_CHUNK):
        result = analyse_documents(documents[start : start + ANALYSIS_CHUNK], config, lexicon)
        analyses = result[0] if isinstance(result, tuple) else result  # (analyses, reused) in some versions
        for a in analyses:
            tokens = [
                f"{c}:{t}"
                for c in channels
                for counts in a.fields[c].values()
                for t, n in counts.items()
                for _ in range(n)
            ]
            ids.append([vocab.setdefault(t, len(vocab)) for t in tokens])
        del result, analyses
    return ids, vocab


def bm25_corpus_from_counts(cache: Path, config) -> tuple[list[list[int]], dict[str, int]]:
    """The same token lists as `bm25_corpus` (every channel's field counts, prefixed with the channel;
    in another order, which BM25 ignores), read from the analysis faq's build left in `cache` instead
    of analysing again: at 100,000 entries a second analysis alone would not fit the bench's budget."""
    import numpy as np
    from scipy import sparse

    from faq.analysis import open_counts
    from faq.config import DOC_FIELDS

    found = [d for d in cache.glob("analysis-*") if d.is_dir()]
    counts = open_counts(found[0], config.channels()) if len(found) == 1 else None
    if counts is None:
        raise SystemExit(f"no readable faq analysis in {cache}")
    n, k = len(counts.keys), len(DOC_FIELDS)
    owner = sparse.csr_matrix(
        (np.ones(k * n), np.add.outer(np.arange(n), np.arange(k) * n).ravel(), np.arange(0, k * n + 1, k)),
        shape=(n, k * n),
    )
    vocab: dict[str, int] = {}
    wholes = []
    for c in config.channels():
        rows = counts.matrix(c)
        whole = (owner @ rows[np.concatenate([counts.field_rows(f) for f in DOC_FIELDS])]).tocsr()
        offset = len(vocab)
        vocab.update({f"{c}:{t}": offset + i for i, t in enumerate(counts.vocab[c])})
        wholes.append((whole.indptr, whole.indices.astype(np.int64) + offset, whole.data.astype(np.int64)))
        del rows, whole
    ids = []
    for d in range(n):
        parts = [np.repeat(ind[ptr[d] : ptr[d + 1]], dat[ptr[d] : ptr[d + 1]]) for ptr, ind, dat in wholes]
        ids.append(np.concatenate(parts).tolist())
    return ids, vocab


def build_bm25s(corpus: str, out: str, analysis: str | None = None) -> None:
    """bm25s over faq's tokens: analysed here (as faq.evaluate.bm25_system does), or with `analysis`
    (faq's analysis cache directory) read from the analysis faq's build just made."""
    ph = Phases()
    t = T0
    import dataclasses

    import bm25s

    from faq.config import analyzer_to_dict
    from faq.corpus import load_corpus

    t = ph.mark("imports", t)
    docs = load_corpus(Path(corpus))
    t = ph.mark("load and validate corpus", t)
    config, lexicon = analyzer_parts()
    if analysis:
        ids, vocab = bm25_corpus_from_counts(Path(analysis), config)
        t = ph.mark(TOKENS_PHASE, t)
    else:
        ids, vocab = bm25_corpus(docs, config, lexicon)
        t = ph.mark("analysis + tokens to ids", t)
    retriever = bm25s.BM25()
    retriever.index((ids, vocab), show_progress=False)
    del ids
    t = ph.mark("bm25s index", t)
    target = Path(out)
    retriever.save(str(target), show_progress=False)
    from faq.records import encode

    # stored and read like faq's own documents (JSON lines, decoded when shown), so loads compare like for like
    (target / "documents.jsonl").write_bytes(encode(dataclasses.asdict(d) for d in docs))
    meta = {"analyzer": analyzer_to_dict(config), "lexicon": lexicon.to_dict()}
    (target / "analyzer.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    (target / "ids.json").write_text(json.dumps([d.id for d in docs], ensure_ascii=False), "utf-8")
    ph.mark("save", t)
    emit({"documents": len(docs), "vocabulary": len(retriever.vocab_dict), "phases": ph.seconds, "rss_kib": ph.rss_kib})


def analysis_rate(corpus: str, sample: str) -> None:
    """ms per document of analysis (one process) on the first N documents, with the segmentation memo
    and with it bypassed; and how many of the segmented chunks of (up to 20,000 documents of) the
    corpus repeat an earlier one, i.e. how much the memo can save on this corpus."""
    from faq.analysis import analyse_document, units
    from faq.analyzer import Analyzer
    from faq.corpus import load_corpus
    from faq.text import segment

    docs = load_corpus(Path(corpus))
    config, lexicon = analyzer_parts()
    head = docs[: int(sample)]
    out: dict = {"documents": len(head)}
    for mode in ("memo", "no_memo"):
        analyzer = Analyzer(config, lexicon)
        analyzer.analyze("xin chào")  # loads the segmentation model outside the timing
        if mode == "no_memo" and hasattr(analyzer, "_segment"):
            fixed = getattr(analyzer, "_fixed", ())
            analyzer._segment = lambda sylls, fixed=fixed: list(segment(sylls, fixed))
        started = time.perf_counter()
        for d in head:
            analyse_document(d, analyzer)
        out[f"{mode}_ms_per_doc"] = (time.perf_counter() - started) / max(1, len(head)) * 1e3
    analyzer = Analyzer(config, lexicon)
    total, distinct = 0, set()
    scanned = docs[:20_000]
    for d in scanned:
        for unit in units(d):
            for chunk in analyzer.prepare(unit[2]):
                total += 1
                distinct.add(tuple(chunk))
    out |= {"chunks_scanned_documents": len(scanned), "chunks": total, "distinct_chunks": len(distinct)}
    emit(out)


# ---------------------------------------------------------------- bm25s query side


class Bm25Engine:
    """bm25s over our analysed tokens, answering like `ask --json` (id, title, score, summary)."""

    def __init__(self, directory: Path) -> None:
        import bm25s

        from faq.analyzer import Analyzer
        from faq.config import analyzer_from_dict
        from faq.lexicon import Lexicon

        meta = json.loads((directory / "analyzer.json").read_text("utf-8"))
        self.retriever = bm25s.BM25.load(str(directory), show_progress=False)
        self.vocab = self.retriever.vocab_dict
        # queries are segmented into the index's own words, exactly as faq's Index.analyzer() does
        words = [t[5:] for t in self.vocab if t.startswith("word:") and "_" in t and " " not in t]
        config, lexicon = analyzer_from_dict(meta["analyzer"]), Lexicon.from_dict(meta["lexicon"])
        self.analyzer = Analyzer(config, lexicon, query_words=words)
        self.channels = self.analyzer.config.channels()
        import numpy as np

        from faq.records import Records

        self.documents = Records((directory / "documents.jsonl").read_bytes(), dict, "bm25s documents", "rebuild")
        self.np = np
        self.ids = np.array(json.loads((directory / "ids.json").read_text("utf-8")))

    def tokens(self, query: str) -> list[str]:
        analysed = self.analyzer.analyze(query, query=True)
        return [f"{c}:{t}" for c in self.channels for t in analysed[c] if f"{c}:{t}" in self.vocab]

    def top(self, tokens: list[str], k: int = TOP_K):
        np = self.np
        scores = np.asarray(self.retriever.get_scores(tokens), dtype=float) if tokens else np.zeros(len(self.ids))
        k = min(k, len(scores))
        cand = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        order = cand[np.lexsort((self.ids[cand], -np.round(scores[cand], 12)))]
        return order, scores

    def answer(self, query: str, order, scores) -> dict:
        results = []
        for d in order:
            doc = self.documents[int(d)]
            first = doc["sections"][0]["text"] if doc["sections"] else ""  # a FAQ entry's answer
            summary = next((s["text"] for s in doc["sections"] if s["heading"] == "Tóm tắt"), first)
            results.append(
                {"id": doc["id"], "title": doc["title"], "score": round(float(scores[d]), 6), "answer": summary}
            )
        return {"query": query, "results": results}


def ask_bm25s(directory: str, query: str, timings: bool) -> None:
    ph = Phases()
    t = T0
    import bm25s  # noqa: F401
    import numpy  # noqa: F401

    import faq.analyzer  # noqa: F401

    t = ph.mark("imports", t)
    engine = Bm25Engine(Path(directory))
    t = ph.mark("index load", t)
    tokens = engine.tokens(query)
    t = ph.mark("analysis", t)
    order, scores = engine.top(tokens)
    t = ph.mark("scoring and ranking", t)
    emit(engine.answer(query, order, scores))
    ph.mark("other", t)
    if timings:
        sys.stderr.write("TIMINGS " + json.dumps(ph.seconds) + "\n")


# ---------------------------------------------------------------- our query side


def cold_faq(index_dir: str, query: str) -> None:
    """Run `ask --json --index DIR QUERY` exactly as cli.py does, with its phases timed."""
    ph = Phases()
    t = T0
    import cli

    ph.mark("imports", t)
    from faq import engine
    from faq.search import Searcher

    ph.wrap(engine, "staleness", "freshness check")
    ph.wrap(engine, "load_index", "index load")
    ph.wrap(Searcher, "vectors", "analysis")
    ph.wrap(Searcher, "score_vector", "scoring and ranking")
    ph.wrap(Searcher, "ranking", "scoring and ranking")
    ph.wrap(Searcher, "ordering", "scoring and ranking")  # ranking and the tie-break between the first two
    ph.wrap(Searcher, "top", "scoring and ranking")
    ph.wrap(Searcher, "rank", "scoring and ranking")
    started = time.perf_counter()
    cli.app(["ask", "--json", "--index", index_dir, query], standalone_mode=False)
    total = time.perf_counter() - started
    inside = ("freshness check", "index load", "analysis", "scoring and ranking")
    ph.add("other", total - sum(ph.seconds.get(k, 0.0) for k in inside))
    sys.stderr.write("TIMINGS " + json.dumps(ph.seconds) + "\n")


# ---------------------------------------------------------------- in-process latency


def _stats(samples: list[float]) -> dict:
    import numpy as np

    a = np.array(samples)
    return {
        "n": len(samples),
        "p50_ms": float(np.percentile(a, 50) * 1e3),
        "p95_ms": float(np.percentile(a, 95) * 1e3),
        "p99_ms": float(np.percentile(a, 99) * 1e3),
        "mean_ms": float(a.mean() * 1e3),
        "qps": float(len(a) / a.sum()) if a.sum() > 0 else 0.0,
    }


def latency(faq_index: str, bm25_dir: str, queries_path: str, min_seconds: str, max_passes: str) -> None:
    """Per-query latency of both engines on the same queries, interleaved query by query."""
    from faq.index import load_index
    from faq.search import Searcher

    queries = [json.loads(line)["query"] for line in Path(queries_path).read_text("utf-8").splitlines() if line.strip()]
    searcher = Searcher(load_index(Path(faq_index)))
    top = getattr(searcher, "top", None) or (lambda scores, k: searcher.rank(scores)[:k])  # as Searcher.search
    bm = Bm25Engine(Path(bm25_dir))
    if searcher.analyzer.config != bm.analyzer.config or searcher.index.lexicon != bm.analyzer.lexicon:
        raise SystemExit("the two indexes were not built with the same analyzer and lexicon")
    # Identical tokens: bm25s's own analyzer lacks the restoration and typo repair that need faq's
    # index, so unaccented and mistyped queries would reach it as other (fewer) tokens. Both engines
    # analyse with faq's analyzer here, and pay for it alike in the "with analysis" rows.
    bm.analyzer = searcher.analyzer

    def faq_full(q: str) -> None:
        searcher.search(q, top_k=TOP_K)

    def bm_full(q: str) -> None:
        bm.top(bm.tokens(q))

    # as Searcher.search: term coverage and the tie-break (`ordering`), or what an older commit had
    ordering = getattr(searcher, "ordering", None)
    ranking = getattr(searcher, "ranking", None) or (lambda qv, scores: (scores, None))

    def faq_pre(qv) -> None:
        scored = searcher.score_vector(qv)  # (raw, questions, display[, rows]) across commits
        raw, questions = scored[0], scored[1]
        if len(scored) > 3:  # this commit's Searcher.search: the first k come with the ordering
            _ = ordering(qv, raw, questions, scored[3], TOP_K).first
            return
        scores = ordering(qv, raw, questions)[0] if ordering else ranking(qv, raw)[0]
        top(scores, TOP_K)

    def bm_pre(tokens) -> None:
        bm.top(tokens)

    # Warm-up, not timed: one pass of every query through both engines, so that both are measured in
    # the steady state of a long-running process (a chat back end). faq memory-maps its index and pays
    # for each page on its first read; bm25s reads its arrays whole at load. Timing the first pass would
    # charge faq's page faults to latency (measured at 100,000 entries: 15.7 ms a query on the first
    # pass, 8.2 on the second); a fresh process's whole cost is the cold `ask` row instead.
    clock = time.perf_counter
    warm_started = clock()
    for q in queries:
        faq_full(q)
        bm_full(q)
    out: dict = {"queries": len(queries), "warm_up_seconds": clock() - warm_started}
    modes = {
        "with_analysis": (faq_full, bm_full, queries, queries),
        "precomputed": (faq_pre, bm_pre, [searcher.vectors(q) for q in queries], [bm.tokens(q) for q in queries]),
    }
    for mode, (f_fn, b_fn, f_in, b_in) in modes.items():
        f_s: list[float] = []
        b_s: list[float] = []
        passes, first_pass = 0, 0.0
        while passes < int(max_passes) and (passes == 0 or sum(f_s) < float(min_seconds)):
            pass_started = clock()
            for fa, ba in zip(f_in, b_in, strict=True):
                t = clock()
                f_fn(fa)
                t1 = clock()
                b_fn(ba)
                t2 = clock()
                f_s.append(t1 - t)
                b_s.append(t2 - t1)
            passes += 1
            first_pass = first_pass or clock() - pass_started
        out[mode] = {"faq": _stats(f_s), "bm25s": _stats(b_s), "passes": passes, "first_pass_seconds": first_pass}
    emit(out)


def edit_one_document(corpus: Path) -> tuple[str, str]:
    """Append one sentence to the first section (after the header) of the first procedure file.
    Returns (file name, heading). The change is real: that document's analysis must be redone."""
    path = sorted((corpus / "procedures").glob("*.md"))[0]
    lines = path.read_text("utf-8").split("\n")
    header_end = [i for i, line in enumerate(lines) if line.strip() == "+++"][1]
    first = next(i for i in range(header_end + 1, len(lines)) if lines[i].startswith("## "))
    nxt = next((i for i in range(first + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    last = max(i for i in range(first + 1, nxt) if lines[i].strip())
    lines[last] = f"{lines[last].rstrip()} {EDIT_SENTENCE}"
    path.write_text("\n".join(lines), "utf-8")
    return path.name, lines[first][3:].strip()


def watch_rebuild(corpus: str, out: str) -> None:
    """`faq index watch` (faq.engine.watch) on a copy of the real corpus, in this one process: its first
    build (a full build: no cache, nothing loaded yet), then one document edited and rebuilt. Each build
    is timed around engine.build."""
    import faq.engine as engine

    corpus_p, out_p = Path(corpus), Path(out)
    real = engine.build
    builds: list[dict] = []

    def timed(*args, **kwargs):
        started = time.perf_counter()
        result = real(*args, **kwargs)
        builds.append({"seconds": time.perf_counter() - started, "reused": result[0].manifest["analyses_reused"]})
        return result

    edited: list[tuple[str, str]] = []
    engine.build = timed
    engine.watch(
        corpus_p,
        out_p,
        engine.Paths.default(),
        lambda _: None,
        rounds=2,
        sleep=lambda _: edited.append(edit_one_document(corpus_p)),
    )
    if len(builds) != 2:
        raise SystemExit(f"expected 2 builds, watch made {len(builds)}")
    emit({"first": builds[0], "rebuild": builds[1], "edited": edited[0]})


TASKS = {
    "build-faq": build_faq,
    "build-bm25s": build_bm25s,
    "latency": latency,
    "cold-faq": cold_faq,
    "analysis-rate": analysis_rate,
    "watch-rebuild": watch_rebuild,
}


def main(argv: list[str]) -> None:
    if argv and argv[0] == "ask-bm25s":
        rest = [a for a in argv[1:] if a != "--timings"]
        ask_bm25s(rest[0], rest[1], "--timings" in argv[1:])
        return
    if not argv or argv[0] not in TASKS:
        raise SystemExit(f"usage: children.py {{{','.join([*TASKS, 'ask-bm25s'])}}} ARGS…")
    TASKS[argv[0]](*argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
