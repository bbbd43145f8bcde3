"""The manager's overview through the real application on both backends: the
figures of every chart equal counts computed here straight from the stage rows (overdue by
organisation, on-time rate, twelve months of lateness, a month's deadlines), the bars drill
down, a viewer never sees another subtree, bad input is a clear 422 in the reader's language,
and the case page's Gantt names every stage in full with a month axis, a legend and today.
The demo for TODAY (19 November 2025), read only."""

from __future__ import annotations

import html
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col, select

from tests.support.features import needs
from tests.support.web_helpers import (  # noqa: F401  (fixtures)
    AK_CODES,
    CALENDAR,
    MF_CODES,
    MF_NAMES,
    TODAY,
    Web,
    refusal_of,
)
from workflow.storage.models import Case, Organisation, Stage

BAR = re.compile(r'<a href="([^"]*)" aria-label="([^"]*)" data-org="([^"]+)" '
                 r'data-value="(\d+)">')
RATE_ROW = re.compile(r'<tr data-org="([^"]+)">(.*?)</tr>', re.S)
NUM = re.compile(r'<td class="num"[^>]*>(\d+)(?: %)?</td>')
TREND_ROW = re.compile(r'<tr data-month="(\d{4}-\d\d)">(.*?)</tr>', re.S)
TREND_CELL = re.compile(r'data-kind="(\w+)" data-bucket="(\w+)">(\d+)</td>')
TREND_BAR = re.compile(r'<g data-kind="(\w+)" data-total="(\d+)">')
DAY = re.compile(r'<td class="[^"]*" data-day="([\d-]+)" data-n="(\d+)">')
RAW_KEY = re.compile(r"\b(?:overview|gantt|obligations_page|status|weekday)\.[a-z_0-9]+\b")
MANAGERS = {"nurlan": "AK-ALM", "gulnar": "MF"}


def part(page: str, testid: str, end: str = "</section>") -> str:
    """The HTML from the element with this data-testid to the next `end`."""
    start = page.index(f'data-testid="{testid}"')
    return page[start:page.index(end, start)]


# -- the figures, computed from the rows -------------------------------------------------------


def rows(w: Web) -> tuple[list[tuple], dict[str, Organisation]]:
    """(status, due, done on, subject code) of every stage of a case; organisations by code."""
    with Session(w.engine) as s:
        found = s.exec(select(Stage, Organisation).join(Case, Case.id == Stage.case_id)
                       .join(Organisation, Organisation.id == Stage.subject_id)).all()
        orgs = {o.code: o for o in s.exec(select(Organisation))}
    return [(st.status, st.due_date, st.done_on, org.code) for st, org in found], orgs


def under(scope: str, code: str, orgs: dict[str, Organisation]) -> str | None:
    """The scope itself or its direct subordinate that `code` belongs to, walking up the
    parents (None: outside the scope's tree)."""
    by_id = {o.id: o for o in orgs.values()}
    org = orgs[code]
    while org is not None:
        if org.code == scope:
            return scope
        parent = by_id.get(org.parent_id)
        if parent is not None and parent.code == scope:
            return org.code
        org = parent
    return None


def first_of_window() -> date:
    """1 December 2024: the first day of the twelve months ending with November 2025."""
    month = TODAY.month - 11
    return date(TODAY.year - (month <= 0), month + 12 * (month <= 0), 1)


def late_days(due: date, end: date) -> int:
    return max(1, CALENDAR.get_working_days_delta(due, end))


def bucket(days: int) -> str:
    return "b1" if days <= 5 else "b2" if days <= 20 else "b3"


def expected_overdue(w: Web, scope: str) -> Counter:
    stages, orgs = rows(w)
    return Counter(under(scope, code, orgs) for status, due, _done, code in stages
                   if status == "open" and due is not None and due < TODAY
                   and under(scope, code, orgs))


# -- home and the overdue chart -----------------------------------------------------------------


@pytest.mark.parametrize("login", ["nurlan", "gulnar", "erlan"])
def test_managers_and_admins_land_on_the_overview(world: Web, login: str):
    r = world.browser(login).get("/")
    assert r.status_code == 303 and r.headers["location"] == "/overview"


