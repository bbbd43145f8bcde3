"""Evidence files from the command line: `record … --file PATH` attaches them (engine.py),
`merzim files CASE` lists a case's files, `merzim files get FILE --out PATH` copies one out,
`merzim files public|private FILE` marks one, `merzim files void FILE --note TEXT` voids one,
and `audit verify` checks every file's content against its hash (engine.py)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import typer

from workflow.cli.common import STATE, context, emit_json, lazy, unit_of_work
from workflow.cli.options import Json, option
from workflow.core.errors import ConfigError, UsageError

files_service = lazy("workflow.services.files")


def store():
    return files_service.store(STATE.settings)


def limits():
    return STATE.settings.files


@contextlib.contextmanager
def opened_uploads(paths: list[Path] | None) -> Iterator[list]:
    """The files of `--file PATH` opened for reading (all of them, before anything is written:
    one that cannot be read refuses the command), closed afterwards."""
    from workflow.services.files import Upload

    with contextlib.ExitStack() as stack:
        uploads = []
        for path in paths or []:
            try:
                uploads.append(Upload(path.name, stack.enter_context(open(path, "rb"))))
            except OSError as exc:
                raise UsageError(f"cannot read {path}", key="files.cannot_read", path=str(path),
                                 detail=exc.strerror or type(exc).__name__) from None
        yield uploads


def attach_to_last_record(s, ctx, case, uploads) -> None:
    """Files given with `record --not-done`: attached to the record just written."""
    from workflow.services.cases import records_of

    record = records_of(s, case)[-1]
    files_service.attach_files(s, ctx, store(), limits(), case.id, uploads, record.id)


def verify_files(s):
    """`audit verify`'s file check (services.files.FileCheck: every stored file, void ones
    too). The store is needed only when there is a file to check (a PostgreSQL database
    without files needs no directory)."""
    try:
        found, missing = store(), None
    except ConfigError as exc:
        found, missing = None, exc
    result = files_service.check_files(s, found)
    if result.checked and missing is not None:  # files to check, and no directory to find them
        raise missing
    return result


def problem_line(p) -> str:
    """One changed or missing file, named by case, record and file name, translated."""
    t = STATE.t
    record = t("files.verify_record", id=p.record) if p.record else t("files.verify_no_record")
    return t("files.verify_problem", id=p.id, name=p.name, case=p.case, record=record,
             problem=t(f"files.problem.{p.problem}"))


ACTIONS = ("get", "public", "private", "void")  # `merzim files ACTION FILE`; else CASE
MOVE = "move-to-database"  # `merzim files move-to-database`: the directory's files into PostgreSQL


def files(target: str = typer.Argument(..., metavar="CASE",
                                       help="Case id whose files to list; or `get` to copy one "
                                       "file out (then FILE and --out), `public` or `private` "
                                       "to mark one, `void` to void one (then FILE and --note)."),
          file_id: str = typer.Argument(None, metavar="FILE",
                                        help="With `get`, `public`, `private` or `void`: the "
                                        "file's number (from the list)."),
          out: Path = option("--out", "PATH", "With `get`: where to write the file."),
          note: str = option("--note", "TEXT", "With `void`: why the file is wrong (required)."),
          as_json: Json = False) -> None:
    """A case's evidence files (number, record, name, type, size, uploaded by/at, public, void);
    `merzim files get FILE --out PATH` copies one out, checked against its hash;
    `merzim files public FILE` / `private FILE` marks one for the organisation's public page
    or takes it off; `merzim files void FILE --note TEXT` voids a wrong one (kept, marked)."""
    if target == MOVE:
        if file_id is not None or out is not None or note is not None:
            raise UsageError(key="files.usage")
        _move(as_json)
        return
    if target in ACTIONS:
        if (out is not None and target != "get") or (note is not None and target != "void"):
            raise UsageError(key="files.usage")
        if target == "get":
            _get(file_id, out, as_json)
        else:
            _change(target, file_id, note, as_json)
        return
    if file_id is not None or out is not None or note is not None:
        raise UsageError(key="files.usage")
    from workflow.services.lookup import get_case

    ctx = context()
    with unit_of_work() as s:
        case = get_case(s, target)
        rows = files_service.list_files(s, case)
        files_service.audit_person_case_access(s, ctx, case, "view.person_case",
                                               {"person_shown": False, "files": len(rows)})
    if as_json:
        emit_json({"case": case.id, "files": rows})
        return
    if not rows:
        STATE.console.print(STATE.t("files.none_listed", id=case.id))
        return
    from rich.table import Table

    t = STATE.t
    table = Table(title=t("files.title", id=case.id))
    for key in ("files.col.id", "files.col.record", "files.col.name", "files.col.type",
                "files.col.size", "files.col.uploaded", "files.col.mark"):
        table.add_column(t(key))
    for r in rows:
        marks = [t("files.void_mark", reason=r["void_reason"])] if r["void"] else []
        if r["public"]:
            marks.append(t("files.public_mark"))
        table.add_row(str(r["id"]), str(r["record"] or "-"), r["name"], r["type"],
                      r["size_text"], f"{r['uploaded_by']} {r['uploaded_at'][:16]}",
                      "; ".join(marks) or "-")
    STATE.console.print(table)


def _change(action: str, file_id: str | None, note: str | None, as_json: bool) -> None:
    """`public`, `private` or `void` of one file, by the same use cases as the case page's
    buttons (the same rules and messages, audited with the command line's actor)."""
    if not file_id:
        raise UsageError(key="error.option_required", option="FILE")
    from workflow.services.lookup import get_case

    ctx = context()
    with unit_of_work() as s:
        found = files_service.file_by_id(s, file_id)
        case = get_case(s, found.case_id)
        if action == "void":
            row = files_service.void_file(s, ctx, case, found.id, note or "")
        else:
            row = files_service.set_public(s, ctx, case, found.id, action == "public")
        view = files_service.file_view(row)
    if as_json:
        emit_json(view)
    else:
        key = {"public": "files.file_public_saved", "private": "files.file_private_saved",
               "void": "files.file_void_saved"}[action]
        STATE.console.print(STATE.t(key, name=view["name"]))


def _move(as_json: bool) -> None:
    """`merzim files move-to-database`: every file of `[files] directory` copied into the
    database, each checked against its hash; the ones that could not be named, exit 3."""
    from workflow.core.errors import RuleViolation

    mover = lazy("workflow.services.file_moving")
    mover.check_move(STATE.settings)
    with unit_of_work() as s:
        names = mover.stored_names(s)
    done = mover.move_files(STATE.settings, names)
    problems = done.problems or []
    t = STATE.t
    lines = [t("files.move_problem", sha256=sha, problem=t(f"files.problem.{problem}"))
             for sha, problem in problems]
    if as_json:
        emit_json({"moved": done.moved, "bytes": done.size, "present": done.present,
                   "problems": [{"sha256": sha, "problem": problem} for sha, problem in problems]})
    else:
        for line in lines:
            STATE.console.print(line, markup=False, highlight=False)
        STATE.console.print(t("files.move_done", moved=done.moved, present=done.present,
                              size=files_service.size_text(done.size)))
        if not problems:
            STATE.console.print(t("files.move_next"))
    if problems:
        raise RuleViolation(f"{len(problems)} files not moved", key="files.move_bad",
                            n=len(problems), first=lines[0])


def _get(file_id: str | None, out: Path | None, as_json: bool) -> None:
    if not file_id:
        raise UsageError(key="error.option_required", option="FILE")
    if out is None:
        raise UsageError(key="error.option_required", option="--out")
    from workflow.services.lookup import get_case

    ctx = context()
    with unit_of_work() as s:
        row = files_service.file_by_id(s, file_id)
        files_service.audit_person_case_access(s, ctx, get_case(s, row.case_id),
                                               "file.download",
                                               {"file": row.id, "sha256": row.sha256})
        with files_service.open_blob(store(), row) as blob:
            target = out / row.name if out.is_dir() else out
            try:
                with open(target, "wb") as fh:
                    shutil.copyfileobj(blob, fh)
            except OSError as exc:
                raise UsageError(key="error.cannot_write", path=str(target),
                                 detail=exc.strerror or str(exc)) from None
    if as_json:
        emit_json({"file": row.id, "name": row.name, "sha256": row.sha256, "size": row.size,
                   "written": str(target)})
    else:
        STATE.console.print(STATE.t("files.written", name=row.name, path=str(target)))


def register(app: typer.Typer) -> None:
    app.command("files")(files)
