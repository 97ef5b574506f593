"""The model gateway: an OpenAI-compatible HTTP server on a unix socket, for sandboxed agents.

The sandbox has no network and never sees a real API key. The harness starts a :class:`Gateway`
on a unix socket in a fresh directory, binds that directory into the sandbox, and gives the agent a
per-run token (not a key). Inside, :mod:`medalist.inside.forwarder` exposes the socket on
``127.0.0.1:PORT`` so ``OPENAI_BASE_URL=http://127.0.0.1:PORT/v1`` works for any OpenAI client.

Endpoints: ``GET /v1/models``, ``POST /v1/chat/completions`` (``stream`` answered as one SSE
chunk), and medalist's own ``POST /v1/medalist/step`` (an agent starts a step; budgets apply), ``POST /v1/medalist/stop``
(an agent says why it stopped) and ``GET /v1/medalist/usage``. Every call is metered by the run's :class:`UsageMeter`; once a budget
is used up, calls get HTTP 402 with ``error.type == "budget_exceeded"`` (clients do not retry 402).

Enforcement against a hostile agent happens here, on the host (see :class:`GatewayLimits`): each model
call is one step (``/v1/medalist/step`` only records the agent's own numbering), its worst case is
reserved before forwarding, ``n`` is forced to 1 and ``max_tokens`` clamped to what the token budget has
left, request and response bodies and concurrent requests are capped (413 / 502 / 429), idle
connections time out, and the call log stops growing at its byte limit.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import socketserver
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from medalist.fsutil import owned_tempdir
from medalist.llm.provider import Provider, ProviderError
from medalist.llm.usage import BudgetExceeded, GatewayBusy, Reservation, UsageMeter

SOCKET_NAME = "gateway.sock"
SANDBOX_GATEWAY_DIR = "/opt/medalist-gateway"
"""Where the gateway's socket directory is bound inside the sandbox."""
MiB = 1 << 20


@dataclass(frozen=True)
class GatewayLimits:
    """What one run's agent may push through its gateway (host-side memory and disk stay bounded)."""

    max_request_bytes: int = 8 * MiB
    max_response_bytes: int = 8 * MiB
    max_concurrent: int = 4
    """Requests handled at once; more get 429 (the client retries)."""
    max_connections: int = 32
    """Open connections; more are closed at once."""
    idle_timeout_secs: float = 120.0
    max_log_bytes: int | None = None
    """Size of ``llm_calls.jsonl`` (None: unbounded); later calls are counted but not logged."""


