from dataclasses import replace

from faq.index import load_index
from faq.search import Searcher
from faq.spelling import Speller, dictionary_syllables, edits, needs_speller, plain_syllables, vni

WORDS = {
    "thủ_tục": 5,
    "lừa_đảo": 3,
    "không": 10,
    "con": 4,
    "cong": 6,
    "tách": 2,
    "hộ_khẩu": 3,
    "đăng_ký": 5,
    "đặt": 9,
    "đất_đai": 1,
}
DICTIONARY = [
    "khủng",
    "lãi",
    "trai",
    "không",
    "thủ",
    "tục",
    "con",
    "cong",
    "dạo",
    "hộ",
    "khẩu",
    "tách",
    "lừa",
    "đảo",
    "đăng",
    "ký",
    "đặt",
    "đất",
    "đai",
    "được",
]


PAIRS = {"tach ho", "ho khau", "con trai", "cong trai", "dang ky"}  # folded syllable pairs of the index


def speller(dictionary=DICTIONARY) -> Speller:
    return Speller.from_frequencies(WORDS, ["của"], dictionary, PAIRS)


def repair(text: str, s: Speller | None = None) -> str:
    return " ".join(" ".join(c) for c in (s or speller()).repair([text.split()]))


def test_mistyped_syllables_become_the_index_syllable_one_edit_away() -> None:
    assert repair("thhủ tục") == "thủ tục"  # doubled letter
    assert repair("đăg ký") == "đăng ký"  # dropped letter
    assert repair("lừa đảk") == "lừa đảo"  # neighbouring key
    assert repair("khôgn") == "không"  # swapped letters
    assert repair("củaa") == "của"  # stop words count, as the commonest words
    assert repair("tcah hộ khẩu") == "tach hộ khẩu"  # typed without diacritics: stays without


def test_unaccented_words_are_repaired_only_beside_a_neighbour_the_index_knows() -> None:
    assert repair("tcah ho") == "tach ho"  # `tach ho` is a pair of the index
    assert repair("bi tcah") == "bi tcah"  # no pair `bi tach`: perhaps a foreign word, left alone
    assert repair("bị hack") == "bị hack"  # not `hach`


def test_the_repair_that_goes_with_more_neighbours_beats_a_commoner_one() -> None:
    """`cần mag theo`: `ma` is commoner and pairs with `cần`, `mang` pairs with both neighbours."""
    words = {"mã": 9, "mang": 2, "cần": 3, "theo": 3, "cần_mang": 1}
    pairs = {"can ma", "can mang", "mang theo"}
    s = Speller.from_frequencies(words, [], ["mã", "ma", "mang", "cần", "theo"], pairs)
    assert repair("can mag theo", s) == "can mang theo"
    assert repair("can mag", s) == "can ma"  # one neighbour each: the commoner
    assert repair("cần mangg theo", s) == "cần mang theo"  # an undone doubling still comes first


def test_real_words_the_index_lacks_are_not_corrected() -> None:
    assert repair("lãi khủng") == "lãi khủng"  # a word of the language, one edit from `không`
    assert repair("dạo") == "dạo"


def test_undoing_a_doubled_letter_beats_a_more_common_neighbour() -> None:
    assert repair("conn trai") == "con trai"  # not `cong`, though `cong` is more common in the index


def test_abbreviations_short_syllables_numbers_and_foreign_text_pass_through() -> None:
    assert repair("gplx cccd") == "gplx cccd"  # no vowel: an abbreviation
    assert repair("xe 12h ok") == "xe 12h ok"
    assert repair("facebook zalo") == "facebook zalo"  # letters Vietnamese does not use
    assert repair("hello how are you") == "hello how are you"  # mostly not Vietnamese: not read as typos


def test_telex_keys_left_on_an_accented_syllable_are_slips_not_a_foreign_word() -> None:
    assert repair("thủ tụcj") == "thủ tục"  # `j`, the Telex key of the dot below, typed once too often
    assert repair("khôngf") == "không"
    assert repair("tachj") == "tachj"  # typed without diacritics: perhaps foreign, left alone


def test_two_syllables_typed_without_the_space_are_split() -> None:
    assert repair("đăngký hộkhẩu") == "đăng ký hộ khẩu"
    assert repair("dangky") == "dang ky"  # unaccented: split only into a pair the index holds
    assert repair("hokhau") == "ho khau"
    assert repair("dangky hokhau") == "dang ky ho khau"  # not taken for foreign text
    assert repair("contrai") == "con trai"
    assert repair("tachcong") == "tachcong"  # no such pair: perhaps a foreign word, left alone


