"""Keep the tune/test question sets honest: ``python -m evals.check_questions``.

The sets (``evals/questions_tune.jsonl``, ``evals/questions_test.jsonl``) hold one JSON
object a line: ``{"id", "fact", "lang", "kind", "q", "gold", "doc_id"}``. ``fact`` names
one fact asked in English, French and Spanish; ``gold`` holds verbatim quotes (8-20
words) of the sentences that answer, the same for every language of a fact; ``doc_id``
is the report the fact comes from (``null`` for out-of-corpus questions).

How the split was drawn: the facts were sorted by (kind, doc_id, SHA-1 of the fact id)
and dealt alternately to tune and test, so each half gets every kind, report and
language in near-equal shares and the three languages of a fact stay together.

Checks (each returns a list of human-readable problems; empty = fine):

- :func:`structural_problems`: sizes (>= 240 questions, >= 80 per language), >= 10 %
  out-of-corpus per split, no fact in both splits, every fact asked once per language,
  valid kinds, gold length, both splits cover every report, kind and language.
- :func:`wording_problems`: no question shares a run of 6 words with the reports
  (questions are paraphrases, never the report's wording).
- :func:`gold_problems`: every gold quote is found in a stored passage by the
  ``contains_gold`` rule of :mod:`evals.run`; a ``multi_passage`` fact's quotes come from
  at least two different passages. Needs the built index (the CLI opens it).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from evals.run import contains_gold, normalise

EVALS_DIR = Path(__file__).resolve().parent
SPLITS = {"tune": EVALS_DIR / "questions_tune.jsonl", "test": EVALS_DIR / "questions_test.jsonl"}
LANGS = ("en", "fr", "es")
KINDS = (
    "fact",
    "key_message",
    "guiding_question",
    "recommendation",
    "multi_passage",
    "out_of_corpus",
)
MIN_TOTAL = 240
MIN_PER_LANG = 80
MIN_OOC_SHARE = 0.10
GOLD_WORDS = (8, 20)
RUN_WORDS = 6
FIELDS = ("id", "fact", "lang", "kind", "q", "gold", "doc_id")


def read_set(path: Path) -> list[dict[str, Any]]:
    """The questions of one JSONL set, in file order.

    Raises:
        OSError: unreadable file.
        ValueError: a line that is not a JSON object.
    """
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError(f"{path}:{n}: not a JSON object")
            rows.append(obj)
    return rows


def structural_problems(
    splits: Mapping[str, Sequence[Mapping[str, Any]]], doc_ids: Iterable[str]
) -> list[str]:
    """Problems of size, balance and form of the split sets.

    Args:
        splits: split name -> its questions.
        doc_ids: the bundled reports every split must cover.
    """
    problems: list[str] = []
    everything = [q for rows in splits.values() for q in rows]
    if len(everything) < MIN_TOTAL:
        problems.append(f"{len(everything)} questions in all, fewer than {MIN_TOTAL}")
    per_lang = Counter(q.get("lang") for q in everything)
    for lang in LANGS:
        if per_lang[lang] < MIN_PER_LANG:
            problems.append(f"{per_lang[lang]} questions in {lang}, fewer than {MIN_PER_LANG}")
    ids = Counter(q.get("id") for q in everything)
    problems += [f"id {i!r} used {n} times" for i, n in ids.items() if n > 1]
    for q in everything:
        missing = [f for f in FIELDS if f not in q]
        if missing:
            problems.append(f"{q.get('id')}: missing {', '.join(missing)}")
            continue
        problems += _row_problems(q)
    fact_splits: dict[str, set[str]] = defaultdict(set)
    for name, rows in splits.items():
        for q in rows:
            fact_splits[q.get("fact", "")].add(name)
    problems += [
        f"fact {f!r} is in both splits ({', '.join(sorted(s))})"
        for f, s in fact_splits.items()
        if len(s) > 1
    ]
    by_fact: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for q in everything:
        by_fact[q.get("fact", "")].append(q)
    for fact, rows in by_fact.items():
        langs = sorted(str(q.get("lang")) for q in rows)
        if langs != sorted(LANGS):
            problems.append(f"fact {fact!r}: languages {langs}, want one question per {LANGS}")
        if len({json.dumps(q.get("gold"), ensure_ascii=False) for q in rows}) > 1:
            problems.append(f"fact {fact!r}: gold differs between languages")
        if len({(q.get("kind"), q.get("doc_id")) for q in rows}) > 1:
            problems.append(f"fact {fact!r}: kind or doc_id differs between languages")
    wanted_docs = set(doc_ids)
    for name, rows in splits.items():
        n_ooc = sum(1 for q in rows if q.get("kind") == "out_of_corpus")
        if not rows or n_ooc / len(rows) < MIN_OOC_SHARE:
            problems.append(f"{name}: {n_ooc}/{len(rows)} out-of-corpus, under {MIN_OOC_SHARE:.0%}")
        for label, have, want in (
            ("reports", {q.get("doc_id") for q in rows}, wanted_docs),
            ("kinds", {q.get("kind") for q in rows}, set(KINDS)),
            ("languages", {q.get("lang") for q in rows}, set(LANGS)),
        ):
            if want - have:
                problems.append(f"{name}: no question for {label} {sorted(want - have)}")
    return problems


def _row_problems(q: Mapping[str, Any]) -> list[str]:
    out = []
    qid = q["id"]
    if q["lang"] not in LANGS:
        out.append(f"{qid}: lang {q['lang']!r} not one of {LANGS}")
    if q["kind"] not in KINDS:
        out.append(f"{qid}: kind {q['kind']!r} not one of {KINDS}")
    if not str(q["q"]).strip():
        out.append(f"{qid}: empty question")
    gold = q["gold"]
    if not isinstance(gold, list):
        return [*out, f"{qid}: gold is not a list"]
    if (q["kind"] == "out_of_corpus") != (not gold):
        out.append(f"{qid}: out-of-corpus questions have no gold, all others have some")
    if q["kind"] == "out_of_corpus" and q["doc_id"] is not None:
        out.append(f"{qid}: out-of-corpus question with a doc_id")
    if q["kind"] == "multi_passage" and len(gold) < 2:
        out.append(f"{qid}: multi_passage needs two or more gold quotes")
    lo, hi = GOLD_WORDS
    for g in gold:
        n = len(normalise(str(g)).split())
        if not lo <= n <= hi:
            out.append(f"{qid}: gold quote of {n} words (want {lo}-{hi}): {g!r}")
    return out


def _runs(text: str, n: int = RUN_WORDS) -> set[tuple[str, ...]]:
    words = normalise(text).split()
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def wording_problems(
    questions: Iterable[Mapping[str, Any]], report_texts: Iterable[str]
) -> list[str]:
    """Questions that share a run of :data:`RUN_WORDS` words with a report or a gold quote.

    Args:
        questions: the questions to check.
        report_texts: the texts the questions must paraphrase (raw or stored; both are
            normalised, so line breaks and punctuation do not matter).
    """
    runs: set[tuple[str, ...]] = set()
    for text in report_texts:
        runs |= _runs(text)
    out = []
    for q in questions:
        shared = _runs(str(q["q"])) & (runs | {r for g in q["gold"] for r in _runs(str(g))})
        if shared:
            out.append(f"{q['id']}: shares the report's words {' '.join(min(shared))!r}")
    return out


def gold_problems(
    questions: Iterable[Mapping[str, Any]], passages: Sequence[tuple[str, str]]
) -> list[str]:
    """Gold quotes not found in the stored passages.

    Args:
        questions: the questions to check.
        passages: ``(passage_id, text)`` of every stored passage.
    """
    out = []
    seen: set[str] = set()
    for q in questions:
        if q["fact"] in seen:
            continue
        seen.add(q["fact"])
        found: list[set[str]] = []
        for g in q["gold"]:
            where = {pid for pid, text in passages if contains_gold(text, [g])}
            if not where:
                out.append(f"fact {q['fact']!r}: gold not in any stored passage: {g!r}")
            found.append(where)
        if q["kind"] == "multi_passage" and all(found) and set.intersection(*found):
            out.append(f"fact {q['fact']!r}: multi_passage quotes all sit in one passage")
    return out


def _stored_passages(index: Path | None) -> list[tuple[str, str]]:
    from corpus.open_store import open_store
    from gfmd.settings import get_settings

    settings = get_settings()
    if index is not None:
        settings = settings.model_copy(update={"index_dir": index})
    store = open_store(settings)
    try:
        with store.reader() as reader:
            return [(p.passage_id, p.text) for p in reader.passages()]
    finally:
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Run every check on the bundled sets; print problems; exit status 1 if any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="index directory (default: corpus/index)")
    parser.add_argument("--no-index", action="store_true", help="skip the gold-in-index check")
    args = parser.parse_args(argv)
    from corpus.manifest import load_manifest
    from gfmd.settings import get_settings

    settings = get_settings()
    splits = {name: read_set(path) for name, path in SPLITS.items()}
    everything = [q for rows in splits.values() for q in rows]
    manifest = load_manifest(settings.manifest)
    reports = [(settings.corpus_dir / f).read_text(encoding="utf-8") for f in manifest]
    problems = structural_problems(splits, [m.doc_id for m in manifest.values()])
    problems += wording_problems(everything, reports)
    if not args.no_index:
        problems += gold_problems(everything, _stored_passages(args.index))
    for p in problems:
        print(p)
    counts = {n: len(rows) for n, rows in splits.items()}
    print(f"{len(everything)} questions {counts}: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
