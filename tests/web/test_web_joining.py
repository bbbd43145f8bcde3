"""Joining mid-year on the web (B-25): the officer opens her organisation's year so far from
its page; her manager's overdue list keeps its ordinary count and shows the earlier stages
apart, with their own count, as do his overview and her work page, each in the reader's
language. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from tests.support.databases import BACKENDS
from tests.support.web_helpers import TODAY, Web, csrf_of, synced_demo
from workflow import services as svc
from workflow.i18n import Translator
from workflow.storage.models import Case, Organisation

ORG = "AK-ALM-NEW"  # a district joining today, under AK-ALM, which nurlan manages


def _joining(s, ctx) -> None:
    """The district that joins today, and its officer (zhanar, reading Kazakh)."""
    svc.add_org(s, ctx, ORG, "New district", "district_akimat", "AK-ALM")
    svc.add_user(s, ctx, "zhanar", "Zhanar Omarova", "officer", ORG, "zhanar@example.kz", "kk")


@pytest.fixture(name="web", params=BACKENDS)
def web_fixture(request, tmp_path) -> Iterator[Web]:
    with synced_demo(request.param, tmp_path, prepare=_joining) as web:
        yield web


def _number(page: str, testid: str) -> int:
    found = re.search(rf'data-testid="{testid}">(\d+)<', page)
    assert found, testid
    return int(found.group(1))


def test_the_year_so_far_is_counted_apart_on_every_page(web: Web):
    nurlan = web.browser("nurlan")
    overdue_before = _number(nurlan.get("/overdue").text, "overdue-total")
    assert 'data-testid="before-joining"' not in nurlan.get("/overdue").text
    zhanar = web.browser("zhanar")
    page = zhanar.get(f"/orgs/{ORG}")
    r = zhanar.post(f"/orgs/{ORG}/backfill", data={"since": f"{TODAY.year}-01-01",
                                                 "csrf": csrf_of(page.text)})
    assert r.status_code == 200, r.text
    # her manager: the ordinary count as before, the earlier stages apart
    listed = nurlan.get("/overdue").text
    assert _number(listed, "overdue-total") == overdue_before
    apart = _number(listed, "before-joining-total")
    with Session(web.engine) as s:
        org = s.exec(select(Organisation).where(Organisation.code == ORG)).one()
        backfilled = s.exec(select(Case.id).where(Case.subject_id == org.id,
                                                  Case.typed_on == TODAY,
                                                  Case.period.is_not(None))).all()
    assert apart > 0 and backfilled
    overview = nurlan.get("/overview").text
    assert 'data-testid="before-joining-by-org"' in overview
    assert _number(overview, "before-joining-by-org-total") == apart
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
