import csv
import datetime as dt
import io
import json
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from faq.corpus import check_corpus, csv_delimiter, load_corpus, parse_faq_file, reviews_ahead
from faq.errors import CorpusError

DATA = Path(__file__).parent / "data"
GOOD = DATA / "corpus" / "procedures" / "tam-tru.md"
TODAY = dt.date(2026, 11, 28)


def variant(tmp_path: Path, edit, name: str = "tam-tru.md") -> list[str]:
    """Check a corpus made of the good fixture document with one edit applied."""
    folder = tmp_path / "procedures"
    folder.mkdir(exist_ok=True)
    text = GOOD.read_text("utf-8")
    (folder / name).write_text(edit(text), "utf-8")
    _, problems = check_corpus(tmp_path, today=TODAY)
    return [str(p) for p in problems]


def test_fixture_documents_are_valid() -> None:
    docs, problems = check_corpus(DATA / "corpus", today=TODAY)
    assert problems == []
    assert [d.id for d in sorted(docs, key=lambda d: d.id)] == [
        "cap-lai-can-cuoc",
        "gia-danh-cong-an",
        "ho-chieu",
        "tam-tru",
    ]
    doc = next(d for d in docs if d.id == "tam-tru")
    assert doc.section("Lệ phí").startswith("15.000")
    assert len(doc.qas) == 4 and doc.qas[0][0] == "Có làm online được không?"
    assert doc.sources[0].url.startswith("https://")


