"""Reproducible typing slips, to judge typo tolerance on many more queries than the eval sets' `typo` rows.

The `typo` type holds a few dozen hand-written questions per set, too few to tell whether a component
(character n-grams, above all) earns its place. `with_typos` gives every query the slips people make
on a phone keyboard: a letter dropped, doubled, swapped with its neighbour or hit on the key beside it,
or the wrong tone mark. Each query's slips come from a generator seeded by the query itself, so a run
is the same on every machine and does not depend on the order of the queries.
"""

from __future__ import annotations

import random
import re
import unicodedata

TONES = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323")  # huyền, sắc, ngã, hỏi, nặng (combining)
VOWEL_SHAPES = ("\u0302", "\u0306", "\u031b")  # hat (â ê ô), breve (ă), horn (ơ ư)
MIN_LETTERS = 3  # shorter words (`ở`, `cho`…) are left alone: a slip there is rarely what people type
SLIPS = ("drop", "double", "swap", "neighbour", "tone")
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = {
    ch: "".join(
        _ROWS[r][j]
        for r in (row - 1, row, row + 1)
        if 0 <= r < 3
        for j in (col - 1, col, col + 1)
        if 0 <= j < len(_ROWS[r]) and _ROWS[r][j] != ch
    )
    for row, keys in enumerate(_ROWS)
    for col, ch in enumerate(keys)
}
_WORD = re.compile(r"\w+")


def slip(word: str, kind: str, rng: random.Random) -> str:
    """One slip of the given kind in a word (NFC in, NFC out); the first letter is kept, as people rarely
    mistype it."""
    if kind == "tone":
        return _retone(word, rng)
    chars = list(word)
    i = rng.randrange(1, len(chars))
    if kind == "drop":
        del chars[i]
    elif kind == "double":
        chars.insert(i, chars[i])
    elif kind == "swap":
        i = min(i, len(chars) - 2)
        if chars[i] == chars[i + 1]:
            return slip(word, "drop", rng)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    elif kind == "neighbour":
        plain = [k for k in range(1, len(chars)) if chars[k].lower() in _NEIGHBOURS]
        if not plain:
            return slip(word, "double", rng)
        k = rng.choice(plain)
        chars[k] = rng.choice(_NEIGHBOURS[chars[k].lower()])
    else:
        raise ValueError(f"unknown slip {kind!r}")
    return "".join(chars)


def _retone(word: str, rng: random.Random) -> str:
    """The word with another tone mark, or none. Only a word typed with diacritics gets one: someone typing
    without them does not slip into a tone. Without a tone yet, the mark goes on the vowel with a hat,
    horn or breve (`đăng` -> `đắng`); with one, it changes in place."""
    decomposed = unicodedata.normalize("NFD", word)
    marks = [i for i, c in enumerate(decomposed) if c in TONES]
    if marks:
        at = marks[0]
        tone = rng.choice([t for t in ("", *TONES) if t != decomposed[at]])
        return unicodedata.normalize("NFC", decomposed[:at] + tone + decomposed[at + 1 :])
    shaped = [i for i, c in enumerate(decomposed) if c in VOWEL_SHAPES]
    if not shaped:
        return slip(word, "double", rng)
    at = shaped[0] + 1
    return unicodedata.normalize("NFC", decomposed[:at] + rng.choice(TONES) + decomposed[at:])


def with_typos(text: str, count: int, seed: int = 0) -> str:
    """`text` with `count` slips, each in a different word of at least MIN_LETTERS letters (fewer when the
    text has fewer such words). Deterministic in (text, count, seed)."""
    rng = random.Random(f"{seed}:{count}:{text}")
    words = [m for m in _WORD.finditer(text) if len(m.group()) >= MIN_LETTERS and m.group().isalpha()]
    chosen = sorted(rng.sample(words, min(count, len(words))), key=lambda m: m.start())
    out, last = [], 0
    for m in chosen:
        out += [text[last : m.start()], slip(m.group(), rng.choice(SLIPS), rng)]
        last = m.end()
    return "".join(out) + text[last:]
