from pathlib import Path

import pytest

from faq.errors import CorpusError
from faq.lexicon import Lexicon, load_lexicon

DATA = Path(__file__).parent / "data"
PROJECT_LEXICON = Path(__file__).parent.parent / "corpus" / "lexicon"


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, "utf-8")


def test_project_lexicon_loads() -> None:
    lex = load_lexicon(PROJECT_LEXICON)
    assert len(lex.rewrites) > 10 and len(lex.synonyms) > 5 and lex.stopwords


def test_malformed_lines_are_reported_with_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "rewrites.tsv", "# comment\nko\tkhông\nonly-one-column\nko\tkhong\n")
    write(tmp_path, "synonyms.tsv", "hộ khẩu\n")
    write(tmp_path, "stopwords.txt", "ạ\n\tx\n")
    write(tmp_path, "framing.txt", "thủ tục\n?!\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    problems = info.value.problems
    assert f"{tmp_path / 'rewrites.tsv'}:3:" in problems[0]
    assert any(p.startswith(f"{tmp_path / 'rewrites.tsv'}:4:") and "already defined on line 2" in p for p in problems)
    assert any(p.startswith(f"{tmp_path / 'synonyms.tsv'}:1:") for p in problems)
    assert any(p.startswith(f"{tmp_path / 'stopwords.txt'}:2:") for p in problems)
    assert any(p.startswith(f"{tmp_path / 'framing.txt'}:2: no letters or digits") for p in problems)


def test_a_joint_referral_term_needs_every_part_and_is_kept_through_the_index(tmp_path: Path) -> None:
    """`sổ đỏ + sang tên` joins two phrases; a `+` with nothing on one side is a `file:line` problem,
    and a good joint term survives the round trip through the index's JSON."""
    write(tmp_path, "other_agencies.tsv", "sổ đỏ + sang tên\tVăn phòng đăng ký đất đai\n+ sang tên\tx\nsổ + + đỏ\tx\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    lines = sorted(p.split(": ")[0] for p in info.value.problems)
    assert lines == [f"{tmp_path / 'other_agencies.tsv'}:2", f"{tmp_path / 'other_agencies.tsv'}:3"]
    assert all("every part around `+`" in p for p in info.value.problems)
    write(tmp_path, "other_agencies.tsv", "sổ đỏ + sang tên\tVăn phòng đăng ký đất đai\n")
    lex = load_lexicon(tmp_path)
    assert lex.other_agencies == ((("sổ", "đỏ", "+", "sang", "tên"), "Văn phòng đăng ký đất đai"),)
    assert Lexicon.from_dict(lex.to_dict()) == lex


def test_topic_examples_sit_under_an_agency_line_and_problems_name_their_line(tmp_path: Path) -> None:
    write(
        tmp_path,
        "other_topics.txt",
        "làm sổ đỏ ở đâu\n= Văn phòng đăng ký đất đai\nsang tên sổ đỏ\nSang tên sổ đỏ\n=\n= Ngân hàng\nthẻ\tatm\n",
    )
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    path = tmp_path / "other_topics.txt"
    got = {p.split(":", 2)[1]: p for p in info.value.problems if p.startswith(f"{path}:")}
    assert set(got) == {"1", "4", "5", "6", "7"}
    assert "before any `= who handles it`" in got["1"] and "already on line 3" in got["4"]
    assert "no example questions" in got["6"] and "no TAB" in got["7"]
    write(tmp_path, "other_topics.txt", "= Văn phòng đăng ký đất đai\nsang tên sổ đỏ\n\n= Ngân hàng\nthẻ atm bị nuốt\n")
    assert load_lexicon(tmp_path).other_topics == (
        ("Văn phòng đăng ký đất đai", ("sang tên sổ đỏ",)),
        ("Ngân hàng", ("thẻ atm bị nuốt",)),
    )


def test_fraud_signs_have_file_and_line_errors_and_their_warnings_kept_as_written(tmp_path: Path) -> None:
    write(tmp_path, "fraud_signs.tsv", "rửa tiền\tCông an không yêu cầu chuyển tiền.\nchỉ một cột\nrửa tiền\tx\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    problems = info.value.problems
    assert problems[0].startswith(f"{tmp_path / 'fraud_signs.tsv'}:2: expected two columns `sign<TAB>warning`")
    assert problems[1].startswith(f"{tmp_path / 'fraud_signs.tsv'}:3:") and "already defined on line 1" in problems[1]
    write(tmp_path, "fraud_signs.tsv", "Rửa Tiền\tCông an không yêu cầu chuyển tiền.\n")
    assert load_lexicon(tmp_path).fraud_signs == ((("rửa", "tiền"), "Công an không yêu cầu chuyển tiền."),)


def test_danger_signs_have_file_and_line_errors_and_their_advice_kept_as_written(tmp_path: Path) -> None:
    write(tmp_path, "danger_signs.tsv", "bóp cổ\tGọi ngay 113.\nchỉ một cột\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    expected = f"{tmp_path / 'danger_signs.tsv'}:2: expected two columns `sign<TAB>advice`"
    assert info.value.problems[0].startswith(expected)
    write(tmp_path, "danger_signs.tsv", "Bóp Cổ\tGọi ngay 113.\n")
    assert load_lexicon(tmp_path).danger_signs == ((("bóp", "cổ"), "Gọi ngay 113."),)


def problems_of(directory: Path, name: str, text: str) -> list[str]:
    """The problems loading a lexicon reports once `name` holds `text`."""
    write(directory, name, text)
    with pytest.raises(CorpusError) as info:
        load_lexicon(directory)
    return info.value.problems


def test_danger_phrases_marked_dash_excuse_a_sign_they_share_words_with(tmp_path: Path) -> None:
    """`phrase<TAB>-` is no sign (its advice would be a lone `-`): it must share words with a sign of the
    file, or a typo in it would excuse nothing unnoticed, and be more than the sign, or it would silence
    it everywhere; fraud signs have no such lines."""
    where = tmp_path / "danger_signs.tsv"
    typo = "bị đánh\tGọi ngay 113.\nĐánh Cắp\t-\n# c\nđánh cáp điện\t-\nmáy tính\t-\n"
    assert problems_of(tmp_path, "danger_signs.tsv", typo) == [
        f"{where}:5: `máy tính` holds no sign of the file to excuse"
    ]
    within = "bị đánh\tGọi ngay 113.\nĐánh Cắp\t-\nbi danh\t-\n"
    expected = f"{where}:3: `bi danh` lies within the sign `bị đánh`; delete the sign instead"
    assert problems_of(tmp_path, "danger_signs.tsv", within) == [expected]
    write(tmp_path, "danger_signs.tsv", "bị đánh\tGọi ngay 113.\nĐánh Cắp\t-\n")
    lexicon = load_lexicon(tmp_path)
    assert lexicon.danger_signs == ((("bị", "đánh"), "Gọi ngay 113."),)
    assert lexicon.not_danger == (("đánh", "cắp"),)
    assert Lexicon.from_dict(lexicon.to_dict()) == lexicon
    (tmp_path / "danger_signs.tsv").unlink()
    fraud = problems_of(tmp_path, "fraud_signs.tsv", "rửa tiền\tKhông chuyển tiền.\nchuyển tiền\t-\n")
    assert fraud[0].startswith(f"{tmp_path / 'fraud_signs.tsv'}:2: `-` (no sign) is for danger_signs.tsv")


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "rewrites.tsv").write_bytes("ko\tkhông\n".encode("utf-16"))
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    assert "not UTF-8" in info.value.problems[0]


def test_round_trip_through_dict() -> None:
    lex = load_lexicon(DATA / "corpus" / "lexicon")
    assert Lexicon.from_dict(lex.to_dict()) == lex
    project = load_lexicon(PROJECT_LEXICON)
    assert ("thủ", "tục") in project.framing and Lexicon.from_dict(project.to_dict()) == project


def test_missing_directory_means_empty_lexicon(tmp_path: Path) -> None:
    assert load_lexicon(tmp_path / "nope") == Lexicon()


def test_a_rewrite_to_dash_deletes_the_phrase_and_abbreviations_cannot(tmp_path: Path) -> None:
    write(tmp_path, "rewrites.tsv", "có ở đó không\t-\n")
    assert load_lexicon(tmp_path).rewrites == ((("có", "ở", "đó", "không"), ()),)
    write(tmp_path, "abbreviations.tsv", "cccd\t-\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    assert info.value.problems[0].startswith(f"{tmp_path / 'abbreviations.tsv'}:1:")


def test_units_are_one_run_of_letters_each_defined_once(tmp_path: Path) -> None:
    write(tmp_path, "units.tsv", "t\ttuổi\nt1\ttuổi\ntr\n ko dc\tkhông được\nT\ttôi\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    problems = info.value.problems
    path = tmp_path / "units.tsv"
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{n}" for n in (2, 3, 4, 5)]
    assert "already defined on line 1" in problems[-1]


def test_a_unit_is_spelled_out_only_glued_to_a_number() -> None:
    from faq.analyzer import Analyzer
    from faq.config import AnalyzerConfig

    analyzer = Analyzer(AnalyzerConfig(), Lexicon(units=(("t", ("tuổi",)), ("tr", ("triệu",)))))
    assert analyzer.split_units(["bé", "10t", "t", "15tr", "a1", "ct07", "2023"]) == [
        "bé", "10", "tuổi", "t", "15", "triệu", "a1", "ct07", "2023"
    ]  # fmt: skip


@pytest.fixture(scope="module")
def project_analyzer():
    """A query analyzer with the project's own lexicon, loaded once for the tests of its entries."""
    from faq.analyzer import Analyzer
    from faq.config import AnalyzerConfig

    return Analyzer(AnalyzerConfig(), load_lexicon(PROJECT_LEXICON))


def read_as(analyzer, asked: str) -> str:
    """What a question reads as once rewritten: the first of its prepared readings."""
    return " ".join(s for c in analyzer.prepare(asked, query=True)[:1] for s in c)


def searched_beside(analyzer, asked: str) -> list[str]:
    """What is searched beside the question: the expansions of its abbreviations and synonyms."""
    return [" ".join(c) for c in analyzer.prepare(asked, query=True)[1:]]


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("có mất phí không", "có phí không"),
        ("co mat phi k", "co phí không"),
        ("làm lại mất bao lâu", "làm lại bao lâu"),
        ("cccd het han lam lai mat bao nhieu tien", "cccd het han lam lai bao nhiêu tien"),
        ("bị mất thẻ", "bị mất thẻ"),  # lost is still lost
        ("quet mat may lan", "quet mat may lan"),  # `quét mặt mấy lần`: left alone
    ],
)
def test_the_project_lexicon_reads_mat_as_cost_only_before_a_price_or_a_duration(
    project_analyzer, asked: str, read: str
) -> None:
    """`mất` is also "cost"/"take": read as "lost", cost and time questions went to the lost-paper pages."""
    assert read_as(project_analyzer, asked) == read


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("làm gplx qte hết bn", "làm gplx quốc tế hết bao nhiêu"),
        ("khách nc ngoài nhận phòng", "khách nước ngoài nhận phòng"),
        ("nc mía", "nc mía"),  # `nc` alone is left alone
    ],
)
def test_the_project_lexicon_spells_out_chat_shortenings_of_international_and_foreign(
    project_analyzer, asked: str, read: str
) -> None:
    """`qte` (quốc tế) and `nc ngoài` (nước ngoài) sent an international licence to the exchange page and
    a foreign guest to the general overnight notice on the thirty-eighth held-out set."""
    assert read_as(project_analyzer, asked) == read


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("dang ky xe oto moi mua", "dang ky xe ô tô moi mua"),
        ("e mún gửi đồ ăn", "e muốn gửi đồ ăn"),
        ("mẹ vk e ng TQ", "mẹ vợ e người tq"),
        ("ck e đi làm xa", "chồng em đi làm xa"),
        ("e ck cọc 1tr5 giữ phòng", "e chuyển khoản cọc 1tr5 giữ phòng"),
        ("đầu tư ck lãi cao", "đầu tư ck lãi cao"),  # `chứng khoán` here: `ck` alone is left alone
    ],
)
def test_the_project_lexicon_spells_out_chat_shortenings_counted_over_the_sets(
    project_analyzer, asked: str, read: str
) -> None:
    """Chat forms no list read, counted over dev and the held-out sets (forty-third session); `ck` is
    read only in pairs, since alone it is also `chứng khoán`."""
    assert read_as(project_analyzer, asked) == read


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("tài khoản vê en e i đi bị khóa", "tài khoản vneid bị khóa"),
        ("vi en i đi của tôi", "vneid của tôi"),
        ("không nhận được mã ô tê pê", "không nhận được mã otp"),
        ("xê xê xê đê bị mất", "cccd bị mất"),
        ("gờ pê lờ xờ hết hạn", "gplx hết hạn"),
        ("bị xê ét giê tê giữ xe", "bị csgt giữ xe"),
        ("xe đê", "xe đê"),  # `xê` alone is left alone: its letters are `xe`
        ("con tui đủ mười bốn tuổi", "con tui đủ 14 tuổi"),
        ("ở trọ ba mươi ngày", "ở trọ 30 ngày"),
        ("năm ngoái ba tôi mất", "năm ngoái ba tôi mất"),  # `năm`, `ba` without a unit stay words
    ],
)
def test_the_project_lexicon_reads_acronyms_and_numbers_as_voice_typing_writes_them(
    project_analyzer, asked: str, read: str
) -> None:
    """Voice typing writes a spoken acronym letter by letter (the seventy-fourth held-out set); unread,
    `xê xê xê đê` matched `xe` (a vehicle) in the diacritic-free channel and went to the licence pages.
    It writes numbers in words: those the pages' rules name are read as digits, with their unit only."""
    assert read_as(project_analyzer, asked) == read


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("phường mình thứ 7 có làm việc không", "phường mình thứ bảy có làm việc không"),
        ("ca phường t7 cn có tiếp dân ko", "ca phường thứ bảy chủ nhật có tiếp dân không"),
        ("bán xe từ t3 năm nay", "bán xe từ t3 năm nay"),  # `t3` alone is also `tháng 3`
    ],
)
def test_the_project_lexicon_reads_weekdays_written_as_numbers(project_analyzer, asked: str, read: str) -> None:
    """The pages give opening days in words (`sáng thứ Bảy`); a question about `thứ 7` was declined and
    pointed to the notary's hours, not to the example asking the ward police's (forty-fifth session)."""
    assert read_as(project_analyzer, asked) == read


