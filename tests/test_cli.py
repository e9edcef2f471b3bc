"""The gfmd command line end to end, on the committed fixtures, with the hashing embedder
(no model): ingest (incl. bad input and incremental runs), search, ask, elements, remove,
batch mode and the JSON contract."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from gfmd.cli import main
from gfmd.settings import get_settings

SEARCH_HIT_FIELDS = {
    "rank",
    "passage_id",
    "doc_id",
    "title",
    "year",
    "page_start",
    "page_end",
    "section",
    "text",
    "score",
}
CITATION_FIELDS = {
    "marker",
    "passage_id",
    "doc_id",
    "title",
    "year",
    "page_start",
    "page_end",
    "section",
    "quote",
    "text",
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GFMD_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("GFMD_EMBEDDING__BACKEND", "hashing")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def run(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def indexed(env: Path, data_dir: Path, capsys: pytest.CaptureFixture) -> Path:
    code, _, _ = run(
        capsys,
        "ingest",
        "--quiet",
        str(data_dir / "report_short.txt"),
        str(data_dir / "two_pages.pdf"),
    )
    assert code == 0
    return env


def test_ingest_reports_each_bad_file_and_keeps_the_good_ones(
    env: Path, data_dir: Path, capsys
) -> None:
    code, out, _ = run(capsys, "ingest", "--quiet", "--json", str(data_dir))
    report = json.loads(out)
    status = {Path(f["path"]).name: (f["status"], f["reason"]) for f in report["files"]}
    assert status["report_short.txt"][0] == "added"
    assert status["two_pages.pdf"][0] == "added"
    for bad in ("corrupt.pdf", "encrypted.pdf", "scanned.pdf", "empty.txt", "unsupported.docx"):
        assert status[bad][0] == "rejected", bad
        assert status[bad][1], bad
    assert "password" in status["encrypted.pdf"][1]
    assert "text layer" in status["scanned.pdf"][1]
    assert report["documents"] >= 2 and report["passages"] > 0
    assert code == 0


def _generation(index_dir: Path) -> int:
    with sqlite3.connect(index_dir / "store.sqlite") as conn:
        return int(conn.execute("SELECT generation FROM state").fetchone()[0])


def test_ingest_is_incremental_and_idempotent(indexed: Path, data_dir: Path, capsys) -> None:
    live = _generation(indexed / "index")
    code, out, _ = run(capsys, "ingest", "--quiet", "--json", str(data_dir / "report_short.txt"))
    assert code == 0
    files = json.loads(out)["files"]
    assert [f["status"] for f in files] == ["skipped"]
    assert _generation(indexed / "index") == live  # nothing rewritten
    changed = indexed / "report_short.txt"
    changed.write_text(
        (data_dir / "report_short.txt").read_text(encoding="utf-8")
        + "\n\nA new closing paragraph about remittances.\n",
        encoding="utf-8",
    )
    _code, out, _ = run(capsys, "ingest", "--quiet", "--json", str(changed))
    assert [f["status"] for f in json.loads(out)["files"]] == ["replaced"]


def test_empty_folder_is_a_clear_error(env: Path, capsys) -> None:
    empty = env / "nothing"
    empty.mkdir()
    code, _, err = run(capsys, "ingest", "--quiet", str(empty))
    assert code == 2 and "nothing" in err and "no reports" in err


def test_failed_ingest_leaves_index_loadable(indexed: Path, data_dir: Path, capsys) -> None:
    code, out, _ = run(capsys, "ingest", "--quiet", "--json", str(data_dir / "corrupt.pdf"))
    assert json.loads(out)["files"][0]["status"] == "rejected"
    code, out, _ = run(capsys, "search", "--json", "migration")
    assert code == 0 and json.loads(out)["hits"]


def test_search_json_contract_and_filters(indexed: Path, capsys) -> None:
    code, out, _ = run(capsys, "search", "--json", "-k", "3", "migration")
    data = json.loads(out)
    assert code == 0 and data["query"] == "migration"
    assert 1 <= len(data["hits"]) <= 3
    for i, hit in enumerate(data["hits"], start=1):
        assert hit.keys() >= SEARCH_HIT_FIELDS and hit["rank"] == i
    doc = data["hits"][0]["doc_id"]
    code, out, _ = run(capsys, "search", "--json", "--doc", doc, "migration")
    assert {h["doc_id"] for h in json.loads(out)["hits"]} == {doc}


def test_pdf_hits_carry_pages_and_text_hits_do_not(indexed: Path, capsys) -> None:
    _code, out, _ = run(capsys, "search", "--json", "-k", "20", "migration")
    hits = json.loads(out)["hits"]
    pdf = [h for h in hits if h["doc_id"] == "two-pages"] or [h for h in hits if h["page_start"]]
    txt = [h for h in hits if h["doc_id"] == "report-short"]
    assert pdf and all(h["page_start"] in (1, 2) for h in pdf)
    assert txt and all(h["page_start"] is None for h in txt)


def test_bad_queries_and_filters_are_clear_errors(indexed: Path, capsys) -> None:
    code, _, err = run(capsys, "search", "   ")
    assert code == 2 and "empty query" in err
    code, _, err = run(capsys, "search", "--doc", "no-such-doc", "migration")
    assert code == 2 and "no-such-doc" in err
    code, _, err = run(capsys, "elements", "--meeting", "Atlantis")
    assert code == 2 and "Atlantis" in err


def test_elements_of_a_meeting_named_in_another_language(indexed: Path, capsys) -> None:
    # the fixture's meeting is "Genève"; the terminology's city row gives Ginebra / Geneva
    code, out, _ = run(capsys, "elements", "--json", "--meeting", "Genève")
    assert code == 0
    want = json.loads(out)["elements"]
    assert want
    for name in ("Ginebra", "Geneva"):
        code, out, _ = run(capsys, "elements", "--json", "--meeting", name)
        assert code == 0 and json.loads(out)["elements"] == want


def test_a_meeting_filter_in_another_language_filters_search_and_ask(indexed: Path) -> None:
    from assistant.answer import ask
    from assistant.models import Filters
    from assistant.retrieve import search

    question = "Quels sont les messages essentiels sur les données ?"
    ids = {h.unit_id for h in search(question, filters=Filters(meeting="Genève"))}
    assert ids
    assert {h.unit_id for h in search(question, filters=Filters(meeting="Ginebra"))} == ids
    assert search(question, filters=Filters(meeting="Atlantis")) == []
    question = "Quelles approches reposant sur des faits probants ?"
    cited = [
        [(c.hit.unit_id, c.quote) for c in ask(question, filters=Filters(meeting=m)).citations]
        for m in ("Genève", "Ginebra")
    ]
    assert cited[0] and cited[1] == cited[0]
    assert not ask(question, filters=Filters(meeting="Atlantis")).citations


def test_ask_json_contract_quotes_are_verbatim(indexed: Path, capsys) -> None:
    code, out, _ = run(capsys, "ask", "--json", "What do remittances do for development?")
    data = json.loads(out)
    assert code == 0 and data["status"] in ("answered", "not_found")
    assert {"question", "status", "answer", "citations"} <= data.keys()
    if data["status"] == "answered":
        assert data["citations"]
        for c in data["citations"]:
            assert c.keys() >= CITATION_FIELDS
            assert c["quote"] and c["quote"] in c["text"]
            assert f"[{c['marker']}]" in data["answer"]
    else:
        assert data["citations"] == []


def test_batch_mode_writes_one_json_line_per_question(indexed: Path, capsys) -> None:
    batch = indexed / "q.jsonl"
    batch.write_text('{"q": "migration"}\n\n{"q": "remittances"}\n', encoding="utf-8")
    code, out, _ = run(capsys, "search", "--batch", str(batch), "-k", "2")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [d["query"] for d in lines] == ["migration", "remittances"]
    code, out, _ = run(capsys, "ask", "--batch", str(batch))
    assert [json.loads(line)["question"] for line in out.splitlines()] == [
        "migration",
        "remittances",
    ]
    bad = indexed / "bad.jsonl"
    bad.write_text('{"question": "x"}\n', encoding="utf-8")
    code, _, err = run(capsys, "search", "--batch", str(bad))
    assert code == 2 and "bad.jsonl:1" in err


def test_remove_drops_a_document(indexed: Path, capsys) -> None:
    code, out, _ = run(capsys, "search", "--json", "-k", "20", "migration")
    docs = {h["doc_id"] for h in json.loads(out)["hits"]}
    victim = sorted(docs)[0]
    code, out, _ = run(capsys, "remove", "--json", victim)
    assert code == 0
    code, out, _ = run(capsys, "search", "--json", "-k", "20", "migration")
    assert victim not in {h["doc_id"] for h in json.loads(out)["hits"]}
    code, _, err = run(capsys, "remove", victim)
    assert code == 2 and victim in err


def test_index_built_with_other_model_is_refused(indexed: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("GFMD_CHUNKING__TARGET_CHARS", "600")
    get_settings.cache_clear()
    code, _, err = run(capsys, "search", "migration")
    assert code == 2 and "other settings" in err


def test_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "gfmd"
    if not exe.exists():
        pytest.skip("gfmd console script not installed in this environment")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True).stdout
    for command in ("ingest", "search", "ask", "elements", "eval", "serve", "remove", "chat"):
        assert command in out


def test_ask_generative_through_an_openai_compatible_server(indexed: Path, capsys) -> None:
    from tests.openai_stub import OpenAIStub

    with OpenAIStub() as stub:
        code, out, _ = run(
            capsys,
            "ask",
            "--json",
            "--llm",
            "openai",
            "--base-url",
            stub.base_url,
            "--model",
            "x",
            "What do remittances do for development?",
        )
    data = json.loads(out)
    assert code == 0 and data["mode"] == "generative" and data["status"] == "answered"
    markers = {c["marker"] for c in data["citations"]}
    import re

    assert markers and {int(m) for m in re.findall(r"\[(\d+)\]", data["answer"])} <= markers
    for c in data["citations"]:
        assert c["quote"] in c["text"]
    assert stub.requests[0]["messages"][0]["role"] == "system"


def test_ask_falls_back_to_extractive_when_the_server_is_down(indexed: Path, capsys) -> None:
    code, out, _ = run(
        capsys,
        "ask",
        "--json",
        "--llm",
        "openai",
        "--base-url",
        "http://127.0.0.1:9/v1",
        "--model",
        "x",
        "What do remittances do for development?",
    )
    data = json.loads(out)
    assert code == 0 and data["mode"] == "extractive"
    assert "unreachable" in data["notice"]


def test_a_printed_answer_is_labelled_in_the_question_language(indexed: Path) -> None:
    """`gfmd ask` prints its labels (sources, not found, closest material, no page
    numbers, element kinds) in the question's language, English when it has none."""
    from assistant.models import Answer, Citation, Filters
    from assistant.retrieve import resources, search
    from gfmd.cli import format_answer

    res = resources(get_settings())
    element = search("messages", res=res, filters=Filters(kinds=("key_message",)))[0]
    quote = element.text.strip()
    answered = Answer("¿Qué?", "answered", f"« {quote} » [1]", (Citation(1, element, quote),))
    missing = Answer("Quoi ?", "not_found", "", (), (element,), question_language="fr")
    out_es = format_answer(replace(answered, question_language="es"))
    assert "Fuentes:" in out_es and "Sources:" not in out_es
    assert "[mensaje clave]" in out_es and "[key_message]" not in out_es
    assert "Sources:" in format_answer(answered) and "[key message]" in format_answer(answered)
    out_fr = format_answer(missing)
    assert "Pas de réponse." in out_fr and "Not found" not in out_fr
    assert "Passages les plus proches (ce n'est pas une réponse):" in out_fr
    if element.passage.page_start is None and element.passage.paragraph_start is None:
        assert "pas de numéros de page dans cette source" in out_fr
    from assistant.answer import _element_prefix

    assert _element_prefix(element, "es").startswith("[mensaje clave")
    assert _element_prefix(element, "de").startswith("[key message")


