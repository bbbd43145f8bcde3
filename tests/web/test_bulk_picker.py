"""The bulk bar hands the selected cases over to an officer typed by name: the page carries
a text field, never a list of every officer (the root's overdue page stays under 100 KB with
300 officers below it, and does not grow with them); as she types, GET /bulk/assignees
suggests the list's officers whom the text names (the reader's subtree, or the organisation
filtered on; an officer's own organisation) — never anyone outside. Without a script the
server finds the person typed: one of that name is handed the cases, several are offered to
choose (nothing changed until she does), none is refused in her language with nothing changed.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re

from sqlmodel import Session

from tests.support.features import needs
from tests.support.web_helpers import TODAY, Web, csrf_of, world_fixture  # noqa: F401
from workflow import services as svc
from workflow.storage.models import Case

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans

PAGE_LIMIT = 100_000  # bytes: the root's overdue page, whatever the number of officers
CHOICE = re.compile(r'<button type="submit" class="secondary" name="login" value="([^"]+)" '
                    r'data-testid="bulk-choice">([^<]*)</button>')
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def suggested(w: Web, login: str, query: str) -> set[str]:
    answer = w.browser(login).get(f"/bulk/assignees?{query}")
    assert answer.status_code == 200
    return {p["login"] for p in answer.json()}


def test_the_hand_over_suggests_the_lists_officers_whom_the_text_names(world: Web):
    page = world.browser("nurlan").get("/overdue").text  # the akimat's manager
    assert '<select name="login"' not in page  # no list of every officer
    assert re.search(r'<input name="login" list="bulk-assignees"[^>]*data-testid="bulk-assignee"',
                     page)
    found = world.browser("nurlan").get("/bulk/assignees?q=asel+nurp").json()
    assert found == [{"login": "asel", "name": "Asel Nurpeisova",
                      "org": found[0]["org"]}] and found[0]["org"]
    # every officer of his subtree whose name holds the letters, none of another tree
    assert suggested(world, "nurlan", "q=a") == {"asel", "marat", "saule", "timur"}
    assert suggested(world, "nurlan", "q=aigerim") == set()  # the ministry's officer
    assert suggested(world, "nurlan", "q=") == set()
    # filtered on the health department: its officers only
    assert suggested(world, "nurlan", "q=a&org=AK-ALM-HLTH") == {"marat"}
    # an officer hands over within her own organisation only
    assert suggested(world, "asel", "q=a") == {"asel"}
    assert suggested(world, "asel", "q=a&org=AK-ALM") == {"asel"}


def _officers(w: Web, people: dict[str, tuple[str, str]]) -> None:
    with Session(w.engine) as s:
        ctx = svc.Context(w.app.state.calendar, w.app.state.registry, TODAY, actor="test")
        for login, (name, org) in people.items():
            svc.add_user(s, ctx, login, name, "officer", org)
        s.commit()


def _post(b, items: list[str], **fields):
    csrf = csrf_of(b.get("/overdue").text)
    data = {"csrf": csrf, "action": "assign", "back": "/overdue", "item": items, **fields}
    return b.post("/bulk", data=data, files={"files": ("", b"")})


def _responsible(w: Web, case: int) -> int | None:
    with Session(w.engine) as s:
        return s.get(Case, case).responsible_id



def _kairat_and_two_dias(web: Web, second: str) -> None:
    """Three officers of the education department: Kairat Seitkali, Dias Omarov and another
    Dias Omarov, whose name is stored as `second`."""
    _officers(web, {"kairat": ("Kairat Seitkali", "AK-ALM-EDU"),
                    "dias": ("Dias Omarov", "AK-ALM-EDU"), "dias2": (second, "AK-ALM-EDU")})

def test_a_hand_over_by_typed_name_one_several_or_none(web: Web):
    edu = web.analyses["edu"]
    _kairat_and_two_dias(web, "Dias  Omarov")
    erlan = web.browser("erlan")
    item = [f"{edu}:analytic_note"]
    # nobody of that name: refused in her words, nothing changed
    before, since = web.dump(), web.last_audit()
    r = _post(erlan, item, login="Kairat Nobody")
    assert r.status_code == 422
    assert "No officer you may hand these cases to is called “Kairat Nobody”." in \
        html.unescape(r.text)
    assert web.dump() == before
    assert [a for _w, a, _p in web.audit_since(since)] == ["refused.bulk_assign"]
    # an officer of another tree is nobody here either
    r = _post(erlan, item, login="Aigerim Sadykova")
    assert r.status_code == 422 and web.dump() == before
    # several of that name: offered to choose, nothing changed
    r = _post(erlan, item, login="dias omarov")
    assert r.status_code == 409 and web.dump() == before
    assert 'Several officers are called “dias omarov”' in html.unescape(r.text)
    choices = CHOICE.findall(r.text)
    assert sorted(login for login, _shown in choices) == ["dias", "dias2"]
    assert all("(dias" in shown for _login, shown in choices)
    # the one she chooses: the same items handed over to her
    form = r.text[r.text.index('data-testid="bulk-choose"'):]
    hidden: dict[str, list[str]] = {}
    for name, value in HIDDEN.findall(form):
        hidden.setdefault(name, []).append(html.unescape(value))
    assert hidden["item"] == item and hidden["action"] == ["assign"]
    data = {k: v if k == "item" else v[0] for k, v in hidden.items()}
    r = erlan.post("/bulk", data={**data, "login": "dias2"}, files={"files": ("", b"")})
    assert r.status_code == 200, r.text
    with Session(web.engine) as s:
        assert _responsible(web, edu) == svc.get_user(s, "dias2").id
    # one of that name (case and spaces ignored), or a suggestion as the field shows it
    r = _post(erlan, item, login="  kairat   SEITKALI ")
    assert r.status_code == 200 and "1 case handed over to Kairat Seitkali." in r.text
    with Session(web.engine) as s:
        assert _responsible(web, edu) == svc.get_user(s, "kairat").id
    r = _post(erlan, item, login="Dias Omarov (@dias)")
    assert r.status_code == 200 and "1 case handed over to Dias Omarov." in r.text
    with Session(web.engine) as s:
        assert _responsible(web, edu) == svc.get_user(s, "dias").id


def test_the_root_overdue_page_does_not_grow_with_the_officers_below(web: Web):
    nurlan = web.browser("nurlan")  # the akimat's manager: its whole tree
    before = len(nurlan.get("/overdue").content)
    units = ("AK-ALM-EDU", "AK-ALM-HLTH", "AK-ALM-ILE", "AK-ALM-TLG", "AK-ALM")
    _officers(web, {f"officer{i:03d}": (f"Officer Number {i:03d} Longname-Surname",
                                        units[i % len(units)]) for i in range(300)})
    page = nurlan.get("/overdue")
    assert page.status_code == 200 and 'data-testid="bulk-assign"' in page.text
    assert len(page.content) <= PAGE_LIMIT, len(page.content)
    assert len(page.content) - before < 500, (before, len(page.content))  # no officer listed
    assert "Officer Number" not in page.text
    # and each is found by typing
    assert suggested(web, "nurlan", "q=number+007") == {"officer007"}
    assert len(nurlan.get("/bulk/assignees?q=officer").json()) == 20  # a few, never all
    # a name too many have, sent without a script: a few to choose, the others counted
    before = web.dump()
    case = web.analyses["edu"]
    r = _post(nurlan, [f"{case}:analytic_note"], login="Officer Number")
    assert r.status_code == 409 and len(CHOICE.findall(r.text)) == 20
    assert "280 more officers have this name: type more of it to find the one you mean." in \
        r.text
    assert len(r.content) <= PAGE_LIMIT and web.dump() == before


def test_the_case_page_hands_over_to_a_name_typed(web: Web):
    edu = web.analyses["edu"]
    _kairat_and_two_dias(web, "Dias Omarov")
    erlan = web.browser("erlan")
    page = erlan.get(f"/cases/{edu}").text
    form = page[page.index('data-testid="assign-form"'):]
    form = form[:form.index("</form>")]
    assert '<input id="assign-login" name="login" list="assign-people"' in form
    assert '<option value="kairat" label="Kairat Seitkali">' in form  # her organisation's
    assert 'value="marat"' not in form
    csrf = csrf_of(page)
    before = web.dump()
    # several of that name: refused, each named with her login, nothing changed
    r = erlan.post(f"/cases/{edu}/assign", data={"csrf": csrf, "login": "dias omarov"})
    assert r.status_code == 409
    assert "Several officers are called “dias omarov”: Dias Omarov (@dias), Dias Omarov " \
        "(@dias2)." in html.unescape(r.text) or \
        "Several officers are called “dias omarov”: Dias Omarov (@dias2), Dias Omarov " \
        "(@dias)." in html.unescape(r.text)
    assert web.dump() == before
    # nobody of that name (an officer of another department is nobody here): nothing changed
    for typed in ("Nobody Nowhere", "Marat Ospanov"):
        r = erlan.post(f"/cases/{edu}/assign", data={"csrf": csrf, "login": typed})
        assert r.status_code in (404, 409) and "Traceback" not in r.text
        assert web.dump() == before
    # one of that name, a suggestion as typed, a login
    for typed, login in (("KAIRAT  seitkali", "kairat"), ("Dias Omarov (@dias2)", "dias2"),
                         ("dias", "dias")):
        r = erlan.post(f"/cases/{edu}/assign", data={"csrf": csrf, "login": typed})
        assert r.status_code == 303, (typed, r.text)
        with Session(web.engine) as s:
            assert _responsible(web, edu) == svc.get_user(s, login).id
