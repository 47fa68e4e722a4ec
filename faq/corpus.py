"""Read the corpus into Document records, validate it, and fingerprint it.

Two sources: the project's procedure files (`corpus/procedures/*.md`, TOML header + Markdown body,
format in corpus/README.md) and generic FAQ tables (`.jsonl` / `.json` / `.csv` with id, question, answer) that a
police unit may already keep. Every problem is reported as `file:line: problem`, all at once.
TOML is parsed by the standard library: data can never execute code.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from faq.errors import CorpusError
from faq.examples import example_files, read_examples, with_examples
from faq.text import fold, normalize

CATEGORIES = {
    "cu-tru": "Cư trú",
    "can-cuoc": "Căn cước và định danh điện tử",
    "xe-gplx": "Xe và giấy phép lái xe",
    "xuat-nhap-canh": "Xuất nhập cảnh và tư pháp",
    "an-ninh-trat-tu": "An ninh trật tự",
    "canh-bao": "Cảnh báo",
    "phong-chay": "Phòng cháy, chữa cháy",
}
QA_HEADING = "Hỏi đáp"
REQUIRED_SECTIONS = {
    "thu-tuc": (
        "Tóm tắt",
        "Đối tượng và thời điểm",
        "Hồ sơ cần chuẩn bị",
        "Các bước thực hiện",
        "Lệ phí",
        "Thời hạn giải quyết",
        "Nơi thực hiện",
        "Căn cứ pháp lý",
        QA_HEADING,
    ),
    "canh-bao": ("Tóm tắt", "Thủ đoạn", "Dấu hiệu nhận biết", "Cách xử lý", "Nơi trình báo", QA_HEADING),
    "thong-tin": ("Tóm tắt", QA_HEADING),
}
LABEL_CHARS = 80  # an untitled FAQ row is shown by this much of its answer
REQUIRED_FIELDS = ("id", "title", "category", "kind", "agency", "aliases", "questions", "sources", "updated")
OPTIONAL_FIELDS = ("review_by", "review_note", "bare_topics", "see_instead", "anchors")
MAX_BARE_TOPIC_WORDS = 6  # a bare topic is what a message says when it names only the topic
MIN_QUESTIONS = 8
MAX_SEE_INSTEAD = 4  # pointers under an answer: a few, or the citizen reads none
MIN_QAS = 4
MAX_AGE_DAYS = 366
REVIEW_NOTICE_DAYS = 45  # `corpus check` names a review date this close, weeks before it fails CI
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FAQ_SUFFIXES = (".jsonl", ".json", ".csv")
FAQ_FORMATS = ", ".join(FAQ_SUFFIXES[:-1]) + " or " + FAQ_SUFFIXES[-1]  # for messages: `.jsonl, .json or .csv`
_JSON_TOO_DEEP = "not valid JSON (a number too long or nesting too deep)"
_JSON_SPACE = re.compile(r"[ \t\r\n]*")  # JSON's whitespace, which `JSONDecoder.raw_decode` does not skip


@dataclass(frozen=True)
class Section:
    heading: str
    text: str
    line: int = 0


@dataclass(frozen=True)
class Source:
    url: str
    title: str = ""
    date: str = ""


@dataclass(frozen=True)
class Document:
    """One answerable unit: a procedure file or one row of a FAQ table."""

    id: str
    title: str
    category: str = ""
    kind: str = "faq"
    agency: str = ""
    aliases: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    sections: tuple[Section, ...] = ()
    qas: tuple[tuple[str, str], ...] = ()
    sources: tuple[Source, ...] = ()
    updated: str = ""
    path: str = ""
    review_by: str = ""  # a date from which a time-limited fact (a fee cut's end) is no longer known to hold
    review_note: str = ""  # what to re-check then, in words a citizen can read
    # Messages that are only one of these phrases (`tạm trú`, `cccd`) get this page first: the base
    # procedure of a topic its variants share (faq.search.Searcher.bare_topic).
    bare_topics: tuple[str, ...] = ()
    # Labelled citizen messages this page answers (`corpus/examples/`, faq.examples): they rank the page
    # as more sample questions do; they neither decide whether to answer nor are shown.
    examples: tuple[str, ...] = ()
    # (when, page id): the case a citizen sent here has and this page does not, and the page that
    # answers it (`hàng xóm đánh` on the domestic-violence page -> the crime-report page). Shown under
    # the answer, never indexed: its words describe the other page and would pull its messages here.
    see_instead: tuple[tuple[str, str], ...] = ()
    # Words a message about this page names at least one of (`xe`, `ô tô`, `cà vẹt` for a vehicle's
    # transfer): the thing the page is about. A message that names none, answered with this page, is
    # answered with less confidence (SearchConfig.anchor_penalty): `sang tên sổ hồng`, `chủ trọ giữ cọc`
    # share a page's verbs, not its object. Never read by the ranking. Empty: no such check.
    anchors: tuple[str, ...] = ()

    def review_due(self, today: dt.date | None = None) -> bool:
        """Whether the page's `review_by` date has come: its time-limited fact may have lapsed unchecked."""
        return bool(self.review_by) and (today or dt.date.today()).isoformat() >= self.review_by

    def review_in(self, today: dt.date | None = None) -> int | None:
        """Days until the page's `review_by` date (0 or less once it has come), None without one."""
        if not self.review_by:
            return None
        return (dt.date.fromisoformat(self.review_by) - (today or dt.date.today())).days

    def section(self, heading: str) -> str:
        """Text of the named section, or '' when the document has none."""
        return next((s.text for s in self.sections if s.heading == heading), "")

    @property
    def label(self) -> str:
        """What to show as the title: the title, else (an untitled FAQ row) its question or its answer's
        opening. Neither is indexed again as a title: that would count the same words twice (measured:
        a FAQ table with questions ranked 3 points worse when its questions doubled as titles)."""
        if self.title or not (self.questions or self.sections):
            return self.title
        text = " ".join((self.questions[0] if self.questions else self.sections[0].text).split())
        return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class Problem:
    """A validation finding. `blocking` problems stop an index build; others only fail `corpus check`."""

    path: str
    line: int
    message: str
    blocking: bool = True

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class _Parsed:
    doc: Document | None
    problems: list[Problem] = field(default_factory=list)