def test_a_section_that_repeats_its_meeting_is_printed_once() -> None:
    from gfmd.cli import _where

    meeting = "Réunion thématique, Marseille, France, 14-15 juin 2011"
    assert _where({"section": f"Module III > {meeting}", "meeting": meeting}) == f" — {meeting}"
    assert _where({"section": "A > Introduction", "meeting": meeting}) == (
        f" — {meeting} — Introduction"
    )
    assert _where({"section": "A > Introduction", "meeting": None}) == " — Introduction"


def test_the_ingest_summary_counts_pdf_pages_only_when_there_are_some(
    env: Path, data_dir: Path, capsys
) -> None:
    code, out, _ = run(capsys, "ingest", "--quiet", str(data_dir / "report_short.txt"))
    assert code == 0 and "1 document, " in out and "pages" not in out.splitlines()[-1]
    code, out, _ = run(capsys, "ingest", "--quiet", str(data_dir / "two_pages.pdf"))
    assert code == 0 and "2 documents, 2 PDF pages, " in out.splitlines()[-1]


def test_printed_search_hits_are_labelled_in_the_query_language(indexed: Path, capsys) -> None:
    code, out, _ = run(capsys, "search", "-k", "3", "¿Qué dicen los informes sobre las remesas?")
    assert code == 0 and out.startswith("Búsqueda: ")
    code, out, _ = run(capsys, "search", "-k", "3", "What do the reports say about remittances?")
    assert code == 0 and out.startswith("Search: ")


def test_a_filtered_question_not_found_says_the_filters_may_be_why(indexed: Path, capsys) -> None:
    code, out, _ = run(capsys, "ask", "--year", "2031", "migration")
    assert code == 0 and "Not found." in out
    assert "The filters (year 2031) leave nothing that answers" in out
    code, out, _ = run(capsys, "ask", "Quel budget pour la station martienne en 2031 ?")
    assert "filters" not in out and "filtres" not in out
