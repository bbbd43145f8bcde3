"""Reminders in volume: one worker sends N email digests to a local aiosmtpd.

Run from the repository root:

    .venv/bin/python bench/reminders/run.py [--backend sqlite|postgresql|both]
        [--n 50000] [--previous-n 5000] [--security starttls|none] [--json PATH]

For each backend and each email channel, in a fresh migrated database:

* N users and N pending outbox rows, one email digest each (the real kk digest of the
  demo's Almaty region manager on 20 March 2025, as the planner renders it, each row with
  its own address and Message-ID), written in bulk;
* an aiosmtpd server in a process of its own on loopback (bench/reminders/server.py),
  STARTTLS required with a self-signed certificate unless --security none, counting
  sessions, messages and distinct Message-IDs;
* one `Worker` (workflow/reminders/worker.py) calls `dispatch_once()` — what its dispatch
  job runs every few seconds — until nothing is left to send; the wall time of that loop
  is the figure. Then the server's counts and the outbox are checked: every row 'sent',
  every Message-ID received, how many twice.

The channels: `current` is notifications/email.py (one SMTP session reused across a
dispatch run); `previous` is the previous head's channel (bench/reminders/previous.py,
one session per message), on `--previous-n` rows in the same run (default 5,000: at its
rate the full N would take most of an hour); its per-message time gives the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script from a checkout without installing
    sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

import bench.boot  # noqa: E402  (the checkout's features installed)
from bench.reminders.previous import PreviousEmailChannel  # noqa: E402
from calendars import KazakhstanCalendar  # noqa: E402
from notifications.channels import Outgoing  # noqa: E402
from notifications.email import EmailChannel, build_message  # noqa: E402
from tests.support.smtp_server import free_port, write_config  # noqa: E402
from workflow import services as svc  # noqa: E402
from workflow.definitions import load_registry  # noqa: E402
from workflow.reminders import outbox  # noqa: E402
from workflow.reminders import planner as reminders  # noqa: E402
from workflow.reminders.outbox import message_id  # noqa: E402
from workflow.reminders.worker import Worker  # noqa: E402
from workflow.settings import load_notify_settings, load_settings  # noqa: E402
from workflow.storage.db import make_engine  # noqa: E402
from workflow.storage.models import OutboxMessage, User  # noqa: E402

bench_import: Any = bench.boot.import_bench()  # its fresh_database(): SQLite file or PG schema

LOADED, WORKDAY = date(2025, 3, 19), date(2025, 3, 20)
SENDER = "merzim@example.kz"
GOAL_S = 600.0  # the goal: 50,000 digests in under 10 minutes
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def load1() -> float:
    return round(os.getloadavg()[0], 2)


# -- the digest, as the planner renders it -----------------------------------------------------


def real_digest(tmp: Path) -> dict[str, str]:
    """The longest email digest of the demo's 20 March 2025 (kk), from the real planner."""
    from workflow.services.demo import load_demo

    eng = make_engine(f"sqlite:///{tmp / 'demo.db'}")
    from workflow.storage.db import upgrade

    upgrade(eng)
    ns = notify_settings(tmp, 1)
    cal, reg = KazakhstanCalendar(), load_registry()
    with Session(eng) as s:
        load_demo(s, svc.Context(cal, reg, LOADED, actor="bench", language="kk"))
        s.commit()
    with Session(eng) as s:
        reminders.plan_reminders(s, svc.Context(cal, reg, WORKDAY, actor="bench",
                                                language="kk"), ns)
        s.commit()
        rows = list(s.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")))
    eng.dispose()
    best = max(rows, key=lambda r: len(r.body_html) + len(r.body_text))
    return {"subject": best.subject, "body_text": best.body_text, "body_html": best.body_html,
            "digest": best.digest}


def notify_settings(tmp: Path, port: int, security: str = "none"):
    cfg = write_config(tmp / f"merzim-{port}.toml", port, sender=SENDER, security=security,
                       timeout=30)
    return load_notify_settings(load_settings(path=cfg, env={}), env={})


def fill(url: str, n: int, digest: dict[str, str]) -> None:
    """N users of one organisation and one pending email digest each, in bulk."""
    eng = make_engine(url)
    ctx = svc.Context(KazakhstanCalendar(), load_registry(), WORKDAY, actor="bench")
    with Session(eng) as s:
        svc.add_org(s, ctx, "BENCH", "Bench akimat", "akimat")
        s.commit()
        org = s.execute(text("SELECT id FROM organisation WHERE code = 'BENCH'")).scalar_one()
        s.execute(insert(User), [
            {"login": f"u{i}", "full_name": f"User {i}", "role": "manager",
             "organisation_id": org, "email": f"u{i}@example.kz", "language": "kk",
             "telegram_active": False, "active": True, "failed_logins": 0}
            for i in range(n)])
        users = s.execute(text("SELECT id, email FROM app_user ORDER BY id")).all()
        now = time.time()
        for start in range(0, n, 5000):
            s.execute(insert(OutboxMessage), [
                {"recipient_id": uid, "channel": "email", "local_day": WORKDAY,
                 "digest": digest["digest"], "address": email, "subject": digest["subject"],
                 "body_text": digest["body_text"], "body_html": digest["body_html"],
                 "status": "pending", "attempts": 0, "next_attempt_at": 0.0,
                 "created_at": now}
                for uid, email in users[start:start + 5000]])
        s.commit()
    # what the worker's plan_once does after writing this many rows (refresh_statistics)
    outbox.refresh_statistics(eng, n)
    eng.dispose()


# -- the server ---------------------------------------------------------------------------------


def self_signed(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


class Server:
    def __init__(self, tmp: Path, tls: tuple[Path, Path] | None):
        self.port = free_port()
        self.report = tmp / f"counts-{self.port}.json"
        cmd = [sys.executable, str(ROOT / "bench/reminders/server.py"), "--port",
               str(self.port), "--report", str(self.report)]
        if tls:
            cmd += ["--tls", str(tls[0]), str(tls[1])]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> dict[str, int]:
        self.proc.terminate()
        self.proc.wait(60)
        return json.loads(self.report.read_text(encoding="utf-8"))


# -- one measurement ------------------------------------------------------------------------------


def bare(rows: list[OutboxMessage], tmp: Path, security: str,
         tls: tuple[Path, Path] | None) -> dict[str, Any]:
    """The floor: a bare smtplib client sends the same messages (the outbox's rows, read
    beforehand; each built as the channel builds it: notifications/email.py's build_message)
    over one session to a server of its own, with no database between two messages."""
    server = Server(tmp, tls)
    smtp = notify_settings(tmp, server.port, security).smtp
    load_before = load1()
    cpu0, t0 = time.process_time(), time.perf_counter()
    try:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        if security == "starttls":
            client.starttls(context=ssl.create_default_context())
        for r in rows:
            client.send_message(build_message(smtp, Outgoing(
                message_id(r, SENDER), r.address, r.subject, r.body_text, r.body_html)))
        client.quit()
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    finally:
        counts = server.stop()
    n = len(rows)
    return {"channel": "bare smtplib", "n": n, "security": security, "seconds": wall,
            "ms_per_message": wall / n * 1e3, "messages_per_second": n / wall,
            "worker_cpu_seconds": cpu, "server": counts,
            "every_message_once": counts["distinct"] == n and counts["repeated"] == 0,
            "load_before": load_before, "load_after": load1()}


def measure(backend: str, pg_url: str, impl: str, n: int, digest: dict[str, str], tmp: Path,
            security: str, tls: tuple[Path, Path] | None, with_bare: bool = False
            ) -> list[dict[str, Any]]:
    """The worker's run (and, `with_bare`, first the bare client's on the same rows)."""
    out = []
    with bench_import.fresh_database(backend, pg_url) as url:
        t0 = time.perf_counter()
        fill(url, n, digest)
        fill_s = time.perf_counter() - t0
        if with_bare:
            eng = make_engine(url)
            with Session(eng) as s:
                rows = list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
            eng.dispose()
            out.append({"backend": backend, **bare(rows, tmp, security, tls)})
            print(json.dumps(out[-1]), flush=True)
            del rows
        server = Server(tmp, tls)
        ns = notify_settings(tmp, server.port, security)
        channel = EmailChannel(ns.smtp) if impl == "current" else PreviousEmailChannel(ns.smtp)
        eng = make_engine(url)
        worker = Worker(engine=eng, ns=ns, make_context=lambda day: None,
                        now=lambda: datetime.now(UTC), channels={"email": channel})
        runs, sent, retried, failed = 0, 0, 0, 0
        load_before = load1()
        cpu0, t0 = time.process_time(), time.perf_counter()
        try:
            while True:
                stats = worker.dispatch_once()
                runs += 1
                sent, retried, failed = (sent + stats.sent, retried + stats.retried,
                                         failed + stats.failed)
                if not (stats.sent or stats.retried or stats.failed):
                    break
            wall = time.perf_counter() - t0
            cpu = time.process_time() - cpu0
        finally:
            counts = server.stop()
        with Session(eng) as s:
            statuses = dict(s.execute(text(
                "SELECT status, COUNT(*) FROM outbox GROUP BY status")).all())
            ids = {message_id(r, SENDER) for r in s.exec(select(OutboxMessage))}
        eng.dispose()
    ok = (statuses == {"sent": n} and counts["distinct"] == n and len(ids) == n)
    return [*out, {
        "backend": backend, "channel": impl, "n": n, "security": security,
        "seconds": wall, "ms_per_message": wall / n * 1e3, "messages_per_second": n / wall,
        "worker_cpu_seconds": cpu, "dispatch_runs": runs, "sent": sent, "retried": retried,
        "failed": failed, "server": counts, "outbox_statuses": statuses,
        "every_message_once": ok and counts["repeated"] == 0,
        "load_before": load_before, "load_after": load1(), "fill_seconds": fill_s,
    }]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    p.add_argument("--n", type=int, default=50_000, help="digests for the current channel")
    p.add_argument("--previous-n", type=int, default=5_000,
                   help="digests for the previous head's one-session-per-message channel")
    p.add_argument("--security", choices=("starttls", "none"), default="starttls")
    p.add_argument("--pg-url", default=os.environ.get("MERZIM_TEST_POSTGRES_URL", DEFAULT_PG))
    p.add_argument("--no-bare", dest="bare", action="store_false",
                   help="skip the bare smtplib client (the floor the worker is compared with)")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    backends = ("sqlite", "postgresql") if a.backend == "both" else (a.backend,)
    results = []
    with tempfile.TemporaryDirectory(prefix="merzim-reminders-") as tmpdir:
        tmp = Path(tmpdir)
        tls = None
        if a.security == "starttls":
            tls = self_signed(tmp)
            os.environ["SSL_CERT_FILE"] = str(tls[0])  # the client trusts the bench's server
        digest = real_digest(tmp)
        print(f"digest: subject {len(digest['subject'])} chars, text {len(digest['body_text'])},"
              f" html {len(digest['body_html'])}; load average {load1()}", flush=True)
        for backend in backends:
            for impl, n in (("previous", a.previous_n), ("current", a.n)):
                if n <= 0:
                    continue
                got = measure(backend, a.pg_url, impl, n, digest, tmp, a.security, tls,
                              with_bare=impl == "current" and a.bare)
                results.extend(got)
                print(json.dumps(got[-1]), flush=True)
    machine = {"platform": platform.platform(), "cpus": os.cpu_count(),
               "python": platform.python_version()}
    print()
    print("| backend | channel | digests | security | wall s | ms/digest | digests/s | "
          "SMTP sessions | each once | load before/after |")
    print("|---|---|---:|---|---:|---:|---:|---:|---|---|")
    for r in results:
        print(f"| {r['backend']} | {r['channel']} | {r['n']:,} | {r['security']} | "
              f"{r['seconds']:.1f} | {r['ms_per_message']:.2f} | {r['messages_per_second']:.0f} |"
              f" {r['server']['sessions']:,} | {'yes' if r['every_message_once'] else 'NO'} | "
              f"{r['load_before']}/{r['load_after']} |")
    for backend in backends:
        by = {r["channel"]: r for r in results if r["backend"] == backend}
        if "bare smtplib" in by and "current" in by:
            over = by["current"]["seconds"] / by["bare smtplib"]["seconds"]
            print(f"\n{backend}: the worker took {over:.2f}× the bare smtplib client's time "
                  f"on the same {by['current']['n']:,} messages (goal ≤ 1.5×)")
        if "previous" in by and "current" in by:
            ratio = by["previous"]["ms_per_message"] / by["current"]["ms_per_message"]
            fifty = by["current"]["ms_per_message"] * 50_000 / 1e3
            old_fifty = by["previous"]["ms_per_message"] * 50_000 / 1e3
            print(f"\n{backend}: previous/current per digest {ratio:.1f}×; 50,000 digests: "
                  f"{fifty:.0f} s now ({'measured' if by['current']['n'] == 50_000 else 'extrapolated'}),"
                  f" {old_fifty:.0f} s with one session per message (extrapolated from "
                  f"{by['previous']['n']:,}); goal < {GOAL_S:.0f} s")
    if a.json:
        a.json.write_text(json.dumps({"date": date.today().isoformat(), "machine": machine,
                                      "results": results}, indent=2, ensure_ascii=False) + "\n",
                          encoding="utf-8")
    ok = all(r["every_message_once"] for r in results) and all(
        r["ms_per_message"] * 50_000 / 1e3 < GOAL_S for r in results if r["channel"] == "current")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
