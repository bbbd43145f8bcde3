"""Exports: XLSX and CSV of lists and programmes, iCalendar feeds of due dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event

from workflow.tabular import table_csv, table_xlsx  # noqa: F401  (the exports use them)


def own_mark(t, basis: str) -> str:
    """A deadline merzim sets, the sources giving none (I-17): "deadline set by merzim, I-2";
    "" for a due date from the sources."""
    if not basis:
        return ""
    return t("stage.own_deadline_merzim") if basis == "merzim" else t("stage.own_deadline",
                                                                        basis=basis)


def list_table(rows: list[dict[str, Any]], t, days_key: str) -> tuple[list[str], list[list[Any]]]:
    header = [t("list.col_organisation"), t("list.col_analysis"), t("list.col_object"),
              t("stage.col_stage"), t("stage.col_due"), t("stage.col_basis"),
              t(f"list.col_{days_key}"), t("list.col_responsible")]
    body = [[r["organisation_name"], r["analysis"], r["object"], r["stage_name"], r["due"],
             own_mark(t, r["due_basis"]), r[days_key], r["responsible_name"] or ""]
            for r in rows]
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
            row += [st["due"] if st else None, t(f"status.{st['status']}") if st else ""]
        body.append(row)
    return header, body


def ics_feed(name: str, items: list[dict[str, Any]], domain: str = "merzim") -> bytes:
    """One all-day event per due date; UID per stage, so a moved deadline updates the event."""
    cal = Calendar()
    cal.add("prodid", "-//merzim//deadlines//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(UTC)
    for it in items:
        ev = Event()
        ev.add("uid", f"stage-{it['stage_id']}@{domain}")
        ev.add("summary", f"{it['stage_name']} — {it['organisation_name']} (#{it['analysis']})")
        ev.add("dtstart", it["due"])
        ev.add("dtend", it["due"] + timedelta(days=1))
        ev.add("dtstamp", stamp)
        target = f"{it['organisation']} → {it['object']}" if it["object"] else it["organisation"]
        ev.add("description", f"{target}; {'projected' if it['projected'] else 'fixed'}")
        ev.add("transp", "TRANSPARENT")
        cal.add_component(ev)
    return cal.to_ical()
