"""Deterministic synthetic corpora made from the real one, for scale benchmarks.

Each synthetic document takes a real document as its template (kind, category, agency, sources,
section headings, and how many aliases, questions, Q&A entries and sentences per section it has), so
synthetic documents are as long as real ones. Its text is recombined from the whole real corpus with a
fixed seed:

- every section gets as many sentences as the template's, drawn from the same heading in all real
  documents of that kind (rare headings draw from a shared pool);
- sample questions join the first half of one real question to the second half of another, made
  unique across the corpus (the corpus check refuses a question shared by two documents);
- aliases and Q&A entries are drawn from all real documents of the same kind;
- ids are `s<number>-<template id>`, unique.

Documents are written as ordinary procedure files (`<dir>/procedures/<id>.md`) that pass
`faq corpus check`, so the benchmark builds and queries them through the normal code paths.

    .venv/bin/python bench/synth.py 1000 /tmp/synth-1k    # write a corpus
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from faq.corpus import QA_HEADING, Document, Section, load_corpus  # noqa: E402

SEED = 20261128
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")
MIN_POOL = 12  # headings with fewer pooled sentences draw from the shared pool of rare headings


def sentences(text: str) -> list[str]:
    """Sentence-sized pieces of a section: each line, split after `.`, `!`, `?`, `…`."""
    out = []
    for line in text.split("\n"):
        line = line.strip()
        if not line or line.startswith(("#", "+++")):
            continue
        out.extend(s.strip() for s in _SENTENCE_END.split(line) if s.strip())
    return out


def _key(question: str) -> str:
    return " ".join(question.lower().split())


class _Pools:
    """Everything a synthetic document can be made of, from the real corpus (order-stable)."""

    def __init__(self, real: Sequence[Document]) -> None:
        self.templates = sorted(real, key=lambda d: d.id)
        by_heading: dict[tuple[str, str], list[str]] = defaultdict(list)
        for doc in self.templates:
            for s in doc.sections:
                if s.heading != QA_HEADING:
                    by_heading[(doc.kind, s.heading)].extend(sentences(s.text))
        rare = [t for key, pool in sorted(by_heading.items()) if len(pool) < MIN_POOL for t in pool]
        self.sentences = {k: (v if len(v) >= MIN_POOL else rare) for k, v in by_heading.items()}
        self.questions = sorted({q for d in self.templates for q in (*d.questions, *(q for q, _ in d.qas))})
        self.aliases = sorted({a for d in self.templates for a in d.aliases})
        qas: dict[str, dict[str, str]] = defaultdict(dict)
        for d in self.templates:
            for q, a in d.qas:
                qas[d.kind].setdefault(q, a)
        self.qas = {kind: sorted(pairs.items()) for kind, pairs in qas.items()}


def _question(rng: random.Random, pools: _Pools, seen: set[str], number: int) -> str:
    """A new question: half of one real question + half of another, unique in the corpus."""
    a, b = rng.choice(pools.questions).split(), rng.choice(pools.questions).split()
    q = " ".join(a[: max(1, len(a) // 2)] + b[len(b) // 2 :])
    for attempt in range(6):
        if _key(q) not in seen and q.strip():
            break
        q = f"{q} ({rng.choice(pools.aliases)})" if attempt < 5 else f"{q} (mục {number})"
    seen.add(_key(q))
    return q


def synthesize(real: Sequence[Document], n: int, seed: int = SEED) -> list[Document]:
    """`n` new documents recombined from `real` (deterministic for a given corpus and seed)."""
    pools = _Pools(real)
    rng = random.Random(seed)
    seen: set[str] = set()
    width = max(6, len(str(n)))
    out = []
    for i in range(n):
        t = pools.templates[i % len(pools.templates)] if i < len(pools.templates) else rng.choice(pools.templates)
        sections = []
        for s in t.sections:
            if s.heading == QA_HEADING:
                continue
            pool = pools.sentences[(t.kind, s.heading)]
            k = max(1, len(sentences(s.text)))
            sections.append(Section(s.heading, "\n".join(rng.choice(pool) for _ in range(k))))
        qas = tuple(rng.sample(pools.qas[t.kind], min(len(t.qas), len(pools.qas[t.kind]))))
        if any(s.heading == QA_HEADING for s in t.sections):
            sections.append(Section(QA_HEADING, "\n".join(f"{q}\n{a}" for q, a in qas)))
        aliases = tuple(dict.fromkeys(rng.choice(pools.aliases) for _ in range(len(t.aliases))))
        out.append(
            Document(
                id=f"s{i:0{width}d}-{t.id}",
                title=f"{t.title} ({rng.choice(pools.aliases)})",
                category=t.category,
                kind=t.kind,
                agency=t.agency,
                aliases=aliases,
                questions=tuple(_question(rng, pools, seen, i) for _ in range(len(t.questions))),
                sections=tuple(sections),
                qas=qas,
                sources=t.sources,
                updated=t.updated,
            )
        )
    return out


def render_procedure(doc: Document) -> str:
    """A document as a procedure file (TOML header + Markdown body) that `parse_procedure` reads back."""

    def s(value: str) -> str:
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string

    sources = "".join(f"  {{ url = {s(x.url)}, title = {s(x.title)}, date = {s(x.date)} }},\n" for x in doc.sources)
    lines = [
        "+++",
        f"id = {s(doc.id)}",
        f"title = {s(doc.title)}",
        f"category = {s(doc.category)}",
        f"kind = {s(doc.kind)}",
        f"agency = {s(doc.agency)}",
        f"aliases = [{', '.join(s(a) for a in doc.aliases)}]",
        "questions = [\n" + "".join(f"  {s(q)},\n" for q in doc.questions) + "]",
        "sources = [\n" + sources + "]",
        f"updated = {doc.updated}",
        "+++",
        "",
    ]
    for section in doc.sections:
        if section.heading == QA_HEADING:
            body = "\n\n".join(f"### {q}\n{a}" for q, a in doc.qas)
        else:
            body = section.text
        lines += [f"## {section.heading}", body, ""]
    return "\n".join(lines)


def write_corpus(docs: Sequence[Document], dest: Path) -> Path:
    """Write `docs` as `dest/procedures/<id>.md`; returns `dest` (a corpus directory)."""
    folder = dest / "procedures"
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / f"{doc.id}.md").write_text(render_procedure(doc), "utf-8")
    return dest


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[0].isdigit():
        print("usage: python bench/synth.py N DEST_DIR", file=sys.stderr)
        return 2
    docs = synthesize(load_corpus(ROOT / "corpus"), int(argv[0]))
    write_corpus(docs, Path(argv[1]))
    print(f"wrote {len(docs)} documents to {Path(argv[1]) / 'procedures'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
