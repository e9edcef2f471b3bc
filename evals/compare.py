"""Paired comparison of two ``gfmd eval --json`` reports: which questions a change moved,
and whether the moves could be chance.

Two versions of the code (or of an index) answer the same questions; each measure below
is a yes/no outcome per question, so a change is judged by its discordant pairs — the
questions it gained and the questions it lost — with the exact McNemar test (McNemar
1947; exact form: a two-sided binomial test of the gains among the discordant pairs at
p = 0.5, :func:`scipy.stats.binomtest`). A dev split has 48 facts per language: a change
that moves two or three questions is almost never distinguishable from noise, which is
what the project's own trials showed (README *Measurements*).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gfmd.errors import QueryError

Outcome = Callable[[Mapping[str, Any]], bool | None]
"""A per-question yes/no outcome, or None when the measure does not apply to the row."""


def _answerable(test: Callable[[Mapping[str, Any]], bool]) -> Outcome:
    return lambda r: None if r["kind"] == "out_of_corpus" else test(r)


MEASURES: dict[str, Outcome] = {
    "recall@1": _answerable(lambda r: r["rank"] == 1),
    "recall@5": _answerable(lambda r: bool(r["rank"]) and r["rank"] <= 5),
    "gold_cited": _answerable(lambda r: bool(r["cited_gold"])),
    "answered": _answerable(lambda r: r["status"] == "answered"),
    "not_found_out_of_corpus": lambda r: (
        r["status"] == "not_found" if r["kind"] == "out_of_corpus" else None
    ),
}
"""The paired measures, named as in the report's groups (``gold_cited`` is
``citation_hit_rate``)."""

_SHOWN = ("rank", "cited_gold", "status", "n_citations")


def load_report(path: Path) -> dict[str, Any]:
    """Read a saved ``gfmd eval --json`` report.

    Raises:
        QueryError: the file cannot be read, is not JSON, or has no per-question rows
            (not an eval report).
    """
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise QueryError(f"{path}: cannot read an eval report ({exc})") from exc
    if not isinstance(report, dict) or not isinstance(report.get("per_question"), list):
        raise QueryError(f"{path}: not a `gfmd eval --json` report (no per_question rows)")
    return report


def compare_reports(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Pair the questions of two eval reports and count what moved.

    Questions are paired by (split, id), or by (split, question text) for rows without
    an id; a question in one report only is counted, not compared.

    Args:
        before: the report of the reference version (``per_question`` rows).
        after: the report of the changed version.

    Returns:
        ``{"splits": {split: {measure: {"n", "gained", "lost", "p_value"}}},
        "changed": [{"split", "id", "lang", "before": {...}, "after": {...}}],
        "unpaired": {"before": count, "after": count}}``; ``n`` counts the paired
        questions the measure applies to, ``p_value`` is the exact McNemar test (1.0
        when nothing moved).
    """
    from scipy.stats import binomtest

    old = {_key(r): r for r in before["per_question"]}
    new = {_key(r): r for r in after["per_question"]}
    paired = [k for k in new if k in old]
    splits: dict[str, dict[str, dict[str, Any]]] = {}
    for split in sorted({k[0] for k in paired}):
        keys = [k for k in paired if k[0] == split]
        block: dict[str, dict[str, Any]] = {}
        for name, outcome in MEASURES.items():
            pairs = [(outcome(old[k]), outcome(new[k])) for k in keys]
            pairs = [(a, b) for a, b in pairs if a is not None and b is not None]
            gained = sum(1 for a, b in pairs if b and not a)
            lost = sum(1 for a, b in pairs if a and not b)
            p = float(binomtest(gained, gained + lost, 0.5).pvalue) if gained + lost else 1.0
            block[name] = {"n": len(pairs), "gained": gained, "lost": lost, "p_value": p}
        splits[split] = block
    changed = [
        {
            "split": k[0],
            "id": new[k].get("id") or new[k]["q"],
            "lang": new[k].get("lang"),
            "before": {f: old[k].get(f) for f in _SHOWN},
            "after": {f: new[k].get(f) for f in _SHOWN},
        }
        for k in paired
        if any(old[k].get(f) != new[k].get(f) for f in _SHOWN)
    ]
    return {
        "splits": splits,
        "changed": changed,
        "unpaired": {
            "before": sum(1 for k in old if k not in new),
            "after": sum(1 for k in new if k not in old),
        },
    }


def _key(row: Mapping[str, Any]) -> tuple[str, str]:
    return str(row.get("split", "all")), str(row.get("id") or row["q"])


def format_comparison(comparison: Mapping[str, Any], against: str) -> str:
    """The comparison as Markdown: gains, losses and p per split and measure, then the
    questions whose rank, gold citation, status or citation count changed."""
    lines = [
        f"compared with {against} (paired questions; p: exact McNemar test)",
        "| split | measure | n | gained | lost | p |",
        "|---|---|---|---|---|---|",
    ]
    for split, block in comparison["splits"].items():
        for name, m in block.items():
            lines.append(
                f"| {split} | {name} | {m['n']} | {m['gained']} | {m['lost']} "
                f"| {m['p_value']:.3g} |"
            )
    unpaired = comparison["unpaired"]
    if unpaired["before"] or unpaired["after"]:
        lines.append(
            f"unpaired questions: {unpaired['before']} only before, {unpaired['after']} only now"
        )
    for row in comparison["changed"]:
        moves = ", ".join(
            f"{f} {row['before'][f]} -> {row['after'][f]}"
            for f in _SHOWN
            if row["before"][f] != row["after"][f]
        )
        lines.append(f"{row['split']}: {row['id']} ({row['lang']}): {moves}")
    return "\n".join(lines)
