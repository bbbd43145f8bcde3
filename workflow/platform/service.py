"""The cross-platform package (000:L43-79): for a subject's programme of a year, what confirms
each sub-task of the implementation map -- the records of the stages and events the map names,
their files and a manifest -- written as one ZIP per sub-task; and the date each sub-task was
uploaded to the platform.

* Which cases: the programme's analyses, and the subject's cases of the other processes the
  map names whose date (`case_date`) falls in the year; with `case_id`, that case alone. A case
  about a person never (the map refuses such processes; a case with a person is skipped too).
* Which records: the standing ones (not voided) that complete a stage the map names (or are
  the event it names), with their files that are not void; a programme's own stage (the
  schedule) by its evidence, without files.
* The approver check (000:L45-47, L59-69): a record that is a document (a number, a signer or
  a file) needs `approver_role` among those the map allows for the subject's kind; one that
  does not is reported, and the package is still written: the officer gets it with the list.
* Uploads: one programme stage row per sub-task (`UPLOAD:<sub-task>`), done on the day the
  officer uploaded it, with the platform's link; recording it again keeps the newest date.
  Audited (`platform.uploaded`).
* The ZIP of a sub-task holds the folders project/task/sub-task named by the map's kk names
  (`safe_name`), the files (`<date> <object> <name>`), `manifest.csv` and `manifest.json`.
* Report forms: a sub-task's `forms` (appendices of 000) are written for the subject and the
  year, in Kazakh and in Russian, by the forms feature (`form_writer`), into the sub-task's
  folder as `<date> <subject> <file name>` with the other files, one manifest row each (check
  `to_sign`: the printout is signed before upload). A form goes in when it has a line, or when
  its sub-task has other documents (a nil report beside the act it reports on). Its persons
  follow the form's own rule (`sees_person`: None, every one, as `merzim form` writes them).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any, Protocol

from sqlmodel import Session, col, select

from workflow.core.dates import check_day, not_in_future
from workflow.core.definition import Definition
from workflow.core.errors import NotFound, UsageError
from workflow.core.links import links_of
from workflow.core.machine import URL
from workflow.core.names import name_in
from workflow.definitions import Registry
from workflow.i18n import Translator
from workflow.platform.map import PackageSettings, load_map
from workflow.platform.rules import (
    MISSING,
    NOT_ALLOWED,
    TO_SIGN,
    Document,
    PlatformMap,
    safe_file_name,
    safe_name,
)
from workflow.services.cases import definition_of
from workflow.services.context import Context
from workflow.services.lookup import org_of
from workflow.services.organisations import org_name
from workflow.services.programmes import programme_cases, programme_definition, programme_of
from workflow.settings import Settings
from workflow.storage import audit
from workflow.storage.filestore import CHUNK, FileStore, file_store
from workflow.storage.models import (
    DONE_ON_TIME,
    EVENT,
    Case,
    EventRecord,
    EvidenceFile,
    Organisation,
    Programme,
    Stage,
)

UPLOAD = "platform_upload"  # programme stage rows "platform_upload:1.2.3": a sub-task uploaded
MANIFEST_COLUMNS = ("subtask", "document", "case", "object", "number", "date", "signer",
                    "approver_role", "approver_check", "link", "file", "sha256")


FORM_LANGUAGES = ("kk", "ru")  # the languages of the Instruction's forms (000, its kk and ru texts)


class FormWriter(Protocol):
    """Writes a report form of a subject and a year: (file name, XLSX content, lines it holds,
    persons it names, persons it hides) -- `workflow.forms.service.package_form`."""

    def __call__(self, s: Session, ctx: Context, n: int, org_code: str, year: int,
                 language: str, sees_person: Any = None) -> tuple[str, bytes, int, int, int]: ...


def form_writer() -> FormWriter | None:
    """The report forms' writer: the installed feature that offers one (its declaration's
    `package_form`, workflow/core/feature.py), loaded when a package first needs a form -- as
    the record path finds a feature's listener (services/hooks.py): the platform never
    imports another feature. None when no such feature is installed (the package then holds
    the records alone)."""
    from workflow.definitions.features import providing

    for feature in providing("package_form"):
        assert feature.package_form is not None
        return feature.package_form()
    return None


class PackageError(UsageError):
    """The package cannot be written where asked (the database is not touched)."""


@dataclass
class Row:
    """One line of a manifest: a document (a record) and one of its files (or none)."""

    subtask: str
    document: str
    case: int | None
    object: str
    number: str
    date: date
    signer: str
    approver_role: str
    approver_check: str
    link: str
    file: str = ""
    sha256: str = ""
    size: int | None = None


@dataclass
class Part:
    """One sub-task of the map: its documents, and where its ZIP puts them."""

    key: str
    project: dict[str, str]
    task: dict[str, str]
    subtask: dict[str, str]
    folder: str  # project/task/sub-task, as in the ZIP
    zip_name: str
    rows: list[Row] = field(default_factory=list)
    uploaded_on: date | None = None
    uploaded_url: str | None = None

    @property
    def files(self) -> list[Row]:
        return [r for r in self.rows if r.sha256]


@dataclass
class Package:
    subject: str
    subject_name: str
    year: int
    programme_id: int
    language: str
    parts: list[Part]
    problems: list[dict[str, Any]] = field(default_factory=list)  # found while writing
    written: dict[str, bytes] = field(default_factory=dict)  # the forms' content, by SHA-256
    persons: tuple[int, int] = (0, 0)  # persons the forms name, and hide

    @property
    def warnings(self) -> list[Row]:
        """The documents whose approver is missing or not allowed (once each, not per file)."""
        seen, out = set(), []
        for r in (r for p in self.parts for r in p.rows):
            key = (r.subtask, r.case, r.date, r.document, r.number)
            if r.approver_check in (MISSING, NOT_ALLOWED) and key not in seen:
                seen.add(key)
                out.append(r)
        return out

    def with_documents(self) -> list[Part]:
        return [p for p in self.parts if p.rows]


def platform_map(settings: Settings, registry: Registry | None = None) -> PlatformMap:
    """The implementation map: the operator's (`[package] map`) or the shipped one, checked
    against the definitions these settings load (or `registry`, when it is that)."""
    if registry is None:
        from workflow.services.runtime import registry as configured

        registry = configured(settings)
    return load_map(registry, settings.of(PackageSettings).map)


def parse_subject_year(text: str) -> tuple[str, int]:
    """'AK-ALM:2026' as (code, year)."""
    code, sep, year = (text or "").rpartition(":")
    if not sep or not code or not year.strip().isdigit():
        raise UsageError(f"{text!r} is not SUBJECT:YEAR", key="package.bad_subject_year",
                         value=text)
    return code, int(year)


# -- what the package holds ---------------------------------------------------------------------

def build(s: Session, ctx: Context, pmap: PlatformMap, prog: Programme,
          case_id: int | None = None, forms: FormWriter | None = None,
          sees_person: Any = None) -> Package:
    """Every sub-task of the map with its documents for the programme (or one of its cases);
    with `forms`, the sub-tasks' report forms too (not for one case: a form is the year's)."""
    subject = org_of(s, prog.subject_id)
    t, lang = Translator(ctx.language), ctx.language
    cases = _cases(s, ctx, pmap, prog, subject)
    if case_id is not None:
        cases = [c for c in cases if c.id == case_id]
        if not cases:
            raise NotFound(f"case {case_id} is not in the programme",
                           key="package.case_not_in_programme", case=case_id,
                           subject=subject.code, year=prog.year)
    ids = [c.id for c in cases]
    records: dict[int, list[EventRecord]] = {}
    files: dict[int, list[EvidenceFile]] = {}
    if ids:
        for rec in s.exec(select(EventRecord).where(col(EventRecord.case_id).in_(ids),
                                                    EventRecord.kind == EVENT,
                                                    col(EventRecord.voided_by_id).is_(None))
                          .order_by(col(EventRecord.on), col(EventRecord.id))):
            records.setdefault(rec.case_id, []).append(rec)
        for row in s.exec(select(EvidenceFile).where(col(EvidenceFile.case_id).in_(ids),
                                                     col(EvidenceFile.voided_at).is_(None),
                                                     col(EvidenceFile.record_id).is_not(None))
                          .order_by(col(EvidenceFile.id))):
            files.setdefault(row.record_id, []).append(row)
    objects = {o.id: o for o in s.exec(select(Organisation).where(col(Organisation.id).in_(
        {c.object_id for c in cases if c.object_id})))} if cases else {}
    uploads = uploads_of(s, prog)
    parts = []
    for project, task, sub in pmap.subtasks():
        folder = "/".join(safe_name(x.names["kk"]) for x in (project, task, sub))
        part = Part(sub.key, project.names, task.names, sub.names, folder,
                    safe_file_name(f"{sub.key} {sub.names['kk']}.zip"))
        part.uploaded_on, part.uploaded_url = uploads.get(sub.key, (None, None))
        for doc in sub.documents:
            part.rows += _programme_rows(s, ctx, pmap, prog, subject, doc, sub.key, t) \
                if case_id is None else []
            for case in cases:
                if case.process != doc.process or case.process not in ctx.registry.loaded:
                    continue
                defn = definition_of(s, ctx, case)
                events = ({doc.event} if doc.event else
                          {e.key for e in defn.events.values() if e.completes == doc.stage})
                obj = objects.get(case.object_id) or subject
                for rec in records.get(case.id, []):
                    if rec.event not in events:
                        continue
                    ev = rec.evidence or {}
                    rec_files = files.get(rec.id, [])
                    base = Row(sub.key, name_in(defn.events[rec.event].names, lang, rec.event)
                               if rec.event in defn.events else rec.event, case.id, obj.code,
                               ev.get("number", ""), rec.on, ev.get("signed_by", ""),
                               ev.get("approver_role", ""),
                               pmap.approver_check(subject.kind, ev, len(rec_files)),
                               link_text(defn, ev, lang))
                    if not rec_files:
                        part.rows.append(base)
                    for f in rec_files:
                        part.rows.append(Row(**{**asdict(base), "sha256": f.sha256,
                                                "size": f.size,
                                                "file": f"{rec.on.isoformat()} {obj.code} "
                                                        f"{f.name}"}))
        parts.append(part)
    package = Package(subject.code, org_name(subject, lang), prog.year, prog.id, lang, parts)
    if forms is not None and case_id is None:
        _add_forms(s, ctx, pmap, package, forms, sees_person)
    _settle(parts)
    return package


def _settle(parts: list[Part]) -> None:
    """Each sub-task's files named distinctly, its rows in date order."""
    for part in parts:
        _unique_files(part)
        part.rows.sort(key=lambda r: (r.date, r.case or 0, r.file))


