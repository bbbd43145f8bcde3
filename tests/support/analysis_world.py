"""A small world of planned internal risk analyses that the service and scorecard tests share
(each call in a session of its own, committed): organisations, an analysis planned, an event
recorded, a stage read, an indicator scored. The engine is imported when a helper runs, so that
a module using them is collected without it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

# a regional akimat's three departments (its subdivisions, 001:L176-185)
DEPARTMENTS = (("AK-EDU", "department", "AK"), ("AK-HLT", "department", "AK"),
               ("AK-AGR", "department", "AK"))


def analysis_evidence(site: str, head: str, order_signed_by: str) -> dict[str, dict]:
    """What an organisation records with each event of an internal risk analysis: its
    documents' numbers and signatories (the order signed by `order_signed_by`, the rest by
    `head`), its announcements on its gov.kz pages (gov.kz/memleket/entities/SITE)."""
    pages = f"https://gov.kz/memleket/entities/{site}"
    return {
        "order": {"number": "15-ө", "signed_by": order_signed_by},
        "start_announcement": {"url": f"{pages}/press/news/1"},
        "analysis_start": {},
        "discussion_announcement": {"url": f"{pages}/press/news/2"},
        "public_discussion": {"number": "3", "url": f"{pages}/documents/3"},
        "analysis_end": {},
        "analytic_note": {"number": "АН-7", "signed_by": head},
        "action_plan": {"number": "ЖС-4", "signed_by": head},
        "publication": {"url": f"{pages}/documents/4"},
        "positions_list": {"number": "ЛТ-2", "signed_by": head},
        "monitoring_note": {"number": "МН-1", "signed_by": head},
    }


def abai_akimat(s, ctx) -> None:
    """In session `s`: the akimat of Abai region (AK) and its education department (AK-EDU)."""
    from workflow import services as svc

    svc.add_org(s, ctx, "AK", "Akimat of Abai region", "akimat")
    svc.add_org(s, ctx, "AK-EDU", "Education department", "department", "AK")


def add_orgs(db, ctx, orgs: Iterable[tuple[str, str, str | None]] = DEPARTMENTS,
             root: tuple[str, str] | None = ("Akimat", "akimat")):
    """The akimat AK (`root`: its name and kind; None: none) and `orgs` (code, kind, parent),
    each named by its code; the database."""
    from workflow import services as svc
    from workflow.storage.db import session as open_session

    with open_session(db) as s:
        if root is not None:
            svc.add_org(s, ctx, "AK", root[0], root[1], None)
        for code, kind, parent in orgs:
            svc.add_org(s, ctx, code, code, kind, parent)
        s.commit()
    return db


def plan(db, ctx, subject: str, obj: str, start: date, end: date | None = None) -> int:
    """An analysis of `obj` by `subject` planned from `start`: its case's id."""
    from tests.support.features import module_of  # (skips the test without the feature)
    from workflow.storage.db import session as open_session

    planning_svc = module_of("planning", "service")
    with open_session(db) as s:
        aid = planning_svc.plan_analysis(s, ctx, subject, obj, start, end).analysis.id
        s.commit()
    return aid


def record(db, ctx, aid: int, event: str, on: date, evidence=None) -> None:
    from workflow import services as svc
    from workflow.storage.db import session as open_session

    with open_session(db) as s:
        svc.record_event(s, ctx, aid, event, on, dict(evidence or {}))
        s.commit()


def stage(db, aid: int, key: str):
    from sqlmodel import select

    from workflow.storage.db import session as open_session
    from workflow.storage.models import Stage

    with open_session(db) as s:
        return s.exec(select(Stage).where(Stage.case_id == aid, Stage.key == key)).one()


def indicator(db, ctx, key: str, org: str = "AK", year: int = 2025) -> dict:
    """One indicator of `org`'s scorecard for `year`."""
    from workflow.scorecard import service as scoring
    from workflow.scorecard.rules import ScoreSettings
    from workflow.storage.db import session as open_session

    with open_session(db) as s:
        card = scoring.scorecards(s, ctx, org, year, ScoreSettings())[0]
    return next(i for i in card["indicators"] if i["key"] == key)
