"""Command-line interface: a thin adapter over the `faq` library.

It parses arguments, calls the library, renders results with Rich (or `--json`), and turns typed
library errors into a one-line message and a stable exit code (see README, "Exit codes").
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.panel import Panel
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from faq.corpus import CATEGORIES, FAQ_SUFFIXES, Document, Source, check_corpus, reviews_ahead
from faq.engine import Paths, build, open_index, recorded_paths
from faq.errors import CorpusError, FaqError, UsageError
from faq.index import Index, load_index
from faq.search import Hit, Result, Searcher
from faq.storage import live_build
from faq.text import is_official_host

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
        try:  # bytes of an argument that are not UTF-8 arrive as lone surrogates; they cannot be printed back
            query.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise UsageError(f"the query is not UTF-8 text (character {exc.start}); send UTF-8") from None
        return query
    data = sys.stdin.buffer.read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"standard input is not UTF-8 text (byte {exc.start}); send UTF-8") from None


# ------------------------------------------------------------------ ask


def result_to_json(result: Result, index: Index) -> dict:
    """A bot relaying answers needs what a person sees: whether we declined, how sure we are, and who
    handles a question for another agency (`referrals`), besides the ranked answers."""
    return {
        "query": result.query,
        "abstained": result.abstained,
        "confidence": round(result.confidence, 6),
        "referrals": [{"term": term, "handled_by": who} for term, who in result.referrals],
        # declined and more like an example of another agency's subject (corpus/lexicon/other_topics.txt)
        # than like any page: a likeness, not a phrase the question names, so the example is given for the
        # citizen to judge
        "similar_to": {"example": topic[0], "handled_by": topic[1]} if (topic := shown_topic(result)) else None,
        # signs of a fraud in a pasted message (corpus/lexicon/fraud_signs.tsv), to be relayed before any
        # answer: a scam that borrows a procedure's words still ranks that procedure's page first
        "fraud_signs": [{"sign": sign, "warning": warning} for sign, warning in result.fraud_signs],
        # signs of danger (corpus/lexicon/danger_signs.tsv): the emergency numbers to relay first, whether
        # the message was answered or declined
        "danger_signs": [{"sign": sign, "advice": advice} for sign, advice in result.danger_signs],
        "notes": list(result.notes),
        "results": [
            {
                "id": h.id,
                "title": h.title,
                "score": round(h.score, 6),
                "matched": h.matched,
                "answer": h.answer,
                "caution": review_caution(h.document),
                "see_instead": see_instead(h.document, index),
            }
            for h in result.hits
        ],
    }


def see_instead(doc: Document, index: Index) -> list[dict[str, str]]:
    """The page's pointers to the page that answers a case it does not (`Document.see_instead`), with
    that page's title: a citizen sent to the wrong one of two neighbours reads the way to the other."""
    return [
        {"when": when, "id": page, "title": index.documents[index.doc_ids.index(page)].label}
        for when, page in doc.see_instead
        if page in index.doc_ids  # a check the corpus passed; an index of another corpus may lack the page
    ]


def see_instead_text(pointers: list[dict[str, str]]) -> str:
    lines = "\n".join(f"- {p['when']}: xem «{p['title']}» (`{p['id']}`)" for p in pointers)
    return f"**Nếu không đúng trường hợp của bạn:**\n{lines}" if pointers else ""


def review_caution(doc: Document) -> str | None:
    """The warning a page carries once its `review_by` date has come and nobody has re-checked it: a
    fee cut may have ended, and the citizen should hear that before paying the old figure."""
    if not doc.review_due():
        return None
    return (
        f"Lưu ý: thông tin này cần được kiểm tra lại từ ngày {_vn_date(doc.review_by)} ({doc.review_note}) "
        "nhưng chưa được cập nhật; hãy hỏi lại cơ quan giải quyết trước khi nộp."
    )