@pytest.mark.parametrize(
    ("asked", "referred"),
    [
        ("ra văn phòng công chứng thì họ bảo phải có sổ hộ khẩu", True),
        ("Văn phòng công chứng bên mình lỡ làm mất con dấu rồi, báo công an trong bao lâu", False),
        ("bên mình có bán sim số đẹp không", True),
        ("báo giá camera giúp em", True),
        ("bán xe rồi có phải nộp lại biển số không", False),
        ("xóa tên ông trong hộ khẩu có phải mang giấy khai tử theo không", False),  # a paper held
        ("bố tôi mất, làm khai tử ở đâu", True),
        ("sổ đỏ bị đo sai diện tích thì lên đâu", True),
        ("giấy phép bán lẻ rượu hết hạn thì gia hạn ở đâu", True),
        ("ở nước ngoài muốn ủy quyền bán đất cho anh trai", True),
        ("đi trình báo thay mẹ có cần giấy ủy quyền không", False),
        ("xét tuyển đại học không nhận được OTP", True),
        ("app ngân hàng bắt xác thực sinh trắc học", True),
        ("chủ nhà trọ có phải đóng thuế cho thuê nhà không", True),
        ("quán karaoke có phải trả tiền bản quyền âm nhạc không", True),
        ("thi tốt nghiệp được 24 điểm thì đỗ trường nào", True),
        ("qua trạm thu phí bị trừ tiền 2 lần", True),
        ("cần hợp pháp hóa lãnh sự bằng đại học", True),
        ("mua đất xong giờ đóng lệ phí trước bạ nhà đất ở đâu", True),
        ("mèo đi lạc 3 ngày nhờ công an tìm được không", True),
        ("xe bị giam thì lấy lại thế nào", False),  # an impounded vehicle: nhan-lai-xe-bi-tam-giu answers it
        ("bi giam bang lai vi vuot den do", False),
        ("người nhà bị tạm giam thì thăm gặp thế nào", False),  # a detention is not an impounded vehicle
        ("xe máy giảm bằng cách nào", False),  # `giảm` shares the letters of `giam`
        ("tôi vẫn còn giữ cà vẹt xe", False),  # a paper held, not taken
        ("bé 3 tuổi vào mầm non công lập cần giấy gì", True),
        ("tôi xin làm bảo vệ trường mầm non, họ đòi lý lịch tư pháp", False),  # the workplace, not enrolling
        ("xin sao kê tài khoản ngân hàng 6 tháng ở đâu", True),
        ("bị lừa chuyển khoản, đi báo công an có cần mang sao kê không", False),  # evidence brought along
        ("làm sao kê lại các giấy tờ bị mất khi trình báo", False),  # `làm sao` + `kê`: how to list
        ("sổ hồng nhà đứng tên ba, ba mất rồi giờ mấy anh em muốn sang tên thì làm ở đâu", True),  # apart
        ("mua nhà có sổ đỏ rồi, sang tên ở đâu", True),
        ("nhà có sổ hồng đứng tên bố, con đăng ký thường trú được không", False),  # a paper held
        ("mua xe máy cũ muốn sang tên thì làm sao", False),  # a vehicle: sang-ten-xe answers it
    ],
)
def test_the_project_lexicon_refers_other_agencies_matters_only_as_asked(
    project_analyzer, asked: str, referred: bool
) -> None:
    """A notary's office is another's business as the place one goes, not as the one asking about its
    seal; a sales message is nobody's business here; a death certificate brought along is a paper held,
    asking for one is the commune's business; and the other agencies' matters the held-out sets found."""
    assert bool(project_analyzer.referrals(project_analyzer.prepare(asked, query=True))) == referred


