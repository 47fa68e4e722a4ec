"""Shared fixtures: a small corpus shipped in tests/data, copied into tmp dirs so tests never write the repo."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import shutil
import time
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from faq.engine import Paths, build
from faq.index import Index

DATA = Path(__file__).parent / "data"
# the keys of `ask --json`'s object: README "CLI reference" documents them, and a bot relies on them
ASK_JSON_KEYS = frozenset(
    {"query", "abstained", "confidence", "referrals", "similar_to", "fraud_signs", "danger_signs", "notes", "results"}
)
BENCH = Path(__file__).resolve().parent.parent / "bench"


def bench_module(name: str):
    """A script of bench/ (not a package) imported as a module, to test its functions."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_corpus(dest: Path) -> Path:
    """Copy the fixture corpus to `dest`, dating every document today so the 12-month rule holds."""
    shutil.copytree(DATA / "corpus", dest)
    today = dt.date.today().isoformat()
    for path in (dest / "procedures").glob("*.md"):
        text = re.sub(r"^updated = .*$", f"updated = {today}", path.read_text("utf-8"), flags=re.M)
        path.write_text(text, "utf-8")
    return dest


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """A project root in tmp (corpus, lexicon, index location); FAQ_HOME points the CLI at it."""
    copy_corpus(tmp_path / "corpus")
    monkeypatch.setenv("FAQ_HOME", str(tmp_path))
    return Paths.default()


@pytest.fixture
def storage_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """A 10 s "racily clean" window (faq.storage.RACY_NS), so a busy machine cannot push a stat out of it,
    and a call that moves faq.storage's clock past it, so a test need not sleep through it."""
    import faq.storage

    monkeypatch.setattr(faq.storage, "RACY_NS", 10_000_000_000)
    ahead = [0]
    clock = types.SimpleNamespace(**{**vars(time), "time_ns": lambda: time.time_ns() + ahead[0]})
    monkeypatch.setattr(faq.storage, "time", clock)

    def settle() -> None:
        ahead[0] += 11_000_000_000

    return settle


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Paths]:
    """The fixture corpus indexed once per session (analysis is the slow part)."""
    root = tmp_path_factory.mktemp("built")
    copy_corpus(root / "corpus")
    paths = Paths(
        root / "corpus", root / "indexes" / "default", root / "corpus" / "lexicon", root / "corpus" / "tuning.json"
    )
    index, _ = build(paths.corpus, paths.index, paths)
    return index, paths


@pytest.fixture(scope="session")
def built_with_chars(built: tuple[Index, Paths]) -> Index:
    """The fixture corpus with the character n-gram channel turned on (off by default, faq.config)."""
    from dataclasses import replace

    from faq.index import build_index

    index, _ = built
    config = replace(index.analyzer_config, char=True)
    return build_index(index.documents, config, index.lexicon, index.search_config)
