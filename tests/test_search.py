import math
from dataclasses import replace

import numpy as np
import pytest

from faq.config import SearchConfig
from faq.index import build_index
from faq.search import MAX_QUERY_CHARS, Searcher
from faq.text import fold


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("đăng ký tạm trú cần giấy tờ gì", "tam-tru"),
        ("dang ky tam tru", "tam-tru"),
        ("DANG KY TAM TRU???", "tam-tru"),
        ("mất cccd làm lại ở đâu", "cap-lai-can-cuoc"),
        ("mat the can cuoc", "cap-lai-can-cuoc"),
        ("passport hết hạn", "ho-chieu"),
        ("có người xưng công an gọi điện bắt chuyển tiền", "gia-danh-cong-an"),
        ("dang ki tam tru", "tam-tru"),  # typo: ki/ky
    ],
)
def test_expected_document_ranks_first(built, query: str, expected: str) -> None:
    index, _ = built
    result = Searcher(index).search(query)
    assert result.hits[0].id == expected
    assert not result.abstained


@pytest.mark.parametrize(
    ("typed", "official"), [("đăng kí tạm trú ở đâu", "đăng ký tạm trú ở đâu"), ("dang ki", "dang ky")]
)
def test_the_i_spelling_of_a_y_syllable_scores_as_the_official_one(built, typed: str, official: str) -> None:
    searcher = Searcher(built[0])
    assert np.array_equal(searcher.score(typed), searcher.score(official))


def test_a_foreign_name_accent_does_not_make_an_unaccented_question_accented(built) -> None:
    """`Müller` keeps no accent after normalisation, so the rest of the message is still read as typed
    without diacritics and restored (before, the `ü` made it count as accented: no restoration)."""
    searcher = Searcher(built[0])
    plain, foreign = "dang ky tam tru cho anh Muller", "dang ky tam tru cho anh Müller"
    assert np.array_equal(searcher.score(foreign), searcher.score(plain))
    assert searcher.search(foreign).hits[0].id == "tam-tru"


def test_gibberish_and_empty_queries_abstain_without_pretend_topics(built) -> None:
    """A document that shares nothing with the question is not a "nearest topic": listing the first ids
    in alphabetical order as suggestions would mislead."""
    index, _ = built
    searcher = Searcher(index)
    for q in ("qwrtpz", "", "   ", "😀😀"):
        result = searcher.search(q)
        assert result.abstained and result.hits == ()


def test_a_weak_question_abstains_but_still_suggests(built) -> None:
    index, _ = built
    result = Searcher(index, SearchConfig(threshold=0.99)).search("tạm trú")
    assert result.abstained
    assert result.hits and all(h.score > 0 for h in result.hits)


def test_threshold_comes_from_config(built) -> None:
    index, _ = built
    strict = Searcher(index, SearchConfig(threshold=0.99))
    assert strict.search("đăng ký tạm trú").abstained
    lenient = Searcher(index, SearchConfig(threshold=0.0001))
    assert not lenient.search("đăng ký tạm trú").abstained


def test_results_are_sorted_and_deterministic(built) -> None:
    index, _ = built
    searcher = Searcher(index)
    a = searcher.search("làm lại giấy tờ")
    b = Searcher(index).search("làm lại giấy tờ")
    assert [(h.id, h.score) for h in a.hits] == [(h.id, h.score) for h in b.hits]
    scores = [h.score for h in a.hits]
    assert scores == sorted(scores, reverse=True)


def test_ties_are_broken_by_id(built) -> None:
    index, _ = built
    searcher = Searcher(index)
    order = searcher.rank(np.zeros(len(index.documents)))
    assert [index.documents[i].id for i in order] == sorted(d.id for d in index.documents)


