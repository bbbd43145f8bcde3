"""A case as the command line shows it (the CLI kit, with workflow/cli/common.py): its header,
dates and stages as a table, its warnings in the reader's language, its next events with the
command that records each; and the same as JSON. Used by `merzim status`, `record`,
`case open` and the planning feature's `analysis plan`."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text

from workflow.cli.common import STATE, registry
from workflow.core.names import name_in

if TYPE_CHECKING:  # `merzim --help` imports this module: no service at import time
    from workflow.services.views import CaseView


def _print(message: str) -> None:
    STATE.console.print(message)


def render_view(view: CaseView, warnings: list[dict[str, Any]] | None = None) -> None:
    t = STATE.t
    if view.planned_start is not None:
        _print(t("analysis.header", id=view.id, subject=view.subject_name,
                 object=view.object_name, start=view.planned_start.isoformat(),
                 end=view.planned_end.isoformat() if view.planned_end else "—",
                 state=view.state_name))
    else:
        _print(t("case.header", id=view.id, process=view.process_name,
                 subject=view.subject_name, state=view.state_name))
        for d in view.dates.values():
            _print(f"  {d.name}: {d.date.isoformat()}"
                   + (" " + t("stage.projected") if d.projected else ""))
        for setting in view.settings:
            _print(f"  {setting.name}: {setting.value}")
        if view.person:
            _print(t("case.person", name=view.person.name,
                     position=view.person.position or "—"))
    withdrawn = view.withdrawn
    if withdrawn:  # (issue 29) in no list, reminder or score; its history: `case history`
        STATE.console.print(t("withdraw.banner", at=withdrawn.at[:10], by=withdrawn.by)
                            + (" " + t("history.reason", reason=withdrawn.reason)
                               if withdrawn.reason else ""), style="yellow",
                            markup=False)
    table = Table()
    for col in ("stage.col_stage", "stage.col_due", "stage.col_status", "stage.col_done",
                "stage.col_left"):
        table.add_column(t(col))
    for st in view.stages:
        due = st.due.isoformat() if st.due else "—"
        if st.projected:
            due += " " + t("stage.projected")
        left = st.working_days_left
        left_text = "" if left is None else (t("stage.left", n=left) if left >= 0
                                             else t("stage.overdue_by", n=-left))
        status: str | Text = t(f"status.{st.status}")
        if st.status == "overdue":
            status = Text(str(status), style="bold red")
        table.add_row(st.name, due, status,
                      st.done_on.isoformat() if st.done_on else "", left_text)
    STATE.console.print(table)
    for w in warnings_of(view, warnings):
        STATE.console.print(warning_text(w), style="yellow")
    if view.next_events:  # by name, each with the command that records it
        loaded = registry().loaded.get(view.process)
        names = loaded.definition.events if loaded else {}
        _print(t("analysis.next", events="; ".join(
            f"«{name_in(names[e].names, t.language, e) if e in names else e}» "
            f"(merzim record {view.id} {e})" for e in view.next_events)))


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
