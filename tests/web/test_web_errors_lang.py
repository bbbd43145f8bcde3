"""The dashboard's language and its errors, and what the overdue list says about itself.

* The language: ?lang= or the cookie, else the viewer's own, else the browser's
  Accept-Language (q-values honoured, kk/ru/en only), else the server's default, which
  `merzim serve --lang` sets.
* Errors: a browser gets a page inside the layout (menu, languages) in the reader's language,
  with a heading in words (no bare "422") and the web's wording (no command-line flags); an
  unknown address is an HTML 404 for a browser and JSON under /api.
* The overdue list: the sort box shows the order in use (the organisation tree when none was
  chosen), "descending" working days is the most overdue first, and the export buttons belong
  to the filter form, so they send what is on screen.
"""

from __future__ import annotations

import contextlib
import csv
import html
import io
import re
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli_runner import SCRIPT, merzim_env, run_merzim
from tests.support.features import needs
from tests.support.processes import terminate
from tests.support.web_helpers import Web, csrf_of, matched
from web.kit.deps import accepted_language
from workflow.definitions import load_definition
from workflow.i18n import LANGUAGES, Translator, load

CLI_FLAG = re.compile(r"(?<![\w-])--[a-z]")
HTML_LANG = re.compile(r'<html lang="(\w+)">')


def _lang_of(page: str) -> str:
    return matched(HTML_LANG, page, 300).group(1)


@contextlib.contextmanager
def _reading(client, lang: str):
    """The client's language cookie set to `lang` for a while (the world's clients are shared)."""
    before = client.cookies.get("merzim_lang")
    client.cookies.set("merzim_lang", lang)
    try:
        yield client
    finally:
        client.cookies.delete("merzim_lang")
        if before:
            client.cookies.set("merzim_lang", before)


def _text(page: str, testid: str) -> str:
    found = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</', page, re.S)
    assert found, (testid, page[:3000])
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


# -- the reader's language --------------------------------------------------------------------


