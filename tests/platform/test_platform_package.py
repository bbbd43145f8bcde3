"""The cross-platform package (000:L43-91): the officer's story on both
backends — a district akimat's programme of 2024 with its documents recorded (and files
attached) through the real command line, packaged by `merzim package`, unpacked, and read back:
folders named as the implementation map names the project, task and sub-task, each with its
files and a manifest whose rows are the case's data; the approver check (000:L59-69); the day a
sub-task was uploaded, recorded and shown in the programme matrix; the programme page's
"Download package" button for those who may see the programme and no one else; refusals that
change nothing."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import shutil
import uuid
import zipfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.support.cli_runner import Merzim
from tests.support.databases import TEMPLATES, database_from_template, dump_tables
from tests.support.features import installed, needs
from tests.support.web_helpers import (
    CALENDAR,
    DEFINITION,
    TODAY,
    Web,
    en,
    migrated_demo,
    web_fixture,  # noqa: F401  (the `web` fixture)
)
from web.app import create_app
from web.kit.error_pages import web_message
from workflow.core.errors import ConfigError, RuleViolation
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.platform.map import SHIPPED_MAP, load_map
from workflow.platform.rules import (
    MISSING,
    NOT_ALLOWED,
    NOT_NEEDED,
    OK,
    parse_map,
    safe_file_name,
    safe_name,
)
from workflow.settings import load_settings
from workflow.storage.models import Organisation, Programme

SUBJECT, YEAR = "AK-ALM-ILE", 2024  # a district akimat: its district akim or head of apparatus
PROJECT_1 = "№1 ЖОБА. «СЫБАЙЛАС ЖЕМҚОРЛЫҚ ТӘУЕКЕЛДЕРІНЕ ІШКІ ТАЛДАУ"  # 000:L112-114 as written
TASK_1 = "1-тапсырма. Сыбайлас жемқорлық тәуекелдеріне ішкі талдау жүргізуге дайындық"
TASK_2 = "2-тапсырма. Сыбайлас жемқорлық тәуекелдеріне ішкі талдауды жүргізу"
# 000's headings without their closing full stop (a folder name cannot end with one on Windows)
SCHEDULE = ("1-қосалқы тапсырма. Сыбайлас жемқорлық тәуекелдеріне ішкі талдауды жүргізу кестесін "
            "бекіту")
ORDER = ("2-қосалқы тапсырма. Сыбайлас жемқорлық тәуекелдеріне ішкі талдау жүргізу жөніндегі "
         "бұйрықты бекіту")
NOTE = ("3-қосалқы тапсырма. Сыбайлас жемқорлық тәуекелдерін ішкі талдау нәтижелері бойынша "
        "талдамалық анықтамаға қол қою")
START_ANNOUNCEMENT = ("3-қосалқы тапсырма. Интернет-ресурста, БАҚ-та және әлеуметтік желілерде "
                      "сыбайлас жемқорлық тәуекелдеріне ішкі талдау жүргізудің басталғаны туралы "
                      "хабарландыру")  # 000:L265-269: 239 bytes of UTF-8 in full, over the limit
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


DOCS = {"order.pdf": PDF + b"% order 12-\xd3\xa9\n", "note.pdf": PDF + b"% note N-7\n",
        "annex.png": PNG}


@dataclass
class Story:
    web: Web
    run: object  # merzim(*args) -> CompletedProcess
    files_dir: Path
    work: Path
    case: int
    programme: int
    docs: dict[str, bytes]


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def story_built(engine) -> dict:
    """The "package-story" template recipe: the `web` fixture's demo (`migrated_demo`) plus
    AK-ALM-ILE's analysis of March 2024 with its schedule, order (a PDF, approved by the head of
    apparatus), start announcement (a link) and analytic note (a PDF and a PNG, approved by the
    first head: not a district akimat's approver), recorded through the real command line with
    a files directory of the template's own (kept for this process, copied for each test with
    the database: the store names a blob by its hash only). What `migrated_demo` returned, and
    the story's case, programme and files directory."""
    built = migrated_demo(engine)
    here = TEMPLATES.directory() / f"package-story-{uuid.uuid4().hex[:8]}"
    files_dir, work = here / "files", here / "work"
    work.mkdir(parents=True)
    for name, data in DOCS.items():
        (work / name).write_bytes(data)
    merzim = Merzim(work, db_url=_url(engine), today=TODAY,
                    env={"MERZIM_FILES_DIR": str(files_dir)})

    def ok(*args: str):
        r = merzim(*args, lang="en")
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        return r

    planned = json.loads(ok("analysis", "plan", "--subject", SUBJECT, "--object", SUBJECT,
                            "--start", "2024-03-04", "--json").stdout)
    case = str(planned["id"])
    ok("programme", "schedule", "--subject", SUBJECT, "--year", str(YEAR), "--date",
       "2024-01-15", "--number", "S-1", "--signed-by", "Д. Омаров")
    ok("record", case, "order", "--date", "2024-02-16", "--number", "12-ө", "--signed-by",
       "Б. Сапаров", "--evidence", "approver_role=head_of_apparatus", "--file", "order.pdf")
    ok("record", case, "start_announcement", "--date", "2024-02-19",
       "--url", "https://ile.gov.kz/news/analysis-2024")
    ok("record", case, "analytic_note", "--date", "2024-04-26", "--number", "N-7",
       "--signed-by", "А. Әлиев", "--evidence", "approver_role=first_head",
       "--file", "note.pdf", "--file", "annex.png")
    with Session(engine) as s:
        subject = s.exec(select(Organisation).where(Organisation.code == SUBJECT)).one()
        prog = s.exec(select(Programme).where(Programme.subject_id == subject.id,
                                              Programme.year == YEAR)).one()
    return {**built, "story": {"case": int(case), "programme": prog.id,
                               "files": str(files_dir)}}


