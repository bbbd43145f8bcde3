"""A real SMTP server for tests: aiosmtpd on a free loopback port, collecting every message.

    sink = SmtpSink(delay=0.3).start()     # 0.3 s per message: a slow server
    ...
    sink.stop()                            # an outage: connections are refused
    sink.start()                           # back, on the same port
    sink.wait_for(5)                       # until 5 messages arrived (or a timeout)
    SmtpSink(refuse=("x@example.kz",))     # RCPT TO that address gets 550 (permanent)

Messages are parsed with the modern email policy; `message_ids()` lists the Message-ID of
every message received, repeats included, in arrival order.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Received:
    """One message as the server accepted it: envelope and parsed content."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    at: float

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


class _Handler:
    def __init__(self, sink: SmtpSink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.sink.refuse:
            return f"550 5.1.1 <{address}>: recipient address rejected: user unknown"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        if self.sink.delay:
            await asyncio.sleep(self.sink.delay)
        raw = envelope.original_content or envelope.content
        msg = message_from_bytes(raw, policy=policy.default)
        self.sink._add(Received(envelope.mail_from, tuple(envelope.rcpt_tos), msg, time.time()))
        return "250 2.0.0 OK: queued"


class SmtpSink:
    """An aiosmtpd server in a thread; `stop()` and `start()` again simulate an outage."""

    def __init__(self, delay: float = 0.0, port: int | None = None,
                 refuse: tuple[str, ...] = (), **controller_kwargs: Any):
        self.port = port or free_port()
        self.delay = delay
        self.refuse = set(refuse)  # recipient addresses answered with 550
        self.controller_kwargs = controller_kwargs
        self._messages: list[Received] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._controller: Controller | None = None

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> SmtpSink:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port,
                                          **self.controller_kwargs)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what arrived --------------------------------------------------------------------------

    def _add(self, received: Received) -> None:
        with self._arrived:
            self._messages.append(received)
            self._arrived.notify_all()

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def message_ids(self) -> list[str]:
        return [m.message_id for m in self.messages]

    def counts(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        return Counter(self.message_ids())

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        """Block until at least `n` messages arrived; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
            return True


def write_config(path: Path, port: int, channels: str = '["email"]', extra: str = "",
                 sender: str = "merzim@example.kz", security: str = "none",
                 timeout: int = 5) -> Path:
    """A config.toml sending reminders through the loopback SMTP server on `port` (no login;
    `security`: plain SMTP, else "starttls" or "tls"), with the `channels` given and any
    `extra` TOML sections appended."""
    path.write_text(f"""
[reminders]
channels = {channels}

[email]
host = "127.0.0.1"
port = {port}
security = "{security}"
from = "{sender}"
timeout = {timeout}
{extra}
""", encoding="utf-8")
    return path
