import json
import os
from pathlib import Path

from faq.analyzer import Analyzer
from faq.config import AnalyzerConfig
from faq.lexicon import load_lexicon

DATA = Path(__file__).parent / "data"
GOLDEN = DATA / "analyzer_golden.json"
TEXTS = [
    "Đăng ký tạm trú cần giấy tờ gì? Đăng ký ở đâu",
    "dang ky tam tru can giay to gi",
    "Làm CCCD cho con dưới 14 tuổi ở đâu vậy ạ",
    "mất cà vẹt xe máy thì làm lại ntn",
    "Hoà Bình, thuỷ lợi: lệ phí 20.000đ",
]


def analyzer() -> Analyzer:
    return Analyzer(AnalyzerConfig(), load_lexicon(DATA / "corpus" / "lexicon"))


def test_golden_tokens() -> None:
    """Pins segmentation: an underthesea upgrade that changes tokens shows up as a diff here.

    Regenerate deliberately with UPDATE_GOLDEN=1 and review the diff.
    """
    a = analyzer()
    got = {t: a.analyze(t, query=True)["word"] for t in TEXTS}
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, ensure_ascii=False, indent=1) + "\n", "utf-8")
    assert got == json.loads(GOLDEN.read_text("utf-8"))


def test_unaccented_query_meets_accented_document_in_folded_channel() -> None:
    a = analyzer()
    doc = set(a.analyze("Đăng ký tạm trú")["folded"])
    query = set(a.analyze("dang ky tam tru", query=True)["folded"])
    assert {"dang ky", "tam tru"} <= doc & query


def test_tone_variants_give_identical_tokens() -> None:
    a = analyzer()
    assert a.analyze("hoà giải thuỷ lợi") == a.analyze("hòa giải thủy lợi")


def test_rewrites_and_abbreviations_apply_to_queries_only() -> None:
    a = analyzer()
    q = a.prepare("cccd ko dc", query=True)
    assert q[0] == ["cccd", "không", "được"]
    assert ["căn", "cước", "công", "dân"] in q
    assert a.prepare("cccd ko dc") == [["cccd", "ko", "dc"]]


def test_stopwords_removed_but_meaningful_words_kept() -> None:
    a = analyzer()
    words = a.analyze("cho hỏi không đổi lại được vậy ạ")["word"]
    assert "ạ" not in words and "vậy" not in words and "cho" not in words
    for kept in ("không", "đổi", "lại"):
        assert any(kept in w.split("_") for w in words)


def test_ablation_flags_switch_channels_off() -> None:
    lex = load_lexicon(DATA / "corpus" / "lexicon")
    out = Analyzer(AnalyzerConfig(folded=False, char=False), lex).analyze("tạm trú")
    assert set(out) == {"word"}
    unsegmented = Analyzer(AnalyzerConfig(segment=False), lex).analyze("tạm trú")["word"]
    assert unsegmented[:2] == ["tạm", "trú"]


def test_project_lexicon_reads_mk_by_context() -> None:
    """`mk` is `mình` in chat but `mật khẩu` next to `quên`/`đổi`/`vneid`: the longer rewrite must win."""
    a = Analyzer(AnalyzerConfig(), load_lexicon(Path(__file__).parent.parent / "corpus" / "lexicon"))
    assert a.prepare("quen mk vneid", query=True)[0] == ["quên", "mật", "khẩu", "vneid"]
    assert a.prepare("đổi mk cấp 2", query=True)[0] == ["đổi", "mật", "khẩu", "cấp", "2"]
    assert a.prepare("mk muốn làm hộ chiếu", query=True)[0] == ["mình", "muốn", "làm", "hộ", "chiếu"]


def test_project_danger_signs_excuse_words_that_tell_of_no_beating() -> None:
    """`đánh` is also typing, stealing, waking: `tên bị đánh sai` must not tell a citizen to call 113, and
    is read as what it means (`trộm cắp`), while a beating in the same words still warns."""
    a = Analyzer(AnalyzerConfig(), load_lexicon(Path(__file__).parent.parent / "corpus" / "lexicon"))
    for calm in (
        "tên trên thẻ căn cước bị đánh sai dấu",
        "ten bi danh sai",
        "tài khoản zalo bị đánh cắp",
        "đêm nào cũng bị đánh thức lúc 2h",
        "chồng hay đánh bài thua nợ",
        "bị đánh lừa chuyển tiền",
    ):
        assert a.danger_signs(calm) == [], calm
    for danger in ("tôi bị đánh rớt răng", "bi danh may lan roi", "tôi bị đánh rồi bị đánh cắp ví"):
        assert a.danger_signs(danger), danger
    assert a.prepare("tôi bị đánh cắp thông tin", query=True)[0][:4] == ["tôi", "bị", "trộm", "cắp"]


