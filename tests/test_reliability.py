"""Reliability and security: crash-safe publishing, the build lock, concurrent readers, hostile input.

Process-level tests start a child Python that patches one library function inside itself, so the point
to interrupt (half a file written, the symlink not yet swapped, the lock held) is reached for certain;
the child announces it with a marker file and the test then kills it or works against it. Every wait is
bounded and every child is killed at teardown.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import ASK_JSON_KEYS, copy_corpus
from typer.testing import CliRunner

import faq.storage
from cli import app
from faq.corpus import parse_procedure
from faq.engine import Paths, build
from faq.errors import IndexError_
from faq.index import Index, load_index, save_index
from faq.search import MAX_QUERY_CHARS, Searcher

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
QUERIES = ["đăng ký tạm trú cần giấy tờ gì", "mat cccd lam lai", "làm hộ chiếu mất bao lâu", "qwrtpz"]
runner = CliRunner()


def run(*args: str, input: str | bytes | None = None):
    return runner.invoke(app, list(args), input=input, catch_exceptions=False)


# ------------------------------------------------------------------ helpers for child processes

KILLABLE_BUILD = """
import sys, time
from pathlib import Path
import faq.index, faq.storage
from faq.engine import Paths, build

corpus, target, marker, hang_at = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
real_write, real_symlink = faq.storage.write_file, faq.storage.os.symlink

def hang():
    marker.write_text(hang_at)
    time.sleep(60)  # the test kills us long before
    sys.exit(3)

def write_file(path, data):
    if hang_at == "write" and path.name == "documents.jsonl":  # two files written, this one half
        real_write(path, data)
        with open(path, "r+b") as fh:
            fh.truncate(path.stat().st_size // 2)
        hang()
    return real_write(path, data)

def symlink(src, dst):
    real_symlink(src, dst)
    if hang_at == "swap":  # the new link exists beside the target, the swap has not happened
        hang()

faq.index.write_file = faq.storage.write_file = write_file
faq.storage.os.symlink = symlink
build(corpus, target, Paths(corpus, target, corpus / "lexicon", corpus / "tuning.json"))
"""

HOLD_LOCK = """
import sys, time
from pathlib import Path
from faq.storage import build_lock

target, marker, seconds = Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3])
with build_lock(target):
    marker.write_text("locked")
    time.sleep(seconds)
    marker.write_text("releasing")
"""

PUBLISH_LOOP = """
import sys
from pathlib import Path
from faq.index import load_index, save_index

source, target, marker, times = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
index = load_index(source)
marker.write_text("publishing")
for _ in range(times):  # until the reader has seen enough, or `times` publishes
    if marker.read_text() == "stop":
        break
    save_index(index, target)
