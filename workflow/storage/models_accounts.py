"""The tables of signing in from outside the command line: web sessions, API tokens, calendar
feeds. Built when one of their names is first asked of `workflow.storage.models`, whose models
they are (`__module__ = FACADE`: see there)."""

from __future__ import annotations

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from workflow.core import limits
from workflow.storage import columns
from workflow.storage.models import FACADE, identifier


class WebSession(columns.UserToken, table=True):
    """A signed-in browser: the cookie holds a random token, the table its SHA-256."""

    __tablename__ = "web_session"
    __module__ = FACADE
    csrf: str = Field(max_length=64)
    created_at: float
    expires_at: float


class ApiToken(columns.UserToken, table=True):
    """A personal token for API clients (shown once; stored as SHA-256)."""

    __tablename__ = "api_token"
    __module__ = FACADE
    name: str = Field(max_length=limits.TOKEN_NAME)
    created_at: float
    revoked_at: float | None = None


class CalendarFeed(SQLModel, table=True):
    """A secret ICS feed URL of a user's deadlines or of an organisation's subtree; revocable."""

    __tablename__ = "calendar_feed"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    scope: str = Field(max_length=16)  # "user" or "organisation"
    organisation_id: int | None = Field(default=None, foreign_key="organisation.id")
    created_at: float
    revoked_at: float | None = None


class IdempotencyKey(SQLModel, table=True):
    """A write sent with an idempotency key (the API's `Idempotency-Key` header, a web form's
    hidden key), per user: what was asked (method, path, the body's SHA-256) and the answer
    it got (status, type, redirect, body up to `services.idempotency.ANSWER_BYTES`), written
    in the same transaction as the write itself; kept a day (`services.idempotency`)."""

    __tablename__ = "idempotency_key"
    __module__ = FACADE
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    key: str = Field(max_length=200, primary_key=True, sa_type=identifier(200))
    method: str = Field(max_length=8)
    path: str = Field(max_length=2000)
    body_sha256: str | None = Field(default=None, max_length=64)
    status: int | None = None  # None: taken, its answer not kept yet
    content_type: str | None = Field(default=None, max_length=200)
    location: str | None = Field(default=None, max_length=2000)
    answer: str | None = Field(default=None, sa_column=Column(Text))  # None: not kept
    created_at: float = Field(index=True)


class Invitation(SQLModel, table=True):
    """A one-time sign-in link sent by e-mail to a new user (or to one whose password an
    administrator resets): opening it lets her set her password, once, before it expires. The
    link holds a random token; the table its SHA-256."""

    __tablename__ = "invitation"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: float
    expires_at: float
    used_at: float | None = None  # set when she chose her password (or a newer link replaced it)


class EmailChange(SQLModel, table=True):
    """A change of a signed-in person's e-mail address waiting for her confirmation: a link
    sent to the new address; opened by her (signed in as herself) before it expires, it
    applies the change, once. The link holds a random token; the table its SHA-256."""

    __tablename__ = "email_change"
    __module__ = FACADE
    id: int = Field(default=None, primary_key=True)  # set when stored (flush)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    new_email: str = Field(max_length=limits.EMAIL)
    requested_by: str = Field(max_length=100)  # the audited actor who asked
    created_at: float
    expires_at: float
    used_at: float | None = None  # applied (or replaced by a newer request)
