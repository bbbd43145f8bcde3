"""The notification centre and per-person reminder preferences: what
concerns a person (her cases' stages overdue and due soon, records and withdrawals by others on
them, the cases handed to her) on /notifications, in the menu's bell and in
`GET /api/v1/notifications`; read and unread; her preferences (channels, days before a due
date, digest hour, mute a case, snooze a stage) honoured by the reminder planner; refusals
store nothing. Through the real application on both backends (the demo for TODAY); the
expected items are read straight from the tables."""

from __future__ import annotations

import re
from datetime import time, timedelta

from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.web_helpers import CALENDAR, TODAY, Web, csrf_of, web_fixture  # noqa: F401
from workflow import services as svc
from workflow.reminders import planner as reminders
from workflow.services import withdrawal
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import Case, Organisation, Stage, User

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans

ROW = re.compile(r'<tr data-kind="(\w+)" data-case="(\d+)" data-stage="([^"]*)" '
                 r'class="(unread|read)">')
BELL = re.compile(r'data-testid="nav-notices-count">(\d+)<')


def overdue_of(w: Web, login: str) -> set[tuple[int, str]]:
    """(case, stage) of the open stages past their due date of the cases `login` answers for."""
    with Session(w.engine) as s:
        user = svc.get_user(s, login)
        out = set()
        for st, case in s.exec(select(Stage, Case).join(Case, Case.id == Stage.case_id)):
            mine = case.responsible_id == user.id or (
                user.role == "officer" and case.responsible_id is None
                and case.subject_id == user.organisation_id)
            if (mine and case.withdrawn_at is None and st.status == "open"
                    and st.due_date is not None and st.due_date < TODAY):
                out.add((case.id, st.key))
        return out


def an_officer_with_overdue(w: Web) -> tuple[str, set[tuple[int, str]]]:
    with Session(w.engine) as s:
        logins = sorted(u.login for u in s.exec(select(User).where(User.role == "officer",
                                                                   User.active)))
    for login in logins:
        found = overdue_of(w, login)
        if found:
            return login, found
    raise AssertionError("the demo has an officer with overdue stages")


def api_items(w: Web, login: str, **params) -> dict:
    r = w.api(login).get("/api/v1/notifications", params={"limit": 500, "lang": "en", **params})
    assert r.status_code == 200, r.text
    return r.json()


def kinds(body: dict, kind: str) -> set[tuple[int, str]]:
    return {(i["case"], i["stage"]) for i in body["items"] if i["kind"] == kind}


def notify_settings(tmp_path, extra: str = ""):
    cfg = tmp_path / "merzim.toml"
    cfg.write_text('[reminders]\nchannels = ["email", "telegram"]\n' + extra, encoding="utf-8")
    return load_notify_settings(load_settings(path=cfg, env={}), env={}, require_secrets=False)


def test_api_lists_the_officers_overdue_stages_and_the_page_the_same_with_a_bell(web):
    login, overdue = an_officer_with_overdue(web)
    body = api_items(web, login)
    assert kinds(body, "overdue") == overdue
    assert body["unread"] == body["total"] == len(body["items"])
    first = next(i for i in body["items"] if i["kind"] == "overdue")
    with Session(web.engine) as s:
        case = svc.get_case(s, first["case"])
        subject = s.get(Organisation, case.subject_id)
        due = svc.stages_of(s, case)[first["stage"]].due_date
    assert first["due"] == due.isoformat() and first["unread"] is True
    assert first["days"] == CALENDAR.get_working_days_delta(due, TODAY)
    assert first["subject"] == subject.code and first["subject_name"] == subject.name
    assert first["stage_name"] and first["stage_name"] != first["stage"]

    b = web.browser(login)
    page = b.get("/notifications")
    assert page.status_code == 200
    rows = ROW.findall(page.text)
    assert {(int(c), st) for k, c, st, _ in rows if k == "overdue"} == overdue
    assert BELL.findall(page.text) == [str(body["unread"])]
    # the bell on every page, the same count
    assert BELL.findall(b.get("/work").text) == [str(body["unread"])]

    # mark one read: one fewer unread, on the page and in the API
    item = first["key"]
    r = b.post("/notifications/read", data={"csrf": csrf_of(page.text), "item": item})
    assert r.status_code == 303
    after = api_items(web, login)
    assert after["unread"] == body["unread"] - 1
    assert [i["unread"] for i in after["items"] if i["key"] == item] == [False]
    assert BELL.findall(b.get("/account").text) == [str(body["unread"] - 1)]
    # mark all read (the API's POST): no count left in the menu
    r = web.api(login).post("/api/v1/notifications/read", json={})
    assert r.status_code == 200 and r.json() == {"marked": body["unread"] - 1}
    assert api_items(web, login)["unread"] == 0
    assert BELL.findall(b.get("/notifications").text) == []


