"""A page per register (GET /registers/KEY), their index grouped by project (GET /registers) and
the picker of what to open (GET /cases/new): the register's own columns labelled in the
reader's language, the person only for those who may see her, its own filters (derived from
its fields' types, "expires within N days" for a certificate), one "New entry", its report form
and its points for the year; and a register opened only for the kinds of organisation it
applies to (`[process] applies_to`), refused elsewhere with nothing stored (web, API).

The world is tests/support/registers_world.py's, with a quasi-state entity QS under the agency and its
two ISO 37001 certificates (one expiring within a month of the world's day, 2026-12-15)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from sqlmodel import Session, select

from tests.support.features import needs
from tests.support.registers_world import (  # noqa: F401  (the `world` fixture)
    D2026,
    REG,
    _ok,
    choice,
    name,
    web_over,
    world_fixture,
)
from tests.support.web_helpers import Web, csrf_of
from web.kit.registers import project_of
from workflow.core.collation import sort_key
from workflow.storage.models import Case

# a register is a definition whose `[scorecard]` table names an indicator of projects No. 2-4
# (web/kit/registers.py): without the scorecard there is no register page
pytestmark = needs("scorecard")

ISO = "iso37001_certificate"


@pytest.fixture(scope="module", name="web")
def web_fixture(world):
    """The registers world, with a quasi-state entity and its certificates, on the web."""
    m = world["m"]
    _ok(m("org", "add", "QS", "--name", "Qazaq Holding", "--name-kk", "Qazaq Holding",
          "--name-ru", "Qazaq Holding", "--kind", "quasi_state", "--parent", "GOV",
          today=D2026))
    for number, issued, expires in (("KZ-SOON", "2024-01-10", "2027-01-09"),
                                    ("KZ-LATER", "2025-06-01", "2028-05-31")):
        _ok(m("case", "open", ISO, "--subject", "QS", "--field",
              f"certificate_number={number}", "--date", f"issued={issued}", "--date",
              f"expires={expires}", "--json", today=D2026))
    yield from web_over(world)


def ids(web: Web, process: str, key: str = "person") -> dict[str, int]:
    """A register's cases by their person (or by a field's value)."""
    with Session(web.engine) as s:
        cases = s.exec(select(Case).where(Case.process == process)).all()
        return {(c.person_name if key == "person" else (c.fields or {}).get(key)): c.id
                for c in cases}


def listed(page: str) -> set[int]:
    return {int(n) for n in re.findall(r'data-case="(\d+)"', page)}


def get(web: Web, login: str, url: str, status: int = 200) -> str:
    r = web.browser(login).get(url)
    assert r.status_code == status, (url, r.status_code, r.text[:400])
    return html.unescape(r.text)


def section(page: str, testid: str) -> str:
    return page.split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]


# -- the index and the picker -----------------------------------------------------------------------


@needs("planning")
def test_the_registers_are_grouped_by_project_and_sorted_in_the_readers_language(web):
    page = get(web, "aida", "/registers")
    assert 'data-testid="nav-registers"' in page
    groups = re.findall(r'data-project="(\d)"', page)
    assert groups == ["2", "4"]  # an akimat's officer: project No. 3 is quasi-state entities'
    assert re.findall(r'data-project="(\d)"', get(web, "bolat", "/registers")) == ["2", "3", "4"]
    for lang in ("kk", "ru", "en"):
        b = web.client(lang=lang)
        web.post_login(b, "bolat")
        text = html.unescape(b.get("/registers").text)
        for number in (2, 3, 4):
            block = text.split(f'data-project="{number}"', 1)[1].split("</section>", 1)[0]
            keys = re.findall(r'href="/registers/(\w+)"', block)
            defs = [REG.get(k) for k in keys]
            assert keys and all(project_of(d) == number for d in defs)
            names = [d.name(lang) for d in defs]
            assert names == sorted(names, key=lambda n: sort_key(n, lang)), (lang, names)
            assert {d.key for d in REG.all() if project_of(d) == number} == set(keys)


@needs("planning")  # (the page's world plans its analyses)
def test_the_index_lists_only_the_registers_that_concern_the_readers_organisations(web):
    """An akimat's officer is shown the registers whose definitions apply to an akimat, and
    no quasi-state entity's (its certificate, its compliance regulation); a manager whose
    subtree holds a quasi-state entity is shown those too."""
    from web.kit.registers import applies_to, is_register

    for login in ("aida", "ruslan"):  # officers of akimats
        shown = set(re.findall(r'href="/registers/(\w+)"', get(web, login, "/registers")))
        assert shown == {d.key for d in REG.all() if is_register(d) and applies_to(d, "akimat")}
        assert ISO not in shown and "compliance_regulation" not in shown
    shown = set(re.findall(r'href="/registers/(\w+)"', get(web, "bolat", "/registers")))
    assert {ISO, "compliance_regulation", "offence_notice"} <= shown


@needs("planning")
def test_the_picker_offers_what_applies_to_the_officers_organisation(web):
    # the akimat's officer: the offence notice, not the quasi-state entity's certificate
    page = get(web, "aida", "/cases/new")
    offered = set(re.findall(r'href="/cases/new/(\w+)"', page))
    assert "offence_notice" in offered and "gift" in offered
    assert ISO not in offered and "compliance_regulation" not in offered
    assert "social_order" in offered  # a recurring obligation of akimats
    assert 'data-project="other"' in page  # the procedures and obligations, after the projects
    groups = re.findall(r'data-project="(\w+)"', page)
    assert groups == sorted(groups, key=lambda g: (g == "other", g))
    # one "New entry" on the cases list instead of a button per procedure
    cases = get(web, "aida", "/cases")
    assert cases.count('data-testid="new-entry"') == 1 and 'href="/cases/new"' in cases
    assert 'href="/cases/new/' not in cases
    # a manager opens nothing: no action, and the picker says so
    assert 'data-testid="new-entry"' not in get(web, "bolat", "/cases")
    assert 'href="/cases/new/' not in get(web, "bolat", "/cases/new")


# -- a register's page ------------------------------------------------------------------------------


@needs("planning")
def test_the_register_shows_its_own_columns_and_the_person_only_to_those_who_see_her(web):
    notices = ids(web, "offence_notice")
    page = get(web, "aida", "/registers/offence_notice")
    table = page.split('data-testid="register"', 1)[1]
    for key in ("category", "place", "damage"):
        assert f'<th scope="col" data-field="{key}">{name("offence_notice", key, "en")}' in table
    assert name("offence_notice", "detected", "en") in table
    assert name("offence_notice", "letter", "en") in table  # the counted stage's evidence
    row = table.split(f'data-case="{notices["=cmd"]}"', 1)[1].split("</tr>", 1)[0]
    assert "=cmd" in row and "Chief specialist" in row
    assert choice("offence_notice", "category", "criminal", "en") in row
    assert "Konaev" in row and "250\u00a0000" in row and "2026-03-10" in row
    assert "12-34/567" in row
    assert listed(page) == {notices["=cmd"], notices["Old Offender 2025"],
                            notices["Mistaken Entry"]}  # her organisation's only
    # the manager above: every organisation's, the persons hidden (and what names them)
    page = get(web, "bolat", "/registers/offence_notice")
    assert listed(page) == set(notices.values())
    for person in notices:
        assert person not in page
    row = page.split(f'data-case="{notices["=cmd"]}"', 1)[1].split("</tr>", 1)[0]
    assert "Konaev" in row and "12-34/567" not in row
    # a field that may name a person (the ERDR number) is hidden with the person
    assert "261234" in get(web, "aida", "/registers/manager_liability")
    page = get(web, "bolat", "/registers/manager_liability")
    assert "261234" not in page and "Supervisor Bekov" not in page
    # in Kazakh, the columns in Kazakh
    b = web.client(lang="kk")
    web.post_login(b, "aida")
    text = html.unescape(b.get("/registers/offence_notice").text)
    assert name("offence_notice", "damage", "kk") in text


@needs("planning")
def test_the_registers_filters_come_from_its_fields(web):
    breaches = ids(web, "restriction_breach")
    base = "/registers/restriction_breach"
    page = get(web, "aida", base)
    # the kind and "detected independently" are choices: selects of their choices' names
    assert 'data-testid="filter-f.kind"' in page
    assert 'data-testid="filter-f.detected_independently"' in page
    assert choice("restriction_breach", "kind", "reward_or_gift", "en") in page
    assert listed(get(web, "aida", f"{base}?f.kind=reward_or_gift")) == {breaches["Gift Taker"]}
    assert listed(get(web, "aida", f"{base}?f.detected_independently=no")) == {
        breaches["Side Worker"]}
    assert listed(get(web, "bolat", f"{base}?f.detected_independently=yes&org=AK")) == {
        breaches["Gift Taker"]}
    # the person: for those who see the persons
    assert 'data-testid="filter-person"' in page
    assert listed(get(web, "aida", f"{base}?person=gift")) == {breaches["Gift Taker"]}
    assert 'data-testid="filter-person"' not in get(web, "bolat", base)
    before = web.dump()
    refused = get(web, "bolat", f"{base}?person=Gift", 422)
    assert "Gift Taker" not in refused
    # bad input: refused in the reader's language, nothing stored
    assert "not-a-kind" in get(web, "aida", f"{base}?f.kind=not-a-kind", 422)
    get(web, "aida", f"{base}?year=abc", 422)
    get(web, "aida", f"{base}?page=0", 422)
    get(web, "aida", "/registers/gift", 404)  # a procedure, not a register
    get(web, "aida", "/registers/no_such_register", 404)
    get(web, "aida", "/registers/offence_notice?org=OTHER", 404)  # not hers
    assert web.dump() == before
    # no certificate, no expiry filter
    assert 'data-testid="filter-within"' not in page


@needs("planning")
def test_the_organisation_filter_takes_a_name_as_the_lists_do(web):
    """The manager types an organisation's name (any language, any case) instead of its code:
    the same entries; a part of names several: each offered; none of hers: her list, 404."""
    base = "/registers/offence_notice"
    by_code = listed(get(web, "bolat", f"{base}?org=OTHER"))
    for typed in ("Other akimat", "другой АКИМАТ", "Басқа әкімдік"):
        page = get(web, "bolat", f"{base}?org={typed}")
        assert listed(page) == by_code, typed
        assert 'data-testid="org-picked"' not in page
    several = get(web, "bolat", f"{base}?org=akimat")
    assert 'data-testid="org-picked"' in several
    assert {'data-code="AK"', 'data-code="OTHER"'} <= set(re.findall(r'data-code="[^"]+"',
                                                                      several))
    none = get(web, "bolat", f"{base}?org=No such akimat", 404)
    assert 'data-testid="org-picked"' in none
    assert listed(none) == listed(get(web, "bolat", base))
    # its export: the organisation named by its code
    export = re.search(r'href="(/cases\.csv\?[^"]+)"', get(web, "bolat", f"{base}?org=Other akimat"))
    assert export is not None and "org=OTHER" in export.group(1)


@needs("planning")
def test_expiry_within_n_days(web):
    certificates = ids(web, ISO, "certificate_number")
    url = f"/registers/{ISO}"
    page = get(web, "bolat", url)
    assert 'data-testid="filter-within"' in page
    assert listed(page) == set(certificates.values())
    assert listed(get(web, "bolat", f"{url}?within=30")) == {certificates["KZ-SOON"]}
    assert listed(get(web, "bolat", f"{url}?within=3660")) == set(certificates.values())
    assert listed(get(web, "bolat", f"{url}?within=0")) == set()
    soon = get(web, "bolat", f"{url}?within=30")
    # its export: the same entries (the expiry as a date range)
    export = re.search(r'href="(/cases\.csv\?[^"]+)"', soon)
    assert export is not None
    rows = web.browser("bolat").get(export.group(1)).content.decode("utf-8-sig").splitlines()
    assert [int(r.split(",")[0]) for r in rows[1:]] == [certificates["KZ-SOON"]]
    for bad in ("-1", "x", "99999"):
        get(web, "bolat", f"{url}?within={bad}", 422)


@needs("planning")
def test_new_entry_beside_the_list(web):
    page = get(web, "aida", "/registers/offence_notice")
    assert page.count('data-testid="new-entry"') == 1
    assert 'href="/cases/new/offence_notice"' in page
    # the manager: no action
    assert 'data-testid="new-entry"' not in get(web, "bolat", "/registers/offence_notice?org=OTHER")


@needs("planning")
@needs("forms")
def test_the_report_form_beside_the_list(web):
    form = section(get(web, "aida", "/registers/offence_notice"), "register-form")
    assert 'href="/forms/2.xlsx?org=AK&year=2026&lang=kk"' in form
    # a register no form is filled from
    assert 'href="/forms/' not in section(get(web, "aida", f"/registers/{ISO}"),
                                          "register-form")


@needs("planning")
def test_the_points_beside_the_list(web):
    page = get(web, "aida", "/registers/offence_notice")
    points = section(page, "register-points")
    # 2.1.1: AK's criminal notice of 2026 (the cancelled one and 2025's do not count): 5
    assert re.search(r'data-testid="points-2\.1\.1">5\b', points), points
    assert 'href="/score/AK?year=2026&project=2#indicator-2.1.1"' in points
    # a breach of a restriction feeds the indicator of its kind: 2.5.1 … 2.5.5
    points = section(get(web, "aida", "/registers/restriction_breach"), "register-points")
    assert set(re.findall(r'data-indicator="([\d.]+)"', points)) >= {"2.5.1", "2.5.2", "2.5.3"}
    # the manager: the points of the organisation filtered on
    page = get(web, "bolat", "/registers/offence_notice?org=OTHER")
    assert re.search(r'data-testid="points-2\.1\.1">5\b', section(page, "register-points"))


# -- applies_to -------------------------------------------------------------------------------------


def _iso_form(**extra: Any) -> dict[str, str]:
    return {"field_certificate_number": "KZ-AK", "date_issued": "2026-01-10",
            "date_expires": "2029-01-09", **extra}


@needs("planning")
def test_a_register_is_opened_only_for_the_kinds_it_applies_to(web):
    # the akimat's officer: not offered on the register's page, refused if she insists
    page = get(web, "aida", f"/registers/{ISO}")
    assert 'data-testid="new-entry"' not in page
    form = get(web, "aida", f"/cases/new/{ISO}")
    # the form says so before she types anything
    said = form.split('data-testid="not-for-kind">', 1)[1].split("</p>", 1)[0]
    assert said == (f"“{REG.get(ISO).name('en')}” applies to “quasi-state entity”, not to an "
                    "organisation of kind “regional akimat”.")
    assert 'data-testid="not-for-kind"' not in get(web, "aida", "/cases/new/offence_notice")
    api = web.api("aida")  # (its token made before the database is compared)
    before = web.dump()
    r = web.browser("aida").post(f"/cases/new/{ISO}", data={"csrf": csrf_of(form),
                                                            **_iso_form()})
    assert r.status_code == 409, r.text[:400]
    text = html.unescape(r.text)
    assert "applies to “quasi-state entity”, not to an organisation of kind “regional " \
           "akimat”" in text
    assert web.dump() == before
    # the API likewise
    body = {"process": ISO, "subject": "AK", "fields": {"certificate_number": "KZ-AK"},
            "dates": {"issued": "2026-01-10", "expires": "2029-01-09"}}
    r = api.post("/api/v1/cases", json=body)
    assert r.status_code == 409, r.text
    assert "quasi-state entity" in r.json()["message"]
    assert web.dump() == before
    # in Russian, the refusal in Russian
    b = web.client(lang="ru")
    web.post_login(b, "aida")
    form = b.get(f"/cases/new/{ISO}").text
    before = web.dump()  # (with her new session)
    r = b.post(f"/cases/new/{ISO}", data={"csrf": csrf_of(form), **_iso_form()})
    assert r.status_code == 409
    assert "относится к организациям видов" in html.unescape(r.text)
    assert web.dump() == before


@needs("planning")
def test_the_cases_list_of_one_register_has_its_own_columns_too(web):
    notices = ids(web, "offence_notice")
    for login in ("aida", "bolat"):
        page = get(web, login, "/cases?process=offence_notice")
        assert f'data-field="category">{name("offence_notice", "category", "en")}' in page
        row = page.split(f'data-case="{notices["=cmd"]}"', 1)[1].split("</tr>", 1)[0]
        assert "Konaev" in row and "250\u00a0000" in row and "2026-03-10" in row
        # a list names no person, nor what may name her: the register's page does, to her
        assert not any(person in page for person in notices) and "12-34/567" not in row
        assert 'href="/registers/offence_notice"' in page
    # without a process: the generic columns only
    assert 'data-field="category"' not in get(web, "aida", "/cases?q=")


def test_names_sort_in_the_readers_alphabet():
    def by(lang: str, names: list[str]) -> list[str]:
        return sorted(names, key=lambda n: sort_key(n, lang))

    # Kazakh: ә after а, і after ы, ө after о (code-point order puts them after я)
    assert by("kk", ["Бала", "Әкімдік", "Ауыл"]) == ["Ауыл", "Әкімдік", "Бала"]
    assert by("kk", ["Іс", "Ыдыс", "Оқу", "Өнер", "Пән"]) == ["Оқу", "Өнер", "Пән", "Ыдыс", "Іс"]
    # Russian: ё with е, a Kazakh letter beside the Russian one it is built on
    assert by("ru", ["Жук", "Ёж", "Ель"]) == ["Ель", "Ёж", "Жук"]
    assert by("ru", ["Лес", "Қала", "Кот"]) == ["Кот", "Қала", "Лес"]
    # case and quotes do not count; the reader's script first
    assert by("en", ["«zeta»", "Бета", "Alpha"]) == ["Alpha", "«zeta»", "Бета"]
    assert by("ru", ["Alpha", "бета"]) == ["бета", "Alpha"]
