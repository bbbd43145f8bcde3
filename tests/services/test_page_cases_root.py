"""The case list of a root's subtree (`services.page_cases`): while it is the only root, its
cases' subjects are not looked up (every organisation is in its subtree); once another root
exists, the other tree's cases stay out of its list, and its own out of the other's."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from tests.support.features import module_of
from workflow import services as svc

planning_svc = module_of("planning", "service")
OPENED = date(2026, 3, 2)


def opened(s: Session, ctx, code: str, n: int) -> list[int]:
    return [planning_svc.plan_analysis(s, ctx, code, code, OPENED,
                                       duplicate_reason="another one").analysis.id
            for _ in range(n)]


def test_a_roots_list_holds_its_tree_alone_whether_or_not_it_is_the_only_root(db, make_ctx):
    ctx = make_ctx(date(2026, 6, 1))
    with Session(db) as s:
        svc.add_org(s, ctx, "RK", "Republic", "central_body")
        svc.add_org(s, ctx, "RK-A", "Akimat", "akimat", "RK")
        svc.add_org(s, ctx, "RK-A-D", "Department", "department", "RK-A")
        ours = opened(s, ctx, "RK-A", 2) + opened(s, ctx, "RK-A-D", 3)
        s.commit()

        def listed(code: str, **filters) -> tuple[list[int], int]:
            rows, total = svc.page_cases(s, ctx, scope_code=code, **{"limit": 500, **filters})
            return [r.id for r in rows], total

        assert listed("RK") == (ours, 5)
        assert listed("RK", offset=2, limit=2)[0] == ours[2:4]
        assert listed("RK", after=ours[1])[0] == ours[2:]
        assert listed("RK-A-D") == (ours[2:], 3)
        svc.add_org(s, ctx, "QS", "Another root", "central_body")
        svc.add_org(s, ctx, "QS-X", "Its department", "department", "QS")
        theirs = opened(s, ctx, "QS-X", 2)
        s.commit()
        assert listed("RK") == (ours, 5)
        assert listed("QS") == (theirs, 2)
        now = svc.page_cases(s, ctx, scope_code="RK")[0][0].state  # (each case's, the same)
        assert listed("RK", state=now) == (ours, 5) and listed("QS", state=now) == (theirs, 2)


def test_a_page_far_in_from_the_marks_is_the_page_by_offset(db, make_ctx):
    """`case_marks` numbers every step-th case of a list with its total; a page from an
    offset, started after the nearest mark before it, is the page stepped to by offset, for
    every offset and limit (past the last case too)."""
    ctx = make_ctx(date(2026, 6, 1))
    with Session(db) as s:
        svc.add_org(s, ctx, "RK", "Republic", "central_body")
        svc.add_org(s, ctx, "RK-A", "Akimat", "akimat", "RK")
        svc.add_org(s, ctx, "QS", "Another root", "central_body")
        mixed = [opened(s, ctx, code, 1)[0] for code in ("RK-A", "QS", "RK", "RK-A") * 4]
        s.commit()
        ours = [i for n, i in enumerate(mixed) if n % 4 != 1]
        marks = svc.case_marks(s, ctx, scope=svc.get_org(s, "RK"), step=3)
        assert marks == svc.Marks(12, 3, (ours[2], ours[5], ours[8], ours[11]))
        for limit in (1, 2, 5):
            for offset in range(15):
                rows, total = svc.page_cases(s, ctx, scope_code="RK", limit=limit,
                                             offset=offset, marks=marks)
                assert ([r.id for r in rows], total) == (ours[offset:offset + limit], 12)