def _vn_date(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{day}/{month}/{year}"


CARD_SECTIONS = {
    "thu-tuc": ("Hồ sơ cần chuẩn bị", "Lệ phí", "Thời hạn giải quyết", "Nơi thực hiện"),
    "canh-bao": ("Dấu hiệu nhận biết", "Cách xử lý", "Nơi trình báo"),
}
CARD_SOURCES = 3  # a page lists up to ~50 sources for its reviewers; an answer shows a few, `show` all


def card_sources(sources: Sequence[Source], limit: int = CARD_SOURCES) -> tuple[list[Source], int]:
    """The sources an answer card names, and how many it leaves to `show`.

    Official ones (the state's own sites, `faq.text.OFFICIAL_DOMAINS`) come first, each group in the
    page's own order: a citizen checking a fee should land on the government's text before a
    newspaper's summary of it.
    """
    official = [s for s in sources if is_official(s.url)]
    ordered = official + [s for s in sources if not is_official(s.url)]
    return ordered[:limit], max(0, len(ordered) - limit)


def is_official(url: str) -> bool:
    """Whether a source is one of the state's own sites, by its host name (`is_official_host`)."""
    return is_official_host(url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower())


def render_referrals(result: Result) -> None:
    """Who handles the other agencies' matters the question names, once each."""
    for who in dict.fromkeys(who for _, who in result.referrals):
        out.print(f"Lưu ý: {who}", markup=False)
    topic = shown_topic(result)
    if topic:
        example, who = topic
        note = f"Lưu ý: câu hỏi này giống một việc chưa có hướng dẫn ở đây (ví dụ: «{example}»). {who}"
        out.print(note, markup=False)


def render_danger_signs(result: Result) -> None:
    """The advice for the signs of danger the message shows (the emergency numbers), each once, before
    anything else: a citizen telling of a beating must not read "I don't know" first."""
    advice = list(dict.fromkeys(a for _, a in result.danger_signs))
    if advice:
        body = "\n".join(f"• {a}" for a in advice)
        out.print(Panel(Text(body), title="[bold red]Nếu đang nguy hiểm[/bold red]", border_style="red"))


def render_fraud_signs(result: Result) -> None:
    """The warnings for the signs of a fraud the message shows, each once, before any answer: a citizen
    who pasted a scam that borrows a procedure's words must hear them before that procedure's page."""
    warnings = list(dict.fromkeys(warning for _, warning in result.fraud_signs))
    if not warnings:
        return
    signs = ", ".join(sign for sign, _ in result.fraud_signs)
    body = "\n".join(f"• {w}" for w in warnings)
    out.print(
        Panel(
            Text(f"Tin nhắn hoặc cuộc gọi bạn kể có dấu hiệu thường gặp ở lừa đảo ({signs}).\n{body}"),
            title="[bold yellow]Cảnh giác lừa đảo[/bold yellow]",
            border_style="yellow",
        )
    )


def shown_topic(result: Result) -> tuple[str, str] | None:
    """The other agency's example a declined question is more like than any page: an answered one is
    ours, and a likeness beside it would only confuse. Nor beside a phrase the question names
    (`result.referrals`): on dev, test and the held-out sets the two came together for 509
    declined messages, and where their agencies differed (91) the likeness was mostly the wrong one.
    Nor when the example is only faintly like the question (`Result.topic_close`)."""
    return result.topic if result.abstained and not result.referrals and result.topic_close else None


def render_card(result: Result, index: Index) -> None:
    best = result.hits[0]
    doc = best.document
    parts = []
    if best.matched_kind == "qa":
        parts.append(f"**{best.matched}**\n\n{best.answer}")
    summary = doc.section("Tóm tắt") or best.answer
    parts.append(summary)
    pointers = see_instead_text(see_instead(doc, index))  # before the details a wrong page would bury it under
    if pointers:
        parts.append(pointers)
    for heading in CARD_SECTIONS.get(doc.kind, ()):
        text = doc.section(heading)
        if text:
            parts.append(f"### {heading}\n{text}")
    if doc.agency:
        parts.append(f"**Cơ quan giải quyết:** {doc.agency}")
    shown, rest = card_sources(doc.sources)
    if shown:
        more = f"; và {rest} nguồn khác (`faq show {doc.id}`)" if rest else ""
        parts.append("**Nguồn:** " + "; ".join(f"{s.title or s.url} ({s.url})" for s in shown) + more)
    print_page(doc, parts, subtitle=f"{doc.id} · điểm {best.score:.3f}")


def print_page(doc: Document, parts: list[str], subtitle: str) -> None:
    """A page's Markdown blocks in a panel, closed by the date its facts were checked and opened by the
    review caution when that date has lapsed: the answer card and `show` must not differ on either."""
    if doc.updated:
        parts = [*parts, f"*Thông tin kiểm tra lần cuối: {doc.updated}*"]
    caution = review_caution(doc)
    if caution:
        parts = [f"**{caution}**", *parts]
    from rich.markdown import Markdown  # lazily: ~30 ms of start-up that `ask --json` does not need

    out.print(Panel(Markdown("\n\n".join(parts)), title=f"[bold]{doc.label}[/bold]", subtitle=subtitle))


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
    if result.asks_nothing:  # faq.search.asks_nothing: no page is offered, whatever the factors say
        out.print(
            f"confidence {result.confidence:.4f} (the message asks nothing: no word but stop words, framing words"
            " and single letters); abstained",
            soft_wrap=True,
            markup=False,
        )
        return
    best = result.hits[0].score if result.hits else 0.0
    named = ", ".join(term for term, _ in result.referrals)
    if named and result.referral_weight < 1.0:
        named += " (in the story, not the question: half the penalty)"
    reasons = [f"names another agency's procedure: {named}"] if named else []
    if result.likeness != 1.0:  # faq.topics: below 1 more like another agency's example, above 1 more like a page
        if result.topic:
            like = f"is more like another agency's example «{result.topic[0]}» than like any page"
            if not result.topic_close:
                like += " (too faintly to name it to a citizen: SearchConfig.topic_shown)"
        else:
            like = "is more like a page than like any example of another agency's subject"
        reasons.append(f"{like} (x{result.likeness:.3f})")
    if result.english != 1.0:  # SearchConfig.english_confidence
        reasons.append(f"written in English (x{result.english:.2f})")
    if result.anchor != 1.0:  # SearchConfig.anchor_penalty, Document.anchors
        reasons.append(f"names none of the first page's anchors (x{result.anchor:.2f})")
    why = "; ".join(reasons)
    first = result.hits[0] if result.hits else None
    own = result.base  # the first page's own text, before term coverage, tie-break and labelled messages
    out.print(
        f"confidence {result.confidence:.4f}"
        + (f" (the first page's score on its own text {own:.4f}, moved: {why})" if why else "")
        + (
            " (the first page's score on its own text, before term coverage and tie-break)"
            if not why and own != best
            else ""
        )
        + (
            f" (the message is only «{first.bare_topic}», {_topic_kind(first)} of the first page: never below the"
            " threshold)"
            if first and first.bare_topic
            else ""
        )
        + f"; {'abstained' if result.abstained else 'answered'}",
        soft_wrap=True,
        markup=False,
    )
    for h in result.hits:
        factor = f" (term coverage x{h.coverage_factor:.3f} included)" if h.coverage_factor != 1.0 else ""
        if h.tie_break:
            factor += f" (tie-break +{h.tie_break:.4f} included: the terms the other of the first two lacks)"
        if h.bare_topic:
            placed = f"placed first, +{h.placed:.4f}: " if h.placed else ""
            factor += f" ({placed}the message is only «{h.bare_topic}», {_topic_kind(h)} of this page)"
        table = Table(title=f"{h.id}: score {h.score:.4f}{factor}", title_justify="left")
        for col in ("channel", "field", "contribution", "terms"):
            table.add_column(col)
        for c in h.contributions:
            # character n-grams show their spaces as `·` so word boundaries stay visible
            shown = [(t.replace(" ", "·") if c.channel == "char" else t, v) for t, v in c.terms[:8]]
            terms = ", ".join(f"{t} {v:.4f}" for t, v in shown)
            table.add_row(c.channel, c.field, f"{c.score:.4f}", terms)
        total = sum(c.score for c in h.contributions)
        table.add_row("", "sum", f"{total:.4f}", "")
        out.print(table)


def _topic_kind(hit: Hit) -> str:
    """How the page names the phrase a message is only (`Searcher.bare_topic`): listed as a bare topic,
    or one of its aliases (`faq.index.alias_topics`)."""
    return "a bare topic" if hit.bare_topic in hit.document.bare_topics else "an alias"


def ask_json(result: Result, explain: bool, index: Index) -> dict:
    """What `ask --json` prints for one result (and `ask --batch` for each line)."""
    data = result_to_json(result, index)
    if explain:
        for item, hit in zip(data["results"], result.hits, strict=True):
            item["explain"] = [
                {"channel": c.channel, "field": c.field, "score": c.score, "terms": [list(t) for t in c.terms]}
                for c in hit.contributions
            ]
    return data


def batch_lines(source: Path) -> Iterator[tuple[int, str]]:
    """(line number, query) for each line of a UTF-8 file or of stdin (`-`), read as it arrives.

    A leading byte-order mark and each line's `\\r\\n` ending are dropped; an empty line is a query
    (an empty one). A line that is not UTF-8 stops the batch with a usage error naming it.
    """
    name = "standard input" if str(source) == "-" else str(source)
    if str(source) == "-":
        stream = sys.stdin.buffer
    else:
        try:
            stream = open(source, "rb")  # closed in the finally below
        except OSError as exc:
            raise UsageError(f"cannot read the batch file {source}: {exc.strerror}") from None
    try:
        for number, raw in enumerate(stream, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            raw = raw[:-1] if raw.endswith(b"\n") else raw
            raw = raw[:-1] if raw.endswith(b"\r") else raw
            try:
                yield number, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise UsageError(f"{name} line {number} is not UTF-8 text (byte {exc.start}); send UTF-8") from None
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


@app.command()
@handle_errors
def ask(
    query: Annotated[
        str | None,
        typer.Argument(metavar="QUERY", help="The question, or - to read it from standard input.", show_default=False),
    ] = None,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=100, help="How many results.")] = 5,
    json_out: JsonOpt = False,
    index: IndexOpt = None,
    explain: Annotated[bool, typer.Option("--explain", help="Show what each term contributed.")] = False,
    batch: Annotated[
        Path | None,
        typer.Option(
            "--batch",
            metavar="FILE",
            help="Answer every line of FILE (- for standard input, UTF-8) in one process: one `--json` line each.",
        ),
    ] = None,
) -> None:
    """Answer a citizen's question with the best-matching procedure."""
    if batch is not None:
        if query is not None:
            raise UsageError("give either a QUERY or --batch FILE, not both")
        target = index or Paths.default().index
        served = live_build(target)
        searcher = Searcher(open_index(index, notify=notify))
        for number, line in batch_lines(batch):
            if live_build(target) != served:  # republished meanwhile (`faq index watch`, a build)
                served = live_build(target)
                try:
                    searcher = Searcher(load_index(target))
                    notify(f"notice: line {number}: the index was rebuilt; answering from the new one")
                except FaqError as exc:
                    notify(f"warning: line {number}: the new index cannot be read ({exc}); keeping the previous one")
            result = searcher.search(line, top_k=top_k, explain=explain)
            for note in result.notes:
                notify(f"notice: line {number}: {note}")
            emit_json(ask_json(result, explain, searcher.index))
            sys.stdout.flush()  # a caller feeding stdin line by line gets each answer at once
        return
    if query is None:
        raise UsageError("missing QUERY (or --batch FILE); see `faq ask --help`")
    text = read_query(query)
    searcher = Searcher(open_index(index, notify=notify))
    result = searcher.search(text, top_k=top_k, explain=explain)
    for note in result.notes:
        notify(f"notice: {note}")
    if json_out:
        emit_json(ask_json(result, explain, searcher.index))
        return
    if not text.strip():
        out.print("Bạn hãy nhập câu hỏi, ví dụ: [italic]đăng ký tạm trú cần giấy tờ gì[/italic]")
        return
    render_danger_signs(result)
    render_fraud_signs(result)
    if result.abstained:
        out.print(
            "Xin lỗi, tôi chưa có thông tin chắc chắn cho câu hỏi này. "
            "Bạn có thể hỏi lại rõ hơn, hoặc liên hệ Công an xã/phường nơi cư trú."
        )
        render_referrals(result)
        if not result.hits:  # a greeting, or words no document shares: say what a question looks like
            out.print("Bạn hãy hỏi về một thủ tục, ví dụ: [italic]đăng ký tạm trú cần giấy tờ gì[/italic]")
        render_others(result.hits[:3], "Các chủ đề gần nhất")
    else:
        if result.referral_weight >= 1.0:  # answered, but the question asks about another agency's matter too
            render_referrals(result)
        render_card(result, searcher.index)
        render_others(result.hits[1:], "Kết quả khác")
    if explain:
        render_explain(result)


