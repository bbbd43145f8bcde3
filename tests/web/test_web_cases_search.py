"""The cases list and its search: by number, process, subject, object,
person (only where the viewer may see the person: never revealed, not even by a count), state,
overdue stages and words; paged; the filters remembered across other pages, language switches
and coming back, until cleared or logout. Through the real application on both backends; the
expected cases are read straight from the database (the world of tests/support/person_helpers.py: the
demo, the four cases about a person, the obligations, an unassigned gift case)."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.person_helpers import (
    PERSON,
    work_world,  # noqa: F401 - the `ww` fixture
)
from tests.support.web_helpers import CALENDAR, TODAY, Web, csrf_of
from workflow import services as svc
from workflow.i18n import Translator
from workflow.storage.models import Case, Organisation, Stage

ONCE = re.compile(r'(?<=name="idempotency_key" value=")[^"]*')

CASES_COOKIE = "merzim_cases"
LINK = re.compile(r'<tr data-case="(\d+)"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')


def ids_of(b, url: str) -> list[int]:
    """Every case a search lists, following its pages."""
    out: list[int] = []
    while url:
        r = b.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:300])
        out += [int(x) for x in LINK.findall(r.text)]
        nxt = NEXT.search(r.text)
        url = "/cases" + html.unescape(nxt.group(1)) if nxt else None
    return out


def cases_under(w: Web, code: str, exact: bool = False) -> dict[int, tuple[Case, Organisation]]:
    with Session(w.engine) as s:
        path = svc.get_org(s, code).path
        return {c.id: (c, o) for c, o in s.exec(select(Case, Organisation).join(
            Organisation, Organisation.id == Case.subject_id))
            if (o.path == path if exact else o.path.startswith(path))}


def fresh(w: Web, login: str):
    """A browser of its own (no remembered filters of another test)."""
    c = w.client()
    assert w.post_login(c, login).status_code == 303
    return c


# -- each filter ---------------------------------------------------------------------------------


def test_the_whole_list_is_paged_newest_first(ww: Web):
    b = fresh(ww, "erlan")
    want = cases_under(ww, "AK-ALM")
    assert len(want) > 50  # more than one page
    got = ids_of(b, "/cases?q=")
    assert got == sorted(want, reverse=True)
    page = b.get("/cases?q=").text
    assert Translator("en").n("cases.found", len(want)) in page


def test_by_number(ww: Web):
    b = fresh(ww, "erlan")
    cid = ww.analyses["edu"]
    assert ids_of(b, f"/cases?number={cid}") == [cid]
    assert ids_of(b, f"/cases?number=%23{cid}") == [cid]  # "#12" as typed
    assert ids_of(b, f"/cases?number={ww.analyses['kgd']}") == []  # the other tree's: none


@needs("planning")
def test_by_process_subject_and_object(ww: Web):
    b = fresh(ww, "erlan")
    every = cases_under(ww, "AK-ALM")
    assert set(ids_of(b, "/cases?process=conflict_of_interest")) == {
        i for i, (c, _o) in every.items() if c.process == "conflict_of_interest"}
    edu = cases_under(ww, "AK-ALM-EDU")
    assert set(ids_of(b, "/cases?org=AK-ALM-EDU")) == set(edu) and len(edu) < len(every)
    with Session(ww.engine) as s:
        edu_id = svc.get_org(s, "AK-ALM-EDU").id
    objects = {i for i, (c, _o) in every.items() if c.object_id == edu_id}
    assert objects and set(ids_of(b, "/cases?object=AK-ALM-EDU")) == objects
    both = set(ids_of(b, "/cases?org=AK-ALM&process=internal_risk_analysis&object=AK-ALM-EDU"))
    assert both == {i for i in objects if every[i][0].process == "internal_risk_analysis"}


def test_by_state_today(ww: Web):
    b = fresh(ww, "erlan")
    every = cases_under(ww, "AK-ALM")
    ctx = svc.Context(CALENDAR, ww.app.state.registry, TODAY)
    with Session(ww.engine) as s:
        states = {i: svc.current_state(s, ctx, c) for i, (c, _o) in every.items()}
    for state in {states[ww.analyses["edu"]], states[ww.analyses["coi"]]}:
        want = {i for i, st in states.items() if st == state}
        assert want and set(ids_of(b, f"/cases?state={state}")) == want, state


def test_overdue_only(ww: Web):
    b = fresh(ww, "erlan")
    every = cases_under(ww, "AK-ALM")
    with Session(ww.engine) as s:
        late = {st.case_id for st in s.exec(select(Stage).where(Stage.status == "open"))
                if st.due_date is not None and st.due_date < TODAY and st.case_id in every}
    assert late and set(ids_of(b, "/cases?overdue=1")) == late
    page = b.get("/cases?overdue=1").text
    assert 'name="overdue" value="1" checked' in page


def test_words_match_names_in_any_language_and_case(ww: Web):
    """The Kazakh name of the health department, upper-cased: its cases (subject or object),
    on SQLite as on PostgreSQL."""
    b = fresh(ww, "erlan")
    with Session(ww.engine) as s:
        hlth = svc.get_org(s, "AK-ALM-HLTH")
    every = cases_under(ww, "AK-ALM")
    want = {i for i, (c, _o) in every.items() if hlth.id in (c.subject_id, c.object_id)}
    assert want
    for words in (hlth.name_kk.upper(), hlth.name_ru.lower(), hlth.name, "AK-ALM-HLTH"):
        assert set(ids_of(b, f"/cases?q={words}")) == want, words


# -- the person ----------------------------------------------------------------------------------


@pytest.mark.parametrize("login, key, seen", [
    ("asel", "coi", True),  # an officer of the department
    ("kairat", "wb", True),  # the whistleblower case's responsible officer
    ("erlan", "gift", True),  # the admin
    ("asel", "wb", False),  # not the whistleblower's responsible officer
    ("erlan", "wb", False),
    ("nurlan", "coi", False),  # a manager above: stages without the person
    ("marat", "coi", False),  # an officer of a sibling department: the case does not exist
])
def test_a_person_is_found_only_by_those_who_see_her(ww: Web, login: str, key: str, seen: bool):
    b = fresh(ww, login)
    name = PERSON[key][0]
    term = name.split()[-1].lower()  # "secretov-coi": part of the name, another case
    before, since = ww.dump(), ww.last_audit()
    for field in ("person", "q"):
        found = b.get(f"/cases?{field}={term}")
        assert found.status_code == 200
        got = {int(x) for x in LINK.findall(found.text)}
        assert got == ({ww.analyses[key]} if seen else set()), (field, got)
        if not seen:  # the same page, count included, as for a name nobody has
            nobody = b.get(f"/cases?{field}=zz-nobody-zz").text
            # (the forms' idempotency keys are new at each rendering)
            assert ONCE.sub("K", found.text) == ONCE.sub("K", nobody).replace(
                "zz-nobody-zz", term)
        assert name not in found.text  # a list never names the person
    assert ww.dump() == before
    assert "view.person_case" not in [a for _x, a, _p in ww.audit_since(since)]


def test_the_person_field_is_offered_only_to_those_who_may_see_persons(ww: Web):
    assert 'name="person"' in fresh(ww, "asel").get("/cases?q=").text
    assert 'name="person"' not in fresh(ww, "nurlan").get("/cases?q=").text


# -- remembered filters ----------------------------------------------------------------------


def test_filters_are_remembered_across_pages_and_languages_until_cleared(ww: Web):
    b = fresh(ww, "asel")
    url = "/cases?process=conflict_of_interest&overdue=1"
    want = ids_of(b, url)
    assert want
    assert b.get("/overdue").status_code == 200
    back = b.get("/cases")  # the menu's link
    assert back.status_code == 200
    assert [int(x) for x in LINK.findall(back.text)] == want
    assert 'value="conflict_of_interest" selected' in back.text
    r = b.get("/lang/ru?next=/cases")
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    ru = b.get("/cases")
    assert ru.status_code == 200 and '<html lang="ru">' in ru.text
    assert [int(x) for x in LINK.findall(ru.text)] == want
    assert Translator("ru").n("cases.found", len(want)) in ru.text
    assert b.get(f"/cases/{want[0]}").status_code == 200
    assert [int(x) for x in LINK.findall(b.get("/cases").text)] == want
    b.cookies.set("merzim_lang", "en")
    # clearing: every case again
    r = b.get("/cases?clear=1")
    assert r.status_code == 303 and r.headers["location"] == "/cases"
    everything = b.get("/cases")
    assert everything.status_code == 200
    assert len(LINK.findall(everything.text)) > len(want)
    assert 'data-testid="clear-filters"' not in everything.text


def test_an_empty_form_means_no_filter(ww: Web):
    b = fresh(ww, "asel")
    coi = ids_of(b, "/cases?process=conflict_of_interest")
    empty = "/cases?q=&number=&process=&org=&object=&person=&state="
    everything = ids_of(b, empty)
    assert len(everything) > len(coi)
    assert [int(x) for x in LINK.findall(b.get("/cases").text)] == everything[:50]


def test_filters_are_not_carried_to_another_user_and_end_at_logout(ww: Web):
    asel = fresh(ww, "asel")
    asel.get("/cases?process=conflict_of_interest")
    saved = asel.cookies.get(CASES_COOKIE)
    assert saved
    kairat = fresh(ww, "kairat")
    kairat.cookies.set(CASES_COOKIE, saved, path="/cases")
    mine = {int(x) for x in LINK.findall(kairat.get("/cases").text)}
    assert mine == {int(x) for x in LINK.findall(kairat.get("/cases?q=").text)}
    r = asel.post("/logout", data={"csrf": csrf_of(asel.get("/account").text)})
    assert r.status_code == 303
    assert f"{CASES_COOKIE}=" in r.headers.get("set-cookie", "")
    assert asel.cookies.get(CASES_COOKIE) is None


# -- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query, status, words", [
    ("number=abc", 422, "Case number"),
    ("number=99999999999999999999999", 422, "Case number"),
    ("state=no_such_state", 422, "no_such_state"),
    ("process=no_such_process", 404, "no_such_process"),
    ("q=" + "x" * 201, 422, "200"),
    ("page=0", 422, "0"),
])
def test_bad_filters_are_refused_in_words_and_change_nothing(ww: Web, query: str, status: int,
                                                             words: str):
    b = fresh(ww, "asel")
    before = ww.dump()
    r = b.get(f"/cases?{query}")
    assert r.status_code == status, r.text[:300]
    assert words in html.unescape(r.text)
    assert "Traceback" not in r.text
    assert ww.dump() == before
    assert b.cookies.get(CASES_COOKIE) is None  # a refused search is not remembered


@pytest.mark.parametrize("field", ["org", "object"])
def test_a_hidden_organisation_is_an_unknown_one(ww: Web, field: str):
    b = fresh(ww, "nurlan")
    hidden = b.get(f"/cases?{field}=MF-KGD-ALM")
    missing = b.get(f"/cases?{field}=NO-SUCH-ORG")
    assert hidden.status_code == missing.status_code == 404
    # (the same page but for each form's one-time idempotency key)
    once = re.compile(r'name="idempotency_key" value="[^"]*"')
    assert once.sub("", hidden.text) == once.sub("", missing.text).replace("NO-SUCH-ORG",
                                                                          "MF-KGD-ALM")


# -- a register's export -------------------------------------------------------------------------


@pytest.mark.parametrize("login, seen", [("asel", True), ("nurlan", False)])
def test_a_registers_export_has_its_columns_and_hides_the_person_from_managers_above(
        ww: Web, login: str, seen: bool):
    """/cases.xlsx with the filters of the list: every case found (not a page); filtered by one
    process, that process's person, position and given dates — the person only for those who
    may see her (an officer of the organisation), "hidden" for a manager above, each export of
    a person audited."""
    import io

    import openpyxl

    b = fresh(ww, login)
    since = ww.last_audit()
    r = b.get("/cases.xlsx?process=gift")
    assert r.status_code == 200, r.text[:300]
    assert "attachment" in r.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    header = rows[1] if rows[0][0] != "Case" else rows[0]
    assert header[:7] == ["Case", "Procedure", "Code", "Organisation", "Period", "Status",
                         "Overdue"]
    assert header[7:] == ["Person", "Position", "Received (or learned of)"]
    body = rows[rows.index(header) + 1:]
    listed = ids_of(b, "/cases?process=gift")
    assert listed and sorted(line[0] for line in body) == sorted(listed)
    line = next(x for x in body if x[0] == ww.analyses["gift"])
    assert (line[7] == PERSON["gift"][0]) is seen
    assert (line[7] == "hidden") is not seen
    # "Period": a gift has none, and its date is the register's own column, not repeated
    assert all(x[4] is None for x in body)
    audited = [(x, a) for x, a, _p in ww.audit_since(since) if a == "view.person_case"]
    assert len(audited) == len(body)
    # another format, and one the list does not have
    assert b.get("/cases.csv?process=gift").content.startswith("\ufeff".encode())
    assert b.get("/cases.pdf?process=gift").status_code == 422
