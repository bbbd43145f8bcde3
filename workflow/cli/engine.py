"""Engine commands: init, organisations, users, recording, status, due, overdue, audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from workflow.cli.common import (
    STATE,
    answer,
    carry_fact_days,
    context,
    emit_json,
    engine,
    pairs,
    parse_date,
    parse_int,
    period_label,
    read_table,
    registry,
    say,
    shown_day,
    svc,
    unit_of_work,
)
from workflow.cli.options import (
    AsOf,
    CaseId,
    Evidence,
    Json,
    Number,
    Org,
    Process,
    SignedBy,
    Url,
    option,
    required,
)
from workflow.cli.rendering import render_list as _render_list
from workflow.cli.rendering import render_view as _render_view
from workflow.cli.rendering import view_json as _view_json
from workflow.core.decide import check_known_event
from workflow.core.errors import RuleViolation, UsageError
from workflow.core.names import name_in

if TYPE_CHECKING:
    from workflow.services.views import CaseView


org_app = typer.Typer(help="Organisations (a tree).", no_args_is_help=True)
user_app = typer.Typer(help="Users: officers, managers, admins.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)


def _as_of(text: str | None) -> date | None:
    return parse_date(text, "--as-of") if text else None


# -- init ------------------------------------------------------------------------------------------


def init(demo: bool = typer.Option(False, "--demo", help="Load the demo organisations, users "
                                   "and programme, dated relative to today."),
         as_json: Json = False) -> None:
    """Create or upgrade the database (and load the demo)."""
    from workflow.services.transactions import prepare

    prepare(engine())  # a schema a newer merzim wrote is refused untouched
    registry().check()  # every definition parsed and checked: a broken one is reported here
    carried = carry_fact_days()  # the entries linked before their fact's day was declared
    result: dict[str, Any] = {"database": STATE.settings.database_url.split("@")[-1],
                              "upgraded": True, **({"fact_days": carried} if carried else {})}
    if demo:
        from workflow.services.demo import MAIL_DOMAIN, load_demo

        with unit_of_work() as s:  # its reminders to the log, not to a server (demo.py)
            result["demo"] = load_demo(s, context(), MAIL_DOMAIN)
        if not result["demo"].get("already"):
            from workflow.cli.serve import demo_passwords

            result["demo"]["accounts"] = demo_passwords()
    if as_json:
        emit_json(result)
        return
    say(STATE.t("init.done", database=result["database"]))
    for line in carried:
        say(line)
    if demo:
        d = result["demo"]
        if d.get("already"):
            say(STATE.t("init.demo_already"))
        else:
            say(STATE.t("init.demo_loaded", orgs=d["organisations"], analyses=d.get("analyses", []),
                        users=", ".join(d["users"])))
            from workflow.services.demo import accounts

            shown = d.get("accounts") or {}
            for account in accounts(STATE.t.language):
                if account["login"] in shown:
                    say(STATE.t("init.demo_account", login=account["login"],
                                password=shown[account["login"]], name=account["name"],
                                role=STATE.t("role." + account["role"]),
                                organisation=account["organisation"]))


# -- organisations ---------------------------------------------------------------------------------

# The options of an organisation's headcount and the forms of its name the documents' sentences
# need, shared by `org add` and `org set`: each says what it does when left out (add) or given
# empty (set).
_GENITIVE = {"ru": ("Russian", "\"в деятельности …\""), "kk": ("Kazakh", "\"… қызметінде\"")}


def _headcount(unset: str) -> Any:
    """The `--headcount` option; `unset`: what its help says after "Its staff (a whole
    number)"."""
    return option("--headcount", "N", "Its staff (a whole number)" + unset)


def _genitive(language: str, *, adding: bool) -> Any:
    """The `--name-LANGUAGE-genitive` option of `org add` (`adding`) or of `org set`."""
    name, sentence = _GENITIVE[language]
    shown = (f"Its {name} name in the genitive, as {sentence} needs it (default: proposed from "
             "its name)." if adding
             else f"Its {name} name in the genitive ({sentence}); empty (\"\"): the proposal.")
    return option(f"--name-{language}-genitive", "NAME", shown)


