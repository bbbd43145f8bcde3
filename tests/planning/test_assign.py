"""Handing an analysis over (`merzim analysis assign`) and who is reminded when its officer
leaves: the new officer from then on; without an active one, the subject's officers.

The reminders are checked through `reminders.preview` on the real calendar: the analysis
starts on Monday 2 March 2026, so on Monday 2 February its order and start announcement
(due 16 February) are 10 working days away and on Monday 9 February 5 working days away.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, select

from tests.support.cli_runner import ok_json
from tests.support.databases import dump_tables
from workflow import services as svc
from workflow.planning import service as planning_svc
from workflow.reminders import planner as reminders
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import AuditRecord

TODAY = date(2026, 2, 2)
FIVE_BEFORE = date(2026, 2, 9)


@pytest.fixture
def world(engine, make_ctx):
    ctx = make_ctx(TODAY)
    with Session(engine) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education department", "department", "AK")
        svc.add_org(s, ctx, "AK-HLTH", "Health department", "department", "AK")
        svc.add_user(s, ctx, "asel", "Asel Nurpeisova", "officer", "AK-EDU", "asel@example.kz")
        svc.add_user(s, ctx, "dana", "Dana Bekova", "officer", "AK-EDU", "dana@example.kz", "ru")
        svc.add_user(s, ctx, "marat", "Marat Ospanov", "officer", "AK-HLTH", "marat@example.kz")
        svc.add_user(s, ctx, "nurlan", "Nurlan Iskakov", "manager", "AK", "nurlan@example.kz")
        aid = planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", date(2026, 3, 2),
                                date(2026, 4, 10), responsible="asel").analysis.id
        s.commit()
    return aid


def reminded(engine, make_ctx, day: date) -> set[str]:
    ns = load_notify_settings(load_settings(path=None, env={}), env={})
    with Session(engine) as s:
        return {d.recipient.email for d in reminders.preview(s, make_ctx(day), ns)}


def test_assign_hands_over_and_reminders_follow(merzim_db, engine, make_ctx, world):
    assert reminded(engine, make_ctx, FIVE_BEFORE) == {"asel@example.kz"}

    view = ok_json(merzim_db("analysis", "assign", str(world), "dana", "--json",
                             today=TODAY.isoformat()))
    assert view["id"] == world and view["responsible"] == "dana"
    assert reminded(engine, make_ctx, FIVE_BEFORE) == {"dana@example.kz"}
    shown = merzim_db("analysis", "assign", str(world), "asel", today=TODAY.isoformat())
    assert shown.returncode == 0 and "Asel Nurpeisova (asel)" in shown.stdout
    with Session(engine) as s:
        records = s.exec(select(AuditRecord).where(AuditRecord.action == "analysis.assign")
                         .order_by(AuditRecord.id)).all()
    assert [json.loads(r.payload) for r in records] == [{"from": "asel", "to": "dana"},
                                                         {"from": "dana", "to": "asel"}]

    # Asel leaves and her account is deactivated before anyone reassigns her analysis: the
    # department's other active officer, Dana, is reminded in her place.
    merzim_db("user", "set", "asel", "--inactive", "--json")
    assert reminded(engine, make_ctx, FIVE_BEFORE) == {"dana@example.kz"}


def test_refused_assignments_change_nothing(merzim_db, engine, world):
    merzim_db("user", "set", "dana", "--inactive", "--json")
    before = dump_tables(engine)
    for args, code, fragment in [
        ((str(world), "marat"), 3, "marat"),         # an officer of another organisation
        ((str(world), "nurlan"), 3, "nurlan"),       # a manager, not an officer
        ((str(world), "dana"), 3, "dana"),           # inactive
        ((str(world), "nobody"), 4, "nobody"),
        (("9999", "asel"), 4, "9999"),
        (("abc", "asel"), 4, "abc"),
    ]:
        result = merzim_db("analysis", "assign", *args, today=TODAY.isoformat())
        assert result.returncode == code, (args, result.stdout, result.stderr)
        assert fragment in result.stderr and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert dump_tables(engine) == before