def test_the_first_k_are_those_of_a_full_sort_under_exact_and_near_ties(built) -> None:
    """`top` rounds only the scores near the k-th; with exact ties, ties at the 12th decimal and scores a
    rounding step apart it still picks what `rank` (every score rounded, then sorted) puts first."""
    searcher = Searcher(built[0])
    n = len(built[0].documents)
    rng = np.random.default_rng(7)
    for trial in range(3000):
        scores = rng.random(n) * (0.3, 1e-3, 1.5)[trial % 3]
        if trial % 4 == 1:
            scores = np.round(scores, 2)  # exact ties
        elif trial % 4 == 2:  # near ties straddling the 12-decimal rounding
            scores[: n // 2 + 1] = rng.random() + rng.integers(-3, 4, n // 2 + 1) * 3e-13
        elif trial % 4 == 3:
            scores[rng.random(n) < 0.5] = 0.0
        for k in range(1, n):
            assert list(searcher.top(scores, k)) == list(searcher.rank(scores)[:k]), (trial, k)


def test_matched_passage_and_answer(built) -> None:
    index, _ = built
    hit = Searcher(index).search("lệ phí làm hộ chiếu bao nhiêu").hits[0]
    assert hit.id == "ho-chieu"
    assert "lệ phí" in hit.matched.lower()
    qa = Searcher(index).search("Bao lâu có hộ chiếu?").hits[0]
    assert qa.matched_kind == "qa" and qa.answer == "08 ngày làm việc."


@pytest.mark.parametrize("chars", [False, True], ids=["default", "with-char-ngrams"])
def test_explain_contributions_add_up_to_the_score(built, built_with_chars, chars: bool) -> None:
    index = built_with_chars if chars else built[0]
    result = Searcher(index).search("mat cccd lam lai online duoc khong", explain=True)
    for hit in result.hits:
        total = sum(c.score for c in hit.contributions)
        assert total == pytest.approx(hit.score, abs=1e-9)
        for c in hit.contributions:
            assert sum(v for _, v in c.terms) == pytest.approx(c.score, abs=1e-12)
    assert {c.channel for c in result.hits[0].contributions} == set(index.channels)


def test_very_long_query_is_cut_with_a_notice(built) -> None:
    index, _ = built
    result = Searcher(index).search("tạm trú " * 1000)
    assert result.truncated and result.notes and len(result.query) > MAX_QUERY_CHARS
    assert result.hits[0].id == "tam-tru"


def test_synonym_from_lexicon_changes_ranking(built) -> None:
    """`passport` is mapped to `hộ chiếu` only by the fixture lexicon's synonyms."""
    index, _ = built
    searcher = Searcher(index)
    tokens = searcher.analyzer.analyze("passport", query=True)["word"]
    assert "hộ_chiếu" in tokens


def test_other_agency_terms_lower_confidence_and_are_reported(built) -> None:
    index, _ = built
    searcher = Searcher(index, SearchConfig(threshold=0.01, other_agency_penalty=0.5))
    result = searcher.search("đăng ký kết hôn cần giấy tờ gì")
    assert result.referrals == (("kết hôn", "Đăng ký kết hôn do UBND cấp xã giải quyết."),)
    assert result.confidence == pytest.approx(result.hits[0].score * 0.5)
    plain = searcher.search("đăng ký tạm trú cần giấy tờ gì")
    assert plain.referrals == () and plain.confidence == plain.hits[0].score


def test_a_joint_other_agency_term_lowers_confidence_only_when_every_part_is_named(built) -> None:
    """An entry added to the lexicon changes the answer: with `hộ chiếu + visa` (another country's
    visa, asked with a passport in hand) the message naming both apart is discounted, one naming
    only the passport is not, and its ranking is left as it was."""
    from dataclasses import replace

    index, _ = built
    joint = ((("hộ", "chiếu", "+", "visa"), "Đại sứ quán nước đến"),)
    lexicon = replace(index.lexicon, other_agencies=index.lexicon.other_agencies + joint)
    plain = Searcher(index, SearchConfig(threshold=0.01, other_agency_penalty=0.5))
    searcher = Searcher(replace(index, lexicon=lexicon), SearchConfig(threshold=0.01, other_agency_penalty=0.5))
    both = "xin visa đi Hàn với hộ chiếu mới làm ở đâu"
    before, after = plain.search(both), searcher.search(both)
    assert [h.id for h in after.hits] == [h.id for h in before.hits]
    assert after.referrals == (("hộ chiếu + visa", "Đại sứ quán nước đến"),)
    assert after.confidence == pytest.approx(before.confidence * 0.5)
    alone = searcher.search("làm hộ chiếu ở đâu")
    assert alone.referrals == () and alone.confidence == plain.search("làm hộ chiếu ở đâu").confidence


def test_another_agency_named_only_in_the_story_costs_half_the_penalty(built) -> None:
    """`vợ chồng tôi kết hôn năm ngoái` is background to a residence question; asking about marriage is
    not. A story's mention still counts half: it may be the topic the question then points back to."""
    index, _ = built
    searcher = Searcher(index, SearchConfig(threshold=0.01, other_agency_penalty=0.5))
    story = searcher.search("Vợ chồng tôi kết hôn năm ngoái. Giờ đăng ký tạm trú cho vợ cần giấy tờ gì?")
    assert story.referrals and story.confidence == pytest.approx(story.hits[0].score * 0.75)
    asked = searcher.search("Vợ chồng tôi mới về ở chung. Đăng ký kết hôn cần giấy tờ gì?")
    assert asked.confidence == pytest.approx(asked.hits[0].score * 0.5)


def test_unrestored_unaccented_queries_move_the_word_channel_weight_elsewhere() -> None:
    from faq.search import effective_weights

    weights = {"word": 0.5, "folded": 0.3, "char": 0.2}
    assert effective_weights(weights, words_comparable=True) == weights
    moved = effective_weights(weights, words_comparable=False)
    assert moved["word"] == 0.0 and moved["folded"] == pytest.approx(0.6) and sum(moved.values()) == pytest.approx(1)
    assert effective_weights(weights, words_comparable=True) == weights  # restored (tests/test_restore.py)


def test_queries_are_segmented_into_the_index_own_words(built) -> None:
    index, _ = built
    analyzer = index.analyzer()
    words = analyzer.analyze("Đăng ký tạm trú cần giấy tờ gì", query=True)["word"]
    assert "đăng_ký" in words and "tạm_trú" in words
    assert all("_" not in w or w in index.vocab["word"] for w in words if " " not in w)


def test_work_budget_keeps_the_most_informative_terms(built) -> None:
    index, _ = built
    query = "mất thẻ căn cước làm lại ở đâu"
    full = Searcher(index, SearchConfig(max_postings=0)).vectors(query)
    tight = Searcher(index, SearchConfig(max_postings=5)).vectors(query)
    for c in index.channels:
        idx, w = full.terms[c]
        kept, _ = tight.terms[c]
        assert 1 <= len(kept) <= len(idx)
        indptr = index.postings[c].indptr
        lengths = dict(zip(idx.tolist(), (indptr[idx + 1] - indptr[idx]).tolist(), strict=True))
        assert len(kept) == 1 or sum(lengths[t] for t in kept.tolist()) <= 5
        top = idx[int(w.argmax())]
        assert top in kept  # the highest-weighted term always survives
    result = Searcher(index, SearchConfig(max_postings=5)).search(query, explain=True)
    for hit in result.hits:
        assert sum(c.score for c in hit.contributions) == pytest.approx(hit.score, abs=1e-9)
    # the project's budget is never reached on a small corpus: identical to no budget at all
    assert np.array_equal(Searcher(index).score(query), Searcher(index, SearchConfig(max_postings=0)).score(query))


# ---------------------------------------------------------------- documents missing some fields


def _faq_index(tmp_path, rows: list[dict]):
    import json

    from faq.engine import Paths, build

    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "faq.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    project = Paths.default()
    return build(path, tmp_path / "idx", project, save=False)[0]


FAQ_ROWS = [
    {"id": "tam-tru", "question": "Đăng ký tạm trú cần giấy tờ gì?", "answer": "Tờ khai CT01 và giấy tờ chỗ ở."},
    {
        "id": "ho-chieu",
        "question": "Làm hộ chiếu ở đâu?",
        "answer": "Nộp hồ sơ tại Công an tỉnh hoặc qua Cổng dịch vụ công.",
        "aliases": ["passport"],
    },
    {"id": "chi-tra-loi", "question": "", "answer": "Mất căn cước thì đề nghị cấp lại qua VNeID hoặc tại Công an xã."},
]


def test_more_ways_to_ask_in_a_faq_row_are_matched_each_on_its_own(tmp_path) -> None:
    """A chatbot's intent table has several example questions per answer: a citizen who asks like the
    second one finds the row, which the answer's words alone would not bring first."""
    query = "mới chuyển nhà sang phường khác thì báo ai"
    plain = [dict(r) for r in FAQ_ROWS]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert Searcher(_faq_index(tmp_path / "a", plain)).search(query).abstained  # nothing in the row says it
    richer = [dict(r) for r in FAQ_ROWS]
    richer[0]["questions"] = ["Chuyển nhà sang phường khác phải báo cho ai?"]
    index = _faq_index(tmp_path / "b", richer)
    assert index.documents[index.doc_ids.index("tam-tru")].questions == (
        "Đăng ký tạm trú cần giấy tờ gì?",
        "Chuyển nhà sang phường khác phải báo cho ai?",
    )
    result = Searcher(index).search(query)
    hit = result.hits[0]
    assert (
        not result.abstained and hit.id == "tam-tru" and hit.matched == "Chuyển nhà sang phường khác phải báo cho ai?"
    )


def test_coverage_scale_is_one_for_complete_documents_and_a_mean_over_the_rest() -> None:
    from faq.search import coverage, coverage_scale

    weights = {"title": 0.1, "aliases": 0.2, "questions": 0.2, "body": 0.4, "question_max": 0.1}
    everything = 0b11111
    no_aliases, body_only = everything & ~0b10, 0b01000
    present = {"word": np.array([everything, no_aliases, body_only, 0], dtype=np.uint8)}
    scale = coverage_scale(coverage(present, ("word",), weights), {"word": 1.0})
    assert scale[0] == 1.0 and scale[3] == 1.0  # nothing indexed: nothing to scale
    assert scale[1] == pytest.approx(1.0 / 0.8) and scale[2] == pytest.approx(1.0 / 0.4)


def test_an_entry_without_aliases_or_questions_is_not_capped(tmp_path) -> None:
    """The answer-only entry matches its own words as well as a complete entry would: its score is a
    mean over the fields it has, so it stays above the abstention threshold."""
    index = _faq_index(tmp_path, FAQ_ROWS)
    searcher = Searcher(index)
    bits = index.present["word"]
    assert bits[index.doc_ids.index("chi-tra-loi")] != bits[index.doc_ids.index("ho-chieu")]
    result = searcher.search("mất căn cước đề nghị cấp lại qua VNeID", explain=True)
    assert result.hits[0].id == "chi-tra-loi" and not result.abstained
    raw = Searcher(index)
    raw._coverage = {c: (np.ones_like(e), 1.0) for c, (e, _) in raw._coverage.items()}  # no scaling
    capped = raw.search("mất căn cước đề nghị cấp lại qua VNeID").hits[0]
    assert capped.id == "chi-tra-loi" and result.hits[0].score > 1.5 * capped.score
    for hit in result.hits:  # explanations still add up, scaling included
        assert sum(c.score for c in hit.contributions) == pytest.approx(hit.score, abs=1e-9)


SIBLING_ROWS = [
    {
        "id": "dang-ky",
        "question": "Đăng ký tạm trú cần gì?",
        "answer": "Đăng ký tạm trú tại Công an xã nơi đến ở, bằng tờ khai CT01.",
        "aliases": ["đăng ký tạm trú", "làm tạm trú"],
    },
    {
        "id": "gia-han",
        "question": "Gia hạn thế nào?",
        "answer": "Khi đăng ký tạm trú sắp hết hạn mà vẫn ở tiếp, nộp tờ khai CT01 để gia hạn.",
    },
    {"id": "ho-chieu", "question": "Làm hộ chiếu ở đâu?", "answer": "Nộp tờ khai tại Công an tỉnh hoặc trên VNeID."},
]


def test_the_tie_break_lets_the_words_the_first_two_do_not_share_decide(tmp_path) -> None:
    """Both pages say `đăng ký tạm trú`; the registration page says it in more fields and comes first
    on the sum, but only the extension page has `hết hạn`. With the tie-break, the terms one of the
    first two lacks decide between them; the third keeps its score, and explanations still add up."""
    index = _faq_index(tmp_path, SIBLING_ROWS)
    query = "đăng ký tạm trú hết hạn ở đâu"
    plain = Searcher(index, replace(index.search_config, tie_break=0.0)).search(query, explain=True)
    broken = Searcher(index, replace(index.search_config, tie_break=1.0)).search(query, explain=True)
    assert [h.id for h in plain.hits] == ["dang-ky", "gia-han", "ho-chieu"]
    assert [h.id for h in broken.hits] == ["gia-han", "dang-ky", "ho-chieu"]
    before = {h.id: h for h in plain.hits}
    first = broken.hits[0]
    assert first.tie_break > 0 and first.score == pytest.approx(before["gia-han"].score + first.tie_break)
    assert broken.hits[2].score == before["ho-chieu"].score and broken.hits[2].tie_break == 0.0
    added = {t for c in first.contributions if c.field == "tie_break" for t, _ in c.terms}
    assert added and all(fold(t) in ("het", "han", "het han") for t in added)  # only what the other lacks
    for hit in broken.hits:
        assert sum(c.score for c in hit.contributions) == pytest.approx(hit.score, abs=1e-9)
    # confidence stays the first answer's own score (times its topic likeness): the tie-break orders, it
    # does not make surer
    own = (first.score - first.tie_break) / first.coverage_factor
    assert broken.confidence == pytest.approx(own * broken.likeness)


def test_the_tie_break_weight_is_chosen_on_dev(tmp_path) -> None:
    """The tuner's last stage keeps the tie-break off unless dev questions rank better with it, and then
    takes the smallest weight that does."""
    from faq.evaluate import EvalQuery
    from faq.tuning import TIE_BREAKS, tune_tie_break

    index = _faq_index(tmp_path, SIBLING_ROWS)
    config = replace(index.search_config, tie_break=0.0)
    query = "đăng ký tạm trú hết hạn ở đâu"
    off, _ = tune_tie_break(index, [EvalQuery(query, ("dang-ky",), "formal")], config)
    on, objective = tune_tie_break(index, [EvalQuery(query, ("gia-han",), "formal")], config)
    assert off.tie_break == 0.0
    assert on.tie_break > 0.0 and objective == pytest.approx(3.0)  # first: accuracy, MRR and recall all 1
    smaller = [b for b in TIE_BREAKS if b < on.tie_break]
    for beta in smaller:
        hits = Searcher(index, replace(config, tie_break=beta)).search(query).hits
        assert hits[0].id == "dang-ky"


def test_the_tuner_scores_as_the_searcher_does(built, tmp_path) -> None:
    from faq.evaluate import EvalQuery
    from faq.tuning import _Cache

    config = SearchConfig(
        channel_weights={"word": 0.5, "folded": 0.3, "char": 0.2},
        field_weights={"title": 0.1, "aliases": 0.2, "questions": 0.2, "question_max": 0.1, "body": 0.4},
    )
    for index in (built[0], _faq_index(tmp_path, FAQ_ROWS)):
        queries = [EvalQuery(q, (index.doc_ids[0],), "formal") for q in ("tạm trú", "mat can cuoc", "passport o dau")]
        cache = _Cache(index, queries)  # the cosines do not depend on the weights: one cache for every trial
        for exponent in (0.0, 0.5):
            # the tuner keeps the index's synonym weight, which shapes the query vectors it caches
            trial = replace(config, term_coverage=exponent, synonym_weight=index.search_config.synonym_weight)
            expected = np.array([Searcher(index, trial).score(q.query) for q in queries])
            assert np.allclose(cache.ranked(trial), expected, rtol=1e-9, atol=1e-12)


def test_term_coverage_ranks_by_the_share_of_the_question_a_document_holds(built) -> None:
    """A document missing the question's rarer words is multiplied down; confidence stays the first
    document's own score, and the explanation still adds up to the ranking score."""
    index, _ = built
    query = "mất căn cước ở nước ngoài làm lại hộ chiếu"
    plain = Searcher(index)
    covered = Searcher(index, replace(plain.config, term_coverage=1.0))
    qv = covered.vectors(query)
    share = covered.term_coverage(qv)
    assert share.shape == (len(index.doc_ids),) and np.all((share >= 0) & (share <= 1 + 1e-12))
    assert np.allclose(covered.score(query), plain.score(query) * share)
    raw = plain.score(query)
    result = covered.search(query, explain=True)
    first = index.doc_ids.index(result.hits[0].id)
    assert result.confidence == pytest.approx(raw[first])
    for hit in result.hits:
        assert sum(c.score for c in hit.contributions) == pytest.approx(hit.score, abs=1e-9)


def test_document_postings_mark_every_document_holding_a_term_once(built) -> None:
    """Term coverage reads one 0/1 row per term: any field of the document, counted once."""
    from faq.index import DOC_FIELDS, coverage_channel

    index, _ = built
    c = coverage_channel(index.channels)
    docs, fields = index.doc_postings[c], index.postings[c]
    n = len(index.doc_ids)
    assert docs.shape == (len(index.vocab[c]), n) and np.all(docs.data == 1.0)
    for t in range(0, docs.shape[0], max(1, docs.shape[0] // 50)):
        in_fields = set((fields.indices[fields.indptr[t] : fields.indptr[t + 1]] % n).tolist())
        assert set(docs.indices[docs.indptr[t] : docs.indptr[t + 1]].tolist()) == in_fields
    assert len(DOC_FIELDS) * n == fields.shape[1]


def test_a_message_of_framing_words_or_single_letters_asks_nothing(tmp_path) -> None:
    """`e` is `em` in chat: `ok e cảm ơn` and `a ơi e hỏi` ask nothing, though a lone `e` matches the
    e-visa and the class E licence; nor do `nộp ở đâu ạ` and `cho hỏi thủ tục`, framing words alone
    (corpus/lexicon/framing.txt). They are declined with no pretend topics, as `em cảm ơn` is, while
    `bằng hạng e` and `e-visa nộp ở đâu` still ask."""
    rows = [
        {
            "id": "visa",
            "question": "Xin e-visa ở đâu?",
            "answer": "Thị thực điện tử (e-visa) xin trên cổng xuất nhập cảnh.",
        },
        {"id": "bang-lai", "question": "Bằng hạng E đổi sang hạng nào?", "answer": "Hạng E cũ được đổi sang hạng D."},
    ]
    searcher = Searcher(_faq_index(tmp_path, rows))
    for chat in ("ok e cảm ơn", "a ơi e hỏi", "e", "E chào a", "nộp ở đâu ạ", "cho hỏi thủ tục", "chào anh công an"):
        result = searcher.search(chat)
        assert result.abstained and result.hits == () and result.confidence == 0.0, chat
        assert result.topic is None, chat
        assert searcher.assess(chat)[1] == 0.0
    assert searcher.search("bằng hạng e").hits[0].id == "bang-lai"
    assert searcher.search("e-visa nộp ở đâu").hits[0].id == "visa"


def test_a_faq_file_of_answers_alone_builds_and_answers(tmp_path) -> None:
    """No entry has a question: the channels have no sample-question passages at all (once a crash)."""
    rows = [{**r, "question": ""} for r in FAQ_ROWS]
    index = _faq_index(tmp_path, rows)
    assert index.question_passages == 0 and index.question_postings["folded"].shape[1] == 0
    result = Searcher(index).search("làm hộ chiếu nộp hồ sơ ở đâu")
    assert result.hits[0].id == "ho-chieu" and not result.abstained
    # with character n-grams on, that channel has no sample questions either: no passages, not a crash
    chars = build_index(index.documents, replace(index.analyzer_config, char=True), index.lexicon, index.search_config)
    assert chars.question_postings["char"].shape[1] == 0
    assert Searcher(chars).search("làm hộ chiếu nộp hồ sơ ở đâu").hits[0].id == "ho-chieu"


def test_a_sample_question_shows_the_answer_of_its_qa_twin(tmp_path, monkeypatch) -> None:
    """A sample question has no answer of its own: matched alone it shows the summary. When the Q&A asks
    the same thing in other words, the citizen gets that Q&A's answer instead."""
    from conftest import copy_corpus

    import faq.search as search_module
    from faq.engine import Paths, build

    corpus = copy_corpus(tmp_path / "corpus")
    doc = corpus / "procedures" / "ho-chieu.md"
    twin = 'questions = [\n  "Bao lâu thì có hộ chiếu?",\n'  # the Q&A asks "Bao lâu có hộ chiếu?"
    doc.write_text(doc.read_text("utf-8").replace("questions = [\n", twin, 1), "utf-8")
    paths = Paths(corpus, tmp_path / "index", corpus / "lexicon", corpus / "tuning.json")
    index, _ = build(corpus, paths.index, paths)
    hit = Searcher(index).search("bao lâu thì có hộ chiếu").hits[0]
    assert hit.id == "ho-chieu" and hit.matched_kind == "qa"
    assert hit.matched == "Bao lâu có hộ chiếu?" and hit.answer == "08 ngày làm việc."
    monkeypatch.setattr(search_module, "TWIN_OVERLAP", 1.01)  # no twin: the sample question and the summary
    alone = Searcher(index).search("bao lâu thì có hộ chiếu").hits[0]
    assert alone.matched == "Bao lâu thì có hộ chiếu?" and alone.matched_kind == "question"
    assert alone.answer != "08 ngày làm việc."


def test_a_unit_from_the_lexicon_brings_a_glued_age_to_its_document(tmp_path) -> None:
    """`đủ 25t` means `đủ 25 tuổi` only through units.tsv; the documents spell the age out."""
    from conftest import copy_corpus

    from faq.engine import Paths, build

    corpus = copy_corpus(tmp_path / "corpus")
    for name, age in (("cap-lai-can-cuoc", 25), ("ho-chieu", 14)):
        doc = corpus / "procedures" / f"{name}.md"
        doc.write_text(doc.read_text("utf-8") + f"\n### Đủ {age} tuổi phải làm gì?\nXem mục trên.\n", "utf-8")
    paths = Paths(corpus, tmp_path / "index", corpus / "lexicon", corpus / "tuning.json")
    (corpus / "lexicon" / "units.tsv").unlink(missing_ok=True)
    question = "đủ 25t phải làm gì"

    def top(index) -> tuple[str, list[str], float]:
        searcher = Searcher(index)
        hits = {h.id: h.score for h in searcher.search(question).hits}
        return (
            max(hits, key=hits.get),
            searcher.analyzer.analyze(question, query=True)["word"],
            hits["cap-lai-can-cuoc"],
        )

    _, words, before = top(build(corpus, paths.index, paths)[0])
    assert "25" not in words and "tuổi" not in words
    (corpus / "lexicon" / "units.tsv").write_text("t\ttuổi\n", "utf-8")
    best, words, after = top(build(corpus, paths.index, paths)[0])
    assert "25" in words and "tuổi" in words
    assert best == "cap-lai-can-cuoc" and after > before


TAX = "nhà em cho sinh viên thuê trọ thì kê khai đóng thuế ở đâu"  # no listed term: `thuế cho thuê` is not in it


def test_a_question_like_an_example_of_another_agencys_subject_is_referred_there(built) -> None:
    """`other_topics.txt` (faq.topics): a landlord asking about tax in words no listed term holds is more
    like the tax examples than like any page, so its confidence falls by exp(-weight x gap) and it gets
    the tax office; a residence question about the same rented room is more like a page, and its
    confidence rises by the same rule. With the weight 0, the examples are not read."""
    index, _ = built
    on = Searcher(index, replace(index.search_config, threshold=0.01, other_agency_penalty=0.5, topic_weight=2.0))
    off = Searcher(index, replace(on.config, topic_weight=0.0))
    referred, plain = on.search(TAX), off.search(TAX)
    assert referred.topic is not None and referred.topic[1] == "Thuế cho thuê nhà do cơ quan thuế giải quyết."
    assert referred.referrals == () and plain.topic is None and plain.likeness == 1.0
    gap = on.closest_topic(on.analyzer.analyze(TAX, query=True)["folded"])[1]
    assert gap > 0 and referred.likeness == pytest.approx(math.exp(-2.0 * gap)) and referred.likeness < 1.0
    assert referred.confidence == pytest.approx(plain.confidence * referred.likeness)
    off.closest_topic = lambda *_: pytest.fail("the weight 0: the examples are not read")  # type: ignore[method-assign]
    assert off.vectors(TAX).topic == -1 and off.vectors(TAX).topic_gap == 0.0
    residence = "đăng ký tạm trú cho sinh viên thuê trọ cần gì"
    gap = on.closest_topic(on.analyzer.analyze(residence, query=True)["folded"])[1]
    assert gap < 0  # a page is closer
    mine, plain = on.search(residence), off.search(residence)
    assert mine.topic is None and mine.confidence == pytest.approx(plain.confidence * math.exp(-2.0 * gap))
    assert mine.confidence > plain.confidence


def test_the_topic_gap_counts_the_closest_page_when_no_example_shares_a_term(built) -> None:
    """A question sharing no term with any example is as unlike them as can be: its gap is minus its
    closest page's similarity, not 0, so that sharing a word with some example never raises confidence."""
    index, _ = built
    topics = index.topics
    assert topics is not None
    used = set(np.flatnonzero(np.diff(topics.examples.indptr)))  # terms with an example posting
    only_pages = [i for i in range(len(topics.idf)) if i not in used]
    assert only_pages, "the fixture has page terms no example uses"
    terms = np.array(only_pages[:1])
    example, gap, similarity = topics.closest(terms, np.ones(1))
    page = topics.pages.weighted_sum(terms, np.ones(1)).max()
    assert example == -1 and page > 0 and gap == pytest.approx(-page) and similarity == 0.0
    assert topics.closest(np.array([], dtype=np.int64), np.array([])) == (-1, 0.0, 0.0)


def test_the_tuner_chooses_a_topic_weight_only_when_it_declines_better(built) -> None:
    """`tune_topic_weight` keeps the weight 0 when examples of other subjects do not help on dev, and
    chooses one when an off-topic question scores above genuine ones and only its likeness to an
    example (a lost bank card, against the ID-card page) tells it apart."""
    from faq.evaluate import EvalQuery
    from faq.tuning import tune_topic_weight

    index, _ = built
    genuine = [
        EvalQuery("ở trọ có phải khai báo không", ("tam-tru",), "colloquial"),
        EvalQuery("rơi mất thẻ căn cuoc ở chợ", ("cap-lai-can-cuoc",), "typo"),
        EvalQuery("hộ chiếu gắn chíp làm ở đâu", ("ho-chieu",), "typo"),
    ]
    config = replace(index.search_config, threshold=0.01)
    kept, _ = tune_topic_weight(index, genuine, config)
    assert kept.topic_weight == 0.0
    card = EvalQuery("làm lại thẻ ngân hàng bị mất ở đâu", (), "out_of_scope")
    unaided = Searcher(index, config)
    assert unaided.search(card.query).confidence > min(unaided.search(q.query).confidence for q in genuine)
    chosen, summary = tune_topic_weight(index, [*genuine, card], config)
    assert chosen.topic_weight > 0.0 and "topic weight" in summary
    assert Searcher(index, chosen).search(card.query).abstained
    assert not any(Searcher(index, chosen).search(q.query).abstained for q in genuine)


def test_the_topic_pages_are_read_within_the_work_budget(built) -> None:
    """On a large corpus the closest page is looked for among the query's most informative terms, as
    the channels' postings are (`Postings.within_budget`): the closest page's similarity can only fall,
    and the gap only widen; within the budget (every corpus the project evaluates) it is exact."""
    from faq.index import vectorize

    index, _ = built
    topics = index.topics
    assert topics is not None
    tokens = Searcher(index).analyzer.analyze(TAX, query=True)["folded"]
    idx, w = vectorize(tokens, topics.vocab, topics.idf)
    exact = topics.closest(idx, w)
    assert topics.closest(idx, w, 1_000_000) == exact
    assert len(topics.pages.within_budget(idx, w, 5)[0]) < len(idx)  # a budget of 5 does cut here
    tight = topics.closest(idx, w, 5)
    assert tight[0] == exact[0] and tight[1] > exact[1]  # the cut terms were on the closest page


def test_blend_weighs_one_vector_against_another() -> None:
    from faq.index import blend

    a = (np.array([1, 3]), np.array([0.6, 0.8]))
    b = (np.array([1]), np.array([1.0]))
    for share, expected in ((1.0, a), (0.0, b)):
        idx, w = blend(a, b, share)
        assert idx.tolist() == expected[0].tolist() and np.allclose(w, expected[1])
    idx, w = blend(a, b, 0.5)
    assert idx.tolist() == [1, 3] and np.allclose(w, np.array([0.8, 0.4]) / np.hypot(0.8, 0.4))


def test_synonyms_count_for_the_configured_share_of_the_query(built) -> None:
    """`SearchConfig.synonym_weight`: 1 reads the synonyms as if typed, 0 as if the lexicon had none,
    between them a blend; a query without synonyms is the same at any weight."""
    index, _ = built
    without_synonyms = replace(index, lexicon=replace(index.lexicon, synonyms=()))
    query = "passport làm ở đâu"

    def terms(idx, weight: float) -> dict:
        qv = Searcher(idx, replace(idx.search_config, synonym_weight=weight)).vectors(query)
        return {c: dict(zip(i.tolist(), w.tolist(), strict=True)) for c, (i, w) in qv.terms.items()}

    def same(a: dict, b: dict) -> bool:
        return all(a[c].keys() == b[c].keys() and np.allclose(list(a[c].values()), list(b[c].values())) for c in a)

    full, none, half = terms(index, 1.0), terms(index, 0.0), terms(index, 0.5)
    assert same(none, terms(without_synonyms, 1.0)) and not same(full, none)
    word = index.vocab["word"]["hộ_chiếu"]
    assert 0.0 == none["word"].get(word, 0.0) < half["word"][word] < full["word"][word]
    plain = "tạm trú làm ở đâu"
    for weight in (0.0, 0.5):
        qv = Searcher(index, replace(index.search_config, synonym_weight=weight)).vectors(plain)
        ref = Searcher(index, replace(index.search_config, synonym_weight=1.0)).vectors(plain)
        for c in qv.terms:
            assert np.array_equal(qv.terms[c][0], ref.terms[c][0]) and np.allclose(qv.terms[c][1], ref.terms[c][1])


BARE_ROWS = [
    {
        "id": "dang-ky",
        "title": "Đăng ký tạm trú cho người thuê trọ, đi làm, đi học ở nơi khác",
        "answer": "Người đến ở nơi khác từ 30 ngày đăng ký tạm trú tại Công an xã nơi đến ở, bằng tờ khai CT01.",
        "bare_topics": ["tạm trú", "kt3"],
    },
    {
        "id": "gia-han",
        "title": "Gia hạn tạm trú",
        "answer": "Khi tạm trú sắp hết hạn mà vẫn ở tiếp, nộp tờ khai CT01 để gia hạn tạm trú.",
    },
    {"id": "ho-chieu", "title": "Hộ chiếu", "answer": "Nộp tờ khai làm hộ chiếu tại Công an tỉnh hoặc trên VNeID."},
]


def test_a_bare_topic_puts_the_page_that_lists_it_first(tmp_path) -> None:
    """On `tạm trú` alone every page of the topic matches the same two words and the variant with the
    shortest title wins; the base page lists the phrase as a bare topic, and a message that is only
    that phrase (typed any way, stop words around it) gets it first. Explanations still add up, the
    ranking the harness reads agrees, and a message saying more is ranked as before."""
    plain_rows = [{k: v for k, v in r.items() if k != "bare_topics"} for r in BARE_ROWS]
    plain = Searcher(_faq_index(tmp_path / "plain", plain_rows))
    assert plain.search("tạm trú").hits[0].id == "gia-han"  # the premise
    index = _faq_index(tmp_path / "listed", BARE_ROWS)
    assert index.bare_topics == (("tạm trú", 0, ("tam", "tru")), ("kt3", 0, ("kt3",)))
    searcher = Searcher(index)
    for query in ("tạm trú", "TAM TRU?", "ad ơi cho hỏi tạm trú ạ"):
        result = searcher.search(query, explain=True)
        first = result.hits[0]
        assert first.id == "dang-ky" and first.bare_topic == "tạm trú" and first.placed > 0, query
        assert first.score > result.hits[1].score
        assert [c.field for c in first.contributions].count("bare_topic") == 1
        for hit in result.hits:
            assert sum(c.score for c in hit.contributions) == pytest.approx(hit.score, abs=1e-9)
        assert index.doc_ids[searcher.rank(searcher.score(query))[0]] == "dang-ky"
    from faq.index import load_index, save_index

    save_index(index, tmp_path / "saved")
    loaded = load_index(tmp_path / "saved")
    assert loaded.bare_topics == index.bare_topics and loaded.documents[0].bare_topics == ("tạm trú", "kt3")
    assert Searcher(loaded).search("tạm trú").hits[0].bare_topic == "tạm trú"
    # the ablation row `− bare topics` (faq.evaluate) is this index without them: the premise again
    assert Searcher(replace(index, bare_topics=())).search("tạm trú").hits[0].id == "gia-han"
    told = searcher.search("tạm trú sắp hết hạn thì làm sao")
    assert told.hits[0].id == "gia-han" and all(not h.bare_topic for h in told.hits)
    before = plain.search("tạm trú sắp hết hạn thì làm sao")
    assert [(h.id, h.score) for h in told.hits] == [(h.id, h.score) for h in before.hits]


def test_a_bare_topic_is_answered_even_when_its_page_scores_low(tmp_path) -> None:
    """`kt3` is nowhere in the page, so it scores nothing, but a maintainer listed it: the page is
    answered at the threshold, not declined. A message that is not a bare topic is judged as before."""
    searcher = Searcher(_faq_index(tmp_path, BARE_ROWS))
    result = searcher.search("kt3")
    assert [h.id for h in result.hits] == ["dang-ky"] and not result.abstained
    assert result.confidence == pytest.approx(searcher.config.threshold)
    assert searcher.search("kt4").abstained


def test_two_pages_whose_bare_topics_read_the_same_are_refused(tmp_path) -> None:
    """`thủ tục tạm trú` is `tạm trú` once the project lexicon's framing words are set aside, so two
    pages listing them could not both come first: the build stops and names both."""
    from faq.errors import CorpusError

    rows = [dict(BARE_ROWS[0]), dict(BARE_ROWS[1], bare_topics=["thủ tục tạm trú"]), BARE_ROWS[2]]
    with pytest.raises(CorpusError) as info:
        _faq_index(tmp_path, rows)
    assert info.value.problems == [
        f"{tmp_path / 'faq.jsonl'}: bare topic 'thủ tục tạm trú' reads as 'tạm trú' of `dang-ky` once stop and "
        "framing words are set aside; keep it on one page"
    ]
