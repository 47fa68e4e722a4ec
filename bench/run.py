"""Benchmark the engine beside bm25s over identical tokens, on the real corpus and synthetic ones.

    .venv/bin/python bench/run.py                      # = make bench: real, 1k, 10k, 100k within 600 s
    .venv/bin/python bench/run.py --sizes real,1k      # chosen sizes (real, 1k, 10k, 100k or a number)
    .venv/bin/python bench/run.py --budget 0           # no time budget (memory is still checked)

Every figure is measured in this run for both systems and printed side by side with their ratio:

- query latency p50/p95/p99 and single-thread queries per second over the queries of
  corpus/eval/dev.jsonl, in one process, the two engines interleaved query by query: with query
  analysis (ours: `Searcher.search`, top 5 with matched passages; bm25s: the same analyzer object,
  restoration and typo repair included, then `get_scores` and the top 5) and without it (vectors /
  token lists precomputed: scoring and ranking); after one untimed pass of every query through both
  engines, i.e. in a long-running process's steady state (faq's memory-mapped index pages are read in
  on first use; a fresh process's cost is the cold `ask` row);
- cold `ask --json`: wall time from process start to the answer line on stdout (median of --runs
  runs, index already built; ours: `cli.py ask --json --index DIR`; bm25s: `children.py ask-bm25s`),
  beside the floor `python -c "import underthesea"`, and its breakdown by phase (children.py);
- index build: process wall time, cost per document, artifact size on disk, and peak memory. Builds
  analyse in a pool of worker processes, so memory is sampled every 0.2 s over the whole process tree
  (sum of PSS, i.e. shared pages counted once, and sum of RSS), beside `ru_maxrss` from os.wait4 for
  the build child (the largest single process of its tree; RUSAGE_CHILDREN would report the largest
  child so far, i.e. an earlier, bigger build). Every full build starts without an analysis cache: a
  fresh output directory whose parent holds no `.cache`;
- rebuild after editing one document (real corpus): the full build above leaves its per-document
  analysis cache in `<out>/../.cache`; one sentence is then appended to one section of one document
  of the (copied) corpus and the index rebuilt into the same directory. Reported: process wall time,
  in-process time (`engine.build`, and the manifest's `build_seconds`), the full ÷ rebuild ratios and
  the manifest's `analyses_reused`;
- analysis cost per document in one process with the analyzer's segmentation memo and without it,
  and the share of segmented chunks that repeat an earlier one (what the memo can save on a corpus).

Sizes: `real` is corpus/procedures (the full procedure documents); `1k`… are synthetic FAQ files of
that many FAQ entries (a citizen question and a 2–4 sentence answer each) recombined from it
(bench/synth.py), the scale scenario of a province or the whole country loading tens of thousands of
FAQ entries. Before each size the run estimates its cost from the previous size (linear in analysed
words, fixed start-up costs apart); a size that would overrun the time budget or the available memory
is skipped and the estimate is reported. The issue's targets are checked at the end ("Targets").
Results go to bench/RESULTS.json and bench/RESULTS.md (--out) and the table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from children import EDIT_SENTENCE, TOKENS_PHASE, edit_one_document  # noqa: E402  (standard library only at import)

CHILD = ROOT / "bench" / "children.py"
PY = sys.executable
SIZES = {"real": 0, "1k": 1_000, "10k": 10_000, "100k": 100_000}
DEFAULT_SIZES = "real,1k,10k,100k"
QUIET_ENV = {"PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def log(message: str) -> None:
    sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------- running children


@dataclass
class Proc:
    wall: float  # process start to exit, seconds
    answer: float  # process start to the first stdout line, seconds (== wall when nothing was printed)
    rss_mib: float  # ru_maxrss of this child (the largest single process of its tree)
    stdout: str
    stderr: str
    tree_pss_mib: float = 0.0  # peak of the summed PSS of the child and its descendants (sampled)
    tree_rss_mib: float = 0.0  # peak of their summed RSS (shared pages counted in each process)

    @property
    def peak_mib(self) -> float:
        """Best lower bound of the tree's true peak: sampled PSS, or the exact largest single process."""
        return max(self.tree_pss_mib, self.rss_mib)


def _env() -> dict[str, str]:
    return {**os.environ, **QUIET_ENV}


def _tree(pid: int) -> list[int]:
    """pid and all its descendants (Linux /proc/PID/task/TID/children)."""
    out, i = [pid], 0
    while i < len(out):
        try:
            for task in os.listdir(f"/proc/{out[i]}/task"):
                with open(f"/proc/{out[i]}/task/{task}/children") as fh:
                    out += [int(x) for x in fh.read().split()]
        except (OSError, ValueError):
            pass
        i += 1
    return out


def _memory_kib(pid: int) -> tuple[int, int]:
    """(PSS, RSS) of one process in KiB, 0 when it is gone."""
    pss = rss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                elif line.startswith("Rss:"):
                    rss = int(line.split()[1])
    except (OSError, ValueError):
        pass
    return pss, rss


