"""The overdue and due pages in SQL: the summary by subordinate organisation
and the count come from one GROUP BY, the page's rows from ORDER BY … LIMIT — never from the
whole list built in Python. These tests check, on a varied dataset and on both backends, that
what SQL gives is what the Python code computed from the whole list: the same rows on every
page (in every order, both directions, every filter, for a manager, an admin and an officer),
the same pager, the same counts and the same summary rows.

The references are the whole lists the exports still build (`views.overdue_rows`,
`views.due_rows`: every row, filtered and sorted in Python) and `old_by_child`, the summary
code of the previous head (f0d45c2, web/kit/views.py `by_child`) copied verbatim.
"""

from __future__ import annotations

import re
from collections import Counter, namedtuple
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from tests.support.features import module_of
from tests.support.web_helpers import CALENDAR, DEFINITION, TODAY, Web, wd
from web.kit import views
from web.kit.access import viewer_for
from workflow import services as svc

planning_svc = module_of("planning", "service")  # the analyses are planned by it

AGAIN = "Planned again on purpose: a varied list for the SQL summaries"
SUMMARY = re.compile(r'<tr data-summary-org="([^"]+)"><td[^>]*>.*?</td><td class="num"[^>]*>(\d+)'
                     r'</td></tr>')
TOTAL = re.compile(r'data-testid="overdue-total">(\d+)<')


def old_by_child(rows: list[Any], scope, orgs, language: str) -> list[dict[str, Any]]:
    """The summary as the previous head computed it from the whole list (verbatim)."""
    by_path = {o.path: o for o in orgs}
    counts: dict[str, int] = {}
    for r in rows:
        p = r.subject_path
        if p.startswith(scope.path) and p != scope.path:
            p = p[:p.index("/", len(scope.path)) + 1]
        counts[p] = counts.get(p, 0) + 1
    out = []
    for p, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        o = by_path.get(p)
        if o is not None:
            out.append({"code": o.code, "name": svc.org_name(o, language), "count": n,
                        "own": p == scope.path})
    return out


def vary(w: Web) -> None:
    """Late and coming analyses across both trees of the demo: several organisations and
    levels, start dates weeks and months ago (different stages overdue, different due dates,
    ties on the due date), last year's, and some starting soon (the due list)."""
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
    plan = [("MF-KGD-ABAI", -45, 3), ("MF-KGD-ALM", -45, 2), ("MF-KGD-ALM", -20, 2),
            ("MF-KK-ALM", -70, 2), ("MF-DIA", -30, 1), ("MF", -25, 1), ("MF-KGD", -60, 1),
            ("AK-ALM-ILE-EDU", -45, 2), ("AK-ALM-EDU", -90, 1), ("AK-ALM", -35, 1),
            ("MF-KGD-ABAI", 3, 2), ("AK-ALM-HLTH", 6, 2), ("MF-KK-ALM", 12, 1)]
    with Session(w.engine) as s:
        for code, start, n in plan:
            for _ in range(n):
                planning_svc.plan_analysis(s, ctx, code, code, wd(start), duplicate_reason=AGAIN)
        for code in ("MF-KGD-ALM", "AK-ALM-ILE"):  # last year's, never recorded
            planning_svc.plan_analysis(s, ctx, code, code, date(TODAY.year - 1, 11, 2),
                              duplicate_reason=AGAIN)
        s.commit()


def _ids(rows: list[Any]) -> list[int]:
    return [r.stage_id for r in rows]


VIEWERS = ("gulnar", "erlan", "nurlan", "aigerim")  # managers, an admin, an officer


