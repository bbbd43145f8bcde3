"""Exports read back through their libraries: XLSX with openpyxl, CSV with csv, the calendar
feeds with icalendar — with the same rows and dates as the API (and the database)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from icalendar import Calendar
from openpyxl import load_workbook

from tests.support.features import needs
from tests.support.web_helpers import (
    AK_CODES,
    DEFINITION,
    TODAY,
    Web,
    en,
    wd,
)
from workflow import services as svc
from workflow.definitions import load_registry

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LIST_HEADER = [en("list.col_organisation"), en("list.col_case"), en("list.col_object"),
               en("stage.col_stage"), en("stage.col_due"), en("stage.col_basis"),
               en("list.col_working_days_overdue"), en("list.col_responsible"),
               en("list.col_procedure")]


def procedure(key: str) -> str:
    """A procedure's name in English, as the exports' last column gives it."""
    return load_registry().get(key).name("en")


def read_xlsx(data: bytes) -> tuple[str, list[list]]:
    wb = load_workbook(io.BytesIO(data))
    ws = wb.active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return ws.title, rows


def as_date(value) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else date.fromisoformat(str(value))


def cell(value):
    """A cell as written: dates come back as datetimes, empty strings as empty cells."""
    if isinstance(value, datetime):
        return value.date()
    return None if value == "" else value


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for Excel"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def api_overdue(w: Web, login: str, query: str = "") -> list[dict]:
    r = w.api(login).get(f"/api/v1/overdue?limit=500&lang=en{'&' + query if query else ''}")
    assert r.status_code == 200
    return r.json()["items"]


def expected_list_rows(items: list[dict]) -> list[list]:
    return [[r["organisation_name"], r["analysis"], r["object"], r["stage_name"],
             date.fromisoformat(r["due"]), own_mark(r["due_basis"]), r["working_days_overdue"],
             r["responsible_name"] or ""] for r in items]


def own_mark(basis: str) -> str:
    """The export's mark of a deadline merzim sets (I-17), in English."""
    if not basis:
        return ""
    return (en("stage.own_deadline_merzim") if basis == "merzim"
            else en("stage.own_deadline", basis=basis))


# -- the overdue list ----------------------------------------------------------------------------------


@needs("planning")
def test_overdue_xlsx_has_the_rows_and_dates_of_the_api(world: Web):
    for login in ("nurlan", "gulnar", "asel"):
        b = world.browser(login)
        for query in ("", "stage=order", "org=AK-ALM-ILE" if login == "nurlan" else "sort=stage",
                      f"year={TODAY.year}&sort=days"):
            r = b.get(f"/overdue.xlsx?{query}")
            assert r.status_code == 200, (login, query)
            assert r.headers["content-type"] == XLSX
            name = f"overdue-{TODAY.isoformat()}.xlsx"
            assert r.headers["content-disposition"] == (
                f'attachment; filename="{name}"; filename*=UTF-8\'\'{name}')
            title, rows = read_xlsx(r.content)
            assert title == en("nav.overdue")
            assert rows[0] == LIST_HEADER
            got = [[*row[:4], as_date(row[4]), row[5] or "", row[6], row[7] or ""]
                   for row in rows[1:]]
            items = api_overdue(world, login, query)
            assert got == expected_list_rows(items), (login, query)
            # the last column names each row's procedure
            assert [row[8] for row in rows[1:]] == [procedure(i["process"]) for i in items]
            if not query:
                assert items, f"{login} has overdue stages in the demo"
                # the due dates are real dates in the sheet, and in the past
                assert all(isinstance(row[4], datetime) and as_date(row[4]) < TODAY
                           for row in rows[1:])


def test_overdue_csv_parses_with_the_rows_of_the_api(world: Web):
    for login in ("nurlan", "gulnar"):
        b = world.browser(login)
        for query in ("", "stage=start_announcement", "sort=due"):
            r = b.get(f"/overdue.csv?{query}")
            assert r.status_code == 200
            assert r.headers["content-type"] == "text/csv; charset=utf-8"
            rows = read_csv(r.content)
            assert rows[0] == LIST_HEADER
            items = api_overdue(world, login, query)
            expected = [[str(v) if not isinstance(v, date) else v.isoformat() for v in row]
                        + [procedure(item["process"])]
                        for row, item in zip(expected_list_rows(items), items, strict=True)]
            assert rows[1:] == expected, (login, query)
    # the page shows the same rows, with the same counts per organisation
    b = world.browser("nurlan")
    page = b.get("/overdue").text
    items = api_overdue(world, "nurlan")
    total = re.search(r'data-testid="overdue-total">(\d+)<', page).group(1)
    assert int(total) == len(items)
    for code in {r["organisation"] for r in items}:
        section = re.search(rf'data-org="{code}">.*?</section>', page, re.S).group(0)
        count = int(re.search(r'class="count"[^>]*>(\d+)<', section).group(1))
        assert count == sum(1 for r in items if r["organisation"] == code)
        assert section.count("<tr class=\"late\"") == count


