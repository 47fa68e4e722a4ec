"""bench/synth.py: synthetic corpora for `make bench` stay valid procedure files as the format evolves."""

import importlib.util
from pathlib import Path

from conftest import copy_corpus

from faq.corpus import check_corpus, load_corpus

SYNTH = Path(__file__).resolve().parent.parent / "bench" / "synth.py"


def _synth():
    spec = importlib.util.spec_from_file_location("bench_synth", SYNTH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_synthetic_corpus_is_valid_deterministic_and_unique(tmp_path: Path) -> None:
    synth = _synth()
    real = load_corpus(copy_corpus(tmp_path / "real"))
    docs = synth.synthesize(real, 40)
    assert docs == synth.synthesize(real, 40)  # fixed seed
    assert len({d.id for d in docs}) == 40
    synth.write_corpus(docs, tmp_path / "synth")
    parsed, problems = check_corpus(tmp_path / "synth")
    assert problems == [] and len(parsed) == 40
    back = {d.id: d for d in parsed}
    for doc in docs:  # what the benchmark writes is what it indexes
        assert (back[doc.id].questions, back[doc.id].qas, back[doc.id].aliases) == (doc.questions, doc.qas, doc.aliases)