@pytest.mark.parametrize(
    ("asked", "expansion"),
    [
        ("con tôi đi xklđ bên Nhật", "xuất khẩu lao động"),
        ("sv ở ktx có phải đk tt không", "ký túc xá"),
        ("xin giấy antt cho quán karaoke", "an ninh trật tự"),
        ("nó bắt nhập stk để hoàn tiền", "số tài khoản"),
        ("gh tạm trú online dc ko", "gia hạn"),
        ("mua pháo trên fb có bị bắt ko", "facebook"),
        ("sv năm 1 có phải đk tt không", "sinh viên"),
        ("hđ thuê nhà có cần công chứng", "hợp đồng"),
    ],
)
def test_the_project_lexicon_spells_out_standard_shortenings(project_analyzer, asked: str, expansion: str) -> None:
    """Abbreviations are searched with what they stand for, beside what was typed."""
    assert expansion in searched_beside(project_analyzer, asked)


def test_the_project_lexicon_brings_the_new_card_to_the_old_one_but_not_back(project_analyzer) -> None:
    """A question about the CMND is about the thẻ căn cước that replaced it; one about the thẻ căn cước is not
    about the CMND (the pair, two-way, pulled `mất thẻ căn cước` to the first-card page)."""
    assert "thẻ căn cước" in searched_beside(project_analyzer, "chứng minh nhân dân hết hạn")
    assert "chứng minh nhân dân" not in searched_beside(project_analyzer, "mất thẻ căn cước")


