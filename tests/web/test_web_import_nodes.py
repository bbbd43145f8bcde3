"""A web import's checked file kept where every node finds it (the file store evidence files
are kept in: the database on PostgreSQL, the store's directory on SQLite): checked on one node,
confirmed on another; only by the one who checked it; for a day — through two real web
applications over one database, on SQLite and PostgreSQL.

The world: the demo for TODAY (tests/support/web_helpers.py). Asel is the education
department's officer (AK-ALM-EDU); Marat another officer.
"""

from __future__ import annotations

import hashlib
import hmac
import shutil
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time

from tests.support.import_helpers import (
    FORM,
    TOKEN,
    but_kept,
    confirm,
    csv_of,
    interrupted,
    site_fixture,  # noqa: F401 - the `site` fixture
    upload,
)
from tests.support.web_helpers import (
    CALENDAR,
    TODAY,
    Web,
    _settings,
    csrf_of,
)
from web.app import create_app
from workflow.definitions import load_registry
from workflow.imports import staging as import_staging
from workflow.services import files as files_service
from workflow.storage.db import make_engine

DAY = TODAY.replace(day=3).isoformat()



def rows(*people: str) -> bytes:
    return csv_of("subject,person,kind,detected",
                  *(f",{p},foreign_account,{DAY}" for p in people))


def cases(site: Web) -> list:
    return site.dump()["process_case"]


@pytest.fixture(autouse=True)
def own_staging(tmp_path, monkeypatch):
    """This test's nodes stage uploads in a temporary directory of their own: without a files
    directory (PostgreSQL) a node stages in the machine's (`filestore.staging_directory`),
    which the tests running beside this one share, and removing "the first node's disk" below
    would remove their uploads in flight."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


def node_staging(site: Web) -> Path:
    """This machine's staging folder (uploads are received there before they are stored)."""
    store = files_service.store(site.app.state.settings)
    return Path(store.root) / ".incoming"


def second_node(site: Web, tmp_path: Path, browser: TestClient):
    """Another web application over the same database, with an engine and a settings file of
    its own, and the browser's session on it (nginx sending the next request there)."""
    url = site.engine.url.render_as_string(hide_password=False)
    folder = tmp_path / "node-b"
    folder.mkdir()
    engine = make_engine(url)
    app = create_app(_settings(folder, url), engine, CALENDAR, load_registry())
    other = TestClient(app, follow_redirects=False)
    for cookie in browser.cookies.jar:
        other.cookies.set(cookie.name, cookie.value)
    return engine, other


def test_a_file_checked_on_one_node_is_confirmed_on_another(site: Web, tmp_path):
    asel = site.browser("asel")
    before = len(cases(site))
    r = upload(asel, rows("A. Person", "B. Person"))
    assert r.status_code == 200, r.text[-2000:]
    # the other node has a disk of its own: nothing of the first's staging folder is there
    shutil.rmtree(node_staging(site), ignore_errors=True)
    engine, other = second_node(site, tmp_path, asel)
    try:
        done = confirm(other, r.text)
        assert done.status_code == 200, done.text[-2000:]
        assert "2 entries opened." in done.text
        assert len(cases(site)) == before + 2
        # used: a second confirm, on either node, finds nothing to write
        again = confirm(asel, r.text)
        assert again.status_code == 422 and "upload it again" in again.text
        assert len(cases(site)) == before + 2
    finally:
        other.close()
        engine.dispose()


