"""Diacritic restoration (faq.restore): pure, on hand-made frequencies, then through an index."""

from dataclasses import replace

from faq.config import AnalyzerConfig
from faq.restore import Restorer
from faq.search import Searcher

FREQUENCIES = {
    "đăng_ký": 50,
    "đăng": 3,
    "tạm_trú": 40,
    "bị": 60,
    "mất": 30,
    "mặt": 5,
    "bí_mật": 8,
    "bị mất": 20,
    "tới": 10,
    "đâu": 12,
    "đầu": 10,
    "căn_cước": 45,
    "covid_19": 2,
}


def restorer() -> Restorer:
    return Restorer.from_frequencies(FREQUENCIES, stopwords=["tôi", "như thế nào"])


def first(sylls: str) -> list[str]:
    return [forms[0] for forms in restorer().restore(sylls.split())]


def test_longest_words_are_restored() -> None:
    assert first("dang ky tam tru") == ["đăng_ký", "tạm_trú"]


def test_bigram_context_splits_words_a_greedy_match_would_glue() -> None:
    assert first("bi mat") == ["bị", "mất"]  # `bí_mật` is a word, but `bị mất` is what people lose cards to


def test_stop_words_count_as_the_commonest_forms() -> None:
    assert first("toi bi mat") == ["tôi", "bị", "mất"]
    assert first("nhu the nao") == ["như_thế_nào"]


def test_syllables_typed_with_diacritics_are_kept() -> None:
    assert first("mặt") == ["mặt"]
    assert first("không dang ky") == ["không", "đăng_ký"]  # `không` (a lexicon rewrite) is unknown here


def test_unknown_and_non_alphabetic_words_pass_through() -> None:
    assert restorer().restore(["vneid", "19"]) == [("vneid",), ("19",)]
    assert ("covid", "19") not in restorer().forms


def test_a_nearly_as_common_rival_form_is_kept_as_an_alternative() -> None:
    assert restorer().restore(["o", "dau"])[-1] == ("đâu", "đầu")
    assert restorer().restore(["mat"]) == [("mất",)]  # `mặt` is far rarer


def test_restoration_is_deterministic_on_ties() -> None:
    tied = Restorer.from_frequencies({"ca": 5, "cá": 5, "cà": 5})
    assert tied.forms[("ca",)] == ("ca", "cà", "cá")
    assert tied.restore(["ca"]) == tied.restore(["ca"])


def test_empty_input() -> None:
    assert restorer().restore([]) == []
    assert Restorer.from_frequencies({}).restore(["abc"]) == [("abc",)]


def test_unaccented_queries_get_the_index_accented_words(built) -> None:
    index, _ = built
    analyzer = index.analyzer()
    assert analyzer.restores
    words = analyzer.analyze("dang ky tam tru", query=True)["word"]
    assert "đăng_ký" in words and "tạm_trú" in words
    beside_rewrite = analyzer.analyze("ko dang ky duoc", query=True)["word"]  # `ko` -> `không` (accented)
    assert "không" in beside_rewrite and "đăng_ký" in beside_rewrite


def test_documents_and_accented_queries_are_not_restored(built) -> None:
    index, _ = built
    analyzer = index.analyzer()
    assert analyzer.analyze("dang ky tam tru")["word"][:2] == ["dang", "ky"]  # a document: as written
    accented = analyzer.analyze("xe ô tô", query=True)["word"]
    assert "xe" in accented  # not turned into another form of `xe`


def test_restore_flag_switches_restoration_off(built) -> None:
    index, _ = built
    off = replace(index, analyzer_config=replace(index.analyzer_config, restore=False))
    assert not off.analyzer().restores
    assert AnalyzerConfig().restore
    result = Searcher(off).search("mat the can cuoc", explain=True)
    assert all(c.channel != "word" for c in result.hits[0].contributions)
    restored = Searcher(index).search("mat the can cuoc", explain=True)
    assert any(c.channel == "word" for c in restored.hits[0].contributions)
