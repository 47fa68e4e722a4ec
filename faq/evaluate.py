"""The offline evaluation harness: labelled queries in, measured answer quality out.

- load_eval_set: JSONL `{"query", "expected": [ids], "type"}`; `expected: []` means out of scope, `type` is optional.
- Systems are functions `query -> (ranked ids, confidence)`: the full pipeline, baselines (bm25s over
  the same analysed tokens, plain TF-IDF over raw syllables) and ablations (the pipeline minus one
  component), all run on the same queries.
- evaluate() computes every metric for one run; compare() tests the difference of two runs;
  tune_threshold() picks the abstention threshold on dev data.
Rendering (table, JSON, Markdown, SVG) lives in faq.report.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from faq import metrics as m
from faq.analysis import analyse_documents
from faq.config import DEV_FALSE_ABSTENTION_CAP, SearchConfig
from faq.corpus import Document, id_text
from faq.errors import CorpusError, GateError
from faq.index import Index, build_index
from faq.search import Searcher
from faq.text import chunks, fold, normalize, syllables
from faq.typos import with_typos

RankFn = Callable[[str], tuple[list[str], float]]
QUERY_TYPES = ("formal", "colloquial", "no_diacritics", "typo", "abbreviation", "long")
OUT_OF_SCOPE = "out_of_scope"
UNTYPED = "untyped"  # the type of a query whose line names none: labelling types is optional
MAX_OVERLAP = 0.05


@dataclass(frozen=True)
class EvalQuery:
    query: str
    expected: tuple[str, ...]
    type: str
    hard: bool | None = None

    @property
    def in_scope(self) -> bool:
        return bool(self.expected)


def without_diacritics(queries: Sequence[EvalQuery]) -> list[EvalQuery]:
    """The queries as typed on a keyboard without Vietnamese input (`đăng ký` -> `dang ky`), types kept."""
    return [replace(q, query=fold(q.query)) for q in queries]


def with_slips(queries: Sequence[EvalQuery], count: int) -> list[EvalQuery]:
    """The queries with `count` typing slips each (faq.typos), types kept: typo tolerance judged on all."""
    return [replace(q, query=with_typos(q.query, count)) for q in queries]


def load_eval_set(path: Path, known_ids: set[str] | None = None) -> list[EvalQuery]:
    """Read and validate an eval set; every problem is reported as `file:line: problem`."""
    problems: list[str] = []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CorpusError(f"eval set {path} does not exist") from None
    except UnicodeDecodeError:
        raise CorpusError(f"eval set {path} is not UTF-8") from None
    out: list[EvalQuery] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(row, dict) or not isinstance(row.get("query"), str):
            problems.append(f"{where}: needs an object with a string `query`")
            continue
        expected = row.get("expected")
        ids = [id_text(e) for e in expected] if isinstance(expected, list) else [None]
        if None in ids:
            problems.append(f"{where}: `expected` must be a list of ids ([] for out of scope)")
            continue
        expected = ids  # numbered rows (`17`) are indexed under their number as text
        unknown = [e for e in expected if known_ids is not None and e not in known_ids]
        if unknown:
            problems.append(f"{where}: unknown id(s) {', '.join(unknown)} (not in the index)")
            continue
        kind = row.get("type", UNTYPED)
        if not isinstance(kind, str) or not kind:
            problems.append(f"{where}: `type`, when given, must be a non-empty string")
            continue
        out.append(EvalQuery(row["query"], tuple(expected), kind, row.get("hard")))
    if problems:
        raise CorpusError(f"{len(problems)} problem(s) in the eval set {path}", problems)
    if not out:
        raise CorpusError(f"eval set {path} holds no queries")
    return out


# ------------------------------------------------------------------ systems


def searcher_system(searcher: Searcher) -> RankFn:
    ids = searcher.index.doc_ids

    def rank(query: str) -> tuple[list[str], float]:
        scores, confidence = searcher.assess(query)
        return [ids[i] for i in searcher.rank(scores)], confidence

    return rank


def _ranked(ids: Sequence[str], scores: np.ndarray) -> tuple[list[str], float]:
    order = np.lexsort((np.array(ids), -np.round(scores, 12)))
    return [ids[i] for i in order], float(scores[order[0]]) if len(order) else 0.0


def bm25_system(index: Index) -> RankFn:
    """bm25s over exactly the token streams the pipeline's analyzer produces (all channels, prefixed),
    labelled messages included."""
    import bm25s

    analyzer = index.analyzer()
    channels = index.channels
    analyses = analyse_documents(index.documents, index.analyzer_config, index.lexicon)
    # a page's fields and its labelled messages (faq.examples, passages alone): the data the pipeline has
    corpus = [
        [
            f"{c}:{t}"
            for c in channels
            for counts in (*a.fields[c].values(), *(p[3].get(c, {}) for p in a.passages if p[0] == "example"))
            for t, n in counts.items()
            for _ in range(n)
        ]
        for a in analyses
    ]
    retriever = bm25s.BM25()
    retriever.index(corpus, show_progress=False)
    vocab = set(t for doc in corpus for t in doc)
    ids = index.doc_ids

    def rank(query: str) -> tuple[list[str], float]:
        tokens = analyzer.analyze(query, query=True)
        q = [f"{c}:{t}" for c in channels for t in tokens[c] if f"{c}:{t}" in vocab]
        scores = np.asarray(retriever.get_scores(q), dtype=float) if q else np.zeros(len(ids))
        return _ranked(ids, scores)

    return rank


def document_text(doc: Document) -> str:
    """All the text of a document, for baselines that see it as one string."""
    parts = [doc.title, *doc.aliases, *doc.questions, *doc.examples, doc.agency]
    parts += [f"{s.heading}\n{s.text}" for s in doc.sections]
    return "\n".join(parts)


def plain_tfidf_system(documents: Sequence[Document]) -> RankFn:
    """scikit-learn TF-IDF over raw lower-cased syllables: no Vietnamese processing at all."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(lowercase=True, sublinear_tf=True)
    matrix = vectorizer.fit_transform([document_text(d) for d in documents])
    ids = [d.id for d in documents]

    def rank(query: str) -> tuple[list[str], float]:
        scores = (matrix @ vectorizer.transform([query]).T).toarray().ravel()
        return _ranked(ids, scores)

    return rank


