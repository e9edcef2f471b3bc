"""A tiny local server speaking the OpenAI chat-completions protocol, for tests.

It replays canned replies and records every request it gets, so tests can drive the
``openai`` backend (``langchain_openai.ChatOpenAI``) end to end without a model::

    with OpenAIStub(["La migration ... [1]."]) as stub:
        settings = LLMSettings(backend="openai", base_url=stub.base_url, model="stub")
        ...
        stub.requests[0]["messages"][0]["content"]  # the system prompt it received

``POST /v1/chat/completions`` answers a JSON ``chat.completion``, or with ``"stream": true``
server-sent events (``data: {chat.completion.chunk}`` lines, then ``data: [DONE]``).
``GET /v1/models`` lists the one model. It binds 127.0.0.1 on a free port (port 0) and
runs in a daemon thread.

A reply is a string (streamed word by word), a list of strings (streamed as exactly those
pieces), a :class:`StubError` (an HTTP error response), or a callable taking the request
body and returning one of those. :func:`grounded_reply` is such a callable: it quotes the
first sentence of passage 1 of the prompt, so it gives a supported, cited answer for any
question (for CLI end-to-end tests, where the retrieved passages are not known in advance).

Run standalone (e.g. to try ``gfmd ask --llm openai``)::

    python -m tests.openai_stub --port 8099   # grounded_reply unless --reply is given
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union

Reply = Union[str, list[str], "StubError", Callable[[dict[str, Any]], Any]]


@dataclass(frozen=True)
class StubError:
    """Make the stub answer with an HTTP error (OpenAI's error JSON shape)."""

    status: int = 500
    message: str = "stub server error"


_PASSAGE = re.compile(r'<passage id="?1"?>(.*?)</passage>', re.S)


def grounded_reply(request: dict[str, Any]) -> str:
    """A reply built from the request: the first sentence of passage 1, cited ``[1]``.

    Reads the passage text after the ``text:`` line of ``<passage id="1"> … </passage>``
    in the last user message (the layout of :func:`assistant.generate.build_prompt`).
    Returns ``NOT_FOUND`` when the prompt holds no passage 1.
    """
    user = [m.get("content", "") for m in request.get("messages", []) if m.get("role") == "user"]
    match = _PASSAGE.search(user[-1] if user else "")
    if not match:
        return "NOT_FOUND"
    body = match.group(1)
    body = body.split("\ntext:\n", 1)[1] if "\ntext:\n" in body else body
    body = " ".join(body.split())
    sentence = re.split(r"(?<=[.!?])\s+", body, maxsplit=1)[0].rstrip(".!?")
    return f"{sentence} [1]."


def _pieces(text: str) -> list[str]:
    """Split a reply into word-sized pieces that join back to it exactly."""
    return re.findall(r"\s*\S+|\s+", text) or [""]


class OpenAIStub:
    """The stub server (a context manager: started on enter, stopped on exit).

    Args:
        replies: replayed in order, one per request; the last one repeats when they run
            out. Defaults to :func:`grounded_reply`.
        model: the model name reported back.
        delay_s: pause between streamed pieces (seconds).

    Attributes:
        requests: the JSON bodies received, in order.
        headers: the HTTP headers of each request (same order), names lowercased
            (``authorization``).
        base_url: ``http://127.0.0.1:PORT/v1`` once started.
    """

    def __init__(
        self, replies: Sequence[Reply] | None = None, *, model: str = "stub", delay_s: float = 0.0
    ) -> None:
        self.replies: list[Reply] = list(replies) if replies else [grounded_reply]
        self.model = model
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------------

    def start(self, port: int = 0) -> OpenAIStub:
        """Bind 127.0.0.1:``port`` (0 = a free port) and serve in a daemon thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the stub server is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # replies -----------------------------------------------------------------------------

    def _next_reply(
        self, request: dict[str, Any], headers: dict[str, str]
    ) -> str | list[str] | StubError:
        with self._lock:
            index = len(self.requests)
            self.requests.append(request)
            self.headers.append(headers)
            reply = self.replies[min(index, len(self.replies) - 1)]
        if callable(reply) and not isinstance(reply, StubError):
            reply = reply(request)
        return reply  # type: ignore[return-value]


def _make_handler(stub: OpenAIStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": stub.model, "object": "model"}]})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}"}})

        def do_POST(self) -> None:
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}"}})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
            except json.JSONDecodeError:
                self._json(400, {"error": {"message": "body is not JSON"}})
                return
            reply = stub._next_reply(request, {k.lower(): v for k, v in self.headers.items()})
            if isinstance(reply, StubError):
                self._json(
                    reply.status,
                    {"error": {"message": reply.message, "type": "server_error", "code": None}},
                )
                return
            pieces = reply if isinstance(reply, list) else _pieces(reply)
            base = {"id": "chatcmpl-stub", "created": int(time.time()), "model": stub.model}
            if not request.get("stream"):
                text = "".join(pieces)
                self._json(
                    200,
                    {
                        **base,
                        "object": "chat.completion",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    },
                )
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()

            def event(delta: dict[str, Any], finish: str | None) -> None:
                chunk = {
                    **base,
                    "object": "chat.completion.chunk",
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                self.wfile.flush()

            event({"role": "assistant", "content": ""}, None)
            for piece in pieces:
                if stub.delay_s:
                    time.sleep(stub.delay_s)
                event({"content": piece}, None)
            event({}, "stop")
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()

    return Handler


def main(argv: Sequence[str] | None = None) -> None:
    """Serve until interrupted; prints the base URL to use as ``--base-url``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reply", action="append", help="canned reply (repeatable)")
    args = parser.parse_args(argv)
    stub = OpenAIStub(args.reply or None).start(args.port)
    print(stub.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        stub.stop()


if __name__ == "__main__":
    main()
