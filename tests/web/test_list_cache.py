"""The lists kept across requests (web/kit/views.py `kept`: the overdue and due lists' counts
and pages, the overdue summary, the menu's counts and the bell, keyed by the data's version,
the audit chain's head): a second look reads none of them again, and any write — by this web
process, by another process (the command line), to a case or to a person's own notification
centre — shows on the very next page, whatever was kept. Each reader's answers are hers: two
managers of different subtrees, an officer and a manager of one organisation, never see each
other's. Both backends."""

from __future__ import annotations

import re

from sqlmodel import Session

from tests.support.cli_runner import merzim_env, run_merzim
from tests.support.features import needs
from tests.support.sql_trace import statements
from tests.support.web_helpers import (  # noqa: F401 - fixtures registered by name
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
)
from web.kit import views
from web.kit.access import viewer_for
from workflow import services as svc

TOTAL = re.compile(r'data-testid="overdue-total">(\d+)<')
MENU = re.compile(r'data-testid="nav-overdue"[^>]*>.*?(\d+)', re.S)
BELL = re.compile(r'data-testid="nav-notices-count">(\d+)<')
GROUP_BY = re.compile(r"\bGROUP BY\b", re.IGNORECASE)


def total(page: str) -> int:
    found = TOTAL.search(page)
    assert found, page[:1500]
    return int(found.group(1))


def fresh_total(web: Web, login: str) -> int:
    """What the overdue list of `login` holds, counted afresh (no cache)."""
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="en")
    with Session(web.engine) as s:
        viewer = viewer_for(s, svc.get_user(s, login))
        return svc.count_overdue(s, ctx, viewer.org.code, only_path=views.only_path(viewer))


def bell(page: str) -> int:
    found = BELL.search(page)
    return int(found.group(1)) if found else 0


def test_a_second_look_reads_the_list_from_what_was_kept(web: Web):
    b = web.browser("gulnar")  # the ministry's manager
    first = b.get("/overdue")
    assert first.status_code == 200 and total(first.text) == fresh_total(web, "gulnar") > 0
    with statements(web.engine) as sent:
        again = b.get("/overdue")
    assert again.text.count("<tr") == first.text.count("<tr")
    assert total(again.text) == total(first.text)
    assert not [st for st in sent if GROUP_BY.search(st)], sent  # the counts were kept


def test_a_record_by_another_process_shows_on_the_next_page(web: Web, tmp_path):
    """The command line records the ministry's overdue order: the web process kept the list,
    and the next page shows it gone (the audit head moved)."""
    b = web.browser("gulnar")
    before = total(b.get("/overdue").text)
    assert 'data-stage="order"' in b.get("/overdue?org=MF-KGD-ALM").text
    env = merzim_env(db_url=web.engine.url.render_as_string(hide_password=False), today=TODAY)
    done = run_merzim(["record", str(web.analyses["kgd"]), "order", "--date",
                       TODAY.isoformat(), "--number", "1-ө", "--signed-by", "Head"],
                      env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    after = b.get("/overdue")
    assert total(after.text) == fresh_total(web, "gulnar") < before
    assert 'data-stage="order"' not in b.get("/overdue?org=MF-KGD-ALM").text


def test_a_record_on_the_web_shows_in_every_readers_lists(web: Web):
    nurlan, gulnar = web.browser("nurlan"), web.browser("gulnar")
    mine, theirs = total(nurlan.get("/overdue").text), total(gulnar.get("/overdue").text)
    assert mine == fresh_total(web, "nurlan") and theirs == fresh_total(web, "gulnar")
    assert mine != theirs or nurlan.get("/overdue").text != gulnar.get("/overdue").text
    r = web.api("aigerim").post(f"/api/v1/cases/{web.analyses['kgd']}/events", json={
        "event": "order", "date": TODAY.isoformat(), "number": "1-ө", "signed_by": "Head"})
    assert r.status_code in (200, 201), r.text
    assert total(gulnar.get("/overdue").text) == fresh_total(web, "gulnar") == theirs - 1
    assert total(nurlan.get("/overdue").text) == mine  # not in his subtree: the same


def test_an_officer_and_a_manager_of_one_organisation_keep_their_own_lists(web: Web):
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    with Session(web.engine) as s:
        svc.add_user(s, ctx, "ainur", "Ainur Officer", "officer", "AK-ALM", language="en")
        s.commit()
    manager = total(web.browser("nurlan").get("/overdue").text)
    officer = total(web.browser("ainur").get("/overdue").text)
    assert manager == fresh_total(web, "nurlan") and officer == fresh_total(web, "ainur")
    assert officer < manager  # her own organisation only, his subtree
    assert total(web.browser("nurlan").get("/overdue").text) == manager


@needs("notices")  # the notification centre and its bell
def test_her_own_changes_to_the_bell_show_on_the_next_page(web: Web):
    b = web.browser("nurlan")
    before = bell(b.get("/overdue").text)
    centre = web.api("nurlan").get("/api/v1/notifications", params={"limit": 500}).json()
    assert before == centre["unread"] > 0
    one = next(i for i in centre["items"] if i["unread"])
    r = web.api("nurlan").post("/api/v1/notifications/read", json={"items": [one["key"]]})
    assert r.status_code == 200 and r.json()["marked"] == 1
    assert bell(b.get("/overdue").text) == before - 1
    # the change is in the audit chain, with who made it
    assert [(actor, payload) for actor, act, payload in web.audit_since(0)
            if act == "notices.read"] == [("web:nurlan", {"items": 1, "all": False})]


def test_an_answer_is_kept_per_version_and_never_from_a_write_not_committed(web: Web):
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="en")
    key = ("test.kept", "one")
    with Session(web.engine) as s:
        assert views.kept(s, ctx, key, lambda: "first") == "first"
    with Session(web.engine) as s:
        assert views.kept(s, ctx, key, lambda: "again") == "first"  # the same version: kept
    with Session(web.engine) as s:  # a write not committed reads for itself, keeps nothing
        svc.add_org(s, ctx, "AK-ALM-GONE", "Rolled back", "department", "AK-ALM")
        assert svc.data_version(s) is None
        assert views.kept(s, ctx, key, lambda: "uncommitted") == "uncommitted"
        s.rollback()
    with Session(web.engine) as s:
        assert views.kept(s, ctx, key, lambda: "again") == "first"  # nothing changed
        svc.add_org(s, ctx, "AK-ALM-KEPT", "Committed", "department", "AK-ALM")
        s.commit()
    with Session(web.engine) as s:  # a committed write: another version, read afresh
        assert views.kept(s, ctx, key, lambda: "after") == "after"
        other = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="kk")
        assert views.kept(s, other, key, lambda: "kk") == "kk"  # each language its own
