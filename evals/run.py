"""``gfmd eval``: retrieval and citation metrics on question sets.

Question sets are JSONL: ``{"id", "lang", "kind", "q", "gold": [quotes]}`` (the dev
sets add ``fact`` and ``doc_id``, see :mod:`evals.check_questions`); ``kind`` is
``out_of_corpus`` for questions no report answers (``gold`` empty). The bundled dev
set is split by fact into ``tune`` (choose weights, thresholds and rules on it) and
``test`` (report it); :func:`evaluate_splits` runs both and keeps them apart.

Metrics, per question language and overall:
    - recall@k: share of answerable questions with a gold quote inside one of the top-k
      search hits;
    - MRR: mean of 1/rank of the first hit containing a gold quote (0 beyond rank 10);
    - citation hit rate (gold among citations): share of answerable questions whose
      ``ask`` answer cites a unit containing a gold quote;
    - citation precision: share of the citations given to answerable questions whose
      unit contains a gold quote (fewer, right citations score higher);
    - answered: share of answerable questions ``ask`` answered (not ``not_found``);
    - not_found (out of corpus): share of out-of-corpus questions answered ``not_found``;
    - non-verbatim quotes: count of citations whose quote is not a substring of the
      cited unit's stored text (must be 0).

Every group also carries ``ci95``: 95 % percentile-bootstrap intervals (Efron &
Tibshirani 1993, ch. 13) of recall@5, MRR, gold cited, answered and out-of-corpus
not_found, resampling the group's questions (:data:`BOOTSTRAP_RESAMPLES`, seeded, so a
report is reproducible). With 48 answerable questions per language a recall@5 interval is
0.2-0.25 wide (measured 2026-12-04 on the dev set): a difference between two languages, two splits or two runs that lies inside
it is not evidence of a difference.

With a baseline (``--baseline``), the stock LangChain recipe
(:mod:`evals.langchain_recipe`) is built in the same process over the same cleaned
texts with the same embedder, and its recall@5 and MRR are reported per language with
the ratio ours / recipe.

A text contains a quote when, after lower-casing and turning every run of
non-alphanumeric characters into one space, the quote is a substring of the text
(the rule of the core-pipeline issue).
"""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from gfmd.errors import QueryError
from gfmd.settings import Settings

if TYPE_CHECKING:
    from assistant.retrieve import Resources
    from evals.langchain_recipe import LangChainRecipe

EVALS_DIR = Path(__file__).resolve().parent
SPLIT_FILES = {
    "tune": EVALS_DIR / "questions_tune.jsonl",
    "test": EVALS_DIR / "questions_test.jsonl",
}
"""The bundled dev set's halves (split by fact)."""
BASELINE_K = 5
"""The k of the baseline's recall@k (its MRR counts ranks up to max(k_values))."""

BOOTSTRAP_RESAMPLES = 2000
"""Resamples behind each ``ci95`` interval (count)."""
CI_METRICS = ("recall@5", "mrr", "citation_hit_rate", "answered", "not_found_out_of_corpus")
"""The metrics that get a ``ci95`` interval."""

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
    questions_paths: Sequence[Path],
    *,
    settings: Settings,
    k_values: Sequence[int] = (1, 5, 10),
    baseline: bool = False,
) -> dict[str, Any]:
    """Run search and ask on every question of the sets (pooled) and compute the metrics.

    Args:
        questions_paths: JSONL question sets, pooled.
        settings: the index and models to evaluate.
        k_values: the k of recall@k; search retrieves max(k_values) hits.
        baseline: also run the stock LangChain recipe on the same questions.

    Returns:
        ``{"questions": "path, path", "embedding_model", "groups": {lang|"all": metrics},
        "per_question": [...], "seconds"}``, plus ``"baseline": {lang|"all": {n,
        recall@5, mrr, ratio_recall@5, ratio_mrr}}`` with ``baseline``.

    Raises:
        QueryError: unreadable question set.
        StoreError: no index / index built with other settings.
    """
    return evaluate_splits(
        {"all": list(questions_paths)}, settings=settings, k_values=k_values, baseline=baseline
    )


