"""The analyzer: one text in, one token stream per channel out, for documents and queries alike.

Chain: normalise -> split into chunks -> syllables -> [queries only: units glued to numbers (`10t`->`10 tuổi`),
lexicon rewrites (`ko`->`không`),
typo repair (`thhủ`->`thủ`, `faq.spelling`), abbreviation and synonym expansion (`cccd` adds `căn cước
công dân`)] -> channels:
  word    underthesea words (accented text) and their bigrams, stop words removed; a query typed without
          diacritics is read as the index's accented words instead (`faq.restore`)
  folded  diacritic-free syllables and bigrams: `dang ky tam tru` meets `đăng ký tạm trú`
  char    character n-grams of the folded text: typos and glued words (`tamtru`). Off by default
          (`AnalyzerConfig.char`): with typo repair in place they showed no gain (see the README)
The index stores the configuration and lexicon it was built with, so queries are analysed identically.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import NamedTuple, TypeVar

from faq.config import AnalyzerConfig
from faq.lexicon import Lexicon, joint_parts
from faq.restore import Restorer
from faq.spelling import Speller, needs_speller, plain_syllables
from faq.text import (
    char_ngrams,
    chunks,
    fold,
    fold_syllables,
    has_diacritics,
    longest_match,
    ngrams,
    normalize,
    segment,
    syllables,
    typed_accented,
    unofficial_addresses,
)

SEGMENT_MEMO_SIZE = 200_000  # chunks remembered per analyzer (bounded memory)
_NUMBER_UNIT = re.compile(r"(\d+)([^\W\d_]+)")  # `10t`, `15tr`, `500k`: a number with letters glued on
_LATIN_WORD = re.compile(r"[a-z']+")  # a folded word in Latin letters only (no digits)
LINK_SIGN = ("duong", "link", "la")  # `đường link lạ`, folded: the sign a web address outside the state's domains shows
_ENGLISH_ENTRY = "\x00"  # stands, in `english_share`, for each word an english.tsv form covers
# A message is read as English (SearchConfig.english_confidence) when at least this share of its words
# are (Analyzer.english_share), of at least this many: on every labelled set, 9 of 7,647 Vietnamese
# messages reached it (English chit-chat, `file apk lạ`) and 8 of 344 English ones fell short (mixed
# ones); since one English entry is also asked for (2026-12-03), `file apk lạ` and `hx hát kara` do not.
ENGLISH_SHARE = 0.4
ENGLISH_MIN_WORDS = 3


class Referral(NamedTuple):
    """Another agency's procedure a question names (`faq/lexicon`'s other-agencies list)."""

    term: str
    who: str  # who handles it, shown to the citizen
    pending: bool  # named at least once as still to do, not only as a step already taken


class _Said:
    """What a text says, looked up once for every lexicon list matched against it: its folded phrases
    (`_phrases`) and the syllables it typed. One place decides when an entry is named, instead of one
    copy per list (synonyms, referrals, fraud signs)."""

    def __init__(self, chunk_list: Sequence[Sequence[str]], longest: int) -> None:
        self.phrases = _phrases(chunk_list, longest)
        self.typed = {s for chunk in chunk_list for s in chunk}

    def names(self, written: Sequence[str], folded: tuple[str, ...]) -> bool:
        """Whether the entry written `written` (folded `folded`) is in the text, typed as meant."""
        return folded in self.phrases and _typed_as_meant(written, self.typed)


class Analyzer:
    """Turns text into per-channel token lists. Stateless after construction; safe to reuse."""

    def __init__(
        self,
        config: AnalyzerConfig,
        lexicon: Lexicon | None = None,
        query_words: Iterable[str] = (),
        restorer: Restorer | Callable[[], Restorer] | None = None,
        speller: Speller | Callable[[], Speller] | None = None,
        dictionary: Iterable[str] = (),
    ) -> None:
        """`query_words`: the multi-syllable words an index knows (`đăng_ký`). When given, queries are
        segmented by longest match against them instead of by underthesea (see `_segment_query`).
        `restorer`: the index's accented words by folded form, for queries typed without diacritics, or a
        function making it on first need (it costs tens of milliseconds on a large index; accented
        queries never need it). `speller`: likewise, what repairs mistyped query syllables; with a
        factory, `dictionary` (the syllables it will take as existing) lets a question whose syllables all
        exist skip making it (`faq.spelling.needs_speller`)."""
        self.config = config
        self._restorer_source = restorer if config.restore else None
        self._restorer: Restorer | None = None
        self._speller_source = speller if config.repair else None
        self._speller: Speller | None = None
        self._dictionary = tuple(dictionary)
        self.lexicon = lexicon or Lexicon()
        self._query_words = frozenset(query_words)
        self._query_word_len = max((w.count("_") + 1 for w in self._query_words), default=0)
        # rewrites by folded form (for the lookup), each with its entry as written (for `_agrees`)
        self._rewrites: dict[tuple[str, ...], list[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
        for src, dst in self.lexicon.rewrites:
            self._rewrites.setdefault(fold_syllables(src), []).append((src, dst))
        self._rewrite_len = max((len(k) for k in self._rewrites), default=0)
        # Expansions and referrals only add words or lower confidence, so they match by letters alone and
        # forgive a wrong tone (`bảo hiểm y tê`); rewrites replace words, so they match more strictly. A
        # one-syllable trigger is the exception (`_typed_as_meant`): its letters alone are many words.
        groups = [(term, dst) for term, dst in self.lexicon.abbreviations]  # one-way: abbreviation -> expansion
        self._synonyms = [((fold_syllables(src),), (dst,), False, (src,)) for src, dst in groups]
        self._synonyms += [  # two-way: any term brings in the others
            (tuple(fold_syllables(term) for term in group), group, True, group) for group in self.lexicon.synonyms
        ]
        self._stop = frozenset(self.lexicon.stopwords)
        self._framing: dict[str, list[tuple[str, ...]]] = {}  # folded first syllable -> entries, longest first
        for entry in sorted(self.lexicon.framing, key=len, reverse=True):
            self._framing.setdefault(fold(entry[0]), []).append(entry)
        self._fixed = tuple(self.lexicon.fixed_words)
        self._memo: dict[tuple[str, ...], list[str]] = {}
        self._referrals = [(term, _joint_parts(term), who) for term, who in self.lexicon.other_agencies]
        self._signs = [(term, fold_syllables(term), warning) for term, warning in self.lexicon.fraud_signs]
        self._sign_len = max((len(t) for _, t, _ in self._signs), default=0)
        self._dangers = [(term, fold_syllables(term), advice) for term, advice in self.lexicon.danger_signs]
        self._danger_len = max((len(t) for _, t, _ in self._dangers), default=0)
        self._not_danger = [(phrase, fold_syllables(phrase)) for phrase in self.lexicon.not_danger]
        # the longest phrase a synonym or referral entry holds: how far `_phrases` looks
        phrases = [t for triggers, *_ in self._synonyms for t in triggers]
        phrases += [t for _, parts, _ in self._referrals for _, t in parts]
        self._phrase_len = max(map(len, phrases), default=0)
        # each trigger phrase -> the entries it triggers, in lexicon order: a question looks at those alone
        self._entries: dict[tuple[str, ...], list[int]] = {}
        for k, (found, *_) in enumerate(self._synonyms):
            for t in dict.fromkeys(found):
                self._entries.setdefault(t, []).append(k)
        # each trigger phrase -> the longer trigger phrases that hold it (`_inside_longer`): few have any
        self._holders = {
            t: held for t in self._entries if (held := frozenset(h for h in self._entries if _holds(h, t)))
        }
        self._units = {fold(suffix): word for suffix, word in self.lexicon.units}
        # english.tsv's forms by folded form, and the Latin-letter forms the other files know (`ko`, `cccd`)
        self._english = frozenset(fold_syllables(src) for src in self.lexicon.english)
        self._english_only = {fold_syllables(src): dst for src, dst in self.lexicon.english_only}
        self._english_only_len = max(map(len, self._english_only), default=0)
        self._english_len = max(map(len, self._english), default=0)
        english = set(self.lexicon.english)
        self._lexicon_forms = frozenset(
            fold(s)
            for src in [src for src, _ in self.lexicon.rewrites if src not in english]
            + [src for src, _ in self.lexicon.abbreviations]
            for s in src
        )

    @property
    def restores(self) -> bool:
        """Whether queries typed without diacritics get their accented words back (`faq.restore`)."""
        return self._restorer_source is not None

    def restorer(self) -> Restorer | None:
        if self._restorer is None and self._restorer_source is not None:
            self._restorer = _made(self._restorer_source, Restorer)
        return self._restorer

    def repair(self, chunk_list: Sequence[Sequence[str]]) -> list[list[str]]:
        """Mistyped syllables replaced by what was meant (`faq.spelling`); others as they are."""
        if self._speller_source is None:
            return [list(c) for c in chunk_list]
        if self._speller is None:
            if self._dictionary and not isinstance(self._speller_source, Speller):
                if not needs_speller(chunk_list, self._plain):
                    return [list(c) for c in chunk_list]
            self._speller = _made(self._speller_source, Speller)
        return self._speller.repair(chunk_list)

    def rewrite(self, sylls: Sequence[str], english: bool = False) -> list[str]:
        """Replace lexicon phrases, longest match first (see `_agrees` for how diacritics compare), after
        spelling out units glued to numbers. In a message written in `english`, `english_only.tsv`'s
        entries too, where their words are not part of a word the index knows (`_in_known_word`):
        `the` goes from `the fee`, not from `the can cuoc` (`thẻ căn cước`) nor from `khong the`."""
        sylls = self.split_units(sylls)
        english = english and bool(self._english_only)
        if not self._rewrites and not english:
            return list(sylls)
        folded = [fold(s) for s in sylls]

        def find(i: int, n: int) -> tuple[str, ...] | None:
            key = tuple(folded[i : i + n])
            entries = self._rewrites.get(key, ())
            found = next((dst for src, dst in entries if _agrees(sylls[i : i + n], src)), None)
            if found is None and english and key in self._english_only and not self._in_known_word(folded, i, n):
                return self._english_only[key]
            return found

        longest = max(self._rewrite_len, self._english_only_len if english else 0)
        return longest_match(sylls, find, longest)

    def _in_known_word(self, folded: Sequence[str], i: int, n: int) -> bool:
        """Whether syllables `i:i+n` of a chunk (folded) lie inside a longer run that is a word of the
        index typed without diacritics (`the can cuoc`, `giay to`)."""
        words, longest = self._folded_words, self._query_word_len
        for start in range(max(0, i - longest + 1), i + 1):
            for end in range(max(i + n, start + 2), min(len(folded), start + longest) + 1):
                if end - start > n and tuple(folded[start:end]) in words:
                    return True
        return False

    @functools.cached_property
    def _plain(self) -> tuple[frozenset[str], frozenset[str]]:
        """The dictionary's syllables and the stop words, accented and folded (`plain_syllables`): what
        tells a question that needs no typo repair and a word that is not English. Made on first need."""
        return plain_syllables(self._dictionary, self.lexicon.stopwords)

    @functools.cached_property
    def _folded_words(self) -> frozenset[tuple[str, ...]]:
        """The index's multi-syllable words, folded (`("can", "cuoc")`). Made on first need: only
        messages in English, and questions naming a referral term (`_is_word`), need them."""
        return frozenset(fold_syllables(w.split("_")) for w in self._query_words)

    def english_share(self, text: str) -> float:
        """The share of a message's words that are English, 0 below `ENGLISH_MIN_WORDS` words: those an
        `english.tsv` entry covers, and words in Latin letters that are neither a Vietnamese syllable typed
        without diacritics (the dictionary) nor a form the other lexicon files know (`ko`, `cccd`). The
        entries alone are not enough (`need`, `permit` have none), nor letters alone (`the`, `my` and `do`
        are Vietnamese syllables). 0 when no word is an entry: words nobody knows are no sign of English (a
        pasted code or key, `b b b`, `file apk lạ`), and English weighs confidence up. Without a dictionary,
        0: every unaccented word would look English."""
        return self._english_share(self._chunks(text))

    def _english_share(self, chunk_list: Sequence[Sequence[str]]) -> float:
        if not self._english or not self._dictionary:
            return 0.0
        vietnamese = self._plain[1]
        words = english = entries = 0
        for chunk in chunk_list:
            folded = [fold(s) for s in chunk]

            def entry(i: int, n: int, folded: list[str] = folded) -> tuple[str, ...] | None:
                return (_ENGLISH_ENTRY,) * n if tuple(folded[i : i + n]) in self._english else None

            for word in longest_match(folded, entry, self._english_len):
                if word == _ENGLISH_ENTRY or _LATIN_WORD.fullmatch(word):
                    words += 1
                    entries += word == _ENGLISH_ENTRY
                    english += word == _ENGLISH_ENTRY or (word not in vietnamese and word not in self._lexicon_forms)
        return english / words if words >= ENGLISH_MIN_WORDS and entries else 0.0

    def split_units(self, sylls: Sequence[str]) -> list[str]:
        """`bé 10t` -> `bé 10 tuổi`: citizens glue a unit to a number, documents write it out."""
        if not self._units:
            return list(sylls)
        out: list[str] = []
        for s in sylls:
            m = _NUMBER_UNIT.fullmatch(s)
            word = self._units.get(fold(m.group(2))) if m else None
            out.extend([m.group(1), *word] if m and word else [s])
        return out

    def expansion_chunks(self, chunk_list: Sequence[Sequence[str]]) -> tuple[list[list[str]], list[list[str]]]:
        """(what the abbreviations a query mentions stand for, the other terms of the synonym groups it
        mentions), as extra chunks. Apart because a search may count the second for less
        (`SearchConfig.synonym_weight`): an abbreviation's expansion is what the citizen wrote, a
        synonym only a likely other wording."""
        spelled_out: list[list[str]] = []
        related: list[list[str]] = []
        said = _Said(chunk_list, self._phrase_len)
        phrases = said.phrases
        nested = {t: found for t, held in self._holders.items() if t in phrases and (found := held & phrases)}
        inside = _inside_longer(chunk_list, nested) if nested else set()
        for k in sorted({k for t in phrases & self._entries.keys() for k in self._entries[t]}):
            triggers, expansions, two_way, written = self._synonyms[k]
            present = [said.names(w, t) for t, w in zip(triggers, written, strict=True)]
            if not any(present) or (inside and all(t in inside for t, p in zip(triggers, present, strict=True) if p)):
                continue  # not in the question, or only inside a longer phrase of it
            if two_way:  # synonym group: add the terms not already there
                related.extend(list(t) for t, p in zip(expansions, present, strict=True) if not p)
            else:
                spelled_out.extend(list(t) for t in expansions)
        return spelled_out, related

    def prepare(self, text: str, query: bool = False) -> list[list[str]]:
        """Normalised, rewritten syllable chunks (plus synonym chunks for a query)."""
        if not query:
            return self._chunks(text)
        own, related = self.prepare_query(text)
        return own + related

    def prepare_query(self, text: str) -> tuple[list[list[str]], list[list[str]]]:
        """A query's chunks as `prepare` makes them, split in two: its own words with what its
        abbreviations stand for, and the other terms of the synonym groups it mentions."""
        own, related, _ = self.read_query(text)
        return own, related

    def read_query(self, text: str) -> tuple[list[list[str]], list[list[str]], bool]:
        """`prepare_query`'s two parts and whether the message is written in English (`english_share` at
        least `ENGLISH_SHARE`), told from the same chunks: a search needs all three, and normalising a
        message once is enough."""
        raw = self._chunks(text)
        english = self._english_share(raw) >= ENGLISH_SHARE
        chunk_list = self.repair([self.rewrite(c, english) for c in raw])
        chunk_list = [c for c in chunk_list if c]
        spelled_out, related = self.expansion_chunks(chunk_list)
        return chunk_list + spelled_out, related, english

    @staticmethod
    def _chunks(text: str) -> list[list[str]]:
        return [c for c in (syllables(c) for c in chunks(normalize(text))) if c]

    def _segment(self, sylls: Sequence[str]) -> list[str]:
        """Segment with a memo: corpora repeat sentences (boilerplate, recombined FAQ answers)."""
        key = tuple(sylls)
        words = self._memo.get(key)
        if words is None:
            if len(self._memo) >= SEGMENT_MEMO_SIZE:
                self._memo.clear()
            words = self._memo[key] = segment(sylls, self._fixed)
        return list(words)

    def _segment_query(self, sylls: Sequence[str]) -> list[str]:
        """Longest-match segmentation against the words the index holds.

        Documents are segmented by underthesea at build time; a query word the index does not hold
        cannot match anything, so a query only needs splitting into the index's own words. This gives
        the same answers on the eval sets (measured) and spares every `ask` underthesea's import and
        model load (~0.45 s), the largest part of a cold start.
        """
        words = self._query_words

        def find(i: int, n: int) -> list[str] | None:
            candidate = "_".join(sylls[i : i + n])
            return [candidate] if candidate in words else None

        return longest_match(sylls, find, self._query_word_len, shortest=2)

    def referrals(self, chunk_list: Sequence[Sequence[str]]) -> list[Referral]:
        """Each other agency's term named in prepared query chunks, in lexicon order, with who handles it
        and whether it is named at least once as something still to do rather than a step already taken
        (`đã làm khai tử`, `khai tử xong`: the citizen holds that paper and asks about the next step)."""
        if not self._referrals:
            return []
        said = _Said(chunk_list, self._phrase_len)
        out = []
        for term, parts, who in self._referrals:
            if all(said.names(written, t) for written, t in parts):
                mentions = [self._mentions(chunk_list, t) for _, t in parts]
                if all(named for named, _ in mentions):  # a joint term is still to do only if every part is
                    out.append(Referral(" ".join(term), who, all(pending for _, pending in mentions)))
        return out

    @staticmethod
    def named_anchors(
        chunk_list: Sequence[Sequence[str]], anchors: Mapping[int, Sequence[Phrase]], longest: int
    ) -> frozenset[int]:
        """The keys (pages) of `anchors` of which prepared query chunks name one phrase at least
        (`Document.anchors`, each as `anchor_phrase` reads it), matched as the lexicon's phrases are:
        without diacritics, whole syllables, a one-syllable phrase with diacritics only as written or typed
        without any. `longest`: the most syllables any of the phrases has."""
        if not anchors:
            return frozenset()
        said = _Said(chunk_list, longest)
        return frozenset(k for k, phrases in anchors.items() if any(said.names(w, f) for w, f in phrases))

    def fraud_signs(self, text: str) -> list[tuple[str, str]]:
        """(sign, warning) for each sign of a fraud (`fraud_signs.tsv`) a message shows, in lexicon order:
        a phrase it holds as typed, before any rewrite (`stk`, not the `số tài khoản` of a bank's real
        letter), or, for `đường link lạ`, a web address outside the state's domains. Read apart from
        the ranking: a scam that borrows a procedure's words still ranks that procedure's page, and
        the citizen should hear the warning beside it (README, "Signs of fraud")."""
        if not self._signs:
            return []
        said = _Said(self._chunks(text), self._sign_len)
        if unofficial_addresses(text):
            said.phrases.add(LINK_SIGN)
        return [(" ".join(term), warning) for term, t, warning in self._signs if said.names(term, t)]

    def danger_signs(self, text: str) -> list[tuple[str, str]]:
        """(sign, advice) for each sign of danger (`danger_signs.tsv`: violence, a threat, a weapon, a child
        harmed) a message shows as typed, in lexicon order. Read apart from the ranking and from declining:
        a message that tells of a beating must hear the emergency numbers even when no page is sure enough
        to answer it (README, "Signs of danger")."""
        if not self._dangers:
            return []
        # A sign counts as written or, in a message typed without any diacritics, by its letters (`bop
        # co`): in an accented message a plain syllable is a word of its own, so `bóp có` (a wallet that
        # has) is not `bóp cổ`, `bảo hành` not `bạo hành`, `định danh, tôi` not `đánh tôi`; nor where it
        # begins a longer word of the index (`bị đánh giá` is no beating), nor inside a phrase the
        # lexicon says tells of no danger, found by the same rule (`bị đánh cắp`, `tên bị đánh sai`). A
        # wrong warning is noise.
        chunk_list = self._chunks(text)
        phrases = _phrases(chunk_list, self._danger_len)
        accented = any(has_diacritics(s) for chunk in chunk_list for s in chunk)

        def said(
            chunk: Sequence[str], folded: tuple[str, ...], i: int, term: tuple[str, ...], t: tuple[str, ...]
        ) -> bool:
            return folded[i : i + len(t)] == t and (not accented or tuple(chunk[i : i + len(t)]) == term)

        def counts(chunk: Sequence[str], folded: tuple[str, ...], i: int, n: int) -> bool:
            return not any(
                said(chunk, folded, j, phrase, f)
                for phrase, f in self._not_danger
                for j in range(max(0, i - len(f) + 1), i + n)
            )

        return [
            (" ".join(term), advice)
            for term, t, advice in self._dangers
            if t in phrases
            and any(
                said(chunk, folded, i, term, t) and counts(chunk, folded, i, len(t))
                for chunk, folded, i in self._occurrences(chunk_list, t)
            )
        ]

    def _mentions(self, chunk_list: Sequence[Sequence[str]], phrase: tuple[str, ...]) -> tuple[bool, bool]:
        """Whether `phrase` occurs without its last syllable being the first half of a two-syllable word
        of the index (`mất điện` in `mất điện thoại`), and whether one such occurrence has no mark of being
        done (`_done`). Syllables typed with diacritics are compared as typed (`điện từ` is not `điện tử`)."""
        named = False
        for chunk, folded, i in self._occurrences(chunk_list, phrase):
            if not _done(chunk, folded, i, len(phrase)):
                return True, True
            named = True
        return named, False

    def _occurrences(
        self, chunk_list: Sequence[Sequence[str]], phrase: tuple[str, ...]
    ) -> Iterator[tuple[Sequence[str], tuple[str, ...], int]]:
        """(chunk, the chunk folded, start) for each place the folded `phrase` occurs whose last syllable
        is not the first half of a two-syllable word of the index (`mất điện` in `mất điện thoại`)."""
        n = len(phrase)
        for chunk in chunk_list:
            folded = fold_syllables(chunk)
            for i in range(len(folded) - n + 1):
                if folded[i : i + n] != phrase:
                    continue
                if i + n < len(chunk) and self._is_word(chunk[i + n - 1], chunk[i + n]):
                    continue
                yield chunk, folded, i

    def _is_word(self, first: str, second: str) -> bool:
        if has_diacritics(first) and has_diacritics(second):
            return (first, second) in self._word_pairs
        return (fold(first), fold(second)) in self._folded_words

    @functools.cached_property
    def _word_pairs(self) -> frozenset[tuple[str, ...]]:
        """The index's two-syllable words (`điện_thoại`) as pairs, as accented; folded, they are among
        `_folded_words`. Made on first need: only questions naming a referral term need them."""
        return frozenset(tuple(w.split("_")) for w in self._query_words if w.count("_") == 1)

    def core(self, own: Sequence[Sequence[str]], limit: int | None = None) -> tuple[str, ...]:
        """A message's own syllables without diacritics, in order, stop words aside (as typed, as the
        diacritic-free channel drops them), from its own chunks (`prepare_query`'s first part): what
        tells a message that is only a bare topic (`faq.search.Searcher.bare_topic`). The lexicon's
        framing words are set aside too (`framing.txt`: `thủ tục`, `hỏi về`), as a rewrite's source is
        matched (`_agrees`). `ad ơi cho hỏi tạm trú ạ`, `thủ tục tạm trú?` and `tam tru` all come to
        `tam tru`. Whatever channels the index has. Empty when it would be longer than `limit`: no bare
        topic is, and most messages are."""
        kept = [s for sylls in own for s in sylls if s not in self._stop]
        out: list[str] = []
        i = 0
        while i < len(kept):
            folded = fold(kept[i])
            entries = self._framing.get(folded, ())
            framing = next((len(f) for f in entries if len(kept) - i >= len(f) and _agrees(kept[i : i + len(f)], f)), 0)
            if framing:
                i += framing
                continue
            out.append(folded)
            i += 1
            if limit is not None and len(out) > limit:
                return ()
        return tuple(out)

    def text_core(self, text: str) -> tuple[str, ...]:
        """`core` of a text read as a query: what a message must come to to be this bare topic."""
        return self.core(self.prepare_query(text)[0])

    def analyze(self, text: str, query: bool = False, channels: Collection[str] | None = None) -> dict[str, list[str]]:
        """Token lists per channel (see module doc); `channels` limits the work to those channels."""
        return self.tokens(
            self.prepare(text, query=query), query=query, accented=typed_accented(text), channels=channels
        )

    def tokens(
        self,
        chunk_list: Sequence[Sequence[str]],
        query: bool = False,
        accented: bool = True,
        channels: Collection[str] | None = None,
    ) -> dict[str, list[str]]:
        """Token lists per channel of prepared chunks (`prepare`), for every channel or those asked.
        `accented`: whether the query was typed with diacritics; if not, its words are restored to the
        index's accented forms (`faq.restore`)."""
        cfg = self.config
        out: dict[str, list[str]] = {c: [] for c in cfg.channels() if channels is None or c in channels}
        for sylls in chunk_list:
            if "word" in out:
                alternatives: list[str] = []
                if not cfg.segment:
                    words = list(sylls)
                elif query and not accented and self.restores:
                    restored = self.restorer().restore(sylls)  # type: ignore[union-attr]
                    words = [forms[0] for forms in restored]
                    alternatives = [w for forms in restored for w in forms[1:]]
                elif query and self._query_words:
                    words = self._segment_query(sylls)
                else:
                    words = self._segment(sylls)
                words = [w for w in words if w.replace("_", " ") not in self._stop]
                out["word"].extend(ngrams(words, *cfg.word_ngrams))
                if query and cfg.word_ngrams[1] >= 2:
                    # A two-syllable word is also the pair of its syllables: underthesea splits one phrase
                    # differently in different sentences (`mẫu_dấu` in a body, `mẫu` `dấu` in an alias),
                    # and where it split, the document holds the pair as a word bigram.
                    out["word"].extend(w.replace("_", " ") for w in words if w.count("_") == 1)
                out["word"].extend(w for w in alternatives if w.replace("_", " ") not in self._stop)
            # Stop words are dropped only as typed (accented): their folded forms collide with content
            # words (`chị`/`chi phí`, `thế`/`thẻ`), so unaccented input keeps them and idf weighs them down.
            folded = [fold(s) for s in sylls if s not in self._stop]
            if "folded" in out:
                out["folded"].extend(ngrams(folded, *cfg.folded_ngrams))
            if "char" in out:
                out["char"].extend(char_ngrams(folded, *cfg.char_ngrams))
        return out


T = TypeVar("T")


def _made(source: T | Callable[[], T], kind: type[T]) -> T:
    """A helper given ready-made, or made now by its factory (on first need: it costs tens of ms)."""
    return source if isinstance(source, kind) else source()  # type: ignore[operator]


Phrase = tuple[tuple[str, ...], tuple[str, ...]]  # a phrase's syllables as written, and folded


def anchor_phrase(text: str) -> Phrase:
    """An anchor (`Document.anchors`) as `Analyzer.named_anchors` matches it: its syllables as written, and folded."""
    written = tuple(syllables(normalize(text)))
    return written, fold_syllables(written)


def _agrees(typed: Sequence[str], entry: Sequence[str]) -> bool:
    """Whether typed syllables are a rewrite's source: each one as the entry writes it, or without its
    diacritics when typed without any. `dang ky` and `đăng ký` are `đăng ký`; `hỏng` is not `hông` (teencode
    for `không`), nor `bịt` `bít` (`biết`): a syllable typed with diacritics is taken at its word."""
    return all(t == e or (t == fold(e) and not has_diacritics(t)) for t, e in zip(typed, entry, strict=True))


def _joint_parts(term: Sequence[str]) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """A referral term's phrases (`faq.lexicon.joint_parts`), each as written and folded: all of them
    a message must name."""
    return tuple((p, fold_syllables(p)) for p in joint_parts(term))


def _typed_as_meant(entry: Sequence[str], typed: Collection[str]) -> bool:
    """Whether a lexicon phrase whose letters a query holds was typed as meant. A phrase of several
    syllables is, whatever its tones (`bảo hiểm y tê`). One syllable written with diacritics has too
    many others with its letters (`đổi` shares them with `đòi`, `đợi`, `đời`, `đội`, `đôi`), so it
    counts only as written or typed without any diacritics (`doi`): what `_agrees` asks of every
    syllable of a rewrite, looked up in the query's set of syllables instead of compared in place."""
    if len(entry) != 1 or not has_diacritics(entry[0]):
        return True
    return entry[0] in typed or fold(entry[0]) in typed


DONE_BEFORE = frozenset({"da", "vua"})  # `đã`, `vừa` (folded) shortly before a phrase: a step already taken
DONE_BEFORE_PAIRS = frozenset({("sau", "khi")})  # `sau khi kết hôn`: after it, so it has been done
DONE_AFTER = frozenset({"xong", "roi", "r"})  # `xong`, `rồi` right after it


def _done(typed: Sequence[str], chunk: Sequence[str], i: int, n: int) -> bool:
    """Whether the phrase at chunk[i : i + n] (`chunk` is `typed` folded) is marked as a step already
    taken: `đã`, `vừa` (unless `vừa A vừa B`, both to do) or `sau khi` among the three syllables before
    it, or `xong`/`rồi` among the two after (`sau khi kết hôn, chuyển hộ khẩu về nhà chồng`: the marriage
    is behind them); or as a paper
    already held, `ngoài … ra` or `ngoài … còn` (`ngoài giấy đăng ký hộ kinh doanh ra thì còn phải xin
    gì`, `ngoài giấy đăng ký kinh doanh còn phải xin giấy gì`), not `nước ngoài` nor `ra sao`, nor `con`
    (a child) where the message is typed with diacritics."""
    window = chunk[max(0, i - 3) : i]
    before = set(window)
    if chunk.count("vua") > 1:  # `vừa A vừa B`: both A and B, still to do
        before.discard("vua")
    if DONE_BEFORE & before or DONE_AFTER & set(chunk[i + n : i + n + 2]):
        return True
    if DONE_BEFORE_PAIRS & set(zip(window, window[1:], strict=False)):
        return True
    besides = any(chunk[j] == "ngoai" and (j == 0 or chunk[j - 1] != "nuoc") for j in range(max(0, i - 4), i))
    accented = any(has_diacritics(s) for s in typed)
    closed = any(
        (chunk[k] == "ra" and (k + 1 == len(chunk) or chunk[k + 1] != "sao"))
        or (chunk[k] == "con" and (typed[k] != "con" or not accented))
        for k in range(i + n, min(len(chunk), i + n + 2))
    )
    return besides and closed


def _holds(longer: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    """Whether `longer` has `phrase` as a run of its syllables and more."""
    n = len(phrase)
    return len(longer) > n and any(longer[i : i + n] == phrase for i in range(len(longer) - n + 1))


def _inside_longer(
    chunk_list: Sequence[Sequence[str]], nested: dict[tuple[str, ...], frozenset[tuple[str, ...]]]
) -> set[tuple[str, ...]]:
    """The lexicon phrases (folded) that a question holds only inside a longer one it holds: the longer
    one is what was written, as a rewrite's longest match has it. `xóa đăng ký thường trú` (cancelling a
    registration) does not also bring in what `đăng ký thường trú` stands for (`nhập khẩu`,
    registering), nor `mã bảo mật` what `báo mất` does. A phrase also written on its own elsewhere in
    the question still counts. `nested`: each phrase found that a longer one found could hold, with
    those longer ones (`Analyzer._holders`), so positions are looked at only when it matters."""
    folded = [fold_syllables(chunk) for chunk in chunk_list]

    def spans(phrase: tuple[str, ...]) -> list[tuple[int, int, int]]:
        n = len(phrase)
        return [(k, i, i + n) for k, f in enumerate(folded) for i in range(len(f) - n + 1) if f[i : i + n] == phrase]

    out = set()
    for phrase, longer in nested.items():
        around = [span for holder in longer for span in spans(holder)]
        if all(any(k2 == k and s2 <= s and e <= e2 for k2, s2, e2 in around) for k, s, e in spans(phrase)):
            out.add(phrase)
    return out


def _phrases(chunk_list: Sequence[Sequence[str]], longest: int) -> set[tuple[str, ...]]:
    """Every run of up to `longest` consecutive syllables within a chunk, folded: a lexicon phrase is in
    a question when it is one of these. One pass over the question instead of one per lexicon entry
    (which was most of a query's analysis time)."""
    out: set[tuple[str, ...]] = set()
    for chunk in chunk_list:
        folded = fold_syllables(chunk)
        for i in range(len(folded)):
            out.update(folded[i : i + n] for n in range(1, min(longest, len(folded) - i) + 1))
    return out
