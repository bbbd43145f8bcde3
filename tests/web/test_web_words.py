"""The pages in words: a whole number typed with its thousands apart ("4 500 000") is taken
on the form that opens a register's entry, and one spaced otherwise is refused with nothing
stored; a done stage's date is labelled in the reader's language (no raw "date:") and shown
as a date; the Procedure filter lists the procedures in the reader's alphabetical order.

The world is tests/support/registers_world.py's: aida is AK's officer."""

from __future__ import annotations

import html
import re

import pytest
from sqlmodel import Session, select

from tests.support.registers_world import (  # noqa: F401  (the `web` and `world` fixtures)
    web_fixture,
    world_fixture,
)
from tests.support.web_helpers import csrf_of
from workflow.core.collation import sort_key
from workflow.storage.models import Case


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