# ------------------------------------------------------------------ index build


CorpusOpt = Annotated[
    Path | None, typer.Option("--corpus", help=f"Corpus directory, or a {'/'.join(FAQ_SUFFIXES)} FAQ file.")
]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Where to write the index.")]
LexiconOpt = Annotated[
    Path | None,
    typer.Option(
        "--lexicon",
        help="Lexicon directory for this index (default corpus/lexicon): a unit's own FAQ table may want "
        "its own abbreviations and other-agency list. Kept for every rebuild.",
    ),
]


TuningOpt = Annotated[
    Path | None,
    typer.Option(
        "--tuning",
        help="Tuning file for this index (default corpus/tuning.json), e.g. a copy `eval --tune` then "
        "tunes on the table's own dev queries. Kept for every rebuild.",
    ),
]


def _with_inputs(paths: Paths, lexicon: Path | None, tuning: Path | None) -> Paths:
    """The project's paths with this index's own lexicon and tuning file, when given."""
    if lexicon is not None:
        if not lexicon.is_dir():
            raise UsageError(f"lexicon {lexicon} is not a directory (copy corpus/lexicon and edit it)")
        paths = replace(paths, lexicon=lexicon)
    if tuning is not None:
        if not tuning.is_file():
            raise UsageError(f"tuning file {tuning} does not exist (copy corpus/tuning.json to start from)")
        paths = replace(paths, tuning=tuning)
    return paths


