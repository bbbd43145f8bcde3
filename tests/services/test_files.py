"""Files confirming a record, on both backends: the store, the type read
from the content, the CLI (`record --file`, `files`, `files get`, `files public|private|void`,
`audit verify`), the web form and the API by HTTP (attach, list, download, public, private,
void), and who may see them.

The story: the officer attaches the signed analytic note's PDF when she records it; it is
listed on the case page and downloads as it was, for those who may see the case and for no one
else (a case about a person: for those who may see its person). A renamed executable, an empty
file, one over the limit or of another type is refused and nothing is stored: no row, no blob.
A file changed or removed on disk is named by `merzim audit verify`. A void keeps the file.
(The browser's round trip: tests/browser/test_browser_files.py.)
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.support.databases import dump_tables
from tests.support.features import needs
from tests.support.person_helpers import CASE_KEYS, ROLES, add_person_cases
from tests.support.web_helpers import CALENDAR, TODAY, Web, en
from web.app import create_app
from workflow.definitions import load_registry
from workflow.services import files as files_service
from workflow.settings import FilesSettings, load_settings
from workflow.storage.filestore import FileStore, files_directory
from workflow.storage.models import AuditRecord, EvidenceFile

# -- files of each kind, made here (the type is read from these bytes, never from the name) --

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    buf = io.BytesIO()
    book = Workbook()
    book.active["A1"] = "plan"
    book.save(buf)
    return buf.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
XLSX = _xlsx()
ZIP = _zip({"readme.txt": b"not an office document"})
LIMITS = FilesSettings(max_bytes=64 * 1024)


def files_on_disk(root: Path) -> dict[str, str]:
    """Every file under the store's directory (staging included): path -> SHA-256."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# -- the store and the type check (no database) ---------------------------------------------------


def test_a_blob_is_stored_by_its_hash_atomically_and_never_overwritten(tmp_path):
    store = FileStore(tmp_path / "files")
    sha, size = store.put(PDF)
    assert (sha, size) == (hashlib.sha256(PDF).hexdigest(), len(PDF))
    path = store.path(sha)
    assert path == tmp_path / "files" / sha[:2] / sha[2:4] / sha
    assert store.read(sha) == PDF and store.exists(sha) and store.matches(sha)
    before = path.stat()
    assert store.put(PDF) == (sha, size), "the same content: the same blob"
    assert path.stat().st_ino == before.st_ino and path.stat().st_mtime_ns == before.st_mtime_ns
    # nothing left beside it: no temporary file, no staged copy
    assert list(files_on_disk(tmp_path / "files")) == [f"{sha[:2]}/{sha[2:4]}/{sha}"]
    path.chmod(0o644)
    path.write_bytes(PDF + b"tampered")
    assert store.exists(sha) and not store.matches(sha)
    path.unlink()
    assert not store.exists(sha) and not store.matches(sha)


def test_staged_uploads_left_by_a_crash_are_swept_after_a_day_blobs_never(tmp_path):
    """A process stopped between staging an upload and storing it leaves the staged file in
    .incoming; `merzim serve` sweeps those older than a day at start (services.files
    .sweep_staged), never a blob and never an upload in progress."""
    import os
    import time

    from workflow.services.files import STALE_UPLOAD_SECONDS

    store = FileStore(tmp_path / "files")
    sha, _size = store.put(PDF)
    old, fresh = store.stage_bytes(b"old upload"), store.stage_bytes(b"fresh upload")
    now = time.time()
    os.utime(old.path, (now - STALE_UPLOAD_SECONDS - 60, now - STALE_UPLOAD_SECONDS - 60))
    os.utime(store.path(sha), (now - 10 * STALE_UPLOAD_SECONDS,) * 2)  # an old blob: kept
    (tmp_path / "files" / ".incoming" / "notes.txt").write_text("not ours")
    assert store.sweep_incoming(STALE_UPLOAD_SECONDS, now=now) == (1, len(b"old upload"))
    assert not old.path.exists() and fresh.path.exists() and store.matches(sha)
    assert (tmp_path / "files" / ".incoming" / "notes.txt").exists()
    assert store.sweep_incoming(STALE_UPLOAD_SECONDS, now=now) == (0, 0)
    assert FileStore(tmp_path / "none").sweep_incoming(0) == (0, 0)  # no directory yet


@pytest.mark.parametrize(("data", "kind"), [(PDF, "pdf"), (DOCX, "docx"), (XLSX, "xlsx"),
                                            (JPEG, "jpeg"), (PNG, "png")])
def test_each_accepted_type_is_read_from_its_content(tmp_path, data, kind):
    store = FileStore(tmp_path)
    [item] = files_service.prepare(store, LIMITS, [files_service.Upload("scan.bin", io.BytesIO(data))])
    assert item.kind == kind
    assert item.media_type == files_service.TYPES[kind][0]
    assert item.name == "scan.bin" + files_service.TYPES[kind][1][0], "named as its type"
    files_service.discard(store, [item])


@pytest.mark.parametrize(("name", "data", "found"), [
    ("order.pdf", EXE, "EXE"), ("order.pdf", ELF, "ELF"), ("plan.docx", ZIP, "ZIP"),
    ("photo.png", GIF, "GIF"), ("note.pdf", b"just text, not a PDF", "?")])
def test_a_file_of_another_type_is_refused_whatever_its_name(tmp_path, name, data, found):
    store = FileStore(tmp_path)
    with pytest.raises(files_service.FileRefused) as caught:
        files_service.prepare(store, LIMITS, [files_service.Upload(name, io.BytesIO(data))])
    assert caught.value.key == "files.wrong_type"
    assert caught.value.params["name"] == name and caught.value.params["found"] == found
    assert files_on_disk(tmp_path) == {}


class Endless(io.RawIOBase):
    """A stream that never ends, counting what was read of it."""

    def __init__(self):
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"%" * len(buffer)
        self.read_bytes += len(buffer)
        return len(buffer)


