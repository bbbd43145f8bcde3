"""The organisations under one, added from a file on its page (/orgs/CODE): an administrator of
the organisation uploads a CSV or XLSX whose headers, kinds and parents are in any of the three
languages (an empty parent is the page's organisation, a parent named by its code or name);
all or none. A file with mistakes is refused with every refused cell named (row, column label,
value) in the reader's language and nothing stored; a parent outside her subtree is refused as
one she does not administer. Only an administrator of her subtree; on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from openpyxl import Workbook
from sqlmodel import Session

from tests.support.databases import BACKENDS
from tests.support.web_helpers import (
    CALENDAR,
    Web,
    _settings,
    confirm_fields,
    csrf_of,
    demo_database,
)
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry

ORG = "AK-ALM"  # the administrator erlan's organisation
CSV = "text/csv"


@pytest.fixture(name="web", params=BACKENDS)
def web_fixture(request, tmp_path) -> Iterator[Web]:
    with demo_database(request.param, tmp_path) as (eng, ids):
        app = create_app(_settings(tmp_path, str(eng.url)), eng, CALENDAR, load_registry())
        yield Web(eng, app, ids["analyses"], ids["programmes"])


def _upload(client, org: str, name: str, body: bytes, mime: str = CSV, lang: str = "en"):
    """The file previewed and, when the preview accepts it, confirmed: the confirm's page (a
    refused file: the preview's)."""
    client.cookies.set("merzim_lang", lang)
    page = client.get(f"/orgs/{org}")
    assert page.status_code == 200, page.text[-2000:]
    preview = client.post(f"/orgs/{org}/import", data={"csrf": csrf_of(page.text)},
                          files={"file": (name, body, mime)})
    if preview.status_code != 200:
        return preview
    return client.post(f"/orgs/{org}/import/confirm", data=confirm_fields(preview.text))


def _under(web: Web, code: str) -> dict[str, tuple[str | None, str]]:
    with Session(web.engine) as s:
        orgs = svc.list_orgs(s, code)
        by_id = {o.id: o.code for o in orgs}
        parents = {o.id: o.parent_id for o in orgs}
        return {o.code: (by_id.get(parents[o.id]), o.kind) for o in orgs}


def test_an_administrator_adds_a_russian_file_of_organisations_under_hers(web: Web):
    erlan = web.browser("erlan")
    body = ("Код;Наименование;Вид;Вышестоящая организация\n"
            "AK-ALM-ENB;Акимат Енбекшиказахского района;акимат района;\n"  # empty: AK-ALM
            "AK-ALM-ENB-EDU;Отдел образования района;управление;"
            "Акимат Енбекшиказахского района\n").encode()
    r = _upload(erlan, ORG, "организации.csv", body, lang="ru")
    assert r.status_code == 200, r.text[-3000:]
    assert 'data-testid="org-import-done"' in r.text and "2" in r.text
    under = _under(web, "AK-ALM-ENB")
    assert under == {"AK-ALM-ENB": (None, "district_akimat"),
                     "AK-ALM-ENB-EDU": ("AK-ALM-ENB", "department")}
    with Session(web.engine) as s:
        assert svc.get_org(s, "AK-ALM-ENB").parent_id == svc.get_org(s, ORG).id


def test_an_xlsx_in_kazakh_labels_is_read(web: Web):
    wb = Workbook()
    ws = wb.active
    ws.append(["Коды", "Атауы", "Түрі", "Жоғары тұрған ұйым", "Штат саны"])
    ws.append(["AK-ALM-KRS-EDU", "Қарасай ауданының білім бөлімі", "басқарма",
               "Қарасай ауданының әкімдігі", "18"])
    buf = io.BytesIO()
    wb.save(buf)
    r = _upload(web.browser("erlan"), ORG, "ұйымдар.xlsx", buf.getvalue(),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", lang="kk")
    assert r.status_code == 200, r.text[-3000:]
    assert _under(web, "AK-ALM-KRS")["AK-ALM-KRS-EDU"] == ("AK-ALM-KRS", "department")


BAD = ("Code,Name,Kind,Parent organisation\n"
       "AK-ALM-X,Fine,department,\n"
       "AK-ALM-Y,School,school,\n"                        # row 3: no such kind
       "AK-ALM-Z,Under the ministry,department,MF\n")     # row 4: outside her subtree


@pytest.mark.parametrize("lang,cells", [
    ("en", ["Row 3, column “Kind”, value “school”", "Row 4, column “Parent organisation”, "
            "value “MF”: not an organisation you administer"]),
    ("ru", ["Строка 3, столбец «Вид», значение «school»",
            "Строка 4, столбец «Вышестоящая организация», значение «MF»"]),
    ("kk", ["3-жол, «Түрі» бағаны, «school» мәні", "4-жол, «Жоғары тұрған ұйым» бағаны, «MF» мәні"]),
])
def test_a_file_with_mistakes_names_every_cell_and_stores_nothing(web: Web, lang, cells):
    erlan = web.browser("erlan")
    before = web.dump()
    r = _upload(erlan, ORG, "bad.csv", BAD.encode("utf-8"), lang=lang)
    assert r.status_code == 422
    assert 'data-testid="org-import-refused"' in r.text
    for cell in cells:
        assert cell in r.text.replace("&#34;", '"'), cell
    assert web.dump() == before


def test_only_an_administrator_of_the_organisation_adds_under_it(web: Web):
    body = b"code,name,kind\nAK-ALM-EDU-1,School 1,department\n"
    nurlan, erlan = web.browser("nurlan"), web.browser("erlan")  # signed in first
    page, admin_page = nurlan.get(f"/orgs/{ORG}"), erlan.get(f"/orgs/{ORG}")
    before = web.dump()
    # a manager sees the page but not the form, and is refused the action
    assert page.status_code == 200 and 'data-testid="org-import-form"' not in page.text
    r = nurlan.post(f"/orgs/{ORG}/import", data={"csrf": csrf_of(page.text)},
                    files={"file": ("o.csv", body, CSV)})
    assert r.status_code == 404  # an administrator's page: to anyone else it does not exist
    # an administrator of the akimat does not see the ministry's page, nor import under it
    r = erlan.post("/orgs/MF/import", data={"csrf": csrf_of(admin_page.text)},
                   files={"file": ("o.csv", body, CSV)})
    assert r.status_code == 404
    assert web.dump() == before
