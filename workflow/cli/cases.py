"""Process definitions, cases of any process and recurring obligations: `process
list|show|schema`, `case open|list`, `obligations sync|list`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.table import Table

from workflow.cli.common import (
    STATE,
    answer,
    context,
    emit_json,
    lazy,
    pairs,
    parse_date,
    parse_int,
    read_table,
    registry,
    say,
    shown_day,
    svc,
    unit_of_work,
    write_file,
)
from workflow.cli.options import CaseId, Json, Org, Position, Responsible, option, required
from workflow.core.errors import NotFound, UsageError

obl = lazy("workflow.services.obligations")
joining = lazy("workflow.services.joining")
words = lazy("workflow.i18n.describe")
schema = lazy("workflow.definitions.schema")

PROCESS_KEY = typer.Argument(..., help="Process key (merzim process list).")

process_app = typer.Typer(help="Process definitions: what merzim can run.", no_args_is_help=True)
case_app = typer.Typer(help="Cases of any process: open, list, withdraw, history.",
                       no_args_is_help=True)
obligations_app = typer.Typer(help="Recurring obligations: open each period's cases, list a year.",
                              no_args_is_help=True)


# -- process ----------------------------------------------------------------------------------


@process_app.command("list")
def process_list(as_json: Json = False) -> None:
    """Every process definition loaded: key, version and names."""
    defs = registry().all()
    if as_json:
        emit_json([{"key": d.key, "version": d.version, "names": d.names,
                    **({"recurrence": d.recurrence.period, "enabled": d.recurrence.enabled}
                       if d.recurrence else {})} for d in defs])
        return
    lang = STATE.t.language
    table = Table()
    for col in ("process.col_key", "process.col_version", "process.col_name",
                "process.col_recurrence"):
        table.add_column(STATE.t(col))
    for d in defs:
        recurs = STATE.t(f"period.{d.recurrence.period}") if d.recurrence else ""
        if d.recurrence and not d.recurrence.enabled:
            recurs += f" ({STATE.t('process.switched_off')})"
        table.add_row(d.key, str(d.version), d.name(lang), recurs)
    STATE.console.print(table)


@process_app.command("show")
def process_show(key: str = PROCESS_KEY,
                 as_json: Json = False) -> None:
    """A definition: parties, dates, states, events, stages with their due rules in words,
    and the sources."""
    described = words.describe(registry().get(key), STATE.t.language)
    if as_json:
        emit_json(described)
        return
    t = STATE.t
    say(f"{described['name']} ({described['key']}, v{described['version']})")
    if described["recurrence"]:
        say(t("process.recurrence_line", text=described["recurrence"]["text"])
            + ("" if described["recurrence"]["enabled"]
               else f" ({t('process.switched_off')})"))
    for section, title in (("dates", "process.dates"), ("states", "process.states")):
        say(t(title))
        for item in described[section]:
            say(f"  {item['key']}: {item['name']}" + (f" — {item['text']}"
                                                      if item.get("text") else ""))
    say(t("process.events"))
    for ev in described["events"]:
        say(f"  {ev['key']}: {ev['name']}" + (f" — {ev['text']}" if ev["text"] else ""))
    table = Table(title=t("process.stages"), title_justify="left")
    for col in ("stage.col_stage", "process.col_due_rule", "process.col_source"):
        table.add_column(t(col))
    for st in described["stages"]:
        table.add_row(f"{st['name']} ({st['key']})", st["due_text"], st["source"])
    STATE.console.print(table)
    if described["drafts"]:
        say(t("process.drafts"))
        for d in described["drafts"]:
            say("  " + t("process.draft_line", stage=f"{d['stage_name']} ({d['stage']})",
                         template=d["template"], event=d["event_name"], field=d["stored_as"]))
    public = described["public"]
    if public:
        say(t("process.public_line", event=public["announced_by_name"],
              dates=", ".join(public["period_names"]) or "—",
              events=public["event_names"] or "—",
              fields=", ".join(public["fields"]) or "—"))


@process_app.command("schema")
def process_schema(output: str = option("--output", "FILE", "Write the schema to this file instead of "
                                                            "printing it.")) -> None:
    """The format of a definition file as a JSON Schema, for an editor to check a file with
    (taplo, VS Code): docs/process-definitions.md."""
    document = schema.definition_schema()  # the tables' models' own (workflow/core/tables.py)
    if output is None:
        emit_json(document)
        return
    write_file(Path(output), (json.dumps(document, ensure_ascii=False, indent=2) + "\n"
                              ).encode("utf-8"))


# -- case -------------------------------------------------------------------------------------


def _dates(items: list[str] | None) -> dict[str, date]:
    return {k: parse_date(v, f"--date {k}") for k, v in pairs(items, "--date").items()}


@case_app.command("open")
def case_open(process: str = PROCESS_KEY,
              subject: str = required("--subject", "CODE", "Code of the organisation."),
              object_: str = option("--object", "CODE", "Code of the object organisation, when the process "
                                                        "has one."),
              person: str = option("--person", "NAME", "The person the case is about."),
              position: Position = None,
              field: list[str] = option("--field", "KEY=VALUE", "A field of the definition (repeatable)."),
              dates: list[str] = option("--date", "NAME=DATE", "A named date (repeatable)."),
              responsible: Responsible = None,
              duplicate_reason: str = option("--duplicate-reason", "TEXT", "Open it although a case repeats "
                                                                           "it (the reason): an analysis of "
                                                                           "the same subject and object "
                                                                           "overlapping its period, or a "
                                                                           "case of the same process, "
                                                                           "subject, person and dates."),
              period: str = option("--period", "LABEL", "A recurring obligation's period (2026Q2, 2026H1, "
                                                        "2026M05, 2026), from the calendar's first year up "
                                                        "to the next period: its case, opened as "
                                                        "`obligations sync` opens it (or the one already "
                                                        "open)."),
              as_json: Json = False) -> None:
    """Open a case of a process and print every stage's due date."""
    ctx = context()
    with unit_of_work() as s:
        opened = svc.open_checked(s, ctx, process, subject, object_, person, position,
                                  pairs(field, "--field"), _dates(dates), responsible,
                                  duplicate_reason, period)
        view = svc.case_view(s, ctx, opened.analysis)
        svc.audit_person_view(s, ctx, view)
    if as_json:
        emit_json(view if not opened.warnings
                  else {**view.as_dict(), "warnings": opened.warnings})
        return
    from workflow.cli.rendering import render_view as _render_view

    if not any(w["code"] == "period_case_exists" for w in opened.warnings):
        say(STATE.t("case.opened", id=view.id, process=view.process_name))
    _render_view(view, opened.warnings)


