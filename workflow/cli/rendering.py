"""A case as the command line shows it (the CLI kit, with workflow/cli/common.py): its header,
dates and stages as a table, its warnings in the reader's language, its next events with the
command that records each; and the same as JSON. Used by `merzim status`, `record`,
`case open` and the planning feature's `analysis plan`. And the lists of stages across cases
(`merzim overdue`, `merzim due`). Each due date says where it comes from, as the web does
(I-17): a case's, in lines under its table (the source line, merzim's own mark, why the date
moved off a day off: the date rule, P-24); a list's, merzim's own mark beside the date and the
source line in a column."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from workflow.cli.common import STATE, registry, shown_day
from workflow.core.names import name_in

if TYPE_CHECKING:  # `merzim --help` imports this module: no service at import time
    from workflow.services.views import CaseView, StageRow


def _print(message: str) -> None:
    STATE.console.print(message)


def render_view(view: CaseView, warnings: list[dict[str, Any]] | None = None) -> None:
    t = STATE.t
    if view.planned_start is not None:
        _print(t("analysis.header", id=view.id, subject=view.subject_name,
                 object=view.object_name, start=shown_day(view.planned_start),
                 end=shown_day(view.planned_end) if view.planned_end else "—",
                 state=view.state_name))
    else:
        _print(t("case.header", id=view.id, process=view.process_name,
                 subject=view.subject_name, state=view.state_name))
        for d in view.dates.values():
            _print(f"  {d.name}: {shown_day(d.date)}"
                   + (" " + t("stage.projected") if d.projected else ""))
        for setting in view.settings:
            _print(f"  {setting.name}: {setting.value}")
        if view.person and view.person.name is not None:  # an optional person not given
            _print(t("case.person", name=view.person.name,
                     position=view.person.position or "—"))
    withdrawn = view.withdrawn
    if withdrawn:  # in no list, reminder or score; its history: `case history`
        STATE.console.print(t("withdraw.banner", at=withdrawn.at[:10], by=withdrawn.by)
                            + (" " + t("history.reason", reason=withdrawn.reason)
                               if withdrawn.reason else ""), style="yellow",
                            markup=False)
    table = Table()
    for col in ("stage.col_stage", "stage.col_due", "stage.col_status", "stage.col_done",
                "stage.col_left"):
        table.add_column(t(col), **_whole(col))
    for st in view.stages:  # (merzim's own mark and the source: in the lines under the table)
        due = due_text(st.due, st.projected, "")
        left = st.working_days_left
        left_text = "" if left is None else (t("stage.left", n=left) if left >= 0
                                             else t("stage.overdue_by", n=-left))
        status: str | Text = t(f"status.{st.status}")
        if st.status == "overdue":
            status = Text(str(status), style="bold red")
        table.add_row(st.name, due, status,
                      shown_day(st.done_on), left_text)
    STATE.console.print(table)
    _print_sources(view)
    for w in warnings_of(view, warnings):
        STATE.console.print(warning_text(w), style="yellow")
    if view.next_events:  # by name, each with the command that records it
        loaded = registry().loaded.get(view.process)
        names = loaded.definition.events if loaded else {}
        _print(t("analysis.next", events="; ".join(
            f"«{name_in(names[e].names, t.language, e) if e in names else e}» "
            f"(merzim record {view.id} {e})" for e in view.next_events)))


def _print_sources(view: CaseView) -> None:
    """Under a case's table, where each due date comes from: the stage, the source line of its
    deadline (merzim's own marked), and why it moved off a day off (P-24), a stage a line."""
    lines = []
    for st in view.stages:
        if st.due is None:
            continue
        mark = own_mark(st.due_basis)
        where = " — ".join(x for x in (st.source or "—", mark, st.moved_note or "") if x)
        lines.append(f"  {st.name}: {where}")
    if lines:
        _print(STATE.t("stage.sources"))
        for line in lines:
            _print(line)


def _whole(column: str) -> dict[str, Any]:
    """A due date and the source of its deadline are folded, never cut short with "…", on a
    narrow terminal (the other columns as rich lays them out)."""
    if column == "stage.col_due":
        return {"overflow": "fold", "min_width": 10}
    return {"overflow": "fold"} if column == "stage.col_source" else {}


def own_mark(basis: str) -> str:
    """The mark of a due date merzim sets, the sources giving none (I-17; the web's own_mark):
    "deadline set by merzim, B-4"; "" for a deadline of the sources."""
    if not basis:
        return ""
    return (STATE.t("stage.own_deadline_merzim") if basis == "merzim"
            else STATE.t("stage.own_deadline", basis=basis))


def due_text(due: date | None, projected: bool, basis: str) -> str:
    """A due date as a list shows it: the date, "(projected)", merzim's own mark beside it."""
    text = shown_day(due) if due else "—"
    if projected:
        text += " " + STATE.t("stage.projected")
    mark = own_mark(basis) if due else ""
    return f"{text} ({mark})" if mark else text


def stage_source(process: str, stage: str) -> str:
    """The source line of a stage's deadline (its definition's `source`), "" when none."""
    loaded = registry().loaded.get(process)
    spec = loaded.definition.stage_spec(stage) if loaded is not None else None
    return spec.source if spec is not None else ""


def render_list(rows: Sequence[StageRow], title_key: str, days_key: str) -> None:
    """Stages across cases (overdue, due soon), a table per organisation: each due date with
    merzim's own mark and the source of its deadline."""
    t = STATE.t
    if not rows:
        _print(t(f"{title_key}_none"))
        return
    current = None
    table = None
    for r in rows:
        if r.organisation != current:
            if table is not None:
                STATE.console.print(table)
            current = r.organisation
            count = sum(1 for x in rows if x.organisation == current)
            table = Table(title=f"{r.organisation_name} ({current}) — {count}",
                          title_justify="left")
            for col in ("list.col_analysis", "list.col_object", "stage.col_stage",
                        "stage.col_due", f"list.col_{days_key}", "list.col_responsible",
                        "stage.col_source"):
                table.add_column(t(col), **_whole(col))
        assert table is not None
        table.add_row(str(r.analysis), r.object, r.stage_name,
                      due_text(r.due, r.projected, r.due_basis), str(getattr(r, days_key)),
                      r.responsible_name or "—", stage_source(r.process, r.stage))
    STATE.console.print(table)
    _print(t(f"{title_key}_total", n=len(rows)))


def warnings_of(view: CaseView, warnings: list[dict[str, Any]] | None
                ) -> list[dict[str, Any]]:
    """The planning warnings and the case's own (its length on the dates as they stand), each
    code once."""
    given = list(warnings or [])
    codes = {w["code"] for w in given}
    return given + [w for w in view.warnings if w["code"] not in codes]


def warning_text(warning: dict[str, Any]) -> str:
    """A planning warning in the reader's language (dates as ISO, lists of ids joined)."""
    def shown(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    return STATE.t(f"warning.{warning['code']}",
                   **{k: shown(v) for k, v in warning.items() if k != "code"})


def view_json(view: CaseView, warnings=None) -> dict[str, Any]:
    """The view's JSON (`CaseView.as_dict`), the planning warnings with its own."""
    out = view.as_dict()
    out["warnings"] = warnings_of(view, warnings)
    return out
