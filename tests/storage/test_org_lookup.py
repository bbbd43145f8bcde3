"""An organisation looked up by its code is remembered for the session
(workflow/storage/queries/organisations.org_by_code): the same object without a second query,
and never one the session no longer holds (added in a transaction rolled back since)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import event

from workflow.storage.db import session as open_session
from workflow.storage.queries.organisations import org_by_code


def _statements(engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: seen.append(statement))
    return seen


def test_a_code_is_looked_up_once_per_session(db, make_ctx):
    from workflow.services.organisations import add_org

    with open_session(db) as s:
        add_org(s, make_ctx(date(2026, 2, 4)), "ORG-A", "A", "akimat")
        s.commit()
    seen = _statements(db)
    with open_session(db) as s:
        first = org_by_code(s, "ORG-A")
        asked = len(seen)
        assert first is not None and first.code == "ORG-A"
        assert org_by_code(s, "ORG-A") is first
        assert len(seen) == asked  # no second query
        assert org_by_code(s, "NONE") is None
        assert org_by_code(s, "NONE") is None
        assert len(seen) == asked + 2  # a code not found is asked again
    with open_session(db) as s:  # another session asks the database again
        assert org_by_code(s, "ORG-A") is not first
        assert len(seen) == asked + 3


def test_an_organisation_rolled_back_is_not_remembered(db, make_ctx):
    from workflow.services.organisations import add_org

    with open_session(db) as s:
        add_org(s, make_ctx(date(2026, 2, 4)), "ORG-B", "B", "akimat")
        s.flush()
        assert org_by_code(s, "ORG-B") is not None
        s.rollback()
        assert org_by_code(s, "ORG-B") is None
        add_org(s, make_ctx(date(2026, 2, 4)), "ORG-B", "B again", "akimat")
        s.commit()
        assert org_by_code(s, "ORG-B").name == "B again"