# Loanwords Vietnamese uses in the same sense as English, which an English entry may hold alone.
SAME_SENSE_LOANWORDS = frozenset({"hotel", "licence", "visa", "log"})


def test_no_english_entry_is_a_vietnamese_phrase_typed_without_diacritics() -> None:
    """`english.tsv` rewrites every message, Vietnamese ones too: an entry made only of syllables
    Vietnamese has (`that` is `thật`, `them` is `thêm`, `photo` a photocopy) would change what a
    Vietnamese message says."""
    from faq.lexicon import parse_rewrites
    from faq.spelling import dictionary_syllables
    from faq.text import fold

    vietnamese = {fold(s) for s in dictionary_syllables()} - SAME_SENSE_LOANWORDS
    assert {"that", "them", "the", "can", "photo"} <= vietnamese  # the dictionary is there to judge by
    problems: list[str] = []
    entries = parse_rewrites(PROJECT_LEXICON / "english.tsv", problems)
    assert not problems and len(entries) > 100
    assert [src for src, _ in entries if all(fold(s) in vietnamese for s in src)] == []


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("how do i renew my driving license", "cấp đổi my giấy phép lái xe"),
        ("lost my ID card", "mất thẻ căn cước"),
        ("landlord must register temporary residence for foreigners?", "chủ nhà must đăng ký tạm trú người nước ngoài"),
        ("làm lại thẻ căn cước có mất phí không", "làm lại thẻ căn cước có phí không"),  # Vietnamese: as before
        ("gửi link check in online", "gửi link check in online"),  # Vietnamese chat loanwords: as typed
    ],
)
def test_the_project_lexicon_reads_english_in_the_pages_words(project_analyzer, asked: str, read: str) -> None:
    assert read_as(project_analyzer, asked) == read