def ablation_indexes(index: Index) -> dict[str, tuple[Index, SearchConfig]]:
    """The pipeline minus one component each (plus one it leaves out), rebuilt from the same documents
    and lexicon."""
    cfg, lex, search = index.analyzer_config, index.lexicon, index.search_config

    def rebuilt(**change: bool) -> Index:
        return build_index(index.documents, replace(cfg, **change), lex, search)

    # Character n-grams are off by default (faq.config.AnalyzerConfig.char): the row shows what adding
    # them back does, with the channel weight `corpus/tuning.json` keeps for them.
    chars = (
        {"− character n-grams": (rebuilt(char=False), search)}
        if cfg.char
        else {"+ character n-grams": (rebuilt(char=True), search)}
    )
    # the citizens' labelled messages (faq.examples), when the corpus has any
    labelled: dict[str, tuple[Index, SearchConfig]] = {}
    # the lift for messages in English, when the tuning sets one
    english = (
        {"− English confidence": (index, replace(search, english_confidence=1.0))}
        if search.english_confidence != 1.0
        else {}
    )
    # the anchors' penalty (Document.anchors), when the tuning sets one and a page lists anchors
    anchors = (
        {"− anchors": (index, replace(search, anchor_penalty=0.0))}
        if search.anchor_penalty and any(d.anchors for d in index.documents)
        else {}
    )
    if any(d.examples for d in index.documents):
        unlabelled = [replace(d, examples=()) for d in index.documents]
        labelled["− labelled messages"] = (build_index(unlabelled, cfg, lex, search), search)
    return {
        "− segmentation": (rebuilt(segment=False), search),
        "− diacritic-free channel": (rebuilt(folded=False), search),
        **chars,
        "− field weighting": (index, search.with_equal_fields()),
        "− term coverage": (index, replace(search, term_coverage=0.0)),
        "− tie-break": (index, replace(search, tie_break=0.0)),
        "− lexicon": (build_index(index.documents, cfg, type(lex)(), search), search),
        # the lexicon's examples of other agencies' subjects (faq.topics), the rest of the lexicon kept
        "− topic examples": (index, replace(search, topic_weight=0.0)),
        # restoration acts on queries alone: the same index, read by an analyzer without it
        "− diacritic restoration": (replace(index, analyzer_config=replace(cfg, restore=False)), search),
        "− typo repair": (replace(index, analyzer_config=replace(cfg, repair=False)), search),
        # the pages' bare topics (Document.bare_topics), for messages that are only a topic
        "− bare topics": (replace(index, bare_topics=()), search),
        **english,
        **anchors,
        **labelled,
    }


# ------------------------------------------------------------------ running and measuring


@dataclass(frozen=True)
class Run:
    """One system's answers to an eval set."""

    name: str
    queries: tuple[EvalQuery, ...]
    ranked: tuple[tuple[str, ...], ...]
    confidence: tuple[float, ...]
    threshold: float

    @property
    def abstained(self) -> list[bool]:
        return [c < self.threshold or c <= 0 for c in self.confidence]


