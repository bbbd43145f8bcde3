"""The working-day calendar and the calendar feeds (iCalendar) of the reader's work."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from web.kit import exports
from web.kit.access import Viewer
from web.kit.deps import PageContext, db, make_context
from web.kit.page import page, path_int, render
from workflow import services as svc
from workflow.core.errors import NotFound, UsageError
from workflow.i18n import Translator
from workflow.services import accounts as auth

router = APIRouter(include_in_schema=False)


# -- calendar --------------------------------------------------------------------------------------


@router.get("/calendar", response_class=HTMLResponse)
def calendar_now(pc: PageContext = Depends(page)):
    return RedirectResponse(f"/calendar/{pc.ctx.today.year}", status_code=303)


@router.get("/calendar/{year}", response_class=HTMLResponse)
def calendar_page(request: Request, year: str, pc: PageContext = Depends(page)):
    y = path_int(year, "year")
    cal = pc.ctx.calendar
    if not cal.first_year <= y <= cal.last_year:
        raise UsageError(key="error.year_outside", year=y, first=cal.first_year,
                         last=cal.last_year)
    return render(request, pc, "calendar.html", year=y, off=cal.non_working_weekdays(y),
                  worked=cal.working_weekend_days(y), notice=cal.decree_notice(y),
                  first=cal.first_year, last=cal.last_year)


# -- a reader's calendar feed (iCalendar; its address is made on her account page) ---------


@router.get("/ics/{token}.ics")
def ics(request: Request, token: str, s: Session = Depends(db)):
    feed = auth.feed_for(s, token)
    if feed is None:
        raise NotFound(key="notfound.feed")
    owner = svc.user_by_id(s, feed.owner_id)
    if owner is None or not owner.active:
        raise NotFound(key="notfound.feed")
    from web.kit.access import viewer_for

    viewer: Viewer = viewer_for(s, owner)
    lang = owner.language
    ctx = make_context(request, viewer, lang)
    if feed.scope == "organisation":
        org = svc.org_by_id(s, feed.organisation_id)
        if org is None or not viewer.sees_org(org):  # the owner moved: the feed shows nothing outside
            raise NotFound(key="notfound.feed")
        rows = [r for r in svc.open_stages(s, ctx, org.code) if viewer.sees_path(r.subject_path)]
        name = f"merzim — {org.name}"
    else:
        rows = [r for r in svc.open_stages(s, ctx, viewer.org.code)
                if viewer.sees_path(r.subject_path)
                and (viewer.sees_below or r.responsible == owner.login)]
        name = f"merzim — {owner.full_name}"
    # names and words in the owner's language, the case link, an alarm per her
    # reminder days at the reminders' send time
    from workflow.reminders.planner import reminder_days
    from workflow.settings import load_notify_settings

    # the object by its name, not its code (none when it is the subject: ics_feed)
    objects = {code: svc.org_name(svc.find_org(s, code), lang)
               for code in {r.object for r in rows if r.object}}
    ns = load_notify_settings(request.app.state.settings, env={}, require_secrets=False)
    base = ns.public_url or str(request.base_url).rstrip("/")
    days = reminder_days(s, owner.id, ns.policy.before)
    return Response(exports.ics_feed(name, rows, t=Translator(lang), base_url=base,
                                     object_names=objects,
                                     alarm_days=days, calendar=ctx.calendar,
                                     alarm_time=ns.send_time),
                    media_type="text/calendar; charset=utf-8")