# ---------------------------------------------------------------- procedure files


def _read_text(path: Path, problems: list[Problem]) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(str(path), 1, f"cannot read: {exc.strerror}"))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        problems.append(Problem(str(path), line, "not UTF-8 text; save the file with UTF-8 encoding"))
        return None
    if not text.strip():
        problems.append(Problem(str(path), 1, "empty file"))
        return None
    return text.replace("\r\n", "\n")


def _split_front_matter(text: str, path: str, problems: list[Problem]) -> tuple[str, str, int] | None:
    """(header, body, first body line number) or None with a problem recorded."""
    lines = text.split("\n")
    if lines[0].strip() != "+++":
        problems.append(Problem(path, 1, "the file must start with a `+++` line opening the header"))
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() == "+++":
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    problems.append(Problem(path, 1, "the header opened by `+++` is never closed by a second `+++` line"))
    return None


def _key_line(header: str, key: str) -> int:
    """Line (in the file) where `key =` appears in the header, else the header's first line."""
    for i, line in enumerate(header.split("\n"), start=2):
        if re.match(rf"\s*{re.escape(key)}\s*=", line):
            return i
    return 1


def _str_list(value: object) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return value
    return None


def _parse_body(body: str, first_line: int) -> tuple[list[Section], list[tuple[str, str, int]]]:
    """Sections (`## `) and Q&A entries (`### ` inside `## Hỏi đáp`) with their line numbers."""
    sections: list[tuple[str, int, list[str]]] = []
    for offset, line in enumerate(body.split("\n")):
        heading = re.match(r"^##\s+(?!#)(.+?)\s*$", line)
        if heading:
            sections.append((heading.group(1), first_line + offset, []))
        elif sections:
            sections[-1][2].append(line)
    out, qas = [], []
    for heading, line, content in sections:
        if heading == QA_HEADING:
            current: list = []
            for j, text in enumerate(content, start=1):
                q = re.match(r"^###\s+(.+?)\s*$", text)
                if q:
                    current = [q.group(1), [], line + j]
                    qas.append(current)
                elif current:
                    current[1].append(text)
            qas_text = "\n".join(f"{q}\n" + "\n".join(a) for q, a, _ in qas)
            out.append(Section(heading, qas_text.strip(), line))
        else:
            out.append(Section(heading, "\n".join(content).strip(), line))
    return out, [(q, "\n".join(a).strip(), ln) for q, a, ln in qas]


