"""Reminder, channel and outbox settings: a wrong value stops `merzim worker` at start with a
one-line message naming it and exit code 2, before the database is touched."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from workflow.core.errors import ConfigError
from workflow.settings import load_notify_settings, load_settings

VALID = """
[reminders]
channels = ["email", "telegram"]
send_time = "08:30"
before = [1, 5, 0, 5]
escalate_levels = 2

[email]
host = "smtp.example.kz"
port = 587
security = "starttls"
from = "merzim@example.kz"

[telegram]
base_url = "http://127.0.0.1:9"
"""


def write(tmp_path: Path, body: str) -> Path:
    cfg = tmp_path / "config-under-test.toml"
    cfg.write_text(body, encoding="utf-8")
    return cfg


def load(tmp_path: Path, body: str, env: dict[str, str] | None = None, require_secrets=True):
    cfg = write(tmp_path, body)
    return load_notify_settings(load_settings(path=cfg, env={}), env=env or {},
                                require_secrets=require_secrets)


# -- refused at start, through the console script ----------------------------------------------

REFUSED = [
    pytest.param('[reminders]\nchannels = ["email", "sms"]\n',
                 "reminders.channels: unknown channel 'sms' (known: email, telegram)", "en",
                 id="unknown-channel"),
    pytest.param('[email]\nfrom = "merzim.example.kz"\n',
                 "email.from: 'merzim.example.kz' is not an email address", "en",
                 id="malformed-from"),
    pytest.param('[reminders]\nchannels = ["email", "telegram"]\n',
                 "telegram: channel enabled but MERZIM_TELEGRAM_TOKEN is not set", "en",
                 id="telegram-without-token"),
    pytest.param('[email]\nhost = "smtp.example.kz"\npassword = "hunter2"\n',
                 "email: the SMTP user and password come from the environment", "en",
                 id="password-in-config"),
    pytest.param('[reminders]\nsend_time = "25:00"\n',
                 "reminders.send_time: '25:00' is not HH:MM", "kk", id="send-time-25"),
]


@pytest.mark.parametrize(("body", "message", "lang"), REFUSED)
def test_worker_refuses_bad_configuration(merzim, tmp_path, body, message, lang):
    cfg = write(tmp_path, body)
    proc = merzim("worker", "--once", config=cfg, lang=lang)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert lines[0].startswith("Баптау қатесі: " if lang == "kk" else "Configuration error: ")
    assert "hunter2" not in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert not (tmp_path / "merzim.db").exists()  # refused before opening the database


def test_long_running_worker_refuses_too(merzim, tmp_path):
    cfg = write(tmp_path, '[reminders]\nchannels = ["sms"]\n')
    proc = merzim("worker", config=cfg)  # would run until SIGTERM if it started
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("Configuration error: reminders.channels: unknown channel "
                                   "'sms' (known: email, telegram)")


# -- the checks themselves -----------------------------------------------------------------------


def test_valid_settings(tmp_path):
    ns = load(tmp_path, VALID, env={"MERZIM_TELEGRAM_TOKEN": "1:abc", "MERZIM_SMTP_USER": "bot",
                                    "MERZIM_SMTP_PASSWORD": "pw"})
    assert ns.channels == ("email", "telegram")
    assert ns.send_time == time(8, 30)
    assert ns.policy.before == (5, 1, 0) and ns.policy.escalate_levels == 2
    assert (ns.smtp.host, ns.smtp.port, ns.smtp.user, ns.smtp.password) == (
        "smtp.example.kz", 587, "bot", "pw")
    assert (ns.telegram.token, ns.telegram.base_url) == ("1:abc", "http://127.0.0.1:9")


def test_defaults_match_config_toml(tmp_path):
    """The shipped config.toml documents the defaults: loading it or nothing gives the same."""
    shipped = Path(__file__).resolve().parents[2] / "config.toml"
    assert load(tmp_path, shipped.read_text(encoding="utf-8")) == load(tmp_path, "")
    ns = load(tmp_path, "")
    assert ns.channels == ("email",) and ns.send_time == time(9, 0) and ns.telegram is None
    assert (ns.outbox.max_attempts, ns.outbox.backoff_seconds, ns.outbox.lease_seconds) == (
        8, 60, 300)
    assert ns.smtp.reuse_seconds == 300


def test_smtp_session_age_limit(tmp_path):
    assert load(tmp_path, "[email]\nreuse_seconds = 45\n").smtp.reuse_seconds == 45
    assert load(tmp_path, "[email]\nreuse_seconds = 0\n").smtp.reuse_seconds is None  # no limit


def test_preview_needs_no_secrets(tmp_path):
    ns = load(tmp_path, VALID, require_secrets=False)
    assert "telegram" in ns.channels and ns.telegram.token == ""


@pytest.mark.parametrize(("body", "message"), [
    ('[reminders]\nchannels = "email"\n', "reminders.channels: must be a list"),
    ('[reminders]\nsend_time = "9:60"\n', "reminders.send_time: '9:60' is not HH:MM"),
    ('[reminders]\nsend_time = "09:00:00"\n', "reminders.send_time: '09:00:00' is not HH:MM"),
    ('[reminders]\nsend_time = "nine"\n', "reminders.send_time: 'nine' is not HH:MM"),
    ('[reminders]\nbefore = [5, -1]\n', "reminders.before: must be a list"),
    ('[reminders]\nbefore = "5"\n', "reminders.before: must be a list"),
    ('[reminders]\nescalate_levels = -1\n', "reminders.escalate_levels"),
    ('[reminders]\nescalate_after = 0\n', "reminders.escalate_after"),
    ('[email]\nsecurity = "ssl"\n', "email.security: 'ssl' must be starttls, tls or none"),
    ('[email]\nfrom = "merzim@"\n', "email.from"),
    ('[email]\nfrom = "a b@example.kz"\n', "email.from"),
    ('[email]\nuser = "bot"\n', "email: the SMTP user and password come from the environment"),
    ('[email]\nport = 0\n', "email.port"),
    ('[email]\nport = "25"\n', "email.port"),
    ('[email]\nreuse_seconds = -1\n', "email.reuse_seconds"),
    ('[email]\nreuse_seconds = "5m"\n', "email.reuse_seconds"),
    ('[reminders]\nchannels = ["telegram"]\n[telegram]\ntoken = "1:abc"\n',
     "telegram.token: the bot token comes from the environment"),
    ('[reminders]\nchannels = ["telegram"]\n[telegram]\nbase_url = "ftp://x"\n',
     "telegram.base_url: 'ftp://x' is not an http(s) URL"),
    ('[outbox]\nmax_attempts = 0\n', "outbox.max_attempts"),
    ('[outbox]\nbackoff_seconds = -1\n', "outbox.backoff_seconds"),
    ('[outbox]\nbatch = true\n', "outbox.batch"),
    ('[worker]\ndispatch_seconds = 0\n', "worker.dispatch_seconds"),
    ("reminders = 3\n", "[reminders] must be a table"),
])
def test_each_bad_value_is_named(tmp_path, body, message):
    with pytest.raises(ConfigError) as refused:
        load(tmp_path, body, env={"MERZIM_TELEGRAM_TOKEN": "1:abc"})
    assert message in refused.value.message
    assert "\n" not in refused.value.message


@pytest.mark.parametrize("base", ["http://exa mple.kz", "http://", "http://[::1", "http://h:x",
                                  "https:///bot", "http://h\t/"])
def test_a_telegram_base_url_that_is_no_url_is_refused(tmp_path, base):
    body = f'[reminders]\nchannels = ["telegram"]\n[telegram]\nbase_url = "{base}"\n'
    body = body.replace("\t", "\\t")
    with pytest.raises(ConfigError, match="telegram.base_url"):
        load(tmp_path, body, require_secrets=False)