def test_english_tsv_is_read_as_rewrites_with_file_and_line_errors(tmp_path: Path) -> None:
    write(tmp_path, "english.tsv", "# comment\nid card\tthẻ căn cước\nwhere\t-\nno-tab-here\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    assert info.value.problems[0].startswith(f"{tmp_path / 'english.tsv'}:4:")
    write(tmp_path, "english.tsv", "id card\tthẻ căn cước\nwhere\t-\n")
    assert load_lexicon(tmp_path).rewrites == ((("id", "card"), ("thẻ", "căn", "cước")), (("where",), ()))


def test_a_lexicon_file_edited_after_a_load_is_read_again(tmp_path: Path) -> None:
    """`load_lexicon` hands back its last parse while the files' bytes are unchanged (`faq index watch`);
    an edit, however small, must be read."""
    write(tmp_path, "rewrites.tsv", "ko\tkhông\n")
    first = load_lexicon(tmp_path)
    assert load_lexicon(tmp_path) is first
    write(tmp_path, "rewrites.tsv", "ko\tkhôg\n")
    assert load_lexicon(tmp_path).rewrites == ((("ko",), ("khôg",)),)
    (tmp_path / "rewrites.tsv").unlink()
    assert load_lexicon(tmp_path).rewrites == ()


def test_a_form_is_defined_once_across_rewrites_and_english(tmp_path: Path) -> None:
    """`english.tsv` joins `rewrites.tsv` in one table: a form in both would leave which one wins unsaid."""
    write(tmp_path, "rewrites.tsv", "ko\tkhông\nhello\t-\n")
    write(tmp_path, "english.tsv", "id card\tthẻ căn cước\nhello\txin chào\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    assert info.value.problems == [
        f"{tmp_path / 'english.tsv'}:2: `hello` is already defined on {tmp_path / 'rewrites.tsv'}:2"
    ]


def test_english_forms_are_kept_apart_and_survive_the_index(tmp_path: Path) -> None:
    """`english.tsv`'s forms join the rewrites and are also kept as `Lexicon.english`, so a message can be
    told English (faq.analyzer.Analyzer.english_share) after the lexicon went through an index's JSON."""
    write(tmp_path, "rewrites.tsv", "ko\tkhông\n")
    write(tmp_path, "english.tsv", "id card\tthẻ căn cước\nwhere\t-\n")
    lexicon = load_lexicon(tmp_path)
    assert lexicon.english == (("id", "card"), ("where",))
    assert [src for src, _ in lexicon.rewrites] == [("ko",), ("id", "card"), ("where",)]
    assert Lexicon.from_dict(lexicon.to_dict()) == lexicon


@pytest.mark.parametrize(
    ("asked", "english"),
    [
        ("how do i renew my driving license", True),
        ("police took my motorbike at a checkpoint, how to get it back", True),
        ("my visa expires next week, can i extend it", True),  # `need`, `extend`: no entry, not Vietnamese
        ("lam lai the can cuoc o dau", False),  # Vietnamese without diacritics: all syllables
        ("ad ơi cho mk hỏi đk tạm trú online trên vneid đc ko", False),  # teencode: lexicon forms
        ("làm thẻ tạm trú TRC ạ", False),  # one English word among Vietnamese ones
        ("passport renewal", False),  # under three words: too few to tell
        ("x7qk zzpw wmnvot rqquuiq xhskfh", False),  # a pasted key: unknown words, none an English entry
        ("def f(x): return x[1] + b[2] if a1 else None", False),  # code: nothing says English
    ],
)
def test_a_message_is_told_english_by_its_words(project_analyzer, asked: str, english: bool) -> None:
    from faq.analyzer import ENGLISH_SHARE
    from faq.spelling import dictionary_syllables

    analyzer = project_analyzer
    assert analyzer.english_share(asked) == 0.0  # no dictionary, no telling: unaccented words would all look English
    told = type(analyzer)(analyzer.config, analyzer.lexicon, dictionary=dictionary_syllables())
    assert (told.english_share(asked) >= ENGLISH_SHARE) is english


def test_every_english_only_entry_is_a_vietnamese_syllable_typed_without_diacritics() -> None:
    """`english_only.tsv` is read in English messages alone, for the words `english.tsv` may not hold: an
    English word Vietnamese does not have belongs there, where it is read everywhere it is typed."""
    from faq.lexicon import parse_rewrites
    from faq.spelling import dictionary_syllables
    from faq.text import fold

    vietnamese = {fold(s) for s in dictionary_syllables()}
    problems: list[str] = []
    entries = parse_rewrites(PROJECT_LEXICON / "english_only.tsv", problems)
    assert not problems and len(entries) > 10
    assert [src for src, _ in entries if not all(fold(s) in vietnamese for s in src)] == []


def test_english_only_tsv_has_file_and_line_errors_and_shares_the_rewrites_forms(tmp_path: Path) -> None:
    write(tmp_path, "english.tsv", "id card\tthẻ căn cước\nwhere\t-\n")
    write(tmp_path, "english_only.tsv", "the\t-\nmy\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    assert [p.split(" ")[0] for p in info.value.problems] == [f"{tmp_path / 'english_only.tsv'}:2:"]
    write(tmp_path, "english_only.tsv", "the\t-\nwhere\t-\n")
    with pytest.raises(CorpusError) as info:
        load_lexicon(tmp_path)
    assert info.value.problems == [
        f"{tmp_path / 'english_only.tsv'}:2: `where` is already defined on {tmp_path / 'english.tsv'}:2"
    ]
    write(tmp_path, "english_only.tsv", "the\t-\nmy\t-\n")
    lexicon = load_lexicon(tmp_path)
    assert lexicon.english_only == ((("the",), ()), (("my",), ()))
    assert [src for src, _ in lexicon.rewrites] == [("id", "card"), ("where",)]  # not read everywhere
    assert Lexicon.from_dict(lexicon.to_dict()) == lexicon


@pytest.mark.parametrize(
    ("asked", "read"),
    [
        ("thank you so much for the help!", "help"),  # `the` (thẻ) and `for` go: nothing asked
        ("I lost my passport", "mất passport"),  # `my` (Mỹ) goes
        ("the chip on my the can cuoc is broken, where do i get a new one", "chip the can cuoc bị hỏng cấp lại"),
        ("the can cuoc het han lam lai o dau", "the can cuoc het han lam lai o dau"),  # Vietnamese: as typed
        ("giay to can mang theo khi lam the tam tru", "giay to can mang theo khi lam the tam tru"),
    ],
)
def test_english_only_entries_are_read_in_english_messages_outside_known_words(
    project_analyzer, asked: str, read: str
) -> None:
    """In a message written in English, `the`, `my`, `can` ask nothing, unless with their neighbours they
    make a word the index knows (`the can cuoc`: thẻ căn cước); a Vietnamese message keeps them all."""
    from faq.spelling import dictionary_syllables

    analyzer = type(project_analyzer)(
        project_analyzer.config,
        project_analyzer.lexicon,
        query_words=["thẻ_căn_cước", "căn_cước", "giấy_tờ", "tạm_trú"],
        dictionary=dictionary_syllables(),
    )
    assert read_as(analyzer, asked) == read