@org_app.command("add")
def org_add(code: str = typer.Argument(..., help="Short unique code, e.g. MF-KGD."),
            name: str = required("--name", "NAME", "The organisation's name (in English, or the only name "
                                                   "it has)."),
            kind: str = required("--kind", "KIND", "central_body, committee, territorial_department, "
                                                   "akimat, department, district_akimat, quasi_state, "
                                                   "apparatus_department, independent_directorate, "
                                                   "akim_apparatus, city_akimat, "
                                                   "district_department"),
            parent: str = option("--parent", "CODE", "Code of the parent."),
            name_kk: str = option("--name-kk", "NAME", "Its name in Kazakh."),
            name_ru: str = option("--name-ru", "NAME", "Its name in Russian."),
            headcount: str = _headcount(": what a consolidated share counts for it when it "
                                        "recorded no figures."),
            name_ru_genitive: str = _genitive("ru", adding=True),
            name_kk_genitive: str = _genitive("kk", adding=True),
            as_json: Json = False) -> None:
    """Add an organisation under PARENT."""
    from workflow.imports.organisations import grouped

    with unit_of_work() as s:
        org = svc.add_org(s, context(), code, name, kind, parent, name_kk, name_ru,
                          grouped(headcount),  # "1 150" with any space
                          name_ru_genitive=name_ru_genitive, name_kk_genitive=name_kk_genitive)
        out = {"id": org.id, "code": org.code, "name": org.name, "kind": org.kind,
               "parent": parent, "headcount": org.headcount,
               "name_ru_genitive": org.name_ru_genitive,
               "name_kk_genitive": org.name_kk_genitive}
    answer(as_json, out, STATE.t("org.added", code=out["code"]))


@org_app.command("set")
def org_set(code: str = typer.Argument(..., help="The organisation's code."),
            headcount: str = _headcount("; empty (\"\") clears it."),
            name_ru_genitive: str = _genitive("ru", adding=False),
            name_kk_genitive: str = _genitive("kk", adding=False),
            as_json: Json = False) -> None:
    """Set an organisation's headcount (its staff), for the consolidated shares, or the forms
    of its name the documents' sentences need; all checked before any is stored."""
    from workflow.core.errors import UsageError
    from workflow.imports.organisations import grouped

    forms = {"name_ru_genitive": name_ru_genitive, "name_kk_genitive": name_kk_genitive}
    if headcount is None and all(v is None for v in forms.values()):
        raise UsageError("nothing to change", key="error.nothing_to_change")
    with unit_of_work() as s:
        svc.checked_forms(forms)  # a bad form refused before the headcount is set
        if headcount is not None:
            org = svc.set_headcount(s, context(), code, grouped(headcount))
        org = svc.set_name_forms(s, context(), code, **forms)
        out = {"code": org.code, "headcount": org.headcount,
               "name_ru_genitive": svc.org_genitive(org, "ru"),
               "name_kk_genitive": svc.org_genitive(org, "kk")}
    if as_json:
        emit_json(out)
        return
    if headcount is not None and out["headcount"] is None:
        say(STATE.t("org.headcount_cleared", code=out["code"]))
    elif headcount is not None:
        say(STATE.t("org.headcount_set", code=out["code"], n=out["headcount"]))
    if any(v is not None for v in forms.values()):
        say(STATE.t("org.forms_set", code=out["code"], ru=out["name_ru_genitive"],
                    kk=out["name_kk_genitive"]))


@org_app.command("list")
def org_list(under: str = option("--under", "CODE", "Only this subtree."),
             as_json: Json = False) -> None:
    """List organisations as a tree."""
    with unit_of_work() as s:
        orgs = svc.list_orgs(s, under)
        by_id = {o.id: o for o in svc.list_orgs(s)}
        rows = [{"code": o.code, "name": o.name, "kind": o.kind,
                 "parent": by_id[o.parent_id].code if o.parent_id else None,
                 "depth": o.path.count("/") - 2, "headcount": o.headcount} for o in orgs]
    if as_json:
        emit_json(rows)
        return
    table = Table()
    for col in ("org.col_code", "org.col_name", "org.col_kind"):
        table.add_column(STATE.t(col))
    t = STATE.t  # names and kinds in the reader's language (the JSON keeps the data)
    for r, o in zip(rows, orgs, strict=True):
        table.add_row(r["code"], "  " * r["depth"] + svc.org_name(o, t.language),
                      t(f"org_kind.{r['kind']}", default=r["kind"]))
    STATE.console.print(table)


