"""Recording on a case page, through the real application on both backends.

An officer records what happened: the page answers a success with a redirect (303) to the case,
where a confirmation shows once at the top; a refusal with the case page itself, every problem
at once at the top and beside its field, the form open with what was typed, nothing stored.
Each event's form asks only for what its definition needs, the required inputs marked.
Closing a stage as not done and voiding a record take a reason and a confirmation step before
anything is saved.
"""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient

from tests.support.features import module_of
from tests.support.web_helpers import DEFINITION, EN, TODAY, Web, en, form_block, refusal_of, wd
from workflow.core.errors import quoted
from workflow.i18n import Translator

FLASH = "merzim_flash"


def name(key: str, lang: str = "en") -> str:
    return DEFINITION.events[key].names[lang]


def notice_of(page: str) -> str | None:
    found = re.search(r'data-testid="recorded">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else None


def problems_of(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'data-testid="refusal">([^<]*)<', page)]


def state_of(page: str) -> str:
    return re.search(r'data-testid="state">([^<]*)<', page).group(1)


def stage_status(page: str, key: str) -> str:
    return re.search(rf'data-stage="{key}" data-status="([^"]+)"', page).group(1)


def at_top(page: str, marker: str) -> bool:
    """The marker comes before everything of the case but its title: the meta line, the forms,
    the timeline and the stages."""
    where = page.find(marker)
    return 0 <= where < page.find('class="meta"') and where > page.find("<h1")


NOTE = {"event": "analytic_note", "date": TODAY.isoformat(), "number": "21-ө",
        "signed_by": "Head of department", "note": ""}


# -- success: 303, then the confirmation once ----------------------------------------------------


