"""Shared queries of the storage layer: the organisation subtree filter (written once)."""

from __future__ import annotations

from workflow.storage.models import Organisation

PATH_END = "0"  # the character after "/": a subtree is path >= "/1/5/" and < "/1/5" + "0"


def subtree_range(org: Organisation) -> tuple[str, str]:
    return org.path, org.path[:-1] + PATH_END

