"""Pure text functions for Vietnamese: normalise, fold diacritics, split, segment, n-grams.

Each step is a small function tested on its own; `faq.analyzer` chains them. None of them raises on
any string (property-tested), and none depends on the library versions for Unicode behaviour.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (combining)
_MARKS = "\u0300-\u036f"
# Old-style tone placement on open syllables `oa`, `oe`, `uy` (hoà, khoẻ, thuỷ) -> on the first vowel
# (hòa, khỏe, thủy), the form underthesea and most current text use. `qu` + y keeps its tone (quý).
_OPEN_SYLLABLE = re.compile(rf"(?<!q)(o|u)([aey])([{_TONES}])(?![\w{_MARKS}])", re.IGNORECASE)
# `kí`/`ký`, `lí`/`lý`, `kĩ`/`kỹ`, `qui`/`quy`: after these initials a lone i and y are two spellings of
# one sound, both in use (`đăng kí`, `lí lịch`); `y` is the one official text uses. Not after `n` (`ny`
# is teencode), `v` or `th` (names), nor where the vowel is part of a longer rhyme (`tai` is not `tay`).
_I_SPELLING = re.compile(r"(?<![\w])(h|k|l|m|s|t|qu)([iíìỉĩị])(?![\w])")
_I_TO_Y = str.maketrans("iíìỉĩị", "yýỳỷỹỵ")
_NUMBER_SEP = re.compile(r"(?<=\d)[.,](?=\d{3}(?!\d))")
_NON_WORD = re.compile(r"[^\w\s]+|_", re.UNICODE)
_CHUNK_BREAK = re.compile(r"[\n\r.!?;:()\[\]{}\"“”…|/\\<>]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_DIACRITIC_LETTER = re.compile(r"(?![\x00-\x7f])[^\W\d_]")  # a non-ASCII letter (not an emoji or a dash)


def nfc(text: str) -> str:
    """Compose Unicode so `ạ` typed as `a`+U+0323 (NFD, common on macOS/iOS) equals the precomposed one."""
    return unicodedata.normalize("NFC", text)


def fix_tone_placement(text: str) -> str:
    """Move the tone of open `oa`/`oe`/`uy` syllables to the first vowel: `hoà`->`hòa`, `thuỷ`->`thủy`."""
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _OPEN_SYLLABLE.sub(r"\1\3\2", decomposed))


def unify_i_y(text: str) -> str:
    """`đăng kí` -> `đăng ký`, `lí lịch` -> `lý lịch`: the i spelling of a syllable that has a y one (lower-case
    NFC text). Citizens type both; without this `dang ki` shares no syllable with `đăng ký`."""
    return _I_SPELLING.sub(lambda m: m[1] + m[2].translate(_I_TO_Y), text)


def normalize(text: str) -> str:
    """NFC, control characters removed, lower-case, other languages' accents dropped, tone placement
    and i/y spelling unified, number separators dropped."""
    text = _CONTROL.sub(" ", nfc(text))
    text = unify_i_y(fix_tone_placement(text.lower().translate(_FOREIGN_MARKS)))
    return _NUMBER_SEP.sub("", text)


def _fold_table() -> dict[int, str | None]:
    """Each precomposed Latin letter with diacritics (U+00C0–U+1EFF, all of Vietnamese) -> its base
    letter, `đ` -> `d`, and combining marks -> nothing: what `fold` does, as one `str.translate`."""
    table: dict[int, str | None] = {ord("đ"): "d", ord("Đ"): "D"}
    table.update((c, None) for c in range(0x0300, 0x0370) if unicodedata.combining(chr(c)))
    for c in range(0x00C0, 0x1F00):
        parts = unicodedata.normalize("NFD", chr(c))
        if len(parts) > 1 and parts[0].isascii() and all(unicodedata.combining(p) for p in parts[1:]):
            table[c] = parts[0]
    return table


_FOLD = _fold_table()


def _foreign_marks_table() -> dict[int, str]:
    """Each lower-case Latin letter with accents Vietnamese does not use (`î`, `ü`, `ñ`, `ķ`) -> its base
    letter. Dropped in `normalize`, they cannot differ from the same word typed plainly: folded later,
    `kî` would become `ki`, which normalizes to `ky`, so the unaccented channel would have no fixed form."""
    vietnamese = {"đ"} | {
        unicodedata.normalize("NFC", base + tone)
        for base in ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
        for tone in ("", *_TONES)
    }
    return {
        c: base
        for c, base in _FOLD.items()
        if base and chr(c).islower() and chr(c) not in vietnamese  # base: one letter, or None for a mark
    }


_FOREIGN_MARKS = _foreign_marks_table()


def fold(text: str) -> str:
    """Remove every diacritic and map `đ` to `d`: the form of text typed without accents.

    A table lookup (a query folds thousands of syllables: the decomposition was a third of its
    analysis time); text with other non-ASCII letters left takes the general way, decomposed."""
    out = text.translate(_FOLD)
    if out.isascii():
        return out
    decomposed = unicodedata.normalize("NFD", out)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_syllables(sylls: Sequence[str]) -> tuple[str, ...]:
    """Each syllable folded (`fold`): how a lexicon phrase and a message's run of syllables are compared."""
    return tuple(fold(s) for s in sylls)


