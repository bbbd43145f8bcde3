"""Comments on a case: a mention of a user who may see the case reaches her notification
centre and the outbox (her channels, in her language); a mention of one who may not is
refused and nothing is stored; a comment is read only by those who may see the case (for a
case about a person, those who may see the person); its author changes it within ten
minutes, not after; every write is in the case's history.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.features import module_of
from tests.support.web_helpers import without_audit
from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation, UsageError
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.services import comments
from workflow.storage.db import session as open_session
from workflow.storage.models import (
    CaseComment,
    CommentMention,
    OutboxMessage,
    ReminderPreference,
    User,
)

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 3, 2)
NOON = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ctx_of(actor: str = "test"):
    return svc.Context(CAL, REGISTRY, TODAY, actor=actor, language="en")


def world(s) -> dict[str, int]:
    """A ministry with two officers and a manager above, an officer elsewhere; a case about
    no person and one about a person."""
    ctx = ctx_of("cli:setup")
    svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
    svc.add_org(s, ctx, "MF-KGD", "State Revenue Committee", "committee", parent_code="MF")
    svc.add_org(s, ctx, "AK", "Akimat", "akimat")
    svc.add_user(s, ctx, "asel", "Asel Nurpeisova", "officer", "MF-KGD", email="asel@x.kz")
    svc.add_user(s, ctx, "dana", "Dana Serikbayeva", "officer", "MF-KGD", email="dana@x.kz",
                 language="ru")
    svc.add_user(s, ctx, "gulnar", "Gulnar Abenova", "manager", "MF", email="gulnar@x.kz",
                 language="kk")
    svc.add_user(s, ctx, "marat", "Marat Ospanov", "officer", "AK", email="marat@x.kz")
    screening = svc.open_case(s, ctx, "declaration_law_change", "MF-KGD",
                              dates={"entry_into_force": date(2026, 2, 2)})
    gift = svc.open_case(s, ctx, "gift", "MF-KGD", person="Erlan Sadykov",
                         position="Head of unit", dates={"received": date(2026, 2, 2)})
    return {"screening": screening.id, "gift": gift.id}


def user(s, login: str) -> User:
    return svc.get_user(s, login)


def test_a_mention_reaches_her_centre_and_her_channels_in_her_language(db):
    cases = commit(db, world)
    with open_session(db) as s:
        dana = user(s, "dana")
        dana.telegram_chat_id = "4242"
        s.add(dana)
        s.add(ReminderPreference(user_id=user(s, "gulnar").id, channels="email"))
        s.commit()
    made = commit(db, lambda s: comments.add_comment(
        s, ctx_of("web:asel"), cases["screening"], user(s, "asel"),
        "Please check the order, @dana and @gulnar.", now=NOON).id)
    with open_session(db) as s:
        rows = list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert sorted((r.address, r.channel) for r in rows) == [
            ("4242", "telegram"), ("dana@x.kz", "email"), ("gulnar@x.kz", "email")]
        assert {r.digest for r in rows} == {f"mention:{made}"}
        ru = Translator("ru")
        for r in rows:
            if r.address == "dana@x.kz":
                assert r.subject == ru("comments.mention_subject", id=cases["screening"],
                                       author="Asel Nurpeisova")
                assert "Please check the order" in r.body_text
        notices = module_of("notices", "service")  # (the rest: the notification centre)
        for login in ("dana", "gulnar"):
            found = notices.items(s, ctx_of(), user(s, login), (3,))
            mentioned = [i for i in found if i.kind == "mentioned"]
            assert [(i.case, i.actor) for i in mentioned] == [(cases["screening"], "web:asel")]
        # nobody else is told: not the author, not an officer of another organisation
        for login in ("asel", "marat"):
            assert not [i for i in notices.items(s, ctx_of(), user(s, login), (3,))
                        if i.kind == "mentioned"]
        shown = comments.comments_of(s, ctx_of(), cases["screening"], user(s, "gulnar"))
        assert [(c.author, c.mentions) for c in shown] == [("asel", ["dana", "gulnar"])]


@pytest.mark.parametrize("text, key", [
    ("Look, @marat", "comments.error_mention"),  # another organisation's officer
    ("Look, @nobody", "comments.error_mention"),  # no such user: told alike
    ("Look, @gulnar", "comments.error_mention"),  # a manager above a person's case
    ("   ", "comments.error_empty"),
    ("x" * (comments.MAX_LENGTH + 1), "comments.error_long"),
])
def test_a_refused_comment_stores_nothing(db, text, key):
    cases = commit(db, world)
    before = without_audit(db)
    with open_session(db) as s, pytest.raises((RuleViolation, UsageError)) as caught:
        comments.add_comment(s, ctx_of("web:asel"), cases["gift"], user(s, "asel"), text)
    assert caught.value.key == key
    message = caught.value.render(Translator("ru"))
    assert "comments." not in message and "{" not in message
    assert without_audit(db) == before


def test_a_comment_on_a_persons_case_is_seen_only_by_those_who_see_the_person(db):
    cases = commit(db, world)
    commit(db, lambda s: comments.add_comment(s, ctx_of("web:asel"), cases["gift"],
                                              user(s, "asel"), "@dana the gift's value?"))
    with open_session(db) as s:
        assert len(comments.comments_of(s, ctx_of(), cases["gift"], user(s, "dana"))) == 1
        assert len(comments.comments_of(s, ctx_of(), cases["gift"], None)) == 1  # the operator
        for login in ("gulnar", "marat"):  # the manager above, an officer elsewhere
            with pytest.raises(NotFound):
                comments.comments_of(s, ctx_of(), cases["gift"], user(s, login))
            with pytest.raises(NotFound):
                comments.add_comment(s, ctx_of(), cases["gift"], user(s, login), "hello")
        # the manager reads the comments of a case about no person
        assert comments.comments_of(s, ctx_of(), cases["screening"], user(s, "gulnar")) == []
    with open_session(db) as s:
        assert s.exec(select(CaseComment)).all() and len(s.exec(select(CaseComment)).all()) == 1


def test_its_author_changes_a_comment_within_ten_minutes_not_after(db):
    cases = commit(db, world)
    made = commit(db, lambda s: comments.add_comment(
        s, ctx_of("web:asel"), cases["screening"], user(s, "asel"), "first", now=NOON).id)
    later = NOON + timedelta(minutes=9, seconds=59)
    commit(db, lambda s: comments.edit_comment(s, ctx_of("web:asel"), made, user(s, "asel"),
                                               "second, @dana", now=later))
    with open_session(db) as s:
        [shown] = comments.comments_of(s, ctx_of(), cases["screening"], user(s, "asel"),
                                       now=later)
        assert (shown.text, shown.editable, shown.mentions) == ("second, @dana", True, ["dana"])
        assert shown.edited_at is not None
        assert len(s.exec(select(CommentMention)).all()) == 1
        assert len(s.exec(select(OutboxMessage)).all()) == 1  # dana, newly mentioned
    before = without_audit(db)
    too_late = NOON + timedelta(minutes=10, seconds=1)
    for who, moment, key in (("asel", too_late, "comments.error_late"),
                             ("dana", later, "comments.error_not_author")):
        with open_session(db) as s, pytest.raises(RuleViolation) as caught:
            comments.edit_comment(s, ctx_of(), made, user(s, who), "third", now=moment)
        assert caught.value.key == key
        assert "{" not in caught.value.render(Translator("kk"))
    assert without_audit(db) == before
    with open_session(db) as s:
        [shown] = comments.comments_of(s, ctx_of(), cases["screening"], user(s, "asel"),
                                       now=too_late)
        assert (shown.text, shown.editable) == ("second, @dana", False)


def test_writing_and_changing_a_comment_are_in_the_cases_history(db):
    cases = commit(db, world)
    made = commit(db, lambda s: comments.add_comment(
        s, ctx_of("web:asel"), cases["screening"], user(s, "asel"), "first", now=NOON).id)
    commit(db, lambda s: comments.edit_comment(s, ctx_of("web:asel"), made, user(s, "asel"),
                                               "second", now=NOON + timedelta(minutes=1)))
    with Session(db) as s:
        case = svc.get_case(s, cases["screening"])
        history = svc.case_history(s, ctx_of(), case, show_person=True)
    lines = [(h["action"], h["kind"], h.get("comment")) for h in history
             if h["action"].startswith("case.comment")]
    assert lines == [("case.comment", "commented", made),
                     ("case.comment_edit", "comment_edited", made)]
