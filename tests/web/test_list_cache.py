"""The lists kept across requests (web/kit/views.py `kept`: the overdue and due lists' counts
and pages, the overdue summary, the menu's counts and the bell, keyed by the versions of what
they read: the subtree's, the reader's own, every list's): a second look reads none of them
again, and a write — by this web process, by another process (the command line), to a case or
to a person's own notification centre — shows on the very next page of every list it may
change, and leaves the others kept: a record in one subtree is not read again by another
subtree's lists, a person's read mark by nobody else's bell. Each reader's answers are hers:
two managers of different subtrees, an officer and a manager of one organisation, never see
each other's. Both backends."""

from __future__ import annotations

import re

from sqlmodel import Session

from tests.support.cli_runner import merzim_env, run_merzim
from tests.support.features import needs
from tests.support.sql_trace import statements, statements_with_parameters
from tests.support.web_helpers import (  # noqa: F401 - fixtures registered by name
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
    matched,
)
from web.kit import views
from web.kit.access import viewer_for
from workflow import services as svc
from workflow.storage.db import make_engine

TOTAL = re.compile(r'data-testid="overdue-total">(\d+)<')
MENU = re.compile(r'data-testid="nav-overdue"[^>]*>.*?(\d+)', re.S)
BELL = re.compile(r'data-testid="nav-notices-count">(\d+)<')
# a list counted: by organisation (GROUP BY), or a part's length from the kept counts
GROUP_BY = re.compile(r"\bGROUP BY\b|\bFROM open_stage_count\b", re.IGNORECASE)
# the notification centre's SELECT (a manager's escalations alone: a window numbering their rows)
UNION = re.compile(r"\bUNION ALL\b|\brow_number\(\) OVER", re.IGNORECASE)


def total(page: str) -> int:
    return int(matched(TOTAL, page, 1500).group(1))


def fresh_total(web: Web, login: str) -> int:
    """What the overdue list of `login` holds, counted afresh (no cache)."""
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="en")
    with Session(web.engine) as s:
        viewer = viewer_for(s, svc.get_user(s, login))
        return svc.count_overdue(s, ctx, viewer.org.code, only_path=views.only_path(viewer))


def bell(page: str) -> int:
    found = BELL.search(page)
    return int(found.group(1)) if found else 0


@needs("planning")
def test_a_second_look_reads_the_list_from_what_was_kept(web: Web):
    b = web.browser("gulnar")  # the ministry's manager
    first = b.get("/overdue")
    assert first.status_code == 200 and total(first.text) == fresh_total(web, "gulnar") > 0
    with statements(web.engine) as sent:
        again = b.get("/overdue")
    assert again.text.count("<tr") == first.text.count("<tr")
    assert total(again.text) == total(first.text)
    assert not [st for st in sent if GROUP_BY.search(st)], sent  # the counts were kept


@needs("planning")
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


@needs("planning")
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


@needs("planning")
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
        path = svc.get_org(s, "AK-ALM").path
        assert views.kept(s, ctx, key, lambda: "first", path) == "first"
    with Session(web.engine) as s:
        assert views.kept(s, ctx, key, lambda: "again", path) == "first"  # the same version
    with Session(web.engine) as s:  # a write not committed reads for itself, keeps nothing
        svc.add_org(s, ctx, "AK-ALM-GONE", "Rolled back", "department", "AK-ALM")
        assert svc.list_versions(s, path) is None
        assert views.kept(s, ctx, key, lambda: "uncommitted", path) == "uncommitted"
        s.rollback()
    with Session(web.engine) as s:
        assert views.kept(s, ctx, key, lambda: "again", path) == "first"  # nothing changed
        svc.add_org(s, ctx, "AK-ALM-KEPT", "Committed", "department", "AK-ALM")
        s.commit()
    with Session(web.engine) as s:  # a committed write: another version, read afresh
        assert views.kept(s, ctx, key, lambda: "after", path) == "after"
        other = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="kk")
        assert views.kept(s, other, key, lambda: "kk", path) == "kk"  # each language its own


def grouped(sent: list[str]) -> list[str]:
    """The statements that counted a list (by organisation, or a part of it)."""
    return [st for st in sent if GROUP_BY.search(st)]


