"""Labelled citizen messages (`corpus/examples/`, faq.examples): validated line by line, indexed as
sample questions that move the ranking, never shown as the question answered, and counted as leakage
when an eval set repeats them."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import copy_corpus
from typer.testing import CliRunner

from cli import app
from faq.corpus import Document, check_corpus
from faq.engine import Paths, build, corpus_fingerprint
from faq.evaluate import EvalQuery, ablation_indexes, overlap_with_corpus
from faq.index import Index, load_index
from faq.search import Searcher
from faq.tuning import FOLDS, MESSAGES_WEIGHTS, message_folds, tune_messages_only

ABROAD = "ra nước ngoài làm việc thì làm giấy gì"  # the scam-warning page comes first, the passport second


def _project(root: Path) -> Paths:
    copy_corpus(root / "corpus")
    return Paths(
        root / "corpus", root / "indexes" / "default", root / "corpus" / "lexicon", root / "corpus" / "tuning.json"
    )


def _write(path: Path, rows: list[object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def test_malformed_lines_are_named_by_file_and_line(tmp_path: Path) -> None:
    paths = _project(tmp_path)
    chat = paths.corpus / "examples" / "chat.jsonl"
    _write(
        chat,
        [
            {"query": "sang Hàn làm việc cần giấy gì", "expected": ["ho-chieu"]},
            "{not json",
            {"query": "  ", "expected": ["ho-chieu"]},
            {"query": "ở nhờ có phải báo không", "expected": "tam-tru"},
            {"query": "làm bằng lái ở đâu", "expected": ["gplx"]},
            {"query": "Sang  hàn làm việc cần giấy gì", "expected": ["ho-chieu"]},
            {"query": "đăng ký kết hôn ở đâu", "expected": [], "type": "out_of_scope"},
            '{"query": "a", "expected": [' + "1" * 5000 + "]}",  # too long a number for Python's int
        ],
    )
    docs, problems = check_corpus(paths.corpus)
    assert [str(p) for p in problems] == [
        f"{chat}:2: not valid JSON",
        f"{chat}:3: `query` must be a non-empty string",
        f"{chat}:4: `expected` must be a list of page ids",
        f"{chat}:5: unknown page id(s): gplx",
        f"{chat}:6: the same message as {chat}:1",
        f"{chat}:8: not valid JSON",
    ]
    assert {d.id: d.examples for d in docs if d.examples} == {"ho-chieu": ("sang Hàn làm việc cần giấy gì",)}


def test_a_labelled_message_moves_the_ranking_and_is_never_shown(tmp_path: Path) -> None:
    """Before: a question about working abroad gets the scam warning (its words `nước ngoài`, `làm
    việc` are there). A unit labels a similar past message with the passport page; the engine then
    puts the passport first, and explains why, while what the hit shows is still the page's own text
    and the scores confidence is read from are the same as without the message."""
    paths = _project(tmp_path)
    before, _ = build(paths.corpus, paths.index, paths)
    assert [h.id for h in Searcher(before).search(ABROAD).hits[:2]] == ["gia-danh-cong-an", "ho-chieu"]
    stale = corpus_fingerprint(paths.corpus, paths)
    example = "sang Hàn Quốc làm việc thì phải làm giấy gì"
    _write(paths.corpus / "examples" / "chat.jsonl", [{"query": example, "expected": ["ho-chieu"]}])
    assert corpus_fingerprint(paths.corpus, paths) != stale  # a new file of messages makes the index stale
    index, _ = build(paths.corpus, paths.index, paths)
    result = Searcher(index).search(ABROAD, explain=True)
    first = result.hits[0]
    assert first.id == "ho-chieu" and not result.abstained
    assert first.matched != example and first.matched_kind != "example"
    for hit in result.hits:
        assert sum(c.score for c in hit.contributions) == pytest.approx(hit.score, abs=1e-9)
    # whether to answer is judged on the pages' own text (unaccented too: restoration reads the pages'
    # words alone): every page's confidence score is what it was
    assert index.vocab == before.vocab and index.word_frequencies == before.word_frequencies
    plain, moved = Searcher(before), Searcher(index)
    for query in (ABROAD, "mất căn cước làm lại ở đâu", "mat can cuoc lam lai o dau", "đặt cọc mua đất"):
        own = moved.score_vector(moved.vectors(query)).own
        assert own == pytest.approx(plain.score_vector(plain.vectors(query)).raw, abs=1e-12), query
    loaded = load_index(paths.index)
    assert next(d for d in loaded.documents if d.id == "ho-chieu").examples == (example,)
    assert Searcher(loaded).search(ABROAD).hits[0].id == "ho-chieu"
    # the ablation row `− labelled messages` is this index without them: the premise again
    ablated, config = ablation_indexes(index)["− labelled messages"]
    assert Searcher(ablated, config).search(ABROAD).hits[0].id == "gia-danh-cong-an"


def test_an_eval_set_repeating_a_labelled_message_counts_as_overlap(tmp_path: Path) -> None:
    paths = _project(tmp_path)
    _write(
        paths.corpus / "examples" / "chat.jsonl", [{"query": "sang Hàn làm việc cần giấy gì", "expected": ["ho-chieu"]}]
    )
    docs, problems = check_corpus(paths.corpus)
    assert not problems
    queries = [
        EvalQuery("Sang Hàn làm việc, cần giấy gì?", ("ho-chieu",), "colloquial"),
        EvalQuery("mất căn cước", ("cap-lai-can-cuoc",), "short"),
    ]
    assert overlap_with_corpus(queries, docs) == (1, 0.5)


def test_corpus_check_counts_the_labelled_messages(project: Paths) -> None:
    """One message naming two pages is one message; a broken line is named and fails the check."""
    chat = project.corpus / "examples" / "chat.jsonl"
    _write(chat, [{"query": "sang Hàn làm việc cần giấy gì", "expected": ["ho-chieu", "gia-danh-cong-an"]}])
    result = CliRunner().invoke(app, ["corpus", "check"])
    assert result.exit_code == 0 and "4 documents, 1 labelled message, no problems" in result.output
    shown = json.loads(CliRunner().invoke(app, ["show", "--json", "ho-chieu"]).stdout)
    assert shown["labelled_messages"] == ["sang Hàn làm việc cần giấy gì"]
    _write(chat, ['{"query": "x"'])
    result = CliRunner().invoke(app, ["corpus", "check"])
    assert result.exit_code != 0 and "chat.jsonl:1: not valid JSON" in result.output


def test_the_messages_weight_moves_ranking_alone_and_explain_still_adds_up(tmp_path: Path) -> None:
    """`SearchConfig.messages_weight` scales what the labelled messages add to a page's ranking score:
    the page they belong to pulls further ahead the heavier they weigh, the scores confidence reads are
    the same at every weight, and `--explain`'s contributions still sum to each hit's score."""
    paths = _project(tmp_path)
    _write(
        paths.corpus / "examples" / "chat.jsonl",
        [{"query": "sang Hàn Quốc làm việc thì phải làm giấy gì", "expected": ["ho-chieu"]}],
    )
    index, _ = build(paths.corpus, paths.index, paths)
    ids = list(index.doc_ids)
    lead, own = {}, {}
    for weight in (1.0, 3.0):
        searcher = Searcher(index, replace(index.search_config, messages_weight=weight))
        scored = searcher.score_vector(searcher.vectors(ABROAD))
        lead[weight] = scored.raw[ids.index("ho-chieu")] - scored.raw[ids.index("gia-danh-cong-an")]
        own[weight] = scored.own
        result = searcher.search(ABROAD, explain=True)
        assert result.hits[0].id == "ho-chieu"
        for hit in result.hits:
            assert sum(c.score for c in hit.contributions) == pytest.approx(hit.score, abs=1e-9)
    assert lead[3.0] > lead[1.0] > 0
    assert own[3.0] == pytest.approx(own[1.0], abs=1e-12)


def test_message_folds_hold_each_message_out_of_the_index_it_is_asked_of() -> None:
    """The messages' weight is chosen on the messages themselves (faq.tuning): each is asked of an index
    built without it, once, expecting every page it is labelled with; the split is the same every run."""
    docs = [
        Document(id="a", title="A", examples=tuple(f"hỏi a {i}" for i in range(12)) + ("hỏi chung",)),
        Document(id="b", title="B", examples=("hỏi b 1", "hỏi chung")),
        Document(id="c", title="C"),
    ]
    folds = message_folds(docs)
    assert folds == message_folds(docs) and 1 < len(folds) <= FOLDS
    asked = [q for _, queries in folds for q in queries]
    assert sorted(q.query for q in asked) == sorted({m for d in docs for m in d.examples})
    assert next(q for q in asked if q.query == "hỏi chung").expected == ("a", "b")
    for fold_docs, queries in folds:
        assert [d.id for d in fold_docs] == ["a", "b", "c"]
        held = {q.query for q in queries}
        kept = {m for d in fold_docs for m in d.examples}
        assert not held & kept and held | kept == {m for d in docs for m in d.examples}
    assert message_folds([Document(id="c", title="C")]) == []


def test_tuning_the_messages_weight_alone_keeps_everything_else(tmp_path: Path) -> None:
    """`eval --tune --messages-only` chooses the messages' weight from its grid on the held-back
    messages and writes nothing else; without labelled messages it keeps the weight; the flag needs
    --tune and excludes --threshold-only."""
    paths = _project(tmp_path)
    plain, _ = build(paths.corpus, tmp_path / "plain", paths)
    assert tune_messages_only(plain)[0] == plain.search_config
    rows = [
        {"query": f"sang {c} làm việc cần làm giấy gì", "expected": ["ho-chieu"]}
        for c in ("Hàn", "Nhật", "Đài Loan", "Úc", "Đức")
    ]
    rows += [
        {"query": q, "expected": ["gia-danh-cong-an"]}
        for q in ("có người gọi xưng công an bắt chuyển tiền", "công an gọi điện bảo tôi dính vụ án")
    ]
    _write(paths.corpus / "examples" / "chat.jsonl", rows)
    index, _ = build(paths.corpus, paths.index, paths)
    chosen, summary = tune_messages_only(index)
    assert chosen.messages_weight in MESSAGES_WEIGHTS and "7 messages" in summary
    assert replace(chosen, messages_weight=index.search_config.messages_weight) == index.search_config
    runner = CliRunner()
    assert runner.invoke(app, ["eval", "--messages-only"]).exit_code == 2
    assert runner.invoke(app, ["eval", "--tune", "--messages-only", "--threshold-only"]).exit_code == 2


def test_the_topic_gap_reads_a_page_with_its_labelled_messages(tmp_path: Path) -> None:
    """How much a question is like another agency's subject rather than like a page (faq.topics) weighs
    each page with its labelled messages: a message in the citizen's own words brings a question that
    reads like the tax examples closer to the page it is labelled with, and so narrows the gap."""
    question = "nhà em cho sinh viên thuê trọ thì phải báo công an những gì"
    paths = _project(tmp_path)
    plain, _ = build(paths.corpus, tmp_path / "plain", paths)
    _write(
        paths.corpus / "examples" / "chat.jsonl",
        [{"query": "nhà em có mấy phòng cho sinh viên thuê trọ thì phải báo công an gì", "expected": ["tam-tru"]}],
    )
    labelled, _ = build(paths.corpus, paths.index, paths)

    def gap(index: Index) -> float:
        searcher = Searcher(index)
        return searcher.closest_topic(searcher.analyzer.analyze(question, query=True)["folded"])[1]

    assert gap(labelled) < gap(plain)