def parse_procedure(path: Path, today: dt.date | None = None) -> _Parsed:
    """Parse and validate one procedure file. Never raises on bad content: problems are returned."""
    today = today or dt.date.today()
    p = str(path)
    problems: list[Problem] = []
    text = _read_text(path, problems)
    if text is None:
        return _Parsed(None, problems)
    split = _split_front_matter(text, p, problems)
    if split is None:
        return _Parsed(None, problems)
    header_text, body, body_line = split
    try:
        header = tomllib.loads(header_text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) + 1 if m else 1
        problems.append(Problem(p, line, f"header is not valid TOML: {str(exc).split(' (at')[0]}"))
        return _Parsed(None, problems)
    except (ValueError, RecursionError):  # tomllib lets these through: an integer over 4300 digits, `[[[[…`
        problems.append(Problem(p, 2, "header is not valid TOML: a number too long or values nested too deeply"))
        return _Parsed(None, problems)

    def bad(key: str, message: str, blocking: bool = True) -> None:
        problems.append(Problem(p, _key_line(header_text, key), message, blocking))

    for key in REQUIRED_FIELDS:
        if key not in header or header[key] in ("", [], None):
            problems.append(Problem(p, 1, f"required field `{key}` is missing or empty"))
    for key in header:
        if key not in REQUIRED_FIELDS and key not in OPTIONAL_FIELDS:
            bad(key, f"unknown field `{key}`; the fields are: {', '.join(REQUIRED_FIELDS + OPTIONAL_FIELDS)}")
    for key in ("id", "title", "category", "kind", "agency"):
        if key in header and not isinstance(header[key], str):
            bad(key, f"`{key}` must be a string")
    doc_id = header.get("id") if isinstance(header.get("id"), str) else ""
    if doc_id and not ID_PATTERN.match(doc_id):
        bad("id", f"id `{doc_id}` must be lower-case ASCII words joined by `-`")
    if doc_id and doc_id != path.stem:
        bad("id", f"id `{doc_id}` differs from the file name `{path.name}`; rename one of them")
    category = header.get("category") if isinstance(header.get("category"), str) else ""  # else reported above
    if category and category not in CATEGORIES:
        bad("category", f"unknown category `{category}`; use one of: {', '.join(CATEGORIES)}")
    kind = header.get("kind") if isinstance(header.get("kind"), str) else None  # a list is unhashable
    if kind and kind not in REQUIRED_SECTIONS:
        bad("kind", f"unknown kind `{kind}`; use one of: {', '.join(REQUIRED_SECTIONS)}")
    aliases = _str_list(header.get("aliases", []))
    if aliases is None:
        bad("aliases", "`aliases` must be a list of strings")
    questions = _str_list(header.get("questions", []))
    if questions is None:
        bad("questions", "`questions` must be a list of strings")
    elif 0 < len(questions) < MIN_QUESTIONS:
        bad("questions", f"{len(questions)} questions; at least {MIN_QUESTIONS} are required")
    elif questions:
        seen: set[str] = set()
        for q in questions:
            if not q.strip():
                bad("questions", "a question is empty")
            elif q.strip().lower() in seen:
                bad("questions", f"question repeated: {q!r}")
            seen.add(q.strip().lower())
    bare_topics = _parse_bare_topics(header.get("bare_topics", []), lambda m: bad("bare_topics", m))
    sources = _parse_sources(header.get("sources", []), lambda m: bad("sources", m))
    updated = header.get("updated")
    if "updated" in header:
        if not isinstance(updated, dt.date) or isinstance(updated, dt.datetime):
            bad("updated", "`updated` must be a date written YYYY-MM-DD without quotes")
            updated = None
        elif updated > today:
            bad("updated", f"`updated` {updated} is in the future")
        elif (today - updated).days > MAX_AGE_DAYS:
            bad("updated", f"facts last checked {updated}, over 12 months ago: re-check them", blocking=False)
    review_by, review_note = _parse_review(header, updated, today, bad)
    see_instead = _parse_see_instead(header.get("see_instead", []), doc_id, lambda m: bad("see_instead", m))
    anchors = _parse_anchors(header.get("anchors", []), lambda m: bad("anchors", m))

    sections, qas = _parse_body(body, body_line)
    _check_sections(p, kind if kind in REQUIRED_SECTIONS else None, sections, qas, problems)
    if any(pr.blocking for pr in problems):
        return _Parsed(None, problems)
    doc = Document(
        id=doc_id,
        title=header["title"].strip(),
        category=header["category"],
        kind=kind,
        agency=header["agency"].strip(),
        aliases=tuple(a.strip() for a in aliases or [] if a.strip()),
        questions=tuple(q.strip() for q in questions or []),
        sections=tuple(sections),
        qas=tuple((q, a) for q, a, _ in qas),
        sources=tuple(sources),
        updated=updated.isoformat() if updated else "",
        path=p,
        review_by=review_by,
        review_note=review_note,
        bare_topics=tuple(bare_topics),
        see_instead=tuple(see_instead),
        anchors=tuple(anchors),
    )
    return _Parsed(doc, problems)


