"""The score page leads to the fix: every indicator links to the cases behind it (by number, never
the person a case is about: the case page decides who sees that), each project shows its
maximum and the share of it won, an indicator that is not evaluated is "—" on every page, in
the export and on the command line, the points still at risk are listed with their deadlines
(on the score page and the overview), the subjects of a subtree are indented as a tree, the
report forms say how many lines each would hold; and a manager's notification centre (and its
bell) lists the overdue stages his digest escalates, counted by the same rule.

The world is tests/support/registers_world.py's, on 15 December 2026 (a working day): the agency GOV,
its akimats AK (officer aida; its education department AK-EDU) and OTHER (officer ruslan), the
agency's manager bolat; AK's offence notices ("=cmd" of 2026, one of 2025, one cancelled),
OTHER's notice, AK's breaches of restrictions, its reconciliation act, social order, ethics
and outreach records."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date

from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.registers_world import (  # noqa: F401  (the `web` and `world` fixtures)
    REG,
    web_fixture,
    world_fixture,
)
from tests.support.web_helpers import CALENDAR
from tests.support.web_helpers import page_in as get
from workflow import services as svc
from workflow.reminders import planner
from workflow.storage.models import Case

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans

TODAY = date(2026, 12, 15)
PERSONS = ("=cmd", "Old Offender 2025", "Other Org Offender", "Mistaken Entry",
           "Supervisor Bekov", "Gift Taker", "Side Worker")


def ids_by_person(web, process: str) -> dict[str, int]:
    with Session(web.engine) as s:
        return {c.person_name: c.id for c in s.exec(select(Case).where(Case.process == process))}


def row(page: str, key: str) -> str:
    """An indicator's row of a subject's page."""
    return page.split(f'data-indicator="{key}"', 1)[1].split("</tr>", 1)[0]


def linked(page: str, key: str) -> set[int]:
    return {int(n) for n in re.findall(r'<li data-case="(\d+)"', row(page, key))}


def test_an_indicator_links_to_the_cases_it_counted_by_number_only(web):
    notices = ids_by_person(web, "offence_notice")
    breaches = ids_by_person(web, "restriction_breach")
    page = get(web, "aida", "/score/AK?year=2026&project=2")
    # 2.1.1 counts the year's notices of AK: this year's, not 2025's nor the other akimat's
    got = linked(page, "2.1.1")
    assert notices["=cmd"] in got
    assert notices["Old Offender 2025"] not in got and notices["Other Org Offender"] not in got
    assert f'href="/cases/{notices["=cmd"]}"' in row(page, "2.1.1")
    # a breach counts for its restriction's indicator, linked from there
    assert any(breaches["Gift Taker"] in linked(page, k) for k in re.findall(
        r'data-indicator="([^"]+)"', page))
    # the link says the case's number and its status, never the person
    for login in ("aida", "bolat"):
        shown = get(web, login, "/score/AK?year=2026")
        assert not any(html.escape(p) in shown or p in shown for p in PERSONS), login
    # the case page still decides: the other akimat's officer is refused AK's scorecard
    assert web.browser("ruslan").get("/score/AK?year=2026").status_code == 404


def test_project_one_links_its_analyses_and_the_coverage_rows(web):
    with Session(web.engine) as s:
        analysis = s.exec(select(Case).where(Case.process == "internal_risk_analysis")).first()
    page = get(web, "aida", "/score/AK?year=2026&project=1")
    assert analysis is not None and analysis.id in linked(page, "1.3.3")
    assert 'href="/coverage?org=AK&amp;year=2026"' in row(page, "1.3.3") or \
        'href="/coverage?org=AK&year=2026"' in row(page, "1.3.3")


def test_each_project_has_its_maximum_and_share_and_not_evaluated_is_a_dash(web):
    page = get(web, "bolat", "/score/GOV?year=2026")
    projects = re.findall(r'<tr data-project="(\d)">(.*?)</tr>', page, re.S)
    assert [n for n, _ in projects] == ["1", "2", "3", "4"]
    for _n, cells in projects:
        maximum = re.search(r'data-maximum="([^"]*)"', cells).group(1)
        percent = re.search(r'data-percent="([^"]*)"', cells).group(1)
        assert maximum == "—" or float(maximum.replace(",", ".")) > 0, cells
        assert percent == "—" or percent.endswith(" %"), cells
    # project No. 1 of a central body: 30 for 1.3.3 among its maxima
    p1_max = float(re.search(r'data-maximum="([^"]*)"', projects[0][1]).group(1))
    assert p1_max >= 30
    # 1.5.1 (the cartogram) does not apply to a central body: "—" for points and maximum
    assert 'data-points="—"' in row(page, "1.5.1") and 'data-maximum="—"' in row(page, "1.5.1")
    assert 'data-points="0"' not in row(page, "1.5.1")
    # the same "—" in the subtree's table, its CSV and on the command line
    tree = get(web, "bolat", "/score?org=GOV&year=2026")
    cell = re.search(r'<tr data-subject="GOV">.*?data-key="1.5.1"[^>]*>([^<]*)<', tree, re.S)
    assert cell is not None and cell.group(1) == "—"
    r = web.browser("bolat").get("/score.csv?org=GOV&year=2026&project=1")
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    column = next(i for i, h in enumerate(rows[0]) if h.startswith("1.5.1"))
    assert next(x for x in rows[1:] if x[0] == "GOV")[column] == "—"
    # the XLSX's number columns hold numbers: the cell not evaluated is empty, not "—"
    r = web.browser("bolat").get("/score.xlsx?org=GOV&year=2026&project=1")
    _gov_not_evaluated_is_empty(io.BytesIO(r.content))


def _gov_not_evaluated_is_empty(xlsx) -> None:
    """In the score XLSX `xlsx` (a path or a file), GOV's cell of 1.5.1 (not evaluated) is
    empty, and no cell under the heading row holds "—"."""
    import openpyxl

    xrows = [[c.value for c in line] for line in openpyxl.load_workbook(xlsx).active.iter_rows()]
    header = next(i for i, x in enumerate(xrows) if x and x[0] and any(
        str(h or "").startswith("1.5.1") for h in x))
    column = next(i for i, h in enumerate(xrows[header]) if str(h or "").startswith("1.5.1"))
    gov = next(x for x in xrows[header + 1:] if x[0] == "GOV")
    assert gov[column] is None
    assert all(c != "—" for x in xrows[header + 1:] for c in x)


def test_the_command_line_shows_a_dash_for_not_evaluated(world):
    result = world["m"]("score", "GOV", "--year", "2026", today="2026-12-15")
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if "1.5.1" in ln)
    assert "—" in line
    # its XLSX as the page's: the number columns hold numbers, the cell not evaluated empty
    path = world["tmp"] / "score-gov.xlsx"
    result = world["m"]("score", "GOV", "--year", "2026", "--subtree", "--file", str(path),
                        today="2026-12-15")
    assert result.returncode == 0, result.stderr
    _gov_not_evaluated_is_empty(path)


def test_points_at_risk_are_listed_with_their_deadlines(web):
    page = get(web, "aida", "/score/AK?year=2026")
    risks = page.split('data-testid="score-risks"', 1)[1].split("</section>", 1)[0]
    found = re.findall(r'<li data-risk="([^"]+)" data-deadline="(\d{4}-\d\d-\d\d)"', risks)
    assert found, risks[:2000]
    # ranked by the points each is worth, then by deadline (overdue ones included)
    worth = re.findall(r'<li data-risk="[^"]+" data-deadline="(\d{4}-\d\d-\d\d)"'
                       r'(?: data-case="\d+")? data-points="([^"]+)"', risks)
    ranked = [(-float(p), d) for d, p in worth]
    assert ranked == sorted(ranked)
    # appendix 2's yearly information is due by the end of January of the next year (B-4):
    # its case is linked
    assert any(k.startswith("2.5.4") and d >= "2027-01-31" for k, d in found)
    report = re.search(r'data-risk="2.5.4[^"]*"[^>]*data-case="(\d+)"(.*?)</li>', risks)
    assert report is not None
    with Session(web.engine) as s:  # the risk names the stage still to be done
        case = s.get(Case, int(report.group(1)))
    definition = REG.loaded[case.process].definition
    stage = definition.stage_name(definition.scorecard.counted, "en")
    assert html.escape(stage) in report.group(2), (stage, report.group(2))
    # an indicator with nothing recorded yet is at risk until the year's end
    assert ("4.2.4", "2026-12-31") in found
    for p in PERSONS:
        assert p not in risks
    # the overview of the akimat lists them too, with a link to the whole list
    overview = get(web, "aida", "/overview?org=AK")
    part = overview.split('data-testid="score-risks"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<li data-risk="([^"]+)" data-deadline="(\d{4}-\d\d-\d\d)"',
                      part) == found[:10]
    assert 'href="/score/AK?year=2026"' in part


def test_subjects_are_indented_as_a_tree(web):
    tree = get(web, "bolat", "/score?org=GOV&year=2026")
    summary = tree.split('data-testid="score-summary"', 1)[1].split("</table>", 1)[0]
    depth = dict(re.findall(r'<tr data-subject="([^"]+)">\s*<td[^>]*data-depth="(\d)"',
                            summary))
    assert depth["GOV"] == "0" and depth["AK"] == "1" and depth["OTHER"] == "1"
    # sorted by a figure, the tree's order is gone and so is the indentation
    assert "data-depth" not in get(web, "bolat", "/score?org=GOV&year=2026&sort=total")


@needs("forms")  # the subject's page lists its report forms
def test_a_subjects_report_forms_count_their_lines(web):
    page = get(web, "aida", "/score/AK?year=2026")
    lines = dict(re.findall(r'<li data-form="(\d)" data-lines="(\d+)"', page))
    assert sorted(lines) == ["1", "2", "3", "4", "5", "6"]
    assert int(lines["2"]) >= 1  # AK's offence notice of 2026 is a line of appendix 2
    assert "line" in page.split('data-form="2"', 1)[1].split("</li>", 1)[0]


@needs("notices")  # the notification centre and its bell
def test_the_managers_centre_and_bell_hold_the_escalations_of_his_digest(web):
    ns = web.app.state.settings.notify
    ctx = svc.Context(CALENDAR, REG, TODAY, actor="test", language="en")
    with Session(web.engine) as s:
        digests = planner.preview(s, ctx, ns)
        bolat = svc.get_user(s, "bolat")
    escalated = {(ln.item.analysis_id, ln.item.stage_key) for d in digests
                 if d.recipient.id == bolat.id for ln in d.lines if ln.kind == "escalation"}
    assert escalated, "the world has overdue stages the agency's manager hears of"
    api = web.api("bolat").get("/api/v1/notifications?limit=200")
    assert api.status_code == 200
    items = api.json()["items"]
    assert {(i["case"], i["stage"]) for i in items if i["kind"] == "escalated"} == escalated
    page = get(web, "bolat", "/notifications")
    assert page.count('data-kind="escalated"') == min(len(escalated), 50)
    bell = re.search(r'data-testid="nav-notices-count">(\d+)', page)
    assert bell is not None and int(bell.group(1)) >= len(escalated)
    # an officer hears of her own overdue stages, not of escalations
    officer = web.api("aida").get("/api/v1/notifications?limit=200").json()["items"]
    assert not any(i["kind"] == "escalated" for i in officer)