@index_app.command("build")
@handle_errors
def index_build(
    corpus: CorpusOpt = None,
    out_dir: OutOpt = None,
    lexicon: LexiconOpt = None,
    tuning: TuningOpt = None,
) -> None:
    """Build the index from the corpus (atomically replacing the previous one)."""
    paths = _with_inputs(Paths.default(), lexicon, tuning)
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
    for notice in report.notices:  # built anyway; `corpus check` (and so `make test`) fails on these
        err.print(f"warning: {notice}", markup=False, soft_wrap=True)


@index_app.command("watch")
@handle_errors
def index_watch(
    corpus: CorpusOpt = None,
    out_dir: OutOpt = None,
    interval: Annotated[float, typer.Option("--interval", min=0.1, help="Seconds between checks.")] = 1.0,
    lexicon: LexiconOpt = None,
    tuning: TuningOpt = None,
) -> None:
    """Keep the index in step with the corpus: rebuild on every saved edit until Ctrl-C.

    One long-lived process keeps the segmenter loaded, so a rebuild after editing one document takes
    a fraction of a second instead of a new process's start-up.
    """
    from faq.engine import watch

    paths = _with_inputs(Paths.default(), lexicon, tuning)
    corpus = corpus or paths.corpus
    if not corpus.exists():
        raise UsageError(f"corpus {corpus} does not exist")
    notify(f"watching {corpus} (and the lexicon and tuning) every {interval:g} s; Ctrl-C stops")
    watch(corpus, out_dir or paths.index, paths, notify, interval)


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
                "title": doc.label,
                "category": doc.category,
                "kind": doc.kind,
                "agency": doc.agency,
                "aliases": list(doc.aliases),
                "bare_topics": list(doc.bare_topics),
                "questions": list(doc.questions),
                "labelled_messages": list(doc.examples),  # faq.examples: they rank this page
                "sections": {s.heading: s.text for s in doc.sections},
                "sources": [{"url": s.url, "title": s.title, "date": s.date} for s in doc.sources],
                "updated": doc.updated,
                "review_by": doc.review_by or None,
                "review_note": doc.review_note or None,
                "caution": review_caution(doc),
                "see_instead": see_instead(doc, idx),
            }
        )
        return
    lines = [f"*{CATEGORIES.get(doc.category, doc.category)}* · **{doc.agency}**" if doc.agency else ""]
    if doc.aliases:
        lines.append("Còn gọi là: " + ", ".join(doc.aliases))
    for s in doc.sections:
        lines.append(f"## {s.heading}\n{s.text}")
    pointers = see_instead_text(see_instead(doc, idx))
    if pointers:
        lines.append(pointers)
    if doc.sources:
        lines.append("## Nguồn\n" + "\n".join(f"- {s.title} {s.date} — {s.url}" for s in doc.sources))
    print_page(doc, lines, subtitle=doc.id)


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
        emit_json([{"id": d.id, "title": d.label, "category": d.category} for d in docs])
        return
    table = Table(title=f"{len(docs)} procedures", title_justify="left")
    for col in ("id", "title", "category"):
        table.add_column(col)
    for d in docs:
        table.add_row(d.id, d.label, d.category)
    out.print(table)