def _add_forms(s: Session, ctx: Context, pmap: PlatformMap, package: Package,
               forms: FormWriter, sees_person: Any) -> None:
    """Each sub-task's report forms, kk and ru, written once each (appendix 2 confirms ten
    sub-tasks): in when the form has a line or its sub-task other documents; dated the last day
    of the year, or today while the year runs."""
    on = min(ctx.today, date(package.year, 12, 31))
    t = Translator(ctx.language)
    made: dict[tuple[int, str], tuple[str, bytes, int]] = {}
    shown = hidden = 0
    for _, _, sub in pmap.subtasks():
        part = next(p for p in package.parts if p.key == sub.key)
        for n in sub.forms:
            for language in FORM_LANGUAGES:
                if (n, language) not in made:
                    name, content, lines, named, hid = forms(s, ctx, n, package.subject,
                                                              package.year, language,
                                                              sees_person)
                    made[(n, language)] = (name, content, lines)
                    shown, hidden = shown + named, hidden + hid
                name, content, lines = made[(n, language)]
                if not content or (not lines and not part.rows):  # no content: not its form
                    continue
                sha = hashlib.sha256(content).hexdigest()
                package.written[sha] = content
                part.rows.append(Row(sub.key, t("package.form", n=n, lang=language), None,
                                     package.subject,
                                     "", on, "", "", TO_SIGN, "",
                                     name, sha,
                                     len(content)))
    package.persons = (shown, hidden)  # summed over the forms written (kk and ru each)


