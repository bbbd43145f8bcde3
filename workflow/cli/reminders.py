"""Reminder commands: worker, reminders preview, outbox, user set and telegram-link."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from typing import Any

import typer
from rich.table import Table

from workflow.cli.common import (
    STATE,
    carry_fact_days,
    context,
    emit_json,
    engine,
    lazy,
    parse_date,
    svc,
    today_in_zone,
    unit_of_work,
)
from workflow.cli.options import AsOf, Json, Login, option
from workflow.core.errors import UsageError
from workflow.definitions.features import providing

ob = lazy("workflow.reminders.outbox")
rem = lazy("workflow.reminders.planner")

reminders_app = typer.Typer(help="Reminders: what would be sent.", no_args_is_help=True)
outbox_app = typer.Typer(help="Messages waiting, sent or failed.", invoke_without_command=True)


def notify_settings(require_secrets: bool = True):
    """The reminder settings; sending needs the channels' secrets from the environment."""
    from workflow.settings import load_notify_settings

    if not require_secrets:
        return STATE.settings.notify
    return load_notify_settings(STATE.settings, require_secrets=True)


def _digest_json(d) -> dict[str, Any]:
    return {
        "recipient": d.recipient.name, "recipient_id": d.recipient.id, "role": d.recipient.role,
        "language": d.recipient.language, "email": d.recipient.email,
        "telegram": d.recipient.telegram_chat_id,
        "items": [{"kind": ln.kind, "working_days": ln.working_days,
                   "analysis": ln.item.analysis_id, "case": ln.item.analysis_id,
                   "process": ln.item.process, "period": ln.item.period,
                   "stage": ln.item.stage_key,
                   "due": ln.item.due, "subject": ln.item.subject_code,
                   "object": ln.item.object_code} for ln in d.lines],
    }


@reminders_app.command("preview")
def preview(as_of: AsOf = None, as_json: Json = False) -> None:
    """Who would get what on a day (nothing is sent or written)."""
    ns = notify_settings(require_secrets=False)
    ctx = context(parse_date(as_of, "--as-of") if as_of else None)
    with unit_of_work() as s:
        digests = rem.preview(s, ctx, ns)
    working = ctx.calendar.is_working_day(ctx.today)
    if as_json:
        emit_json({"as_of": ctx.today, "working_day": working,
                   "digests": [_digest_json(d) for d in digests]})
        return
    t = STATE.t
    if not working:
        STATE.console.print(t("reminders.not_working", date=ctx.today.isoformat(),
                              reason=ctx.calendar.reason(ctx.today)))
        return
    if not digests:
        STATE.console.print(t("reminders.none", date=ctx.today.isoformat()))
    from notifications.render import render_digest

    for d in digests:
        r = render_digest(d)
        STATE.console.rule(f"{d.recipient.name} ({d.recipient.role}) — {r.subject}")
        STATE.console.print(r.text, markup=False)


def make_worker():
    """A Worker over the configured database, channels and clock (checks the settings first)."""
    from workflow.reminders.worker import Worker, build_channels
    from workflow.services.transactions import prepare

    ns = notify_settings()
    eng = engine()
    prepare(eng)
    for line in carry_fact_days():  # entries linked before their fact's day was declared
        logging.getLogger("merzim.start").warning("%s", line)
    tz = STATE.settings.tz
    pinned = bool(os.environ.get("MERZIM_TODAY"))

    def now() -> datetime:
        real = datetime.now(tz)
        if pinned:
            day = today_in_zone()
            return real.replace(year=day.year, month=day.month, day=day.day)
        return real

    def open_obligations(day) -> int:
        from workflow.services import obligations
        from workflow.services.transactions import unit_of_work as open_unit

        with open_unit(eng) as s:
            opened = obligations.sync(s, context(day, actor="worker"))
        return len(opened)

    def feature_planner(feature):
        def plan(s, ctx):  # a feature's reminders (its declaration's `remind`): with the digests
            return feature.remind()(s, ctx, STATE.settings, ns)

        plan.__name__ = feature.name
        return plan

    def answer(s, user, text, day):  # a linked person's /due, /overdue, /case N
        from web.kit import bot

        return bot.answer(s, context(day, actor="worker"), user, text, ns.public_url)

    return Worker(eng, ns, lambda day: context(day, actor="worker"), now, build_channels(ns), pinned,
                  daily=(open_obligations,),
                  planners=tuple(feature_planner(f) for f in providing("remind")),
                  answer=answer)


def worker(once: bool = typer.Option(False, "--once", help="One planning and dispatch cycle, then exit."),
           as_json: Json = False) -> None:
    """Run the reminder worker (planning, dispatch, Telegram polling) until SIGTERM."""
    w = make_worker()
    if once:
        result = w.cycle()
        if as_json:
            emit_json(result)
        else:
            STATE.console.print(STATE.t("worker.cycle", **{k: v for k, v in result.items()
                                                           if k != "errors"}))
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    w.run_forever(STATE.settings.timezone)


