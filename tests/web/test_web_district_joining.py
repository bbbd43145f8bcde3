"""A district joins with its units on the web (B-25): its officer opens the year so far from
its page; the отделы and the enterprise under it join with it on that day; her manager's
overdue count stays as it was, the units' earlier stages counted apart; the district's page
names the units that joined with it, a unit's page the day it joined, with whom and by whom;
opened again, the page says the district joined already. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
from datetime import date

from sqlmodel import Session, select

from tests.support.import_helpers import but_kept
from tests.support.web_helpers import TODAY, Web, csrf_of, joining_fixture, number_shown
from workflow import services as svc
from workflow.i18n import Translator, date_text
from workflow.services import obligations
from workflow.storage.models import Case, Organisation

ORG = "AK-ALM-NEW"  # a district joining today, under AK-ALM, which nurlan manages
UNITS = ("AK-ALM-NEW-EDU", "AK-ALM-NEW-ZKH", "AK-ALM-NEW-GKP")

# the district that joins today with two отделы and an enterprise; its officer
web_fixture = joining_fixture("web", ORG, "kk", (
    (UNITS[0], "Education department", "district_department"),
    (UNITS[1], "Housing department", "district_department"),
    (UNITS[2], "Communal enterprise", "quasi_state")))


def test_the_district_joins_with_its_units_and_its_pages_say_so(web: Web):
    nurlan = web.browser("nurlan")
    overdue_before = number_shown(nurlan.get("/overdue").text, "overdue-total")
    zhanar = web.browser("zhanar")
    page = zhanar.get(f"/orgs/{ORG}")
    r = zhanar.post(f"/orgs/{ORG}/backfill", data={"since": f"{TODAY.year}-01-01",
                                                 "csrf": csrf_of(page.text)})
    assert r.status_code == 200, r.text
    with Session(web.engine) as s:
        days = dict(s.exec(select(Organisation.code, Organisation.joined_on).where(
            Organisation.code.in_((ORG, *UNITS)))).all())
    assert days == {code: TODAY for code in (ORG, *UNITS)}
    listed = nurlan.get("/overdue").text
    assert number_shown(listed, "overdue-total") == overdue_before
    assert number_shown(listed, "before-joining-total") > 0
    for lang in ("en", "ru", "kk"):
        t = Translator(lang)
        reader = web.client(lang=lang)
        assert web.post_login(reader, "nurlan").status_code == 303
        district = reader.get(f"/orgs/{ORG}").text
        under = district[district.index('data-testid="org-joined-under"'):]
        under = under[:under.index("</ul>")]
        assert all(code in under for code in UNITS)
        unit = reader.get(f"/orgs/{UNITS[0]}").text
        joined = unit[unit.index('data-testid="org-joined-on"'):]
        joined = joined[:joined.index("</dd>")]
        assert date_text(TODAY, lang) in joined
        assert t("joining.joined_with", org="New district") in joined
        assert t("joining.joined_by", name="Zhanar Omarova") in joined
    # opened again (a second administrator meanwhile, say): nothing opened, said so
    again = zhanar.post(f"/orgs/{ORG}/backfill", data={"since": f"{TODAY.year}-01-01",
                                                     "csrf": csrf_of(page.text)})
    assert again.status_code == 200
    none = again.text[again.text.index('data-testid="backfill-none"'):]
    assert Translator("en")("backfill.joined_already", org="New district",
                            day=date_text(TODAY, "en")) in none


def test_a_hand_over_where_nobody_can_answer_says_why(web: Web):
    """The district's back-filled cases have no responsible officer until its units get one:
    handing one of the education department's over from the overdue page is refused with the
    reason (no active officer there yet), nothing changed."""
    with Session(web.engine) as s:
        ctx = svc.Context(web.app.state.calendar, web.app.state.registry, TODAY,
                          actor="test")
        obligations.open_year_so_far(s, ctx, ORG, date(TODAY.year, 1, 1))
        s.commit()
        case = s.exec(select(Case.id).join(Organisation, Organisation.id == Case.subject_id)
                      .where(Organisation.code == UNITS[0])).first()
    nurlan = web.browser("nurlan")
    csrf = csrf_of(nurlan.get("/overdue").text)
    before = web.dump()
    r = nurlan.post("/bulk", data={"csrf": csrf, "action": "assign", "back": "/overdue",
                                   "item": [str(case)], "login": "Someone"},
                    files={"files": ("", b"")})
    assert r.status_code == 409, r.text[-2000:]
    assert Translator("en")("rule.responsible_none", subject=UNITS[0]) in html.unescape(r.text)
    assert but_kept(web.dump()) == but_kept(before)
