"""A report form on the web: `GET /forms/{n}.xlsx?org=CODE&year=Y&lang=kk|ru`, the XLSX of
appendix n (1-6) of a subject and a year, as a download.

Who may have it is who sees the organisation (officers their own, managers and admins their
subtree; anything else answers as if it did not exist); the persons of the cases it lists are
written only for those the case page shows them to (`sees_person`), hidden otherwise. Every
download is audited (`export.form`).

`GET /forms/national.xlsx?org=CODE&year=Y&lang=kk|ru`: the input to the National Report
(workflow/forms/national.py) under the same rule, consolidated as the score page's settings say
(`[scorecard] consolidating_kinds`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlmodel import Session

from web.kit.access import person_rule, visible_org
from web.kit.deps import PageContext
from web.kit.page import attachment, int_param, page
from web.kit.parts import Parts
from workflow.forms import national
from workflow.forms import service as forms
from workflow.scorecard.rules import ScoreSettings
from workflow.services import transactions as tx
from workflow.services.context import Context

router = APIRouter(include_in_schema=False)


def _asked(request: Request, pc: PageContext) -> tuple[Any, int, str]:
    """The organisation (`?org=`, the reader's own without it; one she sees), the year
    (`?year=`, this year without it) and the language (`?lang=`) of the form asked for."""
    code = request.query_params.get("org") or pc.viewer.org.code
    language = forms.form_language(request.query_params.get("lang"), pc.t.language)
    given = int_param(request.query_params.get("year"), "year")
    year = pc.ctx.today.year if given is None else given
    forms.check_year(pc.ctx, year)
    return visible_org(pc.s, pc.viewer, code), year, language


@router.get("/forms/national.xlsx")  # before /forms/{n}.xlsx, which would take "national"
def national_xlsx(request: Request, pc: PageContext = Depends(page)) -> Response:
    org, year, language = _asked(request, pc)
    viewer = pc.viewer
    kinds = request.app.state.settings.of(ScoreSettings).consolidating_kinds
    produced = national.produce(pc.s, pc.ctx, org.code, year, language, kinds,
                                person_rule(viewer))
    with tx.transaction(pc.s):
        national.record_export(pc.s, f"web:{viewer.login}", org.code, produced)
    name = national.file_name(org.code, year, language)
    return Response(produced.content, media_type=forms.XLSX,
                    headers={"Content-Disposition": attachment(name)})


@router.get("/forms/{n}.xlsx")
def form_xlsx(request: Request, n: str, pc: PageContext = Depends(page)) -> Response:
    number = forms.appendix_number(n)
    org, year, language = _asked(request, pc)
    viewer = pc.viewer
    produced = forms.produce(pc.s, pc.ctx, number, org.code, year, language,
                             person_rule(viewer))
    with tx.transaction(pc.s):
        forms.record_export(pc.s, f"web:{viewer.login}", org.code, produced)
    name = forms.file_name(pc.t, number, org.code, year, language)
    return Response(produced.content, media_type=forms.XLSX,
                    headers={"Content-Disposition": attachment(name)})


class ReportForms:
    """The report forms the shared pages link (web/kit/parts.py, `report_forms`): the
    appendices (workflow/forms/layouts.toml) a register page and the score page link, the lines
    each form would hold, and the obligation whose analysis pages link to the National Report's
    input (national.toml)."""

    def appendices(self) -> tuple[int, ...]:
        return forms.appendices()

    def lines(self, s: Session, ctx: Context, code: str, year: int) -> dict[int, int]:
        return forms.line_counts(s, ctx, code, year)

    def national_obligation(self) -> str | None:
        return national.obligation()


PARTS = Parts(routers=(router,), report_forms=ReportForms())