def test_an_officer_does_not_land_on_the_overview(world: Web):
    r = world.browser("asel").get("/")
    assert r.status_code == 303 and r.headers["location"] != "/overview"


@needs("planning")
@pytest.mark.parametrize("login", sorted(MANAGERS))
def test_overdue_bars_are_the_overdue_stages_of_each_subordinate(world: Web, login: str):
    scope = MANAGERS[login]
    page = world.browser(login).get("/overview")
    assert page.status_code == 200
    chart = part(page.text, "overdue-chart", "</svg>")
    bars = {code: int(value) for _href, _label, code, value in BAR.findall(chart)}
    expected = expected_overdue(world, scope)
    assert bars == dict(expected)
    assert sum(expected.values()) > 0  # not vacuous: the demo has overdue stages in both trees
    total = int(re.search(r'data-testid="overdue-by-org-total">(\d+)<', page.text).group(1))
    listed = world.browser(login).get("/overdue").text
    assert total == sum(bars.values()) == int(
        re.search(r'data-testid="overdue-total">(\d+)<', listed).group(1))
    # the text alternative: a title and a description naming each bar with its figure, and the
    # data table with the same figures
    assert '<title id="ov-overdue-title">Overdue stages by organisation</title>' in chart
    desc = html.unescape(re.search(r'<desc id="ov-overdue-desc">(.*?)</desc>', chart, re.S)
                         .group(1))
    assert desc.startswith(f"{total} overdue stage")
    for _href, label, _code, value in BAR.findall(chart):
        name = html.unescape(label).rsplit(": ", 1)[0]
        assert f"{name}: {value}." in desc
    table = part(page.text, "overdue-table", "</table>")
    assert [int(n) for n in NUM.findall(table)] == list(bars.values())


@needs("planning")
def test_bars_drill_down(world: Web):
    b = world.browser("nurlan")
    chart = part(b.get("/overview").text, "overdue-chart", "</svg>")
    links = {code: html.unescape(href) for href, _l, code, _v in BAR.findall(chart)}
    _stages, orgs = rows(world)
    has_children = {o.code for o in orgs.values()
                    if any(c.parent_id == o.id for c in orgs.values())}
    for code, href in links.items():
        if code in has_children and code != "AK-ALM":
            assert href == f"/overview?org={code}"
        else:
            assert href == f"/overdue?org={code}"
    assert links["AK-ALM-ILE"] == "/overview?org=AK-ALM-ILE"  # the district has a department
    assert links["AK-ALM-EDU"] == "/overdue?org=AK-ALM-EDU"
    # the district's overview splits its bar among itself and its department
    inner = part(b.get(links["AK-ALM-ILE"]).text, "overdue-chart", "</svg>")
    values = {code: int(v) for _h, _l, code, v in BAR.findall(inner)}
    assert values == dict(expected_overdue(world, "AK-ALM-ILE"))
    whole = {code: int(v) for _h, _l, code, v in BAR.findall(chart)}
    assert sum(values.values()) == whole["AK-ALM-ILE"]
    # a leaf's list shows that organisation's overdue stages, as many as its bar says
    listed = b.get(links["AK-ALM-EDU"]).text
    assert int(re.search(r'data-testid="overdue-total">(\d+)<', listed).group(1)) == \
        whole["AK-ALM-EDU"]


# -- on-time rate, lateness by month, the month's deadlines ----------------------------------------


