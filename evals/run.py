"""``gfmd eval``: retrieval and citation metrics on a question set.

Question sets are JSONL: ``{"id", "lang", "kind", "q", "gold": [quotes]}``; ``kind`` is
``out_of_corpus`` for questions no report answers (``gold`` empty).

Metrics, per question language and overall:
    - recall@k: share of answerable questions with a gold quote inside one of the top-k
      search hits;
    - MRR: mean of 1/rank of the first hit containing a gold quote (0 beyond rank 10);
    - citation hit rate: share of answerable questions whose ``ask`` answer cites a unit
      containing a gold quote;
    - answered: share of answerable questions ``ask`` answered (not ``not_found``);
    - not_found (out of corpus): share of out-of-corpus questions answered ``not_found``.

A text contains a quote when, after lower-casing and turning every run of
non-alphanumeric characters into one space, the quote is a substring of the text
(the rule of the core-pipeline issue).
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gfmd.errors import QueryError
from gfmd.settings import Settings

_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Lower-case; every run of non-alphanumeric characters -> one space; stripped."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def contains_gold(text: str, gold: Sequence[str]) -> bool:
    """Whether ``text`` contains any gold quote (both normalised)."""
    t = normalise(text)
    return any(normalise(g) in t for g in gold if g.strip())


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL question set.

    Raises:
        QueryError: unreadable file or a line without ``q``.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise QueryError(f"{path}: cannot read question set ({exc.strerror})") from None
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            obj["q"]
        except (ValueError, KeyError, TypeError):
            raise QueryError(f"{path}:{n}: not a JSON object with a 'q' field") from None
        obj.setdefault("gold", [])
        obj.setdefault("lang", "?")
        obj.setdefault("kind", "fact" if obj["gold"] else "out_of_corpus")
        out.append(obj)
    return out


def first_rank(texts: Sequence[str], gold: Sequence[str]) -> int | None:
    """1-based rank of the first text containing a gold quote, or None."""
    for i, text in enumerate(texts, start=1):
        if contains_gold(text, gold):
            return i
    return None


def evaluate(
    questions_paths: Sequence[Path], *, settings: Settings, k_values: Sequence[int] = (1, 5, 10)
) -> dict[str, Any]:
    """Run search and ask on every question of the sets and compute the metrics.

    Args:
        questions_paths: JSONL question sets, pooled.
        settings: the index and models to evaluate.
        k_values: the k of recall@k; search retrieves max(k_values) hits.

    Returns:
        ``{"questions": "path, path", "embedding_model", "groups": {lang|"all": metrics},
        "per_question": [...], "seconds"}``.

    Raises:
        QueryError: unreadable question set.
        StoreError: no index / index built with other settings.
    """
    from assistant.answer import ask
    from assistant.retrieve import resources, search

    started = time.perf_counter()
    res = resources(settings)
    questions = [q for path in questions_paths for q in load_questions(path)]
    depth = max(k_values)
    rows = []
    for q in questions:
        hits = search(q["q"], k=depth, res=res)
        answer = ask(q["q"], res=res)
        rank = first_rank([h.text for h in hits], q["gold"]) if q["gold"] else None
        cited = (
            any(contains_gold(c.hit.text, q["gold"]) for c in answer.citations)
            if q["gold"]
            else None
        )
        rows.append(
            {
                "id": q.get("id"),
                "lang": q["lang"],
                "kind": q["kind"],
                "q": q["q"],
                "rank": rank,
                "status": answer.status,
                "cited_gold": cited,
            }
        )
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["lang"]].append(r)
        groups["all"].append(r)
    return {
        "questions": ", ".join(str(p) for p in questions_paths),
        "embedding_model": res.embedder.name,
        "groups": {
            g: _metrics(rs, k_values)
            for g, rs in sorted(groups.items(), key=lambda kv: (kv[0] == "all", kv[0]))
        },
        "per_question": rows,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _metrics(rows: Sequence[dict], k_values: Sequence[int]) -> dict[str, Any]:
    answerable = [r for r in rows if r["kind"] != "out_of_corpus"]
    ooc = [r for r in rows if r["kind"] == "out_of_corpus"]
    n = len(answerable)
    out: dict[str, Any] = {"n": n, "n_out_of_corpus": len(ooc)}
    for k in k_values:
        out[f"recall@{k}"] = _share(sum(1 for r in answerable if r["rank"] and r["rank"] <= k), n)
    out["mrr"] = round(sum(1 / r["rank"] for r in answerable if r["rank"]) / n, 3) if n else None
    out["citation_hit_rate"] = _share(sum(1 for r in answerable if r["cited_gold"]), n)
    out["answered"] = _share(sum(1 for r in answerable if r["status"] == "answered"), n)
    out["not_found_out_of_corpus"] = _share(
        sum(1 for r in ooc if r["status"] == "not_found"), len(ooc)
    )
    return out


def _share(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


def format_report(report: dict[str, Any]) -> str:
    """The metrics as a Markdown table, one row per question language and one overall."""
    cols = [
        "n",
        "recall@1",
        "recall@5",
        "recall@10",
        "mrr",
        "citation_hit_rate",
        "answered",
        "n_out_of_corpus",
        "not_found_out_of_corpus",
    ]
    head = ["lang", *cols]
    lines = [
        f"questions: {report['questions']}  model: {report['embedding_model']}  ({report['seconds']} s)",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for group, m in report["groups"].items():
        cells = ["-" if m.get(c) is None else str(m[c]) for c in cols]
        lines.append("| " + " | ".join([group, *cells]) + " |")
    misses = [
        r
        for r in report["per_question"]
        if r["kind"] != "out_of_corpus" and not (r["rank"] and r["rank"] <= 5)
    ]
    if misses:
        lines.append("not in top 5: " + ", ".join(f"{r['id']}({r['lang']})" for r in misses))
    wrong_ooc = [
        r
        for r in report["per_question"]
        if r["kind"] == "out_of_corpus" and r["status"] != "not_found"
    ]
    if wrong_ooc:
        lines.append("out-of-corpus answered: " + ", ".join(str(r["id"]) for r in wrong_ooc))
    return "\n".join(lines)
