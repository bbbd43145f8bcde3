"""Email end to end: the demo, `merzim worker --once` and `merzim reminders preview` against a
real SMTP server (aiosmtpd) on loopback, on SQLite and PostgreSQL.

The demo is loaded on Wednesday 19 March 2025. On Thursday 20 March (the last working day
before Nauryz: 21, 24 and 25 March are off) Marat's order and start announcement are due in
1 working day (on 26 March); analyses 2, 4 and 6 are overdue, so their officers and the
managers of the Almaty region akimat hear of them. Saturday 22 March is not worked.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from notifications.channels import Outgoing
from notifications.email import EmailChannel
from tests.support.cli_runner import ok_json
from tests.support.features import needs
from tests.support.smtp_server import SmtpSink, write_config
from workflow.definitions import load_definition
from workflow.reminders.outbox import message_id
from workflow.services.demo import ORGS, USERS
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import OutboxMessage, User

LOADED, WORKDAY, SATURDAY = "2025-03-19", "2025-03-20", "2025-03-22"
SENDER = "merzim@example.kz"

# The summary line of the subject in each language (notifications/locales/*/LC_MESSAGES/digest.po).
SUMMARY = {
    "en": {"overdue": "{n} overdue", "escalation": "{n} overdue in your organisations",
           "due_today": "{n} due today", "due_soon": "{n} due soon"},
    "ru": {"overdue": "просрочено: {n}", "escalation": "просрочено в ваших организациях: {n}",
           "due_today": "срок сегодня: {n}", "due_soon": "скоро срок: {n}"},
    "kk": {"overdue": "мерзімі өткен: {n}", "escalation": "сіздің ұйымдарыңызда мерзімі өткен: {n}",
           "due_today": "мерзімі бүгін: {n}", "due_soon": "мерзімі жақын: {n}"},
}
SECTION = {"en": {"overdue": "Overdue", "escalation": "Overdue in the organisations you oversee",
                  "due_today": "Due today", "due_soon": "Due soon"},
           "ru": {"overdue": "Просрочено", "escalation": "Просрочено в курируемых организациях",
                  "due_today": "Срок сегодня", "due_soon": "Скоро срок"},
           "kk": {"overdue": "Мерзімі өткен", "escalation": "Жетекшілік ететін ұйымдарда мерзімі өткен",
                  "due_today": "Мерзімі бүгін", "due_soon": "Мерзімі жақын"}}
KINDS = ("overdue", "escalation", "due_today", "due_soon")


@pytest.fixture
def sink():
    server = SmtpSink().start()
    yield server
    server.stop()


def smtp_config(tmp_path: Path, port: int, extra: str = "") -> Path:
    return write_config(tmp_path / "merzim-smtp.toml", port, sender=SENDER, extra=f"""