class TreeSampler:
    """Samples the summed memory of a process tree every `interval` seconds in a thread."""

    def __init__(self, pid: int, interval: float = 0.2) -> None:
        self.pid, self.interval = pid, interval
        self.pss_kib = self.rss_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            pss = rss = 0
            for pid in _tree(self.pid):
                p, r = _memory_kib(pid)
                pss, rss = pss + p, rss + r
            self.pss_kib, self.rss_kib = max(self.pss_kib, pss), max(self.rss_kib, rss)
            self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run_child(cmd: list[str], first_line: bool = False, sample_tree: bool = False) -> Proc:
    """Run one process; time it to its first stdout line and to its exit; its own peak RSS via wait4
    and, with sample_tree, the peak memory of its whole process tree."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=err)
        sampler = TreeSampler(proc.pid) if sample_tree else None
        assert proc.stdout is not None
        head = proc.stdout.readline() if first_line else b""
        answered = time.perf_counter()
        rest = proc.stdout.read()
        if sampler:
            sampler.stop()  # before the child is reaped: its /proc entry is still there until wait4
        _, status, usage = os.wait4(proc.pid, 0)
        ended = time.perf_counter()
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    stdout = (head + rest).decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr[-3000:]}")
    return Proc(
        ended - started,
        (answered if first_line else ended) - started,
        usage.ru_maxrss / 1024,
        stdout,
        stderr,
        sampler.pss_kib / 1024 if sampler else 0.0,
        sampler.rss_kib / 1024 if sampler else 0.0,
    )


def last_json(text: str) -> dict:
    return json.loads([line for line in text.splitlines() if line.strip()][-1])


def timings(stderr: str) -> dict[str, float]:
    line = next(line for line in reversed(stderr.splitlines()) if line.startswith("TIMINGS "))
    return json.loads(line[len("TIMINGS ") :])


def median_phases(runs: list[dict[str, float]]) -> dict[str, float]:
    keys = list(dict.fromkeys(k for r in runs for k in r))
    return {k: statistics.median(r.get(k, 0.0) for r in runs) for k in keys}


def dir_bytes(path: Path) -> dict[str, int]:
    path = path.resolve()
    return {p.name: p.stat().st_size for p in sorted(path.iterdir()) if p.is_file()}


# ---------------------------------------------------------------- measuring


def measure_floors(runs: int) -> dict:
    """Interpreter start and `import underthesea`: what any Python CLI using underthesea pays."""
    log(f"floors: python -c pass / import underthesea, {runs} runs each")
    # Unmeasured warm-up: bring the segmentation model and the project's bytecode into the page cache,
    # so whichever engine is measured first does not pay for the disk.
    run_child([PY, "-c", "import cli; from underthesea import word_tokenize; word_tokenize('xin chào')"])
    start = [run_child([PY, "-c", "pass"]) for _ in range(runs)]
    floor = [run_child([PY, "-c", "import underthesea"]) for _ in range(runs)]
    return {
        "python_start_s": statistics.median(p.wall for p in start),
        "import_underthesea_s": statistics.median(p.wall for p in floor),
        "import_underthesea_rss_mib": statistics.median(p.rss_mib for p in floor),
    }


def _build_record(p: Proc, data: dict, directory: Path, shared_analysis_s: float = 0.0) -> dict:
    """`shared_analysis_s`: analysis done by another build whose tokens this one read, added to its wall."""
    return {
        "wall_s": p.wall + shared_analysis_s,
        "own_wall_s": p.wall,
        "shared_analysis_s": shared_analysis_s,
        "rss_mib": p.rss_mib,
        "tree_pss_mib": p.tree_pss_mib,
        "tree_rss_mib": p.tree_rss_mib,
        "peak_mib": p.peak_mib,
        "phases_s": data["phases"],
        "rss_after_phase_mib": {k: v / 1024 for k, v in data["rss_kib"].items()},
        "vocabulary": data["vocabulary"],
        "files_bytes": dir_bytes(directory),
        **{
            k: data[k]
            for k in ("words", "engine_build_s", "build_seconds", "build_stages", "analyses_reused")
            if k in data
        },
    }


def measure_size(label: str, corpus: Path, work: Path, args: argparse.Namespace, floors: dict) -> dict:
    started = time.perf_counter()
    faq_dir, bm_dir = work / label / "faq-index", work / label / "bm25s-index"
    if (faq_dir.parent / ".cache").exists() or faq_dir.exists():
        raise RuntimeError(f"{faq_dir.parent} is not fresh: a full build must start without an analysis cache")
    log(f"{label}: building our index (child process, no analysis cache)")
    fb = run_child([PY, str(CHILD), "build-faq", str(corpus), str(faq_dir)], sample_tree=True)
    fbj = last_json(fb.stdout)
    n = fbj["documents"]
    if fbj.get("analyses_reused"):
        raise RuntimeError(f"{label}: the full build reused {fbj['analyses_reused']} cached analyses")
    log(f"{label}: {n} documents built in {fb.wall:.1f} s, peak {fb.peak_mib:.0f} MiB; now bm25s")
    # bm25s indexes the tokens of the analysis faq's build just made (its cache), rather than analysing
    # again with the same code: its build time is then that analysis time (from faq's build) + its own.
    cache = faq_dir.parent / ".cache"
    bb = run_child([PY, str(CHILD), "build-bm25s", str(corpus), str(bm_dir), str(cache)], sample_tree=True)
    bbj = last_json(bb.stdout)
    shared = fbj["phases"].get("analysis and counting", 0.0)
    log(f"{label}: bm25s built in {bb.wall:.1f} s; analysis cost with and without the segmentation memo")
    rate_started = time.perf_counter()
    rate = last_json(run_child([PY, str(CHILD), "analysis-rate", str(corpus), str(args.rate_sample)]).stdout)
    rate["seconds"] = time.perf_counter() - rate_started
    log(f"{label}: in-process latency over {args.queries.name}")
    lat_started = time.perf_counter()
    lat = last_json(
        run_child(
            [PY, str(CHILD), "latency", str(faq_dir), str(bm_dir), str(args.queries), str(args.min_seconds), "5"]
        ).stdout
    )
    lat_seconds = time.perf_counter() - lat_started
    log(f"{label}: cold ask, {args.runs} runs × (plain, with breakdown) × 2 engines")
    query = args.query
    cold_started = time.perf_counter()
    plain_f, plain_b, phases_f, phases_b = [], [], [], []
    run_child([PY, "cli.py", "ask", "--json", "--index", str(faq_dir), query])  # warm-up, not measured
    run_child([PY, str(CHILD), "ask-bm25s", str(bm_dir), query])
    for _ in range(args.runs):
        p = run_child([PY, "cli.py", "ask", "--json", "--index", str(faq_dir), query], first_line=True)
        _check_answer(p, query)
        plain_f.append(p)
        plain_b.append(run_child([PY, str(CHILD), "ask-bm25s", str(bm_dir), query], first_line=True))
        c = run_child([PY, str(CHILD), "cold-faq", str(faq_dir), query], first_line=True)
        _check_answer(c, query)
        phases_f.append(timings(c.stderr))
        phases_b.append(timings(run_child([PY, str(CHILD), "ask-bm25s", str(bm_dir), query, "--timings"]).stderr))
    cold_seconds = time.perf_counter() - cold_started
    return {
        "documents": n,
        "words": fbj["words"],
        "corpus": str(corpus),
        "corpus_kind": "faq entries" if corpus.is_file() else "procedure documents",
        "build": {"faq": _build_record(fb, fbj, faq_dir), "bm25s": _build_record(bb, bbj, bm_dir, shared)},
        "analysis_rate": rate,
        "latency": lat,
        "cold": {
            "query": query,
            "runs": args.runs,
            "faq": {
                "answer_s": statistics.median(p.answer for p in plain_f),
                "exit_s": statistics.median(p.wall for p in plain_f),
                "phases_s": {"interpreter start": floors["python_start_s"], **median_phases(phases_f)},
            },
            "bm25s": {
                "answer_s": statistics.median(p.answer for p in plain_b),
                "exit_s": statistics.median(p.wall for p in plain_b),
                "phases_s": {"interpreter start": floors["python_start_s"], **median_phases(phases_b)},
            },
        },
        "section_seconds": {
            "build": fb.wall + bb.wall,
            "analysis_rate": rate["seconds"],
            "latency": lat_seconds,
            "cold": cold_seconds,
            "total": time.perf_counter() - started,
        },
    }


def measure_rebuild(work: Path) -> dict:
    """Full build of a copy of the real corpus (no cache), then one document edited and rebuilt."""
    base = work / "real-rebuild"
    corpus = base / "corpus"
    shutil.copytree(ROOT / "corpus" / "procedures", corpus / "procedures")
    out = base / "index" / "faq-index"
    log("rebuild: full build of a copy of the real corpus (no analysis cache)")
    full = run_child([PY, str(CHILD), "build-faq", str(corpus), str(out)], sample_tree=True)
    fj = last_json(full.stdout)
    if fj.get("analyses_reused"):
        raise RuntimeError("the full build of the rebuild test reused cached analyses")
    name, heading = edit_one_document(corpus)
    log(f"rebuild: appended a sentence to `## {heading}` of {name}; rebuilding into the same directory")
    again = run_child([PY, str(CHILD), "build-faq", str(corpus), str(out)], sample_tree=True)
    aj = last_json(again.stdout)

    def record(p: Proc, data: dict) -> dict:
        return {
            "wall_s": p.wall,
            "engine_build_s": data["engine_build_s"],
            "build_seconds": data.get("build_seconds"),
            "build_stages": data.get("build_stages"),
            "analyses_reused": data.get("analyses_reused"),
            "phases_s": data["phases"],
            "peak_mib": p.peak_mib,
        }

    log("rebuild: the same in one `faq index watch` process (its first, full build; the edit; the rebuild)")
    watched = base / "watch"
    shutil.copytree(ROOT / "corpus" / "procedures", watched / "corpus" / "procedures")
    watch = last_json(
        run_child(
            [PY, str(CHILD), "watch-rebuild", str(watched / "corpus"), str(watched / "index" / "faq-index")]
        ).stdout
    )
    return {
        "documents": fj["documents"],
        "edited": {"file": name, "section": heading, "appended": EDIT_SENTENCE},
        "full": record(full, fj),
        "rebuild": record(again, aj),
        "watch": watch,
    }


def _check_answer(p: Proc, query: str) -> None:
    """The cold run must have answered from the built index, not rebuilt it (that would time a build)."""
    data = json.loads(p.stdout.splitlines()[0])
    if data.get("query") != query or not data.get("results") or "rebuilt" in p.stderr or "warning" in p.stderr:
        raise RuntimeError(f"unexpected cold ask output: {p.stdout[:300]!r} {p.stderr[-500:]!r}")


# ---------------------------------------------------------------- estimating skipped sizes


def mem_available_mib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("inf")


def corpus_words(path: Path) -> int:
    """Words a FAQ file gives the analyzer (title, aliases, question, answer: as faq.analysis.units),
    without importing the project (used to estimate a size before measuring it)."""
    total = 0
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            question = row.get("question") or ""
            parts = [row.get("title") or question, *row.get("aliases", []), question, row.get("answer", "")]
            total += sum(len(str(x).split()) for x in parts)
    return total


FIXED_PHASES = ("imports", "scikit-learn import")  # paid once per process, whatever the corpus size


def estimate(prev: dict, n: int, words: int, floors: dict, runs: int) -> dict:
    """Cost of measuring `n` documents of `words` analysed words, scaled linearly in words from the
    previous size's measurements (a full procedure and a FAQ entry differ in length, not in the cost
    of a word), start-up costs apart. Query-side costs are scaled linearly too (an upper bound)."""
    f = words / prev["words"]
    b = prev["build"]

    def build_cost(system: str) -> float:
        fixed = sum(b[system]["phases_s"].get(k, 0.0) for k in FIXED_PHASES)
        own = b[system].get("own_wall_s", b[system]["wall_s"])  # bm25s's share of analysis is faq's
        return fixed + (own - fixed) * f

    build_s = build_cost("faq") + build_cost("bm25s")
    lat = prev["latency"]
    warm_up = lat.get("warm_up_seconds", 0.0)  # an untimed pass of every query first
    one_pass = warm_up + sum(lat[m]["first_pass_seconds"] for m in ("with_analysis", "precomputed"))
    latency_s = one_pass * f  # the warm-up and one pass per mode at large sizes
    rate_s = prev["section_seconds"].get("analysis_rate", 0.0) + b["faq"]["phases_s"].get(
        "load and validate corpus", 0.0
    ) * (f - 1)

    def per_run(system: str) -> float:
        c = prev["cold"][system]
        scaling = sum(c["phases_s"].get(k, 0.0) for k in ("freshness check", "index load", "scoring and ranking"))
        return c["exit_s"] + scaling * (f - 1)

    cold_s = (2 * runs + 1) * (per_run("faq") + per_run("bm25s"))
    base = floors["import_underthesea_rss_mib"]
    peak = max(b["faq"]["peak_mib"], b["bm25s"]["peak_mib"])
    return {
        "documents": n,
        "words": words,
        "scale_in_words": f,
        "from_size_documents": prev["documents"],
        "from_size_words": prev["words"],
        "build_ms_per_doc": {s: build_cost(s) / n * 1e3 for s in ("faq", "bm25s")},
        "build_s_each": {s: build_cost(s) for s in ("faq", "bm25s")},
        "build_s": build_s,
        "latency_s": latency_s,
        "analysis_rate_s": rate_s,
        "cold_s": cold_s,
        "total_s": build_s + latency_s + rate_s + cold_s,
        "faq_build_peak_mib": base + (b["faq"]["peak_mib"] - base) * f,
        "faq_peak_kib_per_doc": (b["faq"]["peak_mib"] - base) * 1024 / prev["documents"],
        "peak_mib": base + (peak - base) * f,
        "faq_artifact_mib": sum(b["faq"]["files_bytes"].values()) / 2**20 * f,
    }


# ---------------------------------------------------------------- the table


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.2f}" if value < 10 else f"{value:.1f}" if value < 1000 else f"{value:,.0f}"
    if unit == "s":
        return f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 100 else f"{value:,.0f}"
    if unit in ("MB", "MiB"):
        return f"{value:.2f}" if value < 1 else f"{value:,.1f}"
    if unit == "q/s":
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    return f"{value:g}"


def _ratio(a: float | None, b: float | None, unit: str = "") -> str:
    if a is None or b is None or b == 0 or (unit == "s" and b < 0.001):  # below a millisecond: noise
        return "—"
    return f"{a / b:.2f}×"


def size_label(key: str, docs: int, words: int | None = None) -> str:
    avg = f", avg {words / docs:,.0f} words" if words else ""
    if key == "real":
        return f"real: {docs} procedure documents{avg}"
    return f"synthetic: {docs:,} FAQ entries{avg}"


def rows_for(key: str, m: dict, floors: dict) -> list[dict]:
    label = size_label(key, m["documents"], m.get("words"))
    rows: list[dict] = []

    def row(measure: str, unit: str, f: float | None, b: float | None, note: str = "") -> None:
        rows.append({"corpus": label, "measure": measure, "unit": unit, "faq": f, "bm25s": b, "note": note})

    lat = m["latency"]
    wa, pre = lat["with_analysis"], lat["precomputed"]
    for p in ("p50", "p95", "p99"):
        note = (
            f"{lat['queries']} dev queries × {wa['passes']} pass(es) after an untimed one; faq = Searcher.search "
            "(top 5 + matched passage)"
            if p == "p50"
            else ""
        )
        row(f"query latency {p}, with analysis", "ms", wa["faq"][f"{p}_ms"], wa["bm25s"][f"{p}_ms"], note)
    row("queries/s, 1 thread, with analysis", "q/s", wa["faq"]["qps"], wa["bm25s"]["qps"])
    for p in ("p50", "p95", "p99"):
        note = f"{pre['passes']} pass(es); scoring + ranking only" if p == "p50" else ""
        row(f"query latency {p}, vectors precomputed", "ms", pre["faq"][f"{p}_ms"], pre["bm25s"][f"{p}_ms"], note)
    row("queries/s, 1 thread, vectors precomputed", "q/s", pre["faq"]["qps"], pre["bm25s"]["qps"])

    cold = m["cold"]
    fl = floors["import_underthesea_s"]
    cf, cb = cold["faq"], cold["bm25s"]
    row(
        f"cold `ask --json`: start → answer (median of {cold['runs']})",
        "s",
        cf["answer_s"],
        cb["answer_s"],
        f'floor `python -c "import underthesea"` = {fl:.3f} s: faq {cf["answer_s"] / fl:.2f}× the floor, '
        f"bm25s {cb['answer_s'] / fl:.2f}×; process exit at {cf['exit_s']:.3f} / {cb['exit_s']:.3f} s",
    )
    notes = {
        "interpreter start": "`python -c pass`, same for both",
        "imports": "faq: `import cli`; bm25s: bm25s, numpy, faq.analyzer",
        "underthesea import": "not imported by queries: they are segmented against the index's words",
        "freshness check": "stat of every corpus file + lexicon, hashed only if one changed (bm25s: none)",
        "index load": "faq: memory maps, size + remembered CRC checks, JSON; bm25s: BM25.load + ids + documents "
        "(both decode a document when shown)",
        "analysis": "the first query: longest-match segmentation against the index's words",
        "scoring and ranking": "",
        "other": "faq: option parsing, Searcher, hits, JSON; bm25s: JSON",
    }
    for phase, note in notes.items():
        f_v = cf["phases_s"].get(phase)
        b_v = cb["phases_s"].get(phase)
        row(f"  · {phase}", "s", f_v, b_v, note)

    bf, bb = m["build"]["faq"], m["build"]["bm25s"]
    n = m["documents"]
    total = bf["wall_s"]
    shares = ", ".join(f"{k} {v / total:.0%}" for k, v in sorted(bf["phases_s"].items(), key=lambda kv: -kv[1])[:4])
    row(
        "index build, process wall (no analysis cache)",
        "s",
        bf["wall_s"],
        bb["wall_s"],
        f"faq: {shares}; in-process `engine.build` {bf.get('engine_build_s', 0):.2f} s",
    )
    row(
        "build cost per document",
        "ms",
        bf["wall_s"] / n * 1e3,
        bb["wall_s"] / n * 1e3,
        f"analysis (with counting) {bf['phases_s'].get('analysis and counting', 0) / n * 1e3:.1f} ms/doc in faq's "
        f"build ({_cpus()} worker processes from 64 documents); bm25s reads those tokens back "
        f"({bb['phases_s'].get(TOKENS_PHASE, 0) / n * 1e3:.2f} ms/doc) and indexes them "
        f"({bb['phases_s'].get('bm25s index', 0) / n * 1e3:.2f} ms/doc); its wall = its own "
        f"{bb.get('own_wall_s', 0):.1f} s + faq's analysis {bb.get('shared_analysis_s', 0):.1f} s",
    )
    rate = m.get("analysis_rate")
    if rate:
        saved = 1 - rate["distinct_chunks"] / rate["chunks"] if rate["chunks"] else 0.0
        row(
            "analysis per document, 1 process, segmentation memo on",
            "ms",
            rate["memo_ms_per_doc"],
            None,
            f"first {rate['documents']} documents; memo off: {rate['no_memo_ms_per_doc']:.2f} ms/doc "
            f"({rate['no_memo_ms_per_doc'] / rate['memo_ms_per_doc']:.2f}×); {saved:.0%} of the "
            f"{rate['chunks']:,} segmented chunks of {rate['chunks_scanned_documents']:,} documents repeat an "
            "earlier one",
        )
    fsize, bsize = sum(bf["files_bytes"].values()), sum(bb["files_bytes"].values())
    big = max(bf["files_bytes"].items(), key=lambda kv: kv[1])
    row(
        "artifact size on disk",
        "MB",
        fsize / 1e6,
        bsize / 1e6,
        f"faq {fsize / n / 1e3:.1f} kB/doc, largest {big[0]} {big[1] / 1e6:.1f} MB; both include the documents",
    )
    after = bf["rss_after_phase_mib"]
    steps = [k for k in ("analysis and counting", "matrices", "save (checksums, fsync, publish)") if k in after]
    row(
        "peak memory of the build, whole process tree",
        "MiB",
        bf["peak_mib"],
        bb["peak_mib"],
        f"bm25s: indexing only (its analysis ran in faq's build); summed PSS sampled every 0.2 s (or the largest "
        f"single process if more); largest single process "
        f"{bf['rss_mib']:,.0f} / {bb['rss_mib']:,.0f}, summed RSS {bf['tree_rss_mib']:,.0f} / "
        f"{bb['tree_rss_mib']:,.0f}; faq main process peak after "
        + ", ".join(f"{k.split(' ')[0]} {after[k]:,.0f}" for k in steps),
    )
    return rows


def rebuild_rows(r: dict) -> list[dict]:
    full, again = r["full"], r["rebuild"]
    label = f"real: rebuild ({r['documents']} procedure documents)"

    def ratio(key: str) -> float:
        return full[key] / again[key] if again.get(key) else float("nan")

    return [
        {
            "corpus": label,
            "measure": "full build of a copy of the real corpus, no cache: process wall",
            "unit": "s",
            "faq": full["wall_s"],
            "bm25s": None,
            "note": f"in-process `engine.build` {full['engine_build_s']:.2f} s, manifest `build_seconds` "
            f"{full['build_seconds']:.2f} s",
        },
        {
            "corpus": label,
            "measure": "rebuild after editing one document: process wall",
            "unit": "s",
            "faq": again["wall_s"],
            "bm25s": None,
            "note": f"in-process `engine.build` {again['engine_build_s']:.2f} s, `build_seconds` "
            f"{again['build_seconds']:.2f} s; full ÷ rebuild: process wall {ratio('wall_s'):.1f}×, "
            f"`engine.build` {ratio('engine_build_s'):.1f}×, `build_seconds` {ratio('build_seconds'):.1f}× "
            f"(target ≥ 10×); `analyses_reused` {again['analyses_reused']} of {r['documents']}; edit: appended "
            f"a sentence to `## {r['edited']['section']}` of {r['edited']['file']}",
        },
    ] + _watch_rows(label, r.get("watch"))


def _watch_rows(label: str, w: dict | None) -> list[dict]:
    """The same edit in one long-lived `faq index watch` process (faq.engine.watch)."""
    if not w:
        return []
    row = {"corpus": label, "unit": "s", "bm25s": None}
    return [
        row
        | {
            "measure": "`faq index watch`: its first build (full: no cache, nothing loaded)",
            "faq": w["first"]["seconds"],
            "note": "`engine.build`, underthesea's import and model load included, as in any full build",
        },
        row
        | {
            "measure": "`faq index watch`: rebuild after editing one document",
            "faq": w["rebuild"]["seconds"],
            "note": f"`engine.build`; full ÷ rebuild {w['first']['seconds'] / w['rebuild']['seconds']:.1f}× "
            f"(target ≥ 10×); `analyses_reused` {w['rebuild']['reused']}; the process keeps the segmenter loaded "
            "and remembers segmented sentences, so only the edited document's new sentence is segmented",
        },
    ]


def skipped_rows(skipped: list[dict]) -> list[dict]:
    out = []
    for s in skipped:
        e = s["estimate"]
        out.append(
            {
                "corpus": size_label("synthetic", s["documents"], e.get("words")),
                "measure": "skipped",
                "unit": "",
                "faq": None,
                "bm25s": None,
                "note": s["reason"],
            }
        )
    return out


def _cpus() -> int:
    return os.cpu_count() or 1


def floor_rows(floors: dict) -> list[dict]:
    return [
        {
            "corpus": "floor",
            "measure": '`python -c pass` / `python -c "import underthesea"`',
            "unit": "s",
            "faq": floors["python_start_s"],
            "bm25s": floors["import_underthesea_s"],
            "note": "same for both engines; `import underthesea` peaks at "
            f"{floors['import_underthesea_rss_mib']:.0f} MiB",
        }
    ]


def markdown_table(rows: list[dict]) -> str:
    lines = [
        "| corpus | measure | unit | faq | bm25s (same tokens) | faq ÷ bm25s | notes |",
        "|---|---|---|--:|--:|--:|---|",
    ]
    previous = None
    for r in rows:
        corpus = r["corpus"] if r["corpus"] != previous else ""
        previous = r["corpus"]
        ratio = _ratio(r["faq"], r["bm25s"], r["unit"]) if r["corpus"] != "floor" else "—"
        lines.append(
            f"| {corpus} | {r['measure']} | {r['unit']} | {_fmt(r['faq'], r['unit'])} | "
            f"{_fmt(r['bm25s'], r['unit'])} | {ratio} | {r['note']} |"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- output


def _commit() -> str:
    """The checked-out commit, read from .git without running git."""
    git = ROOT / ".git"
    try:
        if git.is_file():  # a `git worktree` checkout: .git names the worktree's own git directory
            git = Path(git.read_text().split(":", 1)[1].strip())
            common = git / "commondir"
            if common.exists():  # its branches live in the main repository's refs
                head = (git / "HEAD").read_text().strip()
                if not head.startswith("ref: "):
                    return head
                git = (git / common.read_text().strip()).resolve()
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head
        ref = head[5:]
        if (git / ref).exists():
            return (git / ref).read_text().strip()
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split()[0]
    except OSError:
        pass
    return "unknown"


def environment() -> dict:
    cpu = "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        pass
    versions = {}
    for pkg in ("underthesea", "bm25s", "numpy", "scipy", "scikit-learn"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "missing"
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "mem_available_mib": round(mem_available_mib()),
        "load_average_1_5_15_at_end": [round(x, 2) for x in os.getloadavg()],
        "versions": versions,
        "commit": _commit(),
    }


def _slope(points: list[tuple[float, float]]) -> list[tuple[int, int, float]]:
    """Log-log slope between consecutive (size, cost) points: 1 = linear, below 1 = sub-linear."""
    out = []
    for (n1, c1), (n2, c2) in zip(points, points[1:], strict=False):
        if n1 > 0 and n2 > n1 and c1 > 0 and c2 > 0:
            out.append((int(n1), int(n2), math.log(c2 / c1) / math.log(n2 / n1)))
    return out


def targets(data: dict) -> list[dict]:
    """The issue's targets, each with the measured figure and met / not met (or not measured)."""
    sizes, floors, rebuild = data["sizes"], data["floors"], data.get("rebuild")
    short = {k: ("real" if k == "real" else f"{m['documents']:,}") for k, m in sizes.items()}
    out: list[dict] = []

    def add(target: str, met: bool | None, figure: str) -> None:
        out.append({"target": target, "met": met, "figure": figure})

    fl = floors["import_underthesea_s"]
    cold = {k: m["cold"]["faq"]["answer_s"] / fl for k, m in sizes.items()}
    add(
        "cold `ask` ≤ 1.3× the `import underthesea` floor",
        all(v <= 1.3 for v in cold.values()) if cold else None,
        ", ".join(f"{short[k]} {v:.2f}×" for k, v in cold.items()) + f" (floor {fl:.3f} s)",
    )

    def lat_ratio(m: dict, mode: str, p: str) -> float:
        lat = m["latency"][mode]
        return lat["faq"][f"{p}_ms"] / lat["bm25s"][f"{p}_ms"]

    pre = {k: (lat_ratio(m, "precomputed", "p50"), lat_ratio(m, "precomputed", "p95")) for k, m in sizes.items()}
    add(
        "in-process query latency, analysis excluded, ≤ 1.0× bm25s at every size (p50; p95 shown)",
        all(v[0] <= 1.0 for v in pre.values()) if pre else None,
        ", ".join(f"{short[k]} {a:.2f}× (p95 {b:.2f}×)" for k, (a, b) in pre.items()),
    )
    big = next((m for m in sizes.values() if m["documents"] == 100_000), None)
    limit = 2e9 / 2**20
    build_target = f"100,000-document build < 5 min on 2 cores ({_cpus()} here), peak memory < 2 GB"
    if big:
        a, b = lat_ratio(big, "with_analysis", "p50"), lat_ratio(big, "with_analysis", "p95")
        add("analysis included ≤ 2× bm25s at 100,000 (p50)", a <= 2.0, f"{a:.2f}× (p95 {b:.2f}×)")
        bf = big["build"]["faq"]
        add(
            build_target,
            bf["wall_s"] < 300 and bf["peak_mib"] < limit,
            f"{bf['wall_s']:.0f} s process wall, peak {bf['peak_mib']:,.0f} MiB (whole process tree; "
            f"2 GB = {limit:,.0f} MiB)",
        )
    else:
        largest = max(sizes.values(), key=lambda m: m["documents"], default=None)
        skip = next((x for x in data["skipped"] if x["documents"] == 100_000), None)
        why = "skipped (see below)" if skip else "not in --sizes"
        seen = ""
        if largest:
            a, b = lat_ratio(largest, "with_analysis", "p50"), lat_ratio(largest, "with_analysis", "p95")
            seen = f"; at {largest['documents']:,}: {a:.2f}× (p95 {b:.2f}×)"
        add("analysis included ≤ 2× bm25s at 100,000 (p50)", None, f"100,000 {why}{seen}")
        over = [m for m in sizes.values() if m["build"]["faq"]["peak_mib"] >= limit]
        figure = f"100,000 {why}"
        if skip:
            e = skip["estimate"]
            figure += f"; extrapolated: {e['build_s_each']['faq']:,.0f} s, peak ≈ {e['faq_build_peak_mib']:,.0f} MiB"
        if over:
            m = min(over, key=lambda m: m["documents"])
            figure += (
                f"; {m['documents']:,} entries already peak at {m['build']['faq']['peak_mib']:,.0f} MiB "
                f"(2 GB = {limit:,.0f} MiB), and a larger corpus does not need less"
            )
        add(build_target + (" (inferred)" if over else ""), False if over else None, figure)
    if rebuild:
        full, again = rebuild["full"], rebuild["rebuild"]
        inproc = full["engine_build_s"] / again["engine_build_s"]
        wall = full["wall_s"] / again["wall_s"]
        w = rebuild.get("watch")
        watched = w["first"]["seconds"] / w["rebuild"]["seconds"] if w else float("nan")
        add(
            "rebuild after editing one document of the real corpus ≥ 10× faster than a full build "
            "(in a `faq index watch` process; a fresh `faq index build` process shown too)",
            watched >= 10 if w else None,
            (
                f"`faq index watch`: full {w['first']['seconds']:.2f} → rebuild {w['rebuild']['seconds']:.2f} s "
                f"= {watched:.1f}×. "
                if w
                else ""
            )
            + f"Fresh process each (`faq index build`, not met): in-process `engine.build` "
            f"{full['engine_build_s']:.2f} → {again['engine_build_s']:.2f} s = {inproc:.1f}×; process wall "
            f"{full['wall_s']:.2f} → {again['wall_s']:.2f} s = {wall:.1f}× (a new process must import and load "
            "underthesea, ~0.5 s, to segment even one new sentence); "
            f"{again['analyses_reused']} of {rebuild['documents']} analyses reused",
        )
    else:
        add("rebuild after editing one document ≥ 10× faster", None, "not measured (run with the real size)")
    synth = sorted((m for k, m in sizes.items() if k != "real"), key=lambda m: m["documents"])
    if len(synth) >= 2:
        walls = _slope([(m["documents"], m["build"]["faq"]["wall_s"]) for m in synth])
        inner = _slope([(m["documents"], m["build"]["faq"].get("engine_build_s", 0.0)) for m in synth])
        add(
            "build cost grows no worse than linearly (log-log slope ≤ 1 between synthetic sizes)",
            all(x[2] <= 1.0 for x in walls + inner),
            "process wall "
            + ", ".join(f"{a:,}→{b:,}: {sl:.2f}" for a, b, sl in walls)
            + "; in-process "
            + ", ".join(f"{a:,}→{b:,}: {sl:.2f}" for a, b, sl in inner)
            + "; ms/entry "
            + ", ".join(f"{m['documents']:,}: {m['build']['faq']['wall_s'] / m['documents'] * 1e3:.2f}" for m in synth),
        )
        parts, ok = [], True
        for mode in ("precomputed", "with_analysis"):
            sl = _slope([(m["documents"], m["latency"][mode]["faq"]["p50_ms"]) for m in synth])
            ok = ok and all(x[2] < 1.0 for x in sl)
            parts.append(f"{mode.replace('_', ' ')}: " + ", ".join(f"{a:,}→{b:,}: {x:.2f}" for a, b, x in sl))
        add("query latency grows sub-linearly (log-log slope of p50 < 1 between synthetic sizes)", ok, "; ".join(parts))
    else:
        add(
            "build cost no worse than linear, query latency sub-linear", None, "fewer than two synthetic sizes measured"
        )
    return out


