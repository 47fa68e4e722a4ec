"""The query-understanding lexicon: plain-text files police staff can edit without touching code.

corpus/lexicon/
  rewrites.tsv      `citizen form<TAB>standard form`   (teencode, misspellings: `ko` -> `không`; replaced)
                                                       (`-` as the standard form deletes a phrase that asks nothing)
  english.tsv       `English<TAB>Vietnamese`            (read as rewrites, after rewrites.tsv; its forms also tell
                                                       a message in English: faq.analyzer.Analyzer.english_share)
  english_only.tsv  `English<TAB>Vietnamese`            (rewrites read only in a message written in English: English
                                                       words Vietnamese also has typed without diacritics, `the`)
  abbreviations.tsv `abbreviation<TAB>expansion`        (`cccd` -> `căn cước công dân`; added beside it)
  synonyms.tsv      `term<TAB>term[<TAB>term...]`       (equivalent wordings: each brings in the others)
  stopwords.txt     one word a line                     (words that carry no meaning here)
  fixed_words.txt   one term a line                     (multi-syllable terms the segmenter keeps whole)
  other_agencies.tsv `term<TAB>who handles it`          (`kết hôn` -> UBND cấp xã: questions for other agencies;
                                                       `sổ đỏ + sang tên`: both named, apart or together)
  units.tsv         `suffix<TAB>word`                   (`t` -> `tuổi`: `bé 10t` reads `bé 10 tuổi`; numbers only)
  other_topics.txt  `= who handles it` then example     (other agencies' subjects, recognised by likeness, not
                    questions, one a line                 by a phrase: `faq.topics`)
  framing.txt       one word or phrase a line           (words that frame a message without saying which
                                                       procedure: `thủ tục tạm trú` is the bare topic `tạm trú`)
  fraud_signs.tsv   `sign<TAB>warning`                  (`rửa tiền`, `apk`: a pasted message that shows one gets the
                                                       warning beside its answers; `đường link lạ` also stands for
                                                       a web address outside the state's domains)
  danger_signs.tsv  `sign<TAB>advice`                   (`bóp cổ`, `dọa giết`: a message that tells of violence or a
                                                       threat gets the emergency numbers first, answered or not;
                                                       `-` as the advice: no sign, though it holds one: `đánh cắp`)
All of them apply to queries only (documents are written in standard language), matched by letters
whatever the diacritics (`ca vet`, `cà vẹt` hit `cà vẹt`), except that a rewrite takes a word typed with
diacritics at its word: `hỏng` does not hit `hông` (faq.analyzer). Lines starting with `#` and blank lines are
ignored. Every problem is reported as `file:line: problem`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from faq.errors import CorpusError
from faq.text import fold_syllables, normalize, syllables

LEXICON_FILES = (
    "rewrites.tsv",
    "english.tsv",
    "english_only.tsv",
    "abbreviations.tsv",
    "synonyms.tsv",
    "stopwords.txt",
    "fixed_words.txt",
    "other_agencies.tsv",
    "units.tsv",
    "other_topics.txt",
    "framing.txt",
    "fraud_signs.tsv",
    "danger_signs.tsv",
)


@dataclass(frozen=True)
class Lexicon:
    """Normalised lexicon entries. Phrases are tuples of syllables so matching is token-exact."""

    rewrites: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    abbreviations: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    synonyms: tuple[tuple[tuple[str, ...], ...], ...] = ()
    stopwords: frozenset[str] = frozenset()
    fixed_words: tuple[str, ...] = ()
    other_agencies: tuple[tuple[tuple[str, ...], str], ...] = ()
    units: tuple[tuple[str, tuple[str, ...]], ...] = ()
    other_topics: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (who handles it, example questions)
    framing: tuple[tuple[str, ...], ...] = ()  # set aside when telling a bare topic (faq.analyzer.Analyzer.core)
    english: tuple[tuple[str, ...], ...] = ()  # english.tsv's forms, also in `rewrites`: tell English messages
    # english_only.tsv: rewrites for a message written in English alone (`the` is `thẻ` in Vietnamese)
    english_only: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    # fraud_signs.tsv: (sign, warning shown to citizens as written); they do not change the ranking
    fraud_signs: tuple[tuple[tuple[str, ...], str], ...] = ()
    # danger_signs.tsv: (sign, advice shown to citizens as written); they do not change the ranking either
    danger_signs: tuple[tuple[tuple[str, ...], str], ...] = ()
    # danger_signs.tsv's `-` lines: phrases that hold a sign and tell of no danger (`bị đánh cắp`, `bị
    # đánh sai tên`); a sign inside one does not count
    not_danger: tuple[tuple[str, ...], ...] = ()

    def topic_examples(self) -> list[tuple[str, str]]:
        """(who handles it, example question) for every example, in file order: the columns of the
        topic space (`faq.topics`), as built and as loaded."""
        return [(who, text) for who, block in self.other_topics for text in block]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rewrites": [[" ".join(a), " ".join(b)] for a, b in self.rewrites],
            "abbreviations": [[" ".join(a), " ".join(b)] for a, b in self.abbreviations],
            "synonyms": [[" ".join(t) for t in group] for group in self.synonyms],
            "stopwords": sorted(self.stopwords),
            "fixed_words": list(self.fixed_words),
            "other_agencies": [[" ".join(a), b] for a, b in self.other_agencies],
            "units": [[a, " ".join(b)] for a, b in self.units],
            "other_topics": [[who, list(examples)] for who, examples in self.other_topics],
            "framing": [" ".join(p) for p in self.framing],
            "english": [" ".join(p) for p in self.english],
            "english_only": [[" ".join(a), " ".join(b)] for a, b in self.english_only],
            "fraud_signs": [[" ".join(a), b] for a, b in self.fraud_signs],
            "danger_signs": [[" ".join(a), b] for a, b in self.danger_signs],
            "not_danger": [" ".join(p) for p in self.not_danger],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Lexicon:
        return cls(
            rewrites=tuple((tuple(a.split()), tuple(b.split())) for a, b in data.get("rewrites", [])),
            abbreviations=tuple((tuple(a.split()), tuple(b.split())) for a, b in data.get("abbreviations", [])),
            synonyms=tuple(tuple(tuple(t.split()) for t in g) for g in data.get("synonyms", [])),
            stopwords=frozenset(data.get("stopwords", [])),
            fixed_words=tuple(data.get("fixed_words", [])),
            other_agencies=tuple((tuple(a.split()), b) for a, b in data.get("other_agencies", [])),
            units=tuple((a, tuple(b.split())) for a, b in data.get("units", [])),
            other_topics=tuple((who, tuple(examples)) for who, examples in data.get("other_topics", [])),
            framing=tuple(tuple(p.split()) for p in data.get("framing", [])),
            english=tuple(tuple(p.split()) for p in data.get("english", [])),
            english_only=tuple((tuple(a.split()), tuple(b.split())) for a, b in data.get("english_only", [])),
            fraud_signs=tuple((tuple(a.split()), b) for a, b in data.get("fraud_signs", [])),
            danger_signs=tuple((tuple(a.split()), b) for a, b in data.get("danger_signs", [])),
            not_danger=tuple(tuple(p.split()) for p in data.get("not_danger", [])),
        )


DELETE = "-"  # a rewrite target: removes the phrase; a danger sign's advice: no sign (parse_danger_signs)


def _phrase(text: str) -> tuple[str, ...]:
    return tuple(syllables(normalize(text)))


JOINT = "+"  # in other_agencies.tsv, `sổ đỏ + sang tên`: phrases named anywhere in one message, in any order


def _joint_phrase(text: str) -> tuple[str, ...]:
    """A referral term: one phrase, or phrases joined by `+` (`sổ đỏ + sang tên`), each kept as its
    syllables with `+` between them; an empty part stays visible as a `+` at an end or beside another."""
    parts = [_phrase(part) for part in text.split(JOINT)]
    out: list[str] = []
    for k, part in enumerate(parts):
        out += ([JOINT] if k else []) + list(part)
    return tuple(out) if any(parts) else ()


def joint_parts(term: Sequence[str]) -> list[tuple[str, ...]]:
    """A referral term's phrases: one, or several where `+` joins them (`sổ đỏ + sang tên`)."""
    parts: list[list[str]] = [[]]
    for s in term:
        if s == JOINT:
            parts.append([])
        else:
            parts[-1].append(s)
    return [tuple(p) for p in parts]


