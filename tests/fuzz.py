"""Bounded fuzzing of the text pipeline and the corpus parsers (`make fuzz`).

A seeded random mutator (no extra dependency) mutates real inputs: fixture procedure files, FAQ tables
made from them, the fixture lexicon and citizen queries. Each mutated input goes through one target:

  text        every function of faq.text on the input decoded as argv is (undecodable bytes -> surrogates)
  analyzer    faq.analyzer.Analyzer.analyze, as a document and as a query
  procedure   faq.corpus.parse_procedure on a mutated procedure file
  faq-csv     faq.corpus.check_corpus (parse_faq_file + cross checks) on a mutated CSV table
  faq-jsonl   the same on a mutated JSONL table
  faq-json    the same on a mutated JSON array
  lexicon/F   faq.lexicon.load_lexicon with lexicon file F mutated, then an analyzer using it

Any exception other than a documented FaqError subclass, or an input taking over 10 s, is a failure:
the input is saved, and the run exits 1 after the summary. Replay one with `--replay FILE`.

    python tests/fuzz.py [--seconds 120] [--seed N] [--out DIR]     (or FUZZ_SECONDS, FUZZ_SEED, FUZZ_OUT)

The seconds are capped at 300; the seed is printed, and the same seed replays the same inputs.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # usable from a checkout without installing

from faq import text as ft  # noqa: E402
from faq.analyzer import Analyzer  # noqa: E402
from faq.config import AnalyzerConfig  # noqa: E402
from faq.corpus import check_corpus, parse_procedure  # noqa: E402
from faq.errors import FaqError  # noqa: E402
from faq.examples import read_examples  # noqa: E402
from faq.lexicon import LEXICON_FILES, Lexicon, load_lexicon  # noqa: E402
from faq.spelling import Speller, dictionary_syllables  # noqa: E402

DATA = ROOT / "tests" / "data" / "corpus"
DEFAULT_SECONDS = 120.0
MAX_SECONDS = 300.0
PER_INPUT_SECONDS = 10
MAX_BYTES = 256 * 1024  # above the csv module's 128 KB field limit
MAX_TEXT = 2000  # queries are cut to this many characters before analysis
TODAY = dt.date(2026, 11, 28)  # fixed, so a saved procedure file replays identically any day
DEFAULT_OUT = Path(tempfile.gettempdir()) / "faq-fuzz"  # failing inputs; never inside the repository

# Fragments that matter to the formats: quoting, structure, encodings, Unicode oddities, size limits.
TOKENS = [
    b'"',
    b"'",
    b'"""',
    b"\n",
    b"\r\n",
    b"\r",
    b"\t",
    b"+++\n",
    b"[",
    b"]",
    b"{",
    b"}",
    b",",
    b"=",
    b"|",
    b"#",
    b"\n## ",
    b"\n### ",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\x00",
    b"\x1f",
    b"\x7f",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",  # an encoded surrogate: invalid UTF-8
    "\ufeff".encode(),
    "\u0301".encode(),
    "\u0323".encode(),
    "\u200b".encode(),
    "\u2028".encode(),
    "đ".encode(),
    "İ".encode(),
    "😀".encode(),
    # digits and letters Unicode counts differently from ASCII: `¹` once crashed VNI repair (a digit to
    # str.isdigit, a letter to a regex); `Î` + a refold broke the unaccented form's fixed point
    "¹".encode(),
    "²3".encode(),
    "５".encode(),
    "١".encode(),
    "Ⅻ".encode(),
    "Î".encode(),
    "ķ".encode(),
    "ǅ".encode(),
    "ẞ".encode(),
    "ŉ".encode(),
    "ﬁ".encode(),
    "\u0302".encode(),
    "\u0308".encode(),
    b"6",
    b"7",
    "你好".encode(),
    b"20.000",
    b"1,5",
    b"1" * 5000,
    b"a" * 140_000,  # over the csv module's 128 KB field limit
    b"[" * 3000,
    b"{" * 3000,
    b'{"a":' * 3000,
    b"a = [" * 600,
    b"null",
    b"true",
    b"1e999",
    b"NaN",
]
# Values of other types for `key = value` (TOML) and `"key": value` (JSON) lines.
TOML_VALUES = [
    "1",
    "[1]",
    '["a", 1]',
    "{a = 1}",
    "true",
    "1979-05-27",
    "1979-05-27T07:32:00Z",
    '""',
    "[]",
    "nan",
    "[{url = 1}]",
    '[{ url = "ftp://x" }]',
    '"' + "ạ" * 300 + '"',
    "[" * 2000 + "]" * 2000,
]
HOLE = "\x00value\x00"
JSON_VALUES = ["1", "[1]", '{"a": 1}', "true", "null", '""', "[]", "1e999", "[[[", "1" * 5000, '"' + "ạ" * 300 + '"']