@case_app.command("import")
def case_import(process: str = PROCESS_KEY,
                file: Path = typer.Argument(None, help="CSV or XLSX: subject, then the "
                                            "definition's fields, given dates, person, "
                                            "position; optionally event, on and evidence."),
                resume: str = option("--resume", "ID", "Finish an interrupted import of FILE (its id: the "
                                                       "progress lines and the error name it)."),
                rollback: str = option("--rollback", "ID", "Withdraw what an interrupted import has written "
                                                           "(no FILE)."),
                mapping: list[str] = typer.Option(None, "--map", metavar="HEADER=COLUMN",
                                                  help="Which column a header of the file is "
                                                       "(a column's key or its label in any "
                                                       "language; empty: ignore it). "
                                                       "Repeatable."),
                every: list[str] = typer.Option(None, "--every", metavar="COLUMN=VALUE",
                                                help="A column the file does not have, given "
                                                     "one value for every row (the column by "
                                                     "its key or label, the value as a cell "
                                                     "of it: an event's name, a choice, a "
                                                     "date). Repeatable; kept with --map."),
                org: str = option("--org", "CODE", "The organisation whose remembered column names "
                                                   "are used, and keep the --map given."),
                as_user: str = option("--as", "LOGIN", "Import as this user: her organisation's "
                                                       "column names, only the organisations "
                                                       "she may import for (not with --org)."),
                as_json: Json = False) -> None:
    """Open a case for every row of a register file; nothing is stored if any row is refused.
    The file is checked whole, then written 500 rows a transaction (other users wait for one
    batch at most); an interrupted import's cases show nowhere until resumed (--resume ID) or
    rolled back (--rollback ID). A sheet of done work records its rows on the periods already
    opened, in the same batches: interrupted, the events its finished batches recorded stand
    and count (lists, score) until it is resumed, or voided by --rollback ID."""
    import sys

    from workflow.imports import registers as bulk_import
    from workflow.imports import usecase

    ctx = context()
    if rollback is not None:
        if file is not None or resume is not None:
            raise UsageError("--rollback takes no file", key="error.import_rollback_alone")
        with unit_of_work() as s:
            undone = usecase.roll_back(s, ctx, process, rollback)
        if as_json:
            emit_json({"rolled_back": rollback,
                       "voided" if undone.records else "withdrawn": undone.n})
        else:
            say(STATE.t("case.import_rolled_back_records" if undone.records
                        else "case.import_rolled_back", id=rollback, n=undone.n))
        return
    if file is None:
        raise UsageError("a file is required", key="error.import_file_required")
    if as_user and org:
        raise UsageError("--as imports for her own organisation: no --org",
                         key="error.import_as_org")
    given = usecase.parse_mapping(mapping or [], every or [])
    rows = read_table(file, (), as_written=True)  # headers in any language: `import_cells`
    tty = sys.stderr.isatty()

    def progress(import_id: str, done: int, total: int) -> None:  # on stderr, never in --json
        line = STATE.t("case.import_progress", id=import_id or "-", done=done, total=total)
        sys.stderr.write(("\r" + line + ("\n" if done >= total else "")) if tty
                         else line + "\n")
        sys.stderr.flush()

    try:
        with unit_of_work() as s:
            found = svc.find_org(s, org) if org else None
            if org and found is None:
                raise NotFound(f"no organisation {org!r}", key="notfound.org", code=org)
            who = usecase.Importer(org_code=org, org_id=getattr(found, "id", None))
            if as_user:  # as she imports from the web: her organisation, her reach
                user = svc.get_user(s, as_user)
                who = usecase.importer_of(user, svc.org_of(s, user.organisation_id))
            written = usecase.write(s, ctx, who, process, rows,
                                    getattr(STATE.t, "language", "en"), given,
                                    import_id=resume, resume=resume is not None,
                                    progress=progress)
            out = [{"row": d.row, "id": d.case.id, "recorded": d.recorded,
                    "warnings": d.warnings} for d in written.done]
    except bulk_import.FileRefused as exc:  # every refused row, one a line
        sys.stderr.write(exc.render(STATE.t) + "\n")
        raise typer.Exit(exc.exit_code) from None
    note = ([STATE.t("import.ignored_columns", columns=", ".join(written.ignored))]
            if written.ignored else [])
    # a sheet of done work: its rows recorded on the periods already opened (`done_work`)
    said = "case.imported_records" if written.records else "case.imported"
    answer(as_json, {"opened": out, **({"ignored": written.ignored} if written.ignored else {}),
                     **({"done_work": True} if written.records else {})},
           "\n".join([*note, STATE.t(said, n=len(out)),
                       *(STATE.t("case.imported_row", row=o["row"], id=o["id"]) for o in out)]))


