"""An interrupted import's entries are nowhere until it is resumed: not in the overdue or due
lists and their counts, the overview, the overdue export, the feeds' open deadlines, one's own
work, the notices, the missing stages, the reminders' planner, the registers' reader, the
score, the duplicate check, nor found by their number (a page, the API) — through the
services and the web, on SQLite and PostgreSQL. The world: the demo for TODAY; Asel (AK-ALM-EDU) imports
gifts received months ago, so that their stages are overdue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from tests.support.features import installed
from tests.support.import_helpers import site_fixture  # noqa: F401 - the `site` fixture
from tests.support.register_rows import stopped_after_a_batch
from tests.support.web_helpers import CALENDAR, TODAY, Web
from workflow import services as svc
from workflow.core.errors import NotFound, RuleViolation
from workflow.definitions import load_registry
from workflow.imports import registers as ri
from workflow.reminders import planner
from workflow.services import lists, missing, overview, search
from workflow.storage.models import Case, ImportPending, Organisation, Stage, User

PROCESS = "gift"
FORM = f"/registers/{PROCESS}/import"
RECEIVED = (TODAY - timedelta(days=90)).isoformat()  # handed over 7 days on: overdue


def ctx() -> svc.Context:
    return svc.Context(CALENDAR, load_registry(), TODAY, actor="web:asel", language="en")


def rows(n: int) -> list[dict]:
    return [{"subject": "AK-ALM-EDU", "person": f"Person {i}", "received": RECEIVED,
             "responsible": "asel", "_row": i + 2} for i in range(n)]


def notices_of(s: Session, c: svc.Context, user: User) -> str | None:
    """A person's notices (her bell and centre), when the feature is installed."""
    if not installed("notices"):
        return None
    from workflow.notices import service as notices

    return repr(notices.items(s, c, user, (1, 3)))


def everything(site: Web) -> dict:
    """What every reader shows of the world today (the same calls the pages make)."""
    c = ctx()
    with Session(site.engine) as s:
        asel = s.exec(select(User).where(User.login == "asel")).one()
        root = s.exec(select(Organisation).where(Organisation.code == "AK-ALM")).one()
        return {
            "overdue": [(r.case, r.stage) for r in lists.overdue(s, c, "AK-ALM")],
            "count_overdue": lists.count_overdue(s, c, "AK-ALM"),
            "by_path": lists.count_overdue_by_path(s, c, "AK-ALM"),
            "due": [(r.case, r.stage) for r in lists.due_within(s, c, "AK-ALM", 400)],
            "count_due": lists.count_due(s, c, "AK-ALM", 400),
            "open": len(lists.open_stages(s, c, "AK-ALM")),
            "mine": repr(lists.my_work(s, c, asel.id)),
            "my_overdue": lists.count_my_overdue(s, c, asel.id),
            "overview": repr(overview.by_organisation(s, c, "AK-ALM")),
            # (the planner reads them in no order: PostgreSQL's plan decides, and may change)
            "reminders": sorted(map(repr, planner.open_items(s, c, TODAY + timedelta(days=400)))),
            "register": [f.id for f in search.find_cases(
                s, c, "AK-ALM", search.CaseQuery(process=PROCESS), lambda _f, _v: True)],
            "register_overdue": [f.id for f in search.find_cases(
                s, c, "AK-ALM", search.CaseQuery(process=PROCESS, overdue=True),
                lambda _f, _v: True)],
            "score": score(s, c, root),
            "notices": notices_of(s, c, asel),
            "missing": repr(missing.missing(s, c, PROCESS, "AK-ALM", TODAY.year)),
        }


def score(s, c, root) -> str | None:
    """The subject's facts behind its score (None when the scorecard is not installed)."""
    if not installed("scorecard"):
        return None
    from workflow.scorecard import rules as sc
    from workflow.scorecard import service as scores

    return repr(scores.subject_facts(s, c, root, TODAY.year, sc.ScoreSettings(), subtree=True))


def pages(site: Web) -> dict:
    """The overdue export and the pages' counts as the region's manager reads them."""
    nurlan = site.browser("nurlan")
    csv = nurlan.get("/overdue.csv")
    assert csv.status_code == 200, csv.text[:500]
    total = re.compile(r'data-testid="(overdue-total|overdue-by-org-total)">(\d+)<')
    shown = {"csv": csv.text}
    for path in ("/overdue", "/overview"):
        page = nurlan.get(path)
        assert page.status_code == 200, page.text[-500:]
        shown[path] = total.findall(page.text)
        assert shown[path], page.text[-1000:]
    return shown


def interrupted(site: Web, n: int = 600) -> str:
    """`n` gifts written by an import up to its first batch (its writer gone): its id."""
    return stopped_after_a_batch(site.engine, ctx(), PROCESS, rows(n))


