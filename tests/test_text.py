import pytest

from faq.text import (
    asked_part,
    char_ngrams,
    chunks,
    fix_tone_placement,
    fold,
    has_diacritics,
    ngrams,
    normalize,
    segment,
    syllables,
    unofficial_addresses,
)


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà", "hòa"), ("thuỷ", "thủy"), ("khoẻ", "khỏe"), ("Hoà Bình", "Hòa Bình"), ("loạ", "lọa")],
)
def test_tone_placement_is_unified(old: str, new: str) -> None:
    assert fix_tone_placement(old) == new


@pytest.mark.parametrize("word", ["quý", "quỳnh", "hoàng", "thuyền", "hòa", "khuya", "toán"])
def test_tone_placement_leaves_correct_words(word: str) -> None:
    assert fix_tone_placement(word) == word


def test_normalize_composes_nfd_and_lowercases() -> None:
    nfd = "ĐĂNG KÝ TẠM TRÚ".lower()
    import unicodedata

    decomposed = unicodedata.normalize("NFD", "Đăng Ký Tạm Trú")
    assert normalize(decomposed) == nfd
    assert normalize("thuỷ") == normalize("thủy")


@pytest.mark.parametrize(
    ("typed", "unified"),
    [("Đăng kí", "đăng ký"), ("lí lịch", "lý lịch"), ("KĨ THUẬT", "kỹ thuật"), ("qui định", "quy định")],
)
def test_normalize_spells_a_lone_i_after_these_initials_as_y(typed: str, unified: str) -> None:
    assert normalize(typed) == unified


@pytest.mark.parametrize("text", ["thi thì khi chi", "tai tay", "ny vi", "kia kìa", "tin lịch"])
def test_i_and_y_that_are_not_two_spellings_stay_apart(text: str) -> None:
    assert normalize(text) == text


def test_normalize_drops_accents_vietnamese_does_not_use() -> None:
    """`î`, `ü`, `ķ` are not Vietnamese letters: kept, they folded later into an `i` or a `k` that
    normalizing again turned into `y` (`KÎ` -> `ki` -> `ky`), so the unaccented form was not fixed
    (found by test_folding_is_stable_under_normalize, failing about one run in ten)."""
    assert normalize("KÎ") == "ky" and normalize("Müller ķi") == "muller ky"
    assert normalize("São Tomé, Đăng Kí") == "são tomé, đăng ký"  # Vietnamese letters stay as typed
    for text in ("KÎ", "ķi", "Ï", "qüi"):
        folded = fold(normalize(text))
        assert fold(normalize(folded)) == folded and fold(normalize(fold(text))) == folded


def test_normalize_removes_control_characters_and_number_separators() -> None:
    assert normalize("a\x00b\u200bc") == "a b c"
    assert normalize("Lệ phí 20.000đ và 1,5 triệu") == "lệ phí 20000đ và 1,5 triệu"


def test_fold_maps_d_stroke_and_removes_all_marks() -> None:
    assert fold("đăng ký tạm trú Đà Nẵng") == "dang ky tam tru Da Nang"
    assert fold("ở ý ưng ơi") == "o y ung oi"


def test_has_diacritics() -> None:
    assert has_diacritics("tạm trú")
    assert has_diacritics("đ")
    assert not has_diacritics("dang ky tam tru 123")
    # chat messages carry emoji and typographic punctuation: they are no sign of an accented keyboard
    assert not has_diacritics("lam lai cccd 🙏 – gấp…".replace("gấp", "gap"))
    assert not has_diacritics("🙂🙂🙂") and has_diacritics("🙂 gấp")


def test_chunks_split_at_sentence_punctuation() -> None:
    assert chunks("giấy tờ gì? đăng ký ở đâu\nhỏi thêm") == ["giấy tờ gì", "đăng ký ở đâu", "hỏi thêm"]


def test_syllables_drop_punctuation_and_emoji_but_keep_one_letter_words() -> None:
    assert syllables("ở đâu, ý kiến 😀 — #cccd_moi!") == ["ở", "đâu", "ý", "kiến", "cccd", "moi"]


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "???", "\x00"])
def test_empty_inputs_give_no_tokens(text: str) -> None:
    assert [s for c in chunks(normalize(text)) for s in syllables(c)] == []
    assert segment([]) == []
    assert char_ngrams([], 3, 5) == []