"""


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator:
    """Start `python -c SCRIPT args…`; whatever is still running at teardown is killed."""
    started: list[subprocess.Popen] = []

    def start(script: str, *args: object) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(
            [sys.executable, "-c", script, *map(str, args)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        started.append(child)
        return child

    yield start
    for child in started:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=10)
        if child.stderr:
            child.stderr.close()


def wait_for(marker: Path, child: subprocess.Popen, timeout: float = 60.0) -> None:
    """Until the child has written `marker` (it reached the point to interrupt)."""
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if child.poll() is not None:
            pytest.fail(f"child exited with {child.returncode}: {child.stderr.read().decode()[-2000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"child did not reach its marker in {timeout} s")
        time.sleep(0.02)


def kill(child: subprocess.Popen) -> None:
    os.kill(child.pid, signal.SIGKILL)
    assert child.wait(timeout=10) == -signal.SIGKILL


def leftovers(target: Path) -> set[str]:
    """Build directories and links beside `target` (the lock file aside)."""
    return {p.name for p in target.parent.glob(f".{target.name}.*") if p.name != f".{target.name}.lock"}


def answers(target: Path) -> list:
    """Everything a citizen would get from the index at `target`: ids, exact scores, matched text."""
    searcher = Searcher(load_index(target))
    out = []
    for q in QUERIES:
        result = searcher.search(q)
        out.append([(h.id, h.score, h.matched, h.answer) for h in result.hits] + [result.abstained])
    return out


# ------------------------------------------------------------------ atomic publishing


@pytest.mark.parametrize("hang_at", ["write", "swap"])
def test_a_build_killed_midway_leaves_the_previous_index_answering(built, tmp_path: Path, spawn, hang_at) -> None:
    index, _ = built
    target = tmp_path / "indexes" / "default"
    save_index(index, target)
    live, before = os.readlink(target), answers(target)
    corpus = copy_corpus(tmp_path / "corpus")  # the killed build indexes a corpus whose answers differ
    doc = corpus / "procedures" / "ho-chieu.md"
    doc.write_text(doc.read_text("utf-8").replace("200.000 đồng.", "250.000 đồng."), "utf-8")

    child = spawn(KILLABLE_BUILD, corpus, target, tmp_path / "marker", hang_at)
    wait_for(tmp_path / "marker", child)
    kill(child)

    assert os.readlink(target) == live
    assert answers(target) == before
    assert load_index(target).manifest == json.loads((target / "manifest.json").read_text("utf-8"))
    left = leftovers(target) - {live}
    assert left, "the killed build should have left its staging directory behind"
    if hang_at == "write":
        (stage,) = left
        assert not (target.parent / stage / "manifest.json").exists()
    else:
        assert any((target.parent / name).is_symlink() for name in left)

    # The dead build's lock died with it, and the next build removes what it left.
    save_index(index, target, lock_wait=5)
    assert leftovers(target) == {os.readlink(target)}
    assert answers(target) == before


# ------------------------------------------------------------------ the build lock


def test_a_second_build_waits_for_the_first(built, tmp_path: Path, spawn) -> None:
    index, _ = built
    target = tmp_path / "idx"
    marker = tmp_path / "marker"
    holder = spawn(HOLD_LOCK, target, marker, 1.0)
    wait_for(marker, holder)
    save_index(index, target)  # blocks until the holder lets go
    assert marker.read_text() == "releasing"  # written by the holder just before it released the lock
    assert holder.wait(timeout=30) == 0
    assert load_index(target).manifest["documents"] == 4


def test_a_build_gives_up_with_one_clear_line_when_the_lock_is_held_too_long(
    built, project: Paths, spawn, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, _ = built
    save_index(index, project.index)
    live = os.readlink(project.index)
    marker = project.corpus.parent / "marker"
    holder = spawn(HOLD_LOCK, project.index, marker, 60)
    wait_for(marker, holder)

    with pytest.raises(IndexError_) as info:
        save_index(index, project.index, lock_wait=0.2)
    message = str(info.value)
    assert "another build of" in message and "wait for it to finish" in message and "\n" not in message

    monkeypatch.setattr(faq.storage, "LOCK_WAIT_SECONDS", 0.2)
    result = run("index", "build")
    assert result.exit_code == 4
    (line,) = [line for line in result.stderr.splitlines() if line.strip()]  # Rich's progress leaves a blank
    assert line.startswith("error: another build of") and line.endswith("wait for it to finish")
    assert os.readlink(project.index) == live and leftovers(project.index) == {live}
    kill(holder)


# ------------------------------------------------------------------ readers during publishing


def test_readers_only_ever_see_a_complete_index_while_builds_publish(built, tmp_path: Path, spawn) -> None:
    index, _ = built
    source, target, marker = tmp_path / "source", tmp_path / "idx", tmp_path / "marker"
    save_index(index, source)
    save_index(index, target)
    expected = answers(target)[0]
    writer = spawn(PUBLISH_LOOP, source, target, marker, 3000)
    wait_for(marker, writer)
    seen, reads = set(), 0
    for _ in range(80):
        if writer.poll() is not None:
            break
        seen.add(os.readlink(target))
        loaded = load_index(target)  # raised "missing or unreadable" before faq.storage.read_published
        assert len(loaded.documents) == 4 and len(loaded.passages) == len(index.passages)
        result = Searcher(loaded).search(QUERIES[0])
        assert [(h.id, h.score, h.matched, h.answer) for h in result.hits] + [result.abstained] == expected
        reads += 1
    marker.write_text("stop")
    assert writer.wait(timeout=60) == 0
    assert reads > 10 and len(seen) > 2, "the reads did not overlap the publishes"


def test_a_build_deleted_while_it_is_being_read_is_a_one_line_error_that_a_reader_retries(
    built, tmp_path: Path, monkeypatch
) -> None:
    """A publish deletes the old build under a reader; whatever step of loading meets the gap must raise
    IndexError_ (which `read_published` retries on the new build), never a bare OSError (flaky before)."""
    import faq.index

    index, _ = built
    save_index(index, tmp_path / "idx")
    read_manifest = faq.index.read_manifest

    def read_then_lose_it(directory: Path) -> dict:
        manifest = read_manifest(directory)
        (directory / "manifest.json").unlink()
        return manifest

    monkeypatch.setattr(faq.index, "read_manifest", read_then_lose_it)
    with pytest.raises(IndexError_, match="missing or unreadable"):
        load_index(tmp_path / "idx")


# ------------------------------------------------------------------ citizen input (ask --json)


@pytest.fixture
def served(project: Paths, built) -> Paths:
    """The project with its index built (0.1 s once `built` has loaded the segmenter), so `ask` is quiet."""
    build(project.corpus, project.index, project)
    return project


def ask_json(*args: str, input: bytes | None = None) -> tuple[object, dict | None]:
    result = run("ask", "--json", *args, input=input)
    assert "Traceback" not in result.output
    assert all(line.startswith(("error:", "notice:")) for line in result.stderr.splitlines()), result.stderr
    return result, (json.loads(result.stdout) if result.exit_code == 0 else None)


def assert_well_formed(data: dict) -> None:
    assert set(data) == ASK_JSON_KEYS
    keys = [(-r["score"], r["id"]) for r in data["results"]]
    assert keys == sorted(keys) and all(r["score"] > 0 for r in data["results"])
    best = data["results"][0]["score"] if data["results"] else 0.0
    assert 0.0 <= data["confidence"] <= best + 1e-9


@pytest.mark.parametrize(
    ("query", "top"),
    [
        ("", None),
        ("   \t\n  ", None),
        ("😀🙏🏻🇻🇳", None),
        ("tạm trú\x00\x01\x1b[31m\x7f\u200b cần gì", "tam-tru"),
        ("<script>alert(1)</script> tạm trú", "tam-tru"),
        ("tạm trú Привет 你好 Ελληνικά passport", {"tam-tru", "ho-chieu"}),
        ("a" * 10_000, None),
        ("ạ" * 10_000, None),
    ],
    ids=["empty", "whitespace", "emoji", "control-chars", "html", "mixed-scripts", "long-token", "long-vn-token"],
)
def test_odd_citizen_queries_get_a_sensible_answer(served: Paths, query: str, top) -> None:
    result, data = ask_json(query)
    assert result.exit_code == 0, result.stderr
    assert_well_formed(data)
    assert data["query"] == query  # echoed as data (JSON-escaped), never interpreted
    if top is None:
        assert data["abstained"] is True and data["results"] == []  # nothing shared, nothing suggested
    else:
        assert data["abstained"] is False and data["results"][0]["id"] in ({top} if isinstance(top, str) else top)
    assert ("notice: query cut" in result.stderr) == (len(query) > MAX_QUERY_CHARS)


def test_html_in_a_query_is_harmless_in_the_rendered_answer_too(served: Paths) -> None:
    result = run("ask", "[red]x[/red] <script>alert(1)</script> tạm trú")
    assert result.exit_code == 0 and "Đăng ký tạm trú" in result.stdout and "<script>" not in result.stdout


def test_control_characters_on_stdin(served: Paths) -> None:
    result, data = ask_json("-", input="làm hộ chiếu\x00\x07\r\n\x1b".encode())
    assert result.exit_code == 0 and data["results"][0]["id"] == "ho-chieu"


@pytest.mark.parametrize(
    ("args", "stdin"),
    [(("-",), b"t\xe1m tr\xff\xfe"), (("-",), b"\xc3"), (("\udcff tạm trú",), None)],
    ids=["stdin", "stdin-truncated-sequence", "argument"],
)
def test_input_that_is_not_utf8_is_a_clear_usage_error(served: Paths, args, stdin) -> None:
    result, _ = ask_json(*args, input=stdin)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and "not UTF-8" in result.stderr and result.stderr.count("\n") == 1


def test_nfd_vietnamese_answers_exactly_like_nfc(served: Paths) -> None:
    for query in ("Đăng ký tạm trú cần giấy tờ gì?", "MẤT CĂN CƯỚC", "hoà thuỷ khoẻ"):
        nfd = unicodedata.normalize("NFD", query)
        assert nfd != query
        _, a = ask_json(query)
        _, b = ask_json(nfd)
        assert a["results"] == b["results"] and a["abstained"] == b["abstained"]


def test_a_one_megabyte_query_is_cut_with_a_notice_and_answered(served: Paths, monkeypatch) -> None:
    """Cut before analysis, so a megabyte costs what its first characters cost. Checked by what reaches
    the analyzer, not by timing it (a timed assert flakes on a shared machine)."""
    from faq.analyzer import Analyzer

    analysed: list[int] = []
    read = Analyzer.read_query  # every query's analysis starts here

    def spy(self, text: str):
        analysed.append(len(text))
        return read(self, text)

    monkeypatch.setattr(Analyzer, "read_query", spy)
    long_query = ("đăng ký tạm trú cần giấy tờ gì " * 40_000)[: 1 << 20]
    short = run("ask", "--json", "đăng ký tạm trú cần giấy tờ gì")
    assert "notice" not in short.stderr
    for result in (run("ask", "--json", long_query), run("ask", "--json", "-", input=long_query.encode())):
        assert result.exit_code == 0
        assert result.stderr == f"notice: query cut to its first {MAX_QUERY_CHARS} characters\n"
        assert json.loads(result.stdout)["results"][0]["id"] == "tam-tru"
    assert analysed and max(analysed) <= MAX_QUERY_CHARS


# ------------------------------------------------------------------ maintainer input (index build)


def build_from(path: Path, *extra: str) -> tuple[int, list[str]]:
    """Exit code and stderr lines of `index build --corpus PATH` (Rich's transient progress leaves a blank)."""
    result = run("index", "build", "--corpus", str(path), *extra)
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.stderr.splitlines() if line.strip()]