def test_wrong_diacritics_become_the_form_that_makes_a_word_with_a_neighbour() -> None:
    assert repair("đât đai") == "đất đai"  # `đặt` is commoner, but `đất đai` is a word of the index
    assert repair("đât") == "đặt"  # alone, the commonest


def test_vni_keys_left_as_digits_are_read_as_the_marks_they_stand_for() -> None:
    assert "không" in vni("kho6ng") and "được" in vni("đươc5") and vni("d9i") == ["đi"]
    assert repair("kho6ng đươc5 thu3 tu5c") == "không được thủ tục"
    assert repair("thủ tục a1 b2 ct07 tk01 sh125 10t") == "thủ tục a1 b2 ct07 tk01 sh125 10t"  # not VNI keys
    assert repair("iphone15") == "iphone15"  # no reading is a syllable
    # `¹` is a digit to str.isdigit and a letter to the pattern: not a key (it crashed `ask "A¹1"`)
    assert repair("a¹1 kho¹ng") == "a¹1 kho¹ng" and vni("a¹1") == ["á¹"]


def test_without_a_dictionary_nothing_is_repaired() -> None:
    empty = speller(dictionary=[])
    assert not empty.active and repair("thhủ tục", empty) == "thhủ tục"


def test_edits_are_one_step_away() -> None:
    found = edits("ab", "ab")
    assert {"b", "a", "ba", "aab", "abb", "bb", "aa"} <= found and "ab" not in found
    assert all(abs(len(e) - 2) <= 1 for e in found)


def test_the_dictionary_comes_from_underthesea_and_travels_with_the_index(built) -> None:
    index, paths = built
    assert len(dictionary_syllables()) > 5000 and "khủng" in dictionary_syllables()
    assert load_index(paths.index).dictionary == index.dictionary and len(index.dictionary) > 5000


def test_repair_brings_a_mistyped_question_to_its_answer_and_can_be_switched_off(built) -> None:
    index, _ = built
    clean = Searcher(index).search("đăng ký tạm trú")
    slipped = "đăngg ký tạm trúu"  # two of four syllables mistyped
    assert Searcher(index).search(slipped).hits[0].id == clean.hits[0].id
    analyzer = index.analyzer()
    assert analyzer.analyze(slipped, query=True)["word"][:2] == ["đăng_ký", "tạm_trú"]
    off = replace(index, analyzer_config=replace(index.analyzer_config, repair=False))
    assert "đăng_ký" not in off.analyzer().analyze(slipped, query=True)["word"]


def test_right_letters_with_wrong_diacritics_keep_their_letters() -> None:
    s = Speller.from_frequencies({"mất": 2, "một": 9, "mặt": 1}, [], ["mất", "một", "mặt"])
    assert repair("mât", s) == "mất"  # not `một`, more common but one letter away


QUESTIONS = [
    "thủ tục đăng ký hộ khẩu",  # every syllable in the dictionary: the speller is not needed
    "thu tuc dang ky ho khau",  # unaccented, likewise
    "của cccd a1 10t",  # a stop word, an abbreviation, a licence class, a unit
    "thhủ tục",  # a slip outside the dictionary
    "kho6ng đươc5",  # VNI digits
    "tcah hộ khẩu",  # unaccented slip
    "đất đai",  # an index word, both syllables in the dictionary: no slip
]


def test_a_question_the_speller_could_not_change_skips_it_and_no_other() -> None:
    """`needs_speller` says no only where repair gives the chunks back unchanged: the shortcut a cold
    question takes when none of its syllables is mistyped is exact."""
    plain = plain_syllables(DICTIONARY, ["của"])
    for text in QUESTIONS:
        chunks = [text.split()]
        if not needs_speller(chunks, plain):
            assert speller().repair(chunks) == chunks, text
    needed = [t for t in QUESTIONS if needs_speller([t.split()], plain)]
    assert needed == ["thhủ tục", "kho6ng đươc5", "tcah hộ khẩu"]


def test_the_index_analyzer_builds_its_speller_only_for_a_slip(built) -> None:
    index, _ = built
    analyzer = index.analyzer()
    assert analyzer.analyze("đăng ký tạm trú", query=True)["word"][:2] == ["đăng_ký", "tạm_trú"]
    assert analyzer._speller is None  # nothing to repair: not built
    assert analyzer.analyze("đăngg ký tạm trúu", query=True)["word"][:2] == ["đăng_ký", "tạm_trú"]
    assert analyzer._speller is not None