def _cases(s: Session, ctx: Context, pmap: PlatformMap, prog: Programme,
           subject: Organisation) -> list[Case]:
    """The programme's analyses and the subject's cases of the map's other processes in the
    year; none about a person."""
    cases = [c for c in programme_cases(s, prog) if c.process in pmap.processes()]
    others = pmap.processes() - {c.process for c in cases} - {programme_definition(s, ctx, prog).key}
    if others:
        cases += s.exec(select(Case).where(col(Case.process).in_(sorted(others)),
                                           Case.subject_id == subject.id,
                                           col(Case.programme_id).is_(None),
                                           Case.case_date >= date(prog.year, 1, 1),
                                           Case.case_date <= date(prog.year, 12, 31))
                        .order_by(col(Case.case_date), col(Case.id))).all()
    return [c for c in cases if not c.person_name]


def _programme_rows(s: Session, ctx: Context, pmap: PlatformMap, prog: Programme,
                    subject: Organisation, doc: Document, key: str, t: Translator) -> list[Row]:
    """A programme's own stage (the schedule) named by the map, once done: its evidence."""
    defn = programme_definition(s, ctx, prog)
    if doc.stage is None or doc.process != defn.key or doc.stage not in defn.programme_stages:
        return []
    stage = s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                       Stage.key == doc.stage)).first()
    if stage is None or stage.done_on is None:
        return []
    ev = stage.evidence or {}
    spec = defn.programme_stages[doc.stage]
    return [Row(key, name_in(spec.names, t.language, doc.stage), None, subject.code,
                ev.get("number", ""), stage.done_on, ev.get("signed_by", ""),
                ev.get("approver_role", ""), pmap.approver_check(subject.kind, ev, 0),
                ev.get("url", ""))]