# ------------------------------------------------------------------ mutation


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randint(0, len(data))


def _range(rng: random.Random, data: bytes) -> tuple[int, int]:
    a = _pos(rng, data)
    return a, min(len(data), a + rng.choice([1, 2, 8, 64, 512]))


def _swap_value(rng: random.Random, data: bytes) -> bytes:
    """Give a `key = value` or `"key": value` line a value of another type."""
    lines = data.split(b"\n")
    candidates = [i for i, line in enumerate(lines) if re.match(rb'^\s*("?[\w-]+"?)\s*[=:]', line)]
    if not candidates:
        return data
    i = rng.choice(candidates)
    key = re.match(rb'^\s*("?[\w-]+"?)\s*[=:]', lines[i]).group(0)
    value = rng.choice(JSON_VALUES if b'"' in key else TOML_VALUES)
    lines[i] = key + b" " + value.encode()
    return b"\n".join(lines)


def _swap_json_field(rng: random.Random, data: bytes) -> bytes:
    """In a JSONL line, give one field a value of another type (keeps the line valid JSON)."""
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    try:
        row = json.loads(lines[i])
    except (ValueError, RecursionError):
        return data
    if not isinstance(row, dict) or not row:
        return data
    row[rng.choice(list(row))] = HOLE
    line = json.dumps(row, ensure_ascii=rng.random() < 0.5)
    lines[i] = line.replace(json.dumps(HOLE), rng.choice(JSON_VALUES)).encode("utf-8", "surrogatepass")  # "\ud800"
    return b"\n".join(lines)


def mutate(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    """Apply one to four random edits; the result is capped at MAX_BYTES."""
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(11)
        if op == 0 and data:  # flip a bit
            i = rng.randrange(len(data))
            data = data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]
        elif op == 1:  # insert a format token
            i = _pos(rng, data)
            data = data[:i] + rng.choice(TOKENS) + data[i:]
        elif op == 2:  # insert random bytes
            i = _pos(rng, data)
            data = data[:i] + rng.randbytes(rng.randint(1, 8)) + data[i:]
        elif op == 3:  # delete a range
            a, b = _range(rng, data)
            data = data[:a] + data[b:]
        elif op == 4:  # duplicate a range elsewhere
            a, b = _range(rng, data)
            i = _pos(rng, data)
            data = data[:i] + data[a:b] + data[i:]
        elif op == 5:  # repeat a range many times
            a, b = _range(rng, data)
            data = data[:a] + data[a:b] * rng.choice([10, 100, 1000]) + data[b:]
        elif op == 6:  # splice in part of another seed
            other = rng.choice(seeds)
            a, b = _range(rng, other)
            i = _pos(rng, data)
            data = data[:i] + other[a:b] + data[i:]
        elif op == 7:  # truncate
            data = data[: _pos(rng, data)]
        elif op == 8:  # swap two lines
            lines = data.split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            data = b"\n".join(lines)
        elif op == 9:
            data = _swap_value(rng, data)
        else:
            data = _swap_json_field(rng, data)
    return data[:MAX_BYTES]


# ------------------------------------------------------------------ seeds


def _faq_rows() -> list[dict]:
    rows = []
    for path in sorted((DATA / "procedures").glob("*.md")):
        text = path.read_text("utf-8")
        questions = re.findall(r'^  "(.+)",$', text, flags=re.M)
        answer = text.split("## Tóm tắt", 1)[1].split("\n## ", 1)[0].strip()
        rows.append(
            {"id": path.stem, "question": questions[0], "answer": answer, "aliases": "a|b", "category": "cu-tru"}
        )
        rows.append({"id": path.stem + "-2", "question": "", "answer": answer + "\nhai dòng, có dấu phẩy"})
    return rows


