"""Sign-ins bounded: at most [web] password_checks password checks at once in a process; a
sign-in beyond them waits password_wait_seconds, then is told to try again in a moment (503,
Retry-After) in the reader's language, and nothing is stored; a hash made with older argon2
parameters is upgraded at the next sign-in."""

from __future__ import annotations

import threading

import pytest
from argon2 import PasswordHasher, extract_parameters, profiles
from sqlmodel import Session, select

from tests.support.web_helpers import (
    CALENDAR,
    DEFINITION,
    Web,
    csrf_of,
    password_of,
)
from web.app import create_app
from workflow import services as svc
from workflow.core.errors import ConfigError
from workflow.i18n import Translator
from workflow.services import accounts as auth
from workflow.settings import ARGON2_PROFILE_ENV, default_password_checks, load_settings
from workflow.storage.models import WebSession

BUSY = {"en": "Too many people are signing in at once. Please try again in a moment.",
        "ru": "Сейчас слишком много одновременных входов. Попробуйте ещё раз чуть позже.",
        "kk": "Қазір жүйеге бір мезгілде тым көп адам кіріп жатыр. Сәлден кейін қайталап "
              "көріңіз."}


@pytest.fixture(autouse=True)
def _default_limit():
    yield
    auth.limit_password_checks(default_password_checks(), 2.0)


def _app_with(web: Web, tmp_path, table: str):
    config = tmp_path / "config.toml"
    config.write_text("[web]\n" + table, encoding="utf-8")
    settings = load_settings(config, env={"MERZIM_LANG": "en",
                                          "MERZIM_DATABASE_URL": str(web.engine.url)})
    web.app = create_app(settings, web.engine, CALENDAR, DEFINITION)
    return settings


def _sessions(web: Web) -> int:
    with Session(web.engine) as s:
        return len(s.exec(select(WebSession)).all())


def _post(web: Web, client, login: str, headers: dict[str, str] | None = None):
    form = client.get("/login")
    return client.post("/login", data={"login": login, "password": password_of(login),
                                       "csrf": csrf_of(form.text), "next": "/"},
                       headers=headers or {})


def test_a_sign_in_beyond_the_limit_is_told_to_retry_and_nothing_is_stored(web, tmp_path):
    settings = _app_with(web, tmp_path, "password_checks = 1\npassword_wait_seconds = 0.2\n")
    assert (settings.web.password_checks, settings.web.password_wait_seconds) == (1, 0.2)
    before, audit, sessions = web.dump(), web.last_audit(), _sessions(web)
    with auth.password_check():  # the process's one check is taken
        for lang in ("kk", "ru", "en"):
            r = _post(web, web.client(lang=lang), "asel")
            assert r.status_code == 503, r.text
            assert r.headers["Retry-After"] == "1"
            assert BUSY[lang] in r.text
            assert Translator(lang)("signin.busy") == BUSY[lang]
            assert 'name="password"' in r.text  # the form again, to send once more
        r = _post(web, web.client(), "asel", headers={"Accept": "application/json"})
        assert r.status_code == 503 and r.headers["Retry-After"] == "1"
        assert r.json() == {"error": "signin.busy", "message": BUSY["en"]}
        # a password change takes a check too
        with Session(web.engine) as s, pytest.raises(auth.SignInBusy):
            auth.set_password(s, svc.get_user(s, "asel"), "another-password-1", "test")
    assert web.dump() == before
    assert web.audit_since(audit) == []
    assert _sessions(web) == sessions
    r = _post(web, web.client(), "asel")  # the check free again: signed in
    assert r.status_code == 303
    assert _sessions(web) == sessions + 1


def test_a_sign_in_waits_for_a_check_that_comes_free_in_time(web, tmp_path):
    _app_with(web, tmp_path, "password_checks = 1\npassword_wait_seconds = 5\n")
    client = web.client()
    form = client.get("/login")
    held = auth.password_check()
    held.__enter__()
    timer = threading.Timer(0.3, held.__exit__, (None, None, None))
    timer.start()
    try:
        r = client.post("/login", data={"login": "asel",
                                        "password": password_of("asel"),
                                        "csrf": csrf_of(form.text), "next": "/"})
    finally:
        timer.join()
    assert r.status_code == 303


@pytest.mark.parametrize("table, said", [
    ("password_checks = 0\n", "web.password_checks: 0 is not a whole number from 1 to 64"),
    ("password_checks = true\n", "web.password_checks: True is not a whole number from 1 to 64"),
    ("password_wait_seconds = -1\n",
     "web.password_wait_seconds: -1 is not a number of seconds from 0 to 60"),
])
def test_a_wrong_limit_stops_merzim_at_start(tmp_path, table, said):
    config = tmp_path / "config.toml"
    config.write_text("[web]\n" + table, encoding="utf-8")
    with pytest.raises(ConfigError, match=said):
        load_settings(config, env={})


def test_without_the_settings_a_process_checks_twice_its_cpus_at_once_at_most_8(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    settings = load_settings(config, env={})
    assert 1 <= settings.web.password_checks == default_password_checks() <= 8
    assert settings.web.password_wait_seconds == 2.0


def test_a_hash_of_rfc_9106_parameters_is_upgraded_to_owasp_at_the_next_sign_in(
        web, monkeypatch):
    monkeypatch.delenv(ARGON2_PROFILE_ENV, raising=False)  # the installation's default
    old = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash(
        password_of("asel"))
    with Session(web.engine) as s:
        user = svc.get_user(s, "asel")
        user.password_hash = old
        s.add(user)
        s.commit()
    r = _post(web, web.client(), "asel")
    assert r.status_code == 303
    stored = web.user("asel").password_hash
    assert stored != old
    params = extract_parameters(stored)
    assert (params.type.name, params.memory_cost, params.time_cost, params.parallelism) == (
        "ID", 19 * 1024, 2, 1)
    assert PasswordHasher().verify(stored, password_of("asel"))
    r = _post(web, web.client(), "asel")  # kept as it is from then on
    assert r.status_code == 303 and web.user("asel").password_hash == stored
