"""A local HTTP server playing the Telegram Bot API, for tests (real sockets, no mocks).

    api = FakeBotApi(token="123456:TEST").start()
    api.base_url                       # http://127.0.0.1:PORT, for [telegram] base_url
    api.fail_chat("123", 403)          # 403 "bot was blocked by the user" for chat 123
    api.fail_first(1, 429, retry_after=7)  # the next sendMessage call gets 429 retry_after 7
    api.queue_update(999, "/start CODE")   # what getUpdates returns next
    api.queue_callback(999, "snooze:7:1")  # a button pressed (answerCallbackQuery: api.answered)
    api.sent                           # accepted sendMessage payloads
    api.stop()

Only POST /bot<TOKEN>/sendMessage, getUpdates and answerCallbackQuery are played, with JSON
bodies and answers shaped like the real API's ({"ok": true, "result": ...} or
{"ok": false, "error_code": N, "description": ...}). getUpdates honours `offset` as the
real API does: updates with a smaller id are confirmed and never returned again.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOO_MANY = "Too Many Requests"
BLOCKED = "Forbidden: bot was blocked by the user"
TOKEN = "4242:AAE-merzim-test-token"  # the bot token of the delivery tests' fake server


@dataclass
class _Failure:
    status: int
    retry_after: int | None = None
    times: int | None = None  # None: every call


@dataclass
class Call:
    """One request the server saw: method, JSON payload and the status it answered."""

    method: str
    payload: dict[str, Any]
    status: int
    at: float = field(default_factory=time.time)


def _error_body(status: int, retry_after: int | None) -> dict[str, Any]:
    if status == 429:
        return {"ok": False, "error_code": 429, "description": TOO_MANY,
                "parameters": {"retry_after": retry_after if retry_after is not None else 1}}
    if status == 403:
        return {"ok": False, "error_code": 403, "description": BLOCKED}
    if status == 400:
        return {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
    return {"ok": False, "error_code": status, "description": "Internal Server Error"}


class FakeBotApi:
    def __init__(self, token: str = "123456:TEST-TOKEN"):
        self.token = token
        self.calls: list[Call] = []
        self.sent: list[dict[str, Any]] = []  # accepted sendMessage payloads
        self.offsets: list[int | None] = []  # the offset of every getUpdates call
        self.answered: list[dict[str, Any]] = []  # answerCallbackQuery payloads
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 500_001
        self._next_message_id = 1
        self._chat_failures: dict[str, _Failure] = {}
        self._first_failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> FakeBotApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    payload = json.loads(raw.decode("utf-8") or "{}")
                except ValueError:
                    payload = None
                status, body = api._answer(self.path, payload)
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fake-bot-api")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "not started"
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------------------------

    def fail_chat(self, chat_id: int | str, status: int, retry_after: int | None = None,
                  times: int | None = None) -> None:
        """Answer sendMessage to `chat_id` with `status` (every time, or `times` times)."""
        with self._lock:
            self._chat_failures[str(chat_id)] = _Failure(status, retry_after, times)

    def fail_first(self, k: int, status: int = 429, retry_after: int | None = 1) -> None:
        """Answer the next `k` sendMessage calls (any chat) with `status`."""
        with self._lock:
            self._first_failures.append(_Failure(status, retry_after, k))

    def queue_update(self, chat_id: int, text: str, first_name: str = "Test") -> int:
        """A message from a private chat, returned by the next getUpdates; its update_id."""
        with self._lock:
            uid = self._next_update_id
            self._next_update_id += 1
            self._updates.append({
                "update_id": uid,
                "message": {"message_id": uid, "date": int(time.time()), "text": text,
                            "from": {"id": chat_id, "is_bot": False, "first_name": first_name},
                            "chat": {"id": chat_id, "type": "private", "first_name": first_name}},
            })
            return uid

    def queue_callback(self, chat_id: int, data: str, message_id: int = 1) -> int:
        """A button of a sent message pressed in a private chat (a callback_query); its
        update_id."""
        with self._lock:
            uid = self._next_update_id
            self._next_update_id += 1
            self._updates.append({
                "update_id": uid,
                "callback_query": {"id": f"cb{uid}", "data": data, "chat_instance": "1",
                                   "from": {"id": chat_id, "is_bot": False, "first_name": "T"},
                                   "message": {"message_id": message_id,
                                               "chat": {"id": chat_id, "type": "private"}}},
            })
            return uid

    # -- what was seen ---------------------------------------------------------------------------

    def sent_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.sent if str(m["chat_id"]) == str(chat_id)]

    def calls_of(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def pending_updates(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._updates)

    # -- the API -----------------------------------------------------------------------------------

    def _answer(self, path: str, payload: dict[str, Any] | None) -> tuple[int, dict[str, Any]]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix):].split("?", 1)[0]
        if payload is None:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: bad JSON"}
        with self._lock:
            if method == "sendMessage":
                status, body = self._send_message(payload)
            elif method == "getUpdates":
                status, body = self._get_updates(payload)
            elif method == "answerCallbackQuery":
                self.answered.append(dict(payload))
                status, body = 200, {"ok": True, "result": True}
            else:
                status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            self.calls.append(Call(method, payload, status))
            return status, body

    def _failure_for(self, chat: str) -> _Failure | None:
        for f in self._first_failures:
            if f.times:
                f.times -= 1
                return f
        rule = self._chat_failures.get(chat)
        if rule is None:
            return None
        if rule.times is not None:
            if rule.times <= 0:
                return None
            rule.times -= 1
        return rule

    def _send_message(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat, text = payload.get("chat_id"), payload.get("text")
        if chat is None or chat == "":
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat_id is empty"}
        if not text:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: message text is empty"}
        if len(text) > 4096:
            return 400, {"ok": False, "error_code": 400,
                         "description": "Bad Request: message is too long"}
        failure = self._failure_for(str(chat))
        if failure is not None:
            return failure.status, _error_body(failure.status, failure.retry_after)
        self.sent.append(dict(payload))
        mid = self._next_message_id
        self._next_message_id += 1
        return 200, {"ok": True, "result": {"message_id": mid, "date": int(time.time()),
                                            "chat": {"id": chat, "type": "private"}, "text": text}}

    def _get_updates(self, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        offset = payload.get("offset")
        self.offsets.append(offset)
        if offset is not None:
            self._updates = [u for u in self._updates if u["update_id"] >= int(offset)]
        return 200, {"ok": True, "result": list(self._updates)}