def test_a_broken_csv_lists_every_problem_and_keeps_the_old_index(served: Paths, tmp_path: Path) -> None:
    before, live = answers(served.index), os.readlink(served.index)
    path = tmp_path / "unit.csv"
    rows = [
        "id,question,answer,aliases",  # 1 (after a BOM)
        'q1,"Hỏi',  # 2 quoted newline…
        'hai dòng?","Trả lời, có dấu phẩy",a|b',  # 3 …ends here
        "q2,Thiếu câu trả lời",  # 4 answer column missing
        "",  # 5 blank: skipped, still counted
        ",Không có id,Có trả lời",  # 6
        'q4,"Câu ""trích dẫn""","Đáp',  # 7
        'án",x,thừa',  # 8 one field too many
        "q5,ok,ok",  # 9
    ]
    path.write_bytes(("\ufeff" + "\r\n".join(rows) + "\r\n").encode())
    code, lines = build_from(path)
    assert code == 3
    assert lines[0].startswith("error: 3 problem(s)")
    assert lines[1:] == [
        f"{path}:4: missing `answer` (every entry needs an answer)",
        f"{path}:6: missing `id`",
        f"{path}:7: more fields than the header has columns",
    ]
    assert os.readlink(served.index) == live and answers(served.index) == before


def test_a_csv_without_the_required_columns(served: Paths, tmp_path: Path) -> None:
    path = tmp_path / "unit.csv"
    path.write_text("\ufeffid,cau_hoi,tra_loi\nq1,a,b\n", "utf-8")
    code, lines = build_from(path, "--out", str(tmp_path / "x"))
    assert code == 3 and lines[1:] == [
        f"{path}:1: missing column(s) question, answer; the header needs id,question,answer "
        "(separated by commas, semicolons, tabs or |)"
    ]
    assert not (tmp_path / "x").exists()


