"""Telegram through the Bot API (sendMessage, getUpdates) with a rate limit across chats."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from notifications.channels import ChatBlocked, Outgoing, PermanentFailure, RetryAfter, TemporaryFailure
from notifications.settings import TelegramSettings

MAX_TEXT = 4096


class RateLimiter:
    """Spaces calls at least 1/rate seconds apart (thread-safe)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            time.sleep(delay)


class TelegramChannel:
    name = "telegram"

    def __init__(self, settings: TelegramSettings):
        self.settings = settings
        self.limiter = RateLimiter(settings.rate_per_second)

    def _call(self, method: str, payload: dict[str, Any], timeout: float | None = None) -> Any:
        url = f"{self.settings.base_url.rstrip('/')}/bot{self.settings.token}/{method}"
        data = json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout or self.settings.timeout) as resp:
                body = json.loads(resp.read().decode("utf-8") or "{}")
        except urllib.error.HTTPError as exc:
            try:
                body = json.loads(exc.read().decode("utf-8") or "{}")
            except (ValueError, OSError):
                body = {}
            desc = body.get("description", exc.reason)
            if exc.code == 429:
                after = (body.get("parameters") or {}).get("retry_after", 1)
                raise RetryAfter(float(after), f"Telegram 429: {desc}") from None
            if exc.code == 403:
                raise ChatBlocked(f"Telegram 403: {desc}") from None
            if exc.code in (400, 404):
                raise PermanentFailure(f"Telegram {exc.code}: {desc}") from None
            raise TemporaryFailure(f"Telegram {exc.code}: {desc}") from None
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            raise TemporaryFailure(f"Telegram unreachable: {self._secret_free(exc)}") from None
        if not body.get("ok", False):
            raise TemporaryFailure(f"Telegram error: {body.get('description', body)}")
        return body.get("result")

    def _secret_free(self, exc: Exception) -> str:
        """An error's text without the bot token (a URL error may quote the whole URL)."""
        text = str(exc)
        return text.replace(self.settings.token, "***") if self.settings.token else text

    def send(self, msg: Outgoing) -> None:
        text = f"{msg.subject}\n\n{msg.text}"
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        payload: dict[str, Any] = {"chat_id": msg.address, "text": text,
                                   "disable_web_page_preview": True}
        if msg.buttons:
            payload["reply_markup"] = {"inline_keyboard": [
                [{"text": label, "callback_data": data} for label, data in msg.buttons]]}
        self.limiter.wait()
        self._call("sendMessage", payload)

    def reply(self, chat_id: str, text: str) -> None:
        if len(text) > MAX_TEXT:
            text = text[: MAX_TEXT - 1] + "…"
        self.limiter.wait()
        self._call("sendMessage", {"chat_id": chat_id, "text": text,
                                   "disable_web_page_preview": True})

    def answer_callback(self, callback_id: str, text: str) -> None:
        """Acknowledge a button press (the client stops its spinner and shows `text`)."""
        self.limiter.wait()
        self._call("answerCallbackQuery", {"callback_query_id": callback_id, "text": text[:200]})

    def get_updates(self, offset: int | None, timeout: int = 0) -> list[dict[str, Any]]:
        payload: dict[str, Any] = {"timeout": timeout,
                                   "allowed_updates": ["message", "callback_query"]}
        if offset is not None:
            payload["offset"] = offset
        return self._call("getUpdates", payload, timeout=timeout + self.settings.timeout) or []
