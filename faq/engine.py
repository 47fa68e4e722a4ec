"""High-level operations shared by the CLI and the harness: where things live, build, keep fresh.

The default index (`indexes/default`) is built from the project corpus (`corpus/`), its lexicon
(`corpus/lexicon/`) and tuned weights (`corpus/tuning.json`). The corpus fingerprint covers all of them,
so any edit makes the index stale and `ask` rebuilds it before answering.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from faq.config import AnalyzerConfig, SearchConfig, load_tuning
from faq.corpus import FAQ_FORMATS, FAQ_SUFFIXES, fingerprint, procedure_files, read_corpus
from faq.errors import CorpusError, IndexError_, UsageError
from faq.examples import example_files
from faq.index import Index, build_index, check_anchors, load_index, read_manifest, save_index
from faq.lexicon import LEXICON_FILES, load_lexicon
from faq.storage import INPUTS_VERIFIED, read_verified, record_verified, settled, stat_key


def project_root() -> Path:
    """FAQ_HOME, else the working directory when it holds a corpus, else the source checkout."""
    env = os.environ.get("FAQ_HOME")
    if env:
        return Path(env)
    cwd = Path.cwd()
    return cwd if (cwd / "corpus").is_dir() else Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Paths:
    corpus: Path
    index: Path
    lexicon: Path
    tuning: Path

    @classmethod
    def default(cls) -> Paths:
        root = project_root()
        return cls(
            root / "corpus", root / "indexes" / "default", root / "corpus" / "lexicon", root / "corpus" / "tuning.json"
        )


def corpus_inputs(corpus: Path, paths: Paths) -> list[Path]:
    """Every file whose content the index depends on, as absolute paths: a build given a relative
    `--corpus` and a later freshness check (which knows the manifest's absolute path) must agree."""
    corpus = corpus.resolve()
    files = [corpus] if corpus.is_file() else procedure_files(corpus) + example_files(corpus)
    files += [paths.lexicon.resolve() / name for name in LEXICON_FILES]
    return files + [paths.tuning.resolve()]


def corpus_fingerprint(corpus: Path, paths: Paths) -> str:
    return fingerprint(corpus_inputs(corpus, paths), root=paths.corpus.resolve().parent)


def input_stats(corpus: Path, paths: Paths) -> dict[str, list[int]]:
    """The stat key (faq.storage.stat_key) of every input file, [] for a missing one. Equal keys mean
    untouched files, so a freshness check need not hash them (0.09 s for a 72 MB FAQ file)."""
    out: dict[str, list[int]] = {}
    for path in corpus_inputs(corpus, paths):
        try:
            out[str(path)] = stat_key(path.stat())
        except OSError:
            out[str(path)] = []
    return out


@dataclass(frozen=True)
class BuildReport:
    documents: int
    vocabulary: dict[str, int]
    seconds: float
    out: Path
    notices: tuple[str, ...] = ()  # problems that did not stop the build (`faq.corpus.read_corpus`)


def build(
    corpus: Path,
    out: Path,
    paths: Paths | None = None,
    analyzer_config: AnalyzerConfig | None = None,
    search_config: SearchConfig | None = None,
    progress: Callable[[int, int], None] | None = None,
    save: bool = True,
) -> tuple[Index, BuildReport]:
    """Load and validate the corpus, build the index and (unless save=False) publish it at `out`."""
    paths = paths or Paths.default()
    if not corpus.exists():
        raise UsageError(f"corpus {corpus} does not exist")
    if corpus.is_file() and corpus.suffix.lower() not in FAQ_SUFFIXES:
        raise UsageError(f"{corpus}: a FAQ file must be {FAQ_FORMATS}")
    started = time.perf_counter()
    info = {  # taken before reading: an edit made during the build leaves the index stale, not wrong
        "path": str(corpus.resolve()),
        "type": "file" if corpus.is_file() else "directory",
        "lexicon": str(paths.lexicon.resolve()),
        "tuning": str(paths.tuning.resolve()),
        "stats": input_stats(corpus, paths),
        "stats_taken_at": time.time_ns(),
        "fingerprint": corpus_fingerprint(corpus, paths),
    }
    documents, notices = read_corpus(corpus)
    lexicon = load_lexicon(paths.lexicon)
    search_config = search_config or load_tuning(paths.tuning)
    cache = out.parent / ".cache" if save else None  # analyses of unchanged documents are reused
    index = build_index(
        documents, analyzer_config or AnalyzerConfig(), lexicon, search_config, info, progress, cache_dir=cache
    )
    check_anchors(index.documents, index.analyzer())
    if save:
        save_index(index, out)
    seconds = time.perf_counter() - started
    report = BuildReport(len(documents), dict(index.manifest["vocabulary"]), seconds, out, tuple(map(str, notices)))
    return index, report


def staleness(index_dir: Path, paths: Paths) -> str | None:
    """Why the index must be rebuilt ('missing', 'stale', 'corrupt: ...'), or None when it is fresh.

    Only indexes whose source corpus is still at hand can be judged stale.
    """
    try:
        manifest = read_manifest(index_dir)
    except IndexError_ as exc:
        return "missing" if not (index_dir / "manifest.json").exists() else f"unusable ({exc})"
    return _staleness_of(manifest, index_dir, paths)


def _staleness_of(manifest: dict, index_dir: Path, paths: Paths) -> str | None:
    """`staleness` of an index whose manifest is already read."""
    source = Path(manifest.get("corpus", {}).get("path", ""))
    if not source.exists():
        return None
    paths = recorded_paths(manifest, paths)
    current = input_stats(source, paths)
    recorded = manifest["corpus"].get("stats")
    if recorded == current and _trusted(recorded, manifest["corpus"].get("stats_taken_at")):
        return None
    if read_verified(index_dir, INPUTS_VERIFIED) == current:  # hashed and found equal by an earlier check
        return None
    if manifest["corpus"].get("fingerprint") != corpus_fingerprint(source, paths):
        return "stale (the corpus changed since it was built)"
    # Equal after hashing: remember these stats, so once settled the next checks need not hash again
    # (inputs edited just before their build stay racily clean in the manifest for good).
    record_verified(index_dir, current, INPUTS_VERIFIED)
    return None


def open_index(
    index_dir: Path | None = None,
    paths: Paths | None = None,
    rebuild: bool = True,
    notify: Callable[[str], None] | None = None,
) -> Index:
    """Load an index, rebuilding it first when it is missing, stale or broken and its corpus is at hand."""
    paths = paths or Paths.default()
    index_dir = index_dir or paths.index
    reason = staleness(index_dir, paths) if rebuild else None
    if reason is None:
        try:
            return load_index(index_dir)
        except IndexError_ as exc:
            if not rebuild:
                raise
            reason = f"unusable ({exc})"
    try:
        manifest = read_manifest(index_dir)
    except IndexError_:
        manifest = {}
    source = _source_of(manifest, index_dir, paths)
    if source is None:
        return load_index(index_dir)  # raises the precise one-line error
    started = time.perf_counter()
    try:
        index, report = build(source, index_dir, recorded_paths(manifest, paths))
    except CorpusError as exc:
        # Keep serving citizens from the last good index while the maintainer fixes the corpus.
        try:
            previous = load_index(index_dir)
        except IndexError_:
            raise exc from None
        if notify:
            notify(
                f"warning: the corpus has {len(exc.problems)} problem(s) (run `faq corpus check`); "
                "answering from the previous index"
            )
        return previous
    if notify:
        notify(f"index {index_dir} was {reason}; rebuilt from {source} in {time.perf_counter() - started:.1f} s")
        for notice in report.notices:
            notify(f"warning: {notice}")
    return index


def recorded_paths(manifest: dict, paths: Paths) -> Paths:
    """`paths` with the lexicon and tuning file an index was built with (`faq index build --lexicon
    --tuning`), while they exist: a unit's own FAQ table keeps its own through every freshness check
    and rebuild."""
    recorded = manifest.get("corpus", {})
    lexicon = Path(recorded.get("lexicon") or paths.lexicon)
    tuning = Path(recorded.get("tuning") or paths.tuning)
    return replace(
        paths,
        lexicon=lexicon if lexicon.is_dir() else paths.lexicon,
        tuning=tuning if tuning.is_file() else paths.tuning,
    )


def _source_of(manifest: dict, index_dir: Path, paths: Paths) -> Path | None:
    """The corpus an index is built from: its manifest's record, or the project corpus for the default."""
    recorded = manifest.get("corpus", {}).get("path", "")
    if recorded and Path(recorded).exists():
        return Path(recorded)
    if index_dir.resolve() == paths.index.resolve() and paths.corpus.exists():
        return paths.corpus
    return None


def watch(
    corpus: Path,
    out: Path,
    paths: Paths,
    on_event: Callable[[str], None],
    interval: float = 1.0,
    rounds: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Rebuild `out` whenever the corpus, lexicon or tuning change, in this one long-lived process.

    A maintainer edits and saves; the index follows within `interval` seconds. Staying alive keeps the
    segmenter and scikit-learn loaded and the analysis cache warm, so a one-document edit costs about
    that document's analysis rather than a new process importing underthesea (bench/RESULTS.md). A
    corpus with problems is reported once per change and the previous index keeps serving.
    `rounds` (tests) stops after that many checks; otherwise it runs until interrupted.
    """
    failed: dict[str, list[int]] | None = None  # input stats of the last corpus that failed to build
    done = 0
    while rounds is None or done < rounds:
        done += 1
        reason = _watch_reason(corpus, out, paths)
        stats = input_stats(corpus, paths) if reason is not None else None  # to report a broken corpus once
        if reason is not None and stats != failed:
            started = time.perf_counter()
            try:
                report = build(corpus, out, paths)[1]
            except CorpusError as exc:
                failed = stats
                on_event(f"the corpus has {len(exc.problems)} problem(s) (run `faq corpus check`); {_serving(out)}")
            else:
                failed = None
                seconds = time.perf_counter() - started
                on_event(f"{reason}: rebuilt {out} ({report.documents} documents) in {seconds:.2f} s")
                for notice in report.notices:
                    on_event(f"warning: {notice}")
        if rounds is None or done < rounds:
            sleep(interval)


def _trusted(stats: dict, taken_at: object) -> bool:
    """Whether recorded input stats prove the inputs unchanged (faq.storage.settled): else hash them."""
    return isinstance(taken_at, int) and settled(stats, taken_at) == stats


def _watch_reason(corpus: Path, out: Path, paths: Paths) -> str | None:
    """Why `out` must be built from `corpus` now, or None."""
    if not (out.exists() or out.is_symlink()):
        return "missing"
    try:
        manifest = read_manifest(out)
    except IndexError_:
        return staleness(out, paths)  # says whether it is missing or unusable
    reason = _staleness_of(manifest, out, paths)
    if reason is None:
        recorded = manifest.get("corpus", {})
        if recorded.get("path") != str(corpus.resolve()):
            return f"built from another corpus ({recorded.get('path')})"
        for name, path in (("lexicon", paths.lexicon), ("tuning", paths.tuning)):
            if recorded.get(name, str(path.resolve())) != str(path.resolve()):
                return f"built with another {name} ({recorded.get(name)})"
    return reason


def _serving(out: Path) -> str:
    return "the previous index keeps serving" if (out / "manifest.json").exists() else "no index yet"
