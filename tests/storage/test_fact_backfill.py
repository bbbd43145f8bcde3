"""Migration 0028 back-fills the fact a register entry records (B-23, P-22;
workflow/core/facts.py) from the stored definition texts, on SQLite and PostgreSQL: each
standing breach its identity, a repeat entered before the rule kept as a second (its own
part), a withdrawn one its identity (no standing entry), a cancelled one none; the procedure's
case of each link not undone, a second standing entry of one case left without it. Then the
partial unique indexes refuse a second standing entry."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from tests.support.databases import migrated_to
from workflow.storage.db import upgrade

BREACH_FILE = Path(__file__).parents[2] / "workflow/definitions/registers/restriction_breach.toml"

before_facts = migrated_to("0027", "merzim_f")


def _case(conn, cid: int, process: str, person: str, dates: str, state: str,
          withdrawn: str | None = None, fields: str = '{"kind": "reward_or_gift"}') -> None:
    conn.execute(text(
        "INSERT INTO process_case (id, process, process_version, subject_id, person_name, "
        "fields, dates, case_date, state, created_at, withdrawn_at) VALUES (:i, :p, 3, 1, "
        ":n, :f, :d, '2026-02-16', :s, '2026-03-01T10:00:00+05:00', :w)"),
        {"i": cid, "p": process, "n": person, "f": fields, "d": dates, "s": state,
         "w": withdrawn})


def test_the_facts_of_existing_entries_are_back_filled(before_facts):
    eng = before_facts
    body = BREACH_FILE.read_text(encoding="utf-8")
    with eng.begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, code, name, kind, path) "
                          "VALUES (1, 'MF', 'Ministry', 'central_body', '/1/')"))
        conn.execute(text("INSERT INTO process_definition (key, version, sha256, text, "
                          "stored_at) VALUES ('restriction_breach', 3, :h, :t, 'x')"),
                     {"h": hashlib.sha256(body.encode()).hexdigest(), "t": body})
        detected = '{"detected": "2026-02-16"}'
        _case(conn, 1, "restriction_breach", "Erlan Sadykov", detected, "breach_identified")
        _case(conn, 2, "restriction_breach", "erlan  SADYKOV.", '{"detected": "2026-05-04"}',
              "settled")  # the same fact typed again before the rule
        _case(conn, 3, "restriction_breach", "Erlan Sadykov", detected, "breach_identified",
              withdrawn="2026-03-02T10:00:00+05:00")
        _case(conn, 4, "restriction_breach", "Erlan Sadykov", detected, "cancelled")
        _case(conn, 5, "gift", "Erlan Sadykov", '{"received": "2026-02-02"}', "not_handed",
              fields="{}")
        _case(conn, 6, "restriction_breach", "Aida Bekova", detected, "breach_identified")
        for lid, entry in ((1, 1), (2, 6)):
            conn.execute(text("INSERT INTO case_link (id, from_case_id, to_case_id, event, "
                              "created_by, created_at) VALUES (:l, 5, :e, 'not_handed_over', "
                              "'test', 'x')"), {"l": lid, "e": entry})
    upgrade(eng)
    with eng.connect() as conn:
        rows = dict((i, (k, s)) for i, k, s in conn.execute(text(
            "SELECT id, fact_key, fact_source FROM process_case ORDER BY id")))
    fact = "1|erlansadykov|reward_or_gift|2026"
    assert rows[1] == (fact, 5)
    assert rows[2][0].startswith(fact + "#") and rows[2][1] is None  # kept as a second
    assert rows[3] == (fact, None)  # withdrawn: not standing, its identity all the same
    assert rows[4] == (None, None)  # cancelled (entered by mistake): no fact
    assert rows[5] == (None, None)  # the gift's case: a procedure, no register's identity
    assert rows[6] == ("1|aidabekova|reward_or_gift|2026", None)  # the gift had one already
    with eng.connect() as conn:
        with pytest.raises(IntegrityError):
            conn.execute(text("UPDATE process_case SET withdrawn_at = NULL WHERE id = 3"))
        conn.rollback()
        with pytest.raises(IntegrityError):
            conn.execute(text("UPDATE process_case SET fact_source = 5 WHERE id = 6"))
        conn.rollback()
