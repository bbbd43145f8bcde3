"""Geometry of the dashboard's server-side SVG charts (horizontal bars, month columns stacked by
lateness, a case's Gantt): numbers and wrapped words in, coordinates out; the templates draw
them, so no script runs in the browser."""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from workflow.i18n import Translator
from workflow.services.views import CaseDate, CaseView

# Colours on white with WCAG 2.1 AA contrast for graphics (≥ 3:1); text in INK (≥ 4.5:1).
INK, MUTED, GRID = "#1d2733", "#5b6775", "#d9dee5"
LATENESS = {"b1": "#dc6803", "b2": "#b42318", "b3": "#55160c"}  # 1–5, 6–20, >20 working days
STATUS = {"open": "#175cd3", "overdue": "#b42318", "done_on_time": "#067647",
          "done_late": "#dc6803", "not_done": "#667085", "not_applicable": "#667085",
          "before_joining": "#6941c6"}
OVERDUE_BAR, RATE_BAR = "#b42318", "#067647"
CHAR_PX = 7.2  # a generous average width of a 12–13 px character (Cyrillic included)
LABEL_PX = 8.2  # the widest average of a 13 px label's character (Kazakh and Russian capitals)


def wrap(text: str, width: int) -> list[str]:
    """Whole words on lines of at most `width` characters (a longer word keeps its own line:
    never cut inside a word)."""
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def nice_ticks(top: float, count: int = 5) -> list[int]:
    """Whole-number axis ticks from 0 to at least `top`, steps of 1, 2 or 5 times a power of 10."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(1, int(step))
    last = int(math.ceil(top / step) * step)
    return list(range(0, last + 1, step))


def hbars(items: list[dict[str, Any]], top: float, ticks: Sequence[float], width: int = 720,
          label_chars: int = 36) -> dict[str, Any]:
    """A horizontal bar per item ({label, value, …}, kept in the row): wrapped labels on the
    left, bars scaled to `top`, value ticks for the axis."""
    wrapped = [wrap(item["label"], label_chars) for item in items]
    # the labels' column as wide as their longest line (a long word keeps its line whole), at
    # the width of a 13 px character: a label ends at the plot and never starts left of the box
    longest = max((len(line) for lines in wrapped for line in lines), default=0)
    label_w = int(longest * LABEL_PX) + 12
    plot_x, plot_w = label_w, width - label_w - 70
    rows, y = [], 34
    for item, lines in zip(items, wrapped, strict=True):
        h = max(28, 15 * len(lines) + 12)
        w = round(plot_w * item["value"] / top, 1) if top else 0
        rows.append({**item, "lines": lines, "y": y, "h": h, "bar_y": y + h / 2 - 8,
                     "bar_w": max(w, 1.5 if item["value"] else 0), "text_y": y + h / 2 + 4,
                     "label_y": y + h / 2 - 7.5 * (len(lines) - 1) + 4,
                     "value_x": plot_x + max(w, 0) + 6})
        y += h
    axis = [{"x": round(plot_x + plot_w * v / top, 1) if top else plot_x, "value": v}
            for v in ticks]
    return {"width": width, "height": y + 8, "plot_x": plot_x, "plot_w": plot_w, "top_y": 26,
            "bottom_y": y, "rows": rows, "axis": axis}


def months_stacked(months: list[Any], t: Translator, buckets: tuple[str, ...],
                   width: int = 720) -> dict[str, Any]:
    """Two columns per month, done late and still overdue, each stacked by lateness bucket."""
    top_value = max([sum(m.done_late.values()) for m in months]
                    + [sum(m.overdue.values()) for m in months] + [1])
    ticks = nice_ticks(top_value, 4)
    top = ticks[-1]
    plot_x, plot_top, plot_h = 84, 16, 200  # room on the left for the first month's name
    base_y = plot_top + plot_h
    slot = (width - plot_x - 8) / len(months)
    bar_w = min(22.0, (slot - 10) / 2)
    columns = []
    for i, m in enumerate(months):
        x0 = plot_x + i * slot + (slot - 2 * bar_w - 4) / 2
        pair = []
        for j, (kind, counts) in enumerate((("done_late", m.done_late), ("overdue", m.overdue))):
            y, segments = base_y, []
            for b in buckets:
                n = counts[b]
                if not n:
                    continue
                h = plot_h * n / top
                y -= h
                segments.append({"bucket": b, "n": n, "y": round(y, 1), "h": round(h, 1),
                                 "colour": LATENESS[b]})
            pair.append({"kind": kind, "x": round(x0 + j * (bar_w + 4), 1), "w": round(bar_w, 1),
                         "segments": segments, "total": sum(counts.values()),
                         "top_y": round(y, 1)})
        columns.append({"month": m.month, "label": month_label(m.month, t),
                        "label_x": round(plot_x + i * slot + slot / 2, 1), "bars": pair})
    axis = [{"y": round(base_y - plot_h * v / top, 1), "value": v} for v in ticks]
    return {"width": width, "height": base_y + 84, "plot_x": plot_x, "base_y": base_y,
            "plot_top": plot_top, "columns": columns, "axis": axis}


def month_label(first: date, t: Translator) -> str:
    return t("obligations_page.period_month", month=t(f"obligations_page.month_{first.month}"),
             year=first.year)


# -- the Gantt of a case ------------------------------------------------------------------------


def _anchor_date(rule: Any, dates: Mapping[str, CaseDate]) -> date | None:
    """The date a stage's due rule counts forward from (None: it counts backward, or a date it
    needs is not known yet)."""
    if rule is None or rule.direction != "after":
        return None
    found = []
    for anchor in rule.anchors:
        name, _, part = anchor.partition(".")
        info = dates.get(name)
        value = None if info is None else info.planned if part == "planned" else info.date
        if value is None:
            return None
        found.append(value)
    return max(found) if rule.combine == "latest" else min(found)


def _months_between(lo: date, hi: date) -> list[date]:
    out, d = [], date(lo.year, lo.month, 1)
    while d <= hi:
        out.append(d)
        d = date(d.year + d.month // 12, d.month % 12 + 1, 1)
    return out


def gantt(view: CaseView, definition: Any, today: date, t: Translator,
          width: int = 1040) -> dict[str, Any]:
    """A case's stages as a Gantt: for each stage the window it is counted over (from the date
    its due rule counts forward from) up to its due date, the lateness after it (done late, or
    overdue until today), the due date and the completion marked; month axis and a labelled
    today line. Names are wrapped at word boundaries, never cut."""
    stages = view.stages
    rule_of = {k: st.due for k, st in definition.stages.items()}
    rows_in = []
    for st in stages:
        start = _anchor_date(rule_of.get(st.key), view.dates)
        if start is not None and st.due is not None and start >= st.due:
            start = None
        rows_in.append((st, start))
    days = [d for st, start in rows_in for d in (start, st.due, st.done_on) if d] + [today]
    first_month = date(min(days).year, min(days).month, 1)
    last = max(days)
    end = date(last.year + last.month // 12, last.month % 12 + 1, 1)
    span = max((end - first_month).days, 1)
    label_chars = 44
    left = int(label_chars * CHAR_PX) + 16
    plot_w = width - left - 16

    def x(d: date) -> float:
        return round(left + plot_w * (d - first_month).days / span, 1)

    rows: list[dict[str, Any]] = []
    y = 52
    for st, start in rows_in:
        lines = wrap(st.name, label_chars)
        h = max(30, 15 * len(lines) + 14)
        mid = y + h / 2
        status = st.status
        row: dict[str, Any] = {
            "key": st.key, "name": st.name, "lines": lines, "y": y, "h": h, "mid": mid,
            "label_y": mid - 7.5 * (len(lines) - 1) + 4, "status": status,
            "status_text": t(f"status.{status}"), "colour": STATUS.get(status, MUTED),
            "projected": st.projected, "due": st.due, "done_on": st.done_on,
            "start": start, "band": len(rows) % 2 == 1}
        if st.due is not None:
            row["due_x"] = x(st.due)
            if start is not None:
                row["bar"] = {"x": x(start), "w": max(row["due_x"] - x(start), 2.0)}
            late_to = (st.done_on if st.done_on and st.done_on > st.due
                       else today if status == "overdue" else None)
            if late_to is not None:
                row["late"] = {"x": row["due_x"], "w": max(x(late_to) - row["due_x"], 2.0),
                               "colour": STATUS["overdue" if status == "overdue"
                                                else "done_late"]}
        if st.done_on is not None:
            row["done_x"] = x(st.done_on)
        rows.append(row)
        y += h
    months = _months_between(first_month, end)
    # every label carries its year ("September 2026": ~100 px at 12 px), so a window across
    # a new year is read without counting back to the first month
    every = max(1, math.ceil(len(months) * 112 / plot_w))
    ticks = []
    for i, m in enumerate(months):
        tick = {"x": x(m), "month": m}
        if m < end and i % every == 0:
            tick["label"] = f"{t(f'obligations_page.month_{m.month}')} {m.year}"
        ticks.append(tick)
    overdue = sum(1 for st in stages if st.status == "overdue")
    return {"width": width, "height": y + 10, "left": left, "right": left + plot_w,
            "top": 44, "bottom": y, "rows": rows, "ticks": ticks, "today_x": x(today),
            "today": today, "first": first_month, "last": last,
            "overdue": overdue, "count": len(stages), "colours": STATUS}
