"""Deterministic synthetic corpora made from the real one, for scale benchmarks.

The benchmark's scale scenario is a province or the whole country loading tens of thousands of FAQ
entries, so by default this writes a FAQ file (`<dir>/faq.jsonl`, the columns `faq.corpus.parse_faq_file`
reads: id, question, answer, title, category, aliases) of FAQ-entry-sized documents. Each entry,
recombined from the real corpus with a fixed seed:

- question: the first half of one real citizen question joined to the second half of another, made
  unique across the file;
- answer: 2–4 distinct sentences drawn from the sections of one heading (e.g. `Lệ phí` of every
  procedure of one kind; rare headings draw from a shared pool) of a randomly chosen real document;
- title: that document's title and the heading (`Đăng ký tạm trú …: Lệ phí`), category: its category;
- aliases: 1–2 of that document's aliases (of the whole corpus when it has none);
- id: `f<number>-<document id>`, unique.

With `--full`, it writes full-size procedure documents instead (`<dir>/procedures/<id>.md`, each as
long as a real one, which it takes as its template: same kind, category, agency, sources, headings and
as many aliases, questions, Q&A entries and sentences per section, recombined as above). Both outputs
pass `faq corpus check`, so the benchmark builds and queries them through the normal code paths.

    .venv/bin/python bench/synth.py 1000 /tmp/synth-1k           # /tmp/synth-1k/faq.jsonl
    .venv/bin/python bench/synth.py --full 1000 /tmp/synth-1k    # /tmp/synth-1k/procedures/*.md
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
        self.every_sentence = [t for _, pool in sorted(by_heading.items()) for t in pool]
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


_MARKUP = re.compile(r"^(?:[-*+]\s+|\d+[.)]\s+)|\*\*")


def _plain(sentence: str) -> str:
    """A sentence without Markdown list markers and bold marks (FAQ answers are plain text)."""
    return " ".join(_MARKUP.sub("", sentence).split())


def synthesize_faq(real: Sequence[Document], n: int, seed: int = SEED) -> list[dict]:
    """`n` FAQ entries (rows of a `.jsonl` FAQ file) recombined from `real` (deterministic)."""
    pools = _Pools(real)
    rng = random.Random(seed)
    seen: set[str] = set()
    width = max(6, len(str(n)))
    headings = {d.id: [s.heading for s in d.sections if s.heading != QA_HEADING] for d in pools.templates}
    out = []
    for i in range(n):
        t = rng.choice(pools.templates)
        heading = rng.choice(headings[t.id])
        pool = pools.sentences[(t.kind, heading)]
        pool = pool if len(pool) >= 4 else pools.every_sentence  # a tiny corpus: draw from everything
        picked = rng.sample(range(len(pool)), min(rng.randint(2, 4), len(pool)))
        answer = " ".join(_plain(pool[j]) for j in picked)
        aliases = list(t.aliases) or pools.aliases
        out.append(
            {
                "id": f"f{i:0{width}d}-{t.id}",
                "question": _question(rng, pools, seen, i),
                "answer": answer,
                "title": f"{t.title}: {heading}",
                "category": t.category,
                "aliases": rng.sample(aliases, min(rng.randint(1, 2), len(aliases))),
            }
        )
    return out


def write_faq(rows: Sequence[dict], dest: Path) -> Path:
    """Write `rows` as `dest/faq.jsonl`; returns that file (a corpus)."""
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / "faq.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


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
    full = "--full" in argv
    args = [a for a in argv if a != "--full"]
    if len(args) != 2 or not args[0].isdigit():
        print("usage: python bench/synth.py [--full] N DEST_DIR", file=sys.stderr)
        return 2
    real = load_corpus(ROOT / "corpus")
    n, dest = int(args[0]), Path(args[1])
    if full:
        write_corpus(synthesize(real, n), dest)
        print(f"wrote {n} procedure documents to {dest / 'procedures'}")
    else:
        print(f"wrote {n} FAQ entries to {write_faq(synthesize_faq(real, n), dest)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
