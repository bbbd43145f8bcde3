"""The world of the linked-facts tests (tests/services/test_linked_facts.py,
tests/services/test_links_one_fact.py): two ministries, Asel the officer of the Ministry of
Finance, and a gift Erlan Sadykov received there on RECEIVED, whose hand-over is long overdue
on TODAY; the engine's context on any day (the `ids` fixture: the world written, its ids)."""

from __future__ import annotations

from datetime import date

import pytest

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.cli_runner import wide_cli
from workflow import services as svc
from workflow.definitions import load_registry

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 3, 2)  # a Monday
RECEIVED = date(2026, 2, 2)  # the gift: hand-over due 7 calendar days later, long past
NOT_HANDED = date(2026, 2, 16)  # recorded as not handed over
GIFT, BREACH = "gift", "restriction_breach"
PERSON = "Erlan Sadykov"


def ctx_of(today: date = TODAY, actor: str = "test"):
    return svc.Context(CAL, REGISTRY, today, actor=actor, language="en")


def setup(s, ctx) -> dict[str, int]:
    svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
    svc.add_org(s, ctx, "MJ", "Ministry of Justice", "central_body")
    svc.add_user(s, ctx, "asel", "Asel", "officer", "MF")
    gift = svc.open_case(s, ctx, GIFT, "MF", person=PERSON, position="Head of unit",
                         dates={"received": RECEIVED}).id
    return {"gift": gift}


@pytest.fixture(name="ids")
def ids_fixture(db) -> dict[str, int]:
    """The `ids` fixture: the world written to the test database; {"gift": its case id}."""
    return commit(db, lambda s: setup(s, ctx_of()))


@pytest.fixture(name="cli")
def cli_fixture(db, db_url, tmp_path):
    """The `cli` fixture: `merzim` on the test database (after `db`) on TODAY, 240 columns wide
    (`wide_cli`): (exit code, stdout, stderr)."""
    return wide_cli(db_url, tmp_path, TODAY)


def not_handed_over(db, case_id: int) -> None:
    """The gift `case_id` recorded as not handed over on NOT_HANDED."""
    commit(db, lambda s: svc.record_event(s, ctx_of(), case_id, "not_handed_over", NOT_HANDED))
