"""Exports: XLSX and CSV of lists and programmes, iCalendar feeds of due dates."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from workflow.services.views import StageRow
from workflow.tabular import table_csv, table_xlsx  # noqa: F401  (the exports use them)


def own_mark(t, basis: str) -> str:
    """A deadline merzim sets, the sources giving none (I-17): "deadline set by merzim, I-2";
    "" for a due date from the sources."""
    if not basis:
        return ""
    return t("stage.own_deadline_merzim") if basis == "merzim" else t("stage.own_deadline",
                                                                        basis=basis)


def list_table(rows: Sequence[StageRow], t, days_key: str,
               procedure: Callable[[str], str] | None = None,
               ) -> tuple[list[str], list[list[Any]]]:
    """An overdue or due list's export. The case column holds every kind of case ("Case");
    `procedure` names each row's procedure in the reader's language (the last
    column: the columns before it keep their places for the files users already process)."""
    header = [t("list.col_organisation"), t("list.col_case"), t("list.col_object"),
              t("stage.col_stage"), t("stage.col_due"), t("stage.col_basis"),
              t(f"list.col_{days_key}"), t("list.col_responsible")]
    body: list[list[Any]] = [
        [r.organisation_name, r.analysis, r.object, r.stage_name, r.due,
         own_mark(t, r.due_basis), getattr(r, days_key), r.responsible_name or ""]
        for r in rows]
    if procedure is not None:
        header.append(t("list.col_procedure"))
        for row, r in zip(body, rows, strict=True):
            row.append(procedure(r.process))
    return header, body


def programme_table(matrix: dict[str, Any], definition, lang: str, t) -> tuple[list[str], list]:
    keys = matrix["stage_keys"]
    header = [t("list.col_analysis"), t("list.col_object"), t("programme.col_start"),
              t("programme.col_end"), t("stage.col_status")]
    for k in keys:
        header += [definition.stage_name(k, lang) + " — " + t("stage.col_due"),
                   definition.stage_name(k, lang) + " — " + t("stage.col_status")]
    body = []
    for r in matrix["rows"]:
        row = [r["id"], r["object_name"], r["start"], r["end"], r["state_name"]]
        for k in keys:
            st = r["stages"].get(k)
            row += [st.due if st else None, t(f"status.{st.status}") if st else ""]
        body.append(row)
    return header, body


def ics_feed(name: str, items: Sequence[StageRow], domain: str = "merzim", t=None,
             base_url: str = "", alarm_days: tuple[int, ...] = (), calendar=None,
             alarm_time: time = time(9, 0), object_names: Mapping[str, str] | None = None,
             ) -> bytes:
    """One all-day event per due date; UID per stage, so a moved deadline updates the event.
    With `t` (the feed owner's translator), the description names the organisations and says
    in words whether the date is fixed or projected and who sets it; `base_url`: the case
    page's link (DESCRIPTION and URL); `alarm_days`: a display alarm (VALARM) for each of the
    owner's reminder days (working days before the due date, by `calendar`), at `alarm_time`
    of that day (the reminders' send time), as an offset from the start of the due day;
    `object_names`: the objects by their names (by code), not shown when the subject's own."""
    from icalendar import Alarm, Calendar, Event  # a third of a second: when first asked for

    cal = Calendar()
    cal.add("prodid", "-//merzim//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(UTC)
    for it in items:
        ev = Event()
        ev.add("uid", f"stage-{it.stage_id}@{domain}")
        ev.add("summary", f"{it.stage_name} — {it.organisation_name} (#{it.analysis})")
        ev.add("dtstart", it.due)
        ev.add("dtend", it.due + timedelta(days=1))
        ev.add("dtstamp", stamp)
        link = f"{base_url.rstrip('/')}/cases/{it.analysis}" if base_url else ""
        if t is None:
            target = f"{it.organisation} → {it.object}" if it.object else it.organisation
            ev.add("description", f"{target}; {'projected' if it.projected else 'fixed'}")
        else:
            object_name = ((object_names or {}).get(it.object, "")
                           if it.object and it.object != it.organisation else "")
            target = it.organisation_name + (f" → {object_name}" if object_name else "")
            words = t("ics.projected" if it.projected else "ics.fixed")
            if it.due_basis:
                words += "; " + own_mark(t, it.due_basis)
            ev.add("description", "\n".join(x for x in (
                t("ics.description", case=it.analysis, parties=target, due=words), link)
                if x))
        if link:
            ev.add("url", link)
        for days in alarm_days if calendar is not None else ():
            on = calendar.add_working_days(it.due, -days) if days else it.due
            offset = (on - it.due) + timedelta(hours=alarm_time.hour,
                                                  minutes=alarm_time.minute)
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", it.stage_name if t is None
                      else t("ics.alarm_due_today", stage=it.stage_name) if days == 0
                      else t.n("ics.alarm", days, stage=it.stage_name))
            alarm.add("trigger", offset)
            ev.add_component(alarm)
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