@org_app.command("import")
def org_import(file: Path = typer.Argument(..., help="CSV or XLSX: name, kind (and, if known, "
                                                    "code, parent, name_kk, name_ru, "
                                                    "headcount, name_ru_genitive, "
                                                    "name_kk_genitive); headers in kk, ru or "
                                                    "en."),
               dry_run: bool = typer.Option(False, "--dry-run",
                                            help="Show what would be added; store nothing."),
               as_json: Json = False) -> None:
    """Add organisations from an office's own list; nothing is added if any row is wrong, and
    every mistake is named (row, column, value). A code left out is proposed from the name;
    a running-number or a phone column is ignored (and said so)."""
    from workflow.imports.organisations import OrgsRefused, import_orgs

    rows = read_table(file, (), as_written=True)  # headers in any language: import_orgs
    t = STATE.t
    try:
        with unit_of_work() as s:
            done = import_orgs(s, context(), rows, write=not dry_run)
    except OrgsRefused as exc:  # every refused cell, one a line
        _refused(exc.render(t), exc.exit_code)
    if as_json:
        emit_json({"added": [o.code for o in done.added], "preview": done.planned,
                   "ignored": done.ignored} if dry_run or done.ignored
                  else {"added": [o.code for o in done.added]})
        return
    if dry_run:
        _preview(done.planned, ORG_PREVIEW)
    if done.note(t):
        say(done.note(t) or "")
    say(t.n("orgpage.import_would_add", len(done.planned)) if dry_run
        else t("org.imported", n=len(done.added)))


def _refused(text: str, code: int) -> None:
    """An import's refusal, every problem one a line, to stderr; the command's exit."""
    import sys

    sys.stderr.write(text + "\n")
    raise typer.Exit(code) from None


@dataclass(frozen=True)
class Preview:
    """How an import's preview shows a row: its columns (the row's key, the catalogue key of
    its name), the first the row's number; the `choice` column by its name (catalogue `prefix`
    + value); a `key` merzim proposed marked with the words of catalogue key `proposed`."""

    columns: tuple[tuple[str, str], ...]
    choice: str
    prefix: str
    key: str
    proposed: str


ORG_PREVIEW = Preview((("row", "import.col_row"), ("code", "org.col_code"),
                       ("name", "org.col_name"), ("kind", "org.col_kind"),
                       ("parent", "org.col_parent"), ("headcount", "org.col_headcount")),
                      "kind", "org_kind.", "code", "orgpage.import_code_proposed")
PEOPLE_PREVIEW = Preview((("row", "import.col_row"), ("login", "people.col_login"),
                          ("name", "people.col_name"), ("email", "people.col_email"),
                          ("role", "people.col_role"),
                          ("organisation", "people.col_organisation")),
                         "role", "role.", "login", "people.import_login_proposed")


def _preview(planned: list[dict[str, Any]], how: Preview) -> None:
    """An import's preview: a line per row of the file (its number, then each column's value
    after its name in the reader's words), whole however narrow the terminal."""
    t = STATE.t
    number, *columns = how.columns
    for item in planned:
        row = {**item, how.choice: t(f"{how.prefix}{item[how.choice]}"),
               how.key: item[how.key] + (f" ({t(how.proposed)})" if item["proposed"] else "")}
        STATE.console.print(f"{t(number[1])} {row[number[0]]}: " + "; ".join(
            f"{t(label)}: {row[key]}" for key, label in columns
            if row.get(key) not in (None, "")), markup=False, soft_wrap=True)


# -- users -------------------------------------------------------------------------------------------


@user_app.command("add")
def user_add(login: str = typer.Argument(..., help="Her sign-in name (unique)."),
             org: str = required("--org", "CODE", "Code of her organisation."),
             role: str = option("--role", "ROLE", "officer, manager or admin", default="officer"),
             name: str = option("--name", "NAME", "Her full name (default: the login)."),
             email: str = option("--email", "ADDRESS", "Her email address, for reminders."),
             language: str = option("--language", "LANG", "Language of her reminders: kk, ru "
                                                          "or en.", default="kk"),
             as_json: Json = False) -> None:
    """Add a user of an organisation."""
    with unit_of_work() as s:
        user = svc.add_user(s, context(), login, name or login, role, org, email, language)
        out = {"id": user.id, "login": user.login, "role": user.role, "org": org,
               "email": user.email, "language": user.language}
    answer(as_json, out, STATE.t("user.added", login=login))


