"""An office's list of people of any length the import allows (10,000 rows) is previewed and
confirmed through the web: the preview's roles go back as one field, only the rows whose
role she changed (the page's script; a short list without it sends a select a row), so the
confirm stays within the fields a form may carry. The confirm writes a batch a transaction,
whether or not the request carries an idempotency key: a sign-in on another connection
completes between two of its batches. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from tests.support.web_helpers import Web, confirm_fields, csrf_of, web_fixture  # noqa: F401
from web.kit.limits import FORM_FIELDS
from web.people_page import NAMED_ROLES
from workflow.imports.people import BATCH
from workflow.services import accounts as auth
from workflow.storage.models import User

DOMAIN = "@list.example.kz"


def people_file(rows: int) -> bytes:
    """An office's list (its own headings), every person of the region's akimat; row N of
    the file is person N - 2."""
    lines = ["№ п/п;ФИО;Подразделение;E-mail"]
    lines += [f"{i + 1};Person {i:05d};Акимат Алматинской области;p{i:05d}{DOMAIN}"
              for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def previewed(web: Web, rows: int):
    erlan = web.browser("erlan")
    page = erlan.get("/people")
    preview = erlan.post("/people/import", data={"csrf": csrf_of(page.text)},
                         files={"file": ("people.csv", people_file(rows), "text/csv")})
    assert preview.status_code == 200, preview.text[-3000:]
    return erlan, preview


def roles_of(web: Web) -> dict[str, str]:
    """The imported people's roles by login."""
    with Session(web.engine) as s:
        return dict(s.exec(select(User.login, User.role)
                           .where(col(User.email).endswith(DOMAIN))).all())


@pytest.mark.slow
def test_ten_thousand_people_are_previewed_and_confirmed_with_the_roles_she_changed(
        web: Web):  # noqa: F811
    rows = 10_000
    erlan, preview = previewed(web, rows)
    # too long for a select a row: the selects send nothing (without the script they are
    # shown disabled, saying why); the changed roles go as one field
    assert rows > NAMED_ROLES and 'name="role_' not in preview.text
    assert preview.text.count("data-row=") == rows
    assert 'data-testid="people-roles-need-script"' in preview.text
    assert '<script src="/static/people-import.js" defer></script>' in preview.text
    fields = confirm_fields(preview.text)
    assert set(fields) == {"csrf", "token", "file", "roles", "logins"}
    changed = {2: "manager", 5001: "admin", 10_001: "manager"}  # file rows: the first, last
    fields["roles"] = ",".join(f"{n}:{role}" for n, role in changed.items())
    done = erlan.post("/people/import/confirm", data=fields)
    assert done.status_code == 200, done.text[-3000:]
    said = html.unescape(done.text)
    assert "10000 people added (10000 invited by e-mail), 0 changed." in said, said[-3000:]
    stored = roles_of(web)
    assert len(stored) == rows
    expected = {f"p{n - 2:05d}": role for n, role in changed.items()}
    assert {login: role for login, role in stored.items() if role != "officer"} == expected


def test_a_short_list_sends_a_select_a_row_or_the_changed_ones_as_one_field(
        web: Web):  # noqa: F811
    erlan, preview = previewed(web, 3)
    assert 3 <= NAMED_ROLES < FORM_FIELDS
    assert 'data-testid="people-roles-need-script"' not in preview.text
    script = erlan.get("/static/people-import.js")
    assert script.status_code == 200 and 'field.value = changed.join(",")' in script.text
    fields = confirm_fields(preview.text)  # as without the script: a select a row
    assert {k for k in fields if k.startswith("role_")} == {"role_2", "role_3", "role_4"}
    # the script's: the selects unnamed, the changed row in the one field
    scripted = {k: v for k, v in fields.items() if not k.startswith("role_")}
    done = erlan.post("/people/import/confirm", data={**scripted, "roles": "3:manager"})
    assert done.status_code == 200, done.text[-3000:]
    assert roles_of(web) == {"p00000": "officer", "p00001": "manager", "p00002": "officer"}


