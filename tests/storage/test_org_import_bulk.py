"""`org import` in bulk: a bounded number of statements whatever the file's length
(5,001 organisations one `add_org` at a time took 86 s against 5.2 s for 501: each row flushed
the session's growing set of objects), and the same tree and audit records as `add_org` one
row at a time. Statements counted with an event listener, not timed."""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import select

from tests.support.sql_trace import statements
from workflow import services as svc
from workflow.imports.organisations import import_orgs
from workflow.storage import audit
from workflow.storage.db import session as open_session
from workflow.storage.models import AuditRecord, Organisation

TODAY = date(2026, 3, 2)


def tree(prefix: str, n: int) -> list[dict[str, str]]:
    """`n` organisations under AK: districts, each with departments under it."""
    rows = []
    for i in range(n):
        parent = "AK" if i % 10 == 0 else f"{prefix}-{i - i % 10}"
        rows.append({"code": f"{prefix}-{i}", "name": f"Organisation {i}",
                     "kind": "district_akimat" if i % 10 == 0 else "department",
                     "parent": parent, "name_kk": f"Ұйым {i}" if i % 3 else ""})
    return rows


def imported(db, ctx, rows) -> int:
    with statements(db) as sent, open_session(db) as s:
        import_orgs(s, ctx, rows)
        s.commit()
    return len(sent)


def test_the_import_sends_a_bounded_number_of_statements(db, make_ctx):
    ctx = make_ctx(TODAY)
    with open_session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        s.commit()
    small = imported(db, ctx, tree("S", 20))
    large = imported(db, ctx, tree("L", 1200))
    assert large <= small + 12, (small, large)  # a lookup per 500 codes, an insert per block
    assert small <= 20


def test_the_import_makes_the_tree_and_the_records_add_org_makes(db, make_ctx):
    ctx = make_ctx(TODAY)
    rows = tree("T", 25)
    with open_session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        s.commit()
    with open_session(db) as s:
        import_orgs(s, ctx, rows)
        s.commit()
    with open_session(db) as s:
        orgs = {o.code: o for o in s.exec(select(Organisation))}
        for r in rows:
            o, parent = orgs[r["code"]], orgs[r["parent"]]
            assert o.parent_id == parent.id and o.path == f"{parent.path}{o.id}/"
            assert (o.name, o.kind, o.name_kk, o.name_ru) == (r["name"], r["kind"],
                                                              r["name_kk"] or None, None)
        records = list(s.exec(select(AuditRecord).where(AuditRecord.action == "org.add")
                              .order_by(AuditRecord.id)))[1:]  # AK's first
        assert [(x.entity, int(x.entity_id), json.loads(x.payload)) for x in records] == [
            ("organisation", orgs[r["code"]].id,
             {"code": r["code"], "name": r["name"], "kind": r["kind"], "parent": r["parent"]})
            for r in rows]
        assert audit.verify(s).ok
        assert [o.code for o in svc.list_orgs(s, "T-10")] == [
            "T-10", *[f"T-{i}" for i in range(11, 20)]]