def test_a_csv_quote_left_open_is_a_problem_not_a_crash(served: Paths, tmp_path: Path) -> None:
    path = tmp_path / "unit.csv"
    path.write_text('id,question,answer\nq1,ok,ok\nq2,"never closed,x\n' + "thêm chữ " * 20_000, "utf-8")
    code, lines = build_from(path, "--out", str(tmp_path / "x"))
    assert code == 3 and lines[1].startswith(f"{path}:3: not valid CSV")


def test_a_jsonl_with_one_broken_line(served: Paths, tmp_path: Path) -> None:
    path = tmp_path / "unit.jsonl"
    good = [json.dumps({"id": f"q{i}", "question": f"hỏi {i}", "answer": "đáp"}, ensure_ascii=False) for i in range(3)]
    path.write_text("\n".join([good[0], '{"id": "q9", "answer": "thiếu ngoặc"', *good[1:]]) + "\n", "utf-8")
    code, lines = build_from(path, "--out", str(tmp_path / "x"))
    assert code == 3 and lines[0].startswith("error: 1 problem(s)")
    assert lines[1:] == [f"{path}:2: not valid JSON (Expecting ',' delimiter at column 37)"]
    assert not (tmp_path / "x").exists()


def test_every_problem_of_a_faq_file_is_listed_at_once(served: Paths, tmp_path: Path) -> None:
    path = tmp_path / "unit.jsonl"
    lines = [
        '{"id": "a", "question": "hỏi", "answer": "đáp"}',  # 1 fine
        "{broken",  # 2
        "[1, 2]",  # 3
        '{"question": "không id", "answer": "x"}',  # 4
        '{"id": "b", "answer": "  "}',  # 5
        '{"id": "c", "question": 5, "answer": "x"}',  # 6
        '{"id": "d", "answer": "x", "aliases": true}',  # 7
        '{"id": ' + "1" * 5000 + "}",  # 8 a number Python refuses to parse
        "[" * 100_000,  # 9 nesting beyond the recursion limit
        '{"id": "a", "answer": "again"}',  # 10 duplicate id
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    code, lines = build_from(path, "--out", str(tmp_path / "x"))
    assert code == 3
    problems = lines[1:]
    assert [int(p[len(str(path)) + 1 :].split(":")[0]) for p in problems] == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert lines[0].startswith(f"error: {len(problems)} problem(s)")
    assert "duplicate id `a`" in problems[-1] and "`aliases` must be a list" in problems[5]


# ------------------------------------------------------------------ nothing executes from data


@pytest.mark.parametrize("where", ["../../etc", "/etc/passwd", "not-an-index"])
def test_a_path_that_is_not_an_index_is_a_clean_index_error(served: Paths, tmp_path: Path, where: str) -> None:
    if where == "not-an-index":
        (tmp_path / where).mkdir()
        (tmp_path / where / "notes.txt").write_text("keep me", "utf-8")
        where = str(tmp_path / where)
    result = run("ask", "--index", where, "--json", "tạm trú")
    assert result.exit_code == 4 and result.stdout == ""
    assert result.stderr.startswith(f"error: no index at {where}") and result.stderr.count("\n") == 1
    assert "root:" not in result.output


class _Touch:
    """Unpickling this creates a file: proof of code execution if it ever happens."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def forge(directory: Path, name: str, data: bytes) -> None:
    """Replace one index file and fix the manifest's checksum, as someone crafting an index would."""
    (directory / name).write_bytes(data)
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "crc32": zlib.crc32(data)}
    manifest["corpus"]["path"] = str(directory / "no-such-corpus")  # nothing to rebuild from
    (directory / "manifest.json").write_text(json.dumps(manifest), "utf-8")


