"""bench/pairs.py: question-answer pairs become an answers table the engine indexes and labelled questions."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BENCH, bench_module

from faq.corpus import check_corpus
from faq.evaluate import load_eval_set

PAIRS = BENCH / "pairs.py"


def test_pipe_separated_pairs_become_answers_and_labelled_questions(tmp_path: Path) -> None:
    src = tmp_path / "pairs.csv"
    src.write_text(
        'id|Question|Answer_1\n7|Tiêm vắc xin ở đâu?|"Tại trạm y tế, mang căn cước."\n'
        "8|Hỏi trống?|\n9|Sốt thì sao?|Uống nước.\n",
        "utf-8",
    )
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(PAIRS), str(src), str(out), "--question", "Question", "--answer", "Answer_1"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "2 answers and questions written" in done.stdout and "1 rows skipped" in done.stdout
    docs, problems = check_corpus(out / "answers.jsonl")
    assert problems == [] and [d.id for d in docs] == ["a7", "a9"] and all(not d.questions for d in docs)
    queries = load_eval_set(out / "queries.jsonl")
    assert [(q.query, q.expected) for q in queries] == [("Tiêm vắc xin ở đâu?", ("a7",)), ("Sốt thì sao?", ("a9",))]
    assert (
        json.loads((out / "answers.jsonl").read_text("utf-8").splitlines()[0])["answer"]
        == "Tại trạm y tế, mang căn cước."
    )


def test_repeated_ids_are_refused() -> None:
    rows = [{"id": "1", "q": "a?", "a": "x"}, {"id": "1", "q": "b?", "a": "y"}]
    with pytest.raises(SystemExit, match="repeats ids"):
        bench_module("pairs").pairs(rows, "id", "q", "a")


def test_an_unreadable_file_is_one_line(tmp_path: Path) -> None:
    src = tmp_path / "pairs.jsonl"
    src.write_text('{"question": "a?", "answer": "x"}\n{broken\n', "utf-8")
    done = subprocess.run([sys.executable, str(PAIRS), str(src), str(tmp_path / "out")], capture_output=True, text=True)
    assert done.returncode == 1 and done.stderr.startswith(f"{src}: cannot read (") and "Traceback" not in done.stderr