@pytest.fixture
def db_built(backend: str, tmp_path: Path):
    """This module's database (the `web` fixture's too): a copy of the "package-story"
    template, built once per test process and backend instead of five commands before each
    test."""
    with database_from_template(backend, tmp_path, "merzim-web.db", recipe=story_built,
                                recipe_name="package-story") as built:
        yield built


@pytest.fixture
def story(web: Web, db_built, tmp_path: Path) -> Story:
    """The demo (TODAY 2025-11-19) and `story_built`'s analysis, programme and documents: the
    test's copy of the database and of the files directory."""
    told = db_built[1]["story"]
    files_dir, work = tmp_path / "files", tmp_path / "work"
    shutil.copytree(told["files"], files_dir)
    work.mkdir()
    docs = dict(DOCS)
    for name, data in docs.items():
        (work / name).write_bytes(data)

    merzim = Merzim(work, db_url=_url(web.engine), today=TODAY,
                    env={"MERZIM_FILES_DIR": str(files_dir)})

    def run(*args: str, lang: str = "en", config: Path | None = None):
        return merzim(*args, lang=lang, config=config)

    return Story(web, run, files_dir, work, told["case"], told["programme"], docs)


def _unpack(folder: Path, into: Path) -> list[str]:
    """Every ZIP of `folder` unpacked into one tree (as an officer would): the ZIPs' names."""
    names = sorted(p.name for p in folder.glob("*.zip"))
    for name in names:
        with zipfile.ZipFile(folder / name) as zf:
            zf.extractall(into)
    return names


def _csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the package ----------------------------------------------------------------------------------