def test_an_oversized_file_is_refused_while_it_is_read_not_after(tmp_path):
    store = FileStore(tmp_path)
    stream = Endless()
    with pytest.raises(files_service.FileRefused) as caught:
        files_service.prepare(store, LIMITS, [files_service.Upload("big.pdf", stream)])
    assert caught.value.key == "files.too_large"
    assert stream.read_bytes <= LIMITS.max_bytes + 2 * 65536, "read up to the limit, not on"
    assert files_on_disk(tmp_path) == {}


def test_one_refused_file_drops_the_others_staged_with_it(tmp_path):
    store = FileStore(tmp_path)
    with pytest.raises(files_service.FileRefused) as caught:
        files_service.prepare(store, LIMITS, [files_service.Upload("a.pdf", io.BytesIO(PDF)),
                                              files_service.Upload("b.pdf", io.BytesIO(b""))])
    assert caught.value.key == "files.empty" and caught.value.params["name"] == "b.pdf"
    assert files_on_disk(tmp_path) == {}


def test_the_directory_is_beside_a_sqlite_file_and_must_be_named_for_postgresql(tmp_path):
    from workflow.core.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    db = tmp_path / "data" / "merzim.db"
    beside = load_settings(config, env={"MERZIM_DATABASE_URL": f"sqlite:///{db}"})
    assert files_directory(beside) == tmp_path / "data" / "merzim-files"
    pg = load_settings(config, env={"MERZIM_DATABASE_URL": "postgresql+psycopg://m@db/m"})
    with pytest.raises(ConfigError, match="MERZIM_FILES_DIR"):
        files_directory(pg)
    named = load_settings(config, env={"MERZIM_DATABASE_URL": "postgresql+psycopg://m@db/m",
                                       "MERZIM_FILES_DIR": str(tmp_path / "store")})
    assert files_directory(named) == tmp_path / "store"
    config.write_text('[files]\ndirectory = "evidence"\nmax_bytes = 1000\ntypes = ["pdf"]\n',
                      encoding="utf-8")
    given = load_settings(config, env={})
    assert files_directory(given) == tmp_path / "evidence"
    assert given.files == FilesSettings(tmp_path / "evidence", 1000, ("pdf",))
    for bad in ('types = ["exe"]', "max_bytes = 0", 'colour = "red"'):
        config.write_text(f"[files]\n{bad}\n", encoding="utf-8")
        with pytest.raises(ConfigError):
            load_settings(config, env={})


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def cli(merzim_db, db, tmp_path):
    """`merzim` on the test database with a files directory of its own and a 64 KiB limit;
    an organisation, an officer and an analysis to record on."""
    store_dir = tmp_path / "evidence"
    config = tmp_path / "files.toml"
    config.write_text(f'[files]\ndirectory = "{store_dir.as_posix()}"\nmax_bytes = 65536\n',
                      encoding="utf-8")

    def run(*args: str, lang: str = "en"):
        return merzim_db(*args, today="2026-03-02", lang=lang, config=config)

    for args in (("init",), ("org", "add", "AK", "--name", "Akimat", "--kind", "akimat"),
                 ("user", "add", "asel", "--name", "Asel", "--role", "officer", "--org", "AK",
                  "--email", "asel@example.kz"),
                 ("analysis", "plan", "--subject", "AK", "--object", "AK",
                  "--start", "2026-03-02")):
        r = run(*args)
        assert r.returncode == 0, (args, r.stdout, r.stderr)
    run.store = store_dir
    run.engine = db
    run.tmp = tmp_path
    return run


