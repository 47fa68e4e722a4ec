import json
import os
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from faq.errors import IndexError_
from faq.index import FORMAT_VERSION, alias_topics, load_index, save_index, vectorize
from faq.search import Searcher

QUERIES = ["đăng ký tạm trú cần giấy tờ gì", "mat cccd lam lai", "passport", "công an gọi điện", "xyz", ""]


def test_query_vectors_equal_scikit_learn() -> None:
    docs = [["a", "b", "b"], ["b", "c"], ["c", "c", "c", "d"]]
    vec = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, norm="l2", lowercase=False).fit(docs)
    vocab = {t: int(i) for t, i in vec.vocabulary_.items()}
    for tokens in (["b", "b", "c", "zzz"], ["d"], ["zzz"], []):
        expected = vec.transform([tokens]).toarray().ravel()
        idx, w = vectorize(tokens, vocab, vec.idf_)
        got = np.zeros(len(vocab))
        got[idx] = w
        assert np.allclose(got, expected, atol=1e-12)


@pytest.mark.parametrize("document_idf", [False, True])
def test_document_vectors_are_log_tf_and_idf_goes_to_the_query(document_idf: bool) -> None:
    """`lnc.ltc` by default: a document's field vector is its L2-normalised 1 + log(tf), so a term's idf
    counts once (from the query); `document_idf` puts it on both sides, as scikit-learn's transform does."""
    from faq.config import AnalyzerConfig, SearchConfig
    from faq.corpus import Document, Section
    from faq.index import DOC_FIELDS, build_index
    from faq.lexicon import Lexicon

    texts = ["căn cước căn cước tạm trú", "tạm trú hộ chiếu", "hộ chiếu visa visa visa"]
    docs = [Document(id=str(i), title="", sections=(Section("Trả lời", t),)) for i, t in enumerate(texts)]
    config = AnalyzerConfig(segment=False, folded=False, char=False, word_ngrams=(1, 1), document_idf=document_idf)
    index = build_index(docs, config, Lexicon(), SearchConfig())
    vocab, n, body = index.vocab["word"], len(docs), DOC_FIELDS.index("body")
    counts = [text.split() for text in texts]
    vec = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, use_idf=document_idf, lowercase=False).fit(counts)
    idf = TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, lowercase=False).fit(counts)
    for term, column in idf.vocabulary_.items():  # fitted and kept for queries either way
        assert index.idf["word"][vocab[term]] == pytest.approx(idf.idf_[column])
    for d, tokens in enumerate(counts):
        expected = vec.transform([tokens]).toarray().ravel()
        for term, column in vec.vocabulary_.items():
            got = index.postings["word"].rows(np.array([vocab[term]])).values_at(np.array([body * n + d]))[0, 0]
            assert got == pytest.approx(expected[column], abs=1e-6)


def test_save_load_round_trip_gives_identical_scores(built, tmp_path: Path) -> None:
    index, _ = built
    save_index(index, tmp_path / "copy")
    loaded = load_index(tmp_path / "copy")
    a, b = Searcher(index), Searcher(loaded)
    for q in QUERIES:
        assert np.array_equal(a.score(q), b.score(q))
    assert [d.id for d in loaded.documents] == [d.id for d in index.documents]
    assert loaded.documents == index.documents
    assert index.topics is not None and loaded.topics is not None  # the fixture lexicon has examples
    assert (loaded.topics.vocab, loaded.topics.who, loaded.topics.text) == (
        index.topics.vocab,
        index.topics.who,
        index.topics.text,
    )
    for q in [*QUERIES, "the atm bi nuot lay lai the nao"]:
        tokens = a.analyzer.analyze(q, query=True)["folded"]
        assert a.closest_topic(tokens) == b.closest_topic(tokens)
    assert a.closest_topic(a.analyzer.analyze("the atm bi nuot lay lai the nao", query=True)["folded"])[0] >= 0


def test_manifest_records_what_the_issue_asks(built) -> None:
    _, paths = built
    manifest = json.loads((paths.index / "manifest.json").read_text("utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["documents"] == 4
    assert len(manifest["corpus"]["fingerprint"]) == 64
    assert {"underthesea", "scikit-learn", "numpy"} <= set(manifest["versions"])
    assert set(manifest["files"]) >= {"arrays.npz", "vocabulary.json", "documents.jsonl"}
    assert all(len(f["sha256"]) == 64 for f in manifest["files"].values())


def _flip_a_byte(path: Path) -> None:
    """Same size, one bit different, in the middle of the arrays: what a bad disk or copy does."""
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def copy_index(built, tmp_path: Path) -> Path:
    index, _ = built
    target = tmp_path / "idx"
    save_index(index, target)
    return target.resolve()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "arrays.npz").write_bytes((d / "arrays.npz").read_bytes()[:100]), "corrupt"),
        (lambda d: (d / "documents.jsonl").write_bytes(b"[]\n"), "corrupt"),
        (lambda d: _flip_a_byte(d / "arrays.npz"), "corrupt (checksum differs)"),
        (lambda d: (d / "vocabulary.json").unlink(), "missing or unreadable"),
        (lambda d: (d / "manifest.json").write_text("{not json", "utf-8"), "unreadable or corrupt"),
        (lambda d: (d / "manifest.json").write_text('{"format": "other"}', "utf-8"), "foreign format"),
        (lambda d: _set_version(d, FORMAT_VERSION + 1), "newer than this program"),
        (lambda d: _set_version(d, 0), "old format version"),
    ],
    ids=["truncated", "modified", "bit-flip", "missing-file", "bad-manifest", "foreign", "future", "old"],
)
def test_damaged_index_is_refused_with_the_fix(built, tmp_path: Path, damage, message: str) -> None:
    directory = copy_index(built, tmp_path)
    damage(directory)
    with pytest.raises(IndexError_) as info:
        load_index(directory)
    text = str(info.value)
    assert message in text and "faq index build" in text and "\n" not in text


