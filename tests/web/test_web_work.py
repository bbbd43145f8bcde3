""""My work": an officer's first page lists the stages of the cases she
answers for across every process — the internal analysis, the procedures, the obligations —
overdue, due soon and done in the last 30 days, each with its Record action; not another
officer's; and the menu shows an overdue count for every role. Through the real application
on both backends; the expected rows are read straight from the database.

The world: the demo for TODAY, the four cases about a person of the education department
(tests/support/person_helpers.py: asel answers for three, kairat for the whistleblower's), the
obligations opened as the demo does, and one gift case of the department nobody is
responsible for (every officer of the department answers for it)."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.person_helpers import work_world  # noqa: F401 - the `ww` fixture
from tests.support.web_helpers import CALENDAR, TODAY, Web
from workflow import services as svc
from workflow.i18n import Translator
from workflow.storage.models import Case, Stage

DEPT = "AK-ALM-EDU"
DONE = ("done_on_time", "done_late")
SECTION = re.compile(r'<section class="work" data-section="(\w+)"[^>]*>(.*?)</section>', re.S)
ROW = re.compile(r'<tr class="(\w+)" data-case="(\d+)" data-stage="([^"]+)">(.*?)</tr>', re.S)
RECORD = re.compile(r'<a class="button" href="([^"]+)" data-testid="record">')


def expected(w: Web, login: str, section: str, within: int = 10) -> set[tuple[int, str]]:
    """(case, stage) of the stages of `login`'s own work in a section, from the tables."""
    horizon = CALENDAR.add_working_days(TODAY, within)
    with Session(w.engine) as s:
        user = svc.get_user(s, login)
        org = svc.org_by_id(s, user.organisation_id)
        out = set()
        for st, case in s.exec(select(Stage, Case).join(Case, Case.id == Stage.case_id)):
            mine = case.responsible_id == user.id or (
                user.role == "officer" and case.responsible_id is None
                and case.subject_id == org.id)
            visible = (st.subject_path == org.path if user.role == "officer"
                       else st.subject_path.startswith(org.path))
            if not (mine and visible):
                continue
            if section == "overdue":
                hit = st.status == "open" and st.due_date is not None and st.due_date < TODAY
            elif section == "due":
                hit = (st.status == "open" and st.due_date is not None
                       and TODAY <= st.due_date <= horizon)
            else:
                hit = st.status in DONE and TODAY - timedelta(days=30) <= st.done_on <= TODAY
            if hit:
                out.add((case.id, st.key))
        return out


def sections(page: str) -> dict[str, list[tuple[str, int, str, str]]]:
    """section -> [(row class, case, stage, row html)] of a My work page."""
    return {key: [(cls, int(cid), stage, body) for cls, cid, stage, body in ROW.findall(inner)]
            for key, inner in SECTION.findall(page)}


def processes_of(w: Web, cases: set[int]) -> set[str]:
    with Session(w.engine) as s:
        return {svc.get_case(s, c).process for c in cases}


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment))).strip()


def subtree_overdue(w: Web, code: str, exact: bool = False) -> int:
    """Open stages of cases past their due date under an organisation (straight count)."""
    with Session(w.engine) as s:
        path = svc.get_org(s, code).path
        return sum(1 for st in s.exec(select(Stage).where(Stage.case_id.is_not(None)))
                   if st.status == "open" and st.due_date is not None and st.due_date < TODAY
                   and (st.subject_path == path if exact else st.subject_path.startswith(path)))


def nav_count(page: str, which: str) -> int | None:
    found = re.search(rf'data-testid="nav-{which}-count">(\d+)<', page)
    return int(found.group(1)) if found else None


# -- an officer's first page -------------------------------------------------------------------


def test_officer_lands_on_her_work_after_login(ww: Web):
    c = ww.client()
    r = ww.post_login(c, "asel")
    assert r.status_code == 303 and r.headers["location"] == "/"
    r = c.get("/")
    assert r.status_code == 303 and r.headers["location"] == "/work"
    r = c.get("/work")
    assert r.status_code == 200
    got = {(cid, st) for _c, cid, st, _b in sections(r.text)["overdue"]}
    assert got and got == expected(ww, "asel", "overdue")