@needs("planning")
@pytest.mark.parametrize("login", sorted(MANAGERS))
def test_on_time_rate_is_done_on_time_over_done_in_twelve_months(world: Web, login: str):
    scope = MANAGERS[login]
    stages, orgs = rows(world)
    done, on_time = Counter(), Counter()
    for status, _due, done_on, code in stages:
        child = under(scope, code, orgs)
        if child and status in ("done_on_time", "done_late") \
                and first_of_window() <= done_on <= TODAY:
            done[child] += 1
            on_time[child] += status == "done_on_time"
    page = world.browser(login).get("/overview").text
    assert done, "the demo has stages done in the last twelve months"
    table = part(page, "rate-table", "</table>")
    got = {code: [int(n) for n in NUM.findall(cells)] for code, cells in RATE_ROW.findall(table)}
    assert got == {code: [on_time[code], done[code], round(100 * on_time[code] / done[code])]
                   for code in done}
    chart = part(page, "rate-chart", "</svg>")
    bars = dict(re.findall(r'<g data-org="([^"]+)" data-value="(\d+)">', chart))
    assert {k: int(v) for k, v in bars.items()} == {k: v[2] for k, v in got.items()}
    assert "since 2024-12-01" in page


@needs("planning")
def test_on_time_rate_counts_the_twelve_months_only(web: Web):
    """A stage done on 30 November 2024 is out of the rate; one done on 1 December 2024 in."""
    def edu_rate() -> list[int]:
        page = web.browser("nurlan").get("/overview").text
        found = dict(RATE_ROW.findall(part(page, "rate-table", "</table>")))
        return [int(n) for n in NUM.findall(found.get("AK-ALM-EDU", ""))]

    on_time, done, _rate = edu_rate()
    with Session(web.engine) as s:
        edu = s.exec(select(Organisation).where(Organisation.code == "AK-ALM-EDU")).one()
        stages = s.exec(select(Stage).join(Case, Case.id == Stage.case_id)
                        .where(Stage.subject_id == edu.id, Stage.status == "done_on_time")
                        .order_by(Stage.id)).all()
        assert len(stages) >= 2
        for stage, day in ((stages[0], first_of_window() - timedelta(days=1)),
                           (stages[1], first_of_window())):  # a direct write (no audit record)
            s.execute(update(Stage).where(col(Stage.id) == stage.id).values(done_on=day))
        s.commit()
    assert edu_rate() == [on_time - 1, done - 1, round(100 * (on_time - 1) / (done - 1))]


@needs("planning")
@pytest.mark.parametrize("login", sorted(MANAGERS))
def test_trend_counts_late_stages_by_due_month_and_lateness(world: Web, login: str):
    scope = MANAGERS[login]
    stages, orgs = rows(world)
    expected: Counter = Counter()
    for status, due, done_on, code in stages:
        if not under(scope, code, orgs) or due is None or not first_of_window() <= due < TODAY:
            continue
        month = due.isoformat()[:7]
        if status == "open":
            expected[(month, "overdue", bucket(late_days(due, TODAY)))] += 1
        elif status == "done_late":
            expected[(month, "done_late", bucket(late_days(due, done_on)))] += 1
    page = world.browser(login).get("/overview").text
    table = part(page, "trend-table", "</table>")
    months = TREND_ROW.findall(table)
    assert [m for m, _cells in months] == [
        f"{(first_of_window() + timedelta(days=31 * i)).isoformat()[:7]}" for i in range(12)]
    got = Counter({(m, kind, b): int(n) for m, cells in months
                   for kind, b, n in TREND_CELL.findall(cells) if int(n)})
    assert got == expected
    assert sum(expected.values()) > 0
    # the columns of the chart carry the same totals
    chart = part(page, "trend-chart", "</svg>")
    for m, _cells in months:
        block = chart[chart.index(f'data-month="{m}"'):]
        totals = dict(TREND_BAR.findall(block)[:2])
        for kind in ("done_late", "overdue"):
            assert int(totals[kind]) == sum(n for (mm, k, _b), n in expected.items()
                                            if mm == m and k == kind), (m, kind)


