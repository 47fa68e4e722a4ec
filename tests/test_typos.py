import random
import unicodedata

import pytest

from faq.text import fold, has_diacritics
from faq.typos import MIN_LETTERS, SLIPS, slip, with_typos

TEXTS = [
    "Cho tôi hỏi thủ tục đăng ký thường trú cho vợ về nhà chồng cần chuẩn bị những giấy tờ gì ạ?",
    "lam lai can cuoc bi mat mat bao lau",
    "Xem điểm GPLX trên VNeID ở mục nào ạ",
]


def damerau_one(a: str, b: str) -> bool:
    """Whether b is a within one drop, insertion, substitution or adjacent swap."""
    if a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]])
    short, long_ = sorted((a, b), key=len)
    return len(long_) - len(short) == 1 and any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


@pytest.mark.parametrize("kind", SLIPS)
def test_each_slip_is_one_small_edit_that_keeps_the_first_letter(kind: str) -> None:
    rng = random.Random(7)
    for word in ("thường", "đăng", "giấy", "bao", "khẩu", "Zalo"):
        for _ in range(20):
            out = slip(word, kind, rng)
            assert out[0] == word[0] and out == unicodedata.normalize("NFC", out)
            if kind == "tone" and has_diacritics(word):
                assert fold(out) == fold(word) and out != word  # the same letters, another tone
            else:
                assert damerau_one(word, out), (word, kind, out)


def test_slips_are_reproducible_and_change_the_asked_number_of_words() -> None:
    for text in TEXTS:
        assert with_typos(text, 2) == with_typos(text, 2)
        words, slipped = text.split(), with_typos(text, 2).split()
        assert len(words) == len(slipped)
        changed = [(w, s) for w, s in zip(words, slipped, strict=True) if w != s]
        assert len(changed) == 2
        assert all(len(w.strip("?")) >= MIN_LETTERS for w, _ in changed)
    assert with_typos(TEXTS[0], 0) == TEXTS[0]
    assert with_typos("ở đó", 3) == "ở đó"  # no word long enough


def test_text_typed_without_diacritics_never_gains_a_tone() -> None:
    for seed in range(200):
        assert not has_diacritics(with_typos(TEXTS[1], 3, seed))