def run_system(name: str, rank: RankFn, queries: Sequence[EvalQuery], threshold: float) -> Run:
    ranked, conf = [], []
    for q in queries:
        ids, c = rank(q.query)
        ranked.append(tuple(ids))
        conf.append(c)
    return Run(name, tuple(queries), tuple(ranked), tuple(conf), threshold)


def per_query(run: Run) -> list[dict[str, float]]:
    """Ranking metrics of each in-scope query (out-of-scope queries get none)."""
    out = []
    for q, ranked in zip(run.queries, run.ranked, strict=True):
        if not q.in_scope:
            out.append({})
            continue
        out.append(
            {
                "accuracy_at_1": m.accuracy_at(ranked, q.expected, 1),
                "mrr_at_10": m.reciprocal_rank(ranked, q.expected, 10),
                "recall_at_3": m.recall_at(ranked, q.expected, 3),
                "recall_at_5": m.recall_at(ranked, q.expected, 5),
                "ndcg_at_10": m.ndcg_at(ranked, q.expected, 10),
            }
        )
    return out


def evaluate(
    run: Run,
    categories: dict[str, str] | None = None,
    bootstrap: bool = True,
    pointers: dict[str, tuple[str, ...]] | None = None,
) -> dict:
    """Every metric of a run: overall, by type and category, CIs, abstention, risk-coverage, failures.
    With the pages' `pointers` (`Document.see_instead`, by page id), also `reached_at_1`."""
    categories = categories or {}
    rows = per_query(run)
    inscope = [i for i, q in enumerate(run.queries) if q.in_scope]
    abst = run.abstained

    def agg(indices: Sequence[int]) -> dict[str, float]:
        keys = ("accuracy_at_1", "mrr_at_10", "recall_at_3", "recall_at_5", "ndcg_at_10")
        return {k: m.mean([rows[i][k] for i in indices]) for k in keys} | {"n": len(indices)}

    metrics = agg(inscope)
    a = m.abstention([not q.in_scope for q in run.queries], abst)
    metrics |= {
        "abstention_precision": a.precision,
        "abstention_recall": a.recall,
        "abstention_f1": a.f1,
        "false_abstention_rate": a.false_abstention_rate,
        "answered_accuracy": m.mean([rows[i]["accuracy_at_1"] for i in inscope if not abst[i]]),
        "queries": len(run.queries),
        "out_of_scope": len(run.queries) - len(inscope),
        "threshold": run.threshold,
    }
    if pointers is not None:
        metrics["reached_at_1"] = reached_at_1(run, pointers)
    if bootstrap:
        for key in ("accuracy_at_1", "mrr_at_10"):
            lo, hi = m.bootstrap_ci([rows[i][key] for i in inscope])
            metrics[f"{key}_ci95"] = [lo, hi]
    by_type: dict[str, list[int]] = defaultdict(list)
    by_category: dict[str, list[int]] = defaultdict(list)
    for i in inscope:
        by_type[run.queries[i].type].append(i)
        by_category[categories.get(run.queries[i].expected[0], "?")].append(i)
    oos_by_kind: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(run.queries):
        if not q.in_scope:
            oos_by_kind["hard" if q.hard else "easy"].append(i)
    curve = m.risk_coverage([run.confidence[i] for i in inscope], [rows[i]["accuracy_at_1"] == 1.0 for i in inscope])
    failures = [
        {"query": run.queries[i].query, "expected": list(run.queries[i].expected), "first": run.ranked[i][0]}
        for i in inscope
        if rows[i]["accuracy_at_1"] < 1.0
    ]
    metrics["coverage_at_95"] = m.coverage_at_accuracy(curve, 0.95)
    return {
        "name": run.name,
        "metrics": metrics,
        "by_type": {t: agg(ix) for t, ix in sorted(by_type.items())},
        "by_category": {c: agg(ix) for c, ix in sorted(by_category.items())},
        "out_of_scope": {
            k: {"n": len(ix), "abstained": m.mean([abst[i] for i in ix])} for k, ix in oos_by_kind.items()
        },
        "risk_coverage": [{"threshold": p.threshold, "coverage": p.coverage, "accuracy": p.accuracy} for p in curve],
        "failures": failures,
    }


