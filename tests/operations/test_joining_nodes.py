"""Two administrators join the same district at once, each on her own `merzim serve` node of
one PostgreSQL database (B-25): both send "The year so far" of the district from its page,
released together by a barrier, repeated with a new district (two отделы and an enterprise
under it) each try. Each try ends with one joining: every period's case of the district and
its units opened once (as one back-fill alone opens them), one `organisation.joined` record
per organisation, all on the same day; one administrator is shown what was opened, the other
that nothing was left to open and the day it joined (or, had she waited past the lock's
bound, that the database was busy: nothing written, to send again)."""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import date

import httpx
import pytest
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from tests.support.deployment import sign_in
from tests.support.processes import CSRF, local, start_node, terminate, together, wait_up
from tests.support.races import opened_for
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.i18n import Translator, date_text
from workflow.services import accounts as auth
from workflow.services import obligations
from workflow.storage.models import AuditRecord, Organisation

pytestmark = pytest.mark.slow  # two nodes as processes

TRIES = 12
REGISTRY = load_registry()  # what the nodes load
TODAY = date(2026, 2, 4)  # the nodes' day (tests/support/processes.py `env_for`)
PARENT = "AK-ALM"
UNITS = ("EDU", "ZKH", "GKP")
KINDS = ("district_department", "district_department", "quasi_state")


def _district(s, ctx, n: int) -> list[str]:
    """District n and its units, added today: their codes, the district's first."""
    code = f"AK-ALM-R{n}"
    svc.add_org(s, ctx, code, f"Joining district {n}", "district_akimat", PARENT)
    for unit, kind in zip(UNITS, KINDS, strict=True):
        svc.add_org(s, ctx, f"{code}-{unit}", f"Unit {unit} of {n}", kind, code)
    return [code, *(f"{code}-{u}" for u in UNITS)]


@pytest.fixture
def nodes(db_url, db, tmp_path):
    """The demo, the districts, two administrators of the region with passwords, and the
    number of cases one back-fill alone opens per organisation; two nodes."""
    from workflow.services.demo import load_demo

    ctx = svc.Context(KazakhstanCalendar(), REGISTRY, TODAY, actor="test", language="en")
    with Session(db) as s:
        load_demo(s, ctx)
        for login in ("erlan", "zhuldyz"):
            user = svc.get_user(s, login) if login == "erlan" else svc.add_user(
                s, ctx, login, "Zhuldyz Admin", "admin", PARENT, f"{login}@example.kz", "en")
            auth.set_password(s, user, f"{login}-correct-horse-42", "test")
        alone_codes = _district(s, ctx, 0)
        for n in range(1, TRIES + 1):
            _district(s, ctx, n)
        s.commit()
        obligations.open_year_so_far(s, ctx, alone_codes[0], date(2026, 1, 1))
        s.commit()
        alone = _per_org(s, alone_codes)
    started = [start_node(db_url, tmp_path / name) for name in ("node-a", "node-b")]
    try:
        for proc, base in started:
            wait_up(proc, lambda base=base: local().get(f"{base}/healthz",
                                                        timeout=2).status_code == 200)
        yield started[0][1], started[1][1], alone
    finally:
        for proc, _base in started:
            terminate(proc)


def _per_org(s, codes: list[str]) -> list[tuple[int, int]]:
    """(cases, distinct periods) of each organisation of `codes`, in order."""
    return [opened_for(s, code)[1:] for code in codes]


def _signed_in(base: str, login: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=120,
                          limits=httpx.Limits(max_keepalive_connections=0))
    r = sign_in(client, login, f"{login}-correct-horse-42")
    assert r.status_code == 303, r.text[:300]
    return client


def _together(*calls):
    return together(*calls, seconds=180)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_administrators_join_one_district_at_once_on_two_nodes(db, nodes):
    a, b, alone = nodes
    clients = [_signed_in(a, "erlan"), _signed_in(b, "zhuldyz")]
    languages = [Translator(lang) for lang in ("kk", "ru", "en")]
    seen: Counter[str] = Counter()
    try:
        for n in range(1, TRIES + 1):
            code = f"AK-ALM-R{n}"
            forms = []
            for client in clients:
                page = client.get(f"/orgs/{code}")
                assert page.status_code == 200, page.text[:300]
                forms.append(CSRF.search(page.text).group(1))
            answers = _together(*(
                lambda client=client, csrf=csrf, code=code: client.post(
                    f"/orgs/{code}/backfill", data={"since": "2026-01-01", "csrf": csrf})
                for client, csrf in zip(clients, forms, strict=True)))
            kinds = []
            for r in answers:
                if r.status_code == 503:  # waited past the lock's bound: nothing written
                    kinds.append("busy")
                    continue
                assert r.status_code == 200, r.text[-2000:]
                if 'data-testid="backfill-opened"' in r.text:
                    kinds.append("opened")
                else:
                    said = r.text[r.text.index('data-testid="backfill-none"'):]
                    said = html.unescape(said[:said.index("</p>")])
                    assert any(  # in her language
                        t("backfill.web_none") in said and t(
                            "backfill.joined_already", org=f"Joining district {n}",
                            day=date_text(TODAY, t.language)) in said
                        for t in languages), said
                    kinds.append("told")
            assert sorted(kinds) in (["opened", "told"], ["busy", "opened"]), (n, kinds)
            seen.update(kinds)
            codes = [code, *(f"{code}-{u}" for u in UNITS)]
            with Session(db) as s:
                assert _per_org(s, codes) == alone, n  # each period opened once
                assert all(c == p for c, p in _per_org(s, codes))
                days = s.exec(select(Organisation.joined_on).where(
                    Organisation.code.in_(codes))).all()
                assert set(days) == {TODAY}, n
                joined = Counter(s.exec(select(AuditRecord.entity_id).where(
                    AuditRecord.action == "organisation.joined",
                    AuditRecord.entity_id.in_(codes))).all())
                assert joined == Counter(codes), (n, joined)  # one record each
                synced = [p for p in s.exec(select(AuditRecord.payload).where(
                    AuditRecord.action == "obligations.sync"))
                    if json.loads(p).get("org") == code]
                assert len(synced) == 1, (n, synced)
    finally:
        for client in clients:
            client.close()
    print(json.dumps(seen))
    assert seen["opened"] == TRIES