def bare_topic_key(phrase: str) -> str:
    """How two bare topics are compared: without diacritics, case or extra spaces (`Tạm trú` = `tam tru`),
    as the diacritic-free channel would read them."""
    return " ".join(fold(normalize(phrase)).lower().split())


def _parse_anchors(value: object, bad) -> list[str]:
    """A page's anchors (`Document.anchors`): phrases, none empty, none twice (`bằng` and `băng` are two:
    a one-syllable anchor with diacritics is matched as written or typed without any)."""
    return _phrase_list(value, bad, "anchors", "anchor", lambda p: " ".join(normalize(p).split()))


def _parse_bare_topics(value: object, bad) -> list[str]:
    return _phrase_list(value, bad, "bare_topics", "bare topic", bare_topic_key, MAX_BARE_TOPIC_WORDS)


def _phrase_list(
    value: object, bad, name: str, noun: str, key: Callable[[str], str], max_words: int | None = None
) -> list[str]:
    """A front-matter list of phrases, each reported by `bad` when empty, over `max_words` words or a
    repeat of an earlier one under `key` (how the engine will compare them), so a page's author sees
    every problem at once."""
    phrases = _str_list(value)
    if phrases is None:
        bad(f"`{name}` must be a list of strings")
        return []
    article = "an" if noun[0] in "aeiou" else "a"
    out, seen = [], set()
    for phrase in phrases:
        k = key(phrase)
        if not k:
            bad(f"{article} {noun} is empty")
        elif max_words is not None and len(k.split()) > max_words:
            bad(f"{noun} {phrase!r} has over {max_words} words; a {noun} names only the topic")
        elif k in seen:
            bad(f"{noun} repeated: {phrase!r}")
        else:
            seen.add(k)
            out.append(" ".join(phrase.split()))
    return out


def _parse_review(header: dict, updated: object, today: dt.date, bad) -> tuple[str, str]:
    """`review_by` and `review_note`, both or neither: a fact that lapses on a known date (a fee cut, a
    transition period) is flagged by `corpus check` from that date and shown to citizens as unchecked."""
    by, note = header.get("review_by"), header.get("review_note")
    if by is None and note is None:
        return "", ""
    if by is None:
        bad("review_note", "`review_note` without `review_by`: add the date the fact must be re-checked by")
        return "", ""
    if not isinstance(by, dt.date) or isinstance(by, dt.datetime):
        bad("review_by", "`review_by` must be a date written YYYY-MM-DD without quotes")
        return "", ""
    if not isinstance(note, str) or not note.strip():
        bad("review_by", "`review_by` needs a `review_note` saying what to re-check")
        return "", ""
    if isinstance(updated, dt.date) and by <= updated:
        bad("review_by", f"`review_by` {by} is not after `updated` {updated}: move it or remove it", blocking=False)
    elif by <= today:
        bad(
            "review_by",
            f"review date {by} has come ({' '.join(note.split())}): re-check it, then move or remove the date",
            blocking=False,
        )
    return by.isoformat(), " ".join(note.split())


