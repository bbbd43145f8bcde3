"""`merzim document`: the documents of a case (the order with its work plan, the analytic
note, the action plan, the monitoring report) drafted as DOCX, their signed scans recorded,
and the operator's templates checked and installed.

A command of its own beside `merzim draft` (the drafts feature's announcements): an
announcement is a text the officer edits and publishes, a document is a Word file she has
signed, and a feature never imports another, so each keeps its own command and `merzim draft`
stays as it is."""

from __future__ import annotations

from pathlib import Path

import typer

from workflow.cli.common import STATE, context, emit_json, lazy, pairs, unit_of_work, write_file
from workflow.cli.options import Json, Number, SignedBy, option, required
from workflow.cli.rendering import warning_text

service = lazy("workflow.documents.service")
document_app = typer.Typer(help="The documents and papers of a case, drafted as Word files.",
                           no_args_is_help=True)


def _folder():
    from workflow.documents.texts import DocumentsSettings

    return STATE.settings.of(DocumentsSettings).templates


@document_app.command("list")
def list_documents(case: str = typer.Argument(..., help="Case number."),
                   as_json: Json = False) -> None:
    """The documents of a case, each beside the stage it confirms."""
    ctx = context()
    with unit_of_work() as s:
        from workflow.services.lookup import get_case

        held = get_case(s, case)
        case_id = held.id
        found = service.offers(s, ctx, held)
    if as_json:
        emit_json({"case": case_id, "documents": [o.as_json() for o in found]})
        return
    if not found:
        STATE.console.print(STATE.t("document.none_here"))
    for o in found:
        named = f"{o.name}, {o.period}" if o.period else o.name  # a period's: its dates too
        STATE.console.print(f"{o.address}: {named} — {o.stage_name}", markup=False)


@document_app.command("draft")
def draft(case: str = typer.Argument(..., help="Case number."),
          stage: str = typer.Argument(..., help="The stage the document confirms (any other "
                                      "is refused with the stages that have one)."),
          lang: str = option("--lang", "LANG", "Language of the document: kk, ru or en "
                                               "(default: the command line's)."),
          out: Path = option("--out", "FILE", "Write the document to this file (default: its "
                                              "own name in the current folder)."),
          as_json: Json = False) -> None:
    """Draft the document a stage is confirmed by, as a Word file, from the case's data."""
    ctx = context()
    with unit_of_work() as s:
        drafted = service.draft(s, ctx, case, stage, lang, _folder())
        service.audit_disclosure(s, ctx, drafted)  # a paper showing a protected person
    path = out if out is not None else Path(drafted.filename)
    write_file(path, drafted.content)
    if as_json:
        emit_json({**drafted.as_json(), "file": str(path)})
        return
    STATE.console.print(STATE.t("document.written", name=drafted.name, path=str(path)),
                        markup=False)
    for warning in drafted.warnings:  # the case's planning warnings, beside the document
        STATE.console.print(warning_text(warning), markup=False, style="yellow")


@document_app.command("schedule")
def schedule(subject: str = typer.Argument(..., help="Code of the subject organisation."),
             year: str = required("--year", "YEAR", "The year the schedule plans."),
             lang: str = option("--lang", "LANG", "Language of the document: kk, ru or en "
                                                  "(default: the command line's)."),
             out: Path = option("--out", "FILE", "Write the document to this file (default: "
                                                 "its own name in the current folder)."),
             as_json: Json = False) -> None:
    """Draft the schedule of a subject's analyses for a year (its objects and their periods),
    as a Word file, from its programme."""
    from workflow.cli.common import parse_int
    from workflow.services.programmes import programme_of

    ctx = context()
    with unit_of_work() as s:
        prog, _subject = programme_of(s, subject, parse_int(year, "--year"))
        drafted = service.draft_schedule(s, ctx, prog.id, lang, _folder())
    path = out if out is not None else Path(drafted.filename)
    write_file(path, drafted.content)
    if as_json:
        emit_json({**drafted.as_json(), "programme": prog.id, "file": str(path)})
        return
    STATE.console.print(STATE.t("document.written", name=drafted.name, path=str(path)),
                        markup=False)


