"""Saved views, the use cases: an address kept only when it is one of merzim's lists (its page
number and "as of" left out); names unique per user whatever their case; a view shared by a
manager reaches exactly the users of his subtree (not a sibling organisation's, not after
his account is switched off); at most MAX_VIEWS each; every refusal stores nothing and every
write is audited.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.web_helpers import without_audit
from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.definitions import load_registry
from workflow.services import saved_views
from workflow.storage.db import session as open_session
from workflow.storage.models import AuditRecord, SavedView, User

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 3, 2)


def ctx_of(actor: str = "test"):
    return svc.Context(CAL, REGISTRY, TODAY, actor=actor, language="en")


def world(s) -> None:
    """A ministry with a committee below it and its manager; an akimat beside it."""
    ctx = ctx_of("cli:setup")
    svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
    svc.add_org(s, ctx, "MF-KGD", "State Revenue Committee", "committee", parent_code="MF")
    svc.add_org(s, ctx, "AK", "Akimat", "akimat")
    svc.add_user(s, ctx, "gulnar", "Gulnar Abenova", "manager", "MF")
    svc.add_user(s, ctx, "asel", "Asel Nurpeisova", "officer", "MF-KGD")
    svc.add_user(s, ctx, "marat", "Marat Ospanov", "officer", "AK")


def user(s, login: str) -> User:
    return svc.get_user(s, login)


@pytest.mark.parametrize("address, path, query", [
    ("/overdue?year=2026&page=3&as_of=2026-01-01", "/overdue", "year=2026"),
    ("/overdue/?org=MF&stage=", "/overdue", "org=MF"),
    ("/due?within=20", "/due", "within=20"),
    ("  /cases?process=gift&q=  ", "/cases", "process=gift"),
    ("/registers/gift?org=MF-KGD", "/registers/gift", "org=MF-KGD"),
])
def test_a_lists_address_is_kept_with_its_filters_only(address, path, query):
    assert saved_views.target(ctx_of(), address) == (path, query)


@pytest.mark.parametrize("address", [
    "", "https://evil.example/overdue", "//evil.example/overdue", "/account", "/views",
    "/registers/no_such_register", "javascript:alert(1)", "overdue", "/\\evil.example",
    "/cases?q=" + "x" * 1100, "/overdue\n?year=2026"])
def test_any_other_address_is_refused(address):
    with pytest.raises(UsageError) as refused:
        saved_views.target(ctx_of(), address)
    assert refused.value.key in ("views.error_address", "views.error_address_long")


def test_a_managers_shared_view_reaches_exactly_his_subtree(db):
    commit(db, world)
    commit(db, lambda s: saved_views.save(s, ctx_of("web:gulnar"), user(s, "gulnar"),
                                          "Ministry overdue", "/overdue?org=MF", shared=True))
    commit(db, lambda s: saved_views.save(s, ctx_of("web:gulnar"), user(s, "gulnar"),
                                          "Mine only", "/due"))
    with open_session(db) as s:
        assert [(v.name, v.own) for v in saved_views.views_of(s, user(s, "gulnar"))] == [
            ("Mine only", True), ("Ministry overdue", True)]
        asel = saved_views.views_of(s, user(s, "asel"))
        assert [(v.name, v.own, v.owner) for v in asel] == [
            ("Ministry overdue", False, "gulnar")]
        assert saved_views.views_of(s, user(s, "marat")) == []
    # his account switched off: his views are shared no more
    commit(db, lambda s: svc.update_user(s, ctx_of("cli:setup"), "gulnar", active=False))
    with open_session(db) as s:
        assert saved_views.views_of(s, user(s, "asel")) == []


def test_refusals_store_nothing_and_writes_are_audited(db):
    commit(db, world)
    made = commit(db, lambda s: saved_views.save(s, ctx_of("web:asel"), user(s, "asel"),
                                                 "  Late   ones ", "/overdue").id)
    with open_session(db) as s:
        assert s.get(SavedView, made).name == "Late ones"
    before = without_audit(db)
    for name, address, shared, error in [
            ("", "/overdue", False, UsageError), ("x" * 81, "/overdue", False, UsageError),
            ("a\x07b", "/overdue", False, UsageError), ("LATE ONES", "/due", False, RuleViolation),
            ("Shared", "/due", True, RuleViolation), ("Far", "http://x/", False, UsageError)]:
        with pytest.raises(error), open_session(db) as s:
            saved_views.save(s, ctx_of("web:asel"), user(s, "asel"), name, address,
                             shared=shared)
    for call, error in [
            (lambda s: saved_views.rename(s, ctx_of(), user(s, "marat"), made, "Mine"),
             NotFound),
            (lambda s: saved_views.delete(s, ctx_of(), user(s, "marat"), made), NotFound),
            (lambda s: saved_views.delete(s, ctx_of(), user(s, "asel"), "abc"), NotFound),
            (lambda s: saved_views.share(s, ctx_of(), user(s, "asel"), made, True),
             RuleViolation)]:
        with pytest.raises(error), open_session(db) as s:
            call(s)
    assert without_audit(db) == before
    commit(db, lambda s: saved_views.rename(s, ctx_of(), user(s, "asel"), made, "Overdue"))
    commit(db, lambda s: saved_views.delete(s, ctx_of(), user(s, "asel"), made))
    with open_session(db) as s:
        actions = [a for a in s.exec(select(AuditRecord.action)) if a.startswith("view.")]
    assert actions == [saved_views.SAVED, saved_views.RENAMED, saved_views.DELETED]


def test_a_user_keeps_at_most_max_views(db, monkeypatch):
    commit(db, world)
    monkeypatch.setattr(saved_views, "MAX_VIEWS", 2)
    for name in ("One", "Two"):
        commit(db, lambda s, name=name: saved_views.save(s, ctx_of(), user(s, "asel"), name,
                                                         "/overdue"))
    with pytest.raises(RuleViolation) as refused, open_session(db) as s:
        saved_views.save(s, ctx_of(), user(s, "asel"), "Three", "/overdue")
    assert refused.value.key == "views.error_too_many"


def test_a_view_that_may_name_a_person_is_never_shared(db):
    commit(db, world)
    ctx = ctx_of("web:gulnar")
    before = without_audit(db)
    for address in ("/registers/restriction_breach?f.giver=Akhmetov", "/cases?q=Akhmetov",
                    "/cases?process=restriction_breach&f.reason=thanks",
                    "/cases?person=Akhmetov"):
        with pytest.raises(RuleViolation) as refused, open_session(db) as s:
            saved_views.save(s, ctx, user(s, "gulnar"), "Named", address, shared=True)
        assert refused.value.key == "views.error_share_person", address
    assert without_audit(db) == before
    # kept for himself, it stays his
    mine = commit(db, lambda s: saved_views.save(s, ctx, user(s, "gulnar"), "Named",
                                                 "/cases?q=Akhmetov").id)
    with pytest.raises(RuleViolation), open_session(db) as s:
        saved_views.share(s, ctx, user(s, "gulnar"), mine, True)
    # a field that names no one is shared
    commit(db, lambda s: saved_views.save(
        s, ctx, user(s, "gulnar"), "Found by us",
        "/registers/restriction_breach?f.detected_independently=yes", shared=True))
    with open_session(db) as s:
        assert [v.name for v in saved_views.views_of(s, user(s, "asel"))] == ["Found by us"]


def test_the_audit_log_keeps_no_filter_that_may_name_a_person(db):
    commit(db, world)
    commit(db, lambda s: saved_views.save(s, ctx_of(), user(s, "asel"), "Named",
                                          "/cases?person=Akhmetov"))
    commit(db, lambda s: saved_views.save(s, ctx_of(), user(s, "asel"), "Year",
                                          "/overdue?year=2026"))
    with open_session(db) as s:
        payloads = [r.payload for r in s.exec(select(AuditRecord).order_by(AuditRecord.id))
                    if r.action == saved_views.SAVED]  # (in the order written)
    assert len(payloads) == 2 and "Akhmetov" not in payloads[0] and "year=2026" in payloads[1]