@needs("planning")
def test_package_unpacks_to_folders_named_as_the_map_with_files_and_manifests(story: Story,
                                                                              tmp_path: Path):
    out = tmp_path / "package"
    r = story.run("package", f"{SUBJECT}:{YEAR}", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    zips = _unpack(out, tmp_path / "unpacked")
    assert len(zips) == 4 and zips[0].startswith("1.1.1 ")  # one per sub-task with documents

    root = tmp_path / "unpacked" / PROJECT_1
    folders = {str(p.relative_to(tmp_path / "unpacked"))
               for p in (tmp_path / "unpacked").rglob("*") if p.is_dir()}
    announcement = next(p for p in (root / TASK_1).iterdir() if p.name.startswith("3-"))
    assert announcement.name.endswith("…") and len(announcement.name.encode()) <= 240
    assert START_ANNOUNCEMENT.startswith(announcement.name[:-1])  # cut at a word, nothing else
    assert folders == {PROJECT_1, f"{PROJECT_1}/{TASK_1}", f"{PROJECT_1}/{TASK_2}",
                       f"{PROJECT_1}/{TASK_1}/{SCHEDULE}", f"{PROJECT_1}/{TASK_1}/{ORDER}",
                       f"{PROJECT_1}/{TASK_1}/{announcement.name}", f"{PROJECT_1}/{TASK_2}/{NOTE}"}

    # the order: its file as attached, and its manifest row is the record
    order = root / TASK_1 / ORDER
    assert sorted(p.name for p in order.iterdir()) == [
        f"2024-02-16 {SUBJECT} order.pdf", "manifest.csv", "manifest.json"]
    assert (order / f"2024-02-16 {SUBJECT} order.pdf").read_bytes() == story.docs["order.pdf"]
    rows = _csv(order / "manifest.csv")
    assert rows == [
        ["Sub-task", "Document", "Case", "Object", "Number", "Date", "Signed by",
         "Approver's role", "Approval check", "Link", "File", "File hash (SHA-256)"],
        ["1.1.2", "Order approved", str(story.case), SUBJECT, "12-ө", "2024-02-16", "Б. Сапаров",
         "head_of_apparatus (Head of apparatus)", "allowed", "",
         f"2024-02-16 {SUBJECT} order.pdf", sha(story.docs["order.pdf"])]]
    manifest = json.loads((order / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["subtask"] == "1.1.2" and manifest["names"]["subtask"]["kk"] == ORDER + "."
    assert manifest["documents"] == [{
        "subtask": "1.1.2", "document": "Order approved", "case": story.case, "object": SUBJECT,
        "number": "12-ө", "date": "2024-02-16", "signer": "Б. Сапаров",
        "approver_role": "head_of_apparatus", "approver_check": OK, "link": "",
        "file": f"2024-02-16 {SUBJECT} order.pdf", "sha256": sha(story.docs["order.pdf"]),
        "size": len(story.docs["order.pdf"])}]

    # the note: two files, approved by the first head, whom a district akimat's rule does not name
    note = root / TASK_2 / NOTE
    assert (note / f"2024-04-26 {SUBJECT} note.pdf").read_bytes() == story.docs["note.pdf"]
    assert (note / f"2024-04-26 {SUBJECT} annex.png").read_bytes() == story.docs["annex.png"]
    docs = json.loads((note / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert [(d["number"], d["date"], d["signer"], d["approver_check"], d["sha256"])
            for d in docs] == [
        ("N-7", "2024-04-26", "А. Әлиев", NOT_ALLOWED, sha(story.docs["annex.png"])),
        ("N-7", "2024-04-26", "А. Әлиев", NOT_ALLOWED, sha(story.docs["note.pdf"]))]

    # the start announcement is a link: no file, no approver needed
    links = json.loads((announcement / "manifest.json").read_text(encoding="utf-8"))["documents"]
    assert [(d["link"], d["file"], d["approver_check"]) for d in links] == [
        ("https://ile.gov.kz/news/analysis-2024", "", NOT_NEEDED)]
    # the schedule (the programme's own stage) has a number but no approver's role recorded
    sched = json.loads((root / TASK_1 / SCHEDULE / "manifest.json").read_text("utf-8"))
    assert [(d["number"], d["date"], d["case"], d["approver_check"])
            for d in sched["documents"]] == [("S-1", "2024-01-15", None, MISSING)]

    # the command's report: the two documents to look at, once each
    assert [(w["subtask"], w["number"], w["check"]) for w in report["warnings"]] == [
        ("1.1.1", "S-1", MISSING), ("1.2.3", "N-7", NOT_ALLOWED)]
    assert {s["subtask"]: (s["documents"], s["files"]) for s in report["subtasks"]
            if s["documents"]} == {"1.1.1": (1, 0), "1.1.2": (1, 1), "1.1.3": (1, 0),
                                   "1.2.3": (1, 2)}
    assert report["problems"] == []


@needs("planning")
def test_the_warning_list_names_the_document_and_the_role_in_words(story: Story):
    r = story.run("package", f"{SUBJECT}:{YEAR}", lang="ru")
    assert r.returncode == 0, r.stderr
    assert "2 документа с вопросом об утверждении:" in r.stdout
    assert ("1.2.3: «Аналитическая справка подписана» (AK-ALM-ILE, 2024-04-26, № N-7) — "
            "first_head (Первый руководитель) не вправе утверждать для этой организации "
            "(000:L59-69).") in r.stdout


@needs("planning")
def test_one_case_alone_and_a_file_changed_on_disk_is_left_out_and_named(story: Story,
                                                                         tmp_path: Path):
    blob = story.files_dir / sha(story.docs["note.pdf"])[:2] / sha(story.docs["note.pdf"])[2:4]
    (blob / sha(story.docs["note.pdf"])).write_bytes(b"%PDF-1.4 tampered")
    r = story.run("package", f"{SUBJECT}:{YEAR}", "--case", str(story.case), "--out",
                  str(tmp_path / "one"), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["problems"] == [{"subtask": "1.2.3", "file": f"2024-04-26 {SUBJECT} note.pdf",
                                   "sha256": sha(story.docs["note.pdf"]), "problem": "changed"}]
    names = _unpack(tmp_path / "one", tmp_path / "u")
    assert not any(n.startswith("1.1.1 ") for n in names)  # the programme's schedule: not a case's
    note = tmp_path / "u" / PROJECT_1 / TASK_2 / NOTE
    assert sorted(p.name for p in note.iterdir()) == [
        f"2024-04-26 {SUBJECT} annex.png", "manifest.csv", "manifest.json"]


@needs("planning")
def test_an_approver_role_outside_the_list_is_refused_and_changes_nothing(story: Story):
    before = dump_tables(story.web.engine)
    r = story.run("record", str(story.case), "action_plan", "--date", "2024-05-06", "--number",
                  "P-1", "--signed-by", "X", "--evidence", "approver_role=boss")
    assert r.returncode == 3
    assert "boss is not an approver's role" in r.stderr
    assert dump_tables(story.web.engine) == before


# -- refusals ---------------------------------------------------------------------------------------


REFUSALS = [
    (("package", "NOPE:2024", "--out", "{out}"), 4, "NOPE"),
    (("package", f"{SUBJECT}:2019", "--out", "{out}"), 4, f"{SUBJECT} has no programme for 2019"),
    (("package", f"{SUBJECT}:{YEAR}", "--out", "{blocked}/sub"), 2, "Cannot write the package"),
    (("package", SUBJECT, "--out", "{out}"), 2, "is not SUBJECT:YEAR"),
    (("package", f"{SUBJECT}:{YEAR}", "--case", "99999", "--out", "{out}"), 4,
     "Case 99999 is not in the package"),
    (("uploaded", f"{SUBJECT}:{YEAR}", "9.9.9", "--date", "2024-03-01"), 4,
     "has no sub-task 9.9.9"),
    (("uploaded", f"{SUBJECT}:{YEAR}", "1.1.2", "--date", "2026-01-01"), 3, "2026-01-01"),
    (("uploaded", f"{SUBJECT}:{YEAR}", "1.1.2", "--date", "2024-03-01", "--url", "kz2050"), 2,
     "is not a web link"),
    (("uploaded", "NOPE:2024", "1.1.2", "--date", "2024-03-01"), 4, "NOPE"),
]


@needs("planning")
def test_refusals_are_clear_and_change_nothing(story: Story, tmp_path: Path):
    """Unknown subject, no programme, an --out that cannot be written, a malformed argument, a
    case not in the programme, an unknown sub-task, a future date, a bad link."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder", encoding="utf-8")
    out = tmp_path / "out"
    before = dump_tables(story.web.engine)
    for args, code, message in REFUSALS:
        r = story.run(*(a.format(out=out, blocked=blocked) for a in args))
        assert r.returncode == code, (args, r.stdout, r.stderr)
        assert message in r.stderr and "Traceback" not in r.stderr, args
        assert dump_tables(story.web.engine) == before, args
        assert not out.exists() and blocked.read_text(encoding="utf-8") == "not a folder"


# -- the upload date and the programme page ----------------------------------------------------------


def _app_web(story: Story, tmp_path: Path) -> Web:
    """The web application on the story's database, with its file store."""
    config = tmp_path / "web.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config, env={"MERZIM_LANG": "en",
                                          "MERZIM_DATABASE_URL": _url(story.web.engine),
                                          "MERZIM_FILES_DIR": str(story.files_dir)})
    app = create_app(settings, story.web.engine, CALENDAR, DEFINITION)
    return Web(story.web.engine, app, story.web.analyses, story.web.programmes)


@needs("planning")
def test_the_upload_date_is_recorded_audited_and_shown_in_the_programme_matrix(story: Story,
                                                                               tmp_path: Path):
    w = _app_web(story, tmp_path)
    page = w.browser("saule").get(f"/programmes/{story.programme}")
    assert page.status_code == 200 and 'class="platform-uploaded"' in page.text
    assert "2024-03-01" not in page.text
    since = w.last_audit()
    r = story.run("uploaded", f"{SUBJECT}:{YEAR}", "1.1.2", "--date", "2024-03-01", "--url",
                  "https://kz2050.gov.kz/projects/4/1.1.2")
    assert r.returncode == 0, r.stderr
    assert "sub-task 1.1.2 (AK-ALM-ILE, 2024) uploaded to the cross-platform on 2024-03-01" \
        in r.stdout
    assert [(a, p["subtask"], p["on"]) for _actor, a, p in w.audit_since(since)] == [
        ("platform.uploaded", "1.1.2", "2024-03-01")]
    page = w.browser("saule").get(f"/programmes/{story.programme}").text
    matrix_row = page.split('class="platform-uploaded"')[1].split("</tr>")[0]
    order_column = DEFINITION.stage_name("order", "en")
    assert f'data-label="{order_column}">2024-03-01</td>' in matrix_row
    listed = page.split('data-subtask="1.1.2"')[1].split("</tr>")[0]
    assert 'href="https://kz2050.gov.kz/projects/4/1.1.2"' in listed and "2024-03-01" in listed
    # uploaded again after a correction: the newest date counts, both are in the audit log
    assert story.run("uploaded", f"{SUBJECT}:{YEAR}", "1.1.2", "--date", "2024-03-12"
                     ).returncode == 0
    r = story.run("package", f"{SUBJECT}:{YEAR}", "--json")
    uploaded = {s["subtask"]: s["uploaded_on"] for s in json.loads(r.stdout)["subtasks"]}
    assert uploaded["1.1.2"] == "2024-03-12" and uploaded["1.1.3"] is None
    assert [p["on"] for _actor, a, p in w.audit_since(since)
            if a == "platform.uploaded"] == ["2024-03-01", "2024-03-12"]


def _problem(page: str) -> str | None:
    found = re.search(r'<p class="problem" role="alert" id="upload-problem">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else None


@needs("planning")
def test_the_programme_page_records_an_upload_for_its_officers_and_refuses_clearly(
        story: Story, tmp_path: Path):
    w = _app_web(story, tmp_path)
    url = f"/programmes/{story.programme}"
    b = w.browser("saule")  # the district's officer: the programme's subject
    page = b.get(url).text
    assert f'<form method="post" action="{url}/uploads" class="upload-form"' in page
    form = page.split('data-testid="upload-form"')[1].split("</form>")[0]
    assert '<option value="1.1.2"' in form
    assert f'max="{TODAY.isoformat()}"' in form
    csrf = w.csrf(b)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    for data, status, shown in [
            ({"subtask": "1.1.2", "on": "2024-02-30"}, 422,
             "'2024-02-30' is not a date (write YYYY-MM-DD)"),
            ({"subtask": "9.9.9", "on": "2024-03-01"}, 422, "9.9.9"),
            ({"subtask": "1.1.2", "on": tomorrow}, 409, f"The date {tomorrow} is in the future"),
            ({"subtask": "1.1.2", "on": "2024-03-01", "url": "javascript:alert(1)"}, 422,
             "javascript:alert(1)"),
            ({"subtask": "1.1.2", "on": "2024-03-01", "url": "x" * 2001}, 422, "2000")]:
        before, since = w.dump(), w.last_audit()
        r = b.post(f"{url}/uploads", data={"csrf": csrf, **data})
        assert r.status_code == status, (data, r.status_code)
        problem = _problem(r.text)
        assert problem and shown in problem, (data, problem)
        assert w.dump() == before  # nothing stored; the refusal audited
        assert [a for _actor, a, _p in w.audit_since(since)] == ["refused.platform_upload"]
        # the form keeps what was typed
        kept = r.text.split('data-testid="upload-form"')[1]
        assert f'value="{data["on"]}"' in kept
    # without the page's CSRF token: refused, nothing stored
    before = w.dump()
    r = b.post(f"{url}/uploads", data={"subtask": "1.1.2", "on": "2024-03-01"})
    assert r.status_code == 409 and w.dump() == before
    # saved: back to the programme, the date in the sub-task's row, audited as the officer
    since = w.last_audit()
    r = b.post(f"{url}/uploads", data={"csrf": csrf, "subtask": "1.1.2", "on": "2024-03-01",
                                       "url": "https://kz2050.gov.kz/projects/4/1.1.2"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}#package-title"
    assert [(actor, a, p["subtask"], p["on"]) for actor, a, p in w.audit_since(since)] == [
        ("web:saule", "platform.uploaded", "1.1.2", "2024-03-01")]
    listed = b.get(url).text.split('data-subtask="1.1.2"')[1].split("</tr>")[0]
    assert 'href="https://kz2050.gov.kz/projects/4/1.1.2"' in listed and "2024-03-01" in listed
    # the akimat's manager sees the programme, not the form, and may not record; the
    # ministry's officer does not see the programme at all; the admin may record
    manager = w.browser("nurlan")
    assert 'data-testid="upload-form"' not in manager.get(url).text
    token = w.csrf(manager)
    before = w.dump()
    r = manager.post(f"{url}/uploads", data={"csrf": token, "subtask": "1.1.3",
                                             "on": "2024-03-01"})
    assert r.status_code == 409 and w.dump() == before
    outsider = w.browser("aigerim")
    token = w.csrf(outsider)
    before = w.dump()  # (after her sign-in)
    r = outsider.post(f"{url}/uploads", data={"csrf": token, "subtask": "1.1.3",
                                              "on": "2024-03-01"})
    missing = outsider.post("/programmes/99999/uploads", data={
        "csrf": token, "subtask": "1.1.3", "on": "2024-03-01"})
    assert r.status_code == missing.status_code == 404 and w.dump() == before
    assert r.text == missing.text.replace("99999", str(story.programme))
    admin = w.browser("erlan")
    assert 'data-testid="upload-form"' in admin.get(url).text
    r = admin.post(f"{url}/uploads", data={"csrf": w.csrf(admin), "subtask": "1.1.3",
                                           "on": "2024-03-02"})
    assert r.status_code == 303


@pytest.mark.slow
def test_the_upload_form_speaks_the_readers_language(story: Story, tmp_path: Path):
    w = _app_web(story, tmp_path)
    b = w.browser("saule")
    url = f"/programmes/{story.programme}"
    csrf = w.csrf(b)
    for lang, title, problem in [
            ("kk", "Кросс-платформаға жүктелгенін белгілеу", "9.9.9"),
            ("ru", "Отметить загрузку на кросс-платформу", "9.9.9")]:
        b.cookies.set("merzim_lang", lang)
        assert title in b.get(url).text
        r = b.post(f"{url}/uploads", data={"csrf": csrf, "subtask": "9.9.9", "on": "2024-03-01"})
        shown = _problem(r.text)
        assert shown and problem in shown and not re.search(r"[A-Za-z]{6,}", shown.replace(
            "9.9.9", "")), (lang, shown)
    b.cookies.set("merzim_lang", "en")


# -- the API: the sub-tasks in the programme, and recording an upload ---------------------------------

SUBTASK_KEYS = [st.key for _p, _t, st in load_map(load_registry()).subtasks()]
UPLOAD_LINK = "https://kz2050.gov.kz/projects/4/1.1.2"
PERSON = "Ерғали Құпиясов"  # a conflict of interest at the district akimat: never in a package


def _subtasks(api, programme: int, query: str = "") -> dict[str, dict]:
    r = api.get(f"/api/v1/programmes/{programme}{query}")
    assert r.status_code == 200, r.text
    return {st["subtask"]: st for st in r.json()["platform"]["subtasks"]}


@pytest.mark.slow
def test_the_api_gives_the_sub_tasks_and_records_the_upload_day_as_the_page_does(
        story: Story, tmp_path: Path):
    w = _app_web(story, tmp_path)
    saule, nurlan, erlan = w.api("saule"), w.api("nurlan"), w.api("erlan")
    url = f"/api/v1/programmes/{story.programme}"
    r = story.run("case", "open", "conflict_of_interest", "--subject", SUBJECT, "--person",
                  PERSON, "--position", "Маман", "--date", "notified=2024-05-06")
    assert r.returncode == 0, r.stderr
    m = saule.get(url).json()
    # the matrix as before (clients depend on it), and the features' parts beside it: the
    # cross-platform's, and the schedule's download where the documents feature is installed
    parts = {"platform"} | ({"schedule_document"} if installed("documents") else set())
    assert set(m) == {"id", "year", "subject", "subject_name", "schedule", "stage_keys",
                      "rows"} | parts
    assert (m["id"], m["subject"], m["year"]) == (story.programme, SUBJECT, YEAR)
    assert [row["id"] for row in m["rows"]] == [story.case]
    subtasks = m["platform"]["subtasks"]
    assert [st["subtask"] for st in subtasks] == SUBTASK_KEYS  # every sub-task of the map
    got = {st["subtask"]: st for st in subtasks}
    assert got["1.1.2"] == {"subtask": "1.1.2", "name": ORDER + ".", "name_kk": ORDER + ".",
                            "documents": 1, "files": 1, "warnings": 0, "uploaded_on": None,
                            "uploaded_url": None}  # saule reads Kazakh
    # as the package table of the programme page shows them: the schedule without an
    # approver's role, the note approved by one a district akimat's rule does not name
    assert {k: (st["documents"], st["files"], st["warnings"]) for k, st in got.items()
            if st["documents"]} == {"1.1.1": (1, 0, 1), "1.1.2": (1, 1, 0), "1.1.3": (1, 0, 0),
                                    "1.2.3": (1, 2, 1)}
    assert _subtasks(saule, story.programme, "?lang=ru")["1.1.2"]["name"] == (
        "Подзадача 2. Утверждение приказа о проведении внутреннего анализа")

    since = w.last_audit()
    r = saule.post(f"{url}/uploads", json={"subtask": "1.1.2", "date": "2024-03-01",
                                           "url": UPLOAD_LINK})
    assert r.status_code == 201, r.text
    assert r.json() == {**got["1.1.2"], "uploaded_on": "2024-03-01", "uploaded_url": UPLOAD_LINK}
    assert [(actor, a, p["subtask"], p["on"], p["url"]) for actor, a, p in w.audit_since(since)
            ] == [("web:saule", "platform.uploaded", "1.1.2", "2024-03-01", UPLOAD_LINK)]
    assert _subtasks(saule, story.programme)["1.1.2"] == r.json()
    # the manager who sees the programme reads the day; the page and the command show it too
    assert _subtasks(nurlan, story.programme)["1.1.2"]["uploaded_on"] == "2024-03-01"
    listed = w.browser("saule").get(f"/programmes/{story.programme}").text.split(
        'data-subtask="1.1.2"')[1].split("</tr>")[0]
    assert f'href="{UPLOAD_LINK}"' in listed and "2024-03-01" in listed
    package = json.loads(story.run("package", f"{SUBJECT}:{YEAR}", "--json").stdout)
    assert {s["subtask"]: s["uploaded_on"] for s in package["subtasks"]}["1.1.2"] == "2024-03-01"
    # uploaded again after a correction (the admin, without a link): the newest day counts
    r = erlan.post(f"{url}/uploads", json={"subtask": "1.1.2", "date": "2024-03-12"})
    assert r.status_code == 201, r.text
    assert (r.json()["uploaded_on"], r.json()["uploaded_url"]) == ("2024-03-12", None)
    again = _subtasks(saule, story.programme)
    assert (again["1.1.2"]["uploaded_on"], again["1.1.3"]["uploaded_on"]) == ("2024-03-12", None)
    # a case about a person is never in the package: nothing of it, whoever asks
    for api in (saule, nurlan, erlan):
        text = api.get(url).text
        assert PERSON not in text and "Құпиясов" not in text and "Маман" not in text


@pytest.mark.slow
def test_the_api_refuses_an_upload_clearly_and_stores_nothing(story: Story, tmp_path: Path):
    w = _app_web(story, tmp_path)
    api = w.api("saule")
    url = f"/api/v1/programmes/{story.programme}/uploads"
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    ok = {"subtask": "1.1.2", "date": "2024-03-01"}
    for body, status, key, shown in [
            ({**ok, "date": "2024-02-30"}, 422, "error.invalid", "date"),
            ({**ok, "date": "first of March"}, 422, "error.invalid", "date"),
            ({"subtask": "1.1.2"}, 422, "error.invalid", "date"),
            ({**ok, "date": tomorrow}, 409, "rule.future_date",
             en("rule.future_date", date=tomorrow, today=TODAY.isoformat())),
            ({**ok, "date": "0573-03-01"}, 422, "error.date_out_of_bounds",
             en("error.date_out_of_bounds", what="date", value="0573-03-01",
                first="1900-01-01", last="2100-12-31")),
            ({**ok, "subtask": "9.9.9"}, 422, "package.unknown_subtask", "9.9.9"),
            ({**ok, "subtask": ""}, 422, "package.unknown_subtask", "1.1.2"),  # the known ones
            ({**ok, "url": "javascript:alert(1)"}, 422, "rule.bad_url", "javascript:alert(1)"),
            ({**ok, "url": "https://kz2050.gov.kz/" + "x" * 2000}, 422, "error.invalid", "url"),
            ({**ok, "subtask": "1" * 65}, 422, "error.invalid", "subtask"),
            ([ok], 422, "error.invalid", "")]:
        before, since = w.dump(), w.last_audit()
        r = api.post(url, json=body)
        assert (r.status_code, r.headers["content-type"]) == (status, "application/json"), (
            body, r.text)
        answer = r.json()
        assert set(answer) - {"details"} == {"error", "message"} and answer["error"] == key, (
            body, answer)
        assert shown in answer["message"] and answer["message"] != key, (body, answer)
        assert w.dump() == before, body  # nothing stored; the refusal audited
        audited = [(actor, a, p.get("key")) for actor, a, p in w.audit_since(since)]
        if key == "error.invalid":  # refused before it reaches the route, as the API's others
            assert audited == [("web:saule", "refused", "error.invalid")], (body, audited)
        else:
            assert audited == [("web:saule", "refused.platform_upload", key)], (body, audited)
    assert not _subtasks(api, story.programme)["1.1.2"]["uploaded_on"]
    # the body as the API's documentation describes it
    schema = w.client().get("/openapi.json").json()
    post = schema["paths"]["/api/v1/programmes/{programme_id}/uploads"]["post"]
    assert "201" in post["responses"]
    upload_in = schema["components"]["schemas"]["UploadIn"]
    assert set(upload_in["required"]) == {"subtask", "date"}
    assert upload_in["properties"]["date"]["format"] == "date"


@needs("planning")
def test_the_api_records_uploads_for_the_programmes_officers_and_admins_only(story: Story,
                                                                             tmp_path: Path):
    w = _app_web(story, tmp_path)
    apis = {login: w.api(login) for login in ("nurlan", "aigerim", "erlan")}
    url = f"/api/v1/programmes/{story.programme}"
    body = {"subtask": "1.1.3", "date": "2024-03-01"}
    # the akimat's manager sees the programme and its sub-tasks, and may not record
    assert "1.1.3" in _subtasks(apis["nurlan"], story.programme)
    before, since = w.dump(), w.last_audit()
    r = apis["nurlan"].post(f"{url}/uploads", json=body)
    assert r.status_code == 409
    assert r.json() == {"error": "rule.cannot_record", "message": en("rule.cannot_record")}
    assert w.dump() == before
    assert [(actor, a, p["key"]) for actor, a, p in w.audit_since(since)] == [
        ("web:nurlan", "refused.platform_upload", "rule.cannot_record")]
    # the ministry's officer: as if the programme did not exist, reading or writing
    outsider = apis["aigerim"]
    for hidden, missing in ((outsider.get(url), outsider.get("/api/v1/programmes/99999")),
                            (outsider.post(f"{url}/uploads", json=body),
                             outsider.post("/api/v1/programmes/99999/uploads", json=body))):
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["error"] == "notfound.programme"
        assert hidden.text == missing.text.replace("99999", str(story.programme))
    assert w.dump() == before
    # without a token: 401; the admin records
    r = w.api(None).post(f"{url}/uploads", json=body)
    assert r.status_code == 401 and w.dump() == before
    r = apis["erlan"].post(f"{url}/uploads", json=body)
    assert r.status_code == 201 and r.json()["uploaded_on"] == "2024-03-01"


@pytest.mark.slow
def test_the_api_answers_an_upload_in_the_readers_language(story: Story, tmp_path: Path):
    w = _app_web(story, tmp_path)
    api = w.api("saule")
    url = f"/api/v1/programmes/{story.programme}/uploads"
    before = w.dump()
    r = api.post(url, json={"subtask": "9.9.9", "date": "2024-03-01"},
                 headers={"Accept-Language": "kk"})
    assert r.status_code == 422 and r.json()["error"] == "package.unknown_subtask"
    shown = r.json()["message"]
    assert "9.9.9" in shown and not re.search(r"[A-Za-z]{6,}", shown), shown
    assert shown != api.post(url, json={"subtask": "9.9.9", "date": "2024-03-01"}).json()[
        "message"]  # (English without the header: the server's language)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    r = api.post(f"{url}?lang=ru", json={"subtask": "1.1.2", "date": tomorrow})
    assert r.status_code == 409
    assert r.json()["message"] == web_message(RuleViolation(
        key="rule.future_date", date=tomorrow, today=TODAY.isoformat()), Translator("ru"))
    assert "ещё не наступила" in r.json()["message"]
    assert w.dump() == before


@needs("planning")
def test_the_download_button_gives_the_zip_to_those_who_see_the_programme(story: Story,
                                                                          tmp_path: Path):
    w = _app_web(story, tmp_path)
    url = f"/programmes/{story.programme}/package.zip"
    assert f'href="{url}"' in w.browser("saule").get(f"/programmes/{story.programme}").text
    for login in ("saule", "nurlan", "erlan"):  # the district's officer, the akimat's manager, admin
        browser = w.browser(login)
        since = w.last_audit()
        r = browser.get(url)
        assert r.status_code == 200, login
        assert r.headers["content-type"] == "application/zip"
        assert "attachment" in r.headers["content-disposition"]
        with zipfile.ZipFile(io.BytesIO(r.content)) as outer:
            inner = sorted(outer.namelist())
            assert [n.split(" ")[0] for n in inner] == ["1.1.1", "1.1.2", "1.1.3", "1.2.3"]
            with zipfile.ZipFile(io.BytesIO(outer.read(inner[1]))) as zf:
                assert zf.read(f"{PROJECT_1}/{TASK_1}/{ORDER}/2024-02-16 {SUBJECT} order.pdf") \
                    == story.docs["order.pdf"]
        assert [(actor, a) for actor, a, _p in w.audit_since(since)] == [
            (f"web:{login}", "export.package")]
    # the ministry's officer and manager: as if the programme did not exist; anonymous: sign in
    missing = "/programmes/99999/package.zip"
    for login in ("aigerim", "gulnar"):
        b = w.browser(login)
        hidden, absent = b.get(url), b.get(missing)
        assert hidden.status_code == absent.status_code == 404
        assert hidden.text == absent.text.replace("99999", str(story.programme))
    anon = w.client().get(url)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login?next=")


@pytest.mark.slow
def test_the_web_form_asks_who_approved_a_signed_document_and_the_case_page_names_it(
        story: Story, tmp_path: Path):
    w = _app_web(story, tmp_path)
    b = w.browser("saule")
    page = b.get(f"/cases/{story.case}").text
    form = page.split('id="record-action_plan"')[1].split("</form>")[0]
    assert '<select id="action_plan-approver_role" name="approver_role"' in form
    assert '<option value="district_akim" >District akim</option>' in form
    assert 'name="approver_role"' not in page.split('id="record-discussion_announcement"')[1] \
        .split("</form>")[0]  # a link needs no approver
    before = w.dump()
    bad = {"csrf": w.csrf(b), "event": "action_plan", "date": "2024-05-06", "number": "P-1",
           "signed_by": "Е. Ахмет", "approver_role": "boss"}
    assert b.post(f"/cases/{story.case}/events", data=bad).status_code == 409
    assert w.dump() == before
    r = b.post(f"/cases/{story.case}/events", data={**bad, "approver_role": "district_akim"})
    assert r.status_code == 303
    assert w.stage(story.case, "action_plan").evidence["approver_role"] == "district_akim"
    assert '<span class="approver">District akim</span>' in b.get(f"/cases/{story.case}").text


# -- the map and the names ------------------------------------------------------------------------


def test_the_shipped_map_names_project_1_as_000_does_and_checks_against_the_definitions():
    pmap = load_map(load_registry())
    keys = [st.key for _p, _t, st in pmap.subtasks()]
    assert keys[:11] == ["1.1.1", "1.1.2", "1.1.3", "1.2.1", "1.2.2", "1.2.3", "1.3.1", "1.3.2",
                         "1.3.3", "1.4.1", "1.5.1"]
    project, task, sub = pmap.find("1.2.2")
    assert project.names["kk"] == PROJECT_1
    assert sub.names["kk"] == ("1-қосалқы тапсырма.  Сыбайлас жемқорлық тәуекелдерін ішкі "
                               "талдау нәтижелерін жария талқылау.")  # 000:L326 numbers it 1 too
    assert pmap.approvers["district_akimat"] == ("district_akim", "head_of_apparatus")


@pytest.mark.parametrize(("kind", "evidence", "files", "expected"), [
    ("district_akimat", {"number": "1", "approver_role": "district_akim"}, 0, OK),
    ("district_akimat", {"number": "1", "approver_role": "head_of_apparatus"}, 0, OK),
    ("district_akimat", {"number": "1", "approver_role": "first_head"}, 0, NOT_ALLOWED),
    ("district_akimat", {"number": "1", "approver_role": "deputy_head"}, 0, NOT_ALLOWED),
    ("central_body", {"signed_by": "A", "approver_role": "deputy_head"}, 0, OK),
    ("central_body", {"signed_by": "A", "approver_role": "district_akim"}, 0, NOT_ALLOWED),
    ("akimat", {"approver_role": "other"}, 1, NOT_ALLOWED),
    ("akimat", {}, 1, MISSING),
    ("akimat", {"url": "https://x.kz"}, 0, NOT_NEEDED),
])
def test_the_approver_check_follows_000_l59_69(kind, evidence, files, expected):
    assert load_map(load_registry()).approver_check(kind, evidence, files) == expected


def _doc(text: str) -> dict:
    import tomllib

    return tomllib.loads(text)


MINIMAL = """
[approvers]
central_body = ["first_head"]
[[project]]
code = 1
names = { kk = "Ж", ru = "П", en = "P" }
[[project.task]]
code = 1
names = { kk = "Т", ru = "З", en = "T" }
[[project.task.subtask]]
code = 1
names = { kk = "Қ", ru = "П", en = "S" }
documents = [DOC]
"""


@pytest.mark.parametrize(("doc", "message"), [
    ('{ process = "nope", stage = "order" }', "no process 'nope'"),
    ('{ process = "internal_risk_analysis", stage = "nope" }', "has no stage 'nope'"),
    ('{ process = "internal_risk_analysis", event = "nope" }', "has no event 'nope'"),
    ('{ process = "gift", stage = "hand_over" }', "is about a person"),
    ('{ process = "internal_risk_analysis" }', "either a stage or an event"),
])
def test_a_map_naming_what_does_not_exist_is_refused(doc, message):
    registry = load_registry()
    with pytest.raises(ConfigError, match=message):
        parse_map(_doc(MINIMAL.replace("DOC", doc)), "map.toml",
                  {d.key: d for d in registry.all()})


@needs("planning")
def test_an_operators_map_renames_a_sub_task(story: Story, tmp_path: Path):
    renamed = SHIPPED_MAP.read_text(encoding="utf-8").replace(
        ORDER + ".", "2-қосалқы тапсырма: Талдау туралы бұйрық/2025 жыл")
    (tmp_path / "map.toml").write_text(renamed, encoding="utf-8")
    config = tmp_path / "operator.toml"
    config.write_text('[package]\nmap = "map.toml"\n', encoding="utf-8")  # beside the config
    r = story.run("package", f"{SUBJECT}:{YEAR}", "--out", str(tmp_path / "o"), config=config)
    assert r.returncode == 0, r.stderr
    _unpack(tmp_path / "o", tmp_path / "u")
    assert (tmp_path / "u" / PROJECT_1 / TASK_1 / "2-қосалқы тапсырма. Талдау туралы бұйрық-2025 "
            "жыл" / f"2024-02-16 {SUBJECT} order.pdf").is_file()


@pytest.mark.parametrize(("name", "safe"), [
    ('1-тапсырма: «Аудан/облыс» "x"?*', "1-тапсырма. «Аудан-облыс» 'x'"),
    ("  a\tb\n c.  ", "a b c"),
    ("CON", "CON_"),
    ("a<b>|c\\d", "a«b»-c-d"),
    ("", "_"),
])
def test_names_are_safe_in_a_zip_and_on_windows(name, safe):
    assert safe_name(name) == safe


def test_a_long_name_is_cut_at_a_word_within_the_limit_and_the_extension_kept():
    long = "сөз " * 100
    cut = safe_name(long)
    assert len(cut.encode()) <= 240 and cut.endswith("сөз…")
    name = safe_file_name("2024-01-01 X " + "ұзын " * 80 + "атау.pdf")
    assert name.endswith("….pdf") and len(name.encode()) <= 240
