"""Command-line interface: a thin adapter over the `faq` library.

It parses arguments, calls the library, renders results with Rich (or `--json`), and turns typed
library errors into a one-line message and a stable exit code (see README, "Exit codes").
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table

from faq.corpus import CATEGORIES, check_corpus
from faq.engine import Paths, build, open_index
from faq.errors import CorpusError, FaqError, UsageError
from faq.search import Result, Searcher

app = typer.Typer(
    help="Vietnamese FAQ search for police administrative procedures.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
index_app = typer.Typer(help="Build the search index.", no_args_is_help=True)
corpus_app = typer.Typer(help="Inspect and validate the corpus.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(corpus_app, name="corpus")

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)
F = TypeVar("F", bound=Callable[..., Any])

IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index directory (default: indexes/default).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def handle_errors(func: F) -> F:
    """Turn library errors into one line on stderr and the documented exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FaqError as exc:
            lines = [f"error: {exc}", *getattr(exc, "problems", [])]
            sys.stderr.write("".join(_one_line(line) + "\n" for line in lines))
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # last resort: one line, not a traceback
            if os.environ.get("FAQ_DEBUG"):
                raise
            sys.stderr.write(
                _one_line(f"internal error: {type(exc).__name__}: {exc} (set FAQ_DEBUG=1 for details)") + "\n"
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _one_line(text: str) -> str:
    """Messages are single lines: newlines inside quoted data are shown escaped."""
    return str(text).replace("\r", "\\r").replace("\n", "\\n")


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")


def notify(message: str) -> None:
    sys.stderr.write(_one_line(message) + "\n")


def read_query(query: str) -> str:
    """The query text; `-` reads standard input, which must be UTF-8."""
    if query != "-":
        return query
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"standard input is not UTF-8 text (byte {exc.start}); send UTF-8") from None


# ------------------------------------------------------------------ ask


def result_to_json(result: Result) -> dict:
    return {
        "query": result.query,
        "abstained": result.abstained,
        "results": [
            {"id": h.id, "title": h.title, "score": round(h.score, 6), "matched": h.matched, "answer": h.answer}
            for h in result.hits
        ],
    }


CARD_SECTIONS = {
    "thu-tuc": ("Hồ sơ cần chuẩn bị", "Lệ phí", "Thời hạn giải quyết", "Nơi thực hiện"),
    "canh-bao": ("Dấu hiệu nhận biết", "Cách xử lý", "Nơi trình báo"),
}


def render_card(result: Result) -> None:
    best = result.hits[0]
    doc = best.document
    parts = []
    if best.matched_kind == "qa":
        parts.append(f"**{best.matched}**\n\n{best.answer}")
    summary = doc.section("Tóm tắt") or best.answer
    parts.append(summary)
    for heading in CARD_SECTIONS.get(doc.kind, ()):
        text = doc.section(heading)
        if text:
            parts.append(f"### {heading}\n{text}")
    if doc.agency:
        parts.append(f"**Cơ quan giải quyết:** {doc.agency}")
    if doc.sources:
        parts.append("**Nguồn:** " + "; ".join(f"{s.title or s.url} ({s.url})" for s in doc.sources))
    if doc.updated:
        parts.append(f"*Thông tin kiểm tra lần cuối: {doc.updated}*")
    subtitle = f"{doc.id} · điểm {best.score:.3f}"
    out.print(Panel(Markdown("\n\n".join(parts)), title=f"[bold]{doc.title}[/bold]", subtitle=subtitle))


def render_others(hits, title: str) -> None:
    if not hits:
        return
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("id")
    table.add_column("tiêu đề")
    table.add_column("điểm", justify="right")
    for i, h in enumerate(hits, start=1):
        table.add_row(str(i), h.id, h.title, f"{h.score:.3f}")
    out.print(table)


def render_explain(result: Result) -> None:
    for h in result.hits:
        table = Table(title=f"{h.id}: score {h.score:.4f}", title_justify="left")
        for col in ("channel", "field", "contribution", "terms"):
            table.add_column(col)
        for c in h.contributions:
            terms = ", ".join(f"{t} {v:.4f}" for t, v in c.terms[:8])
            table.add_row(c.channel, c.field, f"{c.score:.4f}", terms)
        total = sum(c.score for c in h.contributions)
        table.add_row("", "sum", f"{total:.4f}", "")
        out.print(table)


@app.command()
@handle_errors
def ask(
    query: Annotated[str, typer.Argument(help="The question, or - to read it from standard input.")],
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=100, help="How many results.")] = 5,
    json_out: JsonOpt = False,
    index: IndexOpt = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show what each term contributed.")] = False,
) -> None:
    """Answer a citizen's question with the best-matching procedure."""
    text = read_query(query)
    searcher = Searcher(open_index(index, notify=notify))
    result = searcher.search(text, top_k=top_k, explain=explain)
    for note in result.notes:
        notify(f"notice: {note}")
    if json_out:
        data = result_to_json(result)
        if explain:
            for item, hit in zip(data["results"], result.hits, strict=True):
                item["explain"] = [
                    {"channel": c.channel, "field": c.field, "score": c.score, "terms": [list(t) for t in c.terms]}
                    for c in hit.contributions
                ]
        emit_json(data)
        return
    if not text.strip():
        out.print("Bạn hãy nhập câu hỏi, ví dụ: [italic]đăng ký tạm trú cần giấy tờ gì[/italic]")
        return
    if result.abstained:
        out.print(
            "Xin lỗi, tôi chưa có thông tin chắc chắn cho câu hỏi này. "
            "Bạn có thể hỏi lại rõ hơn, hoặc liên hệ Công an xã/phường nơi cư trú."
        )
        render_others(result.hits[:3], "Các chủ đề gần nhất")
    else:
        render_card(result)
        render_others(result.hits[1:], "Kết quả khác")
    if explain:
        render_explain(result)


