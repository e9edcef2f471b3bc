"""Measure generative answers on a question set (issue 15, item 3).

Runs ``ask`` with the configured chat model (default: Qwen2.5-Coder-1.5B through llama.cpp
in process, one thread) on a deterministic subset of a question file and reports:

- kept: share of answers that stayed generative (not fallen back to extractive);
- flagged: share of judged sentences of generative answers flagged unsupported;
- language: share of generative answers whose language (lingua, markers removed) is the
  question's;
- citation precision: share of citations of generative answers whose unit text holds a
  gold quote (whitespace- and quote-mark-normalised), over answerable questions;
- seconds per answer (wall clock; meaningless under CPU contention: re-measure alone).

The extractive answer's citation precision on the same questions is printed beside it.
One JSON line per question is appended to ``--out`` as it is answered, so an interrupted
run still leaves its rows; ``--summary`` recomputes the table from such a file.

Usage::

    PYTHONPATH=. python scripts/measure_generative.py \
        --questions evals/questions_test.jsonl --per-language 10 --out /tmp/gen.jsonl
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

_MARKER = re.compile(r"\[\d+\]")


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("«", '"').replace("»", '"')
    return " ".join(text.split()).lower()


def _precision(citations: list[dict], gold: list[str]) -> tuple[int, int]:
    golds = [_norm(g) for g in gold]
    good = sum(1 for c in citations if any(g in _norm(c["text"]) for g in golds))
    return good, len(citations)


def subset(rows: list[dict], per_language: int) -> list[dict]:
    """The first ``per_language`` questions of each language, in file order."""
    seen: dict[str, int] = {}
    out = []
    for row in rows:
        if seen.get(row["lang"], 0) < per_language:
            seen[row["lang"]] = seen.get(row["lang"], 0) + 1
            out.append(row)
    return out


def summarise(records: list[dict]) -> dict:
    """The table's numbers from per-question records."""
    gen = [r for r in records if r["mode"] == "generative"]
    judged = sum(r["judged"] for r in gen)
    flagged = sum(len(r["unsupported"]) for r in gen)
    lang_ok = sum(1 for r in gen if r["answer_language"] == r["lang"])
    good = total = xgood = xtotal = 0
    for r in records:
        if r["gold"]:
            if r["mode"] == "generative":
                g, t = _precision(r["citations"], r["gold"])
                good, total = good + g, total + t
            xg, xt = _precision(r["extractive_citations"], r["gold"])
            xgood, xtotal = xgood + xg, xtotal + xt
    secs = [r["seconds"] for r in records]
    return {
        "questions": len(records),
        "kept": len(gen) / len(records) if records else 0.0,
        "flagged": flagged / judged if judged else 0.0,
        "language_accuracy": lang_ok / len(gen) if gen else 0.0,
        "citation_precision": good / total if total else 0.0,
        "extractive_citation_precision": xgood / xtotal if xtotal else 0.0,
        "seconds_mean": statistics.fmean(secs) if secs else 0.0,
        "seconds_median": statistics.median(secs) if secs else 0.0,
        "per_language_kept": {
            lang: sum(1 for r in gen if r["lang"] == lang)
            / max(1, sum(1 for r in records if r["lang"] == lang))
            for lang in sorted({r["lang"] for r in records})
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", default="evals/questions_test.jsonl")
    parser.add_argument("--per-language", type=int, default=10)
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-grammar", action="store_true")
    parser.add_argument("--out", default="/tmp/gfmd-generative.jsonl")
    parser.add_argument("--summary", action="store_true", help="only summarise --out")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if args.summary:
        records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        print(json.dumps(summarise(records), indent=1))
        return 0

    from assistant.answer import ask
    from assistant.generate import _sentences_judged
    from assistant.llm import make_chat_model
    from assistant.retrieve import resources
    from gfmd.settings import get_settings
    from ingest.language import detect_language

    settings = get_settings()
    llm_settings = settings.llm.model_copy(
        update={
            "backend": "llamacpp",
            "model": args.model,
            "threads": args.threads,
            "grammar": not args.no_grammar,
            "context_tokens": 4096,
            "max_tokens": 300,
        }
    )
    settings = settings.model_copy(update={"llm": llm_settings})
    res = resources(settings)
    llm = make_chat_model(llm_settings)
    rows = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line]
    done = set()
    if out.exists():
        done = {json.loads(line)["id"] for line in out.read_text().splitlines() if line}
    for row in subset(rows, args.per_language):
        if row["id"] in done:
            continue
        extractive = ask(row["q"], res=res).to_json()
        start = time.perf_counter()
        answer = ask(row["q"], res=res, llm=llm)
        seconds = time.perf_counter() - start
        j = answer.to_json()
        text = _MARKER.sub(" ", answer.text) if answer.mode == "generative" else ""
        judged = _sentences_judged(answer.text) if answer.mode == "generative" else 0
        record = {
            "id": row["id"],
            "lang": row["lang"],
            "kind": row.get("kind"),
            "gold": row.get("gold") or [],
            "mode": answer.mode,
            "status": answer.status,
            "notice": answer.notice,
            "answer": answer.text,
            "answer_language": detect_language(text) if text.strip() else None,
            "judged": judged,
            "unsupported": j["unsupported"],
            "citations": [{"text": c["text"], "quote": c["quote"]} for c in j["citations"]],
            "extractive_citations": [{"text": c["text"]} for c in extractive["citations"]],
            "seconds": round(seconds, 2),
        }
        with out.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        print(f"{row['id']}: {answer.mode} {seconds:.1f} s", file=sys.stderr, flush=True)
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    print(json.dumps(summarise(records), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
