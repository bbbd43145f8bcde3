"""What the one-fact tests count (tests/services/test_fact_once.py, test_same_person.py,
test_fact_year.py): the gift's breach entries of the Ministry of Finance in 2026 as the score,
appendix 2, the national input and the register list read them, over the gift world
(tests/support/gift_world.py)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from tests.support.bulk_helpers import commit
from tests.support.features import installed
from tests.support.gift_world import BREACH, PERSON, RECEIVED, TODAY, ctx_of
from workflow import services as svc
from workflow.core.facts import person_key
from workflow.registers.reader import read_entries
from workflow.storage.db import session as open_session
from workflow.storage.models import Organisation


def national(db, year: int = 2026, today: date = TODAY) -> int | None:
    """The national input's `year` breaches of the gift kind for MF (None: no forms)."""
    if not installed("forms"):
        return None
    from workflow.forms import national as nat
    with open_session(db) as s:
        data, *_ = nat.national_data(s, ctx_of(today), "MF", year, "ru")
    return data.figure("restriction_breaches.reward_or_gift").value


def listed(db, year: int = 2026, today: date = TODAY) -> list[int]:
    """The register's entries of MF that are facts of `year` (the register list's reading)."""
    ctx = ctx_of(today)
    with open_session(db) as s:
        mf = s.exec(select(Organisation).where(Organisation.code == "MF")).one()
        entries = read_entries(s, ctx.registry.all(), {mf.id: "MF"}, year, keys={BREACH})
    return sorted(e.case.id for e in entries if e.case is not None and e.fact_of(year))


def counted(db, n: int, points: int = 3, person: str = PERSON, year: int = 2026,
            today: date = TODAY) -> None:
    """The gift of `person` counted `n` times (0 or 1) in `year`'s score (`points` each:
    detected independently), appendix 2, the national input and the register list."""
    assert len(listed(db, year, today)) == n, listed(db, year, today)
    if installed("scorecard"):
        from workflow.scorecard import service as scoring
        from workflow.scorecard.rules import ScoreSettings
        with open_session(db) as s:
            card = scoring.scorecards(s, ctx_of(today), "MF", year, ScoreSettings())[0]
        card_points = next(i["points"] for i in card["indicators"] if i["key"] == "2.5.4")
        assert card_points == points * n
    if installed("forms"):
        from workflow.forms import service as forms
        with open_session(db) as s:
            data, _shown, _hidden = forms.form_data(s, ctx_of(today), 2, "MF", year, "ru")
        assert sum(1 for line in data.lines
                   if line.person and person_key(person) in person_key(line.person)) == n
        assert national(db, year, today) == n


def opened(db, gift: int) -> int:
    return commit(db, lambda s: svc.open_linked(
        s, ctx_of(), gift, fields={"detected_independently": "yes"}).id)


def typed(db, person: str = PERSON, detected: date = RECEIVED, reason: str | None = None,
          independently: str = "yes") -> svc.Planned:
    """A breach HR types with the day it was detected (the gift's day of receipt)."""
    return commit(db, lambda s: svc.open_checked(
        s, ctx_of(), BREACH, "MF", person=person,
        fields={"kind": "reward_or_gift", "detected_independently": independently},
        dates={"detected": detected}, duplicate_reason=reason))
