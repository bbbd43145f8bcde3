"""The year so far from an organisation's page (/orgs/CODE): its officer, or a manager or an
administrator above it, opens the case of every recurring obligation for every period due since
a day, for the organisation and those under it, as `merzim obligations sync --from --org` opens
them, and the day it joined is kept (B-25); the page shows what was opened, per obligation and
period; again, nothing. A bad or a future day is refused in the reader's language; every
refusal changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from tests.support.databases import BACKENDS
from tests.support.web_helpers import (
    TODAY,
    Web,
    csrf_of,
    synced_demo,
)
from workflow.i18n import Translator, period_name
from workflow.storage.models import Case, Organisation

ORG = "AK-ALM-EDU"


@pytest.fixture(name="web", params=BACKENDS)
def web_fixture(request, tmp_path) -> Iterator[Web]:
    """The demo with every shipped definition, its obligations opened for TODAY as the demo's
    sync opens them (the current and the next period)."""
    with synced_demo(request.param, tmp_path) as web:
        yield web


def _periods(web: Web) -> set[tuple[str, str]]:
    with Session(web.engine) as s:
        return set(s.exec(select(Case.process, Case.period).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Organisation.code == ORG, Case.period.is_not(None))).all())


def test_an_administrator_opens_the_year_so_far(web: Web):
    admin = web.browser("erlan")  # the administrator of AK-ALM
    page = admin.get(f"/orgs/{ORG}")
    assert 'data-testid="org-backfill-form"' in page.text
    assert f'value="{TODAY.year}-01-01"' in page.text  # the year's first day, by default
    had = _periods(web)
    since = web.last_audit()
    r = admin.post(f"/orgs/{ORG}/backfill", data={"since": "01.09.2025",
                                                  "csrf": csrf_of(page.text)})
    assert r.status_code == 200, r.text
    new = _periods(web) - had
    assert ("preventive_work", "2025M09") in new and ("coi_training", "2025H2") not in new
    result = r.text[r.text.index('data-testid="backfill-result"'):]
    assert Translator("en")("backfill.web_opened", n=len(new)) in result
    items = re.findall(r"<li>(.*?)</li>", result[:result.index("</ul>")])
    assert len(items) == len(new)  # one organisation: one line per obligation and period
    assert any(period_name("2025M09", "en") in i and "1 organisation" in i for i in items)
    assert not any("2025M09" in i for i in items)  # a period by its name, never its code
    audit = web.audit_since(since)
    assert sum(1 for _actor, action, _p in audit if action == "case.open") == len(new)
    assert ("web:erlan", "obligations.sync") in {(a, act) for a, act, _p in audit}
    # again: nothing opened, nothing written
    before = web.dump()
    r = admin.post(f"/orgs/{ORG}/backfill", data={"since": "2025-09-01",
                                                  "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "Nothing to open" in r.text
    assert web.dump() == before


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_refusals_change_nothing(web: Web, lang):
    t = Translator(lang)
    reader = web.client(lang=lang)  # the administrator, reading in `lang`
    assert web.post_login(reader, "erlan").status_code == 303
    csrf = csrf_of(reader.get(f"/orgs/{ORG}").text)
    before = web.dump()
    for typed, message in (("1 Sept", t("backfill.web_bad_date", value="1 Sept")),
                           ("2026-02-01", t("error.backfill_from_future", since="2026-02-01",
                                            today=TODAY.isoformat())),
                           ("2001-01-01", None)):
        r = reader.post(f"/orgs/{ORG}/backfill", data={"since": typed, "csrf": csrf})
        assert r.status_code == 422 and "Traceback" not in r.text, (typed, r.status_code)
        assert 'data-testid="backfill-refusal"' in r.text
        if message is not None:
            assert message.replace("“", "&#8220;") in r.text or message in r.text \
                or message.replace("«", "&#171;") in r.text, (typed, message)
        assert web.dump() == before, typed


def test_her_officer_or_a_manager_above_opens_the_year_so_far(web: Web):
    """B-25: the officer of the organisation, or a manager or an administrator above it (who
    sees it: services/obligations.py `may_open_year`); anyone else is answered as if it did
    not exist, and nothing is stored."""
    admin = web.browser("erlan")
    csrf = csrf_of(admin.get(f"/orgs/{ORG}").text)
    others = {who: web.browser(who) for who in ("marat", "gulnar", "asel", "nurlan")}
    tokens = {who: csrf_of(b.get("/account").text) for who, b in others.items()}
    before = web.dump()
    for who, code in (("erlan", "MF-KGD"),       # not her subtree
                      ("erlan", "NO-SUCH-ORG"),
                      ("marat", ORG),            # an officer of another organisation
                      ("gulnar", ORG)):          # a manager of another subtree
        b = admin if who == "erlan" else others[who]
        token = csrf if who == "erlan" else tokens[who]
        r = b.post(f"/orgs/{code}/backfill", data={"since": "2025-01-01", "csrf": token})
        assert r.status_code == 404, (who, code, r.status_code)
        assert web.dump() == before, (who, code)
    r = admin.post(f"/orgs/{ORG}/backfill", data={"since": "2025-01-01", "csrf": "wrong"})
    assert r.status_code == 409 and web.dump() == before
    assert web.client().post(f"/orgs/{ORG}/backfill",
                             data={"since": "2025-01-01"}).status_code in (303, 401, 403, 409)
    assert web.dump() == before
    # her manager sees the button; she opens it herself, and the day she joined is shown
    assert "org-backfill-form" in others["nurlan"].get(f"/orgs/{ORG}").text
    page = others["asel"].get(f"/orgs/{ORG}")
    assert "org-backfill-form" in page.text and "org-import-form" not in page.text
    since = web.last_audit()
    r = others["asel"].post(f"/orgs/{ORG}/backfill",
                            data={"since": f"{TODAY.year}-01-01", "csrf": csrf_of(page.text)})
    assert r.status_code == 200, r.text
    assert f'data-testid="org-joined-on">{TODAY.isoformat()}' in r.text
    with Session(web.engine) as s:
        joined = s.exec(select(Organisation.joined_on).where(Organisation.code == ORG)).one()
    assert joined == TODAY
    assert ("web:asel", "organisation.joined") in {
        (a, act) for a, act, _p in web.audit_since(since)}
