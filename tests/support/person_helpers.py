"""The world of the person-visibility tests (tests/web/test_person_visibility.py), shared with the
tests of drafts, files, "my work", the cases search and recording: the demo for TODAY plus four
cases about a person in the akimat's education department (AK-ALM-EDU) -- a conflict-of-interest
notice with an overdue stage, a gift with a voided record, a foreign account with a stage closed
as not done, and a whistleblower's protection whose responsible officer is the department's
second officer -- each person, position, piece of evidence, note and reason a distinctive
string; the roles who look at them, and `leaks` (which of those strings a text shows).

Two module-scoped fixtures, one database per backend each; a module imports the fixture
function (``from tests.support.person_helpers import person_world_fixture  # noqa: F401``) and pytest
registers it under its name:

* ``pw`` -- the demo with the four cases;
* ``ww`` (``work_world``, the officers' own work and the cases search) -- the same, plus the
  obligations opened as the demo does and one gift case of the department nobody is
  responsible for (every officer of the department answers for it).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.support.databases import BACKENDS
from tests.support.web_helpers import CALENDAR, TODAY, Web, _settings, demo_database, wd
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.services import obligations

DEPT = "AK-ALM-EDU"
CASE_KEYS = ("coi", "gift", "foreign", "wb")
PROCESS = {"coi": "conflict_of_interest", "gift": "gift", "foreign": "foreign_account",
           "wb": "whistleblower_protection"}
PERSON = {"coi": ("Arman Secretov-COI", "POSITION-SECRET-1"),
          "gift": ("Dinara Secretova-GIFT", "POSITION-SECRET-2"),
          "foreign": ("Yerlan Secretov-FOREIGN", "POSITION-SECRET-3"),
          "wb": ("Madina Secretova-WB", "POSITION-SECRET-4")}
# What each case holds besides its person: evidence, notes, reasons (see `add_person_cases`).
HELD = {"coi": ("EVIDENCE-SECRET-1-NUMBER", "EVIDENCE-SECRET-1-SIGNER", "EVIDENCE-SECRET-1-URL",
                "NOTE-SECRET-1"),
        "gift": ("EVIDENCE-SECRET-2-ACT", "EVIDENCE-SECRET-2-NUMBER", "EVIDENCE-SECRET-2-SIGNER",
                 "NOTE-SECRET-2", "VOID-SECRET-2"),
        "foreign": ("NOTDONE-SECRET-3",),
        "wb": ("EVIDENCE-SECRET-4-NUMBER", "EVIDENCE-SECRET-4-SIGNER", "EVIDENCE-SECRET-4-URL",
               "NOTE-SECRET-4")}
SECRETS = {k: (*PERSON[k], *HELD[k]) for k in CASE_KEYS}
# Users the demo lacks: the department's second officer (the whistleblower case's responsible
# officer), a manager of the department itself, an admin of the other tree.
EXTRA_USERS = (("kairat", "Kairat Bekov", "officer", DEPT),
               ("zhanna", "Zhanna Omarova", "manager", DEPT),
               ("askar", "Askar Dauletov", "admin", "MF"))


@dataclass(frozen=True)
class Role:
    login: str
    who: str
    sees: frozenset[str]  # the cases whose person it sees
    visible: bool = True  # the cases exist for it (all four are in the department)
    officer: bool = False  # an officer's own lists and feed: her organisation, her cases

    def __str__(self) -> str:
        return f"{self.who} ({self.login})"


NOT_WB = frozenset({"coi", "gift", "foreign"})
ROLES = [
    Role("asel", "officer of the case's organisation", NOT_WB, officer=True),
    Role("kairat", "responsible officer of the whistleblower case", frozenset(CASE_KEYS),
         officer=True),
    Role("zhanna", "manager of the same organisation", frozenset()),
    Role("nurlan", "manager of the parent organisation", frozenset()),
    Role("erlan", "admin", NOT_WB),
    Role("marat", "officer outside (a sibling department)", frozenset(), visible=False,
         officer=True),
    Role("gulnar", "manager outside (the other tree)", frozenset(), visible=False),
    Role("askar", "admin outside (the other tree)", frozenset(), visible=False),
]
IDS = [r.login for r in ROLES]


# -- the world -----------------------------------------------------------------------------------


def add_person_cases(engine) -> dict[str, int]:
    """The extra users and the four cases about a person, through the service layer."""
    registry = load_registry()
    ctx = svc.Context(CALENDAR, registry, TODAY, actor="test-setup", language="en")
    with Session(engine) as s:
        for login, name, role, org in EXTRA_USERS:
            svc.add_user(s, ctx, login, name, role, org, f"{login}@example.kz", "en")
        ids = {}

        def opened(key: str, dates: dict[str, date], **kw) -> int:
            name, position = PERSON[key]
            case = svc.open_case(s, ctx, PROCESS[key], DEPT, person=name, position=position,
                                 dates=dates, **kw)
            ids[key] = case.id
            return case.id

        # notified 30 WD ago, forwarded on time: the recommendation is overdue
        cid = opened("coi", {"notified": wd(-30)})
        svc.record_event(s, ctx, cid, "forwarded", wd(-28), {
            "number": "EVIDENCE-SECRET-1-NUMBER", "signed_by": "EVIDENCE-SECRET-1-SIGNER",
            "url": "https://example.kz/EVIDENCE-SECRET-1-URL", "note": "NOTE-SECRET-1"})
        # received three days ago, handed over, the record voided: due within days again
        cid = opened("gift", {"received": TODAY - timedelta(days=3)})
        svc.record_event(s, ctx, cid, "handed_over", TODAY - timedelta(days=1), {
            "receipt_act": "EVIDENCE-SECRET-2-ACT", "number": "EVIDENCE-SECRET-2-NUMBER",
            "signed_by": "EVIDENCE-SECRET-2-SIGNER", "note": "NOTE-SECRET-2"})
        svc.void_record(s, ctx, cid, "handed_over", "VOID-SECRET-2")
        # found a week ago, the notification closed as not done; the closure proof is due
        cid = opened("foreign", {"found": wd(-5)})
        svc.record_not_done(s, ctx, cid, "notify", "NOTDONE-SECRET-3")
        # the whistleblower's: decided, the protocol to the agency overdue; kairat's case
        cid = opened("wb", {"application_received": wd(-25), "reported": wd(-26)},
                     responsible="kairat")
        svc.record_event(s, ctx, cid, "decided", wd(-24), {
            "number": "EVIDENCE-SECRET-4-NUMBER", "signed_by": "EVIDENCE-SECRET-4-SIGNER",
            "url": "https://example.kz/EVIDENCE-SECRET-4-URL", "note": "NOTE-SECRET-4"})
        s.commit()
    return ids


def person_web(engine, tmp_dir: Path, analyses: dict[str, int], programmes: dict[str, int],
               cache: bool) -> Web:
    ids = add_person_cases(engine)
    app = create_app(_settings(tmp_dir, str(engine.url)), engine, CALENDAR, load_registry())
    return Web(engine, app, {**analyses, **ids}, programmes, cache=cache)


@pytest.fixture(name="pw", scope="module", params=BACKENDS)
def person_world_fixture(request, tmp_path_factory) -> Iterator[Web]:
    """The demo plus the four cases, one database per backend for the whole module (tests that
    only read, or add audit records and calendar feeds)."""
    tmp_dir = tmp_path_factory.mktemp("person-world")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERZIM_TODAY", TODAY.isoformat())
        with demo_database(request.param, tmp_dir) as (eng, ids):
            yield person_web(eng, tmp_dir, ids["analyses"], ids["programmes"], cache=True)


def leaks(text: str, allowed: frozenset[str] | tuple = ()) -> list[str]:
    """The secret strings in `text` other than those of the `allowed` cases."""
    return [x for k in CASE_KEYS if k not in allowed for x in SECRETS[k] if x in text]


@pytest.fixture(name="ww", scope="module", params=BACKENDS)
def work_world(request, tmp_path_factory) -> Iterator[Web]:
    tmp_dir = tmp_path_factory.mktemp("web-work")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MERZIM_TODAY", TODAY.isoformat())
        with demo_database(request.param, tmp_dir) as (eng, ids):
            person = add_person_cases(eng)
            registry = load_registry()
            ctx = svc.Context(CALENDAR, registry, TODAY, actor="test-setup", language="en")
            with Session(eng) as s:
                assert obligations.sync(s, ctx)
                gift = svc.open_case(s, ctx, "gift", DEPT, person="Nobody Responsible",
                                     position="Clerk", dates={"received": wd(-10)})
                gift.responsible_id = None  # opened before the department had an officer
                s.add(gift)
                s.commit()
                person["unassigned"] = gift.id
            app = create_app(_settings(tmp_dir, str(eng.url)), eng, CALENDAR, registry)
            yield Web(eng, app, {**ids["analyses"], **person}, ids["programmes"], cache=True)
