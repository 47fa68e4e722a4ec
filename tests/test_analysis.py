"""The analysis cache and the worker pool must never change what gets indexed."""

from pathlib import Path

import numpy as np
import pytest

from faq import analysis
from faq.config import AnalyzerConfig, SearchConfig
from faq.corpus import load_corpus
from faq.engine import Paths
from faq.index import build_index
from faq.lexicon import load_lexicon
from faq.search import Searcher
from faq.storage import try_lock

QUERIES = ["đăng ký tạm trú", "mat cccd lam lai", "passport", "công an gọi điện", "lệ phí bao nhiêu"]


def index_of(paths: Paths, cache: Path | None, workers: int | None = 1):
    docs = load_corpus(paths.corpus)
    return build_index(
        docs, AnalyzerConfig(), load_lexicon(paths.lexicon), SearchConfig(), cache_dir=cache, workers=workers
    )


def same_answers(a, b) -> None:
    sa, sb = Searcher(a), Searcher(b)
    for q in QUERIES:
        assert np.array_equal(sa.score(q), sb.score(q)), q
        assert [h.matched for h in sa.search(q).hits] == [h.matched for h in sb.search(q).hits]


def test_editing_one_document_reanalyses_only_that_one(project: Paths, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = index_of(project, cache)
    assert first.manifest["analyses_reused"] == 0
    assert index_of(project, cache).manifest["analyses_reused"] == 4
    doc = project.corpus / "procedures" / "ho-chieu.md"
    doc.write_text(doc.read_text("utf-8").replace("200.000 đồng.", "250.000 đồng, nộp tại quầy riêng."), "utf-8")
    edited = index_of(project, cache)
    assert edited.manifest["analyses_reused"] == 3
    same_answers(edited, index_of(project, None))  # exactly what a build from scratch gives
    assert "quầy" in edited.vocab["word"]


def test_a_build_that_finds_the_cache_in_use_analyses_privately_and_leaves_it_alone(
    project: Paths, tmp_path: Path
) -> None:
    """Two builds sharing the cache interleaved their writes and one published an index of one corpus's
    vocabulary over the other's term ids (two evaluations rebuilt the same stale index at once). A build
    that finds the cache held builds without it: the index a build from scratch gives, the cache as it was."""
    cache = tmp_path / "cache"
    index_of(project, cache)
    doc = project.corpus / "procedures" / "ho-chieu.md"
    doc.write_text(doc.read_text("utf-8").replace("200.000 đồng.", "250.000 đồng, nộp tại quầy riêng."), "utf-8")

    def files() -> dict[Path, bytes]:
        return {p: p.read_bytes() for p in cache.rglob("*") if p.is_file() and p.name != ".lock"}

    before = files()
    with try_lock(cache / ".lock") as mine:
        assert mine
        busy = index_of(project, cache)
    assert busy.manifest["analyses_reused"] == 0 and files() == before
    same_answers(busy, index_of(project, None))
    assert "quầy" in busy.vocab["word"]
    assert index_of(project, cache).manifest["analyses_reused"] == 3  # free again: the cache serves


def test_removed_documents_leave_no_terms_behind(project: Paths, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    index_of(project, cache)
    (project.corpus / "procedures" / "gia-danh-cong-an.md").unlink()
    after = index_of(project, cache)
    assert after.manifest["analyses_reused"] == 3
    fresh = index_of(project, None)
    assert {c: set(v) for c, v in after.vocab.items()} == {c: set(v) for c, v in fresh.vocab.items()}
    same_answers(after, fresh)


@pytest.mark.parametrize("damage", [b"", b"garbage", None])
@pytest.mark.parametrize("name", ["meta.json", "starts.npy", "word.data.npy", "word.indices.npy", "folded.indptr.npy"])
def test_a_damaged_cache_is_ignored(project: Paths, tmp_path: Path, damage: bytes | None, name: str) -> None:
    cache = tmp_path / "cache"
    index_of(project, cache)
    paths = list(cache.glob(f"analysis-*/{name}"))
    assert len(paths) == 1
    for path in paths:
        if damage is None:
            path.unlink()
        else:
            path.write_bytes(damage)
    rebuilt = index_of(project, cache)
    assert rebuilt.manifest["analyses_reused"] == 0
    same_answers(rebuilt, index_of(project, None))


def test_worker_pool_gives_the_same_index(project: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis, "PARALLEL_MIN_DOCUMENTS", 2)
    pooled = index_of(project, None, workers=2)
    serial = index_of(project, None, workers=1)
    assert pooled.vocab == serial.vocab
    same_answers(pooled, serial)