def _joint_problem(key: tuple[str, ...]) -> str | None:
    empty = not all(joint_parts(key))
    return f"every part around `{JOINT}` needs letters or digits" if empty else None


def _lines(path: Path, problems: list[str]) -> list[tuple[int, str]]:
    """Meaningful lines with their numbers; decoding problems are reported, not raised."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(f"{path}:1: not UTF-8 ({exc.reason} at byte {exc.start}); save the file as UTF-8")
        return []
    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            out.append((number, line.rstrip("\r\n")))
    return out


def _pairs(
    path: Path,
    problems: list[str],
    layout: str,
    phrase_target: bool,
    deletable: bool = False,
    key_problem: Callable[[tuple[str, ...]], str | None] | None = None,
    seen: dict[tuple[str, ...], tuple[Path, int]] | None = None,
    key_of: Callable[[str], tuple[str, ...]] = _phrase,
) -> list[tuple[tuple[str, ...], object]]:
    """Two-column lines keyed by a phrase; the key must be unique. `layout` names the columns in errors;
    `key_problem` says what is wrong with a key a file allows fewer of (units: one run of letters);
    `seen`: the keys (with their file and line) of files read into the same table before this one."""
    entries = []
    seen = {} if seen is None else seen
    for number, line in _lines(path, problems):
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) != 2 or not all(cols):
            problems.append(f"{path}:{number}: expected two columns `{layout}`, got {line!r}")
            continue
        key = key_of(cols[0])
        why = key_problem(key) if key_problem and key else None
        if why:
            problems.append(f"{path}:{number}: {why}: {cols[0]!r}")
            continue
        deletes = deletable and cols[1] == DELETE  # a chat phrase that asks nothing: `có ở đó không`
        target = () if deletes else _phrase(cols[1]) if phrase_target else cols[1]
        if not key or not (target or deletes):
            problems.append(f"{path}:{number}: an entry has no letters or digits: {line!r}")
            continue
        if key in seen:
            where, line_no = seen[key]
            at = f"line {line_no}" if where == path else f"{where}:{line_no}"
            problems.append(f"{path}:{number}: `{cols[0]}` is already defined on {at}")
            continue
        seen[key] = (path, number)
        entries.append((key, target))
    return entries


def parse_rewrites(
    path: Path, problems: list[str], seen: dict[tuple[str, ...], tuple[Path, int]] | None = None
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """`citizen form<TAB>standard form` lines; the standard form `-` deletes the phrase. `seen`: the
    forms of another file of rewrites read before (`english.tsv` after `rewrites.tsv`), so a form is
    defined once across both."""
    layout = "citizen form<TAB>standard form"
    return _pairs(path, problems, layout, phrase_target=True, deletable=True, seen=seen)  # type: ignore[return-value]


def parse_abbreviations(path: Path, problems: list[str]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """`abbreviation<TAB>expansion` lines."""
    return _pairs(path, problems, "abbreviation<TAB>expansion", phrase_target=True)  # type: ignore[return-value]


def parse_referrals(path: Path, problems: list[str]) -> list[tuple[tuple[str, ...], str]]:
    """`term<TAB>who handles it` lines: the second column is shown to citizens as written. A term may
    join phrases with `+` (`sổ đỏ + sang tên`): named only when every one is, anywhere in the message."""
    layout = "term<TAB>who handles it"
    return _pairs(  # type: ignore[return-value]
        path, problems, layout, phrase_target=False, key_problem=_joint_problem, key_of=_joint_phrase
    )


def parse_signs(path: Path, problems: list[str]) -> list[tuple[tuple[str, ...], str]]:
    """`sign<TAB>warning` lines: the second column is shown to citizens as written."""
    seen: dict[tuple[str, ...], tuple[Path, int]] = {}
    pairs = _pairs(path, problems, "sign<TAB>warning", phrase_target=False, seen=seen)
    for key, warning in pairs:
        if warning == DELETE:  # shown as written, a lone `-` would reach citizens as their warning
            problems.append(f"{path}:{seen[key][1]}: `-` (no sign) is for danger_signs.tsv; write the warning")
    return [(key, str(warning)) for key, warning in pairs if warning != DELETE]


def parse_danger_signs(
    path: Path, problems: list[str]
) -> tuple[list[tuple[tuple[str, ...], str]], list[tuple[str, ...]]]:
    """`sign<TAB>advice` lines, the advice shown as written, and `phrase<TAB>-` lines: phrases that hold a
    sign and tell of no danger (`đánh cắp` in `bị đánh cắp`). Such a phrase must share words with a sign
    of the file, or a typo in it would keep the false warning unnoticed, and be more than the sign, or it
    would silence the sign everywhere."""
    seen: dict[tuple[str, ...], tuple[Path, int]] = {}
    pairs = _pairs(path, problems, "sign<TAB>advice", phrase_target=False, deletable=True, seen=seen)
    signs = [(key, str(advice)) for key, advice in pairs if advice != ()]
    excused = [key for key, advice in pairs if advice == ()]
    for phrase in excused:
        where = f"{path}:{seen[phrase][1]}: `{' '.join(phrase)}`"
        inside = next((sign for sign, _ in signs if _holds(fold_syllables(sign), fold_syllables(phrase))), None)
        if inside:  # it would silence the sign itself, not one use of it
            problems.append(f"{where} lies within the sign `{' '.join(inside)}`; delete the sign instead")
        elif not any(_overlap(fold_syllables(phrase), fold_syllables(sign)) for sign, _ in signs):
            problems.append(f"{where} holds no sign of the file to excuse")
    return signs, excused


def _holds(long_: tuple[str, ...], short: tuple[str, ...]) -> bool:
    return any(long_[i : i + len(short)] == short for i in range(len(long_) - len(short) + 1))


def _overlap(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two phrases can share syllables where both occur: one holds the other, or one ends as
    the other begins (`bị đánh`, `đánh cắp`)."""
    if _holds(a, b) or _holds(b, a):
        return True
    return any(a[-k:] == b[:k] or b[-k:] == a[:k] for k in range(1, min(len(a), len(b)) + 1))