def link_text(defn: Definition, evidence: dict[str, Any], lang: str) -> str:
    """A record's links as a manifest lists them (I-15): one a line, each "URL (channel)", a
    plain link (version 4's `url`) as its URL alone."""
    lines = []
    for link in links_of(defn, evidence):
        spec = next((e for e in defn.evidence.values()
                     if e.type == "links" and link.channel in e.choice_names), None)
        lines.append(f"{link.url} ({name_in(spec.choice_names[link.channel], lang)})"
                     if spec is not None and link.channel else link.url)
    return "\n".join(lines)


def role_text(role: str | None, t: Translator) -> str:
    """An approver's role as a manifest shows it: the key and its name."""
    return f"{role} ({t(f'approver.{role}')})" if role else ""


def _unique_files(part: Part) -> None:
    """Safe, distinct file names within the sub-task's folder ("name (2).pdf")."""
    seen: set[str] = set()
    for row in part.files:
        name = safe_file_name(row.file)
        stem, dot, ext = name.rpartition(".")
        n = 1
        while name.casefold() in seen:  # Windows folds case
            n += 1
            name = f"{stem} ({n}).{ext}" if dot else f"{row.file} ({n})"
        seen.add(name.casefold())
        row.file = name


# -- uploads ------------------------------------------------------------------------------------

def uploads_of(s: Session, prog: Programme) -> dict[str, tuple[date, str | None]]:
    """The date (and link) each sub-task of the programme was uploaded, by sub-task key."""
    out = {}
    for st in s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                         col(Stage.key).startswith(f"{UPLOAD}:"))):
        out[st.key.split(":", 1)[1]] = (st.done_on, (st.evidence or {}).get("url"))
    return out


def record_upload(s: Session, ctx: Context, pmap: PlatformMap, subject_code: str, year: int,
                  subtask: str, on: date, url: str | None = None) -> Stage:
    """The day a sub-task's documents were uploaded to the cross-platform (the newest counts),
    for the subject's programme of the year (`merzim uploaded`)."""
    prog, _subject = programme_of(s, subject_code, year)
    return record_upload_of(s, ctx, pmap, prog, subtask, on, url)


