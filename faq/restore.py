"""Diacritic restoration for queries typed without accents, from the index's own vocabulary.

A query such as `lam lai can cuoc bi mat` cannot meet the accented words documents are indexed under
(`căn_cước`, `mất`), so without help it has evidence only in the folded and character channels. The
restorer reads the folded syllables as the most likely sequence of the index's accented words under a
bigram model of the index's word channel (interpolated with unigram frequencies): `bi mat` after `can
cuoc` is `bị mất`, not `bí_mật`. When a rival form of a chosen word is nearly as common (`đâu`/`đầu`),
it is kept as an alternative, so a wrong guess costs a little noise rather than the word's evidence.

Pure and deterministic: built once per index from (word or word bigram, frequency) pairs, no segmenter
at query time; the search is a Viterbi pass over at most a few candidate words per position.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from faq.text import fold_syllables, has_diacritics

ALTERNATIVE_SHARE = 0.5  # keep a rival form when it is at least this share as frequent as the chosen one
MAX_FORMS = 4  # candidate forms per folded word, most frequent first
BIGRAM_WEIGHT = 0.5  # interpolation: P(w | prev) = λ bigram(prev, w) / f(prev) + (1 - λ) f(w) / N


@dataclass(frozen=True)
class Restorer:
    """Folded word (syllables) -> its accented forms, with the frequencies that choose between them."""

    forms: Mapping[tuple[str, ...], tuple[str, ...]]  # most frequent first
    unigrams: Mapping[str, float]
    bigrams: Mapping[tuple[str, str], float]
    stopwords: frozenset[str]
    longest: int

    @classmethod
    def from_frequencies(cls, frequencies: Mapping[str, float], stopwords: Iterable[str] = ()) -> Restorer:
        """Word-channel terms (`đăng_ký`, `bị mất`) with how often they occur, and the stop words.

        Stop words are not in the index (they are dropped at analysis) yet are the commonest words of a
        question, so they count as the most frequent: `toi` is `tôi` (then dropped), not `tới`. Only
        alphabetic words are candidates (`covid_19` is typed as is); ties go to the alphabetically first.
        """
        unigrams = {t: f for t, f in frequencies.items() if " " not in t}
        bigrams = {}
        for t, f in frequencies.items():
            pair = t.split(" ")
            if len(pair) == 2:
                bigrams[(pair[0], pair[1])] = f
        stop = frozenset("_".join(w.split()) for w in stopwords)
        top = max(unigrams.values(), default=0.0) + 1.0
        unigrams |= {w: top for w in stop}
        grouped: dict[tuple[str, ...], list[tuple[float, str]]] = defaultdict(list)
        for word, freq in unigrams.items():
            parts = word.split("_")
            if all(p.isalpha() for p in parts):
                grouped[fold_syllables(parts)].append((freq, word))
        forms = {}
        for key, candidates in grouped.items():
            candidates.sort(key=lambda fw: (-fw[0], fw[1]))
            forms[key] = tuple(w for _, w in candidates[:MAX_FORMS])
        return cls(forms, unigrams, bigrams, stop, max((len(k) for k in forms), default=0))

    def restore(self, sylls: Sequence[str]) -> list[tuple[str, ...]]:
        """Words of a syllable run, each as its forms: the most likely first, then near rivals. A form must
        agree with every syllable already typed with diacritics (`không` from the `ko` rewrite stays);
        syllables the index does not know pass through unchanged."""
        words = self._best_path(sylls)
        return [self._with_rivals(w, sylls[i : i + n]) for i, n, w in words]

    def _candidates(self, sylls: Sequence[str], i: int, n: int) -> tuple[str, ...]:
        key = fold_syllables(sylls[i : i + n])
        found = self.forms.get(key, ())
        typed = [s if has_diacritics(s) else None for s in sylls[i : i + n]]
        if any(typed):
            found = tuple(w for w in found if _agrees(w.split("_"), typed))
        if not found and n == 1:
            return (sylls[i],)  # unknown syllable: as typed
        return found

    def _best_path(self, sylls: Sequence[str]) -> list[tuple[int, int, str]]:
        """Viterbi over (end position, last content word): (start, length, word) of the likeliest reading."""
        total = sum(self.unigrams.values()) or 1.0
        # best[j]: last content word (None at start) -> (log probability, path)
        best: list[dict[str | None, tuple[float, list[tuple[int, int, str]]]]] = [{} for _ in range(len(sylls) + 1)]
        best[0][None] = (0.0, [])
        for i in range(len(sylls)):
            if not best[i]:
                continue
            for n in range(1, min(max(self.longest, 1), len(sylls) - i) + 1):
                for word in self._candidates(sylls, i, n):
                    for prev, (score, path) in best[i].items():
                        step = self._log_prob(prev, word, total)
                        state = prev if word in self.stopwords else word  # stop words leave no bigram
                        candidate = (score + step, [*path, (i, n, word)])
                        current = best[i + n].get(state)
                        if current is None or candidate[0] > current[0] + 1e-12:
                            best[i + n][state] = candidate
        end = best[len(sylls)]
        if not end:
            return []
        return max(end.values(), key=lambda sp: (sp[0], [w for _, _, w in sp[1]]))[1]

    def _log_prob(self, prev: str | None, word: str, total: float) -> float:
        unigram = (self.unigrams.get(word, 0.0) + 1.0) / total
        if prev is None or word in self.stopwords:
            return math.log(unigram)
        bigram = self.bigrams.get((prev, word), 0.0) / (self.unigrams.get(prev, 0.0) + 1.0)
        return math.log(BIGRAM_WEIGHT * bigram + (1.0 - BIGRAM_WEIGHT) * unigram)

    def _with_rivals(self, word: str, sylls: Sequence[str]) -> tuple[str, ...]:
        """The chosen word, then other forms of it at least ALTERNATIVE_SHARE as frequent (one at most)."""
        freq = self.unigrams.get(word, 0.0)
        rivals = [
            w
            for w in self._candidates(sylls, 0, len(sylls))
            if w != word and w not in self.stopwords and self.unigrams.get(w, 0.0) >= ALTERNATIVE_SHARE * freq
        ]
        return (word, *rivals[:1])


def _agrees(parts: Sequence[str], typed: Sequence[str | None]) -> bool:
    """True when a word's syllables equal every syllable typed with diacritics (None: typed without)."""
    return all(t is None or p == t for p, t in zip(parts, typed, strict=True))
