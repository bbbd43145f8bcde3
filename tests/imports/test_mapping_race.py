"""Her mapping saved twice at once (two confirms of her file on two nodes, one PostgreSQL
database): two writers with sessions of their own released together by a barrier keep the
same new mapping for one organisation and register (`usecase.remember`, what every confirm
and `merzim case import --map` end with), repeated. Each try ends with one stored mapping of
each header and one audit record of it; neither writer is refused."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.support.import_helpers import (
    REGISTRY,
    site_fixture,  # noqa: F401 - the `site` fixture
)
from tests.support.races import at_once
from tests.support.web_helpers import CALENDAR, TODAY, Web, web_fixture  # noqa: F401 - `web`
from tests.support.web_import_helpers import PROCESS
from workflow import services as svc
from workflow.imports import usecase
from workflow.storage.models import AuditRecord, ImportMapping, Organisation, User

TRIES = 15
ORG = "AK-ALM-EDU"


def test_the_same_mapping_kept_at_once_is_stored_once(site: Web):
    if site.engine.dialect.name != "postgresql":
        pytest.skip("a race of two writers on one PostgreSQL database")
    with Session(site.engine) as s:
        edu = s.exec(select(Organisation.id).where(Organisation.code == ORG)).one()
    who = usecase.Importer(User(login="asel", full_name="asel", role="officer",
                                organisation_id=edu), ORG, edu, "asel")
    for n in range(TRIES):
        mapped = {f"принятые меры {n}": "measures", f"вид нарушения {n}": "kind"}

        def keep(s, mapped=mapped) -> None:
            ctx = svc.Context(CALENDAR, REGISTRY, TODAY, actor="web:asel", language="en")
            usecase.remember(s, ctx, who, PROCESS, mapped)

        failed = at_once(site.engine, [keep, keep], timeout=60)
        assert failed == []
        with Session(site.engine) as s:
            stored = sorted((m.header_folded, m.field) for m in s.exec(
                select(ImportMapping).where(ImportMapping.organisation_id == edu,
                                            ImportMapping.target == PROCESS))
                if m.header_folded.endswith(f" {n}"))
            records = [r for r in s.exec(select(AuditRecord).where(
                AuditRecord.action == usecase.MAPPED)) if f' {n}"' in r.payload]
        assert stored == sorted((h, f) for h, f in mapped.items())
        assert len(records) == 1, [r.payload for r in records]
