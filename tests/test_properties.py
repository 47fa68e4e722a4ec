"""Property-based tests (hypothesis): the text pipeline is total and stable, search is total and deterministic.

Example counts are modest so the fast suite stays fast; `make fuzz` runs the long, random search.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faq.analyzer import Analyzer
from faq.config import AnalyzerConfig
from faq.index import load_index, save_index
from faq.lexicon import load_lexicon
from faq.search import MAX_QUERY_CHARS, Searcher
from faq.text import fold, normalize

LEXICON = Path(__file__).parent / "data" / "corpus" / "lexicon"
WORDS = [
    "đăng", "ký", "tạm", "trú", "hộ", "chiếu", "mất", "căn", "cước", "cccd", "ko", "dc", "công", "an", "gọi",
    "điện", "passport", "lệ", "phí", "bao", "lâu", "ở", "đâu", "hoà", "thuỷ", "ĐĂNG", "dang", "ky", "tam", "tru",
    "20.000đ", "1,5", "?", "!", "\n", "😀",
]  # fmt: skip

# Any text but lone surrogates (no UTF-8 input produces them; the CLI refuses them), control chars included.
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
controls = st.text(st.sampled_from([chr(c) for c in range(0x20)] + ["\x7f", "\x85", "\u200b", "\u2028", "\ufeff"]))
words = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
nfd_words = words.map(lambda s: unicodedata.normalize("NFD", s))
long_text = st.text(st.sampled_from("aăâđeêioôơuưy ạảãàá\u0301\u0323.,"), min_size=500, max_size=MAX_QUERY_CHARS)
texts = st.one_of(any_text, words, nfd_words, controls, st.lists(st.one_of(words, controls, any_text)).map("".join))
# Combining marks on digits or punctuation (`1\u0301.000`) are not text anyone types: they can make a number
# separator count before folding and not after. Letter-attached marks (NFD Vietnamese) are included.
typed_text = st.one_of(
    st.text(st.characters(exclude_categories=("Cs", "Mn", "Mc", "Me")), max_size=200), words, nfd_words
)


def examples(n: int) -> settings:
    """Few enough examples for the fast suite, no deadline (the segmenter's first call is slow), and no
    example database: tests never write into the repository."""
    return settings(max_examples=n, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(AnalyzerConfig(), load_lexicon(LEXICON))


@examples(150)
@given(text=st.one_of(texts, long_text), query=st.booleans())
def test_the_analyzer_never_raises_and_yields_clean_tokens(analyzer: Analyzer, text: str, query: bool) -> None:
    tokens = analyzer.analyze(text, query=query)
    assert set(tokens) == set(AnalyzerConfig().channels())
    for channel in tokens.values():
        assert all(isinstance(t, str) and t.strip() for t in channel)
        assert not any(unicodedata.category(ch) == "Cc" for t in channel for ch in t)


@examples(500)
@given(texts)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@examples(500)
@given(texts)
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


@examples(500)
@given(typed_text)
def test_folding_is_stable_under_normalize(text: str) -> None:
    folded = fold(normalize(text))
    assert fold(normalize(folded)) == folded  # the folded channel's form is a fixed point
    assert fold(normalize(fold(text))) == folded  # typing without diacritics reaches the same form


ENGLISH_WORDS = ["how", "do", "i", "renew", "the", "my", "can", "card", "lost", "to", "for", "help", "cuoc", "thẻ"]
english_words = st.lists(st.sampled_from(WORDS + ENGLISH_WORDS), max_size=12).map(" ".join)


@pytest.fixture(scope="module")
def english_analyzers() -> tuple[Analyzer, Analyzer]:
    """The fixture lexicon with a few english.tsv entries, without and with english_only.tsv's, and the
    real dictionary (to tell English)."""
    from dataclasses import replace

    from faq.spelling import dictionary_syllables

    base = load_lexicon(LEXICON)
    english = ((("renew",), ("cấp", "đổi")), (("card",), ("thẻ",)), (("how",), ()), (("help",), ()))
    lexicon = replace(base, rewrites=base.rewrites + english, english=tuple(k for k, _ in english))
    only = replace(lexicon, english_only=((("the",), ()), (("can",), ()), (("my",), ()), (("to",), ())))
    words = ["thẻ_căn_cước", "căn_cước"]
    dictionary = dictionary_syllables()
    return (
        Analyzer(AnalyzerConfig(), lexicon, query_words=words, dictionary=dictionary),
        Analyzer(AnalyzerConfig(), only, query_words=words, dictionary=dictionary),
    )


@examples(300)
@given(text=st.one_of(english_words, texts))
def test_english_only_entries_change_nothing_but_an_english_message(english_analyzers, text: str) -> None:
    """`english_only.tsv` is read in a message told English alone, and only takes words away there."""
    plain, with_only = english_analyzers
    if not with_only.read_query(text)[2]:  # not read as English
        assert with_only.prepare_query(text) == plain.prepare_query(text)
    else:
        kept = [s for c in with_only.prepare_query(text)[0] for s in c]
        every = [s for c in plain.prepare_query(text)[0] for s in c]
        assert len(kept) <= len(every)


@pytest.fixture(scope="module")
def searchers(built, tmp_path_factory: pytest.TempPathFactory) -> tuple[Searcher, Searcher]:
    """A searcher on the session-built index and one on a saved-and-loaded copy of it."""
    index, _ = built
    target = tmp_path_factory.mktemp("roundtrip") / "idx"
    save_index(index, target)
    return Searcher(index), Searcher(load_index(target))


@examples(100)
@given(query=st.one_of(words, texts), top_k=st.integers(min_value=1, max_value=10))
def test_search_is_total_and_deterministic(searchers, query: str, top_k: int) -> None:
    searcher, _ = searchers
    result = searcher.search(query, top_k=top_k)
    scores = searcher.score(query)
    matching = int((scores > 0.0).sum())
    assert len(result.hits) == min(top_k, matching)  # a document sharing nothing is never a hit
    first = [searcher.index.doc_ids[d] for d in searcher.rank(scores)[:top_k] if scores[d] > 0.0]
    assert [h.id for h in result.hits] == first  # the first k, found before the tie-break, as a full sort
    keys = [(-round(h.score, 12), h.id) for h in result.hits]
    assert keys == sorted(keys)  # best first, ties by id
    assert all(0.0 < h.score <= 1.0 + 1e-9 for h in result.hits)
    best = result.hits[0].score if result.hits else 0.0
    assert result.abstained == (best < searcher.config.threshold or best <= 0.0)
    assert searcher.search(query, top_k=top_k) == result


@examples(40)
@given(query=st.one_of(words, any_text))
def test_save_and_load_preserve_scores_exactly(searchers, query: str) -> None:
    original, loaded = searchers
    assert np.array_equal(original.score(query), loaded.score(query))
    assert [(h.id, h.score, h.matched) for h in original.search(query).hits] == [
        (h.id, h.score, h.matched) for h in loaded.search(query).hits
    ]