def test_only_her_own_items_and_no_name_of_a_person(web):
    login, overdue = an_officer_with_overdue(web)
    with Session(web.engine) as s:
        me = svc.get_user(s, login)
        others = [u.login for u in s.exec(select(User).where(User.active)) if u.id != me.id]
        names = {c.person_name for c in s.exec(select(Case)) if c.person_name}
    for other in others:
        assert not kinds(api_items(web, other), "overdue") & overdue - overdue_of(web, other)
    text = web.api(login).get("/api/v1/notifications").text
    assert not any(n in text for n in names)
    assert web.api(None).get("/api/v1/notifications").status_code == 401
    assert web.client().get("/notifications").status_code == 303  # to the sign-in page


def test_records_withdrawals_and_assignments_by_others(web):
    login, overdue = an_officer_with_overdue(web)
    case_id, stage = sorted(overdue)[0]
    setup = svc.Context(CALENDAR, web.app.state.registry, TODAY, actor="test-setup")
    with Session(web.engine) as s:
        me = svc.get_user(s, login)
        process = svc.get_case(s, case_id).process
        org = s.get(Organisation, me.organisation_id)
        colleague = svc.add_user(s, setup, "colleague", "A Colleague", "officer", org.code,
                                 "colleague@example.kz")
        s.commit()
        s.refresh(colleague)
    ctx = svc.Context(CALENDAR, web.app.state.registry, TODAY, actor=f"web:{colleague.login}",
                      language="en")
    with Session(web.engine) as s:
        svc.assign_responsible(s, ctx, case_id, colleague.login)
        s.commit()
    assert (case_id, stage) not in kinds(api_items(web, login), "overdue")
    back = svc.Context(CALENDAR, web.app.state.registry, TODAY,
                       actor=f"web:{colleague.login}", language="en")
    with Session(web.engine) as s:
        svc.assign_responsible(s, back, case_id, login)
        withdrawal.withdraw_case(s, back, case_id, "opened by mistake")
        s.commit()
    body = api_items(web, login)
    assert [(i["kind"], i["actor"]) for i in body["items"] if i["case"] == case_id] == [
        ("withdrawn", f"web:{colleague.login}"), ("assigned", f"web:{colleague.login}")]
    assert {i["process"] for i in body["items"] if i["case"] == case_id} == {process}
    # her own actions are not news to her
    own = svc.Context(CALENDAR, web.app.state.registry, TODAY, actor=f"web:{login}")
    assert all(i["actor"] != own.actor for i in body["items"])


def test_preferences_mute_and_snooze_on_the_page_and_in_the_planner(web, tmp_path):
    login, overdue = an_officer_with_overdue(web)
    muted_case, _stage = sorted(overdue)[0]
    snoozed = sorted(x for x in overdue if x[0] != muted_case)
    b = web.browser(login)
    form = b.get("/account/reminders")
    assert form.status_code == 200 and 'name="digest_hour"' in form.text
    assert 'href="/account/reminders"' in b.get("/account").text
    csrf = csrf_of(form.text)
    assert b.post("/account/reminders", data={"csrf": csrf, "channel": ["email"],
                                              "before": "3, 1", "digest_hour": "7"}
                  ).status_code == 303
    assert b.post("/account/reminders/mute", data={"csrf": csrf, "case": str(muted_case)}
                  ).status_code == 303
    until = TODAY + timedelta(days=7)
    for case_id, stage in snoozed:
        assert b.post("/account/reminders/snooze", data={
            "csrf": csrf, "case": str(case_id), "stage": stage, "until": until.isoformat()}
        ).status_code == 303
    body = api_items(web, login)
    assert not kinds(body, "overdue")  # every overdue item muted or snoozed
    page = b.get("/account/reminders").text
    assert 'value="3,1"' in page and 'value="7"' in page

    ns = notify_settings(tmp_path)
    ctx = svc.Context(CALENDAR, web.app.state.registry, TODAY, actor="worker", language="en")
    with Session(web.engine) as s:
        me = svc.get_user(s, login)
        person = next(r for r in reminders.recipients(s, TODAY) if r.id == me.id)
        assert person.channels == ("email",) and person.before == (3, 1)
        assert person.digest_hour == 7 and person.muted == {muted_case}
        assert person.snoozed == set(snoozed)
        mine = [d for d in reminders.preview(s, ctx, ns) if d.recipient.id == me.id]
        heard = {(ln.item.analysis_id, ln.item.stage_key) for d in mine for ln in d.lines}
        assert not heard & overdue
        # the digest hour: at 07:00 hers may be planned, the others' wait for 09:00
        assert reminders.digest_due(person, time(7, 0), ns.send_time)
        assert not reminders.digest_due(person, time(6, 59), ns.send_time)
        someone = next(r for r in reminders.recipients(s, TODAY) if r.digest_hour is None)
        assert not reminders.digest_due(someone, time(7, 0), ns.send_time)
        assert reminders.early_hours(s) == [7]
        # her channels: e-mail only, never Telegram
        assert reminders.address_for(person, "telegram") is None

    # a snooze ended: the item is back (the day after its end)
    ctx_later = svc.Context(CALENDAR, web.app.state.registry, until, actor="worker")
    with Session(web.engine) as s:
        person = next(r for r in reminders.recipients(s, ctx_later.today)
                      if r.id == svc.get_user(s, login).id)
        assert person.snoozed == set() and person.muted == {muted_case}

    # undo the mute: the case's items are listed again
    hold = re.search(r'action="/account/reminders/holds/(\d+)/release"', page)
    assert hold is not None
    assert b.post(f"/account/reminders/holds/{hold.group(1)}/release",
                  data={"csrf": csrf}).status_code == 303


