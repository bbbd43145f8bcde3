"""A first end-to-end story on both databases: plan, record, refuse, verify."""

from datetime import date

import pytest
from sqlmodel import Session

from tests.support.databases import dump_tables
from tests.support.features import module_of
from workflow import services as svc
from workflow.core.errors import RuleViolation
from workflow.storage import audit

planning_svc = module_of("planning", "service")  # the analyses are planned by it


def test_officer_records_order_and_illegal_plan_approval_changes_nothing(db, make_ctx):
    ctx = make_ctx(date(2026, 2, 20))
    with Session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education", "department", "AK")
        a = planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", date(2026, 3, 2), date(2026, 4, 10))
        s.commit()
        aid = a.analysis.id
    with Session(db) as s:
        svc.record_event(s, ctx, aid, "order", date(2026, 2, 10), {"number": "15-ө",
                                                                   "signed_by": "Head"})
        s.commit()
    before = dump_tables(db)
    with Session(db) as s, pytest.raises(RuleViolation) as err:
        svc.record_event(s, ctx, aid, "action_plan", date(2026, 2, 11),
                         {"number": "1", "signed_by": "Head"})
    assert err.value.key == "rule.prerequisite"  # the plan needs the signed note (I-10)
    assert dump_tables(db) == before
    with Session(db) as s:
        assert audit.verify(s).ok
