"""`GET /api/v1/cases`: the cases the caller may see, filtered (subtree, process, state, year),
counted and paged by the database. Each page holds exactly the cases, with today's state, that
replaying every case would list (cases opened months ago whose start or end has passed since
their state was stored included), its `total` counts them all, and a request sends the same
number of SQL statements however many cases there are. Through the real application on both
backends; the expected rows are computed case by case from the database."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select

from tests.support.features import module_of
from tests.support.sql_trace import statements
from tests.support.web_helpers import CALENDAR, DEFINITION, TODAY, Web, without_audit
from workflow import services as svc
from workflow.storage.models import Case, EventRecord, Organisation

PROCESS = DEFINITION.key
SUBJECTS = ("AK-ALM-EDU", "AK-ALM-HLTH", "AK-ALM-ILE", "AK-ALM-ILE-EDU", "MF-KGD-ALM",
            "QS-ZHETYSU")

planning_svc = module_of("planning", "service")  # the analyses are planned by it
PAST = date(2024, 10, 1)  # when the older cases were opened (their stored state: planned)


def add_cases(w: Web, n: int, first: int = 0) -> list[int]:
    """`n` analyses opened on PAST, starting between then and after TODAY: today some are
    still planned, some in progress and some ended, a state no record moved them to."""
    ctx = svc.Context(CALENDAR, DEFINITION, PAST, actor="test-setup", language="en")
    span = (TODAY + timedelta(days=30) - PAST).days
    ids = []
    with Session(w.engine) as s:
        for i in range(first, first + n):
            code = SUBJECTS[i % len(SUBJECTS)]
            start = CALENDAR.add_working_days(PAST + timedelta(days=(i * 37) % span), 1)
            ids.append(planning_svc.plan_analysis(s, ctx, code, code, start,
                                                  duplicate_reason="another one").analysis.id)
        s.commit()
        # some ended earlier than planned, a record that moves the end timer's date; some of
        # those records voided again (the timer back on the planned end)
        later = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test-setup", language="en")
        for i, ident in enumerate(ids):
            case = s.get(Case, ident)
            start = date.fromisoformat(case.dates["start"])
            if i % 3 or start + timedelta(days=10) > TODAY:
                continue
            svc.record_event(s, later, ident, "analysis_end", start + timedelta(days=10), {})
            if i % 2:
                svc.void_record(s, later, ident, "analysis_end", "wrong date")
        s.commit()
    return ids


def expected(w: Web, login: str, org: str | None = None, state: str | None = None,
             year: int | None = None, process: str | None = None) -> list[tuple[int, str]]:
    """(number, today's state) of every case the API should list, each replayed."""
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="test", language="en")
    with Session(w.engine) as s:
        user = svc.get_user(s, login)
        own = s.get(Organisation, user.organisation_id)
        scope = svc.get_org(s, org).path if org else own.path
        out = []
        for case, subject in s.exec(select(Case, Organisation).join(
                Organisation, Organisation.id == Case.subject_id).order_by(Case.id)):
            seen = (subject.path == own.path if user.role == "officer"
                    else subject.path.startswith(own.path))
            if (case.withdrawn_at is not None or not seen or not subject.path.startswith(scope)
                    or (process and case.process != process)
                    or (year and case.case_date.year != year)):
                continue
            now = svc.current_state(s, ctx, case)
            if state is None or now == state:
                out.append((case.id, now))
        return out


def listed(w: Web, login: str, query: str, limit: int) -> tuple[list[tuple[int, str]], int]:
    """Every row of the list, page after page, and the total each page gave."""
    api = w.api(login)
    rows: list[tuple[int, str]] = []
    totals = set()
    offset = 0
    while True:
        r = api.get(f"/api/v1/cases?{query}&limit={limit}&offset={offset}")
        assert r.status_code == 200, r.text
        body = r.json()
        totals.add(body["total"])
        rows += [(x["id"], x["state"]) for x in body["items"]]
        if len(body["items"]) < limit:
            break
        offset += limit
    assert len(totals) == 1, totals
    return rows, totals.pop()


