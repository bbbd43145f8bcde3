"""No oracle on a protected person, on SQLite and PostgreSQL: one who may not see the person of
a case (procedures.md, "Who may see a case about a person") cannot learn it by guessing — no
answer to opening a case (the API, the web form), importing a register file (the preview and
the confirm), or correcting a case (the API's PATCH, the web form) differs by whether a guessed
name is the stored one, and only those who see the person change it.

The world (tests/support/person_helpers.py): the demo plus four cases about a person in the
akimat's education department (AK-ALM-EDU), among them a whistleblower's protection whose
person only its responsible officer, Kairat, sees. Asel is an officer of the same department
who is not responsible for it; Erlan is the akimat's admin. Each of them tries the real name
(a hit) and a made-up one (a miss): the answers are the same but for the name each typed.
A hit is opened as a miss is; the whistleblower's case then shows it to Kairat, and to no one
else, as a possible repeat.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from tests.support.features import needs
from tests.support.import_helpers import but_kept
from tests.support.person_helpers import DEPT, PERSON, person_web
from tests.support.web_helpers import (
    Web,
    csrf_of,
    en,
    refusal_of,
    wd,
)
from workflow.storage.models import AuditRecord, Case

PROCESS = "whistleblower_protection"
REAL, REAL_POSITION = PERSON["wb"]
GUESS = "Guessed Person-Miss"
DATES = {"application_received": wd(-25).isoformat(), "reported": wd(-26).isoformat()}
PRYING = ["erlan", "asel"]  # the admin, an officer of the department not responsible for it
IMPORT = f"/registers/{PROCESS}/import"
TOKEN = re.compile(r'name="token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
REPEATS = 'data-testid="possible-repeats"'


@pytest.fixture(name="ow")
def oracle_world(web: Web, tmp_path) -> Iterator[Web]:
    """The demo and the four person cases on a fresh database (the tests open cases)."""
    yield person_web(web.engine, tmp_path, web.analyses, web.programmes, cache=False)


MOMENT = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:[\d.]+)?(\+00:00)?")


def same_but_name(a: str, b: str, typed_a: str, typed_b: str) -> bool:
    """Whether two answers are the same once each one's own typed name (and the moment it
    was written) is set aside."""
    return (MOMENT.sub("<at>", a.replace(typed_a, "<typed>"))
            == MOMENT.sub("<at>", b.replace(typed_b, "<typed>")))


def cases_of(w: Web) -> list[Case]:
    with Session(w.engine) as s:
        return list(s.exec(select(Case).where(Case.process == PROCESS)
                           .order_by(col(Case.id))).all())


def opened_payload(w: Web, case_id: int) -> dict:
    with Session(w.engine) as s:
        (row,) = s.exec(select(AuditRecord).where(AuditRecord.action == "case.open",
                                                  AuditRecord.entity_id == str(case_id))).all()
        return json.loads(row.payload)


def wb_page(w: Web, login: str) -> str:
    page = w.browser(login).get(f"/cases/{w.analyses['wb']}")
    assert page.status_code == 200
    return page.text


def shown_repeats(page: str) -> list[int]:
    if REPEATS not in page:
        return []
    part = page.split(REPEATS, 1)[1].split("</p>", 1)[0]
    return [int(x) for x in re.findall(r'href="/cases/(\d+)"', part)]


def check_flagged(w: Web, hit: int, miss: int) -> None:
    """The hit is put before the whistleblower's responsible officer, and no one else; the
    miss before no one."""
    assert shown_repeats(wb_page(w, "kairat")) == [hit]
    for login in ("asel", "erlan", "zhanna"):
        assert REPEATS not in wb_page(w, login), login
        for other in (hit, miss):
            page = w.browser(login).get(f"/cases/{other}").text
            assert REPEATS not in page and f'href="/cases/{w.analyses["wb"]}"' not in page
    assert opened_payload(w, hit).get("possible_repeat_of") == [w.analyses["wb"]]
    assert "possible_repeat_of" not in opened_payload(w, miss)


# -- opening ----------------------------------------------------------------------------------


@pytest.mark.parametrize("login", PRYING)
def test_the_api_opens_a_guessed_name_as_any_other(ow: Web, login: str):
    api = ow.api(login)
    answers = {}
    for name in (REAL, GUESS):
        r = api.post("/api/v1/cases", json={"process": PROCESS, "subject": DEPT,
                                            "person": name, "dates": DATES})
        answers[name] = r
    hit, miss = answers[REAL], answers[GUESS]
    assert hit.status_code == miss.status_code == 200, (hit.text, miss.text)
    body_hit, body_miss = hit.json(), miss.json()
    ids = body_hit.pop("id"), body_miss.pop("id")
    assert same_but_name(json.dumps(body_hit), json.dumps(body_miss), REAL, GUESS)
    check_flagged(ow, *ids)
    # Kairat, who sees the whistleblower's person, is refused naming his case, as a repeat is
    # named to whoever sees it; nothing is stored
    kairat = ow.api("kairat")  # (signed in first: the token is stored)
    before = ow.dump()
    r = kairat.post("/api/v1/cases", json={"process": PROCESS, "subject": DEPT,
                                           "person": REAL, "dates": DATES})
    assert r.status_code == 409 and r.json()["error"] == "rule.duplicate_case"
    assert f"#{ow.analyses['wb']}" in r.json()["message"]
    assert ow.dump() == before


@needs("planning")
@pytest.mark.parametrize("login", PRYING)
def test_the_open_a_case_form_opens_a_guessed_name_as_any_other(ow: Web, login: str):
    b = ow.browser(login)
    form = b.get(f"/cases/new/{PROCESS}").text
    answers = {}
    for name in (REAL, GUESS):
        r = b.post(f"/cases/new/{PROCESS}", data={
            "csrf": csrf_of(form), "subject": DEPT, "person": name, "position": "",
            **{f"date_{k}": v for k, v in DATES.items()}})
        answers[name] = r
    assert answers[REAL].status_code == answers[GUESS].status_code == 303
    hit, miss = (int(answers[n].headers["location"].rsplit("/", 1)[1]) for n in (REAL, GUESS))
    pages = [b.get(f"/cases/{cid}").text for cid in (hit, miss)]
    shown = [p.split("<main", 1)[1].split("</main>", 1)[0] for p in pages]
    a, b_ = (KEY.sub("", s_.replace(f"#{cid}", "#N").replace(f"/{cid}", "/N"))
             for s_, cid in ((shown[0], hit), (shown[1], miss)))
    assert same_but_name(a, b_, REAL, GUESS)
    check_flagged(ow, hit, miss)


# -- the web import --------------------------------------------------------------------------


def upload(b, data: bytes):
    form = b.get(IMPORT).text
    return b.post(IMPORT, data={"csrf": csrf_of(form),
                                "idempotency_key": KEY.search(form).group(1)},
                  files={"file": ("people.csv", data)})


def confirm(b, page: str):
    return b.post(f"{IMPORT}/confirm", data={"csrf": csrf_of(page),
                                             "token": TOKEN.search(page).group(1)})


def file_of(name: str) -> bytes:
    head = "subject,person,application_received,reported"
    row = f"{DEPT},{name},{DATES['application_received']},{DATES['reported']}"
    return f"{head}\n{row}\n".encode()


def preview_part(page: str) -> str:
    """The preview's own words: the verdict and the rows, without the form's tokens (nor the
    numbers of the entries just opened, in the link to them: each import's own)."""
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    main = re.sub(r"\?cases=[0-9,-]+", "?cases=N", main)
    return re.sub(r'value="[^"]*"', 'value=""', main)


@pytest.mark.parametrize("login", PRYING)
def test_the_import_previews_and_confirms_a_guessed_name_as_any_other(ow: Web, login: str):
    b = ow.browser(login)
    known = {c.id for c in cases_of(ow)}
    before = ow.dump()
    previews = {name: upload(b, file_of(name)) for name in (REAL, GUESS)}
    assert previews[REAL].status_code == previews[GUESS].status_code == 200
    assert same_but_name(preview_part(previews[REAL].text), preview_part(previews[GUESS].text),
                         REAL, GUESS)
    assert "already has" not in previews[REAL].text and 'data-row="' not in previews[REAL].text
    assert but_kept(ow.dump()) == but_kept(before)  # a preview stores nothing but the files
    done = {name: confirm(b, previews[name].text) for name in (REAL, GUESS)}
    assert done[REAL].status_code == done[GUESS].status_code == 200
    assert same_but_name(preview_part(done[REAL].text), preview_part(done[GUESS].text),
                         REAL, GUESS)
    new = {c.person_name: c.id for c in cases_of(ow) if c.id not in known}
    assert set(new) == {REAL, GUESS}
    check_flagged(ow, new[REAL], new[GUESS])


# -- correcting -------------------------------------------------------------------------------


@pytest.mark.parametrize("login", PRYING)
def test_a_patch_of_the_person_is_refused_alike_whatever_the_name(ow: Web, login: str):
    api = ow.api(login)
    wb = ow.analyses["wb"]
    before = ow.dump()
    answers = []
    for change in ({"person": REAL}, {"person": GUESS}, {"position": REAL_POSITION},
                   {"position": "Guessed position"}, {"person": ""}):
        r = api.patch(f"/api/v1/cases/{wb}", json={**change, "reason": "Typo in the name"})
        answers.append((r.status_code, r.json()))
    assert {code for code, _ in answers} == {409}
    assert all(err == answers[0][1] for _, err in answers), answers
    assert answers[0][1]["error"] == "rule.edit_person_hidden"
    assert answers[0][1]["message"] == en("rule.edit_person_hidden", id=wb)
    assert ow.dump() == before  # nothing stored, the name least of all
    # who sees it corrects it
    kairat = ow.api("kairat")
    ok = kairat.patch(f"/api/v1/cases/{wb}", json={"person": "Madina Corrected-WB",
                                                    "reason": "Typo in the name"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["person"]["name"] == "Madina Corrected-WB"


@pytest.mark.parametrize("login", PRYING)
def test_the_edit_form_refuses_the_person_alike_whatever_the_name(ow: Web, login: str):
    b = ow.browser(login)
    wb = ow.analyses["wb"]
    page = b.get(f"/cases/{wb}").text
    assert 'data-testid="edit-form"' not in page  # no form offers what she may not see
    before = ow.dump()
    answers = []
    for name in (REAL, GUESS):
        r = b.post(f"/cases/{wb}/edit", data={
            "csrf": csrf_of(page), "person": name, "position": "", "reason": "Typo",
            **{f"date_{k}": v for k, v in DATES.items()}})
        answers.append((r.status_code, refusal_of(r.text)))
    assert answers[0] == answers[1] == (409, en("rule.edit_person_hidden", id=wb))
    assert REAL not in b.post(f"/cases/{wb}/edit", data={
        "csrf": csrf_of(page), "person": REAL, "reason": "Typo"}).text
    assert ow.dump() == before