def _csv_seed(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, ["id", "question", "answer", "title", "category", "aliases"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode()


def _examples_seed() -> bytes:
    """Labelled messages (faq.examples) as a unit would keep them, an out-of-scope line among them."""
    rows = [
        {"query": "đk tạm trú ở trọ cần gì", "expected": ["tam-tru"], "type": "abbreviation"},
        {"query": "mat ho chieu lam lai", "expected": ["ho-chieu", "tam-tru"]},
        {"query": "đăng ký kết hôn", "expected": [], "type": "out_of_scope", "hard": True},
    ]
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()


def _query_seeds() -> list[bytes]:
    lines = (ROOT / "tests" / "data" / "eval.jsonl").read_text("utf-8").splitlines()
    queries = [json.loads(line)["query"] for line in lines if line.strip()]
    queries += ["", "   ", "<script>alert(1)</script> tạm trú", "ĐĂNG KÝ TẠM TRÚ 20.000đ", "hoà thuỷ khoẻ quý", "cccd"]
    queries += ["how do i renew the can cuoc card i lost", "thank you so much for the help!"]  # English
    return [q.encode() for q in queries]


# ------------------------------------------------------------------ targets


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")[:MAX_TEXT]


def target_text(data: bytes, _: Path) -> None:
    s = _text(data)
    for fn in (ft.nfc, ft.fix_tone_placement, ft.normalize, ft.fold, ft.has_diacritics, ft.chunks, ft.syllables):
        fn(s)
    for chunk in ft.chunks(ft.normalize(s)):
        sylls = ft.syllables(chunk)
        words = ft.segment(sylls[:200], ("thẻ căn cước",))
        ft.ngrams(words, 1, 3)
        ft.char_ngrams([ft.fold(w) for w in sylls], 3, 5)


def target_analyzer(data: bytes, _: Path) -> None:
    s = _text(data)
    ANALYZER.analyze(s)
    ANALYZER.analyze(s, query=True)
    ENGLISH_ANALYZER.analyze(s, query=True)  # english.tsv, and english_only.tsv when it reads as English


def target_procedure(data: bytes, tmp: Path) -> None:
    path = tmp / "tam-tru.md"
    path.write_bytes(data)
    parse_procedure(path, today=TODAY)


def target_examples(data: bytes, tmp: Path) -> None:
    path = tmp / "examples.jsonl"
    path.write_bytes(data)
    read_examples([path], {"tam-tru", "ho-chieu"})


def _faq_target(suffix: str) -> Callable[[bytes, Path], None]:
    def run(data: bytes, tmp: Path) -> None:
        path = tmp / f"faq{suffix}"
        path.write_bytes(data)
        check_corpus(path)

    return run


def _lexicon_target(name: str) -> Callable[[bytes, Path], None]:
    def run(data: bytes, tmp: Path) -> None:
        folder = tmp / "lexicon"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(DATA / "lexicon", folder)
        (folder / name).write_bytes(data)
        lexicon = load_lexicon(folder)
        analyzer = Analyzer(AnalyzerConfig(), lexicon)
        for query in ("đk tạm trú ko mất tiền hả", "làm thẻ căn cước cccd", "hộ khẩu"):
            analyzer.analyze(query, query=True)

    return run


_WORDS = {"đăng_ký": 9, "tạm_trú": 7, "thẻ_căn_cước": 6, "hộ_khẩu": 5, "không": 9, "mất": 4, "làm": 8, "xe": 6}
# queries also go through typo repair (faq.spelling), with the real dictionary, as they do from an index
ANALYZER = Analyzer(
    AnalyzerConfig(),
    load_lexicon(DATA / "lexicon"),
    speller=Speller.from_frequencies(_WORDS, ["của"], dictionary_syllables(), {"dang ky", "tam tru", "ho khau"}),
)


def _with_english(lexicon: Lexicon) -> Lexicon:
    """The fixture lexicon with a few english.tsv and english_only.tsv entries (the fixture has neither
    file), so the English path (faq.analyzer.Analyzer.english_share, `rewrite(..., english=True)`) is
    fuzzed too."""
    english = ((("renew",), ("cấp", "đổi")), (("card",), ("thẻ",)), (("how", "do", "i"), ()))
    only = ((("the",), ()), (("can",), ()), (("my",), ()), (("to",), ("đến",)))
    sources = tuple(k for k, _ in english)
    return replace(lexicon, rewrites=lexicon.rewrites + english, english=sources, english_only=only)


# with the real dictionary (to tell English) and a few index words (`the can cuoc` is kept whole)
ENGLISH_ANALYZER = Analyzer(
    AnalyzerConfig(),
    _with_english(load_lexicon(DATA / "lexicon")),
    query_words=[w for w in _WORDS if "_" in w],
    dictionary=dictionary_syllables(),
)


def targets() -> dict[str, tuple[Callable[[bytes, Path], None], list[bytes], str]]:
    """name -> (run, seeds, file suffix of a saved input)."""
    queries = _query_seeds()
    procedures = [p.read_bytes() for p in sorted((DATA / "procedures").glob("*.md"))]
    rows = _faq_rows()
    csv_seeds = [_csv_seed(rows), b"\xef\xbb\xbf" + _csv_seed(rows[:3]), b'id,question,answer\nq1,"a\nb",c\n\n,,\n']
    jsonl = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    array = json.dumps(rows, ensure_ascii=False, indent=1).encode()
    out = {
        "text": (target_text, queries, ".txt"),
        "analyzer": (target_analyzer, queries + [p[:MAX_TEXT] for p in procedures], ".txt"),
        "procedure": (target_procedure, procedures, ".md"),
        "faq-csv": (_faq_target(".csv"), csv_seeds, ".csv"),
        "faq-jsonl": (_faq_target(".jsonl"), [jsonl, jsonl[:300]], ".jsonl"),
        "faq-json": (_faq_target(".json"), [array, array[:300], b"[]"], ".json"),
        "examples": (target_examples, [_examples_seed()], ".jsonl"),
    }
    for name in (n for n in LEXICON_FILES if (DATA / "lexicon" / n).exists()):
        out[f"lexicon/{name}"] = (_lexicon_target(name), [(DATA / "lexicon" / name).read_bytes()], Path(name).suffix)
    return out


# ------------------------------------------------------------------ running


class SlowInput(Exception):
    """An input took longer than PER_INPUT_SECONDS (a hang or a pathological regex)."""


def _alarm(signum: int, frame: object) -> None:
    raise SlowInput(f"took over {PER_INPUT_SECONDS} s")


@contextlib.contextmanager
def _slow_inputs_raise() -> Iterator[None]:
    """While fuzzing, SIGALRM raises SlowInput (and the previous handler comes back afterwards)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    try:
        yield
    finally:
        signal.signal(signal.SIGALRM, previous)


def run_one(run: Callable[[bytes, Path], None], data: bytes, tmp: Path) -> tuple[str, str] | None:
    """None when the target accepted or cleanly refused the input, else (signature, traceback).

    The signature (exception type and the library line that raised it) tells distinct bugs apart.
    """
    signal.alarm(PER_INPUT_SECONDS)
    try:
        run(data, tmp)
    except FaqError:
        pass
    except Exception as exc:  # noqa: BLE001 - anything else is exactly what we are looking for
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/faq/" in f.filename] or [None]
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames[-1] else "?"
        return f"{type(exc).__name__} at {where}", traceback.format_exc()
    finally:
        signal.alarm(0)
    return None


def fuzz(seconds: float, seed: int, out: Path) -> int:
    """Round-robin over the targets until the time is up; every distinct failure is saved once."""
    table = targets()
    rng = random.Random(seed)
    counts: Counter[str] = Counter()
    failing: Counter[str] = Counter()
    saved: dict[tuple[str, str], Path] = {}
    names = list(table)
    print(f"fuzz: seed {seed}, {seconds:.0f} s, {len(names)} targets", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="faq-fuzz-") as tmp_name, _slow_inputs_raise():
        tmp = Path(tmp_name)
        i = 0
        while time.monotonic() - started < seconds:
            name = names[i % len(names)]
            i += 1
            run, seeds, suffix = table[name]
            data = mutate(rng, rng.choice(seeds), seeds) if rng.random() < 0.95 else rng.choice(seeds)
            counts[name] += 1
            error = run_one(run, data, tmp)
            if error is None:
                continue
            failing[name] += 1
            signature, trace = error
            if (name, signature) not in saved:
                out.mkdir(parents=True, exist_ok=True)
                path = out / f"{name.replace('/', '_')}--{seed}-{counts[name]}{suffix}"
                path.write_bytes(data)
                saved[(name, signature)] = path
                print(f"FAIL {name}: {signature}; input saved to {path}\n{trace}", file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    for name in names:
        print(f"  {name:<26} {counts[name]:>7} inputs  {failing[name]:>5} failing")
    for (name, signature), path in saved.items():
        print(f"  FAILED {name}: {signature}; replay: python tests/fuzz.py --replay {path}")
    total = sum(counts.values())
    print(f"fuzz: {total} inputs in {elapsed:.1f} s, seed {seed}, {len(saved)} distinct failure(s)")
    return 1 if saved else 0


def replay(path: Path) -> int:
    """Run a saved input through the target its file name names."""
    table = targets()
    key = path.name.split("--")[0]
    name = next((n for n in table if n.replace("/", "_") == key), None)
    if name is None:
        print(f"cannot tell the target of {path.name}; expected one of {', '.join(table)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="faq-fuzz-") as tmp, _slow_inputs_raise():
        error = run_one(table[name][0], path.read_bytes(), Path(tmp))
    print(error[1] if error else f"{name}: no failure")
    return 1 if error else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("FUZZ_SECONDS", DEFAULT_SECONDS)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", time.time_ns() % 1_000_000)))
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("FUZZ_OUT") or DEFAULT_OUT))
    parser.add_argument("--replay", type=Path, help="run one saved failing input again")
    args = parser.parse_args()
    if args.replay:
        return replay(args.replay)
    return fuzz(min(max(args.seconds, 1.0), MAX_SECONDS), args.seed, args.out)


if __name__ == "__main__":
    sys.exit(main())