@case_app.command("template")
def case_template(process: str = PROCESS_KEY,
                  out: Path = required("--out", "FILE", "The XLSX file to write."),
                  lang: str = option("--lang", "LANG", "Language of the headers and the lists: kk, ru or en "
                                                       "(default: the reader's)."),
                  as_json: Json = False) -> None:
    """Write the register's import template: the columns `case import` reads, headed by their
    labels in the language asked, with lists of the choices' names and date cells (the web's
    template)."""
    from workflow.i18n import LANGUAGES, Translator
    from workflow.imports import template as import_template

    language = (lang or STATE.t.language).strip().lower()
    if language not in LANGUAGES:
        raise UsageError(f"unknown language {language!r}", key="error.bad_language",
                         value=lang)
    defn = registry().get(process)
    columns = import_template.headers(defn, language)
    write_file(out, import_template.template_xlsx(defn, language, Translator(language)))
    if as_json:
        emit_json({"process": defn.key, "language": language, "file": str(out),
                   "columns": [label for _key, label in columns]})
    else:
        say(STATE.t("case.template_written", path=str(out), n=len(columns)))


@case_app.command("list")
def case_list(process: str = option("--process", "KEY", "Only this process."),
              org: Org = None,
              state: str = option("--state", "STATE", "Only cases in this state."),
              as_json: Json = False) -> None:
    """Cases, newest first, with their state today."""
    ctx = context()
    with unit_of_work() as s:
        rows = svc.list_cases(s, ctx, process, org, state)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        say(STATE.t("case.none"))
        return
    table = Table()
    for col in ("case.col_id", "process.col_key", "list.col_organisation", "case.col_period",
                "case.col_date", "stage.col_status"):
        table.add_column(STATE.t(col))
    from workflow.i18n import period_name

    for r in rows:
        table.add_row(str(r.id), r.process, r.subject_name,
                      period_name(r.period, STATE.t.language) if r.period else "",
                      shown_day(r.case_date), r.state_name)
    STATE.console.print(table)


