"""`merzim declarations …`: the personnel service's declarations list of an organisation for a
year (list, add, left, import, record, remind, export) and the counts per organisation of a subtree,
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
    svc,
    unit_of_work,
    write_file,
    year_or_this,
)
from workflow.cli.options import Json, SubjectOrg, option
from workflow.core.errors import UsageError

service = lazy("workflow.declarations.service")

app = typer.Typer(help="The personnel service's declarations list: the staff obliged to declare "
                       "(not accounts), whose notice of submission is recorded, who is missing.",
                  no_args_is_help=True)
YEAR = option("--year", "YEAR", "The declarations' year (default: this year).")
NAME = typer.Argument(..., help="The employee's full name (or her number on the list).")


def _as_json(listed: Any) -> dict[str, Any]:
    return {"org": listed.code, "name": listed.name, "year": listed.year,
            "deadline": listed.deadline.isoformat(), **listed.counts(),
            "no_email": len(listed.no_email),
            "people": [{"id": p.id, "name": p.name, "position": p.position, "email": p.email,
                        "submitted_on": p.submitted_on.isoformat() if p.submitted_on else None,
                        "scan": p.file_name,
                        "reminders": [{"day": r.day.isoformat(), "channel": r.channel,
                                       "status": r.status} for r in p.reminders]}
                       for p in listed.people],
            "missing_people": [p.name for p in listed.missing]}


@app.command("list")
def list_(org: SubjectOrg, year: str = YEAR, as_json: Json = False) -> None:
    """Every employee obliged to declare, her notice (the day, the scan) and reminders; the
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
        email = p.email or t("declarations.no_email")
        say(f"{p.id}\t{p.name}\t{email}\t{state}" + (f"\t{sent}" if sent else ""))


def _summary(c: dict[str, int], t) -> str:
    return t.n("declarations.summary", c["obliged"], notified=c["with_notice"],
               missing=c["missing"])


@app.command("add")
def add(org: SubjectOrg, name: str = NAME,
        position: str = option("--position", "TEXT", "Her position."),
        email: str = option("--email", "ADDRESS", "Where her reminders go."),
        language: str = option("--language", "LANG", "Her reminders' language: kk, ru or en.")
        ) -> None:
    """Add an employee to the staff list (one of the same name is updated). She is no account:
    she is never invited and cannot sign in."""
    ctx = context()
    with unit_of_work() as s:
        row = service.add(s, ctx, svc.get_org(s, org), name, position or "", email or "",
                          language or "")
        say(STATE.t("declarations.added_ok", name=row.name, id=row.id))


@app.command("left")
def left(org: SubjectOrg, name: str = NAME) -> None:
    """Mark an employee as having left: off the list, her notices kept."""
    ctx = context()
    with unit_of_work() as s:
        row = service.mark_left(s, ctx, svc.get_org(s, org), name)
        say(STATE.t("declarations.left_ok", name=row.name))


@app.command("import")
def import_(org: SubjectOrg,
            file: Path = typer.Argument(..., help="The staff file (.xlsx or .csv): name, "
                                                  "position, email, language.")) -> None:
    """The organisation's staff file: checked whole (every bad cell named by row and column;
    refused, nothing stored), then each employee added, or updated when her name is listed."""
    import sys

    from workflow import tabular

    ctx = context()
    rows = tabular.read_rows(file, (), as_written=True)
    try:
        with unit_of_work() as s:
            done = service.import_staff(s, ctx, svc.get_org(s, org), rows, STATE.t.language)
    except service.PeopleRefused as exc:  # every bad cell, one a line
        sys.stderr.write(exc.render(STATE.t) + "\n")
        raise typer.Exit(exc.exit_code) from None
    say(STATE.t("declarations.imported", added=len(done.added), updated=len(done.updated)))


@app.command("record")
def record(org: SubjectOrg, name: str = NAME,
           on: str = option("--on", "DATE", "The day she submitted her declaration."),
           scan: Path = option("--scan", "PATH", "The scan of her notice of submission."),
           year: str = YEAR) -> None:
    """Record an employee's notice of submission with its scan, filed to her record."""
    from workflow.cli.files import limits, opened_uploads, store

    if on is None or scan is None:
        raise UsageError("--on and --scan", key="declarations.record_needs")
    day = parse_date(on, "--on")
    ctx = context()
    with opened_uploads([scan]) as uploads, unit_of_work() as s:
        row = service.record_notice(s, ctx, store(), limits(), svc.get_org(s, org), name,
                                    year_or_this(year, ctx), day, uploads[0])
        say(STATE.t("declarations.recorded_ok", login=name, day=row.submitted_on.isoformat(),
                    file=row.file_name))


@app.command("remind")
def remind(org: SubjectOrg, year: str = YEAR,
           names: list[str] = option("--person", "NAME",
                                     "Only this missing employee (repeatable)."),
           as_json: Json = False) -> None:
    """An e-mail reminder to each missing employee through the outbox (the reminder worker
    sends it): once an employee and day; those without e-mail are named apart."""
    ctx = context()
    with unit_of_work() as s:
        done = service.remind_missing(s, ctx, svc.get_org(s, org), year_or_this(year, ctx),
                                      ("email",), names or None)
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