@document_app.command("sign")
def sign(case: str = typer.Argument(..., help="Case number."),
         stage: str = typer.Argument(..., help="The stage the document confirms."),
         on: str = required("--date", "DATE", "The day it was signed."),
         scan: Path = required("--file", "PATH", "The signed scan (PDF or an image)."),
         number: Number = None, signed_by: SignedBy = None,
         evidence: list[str] = option("--evidence", "KEY=VALUE", "Other evidence the record "
                                                                 "asks for."),
         as_json: Json = False) -> None:
    """Record the signed scan as the stage's confirming document, in one step."""
    from workflow.cli.common import parse_date
    from workflow.cli.files import limits, opened_uploads, store

    ctx = context()
    given = {k: v for k, v in (("number", number), ("signed_by", signed_by)) if v}
    given.update(pairs(evidence, "--evidence"))
    with opened_uploads([scan]) as uploads, unit_of_work() as s:
        rec = service.record_signed(s, ctx, store(), limits(), case, stage,
                                    parse_date(on, "--date"), given, uploads)
        out = {"case": rec.case_id, "record": rec.id, "event": rec.event,
               "on": rec.on.isoformat(), "file": scan.name}
    if as_json:
        emit_json(out)
        return
    STATE.console.print(STATE.t("document.signed", case=out["case"], file=scan.name),
                        markup=False)


@document_app.command("check-template")
def check_template(file: Path = typer.Argument(..., help="The Word template."),
                   name: str = required("--name", "NAME", "The document it replaces: order, "
                                                          "analytic_note, action_plan, "
                                                          "monitoring_report."),
                   lang: str = required("--lang", "LANG", "Its language: kk, ru or en."),
                   as_json: Json = False) -> None:
    """Check that a template renders (every tag whole, every placeholder known)."""
    from workflow.documents import texts

    _known(name, lang)
    texts.check(file, name, lang)
    if as_json:
        emit_json({"template": name, "language": lang, "ok": True})
        return
    STATE.console.print(STATE.t("document.template_ok", template=name, language=lang),
                        markup=False)


@document_app.command("install-template")
def install_template(file: Path = typer.Argument(..., help="The Word template."),
                     name: str = required("--name", "NAME", "The document it replaces."),
                     lang: str = required("--lang", "LANG", "Its language: kk, ru or en."),
                     org: str = option("--org", "CODE", "For this organisation only (default: "
                                                        "the whole installation)."),
                     as_json: Json = False) -> None:
    """Install a replacement template after checking it renders; a refused one is not
    installed."""
    from workflow.core.errors import UsageError
    from workflow.documents import texts

    _known(name, lang)
    folder = _folder()
    if folder is None:
        raise UsageError("config.toml [documents] templates is not set",
                         key="document.no_folder")
    if org:
        with unit_of_work() as s:
            from workflow.services.lookup import get_org

            get_org(s, org)
    target = texts.install(file, folder, name, lang, org or None)
    if as_json:
        emit_json({"template": name, "language": lang, "org": org, "path": str(target)})
        return
    STATE.console.print(STATE.t("document.template_installed", template=name, language=lang,
                                path=str(target)), markup=False)


def _known(name: str, lang: str) -> None:
    from workflow.core.errors import UsageError
    from workflow.documents.texts import template_names
    from workflow.i18n import LANGUAGES

    known = template_names(context().registry.all())  # an operator's papers' too
    if name not in known:
        raise UsageError(f"unknown template {name!r}", key="document.unknown_template",
                         template=name, known=", ".join(known))
    if lang not in LANGUAGES:
        raise UsageError(f"unknown language {lang!r}", key="draft.bad_language", value=lang)


def register(app: typer.Typer) -> None:
    app.add_typer(document_app, name="document")