@pytest.mark.parametrize("login", ["nurlan", "erlan", "gulnar"])
def test_managers_and_admins_keep_their_subtree_home(ww: Web, login: str):
    r = ww.browser(login).get("/")
    assert r.status_code == 303 and r.headers["location"] != "/work"


@needs("planning")
@pytest.mark.parametrize("login", ["asel", "kairat", "marat"])
def test_my_work_lists_her_stages_across_processes_and_no_one_elses(ww: Web, login: str):
    page = ww.browser(login).get("/work")
    assert page.status_code == 200
    got = sections(page.text)
    for key in ("overdue", "due", "done"):
        assert {(cid, st) for _c, cid, st, _b in got[key]} == expected(ww, login, key), key
    if login == "asel":  # not vacuous: every section holds her stages of several processes
        overdue = {cid for _c, cid, _s, _b in got["overdue"]}
        assert {"internal_risk_analysis", "conflict_of_interest"} <= processes_of(ww, overdue)
        assert ww.analyses["edu"] in overdue and ww.analyses["coi"] in overdue
        assert ww.analyses["wb"] not in overdue  # kairat's
        assert got["due"] and got["done"]
        assert len(processes_of(ww, {cid for _c, cid, _s, _b in got["due"]})) >= 2
    if login == "kairat":
        overdue = {cid for _c, cid, _s, _b in got["overdue"]}
        assert ww.analyses["wb"] in overdue
        assert ww.analyses["edu"] not in overdue and ww.analyses["coi"] not in overdue
    # the case nobody answers for is on the work of every officer of its organisation
    mine = {cid for rows in got.values() for _c, cid, _s, _b in rows}
    assert (ww.analyses["unassigned"] in mine) is (login in ("asel", "kairat"))


def test_each_open_row_has_its_record_action(ww: Web):
    b = ww.browser("asel")
    page = b.get("/work").text
    got = sections(page)
    for key in ("overdue", "due"):
        for _cls, cid, stage, body in got[key]:
            link = RECORD.search(body)
            assert link, (key, cid, stage)
            href = html.unescape(link.group(1))
            assert href.startswith(f"/cases/{cid}") and href.endswith("#record")
            target = b.get(href.split("#", 1)[0])
            assert target.status_code == 200
            assert f'action="/cases/{cid}/events"' in target.text  # the record form is there
    for _cls, cid, _stage, body in got["done"]:
        assert RECORD.search(body) is None  # done: the case is opened, not recorded again
        assert f'href="/cases/{cid}"' in body


def test_rows_say_how_late_and_how_long_left_in_words(ww: Web):
    got = sections(ww.browser("asel").get("/work").text)
    with Session(ww.engine) as s:
        for cls, cid, stage, body in got["overdue"]:
            assert cls == "overdue"
            st = s.exec(select(Stage).where(Stage.case_id == cid, Stage.key == stage)).one()
            late = -svc.working_days_left(CALENDAR, st.due_date, TODAY)
            assert Translator("en").n("work.late_by", late) in text_of(body)
        for _cls, _cid, _stage, body in got["done"]:
            assert any(Translator("en")(f"status.{s_}") in text_of(body) for s_ in DONE)


def test_empty_sections_say_so_in_words(ww: Web):
    """A manager answers for no case herself: each section says so, with the link to her
    subtree's overdue list."""
    page = ww.browser("nurlan").get("/work")
    assert page.status_code == 200
    assert all(rows == [] for rows in sections(page.text).values())
    t = Translator("en")
    text = text_of(page.text)
    for message in (t("work.none_overdue"), t.n("work.none_due", 10), t.n("work.none_done", 30)):
        assert message in text and "work." not in message
    assert 'href="/overdue"' in page.text.split("<main", 1)[1]


