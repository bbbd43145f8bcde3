"""The manager's overview of a subtree: overdue stages by organisation (drilling down), the
on-time rate per organisation, twelve months of late stages by lateness, and a month's calendar
of open deadlines with the stages of a chosen day. A viewer sees the organisations the other
pages show them (officers their own, managers and admins their subtree); any other is the 404
of an unknown organisation."""

from __future__ import annotations

import calendar as monthgrid
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from web.kit import charts, views
from web.kit.access import visible_org
from web.kit.deps import PageContext
from web.kit.page import page, render
from workflow.core.dates import parse_day
from workflow.core.errors import UsageError
from workflow.services import lists
from workflow.services import overview as ov

router = APIRouter(include_in_schema=False)


def _month(pc: PageContext, value: str | None) -> date:
    """The ?month=YYYY-MM shown by the calendar (default: today's), inside the calendar's years."""
    if not value:
        return ov.month_start(pc.ctx.today)
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
    except ValueError:
        raise UsageError(key="overview.bad_month", value=value) from None
    cal = pc.ctx.calendar
    if not cal.first_year <= first.year <= cal.last_year:
        raise UsageError(key="error.year_outside", year=first.year, first=cal.first_year,
                         last=cal.last_year)
    return first


def _day(pc: PageContext, value: str | None, first: date) -> date | None:
    """The ?day= whose stages are listed: a date of the month shown."""
    if not value:
        return None
    day = parse_day(value, pc.t("overview.day"), strip=False)
    if (day.year, day.month) != (first.year, first.month):
        raise UsageError(key="overview.day_outside_month", value=value,
                         month=charts.month_label(first, pc.t))
    return day


def _link(path: str, **params: Any) -> str:
    kept = [(k, str(v)) for k, v in params.items() if v not in (None, "")]
    return path + ("?" + urlencode(kept) if kept else "")


def _drill(f: ov.OrgFigures) -> str:
    """Where a bar leads: a subordinate with its own subordinates to its overview, any other
    (and the scope's own row) to the overdue list of that organisation."""
    if f.own or f.leaf:
        return _link("/overdue", org=f.code)
    return _link("/overview", org=f.code)


def _overdue_chart(figures: list[ov.OrgFigures], pc: PageContext) -> dict[str, Any]:
    shown = sorted((f for f in figures if f.overdue), key=lambda f: (-f.overdue, f.path))
    ticks = charts.nice_ticks(max([f.overdue for f in shown] + [1]), 5)
    items = [{"label": f.name + (" " + pc.t("overview.own_stages") if f.own and len(figures) > 1
                                 else ""),
              "value": f.overdue, "code": f.code, "href": _drill(f),
              "text": pc.t.n("overview.overdue_count", f.overdue)} for f in shown]
    chart = charts.hbars(items, ticks[-1], ticks)
    chart["total"] = sum(f.overdue for f in shown)
    return chart


def _rate_chart(figures: list[ov.OrgFigures], pc: PageContext) -> dict[str, Any]:
    shown = sorted((f for f in figures if f.done), key=lambda f: (f.rate, f.path))
    items = [{"label": f.name + (" " + pc.t("overview.own_stages") if f.own and len(figures) > 1
                                 else ""),
              "value": round(100 * (f.rate or 0)), "code": f.code, "on_time": f.on_time,
              "done": f.done, "href": _link("/overview", org=f.code) if not (f.own or f.leaf)
              else None,
              "text": pc.t.n("overview.rate_value", f.done, rate=round(100 * (f.rate or 0)),
                             on_time=f.on_time)} for f in shown]
    return charts.hbars(items, 100, [0, 25, 50, 75, 100])


