"""Turn a collection of question-answer pairs into an answers table and labelled questions, to measure
question -> answer retrieval the way a new user would (each question must find its own answer among all):

    .venv/bin/python bench/pairs.py pairs.csv OUT --question Question --answer Answer_1
    .venv/bin/faq index build --corpus OUT/answers.jsonl --out indexes/pairs
    .venv/bin/faq eval --index indexes/pairs --dataset OUT/queries.jsonl --report OUT/REPORT.md

CSV is read with the separator the engine would use (`faq.corpus.csv_delimiter`), found by the question
and answer columns given here; `.jsonl` and `.json` (an array of objects) too; a file that cannot be
read stops with one line naming it. The answers table holds answers only, no question and no title:
otherwise each question would find itself. Rows without a question or an answer are skipped and counted.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faq.corpus import csv_delimiter  # noqa: E402


def read_rows(path: Path, columns: tuple[str, str]) -> list[dict[str, object]]:
    """The collection's rows as dicts, whatever its format; `columns` (question, answer) tell a CSV
    file's separator."""
    text = path.read_text("utf-8-sig")
    if path.suffix.lower() == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    if path.suffix.lower() == ".json":
        return list(json.loads(text))
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text, columns)))


def pairs(rows: list[dict[str, object]], id_col: str, q_col: str, a_col: str) -> tuple[list[dict], list[dict], int]:
    """(answers, queries, skipped): one answer and one question labelled with it per usable row."""
    answers, queries, skipped = [], [], 0
    for n, row in enumerate(rows, start=1):
        question, answer = str(row.get(q_col) or "").strip(), str(row.get(a_col) or "").strip()
        if not question or not answer:
            skipped += 1
            continue
        key = f"a{str(row.get(id_col) or '').strip() or n}"
        answers.append({"id": key, "answer": answer})
        queries.append({"query": question, "expected": [key]})
    if len({a["id"] for a in answers}) != len(answers):
        raise SystemExit(f"column {id_col!r} repeats ids: give --id a unique column")
    return answers, queries, skipped


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pairs", type=Path, nargs="+", help="CSV, JSONL or JSON files of question-answer pairs")
    ap.add_argument("out", type=Path, help="folder for answers.jsonl and queries.jsonl")
    ap.add_argument("--id", default="id", help="column with a unique id per pair (default id)")
    ap.add_argument("--question", default="question", help="question column (default question)")
    ap.add_argument("--answer", default="answer", help="answer column (default answer)")
    args = ap.parse_args()
    rows = []
    for path in args.pairs:
        try:
            rows += read_rows(path, (args.question, args.answer))
        except (OSError, ValueError, csv.Error) as exc:  # ValueError: bad JSON or UTF-8
            raise SystemExit(f"{path}: cannot read ({exc})") from None
    answers, queries, skipped = pairs(rows, args.id, args.question, args.answer)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, items in (("answers.jsonl", answers), ("queries.jsonl", queries)):
        (args.out / name).write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), "utf-8")
    print(f"{len(answers)} answers and questions written to {args.out}; {skipped} rows skipped")


if __name__ == "__main__":
    main()
