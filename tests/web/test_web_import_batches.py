"""The analysis schedule imported from the web in short transactions: its preview checks the
file without writing a case, and while its confirm writes 10,000 rows batch by batch a
sign-in and a write elsewhere answer — on SQLite and PostgreSQL.

The world: the demo for TODAY (tests/support/web_helpers.py); Asel is the education
department's officer (AK-ALM-EDU)."""

from __future__ import annotations

import re
import threading
import time

import pytest
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.import_helpers import (
    FOLLOW,
    FORM,
    TOKEN,
    confirm,
    schedule,
    sign_in_and_write,
    site_fixture,  # noqa: F401 - the `site` fixture
    upload,
)
from tests.support.import_helpers import interrupted as _interrupted
from tests.support.sql_trace import statements
from tests.support.web_helpers import (  # noqa: F401 - `web`, the demo
    CALENDAR,
    TODAY,
    Web,
    csrf_of,
)
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.imports import progress as web_import
from workflow.storage import audit
from workflow.storage.models import Case, Lease
from workflow.storage.queries import live_case

ANALYSIS = "internal_risk_analysis"
PATH = f"/registers/{ANALYSIS}/import"
WRITES = ("INSERT", "UPDATE", "DELETE")


def analyses(site: Web) -> int:
    with Session(site.engine) as s:
        return len(s.exec(select(Case.id).where(Case.process == ANALYSIS,
                                                live_case())).all())


@needs("planning")
def test_the_preview_of_a_schedule_writes_no_case(site: Web):
    asel = site.browser("asel")
    form = asel.get(PATH)
    before = analyses(site)
    with statements(site.engine) as sent:
        r = upload(asel, schedule(site, 120), path=PATH)
    assert r.status_code == 200, r.text[-2000:]
    assert "120 entries would be opened" in r.text
    written = [q for q in sent if q.split()[0].upper() in WRITES]
    # no case, stage, programme or record tried and undone (its audit record only is written)
    touched = {re.search(r"(?:INTO|UPDATE|FROM)\s+\"?(\w+)", q, re.I).group(1)
               for q in written}
    assert touched and not touched & {"process_case", "stage", "programme", "event_record"}, \
        touched
    assert csrf_of(form.text)
    done = confirm(asel, r.text, path=PATH)
    assert done.status_code == 200 and "120 entries opened." in done.text, done.text[-2000:]
    assert analyses(site) == before + 120


@pytest.mark.slow  # a 10,000-row import
def test_a_sign_in_and_a_write_answer_while_a_web_schedule_import_writes(site: Web):
    """Ordering, not wall time: once the confirm has committed its first batch, a sign-in and
    an API write are sent, and both have their answer while it is still writing."""
    asel, api = site.browser("asel"), site.api("asel")  # the token made before the import
    before = analyses(site)
    preview = upload(asel, schedule(site, 10_000), path=PATH)
    assert preview.status_code == 200, preview.text[-2000:]
    assert "10000 entries would be opened" in preview.text.replace(",", "")
    import_id = FOLLOW.search(preview.text).group(2)
    finished, answers = threading.Event(), []

    def run() -> None:
        try:
            answers.append(confirm(asel, preview.text, path=PATH))
        finally:
            finished.set()

    importer = threading.Thread(target=run, daemon=True)
    importer.start()
    while not finished.is_set():  # its first batch committed: any node can tell
        with Session(site.engine) as s:
            if web_import.progress(s, import_id).written > 0:
                break
    assert not finished.is_set(), answers and answers[0].text[-2000:]
    sign_in_and_write(site, site.client(), "marat", api, TODAY)
    assert not finished.is_set()  # both answered while the import was still writing
    importer.join(600)
    assert answers and answers[0].status_code == 200, answers and answers[0].text[-2000:]
    assert re.search(r"10,?000 entries opened", answers[0].text), answers[0].text[-2000:]
    assert analyses(site) == before + 10_000
    with Session(site.engine) as s:
        assert audit.verify(s).ok


# -- who may finish an unfinished import, and when ------------------------------------------------


def _finish_form(site: Web, browser, preview: str, import_id: str, action: str) -> dict:
    return {"csrf": site.csrf(browser), "token": TOKEN.search(preview).group(1),
            "import_id": import_id, "action": action}


def test_only_its_importer_or_an_admin_of_its_organisations_may_finish_an_import(site: Web):
    asel = site.browser("asel")
    preview, import_id, _link = _interrupted(site, asel, 600)
    with Session(site.engine) as s:
        svc.add_user(s, svc.Context(CALENDAR, load_registry(), TODAY, actor="test-setup"),
                     "dariga", "Dariga", "admin", "MF")
        s.commit()
    others = {login: site.browser(login) for login in ("marat", "dariga")}
    forms = {(login, action): _finish_form(site, b, preview, import_id, action)
             for login, b in others.items() for action in ("rollback", "resume")}
    before = site.dump()
    for login, other in others.items():  # another organisation's officer; the ministry's admin
        for action in ("rollback", "resume"):
            r = other.post(f"{FORM}/confirm", data=forms[login, action])
            assert r.status_code == 404, (login, action, r.text[-1500:])
            assert site.dump() == before
    erlan = site.browser("erlan")  # the akimat's admin: every case of it is in her tree
    r = erlan.post(f"{FORM}/confirm", data=_finish_form(site, erlan, preview, import_id,
                                                        "rollback"))
    assert r.status_code == 200, r.text[-1500:]
    assert f"Import {import_id} rolled back: 500 entries withdrawn." in r.text


def test_an_import_still_written_offers_no_button_and_is_not_finished(site: Web):
    asel = site.browser("asel")
    preview, import_id, link = _interrupted(site, asel, 600)
    with Session(site.engine) as s:  # its writer on another node, alive
        s.add(Lease(name=f"import:{import_id}", holder="node-2", expires_at=time.time() + 600))
        s.commit()
    before = site.dump()
    again = confirm(asel, preview)
    assert again.status_code == 409 and f"Import {import_id} has already begun" in again.text
    assert 'data-testid="import-resume"' not in again.text
    assert 'data-testid="import-writing"' in again.text
    for action in ("rollback", "resume"):
        r = asel.post(f"{FORM}/confirm", data=_finish_form(site, asel, preview, import_id,
                                                           action))
        assert r.status_code == 422, r.text[-1500:]
        assert f"Import {import_id} is still being written" in r.text, r.text[-1500:]
        assert site.dump() == before
    assert 'data-testid="import-stopped"' not in asel.get(link).text
    with Session(site.engine) as s:  # its writer died: the lease runs out
        s.get(Lease, f"import:{import_id}").expires_at = 0.0
        s.commit()
    assert 'data-testid="import-stopped"' in asel.get(link).text
    stopped = confirm(asel, preview)
    assert 'data-testid="import-resume"' in stopped.text
    resumed = asel.post(f"{FORM}/confirm", data=_finish_form(site, asel, preview, import_id,
                                                             "resume"))
    assert resumed.status_code == 200 and "600 / 600" in resumed.text, resumed.text[-1500:]