QUERIES = [  # (login, filters)
    ("erlan", {}), ("erlan", {"state": "planned"}), ("erlan", {"state": "in_progress"}),
    ("erlan", {"state": "ended"}), ("erlan", {"year": 2024}), ("erlan", {"year": 2025}),
    ("nurlan", {"org": "AK-ALM-ILE"}), ("nurlan", {"org": "AK-ALM-ILE", "state": "ended"}),
    ("nurlan", {"process": PROCESS, "state": "in_progress", "year": 2025}),
    ("gulnar", {}), ("gulnar", {"state": "ended"}),
    ("asel", {}), ("asel", {"state": "planned"}), ("timur", {"state": "in_progress"}),
    ("saule", {"year": 2024}), ("erlan", {"year": 0}), ("erlan", {"year": 99999}),
    ("erlan", {"year": -5, "state": "ended"}),
]


def query_of(filters: dict) -> str:
    return "&".join(f"{k}={v}" for k, v in filters.items())


def test_the_list_is_every_case_replayed_and_its_total(web: Web):
    added = add_cases(web, 45)
    with Session(web.engine) as s:  # one withdrawn: in no list
        svc.withdraw_case(s, svc.Context(CALENDAR, DEFINITION, TODAY, actor="erlan"),
                          added[3], "opened by mistake")
        s.commit()
    with Session(web.engine) as s:
        ends = s.exec(select(EventRecord).where(EventRecord.event == "analysis_end")).all()
    assert any(r.voided_by_id for r in ends) and any(not r.voided_by_id for r in ends)
    states = {now for _, now in expected(web, "erlan")}
    assert {"planned", "in_progress", "ended"} <= states  # each kind of stored-state drift
    for login, filters in QUERIES:
        want = expected(web, login, **filters)
        for limit in (7, 500):
            got, total = listed(web, login, query_of(filters), limit)
            assert got == want, (login, filters, limit)
            assert total == len(want), (login, filters)
    assert added[3] not in [i for i, _ in listed(web, "erlan", "", 500)[0]]


def test_a_page_costs_the_same_statements_however_many_cases(web: Web):
    """The list's statements do not grow with the cases: neither with those of the page nor
    with those of the subtree (the old list read every case of it, one by one)."""
    add_cases(web, 12)
    api = web.api("erlan")
    api.get("/api/v1/cases?limit=1")  # (what a first request does once)

    def cost(query: str) -> tuple[int, dict]:
        with statements(web.engine) as sent:
            r = api.get(f"/api/v1/cases?{query}")
        assert r.status_code == 200, r.text
        return len(sent), r.json()

    before = {q: cost(q) for q in ("limit=50", "limit=50&state=ended", "limit=50&year=2025",
                                   "limit=5&offset=5&state=in_progress")}
    add_cases(web, 60, first=12)
    for query, (n, body) in before.items():
        n_after, body_after = cost(query)
        assert body_after["total"] > body["total"], query
        assert n_after == n, (query, n, n_after)
        assert n <= 12, (query, n)


def test_a_page_without_a_state_filter_reads_its_rows_in_one_select(web: Web):
    """Without a state, the page's rows say themselves which may have been moved by a timer
    since their state was stored (no second SELECT of the page's states): the case list is
    one SELECT of its rows, one COUNT and one SELECT of the records of those to replay."""
    add_cases(web, 12)
    api = web.api("erlan")
    api.get("/api/v1/cases?limit=1")  # (what a first request does once)
    with statements(web.engine) as sent:
        r = api.get("/api/v1/cases?limit=50")
    assert r.status_code == 200, r.text
    cases = [q for q in sent if "process_case" in q.lower() and "api_token" not in q.lower()]
    assert len(cases) <= 3, cases