@pytest.mark.parametrize("month", [None, "2025-12", "2025-10"])
def test_month_calendar_counts_open_stages_due_each_day(world: Web, month: str | None):
    stages, orgs = rows(world)
    first = date.fromisoformat(f"{month or TODAY.isoformat()[:7]}-01")
    expected = Counter(due for status, due, _d, code in stages
                       if status == "open" and due is not None and under("AK-ALM", code, orgs)
                       and (due.year, due.month) == (first.year, first.month))
    b = world.browser("nurlan")
    page = b.get("/overview" + (f"?month={month}" if month else "")).text
    grid = part(page, "month-grid", "</table>")
    days = {date.fromisoformat(d): int(n) for d, n in DAY.findall(grid)}
    assert sorted(days) == [first + timedelta(days=i) for i in range(len(days))]
    assert len(days) in (28, 29, 30, 31)
    assert {d: n for d, n in days.items() if n} == dict(expected)
    prev_month = (first - timedelta(days=1)).isoformat()[:7]
    next_month = (first + timedelta(days=31)).isoformat()[:7]
    assert f'href="/overview?month={prev_month}"' in page
    assert f'href="/overview?month={next_month}"' in page
    # a day's count opens that day's stages
    for day, n in expected.items():
        link = f"/overview?org=AK-ALM&amp;month={first.isoformat()[:7]}&amp;day={day}#day"
        assert link in grid
        listed = b.get(html.unescape(link).split("#")[0]).text
        day_list = listed[listed.index('data-testid="day-list"'):]
        assert len(re.findall(r'<a href="/cases/\d+">', day_list)) == n, (day, n)


def test_month_calendar_of_a_month_with_no_deadline_is_empty_not_an_error(world: Web):
    page = world.browser("nurlan").get("/overview?month=2030-01")
    assert page.status_code == 200
    assert set(n for _d, n in DAY.findall(page.text)) == {"0"}


# -- who sees what -----------------------------------------------------------------------------------


@pytest.mark.parametrize("login,foreign", [("nurlan", MF_CODES), ("gulnar", AK_CODES),
                                           ("erlan", MF_CODES), ("dana", MF_CODES)])
def test_another_subtree_never_appears(world: Web, login: str, foreign: frozenset[str]):
    b = world.browser(login)
    for url in ("/overview", "/overview?month=2025-12", "/overview?month=2025-10"):
        page = b.get(url).text
        shown = set(re.findall(r'data-org="([^"]+)"', page)) | set(
            re.findall(r"org=([A-Z-]+)", html.unescape(page)))
        assert shown and not shown & foreign, (login, url, shown & foreign)
        if login in ("nurlan", "erlan"):
            assert not [n for n in MF_NAMES if html.escape(n) in page or n in page], url


@pytest.mark.parametrize("login,hidden", [("nurlan", "MF-KGD"), ("gulnar", "AK-ALM-EDU"),
                                          ("asel", "AK-ALM"), ("asel", "AK-ALM-HLTH")])
def test_an_organisation_outside_is_the_404_of_one_that_does_not_exist(world: Web, login: str,
                                                                       hidden: str):
    b = world.browser(login)
    refused, missing = b.get(f"/overview?org={hidden}"), b.get("/overview?org=NO-SUCH-ORG")
    assert refused.status_code == missing.status_code == 404
    assert refused.text == missing.text.replace("NO-SUCH-ORG", hidden)


@needs("planning")
def test_an_officer_sees_her_own_organisation_only(world: Web):
    page = world.browser("asel").get("/overview").text
    assert set(re.findall(r'data-org="([^"]+)"', page)) == {"AK-ALM-EDU"}
    bars = {code: int(v) for _h, _l, code, v in BAR.findall(part(page, "overdue-chart",
                                                                 "</svg>"))}
    assert bars == dict(expected_overdue(world, "AK-ALM-EDU"))


def test_anonymous_goes_to_login(world: Web):
    r = world.client().get("/overview?month=2025-12")
    assert r.status_code == 303
    assert r.headers["location"] == "/login?next=/overview%3Fmonth%3D2025-12"