# ------------------------------------------------------------------ corpus check / analyze


@corpus_app.command("check")
@handle_errors
def corpus_check(
    corpus: CorpusOpt = None,
    lexicon: Annotated[
        Path | None,
        typer.Option(
            "--lexicon",
            help="Also check this lexicon directory (default: corpus/lexicon, when checking the project's "
            "own corpus): a unit's copy for its own FAQ table, before `index build --lexicon` uses it.",
        ),
    ] = None,
) -> None:
    """Validate every document (and the lexicon); print `file:line: problem` for each violation."""
    from faq.lexicon import load_lexicon

    paths = _with_inputs(Paths.default(), lexicon, None)
    corpus = corpus or paths.corpus
    docs, problems = check_corpus(corpus)
    messages = [str(p) for p in problems]
    if lexicon is not None or (corpus.is_dir() and corpus.resolve() == paths.corpus.resolve()):
        try:
            load_lexicon(paths.lexicon)
        except CorpusError as exc:
            messages += exc.problems
    for notice in reviews_ahead(docs):  # not a problem yet: printed, exit status unchanged
        err.print(f"note: {notice}", soft_wrap=True, markup=False, highlight=False)
    if messages:
        raise CorpusError(f"{len(messages)} problem(s) in {corpus} ({len(docs)} documents parsed)", messages)
    labelled = len({m for d in docs for m in d.examples})  # faq.examples: one message may name two pages
    counted = f", {labelled:,} labelled message{'s' if labelled != 1 else ''}" if labelled else ""
    out.print(f"{corpus}: {len(docs)} documents{counted}, no problems", soft_wrap=True)


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