RULES = [
    ("missing field", lambda t: t.replace('agency = "Công an cấp xã nơi đến ở"\n', ""), "required field `agency`"),
    ("bad id", lambda t: t.replace('id = "tam-tru"', 'id = "Tam Tru"'), "lower-case ASCII"),
    ("id differs from file", lambda t: t.replace('id = "tam-tru"', 'id = "tam-tru-2"'), "differs from the file name"),
    ("few questions", lambda t: re.sub(r'  "thuê trọ.*\n  "làm tạm trú ở đâu",\n', "", t), "at least 8"),
    ("few Q&A", lambda t: t.split("### Tạm trú có thời hạn")[0], "at least 4"),
    ("no sources", lambda t: re.sub(r"sources = \[.*\]\n", "sources = []\n", t), "required field `sources`"),
    ("source not a URL", lambda t: t.replace("https://dichvucong.gov.vn/example-tam-tru", "dichvucong"), "not an http"),
    ("old update", lambda t: t.replace("updated = 2026-11-01", "updated = 2025-01-01"), "over 12 months"),
    ("future update", lambda t: t.replace("updated = 2026-11-01", "updated = 2027-01-01"), "in the future"),
    ("unknown field", lambda t: t.replace("updated = ", "review-by = 2027-01-01\nupdated = "), "unknown field"),
    ("note without date", lambda t: t.replace("updated = ", 'review_note = "x"\nupdated = '), "without `review_by`"),
    ("date without note", lambda t: t.replace("updated = ", "review_by = 2027-01-01\nupdated = "), "needs a"),
    ("quoted review", lambda t: t.replace("updated = ", 'review_by = "2027-01-01"\nupdated = '), "must be a date"),
    (
        "review date come",
        lambda t: t.replace("updated = ", 'review_by = 2026-11-20\nreview_note = "mức giảm"\nupdated = ').replace(
            "updated = 2026-11-01", "updated = 2026-11-10"
        ),
        "review date 2026-11-20 has come (mức giảm): re-check",
    ),
    ("quoted date", lambda t: t.replace("updated = 2026-11-01", 'updated = "2026-11-01"'), "must be a date"),
    ("empty section", lambda t: t.replace("Trong 03 ngày làm việc.\n\n## Nơi", "\n## Nơi"), "is empty"),
    ("missing section", lambda t: t.replace("## Lệ phí\n", "## Phí\n"), "`## Lệ phí` is missing"),
    ("unknown category", lambda t: t.replace('category = "cu-tru"', 'category = "khac"'), "unknown category"),
    ("bad TOML", lambda t: t.replace('title = "Đăng ký tạm trú"', "title = Đăng ký"), "not valid TOML"),
    ("no front matter", lambda t: t.replace("+++\n", "", 1), "must start with a `+++`"),
    ("unclosed header", lambda t: t.replace("+++\n\n## Tóm tắt", "\n## Tóm tắt"), "never closed"),
    ("answerless Q&A", lambda t: t.replace("Tối đa 02 năm, có thể gia hạn.", ""), "has no answer"),
    ("repeated question", lambda t: t.replace('"làm tạm trú ở đâu"', '"Đăng ký tạm trú cần giấy tờ gì?"'), "repeated"),
    (
        "bare topics not a list",
        lambda t: t.replace('bare_topics = ["kt3"]', 'bare_topics = "tạm trú"'),
        "list of strings",
    ),
    ("empty bare topic", lambda t: t.replace('["kt3"]', '["tạm trú", " "]'), "is empty"),
    (
        "long bare topic",
        lambda t: t.replace('["kt3"]', '["đăng ký tạm trú cho người thuê trọ ở xa"]'),
        "over 6 words",
    ),
    (
        "repeated bare topic",  # the same once diacritics and case are set aside
        lambda t: t.replace('["kt3"]', '["tạm trú", "Tam tru"]'),
        "bare topic repeated",
    ),
    ("anchors not a list", lambda t: t.replace("updated = ", 'anchors = "xe"\nupdated = '), "`anchors` must be a list"),
    ("anchor empty", lambda t: t.replace("updated = ", 'anchors = ["xe", " "]\nupdated = '), "an anchor is empty"),
    ("anchor repeated", lambda t: t.replace("updated = ", 'anchors = ["Xe", "xe"]\nupdated = '), "anchor repeated"),
    ("pointer not a list", lambda t: t.replace("updated = ", 'see_instead = "ho-chieu"\nupdated = '), "list of {"),
    (
        "pointer without its case",
        lambda t: t.replace("updated = ", 'see_instead = [{ page = "ho-chieu" }]\nupdated = '),
        "see_instead 1: an entry is {",
    ),
    (
        "pointer with an empty case",
        lambda t: t.replace("updated = ", 'see_instead = [{ when = " ", page = "ho-chieu" }]\nupdated = '),
        "`when` must say",
    ),
    (
        "pointer to no id",
        lambda t: t.replace("updated = ", 'see_instead = [{ when = "đi nước ngoài", page = "Hộ chiếu" }]\nupdated = '),
        "must be a page id",
    ),
    (
        "pointer to itself",
        lambda t: t.replace("updated = ", 'see_instead = [{ when = "đi nước ngoài", page = "tam-tru" }]\nupdated = '),
        "this page itself",
    ),
    (
        "pointer to a missing page",
        lambda t: t.replace("updated = ", 'see_instead = [{ when = "đi nước ngoài", page = "ho-chieu" }]\nupdated = '),
        "points to `ho-chieu`, which is no page of the corpus",
    ),
    (
        "too many pointers",
        lambda t: t.replace(
            "updated = ",
            "see_instead = ["
            + ", ".join(f'{{ when = "trường hợp {i}", page = "trang-{i}" }}' for i in range(5))
            + "]\nupdated = ",
        ),
        "5 `see_instead` entries; at most 4",
    ),
]


@pytest.mark.parametrize(("name", "edit", "message"), RULES, ids=[r[0] for r in RULES])
def test_each_rule_rejects_a_broken_document(tmp_path: Path, name: str, edit, message: str) -> None:
    problems = variant(tmp_path, edit)
    assert any(message in p for p in problems), problems
    assert all(re.match(r"^.+\.md:\d+: ", p) for p in problems)


def test_problem_lines_point_at_the_field(tmp_path: Path) -> None:
    problems = variant(tmp_path, lambda t: t.replace('category = "cu-tru"', 'category = "khac"'))
    assert problems[0].split(":")[1] == "4"  # line 4: `category = ...`


