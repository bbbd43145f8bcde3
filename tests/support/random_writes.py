"""Random writes through the services, each in its own transaction (a refusal rolls back, as a
page's would), for the tests that compare what merzim keeps -- the counts kept by the writes,
a person's menu figures -- with a recount: cases of conflict of interest opened, events
recorded and voided, cases withdrawn and restored, dates corrected, gift register files
imported. A test's writer adds its own kinds of write (`actions`)."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select

from workflow import services as svc
from workflow.core.errors import MerzimError
from workflow.imports import registers as ri
from workflow.storage.db import session as open_session
from workflow.storage.models import EVENT, OPEN, Case, EventRecord, Stage

TODAY = date(2026, 6, 15)  # a Monday
COI = "conflict_of_interest"
EVENTS = ("forwarded", "recommended", "no_conflict", "measures_taken", "unsettled",
          "transferred")


def gift_rows(rng: random.Random, n: int, today: date = TODAY) -> list[dict]:
    """`n` rows of a gift register's file, of three organisations of the tests' tree."""
    return [{"subject": rng.choice(("AK-EDU", "AK-HEALTH", "AK-EDU-SCH")),
             "person": f"Person {rng.randrange(10**6)}",
             "received": (today - timedelta(days=rng.randrange(1, 120))).isoformat(),
             "_row": i + 2} for i in range(n)]


class RandomWrites:
    """Random writes in the organisations `orgs`; `ctx_of()` gives each write's context."""

    def __init__(self, eng: Any, rng: random.Random, orgs: Sequence[str],
                 ctx_of: Callable[[], svc.Context]):
        self.eng, self.rng, self.orgs, self.ctx_of = eng, rng, tuple(orgs), ctx_of

    def day(self) -> date:
        return TODAY - timedelta(days=self.rng.randrange(0, 90))

    def case(self, s: Any) -> int:
        """One of the cases stored (MerzimError when there is none: the write is refused)."""
        found = list(s.exec(select(Case.id).order_by(col(Case.id))))
        if not found:
            raise MerzimError("no case yet")
        return self.rng.choice(found)

    def open(self, s: Any, ctx: svc.Context) -> None:
        svc.open_case(s, ctx, COI, self.rng.choice(self.orgs),
                      person=f"P {self.rng.randrange(10**6)}", dates={"notified": self.day()})

    def record(self, s: Any, ctx: svc.Context) -> None:
        svc.record_event(s, ctx, self.case(s), self.rng.choice(EVENTS), self.day())

    def _one_of(self, s: Any, query: Any, nothing: str) -> Any:
        """One row of `query` drawn at random; refused (`nothing`) when it finds none."""
        found = list(s.exec(query))
        if not found:
            raise MerzimError(nothing)
        return self.rng.choice(found)

    def void(self, s: Any, ctx: svc.Context) -> None:
        """One of the standing events voided."""
        case, event = self._one_of(s, select(EventRecord.case_id, EventRecord.event).where(
            EventRecord.kind == EVENT, col(EventRecord.voided_by_id).is_(None))
            .order_by(col(EventRecord.id)), "nothing recorded")
        svc.void_record(s, ctx, case, event, "recorded by mistake")

    def not_done(self, s: Any, ctx: svc.Context) -> None:
        """One open stage of a standing case closed as not done (not in `actions`' default
        draw: a harness adds it)."""
        case, key = self._one_of(s, select(Stage.case_id, Stage.key)
                                 .join(Case, col(Case.id) == Stage.case_id)
                                 .where(Stage.status == OPEN, col(Case.withdrawn_at).is_(None))
                                 .order_by(col(Stage.id)), "no open stage")
        svc.record_not_done(s, ctx, case, key, "the leadership was away")

    def withdraw(self, s: Any, ctx: svc.Context) -> None:
        svc.withdraw_case(s, ctx, self.case(s), "opened by mistake")

    def restore(self, s: Any, ctx: svc.Context) -> None:
        svc.restore_case(s, ctx, self.case(s), "withdrawn by mistake")

    def correct(self, s: Any, ctx: svc.Context) -> None:
        svc.edit_case(s, ctx, self.case(s), dates={"notified": self.day()},
                      reason="typed from the wrong notice")

    def imports(self, s: Any, ctx: svc.Context) -> None:
        assert ri.import_file(s, ctx, "gift", gift_rows(self.rng, self.rng.randrange(1, 4)))

    def actions(self) -> list[Callable[[Any, svc.Context], None]]:
        """The writes to choose from, as often as each is to be chosen."""
        return ([self.open] * 3 + [self.record] * 4 + [self.void] * 2
                + [self.withdraw, self.restore, self.correct])

    def step(self, action: Callable[[Any, svc.Context], None] | None = None) -> str:
        """One random write (or `action`); its name, "refused" added when it was."""
        action = action or self.rng.choice(self.actions())
        with open_session(self.eng) as s:
            try:
                action(s, self.ctx_of())
                s.commit()
            except MerzimError:
                s.rollback()
                return f"{action.__name__} refused"
        return action.__name__

    def run(self, n: int, check: Callable[[int, list[str]], None], every: int = 1,
            imports_every: int = 0) -> list[str]:
        """`n` random writes (an import every `imports_every`-th, whatever the draw), `check`
        called with the write's number and the names so far after every `every`-th; the names."""
        done: list[str] = []
        for i in range(n):
            forced = imports_every and i % imports_every == imports_every // 2
            done.append(self.step(self.imports if forced else None))
            if i % every == every - 1:
                check(i, done)
        return done