def test_a_record_redirects_and_its_confirmation_shows_once_at_the_top(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    r = b.post(f"/cases/{edu}/events", data={**NOTE, "csrf": csrf})
    assert r.status_code == 303
    assert r.headers["location"] == f"/cases/{edu}", "a clean address: nothing to show twice"
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{FLASH}=") and f"Path=/cases/{edu}" in cookie
    assert "HttpOnly" in cookie and "Max-Age=120" in cookie

    page = b.get(f"/cases/{edu}")
    assert page.status_code == 200
    expected = en("record.saved", event=name("analytic_note"), date=TODAY.isoformat())
    assert notice_of(page.text) == expected
    assert at_top(page.text, 'data-testid="recorded"')
    assert 'role="status"' in page.text
    assert f'{FLASH}=""' in page.headers["set-cookie"], "the page that shows it drops it"
    assert stage_status(page.text, "analytic_note") == "done_late"

    # reloading, or coming back to the case later, shows nothing
    assert notice_of(b.get(f"/cases/{edu}").text) is None
    assert notice_of(b.get(f"/analyses/{edu}").text) is None


def test_a_confirmation_is_for_its_own_session_and_case(web: Web):
    edu, ile = web.analyses["edu"], web.analyses["ile"]
    b = web.browser("asel")
    r = b.post(f"/cases/{edu}/events", data={**NOTE, "csrf": web.csrf(b)})
    assert r.status_code == 303
    value = re.match(rf"{FLASH}=([^;]+)", r.headers["set-cookie"]).group(1)
    # another session of the same officer (its own secret): the planted cookie shows nothing
    other = web.client()
    assert web.post_login(other, "asel").status_code == 303
    other.cookies.set(FLASH, value, path=f"/cases/{edu}")
    assert notice_of(other.get(f"/cases/{edu}").text) is None
    # a confirmation of one case is not shown on another's page, even sent there
    c = web.browser("asel")
    c.cookies.set(FLASH, value, path=f"/cases/{ile}")
    assert notice_of(c.get(f"/cases/{ile}").text) is None
    # a tampered one neither
    c.cookies.set(FLASH, value[:-1] + ("0" if value[-1] != "0" else "1"), path=f"/cases/{edu}")
    assert notice_of(c.get(f"/cases/{edu}").text) is None
    # the untouched one, in its own session: shown
    assert notice_of(b.get(f"/cases/{edu}").text)


def test_confirmations_in_the_readers_language(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    for lang in ("ru", "kk"):
        b.cookies.set("merzim_lang", lang)
        page = b.get(f"/cases/{edu}").text
        block = form_block(page, "record-positions_list")
        assert block is not None and {"number", "signed_by"} <= block.required
    b.cookies.set("merzim_lang", "ru")
    r = b.post(f"/cases/{edu}/events", data={**NOTE, "csrf": csrf})
    assert r.status_code == 303
    ru = Translator("ru")
    assert notice_of(b.get(f"/cases/{edu}").text) == ru(
        "record.saved", event=name("analytic_note", "ru"), date=TODAY.isoformat())
    # a refusal in Kazakh: each problem names its field in Kazakh, the count in its form
    b.cookies.set("merzim_lang", "kk")
    kk = Translator("kk")
    r = b.post(f"/cases/{edu}/events", data={"event": "positions_list", "date": "",
                                             "number": "", "signed_by": "", "csrf": csrf})
    assert r.status_code == 422
    assert problems_of(r.text) == [kk("record.required", field=kk("form.date")),
                                   kk("record.required", field=kk("form.number")),
                                   kk("record.required", field=kk("form.signed_by"))]
    assert kk.n("record.problems", 3) in html.unescape(r.text)


# -- refusals: every problem at once, the input kept, nothing stored -------------------------------


def test_every_problem_at_once_beside_its_field_input_kept_nothing_stored(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    before, since = web.dump(), web.last_audit()
    typed = {"event": "analytic_note", "date": "", "number": "", "signed_by": "  ",
             "note": "ж" * 501}
    r = b.post(f"/cases/{edu}/events", data={**typed, "csrf": csrf})
    assert r.status_code == 422, "a missing date is malformed input"
    expected = [en("record.required", field=en("form.date")),
                en("record.required", field=en("form.number")),
                en("record.required", field=en("form.signed_by")),
                EN.n("record.too_long", 500, field=en("form.note"))]
    assert problems_of(r.text) == expected
    assert EN.n("record.problems", 4) in html.unescape(r.text)
    assert at_top(r.text, 'data-testid="problems"') and 'role="alert"' in r.text
    # each beside its input, which says it is invalid
    for field, message in zip(("date", "number", "signed_by", "note"), expected, strict=True):
        ident = f"analytic_note-{field}"
        assert re.search(rf'id="{ident}"[^>]*aria-invalid="true" '
                         rf'aria-describedby="{ident}-error"', r.text, re.S), field
        assert f'id="{ident}-error">{html.escape(message, quote=False)}</span>' in r.text, field
    form = form_block(r.text, "record-analytic_note")
    assert form.open and form.values == {**{k: v for k, v in typed.items() if k != "event"},
                                         "approver_role": ""}
    assert not form_block(r.text, "record-positions_list").open, "only the event's own form"
    assert web.dump() == before
    audited = [(x, p.get("key"), p.get("keys")) for _a, x, p in web.audit_since(since)]
    assert audited == [("refused.event", "error.bad_date",
                        ["error.bad_date", "rule.missing_evidence", "rule.missing_evidence",
                         "rule.too_long"])]

    # the rules' refusals only (a date in the future, a link that is none): 409, all of them
    since = web.last_audit()
    tomorrow = wd(1).isoformat()
    r = b.post(f"/cases/{edu}/events",
               data={**NOTE, "date": tomorrow, "number": "", "url": "ftp://x", "csrf": csrf})
    assert r.status_code == 409
    assert problems_of(r.text) == [en("rule.future_date", date=tomorrow, today=TODAY.isoformat()),
                                   en("record.required", field=en("form.number")),
                                   en("record.bad_url", field=en("form.url"))]
    assert web.dump() == before
    assert [x for _a, x, _p in web.audit_since(since)] == ["refused.event"]

    # one problem: one message, the same place
    r = b.post(f"/cases/{edu}/events", data={**NOTE, "number": "", "csrf": csrf})
    assert r.status_code == 409
    assert problems_of(r.text) == [en("record.required", field=en("form.number"))]
    assert refusal_of(r.text) == en("record.required", field=en("form.number"))
    assert at_top(r.text, 'data-testid="refusal"') and 'data-testid="problems"' not in r.text
    assert web.dump() == before
    page = b.get(f"/cases/{edu}").text
    assert stage_status(page, "analytic_note") == "overdue" and notice_of(page) is None

    # and then right: saved
    r = b.post(f"/cases/{edu}/events", data={**NOTE, "csrf": csrf})
    assert r.status_code == 303
    assert web.stage(edu, "analytic_note").status == "done_late"


def test_a_rule_of_the_process_refuses_with_the_form_kept(web: Web):
    """The form offers what may be recorded; a stale page may still send what may not."""
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    before = web.dump()
    state = state_of(b.get(f"/cases/{edu}").text)
    r = b.post(f"/cases/{edu}/events", data={**NOTE, "event": "action_plan", "csrf": csrf})
    assert r.status_code == 409
    assert refusal_of(r.text) == en("rule.prerequisite", event=quoted(name("action_plan"), "en"),
                                    other=quoted(name("analytic_note"), "en"))
    assert state_of(r.text) == state
    assert web.dump() == before


# -- each event's form: what its definition asks -----------------------------------------------


def test_each_event_asks_only_for_what_its_definition_needs(web: Web):
    edu, done = web.analyses["edu"], web.analyses["mf_done"]
    page = web.browser("asel").get(f"/cases/{edu}").text
    note = form_block(page, "record-analytic_note")
    # a signed document also asks who approved it (optional; the cross-platform's check)
    assert set(note.values) == {"date", "number", "signed_by", "approver_role", "note"}
    assert note.required == {"date", "number", "signed_by"}
    positions = form_block(page, "record-positions_list")
    assert set(positions.values) == {"date", "number", "signed_by", "approver_role", "note"}
    end = form_block(page, "record-analysis_end")  # sets a date: nothing but the date and a note
    assert set(end.values) == {"date", "note"} and end.required == {"date"}
    cancel = form_block(page, "record-cancel")  # a cancellation gives its reason
    assert set(cancel.values) == {"date", "note"} and cancel.required == {"date", "note"}
    for block in (note, positions, end, cancel):
        assert "period" not in block.values, "a monitoring period only where one is needed"
        assert block.values["date"] == TODAY.isoformat() and not block.open
    # required inputs are marked to the eye as well: the mark and its legend
    assert page.count('<span class="req" aria-hidden="true">*</span>') >= 8
    assert en("record.required_legend") in html.unescape(page)
    # (+ not done, void, withdrawing the case and correcting it)
    assert page.count("novalidate") == page.count('data-testid="record-form"') + 4

    # the monitoring of a published analysis: its report and review name their period
    page = web.browser("aigerim").get(f"/cases/{done}").text
    report = form_block(page, "record-monitoring_report")
    assert set(report.values) == {"date", "period", "note"}
    assert report.required == {"date", "period"}

    # publication: one of two sets of details, neither required alone
    b = web.browser("asel")
    csrf = web.csrf(b)
    for event in ("analytic_note", "action_plan"):
        assert b.post(f"/cases/{edu}/events",
                      data={**NOTE, "event": event, "csrf": csrf}).status_code == 303
    page = b.get(f"/cases/{edu}").text
    publication = form_block(page, "record-publication")
    # version 5: a row per link with its channel (I-15), five rows, or one plain link;
    # version 6: why the note and the plan are not published (the justification note's)
    assert set(publication.values) == {"date", "url", "number", "signed_by", "approver_role",
                                       "ev_acting_reason", "ev_unpublished_reason", "note",
                                       *(f"l{x}_links_{n}" for x in "ck" for n in range(5))}
    assert publication.required == {"date"}
    one_of = en("record.one_of", groups=DEFINITION.evidence["links"].names["en"] + en("record.or")
                + en("form.url") + en("record.or") + en("form.number")
                + en("record.and") + en("form.signed_by"))
    assert one_of in html.unescape(page)
    r = b.post(f"/cases/{edu}/events", data={"event": "publication", "date": TODAY.isoformat(),
                                             "number": "7", "csrf": csrf})
    assert r.status_code == 409 and problems_of(r.text) == [one_of]


def test_a_link_to_one_events_form_opens_it(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    page = b.get(f"/cases/{edu}?event=positions_list").text
    assert form_block(page, "record-positions_list").open
    assert not form_block(page, "record-analytic_note").open
    page = b.get(f"/cases/{edu}?stage=analytic_note").text  # the stage its event completes
    assert form_block(page, "record-analytic_note").open
    page = b.get(f"/cases/{edu}?stage=no_such_stage&event=party").text
    assert not any(form_block(page, f"record-{e}").open for e in ("analytic_note", "cancel"))


# -- not done and void: a reason, and a confirmation step ---------------------------------------


def _confirm_form(page: str) -> dict[str, str]:
    form = re.search(r'data-testid="confirm-form">(.*?)</form>', page, re.S).group(1)
    return {k: html.unescape(v) for k, v in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)
            if k != "idempotency_key"}  # (new at each rendering: web/kit/once.py)


@pytest.mark.slow
def test_not_done_is_confirmed_before_it_is_saved(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    before, since = web.dump(), web.last_audit()
    reason = 'No positions changed "this year"'
    r = b.post(f"/cases/{edu}/not-done",
               data={"stage": "positions_list", "note": reason, "csrf": csrf})
    assert r.status_code == 200
    stage = DEFINITION.stage_name("positions_list", "en")
    assert html.unescape(re.search(r'data-testid="confirm-what">([^<]*)<', r.text).group(1)) \
        == en("record.confirm_not_done", what=stage)
    assert html.unescape(re.search(r'data-testid="confirm-reason">([^<]*)<', r.text).group(1)) \
        == reason
    assert f'href="/cases/{edu}" class="cancel"' in r.text
    assert _confirm_form(r.text) == {"csrf": csrf, "stage": "positions_list", "note": reason}
    assert 'name="confirm" value="yes"' in r.text
    # asking stores nothing, not even in the audit log
    assert web.dump() == before and web.last_audit() == since
    # cancel: the case as it was
    assert stage_status(b.get(f"/cases/{edu}").text, "positions_list") == "overdue"

    r = b.post(f"/cases/{edu}/not-done", data={**_confirm_form(r.text), "confirm": "yes"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{edu}"
    page = b.get(f"/cases/{edu}").text
    assert notice_of(page) == en("record.not_done_saved", stage=stage)
    assert at_top(page, 'data-testid="recorded"')
    assert stage_status(page, "positions_list") == "not_done"
    assert [x for _a, x, _p in web.audit_since(since)] == ["stage.not_done"]

    # confirmed again (a second tab): refused by the rule, nothing more stored
    after = web.dump()
    r = b.post(f"/cases/{edu}/not-done", data={"stage": "positions_list", "note": reason,
                                               "csrf": csrf, "confirm": "yes"})
    assert r.status_code == 409 and refusal_of(r.text)
    assert at_top(r.text, 'data-testid="refusal"')
    assert web.dump() == after


def test_a_refused_reason_keeps_the_form_open_with_the_input(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    before = web.dump()
    r = b.post(f"/cases/{edu}/not-done", data={"stage": "positions_list", "note": "  ",
                                               "csrf": csrf})
    assert r.status_code == 422
    assert refusal_of(r.text) == en("error.reason_required")
    assert at_top(r.text, 'data-testid="refusal"')
    form = form_block(r.text, "record-not-done")
    assert form.open and form.values == {"stage": "positions_list", "note": "  "}
    assert form.required == {"stage", "note"}
    r = b.post(f"/cases/{edu}/void", data={"record": "analysis_end", "note": "", "csrf": csrf})
    assert r.status_code == 422 and refusal_of(r.text) == en("error.reason_required")
    assert form_block(r.text, "record-void").open
    assert web.dump() == before


def test_void_is_confirmed_before_it_is_saved(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    csrf = web.csrf(b)
    page = b.get(f"/cases/{edu}").text
    record = re.search(r'<option value="(\d+)" >#\d+ ' + re.escape(name("public_discussion")),
                       page)
    assert record, "the public discussion is a record to void"
    rid = record.group(1)
    before, since = web.dump(), web.last_audit()
    r = b.post(f"/cases/{edu}/void", data={"record": rid, "note": "wrong date", "csrf": csrf})
    assert r.status_code == 200
    what = html.unescape(re.search(r'data-testid="confirm-what">([^<]*)<', r.text).group(1))
    assert what.startswith(en("record.confirm_void", what="#")[:30])
    assert f"#{rid} {name('public_discussion')} (" in what
    assert web.dump() == before and web.last_audit() == since
    # the record's number as the service takes it (a leading zero too): the same record
    again = b.post(f"/cases/{edu}/void", data={"record": f"0{rid}", "note": "wrong date",
                                               "csrf": csrf})
    assert again.status_code == 200 and f"#{rid} {name('public_discussion')} (" in again.text
    r = b.post(f"/cases/{edu}/void", data={**_confirm_form(r.text), "confirm": "yes"})
    assert r.status_code == 303
    page = b.get(f"/cases/{edu}").text
    notice = notice_of(page)
    assert notice and notice.startswith(en("record.void_saved", record=rid,
                                           event=name("public_discussion"), date="")[:20])
    assert f"#{rid}" in notice and name("public_discussion") in notice
    assert stage_status(page, "public_discussion") != "done_on_time"
    assert [x for _a, x, _p in web.audit_since(since)] == ["record.void"]
    assert notice_of(b.get(f"/cases/{edu}").text) is None


def test_the_confirmation_step_keeps_access_and_csrf(web: Web):
    """A manager is refused before any confirmation; another organisation's officer does not see
    the case; a confirmation without the session's token is refused."""
    edu = web.analyses["edu"]
    nurlan, aigerim, asel = (web.browser(login) for login in ("nurlan", "aigerim", "asel"))
    tokens = {login: web.csrf(b) for login, b in (("nurlan", nurlan), ("aigerim", aigerim))}
    before = web.dump()
    for action, data in (("not-done", {"stage": "positions_list", "note": "x"}),
                         ("void", {"record": "analysis_end", "note": "x"})):
        r = nurlan.post(f"/cases/{edu}/{action}", data={**data, "csrf": tokens["nurlan"]})
        assert r.status_code == 409 and refusal_of(r.text) == en("rule.cannot_record")
        assert 'data-testid="confirm"' not in r.text
        r = aigerim.post(f"/cases/{edu}/{action}", data={**data, "csrf": tokens["aigerim"]})
        assert r.status_code == 404
        r = asel.post(f"/cases/{edu}/{action}", data={**data, "confirm": "yes",
                                                      "csrf": tokens["nurlan"]})
        assert r.status_code in (403, 409) and 'data-testid="confirm"' not in r.text
    assert web.dump() == before


def test_the_confirmation_step_of_a_persons_case_hides_the_person(web: Web, tmp_path):
    from tests.support.person_helpers import NOT_WB, leaks, person_web

    w = person_web(web.engine, tmp_path, web.analyses, web.programmes, cache=True)
    wb = w.analyses["wb"]
    api = w.api("asel")
    assert api.post(f"/api/v1/cases/{wb}/not-done",
                    json={"stage": "protocol_to_agency", "note": "handled elsewhere"}
                    ).status_code == 200
    b: TestClient = w.browser("erlan")  # the admin, who does not see the whistleblower
    csrf = w.csrf(b)
    r = b.post(f"/cases/{wb}/void", data={"record": "protocol_to_agency", "note": "by mistake",
                                          "csrf": csrf})
    assert r.status_code == 200 and 'data-testid="confirm"' in r.text
    assert leaks(r.text, NOT_WB) == []
    r = b.post(f"/cases/{wb}/void", data={**_confirm_form(r.text), "confirm": "yes"})
    assert r.status_code == 303
    page = b.get(f"/cases/{wb}").text
    assert notice_of(page) and leaks(page, NOT_WB) == []


def test_an_organisation_evidence_is_chosen_from_the_subjects_subtree(web: Web):
    """The cartogram's update (a regional akimat's, I-7) names its section: a choice of the
    organisations under the akimat, in the reader's language, and a link."""
    from sqlmodel import Session

    from tests.support.web_helpers import CALENDAR
    from workflow import services as svc
    planning_svc = module_of("planning", "service")
    from workflow.services.demo import ORGS

    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    with Session(web.engine) as s:
        aid = planning_svc.plan_analysis(s, ctx, "AK-ALM", "AK-ALM-EDU", wd(-20)).analysis.id
        s.commit()
    b = web.browser("erlan")
    b.cookies.set("merzim_lang", "ru")
    page = b.get(f"/cases/{aid}").text
    block = form_block(page, "record-cartogram_update")
    assert block is not None and block.required == {"date", "ev_section", "ev_cartogram_part",
                                                    "url"}
    options = re.search(r'name="ev_section"[^>]*>(.*?)</select>', page, re.S).group(1)
    codes = re.findall(r'<option value="([^"]*)"', options)
    under = [code for code, _kind, parent, *_names in ORGS
             if code != "AK-ALM" and code.startswith("AK-ALM") or parent == "AK-ALM"]
    assert codes[0] == "" and sorted(codes[1:]) == sorted(under)
    ru_names = {code: names[1] for code, _kind, _parent, *names in ORGS}
    assert f'<option value="AK-ALM-EDU" >{ru_names["AK-ALM-EDU"]}</option>' in options

    csrf = web.csrf(b)
    before = web.dump()
    ru = Translator("ru")
    section = DEFINITION.evidence["section"].names["ru"]
    r = b.post(f"/cases/{aid}/events", data={"event": "cartogram_update",
                                             "date": TODAY.isoformat(), "ev_section": "",
                                             "url": "not a link", "csrf": csrf})
    assert r.status_code == 409
    part = DEFINITION.evidence["cartogram_part"].names["ru"]
    assert problems_of(r.text) == [ru("record.required", field=section),
                                   ru("record.required", field=part),
                                   ru("record.bad_url", field=ru("form.url"))]
    assert form_block(r.text, "record-cartogram_update").values["url"] == "not a link"
    assert web.dump() == before
    r = b.post(f"/cases/{aid}/events", data={"event": "cartogram_update",
                                             "date": TODAY.isoformat(), "ev_section": "AK-ALM-ILE",
                                             "ev_cartogram_part": "risks",
                                             "url": "https://almaty.gov.kz/c/1", "csrf": csrf})
    assert r.status_code == 303
    view = web.api("erlan").get(f"/api/v1/cases/{aid}").json()
    updates = [r for r in view["records"] if r["event"] == "cartogram_update"]
    assert [u["evidence"]["section"] for u in updates] == ["AK-ALM-ILE"]