def parse_units(path: Path, problems: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """`suffix<TAB>word` lines. A suffix is one run of letters and means its word only when glued to a
    number (`10t`, `15tr`), so `t` alone stays free for `tôi`."""

    def one_run_of_letters(key: tuple[str, ...]) -> str | None:
        return None if len(key) == 1 and key[0].isalpha() else "a suffix is one run of letters, no digits or spaces"

    pairs = _pairs(path, problems, "suffix<TAB>word", phrase_target=True, key_problem=one_run_of_letters)
    return [(key[0], word) for key, word in pairs]  # type: ignore[misc]


def parse_synonyms(path: Path, problems: list[str]) -> list[tuple[tuple[str, ...], ...]]:
    groups = []
    for number, line in _lines(path, problems):
        cols = [c.strip() for c in line.split("\t")]
        if len(cols) < 2 or not all(cols):
            problems.append(f"{path}:{number}: expected at least two terms separated by TAB, got {line!r}")
            continue
        terms = tuple(_phrase(c) for c in cols)
        if not all(terms):
            problems.append(f"{path}:{number}: a term has no letters or digits: {line!r}")
            continue
        groups.append(terms)
    return groups


def parse_topics(path: Path, problems: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """Blocks of example questions, each opened by `= who handles it` (shown to citizens as written).
    An example is a whole question as citizens ask it, not a phrase to find: a question like it is
    recognised by its words (`faq.topics`), so a block catches a subject in wordings nobody listed."""
    blocks: list[tuple[str, list[str], int]] = []  # who, examples, the `=` line
    seen: dict[str, int] = {}
    for number, line in _lines(path, problems):
        text = line.strip()
        if text.startswith("="):
            who = text[1:].strip()
            if not _phrase(who):
                problems.append(f"{path}:{number}: `=` must be followed by who handles these questions")
                continue
            blocks.append((who, [], number))
            continue
        if not blocks:
            problems.append(f"{path}:{number}: an example before any `= who handles it` line: {line!r}")
            continue
        if "\t" in line or not _phrase(text):
            problems.append(f"{path}:{number}: one example question a line, with letters and no TAB: {line!r}")
            continue
        key = " ".join(_phrase(text)).lower()
        if key in seen:
            problems.append(f"{path}:{number}: the same example is already on line {seen[key]}")
            continue
        seen[key] = number
        blocks[-1][1].append(text)
    for who, examples, number in blocks:
        if not examples:
            problems.append(f"{path}:{number}: `= {who}` has no example questions under it")
    return [(who, tuple(examples)) for who, examples, _ in blocks if examples]


def parse_wordlist(path: Path, problems: list[str]) -> list[str]:
    words = []
    for number, line in _lines(path, problems):
        if "\t" in line:
            problems.append(f"{path}:{number}: one word or term a line, no TAB: {line!r}")
            continue
        phrase = _phrase(line)
        if not phrase:
            problems.append(f"{path}:{number}: no letters or digits: {line!r}")
            continue
        words.append(" ".join(phrase))
    return words


_last_loaded: tuple[tuple[str, tuple[bytes | None, ...]], Lexicon] | None = None


def load_lexicon(directory: Path | None) -> Lexicon:
    """Load and validate every lexicon file; raise CorpusError listing all problems at once. The files'
    bytes equal to the last load's in this process give its Lexicon back (immutable) unparsed: `faq
    index watch` rebuilds after each corpus edit, and parsing is most of a lexicon's cost."""
    global _last_loaded
    if directory is None or not directory.is_dir():
        return Lexicon()
    key = (str(directory.resolve()), tuple(_bytes_of(directory / name) for name in LEXICON_FILES))
    if _last_loaded is not None and _last_loaded[0] == key:
        return _last_loaded[1]
    lexicon = _parse_lexicon(directory)
    _last_loaded = (key, lexicon)
    return lexicon


def _bytes_of(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:  # absent, or unreadable: the parse says which
        return None


def _parse_lexicon(directory: Path) -> Lexicon:
    problems: list[str] = []

    def read(name: str, parser):
        path = directory / name
        return parser(path, problems) if path.exists() else []

    forms: dict[tuple[str, ...], tuple[Path, int]] = {}  # one table of rewrites from two files
    rewrites = read("rewrites.tsv", partial(parse_rewrites, seen=forms))
    english = read("english.tsv", partial(parse_rewrites, seen=forms))
    rewrites += english
    english_only = read("english_only.tsv", partial(parse_rewrites, seen=forms))
    abbreviations = read("abbreviations.tsv", parse_abbreviations)
    synonyms = read("synonyms.tsv", parse_synonyms)
    stop = read("stopwords.txt", parse_wordlist)
    fixed = read("fixed_words.txt", parse_wordlist)
    referrals = read("other_agencies.tsv", parse_referrals)
    units = read("units.tsv", parse_units)
    topics = read("other_topics.txt", parse_topics)
    framing = read("framing.txt", parse_wordlist)
    signs = read("fraud_signs.tsv", parse_signs)
    dangers, not_danger = read("danger_signs.tsv", parse_danger_signs) or ([], [])
    if problems:
        raise CorpusError(f"{len(problems)} problem(s) in the lexicon {directory}", problems)
    return Lexicon(
        rewrites=tuple(rewrites),
        abbreviations=tuple(abbreviations),
        synonyms=tuple(synonyms),
        stopwords=frozenset(stop),
        fixed_words=tuple(fixed),
        other_agencies=tuple(referrals),
        units=tuple(units),
        other_topics=tuple(topics),
        framing=tuple(tuple(p.split()) for p in framing),
        english=tuple(src for src, _ in english),
        english_only=tuple(english_only),
        fraud_signs=tuple(signs),
        danger_signs=tuple(dangers),
        not_danger=tuple(not_danger),
    )