def record_upload_of(s: Session, ctx: Context, pmap: PlatformMap, prog: Programme,
                     subtask: str, on: date, url: str | None = None) -> Stage:
    """`record_upload` for a programme already found (the page's form, the API)."""
    subject = org_of(s, prog.subject_id)  # (already in the session: no query)
    subject_code, year = subject.code, prog.year
    if pmap.find(subtask) is None:
        raise NotFound(f"no sub-task {subtask!r} in the implementation map",
                       key="package.unknown_subtask", subtask=subtask,
                       known=", ".join(st.key for _, _, st in pmap.subtasks()))
    check_day(on, "date")  # 1900-2100, as every date given, whichever adapter read it
    not_in_future(on, ctx.today)
    url = (url or "").strip() or None
    if url and not URL.match(url):
        raise UsageError(f"{url!r} is not a web link", key="rule.bad_url", url=url, field="url")
    key = f"{UPLOAD}:{subtask}"
    stage = s.exec(select(Stage).where(Stage.programme_id == prog.id, Stage.key == key)).first()
    if stage is None:
        stage = Stage(case_id=None, programme_id=prog.id, key=key, subject_id=subject.id,
                      subject_path=subject.path, due_date=None)
    stage.status, stage.done_on = DONE_ON_TIME, on
    stage.evidence = {"date": on.isoformat(), **({"url": url} if url else {})}
    s.add(stage)
    s.flush()
    audit.append(s, ctx.actor, "platform.uploaded", "programme", prog.id,
                 {"subject": subject_code, "year": year, "subtask": subtask, "on": on,
                  "url": url})
    return stage


# -- writing ------------------------------------------------------------------------------------

def manifest_csv(part: Part, t: Translator) -> bytes:
    from workflow.tabular import table_csv

    header = [t(f"package.col.{c}") for c in MANIFEST_COLUMNS]
    shown = {"approver_check": lambda r: t(f"package.check.{r.approver_check}"),
             "approver_role": lambda r: role_text(r.approver_role, t)}
    body = [[shown[c](r) if c in shown else _cell(getattr(r, c)) for c in MANIFEST_COLUMNS]
            for r in part.rows]
    return table_csv(header, body)


def manifest_json(package: Package, part: Part) -> bytes:
    doc = {"subject": package.subject, "subject_name": package.subject_name,
           "year": package.year, "subtask": part.key,
           "names": {"project": part.project, "task": part.task, "subtask": part.subtask},
           "folder": part.folder, "uploaded_on": part.uploaded_on,
           "documents": [{c: getattr(r, c) for c in (*MANIFEST_COLUMNS, "size")}
                         for r in part.rows]}
    return json.dumps(doc, ensure_ascii=False, indent=2, default=_cell).encode("utf-8")