[outbox]
backoff_seconds = 0.2
max_backoff_seconds = 2
{extra}""")


def expected_subject(day: str, language: str, items: list[dict]) -> str:
    counts = {k: sum(1 for i in items if i["kind"] == k) for k in KINDS}
    summary = ", ".join(SUMMARY[language][k].format(n=counts[k]) for k in KINDS if counts[k])
    shown = day if language == "en" else ".".join(reversed(day.split("-")))  # kk, ru: dd.mm.yyyy
    return f"merzim {shown}: {summary}"


def _preview(engine, make_ctx, cfg: Path, day: str) -> dict[str, dict]:
    """In-process `reminders preview`: the digests of `day` by email address, as plain data."""
    from workflow.reminders import planner as reminders

    ns = load_notify_settings(load_settings(path=cfg, env={}), env={})
    with Session(engine) as s:
        digests = reminders.preview(s, make_ctx(date.fromisoformat(day)), ns)
    return {d.recipient.email: {
        "language": d.recipient.language, "role": d.recipient.role,
        "items": [{"kind": ln.kind, "stage": ln.item.stage_key, "due": ln.item.due.isoformat(),
                   "analysis": ln.item.analysis_id} for ln in d.lines]} for d in digests}


@needs("planning")
def test_worker_once_delivers_every_digest_once(merzim_db, demo, db, make_ctx, sink, tmp_path):
    cfg = smtp_config(tmp_path, sink.port)
    digests = _preview(db, make_ctx, cfg, WORKDAY)
    assert len(digests) >= 5
    assert {d["language"] for d in digests.values()} == {"kk", "ru", "en"}
    assert {d["role"] for d in digests.values()} == {"officer", "manager"}

    first = ok_json(merzim_db("worker", "--once", "--json", today=WORKDAY, config=cfg))
    assert first["planned"] == first["sent"] == len(digests), first
    assert first["failed"] == first["retried"] == 0 and first["errors"] == []
    assert sink.wait_for(len(digests), timeout=5)

    with Session(db) as s:
        rows = list(s.exec(select(OutboxMessage, User)
                           .join(User, User.id == OutboxMessage.recipient_id)))
    assert len(rows) == len(digests)
    by_id = {m.message_id: m for m in sink.messages}
    assert len(by_id) == len(sink.messages) == len(digests)  # each once
    definition = load_definition()
    for row, user in rows:
        assert (row.status, row.channel, row.digest, row.attempts) == ("sent", "email", "daily", 1)
        assert row.local_day == date.fromisoformat(WORKDAY)
        mid = message_id(row, SENDER)
        assert mid.endswith("@example.kz>") and f".{row.id}." in mid
        received = by_id[mid]
        msg = received.message
        assert received.rcpt_tos == (user.email,) and received.mail_from == SENDER
        assert msg["To"] == user.email == row.address == f"{user.login}@example.kz"
        assert msg["From"] == SENDER and msg["Auto-Submitted"] == "auto-generated"
        assert msg["Date"] is not None
        digest = digests[user.email]
        assert digest["language"] == user.language
        assert msg["Subject"] == row.subject == expected_subject(WORKDAY, user.language,
                                                                 digest["items"])
        assert msg.get_content_type() == "multipart/alternative"
        parts = list(msg.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        text, html = parts[0].get_content(), parts[1].get_content()
        assert user.full_name in text and user.full_name in html
        for item in digest["items"]:
            stage = definition.stage_name(item["stage"], user.language)
            assert stage in text and stage in html
            due = item["due"]  # (kk, ru: dd.mm.yyyy)
            assert (due if user.language == "en" else ".".join(reversed(due.split("-")))) in text
            assert SECTION[user.language][item["kind"]] in text
        assert html.lstrip().startswith("<html>") and "<li>" in html

    again = ok_json(merzim_db("worker", "--once", "--json", today=WORKDAY, config=cfg))
    assert (again["planned"], again["sent"], again["failed"]) == (0, 0, 0)
    assert len(sink.messages) == len(digests)


def _demo_parents() -> dict[str, str | None]:
    return {code: parent for code, _kind, parent, *_names in ORGS}


@needs("planning")
def test_preview_matches_the_stages_due_dates(merzim_db, demo):
    """What `reminders preview` lists is exactly what `overdue` and `due` say about the
    stages: officers get their stages due in 5, 1 or 0 working days and those overdue;
    managers of the organisation and its parent get the overdue ones."""
    day = "2025-03-26"  # after Nauryz: Marat's two stages are due today
    preview = ok_json(merzim_db("reminders", "preview", "--as-of", day, "--json", today=LOADED))
    overdue = ok_json(merzim_db("overdue", "--as-of", day, "--json", today=LOADED))["overdue"]
    due = ok_json(merzim_db("due", "--as-of", day, "--within", "5", "--json",
                            today=LOADED))["due"]
    assert preview["as_of"] == day and preview["working_day"] is True

    got = {(d["recipient"], i["kind"], i["analysis"], i["stage"], i["due"], i["working_days"])
           for d in preview["digests"] for i in d["items"]}
    assert sum(len(d["items"]) for d in preview["digests"]) == len(got)  # no line twice
    processes = {r["analysis"]: r["process"] for r in [*overdue, *due]}
    assert all(i["case"] == i["analysis"] and i["process"] == processes[i["analysis"]]
               for d in preview["digests"] for i in d["items"])

    expected = set()
    for r in due:
        left = r["working_days_left"]
        if left in (5, 1, 0):
            expected.add((r["responsible_name"], "due_today" if left == 0 else "due_soon",
                          r["analysis"], r["stage"], r["due"], left))
    parents = _demo_parents()
    managers = [(name, org) for _login, name, role, org, _lang in USERS if role == "manager"]
    for r in overdue:
        late = r["working_days_overdue"]
        expected.add((r["responsible_name"], "overdue", r["analysis"], r["stage"], r["due"], late))
        for name, org in managers:
            if org in (r["organisation"], parents[r["organisation"]]):
                expected.add((name, "escalation", r["analysis"], r["stage"], r["due"], late))
    assert {e[1] for e in expected} == {"overdue", "escalation", "due_today"}
    assert got == expected
    # Gulnar manages the ministry, two levels above any overdue stage: nothing for her.
    assert "Gulnar Abenova" not in {d["recipient"] for d in preview["digests"]}
    # One digest per recipient.
    names = [d["recipient"] for d in preview["digests"]]
    assert len(names) == len(set(names))

    quiet = ok_json(merzim_db("reminders", "preview", "--as-of", SATURDAY, "--json",
                              today=LOADED))
    assert quiet == {"as_of": SATURDAY, "working_day": False, "digests": []}


# -- the SMTP client against TLS and authentication ---------------------------------------------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a certificate for the TLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_login_from_the_environment(tmp_path, monkeypatch, security):
    import ssl

    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust our certificate, as a CA would be
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_tls.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            b"merzim-bot", b"s3cret p@ss")
        logins.append((mechanism, bytes(auth_data.login), ok))
        return AuthResult(success=ok)

    # aiosmtpd advertises AUTH only after STARTTLS unless told the connection is safe (implicit TLS)
    tls_kwargs = ({"tls_context": server_tls, "require_starttls": True} if security == "starttls"
                  else {"ssl_context": server_tls, "auth_require_tls": False})
    server = SmtpSink(authenticator=authenticator, auth_required=True, **tls_kwargs).start()
    try:
        cfg = smtp_config(tmp_path, server.port)
        cfg.write_text(cfg.read_text().replace('security = "none"', f'security = "{security}"'))
        env = {"MERZIM_SMTP_USER": "merzim-bot", "MERZIM_SMTP_PASSWORD": "s3cret p@ss"}
        ns = load_notify_settings(load_settings(path=cfg, env={}), env=env)
        assert (ns.smtp.user, ns.smtp.password, ns.smtp.security) == (*env.values(), security)
        msg = Outgoing("<merzim.7.20250320.email@example.kz>", "asel@example.kz",
                       "merzim 2025-03-20: мерзімі өткен: 2", "Қайырлы таң.", "<p>Қайырлы таң.</p>")
        EmailChannel(ns.smtp).send(msg)
        assert server.wait_for(1, timeout=5)
        got = server.messages[0].message
        assert got["Message-ID"] == msg.message_id and got["Subject"] == msg.subject
        assert [m for m, _login, ok in logins if ok] and logins[-1][1:] == (b"merzim-bot", True)

    finally:
        server.stop()