def record_order(web: Web) -> None:
    """The order of the analysis of MF-KGD-ALM recorded through the API (aigerim's case)."""
    r = web.api("aigerim").post(f"/api/v1/cases/{web.analyses['kgd']}/events", json={
        "event": "order", "date": TODAY.isoformat(), "number": "1-ө", "signed_by": "Head"})
    assert r.status_code in (200, 201), r.text


def test_a_write_in_one_subtree_leaves_another_subtrees_lists_kept(web: Web):
    """A record in MF-KGD-ALM: the lists of the ministry (MF) and of its committee (MF-KGD) are
    read afresh; those of another committee of the ministry (MF-KK) and of another tree
    (AK-ALM) are kept: not one count is sent for them."""
    gulnar, nurlan = web.browser("gulnar"), web.browser("nurlan")
    pages = {"/overdue": gulnar, "/overdue?org=MF-KGD": gulnar, "/overdue?org=MF-KK": gulnar}
    before = {url: total(b.get(url).text) for url, b in pages.items()}
    theirs = total(nurlan.get("/overdue").text)
    record_order(web)
    with Session(web.engine) as s:
        kk = svc.get_org(s, "MF-KK").path
    for url in ("/overdue?org=MF-KK",):
        with statements_with_parameters(web.engine) as named:
            assert total(gulnar.get(url).text) == before[url]
        # (her menu counts her whole subtree, which the record moved; MF-KK's parts are kept)
        assert not [st for st, params in named if GROUP_BY.search(st) and any(
            isinstance(v, str) and v.startswith(kk[:-1])
            for v in (params.values() if isinstance(params, dict) else params))], named
    with statements(web.engine) as sent:
        shown = total(nurlan.get("/overdue").text)
    assert shown == theirs == fresh_total(web, "nurlan")
    assert not grouped(sent), sent
    for url in ("/overdue", "/overdue?org=MF-KGD"):
        with statements(web.engine) as sent:
            assert total(gulnar.get(url).text) == before[url] - 1
        assert grouped(sent), url  # its own: counted afresh
    assert total(gulnar.get("/overdue").text) == fresh_total(web, "gulnar")


@needs("planning")
@needs("notices")
def test_a_read_mark_changes_only_its_readers_bell(web: Web):
    """nurlan marks an item read: his bell drops by one on his next page; dana, a manager of
    the same organisation, and gulnar keep their bells (their centres are not read again),
    and nobody's overdue list is counted again."""
    readers = {login: web.browser(login) for login in ("nurlan", "dana", "gulnar")}
    bells = {login: bell(b.get("/overdue").text) for login, b in readers.items()}
    centre = web.api("nurlan").get("/api/v1/notifications", params={"limit": 500}).json()
    one = next(i for i in centre["items"] if i["unread"])
    r = web.api("nurlan").post("/api/v1/notifications/read", json={"items": [one["key"]]})
    assert r.status_code == 200 and r.json()["marked"] == 1
    for login in ("dana", "gulnar"):
        with statements(web.engine) as sent:
            assert bell(readers[login].get("/overdue").text) == bells[login]
        assert not [st for st in sent if UNION.search(st)], login  # her bell kept
        assert not grouped(sent), login
    with statements(web.engine) as sent:
        assert bell(readers["nurlan"].get("/overdue").text) == bells["nurlan"] - 1
    assert [st for st in sent if UNION.search(st)]  # his bell read again
    assert not grouped(sent)  # his lists kept: a read mark changes no list


@needs("notices")
def test_a_record_moves_the_bell_of_the_person_it_concerns_only(web: Web):
    """A record on aigerim's case: her bell and her manager's tree are read again; nurlan's
    (another tree, not his case) is kept."""
    aigerim, nurlan = web.browser("aigerim"), web.browser("nurlan")
    aigerim.get("/overdue"), nurlan.get("/overdue")
    record_order(web)
    with statements(web.engine) as sent:
        nurlan.get("/overdue")
    assert not [st for st in sent if UNION.search(st)] and not grouped(sent)
    with statements(web.engine) as sent:
        page = aigerim.get("/overdue").text
    assert [st for st in sent if UNION.search(st)]
    assert total(page) == fresh_total(web, "aigerim")


