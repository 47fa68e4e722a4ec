import datetime as dt
import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import ASK_JSON_KEYS
from typer.testing import CliRunner

from cli import app
from faq.engine import Paths

runner = CliRunner()


def run(*args: str, input: str | bytes | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


def test_ask_json_contract(project: Paths) -> None:
    result = run("ask", "--json", "dang ky tam tru")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == ASK_JSON_KEYS
    assert data["query"] == "dang ky tam tru" and data["abstained"] is False and data["fraud_signs"] == []
    assert data["confidence"] == data["results"][0]["score"] and data["referrals"] == [] and data["notes"] == []
    first = data["results"][0]
    assert set(first) == {"id", "title", "score", "matched", "answer", "caution", "see_instead"}
    assert first["id"] == "tam-tru" and first["caution"] is None and first["see_instead"] == []
    scores = [r["score"] for r in data["results"]]
    assert scores == sorted(scores, reverse=True)
    assert "rebuilt" in result.stderr  # the index was missing and the user is told, on stderr


def test_ask_json_tells_a_bot_who_handles_another_agencys_question(project: Paths) -> None:
    data = json.loads(run("ask", "--json", "đăng ký kết hôn cần giấy tờ gì").stdout)
    assert data["referrals"] and data["referrals"][0]["term"] == "kết hôn"
    assert "UBND" in data["referrals"][0]["handled_by"]
    assert data["confidence"] < (data["results"][0]["score"] if data["results"] else 1.0)


SCAM = 'có số lạ nhắn: "Tam tru cua ban het han, gia han tai tamtru-online.vip, chuyển phí vào stk 0123"'


def test_ask_warns_of_a_frauds_signs_before_the_answer_and_leaves_the_ranking_alone(project: Paths) -> None:
    """A pasted scam that borrows a procedure's words ranks that procedure's page: the warnings for the
    signs it shows (fraud_signs.tsv: a web address outside the state's domains, `stk`) come first, once
    each, and a bot gets them too; without the file the same pages come in the same order."""
    data = json.loads(run("ask", "--json", SCAM).stdout)
    assert [s["sign"] for s in data["fraud_signs"]] == ["đường link lạ", "stk"]
    assert data["fraud_signs"][1]["warning"] == "Không chuyển tiền vào tài khoản cá nhân."
    shown = " ".join(run("ask", SCAM).stdout.split())
    assert "Cảnh giác lừa đảo" in shown and "Đừng bấm vào đường link lạ." in shown
    assert shown.index("Không chuyển tiền vào tài khoản cá nhân.") < shown.index(data["results"][0]["title"])
    official = json.loads(run("ask", "--json", "gia hạn tạm trú trên dichvucong.gov.vn được không").stdout)
    assert official["fraud_signs"] == []
    (project.lexicon / "fraud_signs.tsv").unlink()
    without = json.loads(run("ask", "--json", SCAM).stdout)
    assert without["fraud_signs"] == []
    assert [(r["id"], r["score"]) for r in without["results"]] == [(r["id"], r["score"]) for r in data["results"]]


def test_ask_gives_the_emergency_numbers_first_answered_or_declined_and_leaves_the_ranking_alone(
    project: Paths,
) -> None:
    """A message telling of violence (danger_signs.tsv) gets the advice before anything else, in the card
    and in `ask --json`, whether it is answered or declined; without the file every page, score and the
    decision to decline are the same."""
    told = "ổng bóp cổ tui"
    data = json.loads(run("ask", "--json", told).stdout)
    assert data["danger_signs"] == [{"sign": "bóp cổ", "advice": "Gọi ngay 113."}]
    assert data["abstained"]  # no page of the test corpus answers it: the advice still comes
    shown = " ".join(run("ask", told).stdout.split())
    assert shown.startswith("╭") and "Nếu đang nguy hiểm" in shown[:200]
    assert shown.index("Gọi ngay 113.") < shown.index("Xin lỗi, tôi chưa có thông tin chắc chắn")
    answered = " ".join(run("ask", "chồng em say rượu bóp cổ em, em sợ quá phải làm sao").stdout.split())
    assert "· điểm" in answered and answered.index("Gọi ngay 113.") < answered.index("· điểm")  # before the card
    assert json.loads(run("ask", "--json", "đăng ký tạm trú cần giấy tờ gì").stdout)["danger_signs"] == []
    (project.lexicon / "danger_signs.tsv").unlink()
    without = json.loads(run("ask", "--json", told).stdout)
    assert without["danger_signs"] == [] and without["abstained"] == data["abstained"]
    assert [(r["id"], r["score"]) for r in without["results"]] == [(r["id"], r["score"]) for r in data["results"]]


TAX = "nhà em cho sinh viên thuê trọ thì kê khai đóng thuế ở đâu"  # like the tax examples, naming no listed term


def test_ask_shows_the_example_a_question_for_another_agency_is_like(project: Paths) -> None:
    """A likeness (faq.topics) is a guess, not a phrase the citizen wrote: a declined question is shown
    the example it rests on beside who handles it, and a bot gets both (`similar_to`), not a listed term.
    Answered, the question is taken for ours, and no likeness is shown beside the answer."""
    question = TAX
    project.tuning.write_text(json.dumps({"topic_weight": 2.0}), "utf-8")
    data = json.loads(run("ask", "--json", question).stdout)
    assert data["abstained"] and data["referrals"] == []
    assert data["similar_to"]["handled_by"] == "Thuế cho thuê nhà do cơ quan thuế giải quyết."
    shown = run("ask", question).stdout
    assert "giống một việc chưa có hướng dẫn ở đây" in shown
    assert data["similar_to"]["example"] in " ".join(shown.split())
    explained = " ".join(run("ask", "--explain", question).stdout.split())
    assert "is more like another agency's example «" in explained and "than like any page (x0." in explained
    project.tuning.write_text(json.dumps({"topic_weight": 2.0, "threshold": 0.0}), "utf-8")
    data = json.loads(run("ask", "--json", question).stdout)
    assert not data["abstained"] and data["similar_to"] is None
    assert "giống một việc chưa có hướng dẫn ở đây" not in run("ask", question).stdout


def test_a_faint_likeness_is_not_shown_to_a_citizen(project: Paths) -> None:
    """`topic_shown`: an example less like the declined question than the floor is not named to the
    citizen (a few shared words pointed to the wrong agency more often than not), while confidence is
    scaled by the gap as before and `--explain` still names the example for the maintainer."""
    question = TAX
    project.tuning.write_text(json.dumps({"topic_weight": 2.0}), "utf-8")
    shown = json.loads(run("ask", "--json", question).stdout)
    project.tuning.write_text(json.dumps({"topic_weight": 2.0, "topic_shown": 0.99}), "utf-8")
    faint = json.loads(run("ask", "--json", question).stdout)
    assert shown["similar_to"] is not None and faint["similar_to"] is None
    assert faint["abstained"] and faint["confidence"] == shown["confidence"]
    assert "giống một việc chưa có hướng dẫn ở đây" not in run("ask", question).stdout
    explained = " ".join(run("ask", "--explain", question).stdout.split())
    assert "is more like another agency's example «" in explained and "too faintly to name it" in explained


def test_a_named_agency_is_not_doubled_by_a_likeness(project: Paths) -> None:
    """A declined question that names another agency's matter (`kết hôn`) is pointed there, and not also
    to whatever example it resembles: the phrase is what the citizen wrote, the likeness a guess."""
    question = "kết hôn rồi thì cho sinh viên thuê trọ có phải kê khai đóng thuế không"
    project.tuning.write_text(json.dumps({"topic_weight": 2.0}), "utf-8")
    data = json.loads(run("ask", "--json", question).stdout)
    assert data["abstained"] and [r["term"] for r in data["referrals"]] == ["kết hôn"]
    assert data["similar_to"] is None
    shown = run("ask", question).stdout
    assert "Đăng ký kết hôn do UBND" in shown and "giống một việc chưa có hướng dẫn ở đây" not in shown
    explained = " ".join(run("ask", "--explain", question).stdout.split())
    assert "is more like another agency's example «" in explained  # the score still says why


def test_ask_prints_an_answer_card(project: Paths) -> None:
    result = run("ask", "đăng ký tạm trú cần giấy tờ gì")
    assert result.exit_code == 0
    for text in ("Đăng ký tạm trú", "Hồ sơ cần chuẩn bị", "CT01", "Lệ phí", "Thời hạn giải quyết", "Nguồn"):
        assert text in result.stdout


def test_card_sources_put_official_sites_first_and_leave_the_rest_to_show() -> None:
    from cli import card_sources, is_official
    from faq.corpus import Source

    news = [Source(f"https://bao{i}.vn/a") for i in range(3)]
    gov = [Source("https://dichvucong.gov.vn/x"), Source("https://congan.hanoi.gov.vn:443/y")]
    shown, rest = card_sources([news[0], gov[0], news[1], gov[1], news[2]])
    assert shown == [gov[0], gov[1], news[0]] and rest == 2
    assert card_sources(news[:2]) == (news[:2], 0) and card_sources([]) == ([], 0)
    assert not is_official("https://gov.vn.example.com/x") and not is_official("https://notgov.vn/x")


def test_ask_card_names_a_few_sources_and_show_names_them_all(project: Paths) -> None:
    page = project.corpus / "procedures" / "tam-tru.md"
    many = ", ".join(f'{{ url = "https://bao{i}.vn/tam-tru", title = "Báo {i}" }}' for i in range(5))
    text = page.read_text("utf-8")
    page.write_text(text.replace("sources = [", f"sources = [{many}, ", 1), "utf-8")
    card = run("ask", "đăng ký tạm trú cần giấy tờ gì").stdout
    flat = " ".join(card.replace("│", " ").split())
    assert "Cổng DVC (test fixture)" in flat and "Báo 0" in flat and "Báo 1" in flat and "Báo 2" not in flat
    assert "và 3 nguồn khác (faq show tam-tru)" in flat
    shown = " ".join(run("show", "tam-tru").stdout.replace("│", " ").split())
    assert all(f"Báo {i}" in shown for i in range(5))


def test_ask_abstains_honestly(project: Paths) -> None:
    result = run("ask", "qwrtpz zzkx")
    assert result.exit_code == 0
    assert "chưa có thông tin" in result.stdout and "Bạn hãy hỏi về một thủ tục" in result.stdout
    assert "Các chủ đề gần nhất" not in result.stdout  # nothing shared: no pretend suggestions
    data = json.loads(run("ask", "--json", "qwrtpz zzkx").stdout)
    assert data["abstained"] is True and data["results"] == []


def test_ask_reads_stdin_and_rejects_invalid_utf8(project: Paths) -> None:
    ok = run("ask", "--json", "-", input="làm hộ chiếu".encode())
    assert json.loads(ok.stdout)["results"][0]["id"] == "ho-chieu"
    bad = run("ask", "-", input=b"\xff\xfe\xfa")
    assert bad.exit_code == 2 and "not UTF-8" in bad.stderr and "Traceback" not in bad.output


def test_ask_explain_json_adds_up(project: Paths) -> None:
    data = json.loads(run("ask", "--json", "--explain", "mất căn cước").stdout)
    for r in data["results"]:
        assert sum(c["score"] for c in r["explain"]) == pytest.approx(r["score"], abs=1e-5)


def test_ask_answers_a_bare_topic_with_its_page_and_says_why(project: Paths) -> None:
    """`kt3` (the old temporary-residence book) is a bare topic of the fixture's registration page: the
    message alone gets that page, answered, and `--explain` says why and still adds up."""
    data = json.loads(run("ask", "--json", "--explain", "kt3").stdout)
    assert data["results"][0]["id"] == "tam-tru" and not data["abstained"]
    for r in data["results"]:
        assert sum(c["score"] for c in r["explain"]) == pytest.approx(r["score"], abs=1e-5)
    explained = " ".join(run("ask", "--explain", "kt3").stdout.split())
    assert "the message is only «kt3», a bare topic of the first page: never below the threshold" in explained


def test_ask_answers_a_message_that_is_only_an_alias_with_its_page(project: Paths) -> None:
    """An alias typed alone (`công an gọi điện`, of the fixture's impersonation warning) is answered
    with its page, as a bare topic is, and `--explain` says it is an alias."""
    data = json.loads(run("ask", "--json", "công an gọi điện").stdout)
    assert data["results"][0]["id"] == "gia-danh-cong-an" and not data["abstained"]
    explained = " ".join(run("ask", "--explain", "công an gọi điện").stdout.split())
    assert "the message is only «công an gọi điện», an alias of the first page" in explained


def test_list_and_show(project: Paths) -> None:
    listing = json.loads(run("list", "--json").stdout)
    assert {"id", "title", "category"} == set(listing[0])
    assert sorted(d["id"] for d in listing) == ["cap-lai-can-cuoc", "gia-danh-cong-an", "ho-chieu", "tam-tru"]
    only = json.loads(run("list", "--json", "--category", "canh-bao").stdout)
    assert [d["id"] for d in only] == ["gia-danh-cong-an"]
    shown = run("show", "ho-chieu")
    assert shown.exit_code == 0 and "TK01" in shown.stdout
    assert json.loads(run("show", "--json", "ho-chieu").stdout)["sections"]["Lệ phí"] == "200.000 đồng."
    assert json.loads(run("show", "--json", "tam-tru").stdout)["bare_topics"] == ["kt3"]


@pytest.mark.parametrize(("review_by", "due"), [("2000-01-01", True), ("2999-01-01", False)])
def test_a_page_past_its_review_date_warns_the_citizen(project: Paths, review_by: str, due: bool) -> None:
    page = project.corpus / "procedures" / "ho-chieu.md"
    text = page.read_text("utf-8")
    note = 'review_note = "mức giảm lệ phí hộ chiếu nộp trực tuyến"'
    page.write_text(text.replace("\nupdated = ", f"\nreview_by = {review_by}\n{note}\nupdated = ", 1), "utf-8")
    answer = json.loads(run("ask", "--json", "làm hộ chiếu").stdout)["results"][0]
    shown = json.loads(run("show", "--json", "ho-chieu").stdout)
    card = run("ask", "làm hộ chiếu").stdout
    assert answer["id"] == "ho-chieu" and shown["review_by"] == review_by
    if due:
        assert "01/01/2000" in answer["caution"] and "hộ chiếu nộp trực tuyến" in answer["caution"]
        assert shown["caution"] == answer["caution"] and "cần được kiểm tra lại" in card
    else:
        assert answer["caution"] is None and shown["caution"] is None and "cần được kiểm tra lại" not in card


def test_a_pages_pointer_is_shown_under_its_answer_and_leaves_the_ranking_alone(project: Paths) -> None:
    """A citizen sent to the residence page who is really going abroad reads the way to the passport
    page, by its title, on the card, in `show` and in what a bot gets; the pointer's words are not
    indexed, so every score stays as it was (else a page's pointers would pull the other page's messages)."""
    question = "đăng ký tạm trú ở đâu"
    before = json.loads(run("ask", "--json", question).stdout)
    page = project.corpus / "procedures" / "tam-tru.md"
    pointer = 'see_instead = [{ when = "Người sắp đi nước ngoài cần giấy tờ xuất cảnh", page = "ho-chieu" }]\n'
    page.write_text(page.read_text("utf-8").replace("\nupdated = ", "\n" + pointer + "updated = ", 1), "utf-8")
    after = json.loads(run("ask", "--json", question).stdout)
    assert [(r["id"], r["score"]) for r in after["results"]] == [(r["id"], r["score"]) for r in before["results"]]
    title = json.loads(run("show", "--json", "ho-chieu").stdout)["title"]
    expected = [{"when": "Người sắp đi nước ngoài cần giấy tờ xuất cảnh", "id": "ho-chieu", "title": title}]
    assert after["results"][0]["id"] == "tam-tru" and after["results"][0]["see_instead"] == expected
    assert json.loads(run("show", "--json", "tam-tru").stdout)["see_instead"] == expected
    for shown in (run("ask", question).stdout, run("show", "tam-tru").stdout):
        flat = " ".join(shown.replace("│", " ").split())
        assert "Nếu không đúng trường hợp của bạn:" in flat, flat
        assert "Người sắp đi nước ngoài cần giấy tờ xuất cảnh: xem «" + " ".join(title.split()) in flat


@pytest.mark.parametrize("bad_id", ["../../etc/passwd", "nope", "/etc/passwd", ""])
def test_show_unknown_or_path_like_ids(project: Paths, bad_id: str) -> None:
    result = run("show", bad_id)
    assert result.exit_code == 2 and "no such procedure" in result.stderr
    assert "root:" not in result.output


def test_corpus_check_reports_file_line_problems(project: Paths) -> None:
    assert run("corpus", "check").exit_code == 0
    bad = project.corpus / "procedures" / "ho-chieu.md"
    bad.write_text(bad.read_text("utf-8").replace('category = "xuat-nhap-canh"', 'category = "khac"'), "utf-8")
    result = run("corpus", "check")
    assert result.exit_code == 3
    assert f"{bad}:4: unknown category" in result.stderr


def test_corpus_check_checks_a_units_own_lexicon(project: Paths, tmp_path: Path) -> None:
    """A unit's lexicon copy is checked before a build uses it: its malformed line as `file:line`."""
    own = tmp_path / "lexicon"
    shutil.copytree(project.lexicon, own)
    assert run("corpus", "check", "--lexicon", str(own)).exit_code == 0
    (own / "rewrites.tsv").write_text("ko\tkhông\nchỉ một cột\n", "utf-8")
    result = run("corpus", "check", "--lexicon", str(own))
    assert result.exit_code == 3 and f"{own / 'rewrites.tsv'}:2:" in result.stderr
    assert run("corpus", "check").exit_code == 0  # the project's own lexicon is untouched
    assert run("corpus", "check", "--lexicon", str(tmp_path / "nowhere")).exit_code == 2


def test_index_build_from_a_faq_file_and_ask_with_index(project: Paths, tmp_path: Path) -> None:
    faq = tmp_path / "unit.jsonl"
    rows = [
        {
            "id": "gio-lam-viec",
            "question": "Trụ sở công an phường làm việc mấy giờ?",
            "answer": "Từ 7 giờ 30 đến 17 giờ.",
        },
        {"id": "mat-xe", "question": "Bị mất trộm xe máy thì báo ở đâu?", "answer": "Báo ngay công an phường."},
        {"id": "chi-tra-loi", "question": "", "answer": "Nộp phạt vi phạm giao thông qua Cổng dịch vụ công."},
    ]
    faq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    built = run("index", "build", "--corpus", str(faq), "--out", str(tmp_path / "x"))
    assert built.exit_code == 0, built.output
    assert "3 documents" in built.stdout
    data = json.loads(run("ask", "--index", str(tmp_path / "x"), "--json", "mat xe may bao o dau").stdout)
    assert data["results"][0]["id"] == "mat-xe"
    paid = json.loads(run("ask", "--index", str(tmp_path / "x"), "--json", "nộp phạt giao thông").stdout)
    assert paid["results"][0]["id"] == "chi-tra-loi"


def test_a_faq_file_of_answers_alone_is_indexed_without_a_made_up_title(project: Paths, tmp_path: Path) -> None:
    """A community-QA dump often has answers only. Their openings are shown as titles but not indexed as
    titles (that would count the first words twice), so the title field holds nothing: the index is
    still built, saved, loaded and answers from the bodies."""
    faq = tmp_path / "answers.jsonl"
    rows = [
        {"id": "1", "answer": "Bị mất trộm xe máy, hãy báo ngay cho công an phường nơi xảy ra vụ việc."},
        {"id": "2", "answer": "Nộp phạt vi phạm giao thông trực tuyến qua Cổng dịch vụ công quốc gia. " * 3},
    ]
    faq.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    built = run("index", "build", "--corpus", str(faq), "--out", str(tmp_path / "x"))
    assert built.exit_code == 0, built.output
    data = json.loads(run("ask", "--index", str(tmp_path / "x"), "--json", "mat xe may bao o dau").stdout)
    assert data["results"][0]["id"] == "1" and not data["abstained"]
    assert data["results"][0]["title"] == rows[0]["answer"]  # short enough to show whole
    listed = json.loads(run("list", "--index", str(tmp_path / "x"), "--json").stdout)
    long_title = next(d["title"] for d in listed if d["id"] == "2")
    assert long_title.endswith("…") and len(long_title) <= 81 and rows[1]["answer"].startswith(long_title[:-1])


def test_a_lexicon_that_is_not_a_directory_is_a_usage_error(project: Paths, tmp_path: Path) -> None:
    result = run("index", "build", "--lexicon", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "is not a directory" in result.stderr


def test_index_build_refuses_a_broken_corpus_and_keeps_the_old_index(project: Paths) -> None:
    assert run("index", "build").exit_code == 0
    (project.corpus / "procedures" / "x.md").write_text("+++\nid = 'x'\n", "utf-8")
    result = run("index", "build")
    assert result.exit_code == 3 and "x.md:1:" in result.stderr
    assert run("list", "--json", "--index", str(project.index)).exit_code == 0


def _review_in(project: Paths, days: int) -> dt.date:
    """Give the passport page, checked 30 days ago, a review date `days` from today (negative: past)."""
    page = project.corpus / "procedures" / "ho-chieu.md"
    today = dt.date.today()
    checked, due = today - dt.timedelta(days=30), today + dt.timedelta(days=days)
    text = re.sub(
        r"\nupdated = .*\n",
        f'\nupdated = {checked}\nreview_by = {due}\nreview_note = "mức giảm lệ phí"\n',
        page.read_text("utf-8"),
    )
    page.write_text(text, "utf-8")
    return due


def test_index_build_warns_of_a_lapsed_review_date_and_builds(project: Paths) -> None:
    _review_in(project, -1)  # checked, then the date came
    result = run("index", "build")
    assert result.exit_code == 0 and "Built" in result.stdout
    assert "warning: " in result.stderr and "ho-chieu.md:" in result.stderr and "mức giảm lệ phí" in result.stderr
    assert run("corpus", "check").exit_code != 0  # the build goes on; the check (make test) fails


def test_corpus_check_names_a_review_date_weeks_ahead_and_passes(project: Paths) -> None:
    due = _review_in(project, 10)
    result = run("corpus", "check")
    assert result.exit_code == 0 and "no problems" in result.stdout
    assert f"ho-chieu.md: review date {due} in 10 days (mức giảm lệ phí)" in result.stderr


def test_missing_corpus_path_is_a_usage_error(project: Paths, tmp_path: Path) -> None:
    result = run("index", "build", "--corpus", str(tmp_path / "missing.jsonl"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_analyze_shows_channels(project: Paths) -> None:
    data = json.loads(run("analyze", "--json", "Đăng ký tạm trú").stdout)
    assert "đăng_ký" in data["word"] and "dang ky" in data["folded"]


def test_every_command_has_help() -> None:
    for cmd in (["ask"], ["index", "build"], ["show"], ["list"], ["corpus", "check"], ["analyze"]):
        result = run(*cmd, "--help")
        assert result.exit_code == 0
        assert len(result.stdout.strip().splitlines()) > 3


def test_faq_file_without_any_words_is_a_data_error(project: Paths, tmp_path: Path) -> None:
    faq = tmp_path / "emoji.jsonl"
    faq.write_text('{"id": "a", "question": "", "answer": "🙂🙂"}\n', "utf-8")
    result = run("index", "build", "--corpus", str(faq), "--out", str(tmp_path / "x"))
    assert result.exit_code == 3 and "no indexable words" in result.stderr


BATCH_QUERIES = ["đăng ký tạm trú cần giấy tờ gì", "", "😀😀", "mat the can cuoc", "--help", "passport hết hạn"]


def test_ask_batch_prints_exactly_what_ask_json_prints(project: Paths, tmp_path: Path) -> None:
    batch = tmp_path / "queries.txt"
    batch.write_text("\n".join(BATCH_QUERIES) + "\n", "utf-8")
    result = run("ask", "--batch", str(batch))
    assert result.exit_code == 0, result.output
    singles = [run("ask", "--json", "--", q) for q in BATCH_QUERIES]
    assert all(s.exit_code == 0 for s in singles)
    assert result.stdout.splitlines() == [s.stdout.rstrip("\n") for s in singles]
    assert [json.loads(line)["query"] for line in result.stdout.splitlines()] == BATCH_QUERIES
    # stdin, Windows line endings, a BOM and no final newline read the same queries
    piped = run("ask", "--batch", "-", input=b"\xef\xbb\xbf" + "\r\n".join(BATCH_QUERIES).encode())
    assert piped.exit_code == 0 and piped.stdout == result.stdout
    explained = run("ask", "--batch", "-", "--explain", "--top-k", "2", input="mất căn cước\n")
    assert explained.stdout == run("ask", "--json", "--explain", "--top-k", "2", "mất căn cước").stdout


def test_ask_batch_errors_are_usage_errors(project: Paths, tmp_path: Path) -> None:
    bad = run("ask", "--batch", "-", input=b"l\xc3\xa0m h\xe1\xbb\x99 chi\xe1\xba\xbfu\n\xff\xfe\n")
    assert bad.exit_code == 2 and "line 2 is not UTF-8" in bad.stderr and "Traceback" not in bad.output
    assert json.loads(bad.stdout.splitlines()[0])["query"] == "làm hộ chiếu"  # lines before it were answered
    missing = run("ask", "--batch", str(tmp_path / "nope.txt"))
    assert missing.exit_code == 2 and "cannot read the batch file" in missing.stderr
    both = run("ask", "--batch", "-", "a question", input="x\n")
    assert both.exit_code == 2 and "not both" in both.stderr
    assert run("ask").exit_code == 2
    assert run("ask", "--batch", "-", input=b"").stdout == ""  # no lines, no answers


def test_batch_answers_from_an_index_rebuilt_while_it_runs(project: Paths) -> None:
    """A chat back-end keeps `ask --batch -` running; a rebuild (`faq index watch`) reaches it at once."""
    import os
    import subprocess
    import sys

    from faq.engine import build

    build(project.corpus, project.index, project)
    cli = Path(__file__).resolve().parent.parent / "cli.py"
    env = {**os.environ, "FAQ_HOME": str(project.corpus.parent)}
    proc = subprocess.Popen(
        [sys.executable, str(cli), "ask", "--batch", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )

    def ask(query: str) -> str:
        assert proc.stdin and proc.stdout
        proc.stdin.write(f"{query}\n".encode())
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())["results"][0]["answer"]

    try:
        before = ask("hộ chiếu lệ phí bao nhiêu")
        doc = project.corpus / "procedures" / "ho-chieu.md"
        doc.write_text(doc.read_text("utf-8").replace("200.000 đồng.", "350.000 đồng."), "utf-8")
        build(project.corpus, project.index, project)
        after = ask("hộ chiếu lệ phí bao nhiêu")
    finally:
        _, err = proc.communicate(timeout=60)
    assert "200.000" in before and "350.000" in after
    assert "the index was rebuilt; answering from the new one" in err.decode()


def test_ask_explain_says_why_confidence_was_lowered(project: Paths) -> None:
    """The fixture lexicon refers `kết hôn` to another agency: asked about, the full penalty; only in the
    story before the question, half of it, and the explanation says which."""
    asked = run("ask", "--explain", "đăng ký kết hôn cần giấy tờ gì").stdout
    assert "names another agency's procedure: kết hôn" in asked and "half the penalty" not in asked
    story = run("ask", "--explain", "Vợ chồng tôi kết hôn năm ngoái. Đăng ký tạm trú cho vợ cần gì?").stdout
    assert "kết hôn (in the story, not the question: half the penalty)" in story


def test_ask_explain_says_when_the_message_names_none_of_the_first_page_anchors(project: Paths) -> None:
    """With anchors on the passport page and a penalty in the tuning, a message that ranks the page
    first on its verbs alone is told why its confidence was lowered; one naming `hộ chiếu` is not."""
    page = project.corpus / "procedures" / "ho-chieu.md"
    page.write_text(page.read_text("utf-8").replace("aliases = [", 'anchors = ["hộ chiếu"]\naliases = [', 1), "utf-8")
    tuning = json.loads(project.tuning.read_text("utf-8")) if project.tuning.exists() else {}
    project.tuning.write_text(json.dumps(tuning | {"anchor_penalty": 0.5}), "utf-8")
    vague = " ".join(run("ask", "--explain", "đi nước ngoài cần giấy tờ gì").stdout.split())
    assert "names none of the first page's anchors (x0.50)" in vague
    named = " ".join(run("ask", "--explain", "đi nước ngoài cần hộ chiếu gì").stdout.split())
    assert "first page's anchors" not in named and "Cấp hộ chiếu" in named


def test_ask_explain_says_when_a_message_asks_nothing(project: Paths) -> None:
    """A message of single letters (`e` is chat's `em`) is declined with no page offered, and the
    explanation says so instead of a likeness factor that decided nothing."""
    said = run("ask", "--explain", "e").stdout
    assert "the message asks nothing" in said and "abstained" in said and "moved:" not in said
    assert "the message asks nothing" not in run("ask", "--explain", "đăng ký tạm trú cần giấy tờ gì").stdout


def test_an_answer_to_a_question_that_also_asks_another_agency_says_who_handles_that(project: Paths) -> None:
    """Answered despite naming marriage in what it asks (a low threshold here), the card still tells the
    citizen who registers marriages; a marriage only told of in the story adds no such note."""
    project.tuning.write_text(json.dumps({"threshold": 0.01}), "utf-8")
    asked = run("ask", "đăng ký kết hôn và đăng ký tạm trú cho vợ cần giấy tờ gì?").stdout
    assert "Lưu ý: " in asked and "UBND" in asked and "Đăng ký tạm trú" in asked
    story = run("ask", "Vợ chồng tôi kết hôn năm ngoái. Giờ đăng ký tạm trú cho vợ cần giấy tờ gì?").stdout
    assert "Lưu ý: " not in story and "Đăng ký tạm trú" in story