# -- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("query,lang,message", [
    ("month=2025-13", "en", "The month is written YYYY-MM, for example 2025-11; got “2025-13”."),
    ("month=november", "ru",
     "Месяц указывается в виде ГГГГ-ММ, например 2025-11; получено: «november»."),
    ("month=2025-1-1", "kk", "Ай ЖЖЖЖ-АА түрінде жазылады, мысалы 2025-11; берілгені: «2025-1-1»."),
    ("month=1900-01", "en", "1900"),
    ("month=2025-12&day=2025-11-20", "en",
     "The day 2025-11-20 is not in the month shown (December 2025)."),
    ("month=2025-12&day=2025-12-32", "ru", "2025-12-32"),
])
def test_bad_month_or_day_is_a_clear_422(world: Web, query: str, lang: str, message: str):
    b = world.browser("nurlan")
    b.cookies.set("merzim_lang", lang)
    try:
        before = world.dump()
        r = b.get(f"/overview?{query}")
        assert r.status_code == 422, r.text[:300]
        assert "Traceback" not in r.text
        shown = refusal_of(r.text) or r.text
        assert message in shown, shown[:500]
        assert world.dump() == before
    finally:
        b.cookies.set("merzim_lang", "en")


# -- words ---------------------------------------------------------------------------------------------


def ru_form(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


@needs("planning")
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_overview_in_kazakh_and_russian_shows_no_raw_key(world: Web, lang: str):
    b = world.browser("nurlan")
    b.cookies.set("merzim_lang", lang)
    try:
        for url in ("/overview", "/overview?month=2025-12&day=2025-12-03"):
            page = b.get(url).text
            text = re.sub(r"<[^>]+>", " ", page)
            assert not RAW_KEY.findall(text), (url, RAW_KEY.findall(text))
        page = b.get("/overview").text
        total = int(re.search(r'data-testid="overdue-by-org-total">(\d+)<', page).group(1))
        desc = re.search(r'<desc id="ov-overdue-desc">(.*?);', page).group(1)
        if lang == "ru":
            word = ru_form(total, "просроченный этап", "просроченных этапа", "просроченных этапов")
            assert desc == f"Всего {total} {word}"
            assert "Просроченные этапы по организациям" in page
        else:
            assert desc == f"Барлығы мерзімі өткен {total} кезең"
            assert "Ұйымдар бойынша мерзімі өткен кезеңдер" in page
    finally:
        b.cookies.set("merzim_lang", "en")


# -- the Gantt of a case ---------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "kk", "ru"])
def test_case_gantt_has_axis_legend_today_and_full_names(world: Web, lang: str):
    b = world.browser("asel")
    b.cookies.set("merzim_lang", lang)
    try:
        page = b.get(f"/cases/{world.analyses['edu']}").text
    finally:
        b.cookies.set("merzim_lang", "en")
    svg = part(page, "gantt-chart", "</svg>")
    names = dict(re.findall(r'<tr data-stage="([^"]+)"[^>]*>\s*<td[^>]*>([^<]*)</td>', page))
    assert len(names) >= 8
    for key, name in names.items():
        group = svg[svg.index(f'<g data-stage="{key}"'):]
        label = re.search(r"<text [^>]*>(.*?)</text>", group, re.S).group(1)
        lines = re.findall(r"<tspan[^>]*>([^<]*)</tspan>", label)
        assert " ".join(lines) == name, (key, lines, name)
    assert any(len(html.unescape(n)) > 38 for n in names.values())
    months = re.findall(r'data-month="(\d{4}-\d\d)">([^<]+)</text>', svg)
    assert len(months) >= 2 and any("2025" in label for _m, label in months), months
    today = re.search(r'data-testid="gantt-today">.*?<text[^>]*>([^<]+)</text>', svg, re.S)
    assert today.group(1) == {"en": "Today, 2025-11-19", "kk": "Бүгін, 19.11.2025",
                              "ru": "Сегодня, 19.11.2025"}[lang]
    legend = part(page, "gantt-legend", "</ul>")
    # nine items on a desktop (the phone's own due/done marks are extra items it shows instead)
    assert legend.count("<li>") + legend.count('<li class="gantt-wide-mark">') >= 9
    assert '<title id="gantt-title">' in svg and '<desc id="gantt-desc">' in svg
    text = re.sub(r"<[^>]+>", " ", page)
    if lang != "en":
        assert not RAW_KEY.findall(text), RAW_KEY.findall(text)