def test_the_answer_is_its_documented_model_written_by_it(web: Web):
    """The list writes its JSON itself (not through FastAPI's response model): each answer is
    the documented model's, key for key and value for value as the model would write it."""
    from web.kit import shapes

    add_cases(web, 8)
    model = shapes.cursor_page_of(shapes.CaseRow)
    for login, query in (("erlan", "limit=5"), ("erlan", "limit=5&offset=5&state=planned"),
                         ("gulnar", "limit=50"), ("erlan", "limit=5&offset=9999"),
                         ("erlan", "limit=5&after=3&state=in_progress")):
        r = web.api(login).get(f"/api/v1/cases?{query}&lang=ru")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/json"
        body = r.json()
        assert model.model_validate(body).model_dump(mode="json") == body, query
        assert all(list(item) == list(model.model_fields["items"].annotation.__args__[0]
                                      .model_fields) for item in body["items"])
    api = web.api("erlan")  # a page past the last case: no rows, the same total
    first, past = (api.get(f"/api/v1/cases?limit=5&offset={n}").json() for n in (0, 9999))
    assert past["items"] == [] and past["total"] == first["total"] >= 8


def test_a_kept_total_is_the_count_after_every_change(web: Web):
    """Without a state the total is kept until the subtree's cases change: a repeated page
    sends no COUNT, and after a case is opened, withdrawn or opened elsewhere the total is a
    fresh count's again (for the whole country's list and for an organisation's)."""
    ids = add_cases(web, 10)
    api = web.api("erlan")

    def page(query: str) -> tuple[int, list[str]]:
        with statements(web.engine) as sent:
            r = api.get(f"/api/v1/cases?{query}")
        assert r.status_code == 200, r.text
        return r.json()["total"], [q for q in sent if "count(" in q.lower()]

    def fresh(org: str | None = None) -> int:
        return len(expected(web, "erlan", org=org))

    for query, org in (("limit=5", None), ("limit=5&org=AK-ALM-ILE", "AK-ALM-ILE")):
        total, counts = page(query)
        assert total == fresh(org) and counts, query
        total, counts = page(query)
        assert total == fresh(org) and not counts, query  # kept
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="erlan", language="en")
    changes = [lambda s: svc.withdraw_case(s, ctx, ids[0], "opened by mistake"),
               lambda s: planning_svc.plan_analysis(s, ctx, "AK-ALM-ILE", "AK-ALM-ILE",
                                                    TODAY, duplicate_reason="again"),
               lambda s: planning_svc.plan_analysis(s, ctx, "QS-ZHETYSU", "QS-ZHETYSU",
                                                    TODAY, duplicate_reason="again")]
    for change in changes:
        with Session(web.engine) as s:
            change(s)
            s.commit()
        for query, org in (("limit=5", None), ("limit=5&org=AK-ALM-ILE", "AK-ALM-ILE")):
            assert page(query)[0] == fresh(org), query


def test_the_list_is_not_jit_compiled_without_a_statement_of_its_own(web: Web):
    """On PostgreSQL a request's transaction is not JIT-compiled: the token's check turns it
    off in its own SELECT, so the list sends no SET of its own; a transaction that did not
    check a token (or a later one) sends it. Nothing of it on SQLite."""
    from sqlalchemy import text

    from workflow.services import accounts as auth
    from workflow.storage.queries import without_jit

    add_cases(web, 3)
    token = web.api("erlan").headers["Authorization"].removeprefix("Bearer ")
    postgres = web.engine.dialect.name == "postgresql"

    def jit(s: Session) -> str | None:
        return s.exec(text("SHOW jit")).one()[0] if postgres else None

    with statements(web.engine) as sent:
        r = web.api("erlan").get("/api/v1/cases?limit=50")
    assert r.status_code == 200, r.text
    assert not [q for q in sent if "jit" in q.lower() and "set_config" not in q.lower()]
    assert any("set_config" in q.lower() for q in sent) == postgres
    with Session(web.engine) as s:
        assert auth.api_signed_in(s, token) is not None
        assert jit(s) == ("off" if postgres else None)
        with statements(web.engine) as sent:
            without_jit(s)
        assert sent == []
        s.rollback()  # a new transaction: JIT as configured again, until it is turned off
        assert jit(s) in ("on", None)
        with statements(web.engine) as sent:
            without_jit(s)
        assert len(sent) == (1 if postgres else 0)
        assert jit(s) == ("off" if postgres else None)


