"""The pages in words: a whole number typed with its thousands apart ("4 500 000") is taken
on the form that opens a register's entry and in a register's range filters, and one spaced
otherwise is refused with nothing stored; a done stage's date is labelled in the reader's
language (no raw "date:") and shown as a date; the Procedure filter lists the procedures in the
reader's alphabetical order.

The world is tests/support/registers_world.py's: aida is AK's officer."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.registers_world import (  # noqa: F401  (the `web` and `world` fixtures)
    web_fixture,
    world_fixture,
)
from tests.support.web_helpers import csrf_of
from workflow.core.collation import sort_key
from workflow.storage.models import Case

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans


def _notice_form(damage: str, person: str = "Spaced Damage") -> dict[str, str]:
    return {"subject": "AK", "person": person, "position": "Clerk",
            "field_category": "administrative", "field_damage": damage,
            "date_detected": "2026-06-01"}


def _damages(web) -> list[object]:
    with Session(web.engine) as s:
        return sorted(str((c.fields or {}).get("damage")) for c in
                      s.exec(select(Case).where(Case.process == "offence_notice")).all())


@pytest.mark.parametrize("typed", ["4 500 000", "4\u00a0500\u00a0000", "4\u2009500\u2009000"])
def test_damage_with_its_thousands_apart_is_taken(web, typed):
    b = web.browser("aida")
    form = b.get("/cases/new/offence_notice").text
    assert 'data-testid="field-damage"' in form
    assert 'type=number' not in form.split('data-testid="field-damage"')[0].rsplit("<input", 1)[1]
    before = _damages(web)
    data = {"csrf": csrf_of(form), **_notice_form(typed, f"Offender {len(before)}")}
    r = b.post("/cases/new/offence_notice", data=data, follow_redirects=False)
    assert r.status_code == 303, html.unescape(r.text)[:800]
    with Session(web.engine) as s:
        case = s.get(Case, int(r.headers["location"].rsplit("/", 1)[1]))
        assert case is not None and case.fields["damage"] == 4_500_000
    assert len(_damages(web)) == len(before) + 1


def test_a_registers_range_filter_takes_a_number_with_its_thousands_apart(web):
    b = web.browser("aida")
    form = b.get("/cases/new/offence_notice").text
    r = b.post("/cases/new/offence_notice", follow_redirects=False, data={
        "csrf": csrf_of(form), **_notice_form("4500000", "Filtered Damage")})
    assert r.status_code == 303
    made = r.headers["location"].rsplit("/", 1)[1]

    def listed(**query) -> list[str]:
        page = b.get("/registers/offence_notice", params=query)
        assert page.status_code == 200, html.unescape(page.text)[:600]
        return re.findall(r'<tr data-case="(\d+)"', page.text)

    spaced = listed(**{"f.damage.from": "4 500 000", "f.damage.to": "4\u00a0500\u00a0000"})
    assert made in spaced
    assert spaced == listed(**{"f.damage.from": "4500000", "f.damage.to": "4500000"})
    assert made not in listed(**{"f.damage.from": "4 500 001"})


@pytest.mark.parametrize(("lang", "said"), [("en", "whole number"), ("ru", "цел"),
                                            ("kk", "бүтін")])
def test_damage_spaced_otherwise_is_refused_and_nothing_stored(web, lang, said):
    b = web.browser("aida")
    form = b.get("/cases/new/offence_notice").text
    before = web.dump()
    r = b.post(f"/cases/new/offence_notice?lang={lang}",
               data={"csrf": csrf_of(form), **_notice_form("45 00")})
    assert r.status_code in (409, 422), r.status_code
    assert said in html.unescape(r.text).lower()
    assert web.dump() == before


@pytest.mark.parametrize(("lang", "label"), [("kk", "Орындалған күні"),
                                             ("ru", "Дата исполнения"), ("en", "Done on")])
def test_a_done_stages_date_in_words(web, world, lang, label):
    r = web.browser("aida").get(f"/cases/{world['ids']['notice']}?lang={lang}")
    assert r.status_code == 200
    text = html.unescape(r.text)
    shown = re.findall(r'data-evidence="date">([^<]*)<time datetime="([0-9-]+)">', text)
    assert shown, text[:2000]
    assert all(words.strip().rstrip(":").lower() == label.lower() for words, _ in shown), shown
    assert 'data-evidence="date">date:' not in text


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_procedure_filter_in_the_readers_alphabetical_order(web, lang):
    text = html.unescape(web.browser("aida").get(f"/cases?lang={lang}").text)
    select_ = text.split('<select name="process">', 1)[1].split("</select>", 1)[0]
    names = re.findall(r'<option value="\w+"[^>]*>([^<]*)</option>', select_)
    assert len(names) > 5
    assert names == sorted(names, key=lambda n: sort_key(n, lang))


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_duplicate_warning_names_the_organisation_and_asks_once(web, lang):
    from workflow.services import org_name
    from workflow.storage.models import Organisation

    with Session(web.engine) as s:
        ak = s.exec(select(Organisation).where(Organisation.code == "AK")).one()
        named = org_name(ak, lang)
    b = web.client(lang=lang)
    web.post_login(b, "aida")
    form = b.get("/cases/new/offence_notice").text
    before = web.dump()
    same = {"subject": "AK", "person": "Twice Reported", "position": "Clerk",
            "field_category": "criminal", "date_detected": "2026-07-01"}
    r = b.post("/cases/new/offence_notice", data={"csrf": csrf_of(form), **same},
               follow_redirects=False)
    if r.status_code == 303:  # the first of the two (the same in each language's run)
        before = web.dump()
        r = b.post("/cases/new/offence_notice", data={"csrf": csrf_of(form), **same})
    assert r.status_code == 409, r.status_code
    text = html.unescape(r.text)
    said = text.split('role="alert"', 1)[1].split("</", 1)[0]
    assert named in said and "--duplicate-reason" not in text, said
    assert not re.search(r"\bAK\b", said), said
    page_form = text.split('action="/cases/new/offence_notice"', 1)[1].split("</form>", 1)[0]
    assert page_form.count('type="submit"') == 1
    assert 'data-testid="plan-anyway"' in page_form
    assert web.dump() == before


@pytest.mark.parametrize(("lang", "year"), [("kk", "2026 ж."), ("ru", "2026 г."), ("en", "2026")])
def test_a_cases_period_by_its_name_in_the_list_and_its_export(web, lang, year):
    import io

    from openpyxl import load_workbook

    b = web.client(lang=lang)
    web.post_login(b, "aida")
    text = html.unescape(b.get("/cases?process=civil_servant_training").text)
    cells = re.findall(r'<td data-label="[^"]*">([^<]*)</td>\s*<td data-label="[^"]*"><time', text)
    assert year in cells, cells
    r = b.get("/cases.xlsx?process=civil_servant_training")
    rows = [[c.value for c in line] for line in load_workbook(io.BytesIO(r.content)).active.iter_rows()]
    assert any(line[4] == year for line in rows[1:]), rows[:3]


def test_a_date_on_the_score_page_and_the_notifications_never_wraps(web):
    css = web.browser("aida").get("/static/style.css").text
    rule = next(line for line in css.splitlines() if line.startswith("time,"))
    selectors = {s.strip() for s in rule.split("{", 1)[0].split(",")}
    assert {"time", "td[data-status]"} <= selectors and "white-space: nowrap" in rule
    score = web.browser("bolat").get("/score?org=GOV&year=2026").text
    assert re.search(r'<td data-label="[^"]*" class="[^"]*" data-status="', score)