def evaluate_splits(
    splits: Mapping[str, Sequence[Path]],
    *,
    settings: Settings,
    k_values: Sequence[int] = (1, 5, 10),
    baseline: bool = False,
) -> dict[str, Any]:
    """Evaluate several question sets in one run, keeping each split's metrics apart.

    The models and the index (and the baseline recipe, built once) are shared by every
    split, so the splits are measured under the same conditions.

    Args:
        splits: split name (e.g. ``tune``, ``test``) -> its JSONL files.
        settings: the index and models to evaluate.
        k_values: the k of recall@k; search retrieves max(k_values) hits.
        baseline: also run the stock LangChain recipe on the same questions.

    Returns:
        The :func:`evaluate` fields computed over all splits pooled, plus, when there is
        more than one split, ``"splits": {name: {"questions", "groups", "baseline"?}}``;
        every per-question row carries its ``split``.

    Raises:
        QueryError: unreadable question set.
        StoreError: no index / index built with other settings.
    """
    from assistant.retrieve import resources

    started = time.perf_counter()
    res = resources(settings)
    loaded = {name: [q for p in paths for q in load_questions(p)] for name, paths in splits.items()}
    recipe = _build_recipe(res) if baseline else None
    depth = max(k_values)
    rows = [_run_question(q, name, res, depth, recipe) for name, qs in loaded.items() for q in qs]
    report: dict[str, Any] = {
        "questions": ", ".join(str(p) for paths in splits.values() for p in paths),
        "embedding_model": res.embedder.name,
        "groups": _grouped(rows, k_values),
        "documents": _by_document(rows, k_values),
        "per_question": rows,
        "seconds": 0.0,
    }
    if recipe is not None:
        report["baseline"] = _baseline_groups(rows, depth)
    if len(splits) > 1:
        report["splits"] = {}
        for name, paths in splits.items():
            mine = [r for r in rows if r["split"] == name]
            block: dict[str, Any] = {
                "questions": ", ".join(str(p) for p in paths),
                "groups": _grouped(mine, k_values),
                "documents": _by_document(mine, k_values),
            }
            if recipe is not None:
                block["baseline"] = _baseline_groups(mine, depth)
            report["splits"][name] = block
    report["seconds"] = round(time.perf_counter() - started, 1)
    return report


def _build_recipe(res: Resources) -> LangChainRecipe:
    from evals.langchain_recipe import LangChainRecipe, recipe_texts

    return LangChainRecipe(recipe_texts(res.store.doc_ids(), res.store.document_text), res.embedder)


def _run_question(
    q: dict[str, Any], split: str, res: Resources, depth: int, recipe: LangChainRecipe | None
) -> dict[str, Any]:
    from assistant.answer import ask, verify_citation
    from assistant.retrieve import search

    hits = search(q["q"], k=depth, res=res)
    answer = ask(q["q"], res=res)
    gold = q["gold"]
    row: dict[str, Any] = {
        "id": q.get("id"),
        "lang": q["lang"],
        "kind": q["kind"],
        "q": q["q"],
        "rank": first_rank([h.text for h in hits], gold) if gold else None,
        "status": answer.status,
        "cited_gold": any(contains_gold(c.hit.text, gold) for c in answer.citations)
        if gold
        else None,
        "split": split,
        "fact": q.get("fact"),
        "doc_id": q.get("doc_id"),
        "n_citations": len(answer.citations),
        "n_cited_gold": sum(1 for c in answer.citations if contains_gold(c.hit.text, gold))
        if gold
        else 0,
        "non_verbatim_quotes": sum(
            1 for c in answer.citations if not verify_citation(c.quote, c.hit)
        ),
    }
    if recipe is not None and gold:
        row["baseline_rank"] = first_rank([c.text for c in recipe.search(q["q"], depth)], gold)
    return row


