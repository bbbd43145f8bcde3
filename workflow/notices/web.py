"""The notification centre's pages and API: /notifications (read and
unread, mark one, mark all), /account/reminders (channels, days before a due date, digest hour,
mutes and snoozes), `GET /api/v1/notifications` and `POST /api/v1/notifications/read`, and the
bell's unread count in the menu of every page (`MENU_PART`, composed by web/app.py). Everyone
sees only her own items; a case she does not answer for is the 404 of an unknown case."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from notifications.settings import ReminderSettings
from web.kit import views
from web.kit.api import LIMIT, OFFSET, ApiContext, api_routes, paginate
from web.kit.deps import PageContext
from web.kit.error_pages import web_message
from web.kit.page import check_csrf, form_day, int_param, page, page_number, render
from web.kit.parts import Parts
from web.kit.shapes import Shape
from web.kit.times import local_time
from workflow import services as svc
from workflow.core.errors import MerzimError, NotFound
from workflow.notices import rules, service
from workflow.services import transactions as tx
from workflow.services import visibility
from workflow.services.users import display_names

router = APIRouter(include_in_schema=False)
api_router = api_routes()


def org_before(request: Request) -> tuple[int, ...]:
    """The organisation's working days before a due date ([reminders] before)."""
    notify = request.app.state.settings.notify
    return notify.policy.before if notify is not None else (5, 1, 0)


def org_policy(request: Request) -> ReminderSettings:
    """The organisation's reminder settings ([reminders]): whose escalations a manager's
    centre lists, as his digest does."""
    notify = request.app.state.settings.notify
    return notify.policy if notify is not None else ReminderSettings()