def walked(w: Web, login: str, query: str, limit: int) -> tuple[list[tuple[int, str]], int]:
    """Every row of the list, page after page by each page's `next` (its keyset cursor), and
    the total each page gave."""
    api = w.api(login)
    rows: list[tuple[int, str]] = []
    totals = set()
    address: str | None = f"/api/v1/cases?{query}&limit={limit}"
    while address is not None:
        r = api.get(address)
        assert r.status_code == 200, r.text
        body = r.json()
        totals.add(body["total"])
        rows += [(x["id"], x["state"]) for x in body["items"]]
        assert "offset=" not in (body["next"] or ""), body["next"]
        if body["next"] is not None:
            assert len(body["items"]) == limit
            assert body["next"].endswith(f"after={body['items'][-1]['id']}")
        address = body["next"]
    assert len(totals) == 1, totals
    return rows, totals.pop()


def test_the_next_pages_by_cursor_are_the_pages_by_offset(web: Web):
    """Each page's `next` carries the same filters with `after` its last number: followed
    from the first page, the pages hold every case the list holds by offset, each once, with
    the same total; `after` and `offset` together skip from the cursor."""
    added = add_cases(web, 30)
    for login, filters in (("erlan", {}), ("erlan", {"state": "ended"}),
                           ("erlan", {"state": "planned", "year": 2024}),
                           ("nurlan", {"org": "AK-ALM-ILE"}), ("asel", {})):
        want = expected(web, login, **filters)
        got, total = walked(web, login, query_of(filters), 4)
        assert got == want and total == len(want), (login, filters)
    api = web.api("erlan")
    every = [i for i, _ in expected(web, "erlan")]
    body = api.get(f"/api/v1/cases?after={added[10]}&offset=2&limit=3").json()
    assert [x["id"] for x in body["items"]] == [i for i in every if i > added[10]][2:5]
    assert (body["after"], body["offset"], body["total"]) == (added[10], 2, len(every))
    last = api.get(f"/api/v1/cases?after={every[-1]}").json()
    assert last["items"] == [] and last["next"] is None and last["total"] == len(every)
    first = api.get(f"/api/v1/cases?limit={len(every)}").json()
    assert first["next"] is None and first["after"] == 0  # (the whole list: no next page)


def test_a_bad_cursor_or_offset_is_refused_in_the_readers_language_and_changes_nothing(
        web: Web):
    """A cursor or an offset that is not a number of 0 or more is refused (422) with the
    field named in the reader's language (?lang=, else the token owner's), and nothing but
    the refusal's audit record is written."""
    from workflow.i18n import Translator

    add_cases(web, 5)
    api = web.api("erlan")
    before = without_audit(web.engine)
    for query, field in (("after=-1", "query.after"), ("after=abc", "query.after"),
                         ("after=1.5", "query.after"), ("offset=-5", "query.offset"),
                         ("offset=-5&after=2&state=ended", "query.offset")):
        for lang in ("kk", "ru", "en"):
            r = api.get(f"/api/v1/cases?{query}&lang={lang}")
            assert r.status_code == 422, (query, r.text)
            body = r.json()
            assert body["error"] == "error.invalid", body
            assert body["message"] == Translator(lang)("error.invalid_fields", fields=field)
    assert without_audit(web.engine) == before