def test_a_write_in_another_engine_not_yet_committed_is_not_seen_nor_kept(web: Web):
    """Another process's write, open and not committed: the page shows the list as it was
    (and keeps it); committed, the very next page shows it."""
    gulnar = web.browser("gulnar")
    before = total(gulnar.get("/overdue").text)
    other = make_engine(web.engine.url.render_as_string(hide_password=False))
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="other-node", language="en")
    try:
        with Session(other) as s:
            svc.record_event(s, ctx, web.analyses["kgd"], "order", TODAY,
                             evidence={"number": "1-ө", "signed_by": "Head"})
            s.flush()
            if web.engine.dialect.name == "postgresql":  # SQLite: the writer holds the file
                assert total(gulnar.get("/overdue").text) == before
            s.commit()
        assert total(gulnar.get("/overdue").text) == before - 1 == fresh_total(web, "gulnar")
    finally:
        other.dispose()


def test_a_record_of_something_read_moves_no_version(web: Web):
    """An export of the overdue list is in the audit log; it changes nothing, and the lists
    stay kept."""
    gulnar = web.browser("gulnar")
    gulnar.get("/overdue")
    since = web.last_audit()
    r = gulnar.get("/overdue.csv")
    assert r.status_code == 200, r.text[:300]
    assert [act for _, act, _ in web.audit_since(since)] == ["export.overdue"]
    with statements(web.engine) as sent:
        gulnar.get("/overdue")
    assert not grouped(sent), sent


def test_what_each_kind_of_write_moves(web: Web):
    """The scopes a write's audit records move (workflow/kept/versions.py, from kept/touch.py): a case's
    subject path and its ancestors', the person responsible and those its payload names; a
    person.s own doings her own scope only; anything not narrowed, every list."""
    from workflow.kept import versions

    with Session(web.engine) as s:
        case = svc.get_case(s, web.analyses["kgd"])
        org = svc.org_by_id(s, case.subject_id)
        users = {login: svc.get_user(s, login).id for login in ("aigerim", "bolat", "nurlan")}
        paths = versions.with_ancestors(org.path)
        assert paths[-1] == org.path and len(paths) == org.path.count("/") - 1
        people = {f"user:{case.responsible_id}", f"user:{users['aigerim']}",
                  f"user:{users['bolat']}"}
        # a hand-over: the people's scopes and the organisation's cases nobody answers for
        # (it may have been one), no stage's
        assert versions.scopes_of(s, [("analysis.assign", "case", str(case.id),
                                       {"from": "aigerim", "to": "bolat"})]) == {
            *paths, versions.own_scope(org.path), *people, f"unassigned:{org.id}"}
        # a record: the stages of the organisation and of its parent (a manager's escalations)
        assert versions.scopes_of(s, [("event.order", "case", str(case.id), {})]) == {
            *paths, versions.own_scope(org.path), f"user:{case.responsible_id}",
            f"near:{paths[-1]}", f"near:{paths[-2]}"}
        # a comment naming nobody is in no list: only who answers for the case (her centre)
        assert versions.scopes_of(s, [("case.comment", "case", str(case.id),
                                       {"mentions": []})]) == {f"user:{case.responsible_id}"}
        assert versions.scopes_of(s, [("notices.read", "user", users["nurlan"], {})]) == {
            f"user:{users['nurlan']}"}
        for records in ([("user.set", "user", users["nurlan"], {"role": "admin"})],
                        [("bulk.record", "case", "*", {})],
                        [("org.set", "organisation", "NO-SUCH-CODE", {})],  # no such organisation
                        [("risk.add", "risk", 1, {})],
                        [("event.order", "case", 10**9, {})]):  # no such case
            assert versions.scopes_of(s, records) == {versions.EVERYTHING}, records


def test_a_page_looked_at_again_reads_its_versions_in_one_statement(web: Web):
    """The lists', the bell's: one SELECT of list_version, and nothing else of the lists."""
    b = web.browser("nurlan")
    b.get("/overdue")
    with statements(web.engine) as sent:
        b.get("/overdue")
    assert len([st for st in sent if "list_version" in st]) == 1, sent
    assert not grouped(sent) and not [st for st in sent if UNION.search(st)]
