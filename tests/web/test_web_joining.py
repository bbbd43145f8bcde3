"""Joining mid-year on the web (B-25): the officer opens her organisation's year so far from
its page; her manager's overdue list keeps its ordinary count and shows the earlier stages
apart, with their own count, as do his overview and her work page, each in the reader's
language. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, func, select

from tests.support.import_helpers import but_kept, confirm, csv_of, upload
from tests.support.web_helpers import TODAY, Web, csrf_of, joining_fixture, number_shown
from workflow.i18n import Translator, period_name
from workflow.storage.models import Case, Organisation, Stage

MEETING = "akim_commission_meeting"
ORG = "AK-ALM-NEW"  # a district joining today, under AK-ALM, which nurlan manages

# the district that joins today, and its officer (zhanar, reading Kazakh)
web_fixture = joining_fixture("web", ORG, "kk")


@pytest.mark.slow
def test_the_year_so_far_is_counted_apart_on_every_page(web: Web):
    nurlan = web.browser("nurlan")
    overdue_before = number_shown(nurlan.get("/overdue").text, "overdue-total")
    assert 'data-testid="before-joining"' not in nurlan.get("/overdue").text
    zhanar = web.browser("zhanar")
    page = zhanar.get(f"/orgs/{ORG}")
    r = zhanar.post(f"/orgs/{ORG}/backfill", data={"since": f"{TODAY.year}-01-01",
                                                 "csrf": csrf_of(page.text)})
    assert r.status_code == 200, r.text
    # her manager: the ordinary count as before, the earlier stages apart
    listed = nurlan.get("/overdue").text
    assert number_shown(listed, "overdue-total") == overdue_before
    apart = number_shown(listed, "before-joining-total")
    with Session(web.engine) as s:
        org = s.exec(select(Organisation).where(Organisation.code == ORG)).one()
        backfilled = s.exec(select(Case.id).where(Case.subject_id == org.id,
                                                  Case.typed_on == TODAY,
                                                  Case.period.is_not(None))).all()
    assert apart > 0 and backfilled
    overview = nurlan.get("/overview").text
    assert 'data-testid="before-joining-by-org"' in overview
    assert number_shown(overview, "before-joining-by-org-total") == apart
    # her work page and a back-filled case's page, in each language
    for lang in ("kk", "ru", "en"):
        t = Translator(lang)
        reader = web.client(lang=lang)
        assert web.post_login(reader, "zhanar").status_code == 303
        work = reader.get("/work").text
        assert 'data-section="before_joining"' in work and t("joining.list_title") in work
        assert t("status.before_joining") in work
        assert 'data-testid="count-overdue">' + t.n("work.stages", 0) in work
        shown = [reader.get(f"/cases/{i}").text for i in backfilled]
        assert any(t("status.before_joining") in p for p in shown)


def _meeting(web: Web, period: str) -> Stage:
    with Session(web.engine) as s:
        return s.exec(select(Stage).join(Case, Case.id == Stage.case_id).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Organisation.code == ORG, Case.process == MEETING, Case.period == period)).one()


def test_her_sheet_of_done_work_is_recorded_from_the_web(web: Web):
    """The register import's page takes the sheet: each row recorded on its opened period on
    its own date, nothing opened; a sheet with a row matching no opened period is refused with
    the reason, nothing stored."""
    zhanar = web.browser("zhanar")
    page = zhanar.get(f"/orgs/{ORG}")
    assert zhanar.post(f"/orgs/{ORG}/backfill", data={
        "since": f"{TODAY.year}-01-01", "csrf": csrf_of(page.text)}).status_code == 200
    form = f"/registers/{MEETING}/import"
    before = web.dump()
    refused = upload(zhanar, csv_of("subject,period_start,event,on",
                                    f"{ORG},,meeting_held,{TODAY.year}-03-20",
                                    f"{ORG},{TODAY.year - 1}-10-01,meeting_held,"
                                    f"{TODAY.year - 1}-12-20"), "done.csv", form)
    assert refused.status_code == 409 and "Traceback" not in refused.text
    said = refused.text.replace("&#39;", "'")  # the unit, the period in words, its year
    assert period_name(f"{TODAY.year - 1}Q4", "en") in said and "The year so far" in said
    assert f"obligations sync --from {TODAY.year - 1}-01-01 --org {ORG}" in said
    assert but_kept(web.dump()) == but_kept(before)
    with Session(web.engine) as s:
        cases = s.exec(select(func.count()).select_from(Case)).one()
    preview = upload(zhanar, csv_of("subject,period_start,event,on,number",
                                    f"{ORG},,meeting_held,{TODAY.year}-03-20,1",
                                    f"{ORG},{TODAY.year}-04-01,meeting_held,"
                                    f"{TODAY.year}-07-02,2"), "done.csv", form)
    assert preview.status_code == 200, preview.text[-2000:]
    en = Translator("en")  # the preview and the answer say recorded, never opened
    assert en.n("import.would_record", 2) in preview.text
    assert en.n("import.would_open", 2) not in preview.text
    done = confirm(zhanar, preview.text, form)
    assert done.status_code in (200, 303), done.text[-2000:]
    if done.status_code == 200:
        assert en.n("import.recorded", 2) in done.text and en.n("import.done", 2) not in done.text
    with Session(web.engine) as s:
        assert s.exec(select(func.count()).select_from(Case)).one() == cases
    q1, q2 = _meeting(web, f"{TODAY.year}Q1"), _meeting(web, f"{TODAY.year}Q2")
    assert (q1.status, q1.done_on) == ("done_on_time", date(TODAY.year, 3, 20))
    assert (q2.status, q2.done_on) == ("done_late", date(TODAY.year, 7, 2))
