"""The query path imports neither scikit-learn, scipy nor underthesea: they are needed only to build an
index (see faq.index, faq.postings, and Analyzer._segment_query), and each costs start-up time on every `ask`."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from faq.engine import Paths, build

ROOT = Path(__file__).resolve().parent.parent

# Runs the CLI's main() with the given arguments in a fresh interpreter, then reports which sklearn
# modules were imported by the time it exited.
PROBE = """
import json, sys
import cli
sys.argv = ["faq", *json.loads(sys.argv[1])]
try:
    cli.main()
except SystemExit as exc:
    code = exc.code or 0
else:
    code = 0
sys.stdout.flush()
def loaded(name):
    return sorted(m for m in sys.modules if m == name or m.startswith(name + "."))
print("PROBE " + json.dumps({"exit": code, **{n: loaded(n) for n in ("sklearn", "scipy", "underthesea")}}))
"""


def probe(project: Paths, *args: str, stdin: str = "") -> tuple[dict, str, str]:
    env = {**os.environ, "FAQ_HOME": str(project.corpus.parent), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(list(args))],
        cwd=ROOT,
        env=env,
        input=stdin.encode(),
        capture_output=True,
        timeout=120,
    )
    stdout, stderr = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, stderr
    *answer, last = stdout.splitlines()
    return json.loads(last.removeprefix("PROBE ")), "\n".join(answer), stderr


@pytest.fixture
def indexed(project: Paths) -> Paths:
    build(project.corpus, project.index, project)
    return project


@pytest.mark.parametrize(
    "args",
    [
        ("ask", "--json", "đăng ký tạm trú cần giấy tờ gì"),
        ("ask", "mất căn cước làm lại ở đâu"),
        ("ask", "--explain", "--json", "dang ky tam tru"),
        ("ask", "--batch", "-"),
    ],
)
def test_ask_does_not_import_sklearn(indexed: Paths, args: tuple[str, ...]) -> None:
    report, answer, stderr = probe(indexed, *args, stdin="làm hộ chiếu\nmat cccd\n")
    assert report["exit"] == 0 and answer.strip(), stderr
    assert "rebuilt" not in stderr  # a rebuild would legitimately import sklearn; the index was fresh
    for heavy in ("sklearn", "scipy", "underthesea"):
        assert report[heavy] == [], f"the query path imported {report[heavy][:5]}"


def test_the_probe_sees_sklearn_when_it_is_imported(project: Paths) -> None:
    report, _, _ = probe(project, "index", "build")  # building does use all three
    assert report["exit"] == 0
    assert "sklearn" in report["sklearn"] and "scipy" in report["scipy"] and "underthesea" in report["underthesea"]