@case_app.command("withdraw")
def case_withdraw(case_id: CaseId,
                  reason: str = required("--reason", "TEXT", "Why the case is withdrawn (required)."),
                  with_linked: bool = typer.Option(False, "--with-linked",
                                                   help="Withdraw the cases linked to it too "
                                                        "(one fact: a procedure and its "
                                                        "register entry)."),
                  as_json: Json = False) -> None:
    """Withdraw a case opened by mistake: it leaves every list, reminder and score and stays
    in its history and the audit log. A case linked to it is named, and withdrawn with it
    when --with-linked says so."""
    ctx = context()
    with unit_of_work() as s:
        case = svc.withdraw_case(s, ctx, case_id, reason, with_linked=with_linked)
        standing = [c.id for c in svc.standing_linked(s, case)]
        withdrawn = [lk.id for lk in svc.linked_cases(s, ctx, case) if lk.withdrawn]
        out = {"id": case.id, "withdrawn_at": case.withdrawn_at, "by": case.withdrawn_by,
               "reason": case.withdrawn_reason,
               "linked_withdrawn": withdrawn if with_linked else [],
               "linked_standing": standing}
    if as_json:
        emit_json(out)
        return
    say(STATE.t("withdraw.saved", id=out["id"]))
    for other in out["linked_withdrawn"]:
        say(STATE.t("withdraw.saved", id=other))
    for other in standing:
        say(STATE.t("link.still_standing", id=other, case=out["id"]))


@case_app.command("restore")
def case_restore(case_id: CaseId,
                 reason: str = required("--reason", "TEXT", "Why the withdrawal is undone (required)."),
                 as_json: Json = False) -> None:
    """Undo a withdrawal, until the end of the year it was made in: the case comes back to
    every list, reminder and score, re-planned; the audit log keeps both."""
    ctx = context()
    with unit_of_work() as s:
        case = svc.restore_case(s, ctx, case_id, reason)
        out = {"id": case.id, "state": case.state, "withdrawn": False}
    answer(as_json, out, STATE.t("restore.saved", id=out["id"]))


@case_app.command("open-linked")
def case_open_linked(case_id: CaseId,
                     process: str = option("--process", "KEY", "The register to open, when the case's "
                                                               "outcomes open several."),
                     field: list[str] = option("--field", "KEY=VALUE", "A field of the register entry the "
                                                                       "case does not give (repeatable)."),
                     link_to: str = option("--link-to", "ENTRY", "Link this existing entry (the same fact, "
                                                                 "entered already) instead of opening one."),
                     duplicate_reason: str = option("--duplicate-reason", "TEXT", "Open a second entry "
                                                                                  "though one of the same "
                                                                                  "person, kind and dates "
                                                                                  "stands, with the reason."),
                     as_json: Json = False) -> None:
    """Open the register entry a case's recorded outcome is (a gift received, a conflict of
    interest not settled, a foreign account found), linked to the case, with its person,
    dates, kind and files. An entry that is this fact already is named and nothing opened:
    link it instead (--link-to) or confirm a second (--duplicate-reason)."""
    ctx = context()
    with unit_of_work() as s:
        entry = svc.open_linked(s, ctx, case_id, process, pairs(field, "--field"),
                                link_to=link_to, duplicate_reason=duplicate_reason)
        out = {"id": entry.id, "process": entry.process,
               "linked_to": svc.get_case(s, case_id).id}
    answer(as_json, out, STATE.t("link.opened", id=out["id"], case=out["linked_to"]))


