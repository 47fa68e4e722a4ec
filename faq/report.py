"""Render evaluation results: Markdown report, risk-coverage SVG plot. Pure string building, no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from faq.config import DEV_FALSE_ABSTENTION_CAP
from faq.evaluate import QUERY_TYPES

SUMMARY_COLUMNS = (
    ("accuracy_at_1", "acc@1"),
    ("mrr_at_10", "MRR@10"),
    ("recall_at_3", "R@3"),
    ("recall_at_5", "R@5"),
    ("ndcg_at_10", "nDCG@10"),
    ("abstention_precision", "abst P"),
    ("abstention_recall", "abst R"),
    ("abstention_f1", "abst F1"),
    ("false_abstention_rate", "false abst"),
    ("coverage_at_95", "cov@95%"),
)


def _ci(metrics: dict, key: str) -> str:
    ci = metrics.get(f"{key}_ci95")
    return f" [{ci[0]:.3f}–{ci[1]:.3f}]" if ci else ""


def summary_table(reports: Sequence[dict]) -> str:
    head = "| system | " + " | ".join(label for _, label in SUMMARY_COLUMNS) + " | threshold | p (acc@1 vs full) |"
    rule = "|---" * (len(SUMMARY_COLUMNS) + 3) + "|"
    lines = [head, rule]
    for r in reports:
        mt = r["metrics"]
        cells = []
        for key, _ in SUMMARY_COLUMNS:
            cell = f"{mt[key]:.3f}"
            if key in ("accuracy_at_1", "mrr_at_10"):
                cell += _ci(mt, key)
            cells.append(cell)
        p = r.get("p_vs_full")
        lines.append(f"| {r['name']} | " + " | ".join(cells) + f" | {mt['threshold']:.4g} | {_p(p)} |")
    return "\n".join(lines)


def _p(p: float | None) -> str:
    return "–" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")


def by_type_table(reports: Sequence[dict]) -> str:
    present = {t for r in reports for t in r["by_type"]}  # a user's own types too, after the known ones
    types = [t for t in QUERY_TYPES if t in present] + sorted(present - set(QUERY_TYPES))
    lines = ["| system | " + " | ".join(types) + " |", "|---" * (len(types) + 1) + "|"]
    for r in reports:
        p = r.get("p_vs_full_by_type", {})
        cells = [
            (f"{r['by_type'][t]['accuracy_at_1']:.3f}" + (f" ({_p(p[t])})" if t in p else ""))
            if t in r["by_type"]
            else "–"
            for t in types
        ]
        lines.append(f"| {r['name']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def by_category_table(report: dict) -> str:
    lines = ["| category | n | acc@1 | MRR@10 | R@3 |", "|---|---|---|---|---|"]
    for cat, mt in report["by_category"].items():
        lines.append(
            f"| {cat} | {mt['n']} | {mt['accuracy_at_1']:.3f} | {mt['mrr_at_10']:.3f} | {mt['recall_at_3']:.3f} |"
        )
    return "\n".join(lines)


def failures_table(report: dict, limit: int = 60) -> str:
    rows = report["failures"][:limit]
    lines = ["| query | expected | ranked first |", "|---|---|---|"]
    for f in rows:
        q = f["query"].replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {q} | {', '.join(f['expected'])} | {f['first']} |")
    more = len(report["failures"]) - len(rows)
    return "\n".join(lines) + (f"\n\n…and {more} more." if more > 0 else "")


def risk_coverage_svg(curves: dict[str, list[dict]], width: int = 760, height: int = 380) -> str:
    """A small line chart: accuracy of answered queries (y) against the share answered (x)."""
    left, right, top, bottom = 50, 260, 20, 40
    pw, ph = width - left - right, height - top - bottom
    y_min = 0.5

    def xy(cov: float, acc: float) -> tuple[float, float]:
        return left + cov * pw, top + (1 - (max(acc, y_min) - y_min) / (1 - y_min)) * ph

    colours = [
        "#1f77b4",
        "#d62728",
        "#2ca02c",
        "#9467bd",
        "#ff7f0e",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="11">',
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>',
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x, _ = xy(tick, 1)
        parts.append(f'<text x="{x:.1f}" y="{top + ph + 15}" text-anchor="middle">{tick:.2f}</text>')
    for tick in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0):
        _, y = xy(0, tick)
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{tick:.2f}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 5}" text-anchor="middle">coverage (share answered)</text>')
    parts.append(
        f'<text x="12" y="{top + ph / 2}" transform="rotate(-90 12 {top + ph / 2})" text-anchor="middle">'
        "accuracy@1 of answered</text>"
    )
    for i, (name, curve) in enumerate(curves.items()):
        colour = colours[i % len(colours)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(p["coverage"], p["accuracy"]) for p in curve))
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        parts.append(f'<text x="{left + pw + 8}" y="{top + 14 + 14 * i}" fill="{colour}">{_escape(name)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_report(
    reports: Sequence[dict], dataset: str, tuned_on: str, overlap: tuple[int, float], plot_name: str, notes: str = ""
) -> str:
    full = reports[0]
    mt = full["metrics"]
    oos = full["out_of_scope"]
    sections = [
        "# Evaluation report",
        f"Dataset `{dataset}`: {mt['queries']} queries, {mt['n']} in scope, {mt['out_of_scope']} out of scope. "
        + (
            f"Abstention thresholds were chosen on `{tuned_on}` for every system (best abstention F1 with at most "
            f"{DEV_FALSE_ABSTENTION_CAP:.0%} false abstention), then applied here. "
            if tuned_on
            else "No dev set was given for this index (`--tune-on`): the full pipeline abstains by its tuned "
            "threshold, the other systems never do, so compare them by the ranking columns. "
        )
        + "All rows come from the same run on the same data. "
        "Regenerate with `make report`.",
        notes,
        "## All systems",
        "acc@1 and MRR@10 with 95% bootstrap intervals. Ranking metrics are over in-scope queries whether or not "
        "the system abstained; `false abst` is the share of in-scope queries it declined; `cov@95%` is the largest "
        "share of in-scope queries it could answer at ≥95% accuracy. The last column is the two-sided paired "
        "randomisation p-value of the acc@1 difference against the full pipeline on the same queries: above "
        "~0.05 the difference is indistinguishable from noise at this test-set size (one query = "
        f"{1 / max(mt['n'], 1):.4f} acc@1).",
        summary_table(reports),
        "## accuracy@1 by query type",
        "In brackets, the same paired p-value on that type's queries alone: with about 40 queries a type, one "
        "query is 0.025, and a difference of two or three queries is rarely more than noise.",
        by_type_table(reports),
        f"## {full['name']}: by category",
        by_category_table(full),
        "## Out-of-scope queries",
        "\n".join(f"- {k}: {v['n']} queries, {v['abstained']:.0%} abstained" for k, v in sorted(oos.items())),
        "## Risk–coverage",
        f"![risk-coverage curves]({plot_name})",
        f"Coverage at 95% accuracy ({full['name']}): {mt['coverage_at_95']:.3f}.",
        "## Overlap with corpus questions",
        f"{overlap[0]} eval queries ({overlap[1]:.1%}) also appear, normalised, among the corpus' sample questions "
        "(the gate fails above 5%).",
        f"## Failures of {full['name']} (accuracy@1)",
        failures_table(full),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"
