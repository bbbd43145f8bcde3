"""A person's reminder preferences from the command line: `merzim
preferences show LOGIN` and `merzim preferences set LOGIN …` — channels, working days before a
due date, the digest hour, muted cases and snoozed stages — through the same service as the
account page (/account/reminders). A bad value refuses the whole command: nothing is stored."""

from __future__ import annotations

from datetime import date
from typing import Any

import typer

from workflow.cli.common import STATE, context, emit_json, lazy, parse_date, svc, unit_of_work
from workflow.cli.options import Json, option
from workflow.core.errors import NotFound, UsageError
from workflow.notices import rules

notices = lazy("workflow.notices.service")

preferences_app = typer.Typer(help="A user's reminder preferences: channels, days before a due "
                                   "date, digest hour, muted cases, snoozed stages.",
                              no_args_is_help=True)
USER = typer.Argument(..., help="The user's login.")
DEFAULT = "default"  # an option's value that gives the setting back to the organisation
NONE = "none"  # --channels none: no reminder by any channel


def _org_before() -> tuple[int, ...]:
    notify = STATE.settings.notify
    return notify.policy.before if notify is not None else (5, 1, 0)


def _send_time() -> str:
    notify = STATE.settings.notify
    return notify.send_time.strftime("%H:%M") if notify is not None else "—"


def shown(s, ctx, user) -> dict[str, Any]:
    """Her preferences as stored, with the organisation's settings they fall back to, and her
    muted cases and snoozed stages (the stage by its name in the reader's language)."""
    pref = notices.preference(s, user)
    lang = STATE.t.language
    holds = []
    for h in notices.holds(s, user):
        case = svc.find_case(s, h.case_id)
        defn = svc.definition_of(s, ctx, case) if case is not None else None
        holds.append({"id": h.id, "case": h.case_id, "kind": "snoozed" if h.stage_key else "muted",
                      "process": case.process if case is not None else None,
                      "process_name": defn.name(lang) if defn is not None else None,
                      "stage": h.stage_key,
                      "stage_name": defn.stage_name(h.stage_key, lang)
                      if defn is not None and h.stage_key else None,
                      "until": h.until})
    return {"login": user.login,
            "channels": pref.channels.split(",") if pref.channels else
            ([] if pref.channels == "" else None),
            "before": list(rules.before_days(pref.before) or ()) if pref.before else None,
            "digest_hour": pref.digest_hour,
            "organisation": {"channels": list(STATE.settings.notify.channels)
                             if STATE.settings.notify is not None else [],
                             "before": list(_org_before()), "send_time": _send_time()},
            "holds": holds}


def _print_shown(out: dict[str, Any]) -> None:
    t = STATE.t
    lines = [t("notices.cli_title", login=out["login"])]
    if out["channels"] is None:
        channels = t("notices.cli_default", value=", ".join(
            t(f"notices.channel_{c}") for c in out["organisation"]["channels"]) or "—")
    elif not out["channels"]:
        channels = t("notices.cli_no_channel")
    else:
        channels = ", ".join(t(f"notices.channel_{c}") for c in out["channels"])
    lines.append(f"  {t('notices.channels')}: {channels}")
    before = (", ".join(str(d) for d in out["before"]) if out["before"] is not None
              else t("notices.cli_default",
                     value=", ".join(str(d) for d in out["organisation"]["before"])))
    lines.append(f"  {t('notices.before')}: {before}")
    hour = (f"{out['digest_hour']:02d}:00" if out["digest_hour"] is not None
            else t("notices.cli_default", value=out["organisation"]["send_time"]))
    lines.append(f"  {t('notices.digest_hour')}: {hour}")
    lines.append(t("notices.holds") + ":")
    if not out["holds"]:
        lines.append("  " + t("notices.no_holds"))
    for h in out["holds"]:
        case, process = h["case"], h["process_name"] or h["process"] or "—"
        if h["kind"] == "muted":
            lines.append("  " + t("notices.cli_muted", case=case, process=process))
        else:
            lines.append("  " + t("notices.cli_snoozed", case=case, process=process,
                                  stage=f"«{h['stage_name'] or h['stage']}»",
                                  until=h["until"].isoformat() if h["until"] else "—"))
    for line in lines:
        STATE.console.print(line)


@preferences_app.command("show")
def preferences_show(login: str = USER, as_json: Json = False) -> None:
    """A user's reminder preferences (the organisation's setting where she chose none), her
    muted cases and snoozed stages."""
    ctx = context()
    with unit_of_work() as s:
        out = shown(s, ctx, svc.get_user(s, login))
    emit_json(out) if as_json else _print_shown(out)