@needs("planning")
def test_a_list_looked_at_as_of_another_day_keeps_the_day_in_its_filters_and_exports(
        world: Web):
    b = world.browser("nurlan")
    day = wd(30).isoformat()
    hidden = f'<input type="hidden" name="as_of" value="{day}">'
    later = b.get(f"/overdue?as_of={day}").text
    assert hidden in later.split('data-testid="filters"')[1].split("</form>")[0]
    today = b.get("/overdue").text
    assert 'name="as_of"' not in today
    total = {name: int(re.search(r'data-testid="overdue-total">(\d+)<', text).group(1))
             for name, text in (("later", later), ("today", today))}
    assert total["later"] > total["today"]
    # the export buttons submit that form, so the file is the list as of that day
    r = b.get(f"/overdue.xlsx?as_of={day}")
    assert f"overdue-{day}.xlsx" in r.headers["content-disposition"]
    _title, rows = read_xlsx(r.content)
    assert len(rows) - 1 == total["later"]
    for page in ("/due", "/obligations", "/overview", "/score", "/cases"):
        assert hidden in b.get(f"{page}?as_of={day}").text, page


@needs("planning")
def test_bad_export_format_is_refused(world: Web):
    b = world.browser("nurlan")
    prog = world.programmes["AK-ALM-EDU"]
    for url in ("/overdue.pdf", "/overdue.xlsx.zip", f"/programmes/{prog}.pdf",
                f"/programmes/{prog}.xls"):
        r = b.get(url)
        assert r.status_code == 422, url
        assert r.headers["content-type"].startswith("text/html")


# -- programmes ---------------------------------------------------------------------------------------


def _programme_rows(matrix: dict) -> list[list]:
    out = []
    for r in matrix["rows"]:
        row = [r["id"], r["object_name"], date.fromisoformat(r["start"]),
               date.fromisoformat(r["end"]), DEFINITION.states[r["state"]]["en"]]
        for k in matrix["stage_keys"]:
            st = r["stages"].get(k)
            row += [date.fromisoformat(st["due"]) if st and st["due"] else None,
                    en(f"status.{st['status']}") if st else ""]
        out.append(row)
    return out


@needs("planning")
def test_programme_xlsx_and_csv_round_trip(world: Web):
    b = world.browser("nurlan")
    api = world.api("nurlan")
    for code in ("AK-ALM-EDU", "AK-ALM-ILE", "QS-ZHETYSU", "AK-ALM-HLTH"):
        pid = world.programmes[code]
        matrix = api.get(f"/api/v1/programmes/{pid}?lang=en").json()
        assert matrix["rows"], code
        # the state's name is the definition's (not the catalogue's)
        assert [r["state_name"] for r in matrix["rows"]] == [
            DEFINITION.states[r["state"]]["en"] for r in matrix["rows"]], code
        header = [en("list.col_analysis"), en("list.col_object"), en("programme.col_start"),
                  en("programme.col_end"), en("stage.col_status")]
        for k in matrix["stage_keys"]:
            name = DEFINITION.stage_name(k, "en")
            header += [f"{name} — {en('stage.col_due')}", f"{name} — {en('stage.col_status')}"]

        r = b.get(f"/programmes/{pid}.xlsx")
        assert r.status_code == 200 and r.headers["content-type"] == XLSX
        assert f'filename="programme-{code}-{TODAY.year}.xlsx"' in r.headers["content-disposition"]
        title, rows = read_xlsx(r.content)
        assert title == f"{code} {TODAY.year}"[:31]
        assert rows[0] == header
        got = [[cell(v) for v in row] for row in rows[1:]]
        assert got == [[cell(v) for v in row] for row in _programme_rows(matrix)], code

        r = b.get(f"/programmes/{pid}.csv")
        assert r.status_code == 200
        rows = read_csv(r.content)
        assert rows[0] == header
        expected_csv = [["" if v is None else (v.isoformat() if isinstance(v, date) else str(v))
                         for v in row] for row in _programme_rows(matrix)]
        assert rows[1:] == expected_csv, code

    # the page shows the same matrix
    pid = world.programmes["AK-ALM-EDU"]
    page = b.get(f"/programmes/{pid}").text
    matrix = api.get(f"/api/v1/programmes/{pid}").json()
    for row in matrix["rows"]:
        assert f'href="/analyses/{row["id"]}"' in page
        for st in row["stages"].values():
            if st["due"]:
                assert st["due"] in page


# -- calendar feeds -------------------------------------------------------------------------------------


def _feed_url(page: str) -> str:
    found = re.search(r'data-testid="new-feed">[^<]*<code>https?://testserver(/ics/[^<]+\.ics)</code>',
                      page)
    assert found, "the new feed's address is shown once"
    return found.group(1)


