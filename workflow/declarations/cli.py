"""`merzim declarations …`: the personnel service's declarations list of an organisation for a
year (list, oblige, record, remind, export) and the counts per organisation of a subtree,
through the same service as the page (/declarations). A bad value refuses the whole command:
nothing is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from workflow.cli.common import (
    STATE,
    context,
    emit_json,
    lazy,
    parse_date,
    say,
    unit_of_work,
    write_file,
    year_or_this,
)
from workflow.cli.options import Json, SubjectOrg, option
from workflow.core.errors import UsageError

svc = lazy("workflow.services")
service = lazy("workflow.declarations.service")

app = typer.Typer(help="The personnel service's declarations list: who is obliged to declare, "
                       "whose notice of submission is recorded, who is missing.",
                  no_args_is_help=True)
YEAR = option("--year", "YEAR", "The declarations' year (default: this year).")
LOGINS = typer.Argument(..., help="The people's logins.")


def _as_json(listed: Any) -> dict[str, Any]:
    return {"org": listed.code, "name": listed.name, "year": listed.year,
            "deadline": listed.deadline.isoformat(), **listed.counts(),
            "people": [{"login": p.login, "name": p.name, "position": p.position,
                        "declares": p.declares,
                        "submitted_on": p.submitted_on.isoformat() if p.submitted_on else None,
                        "scan": p.file_name,
                        "reminders": [{"day": r.day.isoformat(), "channel": r.channel,
                                       "status": r.status} for r in p.reminders]}
                       for p in listed.people],
            "missing_people": [p.login for p in listed.missing]}


@app.command("list")
def list_(org: SubjectOrg, year: str = YEAR, as_json: Json = False) -> None:
    """Every person obliged to declare, her notice (the day, the scan) and reminders; the
    missing ones named."""
    ctx = context()
    with unit_of_work() as s:
        listed = service.declaration_list(s, ctx, svc.get_org(s, org), year_or_this(year, ctx))
    if as_json:
        emit_json(_as_json(listed))
        return
    t = STATE.t
    say(t("declarations.heading", org=f"{listed.name} ({listed.code})", year=listed.year,
          deadline=listed.deadline.isoformat()))
    say(_summary(listed.counts(), t))
    for p in listed.obliged:
        state = p.submitted_on.isoformat() if p.submitted_on else t("declarations.missing")
        sent = ", ".join(f"{r.day.isoformat()} {t('web.channel.' + r.channel)}"
                         for r in p.reminders)
        say(f"{p.login}\t{p.name}\t{state}" + (f"\t{sent}" if sent else ""))


def _summary(c: dict[str, int], t) -> str:
    return t.n("declarations.summary", c["obliged"], notified=c["with_notice"],
               missing=c["missing"])


@app.command("oblige")
def oblige(org: SubjectOrg, logins: list[str] = LOGINS,
           off: bool = typer.Option(False, "--not", help="Clear the flag instead.")) -> None:
    """Mark the people as obliged to declare (or, with --not, as not)."""
    ctx = context()
    with unit_of_work() as s:
        changed = service.set_obliged(s, ctx, svc.get_org(s, org),
                                      dict.fromkeys(logins, not off))
    say(STATE.t.n("declarations.obliged_set", len(changed)))


@app.command("record")
def record(org: SubjectOrg, login: str = typer.Argument(..., help="The person's login."),
           on: str = option("--on", "DATE", "The day she submitted her declaration."),
           scan: Path = option("--scan", "PATH", "The scan of her notice of submission."),
           year: str = YEAR) -> None:
    """Record a person's notice of submission with its scan, filed to her record."""
    from workflow.cli.files import limits, opened_uploads, store

    if on is None or scan is None:
        raise UsageError("--on and --scan", key="declarations.record_needs")
    day = parse_date(on, "--on")
    ctx = context()
    with opened_uploads([scan]) as uploads, unit_of_work() as s:
        row = service.record_notice(s, ctx, store(), limits(), svc.get_org(s, org), login,
                                    year_or_this(year, ctx), day, uploads[0])
        say(STATE.t("declarations.recorded_ok", login=login, day=row.submitted_on.isoformat(),
                    file=row.file_name))


@app.command("remind")
def remind(org: SubjectOrg, year: str = YEAR,
           logins: list[str] = option("--person", "LOGIN",
                                      "Only this missing person (repeatable)."),
           as_json: Json = False) -> None:
    """A written reminder to each missing person through the outbox (the reminder worker sends
    it): once a person and day."""
    ctx = context()
    channels = STATE.settings.notify.channels if STATE.settings.notify else ("email",)
    with unit_of_work() as s:
        done = service.remind_missing(s, ctx, svc.get_org(s, org), year_or_this(year, ctx),
                                      channels, logins or None)
    if as_json:
        emit_json({"written": done.written, "already": done.already,
                   "unreachable": done.unreachable})
        return
    t = STATE.t
    say(t.n("declarations.reminded", len(done.written)))
    if done.already:
        say(t.n("declarations.reminded_already", len(done.already),
                logins=", ".join(done.already)))
    if done.unreachable:
        say(t.n("declarations.unreachable", len(done.unreachable),
                logins=", ".join(done.unreachable)))


@app.command("export")
def export(org: SubjectOrg, out: Path = option("--out", "PATH", "The file written (.xlsx or .csv)."),
           year: str = YEAR) -> None:
    """The list as an XLSX or CSV file (by the --out file's extension)."""
    if out is None:
        raise UsageError("--out", key="declarations.export_needs")
    fmt = out.suffix.lower().lstrip(".")
    ctx = context()
    with unit_of_work() as s:
        data = service.export(s, ctx, svc.get_org(s, org), year_or_this(year, ctx), fmt)
    write_file(out, data)
    say(str(out))


@app.command("counts")
def counts(org: SubjectOrg, year: str = YEAR, as_json: Json = False) -> None:
    """Obliged, notified and missing per organisation of the subtree (no names)."""
    ctx = context()
    with unit_of_work() as s:
        rows = service.counts(s, ctx, svc.get_org(s, org), year_or_this(year, ctx), True)
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        say(f"{r['code']}\t{r['name']}\t" + _summary(r, STATE.t))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="declarations")