@outbox_app.callback()
def outbox_list(ctx: typer.Context, show_all: bool = typer.Option(False, "--all",
                                                                   help="Include sent messages."),
                as_json: Json = False) -> None:
    """Failed and pending messages (with the error); `merzim outbox retry` sends failed ones again."""
    if ctx.invoked_subcommand is not None:
        return
    statuses = (ob.PENDING, ob.SENDING, ob.FAILED, ob.SENT) if show_all else (
        ob.PENDING, ob.SENDING, ob.FAILED)
    with unit_of_work() as s:
        rows = [{"id": r.id, "status": r.status, "channel": r.channel, "recipient_id": r.recipient_id,
                 "address": r.address, "day": r.local_day, "digest": r.digest,
                 "attempts": r.attempts, "error": r.last_error, "subject": r.subject}
                for r in ob.list_rows(s, statuses)]
    if as_json:
        emit_json({"messages": rows})
        return
    if not rows:
        STATE.console.print(STATE.t("outbox.empty"))
        return
    table = Table()
    for col in ("id", "status", "channel", "address", "day", "attempts", "error"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), r["status"], r["channel"], r["address"], r["day"].isoformat(),
                      str(r["attempts"]), r["error"] or "")
    STATE.console.print(table)


@outbox_app.command("retry")
def outbox_retry(ids: list[str] = typer.Argument(None, help="Message ids; all failed when omitted."),
                 as_json: Json = False) -> None:
    """Queue failed messages again."""
    numbers = []
    for i in ids or []:
        try:
            numbers.append(int(i))
        except ValueError:
            raise UsageError(key="error.bad_int", what="ID", value=i) from None
    with unit_of_work() as s:
        n = ob.retry(s, numbers or None, context().actor)
    emit_json({"requeued": n}) if as_json else STATE.console.print(STATE.t("outbox.requeued", n=n))


def user_set(login: Login,
             name: str = option("--name", "NAME", "Her full name."),
             position: str = option("--position", "TEXT",
                                    "Her position, printed with her name (empty string removes it)."),
             role: str = option("--role", "ROLE", "officer, manager or admin"),
             org: str = option("--org", "CODE", "Code of her organisation."),
             email: str = option("--email", "ADDRESS", "Empty string removes it."),
             language: str = option("--language", "LANG", "Language of her reminders: kk, ru or en."),
             telegram_chat: str = option("--telegram-chat", "CHAT", "Her Telegram chat id (empty string "
                                                                    "removes it)."),
             active: bool = typer.Option(None, "--active/--inactive",
                                         help="Let her sign in and get reminders, or not."),
             as_json: Json = False) -> None:
    """Change a user's details or channels. Once she has signed in (or from the moment she is
    responsible for a whistleblower's case), her e-mail and Telegram are hers: a new e-mail
    waits for her confirmation by a link sent to it, her Telegram chat she links herself."""
    from workflow.services import channels

    web = STATE.settings.web  # where her confirmation link points, as an invitation's
    base = web.public_url or f"http://{web.host}:{web.port}"
    with unit_of_work() as s:
        u = svc.update_user(s, context(), login, base_url=base,
                            full_name=name, position=position, role=role, org=org, email=email,
                            language=language, telegram_chat_id=telegram_chat, active=active)
        pending = channels.pending_email(s, u) if email else None
        why = "channels.email_pending" if u.signed_in_at is not None \
            else "channels.email_pending_protected"  # hers: she answers for a protected case
        out = {"login": u.login, "name": u.full_name, "position": u.position, "role": u.role,
               "email": u.email,
               "language": u.language, "telegram_chat_id": u.telegram_chat_id, "active": u.active,
               "email_pending": pending.new_email if pending is not None else None}
    if as_json:
        emit_json(out)
        return
    STATE.console.print(STATE.t("user.updated", login=login))
    if pending is not None:
        STATE.console.print(STATE.t(why, login=login,
                                    email=pending.new_email))


def telegram_link(login: Login,
                  as_json: Json = False) -> None:
    """Print a one-time code; the user sends '/start CODE' to the bot to link the chat (only
    for one who never signed in: she makes her own code on her account page)."""
    from workflow.services import channels

    with unit_of_work() as s:
        user = svc.get_user(s, login)
        code = channels.operator_link_code(s, context(), user)
    if as_json:
        emit_json({"login": login, "code": code, "command": f"/start {code}"})
    else:
        STATE.console.print(STATE.t("user.telegram_code", login=login, code=code))


def register(app: typer.Typer) -> None:
    """Add `worker`, `reminders`, `outbox` (`user set` and `user telegram-link` join the user
    group in engine.py)."""
    app.command("worker")(worker)
    app.add_typer(reminders_app, name="reminders")
    app.add_typer(outbox_app, name="outbox")