def _parse_see_instead(value: object, own_id: str, bad) -> list[tuple[str, str]]:
    """`{ when = "…", page = "<id>" }` entries; that each page exists is checked across the corpus
    (`_cross_checks`), once every file is read."""
    layout = '`see_instead` must be a list of { when = "…", page = "<id>" } entries'
    if not isinstance(value, list):
        bad(layout)
        return []
    if len(value) > MAX_SEE_INSTEAD:
        bad(f"{len(value)} `see_instead` entries; at most {MAX_SEE_INSTEAD}, the cases citizens most often confuse")
    out: list[tuple[str, str]] = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, dict) or set(item) != {"when", "page"}:
            bad(f'see_instead {i}: an entry is {{ when = "…", page = "<id>" }}, both and nothing else')
            continue
        when, page = item["when"], item["page"]
        if not isinstance(when, str) or not when.strip():
            bad(f"see_instead {i}: `when` must say, in words a citizen can read, which case the other page is for")
        elif not isinstance(page, str) or not ID_PATTERN.match(page):
            bad(f"see_instead {i}: `page` must be a page id (lower-case ASCII words joined by `-`)")
        elif page == own_id:
            bad(f"see_instead {i}: `page` is this page itself")
        elif any(p == page for _, p in out):
            bad(f"see_instead {i}: `{page}` is already pointed to; say both cases in one `when`")
        else:
            out.append((" ".join(when.split()), page))
    return out


def _parse_sources(value: object, bad) -> list[Source]:
    if not isinstance(value, list):
        bad("`sources` must be a list of { url = ..., title = ..., date = ... } entries")
        return []
    out = []
    for i, item in enumerate(value, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            bad(f"source {i} needs at least `url` (and `title`)")
            continue
        url = item["url"].strip()
        if not re.match(r"^https?://\S+$", url):
            bad(f"source {i}: `{url}` is not an http(s) address")
            continue
        out.append(Source(url, str(item.get("title", "")).strip(), str(item.get("date", "")).strip()))
    return out


def _check_sections(path: str, kind: str | None, sections: list[Section], qas, problems: list[Problem]) -> None:
    headings = [s.heading for s in sections]
    for s in sections:
        if not s.text:
            problems.append(Problem(path, s.line, f"section `## {s.heading}` is empty"))
    seen: set[str] = set()
    for s in sections:
        if s.heading in seen:
            problems.append(Problem(path, s.line, f"section `## {s.heading}` appears twice"))
        seen.add(s.heading)
    if kind:
        for required in REQUIRED_SECTIONS[kind]:
            if required not in headings:
                problems.append(Problem(path, 1, f"required section `## {required}` is missing (kind {kind})"))
    if QA_HEADING in headings:
        if len(qas) < MIN_QAS:
            line = next(s.line for s in sections if s.heading == QA_HEADING)
            problems.append(Problem(path, line, f"{len(qas)} Q&A entries under `## {QA_HEADING}`; at least {MIN_QAS}"))
        for q, a, line in qas:
            if not a:
                problems.append(Problem(path, line, f"Q&A entry `### {q}` has no answer"))


# ---------------------------------------------------------------- generic FAQ files


def id_text(value: object) -> str | None:
    """An id as a FAQ row or an eval label may write it: text as it is, a whole number as its digits
    (public collections often number their rows, `"id": 17`); None for anything else."""
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else None


def _faq_record(row: dict, path: str, line: int, problems: list[Problem]) -> Document | None:
    def text(key: str) -> str:
        value = row.get(key)
        return value.strip() if isinstance(value, str) else ""

    raw_id = row.get("id")
    doc_id = (id_text(raw_id) or "").strip()
    question, answer = text("question"), text("answer")
    if raw_id is not None and id_text(raw_id) is None:
        problems.append(Problem(path, line, "`id` must be text or a whole number"))
    elif not doc_id:
        problems.append(Problem(path, line, "missing `id`"))
    if not answer:
        problems.append(Problem(path, line, "missing `answer` (every entry needs an answer)"))
    if "question" in row and row["question"] is not None and not isinstance(row["question"], str):
        problems.append(Problem(path, line, "`question` must be text"))
    if not doc_id or not answer:
        return None

    def texts(key: str) -> tuple[str, ...]:
        value = row.get(key) or []
        if isinstance(value, str):
            value = value.split("|")
        elif not isinstance(value, list):
            problems.append(Problem(path, line, f"`{key}` must be a list of texts (`|`-separated in CSV)"))
            value = []
        return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())

    # `questions`: more ways citizens ask it (a chatbot's example utterances); each one is matched on its own
    questions = tuple(dict.fromkeys(((question,) if question else ()) + texts("questions")))
    title = text("title")  # none given: shown by its question or answer (Document.label), indexed as neither
    return Document(
        id=doc_id,
        title=title,
        category=text("category"),
        kind="faq",
        aliases=texts("aliases"),
        questions=questions,
        sections=(Section("Trả lời", answer, line),),
        path=path,
        bare_topics=tuple(
            _parse_bare_topics(list(texts("bare_topics")), lambda m: problems.append(Problem(path, line, m)))
        ),
    )