@case_app.command("link")
def case_link(first: str = typer.Argument(..., metavar="A", help="A case number."),
              second: str = typer.Argument(..., metavar="B", help="The other case's number."),
              as_json: Json = False) -> None:
    """Link a register entry to the procedure's case it is the fact of (in either order): one
    fact, counted once, each case showing the other."""
    ctx = context()
    with unit_of_work() as s:
        row = svc.link_cases(s, ctx, first, second)
        out = {"case": row.from_case_id, "entry": row.to_case_id}
    answer(as_json, out, STATE.t("link.saved", case=out["case"], entry=out["entry"]))


@case_app.command("unlink")
def case_unlink(first: str = typer.Argument(..., metavar="A", help="A case number."),
                second: str = typer.Argument(..., metavar="B", help="The linked case's number."),
                reason: str = required("--reason", "TEXT", "Why the two are not one fact (required)."),
                as_json: Json = False) -> None:
    """Undo the link between two cases, with a reason: the entry is counted by itself again,
    the procedure's outcome is offered again, and both histories keep the link and its
    undoing."""
    ctx = context()
    with unit_of_work() as s:
        row = svc.unlink_cases(s, ctx, first, second, reason)
        out = {"case": row.from_case_id, "entry": row.to_case_id, "unlinked_at": row.unlinked_at,
               "by": row.unlinked_by, "reason": row.unlink_reason}
    answer(as_json, out, STATE.t("link.unlinked", id=out["case"], case=out["entry"]))


@case_app.command("edit")
def case_edit(case_id: CaseId,
              person: str = option("--person", "NAME", "The person the case is about (\"\" clears an "
                                                       "optional one)."),
              position: Position = None,
              field: list[str] = option("--field", "KEY=VALUE", "A field of the definition (repeatable; an "
                                                                "empty value clears it)."),
              dates: list[str] = option("--date", "NAME=DATE", "A given named date (repeatable)."),
              reason: str = required("--reason", "TEXT", "Why the case is corrected (required)."),
              as_json: Json = False) -> None:
    """Correct a case's opening values (person, position, fields, given dates) with a reason:
    checked as an opening, the due dates re-planned, the old and new values audited."""
    ctx = context()
    with unit_of_work() as s:
        case = svc.edit_case(s, ctx, case_id, person, position, pairs(field, "--field"),
                             _dates(dates), reason)
        view = svc.case_view(s, ctx, case)
        svc.audit_person_view(s, ctx, view)
    if as_json:
        emit_json(view)
        return
    from workflow.cli.rendering import render_view as _render_view

    say(STATE.t("case.edited", id=view.id))
    _render_view(view, [])


def _history_line(h: dict, t) -> str:
    """One entry of a case's history in words (the case page's, as text)."""
    from workflow.services.case_trail import line

    kind = h["kind"]
    trail = line(h, t)
    if trail is not None:
        text = trail
    elif kind == "opened":
        text = t("history.opened", date=shown_day(h["on"]))
    elif kind in ("event", "not_done"):
        text = t(f"history.{kind}", record=h["record"], name=h["name"], date=shown_day(h["on"]))
    elif kind == "void":
        text = t("history.void", record=h["record"], target=h.get("voids"), name=h["name"],
                 date=shown_day(h["voids_on"]) if h.get("voids_on") else "—")
    elif kind in ("file", "file_void"):
        text = t(f"history.{kind}", file=h.get("file_name") or f"#{h['file']}")
    elif kind == "assigned":
        text = t("history.assigned", before=h.get("from") or "—", after=h.get("to") or "—")
    elif kind == "restored":
        text = t("history.restored")
    elif kind == "linked":
        text = t(f"history.link_{h.get('role')}", id=h.get("other"), name=h.get("name"))
    elif kind == "unlinked":
        text = t("history.unlinked", id=h.get("other"), name=h.get("name"))
    else:
        text = t("history.withdrawn")
    if h.get("void") and kind in ("event", "not_done", "file"):
        text += " — " + (t("history.voided_by", record=h["voided_by"]) if h.get("voided_by")
                         else t("history.voided"))
    if h.get("note"):
        text += " — " + t("history.reason", reason=h["note"])
    return text


