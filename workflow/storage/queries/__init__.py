"""Shared queries of the storage layer: the organisation subtree filter (written once), and
SELECTs of many columns."""

from __future__ import annotations

from typing import Any

from sqlmodel.sql.expression import Select

from workflow.storage.models import Organisation

PATH_END = "0"  # the character after "/": a subtree is path >= "/1/5/" and < "/1/5" + "0"


def subtree_range(org: Organisation) -> tuple[str, str]:
    return org.path, org.path[:-1] + PATH_END



def in_subtree(path_column, org: Organisation):
    """The SQL condition "this path lies in the organisation's subtree" (the one copy)."""
    lo, hi = subtree_range(org)
    return (path_column >= lo) & (path_column < hi)


def select_columns(*columns: Any) -> Select[*tuple[Any, ...]]:
    """SELECT of more columns than sqlmodel's typed `select` takes (four): what `select` builds
    for two columns or more, its rows typed as tuples of Any."""
    return Select(*columns)
