"""The Telegram bot's answers to a linked person: /due, /overdue, /case N and
/help, in her language, with only what she may see — the same lists and the same rules of
visibility as the pages (web.kit.access): an officer's own work ("My work"), a manager's or an
admin's subtree. A reply never names the person a case is about, whoever asks (P-28): /case
says what the outbound description of the case says (workflow/reminders/outbound.py), and the
page behind its link shows the person to those who may see her.

The worker's poller (workflow/reminders/telegram_link.py) calls `answer` inside the update's
transaction; the composition root (the `worker` command) hands it over."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from sqlmodel import Session

from notifications.render import bot_text, case_url
from web.kit.access import viewer_for, visible_case
from web.kit.views import case_for
from workflow import services as svc
from workflow.core.errors import NotFound
from workflow.i18n import Translator, date_text
from workflow.reminders.outbound import outbound_case
from workflow.services.lists import readers_due, readers_overdue
from workflow.services.views import OverdueRow, StageRow

if TYPE_CHECKING:
    from workflow.storage.models import User

MAX_LINES = 20  # a reply lists at most this many stages, then says how many more
DUE_WITHIN = 5  # /due: working days ahead (the `due` command's and the digests' default)


def answer(s: Session, ctx: svc.Context, user: User, text: str, base_url: str = "") -> str:
    """The reply to one command of `user` (a linked, active person)."""
    ctx = dataclasses.replace(ctx, language=user.language, actor=f"telegram:{user.login}")
    words = text.split()
    command = words[0].split("@", 1)[0].lower() if words else ""
    viewer = viewer_for(s, user)
    lang = user.language
    if command == "/overdue":
        return _stages(lang, "overdue", _overdue(s, ctx, viewer), base_url)
    if command == "/due":
        return _stages(lang, "due", _due(s, ctx, viewer), base_url)
    if command == "/case":
        ident = words[1].lstrip("#") if len(words) > 1 else ""
        if not ident.isdigit():
            return bot_text(lang, "case_usage")
        return _case(s, ctx, viewer, int(ident), base_url)
    return bot_text(lang, "help")


def _overdue(s: Session, ctx: svc.Context, viewer) -> list[OverdueRow]:
    """Her own work's (an officer's), a manager's subtree's: the list asks visibility."""
    return readers_overdue(s, ctx, viewer.user, viewer.org.code, DUE_WITHIN)


def _due(s: Session, ctx: svc.Context, viewer) -> list[StageRow]:
    return readers_due(s, ctx, viewer.user, viewer.org.code, DUE_WITHIN)


def _stages(lang: str, kind: str, rows: Sequence[StageRow], base_url: str) -> str:
    """A list of stages: a heading with the count, a line per stage (no person's name: the
    lists never carry one), at most MAX_LINES."""
    if not rows:
        return bot_text(lang, f"{kind}_none")
    lines = [bot_text(lang, f"{kind}_title", n=len(rows))]
    for row in rows[:MAX_LINES]:
        days = (row.working_days_overdue if isinstance(row, OverdueRow)
                else row.working_days_left or 0)
        lines.append("• " + bot_text(lang, f"{kind}_line", stage=row.stage_name,
                                     org=row.organisation_name, case=row.case,
                                     due=_day(row.due, lang), n=days))
        url = case_url(base_url, row.case)
        if url:
            lines.append(f"  {url}")
    if len(rows) > MAX_LINES:
        lines.append(bot_text(lang, "more", n=len(rows) - MAX_LINES))
    return "\n".join(lines)


def _case(s: Session, ctx: svc.Context, viewer, ident: int, base_url: str) -> str:
    lang = viewer.user.language
    try:
        case = visible_case(s, viewer, ident)
    except NotFound:  # (outside her subtree: as if it did not exist, as on the pages)
        return bot_text(lang, "case_unknown", id=ident)
    view = case_for(s, ctx, viewer, case)
    out = outbound_case(s, ctx, case)  # what a message may say of it: never its person (P-28)
    lines = [bot_text(lang, "case_title", id=ident, process=out.process_name(lang),
                      org=out.subject_in(lang), state=view.state_name)]
    for row in view.stages:
        if row.working_days_left is None:  # (set for the open stages only)
            continue
        lines.append("• " + bot_text(lang, "case_stage", stage=row.name,
                                     due=_day(row.due, lang),
                                     status=Translator(lang).gettext(f"status.{row.status}")))
    url = out.url(base_url)
    if url:
        lines.append(url)
    return "\n".join(lines)


def _day(value: date | None, lang: str) -> str:
    """A due date as the reader writes it (26.11.2026 in kk and ru)."""
    return date_text(value, lang) if value else "—"
