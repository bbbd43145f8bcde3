"""A list per register with filters and export: /cases?process=KEY filtered
by the register's own fields — a choice as a select, a text as "contains", a whole number or a
date as from/to — and by the dates given at opening, the XLSX/CSV exports honouring the same
filters; a personal field (one that may name a person) offered and matched only for those who
see the persons; bad input refused in the reader's language with nothing stored.

The world is tests/support/registers_world.py's (built through the command line, once per backend): the
akimat AK's offence notices "=cmd" (criminal, Konaev, 250 000 tenge, detected 2026-03-10), "Old
Offender 2025" (administrative, 2025-11-01) and "Mistaken Entry" (criminal, 2026-05-01,
cancelled), the other akimat's "Other Org Offender" (criminal, 2026-04-01); AK's supervisor
"Supervisor Bekov" (ERDR 261234, a personal field) and two breaches of restrictions. aida is
AK's officer, bolat a manager of the agency above both, ruslan the other akimat's officer.
"""

from __future__ import annotations

import csv
import html
import io
import re

from sqlmodel import Session, select

from tests.support.databases import dump_tables
from tests.support.features import needs
from tests.support.registers_world import (  # noqa: F401  (the `web` and `world` fixtures)
    web_fixture,
    world_fixture,
)
from workflow.storage.models import Case

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans

NOTICES = "/cases?process=offence_notice"


def ids_by_person(web, process: str) -> dict[str, int]:
    with Session(web.engine) as s:
        return {c.person_name: c.id for c in s.exec(select(Case).where(Case.process == process))}


def listed(web, login: str, url: str) -> set[int]:
    r = web.browser(login).get(url)
    assert r.status_code == 200, r.text[:500]
    return {int(n) for n in re.findall(r'data-case="(\d+)"', r.text)}


def exported(web, login: str, url: str) -> list[int]:
    r = web.browser(login).get(url)
    assert r.status_code == 200, r.text[:500]
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    return [int(row[0]) for row in rows[1:]]


def test_a_choice_field_filters_the_register_and_its_exports(web):
    ids = ids_by_person(web, "offence_notice")
    criminal = {ids["=cmd"], ids["Mistaken Entry"], ids["Other Org Offender"]}
    assert listed(web, "bolat", f"{NOTICES}&f.category=criminal") == criminal
    assert listed(web, "bolat", f"{NOTICES}&f.category=administrative") == {
        ids["Old Offender 2025"]}
    # the officer sees her own organisation's only
    assert listed(web, "aida", f"{NOTICES}&f.category=criminal") == {ids["=cmd"],
                                                                    ids["Mistaken Entry"]}
    # the exports hold the same cases, newest first, with the register's columns
    assert exported(web, "bolat", "/cases.csv?process=offence_notice&f.category=criminal") \
        == sorted(criminal, reverse=True)
    r = web.browser("bolat").get("/cases.xlsx?process=offence_notice&f.category=administrative")
    assert r.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(r.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        ids["Old Offender 2025"]]


def test_dates_numbers_and_texts(web):
    ids = ids_by_person(web, "offence_notice")
    notice = ids["=cmd"]
    # a given date from/to, both ends included
    assert listed(web, "bolat", f"{NOTICES}&d.detected.from=2026-01-01&d.detected.to=2026-03-31"
                  ) == {notice}
    assert listed(web, "bolat", f"{NOTICES}&d.detected.from=2026-03-10&d.detected.to=2026-03-10"
                  ) == {notice}
    assert listed(web, "bolat", f"{NOTICES}&d.detected.from=2026-03-11&d.detected.to=2026-04-01"
                  ) == {ids["Other Org Offender"]}
    assert listed(web, "bolat", f"{NOTICES}&d.detected.to=2025-12-31") == {
        ids["Old Offender 2025"]}
    # a whole number from/to (a case without the value never matches)
    assert listed(web, "bolat", f"{NOTICES}&f.damage.from=250000") == {notice}
    assert listed(web, "bolat", f"{NOTICES}&f.damage.from=250001") == set()
    assert listed(web, "bolat", f"{NOTICES}&f.damage.to=250000") == {notice}
    # a text contains the words typed, in any case
    assert listed(web, "bolat", f"{NOTICES}&f.place=KONA") == {notice}
    assert listed(web, "bolat", f"{NOTICES}&f.place=Almaty") == set()
    # several filters: all of them
    assert listed(web, "bolat", f"{NOTICES}&f.category=criminal&d.detected.from=2026-04-01"
                  ) == {ids["Mistaken Entry"], ids["Other Org Offender"]}
    assert exported(web, "bolat", "/cases.csv?process=offence_notice&f.category=criminal"
                    "&d.detected.from=2026-04-01") == sorted(
        {ids["Mistaken Entry"], ids["Other Org Offender"]}, reverse=True)


def test_the_page_offers_the_registers_fields_in_the_readers_language(web):
    b = web.browser("bolat")
    page = b.get(f"{NOTICES}&lang=ru").text
    form = page.split('data-testid="register-filters"', 1)[1].split("</fieldset>", 1)[0]
    assert "Собственные поля реестра" in form
    assert re.search(r'<select name="f.category">.*?<option value="criminal" >', form, re.S)
    assert 'name="d.detected.from" type="date"' in form and 'name="d.detected.to"' in form
    assert 'name="f.damage.from"' in form and 'name="f.place"' in form
    # a register's filters only once a process is chosen; without one they are not applied
    b.get("/cases?clear=1")
    plain = b.get("/cases?f.category=criminal")
    assert 'data-testid="register-filters"' not in plain.text
    assert len(re.findall(r'data-case="\d+"', plain.text)) > 3


