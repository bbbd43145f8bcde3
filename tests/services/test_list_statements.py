"""The lists' statements built once for what they are made of (services/lists.py `made_of`,
storage/queries `built`): after random writes, every organisation's overdue, due and "before
joining" rows, in every order and page, equal those of a statement built afresh; a list read
again asks for the statement built before; an organisation that joins (the conditions' values
change) gets a statement of its own. Both backends."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlmodel import Session, select

from tests.support.analysis_writes import AGAIN, AnalysisWrites, ctx_of
from tests.support.features import module_of, needs
from tests.support.web_helpers import (  # noqa: F401 - fixtures registered by name
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
    wd,
    web_fixture,
)
from workflow.services import joining, lists, obligations
from workflow.storage import queries
from workflow.storage.models import Organisation

ORDERS = (None, "days", "due", "organisation", "stage")


def fresh_overdue(s: Session, ctx, code: str | None, only: str | None, **page) -> list:
    """The overdue rows of a statement built for this call alone."""
    conditions = lists._overdue_conditions(s, ctx, None, None, None)
    return lists._stage_rows(s, ctx, code, *conditions, only_path=only, by_due=True,
                             row_type=lists.OverdueRow, **page)


def assert_lists_fresh(s: Session, ctx) -> int:
    """Every organisation's overdue rows (whole, and in pages of 3 in every order), due rows
    and rows before joining equal a fresh statement's; how many lists were compared."""
    compared = 0
    orgs = s.exec(select(Organisation.code, Organisation.path)).all()
    for code, path in [(None, None), *orgs]:
        for only in (None, path) if code else (None,):
            whole = lists.overdue(s, ctx, code, only_path=only)
            assert whole == fresh_overdue(s, ctx, code, only)
            for sort in ORDERS:
                for desc in (False, True):
                    for offset in (0, 3):
                        page = {"limit": 3, "offset": offset, "sort": sort, "desc": desc}
                        assert lists.overdue(s, ctx, code, only_path=only, **page) == \
                            fresh_overdue(s, ctx, code, only, **page), (code, only, page)
                        compared += 1
            due = lists.due_within(s, ctx, code, 10, only)
            assert due == lists._stage_rows(s, ctx, code, *lists._due_conditions(ctx, 10),
                                            only_path=only, by_due=True)
            joined = lists.before_joining(s, ctx, code, only)
            assert joined == lists._stage_rows(s, ctx, code,
                                               *lists._before_joining(s, ctx),
                                               only_path=only, by_due=True,
                                               row_type=lists.OverdueRow)
    return compared


@pytest.mark.slow
@needs("planning")
def test_lists_of_kept_statements_equal_fresh_ones_after_random_writes(web: Web):
    writer = AnalysisWrites(web, random.Random(7))
    for _ in range(8):
        with Session(web.engine) as s:
            writer.plan(s, ctx_of("cli:test"))
            s.commit()
    for _ in range(3):
        for _ in range(10):
            writer.step()
        with Session(web.engine) as s:
            assert assert_lists_fresh(s, ctx_of()) > 100
    with Session(web.engine) as s:  # not vacuous: several pages of late stages
        assert len(lists.overdue(s, ctx_of())) > 6


@needs("planning")
def test_a_list_read_again_asks_for_the_statement_built_before(web: Web):
    ctx = ctx_of()
    queries._BUILT.clear()  # (the statements of this test alone: the cache is bounded)
    with Session(web.engine) as s:
        lists.overdue(s, ctx, "MF", limit=5, offset=0)
        size = len(queries._BUILT)
        assert size == 1
        for _ in range(3):
            lists.overdue(s, ctx, "MF", limit=5, offset=0)
        assert len(queries._BUILT) == size
        lists.overdue(s, ctx, "MF", limit=5, offset=5)  # another page: another statement
        lists.overdue(s, ctx, "MF-KGD", limit=5, offset=0)  # another subtree
        assert len(queries._BUILT) == size + 2


@pytest.mark.slow
@needs("planning")
def test_an_organisation_that_joins_gets_a_statement_of_its_own(web: Web):
    """The stages before an organisation joined leave the overdue list and enter "before
    joining" the day it joins mid-year: the statements are made of the organisations
    confirming, so neither list is read with the statement of before."""

    planning = module_of("planning", "service")
    with Session(web.engine) as s:
        planning.plan_analysis(s, ctx_of("cli:test"), "MF-DIA", "MF-DIA", wd(-60),
                               duplicate_reason=AGAIN)
        s.commit()
    ctx = ctx_of()
    with Session(web.engine) as s:
        before = {r.stage_id for r in lists.overdue(s, ctx, "MF-DIA")}
        assert before and not lists.before_joining(s, ctx, "MF-DIA")
    with Session(web.engine) as s:  # it joins today (the day audited: the lists move)
        obligations.open_year_so_far(s, ctx_of("cli:test"), "MF-DIA", date(TODAY.year, 1, 1),
                                     joined_on=TODAY)
        s.commit()
    with Session(web.engine) as s:
        assert joining.confirming_orgs(s, ctx)  # it confirms its year so far today
        moved = {r.stage_id for r in lists.before_joining(s, ctx, "MF-DIA")}
        assert moved and moved <= before
        assert not moved & {r.stage_id for r in lists.overdue(s, ctx, "MF-DIA")}
        assert_lists_fresh(s, ctx)
