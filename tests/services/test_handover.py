"""P-26, the hand-over of a case whose person only its responsible officer sees (a
whistleblower's), through the service every path asks (`assign_responsible` with the account
that hands it over; services/visibility.py `handover_refusal`): no one takes it over; its
responsible officer hands it over herself, or, once she has left (deactivated), an
administrator above it; a manager who may not see the person does not choose who will. The
hand-over is audited as a disclosure naming who now sees the person (in the case's history)
and the previous responsible officer is told -- never the person's name. Each refusal says why
in the reader's language and leaves every row as it was. A case whose person the officers of
its organisation see is handed over as before (a manager may).

On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.web_helpers import audit_actions, last_audit_id, without_audit
from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.services import bulk_actions as bulk
from workflow.services import visibility
from workflow.storage.db import session as open_session
from workflow.storage.models import Case, OutboxMessage, User

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 3, 2)
PERSON = "Madina Secretova-WB"


def ctx_of(actor: str = "test"):
    return svc.Context(CAL, REGISTRY, TODAY, actor=actor, language="en")


def world(s) -> dict[str, int]:
    """A ministry and its committee: the committee's officers kairat (responsible for the
    whistleblower's case) and asel, a manager and an administrator of the ministry above, an
    administrator of another tree; a whistleblower's case and a gift case of the committee."""
    ctx = ctx_of("cli:setup")
    svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
    svc.add_org(s, ctx, "MF-KGD", "State Revenue Committee", "committee", parent_code="MF")
    svc.add_org(s, ctx, "AK", "Akimat", "akimat")
    for login, role, org, lang in (("kairat", "officer", "MF-KGD", "ru"),
                                   ("asel", "officer", "MF-KGD", "kk"),
                                   ("gulnar", "manager", "MF", "en"),
                                   ("erlan", "admin", "MF", "en"),
                                   ("askar", "admin", "AK", "en")):
        svc.add_user(s, ctx, login, login.title(), role, org, email=f"{login}@x.kz",
                     language=lang)
    wb = svc.open_case(s, ctx, "whistleblower_protection", "MF-KGD", person=PERSON,
                       position="Inspector", responsible="kairat",
                       dates={"application_received": date(2026, 2, 20),
                              "reported": date(2026, 2, 19)})
    gift = svc.open_case(s, ctx, "gift", "MF-KGD", person="Erlan Sadykov",
                         position="Head of unit", dates={"received": date(2026, 2, 2)},
                         responsible="kairat")
    return {"wb": wb.id, "gift": gift.id}


def hand_over(db, case_id: int, to: str, by: str | None):
    def do(s):
        user = svc.get_user(s, by) if by else None
        return svc.assign_responsible(s, ctx_of(f"web:{by}" if by else "cli"), case_id, to,
                                      by=user).responsible_id
    return commit(db, do)


def responsible(db, case_id: int) -> str | None:
    with open_session(db) as s:
        case = s.get_one(Case, case_id)
        return s.get_one(User, case.responsible_id).login if case.responsible_id else None


def deactivate(db, login: str) -> None:
    with open_session(db) as s:
        user = svc.get_user(s, login)
        user.active = False
        s.add(user)
        s.commit()


def refused(db, case_id: int, to: str, by: str, key: str, error=RuleViolation) -> None:
    """The hand-over is refused with `key`, nothing stored (the audit log gains only what a
    refusal adds: nothing, here)."""
    before, since = without_audit(db), last_audit_id(db)
    with pytest.raises(error) as caught:
        hand_over(db, case_id, to, by)
    assert caught.value.key == key
    assert without_audit(db) == before
    assert audit_actions(db, since) == []


def test_no_one_takes_a_whistleblowers_case_over(db):
    cases = commit(db, world)
    wb = cases["wb"]
    # an officer of the organisation: not herself, nor anyone else
    refused(db, wb, "asel", "asel", "handover.protected_responsible")
    # a manager above, who may not see the person, does not choose who will
    refused(db, wb, "asel", "gulnar", "handover.protected_responsible")
    # an administrator above, while the responsible officer is there
    refused(db, wb, "asel", "erlan", "handover.protected_responsible")
    # an administrator of another tree: the case does not exist for her
    refused(db, wb, "asel", "askar", "notfound.analysis", NotFound)
    # in bulk, all or nothing, the same rule
    before = without_audit(db)
    with pytest.raises(bulk.BulkRefused) as caught:
        commit(db, lambda s: bulk.assign_all(s, ctx_of("web:gulnar"), [bulk.Item(wb)], "asel",
                                             by=svc.get_user(s, "gulnar")))
    assert [r.error.key for r in caught.value.refusals] == ["handover.protected_responsible"]
    assert without_audit(db) == before
    assert responsible(db, wb) == "kairat"