def _invitation_base() -> tuple[str, int]:
    """Where an invitation's link points ([web] public_url, else `merzim serve`'s address)
    and how many days it lives ([accounts] invitation_days)."""
    settings = STATE.settings
    base = settings.web.public_url or f"http://{settings.web.host}:{settings.web.port}"
    return base, settings.invitation_days


@user_app.command("import")
def user_import(file: Path = typer.Argument(..., help="CSV or XLSX: name, email, organisation "
                                                    "(and login, telegram, role, language); "
                                                    "headers in kk, ru or en."),
                update: bool = typer.Option(False, "--update",
                                            help="Change the people whose login exists."),
                dry_run: bool = typer.Option(False, "--dry-run",
                                             help="Show who would be added; store nothing."),
                as_json: Json = False) -> None:
    """Add people from an office's own list, all or none; each new one gets an e-mail
    invitation. A login left out is proposed from the e-mail, a role left out is an
    officer's; a running-number, a phone or a position column is ignored (and said so)."""
    from workflow.imports import people

    rows = read_table(file, (), as_written=True)  # headers in any language: import_people
    base, days = _invitation_base()
    t = STATE.t
    try:
        with unit_of_work() as s:
            done = people.import_people(s, context(), rows, update=update, base_url=base,
                                        days=days, write=not dry_run)
            added, updated = [u.login for u in done.added], [u.login for u in done.updated]
            out: dict[str, Any] = {"added": added, "updated": updated, "invited": done.invited,
                                   "kept": [{"row": k.row, "login": k.login, "fields": k.fields}
                                            for k in done.kept]}
            if dry_run or done.ignored:
                out.update(preview=done.planned, ignored=done.ignored)
            kept = done.kept_lines(t)
    except people.PeopleRefused as exc:  # every problem of the file, one a line
        _refused(exc.render(t), exc.exit_code)
    if as_json:
        emit_json(out)
        return
    if done.note(t):
        say(done.note(t) or "")
    if dry_run:
        _preview(done.planned, PEOPLE_PREVIEW)
        say(t.n("people.import_would_add", len(done.planned)))
        return
    say(t.n("accounts.imported", len(added), updated=len(updated), invited=done.invited))
    if kept:
        say(t.n("accounts.import_kept_title", len(kept)))
        for line in kept:
            say(line)


@user_app.command("reset")
def user_reset(login: str = typer.Argument(..., help="Her sign-in name."),
               as_json: Json = False) -> None:
    """Reset a user's password: it stops working and she gets an e-mail invitation to choose
    another (nobody sees it)."""
    from workflow.services import get_user, invitations

    base, days = _invitation_base()
    with unit_of_work() as s:
        invitations.reset(s, context(), get_user(s, login), base, days)
    emit_json({"login": login, "invited": 1}) if as_json else say(
        STATE.t("accounts.reset_done", login=login))


@user_app.command("list")
def user_list(as_json: Json = False) -> None:
    """List users."""
    with unit_of_work() as s:
        rows = svc.list_users(s)
    if as_json:
        emit_json(rows)
        return
    t = STATE.t
    table = Table()
    for col in ("login", "name", "role", "org", "email", "language"):
        table.add_column(t(f"user.col_{col}"))
    for r in rows:
        shown = {**r, "role": t(f"role.{r['role']}", default=r["role"]),
                 "language": t(f"language.{r['language']}", default=r["language"])}
        table.add_row(*(str(shown[c] or "") for c in ("login", "name", "role", "org", "email",
                                                        "language")))
    STATE.console.print(table)


# -- recording and status --------------------------------------------------------------------------------


