"""What the monitoring's and the risks' tests share: the story's akimat and its analysis whose
note is signed, the session helpers, and the reading of a drawn risk map's cells."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.support.analysis_world import abai_akimat, analysis_evidence
from tests.support.databases import dump_tables
from tests.support.features import module_of
from workflow import services as svc
from workflow.core.errors import RuleViolation
from workflow.monitoring import service as ms
from workflow.storage.db import session as open_session

planning_svc = module_of("planning", "service")

TODAY = date(2027, 3, 1)
EVIDENCE = analysis_evidence("ak", "Akim", order_signed_by="Head of apparatus")
STORY = [("order", date(2025, 9, 15)), ("start_announcement", date(2025, 9, 16)),
         ("analysis_start", date(2025, 10, 1)), ("discussion_announcement", date(2025, 10, 20)),
         ("public_discussion", date(2025, 10, 30)), ("analysis_end", date(2025, 11, 10)),
         ("analytic_note", date(2025, 11, 20))]
SUBDIVISION = "Pre-school education department"
GOOD = {"measure": "Move allocation to the e-queue", "completion_form": "Order of the head",
        "deadline": "2026-03-31", "responsible": SUBDIVISION, "person": "A. Seitov"}


def commit(db, action):
    with open_session(db) as s:
        result = action(s)
        s.commit()
        return result


def read(db, action):
    with open_session(db) as s:
        return action(s)


def refused(db, action, error=RuleViolation, key: str | None = None):
    """`action(session)` raises `error` (with `key`) and every table is unchanged."""
    before = dump_tables(db)
    with open_session(db) as s, pytest.raises(error) as err:
        action(s)
        s.commit()
    assert dump_tables(db) == before
    if key is not None:
        assert err.value.key == key, (err.value.key, err.value.params)
    return err.value


def record(db, ctx, aid, event, on, **evidence):
    evidence = evidence or dict(EVIDENCE.get(event, {}))
    return commit(db, lambda s: svc.record_event(s, ctx, aid, event, on, evidence))


def plan(db, ctx, subject="AK", obj="AK-EDU", start=date(2025, 10, 1), end=date(2025, 11, 10)):
    return commit(db, lambda s: planning_svc.plan_analysis(s, ctx, subject, obj, start,
                                                           end)).analysis.id


def akimat(s, ctx) -> None:
    """An akimat with its education and health departments, the education's subdivision."""
    abai_akimat(s, ctx)
    svc.add_org(s, ctx, "AK-HLTH", "Health department", "department", "AK")
    ms.add_subdivision(s, ctx, "AK-EDU", SUBDIVISION)


@pytest.fixture
def ctx(db, make_ctx):
    """The akimat (`akimat`)."""
    ctx = make_ctx(TODAY)
    commit(db, lambda s: akimat(s, ctx))
    return ctx


@pytest.fixture
def noted(db, ctx):
    """An analysis of the education department whose note was signed on 20 November 2025."""
    aid = plan(db, ctx)
    for event, on in STORY:
        record(db, ctx, aid, event, on)
    return aid


def cells(svg: str) -> dict[tuple[int, int], tuple[str, str]]:
    """Each cell of a drawn risk map: its level and the labels written in it."""
    out = {}
    for m in re.finditer(r'<g class="cell" data-likelihood="(\d)" data-consequence="(\d)" '
                         r'data-level="(\w+)">(.*?)</g>', svg, re.S):
        labels = re.findall(r'class="risks">([^<]*)<', m.group(4))
        out[int(m.group(1)), int(m.group(2))] = (m.group(3), ", ".join(labels))
    return out
