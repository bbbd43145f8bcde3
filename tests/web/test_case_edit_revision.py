"""A case's correction form carries the case's revision, on SQLite and PostgreSQL: two officers
who loaded the form before each other's correction never silently revert it — the second is
refused in her language with the values as they are now, nothing of hers stored, and her
correction goes through from that page. And a correction's audit record tells what moved: an
actual date re-plans every stage counted from it, done ones included, and each is listed.

The world (tests/support/person_helpers.py): the demo plus four cases about a person in the
akimat's education department, among them a conflict-of-interest notice (notified 30 working
days ago, forwarded two days later) whose person both of the department's officers, Asel and
Kairat, see.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from tests.support.person_helpers import PERSON, person_web
from tests.support.web_helpers import Web, en, refusal_of, wd
from workflow.i18n import Translator
from workflow.storage.models import AuditRecord, Case, Stage

EDIT_FORM = re.compile(r'data-testid="edit-form".*?</form>', re.DOTALL)
INPUT = re.compile(r'<input[^>]*\bname="([^"]+)"[^>]*\bvalue="([^"]*)"')
NEW_POSITION = "Chief accountant (corrected)"


@pytest.fixture(name="ow")
def oracle_world(web: Web, tmp_path) -> Iterator[Web]:
    yield person_web(web.engine, tmp_path, web.analyses, web.programmes, cache=False)


def edit_form(page: str) -> dict[str, str]:
    """The correction form's values as the page gives them (what a browser would send)."""
    found = EDIT_FORM.search(page)
    assert found, "no correction form on the page"
    return {k: html.unescape(v) for k, v in INPUT.findall(found.group(0))}


def stored(w: Web, case_id: int) -> Case:
    with Session(w.engine) as s:
        return s.get(Case, case_id)


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_a_correction_from_a_stale_form_is_refused_with_the_current_values(ow: Web, lang: str):
    coi = ow.analyses["coi"]
    asel, kairat = ow.browser("asel"), ow.browser("kairat")
    kairat.cookies.set("merzim_lang", lang)
    asel_form = edit_form(asel.get(f"/cases/{coi}").text)
    kairat_form = edit_form(kairat.get(f"/cases/{coi}").text)  # both loaded the same values
    assert asel_form["revision"] == kairat_form["revision"]
    assert kairat_form["position"] == PERSON["coi"][1]
    # Asel corrects the position
    done = asel.post(f"/cases/{coi}/edit", data={**asel_form, "position": NEW_POSITION,
                                                  "reason": "Position typed wrong"})
    assert done.status_code == 303, done.text
    after_asel = ow.dump()
    # Kairat, from the page he loaded before, corrects the date: refused, nothing reverted
    notified = wd(-31).isoformat()
    refused = kairat.post(f"/cases/{coi}/edit", data={
        **kairat_form, "date_notified": notified, "reason": "Date typed wrong"})
    assert refused.status_code == 409
    assert refusal_of(refused.text) == Translator(lang)("rule.edit_stale", id=coi)
    assert ow.dump() == after_asel
    assert stored(ow, coi).person_position == NEW_POSITION
    # the form again, with the values as they are now (Asel's position, the stored date)
    shown = edit_form(refused.text)
    assert shown["position"] == NEW_POSITION
    assert shown["date_notified"] == wd(-30).isoformat()
    assert shown["revision"] != kairat_form["revision"]
    # his correction made again from that page goes through, and keeps hers
    again = kairat.post(f"/cases/{coi}/edit", data={
        **shown, "date_notified": notified, "reason": "Date typed wrong"})
    assert again.status_code == 303, again.text
    case = stored(ow, coi)
    assert case.person_position == NEW_POSITION and case.dates["notified"] == notified


def test_the_api_refuses_a_stale_revision(ow: Web):
    coi = ow.analyses["coi"]
    api, kairat = ow.api("asel"), ow.api("kairat")  # (their tokens stored now)
    revision = int(api.get(f"/api/v1/cases/{coi}").headers["etag"].strip('"'))
    first = api.patch(f"/api/v1/cases/{coi}", json={"position": NEW_POSITION,
                                                     "reason": "Typo", "revision": revision})
    assert first.status_code == 200 and int(first.headers["etag"].strip('"')) > revision
    before = ow.dump()
    stale = kairat.patch(f"/api/v1/cases/{coi}", json={
        "position": PERSON["coi"][1], "reason": "Typo", "revision": revision})
    assert stale.status_code == 409
    assert stale.json() == {"error": "rule.edit_stale", "message": en("rule.edit_stale", id=coi)}
    assert ow.dump() == before


def test_a_corrected_date_lists_every_stage_it_moved_done_ones_too(ow: Web):
    """The notice's date moved ten working days earlier: the forwarding (done two working days
    after the old date) is now due earlier, and late; the audit lists it with the others."""
    coi = ow.analyses["coi"]

    def stages() -> dict[str, tuple]:
        with Session(ow.engine) as s:
            rows = s.exec(select(Stage).where(Stage.case_id == coi)).all()
            return {st.key: (st.due_date, st.status) for st in rows}

    before = stages()
    assert before["forward"][1] == "done_on_time"
    r = ow.api("asel").patch(f"/api/v1/cases/{coi}", json={
        "dates": {"notified": wd(-40).isoformat()}, "reason": "The date was typed wrong"})
    assert r.status_code == 200, r.text
    after = stages()
    with Session(ow.engine) as s:
        (row,) = s.exec(select(AuditRecord).where(AuditRecord.action == "case.edit",
                                                  AuditRecord.entity_id == str(coi))
                        .order_by(col(AuditRecord.id))).all()
    edit = json.loads(row.payload)
    moved = {k: (old, new) for k, old, new in edit["moved"]}
    expected = {k: (str(before[k][0]), str(after[k][0])) for k in after
                if k in before and before[k][0] != after[k][0]}
    assert moved == expected and "forward" in moved  # a done stage, listed
    assert after["forward"][1] == "done_late"
    assert ["forward", "done_on_time", "done_late"] in edit["statuses"]