def has_diacritics(text: str) -> bool:
    """True when the text contains any non-ASCII letter (then the segmenter can be trusted)."""
    return bool(_DIACRITIC_LETTER.search(text))


def typed_accented(text: str) -> bool:
    """Whether a message was typed with Vietnamese diacritics. Accents Vietnamese does not use
    (`Müller`, `Nuñez`) do not count: `normalize` drops them, so `khai bao tam tru cho anh Müller` is
    as unaccented as the rest of it and still gets its diacritics restored. (`José` counts: `é` is a
    Vietnamese letter.)"""
    return has_diacritics(normalize(text))


def chunks(text: str) -> list[str]:
    """Split normalised text at sentence punctuation and line breaks so no word spans two sentences."""
    return [c.strip() for c in _CHUNK_BREAK.split(text) if c.strip()]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\s*\n\s*")  # not inside `135.000` or `v1.2`


def asked_part(text: str) -> str:
    """The sentences of a message that ask: those ending in `?`, else the last one; a one-sentence
    message whole. A story names papers it mentions in passing (`đã làm giấy khai tử`, `hợp đồng công
    chứng`); what another agency must handle is what the citizen asks for."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    if len(sentences) < 2:
        return text
    questions = [s for s in sentences if s.endswith("?")]
    return " ".join(questions) if questions else sentences[-1]


# A web address as citizens paste one: with a scheme or `www.`, or a bare host ending in a common top-level
# domain (`vneid-capnhat.vip`, `bit.ly/x`). Not after `@` (an e-mail address) nor inside a word.
_WEB_ADDRESS = re.compile(
    r"(?<![\w@.-])(?:https?://|www\.)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+"
    r"(?:com|net|org|info|biz|vn|vip|site|xyz|top|online|click|shop|store|cc|live|app|me|link|io|co|asia"
    r"|club|pro|fun|website|space|ly|tk|ml|ga|cf|gq))(?![\w-])",
    re.IGNORECASE,
)
OFFICIAL_DOMAINS = ("gov.vn", "csgt.vn")  # the state's own sites (csgt.vn: the traffic police's portal)


def unofficial_addresses(text: str) -> list[str]:
    """The hosts of the web addresses a message holds outside the state's domains (`OFFICIAL_DOMAINS`):
    a link to follow in a pasted message is the commonest sign of a fraud, and an official one is not."""
    hosts = (m.group(1).lower() for m in _WEB_ADDRESS.finditer(text))
    return [h for h in hosts if not is_official_host(h)]


def is_official_host(host: str) -> bool:
    """Whether a host name (lower-case) is one of the state's own sites (`OFFICIAL_DOMAINS`) or under one."""
    return any(host == d or host.endswith("." + d) for d in OFFICIAL_DOMAINS)


def syllables(chunk: str) -> list[str]:
    """Syllables of a chunk: punctuation, emoji and `_` removed, one-letter syllables (`ở`, `ý`) kept."""
    return _NON_WORD.sub(" ", chunk).split()


def segment(sylls: Sequence[str], fixed_words: Sequence[str] = ()) -> list[str]:
    """Word-segment accented syllables with underthesea; multi-syllable words joined by `_`.

    Text without diacritics is returned as syllables: the segmenter glues unrelated syllables
    there (`tam_tru_can`), so the folded channel handles that input instead.
    """
    if not sylls:
        return []
    sentence = " ".join(sylls)
    if not has_diacritics(sentence):
        return list(sylls)
    from underthesea import word_tokenize  # imported lazily: ~0.5 s, needed only to analyse text

    words = word_tokenize(sentence, fixed_words=list(fixed_words) or None)
    out = []
    for word in words:
        parts = syllables(word)  # the segmenter may glue punctuation; never let it into tokens
        if parts:
            out.append("_".join(parts))
    return out


def longest_match(
    items: Sequence[str], find: Callable[[int, int], Sequence[str] | None], longest: int, shortest: int = 1
) -> list[str]:
    """Greedy left-to-right longest match: at each position try spans of `longest` down to `shortest`
    items; `find(i, n)` gives what replaces items[i:i+n] (or None); unmatched items pass through."""
    out: list[str] = []
    i = 0
    while i < len(items):
        for n in range(min(longest, len(items) - i), shortest - 1, -1):
            found = find(i, n)
            if found is not None:
                out.extend(found)
                i += n
                break
        else:
            out.append(items[i])
            i += 1
    return out


def ngrams(tokens: Sequence[str], low: int, high: int) -> list[str]:
    """Token n-grams joined by a space, for n in [low, high]."""
    out: list[str] = []
    for n in range(low, high + 1):
        out.extend(" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1))
    return out


def char_ngrams(tokens: Iterable[str], low: int, high: int) -> list[str]:
    """Character n-grams of the space-joined text, padded with spaces: robust to typos and glued words."""
    text = " " + " ".join(tokens) + " "
    if text.strip() == "":
        return []
    out: list[str] = []
    for n in range(low, high + 1):
        out.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return out
