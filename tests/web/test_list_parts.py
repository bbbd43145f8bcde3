"""The overdue list of a manager's subtree composed of parts (web/kit/views.py `overdue_list`:
the organisation's own stages and each subordinate's subtree, each kept by its own version):
after random writes — analyses planned, events recorded and voided, cases withdrawn and
restored, comments — every page of every manager's and administrator's list, and its summary
by subordinate, equal the whole list read afresh; a write in one subordinate's subtree re-reads
that part alone, and a comment (in no list) re-reads nothing. Both backends."""

from __future__ import annotations

import random
import re
from collections import Counter

from sqlmodel import Session

from tests.support.analysis_writes import AGAIN, EVIDENCE, AnalysisWrites, ctx_of
from tests.support.features import module_of, needs
from tests.support.sql_trace import statements
from tests.support.web_helpers import (  # noqa: F401 - fixtures registered by name
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
    wd,
)
from web.kit import views
from web.kit.access import viewer_for
from workflow import services as svc
from workflow.kept import versions
from workflow.services.comments import add_comment

COUNTS = re.compile(r"\bFROM open_stage_count\b", re.IGNORECASE)  # a part's count read
ROWS = re.compile(r'SELECT stage\.id, stage\.(?:"key"|key),')  # a page's rows read
UNION = re.compile(r"\bUNION ALL\b|\brow_number\(\) OVER", re.IGNORECASE)  # the bell's
# (login, the organisations her list is filtered by): managers of a ministry and of an
# akimat, an administrator
VIEWERS = (("gulnar", (None, "MF-KGD")), ("nurlan", (None,)), ("erlan", (None, "AK-ALM-ILE")))