def test_an_interrupted_imports_entries_are_in_no_list_count_export_digest_or_score(site):
    before, shown = everything(site), pages(site)
    import_id = interrupted(site)
    assert everything(site) == before
    assert pages(site) == shown
    with Session(site.engine) as s:
        ri.resume(s, ctx(), PROCESS, rows(600), import_id)
        s.commit()
    after = everything(site)
    assert after["count_overdue"] >= before["count_overdue"] + 600
    assert len(after["register"]) == len(before["register"]) + 600
    assert pages(site)["csv"] != shown["csv"]


def test_an_interrupted_import_rolled_back_closes_its_stages_as_any_withdrawn_case(site):
    before = everything(site)
    import_id = interrupted(site)
    with Session(site.engine) as s:
        assert ri.roll_back(s, ctx(), PROCESS, import_id) == 500
        s.commit()
        held = s.exec(select(Stage).where(Stage.status.startswith(ri.HELD))).all()
        assert held == []
    assert everything(site) == before


def test_an_interrupted_imports_entries_are_found_by_no_number_and_repeat_nothing(site):
    """Known by its number, an unfinished import's case is not found (the page, the API, a
    record on it: nothing stored); a case opened meanwhile repeats none of its rows. Once
    resumed, each is found and repeated."""
    import_id = interrupted(site)
    with Session(site.engine) as s:
        ids = ri.pending_ids(s, import_id)
        assert len(ids) == 500
        assert s.exec(select(ImportPending)).all()  # a range or two, not a row a case
        assert len(s.exec(select(ImportPending)).all()) <= 2
        with pytest.raises(NotFound):
            svc.get_case(s, ids[0])
        assert svc.find_case(s, ids[0]) is None
        # the first row ("Person 0", received RECEIVED) repeats no case of another writer's
        assert svc.duplicate_cases(s, ctx(), PROCESS, "AK-ALM-EDU", person="Person 0",
                                   dates={"received": TODAY - timedelta(days=90)}) == []
    asel, api = site.browser("asel"), site.api("asel")
    before = site.dump()
    assert asel.get(f"/cases/{ids[0]}").status_code == 404
    assert api.get(f"/api/v1/cases/{ids[0]}").status_code == 404
    assert site.dump() == before
    with Session(site.engine) as s:
        ri.resume(s, ctx(), PROCESS, rows(600), import_id)
        s.commit()
    with Session(site.engine) as s:
        assert not s.exec(select(ImportPending)).all()
        assert svc.get_case(s, ids[0]).id == ids[0]
        with pytest.raises(RuleViolation):
            svc.duplicate_cases(s, ctx(), PROCESS, "AK-ALM-EDU", person="Person 0",
                                dates={"received": TODAY - timedelta(days=90)})
    assert asel.get(f"/cases/{ids[0]}").status_code == 200
    assert api.get(f"/api/v1/cases/{ids[0]}").status_code == 200


def left_by_an_earlier_version(site: Web, import_id: str) -> None:
    """The import's cases as an earlier version left an unfinished import: marked withdrawn
    (`PENDING_AT`, the reason naming it) and their stages held, no range noted."""
    with Session(site.engine) as s:
        ids = ri.pending_ids(s, import_id)
        s.execute(update(Case).where(col(Case.id).in_(ids)).values(
            withdrawn_at=ri.PENDING_AT, withdrawn_by="web:asel",
            withdrawn_reason=ri.pending_reason(import_id)))
        s.execute(update(Stage).where(col(Stage.case_id).in_(ids)).values(
            status=ri.HELD + col(Stage.status)))
        s.execute(delete(ImportPending))
        s.commit()


@pytest.mark.parametrize("end", ["resume", "rollback"])
def test_an_import_an_earlier_version_left_unfinished_is_resumed_or_rolled_back(site, end):
    before = everything(site)
    import_id = interrupted(site)
    left_by_an_earlier_version(site, import_id)
    assert everything(site) == before
    with Session(site.engine) as s:
        if end == "resume":
            assert len(ri.resume(s, ctx(), PROCESS, rows(600), import_id)) == 100
        else:
            assert ri.roll_back(s, ctx(), PROCESS, import_id) == 500
        s.commit()
    with Session(site.engine) as s:  # no mark, no held stage, no range left
        assert not s.exec(select(Case).where(Case.withdrawn_at == ri.PENDING_AT)).all()
        assert not s.exec(select(Stage).where(col(Stage.status).startswith(ri.HELD))).all()
        assert not s.exec(select(ImportPending)).all()
    after = everything(site)
    if end == "resume":
        assert after["count_overdue"] >= before["count_overdue"] + 600
        assert len(after["register"]) == len(before["register"]) + 600
    else:
        assert after == before
