"""Revocation revokes: a new password, deactivation and `user revoke` end the user's sessions,
API tokens and calendar feeds, and reactivating does not revive them. Feed tokens never reach
the audit log or the access log in clear."""

from __future__ import annotations

import json
import logging
import re

import pytest
from sqlmodel import Session, select

from workflow import services as svc
from workflow.services import accounts as auth
from workflow.storage.models import ApiToken, AuditRecord, CalendarFeed, WebSession

LOGIN = "asel"


def _signed_in_everywhere(web):
    """A browser session, an API token and a calendar feed of asel, each working."""
    browser = web.browser(LOGIN)
    api = web.api(LOGIN)
    with Session(web.engine) as s:
        feed = auth.create_feed(s, svc.get_user(s, LOGIN), "user", None)
        s.commit()
    assert browser.get("/due").status_code == 200
    assert api.get("/api/v1/overdue").status_code == 200
    assert web.client().get(f"/ics/{feed}.ics").status_code == 200
    return browser, api, feed


def _all_revoked(web, browser, api, feed) -> None:
    r = browser.get("/due")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert api.get("/api/v1/overdue").status_code == 401
    assert web.client().get(f"/ics/{feed}.ics").status_code == 404
    with Session(web.engine) as s:
        uid = svc.get_user(s, LOGIN).id
        assert s.exec(select(WebSession).where(WebSession.user_id == uid)).all() == []
        assert all(t.revoked_at for t in s.exec(select(ApiToken).where(ApiToken.user_id == uid)))
        assert all(f.revoked_at for f in s.exec(select(CalendarFeed)
                                                .where(CalendarFeed.owner_id == uid)))


@pytest.mark.slow
def test_a_new_password_ends_sessions_tokens_and_feeds(web, merzim_db):
    browser, api, feed = _signed_in_everywhere(web)
    run = merzim_db("user", "password", LOGIN, "--json")
    assert run.returncode == 0, run.stderr
    _all_revoked(web, browser, api, feed)
    password = json.loads(run.stdout)["password"]
    assert web.post_login(web.client(), LOGIN, password).status_code == 303  # the new one works


def test_deactivating_ends_everything_and_reactivating_revives_nothing(web, merzim_db):
    browser, api, feed = _signed_in_everywhere(web)
    assert merzim_db("user", "set", LOGIN, "--inactive").returncode == 0
    _all_revoked(web, browser, api, feed)
    assert merzim_db("user", "set", LOGIN, "--active").returncode == 0
    _all_revoked(web, browser, api, feed)


def test_user_revoke_ends_sessions_tokens_and_feeds(web, merzim_db):
    browser, api, feed = _signed_in_everywhere(web)
    run = merzim_db("user", "revoke", LOGIN, "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"login": LOGIN, "sessions": 1, "tokens": 1, "feeds": 1}
    _all_revoked(web, browser, api, feed)
    with Session(web.engine) as s:
        recs = s.exec(select(AuditRecord).where(AuditRecord.action == "user.revoke")
                       .order_by(AuditRecord.id)).all()
        assert json.loads(recs[-1].payload)["feeds"] == 1 and recs[-1].actor.startswith("cli:")
    # the user signs in again with her password: a new session, the old one stays dead
    assert web.post_login(web.client(), LOGIN).status_code == 303
    assert browser.get("/due").status_code == 303


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_user_revoke_of_an_unknown_user_is_one_line(web, merzim_db, lang):
    before = web.dump()
    run = merzim_db("user", "revoke", "nobody-such", lang=lang)
    assert run.returncode == 4 and len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.stderr
    assert web.dump() == before


def test_a_refused_feed_url_does_not_put_the_token_in_the_audit_log(web):
    _browser, _api, feed = _signed_in_everywhere(web)
    with Session(web.engine) as s:
        auth.revoke_all(s, svc.get_user(s, LOGIN), "test")
        s.commit()
    guessed = "x" * 43
    for token in (feed, guessed):
        assert web.client().get(f"/ics/{token}.ics").status_code == 404
    with Session(web.engine) as s:
        payloads = " ".join(r.payload + r.actor + r.entity_id for r in s.exec(select(AuditRecord)))
    assert feed not in payloads and guessed not in payloads
    assert "/ics/[token].ics" in payloads


def test_the_access_log_does_not_show_feed_tokens(web, caplog):
    """uvicorn logs (client, method, path, version, status); the app's filter hides the token."""
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5",
                                                  "GET", "/ics/s3cr3t-t0ken.ics?x=1", "1.1", 200)
    assert "s3cr3t" not in caplog.text
    assert re.search(r"GET /ics/\[token\]\.ics", caplog.text)