def _write(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


@needs("planning")
def test_record_with_a_file_stores_it_and_audits_its_hash(cli):
    pdf = _write(cli.tmp, "order 12.pdf", PDF)
    png = _write(cli.tmp, "scan", PNG)
    r = cli("record", "1", "order", "--date", "2026-03-02", "--number", "12",
            "--signed-by", "Akim", "--file", str(pdf), "--file", str(png))
    assert r.returncode == 0, r.stderr
    listed = json.loads(cli("files", "1", "--json").stdout)["files"]
    sha = hashlib.sha256(PDF).hexdigest()
    assert [(f["name"], f["type"], f["size"], f["sha256"]) for f in listed] == [
        ("order 12.pdf", "PDF", len(PDF), sha),
        ("scan.png", "PNG", len(PNG), hashlib.sha256(PNG).hexdigest())]
    assert all(f["record"] == listed[0]["record"] and not f["void"] for f in listed)
    assert (cli.store / sha[:2] / sha[2:4] / sha).read_bytes() == PDF
    with Session(cli.engine) as s:
        audit = [(a.action, json.loads(a.payload)) for a in s.exec(
            select(AuditRecord).order_by(AuditRecord.id))]
    event = next(p for action, p in audit if action == "event.order")
    assert [f["sha256"] for f in event["files"]] == [sha, hashlib.sha256(PNG).hexdigest()]
    attached = [p for action, p in audit if action == "file.attach"]
    assert [(p["file"], p["record"], p["sha256"]) for p in attached] == [
        (f["id"], f["record"], f["sha256"]) for f in listed]
    ok = cli("audit", "verify")
    assert ok.returncode == 0 and "2 files checked" in ok.stdout
    out = cli.tmp / "copy.pdf"
    got = cli("files", "get", str(listed[0]["id"]), "--out", str(out))
    assert got.returncode == 0 and out.read_bytes() == PDF


@needs("planning")
@pytest.mark.parametrize(("name", "data", "key"), [
    ("order.pdf", EXE, "files.wrong_type"), ("order.pdf", b"", "files.empty"),
    ("order.pdf", PDF + b"\0" * 70000, "files.too_large"), ("order.gif", GIF, "files.wrong_type"),
    (None, None, "files.cannot_read")])
def test_a_refused_file_refuses_the_record_and_stores_nothing(cli, name, data, key):
    good = _write(cli.tmp, "good.pdf", PDF)
    bad = _write(cli.tmp, name, data) if name else cli.tmp / "missing.pdf"
    tables, disk = dump_tables(cli.engine), files_on_disk(cli.store)
    r = cli("record", "1", "order", "--date", "2026-03-02", "--number", "12",
            "--signed-by", "Akim", "--file", str(good), "--file", str(bad))
    assert r.returncode == 2, (r.stdout, r.stderr)
    message = r.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert bad.name in message and "nothing was stored" in message.lower()
    assert dump_tables(cli.engine) == tables, "no record, no row, no audit entry"
    assert files_on_disk(cli.store) == disk == {}, "no blob, nothing staged left behind"
    assert key  # (each refusal's key is checked through the service above)


@needs("planning")
def test_audit_verify_names_the_file_changed_or_removed_on_disk(cli):
    pdf = _write(cli.tmp, "note.pdf", PDF)
    assert cli("record", "1", "order", "--date", "2026-03-02", "--number", "12",
               "--signed-by", "Akim", "--file", str(pdf)).returncode == 0
    [f] = json.loads(cli("files", "1", "--json").stdout)["files"]
    blob = cli.store / f["sha256"][:2] / f["sha256"][2:4] / f["sha256"]
    blob.chmod(0o644)
    blob.write_bytes(PDF.replace(b"Catalog", b"Katalog"))
    r = cli("audit", "verify")
    assert r.returncode == 3
    line = f"Case 1, record #{f['record']}, file {f['id']} «note.pdf»: changed on disk"
    assert line in r.stdout and line in r.stderr
    kk = cli("audit", "verify", lang="kk")
    assert kk.returncode == 3 and f"№{f['record']} жазба" in kk.stdout and "өзгертілген" in kk.stdout
    # a changed file is not served as the evidence either
    got = cli("files", "get", str(f["id"]), "--out", str(cli.tmp / "out.pdf"))
    assert got.returncode == 3 and "changed or missing" in got.stderr
    blob.unlink()
    r = cli("audit", "verify", "--json")
    assert r.returncode == 3
    assert json.loads(r.stdout)["files"]["problems"] == [
        {"id": f["id"], "case": 1, "record": f["record"], "name": "note.pdf",
         "problem": "missing"}]
    ru = cli("audit", "verify", lang="ru")
    assert "отсутствует на диске" in ru.stdout and "«note.pdf»" in ru.stdout


@needs("planning")
def test_a_row_changed_to_match_a_replaced_blob_is_found_by_the_audit_log(cli):
    pdf = _write(cli.tmp, "note.pdf", PDF)
    assert cli("record", "1", "order", "--date", "2026-03-02", "--number", "12",
               "--signed-by", "Akim", "--file", str(pdf)).returncode == 0
    other = FileStore(cli.store).put(PDF + b"% forged\n")[0]
    with Session(cli.engine) as s:
        row = s.exec(select(EvidenceFile)).one()
        row.sha256 = other
        s.add(row)
        s.commit()
    r = cli("audit", "verify")
    assert r.returncode == 3 and "differs from the one the audit log recorded" in r.stdout


@needs("planning")
def test_voiding_a_record_keeps_its_files_marked_void(cli):
    pdf = _write(cli.tmp, "order.pdf", PDF)
    assert cli("record", "1", "order", "--date", "2026-03-02", "--number", "12",
               "--signed-by", "Akim", "--file", str(pdf)).returncode == 0
    assert cli("void", "1", "order", "--note", "wrong order attached").returncode == 0
    [f] = json.loads(cli("files", "1", "--json").stdout)["files"]
    assert f["void"] and f["void_reason"] == "wrong order attached" and not f["public"]
    assert FileStore(cli.store).matches(f["sha256"]), "kept"
    listing = cli("files", "1").stdout
    assert "void:" in listing and "order attached" in listing  # (the table wraps at 80)
    with Session(cli.engine) as s:
        voids = [json.loads(a.payload) for a in s.exec(
            select(AuditRecord).where(AuditRecord.action == "file.void"))]
    assert voids == [{"file": f["id"], "sha256": f["sha256"], "name": "order.pdf",
                      "reason": "wrong order attached", "with_record": f["record"]}]
    assert cli("audit", "verify").returncode == 0


ORDER = ("order", "--date", "2026-03-02", "--number", "12", "--signed-by", "Akim")
START = ("start_announcement", "--date", "2026-03-02", "--url", "https://akimat.example.kz/start")


def _attach_with(cli, record: tuple[str, ...], name: str, data: bytes = PDF) -> dict:
    """`record` of case 1 recorded with a PDF; its file as `files 1 --json` lists it."""
    r = cli("record", "1", *record, "--file", str(_write(cli.tmp, name, data)))
    assert r.returncode == 0, r.stderr
    return json.loads(cli("files", "1", "--json").stdout)["files"][-1]


def _file_audit(engine, since: int = 0) -> list[tuple[str, str, dict]]:
    """(actor, action, payload) of the file marks and voids after audit record `since`."""
    with Session(engine) as s:
        rows = s.exec(select(AuditRecord).where(AuditRecord.id > since,
                                                AuditRecord.action.in_(
                                                    ("file.public", "file.private", "file.void")))
                      .order_by(AuditRecord.id))
        return [(a.actor, a.action, json.loads(a.payload)) for a in rows]


def _public_page_files(cli, code: str = "AK") -> list[int]:
    """The file numbers the organisation's public page links: the real page over the CLI's
    database."""
    from fastapi.testclient import TestClient

    settings = load_settings(cli.tmp / "files.toml",
                             env={"MERZIM_DATABASE_URL": str(cli.engine.url), "MERZIM_LANG": "en"})
    app = create_app(settings, cli.engine, CALENDAR, load_registry())
    page = TestClient(app).get(f"/public/{code}")
    assert page.status_code == 200, page.text[:300]
    return [int(i) for i in re.findall(rf'href="/public/{code}/files/(\d+)"', page.text)]


@needs("planning")
@needs("public")  # the public page lists the file
def test_the_operator_marks_a_file_public_then_private_then_voids_it(cli):
    f = _attach_with(cli, ORDER, "order.pdf")
    # the start announced and the organisation's public page on: it may show public files
    assert cli("record", "1", *START).returncode == 0
    assert cli("org", "public", "AK", "on").returncode == 0
    assert _public_page_files(cli) == []
    fid = str(f["id"])
    made = cli("files", "public", fid)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == en("files.file_public_saved", name="order.pdf")
    [listed] = json.loads(cli("files", "1", "--json").stdout)["files"]
    assert listed["public"] and not listed["void"]
    assert _public_page_files(cli) == [f["id"]]
    assert "public" in cli("files", "1").stdout
    private = cli("files", "private", fid, "--json")
    assert private.returncode == 0, private.stderr
    shown = json.loads(private.stdout)
    assert shown == json.loads(cli("files", "1", "--json").stdout)["files"][0], "as listed"
    assert not shown["public"] and _public_page_files(cli) == []
    assert cli("files", "public", fid).returncode == 0
    voided = cli("files", "void", fid, "--note", "unsigned copy", "--json")
    assert voided.returncode == 0, voided.stderr
    shown = json.loads(voided.stdout)
    assert (shown["void"], shown["public"], shown["void_reason"]) == (True, False, "unsigned copy")
    assert shown["voided_by"].startswith("cli:")
    assert _public_page_files(cli) == [], "a void file is no longer public"
    assert FileStore(cli.store).matches(f["sha256"]), "kept"
    listing = cli("files", "1").stdout
    assert "void:" in listing and "unsigned" in listing  # (the table wraps at 80)
    audit = _file_audit(cli.engine)
    mark = {"file": f["id"], "sha256": f["sha256"], "name": "order.pdf"}
    assert [(action, payload) for _actor, action, payload in audit] == [
        ("file.public", mark), ("file.private", mark), ("file.public", mark),
        ("file.void", {**mark, "reason": "unsigned copy"})]
    assert all(actor.startswith("cli:") for actor, _a, _p in audit)
    assert cli("audit", "verify").returncode == 0


@pytest.mark.slow
def test_every_refused_mark_or_void_on_the_command_line_changes_nothing(cli):
    f = _attach_with(cli, ORDER, "order.pdf")
    fid = str(f["id"])
    wrong = _attach_with(cli, START, "draft.pdf", PDF + b"% draft\n")
    assert cli("files", "void", str(wrong["id"]), "--note", "a draft").returncode == 0
    # a case about a person, with its notice's file
    assert cli("case", "open", "conflict_of_interest", "--subject", "AK", "--person",
               "Arman Secretov", "--position", "Chief specialist",
               "--date", "notified=2026-02-27").returncode == 0
    notice = _write(cli.tmp, "notice.pdf", PDF + b"% notice\n")
    assert cli("record", "2", "forwarded", "--date", "2026-03-02",
               "--file", str(notice)).returncode == 0
    [person_file] = json.loads(cli("files", "2", "--json").stdout)["files"]
    tables, disk = dump_tables(cli.engine), files_on_disk(cli.store)
    for args, lang, code, message in [
        (("files", "public", "999"), "en", 4, "No file 999."),
        (("files", "void", "abc", "--note", "wrong"), "en", 4, "No file abc."),
        (("files", "private", "99999999999999999999999"), "en", 4,
         "No file 99999999999999999999999."),
        (("files", "public", str(person_file["id"])), "en", 3,
         "«notice.pdf» belongs to a case about a person: its files stay private."),
        (("files", "public", str(person_file["id"])), "ru", 3,
         "«notice.pdf» относится к делу о человеке: его файлы остаются закрытыми."),
        (("files", "void", fid), "en", 2, "Give the reason."),
        (("files", "void", fid, "--note", "   "), "ru", 2, "Укажите причину."),
        (("files", "void", fid, "--note", "x" * 501), "en", 2,
         "note is longer than 500 characters."),
        (("files", "public", str(wrong["id"])), "en", 3,
         "«draft.pdf» is void and cannot be made public."),
        (("files", "public", str(wrong["id"])), "kk", 3,
         "«draft.pdf» файлының күші жойылған, оны жария ету мүмкін емес."),
        (("files", "void", str(wrong["id"]), "--note", "again"), "en", 3,
         "«draft.pdf» is already void."),
        (("files", "public"), "en", 2, "FILE is required."),
        (("files", "public", fid, "--out", "x.pdf"), "en", 2, "merzim files void FILE"),
        (("files", "void", fid, "--json", "--out", "x.pdf", "--note", "n"), "en", 2,
         "merzim files public FILE"),
        (("files", "get", fid, "--out", "x.pdf", "--note", "n"), "en", 2, "Use 'merzim files"),
        (("files", "1", "--note", "n"), "en", 2, "Use 'merzim files"),
    ]:
        r = cli(*args, lang=lang)
        assert r.returncode == code, (args, r.stdout, r.stderr)
        err = r.stderr.strip()
        assert message in err and "\n" not in err and "Traceback" not in err, (args, err)
        assert r.stdout == "", args
        assert dump_tables(cli.engine) == tables, ("nothing stored, not even audited", args)
        assert files_on_disk(cli.store) == disk, args


# -- the web and the API by HTTP --------------------------------------------------------------------


@pytest.fixture
def fw(web: Web, tmp_path) -> Web:
    """The web tests' demo with every process definition and a files directory of its own."""
    empty = tmp_path / "files-web.toml"
    empty.write_text("[files]\nmax_bytes = 65536\n", encoding="utf-8")
    settings = load_settings(empty, env={"MERZIM_LANG": "en",
                                         "MERZIM_DATABASE_URL": str(web.engine.url),
                                         "MERZIM_FILES_DIR": str(tmp_path / "evidence")})
    app = create_app(settings, web.engine, CALENDAR, load_registry())
    out = replace(web, app=app, _browsers={}, _tokens={})
    out.store = tmp_path / "evidence"
    return out


NOTE = {"event": "analytic_note", "date": TODAY.isoformat(), "number": "21-ө",
        "signed_by": "Head of department", "note": ""}
FILE_LINK = re.compile(r'href="(/cases/(\d+)/files/(\d+))"')


def _record_note(w: Web, files: list[tuple[str, bytes, str]], signed_in=None):
    """asel records the analytic note with `files` (`signed_in`: her browser and its CSRF
    token, when the test signed her in before a snapshot)."""
    b, csrf = signed_in or (w.browser("asel"), None)
    edu = w.analyses["edu"]
    return b, b.post(f"/cases/{edu}/events", data={**NOTE, "csrf": csrf or w.csrf(b)},
                     files=[("files", f) for f in files])


def test_the_officer_attaches_a_pdf_with_the_record_and_downloads_it(fw: Web):
    b, r = _record_note(fw, [("signed note.pdf", PDF, "application/pdf")])
    assert r.status_code == 303, r.text
    page = b.get(r.headers["location"]).text
    assert "data-testid=\"recorded\"" in page
    [(url, case, _fid)] = FILE_LINK.findall(page)
    assert int(case) == fw.analyses["edu"]
    assert "signed note.pdf" in page and "PDF" in page
    got = b.get(url)
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "signed%20note.pdf" in got.headers["content-disposition"]
    assert got.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(("name", "data", "key"), [
    ("note.pdf", EXE, "files.wrong_type"), ("note.pdf", b"", "files.empty"),
    ("note.pdf", PDF + b"\0" * 70000, "files.too_large"), ("note.gif", GIF, "files.wrong_type")])
def test_a_refused_upload_refuses_the_record_changes_nothing_and_says_why(fw: Web, name, data,
                                                                           key):
    b = fw.browser("asel")  # signed in before the snapshot
    signed_in = (b, fw.csrf(b))
    before, disk = fw.dump(), files_on_disk(fw.store)
    _b, r = _record_note(fw, [("fine.pdf", PDF, "application/pdf"),
                              (name, data, "application/pdf")], signed_in)
    assert r.status_code == 422
    text = r.text.replace("&#34;", '"').replace("&#39;", "'")
    assert f"«{name}»" in text.replace("&laquo;", "«").replace("&raquo;", "»")
    assert 'id="analytic_note-files-error"' in r.text, "beside the file input"
    assert fw.dump() == before and files_on_disk(fw.store) == disk == {}


def test_the_api_uploads_lists_and_downloads_files(fw: Web):
    api = fw.api("asel")
    edu = fw.analyses["edu"]
    r = api.post(f"/api/v1/cases/{edu}/files", files=[("files", ("plan.xlsx", XLSX, "x/y")),
                                                      ("files", ("scan.jpg", JPEG, "image/jpeg"))])
    assert r.status_code == 201, r.text
    items = r.json()["items"]
    assert [(i["name"], i["type"], i["record"]) for i in items] == [
        ("plan.xlsx", "XLSX", None), ("scan.jpg", "JPEG", None)]
    listed = api.get(f"/api/v1/cases/{edu}/files").json()
    assert [i["id"] for i in listed["items"]] == [i["id"] for i in items]
    got = api.get(items[0]["url"])
    assert got.status_code == 200 and got.content == XLSX
    assert got.headers["content-type"] == files_service.TYPES["xlsx"][0]
    # with a record of the case: its files; a record of another case is not found
    record = api.post(f"/api/v1/cases/{edu}/events", json={
        "event": "analytic_note", "date": TODAY.isoformat(), "number": "1",
        "signed_by": "Head"}).json()["records"][-1]["id"]
    r = api.post(f"/api/v1/cases/{edu}/files", data={"record": str(record)},
                 files=[("files", ("note.docx", DOCX, "application/octet-stream"))])
    assert r.status_code == 201 and r.json()["items"][0]["record"] == record
    before = fw.dump()
    r = api.post(f"/api/v1/cases/{fw.analyses['hlth']}/files", data={"record": str(record)},
                 files=[("files", ("note.pdf", PDF, "application/pdf"))])
    assert r.status_code in (404, 409) and fw.dump() == before
    r = api.post(f"/api/v1/cases/{edu}/files", files=[("files", ("x.pdf", EXE, "x/y"))])
    assert r.status_code == 422 and r.json()["error"] == "files.wrong_type"
    assert fw.dump() == before
    spec = fw.client().get("/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(spec["/api/v1/cases/{case_id}/files"])
    assert "multipart/form-data" in spec["/api/v1/cases/{case_id}/files"]["post"][
        "requestBody"]["content"]
    assert "get" in spec["/api/v1/cases/{case_id}/files/{file_id}"]


def test_an_upload_larger_than_its_files_may_be_is_refused_before_it_is_read(fw: Web):
    api = fw.api("asel")
    before, disk = fw.dump(), files_on_disk(fw.store)
    big = PDF + b"\0" * (65536 * 20 + 1024 * 1024)  # more than 20 files of the limit
    r = api.post(f"/api/v1/cases/{fw.analyses['edu']}/files",
                 files=[("files", ("big.pdf", big, "application/pdf"))])
    assert r.status_code == 422 and r.json()["error"] == "files.request_too_large"
    assert fw.dump() == before and files_on_disk(fw.store) == disk == {}


def _multipart(name: str, data: bytes, boundary: str = "merzim-chunked-test"):
    """A multipart body in chunks of 64 KiB, as a generator: httpx sends it chunked, with no
    Content-Length for the server to check before reading."""
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()

    def chunks():
        for i in range(0, len(body), 65536):
            yield body[i:i + 65536]
    return chunks(), {"Content-Type": f"multipart/form-data; boundary={boundary}"}


def test_a_chunked_upload_with_no_length_is_refused_once_it_passes_the_cap(fw: Web):
    api = fw.api("asel")
    edu = fw.analyses["edu"]
    before, disk = fw.dump(), files_on_disk(fw.store)
    content, headers = _multipart("big.pdf", PDF + b"\0" * (65536 * 20 + 2 * 1024 * 1024))
    r = api.post(f"/api/v1/cases/{edu}/files", content=content, headers=headers)
    assert "content-length" not in {k.lower() for k in r.request.headers}
    assert r.status_code == 422 and r.json()["error"] == "files.request_too_large"
    assert fw.dump() == before and files_on_disk(fw.store) == disk == {}
    # a chunked upload within the cap is read as any other
    content, headers = _multipart("small.pdf", PDF + b"\0" * 1000)
    r = api.post(f"/api/v1/cases/{edu}/files", content=content, headers=headers)
    assert r.status_code == 201, r.text
    assert [f["name"] for f in r.json()["items"]] == ["small.pdf"]


def test_files_are_made_public_private_and_void_by_the_cases_officer(fw: Web):
    b, r = _record_note(fw, [("note.pdf", PDF, "application/pdf")])
    edu = fw.analyses["edu"]
    [(url, _c, fid)] = FILE_LINK.findall(b.get(f"/cases/{edu}").text)
    csrf = fw.csrf(b)
    r = b.post(f"/cases/{edu}/files/{fid}/public", data={"csrf": csrf, "public": "yes"})
    assert r.status_code == 303
    assert 'data-public="yes"' in b.get(f"/cases/{edu}").text
    # a manager above sees the file but may not change it
    nurlan = fw.browser("nurlan")
    before = fw.dump()
    r = nurlan.post(f"/cases/{edu}/files/{fid}/void", data={"csrf": fw.csrf(nurlan),
                                                            "note": "no"})
    assert r.status_code == 409 and fw.dump() == before
    r = b.post(f"/cases/{edu}/files/{fid}/void", data={"csrf": csrf, "note": ""})
    assert r.status_code == 422 and fw.dump() == before, "a reason is required"
    r = b.post(f"/cases/{edu}/files/{fid}/void", data={"csrf": csrf, "note": "unsigned copy"})
    assert r.status_code == 303
    page = b.get(f"/cases/{edu}").text
    assert 'data-void="yes" data-public="no"' in page
    assert en("files.void_mark", reason="unsigned copy") in page
    assert b.get(url).content == PDF, "kept, still downloadable as what was voided"
    r = b.post(f"/cases/{edu}/files/{fid}/public", data={"csrf": csrf, "public": "yes"})
    assert r.status_code == 409


def _public_page_on(w: Web, code: str) -> None:
    """An admin's switch of the organisation's public page, as setup (the switch itself:
    tests/public/test_public_page.py)."""
    from workflow import services as svc
    from workflow.public import service as pub

    with Session(w.engine) as s:
        ctx = svc.Context(CALENDAR, load_registry(), TODAY, actor="test-setup", language="en")
        pub.set_public_page(s, ctx, code, True)
        s.commit()


def _public_links(w: Web, code: str) -> list[int]:
    """The file numbers the organisation's public page links, as a new server process shows
    it (a running one keeps the page for [public] cache_seconds)."""
    from fastapi.testclient import TestClient

    app = create_app(w.app.state.settings, w.engine, CALENDAR, load_registry())
    page = TestClient(app).get(f"/public/{code}")
    assert page.status_code == 200, page.text[:300]
    return [int(i) for i in re.findall(rf'href="/public/{code}/files/(\d+)"', page.text)]


@needs("public")  # the public page lists the file
def test_the_api_makes_a_file_public_then_private_then_voids_it(fw: Web):
    _public_page_on(fw, "AK-ALM-EDU")  # the demo's edu analysis has its start announced
    api = fw.api("asel")
    edu = fw.analyses["edu"]
    r = api.post(f"/api/v1/cases/{edu}/files",
                 files=[("files", ("plan.pdf", PDF, "application/pdf"))])
    assert r.status_code == 201, r.text
    [item] = r.json()["items"]
    url = f"/api/v1/cases/{edu}/files/{item['id']}"
    assert _public_links(fw, "AK-ALM-EDU") == []
    since = fw.last_audit()
    r = api.post(f"{url}/public", json={"public": True})
    assert r.status_code == 200, r.text
    assert r.json() == api.get(f"/api/v1/cases/{edu}/files").json()["items"][0], "as listed"
    assert r.json()["public"] and r.json()["url"] == url
    assert _public_links(fw, "AK-ALM-EDU") == [item["id"]]
    assert fw.client().get(f"/public/AK-ALM-EDU/files/{item['id']}").content == PDF
    r = api.post(f"{url}/public", json={"public": False})
    assert r.status_code == 200 and not r.json()["public"]
    assert _public_links(fw, "AK-ALM-EDU") == []
    assert api.post(f"{url}/public", json={"public": True}).json()["public"]
    r = api.post(f"{url}/void", json={"note": "unsigned copy"})
    assert r.status_code == 200, r.text
    shown = r.json()
    assert (shown["void"], shown["public"], shown["void_reason"], shown["voided_by"]) == (
        True, False, "unsigned copy", "web:asel")
    assert [shown] == api.get(f"/api/v1/cases/{edu}/files").json()["items"]
    assert _public_links(fw, "AK-ALM-EDU") == [], "a void file is no longer public"
    assert api.get(url).content == PDF, "kept, still downloadable as what was voided"
    mark = {"file": item["id"], "sha256": item["sha256"], "name": "plan.pdf"}
    assert [(actor, action, payload) for actor, action, payload in fw.audit_since(since)
            if action.startswith("file.")] == [
        ("web:asel", "file.public", mark), ("web:asel", "file.private", mark),
        ("web:asel", "file.public", mark),
        ("web:asel", "file.void", {**mark, "reason": "unsigned copy"})]
    spec = fw.client().get("/openapi.json").json()
    for action, field in (("public", "public"), ("void", "note")):
        post = spec["paths"][f"/api/v1/cases/{{case_id}}/files/{{file_id}}/{action}"]["post"]
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        assert field in spec["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]


def test_every_refused_mark_or_void_through_the_api_changes_nothing(fw: Web):
    ids = add_person_cases(fw.engine)
    edu, hlth = fw.analyses["edu"], fw.analyses["hlth"]
    asel, nurlan, marat, aigerim = (fw.api(login) for login in
                                    ("asel", "nurlan", "marat", "aigerim"))
    files = f"/api/v1/cases/{edu}/files"
    fine, wrong = (i["id"] for i in asel.post(files, files=[
        ("files", ("fine.pdf", PDF, "application/pdf")),
        ("files", ("draft.pdf", PDF + b"% draft\n", "application/pdf"))]).json()["items"])
    assert asel.post(f"{files}/{wrong}/void", json={"note": "a draft"}).status_code == 200
    [other] = marat.post(f"/api/v1/cases/{hlth}/files", files=[
        ("files", ("health.pdf", PDF + b"% health\n", "application/pdf"))]).json()["items"]
    person_files = f"/api/v1/cases/{ids['coi']}/files"
    [person] = asel.post(person_files, files=[
        ("files", ("notice.pdf", PDF + b"% notice\n", "application/pdf"))]).json()["items"]
    before, disk, since = fw.dump(), files_on_disk(fw.store), fw.last_audit()
    missing = 999999
    refusals = [  # (client, path, body, lang, status, key, message)
        (asel, f"{files}/{missing}/public", {"public": True}, "en", 404, "files.not_found",
         f"No file {missing}."),
        (asel, f"{files}/{other['id']}/public", {"public": True}, "en", 404, "files.not_found",
         f"No file {other['id']}."),  # another case's file: as if it did not exist
        (asel, f"{files}/{other['id']}/void", {"note": "not ours"}, "ru", 404,
         "files.not_found", f"Файл {other['id']} не найден."),
        (asel, f"{person_files}/{person['id']}/public", {"public": True}, "en", 409,
         "files.person_private",
         "«notice.pdf» belongs to a case about a person: its files stay private."),
        (asel, f"{person_files}/{person['id']}/public", {"public": True}, "ru", 409,
         "files.person_private",
         "«notice.pdf» относится к делу о человеке: его файлы остаются закрытыми."),
        (asel, f"{files}/{fine}/void", {"note": ""}, "en", 422, "error.reason_required",
         "Give the reason."),
        (asel, f"{files}/{fine}/void", {}, "ru", 422, "error.reason_required",
         "Укажите причину."),
        (asel, f"{files}/{fine}/void", {"note": "   "}, "kk", 422, "error.reason_required",
         "Себебін көрсетіңіз."),
        (asel, f"{files}/{wrong}/public", {"public": True}, "kk", 409, "files.void_not_public",
         "«draft.pdf» файлының күші жойылған, оны жария ету мүмкін емес."),
        (asel, f"{files}/{wrong}/void", {"note": "again"}, "en", 409, "files.already_void",
         "«draft.pdf» is already void."),
        (nurlan, f"{files}/{fine}/public", {"public": True}, "en", 409, "rule.cannot_record",
         None),  # a manager above sees the files, may not change them
        (nurlan, f"{files}/{fine}/void", {"note": "no"}, "en", 409, "rule.cannot_record", None),
        (nurlan, f"{person_files}/{person['id']}/void", {"note": "no"}, "en", 404,
         "files.case_private", None),  # a person he may not see: its files do not exist
        (asel, f"{files}/{fine}/public", {"public": "maybe"}, "en", 422, "error.invalid", None),
        (asel, f"{files}/{fine}/void", {"note": "x" * 501}, "en", 422, "error.invalid", None),
    ]
    for client, path, body, lang, status, key, message in refusals:
        r = client.post(path, params={"lang": lang}, json=body)
        assert (r.status_code, r.json()["error"]) == (status, key), (path, body, r.text)
        if message:
            assert r.json()["message"] == message, (path, lang)
        assert fw.dump() == before and files_on_disk(fw.store) == disk, (path, body)
    # another organisation's case (a sibling department, the other tree): the same 404 as a
    # case that does not exist
    for client in (marat, aigerim):
        for action, body in (("public", {"public": True}), ("void", {"note": "no"})):
            hidden = client.post(f"{files}/{fine}/{action}", json=body)
            absent = client.post(f"/api/v1/cases/{missing}/files/{fine}/{action}", json=body)
            assert hidden.status_code == absent.status_code == 404
            assert hidden.json()["error"] == "notfound.analysis"
            assert hidden.text == absent.text.replace(str(missing), str(edu))
    assert fw.dump() == before and files_on_disk(fw.store) == disk
    # every refusal is in the audit log: the recorders' with the file and the key
    audit = fw.audit_since(since)
    assert [(actor, action, payload) for actor, action, payload in audit
            if action.startswith("refused.file_")] == [
        (f"web:{login}", f"refused.file_{action}", {"file": file_id, "key": key})
        for login, action, file_id, key in (
            ("asel", "public", missing, "files.not_found"),
            ("asel", "public", other["id"], "files.not_found"),
            ("asel", "void", other["id"], "files.not_found"),
            ("asel", "public", person["id"], "files.person_private"),
            ("asel", "public", person["id"], "files.person_private"),
            ("asel", "void", fine, "error.reason_required"),
            ("asel", "void", fine, "error.reason_required"),
            ("asel", "void", fine, "error.reason_required"),
            ("asel", "public", wrong, "files.void_not_public"),
            ("asel", "void", wrong, "files.already_void"),
            ("nurlan", "public", fine, "rule.cannot_record"),
            ("nurlan", "void", fine, "rule.cannot_record"))]
    others = [(actor, payload["key"]) for actor, action, payload in audit if action == "refused"]
    assert others == [("web:nurlan", "files.case_private"), ("web:asel", "error.invalid"),
                      ("web:asel", "error.invalid"),
                      *[(f"web:{login}", "notfound.analysis")
                        for login in ("marat",) * 4 + ("aigerim",) * 4]]


# -- who may see them ----------------------------------------------------------------------------


def test_a_cases_files_exist_only_for_those_who_may_see_the_case(fw: Web):
    _b, r = _record_note(fw, [("note.pdf", PDF, "application/pdf")])
    assert r.status_code == 303
    edu = fw.analyses["edu"]
    with Session(fw.engine) as s:
        fid = s.exec(select(EvidenceFile.id)).one()
    url = f"/cases/{edu}/files/{fid}"
    # inside: the case's officer, the manager above, the admin of the tree
    for login in ("asel", "nurlan", "erlan"):
        assert fw.browser(login).get(url).content == PDF, login
        assert fw.api(login).get(f"/api/v1{url}").content == PDF, login
        listed = fw.api(login).get(f"/api/v1/cases/{edu}/files").json()["items"]
        assert [i["id"] for i in listed] == [fid], login
    # outside: an officer of a sibling department, a manager and an officer of the other tree
    for login in ("marat", "gulnar", "aigerim"):
        page = fw.browser(login).get(url)
        assert page.status_code == 404 and "PDF" not in page.text, login
        for path in (f"/api/v1{url}", f"/api/v1/cases/{edu}/files"):
            got = fw.api(login).get(path)
            assert got.status_code == 404 and "note.pdf" not in got.text, (login, path)
    # another case's number with this file's: not found, for everyone
    assert fw.browser("asel").get(f"/cases/{fw.analyses['hlth']}/files/{fid}").status_code == 404
    assert fw.browser("asel").get(f"/cases/{edu}/files/{fid + 1}").status_code == 404
    assert fw.client().get(url).status_code == 303, "to the login page"
    assert fw.api(None).get(f"/api/v1{url}").status_code == 401


@pytest.mark.slow
def test_a_person_cases_files_are_as_private_as_its_person(fw: Web):
    ids = add_person_cases(fw.engine)
    ctx_store = files_service.store(fw.app.state.settings)
    from workflow import services as svc

    registry = load_registry()
    fids = {}
    with Session(fw.engine) as s:
        ctx = svc.Context(CALENDAR, registry, TODAY, actor="test-setup", language="en")
        for key in CASE_KEYS:
            [row] = files_service.attach_files(
                s, ctx, ctx_store, fw.app.state.settings.files, ids[key],
                [files_service.Upload(f"{key}-declaration.pdf", io.BytesIO(PDF + key.encode()))])
            fids[key] = row.id
        s.commit()
    # every role of tests/web/test_person_visibility.py but the other tree's two (each sign-in is
    # a real argon2 hash; the other tree is the test above's)
    for role in [r for r in ROLES if r.login not in ("gulnar", "askar")]:
        page_client, api = fw.browser(role.login), fw.api(role.login)
        for key in CASE_KEYS:
            case = ids[key]
            url = f"/cases/{case}/files/{fids[key]}"
            sees = key in role.sees
            got = page_client.get(url)
            assert (got.status_code == 200) is sees, (str(role), key, got.status_code)
            if sees:
                assert got.content == PDF + key.encode()
            else:
                assert got.status_code == 404 and f"{key}-declaration" not in got.text
            listed = api.get(f"/api/v1/cases/{case}/files")
            assert (listed.status_code == 200) is sees, (str(role), key)
            if key in ("coi", "wb"):  # the page too (the two visibility rules; pages are slow)
                case_page = page_client.get(f"/cases/{case}")
                assert (f"{key}-declaration.pdf" in case_page.text) is sees, (str(role), key)
    # and none of them can be made public, by anyone
    asel = fw.browser("asel")
    before = fw.dump()
    r = asel.post(f"/cases/{ids['coi']}/files/{fids['coi']}/public",
                  data={"csrf": fw.csrf(asel), "public": "yes"})
    assert r.status_code == 409 and fw.dump() == before


def test_a_person_cases_files_listed_or_copied_are_audited_as_a_view_of_it(fw: Web, merzim_db,
                                                                          tmp_path):
    """procedures.md: every view of a case about a person is audited. A list of its files (the
    API, `merzim files CASE`) and a copy of one (a download, `merzim files get`) are views;
    a case about no person's are not audited."""
    from workflow import services as svc

    ids = add_person_cases(fw.engine)
    settings = fw.app.state.settings
    with Session(fw.engine) as s:
        ctx = svc.Context(CALENDAR, load_registry(), TODAY, actor="test-setup", language="en")
        [person_file] = files_service.attach_files(
            s, ctx, files_service.store(settings), settings.files, ids["coi"],
            [files_service.Upload("coi-declaration.pdf", io.BytesIO(PDF + b"coi"))])
        [plain_file] = files_service.attach_files(
            s, ctx, files_service.store(settings), settings.files, fw.analyses["edu"],
            [files_service.Upload("order.pdf", io.BytesIO(PDF + b"order"))])
        s.commit()
        person_id, plain_id = person_file.id, plain_file.id
    config = tmp_path / "cli-files.toml"
    config.write_text(f'[files]\ndirectory = "{fw.store.as_posix()}"\nmax_bytes = 65536\n',
                      encoding="utf-8")
    since = fw.last_audit()
    assert merzim_db("files", str(ids["coi"]), "--json", config=config).returncode == 0
    got = merzim_db("files", "get", str(person_id), "--out", str(tmp_path / "copy.pdf"),
                    config=config)
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "copy.pdf").read_bytes() == PDF + b"coi"
    cli = [(actor.split(":")[0], action, entity, payload)
           for actor, action, payload, entity in _audit_with_entity(fw, since)]
    assert cli == [
        ("cli", "view.person_case", ids["coi"], {"person_shown": False, "files": 1}),
        ("cli", "file.download", ids["coi"], {"file": person_id,
                                              "sha256": person_file_sha(fw, person_id)})]
    # the API's list, by the officer who may see the person
    since = fw.last_audit()
    api = fw.api("asel")
    since = fw.last_audit()  # (after the token was made)
    assert api.get(f"/api/v1/cases/{ids['coi']}/files").status_code == 200
    assert [(actor, action, payload) for actor, action, payload, _e
            in _audit_with_entity(fw, since)] == [
        ("web:asel", "view.person_case", {"person_shown": False, "files": 1})]
    # a case about no person: listed and copied, nothing audited
    since = fw.last_audit()
    assert merzim_db("files", str(fw.analyses["edu"]), config=config).returncode == 0
    assert merzim_db("files", "get", str(plain_id), "--out", str(tmp_path / "o.pdf"),
                     config=config).returncode == 0
    assert api.get(f"/api/v1/cases/{fw.analyses['edu']}/files").status_code == 200
    assert _audit_with_entity(fw, since) == []


def _audit_with_entity(w: Web, since: int) -> list[tuple[str, str, dict, int]]:
    with Session(w.engine) as s:
        rows = s.exec(select(AuditRecord).where(AuditRecord.id > since)
                      .order_by(AuditRecord.id)).all()
        return [(r.actor, r.action, json.loads(r.payload), int(r.entity_id)) for r in rows]


def person_file_sha(w: Web, file_id: int) -> str:
    with Session(w.engine) as s:
        return s.get(EvidenceFile, file_id).sha256