def reached_at_1(run: Run, pointers: dict[str, tuple[str, ...]]) -> float:
    """Share of in-scope queries whose first page is right or names a right page among its pointers
    (`Document.see_instead`): what a citizen reaches from the first answer, one step on. Ranking is
    measured by accuracy@1; this measures how much of what it misses the pointers bring back."""
    reached = [
        bool({ranked[0], *pointers.get(ranked[0], ())} & set(q.expected)) if ranked else False
        for q, ranked in zip(run.queries, run.ranked, strict=True)
        if q.in_scope
    ]
    return m.mean([float(r) for r in reached])


def run_to_json(run: Run, report: dict) -> dict:
    """The `eval --json` object: metrics plus every query's ranking."""
    return {
        "metrics": report["metrics"],
        "by_type": report["by_type"],
        "risk_coverage": report["risk_coverage"],
        "queries": [
            {
                "query": q.query,
                "expected": list(q.expected),
                "ranked": list(ranked[:10]),
                "confidence": conf,
                "abstained": ab,
                "type": q.type,
            }
            for q, ranked, conf, ab in zip(run.queries, run.ranked, run.confidence, run.abstained, strict=True)
        ],
    }


def compare(current: dict, previous: dict) -> dict:
    """Paired differences of two `eval --json` outputs on the queries they share, with p-values."""
    before = {q["query"]: q for q in previous.get("queries", []) if q.get("expected")}
    pairs = [(q, before[q["query"]]) for q in current.get("queries", []) if q.get("expected") and q["query"] in before]
    out = {"shared_queries": len(pairs)}
    for key, fn in (("accuracy_at_1", lambda r, e: m.accuracy_at(r, e, 1)), ("mrr_at_10", m.reciprocal_rank)):
        a = [fn(q["ranked"], q["expected"]) for q, _ in pairs]
        b = [fn(p["ranked"], p["expected"]) for _, p in pairs]
        out[key] = {
            "current": m.mean(a),
            "previous": m.mean(b),
            "difference": m.mean(a) - m.mean(b),
            "p_value": m.paired_randomization(a, b) if pairs else 1.0,
        }
    return out


# ------------------------------------------------------------------ tuning and gating


def tune_threshold(run: Run, max_false_abstention: float = DEV_FALSE_ABSTENTION_CAP) -> float:
    """The abstention threshold for a run's system on dev (see metrics.best_threshold), within the cap the
    pipeline's own threshold is chosen under, so the baselines' abstention columns compare like with like."""
    return best_threshold_of(run, max_false_abstention)[0]


def best_threshold_of(run: Run, max_false_abstention: float) -> tuple[float, float]:
    """(threshold, abstention F1) of a run (metrics.best_threshold over its confidences)."""
    return m.best_threshold(run.confidence, [not q.in_scope for q in run.queries], max_false_abstention)


def overlap_with_corpus(queries: Sequence[EvalQuery], documents: Sequence[Document]) -> tuple[int, float]:
    """How many eval queries also appear (normalised) among the corpus' own sample questions or its
    labelled messages (`faq.examples`): a set measured on messages the index learnt from measures nothing."""

    def key(text: str) -> str:
        return " ".join(s for c in chunks(normalize(text)) for s in syllables(c))

    corpus_questions = {key(q) for d in documents for q in (*d.questions, *(qa for qa, _ in d.qas), *d.examples)}
    hits = sum(1 for q in queries if key(q.query) in corpus_questions)
    return hits, hits / len(queries) if queries else 0.0


def check_gate(metrics: dict, floor: dict, overlap_share: float) -> list[str]:
    """Reasons the run fails the committed floor (empty list: it passes)."""
    reasons = []
    for key in ("accuracy_at_1", "mrr_at_10", "recall_at_3"):  # recall@3: every page a message asks for
        if key in floor and metrics[key] < floor[key]:
            reasons.append(f"{key} {metrics[key]:.4f} < floor {floor[key]:.4f}")
    if "abstention_f1" in floor and metrics["abstention_f1"] < floor["abstention_f1"] - 0.03:
        reasons.append(f"abstention_f1 {metrics['abstention_f1']:.4f} < floor {floor['abstention_f1']:.4f} - 0.03")
    if overlap_share > MAX_OVERLAP:
        reasons.append(f"{overlap_share:.1%} of eval queries copy corpus questions (limit {MAX_OVERLAP:.0%})")
    return reasons


def load_floor(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CorpusError(f"floor file {path} does not exist; create it with the current figures") from None
    except ValueError as exc:
        raise CorpusError(f"floor file {path} is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise CorpusError(f"floor file {path} must hold a JSON object")
    return data


def gate(metrics: dict, floor_path: Path, overlap_share: float) -> None:
    reasons = check_gate(metrics, load_floor(floor_path), overlap_share)
    if reasons:
        raise GateError("quality gate failed: " + "; ".join(reasons))