def _events(w: Web, url: str) -> tuple[dict[str, date], bytes]:
    r = w.client(lang=None).get(url)  # anonymous: the secret address is the credential
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    cal = Calendar.from_ical(r.content)
    events = {}
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("dtstart")
        assert type(start) is date, "all-day event"
        assert ev.decoded("dtend") == start + timedelta(days=1)
        uid = str(ev["uid"])
        assert uid not in events, "one event per stage"
        events[uid] = start
    assert b"DTSTART;VALUE=DATE:" in r.content
    return events, r.content


@pytest.mark.slow
def test_ics_feeds_round_trip_and_follow_moved_deadlines(web: Web):
    ile = web.analyses["ile"]
    # an officer's own feed: the stages she is responsible for
    asel = web.browser("asel")
    csrf = web.csrf(asel)
    r = asel.post("/account/feeds", data={"csrf": csrf, "scope": "user"})
    assert r.status_code == 200
    asel_url = _feed_url(r.text)
    events, raw = _events(web, asel_url)
    assert events == web.open_stages({"AK-ALM-EDU"}, responsible="asel")
    assert events, "asel has open stages"
    assert _events(web, asel_url)[0] == events  # stable UIDs and dates
    # an officer cannot take an organisation feed of another organisation
    r = asel.post("/account/feeds", data={"csrf": csrf, "scope": "organisation",
                                          "org": "AK-ALM-HLTH"})
    assert r.status_code == 404
    r = asel.post("/account/feeds", data={"csrf": csrf, "scope": "everything"})
    assert r.status_code == 422

    # the manager's organisation feed: the whole subtree, nothing of the ministry
    nurlan = web.browser("nurlan")
    r = nurlan.post("/account/feeds", data={"csrf": web.csrf(nurlan), "scope": "organisation",
                                            "org": "AK-ALM"})
    assert r.status_code == 200
    org_url = _feed_url(r.text)
    before, raw = _events(web, org_url)
    assert before == web.open_stages(AK_CODES)
    assert "MF-" not in raw.decode("utf-8")
    cal = Calendar.from_ical(raw)
    assert str(cal["x-wr-calname"]).endswith("Akimat of Almaty region")

    # the officer of Ile records the start and an early end: the deadlines after the end move
    note = web.stage(ile, "analytic_note")
    uid = f"stage-{note.id}@merzim"
    assert before[uid] == note.due_date
    api = web.api("saule")
    for body in ({"event": "start_announcement", "url": "https://example.kz/s"},
                 {"event": "analysis_start"},
                 {"event": "discussion_announcement", "url": "https://example.kz/d"},
                 {"event": "public_discussion", "number": "2", "url": "https://example.kz/p"},
                 {"event": "analysis_end"}):
        r = api.post(f"/api/v1/cases/{ile}/events", json={**body, "date": TODAY.isoformat()})
        assert r.status_code == 200, r.text
    moved = web.stage(ile, "analytic_note").due_date
    assert moved < note.due_date
    after, _raw = _events(web, org_url)
    assert after[uid] == moved, "the same event, on the new date"
    assert after == web.open_stages(AK_CODES)
    # a stage done today leaves the feed (v3: the actual end completes no stage of its own)
    assert web.stage(ile, "discussion_announcement").status.startswith("done")
    assert f"stage-{web.stage(ile, 'discussion_announcement').id}@merzim" in before
    assert f"stage-{web.stage(ile, 'discussion_announcement').id}@merzim" not in after
    view = api.get(f"/api/v1/analyses/{ile}").json()
    assert {st["key"]: st["due"] for st in view["stages"]}["analytic_note"] == moved.isoformat()

    # someone else cannot revoke the feed; its owner can
    page = nurlan.get("/account").text
    feed_id = re.search(r'action="/account/feeds/(\d+)/revoke"', page).group(1)
    r = asel.post(f"/account/feeds/{feed_id}/revoke", data={"csrf": csrf})
    assert r.status_code == 303
    assert web.client().get(org_url).status_code == 200
    r = nurlan.post(f"/account/feeds/{feed_id}/revoke", data={"csrf": web.csrf(nurlan)})
    assert r.status_code == 303
    r = web.client().get(org_url)
    assert r.status_code == 404
    assert web.client().get(asel_url).status_code == 200  # other feeds live on
    assert f'action="/account/feeds/{feed_id}/revoke"' not in nurlan.get("/account").text

    # a deactivated owner's feed goes dark
    from sqlmodel import Session

    with Session(web.engine) as s:
        svc.update_user(s, svc.Context(None, DEFINITION, TODAY, actor="test"), "asel",
                        active=False)
        s.commit()
    assert web.client().get(asel_url).status_code == 404
    assert web.client().get("/ics/not-a-token.ics").status_code == 404
