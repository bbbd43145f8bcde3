"""`merzim calendar ...`: inspect the Kazakh working-day calendar."""

from __future__ import annotations

import typer

from workflow.cli.common import STATE, emit_json, parse_date, parse_int
from workflow.cli.options import JsonTable
from workflow.core.errors import UsageError

app = typer.Typer(help="The Kazakh working-day calendar.", no_args_is_help=True)


def _year(text: str) -> int:
    year = parse_int(text, "YEAR")
    cal = STATE.calendar
    if not cal.first_year <= year <= cal.last_year:
        raise UsageError(key="error.year_outside", year=year, first=cal.first_year,
                         last=cal.last_year)
    return year


def _checked(call):
    from calendars.errors import CalendarRangeError

    try:
        return call()
    except CalendarRangeError as exc:
        cal = STATE.calendar
        raise UsageError(str(exc), key="error.date_outside", detail=str(exc),
                         first=cal.first_year, last=cal.last_year) from None


@app.command("show")
def show(year: str = typer.Argument(..., metavar="YEAR", help="The year, e.g. 2026."),
         as_json: JsonTable = False) -> None:
    """The year's non-working weekdays and worked weekend days."""
    y = _year(year)
    cal, t = STATE.calendar, STATE.t
    lang = t.language
    off = cal.non_working_weekdays(y)
    worked = cal.working_weekend_days(y)
    notice = cal.decree_notice(y)
    if as_json:
        emit_json({
            "year": y,
            "non_working": [{"date": d.date, "name": d.name(lang), "kind": d.kind,
                             "reference": d.reference} for d in off],
            "working_weekend_days": [{"date": d.date, "reason": d.reason(lang),
                                      "reference": d.reference} for d in worked],
            "decree_loaded": notice is None,
            "notice": notice,
        })
        return
    from rich.table import Table

    table = Table(title=t("calendar.title", year=y))
    for col in ("calendar.col_date", "calendar.col_weekday", "calendar.col_name",
                "calendar.col_kind"):
        table.add_column(t(col))
    for d in off:
        table.add_row(d.date.isoformat(), t(f"weekday.{d.date.weekday()}"), d.name(lang),
                      t(f"kind.{d.kind}"))
    for w in worked:
        table.add_row(w.date.isoformat(), t(f"weekday.{w.date.weekday()}"), w.reason(lang),
                      t("kind.working"))
    STATE.console.print(table)
    if notice:
        STATE.console.print(t("calendar.no_decree", year=y))


@app.command("is-working")
def is_working(day: str = typer.Argument(..., metavar="DATE", help="The day (YYYY-MM-DD)."),
               as_json: JsonTable = False) -> None:
    """Whether DATE is a working day, and why."""
    d = parse_date(day, "DATE")
    cal = STATE.calendar
    working = _checked(lambda: cal.is_working_day(d))
    reason = cal.reason(d)
    if as_json:
        emit_json({"date": d, "working": working, "reason": reason})
    elif cal.is_ordinary(d):  # an ordinary weekday or weekend: the reason would repeat the verdict
        key = "calendar.plain_working" if working else "calendar.plain_weekend"
        STATE.console.print(STATE.t(key, date=d.isoformat()))
    else:
        key = "calendar.is_working" if working else "calendar.is_not_working"
        STATE.console.print(STATE.t(key, date=d.isoformat(), reason=reason))


@app.command("add", context_settings={"ignore_unknown_options": True})
def add(day: str = typer.Argument(..., metavar="DATE",
                              help="The day counted from (YYYY-MM-DD)."),
        n: str = typer.Argument(..., metavar="N", help="Working days; negative counts back."),
        as_json: JsonTable = False) -> None:
    """The N-th working day after DATE (before it when N is negative); DATE is not counted."""
    d = parse_date(day, "DATE")
    steps = parse_int(n, "N")
    result = _checked(lambda: STATE.calendar.add_working_days(d, steps))
    if as_json:
        emit_json({"date": result})
    else:
        STATE.console.print(result.isoformat())


@app.command("between")
def between(first: str = typer.Argument(..., metavar="DATE1", help="The first day (not counted)."),
            second: str = typer.Argument(..., metavar="DATE2",
                                         help="The last day (counted)."),
            as_json: JsonTable = False) -> None:
    """Working days after DATE1 up to and including DATE2 (workalendar's delta)."""
    d1, d2 = parse_date(first, "DATE1"), parse_date(second, "DATE2")
    k = _checked(lambda: STATE.calendar.get_working_days_delta(d1, d2))
    if as_json:
        emit_json({"working_days": k})
    else:
        STATE.console.print(str(k))
