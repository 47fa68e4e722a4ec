"""bench/synth.py: synthetic corpora for `make bench` stay valid corpora as the formats evolve."""

from pathlib import Path

from conftest import bench_module, copy_corpus

from faq.corpus import check_corpus, load_corpus


def test_synthetic_faq_file_is_valid_deterministic_and_unique(tmp_path: Path) -> None:
    synth = bench_module("synth")
    real = load_corpus(copy_corpus(tmp_path / "real"))
    rows = synth.synthesize_faq(real, 60)
    assert rows == synth.synthesize_faq(real, 60)  # fixed seed
    assert len({r["id"] for r in rows}) == 60
    assert len({" ".join(r["question"].lower().split()) for r in rows}) == 60
    for r in rows:
        assert set(r) == {"id", "question", "answer", "title", "category", "aliases"}
        assert 1 <= len(r["aliases"]) <= 2 and r["title"] and r["answer"]
        assert "**" not in r["answer"]
    path = synth.write_faq(rows, tmp_path / "synth")
    assert path == tmp_path / "synth" / "faq.jsonl"
    parsed, problems = check_corpus(path)
    assert problems == [] and len(parsed) == 60
    back = {d.id: d for d in parsed}
    for r in rows:  # what the benchmark writes is what it indexes
        doc = back[r["id"]]
        assert doc.kind == "faq"
        assert (doc.questions, doc.sections[0].text, doc.title, doc.aliases) == (
            (r["question"],),
            r["answer"],
            r["title"],
            tuple(r["aliases"]),
        )


def test_answers_are_two_to_four_real_sentences(tmp_path: Path) -> None:
    synth = bench_module("synth")
    real = load_corpus(copy_corpus(tmp_path / "real"))
    pool = {synth._plain(s) for d in real for sec in d.sections for s in synth.sentences(sec.text)} - {""}

    def splits(text: str) -> set[int]:
        """How many pool sentences, joined by spaces, can make up `text`."""
        out = set()
        for s in pool:
            if text == s:
                out.add(1)
            elif text.startswith(s + " "):
                out |= {k + 1 for k in splits(text[len(s) + 1 :])}
        return out

    for r in synth.synthesize_faq(real, 30):
        assert splits(r["answer"]) & {2, 3, 4}, r["answer"]


def test_full_size_procedure_corpus_is_valid_deterministic_and_unique(tmp_path: Path) -> None:
    synth = bench_module("synth")
    real = load_corpus(copy_corpus(tmp_path / "real"))
    docs = synth.synthesize(real, 40)
    assert docs == synth.synthesize(real, 40)  # fixed seed
    assert len({d.id for d in docs}) == 40
    synth.write_corpus(docs, tmp_path / "synth")
    parsed, problems = check_corpus(tmp_path / "synth")
    assert problems == [] and len(parsed) == 40
    back = {d.id: d for d in parsed}
    for doc in docs:
        assert (back[doc.id].questions, back[doc.id].qas, back[doc.id].aliases) == (doc.questions, doc.qas, doc.aliases)