def test_a_record_of_the_wrong_shape_is_refused_when_read(built, tmp_path: Path) -> None:
    """Records are decoded when shown (faq.records): a forged one fails then, as a one-line index error."""
    target = tmp_path / "forged"
    save_index(built[0], target)
    lines = (target / "documents.jsonl").read_bytes().splitlines(keepends=True)
    bad = b'{"id": ["not", "a", "document"]}'
    same_lengths = b"".join(bad.ljust(len(line) - 1) + b"\n" for line in lines)  # the stored record ends fit
    forge(target.resolve(), "documents.jsonl", same_lengths)
    loaded = load_index(target)  # counts, checksums and record ends agree: nothing is decoded yet
    with pytest.raises(IndexError_, match="record 1 is inconsistent"):
        loaded.documents[0]
    result = run("ask", "--index", str(target), "--json", "tạm trú")
    assert result.exit_code == 4 and result.stderr.startswith("error: index ") and result.stderr.count("\n") == 1


def test_records_that_do_not_end_where_the_build_wrote_them_are_refused_on_load(built, tmp_path: Path) -> None:
    """The build stores where each record ends (a cold start need not scan for them); a records file whose
    lines end elsewhere, even with a matching checksum, is refused before anything is shown."""
    target = tmp_path / "forged"
    save_index(built[0], target)
    lines = (target / "passages.jsonl").read_bytes().splitlines(keepends=True)
    other = next(i for i, line in enumerate(lines) if len(line) != len(lines[0]))
    lines[0], lines[other] = lines[other], lines[0]  # two records of different lengths swapped
    forge(target.resolve(), "passages.jsonl", b"".join(lines))
    with pytest.raises(IndexError_, match="passages: the stored record offsets do not match the file"):
        load_index(target)
    result = run("ask", "--index", str(target), "--json", "tạm trú")
    assert result.exit_code == 4 and result.stderr.startswith("error: index ") and result.stderr.count("\n") == 1


