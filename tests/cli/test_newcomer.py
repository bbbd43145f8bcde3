"""A newcomer's first minutes with the demo, on SQLite and PostgreSQL:

* `merzim init --demo` prints every account with its person, role and organisation (the
  quasi-state company's officer among them), in the reader's language;
* the demo's reminders never go to a mail server that is not there: its people's addresses
  are of the reserved domain .invalid, so `merzim worker --once` writes each e-mail to the
  log and marks it sent (no retry), and a real SMTP server on the configured port receives
  nothing;
* people are named, not their logins ("Asel Nurpeisova", not "web:asel") in a case's history
  and the notification centre;
* the Gantt's month labels carry their years;
* an unknown case is "No case N." whatever its procedure, in kk, ru and en;
* the three ways to put a mistake right (an ending event, a void, a withdrawal) are named and
  explained apart;
* the reminder preferences tick no Telegram for a person without a linked chat, and a refused
  form comes back with what she typed, nothing stored.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Iterator

from sqlmodel import Session, select

from tests.support.cli_demo_helpers import DEMO_DAY, demo_loaded
from tests.support.cli_runner import Merzim
from tests.support.databases import database_from_template
from tests.support.features import needs
from tests.support.smtp_server import SmtpSink
from tests.support.web_helpers import CALENDAR, TODAY, Web, csrf_of, web_fixture  # noqa: F401
from workflow import services as svc
from workflow.services.demo import MAIL_DOMAIN, ORGS, USERS
from workflow.storage.models import User

ACCOUNT = re.compile(r"^Demo account: (\S+) / (\S+) — (.+), (officer|manager|administrator), "
                     r"(.+)$", re.MULTILINE)


@needs("planning")
def test_the_demo_prints_every_account_with_its_role_and_organisation(backend, db_url,
                                                                        tmp_path):
    result = Merzim(tmp_path, db_url=db_url, today=DEMO_DAY)("init", "--demo")
    assert result.returncode == 0, (result.stdout, result.stderr)
    printed = {m[0]: m[2:] for m in ACCOUNT.findall(result.stdout)}
    names = {o[0]: o[3] for o in ORGS}
    roles = {"officer": "officer", "manager": "manager", "admin": "administrator"}
    assert printed == {login: (name, roles[role], names[org])
                       for login, name, role, org, _lang in USERS}
    assert printed["timur"] == ("Timur Akhmetov", "officer",
                                "Social-Entrepreneurial Corporation Zhetysu JSC")
    # every printed password signs in: `user password` is not needed for any of them
    passwords = dict(re.findall(r"^Demo account: (\S+) / (\S+) —", result.stdout, re.M))
    assert len(passwords) == len(USERS) and all(len(p) >= 12 for p in passwords.values())


def test_the_demo_accounts_in_russian(backend, db_url, tmp_path):
    result = Merzim(tmp_path, db_url=db_url, today=DEMO_DAY)("init", "--demo", lang="ru")
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert re.search(r"^Демонстрационная учётная запись: timur / \S+ — Timur Akhmetov, "
                     r"уполномоченное лицо, АО СПК «Жетісу»$", result.stdout, re.M), result.stdout


@contextlib.contextmanager
def _demo_and_mail_server(backend, tmp_path) -> Iterator[tuple[Merzim, SmtpSink]]:
    """`merzim` on a database of the demo, on DEMO_DAY, configured to send its mail to a local
    SMTP server (the sink): the command and the sink."""
    with database_from_template(backend, tmp_path, recipe=demo_loaded,
                                recipe_name="cli-demo") as (url, _printed), \
            SmtpSink() as sink:
        config = tmp_path / "mail.toml"
        config.write_text(f'[email]\nhost = "127.0.0.1"\nport = {sink.port}\n'
                          'security = "none"\n', encoding="utf-8")
        yield Merzim(tmp_path, db_url=url, today=DEMO_DAY, config=config), sink


def test_the_demo_reminders_go_to_the_log_not_to_a_missing_server(backend, tmp_path, caplog):
    with _demo_and_mail_server(backend, tmp_path) as (run, sink):
        with caplog.at_level(logging.INFO, logger="merzim.mail"):
            first = run("worker", "--once", "--json")
        assert first.returncode == 0, (first.stdout, first.stderr)
        cycle = json.loads(first.stdout)
        assert cycle["sent"] > 0 and cycle["retried"] == 0, cycle
        # no message reached the server (the demo's people are of .invalid) ...
        assert sink.messages == []
        # ... each went to the log, with its recipient and its text
        logged = [r.getMessage() for r in caplog.records if r.name == "merzim.mail"]
        assert len(logged) == cycle["sent"], (len(logged), cycle)
        assert any(f"asel@{MAIL_DOMAIN}" in m for m in logged), logged[:2]
        # and nothing is left to retry: the next cycle has nothing to send
        again = json.loads(run("worker", "--once", "--json").stdout)
        assert again["sent"] == 0 and again["retried"] == 0, again
        rows = json.loads(run("outbox", "--all", "--json").stdout)["messages"]
        assert rows and {r["status"] for r in rows} == {"sent"}, rows[:3]


def test_a_real_address_still_goes_to_the_mail_server(backend, tmp_path):
    """Only .invalid is written to the log: a colleague's real address is sent by SMTP."""
    with _demo_and_mail_server(backend, tmp_path) as (run, sink):
        assert run("user", "set", "asel", "--email", "asel@example.kz").returncode == 0
        cycle = json.loads(run("worker", "--once", "--json").stdout)
        assert cycle["sent"] > 0 and cycle["retried"] == 0, cycle
        assert {m.rcpt_tos[0] for m in sink.messages} == {"asel@example.kz"}