def record(command: typer.Context,
           case: CaseId,
           event: str = typer.Argument(..., help="The event (see `merzim status CASE` and "
                                       "`merzim process show KEY`), or with --not-done the "
                                       "stage."),
           on: str = option("--date", "DATE", "When it happened (with --not-done: default today)."),
           number: Number = None,
           signed_by: SignedBy = None,
           url: Url = None,
           note: str = option("--note", "TEXT", "Free text; the reason for cancel or for --not-done."),
           period: str = option("--period", "PERIOD", "Monitoring period, e.g. 2025Q4 (or 2025q4)."),
           evidence: Evidence = None,
           link: list[str] = option("--link", "CHANNEL=URL", "A link to the publication with its channel "
                                                             "(site, media, social); repeat for each."),
           not_done: bool = typer.Option(False, "--not-done",
                                         help="Close the stage as not done, with --note."),
           files: list[Path] = option("--file", "PATH", "A file confirming the record (PDF, DOCX, XLSX, "
                                                        "JPEG, PNG); repeat for more. A refused file "
                                                        "refuses the record: nothing is stored."),
           repeat: bool = typer.Option(False, "--repeat",
                                       help="A repeatable event recorded again on purpose: "
                                       "without it, one you recorded on the case in the last "
                                       "minute with the same date, evidence and files is "
                                       "refused as sent twice."),
           as_json: Json = False) -> None:
    """Record what happened, with its date and confirming document (or a stage not done)."""
    from workflow.cli.files import opened_uploads
    from workflow.core.machine import builtin_evidence

    ctx = context()
    with opened_uploads(files) as uploads, unit_of_work() as s:
        from workflow.services.lookup import held_case

        held = held_case(s, case)  # case, subject, officer: the session's own for each step
        if not_done:
            day = parse_date(on, "--date") if on else None
            a = svc.record_not_done(s, ctx, case, event, note or "", day)
            if uploads:
                from workflow.cli.files import attach_to_last_record

                attach_to_last_record(s, ctx, a, uploads)
        else:
            if not on:
                raise UsageError(key="error.option_required", option="--date")
            day = parse_date(on, "--date")
            # the built-in evidence among the options (--number, --signed-by, --url, --note,
            # --period), then the definition's own
            fields = {**builtin_evidence(command.params), **pairs(evidence, "--evidence")}
            if fields["period"]:
                fields["period"] = period_label(fields["period"])
            known_event(s, ctx, case, event)
            if link:  # --link CHANNEL=URL, repeated: the definition's links field (I-15)
                from workflow.core.links import links_evidence

                given = []
                for item in link:
                    channel, sep, address = item.partition("=")
                    if not sep or not channel.strip() or not address.strip():
                        raise UsageError(f"--link: {item!r} is not CHANNEL=URL",
                                         key="error.bad_link_option", value=item)
                    given.append((channel.strip(), address.strip()))
                fields.update(links_evidence(svc.definition_of(s, ctx, svc.get_case(s, case)),
                                             given, "--link"))
            if uploads:
                from workflow.cli.files import limits, store
                from workflow.services.attachments import record_with_files

                rec = record_with_files(s, ctx, store(), limits(), case, event, day, fields,
                                        uploads, repeat=repeat)
            else:
                rec = svc.record_event(s, ctx, case, event, day, fields, repeat=repeat)
            a = svc.get_case(s, rec.case_id)
        assert a is held[0]
        view = svc.case_view(s, ctx, a)
        svc.audit_person_view(s, ctx, view)
    if as_json:
        emit_json(_view_json(view))
    else:
        say(STATE.t("record.not_done" if not_done else "record.done",
                    event=named(view, event, stage_first=not_done), id=view.id))
        _render_view(view)


def named(view: CaseView, key: str, stage_first: bool = False) -> str:
    """An event or stage of the case as «its name» (key), in the reader's language; anything
    else (a record's number) as given."""
    loaded = registry().loaded.get(view.process)
    events = {} if stage_first or not loaded else loaded.definition.events
    if key in events:
        return f"«{name_in(events[key].names, STATE.t.language)}» ({key})"
    stage = view.stage(key)
    if stage is None and stage_first:
        return named(view, key)
    return f"«{stage.name}» ({key})" if stage else key


def known_event(s, ctx, case_id: str, event: str) -> None:
    """An event the case's process does not have is a usage error (exit 2) that lists the
    events it has, each with its name in the reader's language."""
    check_known_event(svc.definition_of(s, ctx, svc.get_case(s, case_id)), event, ctx.language)