def _set_version(directory: Path, version: int) -> None:
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    manifest["format_version"] = version
    (directory / "manifest.json").write_text(json.dumps(manifest), "utf-8")


def test_missing_index_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(IndexError_, match="no index at .*faq index build"):
        load_index(tmp_path / "none")


def test_publishing_replaces_the_symlink_and_drops_the_old_build(built, tmp_path: Path) -> None:
    index, _ = built
    target = tmp_path / "idx"
    save_index(index, target)
    first = os.readlink(target)
    save_index(index, target)
    second = os.readlink(target)
    assert first != second and target.is_symlink()
    assert not (tmp_path / first).exists()
    assert load_index(target).manifest["documents"] == 4


def test_publishing_refuses_to_overwrite_a_foreign_directory(built, tmp_path: Path) -> None:
    index, _ = built
    target = tmp_path / "precious"
    target.mkdir()
    (target / "notes.txt").write_text("keep me", "utf-8")
    with pytest.raises(IndexError_, match="not an index directory"):
        save_index(index, target)
    assert (target / "notes.txt").read_text("utf-8") == "keep me"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".precious.") and p.is_dir()] == []


def test_zero_copy_npz_reader_matches_numpy(tmp_path: Path) -> None:
    import io

    from faq.storage import read_npz

    arrays = {"a": np.arange(10, dtype=np.int32), "b": np.linspace(0, 1, 7).astype(np.float32), "c": np.zeros((2, 3))}
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    out = read_npz(buf.getvalue())
    assert set(out) == set(arrays)
    for k, v in arrays.items():
        assert out[k].dtype == v.dtype and np.array_equal(out[k], v)
    compressed = io.BytesIO()
    np.savez_compressed(compressed, **arrays)
    with pytest.raises(ValueError, match="unexpected archive member"):
        read_npz(compressed.getvalue())
    with pytest.raises(ValueError):
        read_npz(buf.getvalue()[:-40])  # truncated: the archive's directory is gone
    with pytest.raises(ValueError):
        read_npz(b"not a zip at all")


def test_checksums_are_read_again_only_for_files_touched_since(
    built, tmp_path: Path, monkeypatch, storage_clock
) -> None:
    """Loads remember which files they checked (faq.storage.VERIFIED) and skip their CRC until a file
    changes in any way, even one written back with its old size and mtime. A record taken within
    RACY_NS of a file's last change proves nothing (the same clock tick can hold another change), so
    such files are checked again."""
    import zlib

    import faq.storage

    directory = copy_index(built, tmp_path)
    computed: list[int] = []
    crc32 = zlib.crc32
    monkeypatch.setattr(faq.storage.zlib, "crc32", lambda data, *a: computed.append(len(data)) or crc32(data, *a))
    files = len(json.loads((directory / "manifest.json").read_text("utf-8"))["files"])
    load_index(directory)
    assert len(computed) == files  # the build's record is as recent as its files: racily clean, so checked
    storage_clock()
    computed.clear()
    load_index(directory)
    assert len(computed) == files  # the previous load came too soon after the writes to vouch for them
    computed.clear()
    load_index(directory)
    assert computed == []  # checked well after their last change: trusted
    path = directory / "arrays.npz"
    before = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # same size, same mtime: only ctime moved
    with pytest.raises(IndexError_, match="checksum differs"):
        load_index(directory)
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    storage_clock()
    computed.clear()
    load_index(directory)
    assert computed == [len(data)]  # the repaired file is checked once more, the others are not
    computed.clear()
    load_index(directory)
    assert computed == []


def test_a_stat_taken_in_the_same_tick_as_a_change_proves_nothing() -> None:
    from faq.storage import RACY_NS, settled

    changed = 5 * RACY_NS
    taken_at = changed + 2 * RACY_NS
    keys = {"old": [1, 10, changed, changed], "racy": [2, 10, changed, taken_at - RACY_NS // 2], "gone": []}
    assert settled(keys, taken_at) == {"old": keys["old"], "gone": []}


def test_an_alias_no_other_page_claims_is_a_bare_topic_of_its_page() -> None:
    """`faq.index.alias_topics`: every alias becomes a bare topic of its page, unless another page has an
    alias or a listed bare topic that reads the same, it reads as nothing or as too many words, or as one
    syllable written with diacritics (`làm ồn` reads `on`, as `ổn` does)."""
    from types import SimpleNamespace

    from faq.text import fold

    def core(text: str) -> tuple[str, ...]:  # stands in for the analyzer's: `ạ` and `làm` aside, folded
        return tuple(fold(w) for w in text.lower().split() if w not in ("ạ", "làm"))

    pages = [
        SimpleNamespace(aliases=("mộc đỏ", "114", "Mộc đỏ ạ", "làm ồn", "làm passport")),
        SimpleNamespace(aliases=("114", "lệnh bắt qua điện thoại", "ạ", "một hai ba bốn năm sáu bảy")),
        SimpleNamespace(aliases=("tạm trú",)),
    ]
    listed = [("tạm trú", 2, ("tam", "tru")), ("lệnh bắt", 0, ("lenh", "bat", "qua", "dien", "thoai"))]
    mine = [("mộc đỏ", 0, ("moc", "do")), ("làm passport", 0, ("passport",))]
    assert alias_topics(pages, core, listed) == tuple(mine)
    # without the second page, `114` is the first page's alone
    assert alias_topics(pages[:1], core, []) == (mine[0], ("114", 0, ("114",)), mine[1])
