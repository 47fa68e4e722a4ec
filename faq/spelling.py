"""Typo repair for query syllables that no Vietnamese word has: `thhủ tục` -> `thủ tục`, `tcah ho` -> `tach ho`.

A mistyped syllable (`lừaa`, `đăg`, `khôgn`) matches nothing in the word and folded channels, so a
question with two slips loses two of its handful of words. A syllable is repaired only when it is
neither one the index holds nor one the language has (the syllables of underthesea's 74,000-word
dictionary, stored in the index at build time): a real word the index lacks (`khủng` in `lãi khủng`) is
left alone rather than "corrected" to a frequent neighbour (`không`). The repair, in order:
- right letters, wrong diacritics (`mât`, `khảu`): the index's commonest syllable with those letters;
- otherwise the index syllable one edit away (a letter dropped, added, changed or two swapped), undoing
  a doubled letter first (`conn` -> `con`, not `cong`: doubling is the commonest slip), then the
  commonest in the index.
A syllable typed with diacritics is repaired to an accented one when the index has one, otherwise to
the folded form. One typed without stays without, and may as well be a foreign word (`hack`), so it is
repaired only to a syllable the index holds beside one of its neighbours (`tcah ho` -> `tach ho`).

Chosen on the dev and general sets (`faq eval --typos N --ablations`, N slips in every query):
dev 0.918 -> 0.949 with two slips, unchanged as written; general 0.607 -> 0.627 with two slips,
0.647 -> 0.648 as written. On the test set it costs a query as written (a correctly repaired `cà vẹtt`
brings in the `cà vẹt` synonyms, which pull to another page) and gains one with two slips.
Input-method leftovers and glued words are read too: VNI keys left as digits (`kho6ng` -> `không`), two
syllables typed without the space (`đăngký` -> `đăng ký`; found by the eighth held-out set, +1 there).
Repairing accented syllables that hold `f`, `j`, `w` or `z` (Telex keys left behind, `lạij`) took dev
with two slips from 0.934 to 0.939 and the general set with two slips from 0.634 to 0.635; nothing moved
as written. The VNI reading moved no first answer on any set. Among repairs one edit away, the one that
goes with more of its neighbours comes before the commoner (`cần mag theo` -> `mang`, not `ma`; found
by the seventeenth held-out set): dev with two slips +1, the general set with two slips MRR@10 0.7323
-> 0.7328, nothing lost on any set.
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faq.text import fold, has_diacritics

MIN_LETTERS = 3  # shorter syllables (`e`, `ad`, `đc`) are too ambiguous to repair
VOWELS = frozenset("aeiouy")
FOREIGN_LETTERS = frozenset("fjwz")
DICTIONARY = ("corpus", "data", "Viet74K.txt")  # inside the underthesea package


@functools.cache
def dictionary_syllables() -> tuple[str, ...]:
    """Every syllable of underthesea's word list, lower-case NFC (build time; () if it is not installed).

    Read as a file, without importing underthesea (whose import loads its models); once a process, so
    that `faq index watch` does not read it again at every rebuild."""
    spec = importlib.util.find_spec("underthesea")
    if spec is None or not spec.submodule_search_locations:
        return ()
    path = Path(next(iter(spec.submodule_search_locations)), *DICTIONARY)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return ()
    return tuple(sorted({s for s in unicodedata.normalize("NFC", text).lower().split() if s.isalpha()}))


@functools.lru_cache(maxsize=4)
def _folded_all(syllables: frozenset[str]) -> frozenset[str]:
    """The folded forms of a set of syllables; remembered, as the dictionary is the same at every build."""
    return frozenset(fold(s) for s in syllables)


@dataclass(frozen=True)
class Speller:
    """What a syllable may be repaired to (the index's syllables, by frequency), and what needs no repair."""

    frequency: Mapping[str, float]  # accented syllable of the index -> how common
    folded_frequency: Mapping[str, float]  # the same, by folded form
    valid: frozenset[str]  # syllables that exist (index and dictionary), accented
    valid_folded: frozenset[str]
    letters: str  # every letter of the index's syllables, accented ones included
    forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # folded -> the index's accented forms
    pairs: Collection[str] = frozenset()  # folded syllable pairs the index holds (`thu tuc`)
    word_pairs: frozenset[str] = frozenset()  # consecutive syllables of the index's words (`đất đai`)

    @classmethod
    def from_frequencies(
        cls,
        word_frequencies: Mapping[str, float],
        stopwords: Iterable[str],
        dictionary: Iterable[str],
        pairs: Collection[str] = frozenset(),
    ) -> Speller:
        """Index words (`thủ_tục`, with how often they occur; word bigrams are ignored), the stop words
        (dropped at analysis, so absent from the index, yet the commonest words of a question) and the
        dictionary's syllables. With no dictionary nothing is repaired: without it a real word the index
        lacks could not be told from a typo."""
        dictionary = frozenset(dictionary)
        if not dictionary:
            return cls({}, {}, frozenset(), frozenset(), "")
        frequency: dict[str, float] = defaultdict(float)
        word_pairs: set[str] = set()
        for word, count in word_frequencies.items():
            if " " not in word:
                sylls = word.split("_")
                for syllable in sylls:
                    if syllable.isalpha():
                        frequency[syllable] += count
                word_pairs.update(f"{a} {b}" for a, b in itertools.pairwise(sylls))
        top = max(frequency.values(), default=0.0) + 1.0
        for word in stopwords:
            for syllable in word.split():
                frequency[syllable] = max(frequency[syllable], top)
        folded: dict[str, float] = defaultdict(float)
        forms: dict[str, list[str]] = defaultdict(list)
        for syllable, count in frequency.items():
            folded[fold(syllable)] += count
            forms[fold(syllable)].append(syllable)
        valid = dictionary | frozenset(frequency)
        letters = "".join(sorted(set("".join(frequency))))
        return cls(
            dict(frequency),
            dict(folded),
            valid,
            _folded_all(dictionary) | frozenset(folded),
            letters,
            {k: tuple(v) for k, v in forms.items()},
            pairs,
            frozenset(word_pairs),
        )

    @property
    def active(self) -> bool:
        return bool(self.valid)

    def repair(self, chunk_list: Sequence[Sequence[str]]) -> list[list[str]]:
        """A query's syllable chunks with each non-existent syllable replaced by its repair (when found).

        Text that is mostly not Vietnamese (`hello how are you`) is left as it is: read as typos, its
        words would become Vietnamese ones (`how` -> `hộ`) and an off-topic question would find answers. A
        syllable typed with diacritics is Vietnamese however mistyped (`đăngký tạmtrú`), and so is one made of
        two the index holds side by side (`tamtru`): neither counts towards that."""
        if not self.active:
            return [list(c) for c in chunk_list]
        words = [s for c in chunk_list for s in c if s.isalpha()]
        unknown = sum(
            not has_diacritics(s) and self._repairable(s) and not self._exists(s) and not self._unglued(s, self._paired)
            for s in words
        )
        if unknown >= 2 and unknown * 2 > len(words):
            return [list(c) for c in chunk_list]
        return [
            [
                part
                for i, s in enumerate(c)
                for part in self.repair_one(s, c[i - 1] if i else "", c[i + 1] if i + 1 < len(c) else "").split()
            ]
            for c in chunk_list
        ]

    @staticmethod
    def _repairable(syllable: str) -> bool:
        """Long enough, all letters, with a vowel (`gplx`, `cccd` are abbreviations) and, when typed
        without diacritics, only letters Vietnamese uses (`f`, `j`, `w`, `z` mark a foreign word). Typed
        with them, those letters are Telex keys left behind (`lạij`, `khôngf`, `đượcw`): no foreign word
        carries a Vietnamese tone mark."""
        return (
            len(syllable) >= MIN_LETTERS
            and syllable.isalpha()
            and any(c in VOWELS for c in fold(syllable))
            and (has_diacritics(syllable) or not any(c in FOREIGN_LETTERS for c in syllable))
        )

    def _exists(self, syllable: str) -> bool:
        return _known(syllable, self.valid, self.valid_folded)

    def repair_one(self, syllable: str, before: str = "", after: str = "") -> str:
        """The repair of one syllable between its neighbours as typed (`before`, `after`; "" for none); two
        syllables, space-separated, when it was two typed without the space between (`đăngký`)."""
        if _VNI_TYPED.fullmatch(syllable):  # `kho6ng`, `đươc5`: typed with VNI, the keys left as digits
            found = [s for s in vni(syllable) if s in self.valid]
            return max(found, key=lambda s: (self.frequency.get(s, 0.0), s)) if found else syllable
        if not self._repairable(syllable) or self._exists(syllable):
            return syllable
        if has_diacritics(syllable):

            def words(c: str) -> int:  # how many of its neighbours it makes an index word with
                return (f"{before} {c}" in self.word_pairs) + (f"{c} {after}" in self.word_pairs)

            letters = fold(syllable)
            if letters in self.valid_folded:  # the letters are right, the diacritics wrong (`mât`, `khảu`)
                same = self.forms.get(letters)  # the index's own syllables with these letters
                if same:  # the one making a word with a neighbour (`đât đai` -> `đất đai`), else the commonest
                    return max(same, key=lambda s: (words(s) > 0, self.frequency[s], s))
            found = self._best(syllable, self.frequency, self.letters, rank=words)
            if found:
                return found
            if letters in self.valid_folded:
                return syllable
            # no accented repair: two syllables glued (`nhậpkhẩu`), else the letters alone (typed with
            # diacritics, so surely Vietnamese)
            return self._unglued(syllable) or self._best(letters, self.folded_frequency, self._plain) or letters
        # Typed without diacritics, it may as well be a foreign word (`hack`): repaired only to a syllable
        # the index has next to one of its neighbours (`tcah ho` -> `tach ho`, never `hack` -> `hach`),
        # or split into a pair the index holds (`tamtru` -> `tam tru`).
        before, after = fold(before), fold(after)

        def sides(c: str) -> int:
            return bool(before and f"{before} {c}" in self.pairs) + bool(after and f"{c} {after}" in self.pairs)

        found = self._best(syllable, self.folded_frequency, self._plain, lambda c: sides(c) > 0, rank=sides)
        return found or self._unglued(syllable, self._paired) or syllable

    def _paired(self, first: str, second: str) -> bool:
        return f"{first} {second}" in self.pairs

    def _unglued(self, text: str, fits: Callable[[str, str], bool] = lambda a, b: True) -> str | None:
        """`text` as two syllables that exist, each of at least two letters (`đăngký` -> `đăng ký`), the
        split whose pair the index holds first, then the one whose rarer half is commonest; None if none."""
        splits = [
            (text[:i], text[i:])
            for i in range(2, len(text) - 1)
            if self._exists(text[:i]) and self._exists(text[i:]) and fits(text[:i], text[i:])
        ]
        if not splits:
            return None

        def likely(pair: tuple[str, str]) -> tuple[bool, float]:
            a, b = (fold(s) for s in pair)
            return f"{a} {b}" in self.pairs, min(self.folded_frequency.get(a, 0.0), self.folded_frequency.get(b, 0.0))

        return " ".join(max(splits, key=likely))

    @functools.cached_property
    def _plain(self) -> str:
        """The index's letters without diacritics (once per speller: every unaccented repair uses them)."""
        return "".join(c for c in self.letters if not has_diacritics(c))

    def _best(
        self,
        syllable: str,
        table: Mapping[str, float],
        letters: str,
        fits: Callable[[str], bool] = lambda c: True,
        rank: Callable[[str], int] = lambda c: 0,
    ) -> str | None:
        """The most likely intended syllable one edit away: an undone doubling first, then the one that
        goes with more of its neighbours (`rank`: `cần mag theo` -> `mang`, which pairs with both, not the
        commoner `ma`, which pairs with one), then the commonest. The first letter is kept (people rarely
        mistype it, and it halves the candidates)."""
        candidates = [c for c in edits(syllable, letters) if c in table and c[0] == syllable[0] and fits(c)]
        if not candidates:
            return None
        doubled = {syllable[:i] + syllable[i + 1 :] for i in range(len(syllable) - 1) if syllable[i] == syllable[i + 1]}
        return max(candidates, key=lambda c: (c in doubled, rank(c), table[c], c))


def plain_syllables(dictionary: Iterable[str], stopwords: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Syllables any speller made from this (non-empty) dictionary and these stop words holds to exist,
    accented and folded (`Speller.from_frequencies`: a part of its `valid`), known without the index's
    words. With an empty dictionary a speller repairs nothing, so no question needs one anyway."""
    dictionary, stop = frozenset(dictionary), frozenset(s for w in stopwords for s in w.split())
    return dictionary | stop, _folded_all(dictionary) | frozenset(fold(s) for s in stop)


def needs_speller(chunk_list: Sequence[Sequence[str]], plain: tuple[frozenset[str], frozenset[str]]) -> bool:
    """Whether `Speller.repair` could change a syllable of these chunks: one typed with VNI digits, or a
    repairable one outside `plain` (`plain_syllables`). When none could, repair gives the chunks back as
    they are, and a question need not build the speller, which reads every word of the index (about
    0.1 s of a cold `ask` at 100,000 FAQ entries)."""
    return any(
        _VNI_TYPED.fullmatch(s) or (Speller._repairable(s) and not _known(s, *plain)) for c in chunk_list for s in c
    )


def _known(syllable: str, accented: frozenset[str], folded: frozenset[str]) -> bool:
    """Whether a syllable is one of these: as typed when it carries diacritics, by its letters when not."""
    return syllable in (accented if has_diacritics(syllable) else folded)


# A syllable typed with the VNI input method whose keys were left as digits (`kho6ng`, `phat5`, `d9i`): two
# letters or more, one or two of the digits 1-9 after the first letter. Licence classes (`a1`, `b2`) and
# form codes (`ct07`, `tk01`) have one letter, no vowel or a 0.
_VNI_TYPED = re.compile(r"(?=(?:\d*[^\W\d_]){2})[^\W\d_]+(?:[1-9][^\W\d_]*){1,2}")
_VNI_SHAPES = {"6": {"a": "â", "e": "ê", "o": "ô"}, "7": {"o": "ơ", "u": "ư"}, "8": {"a": "ă"}, "9": {"d": "đ"}}
_VNI_TONES = {"1": "\u0301", "2": "\u0300", "3": "\u0309", "4": "\u0303", "5": "\u0323"}
_VNI_KEYS = frozenset(_VNI_SHAPES) | frozenset(_VNI_TONES)


def vni(typed: str) -> list[str]:
    """What a syllable typed with VNI keys left as digits may have been: `kho6ng` -> `không`, `đươc5` ->
    `được`. A shape key (6 hat, 7 horn, 8 breve, 9 `đ`) marks its letter, a tone key (1-5) is tried on every
    vowel (the caller keeps the one that is a syllable). [] when a key has nothing to mark."""
    # the keys are the ASCII digits 1-9 alone: `¹` is a digit to str.isdigit, and a letter to the pattern
    word = "".join(c for c in typed if c not in _VNI_KEYS)
    tone = ""
    for key in (c for c in typed if c in _VNI_KEYS):
        if key in _VNI_TONES:
            tone = _VNI_TONES[key]
            continue
        shapes = _VNI_SHAPES[key]
        if key == "7" and "uo" in word:
            word = word.replace("uo", "ươ", 1)
            continue
        at = [i for i, c in enumerate(word) if c in shapes]
        if not at:
            return []
        i = at[0] if key == "9" else at[-1]
        word = word[:i] + shapes[word[i]] + word[i + 1 :]
    if not tone:
        return [word]
    return [
        unicodedata.normalize("NFC", word[: i + 1] + tone + word[i + 1 :])
        for i, c in enumerate(word)
        if fold(c) in VOWELS
    ]


def edits(word: str, letters: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion (from `letters`) away."""
    out: set[str] = set()
    for i in range(len(word) + 1):
        head, tail = word[:i], word[i:]
        if tail:
            out.add(head + tail[1:])
            out.update(head + c + tail[1:] for c in letters)
        if len(tail) > 1:
            out.add(head + tail[1] + tail[0] + tail[2:])
        out.update(head + c + tail for c in letters)
    out.discard(word)
    return out