NOTE = {"event": "analytic_note", "date": TODAY.isoformat(), "number": "21-ө",
        "signed_by": "Head of department", "note": ""}


def _who(page: str) -> list[str]:
    """The history's "who" cells, as shown (their title attributes aside)."""
    table = page[page.index('data-testid="history"'):]
    table = table[:table.index("</table>")]
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(
        r'<td data-label="Who">(.*?)</td>', table, re.S)]


def test_people_by_their_names_in_a_history_and_the_centre(web: Web):
    case_id = web.analyses["edu"]  # asel's analysis; the administrator records its note
    admin = web.browser("erlan")
    r = admin.post(f"/cases/{case_id}/events", data={**NOTE, "csrf": web.csrf(admin)})
    assert r.status_code == 303, r.text[:500]
    page = web.browser("asel").get(f"/cases/{case_id}").text
    assert "Erlan Tulegenov" in _who(page), _who(page)
    assert not [w for w in _who(page) if w.startswith(("web:", "api:"))], _who(page)
    assert 'title="web:erlan"' in page  # the login is still there, on hovering the name
    centre = web.browser("asel").get("/notifications").text
    assert "Erlan Tulegenov" in centre and "web:erlan" not in centre


def test_gantt_months_carry_their_years(web: Web):
    page = web.browser("asel").get(f"/cases/{web.analyses['edu']}").text
    svg = page[page.index('data-testid="gantt-chart"'):page.index("</svg>")]
    months = re.findall(r'data-month="(\d{4})-\d\d">([^<]+)</text>', svg)
    assert len(months) >= 3, months
    assert all(label.endswith(year) for year, label in months), months


def test_no_case_whatever_its_procedure(web: Web):
    missing = 999_999
    for lang, text in (("en", f"No case {missing}."), ("ru", f"Дело №{missing} не найдено."),
                       ("kk", f"№{missing} іс табылмады.")):
        b = web.browser("asel")
        b.cookies.set("merzim_lang", lang)
        r = b.get(f"/cases/{missing}")
        assert r.status_code == 404 and text in r.text, (lang, r.text[:300])
        b.cookies.set("merzim_lang", "en")


def test_no_case_on_the_command_line(merzim_db):
    r = merzim_db("status", "999999")
    assert r.returncode != 0 and "No case 999999." in r.stdout + r.stderr, (r.stdout, r.stderr)


def test_the_three_ways_to_put_a_mistake_right_are_told_apart(web: Web):
    from datetime import timedelta

    from web.app import create_app
    from workflow.definitions import load_registry

    registry = load_registry()  # every procedure, not only the analysis
    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, registry)
    ctx = svc.Context(CALENDAR, registry, TODAY, actor="test", language="en")
    with Session(web.engine) as s:
        case_id = svc.open_checked(s, ctx, "candidate_check", "QS-ZHETYSU", None,
                                   "Dana Omarova", "Accountant", {},
                                   {"decision": TODAY + timedelta(days=10)}, "timur").analysis.id
        s.commit()
    page = web.browser("timur").get(f"/cases/{case_id}").text
    assert "Withdraw the whole case (opened by mistake)" in page
    # the ending event says what it is for, and which control is for a mistake
    cancel = page[page.index('id="record-cancel"'):]
    cancel = cancel[:cancel.index("</details>")]
    assert 'data-testid="ends-hint"' in cancel and "voided" in cancel and "withdrawn" in cancel
    # an event that does not end the case has no such line
    checked = page[page.index('id="record-candidate_checked"'):]
    assert 'data-testid="ends-hint"' not in checked[:checked.index("</details>")]
    # once something is recorded, the void form explains itself
    timur = web.browser("timur")
    recorded = timur.post(f"/cases/{case_id}/events", data={
        "csrf": web.csrf(timur), "event": "candidate_checked", "date": TODAY.isoformat(),
        "ev_result": "no_conflict", "note": ""})
    assert recorded.status_code == 303, recorded.text[:300]
    page = timur.get(f"/cases/{case_id}").text
    void = page[page.index('id="record-void"'):]
    assert 'data-testid="void-hint"' in void[:void.index("</details>")]
    assert "struck through" in void


def test_preferences_tick_no_telegram_without_a_chat_and_keep_what_was_typed(web: Web):
    b = web.browser("asel")
    with Session(web.engine) as s:
        assert s.exec(select(User).where(User.login == "asel")).one().telegram_chat_id is None
    page = b.get("/account/reminders").text
    assert re.search(r'value="email" checked', page)
    assert not re.search(r'value="telegram" checked', page)
    assert 'data-testid="telegram-not-linked"' in page
    before = web.dump()
    r = b.post("/account/reminders", data={"csrf": csrf_of(page), "channel": ["email"],
                                           "before": "5, x", "digest_hour": "7"})
    assert r.status_code == 422, r.text[:300]
    assert 'data-testid="prefs-error"' in r.text and "x" in r.text
    assert 'name="before" value="5, x"' in r.text and 'name="digest_hour" value="7"' in r.text
    assert re.search(r'value="email" checked', r.text)
    assert not re.search(r'value="telegram" checked', r.text)
    after = web.dump()
    assert {k: v for k, v in after.items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}