def test_rewrites_take_a_word_typed_with_diacritics_at_its_word() -> None:
    """A rewrite replaces what was typed: `hỏng` (broken) must not become `không` through a teencode entry
    `hông`, though `hong`, typed without any diacritics, may. Expansions and referrals only add, so they
    match by letters and forgive a wrong tone (`cá vét`, `sổ hống`)."""
    from faq.lexicon import Lexicon

    lex = Lexicon(
        rewrites=((("hông",), ("không",)),),
        synonyms=((("cà", "vẹt"), ("giấy", "đăng", "ký", "xe")),),
        other_agencies=((("sổ", "hồng"), "Văn phòng đăng ký đất đai"),),
    )
    a = Analyzer(AnalyzerConfig(), lex)
    assert a.prepare("thẻ bị hỏng", query=True) == [["thẻ", "bị", "hỏng"]]
    assert a.prepare("được hông", query=True) == [["được", "không"]]
    assert a.prepare("duoc hong", query=True) == [["duoc", "không"]]
    assert ["giấy", "đăng", "ký", "xe"] in a.prepare("mat ca vet", query=True)
    assert ["giấy", "đăng", "ký", "xe"] in a.prepare("mất cá vét", query=True)
    assert a.referrals(a.prepare("sổ hồng", query=True)) and a.referrals(a.prepare("sổ hống", query=True))


def test_a_one_syllable_entry_needs_the_word_itself() -> None:
    """`đổi` (exchange) shares its letters with `đòi` (demand), `đợi` (wait), `đội` (team): typed with
    diacritics, only `đổi` itself brings in `cấp đổi`; typed without any, `doi` may be it. Likewise an
    other-agency term: `thuế` (tax) is not `thuê` (rent). A phrase of several syllables still forgives a
    wrong tone (previous test)."""
    from faq.lexicon import Lexicon

    lex = Lexicon(
        synonyms=((("đổi",), ("cấp", "đổi")),),
        abbreviations=((("đkx",), ("đăng", "ký", "xe")),),
        other_agencies=((("thuế",), "Cơ quan thuế"),),
    )
    a = Analyzer(AnalyzerConfig(), lex)
    assert not a.referrals(a.prepare("thuê trọ ở đâu", query=True))
    assert a.referrals(a.prepare("nộp thuế ở đâu", query=True)) and a.referrals(a.prepare("nop thue", query=True))
    for typed in ("phải đợi bao lâu", "họ đòi tiền", "đội tuyển"):
        assert a.prepare(typed, query=True) == [typed.split()]
    assert ["cấp", "đổi"] in a.prepare("đổi thẻ", query=True)
    assert ["cấp", "đổi"] in a.prepare("doi the", query=True)
    assert ["đăng", "ký", "xe"] in a.prepare("dkx", query=True)
    assert ["đăng", "ký", "xe"] in a.prepare("đkx", query=True)


def test_a_deleting_rewrite_removes_a_chat_phrase_from_questions_only() -> None:
    """`ad ơi có ở đó ko` asks nothing; without the entry its `ở` matches documents about `nơi ở`."""
    from faq.lexicon import Lexicon

    lex = Lexicon(rewrites=((("ko",), ("không",)), (("có", "ở", "đó", "ko"), ())), stopwords=frozenset({"ad", "ơi"}))
    a = Analyzer(AnalyzerConfig(), lex)
    assert a.analyze("ad ơi có ở đó ko", query=True) == {c: [] for c in AnalyzerConfig().channels()}
    assert a.prepare("ở đó có làm căn cước ko", query=True) == [["ở", "đó", "có", "làm", "căn", "cước", "không"]]
    assert "ở" in a.analyze("có ở đó ko")["word"]  # documents keep their words