def targets_markdown(items: list[dict]) -> list[str]:
    lines = ["## Targets", "", "| target | met | figure |", "|---|---|---|"]
    for t in items:
        verdict = "not measured" if t["met"] is None else "**met**" if t["met"] else "**not met**"
        lines.append(f"| {t['target']} | {verdict} | {t['figure']} |")
    return [*lines, ""]


def write_results(out: Path, data: dict, rows: list[dict]) -> str:
    env = data["environment"]
    table = markdown_table(rows)
    sizes = data["sizes"]
    real = sizes.get("real")
    synth = [m for k, m in sizes.items() if k != "real"]
    corpora = []
    if real:
        corpora.append(
            f"**real** = `corpus/procedures`: {real['documents']} full procedure documents "
            f"(avg {real['words'] / real['documents']:,.0f} analysed words each)"
        )
    if synth or data["skipped"]:
        words = [m["words"] / m["documents"] for m in synth] + [
            s["estimate"]["words"] / s["documents"] for s in data["skipped"] if s["estimate"].get("words")
        ]
        avg = f"avg {statistics.mean(words):,.0f} analysed words per entry" if words else ""
        corpora.append(
            "**synthetic** sizes are **FAQ entries, not procedure documents**: a `.jsonl` FAQ file whose "
            "entries each hold one citizen question recombined from two real ones, an answer of 2–4 "
            f"sentences from real sections of one heading, a title and 1–2 aliases ({avg}; `bench/synth.py`, "
            "fixed seed) — the scale scenario of a province or the whole country loading tens of "
            "thousands of FAQ entries. Their answers reuse a finite pool of real sentences, which the "
            "analyzer's segmentation memo turns into cache hits (see the `memo` rows: real FAQ text would "
            "repeat far less, so synthetic analysis costs are optimistic)"
        )
    md = [
        "# Benchmark results",
        "",
        f"Generated by `{data['command']}` on {data['generated_at']} (commit `{env['commit'][:12]}`), "
        f"{data['elapsed_s']:.0f} s in all. Machine: {env['cpu']}, {env['cpus']} CPUs, "
        f"{env['mem_available_mib'] / 1024:.1f} GiB RAM available, load average "
        f"{'/'.join(str(x) for x in env['load_average_1_5_15_at_end'])} at the end "
        f"(other processes share the machine); Python {env['python']}; "
        + ", ".join(f"{k} {v}" for k, v in env["versions"].items())
        + ".",
        "",
        "Corpora: " + "; ".join(corpora) + ".",
        "",
        "Every figure beside bm25s over the identical analysed tokens (all channels, prefixed, as in "
        "`faq.evaluate.bm25_system`), measured in the same run. Ratio = faq ÷ bm25s (below 1: faq is "
        "smaller/faster, except queries/s). How each figure is taken: `bench/run.py` docstring.",
        "",
        *targets_markdown(data["targets"]),
        "## Measurements",
        "",
        table,
        "",
    ]
    if data["skipped"]:
        md += ["## Sizes not measured", ""]
        for s in data["skipped"]:
            e = s["estimate"]
            per_doc = e["build_ms_per_doc"]
            md.append(
                f"- **{s['documents']:,} FAQ entries** ({e['words']:,} words) — {s['reason']} Extrapolated "
                f"from the {e['from_size_documents']:,}-document measurement ({e['from_size_words']:,} words; "
                f"× {e['scale_in_words']:.2f} in words, start-up apart): faq build {per_doc['faq']:.2f} ms/entry "
                f"→ {e['build_s_each']['faq']:,.0f} s, bm25s {per_doc['bm25s']:.2f} ms/entry → "
                f"{e['build_s_each']['bm25s']:,.0f} s; query passes {e['latency_s']:,.0f} s; analysis-rate "
                f"check {e['analysis_rate_s']:,.0f} s; cold runs {e['cold_s']:,.0f} s; faq index ≈ "
                f"{e['faq_artifact_mib']:,.0f} MiB; faq build peak ≈ {e['faq_build_peak_mib']:,.0f} MiB (measured: "
                f"{e['faq_peak_kib_per_doc']:,.0f} KiB per entry above the `import underthesea` process)."
            )
        md.append("")
    text = "\n".join(md)
    out.with_suffix(".md").write_text(text, "utf-8")
    payload = {**data, "rows": rows}
    out.with_suffix(".json").write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return table