def void(case: CaseId,
         target: str = typer.Argument(..., help="The recorded event (or stage not done, or the "
                                      "record number) to void."),
         note: str = required("--note", "TEXT", "Why the record is wrong."),
         withdraw_linked: bool = typer.Option(False, "--withdraw-linked",
                                              help="Withdraw the register entry the record "
                                                   "opened too, for the same reason."),
         as_json: Json = False) -> None:
    """Void a wrong record: it stays in the audit chain, marked void; dates are re-planned. A
    register entry the record opened is named, and withdrawn with it when --withdraw-linked
    says so."""
    ctx = context()
    with unit_of_work() as s:
        done = svc.void_with_linked(s, ctx, case, target, note, withdraw_linked)
        view = svc.case_view(s, ctx, done.case)
        svc.audit_person_view(s, ctx, view)
    if as_json:
        emit_json({**_view_json(view), "linked_withdrawn": list(done.withdrawn),
                   "linked_standing": list(done.standing)})
    else:
        say(STATE.t("record.voided", event=named(view, target), id=view.id))
        for entry in done.withdrawn:
            say(STATE.t("link.void_withdrawn", id=entry))
        for entry in done.standing:
            say(STATE.t("link.void_standing", id=entry))
        _render_view(view)


def status(analysis: CaseId, as_of: AsOf = None,
           as_json: Json = False) -> None:
    """The timeline of an analysis: each stage, due date, status, working days left."""
    ctx = context(_as_of(as_of))
    with unit_of_work() as s:
        view = svc.case_view(s, ctx, svc.get_case(s, analysis))
        svc.audit_person_view(s, ctx, view)
    emit_json(_view_json(view)) if as_json else _render_view(view)


def overdue(org: Org = None,
            process: Process = None, as_of: AsOf = None, as_json: Json = False) -> None:
    """Overdue stages in an organisation's subtree, grouped by organisation; the stages of an
    organisation that joined mid-year, due before it joined, counted apart ("before joining
    -- to confirm")."""
    ctx = context(_as_of(as_of))
    with unit_of_work() as s:
        rows = svc.overdue(s, ctx, org, process=process)
        joining = svc.before_joining(s, ctx, org, process=process)
    if as_json:
        emit_json({"as_of": ctx.today, "org": org, "overdue": rows, "before_joining": joining})
    else:
        say(STATE.t("list.as_of", date=shown_day(ctx.today)))
        _render_list(rows, "list.overdue", "working_days_overdue")
        if joining:
            say(STATE.t.n("joining.count", len(joining)))


def due(org: Org = None,
        within: str = option("--within", "N", "Working days ahead.", default="5"),
        process: Process = None, as_of: AsOf = None, as_json: Json = False) -> None:
    """Open stages due within N working days."""
    n = parse_int(within, "--within")
    ctx = context(_as_of(as_of))
    with unit_of_work() as s:
        rows = svc.due_within(s, ctx, org, n, process=process)
    if as_json:
        emit_json({"as_of": ctx.today, "org": org, "within": n, "due": rows})
    else:
        say(STATE.t("list.as_of", date=shown_day(ctx.today)))
        _render_list(rows, "list.due", "working_days_left")


def replan(as_json: Json = False) -> None:
    """Re-plan every open deadline with the current calendar; tell the owners of those that moved.

    Run it after a calendar override or an interpretation setting changes. Messages to the
    owners go to the outbox; the worker sends them."""
    from workflow.reminders.planner import notify_moved
    ctx = context()
    ns = STATE.settings.notify
    with unit_of_work() as s:
        moved = svc.replan_all(s, ctx)
        queued = notify_moved(s, ctx, ns, moved)
    if as_json:
        emit_json({"moved": moved, "messages_queued": len(queued)})
        return
    say(STATE.t("replan.done", n=len(moved)))
    if queued:
        say(STATE.t("replan.notified", n=len(queued)))
    for m in moved:
        say(f"#{m['analysis']} {m['stage']}: {m['old']} → {m['new']}")


# -- audit, external, programme ---------------------------------------------------------------------------


