"""A local aiosmtpd server for the reminders benchmark, in a process of its own.

    python bench/reminders/server.py --port P --report counts.json [--tls CERT KEY]

Accepts every message, keeps only its Message-ID, and counts sessions (connections),
messages and distinct Message-IDs. On SIGTERM it writes the counts as JSON to --report
and exits. With --tls, STARTTLS is offered and required (the certificate and key given).
"""

from __future__ import annotations

import argparse
import json
import re
import signal
import ssl
import threading
from collections import Counter
from pathlib import Path

from aiosmtpd.controller import Controller

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(\S+)", re.IGNORECASE | re.MULTILINE)


class Counts:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sessions = 0
        self.ids: Counter[bytes] = Counter()

    def report(self) -> dict:
        with self.lock:
            return {"sessions": self.sessions, "messages": sum(self.ids.values()),
                    "distinct": len(self.ids),
                    "repeated": sum(n - 1 for n in self.ids.values() if n > 1)}


class Handler:
    def __init__(self, counts: Counts):
        self.counts = counts

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd
        head = envelope.original_content or envelope.content
        found = MESSAGE_ID.search(head[:4096])
        with self.counts.lock:
            self.counts.ids[found.group(1) if found else b"?"] += 1
        return "250 2.0.0 OK: queued"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--report", type=Path, required=True)
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    a = p.parse_args()
    counts = Counts()
    kwargs = {}
    if a.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*a.tls)
        kwargs = {"tls_context": context, "require_starttls": True}

    class Counting(Controller):
        def factory(self):
            with counts.lock:
                counts.sessions += 1
            return super().factory()

    controller = Counting(Handler(counts), hostname="127.0.0.1", port=a.port,
                          data_size_limit=0, **kwargs)
    controller.start()
    with counts.lock:
        counts.sessions = 0  # start() connects once itself to see the server is up
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    print("ready", flush=True)
    stopped.wait()
    controller.stop()
    a.report.write_text(json.dumps(counts.report()), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
