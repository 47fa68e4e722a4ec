"""The child processes `bench/run.py` measures. Each task prints one JSON line (its measurements) last.

    build-faq CORPUS OUT            build our index through faq.engine.build, timing its phases
    build-bm25s CORPUS OUT          the same analysed tokens, indexed and saved by bm25s
    latency FAQ_INDEX BM25_DIR QUERIES MIN_SECONDS MAX_PASSES
                                    in-process per-query latency of both, with and without analysis
    cold-faq FAQ_INDEX QUERY        the real `cli.py ask --json` path with each phase timed (to stderr)
    ask-bm25s BM25_DIR QUERY [--timings]
                                    a minimal bm25s `ask --json`: load, analyse, score, print

Only the standard library is imported at module level, so every task pays exactly for what it uses.
Phase timings are wall-clock seconds from `time.perf_counter()`; the peak resident set size after a
phase is `ru_maxrss` of this process so far (KiB on Linux).
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

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.rss_kib[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def wrap(self, owner: object, attr: str, name: str) -> None:
        """Replace owner.attr by a timed wrapper that books its duration under `name`."""
        original = getattr(owner, attr)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - started)

        setattr(owner, attr, timed)

    def mark(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.add(name, now - since)
        return now


def emit(data: dict, stream=sys.stdout) -> None:
    stream.write(json.dumps(data, ensure_ascii=False) + "\n")
    stream.flush()


# ---------------------------------------------------------------- builds


def build_faq(corpus: str, out: str) -> None:
    ph = Phases()
    t = T0
    from sklearn.feature_extraction.text import TfidfVectorizer  # imported lazily by the build anyway

    import faq.engine as engine
    import faq.index as fi

    t = ph.mark("imports", t)
    ph.wrap(engine, "load_corpus", "load and validate corpus")
    ph.wrap(engine, "corpus_fingerprint", "fingerprint")
    ph.wrap(fi, "analyse_documents", "analysis")
    ph.wrap(TfidfVectorizer, "fit", "tf-idf fit")
    ph.wrap(fi, "_matrix", "matrices")
    ph.wrap(engine, "save_index", "save (checksums, fsync, publish)")
    started = time.perf_counter()
    _, report = engine.build(Path(corpus), Path(out), engine.Paths.default())
    total = time.perf_counter() - started
    ph.add("other", total - sum(v for k, v in ph.seconds.items() if k != "imports"))
    emit({"documents": report.documents, "vocabulary": report.vocabulary, "phases": ph.seconds, "rss_kib": ph.rss_kib})


def analyzer_parts() -> tuple:
    """The analyzer configuration and lexicon `faq.engine.build` uses for the project corpus."""
    from faq.config import AnalyzerConfig
    from faq.engine import Paths
    from faq.lexicon import load_lexicon

    return AnalyzerConfig(), load_lexicon(Paths.default().lexicon)


def build_bm25s(corpus: str, out: str) -> None:
    ph = Phases()
    t = T0
    import dataclasses

    import bm25s

    from faq.analyzer import Analyzer
    from faq.config import analyzer_to_dict
    from faq.corpus import load_corpus
    from faq.index import analyse_documents

    t = ph.mark("imports", t)
    docs = load_corpus(Path(corpus))
    t = ph.mark("load and validate corpus", t)
    config, lexicon = analyzer_parts()
    analyzer = Analyzer(config, lexicon)
    analysed = analyse_documents(docs, analyzer)
    t = ph.mark("analysis", t)
    channels = config.channels()
    tokens = [[f"{c}:{tok}" for c in channels for tok in analysed.whole(c, d)] for d in range(len(docs))]
    del analysed
    t = ph.mark("prefix tokens (as faq.evaluate.bm25_system)", t)
    retriever = bm25s.BM25()
    retriever.index(tokens, show_progress=False)
    t = ph.mark("bm25s index", t)
    target = Path(out)
    retriever.save(str(target), show_progress=False)
    docs_json = [dataclasses.asdict(d) for d in docs]
    (target / "documents.json").write_text(json.dumps(docs_json, ensure_ascii=False), "utf-8")
    meta = {"analyzer": analyzer_to_dict(config), "lexicon": lexicon.to_dict()}
    (target / "analyzer.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    ph.mark("save", t)
    emit({"documents": len(docs), "vocabulary": len(retriever.vocab_dict), "phases": ph.seconds, "rss_kib": ph.rss_kib})


# ---------------------------------------------------------------- bm25s query side


class Bm25Engine:
    """bm25s over our analysed tokens, answering like `ask --json` (id, title, score, summary)."""

    def __init__(self, directory: Path) -> None:
        import bm25s

        from faq.analyzer import Analyzer
        from faq.config import analyzer_from_dict
        from faq.lexicon import Lexicon

        meta = json.loads((directory / "analyzer.json").read_text("utf-8"))
        self.analyzer = Analyzer(analyzer_from_dict(meta["analyzer"]), Lexicon.from_dict(meta["lexicon"]))
        self.channels = self.analyzer.config.channels()
        self.retriever = bm25s.BM25.load(str(directory), show_progress=False)
        self.vocab = self.retriever.vocab_dict
        self.documents = json.loads((directory / "documents.json").read_text("utf-8"))
        import numpy as np

        self.np = np
        self.ids = np.array([d["id"] for d in self.documents])

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
            summary = next((s["text"] for s in doc["sections"] if s["heading"] == "Tóm tắt"), "")
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
    import underthesea  # noqa: F401  (the analyzer imports it on first use; timed apart as in cold-faq)

    t = ph.mark("underthesea import", t)
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

    t = ph.mark("imports", t)
    import underthesea  # noqa: F401  (imported lazily by the first segmentation otherwise)

    ph.mark("underthesea import", t)
    from faq import engine
    from faq.search import Searcher

    ph.wrap(engine, "staleness", "freshness check")
    ph.wrap(engine, "load_index", "index load")
    ph.wrap(Searcher, "vectors", "analysis")
    ph.wrap(Searcher, "score_vector", "scoring and ranking")
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
    bm = Bm25Engine(Path(bm25_dir))
    if searcher.analyzer.config != bm.analyzer.config or searcher.index.lexicon != bm.analyzer.lexicon:
        raise SystemExit("the two indexes were not built with the same analyzer and lexicon")

    def faq_full(q: str) -> None:
        searcher.search(q, top_k=TOP_K)

    def bm_full(q: str) -> None:
        bm.top(bm.tokens(q))

    def faq_pre(qv) -> None:
        scores, _ = searcher.score_vector(qv)
        searcher.rank(scores)[:TOP_K]

    def bm_pre(tokens) -> None:
        bm.top(tokens)

    for q in queries[:10]:  # warm-up: model load, caches
        faq_full(q)
        bm_full(q)
    clock = time.perf_counter
    out: dict = {"queries": len(queries)}
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


TASKS = {
    "build-faq": build_faq,
    "build-bm25s": build_bm25s,
    "latency": latency,
    "cold-faq": cold_faq,
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