def _grouped(rows: Sequence[dict], k_values: Sequence[int]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        groups[r["lang"]].append(r)
        groups["all"].append(r)
    return {
        g: _metrics(rs, k_values)
        for g, rs in sorted(groups.items(), key=lambda kv: (kv[0] == "all", kv[0]))
    }


def _by_document(rows: Sequence[dict], k_values: Sequence[int]) -> dict[str, dict[str, Any]]:
    """The metrics of the answerable questions per report their gold quotes are in (the
    question set's ``doc_id``; questions without one are left out)."""
    docs: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["kind"] != "out_of_corpus" and r.get("doc_id"):
            docs[r["doc_id"]].append(r)
    return {d: _metrics(rs, k_values) for d, rs in sorted(docs.items())}


def _metrics(rows: Sequence[dict], k_values: Sequence[int]) -> dict[str, Any]:
    answerable = [r for r in rows if r["kind"] != "out_of_corpus"]
    ooc = [r for r in rows if r["kind"] == "out_of_corpus"]
    n = len(answerable)
    out: dict[str, Any] = {"n": n, "n_out_of_corpus": len(ooc)}
    for k in k_values:
        out[f"recall@{k}"] = _share(sum(1 for r in answerable if r["rank"] and r["rank"] <= k), n)
    out["mrr"] = _mrr([r["rank"] for r in answerable])
    out["citation_hit_rate"] = _share(sum(1 for r in answerable if r["cited_gold"]), n)
    out["citation_precision"] = _share(
        sum(r.get("n_cited_gold", 0) for r in answerable),
        sum(r.get("n_citations", 0) for r in answerable),
    )
    out["answered"] = _share(sum(1 for r in answerable if r["status"] == "answered"), n)
    out["not_found_out_of_corpus"] = _share(
        sum(1 for r in ooc if r["status"] == "not_found"), len(ooc)
    )
    out["non_verbatim_quotes"] = sum(r.get("non_verbatim_quotes", 0) for r in rows)
    out["ci95"] = confidence_intervals(answerable, ooc)
    return out


def confidence_intervals(
    answerable: Sequence[dict], out_of_corpus: Sequence[dict]
) -> dict[str, list[float] | None]:
    """95 % percentile-bootstrap intervals of the :data:`CI_METRICS` of one group.

    Args:
        answerable: per-question rows (``rank``, ``cited_gold``, ``status``) of the
            group's answerable questions.
        out_of_corpus: rows of its out-of-corpus questions.

    Returns:
        ``{metric: [low, high]}``, rounded to 3 decimals; None for a metric without
        questions.
    """
    per_question = {
        "recall@5": [1.0 if r["rank"] and r["rank"] <= 5 else 0.0 for r in answerable],
        "mrr": [1.0 / r["rank"] if r["rank"] else 0.0 for r in answerable],
        "citation_hit_rate": [1.0 if r["cited_gold"] else 0.0 for r in answerable],
        "answered": [1.0 if r["status"] == "answered" else 0.0 for r in answerable],
        "not_found_out_of_corpus": [
            1.0 if r["status"] == "not_found" else 0.0 for r in out_of_corpus
        ],
    }
    return {name: _bootstrap(per_question[name]) for name in CI_METRICS}


def _bootstrap(values: Sequence[float]) -> list[float] | None:
    if not values:
        return None
    rng = np.random.default_rng(0)
    a = np.asarray(values, dtype=np.float64)
    means = a[rng.integers(0, len(a), size=(BOOTSTRAP_RESAMPLES, len(a)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return [round(float(low), 3), round(float(high), 3)]


def _baseline_groups(rows: Sequence[dict], depth: int) -> dict[str, dict[str, Any]]:
    """Recipe recall@5 / MRR per language next to ours, with ratio ours / recipe."""
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        if r["kind"] != "out_of_corpus":
            groups[r["lang"]].append(r)
            groups["all"].append(r)
    out = {}
    for g, rs in sorted(groups.items(), key=lambda kv: (kv[0] == "all", kv[0])):
        k = BASELINE_K
        ours_r = _share(sum(1 for r in rs if r["rank"] and r["rank"] <= k), len(rs))
        base_r = _share(
            sum(1 for r in rs if r.get("baseline_rank") and r["baseline_rank"] <= k), len(rs)
        )
        ours_m = _mrr([r["rank"] for r in rs])
        base_m = _mrr([r.get("baseline_rank") for r in rs])
        out[g] = {
            "n": len(rs),
            f"recall@{k}": base_r,
            "mrr": base_m,
            f"ratio_recall@{k}": _ratio(ours_r, base_r),
            "ratio_mrr": _ratio(ours_m, base_m),
        }
    return out


def _mrr(ranks: Sequence[int | None]) -> float | None:
    return round(sum(1 / r for r in ranks if r) / len(ranks), 3) if ranks else None


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return round(ours / theirs, 2) if ours is not None and theirs else None


def _share(count: int, total: int) -> float | None:
    return round(count / total, 3) if total else None


_COLUMNS = (
    ("n", "n"),
    ("recall@1", "r@1"),
    ("recall@5", "r@5"),
    ("recall@10", "r@10"),
    ("mrr", "MRR"),
    ("citation_hit_rate", "gold cited"),
    ("citation_precision", "cite prec"),
    ("answered", "answered"),
    ("n_out_of_corpus", "ooc n"),
    ("not_found_out_of_corpus", "ooc not_found"),
    ("non_verbatim_quotes", "non-verbatim"),
)


def format_report(report: dict[str, Any]) -> str:
    """The metrics as Markdown: one row per question language and one overall.

    With several splits, every cell shows the splits side by side (``tune / test``).
    """
    blocks = report.get("splits") or {
        "all": {
            "groups": report["groups"],
            **({"baseline": report["baseline"]} if "baseline" in report else {}),
            **({"documents": report["documents"]} if "documents" in report else {}),
        }
    }
    names = list(blocks)
    lines = [
        f"questions: {report['questions']}  model: {report['embedding_model']}  "
        f"({report['seconds']} s)"
    ]
    if len(names) > 1:
        lines.append("cells: " + " / ".join(names))
    head = ["lang", *(label for _, label in _COLUMNS)]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for group in _group_order(blocks):
        cells = [
            _cell([blocks[n]["groups"].get(group, {}).get(c) for n in names]) for c, _ in _COLUMNS
        ]
        lines.append("| " + " | ".join([group, *cells]) + " |")
    if any("ci95" in b["groups"].get(g, {}) for b in blocks.values() for g in b["groups"]):
        lines.append("")
        lines.append("95% bootstrap intervals over questions (cells: " + " / ".join(names) + ")")
        chead = ["lang", "r@5", "MRR", "gold cited", "answered", "ooc not_found"]
        lines += ["| " + " | ".join(chead) + " |", "|" + "---|" * len(chead)]
        for group in _group_order(blocks):
            cis = [blocks[n]["groups"].get(group, {}).get("ci95") or {} for n in names]
            cells = [" / ".join(_interval(ci.get(m)) for ci in cis) for m in CI_METRICS]
            lines.append("| " + " | ".join([group, *cells]) + " |")
    if all("baseline" in b for b in blocks.values()):
        k = BASELINE_K
        lines.append("")
        lines.append(
            "stock LangChain recipe (RecursiveCharacterTextSplitter 1000/200 + FAISS, same embedder)"
        )
        bhead = [
            "lang",
            "n",
            f"recipe r@{k}",
            "recipe MRR",
            f"ours/recipe r@{k}",
            "ours/recipe MRR",
        ]
        lines += ["| " + " | ".join(bhead) + " |", "|" + "---|" * len(bhead)]
        keys = ("n", f"recall@{k}", "mrr", f"ratio_recall@{k}", "ratio_mrr")
        for group in _group_order({n: {"groups": b["baseline"]} for n, b in blocks.items()}):
            cells = [
                _cell([blocks[n]["baseline"].get(group, {}).get(c) for n in names]) for c in keys
            ]
            lines.append("| " + " | ".join([group, *cells]) + " |")
    documents = [n for n in names if blocks[n].get("documents")]
    if documents:
        lines.append("")
        lines.append(
            "by report holding the gold (answerable questions; cells: " + " / ".join(names) + ")"
        )
        dhead = ["report", "n", "r@5", "MRR", "gold cited", "answered"]
        lines += ["| " + " | ".join(dhead) + " |", "|" + "---|" * len(dhead)]
        for doc in sorted({d for n in names for d in blocks[n].get("documents", {})}):
            cells = [
                _cell([blocks[n].get("documents", {}).get(doc, {}).get(c) for n in names])
                for c in ("n", "recall@5", "mrr", "citation_hit_rate", "answered")
            ]
            lines.append("| " + " | ".join([doc, *cells]) + " |")
    for name in names:
        rows = [
            r for r in report["per_question"] if r.get("split", "all") == name or len(names) == 1
        ]
        tag = f"{name}: " if len(names) > 1 else ""
        misses = [
            r for r in rows if r["kind"] != "out_of_corpus" and not (r["rank"] and r["rank"] <= 5)
        ]
        if misses:
            lines.append(
                tag + "not in top 5: " + ", ".join(f"{r['id']}({r['lang']})" for r in misses)
            )
        wrong_ooc = [r for r in rows if r["kind"] == "out_of_corpus" and r["status"] != "not_found"]
        if wrong_ooc:
            lines.append(
                tag + "out-of-corpus answered: " + ", ".join(str(r["id"]) for r in wrong_ooc)
            )
    return "\n".join(lines)


def _group_order(blocks: Mapping[str, Mapping[str, Any]]) -> list[str]:
    seen = {g for b in blocks.values() for g in b["groups"]}
    return sorted(seen, key=lambda g: (g == "all", g))


def _interval(ci: Sequence[float] | None) -> str:
    return "-" if not ci else f"{ci[0]:.2f}-{ci[1]:.2f}"


def _cell(values: Sequence[Any]) -> str:
    return " / ".join("-" if v is None else str(v) for v in values)