def test_another_user_cannot_confirm_a_file_she_did_not_check(site: Web):
    asel, marat = site.browser("asel"), site.browser("marat")
    r = upload(asel, rows("A. Person"))
    token = TOKEN.search(r.text).group(1)
    staged, sha256, _ = token.rsplit(".", 2)
    before = site.dump()
    # Marat's own session signs the token as the page would have: the file is still not his
    page = marat.get(FORM).text
    csrf = csrf_of(page)
    text = "|".join((str(site.user("marat").id), "process", "restriction_breach", staged,
                     sha256))
    sig = hmac.new(csrf.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]
    forged = marat.post(f"{FORM}/confirm", data={"csrf": csrf,
                                                 "token": f"{staged}.{sha256}.{sig}"})
    assert forged.status_code == 422 and "upload it again" in forged.text
    stolen = marat.post(f"{FORM}/confirm", data={"csrf": csrf, "token": token})
    assert stolen.status_code == 422
    assert site.dump() == before
    assert confirm(asel, r.text).status_code == 200  # hers still works


def test_a_file_kept_more_than_a_day_is_refused_in_the_readers_language(site: Web):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", "ru")
    with freeze_time(datetime.now(UTC) - timedelta(hours=25), tick=True):
        r = upload(asel, rows("A. Person"))
    assert r.status_code == 200, r.text[-2000:]
    staged = TOKEN.search(r.text).group(1).split(".")[0]
    store = files_service.store(site.app.state.settings)
    assert store.exists(staged)
    before = but_kept(site.dump())
    late = confirm(asel, r.text)
    assert late.status_code == 422, late.text[-2000:]
    assert "хранится только сутки" in late.text
    assert but_kept(site.dump()) == before  # nothing stored
    assert not store.exists(staged)  # and the stale file removed


def stale_preview(site: Web, browser: TestClient, *people: str) -> str:
    """A file checked a day and an hour ago: its kept blob's name."""
    with freeze_time(datetime.now(UTC) - timedelta(hours=25), tick=True):
        r = upload(browser, rows(*people))
    assert r.status_code == 200, r.text[-2000:]
    return TOKEN.search(r.text).group(1).split(".")[0]


def test_stale_kept_files_are_swept_and_nothing_else(site: Web):
    asel = site.browser("asel")
    store = files_service.store(site.app.state.settings)
    evidence, _ = store.put(b"%PDF-1.4 an evidence file\n")
    # at a server's start: every stale file removed
    old = stale_preview(site, asel, "A. Person")
    assert store.exists(old)
    assert import_staging.sweep_kept(site.app.state.settings, site.engine) == 1
    assert not store.exists(old)
    # at a preview: the register's stale files removed, not the fresh ones
    old = stale_preview(site, asel, "B. Person")
    fresh = upload(asel, rows("C. Person"))
    assert not store.exists(old)
    assert store.exists(TOKEN.search(fresh.text).group(1).split(".")[0])
    assert import_staging.sweep_kept(site.app.state.settings, site.engine) == 0
    # an evidence file's blob is never removed
    assert not import_staging.remove(store, evidence)
    assert store.exists(evidence)
    assert confirm(asel, fresh.text).status_code == 200


def test_an_interrupted_import_is_resumed_from_its_kept_file_by_an_admin_on_another_node(
        site: Web, tmp_path):
    asel, erlan = site.browser("asel"), site.browser("erlan")
    preview, import_id, _link = interrupted(site, asel, 600)
    shutil.rmtree(node_staging(site), ignore_errors=True)
    form = {"csrf": site.csrf(erlan), "token": TOKEN.search(preview).group(1),
            "import_id": import_id, "action": "resume"}
    # another organisation's officer may not, whatever the token: nothing stored
    marat = site.browser("marat")
    before = site.dump()
    r = marat.post(f"{FORM}/confirm", data={**form, "csrf": site.csrf(marat)})
    assert r.status_code == 404 and site.dump() == before
    # the akimat's admin (every case of it in her tree) resumes it from the file Asel checked
    engine, other = second_node(site, tmp_path, erlan)
    try:
        done = other.post(f"{FORM}/confirm", data=form)
        assert done.status_code == 200, done.text[-2000:]
        assert "100 entries opened." in done.text and "600 / 600" in done.text
    finally:
        other.close()
        engine.dispose()