# ------------------------------------------------------------------ index build


@index_app.command("build")
@handle_errors
def index_build(
    corpus: Annotated[
        Path | None, typer.Option("--corpus", help="Corpus directory, or a .jsonl/.csv FAQ file.")
    ] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Where to write the index.")] = None,
) -> None:
    """Build the index from the corpus (atomically replacing the previous one)."""
    paths = Paths.default()
    corpus = corpus or paths.corpus
    target = out_dir or paths.index
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task("Analysing documents", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        _, report = build(corpus, target, paths, progress=tick)
    vocab = ", ".join(f"{c} {n}" for c, n in report.vocabulary.items())
    out.print(
        f"Built {target}: {report.documents} documents; vocabulary {vocab}; {report.seconds:.1f} s", soft_wrap=True
    )


# ------------------------------------------------------------------ show / list


@app.command()
@handle_errors
def show(
    doc_id: Annotated[str, typer.Argument(metavar="ID", help="Procedure id, e.g. dang-ky-tam-tru.")],
    index: IndexOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show one procedure in full."""
    idx = open_index(index, notify=notify)
    doc = next((d for d in idx.documents if d.id == doc_id), None)
    if doc is None:
        raise UsageError(f"no such procedure: {doc_id!r}; `faq list` shows the ids")
    if json_out:
        emit_json(
            {
                "id": doc.id,
                "title": doc.title,
                "category": doc.category,
                "kind": doc.kind,
                "agency": doc.agency,
                "aliases": list(doc.aliases),
                "questions": list(doc.questions),
                "sections": {s.heading: s.text for s in doc.sections},
                "sources": [{"url": s.url, "title": s.title, "date": s.date} for s in doc.sources],
                "updated": doc.updated,
            }
        )
        return
    lines = [f"*{CATEGORIES.get(doc.category, doc.category)}* · **{doc.agency}**" if doc.agency else ""]
    if doc.aliases:
        lines.append("Còn gọi là: " + ", ".join(doc.aliases))
    for s in doc.sections:
        lines.append(f"## {s.heading}\n{s.text}")
    if doc.sources:
        lines.append("## Nguồn\n" + "\n".join(f"- {s.title} {s.date} — {s.url}" for s in doc.sources))
    if doc.updated:
        lines.append(f"*Thông tin kiểm tra lần cuối: {doc.updated}*")
    out.print(Panel(Markdown("\n\n".join(lines)), title=f"[bold]{doc.title}[/bold]", subtitle=doc.id))


@app.command("list")
@handle_errors
def list_(
    category: Annotated[str | None, typer.Option("--category", help="Only this category code.")] = None,
    index: IndexOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """List the procedures the index can answer."""
    idx = open_index(index, notify=notify)
    docs = [d for d in idx.documents if category is None or d.category == category]
    if category is not None and not docs and category not in CATEGORIES:
        raise UsageError(f"unknown category {category!r}; use one of: {', '.join(CATEGORIES)}")
    if json_out:
        emit_json([{"id": d.id, "title": d.title, "category": d.category} for d in docs])
        return
    table = Table(title=f"{len(docs)} procedures", title_justify="left")
    for col in ("id", "title", "category"):
        table.add_column(col)
    for d in docs:
        table.add_row(d.id, d.title, d.category)
    out.print(table)


# ------------------------------------------------------------------ corpus check / analyze


@corpus_app.command("check")
@handle_errors
def corpus_check(
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Corpus directory or FAQ file.")] = None,
) -> None:
    """Validate every document; print `file:line: problem` for each violation."""
    from faq.lexicon import load_lexicon

    paths = Paths.default()
    corpus = corpus or paths.corpus
    docs, problems = check_corpus(corpus)
    messages = [str(p) for p in problems]
    if corpus.is_dir() and corpus.resolve() == paths.corpus.resolve():
        try:
            load_lexicon(paths.lexicon)
        except CorpusError as exc:
            messages += exc.problems
    if messages:
        raise CorpusError(f"{len(messages)} problem(s) in {corpus} ({len(docs)} documents parsed)", messages)
    out.print(f"{corpus}: {len(docs)} documents, no problems", soft_wrap=True)


@app.command()
@handle_errors
def analyze(
    text: Annotated[str, typer.Argument(help="Text to analyse.")],
    query: Annotated[bool, typer.Option("--query", help="Analyse as a query (with synonym expansion).")] = False,
    index: IndexOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show the tokens a text becomes in each channel (a debugging aid)."""
    analyzer = open_index(index, notify=notify).analyzer()
    tokens = analyzer.analyze(read_query(text), query=query)
    if json_out:
        emit_json(tokens)
        return
    for channel, toks in tokens.items():
        out.print(f"[bold]{channel}[/bold] ({len(toks)}): " + " | ".join(toks[:80]))


def main() -> None:
    app()


if __name__ == "__main__":
    main()
