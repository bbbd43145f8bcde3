"""The officers' forms: recording an event through the analysis page, bad input answered with
the rule's message and nothing stored, CSRF on every form, bad query values on the pages."""

from __future__ import annotations

import html
import re
import time

import pytest
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.web_helpers import CALENDAR, DEFINITION, EN, TODAY, Web, en, form_block, refusal_of, wd
from workflow.core.errors import quoted
from workflow.storage.models import ApiToken, CalendarFeed, EventRecord, OutboxMessage, User


def stage_status(page: str, key: str) -> str:
    found = re.search(rf'data-stage="{key}" data-status="([^"]+)"', page)
    assert found, key
    return found.group(1)


def state_of(page: str) -> str:
    return html.unescape(re.search(r'data-testid="state">([^<]*)<', page).group(1))


def state_name(state: str, lang: str = "en") -> str:
    """A state's display name: the definition's (not the catalogue's)."""
    return DEFINITION.states[state][lang]


def event_name(key: str, lang: str = "en") -> str:
    return DEFINITION.events[key].names[lang]


def test_officer_records_through_the_form(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    page = b.get(f"/analyses/{edu}")
    assert page.status_code == 200
    assert stage_status(page.text, "analytic_note") == "overdue"
    assert state_of(page.text) == state_name("ended")
    assert 'name="event" value="analytic_note"' in page.text
    assert f'value="{TODAY.isoformat()}"' in page.text, "the date defaults to today"
    csrf = re.search(rf'action="/cases/{edu}/events" data-testid="record-form" novalidate>\s*'
                     r'<input type="hidden" name="csrf" value="([^"]+)"', page.text).group(1)
    since = web.last_audit()
    r = b.post(f"/cases/{edu}/events",
               data={"csrf": csrf, "event": "analytic_note", "date": TODAY.isoformat(),
                     "number": "21-ө", "signed_by": "Head of department", "url": "", "note": ""})
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/cases/{edu}"
    assert [(a, x) for a, x, _p in web.audit_since(since)] == [("web:asel", "event.analytic_note")]
    page = b.get(r.headers["location"])
    assert re.search(r'data-testid="recorded">Recorded: [^<]+\.<', page.text)
    assert stage_status(page.text, "analytic_note") == "done_late"
    assert state_of(page.text) == state_name("note_signed")
    assert "21-ө" in page.text
    assert refusal_of(page.text) is None
    view = web.api("nurlan").get(f"/api/v1/analyses/{edu}").json()
    note = {st["key"]: st for st in view["stages"]}["analytic_note"]
    assert note["status"] == "done_late" and note["done_on"] == TODAY.isoformat()
    assert view["state"] == "note_signed"
    # the manager's overdue page no longer lists it
    overdue = web.api("nurlan").get("/api/v1/overdue?limit=500").json()["items"]
    assert not [x for x in overdue if x["analysis"] == edu and x["stage"] == "analytic_note"]


def test_bad_form_input_shows_the_message_and_stores_nothing(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    ok = {"event": "analytic_note", "date": TODAY.isoformat(), "number": "5", "signed_by": "Head",
          "url": "", "note": ""}
    tomorrow = wd(1).isoformat()
    cases = [
        ("wrong date", {"date": "2025-13-45"}, 422,
         "error.bad_date", en("error.bad_date", what=en("form.date"), value="2025-13-45")),
        ("not a date", {"date": "abc"}, 422,
         "error.bad_date", en("error.bad_date", what=en("form.date"), value="abc")),
        ("no date", {"date": ""}, 422, "error.bad_date",
         en("record.required", field=en("form.date"))),
        ("publication without the note", {"event": "publication"}, 409, "rule.prerequisite",
         en("rule.prerequisite", event=quoted(event_name("publication"), "en"),
            other=quoted(event_name("analytic_note"), "en"))),
        ("unknown event", {"event": "party"}, 409, "rule.unknown_event", None),
        ("future date", {"date": tomorrow}, 409, "rule.future_date",
         en("rule.future_date", date=tomorrow, today=TODAY.isoformat())),
        ("missing evidence", {"number": ""}, 409, "rule.missing_evidence",
         en("record.required", field=en("form.number"))),
        ("missing signer", {"signed_by": "  "}, 409, "rule.missing_evidence",
         en("record.required", field=en("form.signed_by"))),
        ("oversized note", {"note": "ж" * 501}, 409, "rule.too_long",
         EN.n("record.too_long", 500, field=en("form.note"))),
        ("oversized number", {"number": "1" * 501}, 409, "rule.too_long",
         EN.n("record.too_long", 500, field=en("form.number"))),
        ("oversized event", {"event": "e" * 501}, 409, "rule.too_long",
         en("rule.too_long", field="event", limit=500)),
        ("not a link", {"url": "ftp://example.kz/x"}, 409, "rule.bad_url", None),
    ]
    before = web.dump()
    for what, change, status, key, message in cases:
        since = web.last_audit()
        r = b.post(f"/cases/{edu}/events", data={**ok, **change, "csrf": csrf})
        assert r.status_code == status, (what, r.status_code)
        shown = refusal_of(r.text)
        assert shown, what
        if message is not None:
            assert shown == message, what
        else:
            assert shown != key and "{" not in shown, (what, shown)
        # the page keeps what was typed, the event's form open to try again
        typed = {**ok, **change}
        assert f'action="/cases/{edu}/events"' in r.text
        form = form_block(r.text, f"record-{typed['event']}")
        if typed["event"] == "analytic_note":
            assert form.open, what
            assert form.values == {**{k: typed[k] for k in ("date", "number", "signed_by", "note")},
                                   "approver_role": ""}  # a signed document: who approved it
        else:  # a crafted event the page does not offer: no form of it to open
            assert form is None, what
        assert web.dump() == before, what
        audited = [(x, p.get("key")) for _a, x, p in web.audit_since(since)]
        assert audited == [("refused.event", key)], (what, audited)
    page = b.get(f"/cases/{edu}").text
    assert stage_status(page, "analytic_note") == "overdue"

    # Recording follows real life (I-10): a note signed before the recorded end of the
    # analysis (wd(-14)) is no longer refused ("before the end"); it is stored as it happened.
    early = wd(-30)
    r = b.post(f"/cases/{edu}/events", data={**ok, "date": early.isoformat(), "csrf": csrf})
    assert r.status_code == 303, refusal_of(r.text)
    assert r.headers["location"] == f"/cases/{edu}"
    note = web.stage(edu, "analytic_note")
    assert (note.status, note.done_on) == ("done_on_time", early)
    with Session(web.engine) as s:
        rows = s.exec(select(EventRecord).where(EventRecord.case_id == edu,
                                                EventRecord.event == "analytic_note")).all()
    assert [(r.on, r.kind, r.actor) for r in rows] == [(early, "event", "web:asel")]
    # What still refuses is a hard prerequisite: the action plan needs the note, and may not
    # be dated before it.
    before = web.dump()
    since = web.last_audit()
    plan_day = wd(-31)
    r = b.post(f"/cases/{edu}/events", data={**ok, "event": "action_plan",
                                             "date": plan_day.isoformat(), "csrf": csrf})
    assert r.status_code == 409
    assert refusal_of(r.text) == en("rule.date_before",
                                    event=quoted(event_name("action_plan"), "en"),
                                    date=plan_day.isoformat(),
                                    other=quoted(event_name("analytic_note"), "en"),
                                    other_date=early.isoformat())
    assert web.dump() == before
    assert [(x, p.get("key")) for _a, x, p in web.audit_since(since)] == [
        ("refused.event", "rule.date_before")]


@pytest.mark.slow
def test_csrf_is_checked_on_every_form(web: Web):
    edu = web.analyses["edu"]
    asel = web.browser("asel")
    erlan = web.browser("erlan")
    good = web.csrf(asel)
    other_session = web.csrf(erlan)
    # a feed and a token to try to revoke
    r = asel.post("/account/feeds", data={"csrf": good, "scope": "user"})
    assert r.status_code == 200
    feed_url = re.search(r"<code>https?://testserver(/ics/[^<]+)</code>", r.text).group(1)
    r = asel.post("/account/tokens", data={"csrf": good, "name": "script"})
    assert r.status_code == 200
    with Session(web.engine) as s:
        feed_id = s.exec(select(CalendarFeed.id)).one()
        token_id = s.exec(select(ApiToken.id).where(ApiToken.name == "script")).one()
        asel_id = s.exec(select(User.id).where(User.login == "asel")).one()
        s.add(OutboxMessage(recipient_id=asel_id, channel="email", local_day=TODAY,
                            digest="d" * 64, address="asel@example.kz", subject="s", body_text="t",
                            body_html="<p>t</p>", status="failed", attempts=5,
                            last_error="550 mailbox unavailable", created_at=time.time()))
        s.commit()
        message_id = s.exec(select(OutboxMessage.id)).one()

    note = {"event": "analytic_note", "date": TODAY.isoformat(), "number": "5",
            "signed_by": "Head"}
    forms = [
        (asel, f"/cases/{edu}/events", note),
        (asel, f"/analyses/{edu}/events", note),  # the old address of the record form
        (asel, f"/cases/{edu}/not-done", {"stage": "analytic_note", "note": "not needed"}),
        (asel, f"/cases/{edu}/void", {"record": "analysis_end", "note": "wrong date"}),
        (asel, "/cases/new/internal_risk_analysis", {"object": "AK-ALM-EDU",
                                                     "date_start": wd(20).isoformat()}),
        (asel, "/account/feeds", {"scope": "user"}),
        (asel, "/account/feeds", {"scope": "organisation", "org": "AK-ALM-EDU"}),
        (asel, f"/account/feeds/{feed_id}/revoke", {}),
        (asel, "/account/tokens", {"name": "another"}),
        (asel, f"/account/tokens/{token_id}/revoke", {}),
        (asel, "/logout", {}),
        (erlan, "/outbox/retry", {}),
        (erlan, "/outbox/retry", {"message_id": str(message_id)}),
    ]
    before = web.dump()
    for browser, url, data in forms:
        mine = good if browser is asel else other_session
        theirs = other_session if browser is asel else good
        for label, extra in (("missing", {}), ("empty", {"csrf": ""}),
                             ("wrong", {"csrf": mine[:-2] + "xx"}),
                             ("another session's", {"csrf": theirs})):
            since = web.last_audit()
            r = browser.post(url, data={**data, **extra})
            assert r.status_code in (403, 409), (url, label, r.status_code)
            assert refusal_of(r.text) == en("error.csrf"), (url, label)
            assert web.dump() == before, (url, label)
            assert [x for _a, x, _p in web.audit_since(since)] == ["refused.csrf"], (url, label)
    # still signed in, the feed and the token still work, the message still failed
    assert asel.get("/due").status_code == 200
    assert web.client().get(feed_url).status_code == 200
    with Session(web.engine) as s:
        assert s.get(ApiToken, token_id).revoked_at is None
        assert s.get(OutboxMessage, message_id).status == "failed"
    # the control: with the right token the same forms work
    r = erlan.post("/outbox/retry", data={"csrf": other_session, "message_id": str(message_id)})
    assert r.status_code == 303 and r.headers["location"] == "/outbox"
    with Session(web.engine) as s:
        assert s.get(OutboxMessage, message_id).status == "pending"
    r = erlan.post("/outbox/retry", data={"csrf": other_session, "message_id": "abc"})
    assert r.status_code == 422
    r = asel.post(f"/cases/{edu}/not-done", data={"csrf": good, "stage": "analytic_note",
                                                  "note": "not needed", "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{edu}"
    assert web.stage(edu, "analytic_note").status == "not_done"
    assert asel.post("/logout", data={"csrf": good}).status_code == 303
    assert asel.get("/due").status_code == 303


@pytest.mark.slow
def test_bad_query_values_on_pages(world: Web):
    b = world.browser("nurlan")
    before = world.dump()
    for url in ("/due?within=abc", "/due?within=-1", "/due?within=999", "/overdue?year=abc",
                "/overdue.xlsx?year=abc", "/programmes?year=x", "/calendar/1999", "/calendar/abc",
                "/calendar/2999", "/overdue?as_of=yesterday", "/lang/de"):
        r = b.get(url)
        assert r.status_code == 422, url
        assert r.headers["content-type"].startswith("text/html")
        assert refusal_of(r.text), url
    for url in ("/analyses/abc", "/analyses/-1", "/cases/abc", "/cases/-1", "/cases/0",
                "/programmes/abc", "/programmes/abc.xlsx", "/overdue?org=NOPE", "/cases?org=NOPE",
                "/cases/new/no_such_process", "/cases?process=no_such_process",
                "/overdue?process=no_such_process", "/due?process=no_such_process",
                "/overdue.csv?process=no_such_process"):
        r = b.get(url)
        assert r.status_code == 404, url
        assert refusal_of(r.text), url
    # a harmless as_of works (the day a manager looks back to)
    r = b.get(f"/overdue?as_of={wd(-20).isoformat()}")
    assert r.status_code == 200
    assert world.dump() == before


def test_pages_in_three_languages(world: Web):
    b = world.browser("asel")
    edu = world.analyses["edu"]
    for lang in ("kk", "ru", "en"):
        for url in (f"/analyses/{edu}?lang={lang}", f"/cases/{edu}?lang={lang}"):
            page = b.get(url).text
            assert f'<html lang="{lang}">' in page
            assert DEFINITION.stage_name("analytic_note", lang) in html.unescape(page)
            assert state_of(page) == state_name("ended", lang), url
    anonymous = world.client(lang=None)
    r = anonymous.get("/lang/ru?next=/due")
    assert r.status_code == 303 and r.headers["location"] == "/due"
    assert "merzim_lang=ru" in r.headers["set-cookie"]
    assert 'lang="ru"' in anonymous.get("/login").text


@needs("monitoring")  # its reporting periods' stages
def test_monitoring_report_and_review_from_the_form_and_the_api(web: Web):
    """A report or review names its period (2025N1): the form offers the field when such an
    event is allowed, the API takes it in the body; without it the event is refused."""
    done = web.analyses["mf_done"]  # published, monitoring the 2025N1 period
    b = web.browser("aigerim")
    page = b.get(f"/cases/{done}")
    assert 'name="period"' in page.text
    assert 'name="period"' not in web.browser("asel").get(f"/cases/{web.analyses['edu']}").text
    csrf = web.csrf(b)
    report = {"csrf": csrf, "event": "monitoring_report", "date": TODAY.isoformat(),
              "number": "R-4", "signed_by": "", "url": "", "note": ""}
    before = web.dump()
    r = b.post(f"/cases/{done}/events", data={**report, "period": ""})
    assert r.status_code == 409 and refusal_of(r.text)
    assert web.dump() == before
    r = b.post(f"/cases/{done}/events", data={**report, "period": "2025N1"})
    assert r.status_code == 303, refusal_of(r.text)
    assert web.stage(done, "monitoring_report:2025N1").status == "done_on_time"
    review = web.stage(done, "monitoring_review:2025N1")
    assert review.status == "open" and review.due_date == CALENDAR.add_working_days(TODAY, 5)

    api = web.api("aigerim")
    r = api.post(f"/api/v1/cases/{done}/events",
                 json={"event": "monitoring_review", "date": TODAY.isoformat(), "number": "V-1",
                       "period": "2025N1"})
    assert r.status_code == 200, r.text
    assert web.stage(done, "monitoring_review:2025N1").status == "done_on_time"
    r = api.post(f"/api/v1/analyses/{done}/events",
                 json={"event": "monitoring_review", "date": TODAY.isoformat(),
                       "period": "2031Q1"})
    assert r.status_code == 409 and "2031Q1" in r.json()["message"]


def test_as_of_cannot_move_today_for_recording(web: Web):
    """?as_of= shows a page as on another day; it must not let a future date through."""
    kgd = web.analyses["kgd"]
    b = web.browser("aigerim")
    assert b.get(f"/cases/{kgd}?as_of={wd(30).isoformat()}").status_code == 200
    csrf = web.csrf(b)
    before = web.dump()
    r = b.post(f"/cases/{kgd}/events?as_of={wd(30).isoformat()}",
               data={"csrf": csrf, "event": "order", "date": wd(10).isoformat(),
                     "number": "1", "signed_by": "Head", "url": "", "note": ""})
    assert r.status_code == 422
    assert "as_of" in html.unescape(r.text)
    assert web.dump() == before
    # Without it the future date is refused by the rule, as always.
    r = b.post(f"/cases/{kgd}/events",
               data={"csrf": csrf, "event": "order", "date": wd(10).isoformat(),
                     "number": "1", "signed_by": "Head", "url": "", "note": ""})
    assert r.status_code == 409
    assert web.dump() == before


def test_not_done_void_and_open_through_the_forms(web: Web):
    """The case page's other forms: close a stage as not done (with the reason), void a wrong
    record, and open a new analysis; each refusal shows the message, stores nothing and is
    audited."""
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    page = b.get(f"/cases/{edu}").text
    assert 'data-testid="not-done-form"' in page and 'data-testid="void-form"' in page
    # the stages offered are the open ones, the records offered those that stand
    offered = re.search(r'data-testid="not-done-form" novalidate>(.*?)</form>', page,
                        re.S).group(1)
    assert 'value="positions_list"' in offered and 'value="order"' not in offered

    refusals = [
        ("not-done", {"stage": "positions_list", "note": ""}, 422, "error.reason_required"),
        ("not-done", {"stage": "order", "note": "done already"}, 409, "rule.stage_not_open"),
        ("not-done", {"stage": "party", "note": "x"}, 409, "rule.unknown_stage"),
        ("not-done", {"stage": "positions_list", "note": "ж" * 501}, 409, "rule.too_long"),
        ("void", {"record": "publication", "note": "x"}, 409, "rule.nothing_to_void"),
        ("void", {"record": "analysis_end", "note": "  "}, 422, "error.reason_required"),
    ]
    before = web.dump()
    for action, data, status, key in refusals:
        since = web.last_audit()
        r = b.post(f"/cases/{edu}/{action}", data={**data, "csrf": csrf})
        assert r.status_code == status, (action, data, r.status_code)
        shown = refusal_of(r.text)
        assert shown and shown != key and "{" not in shown, (action, data, shown)
        assert web.dump() == before, (action, data)
        audited = [(x, p.get("key")) for _a, x, p in web.audit_since(since)]
        assert audited == [(f"refused.{action.replace('-', '_')}", key)], (action, audited)

    r = b.post(f"/cases/{edu}/not-done", data={"stage": "positions_list",
                                               "note": "no positions changed", "csrf": csrf,
                                               "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{edu}"
    page = b.get(r.headers["location"]).text
    assert stage_status(page, "positions_list") == "not_done"
    assert en("record.not_done_saved", stage=DEFINITION.stage_name("positions_list", "en")) \
        in html.unescape(page)
    with Session(web.engine) as s:
        row = s.exec(select(EventRecord).where(EventRecord.case_id == edu,
                                               EventRecord.kind == "not_done")).one()
    assert (row.event, row.note, row.on, row.actor) == ("positions_list", "no positions changed",
                                                        TODAY, "web:asel")
    # voided by its number: it stays in the chain, marked void; the stage is overdue again
    r = b.post(f"/cases/{edu}/void", data={"record": str(row.id), "note": "closed by mistake",
                                           "csrf": csrf, "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{edu}"
    page = b.get(r.headers["location"]).text
    assert stage_status(page, "positions_list") == "overdue"
    with Session(web.engine) as s:
        assert s.get(EventRecord, row.id).voided_by_id is not None

    # opening an analysis from its form: the officer's own organisation, whatever is sent
    form = b.get("/cases/new/internal_risk_analysis")
    assert form.status_code == 200 and 'name="date_start"' in form.text
    assert 'name="subject"' not in form.text  # an officer opens for her own organisation
    before = web.dump()
    since = web.last_audit()
    r = b.post("/cases/new/internal_risk_analysis", data={"object": "AK-ALM-EDU", "csrf": csrf})
    assert r.status_code == 422
    # the web words it without the command line's flag, the date by its name
    assert refusal_of(r.text) == en("web.error.date_required", name="Start of the analysis")
    assert web.dump() == before
    assert [(x, p.get("key")) for _a, x, p in web.audit_since(since)] == [
        ("refused.open", "error.date_required")]
    r = b.post("/cases/new/internal_risk_analysis",
               data={"object": "AK-ALM-EDU", "subject": "AK-ALM-HLTH",
                     "date_start": wd(40).isoformat(), "csrf": csrf})
    assert r.status_code == 303, refusal_of(r.text)
    new_id = int(r.headers["location"].rsplit("/", 1)[1])
    view = web.api("asel").get(f"/api/v1/cases/{new_id}").json()
    assert (view["subject"], view["object"], view["planned_start"], view["state"]) == (
        "AK-ALM-EDU", "AK-ALM-EDU", wd(40).isoformat(), "planned")
    assert f'data-case="{new_id}"' in b.get("/cases").text