def test_empty_and_non_utf8_files(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    folder.mkdir()
    (folder / "a.md").write_text("", "utf-8")
    (folder / "b.md").write_bytes(b'+++\nid = "b"\n\xff\xfe\n+++\n')
    _, problems = check_corpus(tmp_path, today=TODAY)
    text = [str(p) for p in problems]
    assert any("a.md:1: empty file" in p for p in text)
    assert any("b.md:3: not UTF-8" in p for p in text)


def test_a_pointer_is_read_with_its_case_and_page_when_the_page_exists(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    shutil.copytree(DATA / "corpus" / "procedures", folder)
    page = folder / "tam-tru.md"
    pointer = 'see_instead = [{ when = "sắp đi  nước ngoài", page = "ho-chieu" }]\n'
    page.write_text(page.read_text("utf-8").replace("updated = ", pointer + "updated = ", 1), "utf-8")
    docs, problems = check_corpus(tmp_path, today=TODAY)
    assert problems == []
    assert next(d for d in docs if d.id == "tam-tru").see_instead == (("sắp đi nước ngoài", "ho-chieu"),)
    assert all(d.see_instead == () for d in docs if d.id != "tam-tru")


def test_duplicate_ids_and_shared_questions_across_files(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    folder.mkdir()
    shutil.copy(GOOD, folder / "tam-tru.md")
    (folder / "other.md").write_text(GOOD.read_text("utf-8").replace('id = "tam-tru"', 'id = "other"'), "utf-8")
    _, problems = check_corpus(tmp_path, today=TODAY)
    assert any("also belongs to `other`" in str(p) and "tam-tru.md" in str(p) for p in problems)


def test_a_bare_topic_belongs_to_one_page(tmp_path: Path) -> None:
    """A message that is only `tạm trú` can put one page first, not two: the second claim is named."""
    folder = tmp_path / "procedures"
    folder.mkdir()
    listed = GOOD.read_text("utf-8").replace('["kt3"]', '["tạm trú"]')
    (folder / "tam-tru.md").write_text(listed, "utf-8")
    other = listed.replace('id = "tam-tru"', 'id = "other"').replace('["tạm trú"]', '["TẠM TRÚ"]')
    (folder / "other.md").write_text(other, "utf-8")
    docs, problems = check_corpus(tmp_path, today=TODAY)
    assert any("tam-tru.md:1: bare topic 'tạm trú' also belongs to `other`" in str(p) for p in problems), problems
    assert {d.id: d.bare_topics for d in docs} == {"other": ("TẠM TRÚ",), "tam-tru": ("tạm trú",)}


def test_load_corpus_raises_listing_every_blocking_problem(tmp_path: Path) -> None:
    folder = tmp_path / "procedures"
    folder.mkdir()
    (folder / "x.md").write_text("no header", "utf-8")
    (folder / "y.md").write_text("", "utf-8")
    with pytest.raises(CorpusError) as info:
        load_corpus(tmp_path, today=TODAY)
    assert len(info.value.problems) == 2


def test_a_faq_table_lists_bare_topics_as_it_lists_aliases(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(
        "id,question,answer,bare_topics\nq1,Hỏi?,Đáp.,tạm trú|kt3\nq2,Hỏi khác?,Đáp khác.,Tam tru\n", "utf-8"
    )
    docs, problems = parse_faq_file(path)
    assert [d.bare_topics for d in docs] == [("tạm trú", "kt3"), ("Tam tru",)] and problems == []
    _, crossed = check_corpus(path, today=TODAY)
    assert [str(p) for p in crossed] == [f"{path}:3: bare topic 'Tam tru' also belongs to `q1`; keep it in one"]


def test_csv_with_bom_quoted_newlines_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    rows = (
        'id,question,answer,aliases,questions\nq1,"Hỏi\nhai dòng?","Trả lời, có dấu phẩy",a|b,Hỏi khác?| \n'
        "q2,,Chỉ có trả lời,,\n"
    )
    path.write_bytes(("\ufeff" + rows).encode())
    docs, problems = parse_faq_file(path)
    assert problems == []
    assert docs[0].questions == ("Hỏi\nhai dòng?", "Hỏi khác?") and docs[0].aliases == ("a", "b")
    assert docs[1].questions == () and docs[1].title == "" and docs[1].label == "Chỉ có trả lời"


def test_csv_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text("id,answer\nq1,x\n", "utf-8")
    _, problems = parse_faq_file(path)
    assert str(problems[0]).endswith(
        "faq.csv:1: missing column(s) question; the header needs id,question,answer "
        "(separated by commas, semicolons, tabs or |)"
    )


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_csv_separated_otherwise_is_read_by_its_header(tmp_path: Path, sep: str) -> None:
    """Excel in a Vietnamese locale saves `;`-separated CSV, other tools tabs or `|`: the header says
    which, so a comma inside an answer stays text and the columns come out the same."""
    path = tmp_path / "faq.csv"
    rows = [
        ["ID", "Question", "Answer", "aliases"],
        ["q1", "Mất xe, báo ở đâu?", 'Đến "Công an xã", mang giấy tờ', "a|b"],
    ]
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), "utf-8")
    docs, problems = parse_faq_file(path)
    assert problems == []
    assert [(d.id, d.questions, d.sections[0].text, d.aliases) for d in docs] == [
        ("q1", ("Mất xe, báo ở đâu?",), 'Đến "Công an xã", mang giấy tờ', ("a", "b"))
    ]


def test_csv_delimiter_is_a_comma_unless_another_names_the_columns() -> None:
    assert csv_delimiter("id,question,answer,note;x") == ","
    assert csv_delimiter("id;question;answer") == ";"
    assert csv_delimiter("id;cau_hoi;tra_loi") == ","  # none fits: the comma's error names what is missing
    assert csv_delimiter("id,question\ranswer") == ","  # a stray carriage return is the full read's problem
    assert csv_delimiter("id|Question|Answer_1\n1|a?|b", ("Question", "Answer_1")) == "|"  # given columns, any case
    assert csv_delimiter("id|question|answer") == "|"  # the header alone, without a newline


def test_csv_line_numbers_follow_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text('id,question,answer\nq1,"a\nb",ok\n,q,missing id\n', "utf-8")
    _, problems = parse_faq_file(path)
    assert [str(p).split(":")[1] for p in problems] == ["4"]


def test_jsonl_with_one_broken_line(tmp_path: Path) -> None:
    path = tmp_path / "faq.jsonl"
    path.write_text('{"id": "a", "question": "q", "answer": "x"}\n{broken\n[1]\n{"id": "c", "answer": ""}\n', "utf-8")
    docs, problems = parse_faq_file(path)
    assert [d.id for d in docs] == ["a"]
    assert [str(p).split(":", 2)[1] for p in problems] == ["2", "3", "4"]


def test_a_json_array_reads_as_the_same_rows_as_jsonl(tmp_path: Path) -> None:
    """Public question-answer collections often ship as one JSON array: the same rows, the same documents."""
    rows = [
        {"id": "a", "question": "Hỏi?", "answer": "Trả lời.", "aliases": ["x"], "questions": ["Hỏi khác?"]},
        {"id": "b", "answer": "Chỉ có trả lời", "category": "c"},
    ]
    lines, array = tmp_path / "faq.jsonl", tmp_path / "faq.json"
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    array.write_text("\ufeff" + json.dumps(rows, ensure_ascii=False, indent=2), "utf-8")
    from_lines, from_array = parse_faq_file(lines), parse_faq_file(array)
    assert from_array[1] == [] and from_lines[1] == []

    def same(d):  # the path and the line an answer starts on are where each file put it
        return replace(d, path="", sections=tuple(replace(x, line=0) for x in d.sections))

    assert [same(d) for d in from_array[0]] == [same(d) for d in from_lines[0]]
    assert [d.sections[0].line for d in from_array[0]] == [2, 13]  # where each object opens


def test_a_json_array_names_the_line_each_bad_entry_starts_on(tmp_path: Path) -> None:
    path = tmp_path / "faq.json"
    path.write_text(
        '[\n  {"id": "a", "answer": "x"},\n  {"id": "b"},\n  5,\n  {"id": "c",\n   "answer": ""}\n]\n', "utf-8"
    )
    docs, problems = parse_faq_file(path)
    assert [d.id for d in docs] == ["a"]
    assert [str(p).split(":", 2)[1:] for p in problems] == [
        ["3", " missing `answer` (every entry needs an answer)"],
        ["4", " each entry of the array must be a JSON object"],
        ["5", " missing `answer` (every entry needs an answer)"],
    ]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('{"id": "a", "answer": "x"}', 1, "must hold one array of objects"),
        ('[{"id": "a", "answer": "x"}\n{"id": "b", "answer": "y"}]', 2, "expected `,` or `]`"),
        ('[{"id": "a", "answer": "x"},\n', 2, "never closed"),
        ('[{"id": "a", "answer": "x"},\n{"id": "b", "answer": }]', 2, "not valid JSON"),
        ('[{"id": "a", "answer": "x"}]\n[]', 2, "text after the array"),
    ],
)
def test_a_broken_json_array_is_a_problem_with_its_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "faq.json"
    path.write_text(text, "utf-8")
    _, problems = parse_faq_file(path)
    assert len(problems) == 1 and problems[0].line == line and message in problems[0].message