def test_channels_chosen_none_writes_no_reminder_for_her(web, tmp_path):
    login, overdue = an_officer_with_overdue(web)
    ns = notify_settings(tmp_path)
    ctx = svc.Context(CALENDAR, web.app.state.registry, TODAY, actor="worker", language="en")
    b = web.browser(login)
    csrf = csrf_of(b.get("/account/reminders").text)
    assert b.post("/account/reminders", data={"csrf": csrf, "before": "",
                                              "digest_hour": ""}).status_code == 303
    with Session(web.engine) as s:
        me = svc.get_user(s, login)
        rows = reminders.plan_reminders(s, ctx, ns)
        assert rows and me.id not in {r.recipient_id for r in rows}
        s.rollback()


def test_refusals_store_nothing(web):
    login, overdue = an_officer_with_overdue(web)
    b = web.browser(login)
    csrf = csrf_of(b.get("/account/reminders").text)
    with Session(web.engine) as s:
        me = svc.get_user(s, login)
        elsewhere = s.exec(select(Case).where(Case.subject_id != me.organisation_id)).first()
    case_id, stage = sorted(overdue)[0]
    api = web.api(login)  # (its token made before the dump)
    before = web.dump()
    for url, data, status, words in [
        ("/account/reminders", {"csrf": csrf, "before": "5, x"}, 422, "x"),
        ("/account/reminders", {"csrf": csrf, "before": "99"}, 422, "99"),
        ("/account/reminders", {"csrf": csrf, "digest_hour": "24"}, 422, "24"),
        ("/account/reminders", {"csrf": csrf, "channel": ["fax"]}, 422, "fax"),
        ("/account/reminders", {"csrf": "wrong", "digest_hour": "7"}, 409, None),
        ("/account/reminders/mute", {"csrf": csrf, "case": str(elsewhere.id)}, 404, None),
        ("/account/reminders/mute", {"csrf": csrf, "case": "abc"}, 404, None),
        ("/account/reminders/snooze", {"csrf": csrf, "case": str(case_id), "stage": stage,
                                       "until": TODAY.isoformat()}, 422, TODAY.isoformat()),
        ("/account/reminders/snooze", {"csrf": csrf, "case": str(case_id), "stage": "nope",
                                       "until": "2099-01-01"}, 404, "nope"),
        ("/account/reminders/snooze", {"csrf": csrf, "case": str(case_id), "stage": stage,
                                       "until": "2025-13-01"}, 422, None),
        ("/account/reminders/holds/999999/release", {"csrf": csrf}, 404, None),
        ("/notifications/read", {"csrf": csrf, "item": "overdue:0:x:None"}, 404, None),
    ]:
        r = b.post(url, data=data)
        assert r.status_code == status, (url, data, r.status_code, r.text[:300])
        assert "Traceback" not in r.text
        if words:
            assert words in r.text, (url, data)
    r = api.post("/api/v1/notifications/read", json={"items": ["nope"]})
    assert r.status_code == 404 and r.json()["error"] == "notices.error_item"
    assert web.dump() == before