@router.get("/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, pc: PageContext = Depends(page)):
    number = page_number(request)
    c = service.centre(pc.s, pc.ctx, pc.viewer.user, org_before(request),
                       org_policy(request))
    first = (number - 1) * rules.PAGE
    shown = service.described(pc.s, pc.ctx, c.items[first:first + rules.PAGE], c.unread,
                              pc.t.language)
    pages = max(1, -(-len(c.items) // rules.PAGE))
    names = display_names(pc.s, [i["actor"] for i in shown])  # "Asel Nurpeisova", not web:asel
    tz = request.app.state.settings.tz  # the day of a moment, in the configured time zone
    shown = [{**i, "actor_name": names.get(i["actor"] or "") or i["actor"],
              "day_local": local_time(i["at"], tz)[:10]} for i in shown]
    return render(request, pc, "notifications.html", items=shown, unread=c.unread_count,
                  total=len(c.items), page=number, pages=pages,
                  menu_extra={"unread": c.unread_count})


@router.post("/notifications/read")
def mark_read(request: Request, csrf: str = Form(""), item: str = Form(""),
              pc: PageContext = Depends(page)):
    """One item (`item`: its key) or, without one, every item listed."""
    check_csrf(pc, csrf)
    with tx.transaction(pc.s):
        service.mark_read(pc.s, pc.ctx, pc.viewer.user, org_before(request),
                          [item] if item else None, org_policy(request))
    return RedirectResponse("/notifications", status_code=303)


def _reachable(request: Request, user: Any) -> list[str]:
    """The channels that reach her: those the organisation sends by, Telegram only once her
    chat is linked (a default never ticks a channel she cannot hear on)."""
    notify = request.app.state.settings.notify
    sent = notify.channels if notify is not None else rules.CHANNELS
    return [c for c in rules.CHANNELS if c in sent
            and (c != "telegram" or (user.telegram_chat_id and user.telegram_active))]


def _preferences_page(request: Request, pc: PageContext, status: int = 200,
                      typed: dict[str, Any] | None = None, error: str | None = None):
    user = pc.viewer.user
    pref = service.preference(pc.s, user)
    chosen = pref.channels.split(",") if pref.channels is not None \
        else _reachable(request, user)
    before = pref.before or ""
    hour = "" if pref.digest_hour is None else str(pref.digest_hour)
    if typed is not None:  # refused: what she typed, as she typed it
        chosen, before, hour = typed["channel"], typed["before"], typed["digest_hour"]
    saved = error is None and request.query_params.get("saved") == "1"
    return render(request, pc, "reminder_preferences.html", status=status, pref=pref,
                  saved=saved,
                  channels=rules.CHANNELS, chosen=chosen, before=before, digest_hour=hour,
                  error=error, linked=bool(user.telegram_chat_id),
                  org_before=", ".join(str(d) for d in org_before(request)),
                  holds=service.described_holds(pc.s, pc.ctx, service.holds(pc.s, user),
                                                pc.t.language),
                  stages=service.snoozable(pc.s, pc.ctx, user, pc.t.language),
                  max_offset=rules.MAX_OFFSET)


@router.get("/account/reminders", response_class=HTMLResponse)
def reminders_page(request: Request, pc: PageContext = Depends(page)):
    return _preferences_page(request, pc)


@router.post("/account/reminders")
def save_preferences(request: Request, csrf: str = Form(""), channel: list[str] = Form([]),
                     before: str = Form(""), digest_hour: str = Form(""),
                     pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    try:
        with tx.transaction(pc.s):
            service.save_preferences(pc.s, pc.viewer.user, channel, before, digest_hour,
                                     pc.ctx.actor)
    except MerzimError as exc:  # the page again, her values kept, the problem above them
        tx.refused(pc.s, pc.ctx.actor, "refused", "request", "POST",
                   {"path": "/account/reminders", "key": exc.key, "status": 422})
        return _preferences_page(request, pc, 422, {"channel": channel, "before": before,
                                                    "digest_hour": digest_hour},
                                 web_message(exc, pc.t))
    return RedirectResponse("/account/reminders?saved=1", status_code=303)


@router.post("/account/reminders/mute")
def mute_case(request: Request, csrf: str = Form(""), case: str = Form(""),
              pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    try:
        with tx.transaction(pc.s):
            service.mute(pc.s, pc.viewer.user, case.strip(), pc.ctx.actor)
    except NotFound as exc:  # no case of hers by that number: said on the same page
        tx.refused(pc.s, pc.ctx.actor, "refused", "request", "POST",
                   {"path": "/account/reminders/mute", "key": exc.key, "status": 404})
        return _preferences_page(request, pc, 404, error=web_message(exc, pc.t))
    return RedirectResponse("/account/reminders", status_code=303)


@router.post("/account/reminders/snooze")
def snooze_stage(csrf: str = Form(""), case: str = Form(""), stage: str = Form(""),
                 until: str = Form(""), item: str = Form(""), pc: PageContext = Depends(page)):
    """A stage of a notification (`case`, `stage`), or one chosen on the preference page
    (`item`: "CASE:STAGE"), snoozed until a date; back to the page it was chosen on."""
    check_csrf(pc, csrf)
    if item:
        case, _sep, stage = item.partition(":")
    day = form_day(pc, until)
    with tx.transaction(pc.s):
        service.snooze(pc.s, pc.ctx, pc.viewer.user, case.strip(), stage.strip(), day,
                       pc.ctx.actor)
    return RedirectResponse("/account/reminders" if item else "/notifications", status_code=303)


@router.post("/account/reminders/holds/{hold_id}/release")
def release_hold(hold_id: str, csrf: str = Form(""), pc: PageContext = Depends(page)):
    check_csrf(pc, csrf)
    with tx.transaction(pc.s):
        service.release(pc.s, pc.viewer.user, int_param(hold_id, "id") or 0, pc.ctx.actor)
    return RedirectResponse("/account/reminders", status_code=303)


class Notice(Shape):
    """An item of the notification centre: what happened on which case and stage, when, by
    whom (never the person a case is about), and whether the caller has read it."""

    key: str
    kind: str
    case: int
    unread: bool
    at: Any
    stage: str | None
    stage_name: str | None
    due: str | None
    days: int | None
    actor: str | None
    process: str
    process_name: str
    subject: str
    subject_name: str
    period: str | None


class Notices(Shape):
    """One page of the caller's notification centre and how many items are unread."""

    items: list[Notice]
    total: int
    limit: int
    offset: int
    unread: int


class Marked(Shape):
    """How many items were marked read."""

    marked: int


@api_router.get("/notifications", response_model=Notices)
def api_notifications(request: Request, limit: int = LIMIT, offset: int = OFFSET,
                      a: ApiContext = Depends()) -> dict[str, Any]:
    """The caller's notification centre: her cases' stages overdue and due soon, records and
    withdrawals by others on them and the cases handed to her (the last 30 days), overdue
    first, each with `unread`; `unread` counts them all. Names in ?lang= (kk, ru, en); never
    the name of a person a case is about."""
    c = service.centre(a.s, a.ctx, a.viewer.user, org_before(request), org_policy(request))
    listed = service.described(a.s, a.ctx, c.items[offset:offset + limit], c.unread,
                               a.ctx.language)
    result = paginate(listed, limit, 0).model_dump()
    result.update(total=len(c.items), offset=offset, unread=c.unread_count)
    return result


class ReadIn(BaseModel):
    items: list[str] | None = Field(default=None, max_length=rules.MAX_ITEMS,
                                    description="The keys of the items to mark read; absent: "
                                                "every item listed.")


@api_router.post("/notifications/read", response_model=Marked)
def api_mark_read(request: Request, body: ReadIn, a: ApiContext = Depends()) -> dict[str, int]:
    """Mark items of the caller's centre read (an item not in it: 404, nothing stored)."""
    with tx.transaction(a.s):
        marked = service.mark_read(a.s, a.ctx, a.viewer.user, org_before(request), body.items,
                                   org_policy(request))
    return {"marked": marked}


class MenuPart:
    """The bell's unread count, for the menu of every page (web/kit/page.py): one SELECT
    (`service.centre`), kept across requests until what it reads changes (`views.kept`, the
    scopes of `svc.bell_scopes`): her own version (her reads, mutes, snoozes and preferences;
    the cases she answers for, is handed or named in), an officer's organisation's cases
    nobody answers for, who joined when, and a manager's escalations (the stages of his
    organisation and of those his escalations reach); another person's read marks, a comment
    on another's case or a write deeper in a manager's subtree leave it kept."""

    def counts(self, request: Request, pc: PageContext) -> dict[str, int]:
        user, before, policy = pc.viewer.user, org_before(request), org_policy(request)
        scopes = svc.bell_scopes(user.id, pc.viewer.role, visibility.unassigned_of(user),
                                 pc.viewer.org.path, policy.escalate_levels)
        return {"unread": views.kept(
            pc.s, pc.ctx, ("bell", user.id, user.organisation_id, user.role, before, policy),
            lambda: service.unread_count(pc.s, pc.ctx, user, before, policy),
            pc.viewer.org.path, pc.viewer.user.id, scopes=scopes)}


MENU_PART = MenuPart()


PARTS = Parts(routers=(router, api_router), menu=MENU_PART)