def test_the_responsible_officer_hands_it_over_audited_as_a_disclosure_and_told(db):
    cases = commit(db, world)
    wb = cases["wb"]
    since = last_audit_id(db)
    hand_over(db, wb, "asel", "kairat")
    assert responsible(db, wb) == "asel"
    assert audit_actions(db, since) == [
        ("web:kairat", "analysis.assign", {"from": "kairat", "to": "asel"}),
        ("web:kairat", visibility.DISCLOSED,
         {"seen_by": "asel", "before": "kairat", "why": "handover"})]
    with open_session(db) as s:  # the case's history names who now sees the person
        history = svc.case_history(s, ctx_of(), s.get_one(Case, wb), show_person=False)
        told = list(s.exec(select(OutboxMessage).where(
            OutboxMessage.recipient_id == svc.get_user(s, "kairat").id)))
    disclosed = [h for h in history if h["kind"] == "disclosed"]
    assert [(h["to"], h["actor"]) for h in disclosed] == [("asel", "web:kairat")]
    from workflow.services.case_trail import line
    assert line(disclosed[0], Translator("en")) == \
        "The person is now shown to asel (hand-over)"
    # the previous officer is told, in her language (ru), without the person's name
    assert [m.channel for m in told] == ["email"]
    assert told[0].subject == Translator("ru")("handover.told_subject", id=wb)
    assert f"№ {wb}" in told[0].body_text and "Asel" in told[0].body_text
    assert all(PERSON not in x and "Inspector" not in x
               for m in told for x in (m.subject, m.body_text, m.body_html))
    # now asel is its responsible officer: kairat no longer sees the person, nor hands it over
    with open_session(db) as s:
        case, kairat = s.get_one(Case, wb), svc.get_user(s, "kairat")
        assert not visibility.may_see_person(kairat, case, REGISTRY.get(case.process))
        assert visibility.may_see_person(svc.get_user(s, "asel"), case,
                                         REGISTRY.get(case.process))
    refused(db, wb, "kairat", "kairat", "handover.protected_responsible")


def test_once_the_responsible_officer_has_left_an_administrator_hands_it_over(db):
    cases = commit(db, world)
    wb = cases["wb"]
    deactivate(db, "kairat")
    # not the remaining officer (she would take it over), nor the manager
    refused(db, wb, "asel", "asel", "handover.protected_left")
    refused(db, wb, "asel", "gulnar", "handover.protected_left")
    since = last_audit_id(db)
    hand_over(db, wb, "asel", "erlan")
    assert responsible(db, wb) == "asel"
    assert [(who, what) for who, what, _p in audit_actions(db, since)] == [
        ("web:erlan", "analysis.assign"), ("web:erlan", visibility.DISCLOSED)]
    with open_session(db) as s:
        told = list(s.exec(select(OutboxMessage).where(
            OutboxMessage.recipient_id == svc.get_user(s, "kairat").id)))
    assert len(told) == 1 and PERSON not in told[0].body_text


def test_a_case_whose_person_the_organisation_sees_is_handed_over_as_before(db):
    cases = commit(db, world)
    gift = cases["gift"]
    since = last_audit_id(db)
    hand_over(db, gift, "asel", "gulnar")  # a manager above may
    assert responsible(db, gift) == "asel"
    assert [a for _w, a, _p in audit_actions(db, since)] == ["analysis.assign"]  # no disclosure
    with open_session(db) as s:
        assert s.exec(select(OutboxMessage)).all() == []  # nobody told: nothing protected
    refused(db, gift, "kairat", "askar", "notfound.analysis", NotFound)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_each_refusal_says_why_in_the_readers_language(db, lang):
    cases = commit(db, world)
    with pytest.raises(RuleViolation) as first:
        hand_over(db, cases["wb"], "asel", "gulnar")
    deactivate(db, "kairat")
    with pytest.raises(RuleViolation) as second:
        hand_over(db, cases["wb"], "asel", "asel")
    t = Translator(lang)
    texts = [first.value.render(t), second.value.render(t)]
    assert texts[0] != texts[1]
    assert all(x and not x.startswith("handover.") for x in texts), texts
    if lang != "en":
        assert all(x != e.render(Translator("en")) for x, e in
                   zip(texts, (first.value, second.value), strict=True))