def test_a_personal_field_is_for_those_who_see_the_persons(web):
    bekov = ids_by_person(web, "manager_liability")["Supervisor Bekov"]
    url = "/cases?process=manager_liability&f.erdr_number=2612"
    # AK's officer sees the supervisor, and may filter by his ERDR number
    assert listed(web, "aida", url) == {bekov}
    assert 'name="f.erdr_number"' in web.browser("aida").get(
        "/cases?process=manager_liability").text
    # the manager above sees the case, not the person: the field is not offered, and refused
    page = web.browser("bolat").get("/cases?process=manager_liability")
    assert 'name="f.erdr_number"' not in page.text and f'data-case="{bekov}"' in page.text
    r = web.browser("bolat").get(url)
    assert r.status_code == 422
    assert "may name a person" in html.unescape(r.text)
    assert "261234" not in r.text
    r = web.browser("bolat").get(url.replace("/cases?", "/cases.csv?"))
    assert r.status_code == 422 and "261234" not in r.text


def test_bad_input_is_refused_in_the_readers_language_and_nothing_changes(web):
    before = dump_tables(web.engine)
    since = web.last_audit()
    b = web.browser("aida")
    for url, en_text in [
            (f"{NOTICES}&f.category=bribe", "“bribe” is not one of administrative, criminal"),
            (f"{NOTICES}&d.detected.from=10.03.2026", "“10.03.2026” is not a date"),
            (f"{NOTICES}&f.damage.to=lots", "“lots” is not a whole number"),
            (f"{NOTICES}&f.place={'x' * 201}", "200")]:
        r = b.get(url)
        assert r.status_code == 422, url
        assert en_text in html.unescape(r.text), (url, r.text[:2000])
        assert b.get(url.replace("/cases?", "/cases.xlsx?")).status_code == 422
    r = b.get(f"{NOTICES}&f.category=bribe&lang=kk")
    assert "мына мәндердің бірі емес" in html.unescape(r.text)
    r = b.get(f"{NOTICES}&f.category=bribe&lang=ru")
    assert "не одно из значений" in html.unescape(r.text)
    b.get("/cases?clear=1")
    after = dump_tables(web.engine)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {
        k: v for k, v in before.items() if k != "audit_log"}
    # the audit log holds each refusal (and a sign-in), nothing else
    refusals = [(who, what, details) for who, what, details in web.audit_since(since)
                if what not in ("login.ok", "user.password", "user.revoke")]
    assert refusals == [("web:aida", "refused", {"key": key, "path": path, "status": 422})
                        for key in ("cases.bad_choice", "error.bad_date", "error.bad_int",
                                    "error.too_long")
                        for path in ("/cases", "/cases.xlsx")] + [
        ("web:aida", "refused", {"key": "cases.bad_choice", "path": "/cases", "status": 422})] * 2


def counted_column(web, login: str, process: str) -> dict[int, str]:
    """Each listed entry's "counted" cell on the register's page."""
    r = web.browser(login).get(f"/registers/{process}")
    assert r.status_code == 200, r.text[:500]
    page = html.unescape(r.text)
    return {int(case): cell.strip() for case, cell in re.findall(
        r'data-case="(\d+)".*?data-testid="counted">([^<]*)<', page, re.S)}


@needs("scorecard")  # the register page (web/kit/registers.py) and its year rule
def test_the_register_page_says_whether_and_in_which_year_each_entry_counts(web, world):
    """The list counts as the score and the forms do (B-17): a notice in the year its letter
    was sent — a December notice sent in January in January's year; a notice whose letter was
    voided pending, in no year; a cancelled one not at all. (Last in this module: it adds
    entries to the world.)"""
    from tests.support.registers_world import _ok, _open, _record

    m = world["m"]
    ids = ids_by_person(web, "offence_notice")
    december = _open(m, "offence_notice", "AK", "2026-12-21", "December Offender", "Clerk",
                     {"category": "administrative"}, {"detected": "2026-12-20"})
    _record(m, december, "notice_sent", "2027-01-12", "2027-01-12", letter="01-02/7")
    voided = _open(m, "offence_notice", "AK", "2026-12-15", "Voided Letter", "Clerk",
                   {"category": "criminal"}, {"detected": "2026-12-01"})
    _record(m, voided, "notice_sent", "2026-12-05", "2026-12-15", letter="WRONG-1")
    _ok(m("void", str(voided), "notice_sent", "--note", "sent to the wrong body",
          today="2026-12-15"))
    cells = counted_column(web, "aida", "offence_notice")
    assert cells[ids["=cmd"]] == "Counted: 2026"
    assert cells[ids["Old Offender 2025"]] == "Counted: 2025"
    assert cells[ids["Mistaken Entry"]] == "Not counted"
    assert cells[december] == "Counted: 2027"
    assert cells[voided] == "Pending: its date is not recorded, counted in no year yet"
    ru = web.browser("aida").get("/registers/offence_notice?lang=ru")
    assert "Учитывается: 2027" in html.unescape(ru.text)
