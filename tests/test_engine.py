from pathlib import Path

import pytest

from faq.engine import Paths, build, open_index, staleness
from faq.errors import CorpusError, IndexError_
from faq.search import Searcher


def test_missing_index_is_built_and_reported(project: Paths) -> None:
    messages: list[str] = []
    index = open_index(notify=messages.append)
    assert len(index.documents) == 4
    assert len(messages) == 1 and "missing" in messages[0] and "\n" not in messages[0]
    assert staleness(project.index, project) is None
    open_index(notify=messages.append)
    assert len(messages) == 1  # fresh: no rebuild


def test_corpus_edit_makes_the_index_stale_and_ask_rebuilds(project: Paths) -> None:
    open_index()
    doc = project.corpus / "procedures" / "ho-chieu.md"
    doc.write_text(doc.read_text("utf-8").replace("200.000 đồng.", "250.000 đồng."), "utf-8")
    assert "stale" in staleness(project.index, project)
    messages: list[str] = []
    index = open_index(notify=messages.append)
    assert "stale" in messages[0]
    assert next(d for d in index.documents if d.id == "ho-chieu").section("Lệ phí") == "250.000 đồng."


def test_lexicon_edit_also_makes_the_index_stale(project: Paths) -> None:
    open_index()
    with open(project.lexicon / "synonyms.tsv", "a", encoding="utf-8") as fh:
        fh.write("cà vẹt\tgiấy đăng ký xe\n")
    assert staleness(project.index, project) is not None


def test_adding_a_lexicon_entry_changes_the_ranking(project: Paths) -> None:
    query = "xin visa đi nước ngoài"
    before = Searcher(open_index()).search(query)
    assert before.hits[0].id != "ho-chieu"
    with open(project.lexicon / "synonyms.tsv", "a", encoding="utf-8") as fh:
        fh.write("visa\thộ chiếu\n")
    after = Searcher(open_index()).search(query)
    assert after.hits[0].id == "ho-chieu"


def test_corrupt_default_index_is_rebuilt_when_the_corpus_is_at_hand(project: Paths) -> None:
    open_index()
    (project.index / "arrays.npz").write_bytes(b"garbage")
    messages: list[str] = []
    index = open_index(notify=messages.append)
    assert "unusable" in messages[0] and len(index.documents) == 4


def test_broken_corpus_keeps_the_old_index(project: Paths) -> None:
    open_index()
    before = (project.index / "manifest.json").read_text("utf-8")
    (project.corpus / "procedures" / "broken.md").write_text("no header here", "utf-8")
    with pytest.raises(CorpusError):
        build(project.corpus, project.index, project)
    assert (project.index / "manifest.json").read_text("utf-8") == before


def test_foreign_index_without_corpus_is_refused(tmp_path: Path, project: Paths) -> None:
    with pytest.raises(IndexError_, match="no index at"):
        open_index(tmp_path / "elsewhere")


def test_ask_keeps_serving_the_previous_index_when_the_corpus_breaks(project: Paths) -> None:
    open_index()
    (project.corpus / "procedures" / "broken.md").write_text("no header here", "utf-8")
    messages: list[str] = []
    index = open_index(notify=messages.append)
    assert len(index.documents) == 4
    assert "corpus has 1 problem" in messages[0] and "previous index" in messages[0]
