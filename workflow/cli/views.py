"""Saved views from the command line: `merzim view list|save|delete --as LOGIN`, the same use
cases as the lists' "Save this list as a view" and `/api/v1/views`
(workflow/services/saved_views.py). A view belongs to a user: each command names her."""

from __future__ import annotations

import typer
from rich.table import Table

from workflow.cli.common import STATE, context, emit_json, lazy, svc, unit_of_work
from workflow.cli.options import Json, required

saved_views = lazy("workflow.services.saved_views")

view_app = typer.Typer(help="Saved views: a list with its filters kept under a name.",
                       no_args_is_help=True)

AS_USER = required("--as", "LOGIN", "The user whose views these are.")


def _print(message: str) -> None:
    STATE.console.print(message, markup=False, highlight=False)


@view_app.command("list")
def view_list(as_user: str = AS_USER, as_json: Json = False) -> None:
    """Her saved views, then those shared with her: name, address and who shares it."""
    with unit_of_work() as s:
        shown = [v.as_dict() for v in saved_views.views_of(s, svc.get_user(s, as_user))]
    if as_json:
        emit_json(shown)
        return
    t = STATE.t
    if not shown:
        _print(t("views.none"))
        return
    table = Table()
    for col in ("views.name", "views.cli_address", "views.owner"):
        table.add_column(t(col))
    for v in shown:
        table.add_row(f"{v['id']} {v['name']}", v["address"],
                      "" if v["own"] else v["owner_name"])
    STATE.console.print(table)


@view_app.command("save")
def view_save(name: str = typer.Argument(..., help="The view's name."),
              address: str = typer.Argument(..., help="The list with its filters: /overdue, "
                                            "/due, /cases or /registers/KEY, e.g. "
                                            "/overdue?org=EDU&year=2026."),
              as_user: str = AS_USER,
              shared: bool = typer.Option(False, "--shared", help="Share it with the users "
                                          "of her subtree (a manager or an administrator)."),
              as_json: Json = False) -> None:
    """Keep a list with its filters under a name."""
    ctx = context()
    with unit_of_work() as s:
        view = saved_views.save(s, ctx, svc.get_user(s, as_user), name, address,
                                shared=shared)
        made = {"id": view.id, "name": view.name}
    if as_json:
        emit_json(made)
        return
    _print(STATE.t("views.cli_saved", id=made["id"], name=made["name"]))


@view_app.command("delete")
def view_delete(view_id: str = typer.Argument(..., help="The view's number (view list)."),
                as_user: str = AS_USER) -> None:
    """Delete one of her views."""
    ctx = context()
    with unit_of_work() as s:
        saved_views.delete(s, ctx, svc.get_user(s, as_user), view_id)
    _print(STATE.t("views.cli_deleted", id=view_id))


def register(app: typer.Typer) -> None:
    app.add_typer(view_app, name="view")
