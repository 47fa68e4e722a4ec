import datetime as dt
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest

from faq.engine import Paths, build, open_index, staleness, watch
from faq.errors import CorpusError, IndexError_
from faq.evaluate import ablation_indexes
from faq.index import load_index
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


def test_a_faq_table_keeps_its_own_lexicon_through_staleness_and_rebuilds(project: Paths, tmp_path: Path) -> None:
    """`index build --lexicon DIR`: a unit whose table answers marriage questions drops `kết hôn` from its
    other-agency list. The index records that lexicon; editing it makes the index stale, and the
    rebuild that follows uses it again, not the project's."""
    from dataclasses import replace

    table = tmp_path / "faq.jsonl"
    table.write_text('{"id": "ket-hon", "answer": "Đăng ký kết hôn tại UBND xã nơi cư trú."}\n', "utf-8")
    own = tmp_path / "lexicon"
    own.mkdir()
    (own / "other_agencies.tsv").write_text("sổ đỏ\tVăn phòng đăng ký đất đai\n", "utf-8")
    query = "đăng ký kết hôn ở đâu"
    build(table, tmp_path / "project-lexicon", project)
    assert Searcher(load_index(tmp_path / "project-lexicon")).search(query).referrals  # the project's list
    out = tmp_path / "own-lexicon"
    build(table, out, replace(project, lexicon=own))
    assert not Searcher(load_index(out)).search(query).referrals and staleness(out, project) is None
    (own / "other_agencies.tsv").write_text("kết hôn\tUBND xã\n", "utf-8")
    assert staleness(out, project) is not None  # judged by its own lexicon, though `project` names another
    messages: list[str] = []
    rebuilt = open_index(out, project, notify=messages.append)
    assert messages and rebuilt.lexicon.other_agencies == ((("kết", "hôn"), "UBND xã"),)


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


def test_watch_follows_every_edit_and_outlives_a_broken_corpus(project: Paths) -> None:
    """`faq index watch`: rebuilt after each saved change, quiet otherwise; a broken corpus is reported
    once and the previous index keeps serving until the file is fixed."""
    events: list[str] = []
    doc = project.corpus / "procedures" / "ho-chieu.md"
    original = doc.read_text("utf-8")
    steps = iter(
        [
            lambda: doc.write_text(original.replace("200.000 đồng.", "2.500.000 đồng, ghi rõ."), "utf-8"),
            lambda: None,  # nothing changed
            lambda: doc.write_text("no front matter at all", "utf-8"),
            lambda: None,  # still broken: not reported again
            lambda: doc.write_text(original, "utf-8"),
        ]
    )
    fees: list[str] = []

    def fee() -> str:
        return next(d for d in load_index(project.index).documents if d.id == "ho-chieu").section("Lệ phí")

    def between_checks(_: float) -> None:
        fees.append(fee())
        next(steps)()

    watch(project.corpus, project.index, project, events.append, rounds=6, sleep=between_checks)
    assert len(events) == 4, events
    assert events[0].startswith("missing: rebuilt") and events[1].startswith("stale") and events[3].startswith("stale")
    assert "problem(s)" in events[2] and "the previous index keeps serving" in events[2]
    assert fees[0] == "200.000 đồng." and all(f.startswith("2.500.000") for f in fees[1:])
    assert fee() == "200.000 đồng."
    assert load_index(project.index).manifest["analyses_reused"] == 3  # only the edited document re-analysed


def test_watch_takes_over_an_index_built_from_another_corpus(project: Paths, tmp_path: Path) -> None:
    build(project.corpus, project.index, project)
    faq = tmp_path / "unit.jsonl"
    faq.write_text('{"id": "q1", "question": "Đăng ký tạm trú ở đâu?", "answer": "Tại Công an xã."}\n', "utf-8")
    events: list[str] = []
    watch(faq, project.index, project, events.append, rounds=1)
    assert len(events) == 1 and events[0].startswith("built from another corpus")
    assert load_index(project.index).doc_ids == ["q1"]