def test_the_cases_in_a_state_are_kept_until_a_case_of_the_list_changes(web: Web):
    """With a state the replays of the cases a timer may have moved, and the count, are kept
    for the list's version and the day: a repeated page (another page of it too) reads no
    record and counts nothing, and after an event is recorded or voided, a case opened or
    withdrawn, the pages are a fresh replay's again."""
    ids = add_cases(web, 24)
    api = web.api("erlan")

    def page(query: str) -> tuple[list[tuple[int, str]], int, list[str]]:
        with statements(web.engine) as sent:
            r = api.get(f"/api/v1/cases?{query}")
        assert r.status_code == 200, r.text
        body = r.json()
        read = [q for q in sent if "count(" in q.lower()  # (a COUNT, the records' SELECT)
                or q.lower().lstrip().startswith("select event_record.case_id")]
        return [(x["id"], x["state"]) for x in body["items"]], body["total"], read

    def check(state: str) -> None:
        want = expected(web, "erlan", state=state)
        rows, total, read = page(f"state={state}&limit=500")
        assert (rows, total) == (want, len(want)) and read, state
        rows, total, read = page(f"state={state}&limit=2&offset=1")
        assert (rows, total, read) == (want[1:3], len(want), []), state  # kept

    for state in ("ended", "in_progress", "planned"):
        check(state)
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="erlan", language="en")
    in_progress = [i for i, _ in expected(web, "erlan", state="in_progress")]
    changes = [lambda s: svc.record_event(s, ctx, in_progress[0], "analysis_end", TODAY, {}),
               lambda s: svc.void_record(s, ctx, in_progress[0], "analysis_end", "wrong"),
               lambda s: svc.withdraw_case(s, ctx, ids[1], "opened by mistake"),
               lambda s: planning_svc.plan_analysis(s, ctx, "AK-ALM-ILE", "AK-ALM-ILE",
                                                    TODAY - timedelta(days=40),
                                                    duplicate_reason="again")]
    for change in changes:
        with Session(web.engine) as s:
            change(s)
            s.commit()
        for state in ("ended", "in_progress"):
            check(state)


def test_after_a_write_a_state_filter_replays_only_the_cases_whose_records_changed(web: Web):
    """The replays of a state filter are kept by what each read (the case's dates, how many
    records it has and the newest's number): after a write elsewhere in the list no case is
    replayed again, after an event recorded or voided on a case only that case is; the pages
    stay a fresh replay's."""
    import re

    add_cases(web, 24)
    api = web.api("erlan")

    def replayed(state: str) -> list[int] | None:
        """The numbers of the cases whose records the page read to replay them (None: no
        such read), after checking the page against a replay of every case."""
        with statements(web.engine) as sent:
            r = api.get(f"/api/v1/cases?state={state}&limit=500")
        assert r.status_code == 200, r.text
        want = expected(web, "erlan", state=state)
        assert [(x["id"], x["state"]) for x in r.json()["items"]] == want, state
        reads = [q for q in sent if q.lower().lstrip().startswith("select event_record.case_id")]
        assert len(reads) <= 1, reads
        return [int(n) for n in re.findall(r"\d+", reads[0].split(" IN ", 1)[1])] \
            if reads else None

    first = replayed("in_progress")
    assert first  # (each case a timer may have moved)
    ctx = svc.Context(CALENDAR, DEFINITION, TODAY, actor="erlan", language="en")
    moving = [i for i, now in expected(web, "erlan") if now == "in_progress" and i in first]
    with Session(web.engine) as s:  # a write elsewhere in the list
        planning_svc.plan_analysis(s, ctx, "QS-ZHETYSU", "QS-ZHETYSU", TODAY + timedelta(days=90),
                                   duplicate_reason="again")
        s.commit()
    assert replayed("in_progress") is None and replayed("ended") is None
    with Session(web.engine) as s:  # an event recorded, then voided, on one of them
        svc.record_event(s, ctx, moving[0], "analysis_end", TODAY, {})
        s.commit()
    assert replayed("ended") is None  # (stored as ended now: in no replay)
    with Session(web.engine) as s:
        svc.void_record(s, ctx, moving[0], "analysis_end", "wrong date")
        s.commit()
    assert replayed("in_progress") == [moving[0]]