def test_an_index_built_before_record_ends_were_stored_still_loads(built, tmp_path: Path) -> None:
    """Without the stored ends the records are scanned for newlines, as before they were stored."""
    target = tmp_path / "older"
    save_index(built[0], target)
    with np.load(target / "arrays.npz", allow_pickle=False) as real:
        arrays = {k: real[k] for k in real.files if not k.endswith(".ends")}
    assert len(arrays) < len(np.load(target / "arrays.npz").files)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    forge(target.resolve(), "arrays.npz", buf.getvalue())
    older, index = load_index(target), built[0]
    assert list(older.documents) == list(index.documents) and list(older.passages) == list(index.passages)


@pytest.mark.parametrize(
    ("array", "value", "message"),
    [
        ("word.present", np.full(4, 255, dtype=np.uint8), "field presence of channel word is inconsistent"),
        ("passages.doc", None, "passages are out of order"),
        ("folded.postings.indices", None, "a column is out of range"),
    ],
)
def test_forged_arrays_with_valid_checksums_are_refused(built, tmp_path: Path, array, value, message) -> None:
    """Checksums only prove a file is the one the manifest names; its content is still checked."""
    target = tmp_path / "forged"
    save_index(built[0], target)
    with np.load(target / "arrays.npz", allow_pickle=False) as real:
        arrays = {k: real[k] for k in real.files}
    arrays[array] = value if value is not None else arrays[array][::-1] + 10_000
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    forge(target.resolve(), "arrays.npz", buf.getvalue())
    with pytest.raises(IndexError_, match=message):
        load_index(target)


def test_a_pickled_array_in_the_index_is_refused_not_executed(built, served: Paths, tmp_path: Path) -> None:
    index: Index = built[0]
    target = tmp_path / "evil"
    save_index(index, target)
    proof = tmp_path / "executed"
    with np.load(target / "arrays.npz", allow_pickle=False) as real:
        arrays = {k: real[k] for k in real.files}
    arrays["idf.word"] = np.array([_Touch(proof)], dtype=object)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    forge(target.resolve(), "arrays.npz", buf.getvalue())

    with pytest.raises(IndexError_, match="inconsistent .*Python objects; refusing to unpickle"):
        load_index(target)
    result = run("ask", "--index", str(target), "--json", "tạm trú")
    assert result.exit_code == 4 and result.stderr.startswith("error: index ") and result.stderr.count("\n") == 1
    assert not proof.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("lexicon.json", b"[]"),
        ("lexicon.json", b"null"),
        ("documents.jsonl", b"[" * 100_000),
        ("documents.jsonl", b"[" * 100_000 + b"\n"),
        ("passages.jsonl", b""),
        ("ids.json", b'{"documents": 4}'),
        ("ids.json", b'{"documents": ["a", "b", "c", "d"], "question_passages": 0, "bare_topics": [["x", 9, ["x"]]]}'),
        ("vocabulary.json", b'{"word": 1}'),
    ],
    ids=[
        "lexicon-list",
        "lexicon-null",
        "documents-unterminated",
        "documents-deep",
        "passages-empty",
        "ids-wrong-type",
        "ids-bare-topic-of-no-document",
        "vocabulary-wrong-type",
    ],
)
def test_index_files_of_the_wrong_shape_are_a_clean_index_error(built, tmp_path: Path, name: str, data) -> None:
    target = tmp_path / "forged"
    save_index(built[0], target)
    forge(target.resolve(), name, data)
    with pytest.raises(IndexError_) as info:
        load_index(target)
    assert "faq index build" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    "title",
    [
        'title = !!python/object/apply:os.system ["touch {proof}"]',
        'title = "!!python/object/apply:os.system [touch {proof}]"',
        "title = '''\n!!python/object/new:subprocess.Popen [[touch, {proof}]]'''",
    ],
    ids=["bare", "quoted", "multiline"],
)
def test_a_toml_header_cannot_execute_anything(tmp_path: Path, title: str) -> None:
    proof = tmp_path / "executed"
    good = (DATA / "corpus" / "procedures" / "tam-tru.md").read_text("utf-8")
    path = tmp_path / "tam-tru.md"
    path.write_text(good.replace('title = "Đăng ký tạm trú"', title.format(proof=proof)), "utf-8")
    parsed = parse_procedure(path)
    if parsed.doc is None:  # YAML tags are no TOML syntax
        assert any("not valid TOML" in str(p) for p in parsed.problems)
    else:  # inside quotes they are just text
        assert parsed.doc.title.startswith("!!python/object")
    assert not proof.exists()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "thu-tuc"', 'kind = ["thu-tuc"]', ":5: `kind` must be a string"),
        ('category = "cu-tru"', "category = { a = 1 }", ":4: `category` must be a string"),
        ('title = "Đăng ký tạm trú"', "title = " + "[" * 5000 + "]" * 5000, ":2: header is not valid TOML"),
        ("updated = 2026-11-01", "updated = " + "1" * 5000, ":2: header is not valid TOML"),  # found by make fuzz
    ],
    ids=["kind-list", "category-table", "deep-nesting", "huge-integer"],
)
def test_a_procedure_header_of_the_wrong_shape_is_a_problem_not_a_crash(tmp_path: Path, old, new, message) -> None:
    good = (DATA / "corpus" / "procedures" / "tam-tru.md").read_text("utf-8")
    path = tmp_path / "tam-tru.md"
    path.write_text(good.replace(old, new), "utf-8")
    parsed = parse_procedure(path)
    assert parsed.doc is None and any(str(p).startswith(f"{path}{message}") for p in parsed.problems)