def parse_faq_file(path: Path) -> tuple[list[Document], list[Problem]]:
    """Read a `.jsonl`, `.json` (one array of objects) or `.csv` FAQ table: columns id, question, answer
    (+ title, category, aliases, questions, bare_topics)."""
    p = str(path)
    problems: list[Problem] = []
    raw = _read_text(path, problems)
    if raw is None:
        return [], problems
    docs: list[Document] = []
    if path.suffix.lower() == ".jsonl":
        for number, line in enumerate(raw.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(Problem(p, number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
                continue
            except (ValueError, RecursionError):  # a number over 4300 digits, arrays nested ~1000 deep
                problems.append(Problem(p, number, _JSON_TOO_DEEP))
                continue
            doc = _faq_object(row, p, number, problems, "line")
            if doc:
                docs.append(doc)
    elif path.suffix.lower() == ".json":
        docs = _json_array_records(raw, p, problems)
    else:
        docs = _csv_records(raw, p, problems)
    return docs, problems


def _faq_object(row: object, path: str, line: int, problems: list[Problem], unit: str) -> Document | None:
    """One decoded JSON value of a `.jsonl` line or a `.json` array entry (`unit` names which) as a FAQ
    row, or None with its problem noted."""
    if not isinstance(row, dict):
        problems.append(Problem(path, line, f"each {unit} must be a JSON object"))
        return None
    return _faq_record(row, path, line, problems)


def _json_array_records(raw: str, path: str, problems: list[Problem]) -> list[Document]:
    """Entries of a `.json` file holding one array of objects, the shape many public question-answer
    collections ship in. Each object is decoded where it starts, so a problem names the line it starts
    on, as in the other formats; the first syntax error ends the reading (nothing after it is trusted)."""
    decoder = json.JSONDecoder()
    lines = _LineCounter(raw)
    at = _skip_space(raw, 0)
    if not raw.startswith("[", at):
        problems.append(Problem(path, lines.of(at), "a .json FAQ file must hold one array of objects: [{...}, ...]"))
        return []
    docs: list[Document] = []
    at = _skip_space(raw, at + 1)
    closed = raw.startswith("]", at)
    at += closed
    while not closed:
        if at >= len(raw):
            problems.append(Problem(path, lines.of(at), "not valid JSON (the array is never closed with `]`)"))
            return docs
        try:
            row, end = decoder.raw_decode(raw, at)
        except json.JSONDecodeError as exc:
            problems.append(Problem(path, lines.of(exc.pos), f"not valid JSON ({exc.msg})"))
            return docs
        except (ValueError, RecursionError):  # a number over 4300 digits, arrays nested ~1000 deep
            problems.append(Problem(path, lines.of(at), _JSON_TOO_DEEP))
            return docs
        doc = _faq_object(row, path, lines.of(at), problems, "entry of the array")
        if doc:
            docs.append(doc)
        at = _skip_space(raw, end)
        if raw.startswith(",", at):
            at = _skip_space(raw, at + 1)
        elif raw.startswith("]", at):
            at, closed = at + 1, True
        else:
            problems.append(Problem(path, lines.of(at), "not valid JSON (expected `,` or `]` after an entry)"))
            return docs
    if _skip_space(raw, at) < len(raw):
        problems.append(Problem(path, lines.of(_skip_space(raw, at)), "not valid JSON (text after the array)"))
    return docs


def _skip_space(text: str, at: int) -> int:
    """The offset of the next character that is not JSON whitespace (the BOM went with the decoding)."""
    return _JSON_SPACE.match(text, at).end()  # `*` always matches


class _LineCounter:
    """Line numbers of offsets into one text, asked in increasing order (as a reader moves through it),
    counting each newline once."""

    def __init__(self, text: str) -> None:
        self.text, self.offset, self.line = text, 0, 1

    def of(self, at: int) -> int:
        self.line += self.text.count("\n", self.offset, at)
        self.offset = at
        return self.line


CSV_DELIMITERS = (",", ";", "\t", "|")  # `;`: what Excel writes where the decimal mark is a comma (vi-VN)
CSV_REQUIRED = ("id", "question", "answer")


def csv_delimiter(text: str, required: Sequence[str] = CSV_REQUIRED) -> str:
    """The separator of a CSV table, read off its header (the text's first line): the first of
    CSV_DELIMITERS that splits it into columns naming all of `required` (any case); a comma when none
    does (the caller's error then names what is missing)."""
    end = text.find("\n")
    header = text if end < 0 else text[:end]  # not split(): that would copy the whole table
    wanted = {r.lower() for r in required}
    for delimiter in CSV_DELIMITERS:
        try:
            columns = {c.strip().lower() for c in next(csv.reader([header], delimiter=delimiter), [])}
        except csv.Error:  # a stray carriage return: the full read reports the line
            continue
        if columns.issuperset(wanted):
            return delimiter
    return ","


def _csv_records(raw: str, path: str, problems: list[Problem]) -> list[Document]:
    """Rows of a CSV table. A plain csv.reader, so blank lines are skipped but counted in line numbers."""
    reader = csv.reader(io.StringIO(raw, newline=""), delimiter=csv_delimiter(raw))
    docs: list[Document] = []
    start = 1
    try:
        columns = [c.strip().lower() for c in next(reader, [])]
        missing = [c for c in CSV_REQUIRED if c not in columns]
        if missing:
            problems.append(
                Problem(
                    path,
                    1,
                    f"missing column(s) {', '.join(missing)}; the header needs id,question,answer "
                    "(separated by commas, semicolons, tabs or |)",
                )
            )
            return []
        start = reader.line_num + 1
        for values in reader:
            if values:
                if len(values) > len(columns):
                    problems.append(Problem(path, start, "more fields than the header has columns"))
                doc = _faq_record(dict(zip(columns, values, strict=False)), path, start, problems)
                if doc:
                    docs.append(doc)
            start = reader.line_num + 1
    except csv.Error as exc:  # a field over 128 KB: usually a quote opened here and never closed
        problems.append(Problem(path, start, f"not valid CSV ({exc}); is a quote left open here?"))
    return docs


# ---------------------------------------------------------------- whole corpus


def procedure_files(corpus: Path) -> list[Path]:
    """The procedure files of a corpus directory (its `procedures/` folder when there is one)."""
    folder = corpus / "procedures" if (corpus / "procedures").is_dir() else corpus
    return sorted(folder.glob("*.md"))


def check_corpus(corpus: Path, today: dt.date | None = None) -> tuple[list[Document], list[Problem]]:
    """Parse everything, collecting every problem (also cross-document ones: duplicate ids and questions)."""
    if not corpus.exists():
        return [], [Problem(str(corpus), 0, "no such file or directory")]
    if corpus.is_file():
        if corpus.suffix.lower() not in FAQ_SUFFIXES:
            return [], [Problem(str(corpus), 0, f"a corpus file must be {FAQ_FORMATS} (or give a directory)")]
        docs, problems = parse_faq_file(corpus)
    else:
        files = procedure_files(corpus)
        if not files:
            return [], [Problem(str(corpus), 0, "no procedure files (*.md) found")]
        docs, problems = [], []
        for path in files:
            parsed = parse_procedure(path, today)
            problems.extend(parsed.problems)
            if parsed.doc:
                docs.append(parsed.doc)
        examples, found = read_examples(example_files(corpus), {d.id for d in docs})
        problems.extend(Problem(path, line, message) for path, line, message in found)
        docs = with_examples(docs, examples)
    problems.extend(_cross_checks(docs))
    return docs, problems


def reviews_ahead(docs: Iterable[Document], today: dt.date | None = None, days: int = REVIEW_NOTICE_DAYS) -> list[str]:
    """Pages whose review date comes within `days` (not yet come: that is a problem already), soonest
    first: on that date `corpus check`, so CI, starts failing until someone re-checks the fact, so the
    maintainer is told while there is time to find a newer source."""
    ahead = [(d.review_in(today), d) for d in docs]
    due = sorted((n, d.path, d) for n, d in ahead if n is not None and 0 < n <= days)
    return [
        f"{path}: review date {d.review_by} in {n} day{'s' if n != 1 else ''} ({d.review_note}): "
        "re-check it before then, or `corpus check` fails from that day"
        for n, path, d in due
    ]


def _cross_checks(docs: Iterable[Document]) -> list[Problem]:
    problems, ids, questions, bare = [], {}, {}, {}
    docs = list(docs)
    known = {d.id for d in docs}
    for doc in docs:
        # A FAQ row is pointed at by its own line (kept in its answer section); a procedure by its file.
        line = doc.sections[0].line if doc.kind == "faq" and doc.sections else 1
        if doc.id in ids:
            problems.append(Problem(doc.path, line, f"duplicate id `{doc.id}` (also in {ids[doc.id]})"))
        ids.setdefault(doc.id, f"{doc.path}:{line}" if doc.kind == "faq" else doc.path)
        for phrase in doc.bare_topics:  # one message, one page: two pages cannot both come first
            other = bare.setdefault(bare_topic_key(phrase), doc.id)
            if other != doc.id:
                problems.append(
                    Problem(doc.path, line, f"bare topic {phrase!r} also belongs to `{other}`; keep it in one")
                )
        if doc.kind == "faq":
            continue
        for _, page in doc.see_instead:
            if page not in known:
                problems.append(Problem(doc.path, 1, f"see_instead points to `{page}`, which is no page of the corpus"))
        for q in doc.questions:
            key = " ".join(q.lower().split())
            other = questions.get(key)
            if other and other != doc.id:
                problems.append(Problem(doc.path, 1, f"question {q!r} also belongs to `{other}`; keep it in one"))
            questions.setdefault(key, doc.id)
    return problems


def load_corpus(corpus: Path, today: dt.date | None = None) -> list[Document]:
    """Documents ready to index; raises CorpusError listing every blocking problem."""
    return read_corpus(corpus, today)[0]


def read_corpus(corpus: Path, today: dt.date | None = None) -> tuple[list[Document], list[Problem]]:
    """`load_corpus`, and the problems that do not stop a build (facts past their review date, checked
    over a year ago): a build reports them, so a maintainer hears of them before CI does."""
    docs, problems = check_corpus(corpus, today)
    blocking = [str(p) for p in problems if p.blocking]
    if blocking:
        raise CorpusError(f"{len(blocking)} problem(s) in the corpus {corpus}; run `faq corpus check`", blocking)
    return sorted(docs, key=lambda d: d.id), [p for p in problems if not p.blocking]


def fingerprint(paths: Iterable[Path], root: Path | None = None) -> str:
    """sha256 over the names and bytes of the given files: any edit, addition or removal changes it."""
    digest = hashlib.sha256()
    for path in sorted(set(paths)):
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else path.name
        digest.update(name.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest() if path.exists() else b"<missing>")
    return digest.hexdigest()
