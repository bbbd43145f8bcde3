"""The one rule of who sees a case's person and who hands a case over
(workflow/services/visibility.py), on accounts and cases as the tables hold them (rows not
stored: the rule reads nothing else), over the shipped definitions: a whistleblower's, a gift
(the organisation's officers and admins see its person) and one about no person."""

from __future__ import annotations

import pytest

from workflow.core.errors import RuleViolation
from workflow.definitions import load_registry
from workflow.services import visibility
from workflow.services.opening import opened_by
from workflow.storage.models import Case, Organisation, User

pytestmark = pytest.mark.unit

REGISTRY = load_registry()
WB, GIFT, NONE = (REGISTRY.get(k) for k in ("whistleblower_protection", "gift",
                                            "declaration_law_change"))
HERE, ELSEWHERE = 7, 8  # organisations' ids


def account(ident: int, role: str, org: int = HERE, active: bool = True) -> User:
    return User(id=ident, login=f"u{ident}", full_name=f"U {ident}", role=role,
                organisation_id=org, active=active)


RESPONSIBLE = account(1, "officer")
COLLEAGUE = account(2, "officer")
MANAGER = account(3, "manager", ELSEWHERE)  # above the case's organisation
ADMIN = account(4, "admin", ELSEWHERE)


def case(responsible: int | None = 1) -> Case:
    return Case(id=10, process="x", subject_id=HERE, responsible_id=responsible)


@pytest.mark.parametrize(("who", "wb", "gift", "none"), [
    (RESPONSIBLE, True, True, True), (COLLEAGUE, False, True, True),
    (MANAGER, False, False, True), (ADMIN, False, True, True),
    (account(1, "officer", active=False), False, False, True),
    (account(1, "manager"), False, False, True)])  # promoted: no longer her case's officer
def test_who_sees_the_person(who, wb, gift, none):
    assert [visibility.may_see_person(who, case(), d) for d in (WB, GIFT, NONE)] == \
        [wb, gift, none]
    # the same from the visibility a list row carries
    assert visibility.may_see_person(who, case(), "responsible") == wb


def test_who_hands_a_protected_case_over():
    def key(who, responsible=RESPONSIBLE, c=None):
        refusal = visibility.handover_refusal(who, c or case(), WB, responsible)
        return refusal.key if refusal else None

    assert key(RESPONSIBLE) is None
    assert {key(w) for w in (COLLEAGUE, MANAGER, ADMIN)} == {"handover.protected_responsible"}
    left = account(1, "officer", active=False)
    assert key(ADMIN, left) is None
    assert {key(w, left) for w in (COLLEAGUE, MANAGER)} == {"handover.protected_left"}
    assert key(ADMIN, None, case(None)) is None  # nobody responsible: an administrator
    assert key(COLLEAGUE, None, case(None)) == "handover.protected_left"
    # a case whose person the organisation sees: managers and admins above, its officers
    assert all(visibility.handover_refusal(w, case(), GIFT, RESPONSIBLE) is None
               for w in (RESPONSIBLE, COLLEAGUE, MANAGER, ADMIN))
    stranger = account(5, "officer", ELSEWHERE)
    assert visibility.handover_refusal(stranger, case(), GIFT, RESPONSIBLE).key == \
        "comments.error_assign"


def test_reach():
    assert visibility.reaches(COLLEAGUE, "/1/2/", "/1/2/")
    assert not visibility.reaches(COLLEAGUE, "/1/2/", "/1/2/3/")
    assert visibility.reaches(MANAGER, "/1/2/", "/1/2/3/")
    assert not visibility.reaches(ADMIN, "/1/2/", "/1/4/")
    assert visibility.only_path(COLLEAGUE, "/1/") == "/1/"
    assert visibility.only_path(MANAGER, "/1/") is None


def test_a_readers_lists_reach_as_her_account_says():
    """An officer's lists are her organisation's alone; a manager's and an administrator's
    reach the subtree of hers when one is asked for; the command line's operator's (None),
    every organisation."""
    readers = (COLLEAGUE, MANAGER, ADMIN, None)
    assert [visibility.reads_subtree(w) for w in readers] == [False, True, True, True]
    assert not visibility.reads_subtree(MANAGER, asked=False)
    assert (visibility.only_org(COLLEAGUE), visibility.only_org(MANAGER)) == (HERE, None)
    assert (visibility.unassigned_of(COLLEAGUE), visibility.unassigned_of(ADMIN)) == (HERE, None)
    assert [visibility.records(w) for w in readers] == [True, False, True, False]
    assert [visibility.imports_registers(w) for w in readers] == [True, False, True, True]


def test_who_opens_a_case_for_an_organisation():
    """The open-a-case form and the API ask one question: its officers and administrators
    open a case for an organisation, the officer answering for it unless another is named; a
    manager is refused; an officer's form opens her own organisation's."""
    here = Organisation(id=HERE, code="HERE", path="/7/", kind="x")
    assert opened_by(COLLEAGUE, here) == COLLEAGUE.login
    assert opened_by(COLLEAGUE, here, "someone") == "someone"
    assert opened_by(ADMIN, here) is None
    for refused in (MANAGER, account(5, "officer", ELSEWHERE)):
        with pytest.raises(RuleViolation) as exc:
            opened_by(refused, here)
        assert exc.value.key == "rule.cannot_record"
    assert visibility.opened_for(COLLEAGUE, "HERE", "ELSEWHERE") == "HERE"
    assert visibility.opened_for(ADMIN, "HERE", "ELSEWHERE") == "ELSEWHERE"
