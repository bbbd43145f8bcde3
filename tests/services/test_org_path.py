"""An organisation's path by its code (services/lookup.py `org_path`), kept per database once
read: it equals the organisation's path read afresh, an unknown code is not found, and a
transaction that added an organisation and was rolled back keeps nothing (the code added
again, committed, has its own path). On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from workflow.core.errors import NotFound
from workflow.services import lookup
from workflow.services.organisations import add_org
from workflow.storage.models import Organisation


def test_an_organisations_path_is_kept_as_it_is(db, make_ctx):
    ctx = make_ctx(date(2026, 3, 2))
    with Session(db) as s:
        root = add_org(s, ctx, "KZ-T", "Root", "akimat").path
        add_org(s, ctx, "KZ-T-1", "One", "department", "KZ-T")
        s.commit()
    with Session(db) as s:
        for _ in range(2):  # read, then kept
            assert {o.code: lookup.org_path(s, o.code) for o in s.exec(select(Organisation))} \
                == {o.code: o.path for o in s.exec(select(Organisation))}
        with pytest.raises(NotFound):
            lookup.org_path(s, "KZ-T-2")
    with Session(db) as s:  # added, looked up in its own transaction, rolled back
        gone = add_org(s, ctx, "KZ-T-2", "Two", "department", "KZ-T").path
        s.flush()
        assert lookup.org_path(s, "KZ-T-2") == gone
        s.rollback()
    with Session(db) as s:
        with pytest.raises(NotFound):
            lookup.org_path(s, "KZ-T-2")
        add_org(s, ctx, "KZ-T-3", "Three", "department", "KZ-T")
        s.flush()
        again = add_org(s, ctx, "KZ-T-2", "Two", "department", "KZ-T").path
        s.commit()
        assert again != gone and again.startswith(root)
    with Session(db) as s:
        assert lookup.org_path(s, "KZ-T-2") == s.exec(
            select(Organisation.path).where(Organisation.code == "KZ-T-2")).one()