@contextmanager
def signing_in_between_batches(web: Web, rows: int,
                               meanwhile: Callable[[], Any] | None = None) -> Iterator[dict]:
    """While the block runs: after each commit of the import (some of its people stored,
    not all), another connection signs in (a sign-in appends to the audit chain, whose lock
    every batch takes), then does `meanwhile` if given, and the importer waits until that has
    ended. What happened: `counts`, the people stored at each commit; `signed_in`, the
    sign-ins that completed; `failed`, those refused (a lock waited for past its bound: the
    import held it); `meanwhile`, what each `meanwhile` answered."""
    seen: dict = {"counts": [], "signed_in": 0, "failed": [], "meanwhile": []}
    password = web.ensure_password("asel")
    guard = threading.local()

    def stored() -> int:
        with Session(web.engine) as s:
            return s.exec(select(func.count()).select_from(User)
                          .where(col(User.email).endswith(DOMAIN))).one()

    def sign_in() -> None:
        guard.busy = True
        try:
            with Session(web.engine) as s:
                assert auth.authenticate(s, "asel", password).user is not None
                s.commit()
            seen["signed_in"] += 1
            if meanwhile is not None:
                seen["meanwhile"].append(meanwhile())
        except Exception as exc:  # noqa: BLE001 - what the test reports
            seen["failed"].append(repr(exc))

    def after_commit(_session) -> None:
        if getattr(guard, "busy", False):
            return
        guard.busy = True
        try:
            n = stored()
            if seen["counts"] and seen["counts"][-1] == n:
                return
            seen["counts"].append(n)
            if 0 < n < rows:
                other = threading.Thread(target=sign_in)
                other.start()
                other.join(120)  # the import waits: a lock it still held would stop the sign-in
        finally:
            guard.busy = False

    event.listen(OrmSession, "after_commit", after_commit)
    try:
        yield seen
    finally:
        event.remove(OrmSession, "after_commit", after_commit)


@pytest.mark.parametrize("keyed", [False, True], ids=["form", "idempotency-key"])
def test_a_sign_in_completes_between_the_batches_of_a_people_import(web: Web, keyed):  # noqa: F811
    rows = 2 * BATCH + 100
    erlan, preview = previewed(web, rows)
    fields = confirm_fields(preview.text)
    headers = {"Idempotency-Key": "people-import-1"} if keyed else {}

    def sent_again() -> tuple[int, bool]:  # the same confirm, from another tab, meanwhile
        other = TestClient(web.app, cookies=dict(erlan.cookies.items()),
                           follow_redirects=False)
        r = other.post("/people/import/confirm", data=fields, headers=headers)
        return r.status_code, "is still being carried out" in r.text

    with signing_in_between_batches(web, rows, sent_again if keyed else None) as seen:
        done = erlan.post("/people/import/confirm", data=fields, headers=headers)
    assert done.status_code == 200, done.text[-3000:]
    assert seen["failed"] == []
    # with a key, the same confirm meanwhile hears it is in progress, and does nothing
    assert seen["meanwhile"] == ([(409, True)] * (len(seen["counts"]) - 2) if keyed else [])
    # committed a batch at a time (with a key too: once a single transaction, which held the
    # writers' lock for the whole file while the sign-in waited), a sign-in between each two
    assert seen["counts"][0] == 0 and seen["counts"][-1] == rows
    assert all(0 < b - a <= BATCH for a, b in itertools.pairwise(seen["counts"]))
    assert seen["signed_in"] == len(seen["counts"]) - 2 >= 2
    assert len(roles_of(web)) == rows
    if keyed:  # the same confirm again: done once, nothing more stored
        again = erlan.post("/people/import/confirm", data=fields, headers=headers)
        assert again.status_code == 409 and again.headers["Idempotent-Replayed"] == "true"
        assert len(roles_of(web)) == rows
