"""What the migrations that compute a register entry's fact identity read of the stored rows
(0028 back-fills it, 0038 computes it again): each stored definition's fact rule and cancelling
states, and a JSON column's object."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import sqlalchemy as sa

from workflow.core.facts import FactRule


def json_object(value: Any) -> dict[str, Any]:
    """A JSON column's value as a dict: {} for NULL, empty or unreadable text."""
    if value is None or isinstance(value, dict):
        return value or {}
    try:
        return json.loads(value) or {}
    except ValueError:
        return {}


def fact_rules(conn: sa.Connection) -> dict[tuple[str, int], tuple[FactRule, set[str]]]:
    """(process, version) -> its fact rule and cancelling states, for the registers with one."""
    out = {}
    for key, version, text in conn.execute(sa.text(
            'SELECT key, version, text FROM process_definition')):
        try:
            table = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, TypeError):
            continue
        rule = FactRule.of_table(table)
        if rule is None:
            continue
        cancelled = {e.get('dest') for e in table.get('event') or []
                     if e.get('terminal') and e.get('dest')}
        out[(key, int(version))] = (rule, cancelled)
    return out