def assert_pages_fresh(web: Web) -> int:
    """Every page (of 5 rows) of each viewer's composed list, its length and its summary by
    subordinate equal the whole list read afresh (`views.overdue_rows`: not kept); how many
    pages were compared."""
    ctx = ctx_of()
    compared = 0
    with Session(web.engine) as s:
        for login, filters in VIEWERS:
            viewer = viewer_for(s, svc.get_user(s, login))
            orgs = views.org_choices(s, viewer)
            for org in filters:
                full = views.overdue_rows(s, ctx, viewer, org)
                scope = views.scope_org(s, viewer, org)
                assert orgs.children(scope.path)  # composed of parts
                last = max(1, -(-len(full) // 5))
                for page in sorted({1, 2, last, last + 1}):
                    rows, pager, counts = views.overdue_list(s, ctx, viewer, page, "", org,
                                                             size=5, orgs=orgs)
                    want, want_pager = views.paginate(full, page, "", size=5)
                    assert [r.stage_id for r in rows] == [r.stage_id for r in want], (
                        login, org, page)
                    assert rows == want and pager == want_pager
                    assert sum(counts.values()) == len(full)
                    assert views.child_counts(counts, scope, orgs, "en") == views.child_counts(
                        Counter(r.subject_path for r in full), scope, orgs, "en")
                    compared += 1
    return compared


@needs("planning")
def test_composed_pages_equal_the_whole_list_after_random_writes(web: Web):
    writer = AnalysisWrites(web, random.Random(2026))
    for _ in range(12):  # late analyses across both trees: lists of several pages
        with Session(web.engine) as s:
            writer.plan(s, ctx_of("cli:test"))
            s.commit()
    assert_pages_fresh(web)  # kept before the writes
    done = []
    for n in range(40):
        done.append(writer.step())
        if n % 4 == 3:
            assert assert_pages_fresh(web) >= 15
    assert {"plan", "record", "void", "withdraw", "comment"} <= set(done), Counter(done)
    with Session(web.engine) as s:  # not vacuous: the lists hold pages of rows
        viewer = viewer_for(s, svc.get_user(s, "gulnar"))
        assert len(views.overdue_rows(s, ctx_of(), viewer)) > 10


def record_order(web: Web) -> None:
    """The order of the analysis of MF-KGD-ALM recorded (aigerim's case: in MF-KGD)."""
    with Session(web.engine) as s:
        svc.record_event(s, ctx_of("cli:test"), web.analyses["kgd"], "order", TODAY,
                         dict(EVIDENCE))
        s.commit()


@needs("planning")
def test_a_write_in_one_subordinate_re_reads_its_part_alone(web: Web):
    """gulnar's ministry page (MF: its own stages, MF-KGD's, MF-KK's, MF-DIA's subtrees, each
    with late analyses), all on its first page: after a record in MF-KGD-ALM one count
    and one page of rows are read (MF-KGD's), the other parts kept; the page equals the
    list read afresh."""
    planning = module_of("planning", "service")
    with Session(web.engine) as s:  # late analyses in each part: the ministry's own, MF-KK's
        for code in ("MF", "MF-KK-ALM", "MF-DIA"):
            planning.plan_analysis(s, ctx_of("cli:test"), code, code, wd(-40),
                                   duplicate_reason=AGAIN)
        s.commit()
    gulnar = web.browser("gulnar")
    assert gulnar.get("/overdue").status_code == 200
    with statements(web.engine) as sent:
        gulnar.get("/overdue")
    assert not [st for st in sent if COUNTS.search(st) or ROWS.search(st)]  # all kept
    with Session(web.engine) as s:
        viewer = viewer_for(s, svc.get_user(s, "gulnar"))
        counts = views.overdue_list(s, ctx_of(), viewer, 1, "",
                                    orgs=views.org_choices(s, viewer))[2]
        parts = [views.visible_org(s, viewer, c).path for c in ("MF", "MF-KGD", "MF-KK",
                                                                  "MF-DIA")]
    assert all(counts.get(p) for p in parts), counts  # the parts have overdue stages
    record_order(web)
    with statements(web.engine) as sent:
        page = gulnar.get("/overdue")
    assert page.status_code == 200
    assert len([st for st in sent if COUNTS.search(st)]) == 1, sent  # MF-KGD's counts
    assert len([st for st in sent if ROWS.search(st)]) == 1, sent  # MF-KGD's rows
    assert assert_pages_fresh(web)


@needs("planning")
def test_a_comment_re_reads_no_list(web: Web):
    """A comment is in no list: the lists of the case's organisation and of its ancestors
    stay kept, and so does the bell of a manager it does not name; it moves the versions of
    the person responsible for the case and of those it mentions only."""
    gulnar = web.browser("gulnar")
    before = gulnar.get("/overdue").text
    with Session(web.engine) as s:
        case = svc.get_case(s, web.analyses["kgd"])
        moved = versions.scopes_of(s, [("case.comment", "case", str(case.id),
                                        {"comment": 1, "mentions": ["bolat"]})])
        assert moved == {f"user:{case.responsible_id}",
                         f"user:{svc.get_user(s, 'bolat').id}"}
        add_comment(s, ctx_of("cli:test"), case.id, None, "seen, on it")
        s.commit()
    with statements(web.engine) as sent:
        after = gulnar.get("/overdue").text
    assert not [st for st in sent if COUNTS.search(st) or ROWS.search(st)
                or UNION.search(st)], sent
    assert after.count("<tr") == before.count("<tr")


@needs("planning")
def test_a_write_that_moves_every_list_counts_the_parts_in_one_statement(web: Web):
    """A recount of the kept counts moves every list's version: the ministry's page, whose
    parts are all out of date, counts its whole subtree once (not once per part) and keeps
    each part's share; the page equals the list read afresh."""
    from workflow.services.transactions import recount_kept

    planning = module_of("planning", "service")
    with Session(web.engine) as s:  # late analyses in four parts of the ministry's subtree
        for code in ("MF", "MF-KK-ALM", "MF-DIA"):
            planning.plan_analysis(s, ctx_of("cli:test"), code, code, wd(-40),
                                   duplicate_reason=AGAIN)
        s.commit()
    gulnar = web.browser("gulnar")
    gulnar.get("/overdue")
    with Session(web.engine) as s:
        recount_kept(s, "cli:test")
        s.commit()
    with statements(web.engine) as sent:
        assert gulnar.get("/overdue").status_code == 200
    assert len([st for st in sent if COUNTS.search(st)]) == 1, sent
    assert assert_pages_fresh(web)
    record_order(web)  # then a write in MF-KGD: its part alone, from the shares kept
    with statements(web.engine) as sent:
        gulnar.get("/overdue")
    assert len([st for st in sent if COUNTS.search(st)]) == 1, sent
    assert assert_pages_fresh(web)