def test_an_index_built_from_a_relative_corpus_path_is_fresh(project: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    """`faq index build --corpus our-faq.csv` (relative, as the README shows) must not look stale to
    the next `ask`, which knows the corpus by its absolute path: once it was rebuilt on every question."""
    monkeypatch.chdir(project.corpus.parent)
    build(Path("corpus"), project.index, project)
    assert staleness(project.index, project) is None


def test_an_edit_right_after_a_build_is_seen_even_at_the_same_size(project: Paths) -> None:
    """An edit in the same clock tick as the build's stat of the inputs can leave every stat field as it
    was; stats that recent prove nothing (faq.storage.settled), so the inputs are hashed."""
    build(project.corpus, project.index, project)
    doc = project.corpus / "procedures" / "ho-chieu.md"
    text = doc.read_text("utf-8")
    doc.write_text(text.replace("200.000 đồng.", "900.000 đồng."), "utf-8")  # same length
    assert len(doc.read_bytes()) == len(text.encode())
    assert staleness(project.index, project) is not None


def test_inputs_found_unchanged_by_hashing_are_not_hashed_again(
    project: Paths, monkeypatch: pytest.MonkeyPatch, storage_clock
) -> None:
    """A corpus edited just before its build is racily clean in the manifest; once a check has hashed it
    and found it unchanged, later checks trust its stats (faq.storage.INPUTS_VERIFIED)."""
    import faq.engine

    doc = project.corpus / "procedures" / "ho-chieu.md"
    doc.write_text(doc.read_text("utf-8"), "utf-8")  # edited just before the build
    build(project.corpus, project.index, project)
    hashed: list[int] = []
    real = faq.engine.corpus_fingerprint
    monkeypatch.setattr(faq.engine, "corpus_fingerprint", lambda *a: hashed.append(1) or real(*a))
    storage_clock()  # the checks below run after the build's window
    assert staleness(project.index, project) is None and len(hashed) == 1
    assert staleness(project.index, project) is None and len(hashed) == 1  # remembered, settled
    doc.write_text(doc.read_text("utf-8").replace("200.000 đồng.", "900.000 đồng."), "utf-8")
    assert staleness(project.index, project) is not None and len(hashed) == 2


def test_watch_passes_on_what_did_not_stop_the_build(project: Paths) -> None:
    """A page past its review date is built (citizens keep an answer, with its caution) and reported."""
    page = project.corpus / "procedures" / "ho-chieu.md"
    today = dt.date.today()
    checked, due = today - dt.timedelta(days=30), today - dt.timedelta(days=1)
    header = f'\nupdated = {checked}\nreview_by = {due}\nreview_note = "mức giảm lệ phí"\n'
    page.write_text(re.sub(r"\nupdated = .*\n", header, page.read_text("utf-8")), "utf-8")
    events: list[str] = []
    watch(project.corpus, project.index, project, events.append, rounds=1, sleep=lambda _: None)
    assert events[0].startswith("missing: rebuilt") and events[1].startswith("warning: ")
    assert "ho-chieu.md:" in events[1] and "mức giảm lệ phí" in events[1] and len(events) == 2


def test_an_english_entry_reads_an_english_message_in_the_pages_words(project: Paths) -> None:
    """`english.tsv` (read as rewrites): an English message finds the page its Vietnamese words name."""
    query = "renew my travel document abroad"
    before = Searcher(open_index()).search(query)
    assert not before.hits or before.hits[0].id != "ho-chieu"
    (project.lexicon / "english.tsv").write_text("travel document\thộ chiếu\nrenew\tcấp đổi\n", "utf-8")
    assert staleness(project.index, project) is not None
    after = Searcher(open_index()).search(query)
    assert after.hits[0].id == "ho-chieu" and not after.abstained


def test_an_english_only_entry_changes_an_english_messages_ranking_and_no_vietnamese_one(project: Paths) -> None:
    """`english_only.tsv`: `the` in an English message asked for `thẻ` and drew the ID-card page; with the
    entry it asks nothing there, while the same letters in a Vietnamese message (`thẻ căn cước` typed
    without diacritics) still count."""
    (project.lexicon / "english.tsv").write_text("travel document\thộ chiếu\nrenew\tcấp đổi\nhow to\t-\n", "utf-8")
    english, vietnamese = "how to renew the travel document abroad", "the can cuoc het han lam lai o dau"

    def scores(query: str) -> dict[str, float]:
        return {h.id: h.score for h in Searcher(open_index()).search(query).hits}

    before_en, before_vi = scores(english), scores(vietnamese)
    (project.lexicon / "english_only.tsv").write_text("the\t-\n", "utf-8")
    assert staleness(project.index, project) is not None
    after_en, after_vi = scores(english), scores(vietnamese)
    assert max(after_en, key=after_en.get) == max(before_en, key=before_en.get) == "ho-chieu"
    assert after_en["cap-lai-can-cuoc"] < 0.7 * before_en["cap-lai-can-cuoc"]
    assert after_vi == before_vi and max(after_vi, key=after_vi.get) == "cap-lai-can-cuoc"


def test_a_message_in_english_is_trusted_by_the_tuned_factor_and_a_vietnamese_one_is_not(project: Paths) -> None:
    """`english_confidence`: an English message matches fewer of a page's words than the same question in
    Vietnamese, so its confidence is multiplied; a Vietnamese message's is not, nor does the factor move
    any ranking."""
    (project.lexicon / "english.tsv").write_text("travel document\thộ chiếu\nrenew\tcấp đổi\nhow to\t-\n", "utf-8")
    index = open_index()
    plain = Searcher(index, replace(index.search_config, english_confidence=1.0))
    lifted = Searcher(index, replace(index.search_config, english_confidence=2.0))
    english = "how to renew my travel document abroad"
    assert lifted.vectors(english).english and not plain.vectors(english).english
    before, after = plain.search(english), lifted.search(english)
    assert [h.id for h in after.hits] == [h.id for h in before.hits] and after.hits[0].id == "ho-chieu"
    assert after.confidence == pytest.approx(2.0 * before.confidence) and before.confidence > 0
    assert after.english == 2.0 and before.english == 1.0 and after.base == before.base
    assert after.confidence == pytest.approx(after.base * after.likeness * after.english)  # as --explain says
    for vietnamese in ("làm lại hộ chiếu ở đâu", "lam lai ho chieu o dau"):
        assert not lifted.vectors(vietnamese).english
        assert lifted.search(vietnamese).confidence == plain.search(vietnamese).confidence


def _anchored(project: Paths, anchors: str) -> None:
    """The fixture's passport page with `anchors` (a TOML list) in its front matter."""
    page = project.corpus / "procedures" / "ho-chieu.md"
    page.write_text(page.read_text("utf-8").replace("aliases = [", f"anchors = {anchors}\naliases = [", 1), "utf-8")


def test_a_message_naming_none_of_the_first_page_anchors_is_answered_with_less_confidence(project: Paths) -> None:
    """`anchor_penalty`: `đi nước ngoài cần giấy tờ gì` ranks the passport page first on its verbs alone;
    naming the page's object (`hộ chiếu`, typed with or without diacritics, or `passport`) keeps the
    confidence whole. The ranking never moves."""
    _anchored(project, '["hộ chiếu", "passport"]')
    index = open_index()
    plain = Searcher(index, replace(index.search_config, anchor_penalty=0.0))
    lowered = Searcher(index, replace(index.search_config, anchor_penalty=0.5))
    vague = "đi nước ngoài cần giấy tờ gì"
    before, after = plain.search(vague), lowered.search(vague)
    assert [h.id for h in after.hits] == [h.id for h in before.hits] and after.hits[0].id == "ho-chieu"
    assert after.anchor == 0.5 and before.anchor == 1.0 and after.base == before.base > 0
    assert after.confidence == pytest.approx(0.5 * before.confidence)
    assert after.confidence == pytest.approx(after.base * after.likeness * after.english * after.anchor)
    for named in ("đi nước ngoài cần hộ chiếu gì", "di nuoc ngoai can ho chieu gi", "passport đi nước ngoài"):
        kept = lowered.search(named)
        assert kept.hits[0].id == "ho-chieu" and kept.anchor == 1.0, named
        assert kept.confidence == plain.search(named).confidence
    assert lowered.assess(vague)[1] == pytest.approx(after.confidence)  # the harness judges as `ask` does


def test_a_page_whose_sample_question_names_none_of_its_anchors_is_refused_at_build(project: Paths) -> None:
    """Anchors a page's own questions lack are too narrow: the build names the question and keeps the
    index the project had."""
    had = open_index().manifest["built_at"]
    _anchored(project, '["giấy thông hành"]')
    with pytest.raises(CorpusError) as caught:
        build(project.corpus, project.index)
    said = "ho-chieu.md: sample question 'Làm hộ chiếu cần giấy tờ gì?' names none"
    assert any(said in p for p in caught.value.problems)
    assert load_index(project.index).manifest["built_at"] == had


def test_the_anchors_ablation_row_turns_the_penalty_off_and_only_when_there_is_one(project: Paths) -> None:
    """`− anchors` in the harness is the same index read with no penalty; with no anchors or no
    penalty there is nothing to take away, and no row."""
    assert "− anchors" not in ablation_indexes(open_index())  # the fixture lists no anchors
    _anchored(project, '["hộ chiếu", "passport"]')
    project.tuning.write_text(json.dumps({"anchor_penalty": 0.3}), "utf-8")
    build(project.corpus, project.index)
    index = open_index()
    ablated, config = ablation_indexes(index)["− anchors"]
    assert ablated is index and config.anchor_penalty == 0.0 and index.search_config.anchor_penalty == 0.3
    assert "− anchors" not in ablation_indexes(replace(index, search_config=config))
