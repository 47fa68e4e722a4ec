"""Labelled citizen messages (`corpus/examples/*.jsonl`): what people really typed, each with the page
that answers it, kept beside the pages as more of their sample questions.

A page's own sample questions are a maintainer's words; the messages a unit has answered and labelled
are the citizens' (`lm cccd cho bé 5t`, a long story that asks one thing). They rank pages: each is a
passage matched as a sample question is (`faq.analysis.units`, kind `example`), and ranking reads a
page's questions field with its messages summed in (`faq.index.Index.asked`) at
`SearchConfig.messages_weight`. Confidence reads the page's own text (`faq.search.Scored.own`); the
messages enter it only through the topic gap, as a second vector of each page (`faq.topics`).
They add no word to the vocabulary and are never shown to a citizen as the question answered. The
format is an eval set's (`{"query": …, "expected": ["page-id"]}`), so a reviewed chat log or a retired
evaluation set moves in as it is; lines with no page (`"expected": []`, out of scope) are skipped.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from faq.text import normalize

if TYPE_CHECKING:  # faq.corpus imports this module
    from faq.corpus import Document

FOLDER = "examples"


def example_files(corpus: Path) -> list[Path]:
    """The labelled-message files of a corpus directory; none for a FAQ file."""
    folder = corpus / FOLDER
    return sorted(folder.glob("*.jsonl")) if corpus.is_dir() and folder.is_dir() else []


def message_key(text: str) -> str:
    """How two messages are told to be the same one: normalised, lower-cased, spaces collapsed."""
    return " ".join(normalize(text).lower().split())


def read_examples(files: Sequence[Path], known: set[str]) -> tuple[dict[str, list[str]], list[tuple[str, int, str]]]:
    """(page id -> its messages in file order, problems as (path, line, message)). A message labelled
    with two pages (either answers it) is an example of both; one seen before is kept once."""
    out: dict[str, list[str]] = {}
    problems: list[tuple[str, int, str]] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            problems.append((str(path), 0, f"cannot read ({exc.__class__.__name__})"))
            continue
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{n}"
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):  # bad JSON, a number too long, nesting too deep
                problems.append((str(path), n, "not valid JSON"))
                continue
            query = row.get("query") if isinstance(row, dict) else None
            expected = row.get("expected") if isinstance(row, dict) else None
            if not isinstance(query, str) or not query.strip():
                problems.append((str(path), n, "`query` must be a non-empty string"))
                continue
            if not isinstance(expected, list) or not all(isinstance(e, str) for e in expected):
                problems.append((str(path), n, "`expected` must be a list of page ids"))
                continue
            unknown = [e for e in expected if e not in known]
            if unknown:
                problems.append((str(path), n, f"unknown page id(s): {', '.join(unknown)}"))
                continue
            key = message_key(query)
            if key in seen:
                problems.append((str(path), n, f"the same message as {seen[key]}"))
                continue
            seen[key] = where
            for page in dict.fromkeys(expected):
                out.setdefault(page, []).append(query.strip())
    return out, problems


def with_examples(documents: Sequence[Document], examples: dict[str, list[str]]) -> list[Document]:
    """The documents, each carrying its labelled messages (`Document.examples`)."""
    return [dataclasses.replace(d, examples=tuple(examples.get(d.id, ()))) for d in documents]