def test_a_numbered_row_is_indexed_under_its_number(tmp_path: Path) -> None:
    path = tmp_path / "faq.json"
    path.write_text('[{"id": 17, "answer": "x"}, {"id": [1], "answer": "y"}, {"id": true, "answer": "z"}]', "utf-8")
    docs, problems = parse_faq_file(path)
    assert [d.id for d in docs] == ["17"]
    assert [p.message for p in problems] == ["`id` must be text or a whole number"] * 2


def test_duplicate_ids_in_a_faq_file(tmp_path: Path) -> None:
    path = tmp_path / "faq.jsonl"
    path.write_text('{"id": "a", "answer": "x"}\n{"id": "a", "answer": "y"}\n', "utf-8")
    _, problems = check_corpus(path)
    assert any("duplicate id `a`" in str(p) for p in problems)


def test_a_review_date_ahead_is_kept_and_one_before_the_last_check_is_flagged(tmp_path: Path) -> None:
    ahead = 'review_by = 2027-01-01\nreview_note = """mức  giảm\n lệ phí"""\nupdated = '
    assert variant(tmp_path, lambda t: t.replace("updated = ", ahead)) == []
    doc = load_corpus(tmp_path, today=TODAY)[0]
    assert (doc.review_by, doc.review_note) == ("2027-01-01", "mức giảm lệ phí")
    assert not doc.review_due(TODAY) and doc.review_due(dt.date(2027, 1, 1))
    before = ahead.replace("2027-01-01", "2026-10-01")
    problems = variant(tmp_path, lambda t: t.replace("updated = ", before))
    assert len(problems) == 1 and "is not after `updated` 2026-11-01" in problems[0]


@pytest.mark.parametrize(
    ("by", "named"), [("2027-01-12", True), ("2026-11-29", True), ("2027-01-13", False), ("2026-11-28", False)]
)
def test_a_review_date_within_weeks_is_named_ahead_of_time(tmp_path: Path, by: str, named: bool) -> None:
    """45 days' notice: the day after `today` and the 45th are named; the 46th not yet, and `today` itself is
    a problem (`corpus check` fails), not a notice."""
    ahead = f'review_by = {by}\nreview_note = "mức giảm lệ phí"\nupdated = 2026-10-01\n'
    variant(tmp_path, lambda t: re.sub(r"updated = .*\n", ahead, t))
    notices = reviews_ahead(load_corpus(tmp_path, today=TODAY), today=TODAY)
    assert bool(notices) == named
    if named:
        days = (dt.date.fromisoformat(by) - TODAY).days
        assert notices == [
            f"{tmp_path / 'procedures' / 'tam-tru.md'}: review date {by} in {days} day{'s' if days > 1 else ''} "
            "(mức giảm lệ phí): re-check it before then, or `corpus check` fails from that day"
        ]