@case_app.command("history")
def case_history(case_id: CaseId, as_json: Json = False) -> None:
    """Everything that happened to a case, oldest first, with who and when: records, not
    done, voids, files, assignments, corrections (each value's old and new), withdrawals,
    links, views of a person's case and refused attempts."""
    ctx = context()
    with unit_of_work() as s:
        case = svc.get_case(s, case_id)
        history = svc.case_history(s, ctx, case, show_person=ctx.shows_person(
            case, svc.definition_of(s, ctx, case)))
        svc.audit_person_view(s, ctx, svc.case_view(s, ctx, case))
    if as_json:
        emit_json(history)
        return
    from datetime import datetime

    t, tz = STATE.t, STATE.settings.tz
    table = Table()
    for col in ("history.col_when", "history.col_who", "history.col_what"):
        table.add_column(t(col))
    for h in history:
        try:  # in the configured time zone, to the minute (as the case page)
            when = datetime.fromisoformat(h["at"]).astimezone(tz).strftime("%Y-%m-%d %H:%M")
        except (TypeError, ValueError):
            when = h["at"] or ""
        table.add_row(when, h.get("actor") or "—", _history_line(h, t))
    STATE.console.print(table)


# -- comments ---------------------------------------------------------------------------------

AS_USER = option("--as", "LOGIN", "Act as this user: only a case she may see; she is the author.")


def _as_user(s, login: str | None):
    return svc.get_user(s, login) if login else None


@case_app.command("comment")
def case_comment(case_id: CaseId,
                 text: str = typer.Argument(..., help="The comment (plain text; @login "
                                            "mentions a user who may see the case)."),
                 as_user: str = AS_USER, as_json: Json = False) -> None:
    """Write a comment on a case; a user it mentions as @login (one who may see the case) is
    told in her notification centre and by her channels."""
    from workflow.services import comments

    ctx = context()
    with unit_of_work() as s:
        made = comments.add_comment(s, ctx, case_id, _as_user(s, as_user), text)
        found = {"id": made.id, "case": made.case_id}
    answer(as_json, found, STATE.t("comments.cli_written", id=found["id"], case=found["case"]))


@case_app.command("comments")
def case_comments(case_id: CaseId, as_user: str = AS_USER,
                  as_json: Json = False) -> None:
    """A case's comments, oldest first: who, when, the text and whom each mentions."""
    from workflow.services import comments

    ctx = context()
    with unit_of_work() as s:
        shown = [c.as_dict() for c in comments.comments_of(s, ctx, case_id,
                                                           _as_user(s, as_user))]
    if as_json:
        emit_json(shown)
        return
    t = STATE.t
    if not shown:
        say(t("comments.cli_none", case=case_id))
        return
    table = Table()
    for col in ("history.col_when", "history.col_who", "comments.title"):
        table.add_column(t(col))
    for c in shown:
        table.add_row(c["at"][:16].replace("T", " "), c["author"], c["text"])
    STATE.console.print(table)


# -- obligations --------------------------------------------------------------------------------


