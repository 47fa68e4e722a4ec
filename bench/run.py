"""Benchmark the engine beside bm25s over identical tokens, on the real corpus and synthetic ones.

    .venv/bin/python bench/run.py                      # = make bench: real, 1k, 10k, 100k within 600 s
    .venv/bin/python bench/run.py --sizes real,1k      # chosen sizes (real, 1k, 10k, 100k or a number)
    .venv/bin/python bench/run.py --budget 0           # no time budget (memory is still checked)

Every figure is measured in this run for both systems and printed side by side with their ratio:

- query latency p50/p95/p99 and single-thread queries per second over the queries of
  corpus/eval/dev.jsonl, in one process, the two engines interleaved query by query: with query
  analysis (ours: `Searcher.search`, top 5 with matched passages; bm25s: the same analyzer, then
  `get_scores` and the top 5) and without it (vectors / token lists precomputed: scoring and ranking);
- cold `ask --json`: wall time from process start to the answer line on stdout (median of --runs
  runs, index already built; ours: `cli.py ask --json --index DIR`; bm25s: `children.py ask-bm25s`),
  beside the floor `python -c "import underthesea"`, and its breakdown by phase (children.py);
- index build: process wall time, cost per document, artifact size on disk, and the peak RSS of the
  child process doing the build (`ru_maxrss` from os.wait4 for that child; RUSAGE_CHILDREN would
  report the largest child so far, i.e. an earlier, bigger build).

Sizes: `real` is corpus/procedures; `1k`… are synthetic corpora recombined from it (bench/synth.py).
Before each size the run estimates its cost from the previous size (linear in documents); a size that
would overrun the time budget or the available memory is skipped and the estimate is reported.
Results go to bench/RESULTS.json and bench/RESULTS.md (--out) and the table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
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
    rss_mib: float  # ru_maxrss of this child
    stdout: str
    stderr: str


def _env() -> dict[str, str]:
    return {**os.environ, **QUIET_ENV}


def run_child(cmd: list[str], first_line: bool = False) -> Proc:
    """Run one process; time it to its first stdout line and to its exit; its own peak RSS via wait4."""
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        head = proc.stdout.readline() if first_line else b""
        answered = time.perf_counter()
        rest = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        ended = time.perf_counter()
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    stdout = (head + rest).decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{stderr[-3000:]}")
    return Proc(ended - started, (answered if first_line else ended) - started, usage.ru_maxrss / 1024, stdout, stderr)


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


def measure_size(label: str, corpus: Path, work: Path, args: argparse.Namespace, floors: dict) -> dict:
    started = time.perf_counter()
    faq_dir, bm_dir = work / label / "faq-index", work / label / "bm25s-index"
    log(f"{label}: building our index (child process)")
    fb = run_child([PY, str(CHILD), "build-faq", str(corpus), str(faq_dir)])
    fbj = last_json(fb.stdout)
    n = fbj["documents"]
    log(f"{label}: {n} documents built in {fb.wall:.1f} s, peak RSS {fb.rss_mib:.0f} MiB; now bm25s")
    bb = run_child([PY, str(CHILD), "build-bm25s", str(corpus), str(bm_dir)])
    bbj = last_json(bb.stdout)
    log(f"{label}: bm25s built in {bb.wall:.1f} s; in-process latency over {args.queries.name}")
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
        "corpus": str(corpus),
        "build": {
            "faq": {
                "wall_s": fb.wall,
                "rss_mib": fb.rss_mib,
                "phases_s": fbj["phases"],
                "rss_after_phase_mib": {k: v / 1024 for k, v in fbj["rss_kib"].items()},
                "vocabulary": fbj["vocabulary"],
                "files_bytes": dir_bytes(faq_dir),
            },
            "bm25s": {
                "wall_s": bb.wall,
                "rss_mib": bb.rss_mib,
                "phases_s": bbj["phases"],
                "rss_after_phase_mib": {k: v / 1024 for k, v in bbj["rss_kib"].items()},
                "vocabulary": bbj["vocabulary"],
                "files_bytes": dir_bytes(bm_dir),
            },
        },
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
            "latency": lat_seconds,
            "cold": cold_seconds,
            "total": time.perf_counter() - started,
        },
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


def estimate(prev: dict, n: int, floors: dict, runs: int) -> dict:
    """Cost of measuring `n` documents, scaled linearly from the previous size's measurements."""
    f = n / prev["documents"]
    b = prev["build"]
    build_s = (b["faq"]["wall_s"] + b["bm25s"]["wall_s"]) * f
    lat = prev["latency"]
    one_pass = sum(lat[m]["first_pass_seconds"] for m in ("with_analysis", "precomputed"))
    latency_s = one_pass * f  # one pass per mode at large sizes

    def per_run(system: str) -> float:
        c = prev["cold"][system]
        scaling = sum(c["phases_s"].get(k, 0.0) for k in ("freshness check", "index load", "scoring and ranking"))
        return c["exit_s"] + scaling * (f - 1)

    cold_s = 2 * runs * (per_run("faq") + per_run("bm25s"))
    base = floors["import_underthesea_rss_mib"]
    rss = max(b["faq"]["rss_mib"], b["bm25s"]["rss_mib"])
    return {
        "documents": n,
        "from_size_documents": prev["documents"],
        "build_ms_per_doc": {s: b[s]["wall_s"] / prev["documents"] * 1e3 for s in ("faq", "bm25s")},
        "build_s": build_s,
        "latency_s": latency_s,
        "cold_s": cold_s,
        "total_s": build_s + latency_s + cold_s,
        "faq_build_rss_mib": base + (b["faq"]["rss_mib"] - base) * f,
        "peak_rss_mib": base + (rss - base) * f,
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


def size_label(key: str, docs: int) -> str:
    return f"real ({docs} docs)" if key == "real" else f"synthetic {docs:,}"


def rows_for(key: str, m: dict, floors: dict) -> list[dict]:
    label = size_label(key, m["documents"])
    rows: list[dict] = []

    def row(measure: str, unit: str, f: float | None, b: float | None, note: str = "") -> None:
        rows.append({"corpus": label, "measure": measure, "unit": unit, "faq": f, "bm25s": b, "note": note})

    lat = m["latency"]
    wa, pre = lat["with_analysis"], lat["precomputed"]
    for p in ("p50", "p95", "p99"):
        note = (
            f"{lat['queries']} dev queries × {wa['passes']} pass(es); faq = Searcher.search (top 5 + matched passage)"
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
        f'floor `python -c "import underthesea"` = {fl:.3f} s: faq {cf["answer_s"] / fl:.1f}× the floor, '
        f"bm25s {cb['answer_s'] / fl:.1f}×; process exit at {cf['exit_s']:.3f} / {cb['exit_s']:.3f} s",
    )
    notes = {
        "interpreter start": "`python -c pass`, same for both",
        "imports": "faq: `import cli` (typer, rich, numpy, scipy.sparse); bm25s: bm25s, numpy, faq.analyzer",
        "underthesea import": "the analyzer imports it lazily on first use",
        "freshness check": "fingerprint of every corpus file + lexicon (bm25s: none)",
        "index load": "faq: sha256 check + npz + JSON; bm25s: BM25.load + documents.json",
        "analysis": "first query: loads the CRF segmentation model",
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
    row("index build, process wall", "s", bf["wall_s"], bb["wall_s"], f"faq: {shares}")
    row(
        "build cost per document",
        "ms",
        bf["wall_s"] / n * 1e3,
        bb["wall_s"] / n * 1e3,
        f"analysis alone: {bf['phases_s'].get('analysis', 0) / n * 1e3:.0f} ms/doc (identical code in both)",
    )
    fsize, bsize = sum(bf["files_bytes"].values()), sum(bb["files_bytes"].values())
    big = max(bf["files_bytes"].items(), key=lambda kv: kv[1])
    row(
        "artifact size on disk",
        "MB",
        fsize / 1e6,
        bsize / 1e6,
        f"faq {fsize / n / 1e3:.0f} kB/doc, largest {big[0]} {big[1] / 1e6:.1f} MB; both include the documents",
    )
    after = bf["rss_after_phase_mib"]
    steps = [k for k in ("analysis", "tf-idf fit", "matrices", "save (checksums, fsync, publish)") if k in after]
    row(
        "peak RSS of the build process",
        "MiB",
        bf["rss_mib"],
        bb["rss_mib"],
        "faq peak after " + ", ".join(f"{k.split(' ')[0]} {after[k]:,.0f}" for k in steps),
    )
    return rows


def skipped_rows(skipped: list[dict]) -> list[dict]:
    out = []
    for s in skipped:
        out.append(
            {
                "corpus": size_label("synthetic", s["documents"]),
                "measure": "skipped",
                "unit": "",
                "faq": None,
                "bm25s": None,
                "note": s["reason"],
            }
        )
    return out


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


def write_results(out: Path, data: dict, rows: list[dict]) -> str:
    env = data["environment"]
    table = markdown_table(rows)
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
        "Every figure beside bm25s over the identical analysed tokens (all channels, prefixed, as in "
        "`faq.evaluate.bm25_system`), measured in the same run. Ratio = faq ÷ bm25s (below 1: faq is "
        "smaller/faster, except queries/s). How each figure is taken: `bench/run.py` docstring.",
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
                f"- **{s['documents']:,} documents** — {s['reason']} Linear extrapolation from the "
                f"{e['from_size_documents']:,}-document measurement: faq build {per_doc['faq']:.0f} ms/doc "
                f"→ {per_doc['faq'] * s['documents'] / 1e3:,.0f} s, bm25s {per_doc['bm25s']:.0f} ms/doc "
                f"→ {per_doc['bm25s'] * s['documents'] / 1e3:,.0f} s; faq index ≈ "
                f"{e['faq_artifact_mib'] / 1024:,.1f} GiB; "
                f"faq build peak RSS ≈ {e['faq_build_rss_mib'] / 1024:,.1f} GiB."
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
        rows: list[dict] = floor_rows(floors)
        prev: dict | None = None
        for key, n in sizes:
            if key == "real":
                corpus = ROOT / "corpus"
            else:
                if prev is not None:
                    est = estimate(prev, n, floors, args.runs)
                    reasons = []
                    left = args.budget - (time.perf_counter() - started)
                    if args.budget and est["total_s"] > left:
                        reasons.append(
                            f"estimated {est['total_s']:,.0f} s to measure (builds {est['build_s']:,.0f} s, "
                            f"queries {est['latency_s']:,.0f} s, cold runs {est['cold_s']:,.0f} s) but only "
                            f"{max(left, 0):,.0f} s of the {args.budget:g} s budget remain"
                        )
                    avail = mem_available_mib()
                    if est["peak_rss_mib"] > avail and not args.ignore_memory:
                        reasons.append(
                            f"estimated build peak RSS {est['peak_rss_mib'] / 1024:,.1f} GiB exceeds the "
                            f"{avail / 1024:,.1f} GiB available"
                        )
                    if reasons:
                        reason = "Skipped: " + "; ".join(reasons) + "."
                        log(f"{key}: {reason}")
                        skipped.append({"size": key, "documents": n, "reason": reason, "estimate": est})
                        continue
                corpus = work / f"synth-{n}"
                if not (corpus / "procedures").is_dir():
                    log(f"{key}: generating {n:,} synthetic documents")
                    subprocess.run(
                        [PY, str(ROOT / "bench" / "synth.py"), str(n), str(corpus)],
                        check=True,
                        cwd=ROOT,
                        stdout=subprocess.DEVNULL,
                    )
            m = measure_size(key, corpus, work, args, floors)
            results[key] = m
            rows += rows_for(key, m, floors)
            prev = m
            log(f"{key}: done in {m['section_seconds']['total']:.0f} s")
        rows += skipped_rows(skipped)
        data = {
            "schema": 1,
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
            "skipped": skipped,
        }
        table = write_results(args.out, data, rows)
        print(table)
        for s in skipped:
            print(f"\n{s['documents']:,} documents: {s['reason']}")
        print(f"\nwrote {args.out.with_suffix('.json')} and {args.out.with_suffix('.md')} in {data['elapsed_s']:.0f} s")
    finally:
        if not args.keep and args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
