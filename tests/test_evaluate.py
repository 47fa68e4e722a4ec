import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import app
from faq.analyzer import Analyzer
from faq.engine import Paths
from faq.errors import CorpusError
from faq.evaluate import (
    EvalQuery,
    Run,
    check_gate,
    compare,
    evaluate,
    load_eval_set,
    overlap_with_corpus,
    run_to_json,
    tune_threshold,
)
from faq.text import fold, has_diacritics
from faq.typos import with_typos

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_load_eval_set_reports_every_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"query": "a", "expected": ["x"], "type": "formal"}\n{oops\n{"query": "b", "expected": "x", "type": "t"}\n'
        '{"query": "c", "expected": ["nope"], "type": "t"}\n{"query": "d", "expected": [], "type": ""}\n',
        "utf-8",
    )
    with pytest.raises(CorpusError) as info:
        load_eval_set(path, known_ids={"x"})
    assert [p.split(":")[1] for p in info.value.problems] == ["2", "3", "4", "5"]


def test_numbered_rows_are_labelled_by_their_number(tmp_path: Path) -> None:
    """A public collection that numbers its rows (`"id": 17`) is labelled the same way (`"expected": [17]`):
    both are the id as text; a number that names no row, or a true/false, is still a problem."""
    path = tmp_path / "e.jsonl"
    path.write_text('{"query": "a", "expected": [17, "x"]}\n', "utf-8")
    assert load_eval_set(path, known_ids={"17", "x"})[0].expected == ("17", "x")
    path.write_text('{"query": "a", "expected": [18]}\n{"query": "b", "expected": [true]}\n', "utf-8")
    with pytest.raises(CorpusError) as info:
        load_eval_set(path, known_ids={"17"})
    assert [p.split(":", 2)[2] for p in info.value.problems] == [
        " unknown id(s) 18 (not in the index)",
        " `expected` must be a list of ids ([] for out of scope)",
    ]


def test_a_new_users_eval_set_may_leave_types_out_or_use_its_own(tmp_path: Path) -> None:
    """Types are labels for the by-type table, not a schema: a line without one is `untyped`, and a type
    of the user's own gets its column after the known ones."""
    from faq.report import by_type_table

    path = tmp_path / "mine.jsonl"
    path.write_text('{"query": "a", "expected": ["x"]}\n{"query": "b", "expected": ["x"], "type": "slang"}\n', "utf-8")
    queries = load_eval_set(path, known_ids={"x"})
    assert [q.type for q in queries] == ["untyped", "slang"]
    report = evaluate(Run("x", tuple(queries), (("x",), ("y", "x")), (0.9, 0.9), 0.5), bootstrap=False)
    header, _, row = by_type_table([report]).splitlines()
    assert header == "| system | slang | untyped |" and row == "| x | 0.000 | 1.000 |"


def make_run(rows, threshold=0.5) -> Run:
    queries = tuple(EvalQuery(q, tuple(e), t) for q, e, t, _, _ in rows)
    return Run("x", queries, tuple(tuple(r) for _, _, _, r, _ in rows), tuple(c for *_, c in rows), threshold)