def _cell(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else ("" if value is None else value)


def write_part(package: Package, part: Part, store: FileStore | None, out: IO[bytes],
               t: Translator) -> None:
    """One sub-task's ZIP into `out`: its folders, its files (each checked against its
    SHA-256 as it is copied: a blob missing or changed on disk is left out and reported in
    `package.problems`), and the two manifests."""
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for row in part.files:
            info = zipfile.ZipInfo(f"{part.folder}/{row.file}",
                                   (row.date.year, row.date.month, row.date.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            if row.sha256 in package.written:  # a report form written for the package
                zf.writestr(info, package.written[row.sha256])
                continue
            problem = _copy_blob(store, row.sha256, zf, info)
            if problem:
                package.problems.append({"subtask": part.key, "file": row.file,
                                         "sha256": row.sha256, "problem": problem})
        stamp = (package.year, 1, 1, 0, 0, 0)
        for name, data in (("manifest.csv", manifest_csv(part, t)),
                           ("manifest.json", manifest_json(package, part))):
            zf.writestr(zipfile.ZipInfo(f"{part.folder}/{name}", stamp), data,
                        zipfile.ZIP_DEFLATED)


def _copy_blob(store: FileStore | None, sha256: str, zf: zipfile.ZipFile,
               info: zipfile.ZipInfo) -> str | None:
    """Copy a blob into the ZIP, hashing it; the problem ("missing", "changed") or None."""
    if store is None:
        return "missing"
    try:
        src = store.open(sha256)
    except (FileNotFoundError, IsADirectoryError, PermissionError, ValueError):
        return "missing"
    digest = hashlib.sha256()
    buf = io.BytesIO()
    with src:
        for chunk in iter(lambda: src.read(CHUNK), b""):
            digest.update(chunk)
            buf.write(chunk)
    if digest.hexdigest() != sha256:
        return "changed"
    zf.writestr(info, buf.getvalue())
    return None


def store_for(package: Package, settings: Settings) -> FileStore | None:
    """The file store, when the package has files to copy from it (a PostgreSQL deployment
    without `[files] directory` can still package records without files)."""
    stored = (r for p in package.parts for r in p.files if r.sha256 not in package.written)
    return file_store(settings) if any(stored) else None


def write_package(package: Package, store: FileStore | None, out_dir: Path) -> list[Path]:
    """One ZIP per sub-task with documents, in `out_dir` (made if missing); each written to a
    temporary file there and renamed, so a ZIP is whole or absent. Nothing is written when
    the folder cannot be made or written."""
    t = Translator(package.language)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out_dir):
            pass
    except OSError as exc:
        raise PackageError(f"cannot write to {out_dir}: {exc.strerror or exc}",
                           key="package.cannot_write", path=str(out_dir),
                           detail=exc.strerror or str(exc)) from None
    written = []
    for part in package.with_documents():
        target = out_dir / part.zip_name
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".package-", suffix=".zip")
        try:
            with os.fdopen(fd, "wb") as fh:
                write_part(package, part, store, fh, t)
            os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from the officer's other tools
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        written.append(target)
    return written


def write_bundle(package: Package, store: FileStore | None, out: IO[bytes]) -> None:
    """The whole package as one ZIP of the sub-tasks' ZIPs (the programme page's button)."""
    t = Translator(package.language)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for part in package.with_documents():
            inner = io.BytesIO()
            write_part(package, part, store, inner, t)
            zf.writestr(zipfile.ZipInfo(part.zip_name, (package.year, 1, 1, 0, 0, 0)),
                        inner.getvalue())


def export_details(package: Package) -> dict[str, Any]:
    """What an export of the package holds, for the audit log: the sub-tasks written, the files,
    the report forms and the persons they name and hide, the problems found."""
    return {"subject": package.subject, "year": package.year,
            "subtasks": [p.key for p in package.with_documents()],
            "files": sum(len(p.files) for p in package.parts),
            "forms": sum(1 for p in package.parts for r in p.files
                         if r.sha256 in package.written),
            "persons_shown": package.persons[0], "persons_hidden": package.persons[1],
            "problems": package.problems}


def record_export(s: Session, actor: str, package: Package) -> None:
    """The package written by the command line, in the audit log (its forms may name persons),
    in the caller's transaction."""
    audit.append(s, actor, "export.package", "programme", package.programme_id,
                 export_details(package), changes=False)


def summary(package: Package) -> list[dict[str, Any]]:
    """Each sub-task: key, names, documents, files, warnings, upload date (for lists)."""
    out = []
    for p in package.parts:
        out.append({"subtask": p.key, "name": name_in(p.subtask, package.language),
                    "name_kk": p.subtask["kk"], "folder": p.folder, "zip": p.zip_name,
                    "documents": len({(r.case, r.date, r.document, r.number) for r in p.rows}),
                    "files": len(p.files),
                    "warnings": len({(r.case, r.date, r.document, r.number) for r in p.rows
                                     if r.approver_check in (MISSING, NOT_ALLOWED)}),
                    "uploaded_on": p.uploaded_on, "uploaded_url": p.uploaded_url})
    return out


def warnings_of(package: Package) -> Iterable[dict[str, Any]]:
    for r in package.warnings:
        yield {"subtask": r.subtask, "document": r.document, "case": r.case,
               "object": r.object, "date": r.date, "number": r.number,
               "approver_role": r.approver_role, "check": r.approver_check}