def test_a_step_already_taken_at_another_agency_is_not_what_is_asked() -> None:
    """`đã làm khai tử rồi` names a paper the citizen already holds; the question is the next step."""
    from faq.lexicon import Lexicon

    lex = Lexicon(rewrites=((("r",), ("rồi",)),), other_agencies=((("khai", "tử"), "UBND cấp xã"),))
    a = Analyzer(AnalyzerConfig(), lex)

    def pending(text: str) -> list[str]:
        return [r.term for r in a.referrals(a.prepare(text, query=True)) if r.pending]

    assert pending("làm khai tử cho bố ở đâu") == ["khai tử"]
    assert pending("bố em mất, đã làm khai tử r, giờ xóa tên khỏi hộ khẩu thế nào") == []
    assert pending("bo em mat, lam khai tu xong roi thi xoa ten o dau") == []
    assert pending("đã hỏi xã rồi, giờ làm khai tử ở đâu") == ["khai tử"]  # `đã` too far before it
    assert pending("vừa làm khai tử cho bố, giờ cắt hộ khẩu ở đâu") == []  # `vừa`: just done
    assert pending("vừa làm khai tử vừa xóa hộ khẩu cho bố ở đâu") == ["khai tử"]  # `vừa … vừa`: both to do
    assert pending("vừa xóa hộ khẩu vừa làm khai tử cho bố ở đâu") == ["khai tử"]
    assert pending("sau khi làm khai tử thì xóa thường trú ở đâu") == []  # after it: done
    assert pending("khi nào làm khai tử") == ["khai tử"]  # `khi` alone is not `sau khi`
    # a mention as a step already taken is still named, as for the explanation shown to the citizen
    assert a.referrals(a.prepare("đã làm khai tử rồi", query=True)) == [("khai tử", "UBND cấp xã", False)]


def test_a_paper_held_besides_what_is_asked_is_not_what_is_asked() -> None:
    """`ngoài giấy đăng ký hộ kinh doanh ra` (or `… còn`) names a paper the guesthouse owner holds;
    `người nước ngoài` and `ra sao` are not that construction."""
    from faq.lexicon import Lexicon

    lex = Lexicon(other_agencies=((("hộ", "kinh", "doanh"), "UBND cấp xã"), (("kết", "hôn"), "UBND cấp xã")))
    a = Analyzer(AnalyzerConfig(), lex)

    def pending(text: str) -> list[str]:
        return [r.term for r in a.referrals(a.prepare(text, query=True)) if r.pending]

    assert pending("ngoài giấy đăng ký hộ kinh doanh ra thì có phải xin giấy gì của công an") == []
    assert pending("ngoai giay dang ky ho kinh doanh ra con phai xin gi") == []
    assert pending("ngoài giấy đăng ký hộ kinh doanh còn phải xin giấy gì") == []  # `ngoài … còn`, no `ra`
    assert pending("người nước ngoài kết hôn còn phải làm gì") == ["kết hôn"]
    assert pending("ngoài đăng ký kết hôn con tôi cần giấy gì") == ["kết hôn"]  # `con` (a child) is not `còn`
    assert pending("đăng ký hộ kinh doanh ra sao") == ["hộ kinh doanh"]
    assert pending("người nước ngoài đăng ký kết hôn ra sao") == ["kết hôn"]
    assert pending("người nước ngoài kết hôn ra phường hay xã") == ["kết hôn"]


def test_a_referral_term_cut_out_of_a_longer_word_is_not_named() -> None:
    """`mất điện` (a power cut, the utility's business) is not in `mất điện thoại` (a lost phone): the
    index holds the word `điện_thoại`. Typed with diacritics, `điện từ` is not the word `điện tử`."""
    from faq.lexicon import Lexicon

    lex = Lexicon(rewrites=((("đt",), ("điện", "thoại")),), other_agencies=((("mất", "điện"), "Điện lực"),))
    a = Analyzer(AnalyzerConfig(), lex, query_words=["điện_thoại", "điện_tử"])

    def named(text: str) -> bool:
        return bool(a.referrals(a.prepare(text, query=True)))

    assert not named("bị mất điện thoại có cài VNeID")
    assert not named("bị móc túi mất đt")
    assert not named("bi mat dien thoai roi")
    assert named("khu nhà em mất điện từ sáng")
    assert named("mất điện cả đêm gọi ai")