def test_evaluate_on_a_hand_made_run() -> None:
    rows = [
        ("q1", ["a"], "formal", ["a", "b"], 0.9),
        ("q2", ["b"], "typo", ["a", "b"], 0.6),
        ("q3", ["a", "b"], "long", ["c", "a", "b"], 0.4),  # falsely abstained
        ("q4", [], "out_of_scope", ["a", "b"], 0.2),  # rightly abstained
    ]
    report = evaluate(make_run(rows), {"a": "cat1", "b": "cat2"}, bootstrap=False)
    mt = report["metrics"]
    assert mt["accuracy_at_1"] == pytest.approx(1 / 3)
    assert mt["mrr_at_10"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert mt["recall_at_3"] == pytest.approx(1.0)
    assert mt["abstention_precision"] == 0.5 and mt["abstention_recall"] == 1.0
    assert mt["false_abstention_rate"] == pytest.approx(1 / 3)
    assert report["by_type"]["typo"]["accuracy_at_1"] == 0.0
    assert report["by_category"]["cat1"]["n"] == 2
    assert [f["query"] for f in report["failures"]] == ["q2", "q3"]


def test_reached_at_1_counts_a_first_page_that_points_to_a_right_one() -> None:
    """q2's first page `a` is wrong but points to `b`, the right one; q3's `c` points nowhere right;
    an out-of-scope query counts for neither; without pointers the metric is not reported."""
    rows = [
        ("q1", ["a"], "formal", ["a", "b"], 0.9),
        ("q2", ["b"], "typo", ["a", "b"], 0.6),
        ("q3", ["a"], "long", ["c", "a"], 0.6),
        ("q4", [], "out_of_scope", ["a", "b"], 0.2),
    ]
    pointed = evaluate(make_run(rows), bootstrap=False, pointers={"a": ("b",), "c": ("d",)})["metrics"]
    assert pointed["accuracy_at_1"] == pytest.approx(1 / 3) and pointed["reached_at_1"] == pytest.approx(2 / 3)
    assert "reached_at_1" not in evaluate(make_run(rows), bootstrap=False)["metrics"]


def test_tune_threshold_respects_false_abstention_cap() -> None:
    rows = [(f"q{i}", ["a"], "formal", ["a"], 0.5 + i / 100) for i in range(40)]
    rows += [(f"o{i}", [], "out_of_scope", ["a"], 0.1 + i / 100) for i in range(10)]
    t = tune_threshold(make_run(rows, 0.0))
    run = make_run(rows, t)
    report = evaluate(run, bootstrap=False)
    assert report["metrics"]["abstention_f1"] == 1.0 and 0.19 < t < 0.5


def test_threshold_is_chosen_within_the_dev_cap_not_the_ceiling() -> None:
    """Two weak genuine questions among a hundred: declining both catches every off-topic message (best
    F1, 2% false abstention, within the issue's 3% ceiling) but dev's cap is 1%, so one must stay."""
    rows = [(f"q{i}", ["a"], "formal", ["a"], 0.5 + i / 1000) for i in range(98)]
    rows += [("weak1", ["a"], "formal", ["a"], 0.15), ("weak2", ["a"], "formal", ["a"], 0.16)]
    rows += [(f"o{i}", [], "out_of_scope", ["a"], 0.10 + i / 100) for i in range(10)]
    assert tune_threshold(make_run(rows, 0.0), 0.03) > 0.19
    t = tune_threshold(make_run(rows, 0.0))
    report = evaluate(make_run(rows, t), bootstrap=False)
    assert 0.15 < t <= 0.16 and report["metrics"]["false_abstention_rate"] <= 0.01


def test_compare_gives_difference_and_p_value() -> None:
    better = make_run([(f"q{i}", ["a"], "formal", ["a", "b"], 1.0) for i in range(30)])
    worse = make_run([(f"q{i}", ["a"], "formal", ["b", "a"], 1.0) for i in range(30)])
    result = compare(run_to_json(better, evaluate(better, bootstrap=False)), run_to_json(worse, evaluate(worse)))
    assert result["accuracy_at_1"]["difference"] == 1.0 and result["accuracy_at_1"]["p_value"] < 0.01
    assert result["shared_queries"] == 30


def test_gate_reasons() -> None:
    metrics = {"accuracy_at_1": 0.8, "mrr_at_10": 0.95, "abstention_f1": 0.83}
    floor = {"accuracy_at_1": 0.9, "mrr_at_10": 0.9, "abstention_f1": 0.85}  # F1 may sit up to 3 points below
    reasons = check_gate(metrics, floor, 0.0)
    assert len(reasons) == 1 and reasons[0].startswith("accuracy_at_1")
    assert len(check_gate(metrics, floor | {"abstention_f1": 0.87}, 0.0)) == 2
    assert check_gate(metrics, {}, 0.06)[0].startswith("6.0% of eval queries")
    # a set of two-request messages gates recall@3 (both pages in the top 3) when its floor names it
    assert check_gate(metrics | {"recall_at_3": 0.9}, {"recall_at_3": 0.95}, 0.0)[0].startswith("recall_at_3")
    assert check_gate(metrics | {"recall_at_3": 0.9}, {"recall_at_3": 0.9}, 0.0) == []


def test_eval_set_does_not_copy_corpus_questions() -> None:
    """The project's own eval sets are written independently of the corpus (the gate checks it too)."""
    from faq.corpus import load_corpus

    docs = load_corpus(Path(__file__).parent.parent / "corpus")
    for name in ("dev.jsonl", "test.jsonl"):
        queries = load_eval_set(Path(__file__).parent.parent / "corpus" / "eval" / name)
        assert overlap_with_corpus(queries, docs)[1] <= 0.05


def test_project_eval_sets_cover_every_document_and_type() -> None:
    root = Path(__file__).parent.parent
    ids = {p.stem for p in (root / "corpus" / "procedures").glob("*.md")}
    total = 0
    for name in ("dev.jsonl", "test.jsonl"):
        queries = load_eval_set(root / "corpus" / "eval" / name, known_ids=ids)
        total += len(queries)
        for doc_id in ids:
            assert sum(doc_id in q.expected for q in queries) >= 5, (name, doc_id)
        inscope = [q for q in queries if q.in_scope]
        for kind in ("formal", "colloquial", "no_diacritics", "typo", "abbreviation", "long"):
            assert sum(q.type == kind for q in inscope) >= 0.1 * len(inscope), (name, kind)
    assert total >= 450


def test_the_committed_topic_floor_is_the_one_the_labelled_pointers_choose() -> None:
    """`topic_shown` (corpus/eval/POINTERS.md): of the floors 0, 0.05, ... 0.5, the one that keeps the
    most right pointers net of wrong ones on the choosing half of the labelled pointers, the lowest on a
    tie. A changed floor, or relabelled pointers, must agree again."""
    root = Path(__file__).parent.parent
    text = (root / "corpus" / "eval" / "pointers" / "labels.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    judged = [r for r in rows if r["part"] == "choose" and r["label"] in ("right", "wrong")]
    assert len(judged) >= 150

    def net(floor: float) -> int:
        return sum((1 if r["label"] == "right" else -1) for r in judged if r["similarity"] >= floor)

    floors = [k / 20 for k in range(11)]
    best = max(floors, key=lambda f: (net(f), -f))
    committed = json.loads((root / "corpus" / "tuning.json").read_text("utf-8"))["topic_shown"]
    assert committed == best and net(best) > net(0.0)


def test_eval_cli_json_and_gate(project: Paths) -> None:
    result = run("eval", "--dataset", str(DATA / "eval.jsonl"), "--json", "--gate", "--floor", str(DATA / "floor.json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("accuracy_at_1", "mrr_at_10", "recall_at_3", "recall_at_5", "ndcg_at_10", "abstention_f1"):
        assert 0.0 <= data["metrics"][key] <= 1.0
    assert data["metrics"]["accuracy_at_1"] >= 0.9
    q = data["queries"][0]
    assert set(q) >= {"query", "expected", "ranked", "abstained", "type"} and len(q["ranked"]) == 4


def test_eval_pools_repeated_datasets(project: Paths, tmp_path: Path) -> None:
    """`--dataset` repeated runs every set's queries as one: the held-out sets judged together."""
    lines = (DATA / "eval.jsonl").read_text("utf-8").splitlines()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("\n".join(lines[:5]) + "\n", "utf-8")
    second.write_text("\n".join(lines[5:]) + "\n", "utf-8")
    pooled = run("eval", "--dataset", str(first), "--dataset", str(second), "--json")
    whole = run("eval", "--dataset", str(DATA / "eval.jsonl"), "--json")
    assert pooled.exit_code == 0 and whole.exit_code == 0, pooled.output
    assert json.loads(pooled.stdout)["queries"] == json.loads(whole.stdout)["queries"]
    out = tmp_path / "REPORT.md"
    dev = ("--tune-on", str(DATA / "eval.jsonl"))
    assert run("eval", "--dataset", str(first), "--dataset", str(second), *dev, "--report", str(out)).exit_code == 0
    assert re.search(rf"Dataset `[^`]*a\.jsonl`, `[^`]*b\.jsonl`: {len(lines)} queries", out.read_text("utf-8"))
    second.write_text('{"query": "x", "expected": ["no-such-page"]}\n', "utf-8")
    broken = run("eval", "--dataset", str(first), "--dataset", str(second))
    assert broken.exit_code != 0 and str(second) in broken.stderr and "Traceback" not in broken.output


def test_eval_report_goes_to_a_new_directory_or_fails_cleanly(project: Paths, tmp_path: Path) -> None:
    target = tmp_path / "new" / "dir" / "REPORT.md"
    dev = ("--tune-on", str(DATA / "eval.jsonl"))
    assert run("eval", "--dataset", str(DATA / "eval.jsonl"), *dev, "--report", str(target)).exit_code == 0
    assert target.exists() and target.with_suffix(".svg").exists()
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    result = run("eval", "--dataset", str(DATA / "eval.jsonl"), *dev, "--report", str(blocked / "REPORT.md"))
    assert result.exit_code == 2 and result.stderr.startswith("error: cannot write the report")


def test_eval_can_strip_every_query_of_its_diacritics(project: Paths) -> None:
    result = run("eval", "--dataset", str(DATA / "eval.jsonl"), "--json", "--strip-diacritics")
    assert result.exit_code == 0, result.output
    queries = json.loads(result.stdout)["queries"]
    written = [json.loads(line)["query"] for line in (DATA / "eval.jsonl").read_text("utf-8").splitlines() if line]
    assert [q["query"] for q in queries] == [fold(w) for w in written]
    assert any(fold(w) != w for w in written) and all(not has_diacritics(q["query"]) for q in queries)
    refused = run("eval", "--dataset", str(DATA / "eval.jsonl"), "--strip-diacritics", "--gate")
    assert refused.exit_code == 2 and "floor" in refused.stderr


def test_eval_can_give_every_query_typing_slips(project: Paths) -> None:
    result = run("eval", "--dataset", str(DATA / "eval.jsonl"), "--json", "--typos", "1")
    assert result.exit_code == 0, result.output
    queries = [q["query"] for q in json.loads(result.stdout)["queries"]]
    written = [json.loads(line)["query"] for line in (DATA / "eval.jsonl").read_text("utf-8").splitlines() if line]
    assert (
        queries == [with_typos(w, 1) for w in written]
        and sum(q != w for q, w in zip(queries, written, strict=True)) > 0
    )
    refused = run("eval", "--dataset", str(DATA / "eval.jsonl"), "--typos", "1", "--gate")
    assert refused.exit_code == 2 and "floor" in refused.stderr


def test_gate_fails_with_a_deliberately_broken_analyzer(project: Paths, monkeypatch: pytest.MonkeyPatch) -> None:
    """The gate can fail: an analyzer that forgets to lower-case queries (a plausible regression) breaks answers."""
    original = Analyzer.tokens  # the step both documents and queries go through

    def broken(self, chunk_list, query: bool = False, accented: bool = True, channels=None) -> dict[str, list[str]]:
        tokens = original(self, chunk_list, query, accented, channels)
        return {c: [t.upper() for t in toks] for c, toks in tokens.items()} if query else tokens

    monkeypatch.setattr(Analyzer, "tokens", broken)
    (project.corpus / "procedures" / "tam-tru.md").touch()
    result = run("index", "build")
    assert result.exit_code == 0
    gated = run("eval", "--dataset", str(DATA / "eval.jsonl"), "--gate", "--floor", str(DATA / "floor.json"))
    assert gated.exit_code == 5
    assert "quality gate failed" in gated.stderr


def test_report_writes_markdown_and_svg(project: Paths, tmp_path: Path) -> None:
    dev = tmp_path / "dev.jsonl"
    dev.write_text((DATA / "eval.jsonl").read_text("utf-8"), "utf-8")
    out = tmp_path / "REPORT.md"
    result = run("eval", "--dataset", str(DATA / "eval.jsonl"), "--tune-on", str(dev), "--report", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text("utf-8")
    for row in (
        "full pipeline",
        "bm25s",
        "plain TF-IDF",
        "− segmentation",
        "− diacritic-free channel",
        "+ character n-grams",
        "− field weighting",
    ):
        assert f"| {row}" in text
    assert out.with_suffix(".svg").read_text("utf-8").startswith("<svg")


def test_baselines_run_on_a_faq_index_the_project_dev_set_does_not_fit(project: Paths, tmp_path: Path) -> None:
    """A unit evaluating its own FAQ table gets every row; the project's dev set (other ids) is skipped
    with a note, not reported as hundreds of bad lines. A dev set passed on purpose must fit."""
    rows = [
        {"id": "xe", "answer": "Mất xe máy thì báo ngay công an xã nơi xảy ra vụ việc."},
        {"id": "phat", "answer": "Nộp phạt vi phạm giao thông trực tuyến trên Cổng dịch vụ công."},
        {"id": "ho-chieu", "answer": "Làm hộ chiếu phổ thông tại phòng quản lý xuất nhập cảnh."},
    ]
    table = tmp_path / "faq.jsonl"
    table.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    queries = tmp_path / "queries.jsonl"
    asked = [("mat xe may bao o dau", "xe"), ("nộp phạt giao thông online", "phat"), ("lam ho chieu", "ho-chieu")]
    lines = [json.dumps({"query": q, "expected": [e], "type": "formal"}) for q, e in asked]
    queries.write_text("\n".join(lines), "utf-8")
    (project.corpus / "eval").mkdir(exist_ok=True)
    (project.corpus / "eval" / "dev.jsonl").write_text((DATA / "eval.jsonl").read_text("utf-8"), "utf-8")
    index = tmp_path / "idx"
    assert run("index", "build", "--corpus", str(table), "--out", str(index)).exit_code == 0
    result = run("eval", "--index", str(index), "--dataset", str(queries), "--ablations", "--json")
    assert result.exit_code == 0, result.output
    assert "names documents this index does not hold" in result.stderr
    systems = json.loads(result.stdout)["systems"]
    assert {"full pipeline", "bm25s (same tokens)", "plain TF-IDF (raw syllables)"} <= set(systems)
    assert systems["full pipeline"]["accuracy_at_1"] == 1.0
    dev = ("--tune-on", str(DATA / "eval.jsonl"))
    refused = run("eval", "--index", str(index), "--dataset", str(queries), "--ablations", *dev)
    assert refused.exit_code == 3 and "not in the index" in refused.output


def _unit_table(tmp_path: Path, asked: list[tuple[str, list[str]]]) -> tuple[Path, Path]:
    """A unit's two-answer FAQ table and its labelled dev questions, written under tmp_path."""
    rows = [
        {"id": "xe", "answer": "Mất xe máy thì báo ngay công an xã nơi xảy ra vụ việc."},
        {"id": "phat", "answer": "Nộp phạt vi phạm giao thông trực tuyến trên Cổng dịch vụ công."},
    ]
    table = tmp_path / "faq.jsonl"
    table.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    dev = tmp_path / "dev.jsonl"
    dev.write_text("\n".join(json.dumps({"query": q, "expected": e}, ensure_ascii=False) for q, e in asked), "utf-8")
    return table, dev


def test_tuning_a_units_own_index_never_touches_the_project_tuning(project: Paths, tmp_path: Path) -> None:
    """`eval --tune` on a unit's FAQ index writes the tuning file that index was built with; an index
    built on the project's tuning is refused, since tuning it on other queries would change the
    project's answers."""
    table, dev = _unit_table(tmp_path, [("mat xe may", ["xe"]), ("nộp phạt online", ["phat"]), ("thủ tục ly hôn", [])])
    project.tuning.write_bytes((Path(__file__).parent.parent / "corpus" / "tuning.json").read_bytes())
    project_tuning = project.tuning.read_bytes()
    shared = tmp_path / "shared"
    assert run("index", "build", "--corpus", str(table), "--out", str(shared)).exit_code == 0
    refused = run("eval", "--tune", "--index", str(shared), "--tune-on", str(dev))
    assert refused.exit_code == 2 and "--tuning FILE" in refused.stderr
    own = tmp_path / "unit-tuning.json"
    own.write_bytes(project_tuning)
    index = tmp_path / "unit"
    assert run("index", "build", "--corpus", str(table), "--out", str(index), "--tuning", str(own)).exit_code == 0
    tuned = run("eval", "--tune", "--index", str(index), "--tune-on", str(dev))
    assert tuned.exit_code == 0, tuned.output
    assert project.tuning.read_bytes() == project_tuning and own.read_bytes() != project_tuning
    asked_again = run("ask", "--index", str(index), "--json", "mat xe may")
    assert "rebuilt" in asked_again.stderr and json.loads(asked_again.stdout)["results"][0]["id"] == "xe"


def test_threshold_only_tuning_keeps_every_weight(project: Paths, tmp_path: Path) -> None:
    """`eval --tune --threshold-only` rechooses the declining on dev (threshold and topic margin) and
    leaves the weights, so adding out-of-scope messages to dev recalibrates declining without moving any
    ranking. Without --tune the flag is a usage error."""
    asked = [("mat xe may", ["xe"]), ("nộp phạt online", ["phat"]), ("thủ tục ly hôn", []), ("xe máy", [])]
    table, dev = _unit_table(tmp_path, asked)
    own = tmp_path / "unit-tuning.json"
    before = json.loads((Path(__file__).parent.parent / "corpus" / "tuning.json").read_text("utf-8"))
    own.write_text(json.dumps({**before, "threshold": 0.0}), "utf-8")
    index = tmp_path / "unit"
    assert run("index", "build", "--corpus", str(table), "--out", str(index), "--tuning", str(own)).exit_code == 0
    assert run("eval", "--threshold-only", "--index", str(index), "--tune-on", str(dev)).exit_code == 2
    tuned = run("eval", "--tune", "--threshold-only", "--index", str(index), "--tune-on", str(dev))
    assert tuned.exit_code == 0, tuned.output
    after = json.loads(own.read_text("utf-8"))
    assert after["threshold"] > 0.0  # the bare `xe máy` and the divorce are declined now
    declining = ("threshold", "topic_weight")  # chosen together (faq.tuning.tune_topic_weight)
    assert {k: v for k, v in after.items() if k not in declining} == {
        k: v for k, v in before.items() if k not in declining
    }


def test_english_only_tuning_chooses_the_english_factor_and_keeps_everything_else(
    project: Paths, tmp_path: Path
) -> None:
    """`eval --tune --english-only --tune-on SET` chooses `english_confidence` on labelled messages in
    English (faq.tuning.tune_english_only) and leaves every other number; it needs the set named, and
    --tune. An English message the threshold declined is answered once the factor lifts it."""
    (project.lexicon / "english.tsv").write_text("stolen motorbike\tmất xe máy\nreport\tbáo\nwhere\t-\n", "utf-8")
    table, _ = _unit_table(tmp_path, [])
    english = tmp_path / "english.jsonl"
    asked = [("where report stolen motorbike please", ["xe"]), ("recommend good restaurant nearby please", [])]
    english.write_text("\n".join(json.dumps({"query": q, "expected": e}) for q, e in asked), "utf-8")
    index, own = tmp_path / "unit", tmp_path / "unit-tuning.json"
    project_tuning = json.loads((Path(__file__).parent.parent / "corpus" / "tuning.json").read_text("utf-8"))
    own.write_text(json.dumps({**project_tuning, "english_confidence": 1.0}), "utf-8")
    assert run("index", "build", "--corpus", str(table), "--out", str(index), "--tuning", str(own)).exit_code == 0
    confidence = json.loads(run("ask", "--index", str(index), "--json", asked[0][0]).stdout)["confidence"]
    # declined as it is; 1.6, not 1.5, so no factor on the grid lands exactly on the threshold
    written = {**project_tuning, "english_confidence": 1.0, "threshold": confidence * 1.6}
    own.write_text(json.dumps(written), "utf-8")
    assert json.loads(run("ask", "--index", str(index), "--json", asked[0][0]).stdout)["abstained"]
    assert run("eval", "--tune", "--english-only", "--index", str(index)).exit_code == 2  # no --tune-on
    assert run("eval", "--english-only", "--index", str(index), "--tune-on", str(english)).exit_code == 2
    tuned = run("eval", "--tune", "--english-only", "--index", str(index), "--tune-on", str(english))
    assert tuned.exit_code == 0, tuned.output
    after = json.loads(own.read_text("utf-8"))
    assert after["english_confidence"] > 1.5
    assert {k: v for k, v in after.items() if k != "english_confidence"} == {
        k: v for k, v in written.items() if k != "english_confidence"
    }
    answered = json.loads(run("ask", "--index", str(index), "--json", asked[0][0]).stdout)
    assert not answered["abstained"] and answered["results"][0]["id"] == "xe"