@audit_app.command("verify")
def audit_verify(as_json: Json = False) -> None:
    """Check the hash chain of the audit log; name the first bad record."""
    from workflow.cli.files import verify_files
    from workflow.services.facts import verify as verify_facts
    from workflow.services.transactions import verify_audit

    with unit_of_work() as s:
        result = verify_audit(s)
        files = verify_files(s)  # every stored file, void ones too
        facts = verify_facts(s, context())  # every standing entry's fact identity (B-23, B-26)
    file_problems = files.problems
    if as_json:
        emit_json({"ok": result.ok and not file_problems and not facts,
                   "checked": result.checked,
                   "first_bad_id": result.first_bad_id, "problem": result.problem,
                   "checkpoint": result.checkpoint,
                   "facts": [{"process": f.process, "cases": list(f.cases),
                              "expected": f.expected, "held": f.held} for f in facts],
                   "files": {"checked": files.checked, "voided": files.voided,
                             "void_content_removed": files.removed,
                             "problems": [p.__dict__ for p in file_problems]}})
    elif result.ok:
        say(STATE.t("audit.ok", n=result.checked))
        say(STATE.t("audit.checkpoint_ok", path=result.checkpoint) if result.checkpoint
            else STATE.t("audit.no_checkpoint"))
        if not file_problems:
            say(STATE.t.n("files.verify_ok_voided", files.checked, voided=files.voided)
                if files.voided else STATE.t.n("files.verify_ok", files.checked))
            if files.removed:
                say(STATE.t.n("files.verify_removed", files.removed))
    if not result.ok:  # one line on stderr and exit 3, like every refusal
        raise RuleViolation(f"audit log broken at record {result.first_bad_id}", key="audit.bad",
                            id=result.first_bad_id, problem=result.problem)
    if facts:  # each entry or doubled fact named (stdout), then the one line of the refusal
        lines = [_fact_line(f) for f in facts]
        if not as_json:
            for line in lines:
                say(line)
        raise RuleViolation(f"{len(facts)} facts doubled or keys not as computed",
                            key="facts.verify_bad", n=len(facts), first=lines[0])
    if file_problems:  # each file named (stdout), then the one line of the refusal
        from workflow.cli.files import problem_line

        if not as_json:
            for p in file_problems:
                say(problem_line(p))
        raise RuleViolation(f"{len(file_problems)} files changed or missing",
                            key="files.verify_bad", n=len(file_problems),
                            first=problem_line(file_problems[0]))


def _fact_line(problem) -> str:
    """One problem of the facts' identities in the operator's words."""
    cases = ", ".join(f"#{c}" for c in problem.cases)
    if len(problem.cases) > 1:
        return STATE.t("facts.verify_doubled", process=problem.process, cases=cases,
                       fact=problem.expected or "")
    return STATE.t("facts.verify_key", process=problem.process, cases=cases,
                   expected=problem.expected or "—", held=problem.held or "—")


@audit_app.command("recount")
def audit_recount(as_json: Json = False) -> None:
    """Count the overdue and due counts kept by the writes again from the stages (after a
    restore of an older backup or a change made outside merzim); say how many rows differed."""
    from workflow.services.transactions import recount_kept

    with unit_of_work() as s:
        differed = recount_kept(s, context().actor)
    if as_json:
        emit_json({"differed": differed})
        return
    say(STATE.t("counts.recounted", n=differed))


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("record")(record)
    app.command("void")(void)
    app.command("status")(status)
    app.command("due")(due)
    app.command("overdue")(overdue)
    app.command("replan")(replan)
    app.add_typer(org_app, name="org")
    app.add_typer(user_app, name="user")
    app.add_typer(audit_app, name="audit")


# The user group also holds commands written next to what they touch (reminder settings and
# Telegram in reminders.py, web passwords in serve.py): they join here, once, in the order
# `merzim user --help` lists them. Features add their own to a group with `extend` (the `org`
# group's `subdivision` and `public`: workflow/cli/__init__.py, COMMANDS).
from workflow.cli import reminders, serve  # noqa: E402

user_app.command("set")(reminders.user_set)
user_app.command("telegram-link")(reminders.telegram_link)
user_app.command("password")(serve.user_password)
user_app.command("revoke")(serve.user_revoke)