def _month_grid(pc: PageContext, scope: str, first: date, counts: dict[date, int],
                chosen: date | None) -> list[list[dict[str, Any] | None]]:
    """Weeks of the month (Monday first), each day with its count of open stages due and its
    link; None outside the month."""
    weeks = []
    for week in monthgrid.Calendar(0).monthdatescalendar(first.year, first.month):
        row: list[dict[str, Any] | None] = []
        for d in week:
            if d.month != first.month:
                row.append(None)
                continue
            n = counts.get(d, 0)
            row.append({"date": d, "n": n, "working": pc.ctx.calendar.is_working_day(d),
                        "past": d < pc.ctx.today, "today": d == pc.ctx.today,
                        "chosen": d == chosen,
                        "href": _link("/overview", org=scope, month=first.strftime("%Y-%m"),
                                      day=d.isoformat()) + "#day" if n else None,
                        "text": pc.t.n("overview.stages_due", n) if n else ""})
        weeks.append(row)
    return weeks


def _bucket_names(pc: PageContext) -> dict[str, str]:
    """"1–5 working days late", …, "more than 20 working days late" in the reader's words."""
    return {key: (pc.t.n("overview.bucket_range", hi, lo=lo) if hi is not None
                  else pc.t.n("overview.bucket_over", lo - 1)) for key, lo, hi in ov.BUCKETS}


@router.get("/overview", response_class=HTMLResponse)
def overview_page(request: Request, pc: PageContext = Depends(page)):
    q = dict(request.query_params)
    # the organisation typed as a code or a name (several: offered to choose; none: all hers,
    # answered as an unknown one)
    orgs = views.org_choices(pc.s, pc.viewer)
    picked = views.typed_org(orgs, q.get("org"), pc.t.language, request.url.query)
    q["org"] = picked.code or ""
    scope = visible_org(pc.s, pc.viewer, q["org"]) if q["org"] else pc.viewer.org
    only = views.only_path(pc.viewer)
    first = _month(pc, q.get("month"))
    day = _day(pc, q.get("day"), first)
    figures = [f for f in ov.by_organisation(pc.s, pc.ctx, scope.code, only)
               if pc.viewer.sees_path(f.path)]
    trend = ov.late_by_month(pc.s, pc.ctx, scope.code, only)
    counts = ov.due_by_day(pc.s, pc.ctx, scope.code, first, only)
    day_rows = ([r for r in lists.due_on(pc.s, pc.ctx, scope.code, day, only)
                 if pc.viewer.sees_path(r.subject_path)] if day else [])
    day_key = "working_days_overdue" if day and day < pc.ctx.today else "working_days_left"
    cal = pc.ctx.calendar
    prev_month, next_month = ov.month_start(first, 1), ov.next_month(first)
    month_link = {
        "prev": _link("/overview", org=q.get("org"), month=prev_month.strftime("%Y-%m"))
        if prev_month.year >= cal.first_year else None,
        "next": _link("/overview", org=q.get("org"), month=next_month.strftime("%Y-%m"))
        if next_month.year <= cal.last_year else None,
        "this": _link("/overview", org=q.get("org")),
    }
    buckets = tuple(b[0] for b in ov.BUCKETS)
    parts: dict[str, Any] = {}  # what features add (web/kit/parts.py: the coverage …)
    for part in request.app.state.parts.overview:
        parts.update(part.page(request, pc, scope))
    return render(request, pc, "overview.html", status=picked.status, picked=picked,
                  scope=scope, figures=figures, **parts,
                  overdue_chart=_overdue_chart(figures, pc), rate_chart=_rate_chart(figures, pc),
                  trend=trend, trend_chart=charts.months_stacked(trend, pc.t, buckets),
                  buckets=ov.BUCKETS, colours=charts.LATENESS, bucket_names=_bucket_names(pc),
                  since=ov.window_start(pc.ctx.today), month=first,
                  month_name=charts.month_label(first, pc.t), month_link=month_link,
                  weeks=_month_grid(pc, scope.code, first, counts, day),
                  month_total=sum(counts.values()), day=day, day_rows=day_rows,
                  day_groups=views.grouped(day_rows), day_key=day_key,
                  orgs=orgs, org_filter=picked.typed or "")
