"""`merzim org public`: organisations' public pages (/public/CODE) shown, or one switched on,
off, or back to config.toml's `[public] organisations` (audited)."""

from __future__ import annotations

import typer
from rich.table import Table

from workflow.cli.common import STATE, context, emit_json, lazy, svc, unit_of_work
from workflow.cli.options import Json

pub = lazy("workflow.public.service")


def org_public(code: str = typer.Argument(None, metavar="CODE",
                                          help="The organisation (all of them when left out)."),
               switch: str = typer.Argument(None, metavar="SWITCH",
                                            help="on, off, or default (as config.toml's "
                                                 "[public] organisations says)."),
               as_json: Json = False) -> None:
    """Show whether public pages are on, or switch one on or off."""
    from workflow.public.settings import PublicSettings

    t = STATE.t
    configured = STATE.settings.of(PublicSettings).organisations
    with unit_of_work() as s:
        if switch is not None:
            if code is None:
                from workflow.core.errors import UsageError

                raise UsageError(key="error.option_required", option="CODE")
            value = pub.switch_value(switch)
            orgs = [pub.set_public_page(s, context(), code, value)]
        else:
            orgs = [svc.get_org(s, code)] if code else svc.list_orgs(s)
        rows = pub.switch_rows(orgs, configured, t.language)
    if as_json:
        emit_json([{k: r[k] for k in ("code", "configured", "admin", "on")} for r in rows])
        return
    if switch is not None:
        STATE.console.print(t("public.cli_switched", code=rows[0]["code"],
                              state=t("public.page_on" if rows[0]["on"] else "public.page_off")))
    table = Table()
    for col in ("org.col_code", "org.col_name", "public.col_config", "public.col_admin",
                "public.col_page"):
        table.add_column(t(col))
    for r in rows:
        table.add_row(r["code"], "  " * (0 if code else r["depth"]) + r["name"],
                      t("public.config_listed" if r["configured"] else "public.config_not_listed"),
                      t(f"public.switch.{r['admin']}"),
                      t("public.page_on" if r["on"] else "public.page_off"))
    STATE.console.print(table)


def extend(groups: dict[str, typer.Typer]) -> None:
    """`merzim org public`: an organisation's public page switched on or off."""
    if "org" in groups:  # built when the command line asks for it
        groups["org"].command("public")(org_public)