def _stage_item(text: str, option: str) -> tuple[str, str]:
    """CASE:STAGE as typed (the stage's key, a period's with its period: 12:report:2025Q4)."""
    case, sep, stage = text.strip().partition(":")
    if not sep or not case.strip().isdigit() or not stage.strip():
        raise UsageError(f"{option}: {text!r} is not CASE:STAGE", key="notices.error_stage_item",
                         option=option, value=text[:80])
    return case.strip(), stage.strip()


def _held(holds, case: str, stage: str | None, value: str):
    for h in holds:
        if str(h.case_id) == case and h.stage_key == stage:
            return h
    raise NotFound(f"nothing muted or snoozed: {value}", key="notices.error_no_hold",
                   value=value[:80])


def _snooze(item: str) -> tuple[str, str, date]:
    """--snooze CASE:STAGE=DATE, checked."""
    target, sep, day = item.partition("=")
    if not sep:
        raise UsageError(f"--snooze: {item!r} is not CASE:STAGE=DATE",
                         key="notices.error_snooze_item", value=item[:80])
    return (*_stage_item(target, "--snooze"), parse_date(day.strip(), "--snooze"))


def _save(s, user, channels: str | None, before: str | None, digest_hour: str | None) -> None:
    """The channels, days and hour given (`default`: the organisation's), the others kept
    as stored, through the account page's service (which checks them all first)."""
    pref = notices.preference(s, user)
    chosen: list[str] | None
    if channels is None:
        chosen = pref.channels.split(",") if pref.channels else (
            [] if pref.channels == "" else None)
    elif channels.strip().lower() == DEFAULT:
        chosen = None
    elif channels.strip().lower() == NONE:
        chosen = []
    else:
        chosen = [c.strip().lower() for c in channels.split(",") if c.strip()]
        if not chosen:
            raise UsageError(key="notices.error_channel", value=channels[:40])
    days = (pref.before or "" if before is None
            else "" if before.strip().lower() == DEFAULT else before)
    hour = ("" if pref.digest_hour is None else str(pref.digest_hour)) \
        if digest_hour is None else \
        "" if digest_hour.strip().lower() == DEFAULT else digest_hour
    notices.save_preferences(s, user, chosen, days, hour, "cli")


@preferences_app.command("set")
def preferences_set(login: str = USER,
                    channels: str = option("--channels", "LIST", "email, telegram or both (email,telegram); "
                                                                 "none: no reminders; default: the "
                                                                 "organisation's."),
                    before: str = option("--before", "DAYS", "Working days before a due date, e.g. 5,1,0 "
                                                             "(each 0 to 30); default: the organisation's."),
                    digest_hour: str = option("--digest-hour", "HOUR", "The hour (0-23) her daily digest is "
                                                                       "sent from; default: the "
                                                                       "organisation's send time."),
                    mute: list[str] = option("--mute", "CASE", "No reminder of this case (repeatable)."),
                    unmute: list[str] = option("--unmute", "CASE", "Reminders of this case again."),
                    snooze: list[str] = option("--snooze", "CASE:STAGE=DATE", "No reminder of this open "
                                                                              "stage until the date (after "
                                                                              "today)."),
                    unsnooze: list[str] = option("--unsnooze", "CASE:STAGE", "End a stage's snooze."),
                    as_json: Json = False) -> None:
    """Change a user's reminder preferences; what is not given stays as it is. A bad value
    refuses the whole command: nothing is stored."""
    if all(v is None for v in (channels, before, digest_hour)) and not any(
            (mute, unmute, snooze, unsnooze)):
        raise UsageError("nothing to change", key="notices.cli_nothing")
    if before is not None and not before.strip():  # "" would silently mean "default"
        raise UsageError("empty --before", key="notices.error_before", value="",
                         limit=rules.MAX_OFFSET)
    if digest_hour is not None and not digest_hour.strip():
        raise UsageError("empty --digest-hour", key="notices.error_hour", value="")
    snoozes = [_snooze(item) for item in snooze or []]
    unsnoozes = [_stage_item(item, "--unsnooze") for item in unsnooze or []]
    ctx = context()
    with unit_of_work() as s:
        user = svc.get_user(s, login)
        if any(v is not None for v in (channels, before, digest_hour)):
            _save(s, user, channels, before, digest_hour)
        holds = notices.holds(s, user)
        for case in unmute or []:
            notices.release(s, user, _held(holds, case.strip(), None, case).id, ctx.actor)
        for case, stage in unsnoozes:
            notices.release(s, user, _held(holds, case, stage, f"{case}:{stage}").id,
                            ctx.actor)
        for case in mute or []:
            notices.mute(s, user, case.strip(), ctx.actor)
        for case, stage, day in snoozes:
            notices.snooze(s, ctx, user, case, stage, day, ctx.actor)
        out = shown(s, ctx, user)
    if as_json:
        emit_json(out)
        return
    STATE.console.print(STATE.t("notices.cli_saved", login=out["login"]))
    _print_shown(out)


def register(app: typer.Typer) -> None:
    app.add_typer(preferences_app, name="preferences")