@pytest.mark.slow
def test_sql_pages_counts_and_summaries_equal_the_whole_list_computed_in_python(web: Web):
    vary(web)
    filters = [{}, {"stage": "order"}, {"year": TODAY.year}, {"year": TODAY.year - 1},
               {"process": DEFINITION.key}, {"year": 99999}]
    org_filters = {"gulnar": ["MF-KGD", "MF-KGD-ALM"], "erlan": ["AK-ALM-ILE"],
                   "nurlan": [], "aigerim": []}
    checked = summaries = composed = 0
    for login in VIEWERS:
        for language in ("en", "kk", "ru"):
            ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language=language)
            with Session(web.engine) as s:
                viewer = viewer_for(s, svc.get_user(s, login))
                orgs = views.org_choices(s, viewer)
                for f in filters + [{"org": o} for o in org_filters[login]]:
                    sorts = [(None, False)] + [(k, d) for k in views.SORTS for d in (False, True)]
                    if language != "en":  # names in kk and ru: the organisation order
                        sorts = [("organisation", False), ("organisation", True)]
                    for sort, desc in sorts:
                        full = views.overdue_rows(s, ctx, viewer, sort=sort, desc=desc, **f)
                        pages = max(1, -(-len(full) // 7))
                        for page in sorted({1, 2, pages, pages + 3}):
                            rows, pager, counts = views.overdue_list(
                                s, ctx, viewer, page, "sort=x&page=9", sort=sort, desc=desc,
                                size=7, **f)
                            want, want_pager = views.paginate(full, page, "sort=x&page=9",
                                                              size=7)
                            assert _ids(rows) == _ids(want), (login, f, sort, desc, page)
                            assert rows == want
                            assert pager == want_pager
                            # the page's own call: composed of the subtree's parts, its
                            # counts by part (each subordinate's at its path), the same summary
                            parts = views.overdue_list(
                                s, ctx, viewer, page, "sort=x&page=9", sort=sort, desc=desc,
                                size=7, orgs=orgs, **f)
                            assert parts[:2] == (rows, pager), (login, f, sort, desc, page)
                            scope = (views.visible_org(s, viewer, f["org"]) if f.get("org")
                                     else viewer.org)
                            assert views.child_counts(parts[2], scope, orgs, language) == \
                                views.child_counts(counts, scope, orgs, language)
                            assert sum(parts[2].values()) == sum(counts.values())
                            composed += len(parts[2]) < len(counts)
                            checked += 1
                        # the counts: one GROUP BY, per organisation path; summed, the total
                        assert counts == Counter(r.subject_path for r in full), (login, f)
                        assert sum(counts.values()) == len(full)
                        scope = (views.visible_org(s, viewer, f["org"]) if f.get("org")
                                 else viewer.org)
                        summary = views.child_counts(counts, scope, orgs, language)
                        assert summary == old_by_child(full, scope, orgs, language)
                        summaries += bool(summary)
    assert checked > 300 and summaries > 50  # not vacuous: many lists, most of them not empty
    assert composed > 50  # many of them composed of parts


def test_due_pages_in_sql_equal_the_whole_list(web: Web):
    vary(web)
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="en")
    shown = 0
    for login in VIEWERS:
        with Session(web.engine) as s:
            viewer = viewer_for(s, svc.get_user(s, login))
            for within, org, process in [(10, None, None), (30, None, DEFINITION.key),
                                         (0, None, None), (250, None, None),
                                         (30, viewer.org.code, None)]:
                full = views.due_rows(s, ctx, viewer, within, org, process=process)
                for page in (1, 2, 50):
                    rows, pager = views.due_list(s, ctx, viewer, within, page, "within=3",
                                                 org, process=process, size=5)
                    want, want_pager = views.paginate(full, page, "within=3", size=5)
                    assert rows == want, (login, within, org, process, page)
                    assert pager == want_pager
                    shown += len(rows)
    assert shown > 40


def test_the_overdue_page_shows_the_sql_summary_and_count(web: Web):
    """Through HTTP: the page's count and summary rows are those of the whole list."""
    vary(web)
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="en")
    for login, query, org in [("gulnar", "", None), ("gulnar", "?org=MF-KGD", "MF-KGD"),
                              ("erlan", "?stage=order", None), ("aigerim", "", None)]:
        with Session(web.engine) as s:
            viewer = viewer_for(s, svc.get_user(s, login))
            stage = "order" if "stage=order" in query else None
            full = views.overdue_rows(s, ctx, viewer, org, stage)
            scope = views.visible_org(s, viewer, org) if org else viewer.org
            want = old_by_child(full, scope, views.org_choices(s, viewer), "en")
        page = web.browser(login).get(f"/overdue{query}")
        assert page.status_code == 200
        assert int(TOTAL.search(page.text).group(1)) == len(full) > 0, (login, query)
        assert [(c, int(n)) for c, n in SUMMARY.findall(page.text)] == [
            (w["code"], w["count"]) for w in want], (login, query)


def test_the_organisation_filter_options_are_the_markup_of_the_template_loop(web: Web):
    """`views.org_options` joins the <option>s in Python; the markup is the Jinja loop's it
    replaced, for every language, with and without a selected organisation (names with
    characters to escape included)."""
    loop = web.app.state.templates.env.from_string(
        "{% for o in orgs %}<option value=\"{{ o.code }}\" {{ 'selected' if selected == o.code }}>"
        "{{ o | local_name(lang) }}</option>{% endfor %}")
    with Session(web.engine) as s:
        viewer = viewer_for(s, svc.get_user(s, "erlan"))
        orgs = views.org_choices(s, viewer)
    odd = namedtuple("Row", "code name name_kk name_ru path")  # a code and names to escape
    orgs = [*orgs, odd("X<&\"'", "A & B <i>", "", None, orgs[0].path),
            odd("Y", "Y", "Ы & <б>", "Ы \"р\"", orgs[0].path)]
    assert len(orgs) > 4
    for lang in ("en", "kk", "ru"):
        for selected in (None, orgs[1].code, "X<&\"'"):
            assert str(views.org_options(orgs, selected, lang)) == loop.render(
                orgs=orgs, selected=selected, lang=lang)