@obligations_app.command("sync")
def obligations_sync(through: str = option("--through", "DATE", "Also open periods starting by this date."),
                     since: str = option("--from", "DATE", "Also open every earlier period due on or after "
                                                           "this date (an office adopting merzim mid-year: "
                                                           "the year so far)."),
                     org: str = option("--org", "CODE", "Only this organisation and the organisations under "
                                                        "it."),
                     joined: str = option("--joined", "DATE", "With --from and --org: the day the "
                                                              "organisation joined (default: today)."),
                     as_user: str = option("--as", "LOGIN", "With --from and --org: act as this user "
                                                            "(its officer, or a manager or an "
                                                            "administrator above it)."),
                     as_json: Json = False) -> None:
    """Open the cases of every recurring obligation for the current and the next period
    (and up to --through); with --from, also every earlier period due since that date, each
    with its own period's due dates, its reminders starting today; running it again opens
    nothing twice. With --from and --org, the organisation joins merzim mid-year: the day it
    joined (--joined, default today) is kept, and its earlier open stages are "before joining
    -- to confirm" for a while rather than overdue; the organisations under it whose year so
    far it opened join with it on that day."""
    ctx = context()
    until = parse_date(through, "--through") if through else None
    first = parse_date(since, "--from") if since else None
    day = parse_date(joined, "--joined") if joined else None
    together: tuple[date | None, list[str]] | None = None
    with unit_of_work() as s:
        if first is not None and org is not None and until is None:
            opened = obl.open_year_so_far(s, ctx, org, first, user=_as_user(s, as_user),
                                          joined_on=day)
            together = joining.joined_together(s, org)
        else:
            opened = obl.sync(s, ctx, until, since=first, org_code=org)
    if as_json:
        emit_json({"as_of": ctx.today, "through": until, "from": first, "org": org,
                   "opened": opened, "per_period": obl.opened_by_period(ctx, opened),
                   **({"joined_on": together[0], "joined_with_it": together[1]}
                      if together is not None else {})})
        return
    if first is None and org is None:
        say(STATE.t("obligations.synced", n=len(opened)))
        return
    _print_backfilled(ctx, opened, first)
    if together is not None and not opened:  # (a second writer, or a second run: said so)
        say(STATE.t("backfill.joined_already", org=org, day=shown_day(together[0])))
    if together is not None and together[1]:
        say(STATE.t("backfill.units_joined", org=org, day=shown_day(together[0]),
                    codes=", ".join(together[1])))


def _print_backfilled(ctx, opened: list[dict], first: date | None) -> None:
    """What a back-fill (or a sync of one organisation) opened, per obligation and period."""
    t = STATE.t
    if not opened:
        say(t("backfill.cli_none"))
        return
    say(t("backfill.cli_opened", n=len(opened)) if first is None else
        t("backfill.cli_opened_since", n=len(opened), since=shown_day(first)))
    table = Table()
    for col in (t("process.col_name"), t("case.col_period"), t("stage.col_due"),
                t("backfill.col_orgs")):
        table.add_column(col)
    from workflow.i18n import period_name

    for row in obl.opened_by_period(ctx, opened):
        table.add_row(row["process_name"], period_name(row["period"], STATE.t.language),
                      shown_day(row["due"]),
                      ", ".join(row["orgs"]))
    STATE.console.print(table)


@obligations_app.command("list")
def obligations_list(org: str = required("--org", "CODE", "Organisation code."),
                     year: str = required("--year", "YEAR", "Year."),
                     file: Path = option("--file", "FILE", "Write .xlsx or .csv."),
                     as_json: Json = False) -> None:
    """An organisation's obligations of a year, month by month, with their status."""
    n = parse_int(year, "--year")
    ctx = context()
    with unit_of_work() as s:
        rows = obl.year_of(s, ctx, org, n)
    t = STATE.t
    header = [t("obligations.col_month"), t("process.col_name"), t("case.col_period"),
              t("stage.col_stage"), t("stage.col_due"), t("stage.col_status"),
              t("stage.col_done")]
    body = [[r["month"], r["process_name"], r["period"], r["stage_name"], r["due"],
             t(f"status.{r['status']}"), r["done_on"]] for r in rows]
    if file is not None:
        from workflow.tabular import table_csv, table_xlsx

        if file.suffix.lower() not in (".xlsx", ".csv"):
            raise UsageError(key="error.export_suffix", path=str(file))
        file.write_bytes(table_xlsx(f"{org} {n}", header, body)
                         if file.suffix.lower() == ".xlsx" else table_csv(header, body))
    if as_json:
        emit_json({"org": org, "year": n, "obligations": rows})
        return
    if not rows:
        say(t("obligations.none", org=org, year=n))
        return
    table = Table(title=f"{rows[0]['organisation_name']} — {n}", title_justify="left")
    for col in header:
        table.add_column(col)
    for row in body:
        table.add_row(*("" if v is None else v.isoformat() if isinstance(v, date) else str(v)
                        for v in row))
    STATE.console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(process_app, name="process")
    app.add_typer(case_app, name="case")
    app.add_typer(obligations_app, name="obligations")