# ------------------------------------------------------------------ the fuzzer itself


def test_the_fuzzer_saves_a_failing_input_and_exits_non_zero(tmp_path: Path, monkeypatch, capsys) -> None:
    import fuzz

    def fragile(data: bytes, _: Path) -> None:
        if b"\n" in data:
            raise KeyError("a bug")

    monkeypatch.setattr(fuzz, "targets", lambda: {"text": (fragile, [b"a\nb", b"ab"], ".txt")})
    assert fuzz.fuzz(0.3, seed=7, out=tmp_path) == 1
    (saved,) = tmp_path.iterdir()
    assert b"\n" in saved.read_bytes() and saved.name.startswith("text--7-")
    out = capsys.readouterr().out
    assert "seed 7" in out and "KeyError at ?" in out and f"--replay {saved}" in out
    assert fuzz.replay(saved) == 1


@pytest.mark.slow
def test_a_short_fuzz_run_passes() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "fuzz.py"), "--seconds", "5", "--seed", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 distinct failure(s)" in result.stdout and "procedure" in result.stdout


@pytest.mark.slow
def test_two_builds_of_an_edited_corpus_at_once_both_index_it_rightly(tmp_path: Path) -> None:
    """The race that once published a corrupt index: two processes rebuild the same edited corpus next
    to one analysis cache (two `ask`s after an edit). Each must give the vocabulary a build from scratch
    gives. Without the cache lock one of them mapped one vocabulary onto the other's term ids in about
    half the runs (a race: `tests/test_analysis.py` checks the lock itself deterministically)."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    shared = tmp_path / "shared"

    def build(out: Path) -> subprocess.Popen:
        args = [sys.executable, str(ROOT / "cli.py"), "index", "build", "--corpus", str(corpus), "--out", str(out)]
        return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def finished(*running: subprocess.Popen) -> None:
        outputs = [p.communicate(timeout=300)[0] for p in running]
        assert [p.returncode for p in running] == [0] * len(running), outputs

    def vocabulary(out: Path) -> dict[str, set[str]]:
        return {c: set(v) for c, v in load_index(out).vocab.items()}

    finished(build(shared / "warm"))
    page = corpus / "procedures" / "dang-ky-tam-tru.md"
    page.write_text(page.read_text("utf-8") + "\nMột câu mới về quầy tiếp nhận riêng cho sinh viên.\n", "utf-8")
    finished(build(shared / "a"), build(shared / "b"))
    finished(build(tmp_path / "scratch" / "idx"))
    scratch = vocabulary(tmp_path / "scratch" / "idx")
    assert any("quầy" in t for t in scratch["word"])  # the edit is in it
    assert vocabulary(shared / "a") == scratch and vocabulary(shared / "b") == scratch
