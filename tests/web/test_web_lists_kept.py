"""An office's lists (the organisations under one, its people) are kept between the web
preview and its confirm as a register's file is (`web/kit/staged.py`): the confirm form
carries a signed token of the kept file, never its rows; the confirm reads the kept file
again and removes it; a token altered, of another import, used already or kept more than a
day is refused in the reader's language with nothing stored. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from freezegun import freeze_time

from tests.support.import_helpers import TOKEN, but_kept
from tests.support.web_helpers import Web, confirm_fields, csrf_of, web_fixture  # noqa: F401
from workflow.services import files as files_service

ORGS = ("№ п/п;Наименование;Вид;Штатная численность\n"
        "1;Отдел образования Уйгурского района;отдел;1 150\n"
        "2;Отдел спорта Уйгурского района;отдел;12\n").encode()
PEOPLE = ("№ п/п;ФИО;Подразделение;E-mail;Телефон\n"
          "1;Сеиткали Айгерим Маратовна;Акимат Алматинской области;a.seitkali@uigur.gov.kz;"
          "+7 727 252 10 10\n").encode()
LISTS = {"orgs": ("/orgs/AK-ALM", "/orgs/AK-ALM/import", ORGS),
         "people": ("/people", "/people/import", PEOPLE)}


def _preview(browser: TestClient, which: str, lang: str = "en"):
    page, action, body = LISTS[which]
    browser.cookies.set("merzim_lang", lang)
    form = browser.get(page)
    r = browser.post(action, data={"csrf": csrf_of(form.text)},
                     files={"file": (f"{which}.csv", body, "text/csv")})
    assert r.status_code == 200, r.text[-3000:]
    return r


def _kept(web: Web, preview_text: str) -> str:
    """The kept blob a preview's confirm form names."""
    return TOKEN.search(preview_text).group(1).split(".")[0]


@pytest.mark.parametrize("which", ["orgs", "people"])
def test_a_list_is_kept_between_its_preview_and_its_confirm(web: Web, which):  # noqa: F811
    erlan = web.browser("erlan")
    store = files_service.store(web.app.state.settings)
    preview = _preview(erlan, which)
    fields = confirm_fields(preview.text)
    assert "rows" not in fields and set(fields) >= {"csrf", "token", "file"}
    kept = _kept(web, preview.text)
    assert store.exists(kept)
    done = erlan.post(f"{LISTS[which][1]}/confirm", data=fields)
    assert done.status_code == 200, done.text[-3000:]
    said = html.unescape(done.text)
    assert ('data-testid="org-import-done"' in said if which == "orgs"
            else "1 person added (1 invited by e-mail)" in said), said[-3000:]
    assert not store.exists(kept)  # used: removed


@pytest.mark.parametrize("which", ["orgs", "people"])
def test_a_token_altered_of_another_import_or_used_is_refused_and_stores_nothing(
        web: Web, which):  # noqa: F811
    erlan = web.browser("erlan")
    other = "people" if which == "orgs" else "orgs"
    preview, elsewhere = _preview(erlan, which), _preview(erlan, other)
    fields = confirm_fields(preview.text)
    name, sha256, sig = fields["token"].rsplit(".", 2)
    confirm = f"{LISTS[which][1]}/confirm"
    before = but_kept(web.dump())
    for token in (f"{name}.{sha256}.{'0' * len(sig)}",           # its signature altered
                  f"{name}.{'0' * 64}.{sig}",                    # another file's content
                  "not a token",
                  confirm_fields(elsewhere.text)["token"]):      # the other list's preview
        r = erlan.post(confirm, data={**fields, "token": token})
        assert r.status_code == 422, (token, r.text[-2000:])
        assert "upload it again" in r.text
        assert but_kept(web.dump()) == before
    assert erlan.post(confirm, data=fields).status_code == 200  # hers, as previewed
    before = but_kept(web.dump())
    again = erlan.post(confirm, data=fields)  # used: nothing to confirm twice
    assert again.status_code == 422 and "upload it again" in again.text
    assert but_kept(web.dump()) == before


@pytest.mark.parametrize("which", ["orgs", "people"])
def test_a_list_kept_more_than_a_day_is_refused_in_the_readers_language(
        web: Web, which):  # noqa: F811
    erlan = web.browser("erlan")
    store = files_service.store(web.app.state.settings)
    with freeze_time(datetime.now(UTC) - timedelta(hours=25), tick=True):
        preview = _preview(erlan, which, lang="ru")
    kept = _kept(web, preview.text)
    before = but_kept(web.dump())
    late = erlan.post(f"{LISTS[which][1]}/confirm", data=confirm_fields(preview.text))
    assert late.status_code == 422, late.text[-2000:]
    assert "хранится только сутки" in late.text
    assert but_kept(web.dump()) == before  # nothing stored
    assert not store.exists(kept)  # and the stale file removed