def test_segment_joins_words_and_never_keeps_punctuation() -> None:
    words = segment(syllables(normalize("đăng ký tạm trú cần giấy tờ gì")))
    assert "đăng_ký" in words and "tạm_trú" in words and "giấy_tờ" in words
    assert all(ch.isalnum() or ch == "_" for w in words for ch in w)


def test_segment_leaves_unaccented_text_as_syllables() -> None:
    assert segment(["dang", "ky", "tam", "tru", "can"]) == ["dang", "ky", "tam", "tru", "can"]


def test_ngrams_and_char_ngrams() -> None:
    assert ngrams(["a", "b", "c"], 1, 2) == ["a", "b", "c", "a b", "b c"]
    assert char_ngrams(["ab"], 3, 3) == [" ab", "ab "]


def test_longest_match_prefers_longer_spans_and_passes_the_rest_through() -> None:
    from faq.text import longest_match

    table = {("a", "b"): ["AB"], ("a",): ["A"], ("b", "c", "d"): ["BCD"]}
    items = ["a", "b", "c", "d", "a", "x"]
    out = longest_match(items, lambda i, n: table.get(tuple(items[i : i + n])), longest=3)
    assert out == ["AB", "c", "d", "A", "x"]
    assert longest_match(items, lambda i, n: None, longest=3) == items
    assert longest_match([], lambda i, n: ["z"], longest=2) == []


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("làm căn cước ở đâu", "làm căn cước ở đâu"),  # one sentence: all of it
        ("Ông tôi mất rồi. Xóa hộ khẩu thế nào? Có mất phí không?", "Xóa hộ khẩu thế nào? Có mất phí không?"),
        ("Tôi đã làm giấy khai tử. Giờ cần xóa thường trú cho ông", "Giờ cần xóa thường trú cho ông"),
        ("Mất ví.\nLàm lại căn cước ở đâu", "Làm lại căn cước ở đâu"),
        ("Phí 135.000 đồng là đúng không?", "Phí 135.000 đồng là đúng không?"),  # a number is no sentence end
        ("Đã nộp 1.200.000 đồng. Bao lâu có kết quả?", "Bao lâu có kết quả?"),
    ],
)
def test_asked_part_is_the_question_not_the_story(text: str, asked: str) -> None:
    assert asked_part(text) == asked


def test_fold_table_agrees_with_decomposition_on_every_character() -> None:
    """`fold` is a translation table with a fallback; the definition is: decompose, drop combining
    marks, `đ` -> `d`. Checked on every BMP character, alone and after a base letter."""
    import unicodedata

    def reference(text: str) -> str:
        text = text.replace("đ", "d").replace("Đ", "D")
        return "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))

    for code in range(0x10000):
        if 0xD800 <= code < 0xE000:  # surrogates are not characters
            continue
        ch = chr(code)
        assert fold(ch) == reference(ch), hex(code)
        assert fold("e" + ch) == reference("e" + ch), hex(code)


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("Nop phat tai csgt-vn.phatnguoi-online.com truoc 17h", ["csgt-vn.phatnguoi-online.com"]),
        ("Cập nhật tại: bit.ly/capnhat-tb24 hoặc https://vneid-gov.app/x", ["bit.ly", "vneid-gov.app"]),
        ("dichvucong.gov.vn.xyz trông như trang nhà nước", ["dichvucong.gov.vn.xyz"]),  # ends .xyz
        ("nộp trên https://dichvucong.gov.vn hoặc tra cứu www.csgt.vn", []),  # the state's own
        ("gửi về abc@gmail.com", []),  # an e-mail address is not a link
        ("TP.HCM, Q.Bình Tân, phí 1.250.000đ, v.v.", []),
    ],
)
def test_unofficial_addresses_are_web_addresses_outside_the_states_domains(text: str, hosts: list[str]) -> None:
    assert unofficial_addresses(text) == hosts