# ---------------------------------------------------------------- main


def parse_sizes(text: str) -> list[tuple[str, int]]:
    out = []
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        if part in SIZES:
            out.append((part, SIZES[part]))
        elif part.isdigit() and int(part) > 0:
            out.append((part, int(part)))
        else:
            raise SystemExit(f"unknown size {part!r}: use real, 1k, 10k, 100k or a number of documents")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated (default {DEFAULT_SIZES})")
    parser.add_argument("--budget", type=float, default=600.0, help="seconds for the whole run; 0 = no limit")
    parser.add_argument("--runs", type=int, default=5, help="cold-start runs per engine (median)")
    parser.add_argument("--min-seconds", type=float, default=2.0, help="repeat latency passes until this long")
    parser.add_argument("--rate-sample", type=int, default=300, help="documents for the analysis-rate check")
    parser.add_argument("--queries", type=Path, default=ROOT / "corpus" / "eval" / "dev.jsonl")
    parser.add_argument("--query", help="the cold-start query (default: the first of --queries)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS", help="writes OUT.json and OUT.md")
    parser.add_argument("--work", type=Path, help="directory for corpora and indexes (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--ignore-memory", action="store_true", help="run sizes estimated to exceed free memory")
    args = parser.parse_args(argv)
    sizes = parse_sizes(args.sizes)
    args.query = args.query or json.loads(args.queries.read_text("utf-8").splitlines()[0])["query"]
    started = time.perf_counter()
    work = args.work or Path(tempfile.mkdtemp(prefix="faq-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log(f"work directory {work}; sizes {', '.join(k for k, _ in sizes)}; budget {args.budget:g} s")
    try:
        floors = measure_floors(args.runs)
        results: dict[str, dict] = {}
        skipped: list[dict] = []
        rebuild: dict | None = None
        rows: list[dict] = floor_rows(floors)
        prev: dict | None = None
        for key, n in sizes:
            if key == "real":
                corpus = work / "real-corpus"  # a copy: edits to corpus/ during the run cannot make the index stale
                if not corpus.exists():
                    shutil.copytree(ROOT / "corpus" / "procedures", corpus / "procedures")
            else:
                corpus = work / f"synth-{n}" / "faq.jsonl"

                def generate(corpus: Path = corpus, key: str = key, n: int = n) -> None:
                    if not corpus.is_file():
                        log(f"{key}: generating {n:,} synthetic FAQ entries")
                        subprocess.run(
                            [PY, str(ROOT / "bench" / "synth.py"), str(n), str(corpus.parent)],
                            check=True,
                            cwd=ROOT,
                            stdout=subprocess.DEVNULL,
                        )

                if prev is not None:
                    if prev.get("corpus_kind") == "faq entries":  # same kind: words per entry carry over
                        words = round(prev["words"] / prev["documents"] * n)
                    else:  # from full procedures: measure the words of the FAQ file itself (cheap)
                        generate()
                        words = corpus_words(corpus)
                    est = estimate(prev, n, words, floors, args.runs)
                    reasons = []
                    left = args.budget - (time.perf_counter() - started)
                    if args.budget and est["total_s"] > left:
                        alone = (
                            " (more than the whole budget: this size alone does not fit)"
                            if est["total_s"] > args.budget
                            else ""
                        )
                        reasons.append(
                            f"estimated {est['total_s']:,.0f} s to measure (builds {est['build_s']:,.0f} s: faq "
                            f"{est['build_s_each']['faq']:,.0f}, bm25s {est['build_s_each']['bm25s']:,.0f}; "
                            f"queries {est['latency_s']:,.0f} s, cold runs {est['cold_s']:,.0f} s){alone} but only "
                            f"{max(left, 0):,.0f} s of the {args.budget:g} s budget remain"
                        )
                    avail = mem_available_mib()
                    if est["peak_mib"] > avail and not args.ignore_memory:
                        reasons.append(
                            f"estimated build peak memory {est['peak_mib'] / 1024:,.1f} GiB exceeds the "
                            f"{avail / 1024:,.1f} GiB available"
                        )
                    if reasons:
                        reason = "Skipped: " + "; ".join(reasons) + "."
                        log(f"{key}: {reason}")
                        skipped.append({"size": key, "documents": n, "reason": reason, "estimate": est})
                        continue
                    log(f"{key}: estimated {est['total_s']:,.0f} s, {est['peak_mib']:,.0f} MiB peak")
                generate()
            m = measure_size(key, corpus, work, args, floors)
            results[key] = m
            rows += rows_for(key, m, floors)
            prev = m
            log(f"{key}: done in {m['section_seconds']['total']:.0f} s")
            if key == "real":
                rebuild = measure_rebuild(work)
                rows += rebuild_rows(rebuild)
                log(
                    f"rebuild: full {rebuild['full']['wall_s']:.2f} s, after one edit "
                    f"{rebuild['rebuild']['wall_s']:.2f} s (process wall)"
                )
        rows += skipped_rows(skipped)
        data = {
            "schema": 2,
            "command": " ".join(["bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
            "generated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "elapsed_s": time.perf_counter() - started,
            "environment": environment(),
            "settings": {
                "sizes": [k for k, _ in sizes],
                "budget_s": args.budget,
                "runs": args.runs,
                "queries": str(args.queries.relative_to(ROOT) if args.queries.is_relative_to(ROOT) else args.queries),
                "cold_query": args.query,
            },
            "floors": floors,
            "sizes": results,
            "rebuild": rebuild,
            "skipped": skipped,
        }
        data["targets"] = targets(data)
        table = write_results(args.out, data, rows)
        print(table)
        print("\n".join(["", *targets_markdown(data["targets"])]))
        for s in skipped:
            print(f"\n{s['documents']:,} documents: {s['reason']}")
        print(f"\nwrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.md')} in {data['elapsed_s']:.0f} s")
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