def test_accept_language_picks_the_best_of_kk_ru_en():
    assert accepted_language("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "kk") == "ru"
    assert accepted_language("de-DE, kk;q=0.5, en;q=0.7", "ru") == "en"  # q, not the order
    assert accepted_language("en;q=0.5, kk;q=0.5", "ru") == "en"  # a tie: the first listed
    assert accepted_language("KK-kz", "en") == "kk"
    assert accepted_language("ru;q=0, en;q=0.1", "kk") == "en"  # q=0: "not this one"
    assert accepted_language("de, fr;q=0.9", "kk") is None
    assert accepted_language("*", "ru") == "ru"
    assert accepted_language("", "ru") is None
    assert accepted_language("ru;q=abc, en;q=2, kk;q=0.3", "en") == "kk"  # broken q: ignored


def test_a_first_visit_follows_accept_language(world: Web):
    anonymous = world.client(lang=None)
    for header, expected in (("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("kk", "kk"),
                             ("de-DE,en;q=0.3,kk;q=0.6", "kk"), ("en-GB", "en")):
        r = anonymous.get("/login", headers={"Accept-Language": header})
        assert r.status_code == 200
        assert _lang_of(r.text) == expected, header
        assert Translator(expected)("login.title") in r.text
    # none of ours: the server's default (the world's settings say en)
    assert _lang_of(anonymous.get("/login", headers={"Accept-Language": "de, fr"}).text) == "en"
    # the language the reader chose (the kk/ru/en links set the cookie) wins over the browser's
    chosen = world.client(lang="kk")
    assert _lang_of(chosen.get("/login", headers={"Accept-Language": "ru"}).text) == "kk"


def test_serve_lang_refuses_an_unknown_language(merzim):
    result = merzim("serve", "--lang", "de", "--no-worker")
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "de" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.mark.slow
def test_serve_lang_sets_the_default_language(tmp_path: Path):
    """`merzim serve --lang kk` (MERZIM_LANG=en in the environment): a browser asking for none
    of kk/ru/en is greeted in Kazakh, one asking for Russian in Russian."""
    import socket

    script = SCRIPT
    env = merzim_env(db_url=f"sqlite:///{tmp_path / 'serve.db'}")
    init = run_merzim(["init"], env=env, cwd=tmp_path, process=True)
    assert init.returncode == 0, init.stderr
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(tmp_path / "serve.log", "w+", encoding="utf-8")  # noqa: SIM115
    proc = subprocess.Popen([str(script), "serve", "--lang", "kk", "--no-worker", "--host",
                             "127.0.0.1", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        def get(accept: str | None) -> str:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/login")
            if accept:
                req.add_header("Accept-Language", accept)
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.read().decode("utf-8")

        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                first = get(None)
                break
            except OSError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.2)
        assert _lang_of(first) == "kk"
        assert _lang_of(get("de-DE")) == "kk"
        assert _lang_of(get("ru")) == "ru"
    finally:
        terminate(proc)
        log.close()


# -- errors ------------------------------------------------------------------------------------


def test_every_web_wording_exists_in_every_language_without_cli_flags():
    en = load("en").texts
    web_keys = [k for k in en if k.startswith(("web.error", "web.rule.", "web.notfound."))]
    assert "web.error.bad_within" in web_keys and "web.notfound.page" in web_keys
    for lang in LANGUAGES:
        texts = load(lang).texts
        for key in web_keys:
            assert texts.get(key), (lang, key)
            assert not CLI_FLAG.search(texts[key]), (lang, key, texts[key])
        # and every shared message that names a flag has a web wording
        for key, text in en.items():
            if CLI_FLAG.search(text) and key in WEB_REACHABLE:
                assert texts.get(f"web.{key}"), (lang, key)


# Shared messages with a command-line flag in them that a page or the API can show.
WEB_REACHABLE = ("error.bad_within", "error.date_required", "error.object_required",
                 "error.person_required", "rule.external_year", "rule.duplicate_analysis")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_refused_filter_is_a_page_in_the_layout_in_the_readers_words(world: Web, lang: str):
    b = world.browser("nurlan")
    t = Translator(lang)
    with _reading(b, lang):
        r = b.get("/due?within=251")
        wrong_year = b.get("/overdue?year=abc")
    assert r.status_code == 422
    page = r.text
    assert _lang_of(page) == lang
    assert 'data-testid="current-user"' in page and 'href="/overdue"' in page  # the menu
    heading = _text(page, "error-heading")
    assert heading == t("web.error_heading_422") and "422" not in heading
    message = _text(page, "error-message")
    assert message == t("web.error.bad_within", value=251)
    assert "251" in message and not CLI_FLAG.search(message), message
    assert "<title>422" not in page
    # a word where a number belongs: the field is named in the reader's language
    assert wrong_year.status_code == 422
    assert _text(wrong_year.text, "error-message") == t("web.error.bad_int", what=t("web.what.year"),
                                               value="abc")


@needs("planning")
def test_unknown_addresses_html_for_browsers_json_for_the_api(world: Web):
    b = world.browser("nurlan")
    for path in ("/no-such-page", "/cases/999999999", "/static/nothing.css"):
        with _reading(b, "ru"):
            r = b.get(path, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("text/html"), path
        assert _lang_of(r.text) == "ru"
        assert 'data-testid="current-user"' in r.text, path  # inside the layout
        assert _text(r.text, "error-heading") == Translator("ru")("web.error_heading_404")
    # the menu of an error page counts the overdue stages as every other page's does
    count = re.compile(r'data-testid="nav-overdue-count">(\d+)<')
    home, missing = b.get("/due").text, b.get("/no-such-page").text
    assert count.search(home) and count.search(missing).group(1) == count.search(home).group(1)
    # unknown under /api: JSON, whatever the client accepts
    api = world.api("nurlan")
    for path in ("/api/v1/no-such-thing", "/api/nothing"):
        r = api.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 404, path
        assert r.headers["content-type"].startswith("application/json"), path
        assert r.json()["error"] == "notfound.page"
    # a script that asks for JSON gets JSON anywhere
    r = b.get("/no-such-page", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["error"] == "notfound.page"
    # an anonymous browser: the page without the menu, a way to the login
    r = world.client(lang=None).get("/no-such-page", headers={"Accept": "text/html",
                                                              "Accept-Language": "kk"})
    assert r.status_code == 404 and _lang_of(r.text) == "kk"
    assert 'data-testid="current-user"' not in r.text and 'href="/login"' in r.text
    # a method a page does not take
    r = b.delete("/overdue", headers={"Accept": "text/html"})
    assert r.status_code == 405 and 'data-testid="error-heading"' in r.text


def test_no_error_page_shows_a_bare_status_or_a_cli_flag(world: Web):
    b = world.browser("asel")
    for lang in LANGUAGES:
        for path in ("/due?within=-1", "/due?within=x", "/overdue?page=0", "/calendar/1900",
                     "/overdue?as_of=yesterday", "/overdue.pdf", "/cases/999999999"):
            with _reading(b, lang):
                r = b.get(path)
            assert 400 <= r.status_code < 500, path
            heading, message = _text(r.text, "error-heading"), _text(r.text, "error-message")
            assert not heading.isdigit() and not CLI_FLAG.search(message), (lang, path, message)
            assert _lang_of(r.text) == lang


# -- the overdue list: order and exports -----------------------------------------------------


def _selected(page: str, name: str) -> str:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S).group(1)
    chosen = re.findall(r'<option value="([^"]*)" selected', select)
    assert len(chosen) == 1, (name, select)
    return chosen[0]


def _days(page: str) -> list[int]:
    return [int(d) for d in re.findall(r'data-days="(-?\d+)"', page)]


@needs("planning")
def test_the_sort_box_tells_the_order_in_use(world: Web):
    b = world.browser("nurlan")
    t = Translator("en")
    page = b.get("/overdue").text
    assert _selected(page, "sort") == ""  # no order chosen: the organisation tree, and says so
    assert _text(page, "order") == t("web.order_tree")
    assert 'data-org="' in page  # grouped by organisation

    page = b.get("/overdue?sort=days").text  # working days: most overdue first by default
    assert (_selected(page, "sort"), _selected(page, "dir")) == ("days", "desc")
    assert _text(page, "order") == t("web.order_days_desc")
    days = _days(page)
    assert len(set(days)) > 1, days  # the demo has different lateness: the test can fail
    assert days == sorted(days, reverse=True)

    page = b.get("/overdue?sort=days&dir=desc").text  # "descending" = most overdue first
    assert _days(page) == sorted(days, reverse=True)
    page = b.get("/overdue?sort=days&dir=asc").text
    assert _selected(page, "dir") == "asc" and _text(page, "order") == t("web.order_days_asc")
    assert _days(page) == sorted(days)

    page = b.get("/overdue?sort=due&dir=desc").text
    assert _text(page, "order") == t("web.order_due_desc")
    dues = re.findall(r'data-label="[^"]*"><time datetime="(\d{4}-\d\d-\d\d)"', page)
    assert dues and dues == sorted(dues, reverse=True)
    assert 'data-testid="sorted"' in page  # one table, each row naming its organisation


@needs("planning")
def test_export_buttons_send_the_filters_on_screen(world: Web):
    b = world.browser("nurlan")
    stage = re.search(r'data-stage="(\w+)"', b.get("/overdue").text).group(1)
    page = b.get(f"/overdue?stage={stage}").text
    form = re.search(r'<form method="get" action="/overdue"[^>]*>(.*?)</form>', page, re.S)
    assert form, "the filter form"
    body = form.group(1)
    # the buttons submit the form itself (whatever is selected now) to the export addresses
    assert re.search(r'<button type="submit"[^>]*formaction="/overdue.xlsx"', body)
    assert re.search(r'<button type="submit"[^>]*formaction="/overdue.csv"', body)
    assert "/overdue.csv?" not in page and "/overdue.xlsx?" not in page  # no stale links
    for name in ("process", "stage", "org", "year", "sort", "dir"):
        assert f'name="{name}"' in body, name
    # what the browser sends for the form as shown: the export has exactly those rows, in order
    query = "process=&stage=&org=&year=&sort=days&dir=asc"
    shown = _days(b.get(f"/overdue?{query}").text)
    rows = list(csv.reader(io.StringIO(b.get(f"/overdue.csv?{query}").text.lstrip("\ufeff"))))
    # column 6: the days overdue (after the due date and its basis)
    assert [int(r[6]) for r in rows[1:]] == shown and shown == sorted(shown)
    only = list(csv.reader(io.StringIO(b.get(f"/overdue.csv?stage={stage}").text
                                       .lstrip("\ufeff"))))
    every = list(csv.reader(io.StringIO(b.get("/overdue.csv").text.lstrip("\ufeff"))))
    assert 1 < len(only) < len(every)


# -- the API's documentation ---------------------------------------------------------------------


def test_redoc_and_swagger_come_from_merzim_within_the_csp(world: Web):
    c = world.client()
    for path, asset in (("/api/docs", "/api/docs/swagger-ui-bundle.js"),
                        ("/api/redoc", "/api/docs/redoc.standalone.js")):
        r = c.get(path)
        assert r.status_code == 200, path
        assert "https://" not in r.text and "http://" not in r.text, path
        script_src = r.headers["content-security-policy"].split("script-src")[1].split(";")[0]
        assert script_src.strip() == "'self'", path
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", r.text, re.S)
        assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
        assert f'src="{asset}"' in r.text
        served = c.get(asset)
        assert served.status_code == 200 and len(served.content) > 100_000, asset
    # Swagger UI 5 or later: the first to read OpenAPI 3.1, which FastAPI writes
    assert c.get("/openapi.json").json()["openapi"].startswith("3.1")
    bundle = c.get("/api/docs/swagger-ui-bundle.js").text
    assert "isOAS31" in bundle


def test_an_unexpected_failure_is_a_page_in_the_layout_without_a_traceback(web: Web):
    """A failure no handler knows (here: a table gone from under the application, for real):
    a 500 page inside the layout in the reader's language, JSON under /api, no traceback."""
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    browser = TestClient(web.app, raise_server_exceptions=False, follow_redirects=False)
    assert web.post_login(browser, "nurlan").status_code == 303
    token = web.token("nurlan")
    with web.engine.begin() as conn:
        conn.execute(text("ALTER TABLE stage RENAME TO stage_gone"))
    browser.cookies.set("merzim_lang", "ru")
    r = browser.get("/overdue")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("text/html")
    assert _lang_of(r.text) == "ru"
    assert _text(r.text, "error-heading") == Translator("ru")("web.error_heading_500")
    assert _text(r.text, "error-message") == Translator("ru")("web.error.unexpected_web")
    assert 'data-testid="current-user"' in r.text  # the menu stays
    for leak in ("Traceback", "stage_gone", "SELECT", "sqlalchemy", "psycopg"):
        assert leak not in r.text, leak
    api = TestClient(web.app, raise_server_exceptions=False)
    r = api.get("/api/v1/overdue", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 500 and r.json()["error"] == "error.unexpected_web"
    assert "stage_gone" not in r.text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_opening_a_case_without_what_it_needs_is_told_in_web_words(world: Web, lang: str):
    """The opening form's refusals quote no command-line flag (--date, --person): the web's
    wording, in the reader's language; nothing is opened."""
    b = world.browser("asel")
    before = world.dump()
    with _reading(b, lang):
        form = b.get(f"/cases/new/{PROCESS.key}")
        assert form.status_code == 200
        r = b.post(f"/cases/new/{PROCESS.key}", data={"csrf": csrf_of(form.text)})
    assert r.status_code == 422, r.text[:500]
    message = _text(r.text, "refusal")
    assert message and not CLI_FLAG.search(message), message
    t = Translator(lang)
    shared = {t(k, process=PROCESS.names[lang], name=n) for k in WEB_REACHABLE
              for n in _date_names(lang)}
    webbed = {t(f"web.{k}", process=PROCESS.names[lang], name=n) for k in WEB_REACHABLE
              for n in _date_names(lang)}
    assert message in webbed and message not in shared, message
    assert world.dump() == before


PROCESS = load_definition()  # the world's one process: the internal analysis


def _date_names(lang: str) -> set[str]:
    return {n for key, d in PROCESS.dates.items()
            for n in (key, (d.names or {}).get(lang, key), f"«{(d.names or {}).get(lang, key)}»")}


def test_switching_language_keeps_the_filters_on_screen(world: Web):
    b = world.browser("nurlan")
    page = b.get("/overdue?sort=days&dir=asc&stage=order").text
    link = html.unescape(re.search(r'href="(/lang/ru\?next=[^"]+)"', page).group(1))
    with _reading(b, "en"):  # (the world's browsers are shared: English again after)
        r = b.get(link)
    assert r.status_code == 303
    assert r.headers["location"] == "/overdue?sort=days&dir=asc&stage=order"
    assert "merzim_lang=ru" in r.headers["set-cookie"]


def test_the_api_without_a_token_answers_in_the_readers_language(world: Web):
    for lang in LANGUAGES:
        r = world.api(None).get("/api/v1/overdue", headers={"Accept-Language": lang})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert r.json() == {"error": "unauthorised",
                            "message": Translator(lang)("web.unauthorised")}