class _UnixHTTPServer(socketserver.ThreadingMixIn, HTTPServer):
    address_family = socket.AF_UNIX
    daemon_threads = True
    request_queue_size = 128  # a burst of connections waits to be refused politely, not reset by the kernel
    gateway: Gateway

    def process_request(self, request: Any, client_address: Any) -> None:
        """Refuse connections beyond the limit before a thread is spent on them."""
        if not self.gateway.open_connection():
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.gateway.close_connection()

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "medalist-gateway", 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (e.g. its own timeout) is routine; anything else is printed."""
        import sys

        exc = sys.exc_info()[1]
        if not isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _UnixHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "medalist-gateway/1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def address_string(self) -> str:
        return "sandbox"

    def setup(self) -> None:
        # slow or idle clients are dropped
        self.timeout = self.server.gateway.limits.idle_timeout_secs  # type: ignore[misc]  # typeshed: a ClassVar; setup() reads it per instance
        super().setup()

    # -- plumbing ----------------------------------------------------------------------------------
    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, type_: str, code: str | None = None) -> None:
        self._send_json(status, {"error": {"message": message, "type": type_, "code": code or type_}})

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else self.headers.get("api-key", "")
        if secrets.compare_digest(token.encode(), self.server.gateway.token.encode()):
            return True
        self._error(401, "invalid gateway token (use the OPENAI_API_KEY given to the agent)", "invalid_api_key")
        return False

    def _content_length(self) -> int:
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return -1

    def _body(self) -> dict[str, Any] | None:
        length = self._content_length()
        limit = self.server.gateway.limits.max_request_bytes
        if length > limit:
            self.close_connection = True  # the unread body must not be parsed as the next request
            self._discard(length, 4 * limit)
            self._error(
                413, f"request body of {length} bytes is over the gateway's limit of {limit} bytes", "request_too_large"
            )
            return None
        if length <= 0:
            self._error(400, "request body missing", "invalid_request_error")
            return None
        try:
            data = json.loads(self.rfile.read(length))
        except ValueError:
            self._error(400, "request body is not JSON", "invalid_request_error")
            return None
        if not isinstance(data, dict):
            self._error(400, "request body must be a JSON object", "invalid_request_error")
            return None
        return data

    def _discard(self, length: int, at_most: int) -> None:
        """Read and drop an oversized body in small chunks (so the client gets to read our 4xx instead
        of a broken pipe), never holding more than one chunk; give up past ``at_most`` bytes."""
        left = min(length, at_most)
        try:
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 20))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    # -- routes ------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        gw = self.server.gateway
        path = self.path.split("?", 1)[0].rstrip("/")
        if path in ("/v1/models", "/models"):
            if self._authorised():
                self._send_json(200, {"object": "list", "data": gw.model_cards()})
        elif path == "/v1/medalist/usage":
            if self._authorised():
                self._send_json(200, gw.meter.summary().model_dump(mode="json"))
        elif path in ("/health", "/v1/health"):
            self._send_json(200, {"ok": True})
        else:
            self._error(404, f"no route GET {path}", "not_found")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/")
        if path not in ("/v1/chat/completions", "/chat/completions", "/v1/medalist/step", "/v1/medalist/stop"):
            self._error(404, f"no route POST {path}", "not_found")
            return
        if not self._authorised():
            return
        gw = self.server.gateway
        if not gw.slots.acquire(blocking=False):
            self.close_connection = True
            self._discard(self._content_length(), gw.limits.max_request_bytes)  # so the client reads the 429
            self._error(
                429,
                f"too many concurrent requests (at most {gw.limits.max_concurrent}); retry later",
                "rate_limit_exceeded",
            )
            return
        try:
            body = self._body()
            if body is None:
                return
            if path == "/v1/medalist/step":
                self._step(body)
            elif path == "/v1/medalist/stop":
                gw.meter.stop(
                    str(body.get("reason") or "agent_stopped")[:100],
                    str(body.get("message") or "")[:500],
                    by_agent=True,
                )
                self._send_json(200, gw.meter.summary().model_dump(mode="json"))
            else:
                self._chat(body)
        finally:
            gw.slots.release()

    def _step(self, body: dict[str, Any]) -> None:
        gw = self.server.gateway
        n = body.get("step")
        try:
            steps = gw.meter.record_step(int(n) if isinstance(n, int | float) else None)
        except BudgetExceeded as exc:
            self._error(402, str(exc), "budget_exceeded", exc.reason)
            return
        self._send_json(200, {"steps": steps})

    def _chat(self, body: dict[str, Any]) -> None:
        gw = self.server.gateway
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            self._error(400, "'messages' must be a non-empty list", "invalid_request_error")
            return
        requested = body.get("model")
        model = gw.provider.resolve(requested if isinstance(requested, str) else None)
        params = {k: v for k, v in body.items() if k not in ("model", "messages", "stream", "stream_options")}
        started = time.time()
        reservation: Reservation | None = None
        try:
            params, reservation = gw.reserve_call(model, messages, params)
            result = gw.provider.complete(messages, model=model, **params)
        except BudgetExceeded as exc:
            gw.log_call(started, requested, model, messages, error=str(exc))
            self._error(402, str(exc), "budget_exceeded", exc.reason)
            return
        except GatewayBusy as exc:
            self._error(429, str(exc), "rate_limit_exceeded")
            return
        except ProviderError as exc:
            gw.log_call(started, requested, model, messages, error=str(exc))
            status = exc.status_code if 400 <= exc.status_code < 600 and exc.status_code != 402 else 502
            self._error(status, str(exc), "upstream_error")
            return
        finally:
            if reservation is not None:
                gw.meter.release(reservation)
        gw.log_call(
            started, requested, model, messages, result=result.model_dump(exclude={"response"}), content=result.content
        )
        size = len(json.dumps(result.response, default=str))
        if size > gw.limits.max_response_bytes:
            self._error(
                502,
                f"the model's answer ({size} bytes) is over the gateway's limit of "
                f"{gw.limits.max_response_bytes} bytes",
                "upstream_error",
                "response_too_large",
            )
        elif body.get("stream"):
            self._stream(result.response)
        else:
            self._send_json(200, result.response)

    def _stream(self, response: dict[str, Any]) -> None:
        """Answer a streaming request with the whole completion as one chunk (then [DONE])."""
        chunk = dict(response, object="chat.completion.chunk")
        chunk["choices"] = [
            {"index": c.get("index", 0), "delta": c.get("message") or {}, "finish_reason": c.get("finish_reason")}
            for c in response.get("choices") or []
        ]
        payload = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class Gateway:
    """Serve a run's :class:`Provider` to a sandbox over a unix socket (use as a context manager)."""

    def __init__(
        self,
        provider: Provider,
        *,
        token: str | None = None,
        calls_log: Path | None = None,
        socket_dir: Path | None = None,
        limits: GatewayLimits | None = None,
    ) -> None:
        self.provider = provider
        self.meter: UsageMeter = provider.meter
        self.limits = limits or GatewayLimits()
        self.slots = threading.BoundedSemaphore(self.limits.max_concurrent)
        self._connections = 0
        self._conn_lock = threading.Lock()
        self._log_bytes = 0
        self._log_full = False
        self.token = token or f"medalist-{secrets.token_hex(16)}"
        self.calls_log = calls_log
        self._own_dir = socket_dir is None
        # Unix socket paths are limited to ~107 bytes, so the socket lives in a short temp dir.
        self.socket_dir = owned_tempdir("medalist-gw-") if socket_dir is None else socket_dir
        self.socket_path = self.socket_dir / SOCKET_NAME
        self._server: _UnixHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._log_lock = threading.Lock()
        self._call_no = 0

    # -- enforcement (host side: nothing the agent sends can change these) ---------------------------
    def open_connection(self) -> bool:
        """Count a new connection; False when the run already holds ``max_connections``."""
        with self._conn_lock:
            if self._connections >= self.limits.max_connections:
                return False
            self._connections += 1
            return True

    def close_connection(self) -> None:
        with self._conn_lock:
            self._connections -= 1

    def reserve_call(
        self, model: str, messages: list[Any], params: dict[str, Any]
    ) -> tuple[dict[str, Any], Reservation]:
        """Force one completion per call and reserve the call's worst case before it is forwarded.

        ``n`` (and ``best_of``) are dropped, so the provider returns one choice; ``max_tokens`` becomes
        the smallest of the agent's, the configured cap and what the token budget has left once the call
        is admitted (a well-behaved upstream then cannot overshoot); concurrent calls wait for room.
        """
        params = {k: v for k, v in params.items() if k not in ("n", "best_of", "max_completion_tokens")}
        asked = [params.get("max_tokens"), self.provider.config.max_output_tokens]
        caps = [int(v) for v in asked if isinstance(v, int | float) and not isinstance(v, bool) and v > 0]
        est_in = estimate_input_tokens(messages)
        res = self.meter.reserve(
            est_in,
            min(caps) if caps else None,
            lambda out: self.provider.estimate_cost(model, est_in, out),
            wait_secs=self.provider.config.request_timeout_secs,
        )
        if res.max_output is not None:
            params["max_tokens"] = res.max_output
        return params, res

    def model_cards(self) -> list[dict[str, Any]]:
        names = ["code", "feedback", *self.provider.config.models()]
        return [{"id": n, "object": "model", "created": 0, "owned_by": "medalist"} for n in dict.fromkeys(names)]

    def start(self) -> Gateway:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self.socket_path.exists():
            self.socket_path.unlink()
        self._server = _UnixHTTPServer(str(self.socket_path), _Handler)  # type: ignore[arg-type]  # AF_UNIX: a path, not (host, port)
        self._server.gateway = self
        # The sandbox user must reach the socket: connect() needs write permission on it.
        os.chmod(self.socket_dir, 0o755)
        os.chmod(self.socket_path, 0o666)
        self._thread = threading.Thread(target=self._server.serve_forever, name="medalist-gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._own_dir:
            shutil.rmtree(self.socket_dir, ignore_errors=True)

    def __enter__(self) -> Gateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log_call(
        self,
        started: float,
        requested: Any,
        model: str,
        messages: list[Any],
        *,
        result: dict[str, Any] | None = None,
        content: str | None = None,
        error: str | None = None,
    ) -> None:
        """Append one call (request messages, answer, tokens, cost) to the run's calls log (JSONL).

        Once the log would pass ``limits.max_log_bytes`` one last line says so and later calls are only
        metered (llm_usage.json), never logged: an agent cannot fill the host's disk through the log."""
        if self.calls_log is None:
            return
        with self._log_lock:
            self._call_no += 1
            if self._log_full:
                return
            entry = {
                "n": self._call_no,
                "started": started,
                "ended": time.time(),
                "requested_model": requested,
                "model": model,
                "messages": messages,
                "content": content,
                "error": error,
            }
            if result:
                entry.update(
                    {k: result.get(k) for k in ("input_tokens", "output_tokens", "cost_usd", "seconds", "cached")}
                )
            line = json.dumps(entry, default=str) + "\n"
            limit = self.limits.max_log_bytes
            if limit is not None and self._log_bytes + len(line.encode()) > limit:
                self._log_full = True
                note = f"llm_calls.jsonl reached its limit of {limit} bytes at call {self._call_no}; later calls are not logged"
                line = json.dumps({"n": self._call_no, "truncated": True, "note": note}) + "\n"
                self.meter.note(note)
            with self.calls_log.open("a", encoding="utf-8") as fh:
                fh.write(line)
            self._log_bytes += len(line.encode())


def estimate_input_tokens(messages: list[Any]) -> int:
    """A generous estimate of a request's input tokens (about 3 bytes of JSON per token, plus framing),
    used only to reserve budget before the provider reports the real count."""
    return len(json.dumps(messages, default=str).encode()) // 3 + 16
