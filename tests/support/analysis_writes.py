"""Random writes in the web tests' world (tests/support/web_helpers.py `Web`), each through the
services in its own transaction (a refusal rolls back, as a page's would): late analyses
planned, events recorded and voided, cases withdrawn and restored, comments -- for the tests
that compare a kept page or part of one with what it would read or render afresh."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlmodel import Session

from tests.support.features import module_of
from tests.support.web_helpers import CALENDAR, DEFINITION, TODAY, Web, wd
from workflow import services as svc
from workflow.core.errors import MerzimError
from workflow.services.comments import add_comment

AGAIN = "Planned again on purpose: a varied list for the kept pages"
EVIDENCE = {"number": "1-ө", "signed_by": "Head", "url": "https://gov.kz/news/1"}
# the organisations analyses are planned in: a ministry's and an akimat's, at every level
ORGS = ("MF-KGD-ABAI", "MF-KGD-ALM", "MF-KK-ALM", "MF-DIA", "MF", "MF-KGD", "AK-ALM-ILE-EDU",
        "AK-ALM-EDU", "AK-ALM")


def ctx_of(actor: str = "test") -> svc.Context:
    return svc.Context(CALENDAR, DEFINITION, TODAY, actor=actor, language="en")


class AnalysisWrites:
    """The random writes, over the world's analyses and those it plans."""

    def __init__(self, web: Web, rng: random.Random):
        self.web, self.rng = web, rng
        self.cases = list(web.analyses.values())
        self.recorded: list[tuple[int, str]] = []  # (case, event) recorded, to void
        self.planning = module_of("planning", "service")

    def plan(self, s, ctx):
        code = self.rng.choice(ORGS)
        case = self.planning.plan_analysis(s, ctx, code, code, wd(-self.rng.randrange(10, 90)),
                                           duplicate_reason=AGAIN).analysis
        s.flush()
        self.cases.append(case.id)

    def record(self, s, ctx):
        case, event = self.rng.choice(self.cases), self.rng.choice(("order",
                                                                     "start_announcement"))
        svc.record_event(s, ctx, case, event, TODAY - timedelta(days=self.rng.randrange(0, 5)),
                         dict(EVIDENCE))
        self.recorded.append((case, event))

    def void(self, s, ctx):
        case, event = (self.recorded.pop(self.rng.randrange(len(self.recorded)))
                       if self.recorded else (self.rng.choice(self.cases), "order"))
        svc.void_record(s, ctx, case, event, "recorded by mistake")

    def withdraw(self, s, ctx):
        svc.withdraw_case(s, ctx, self.rng.choice(self.cases), "opened by mistake")

    def restore(self, s, ctx):
        svc.restore_case(s, ctx, self.rng.choice(self.cases), "withdrawn by mistake")

    def comment(self, s, ctx):
        add_comment(s, ctx, self.rng.choice(self.cases), None, "a look at it")

    def step(self) -> str:
        """One random write; its name, "refused" added when it was."""
        action = self.rng.choice([self.plan, self.record, self.record, self.void,
                                  self.withdraw, self.restore, self.comment])
        with Session(self.web.engine) as s:
            try:
                action(s, ctx_of("cli:test"))
                s.commit()
            except MerzimError:
                s.rollback()
                return f"{action.__name__} refused"
        return action.__name__
