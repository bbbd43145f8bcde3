"""Password hashing cost: the real default, the suite's cheap profile, and a wrong name refused.

The suite runs with MERZIM_ARGON2_PROFILE=cheapest (tests/conftest.py): hundreds of sign-ins at
~0.2 s of CPU each would be minutes of the suite. These tests take that setting away and check
what an installation without it gets: argon2id with OWASP's parameters of the lower memory cost
(19 MiB, 2 passes, one lane), and a
password hashed at another cost re-hashed at the real one when its owner signs in.
"""

from __future__ import annotations

from datetime import date

import pytest
from argon2 import PasswordHasher, Type, extract_parameters, profiles
from sqlmodel import Session

from workflow import services as svc
from workflow.core.errors import ConfigError
from workflow.services import accounts as auth
from workflow.settings import ARGON2_PROFILE_ENV, argon2_profile, load_settings
from workflow.storage.models import User

PASSWORD = "a-long-enough-password-7"


def _user(s: Session, make_ctx) -> User:
    ctx = make_ctx(date(2026, 11, 23))
    svc.add_org(s, ctx, "AK", "Akimat", "akimat")
    user = svc.add_user(s, ctx, "dana", "Dana", "officer", "AK")
    s.commit()
    return user


def test_without_the_setting_passwords_are_hashed_with_owasp_19_mib(
        db, make_ctx, monkeypatch):
    monkeypatch.delenv(ARGON2_PROFILE_ENV, raising=False)
    assert argon2_profile({}) == "owasp-19m"
    with Session(db) as s:
        user = _user(s, make_ctx)
        auth.set_password(s, user, PASSWORD, "test")
        s.commit()
        params = extract_parameters(user.password_hash)
        assert params == auth.OWASP_19M
        assert (params.type, params.time_cost, params.memory_cost, params.parallelism) == (
            Type.ID, 2, 19 * 1024, 1)
        assert user.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert auth.authenticate(s, "dana", PASSWORD).user is not None
        assert auth.authenticate(s, "dana", PASSWORD + "x").user is None


def test_a_cheaply_hashed_password_is_rehashed_at_the_real_cost_when_its_owner_signs_in(
        db, make_ctx, monkeypatch):
    monkeypatch.setenv(ARGON2_PROFILE_ENV, "cheapest")  # (also when the suite runs at full cost)
    with Session(db) as s:
        user = _user(s, make_ctx)
        auth.set_password(s, user, PASSWORD, "test")  # the cheapest cost
        s.commit()
        assert extract_parameters(user.password_hash) == profiles.CHEAPEST
        monkeypatch.delenv(ARGON2_PROFILE_ENV)
        result = auth.authenticate(s, "dana", PASSWORD)
        s.commit()
        assert result.user is not None
        s.refresh(user)
        assert extract_parameters(user.password_hash) == auth.OWASP_19M
        assert PasswordHasher().verify(user.password_hash, PASSWORD)


def test_a_wrong_profile_name_stops_merzim_at_start_with_one_line(merzim, tmp_path, monkeypatch):
    monkeypatch.setenv(ARGON2_PROFILE_ENV, "fast")
    with pytest.raises(ConfigError, match="MERZIM_ARGON2_PROFILE: 'fast' is not one of "
                                          "owasp-19m, rfc9106-low-memory, cheapest"):
        load_settings(None, env={ARGON2_PROFILE_ENV: "fast"})
    config = tmp_path / "c.toml"
    config.write_text("", encoding="utf-8")
    result = merzim("calendar", "add", "2026-01-05", "3", config=config)
    assert result.returncode != 0
    assert "MERZIM_ARGON2_PROFILE" in result.stderr and "Traceback" not in result.stderr
