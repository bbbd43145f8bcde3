"""An organisation's year of recurring obligations on the dashboard: month by month, with each
stage's due date and status, and its XLSX/CSV export (the columns of `merzim obligations list`).
A viewer sees the organisations the other pages show them (officers their own, managers and
admins their subtree); any other is the 404 of an unknown organisation."""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from web.kit import views
from web.kit.access import visible_org
from web.kit.deps import PageContext
from web.kit.page import export, int_param, page, render
from workflow.core.errors import UsageError
from workflow.i18n import Translator, period_name
from workflow.services import obligations
from workflow.services import transactions as tx
from workflow.services.bulk_actions import MAX_ITEMS

router = APIRouter(include_in_schema=False)
# the order of the summary line: what needs attention first
STATUSES = ("overdue", "before_joining", "open", "done_on_time", "done_late", "not_done",
            "not_applicable")


def _query(request: Request, pc: PageContext) -> tuple[str, int]:
    """The organisation (default: the viewer's) and the year (default: today's) asked for; a
    year outside the calendar's data is a usage error (422), as on the other pages."""
    code = request.query_params.get("org") or pc.viewer.org.code
    year = int_param(request.query_params.get("year"), "year", pc.ctx.today.year)
    cal = pc.ctx.calendar
    if not cal.first_year <= year <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year, first=cal.first_year,
                         last=cal.last_year)
    return code, year


def _rows(request: Request, pc: PageContext) -> tuple[Any, int, list[dict[str, Any]]]:
    code, year = _query(request, pc)
    org = visible_org(pc.s, pc.viewer, code)
    return org, year, obligations.year_of(pc.s, pc.ctx, org.code, year)


def year_table(rows: list[dict[str, Any]], t: Translator) -> tuple[list[str], list[list[Any]]]:
    """The columns of `merzim obligations list --file`: month, obligation, period, stage, due,
    status, done on."""
    header = [t("obligations.col_month"), t("process.col_name"), t("case.col_period"),
              t("stage.col_stage"), t("stage.col_due"), t("stage.col_status"),
              t("stage.col_done")]
    body = [[r["month"], r["process_name"], period_label(r["period"], t), r["stage_name"], r["due"],
             t(f"status.{r['status']}"), r["done_on"]] for r in rows]
    return header, body


def period_label(label: str, t: Translator) -> str:
    """'2026Q1' in words of the reader's language ("Q1 2026", "1-й квартал 2026 г.", …); a
    label that is no period is shown as it is."""
    return period_name(label, t.language)


def _initial(text: str) -> str:
    """Month names are catalogued as inside a sentence (ru, kk: lower case); a heading or a
    cell starts with a capital."""
    return text[:1].upper() + text[1:]


def summary(rows: list[dict[str, Any]], t: Translator) -> dict[str, Any]:
    """The total in words (with its plural form) and the count of each status shown."""
    counts = Counter(r["status"] for r in rows)
    return {"total": t.plural("obligations_page.total", len(rows)),
            "statuses": [(key, counts[key]) for key in STATUSES if counts[key]]}


@router.get("/obligations", response_class=HTMLResponse)
def obligations_page(request: Request, pc: PageContext = Depends(page)):
    org, year, rows = _rows(request, pc)
    for r in rows:
        r["period_name"] = period_label(r["period"], pc.t)
    months = [(m, _initial(pc.t(f"obligations_page.month_{m}")),
               [r for r in rows if r["month"] == m])
              for m in range(1, 13)]
    cal = pc.ctx.calendar
    query = urlencode({"org": org.code, "year": year})
    return render(request, pc, "obligations.html", org=org, year=year, rows=rows, months=months,
                  summary=summary(rows, pc.t), orgs=views.org_choices(pc.s, pc.viewer),
                  years=range(cal.first_year, cal.last_year + 1), export_query=query,
                  bulk_limit=MAX_ITEMS)


@router.get("/obligations.{fmt}")
def obligations_export(request: Request, fmt: str, pc: PageContext = Depends(page)) -> Response:
    if fmt not in ("xlsx", "csv"):
        raise UsageError(key="error.bad_format", value=fmt)
    org, year, rows = _rows(request, pc)
    header, body = year_table(rows, pc.t)
    tx.audited(pc.s, f"web:{pc.viewer.login}", "export.obligations", "organisation", org.code,
               {"format": fmt, "year": year, "rows": len(body)})
    return export(fmt, f"obligations-{org.code}-{year}", f"{org.code} {year}", header, body)