def test_a_joint_referral_term_is_named_when_every_part_is_anywhere_in_the_message() -> None:
    """`sổ đỏ + sang tên`: a land title being transferred, said apart (`sổ đỏ nhà đứng tên ba … muốn sang
    tên`) or together, in either order; one part alone is not it (a vehicle's transfer, a title held
    as proof of a home). Still to do only when every part is: a transfer already done is a story."""
    from faq.lexicon import Lexicon

    lex = Lexicon(other_agencies=((("sổ", "đỏ", "+", "sang", "tên"), "Văn phòng đăng ký đất đai"),))
    a = Analyzer(AnalyzerConfig(), lex)

    def named(text: str) -> list[tuple[str, bool]]:
        return [(r.term, r.pending) for r in a.referrals(a.prepare(text, query=True))]

    assert named("sổ đỏ nhà tui đứng tên ba, ba mất rồi giờ muốn sang tên qua mấy anh em") == [
        ("sổ đỏ + sang tên", True)
    ]
    assert named("muốn sang tên sổ đỏ cho con") == [("sổ đỏ + sang tên", True)]
    assert named("so do nha toi muon sang ten cho con") == [("sổ đỏ + sang tên", True)]
    assert named("mua xe cũ muốn sang tên") == [] and named("nhà có sổ đỏ, đăng ký thường trú") == []
    assert named("đã sang tên sổ đỏ xong rồi, giờ nhập khẩu cho con") == [("sổ đỏ + sang tên", False)]


def test_a_two_syllable_query_word_also_meets_the_pair_a_document_split() -> None:
    """underthesea may write `mẫu_dấu` in one sentence and `mẫu` `dấu` in another; a query's word also
    reads as the pair, so it meets both. Documents are tokenised as segmented, with no pair added."""
    lex = load_lexicon(DATA / "corpus" / "lexicon")
    a = Analyzer(AnalyzerConfig(), lex, query_words=["mẫu_dấu", "đăng_ký"])
    query = a.analyze("đăng ký mẫu dấu mới", query=True)["word"]
    assert {"mẫu_dấu", "mẫu dấu", "đăng ký"} <= set(query) and "mới" in query
    unigram_only = Analyzer(AnalyzerConfig(word_ngrams=(1, 1)), lex, query_words=["mẫu_dấu"])
    assert unigram_only.analyze("mẫu dấu", query=True)["word"] == ["mẫu_dấu"]  # no bigrams, no pairs
    document = a.analyze("Đăng ký mẫu con dấu")["word"]
    unigrams = [t for t in document if " " not in t]
    assert len(document) == 2 * len(unigrams) - 1  # its words and their bigrams only, no pairs


def test_a_query_is_prepared_as_its_own_words_and_its_synonyms_apart() -> None:
    """An abbreviation's expansion is what the citizen wrote and stays with the query's own words; the
    other terms of a synonym group are a likely other wording and come apart, for the search to weigh."""
    from faq.lexicon import Lexicon

    lex = Lexicon(
        abbreviations=((("cccd",), ("căn", "cước", "công", "dân")),),
        synonyms=((("cà", "vẹt"), ("giấy", "đăng", "ký", "xe")),),
    )
    a = Analyzer(AnalyzerConfig(), lex)
    own, related = a.prepare_query("mất cccd và cà vẹt")
    assert own == [["mất", "cccd", "và", "cà", "vẹt"], ["căn", "cước", "công", "dân"]]
    assert related == [["giấy", "đăng", "ký", "xe"]]
    assert a.prepare("mất cccd và cà vẹt", query=True) == own + related


def test_a_lexicon_phrase_inside_a_longer_one_brings_in_nothing_of_its_own() -> None:
    """Longest match, as rewrites have it: `xóa đăng ký thường trú` (cancelling) does not also bring in
    what `đăng ký thường trú` stands for (`nhập khẩu`, registering), nor `mã bảo mật` what the same
    letters `báo mất` would; written on its own elsewhere in the message, the shorter phrase counts."""
    from faq.lexicon import Lexicon

    lex = Lexicon(
        synonyms=(
            (("nhập", "khẩu"), ("đăng", "ký", "thường", "trú")),
            (("cắt", "khẩu"), ("xóa", "đăng", "ký", "thường", "trú")),
            (("báo", "mất"), ("trình", "báo", "mất")),
            (("mã", "bảo", "mật"), ("passcode",)),
        ),
    )
    a = Analyzer(AnalyzerConfig(), lex)

    def related(text: str) -> list[list[str]]:
        return a.prepare_query(text)[1]

    assert related("xóa đăng ký thường trú ở đâu") == [["cắt", "khẩu"]]
    assert related("đăng ký thường trú ở đâu") == [["nhập", "khẩu"]]
    assert related("quên mã bảo mật") == [["passcode"]]
    assert related("báo mất ở đâu") == [["trình", "báo", "mất"]]
    both = related("xóa đăng ký thường trú cho bố, rồi đăng ký thường trú cho con")
    assert sorted(both) == [["cắt", "khẩu"], ["nhập", "khẩu"]]