# ------------------------------------------------------------------ eval


def _print_metrics(report: dict) -> None:
    mt = report["metrics"]
    table = Table(
        title=f"{report['name']}: {mt['n']} in-scope, {mt['out_of_scope']} out-of-scope", title_justify="left"
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key in (
        "accuracy_at_1",
        "mrr_at_10",
        "recall_at_3",
        "recall_at_5",
        "ndcg_at_10",
        "abstention_precision",
        "abstention_recall",
        "abstention_f1",
        "false_abstention_rate",
        "coverage_at_95",
        "threshold",
    ):
        ci = mt.get(f"{key}_ci95")
        table.add_row(key, f"{mt[key]:.4f}" + (f"  [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else ""))
        if key == "accuracy_at_1" and "reached_at_1" in mt:  # the first page right, or pointing to it
            table.add_row("reached_at_1", f"{mt['reached_at_1']:.4f}")
    out.print(table)
    types = Table(title="accuracy@1 by type", title_justify="left")
    types.add_column("type")
    types.add_column("n", justify="right")
    types.add_column("acc@1", justify="right")
    for t, v in report["by_type"].items():
        types.add_row(t, str(v["n"]), f"{v['accuracy_at_1']:.3f}")
    out.print(types)
    out.print(f"{len(report['failures'])} failures at rank 1", soft_wrap=True)


@app.command("eval")
@handle_errors
def eval_(
    dataset: Annotated[
        list[Path] | None,
        typer.Option(
            "--dataset",
            help="Eval JSONL (default corpus/eval/test.jsonl); repeat it to pool several sets into one run.",
        ),
    ] = None,
    index: IndexOpt = None,
    json_out: JsonOpt = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write a Markdown report (with baselines).")] = None,
    ablations: Annotated[bool, typer.Option("--ablations", help="Also run baselines and ablations.")] = False,
    tune: Annotated[
        bool, typer.Option("--tune", help="Choose the weights and the abstention threshold on dev; save them.")
    ] = False,
    threshold_only: Annotated[
        bool,
        typer.Option(
            "--threshold-only",
            help="With --tune: keep the weights, choose only when to decline (threshold, topic weight).",
        ),
    ] = False,
    messages_only: Annotated[
        bool,
        typer.Option(
            "--messages-only",
            help="With --tune: keep everything else, choose only the labelled messages' weight in ranking, "
            "on the messages themselves (folds held back), not on dev.",
        ),
    ] = False,
    english_only: Annotated[
        bool,
        typer.Option(
            "--english-only",
            help="With --tune and --tune-on SET: keep everything else, choose only the confidence factor for "
            "messages in English, on SET (labelled messages in English).",
        ),
    ] = False,
    tune_on: Annotated[Path | None, typer.Option("--tune-on", help="Dev set (default corpus/eval/dev.jsonl).")] = None,
    gate: Annotated[bool, typer.Option("--gate", help="Fail (exit 5) below the committed floor.")] = False,
    floor: Annotated[Path | None, typer.Option("--floor", help="Floor file (default corpus/eval/floor.json).")] = None,
    compare_with: Annotated[Path | None, typer.Option("--compare", help="A previous `eval --json` output.")] = None,
    strip: Annotated[
        bool,
        typer.Option(
            "--strip-diacritics",
            help="Evaluate every query with its diacritics removed, as typed without a Vietnamese keyboard.",
        ),
    ] = False,
    typos: Annotated[
        int,
        typer.Option(
            "--typos",
            min=0,
            help="Evaluate every query with this many typing slips (letters dropped, doubled, swapped, "
            "mistyped, wrong tone), reproducibly.",
        ),
    ] = 0,
) -> None:
    """Measure answer quality on labelled queries (and gate CI on it)."""
    from faq import evaluate as ev

    paths = Paths.default()
    only = [
        name
        for name, on in (("threshold", threshold_only), ("messages", messages_only), ("english", english_only))
        if on
    ]
    if only and not tune:
        raise UsageError(f"--{only[0]}-only goes with --tune")
    if len(only) > 1:
        raise UsageError(f"--{only[0]}-only and --{only[1]}-only each keep what the other chooses: pick one")
    if english_only and tune_on is None:
        raise UsageError("--english-only chooses on labelled messages in English: name them with --tune-on")
    eval_dir = paths.corpus / "eval"
    idx = open_index(index, notify=notify)
    known = {d.id for d in idx.documents}
    categories = {d.id: d.category for d in idx.documents}
    dev_path = tune_on or eval_dir / "dev.jsonl"
    if tune:
        _tune(
            ev,
            idx,
            index,
            paths,
            dev_path,
            known,
            only[0] if only else "",
        )
        return
    data_paths = dataset or [eval_dir / "test.jsonl"]
    queries = [q for path in data_paths for q in ev.load_eval_set(path, known)]
    if (strip or typos) and gate:
        raise UsageError("--strip-diacritics and --typos change the queries; the floor is for them as written")
    if strip:  # all queries (not just the no_diacritics ones): many more unaccented questions to judge by
        queries = ev.without_diacritics(queries)
    if typos:  # likewise many more mistyped questions than the `typo` rows
        queries = ev.with_slips(queries, typos)
    searcher = Searcher(idx)
    full = ev.run_system("full pipeline", ev.searcher_system(searcher), queries, searcher.config.threshold)
    pointers = {d.id: tuple(page for _, page in d.see_instead) for d in idx.documents if d.see_instead}
    results = [ev.evaluate(full, categories, pointers=pointers or None)]
    dev = None
    if ablations or report:
        dev = _dev_set(ev, dev_path, known, explicit=tune_on is not None)
        results += _other_systems(ev, idx, queries, dev, categories, full)
    overlap = ev.overlap_with_corpus(queries, idx.documents)
    if report:
        changes = (["stripped of its diacritics"] if strip else []) + (
            [f"with {typos} typing slip(s)"] if typos else []
        )
        name = "`, `".join(_display(path) for path in data_paths)
        name += f" (every query {' and '.join(changes)})" if changes else ""
        _write_report(report, results, name, _display(dev_path) if dev else "", overlap)
    comparison = _compared(ev, compare_with, full, results[0]) if compare_with else None
    if json_out:
        payload = ev.run_to_json(full, results[0])
        payload["metrics"]["overlap_with_corpus"] = overlap[1]
        if len(results) > 1:
            payload["systems"] = {r["name"]: r["metrics"] for r in results}
        if comparison:
            payload["comparison"] = comparison
        emit_json(payload)
    elif not report:
        _print_results(results, comparison)
    if gate:
        ev.gate(results[0]["metrics"], floor or eval_dir / "floor.json", overlap[1])
        notify("quality gate passed")


def _tune(ev, idx, index: Path | None, paths: Paths, dev_path: Path, known: set[str], only: str = "") -> None:
    """`eval --tune`: choose the search configuration (or only its threshold, the labelled messages'
    weight, or the confidence factor for messages in English) and write it where the index's build read
    its tuning, refusing to retune the project's own file from another index."""
    from faq.tuning import tune_english_only, tune_messages_only, tune_search, tune_threshold_only

    target = recorded_paths(idx.manifest, paths).tuning
    if target.resolve() == paths.tuning.resolve() and (index or paths.index).resolve() != paths.index.resolve():
        raise UsageError(
            f"{index} uses the project's tuning ({_display(paths.tuning)}): tuning it on other queries would "
            "change the project's answers. Build it with its own copy first: `faq index build --tuning FILE`"
        )
    if only == "messages":
        config, summary = tune_messages_only(idx)
        where = "the labelled messages"
    elif only == "english":
        config, summary = tune_english_only(idx, ev.load_eval_set(dev_path, known))
        where = str(dev_path)
    else:
        dev = ev.load_eval_set(dev_path, known)
        config, summary = (tune_threshold_only if only == "threshold" else tune_search)(idx, dev)
        where = str(dev_path)
    target.write_text(json.dumps(config.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    out.print(f"tuned on {where}: {summary}; wrote {target}", soft_wrap=True)


def _write_report(report: Path, results: list[dict], name: str, dev_name: str, overlap: tuple[int, float]) -> None:
    """The Markdown report and its risk-coverage chart (same name, .svg) beside it."""
    from faq.report import markdown_report, risk_coverage_svg

    svg = report.with_suffix(".svg")
    try:
        report.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot write the report to {report} ({exc.strerror})") from None
    svg.write_text(risk_coverage_svg({r["name"]: r["risk_coverage"] for r in results}), "utf-8")
    report.write_text(markdown_report(results, name, dev_name, overlap, svg.name), "utf-8")
    notify(f"wrote {report} and {svg}")


def _compared(ev, previous_path: Path, full, result: dict) -> dict:
    """This run against a previous `eval --json` output, with paired p-values on the shared queries."""
    try:
        previous = json.loads(previous_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read {previous_path} as an `eval --json` output ({exc})") from None
    return ev.compare(ev.run_to_json(full, result), previous)


def _print_results(results: list[dict], comparison: dict | None) -> None:
    """The console summary: the full pipeline's metrics, a line per other system, the comparison."""
    _print_metrics(results[0])
    for r in results[1:]:
        mt = r["metrics"]
        out.print(
            f"{r['name']}: acc@1 {mt['accuracy_at_1']:.3f}  MRR@10 {mt['mrr_at_10']:.3f}  "
            f"abst F1 {mt['abstention_f1']:.3f}",
            soft_wrap=True,
        )
    if comparison:
        for key in ("accuracy_at_1", "mrr_at_10"):
            c = comparison[key]
            out.print(
                f"{key}: {c['previous']:.4f} -> {c['current']:.4f} ({c['difference']:+.4f}, "
                f"paired randomisation p = {c['p_value']:.4f}, {comparison['shared_queries']} queries)",
                soft_wrap=True,
            )


def _display(path: Path) -> str:
    """A path as the reader of a committed report knows it: relative to the project when inside it."""
    try:
        return str(path.resolve().relative_to(Paths.default().corpus.parent.resolve()))
    except ValueError:
        return str(path)


def _dev_set(ev, path: Path, known: set[str], explicit: bool):
    """The dev set that tunes the other systems' thresholds. The project's own one names the project's
    documents: for an index of another corpus (a unit's FAQ file) it does not apply, and is skipped
    with a note instead of failing on every line; a dev set passed explicitly must fit."""
    if explicit:
        return ev.load_eval_set(path, known)
    dev = ev.load_eval_set(path) if path.exists() else []
    if not dev or any(e not in known for q in dev for e in q.expected):
        why = "names documents this index does not hold" if dev else "does not exist"
        notify(
            f"{_display(path)} {why}: the other systems get no abstention threshold "
            "(pass --tune-on DEV.jsonl to give them one)"
        )
        return None
    return dev


def _other_systems(ev, idx, queries, dev, categories, full_run) -> list[dict]:
    """Baselines and ablations, each with its abstention threshold tuned on dev (none without one), run on
    the same queries, with the paired randomisation p-value of its acc@1 difference against the full
    pipeline."""
    from faq.metrics import paired_randomization

    def acc(run) -> list[tuple[str, float]]:
        """(type, accuracy@1) of each in-scope query, computed once per run."""
        return [(q.type, r["accuracy_at_1"]) for q, r in zip(run.queries, ev.per_query(run), strict=True) if r]

    def of(rows: list[tuple[str, float]], kind: str | None = None) -> list[float]:
        return [a for t, a in rows if kind in (None, t)]

    import contextlib
    import io

    systems = []
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        systems.append(("bm25s (same tokens)", ev.bm25_system(idx)))
        systems.append(("plain TF-IDF (raw syllables)", ev.plain_tfidf_system(idx.documents)))
        for name, (ablated, config) in ev.ablation_indexes(idx).items():
            systems.append((name, ev.searcher_system(Searcher(ablated, config))))
    full = acc(full_run)
    results = []
    for name, rank in systems:
        threshold = ev.tune_threshold(ev.run_system(name, rank, dev, 0.0)) if dev else 0.0
        run = ev.run_system(name, rank, queries, threshold)
        result = ev.evaluate(run, categories)
        mine = acc(run)
        result["p_vs_full"] = paired_randomization(of(mine), of(full))
        result["p_vs_full_by_type"] = {t: paired_randomization(of(mine, t), of(full, t)) for t in result["by_type"]}
        results.append(result)
    return results


def main() -> None:
    app()


if __name__ == "__main__":
    main()
