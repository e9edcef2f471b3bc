"""Queries checked by type and content everywhere (issue 11, items 6 and 7): the request
rules of :mod:`assistant.requests`, the Python API (``search``/``ask``), the CLI
(arguments and ``--batch``), the app's API methods and its HTTP endpoints."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer import ask
from assistant.models import Filters
from assistant.requests import check_filters, check_k, check_question, check_year, parse_request
from assistant.retrieve import resources, search, validate
from gfmd.errors import QueryError
from gfmd.settings import Settings
from tests.test_ui import build_index

pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")

NO_WORDS = ["!!!???...", "😀🔥💯🙏", "— … ¿¡ «»", "   ***   "]


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_index(tmp_path_factory.mktemp("queries"))


# ------------------------------------------------------------------ the rules
@pytest.mark.parametrize("value", [5, 5.0, None, ["q"], {"q": "x"}, b"bytes", True])
def test_a_question_that_is_not_text_is_a_query_error(value: object) -> None:
    with pytest.raises(QueryError):
        check_question(value)


@pytest.mark.parametrize("value", ["\ud800", "migration \udcff remittances", "a\udfffb"])
def test_lone_surrogates_are_a_query_error_naming_the_code_point(value: str) -> None:
    with pytest.raises(QueryError, match=r"lone surrogate U\+D[89A-F][0-9A-F]{2}"):
        check_question(value)


@pytest.mark.parametrize("value", NO_WORDS)
def test_a_question_without_letters_or_digits_has_no_words_to_search(value: str) -> None:
    with pytest.raises(QueryError, match="no words to search"):
        check_question(value)


@pytest.mark.parametrize("value", ["2008", "3.3", "FMMD", " migración "])
def test_words_and_numbers_are_questions(value: str) -> None:
    assert check_question(value) == value.strip()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "between 1 and 100, not 0"),
        (-1, "between 1 and 100, not -1"),
        (100000, "between 1 and 100, not 100000"),
        ("abc", "whole number, not 'abc'"),
        (2.5, "whole number, not 2.5"),
        (True, "whole number"),
        ([3], "whole number, not a list"),
        (float("nan"), "whole number"),
    ],
)
def test_k_must_be_a_whole_number_from_1_to_100(value: object, message: str) -> None:
    with pytest.raises(QueryError, match=message.replace("(", r"\(")):
        check_k(value)


@pytest.mark.parametrize(
    ("value", "want"), [(None, None), ("", None), (1, 1), (100, 100), (3.0, 3), ("7", 7)]
)
def test_k_accepted_values(value: object, want: int | None) -> None:
    assert check_k(value) == want


@pytest.mark.parametrize("value", ["abc", 1850, 2500, 2011.5, "20 11", [2011]])
def test_a_year_bound_must_be_a_plausible_whole_year(value: object) -> None:
    with pytest.raises(QueryError, match="year_min"):
        check_year(value, "year_min")


def test_a_string_doc_ids_is_one_id_not_letters() -> None:
    f = check_filters(Filters(doc_ids="abc", languages="fr", kinds="key_message"))  # type: ignore[arg-type]
    assert f.doc_ids == ("abc",) and f.languages == ("fr",) and f.kinds == ("key_message",)


def test_unknown_language_codes_are_refused_listing_the_known_ones() -> None:
    with pytest.raises(QueryError, match=r"unknown language code xx \(known: en, fr, es"):
        check_filters(Filters(languages=("fr", "xx")))


@pytest.mark.parametrize(
    "filters",
    [
        Filters(doc_ids=(5,)),  # type: ignore[arg-type]
        Filters(doc_ids=5),  # type: ignore[arg-type]
        Filters(year_min=2015, year_max=2010),
        Filters(year_min="abc"),  # type: ignore[arg-type]
        Filters(kinds=("advice",)),
        Filters(meeting=3),  # type: ignore[arg-type]
    ],
)
def test_malformed_filters_are_query_errors(filters: Filters) -> None:
    with pytest.raises(QueryError):
        check_filters(filters)


@pytest.mark.parametrize(
    "raw", [5, "q", ["q"], {"question": "x"}, {"q": 5}, {"q": "x", "k": "abc"}]
)
def test_parse_request_refuses_malformed_requests(raw: object) -> None:
    with pytest.raises(QueryError):
        parse_request(raw)


def test_parse_request_uses_the_defaults_for_missing_keys() -> None:
    req = parse_request(
        {"q": " diaspora ", "k": 2, "year": 2011}, defaults=Filters(languages=("fr",))
    )
    assert req.question == "diaspora" and req.k == 2
    assert req.filters == Filters(year_min=2011, year_max=2011, languages=("fr",))


# ---------------------------------------------------------------- Python API
@pytest.mark.parametrize(
    ("query", "kwargs"),
    [
        (5, {}),
        (None, {}),
        ("\ud800", {}),
        ("!!!???", {}),
        ("diaspora", {"k": 0}),
        ("diaspora", {"k": -1}),
        ("diaspora", {"k": 100000}),
        ("diaspora", {"k": "abc"}),
        ("diaspora", {"filters": Filters(year_min="abc")}),  # type: ignore[arg-type]
        ("diaspora", {"filters": Filters(year_min=1850)}),
        ("diaspora", {"filters": Filters(languages=("xx",))}),
        ("diaspora", {"filters": Filters(doc_ids="ab")}),  # type: ignore[arg-type]
    ],
)
def test_search_refuses_bad_queries_with_a_query_error(
    settings: Settings, query: object, kwargs: dict
) -> None:
    with pytest.raises(QueryError):
        search(query, res=resources(settings), **kwargs)  # type: ignore[arg-type]


def test_a_string_doc_ids_filters_on_that_document(settings: Settings) -> None:
    hits = search("poverty", res=resources(settings), filters=Filters(doc_ids="b"))  # type: ignore[arg-type]
    assert hits and {h.passage.doc_id for h in hits} == {"b"}


@pytest.mark.parametrize("query", [5, "\ud800", *NO_WORDS])
def test_ask_refuses_bad_questions_with_a_query_error(settings: Settings, query: object) -> None:
    with pytest.raises(QueryError):
        ask(query, res=resources(settings))  # type: ignore[arg-type]


def test_validate_accepts_a_good_query(settings: Settings) -> None:
    assert validate(" diaspora ", Filters(), resources(settings).store, k=3) == "diaspora"


# ------------------------------------------------------------------------- CLI
@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch):
    from gfmd.settings import get_settings

    monkeypatch.setenv("GFMD_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("GFMD_EMBEDDING__BACKEND", "hashing")
    monkeypatch.setenv("GFMD_ANSWER__MIN_DENSE_SCORE", "0.1")
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


def _cli(capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    from gfmd.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "-k", "0", "migration"], "between 1 and 100"),
        (["search", "-k", "-1", "migration"], "between 1 and 100"),
        (["search", "-k", "100000", "migration"], "between 1 and 100"),
        (["search", "--lang", "xx", "migration"], "unknown language code xx"),
        (["search", "--year", "1850", "migration"], "between 1900 and 2100"),
        (["ask", "!!!???..."], "no words to search"),
        (["ask", "😀🔥💯🙏"], "no words to search"),
        (["search", "\udcff\udcfe"], "lone surrogate"),
    ],
)
def test_cli_refuses_nonsense_with_one_line_and_status_2(
    cli_env: Settings, capsys: pytest.CaptureFixture, args: list[str], message: str
) -> None:
    code, out, err = _cli(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("gfmd: ") and message in err and err.count("\n") == 1


BATCH_LINES = [
    '{"q": "poverty"}',
    '{"q": 5}',
    "not json",
    '{"q": "\\ud800"}',
    "[1, 2]",
    '{"q": "diaspora", "k": "abc"}',
    '{"q": "diaspora", "year_min": "abc"}',
    '{"q": "!!!???"}',
    '{"q": "poverty", "doc_ids": "b", "k": 2}',
    '{"question": "no q"}',
    '{"q": "remittances"}',
]
GOOD_LINES = {1, 9, 11}


def _batch_file(tmp_path: Path) -> Path:
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(BATCH_LINES) + "\n", encoding="utf-8")
    return path


def test_search_batch_reports_each_failing_line_and_goes_on(
    cli_env: Settings, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    code, out, err = _cli(capsys, "search", "--batch", str(_batch_file(tmp_path)))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert [r["line"] for r in rows] == list(range(1, len(BATCH_LINES) + 1))
    for r in rows:
        assert {"line", "query", "hits"} <= set(r)
        if r["line"] in GOOD_LINES:
            assert "error" not in r and r["hits"], r
        else:
            assert r["error"] and r["hits"] == [], r
            assert f"batch.jsonl:{r['line']}: " in err
    assert rows[0]["query"] == "poverty"
    assert {h["doc_id"] for h in rows[8]["hits"]} == {"b"} and len(rows[8]["hits"]) <= 2
    assert "between 1" not in rows[5]["error"] and "whole number" in rows[5]["error"]
    assert "lone surrogate" in rows[3]["error"]


def test_ask_batch_reports_each_failing_line_with_the_answer_fields(
    cli_env: Settings, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    from assistant.models import Answer

    code, out, _ = _cli(capsys, "ask", "--batch", str(_batch_file(tmp_path)))
    rows = [json.loads(line) for line in out.splitlines()]
    contract = set(Answer("q", "not_found", "").to_json())
    assert code == 2 and len(rows) == len(BATCH_LINES)
    for r in rows:
        assert contract <= set(r), contract - set(r)
        if r["line"] in GOOD_LINES:
            assert r["status"] in ("answered", "not_found") and "error" not in r
        else:
            assert r["status"] == "error" and r["error"] and r["citations"] == []
    assert rows[0]["question"] == "poverty"


def test_a_clean_batch_exits_0(
    cli_env: Settings, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text('{"q": "poverty"}\n\n{"q": "diaspora"}\n', encoding="utf-8")
    code, out, err = _cli(capsys, "search", "--batch", str(path), "-k", "1")
    assert code == 0 and err == ""
    assert [json.loads(x)["line"] for x in out.splitlines()] == [1, 3]


def test_invalid_utf8_in_a_batch_file_fails_only_its_line(
    cli_env: Settings, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(b'{"q": "caf\xe9"}\n{"q": "poverty"}\n')
    code, out, _ = _cli(capsys, "search", "--batch", str(path))
    rows = [json.loads(x) for x in out.splitlines()]
    assert code == 2 and "error" in rows[0] and rows[1]["hits"]


# --------------------------------------------------------- the app's API methods
@pytest.mark.parametrize(
    "kwargs",
    [
        {"query": 5},
        {"query": "\ud800"},
        {"query": "!!!???"},
        {"query": "poverty", "k": "abc"},
        {"query": "poverty", "k": 0},
        {"query": "poverty", "year_min": "abc"},
        {"query": "poverty", "languages": ["xx"]},
        {"query": "poverty", "doc_ids": [5]},
    ],
)
def test_app_search_api_turns_bad_arguments_into_gradio_errors(
    settings: Settings, kwargs: dict
) -> None:
    import gradio as gr

    from ui.app import App

    with pytest.raises(gr.Error):
        App(settings).api_search(**kwargs)


def test_app_search_api_takes_a_string_doc_ids_as_one_id(settings: Settings) -> None:
    from ui.app import App

    got = App(settings).api_search("poverty", doc_ids="b")  # type: ignore[arg-type]
    assert got["hits"] and {h["doc_id"] for h in got["hits"]} == {"b"}


@pytest.mark.parametrize(
    "kwargs", [{"question": 5}, {"question": "😀🔥"}, {"question": "x y", "year_max": "abc"}]
)
def test_app_ask_api_turns_bad_arguments_into_gradio_errors(
    settings: Settings, kwargs: dict
) -> None:
    import gradio as gr

    from ui.app import App

    with pytest.raises(gr.Error):
        App(settings).api_ask(**kwargs)


# --------------------------------------------------------------- the HTTP API
def test_http_api_bad_arguments_reach_the_client_as_errors(tmp_path: Path) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from tests.test_ui_api import free_port
    from ui.app import build_app, launch_kwargs

    settings = build_index(tmp_path)
    settings = settings.model_copy(
        update={"ui": settings.ui.model_copy(update={"port": free_port()})}
    )
    demo = build_app(settings)
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, **launch_kwargs(settings))
    try:
        client = Client(url, verbose=False)
        for kwargs in (
            {"query": "poverty", "k": "abc", "api_name": "/search"},
            {"query": "poverty", "year_min": "abc", "api_name": "/search"},
            {"query": 5, "api_name": "/search"},
            {"question": "!!!???", "api_name": "/ask"},
        ):
            with pytest.raises(AppError):
                client.predict(**kwargs)
        ok = client.predict(query="poverty", doc_ids="b", api_name="/search")
        assert {h["doc_id"] for h in ok["hits"]} == {"b"}
    finally:
        demo.close()


# ------------------------------------------------- keyboard mash (answerer's rule)
# A mash has words, so it passes the request checks; the answerer refuses it because its
# language is not identified and no word of it occurs in any hit (answer._anchored).
@pytest.mark.model
def test_keyboard_mash_is_not_found_with_the_real_index(real_index: Path) -> None:
    res = resources(Settings(index_dir=real_index))
    for mash in ("asdfghjkl qwerty", "qwertz uiop"):
        answer = ask(mash, res=res)
        assert answer.status == "not_found" and answer.citations == (), mash
    # a question of one corpus word, whose language is not identified either, is answered
    assert ask("Chisinau ?", res=res).status == "answered"


def test_keyboard_mash_is_not_found_with_the_hashing_index(settings: Settings) -> None:
    answer = ask("asdfghjkl qwerty", res=resources(settings))
    assert answer.status == "not_found" and answer.closest == ()


def test_unidentified_language_with_a_corpus_word_is_still_searched(settings: Settings) -> None:
    from ingest.language import detect_language

    assert detect_language("poverty ?") is None
    hits = search("poverty ?", res=resources(settings))
    assert hits and any(h.lexical_rank is not None for h in hits)
    answer = ask("poverty ?", res=resources(settings))
    assert answer.citations or answer.closest  # searched, not refused as a mash