def test_counts_use_the_plural_forms_of_each_language(ww: Web):
    b = ww.browser("asel")
    for lang, within, heading in (("ru", 1, "Срок в ближайший 1 рабочий день"),
                                  ("ru", 2, "Срок в ближайшие 2 рабочих дня"),
                                  ("ru", 5, "Срок в ближайшие 5 рабочих дней"),
                                  ("en", 1, "Due within 1 working day"),
                                  ("en", 5, "Due within 5 working days")):
        page = b.get(f"/work?within={within}&lang={lang}").text
        assert heading in text_of(page), (lang, within)
        n = len(sections(page)["overdue"])
        assert Translator(lang).n("work.stages", n) in text_of(page)
    page = b.get("/work?lang=kk").text
    assert "Менің жұмысым" in page and "work." not in text_of(page)
    page = b.get("/work?lang=ru").text
    assert "Моя работа" in page and "work." not in text_of(page)


@pytest.mark.parametrize("value", ["abc", "-1", "251", "99999999999999999999999"])
def test_a_bad_horizon_is_refused_in_words(ww: Web, value: str):
    b = ww.browser("asel")  # signed in first: the sign-in writes her session, the refusal nothing
    before = ww.dump()
    r = b.get(f"/work?within={value}")
    assert r.status_code == 422
    assert "Traceback" not in r.text
    assert ww.dump() == before


def test_anonymous_goes_to_login(ww: Web):
    r = ww.client().get("/work")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/work")


# -- the menu's overdue counts -----------------------------------------------------------------


@pytest.mark.parametrize("login, code, exact", [
    ("asel", DEPT, True),  # an officer: her organisation's overdue list
    ("nurlan", "AK-ALM", False),  # a manager: her subtree
    ("erlan", "AK-ALM", False),  # an admin: everything she sees
    ("gulnar", "MF", False),  # the other tree's manager
])
def test_the_menu_counts_overdue_stages_for_every_role(ww: Web, login: str, code: str,
                                                       exact: bool):
    b = ww.browser(login)
    for url in ("/work", "/cases", "/calendar/2025", "/account"):
        page = b.get(url).text
        want = subtree_overdue(ww, code, exact)
        assert want > 0
        assert nav_count(page, "overdue") == want, (login, url)
        assert nav_count(page, "work") == (len(expected(ww, login, "overdue")) or None), url
    # the list the menu links to shows as many rows as the count says
    overdue = b.get("/overdue").text
    assert len(re.findall(r"<tr[^>]*data-stage=", overdue)) == nav_count(overdue, "overdue")


def test_the_menu_count_is_labelled_in_words(ww: Web):
    page = ww.browser("asel").get("/work?lang=ru").text
    n = nav_count(page, "overdue")
    assert f'{n}<span class="visually-hidden"> {Translator("ru").n("nav.overdue_stages", n)}' \
        in page
    assert Translator("ru").n("nav.overdue_stages", 5) == "просроченных этапов"
    assert Translator("ru").n("nav.overdue_stages", 2) == "просроченных этапа"
    assert Translator("ru").n("nav.overdue_stages", 1) == "просроченный этап"


@needs("planning")
def test_the_count_follows_the_record(tmp_path, monkeypatch, db):
    """Recording the overdue stage lowers the counts by one (a fresh database)."""
    from tests.support.web_helpers import build, csrf_of

    monkeypatch.setenv("MERZIM_TODAY", TODAY.isoformat())
    w = build(db, tmp_path)
    b = w.browser("asel")
    page = b.get("/work").text
    before, mine = nav_count(page, "overdue"), nav_count(page, "work")
    cid, stage = next((cid, st) for _c, cid, st, _b in sections(page)["overdue"])
    with Session(w.engine) as s:
        defn = svc.definition_of(s, svc.Context(CALENDAR, w.app.state.registry, TODAY),
                                 svc.get_case(s, cid))
    event = defn.event_for_stage(stage)
    form = {"csrf": csrf_of(b.get(f"/cases/{cid}").text), "event": event.key,
            "date": TODAY.isoformat(), "number": "12-3/45", "signed_by": "A. Head",
            "url": "https://example.kz/doc"}
    r = b.post(f"/cases/{cid}/events", data=form)
    assert r.status_code == 303, r.text[:500]
    page = b.get("/work").text
    assert nav_count(page, "overdue") == before - 1
    assert (nav_count(page, "work") or 0) == mine - 1
    assert (cid, stage) in {(c, s_) for _x, c, s_, _b in sections(page)["done"]}
