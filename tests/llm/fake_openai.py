"""A tiny OpenAI-compatible upstream on 127.0.0.1 for tests: canned answers, real HTTP."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """Serves /v1/chat/completions from a list of answers; ``fail_first`` requests get ``fail_status``."""

    def __init__(
        self,
        answers: list[str] | Callable[[dict[str, Any]], str | dict[str, Any]] | None = None,
        *,
        prompt_tokens: int = 11,
        completion_tokens: int = 7,
        fail_first: int = 0,
        fail_status: int = 500,
    ) -> None:
        self.answers = answers if answers is not None else ["hello"]
        self.prompt_tokens, self.completion_tokens = prompt_tokens, completion_tokens
        self.fail_first, self.fail_status = fail_first, fail_status
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                fake.headers.append(dict(self.headers))
                if len(fake.requests) <= fake.fail_first:
                    self._send(fake.fail_status, {"error": {"message": "upstream trouble", "type": "server_error"}})
                    return
                if callable(fake.answers):
                    text = fake.answers(body)
                else:
                    i = min(len(fake.requests) - fake.fail_first - 1, len(fake.answers) - 1)
                    text = fake.answers[i]
                self._send(
                    200,
                    {
                        "id": f"chatcmpl-{len(fake.requests)}",
                        "object": "chat.completion",
                        "created": 0,
                        "model": body.get("model", "fake"),
                        "choices": [
                            {
                                "index": 0,
                                "finish_reason": "stop",
                                "message": text if isinstance(text, dict) else {"role": "assistant", "content": text},
                            }
                        ],
                        "usage": {
                            "prompt_tokens": fake.prompt_tokens,
                            "completion_tokens": fake.completion_tokens,
                            "total_tokens": fake.prompt_tokens + fake.completion_tokens,
                        },
                    },
                )

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def agent_requests(self) -> list[dict[str, Any]]:
        """The requests an agent made: without ``medalist run``'s preflight call (one per model)."""
        from medalist.llm.preflight import PROMPT

        return [r for r in self.requests if r.get("messages") != PROMPT]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def unix_request(
    socket_path: str, method: str, path: str, payload: dict[str, Any] | None = None, token: str | None = None
) -> tuple[int, dict[str, Any]]:
    """One HTTP request over a unix socket (what the forwarder relays), returning (status, JSON)."""
    import http.client
    import socket

    class Conn(http.client.HTTPConnection):
        def connect(self) -> None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(socket_path)

    conn = Conn("gateway", timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=None if payload is None else json.dumps(payload), headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    conn.close()
    ctype = resp.getheader("Content-Type") or ""
    return resp.status, (json.loads(raw) if "json" in ctype else {"raw": raw.decode()})