def test_the_core_of_a_message_sets_aside_stop_words_and_framing_words() -> None:
    """What tells a message that is only a bare topic (faq.search.Searcher.bare_topic): its own syllables
    folded, stop words (as typed) and the lexicon's framing words (as a rewrite's source is matched)
    aside; a framing word typed with other tone marks is another word, and so is anything else."""
    from faq.lexicon import Lexicon

    lex = Lexicon(stopwords=frozenset({"ạ", "cho"}), framing=(("thủ", "tục"), ("hỏi",), ("ạ",)))
    a = Analyzer(AnalyzerConfig(), lex)

    def core(text: str, limit: int | None = None) -> tuple[str, ...]:
        return a.core(a.prepare_query(text)[0], limit)

    assert core("cho hỏi thủ tục tạm trú ạ") == core("thu tuc tam tru a") == core("TẠM TRÚ?") == ("tam", "tru")
    assert core("hội tạm trú") == ("hoi", "tam", "tru")  # `hội` is not `hỏi`
    assert core("làm lại tạm trú") == ("lam", "lai", "tam", "tru")
    assert core("thủ tục tạm trú hết hạn", limit=3) == ()  # longer than any bare topic: no need to finish
    assert Analyzer(AnalyzerConfig(), Lexicon(stopwords=lex.stopwords)).core([["thủ", "tục", "tạm", "trú"]]) == (
        "thu",
        "tuc",
        "tam",
        "tru",
    )


def test_danger_signs_are_phrases_as_written_or_typed_without_any_diacritics() -> None:
    """tests/data/corpus/lexicon/danger_signs.tsv. A message typed with diacritics must hold the sign as
    written (`bóp có tiền`, a wallet that has money, is not `bóp cổ`; nor `định danh, bị` ...); one typed
    without any may hold its letters; each advice comes with its sign, in the lexicon's order."""
    a = analyzer()
    both = [("bóp cổ", "Gọi ngay 113."), ("xâm hại", "Gọi 111.")]
    assert a.danger_signs("chồng em bóp cổ em, con bị xâm hại") == both
    assert [s for s, _ in a.danger_signs("chong em say ruou roi bop co em")] == ["bóp cổ"]
    assert a.danger_signs("em làm rơi cái bóp có căn cước và bằng lái") == []
    assert a.danger_signs("tài khoản định danh bị danh sách chặn") == []
    assert a.danger_signs("đăng ký tạm trú cần giấy tờ gì") == []


def test_a_sign_inside_a_phrase_that_tells_of_no_danger_does_not_count() -> None:
    """`đánh cắp<TAB>-` in the test lexicon: `bị đánh cắp` (stolen) is no beating, typed with or without
    diacritics, but the same sign elsewhere in the message still counts, and the phrase is no sign."""
    a = analyzer()
    assert a.danger_signs("tài khoản zalo bị đánh cắp") == []
    assert a.danger_signs("tai khoan zalo bi danh cap") == []
    assert a.danger_signs("nó đánh cắp điện thoại") == []
    assert [s for s, _ in a.danger_signs("tôi bị đánh, nó còn đánh cắp điện thoại")] == ["bị đánh"]
    assert [s for s, _ in a.danger_signs("tôi bị đánh rồi bị đánh cắp ví")] == ["bị đánh"]


def test_fraud_signs_are_phrases_as_typed_and_addresses_outside_the_states_domains() -> None:
    """Matched by letters whatever the diacritics, in the lexicon's order, on what the citizen typed:
    `stk` is a sign, a bank's `số tài khoản` (what `stk` is read as) is not; a web address outside
    .gov.vn stands for `đường link lạ` (tests/data/corpus/lexicon/fraud_signs.tsv)."""
    a = analyzer()
    signs = a.fraud_signs("ho noi toi lien quan rua tien, chuyen vao stk nay, vao link vneid-capnhat.vip")
    assert [s for s, _ in signs] == ["đường link lạ", "rửa tiền", "stk"]
    assert dict(signs)["rửa tiền"] == "Công an không yêu cầu chuyển tiền để xác minh."
    assert a.fraud_signs("ngân hàng đề nghị cập nhật số tài khoản tại quầy") == []
    assert a.fraud_signs("gia hạn tạm trú trên dichvucong.gov.vn") == []
    assert [s for s, _ in a.fraud_signs("có đường link lạ gửi qua Zalo")] == ["đường link lạ"]
