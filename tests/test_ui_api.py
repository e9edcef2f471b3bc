"""The headless API of the running app, through gradio_client: ``/search`` and ``/ask``
return the CLI's JSON; errors reach the client as errors; internal events stay private."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.answer import ask
from assistant.retrieve import resources, search
from gfmd.settings import Settings
from tests.test_ui import build_index
from ui.app import build_app, launch_kwargs

pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = build_index(tmp_path_factory.mktemp("ui-api"), max_mb=1.0)
    settings = settings.model_copy(
        update={"ui": settings.ui.model_copy(update={"port": free_port()})}
    )
    demo = build_app(settings)
    demo.queue()
    _, url, share = demo.launch(prevent_thread_lock=True, **launch_kwargs(settings))
    assert share is None
    try:
        yield url, settings
    finally:
        demo.close()


@pytest.fixture(scope="module")
def client(served: tuple[str, Settings]):
    from gradio_client import Client

    return Client(served[0], verbose=False)


def test_only_ask_and_search_are_public(client) -> None:
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert set(endpoints) == {"/ask", "/search"}


def test_search_endpoint_returns_the_cli_json(client, served) -> None:
    _, settings = served
    got = client.predict("transferts de fonds", 3, api_name="/search")
    want = search("transferts de fonds", k=3, res=resources(settings))
    assert got == {"query": "transferts de fonds", "hits": [h.to_json() for h in want]}


def test_search_endpoint_applies_filters(client) -> None:
    got = client.predict(query="poverty", doc_ids=["b"], api_name="/search")
    assert got["hits"] and {h["doc_id"] for h in got["hits"]} == {"b"}


def test_ask_endpoint_returns_the_cli_json(client, served) -> None:
    _, settings = served
    q = "Que réduisent les transferts de fonds des migrants ?"
    got = client.predict(q, api_name="/ask")
    assert got == ask(q, res=resources(settings)).to_json()
    assert got["status"] == "answered" and got["citations"]
    assert all(c["quote"] in c["text"] for c in got["citations"])


def test_api_error_reaches_the_client(client) -> None:
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="unknown document"):
        client.predict(query="x", doc_ids=["missing"], api_name="/search")


def test_upload_limit_is_enforced_by_the_server(served, tmp_path: Path) -> None:
    import httpx

    url, settings = served
    limit = int(settings.ui.max_upload_mb * 1024 * 1024)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (limit + 1024))
    with big.open("rb") as fh:
        r = httpx.post(f"{url.rstrip('/')}/gradio_api/upload", files={"files": fh}, timeout=60)
    assert r.status_code == 413


def _fn_index(demo, name: str) -> int:
    return next(i for i, fn in demo.fns.items() if getattr(fn, "name", "") == name)


def _raw_call(url: str, fn_index: int, data: list, timeout_s: float = 60) -> list[dict]:
    """A private handler called like any local client could: POST /gradio_api/queue/join,
    then read the event stream; returns the messages."""
    import json
    import uuid

    import httpx

    base = url.rstrip("/")
    session = uuid.uuid4().hex[:10]
    r = httpx.post(
        f"{base}/gradio_api/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None},
        timeout=timeout_s,
    )
    r.raise_for_status()
    messages = []
    with httpx.stream(
        "GET", f"{base}/gradio_api/queue/data", params={"session_hash": session}, timeout=timeout_s
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                messages.append(msg)
                if msg.get("msg") == "process_completed":
                    break
    return messages


def test_raw_post_cannot_remove_without_the_write_token(tmp_path: Path) -> None:
    settings = build_index(tmp_path, max_mb=1.0)
    settings = settings.model_copy(
        update={"ui": settings.ui.model_copy(update={"port": free_port()})}
    )
    demo = build_app(settings, write_token="tok-123")
    demo.queue()
    _, url, _ = demo.launch(prevent_thread_lock=True, **launch_kwargs(settings))
    try:
        remove = _fn_index(demo, "remove")
        for token in ("", "guess"):
            done = _raw_call(url, remove, ["b", token])[-1]
            assert done["msg"] == "process_completed" and done["success"] is False
            assert "token" in str(done["output"])
        assert "b" in resources(settings, reload=True).store.doc_ids()
        done = _raw_call(url, remove, ["b", "tok-123"])[-1]  # the page's own call
        assert done["success"] is True
        assert "b" not in resources(settings, reload=True).store.doc_ids()
    finally:
        demo.close()
