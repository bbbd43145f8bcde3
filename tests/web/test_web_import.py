"""A register's file imported from the web: uploaded, previewed with every refused row named,
confirmed; all or nothing; and the register's template to fill in — through the real web
application, on SQLite and PostgreSQL.

The world: the demo for TODAY (tests/support/web_helpers.py). Asel is the education department's
officer (AK-ALM-EDU); the health department (AK-ALM-HLTH) is not hers; Nurlan is a manager
above them, who opens no case; Erlan the akimat's admin.
"""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from sqlmodel import Session, col, select

from tests.support.import_helpers import (
    FOLLOW,
    but_kept,
    interrupted,
    site_fixture,  # noqa: F401 - the `site` fixture
)
from tests.support.web_helpers import (
    TODAY,
    Web,
    csrf_of,
)
from tests.support.web_import_helpers import (
    DAY,
    FORM,
    KEY,
    PROCESS,
    REFUSED_ROW,
    TOKEN,
    breaches,
    confirm,
    csv_of,
    shown,
    upload,
)
from workflow.definitions import load_registry
from workflow.imports import cells as import_cells
from workflow.storage.models import Case, Organisation


def test_a_refused_row_is_named_with_its_reason_and_nothing_is_stored(site: Web):
    asel = site.browser("asel")
    before = site.dump()
    r = upload(asel, csv_of(
        "subject,person,kind,detected",
        f",A. Person,foreign_account,{DAY}",  # hers: her organisation when empty
        f"AK-ALM-EDU,B. Person,no_such_kind,{DAY}",
        f"AK-ALM-HLTH,C. Person,foreign_account,{DAY}",  # not hers to import
        "AK-ALM-EDU,D. Person,foreign_account,31.02.2025"))
    assert r.status_code == 409, r.text[-2000:]
    named = dict(REFUSED_ROW.findall(r.text))
    assert set(named) == {"3", "4", "5"}, r.text[-3000:]
    assert "no_such_kind" in named["3"]
    assert "AK-ALM-HLTH" in named["4"]
    assert "Nothing has been stored." in r.text
    assert 'name="token"' not in r.text  # nothing to confirm
    assert site.dump() == before


def test_refusals_read_in_the_officers_language(site: Web):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", "ru")
    r = upload(asel, csv_of("subject,person,kind,detected",
                            f"AK-ALM-HLTH,C. Person,foreign_account,{DAY}"))
    assert r.status_code == 409
    assert 'data-row="2">Строка 2:' in r.text and "Ничего не сохранено." in r.text


def test_a_good_file_is_previewed_then_confirmed_and_stores_every_row(site: Web):
    asel = site.browser("asel")
    before, known = site.dump(), {c.id for c in breaches(site)}
    r = upload(asel, csv_of("subject,person,position,kind,detected,detected_independently",
                            f",A. Person,Clerk,foreign_account,{DAY},yes",
                            f"AK-ALM-EDU,B. Person,,insider_information,{DAY},no",
                            f",C. Person,,foreign_account,{DAY},"))
    assert r.status_code == 200, r.text[-2000:]
    assert "The file is accepted: 3 entries would be opened." in r.text
    assert "A. Person" in r.text and "Row" in r.text  # the rows shown
    assert but_kept(site.dump()) == but_kept(before)  # a preview stores nothing but the file
    done = confirm(asel, r.text)
    assert done.status_code == 200, done.text[-2000:]
    assert "3 entries opened." in done.text and "3 / 3" in done.text
    new = [c for c in breaches(site) if c.id not in known]
    assert [(c.person_name, c.fields.get("kind")) for c in new] == [
        ("A. Person", "foreign_account"), ("B. Person", "insider_information"),
        ("C. Person", "foreign_account")]
    asel_id = site.user("asel").id
    assert all(c.responsible_id == asel_id for c in new)
    # the same token again: the staged file is gone; nothing more is stored
    again = confirm(asel, r.text)
    assert again.status_code == 422 and "upload it again" in again.text
    assert len(breaches(site)) == len(known) + 3


def test_a_confirm_trusts_no_token_it_did_not_give(site: Web):
    asel, marat = site.browser("asel"), site.browser("marat")
    r = upload(asel, csv_of("subject,person,kind,detected",
                            f",A. Person,foreign_account,{DAY}"))
    token = TOKEN.search(r.text).group(1)
    before = site.dump()
    name, sha, sig = token.rsplit(".", 2)
    forged = f"{name}.{sha}.{'0' * len(sig)}"
    assert confirm(asel, r.text, token=forged).status_code == 422
    # another officer's session: the same token is not hers
    page = marat.get(FORM).text
    stolen = marat.post(f"{FORM}/confirm", data={"csrf": csrf_of(page), "token": token})
    assert stolen.status_code == 422
    # another register: not the file previewed for it
    other = "/registers/gift/import"
    page = asel.get(other).text
    moved = asel.post(f"{other}/confirm", data={"csrf": csrf_of(page), "token": token})
    assert moved.status_code == 422
    assert site.dump() == before
    assert confirm(asel, r.text).status_code == 200  # the real one still works


def test_only_those_who_open_cases_may_import(site: Web):
    nurlan = site.browser("nurlan")
    assert nurlan.get(FORM).status_code == 409
    assert nurlan.get(f"/registers/{PROCESS}/template.xlsx").status_code == 409
    assert site.client().get(FORM).status_code == 303  # to the sign-in page
    assert site.browser("asel").get("/registers/no_such_register/import").status_code == 404
    # the register's list links to its import, for an officer
    cases = site.browser("asel").get(f"/cases?process={PROCESS}").text
    assert f'href="{FORM}"' in cases
    assert f'href="{FORM}"' not in nurlan.get(f"/cases?process={PROCESS}").text


def test_an_admin_imports_for_her_subtree_only(site: Web):
    erlan = site.browser("erlan")
    known = {c.id for c in breaches(site)}
    r = upload(erlan, csv_of("subject,person,kind,detected",
                             f"AK-ALM-HLTH,A. Person,foreign_account,{DAY}",
                             f"MF-KGD,B. Person,foreign_account,{DAY}"))
    assert r.status_code == 409
    assert set(dict(REFUSED_ROW.findall(r.text))) == {"3"}
    r = upload(erlan, csv_of("subject,person,kind,detected",
                             f"AK-ALM-HLTH,A. Person,foreign_account,{DAY}"))
    assert confirm(erlan, r.text).status_code == 200
    with Session(site.engine) as s:
        health = s.exec(select(Organisation).where(Organisation.code == "AK-ALM-HLTH")).one()
    assert [c.subject_id for c in breaches(site) if c.id not in known] == [health.id]


def test_the_template_has_the_imports_columns_lists_and_dates_and_reads_back_empty(site: Web):
    asel = site.browser("asel")
    r = asel.get(f"/registers/{PROCESS}/template.xlsx")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    wb = load_workbook(io.BytesIO(r.content))
    ws = wb.worksheets[0]
    labels = [c.value for c in ws[1]]
    defn = load_registry().get(PROCESS)
    # the columns that apply to the register, named in the reader's language
    header = list(import_cells.applicable(defn))
    assert labels == [import_cells.label_in(defn, k, "en") for k in header]
    assert "object" not in header and "approver_role" not in header
    lists = wb["lists"]
    checks = {}
    for dv in ws.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            checks[ws[ref.split(":")[0]].column] = dv
    kind = header.index("kind") + 1
    assert checks[kind].type == "list"
    sheet_ref = checks[kind].formula1.split("!")[1].replace("$", "")
    values = [c.value for row in lists[sheet_ref] for c in row]
    assert values == [defn.fields["kind"].choice_names[c]["en"]
                      for c in defn.fields["kind"].choices]
    independent = header.index("detected_independently") + 1
    assert checks[independent].type == "list"
    event = header.index("event") + 1
    assert checks[event].type == "list"
    detected = header.index("detected") + 1
    assert checks[detected].type == "date"
    assert ws.cell(row=2, column=detected).number_format == "DD.MM.YYYY"
    # the columns named in the reader's language on the second sheet
    about = wb.worksheets[2]
    assert [c.value for c in about[header.index(
        "kind") + 2]][:2] == ["kind", "Kind of restriction (sub-task)"]
    # read back as it is: no rows, nothing to open
    before = site.dump()
    back = upload(asel, r.content, name="template.xlsx")
    assert back.status_code == 200, back.text[-2000:]
    assert "The file has no rows" in back.text
    assert site.dump() == before


def test_a_filled_template_is_imported(site: Web):
    asel = site.browser("asel")
    wb = load_workbook(io.BytesIO(asel.get(f"/registers/{PROCESS}/template.xlsx").content))
    ws = wb.worksheets[0]
    defn = load_registry().get(PROCESS)
    header = [import_cells.label_in(defn, k, "en") for k in import_cells.applicable(defn)]
    assert [c.value for c in ws[1]] == header
    header = list(import_cells.applicable(defn))
    row = {"person": "A. Person", "kind": "reward_or_gift", "detected": TODAY.replace(day=3),
           "event": "gift_handed_over", "on": TODAY.replace(day=5), "receipt_act": "Act 7"}
    for key, value in row.items():
        ws.cell(row=2, column=header.index(key) + 1, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    known = {c.id for c in breaches(site)}
    r = upload(asel, buf.getvalue(), name="filled.xlsx")
    assert r.status_code == 200, r.text[-3000:]
    assert "1 entry would be opened" in r.text
    assert "1 entry opened." in confirm(asel, r.text).text
    new = [c for c in breaches(site) if c.id not in known]
    assert [(c.person_name, c.fields["kind"]) for c in new] == [("A. Person", "reward_or_gift")]


def test_the_analyses_import_names_every_refused_row_and_stores_nothing(site: Web):
    asel = site.browser("asel")
    path = "/registers/internal_risk_analysis/import"
    before = site.dump()
    r = upload(asel, csv_of("subject,object,start,end",
                            "AK-ALM-EDU,AK-ALM-EDU,2026-03-02,",
                            "AK-ALM-EDU,NO-SUCH-ORG,2026-03-02,",
                            "AK-ALM-EDU,AK-ALM-EDU,2026-13-02,"), path=path)
    assert r.status_code == 409, r.text[-2000:]
    assert set(dict(REFUSED_ROW.findall(r.text))) == {"3", "4"}, r.text[-3000:]
    assert site.dump() == before


def test_the_analyses_import_from_the_web_plans_every_row(site: Web):
    asel = site.browser("asel")
    path = "/registers/internal_risk_analysis/import"
    with Session(site.engine) as s:
        known = set(s.exec(select(Case.id).where(
            Case.process == "internal_risk_analysis")).all())
    r = upload(asel, csv_of("subject,object,start,end",
                            "AK-ALM-EDU,AK-ALM-EDU,2026-03-02,"), path=path)
    assert r.status_code == 200, r.text[-2000:]
    assert "1 entry would be opened" in r.text
    done = confirm(asel, r.text, path=path)
    assert "1 entry opened." in done.text, done.text[-2000:]
    with Session(site.engine) as s:
        new = s.exec(select(Case).where(Case.process == "internal_risk_analysis",
                                        col(Case.id).not_in(known))).all()
    assert [c.dates["start"] for c in new] == ["2026-03-02"]


def test_a_confirm_sent_twice_with_its_forms_key_stores_the_rows_once(site: Web):
    asel = site.browser("asel")
    r = upload(asel, csv_of("subject,person,kind,detected",
                            f",A. Person,foreign_account,{DAY}"))
    form = {"csrf": csrf_of(r.text), "token": TOKEN.search(r.text).group(1),
            "idempotency_key": KEY.search(r.text.split('data-testid="import-confirm-form"')[1])
            .group(1)}
    known = len(breaches(site))
    first = asel.post(f"{FORM}/confirm", data=form)
    assert first.status_code == 200 and "1 entry opened." in first.text
    again = asel.post(f"{FORM}/confirm", data=form)
    assert again.status_code == 409 and again.headers.get("Idempotent-Replayed") == "true"
    assert len(breaches(site)) == known + 1




def big_file(n: int) -> bytes:
    """`n` breaches of Asel's department, each of another person (no row repeats another)."""
    return csv_of("subject,person,kind,detected",
                  *(f",Person {i},foreign_account,{DAY}" for i in range(n)))


def test_a_file_of_several_batches_is_followed_to_its_end(site: Web):
    asel = site.browser("asel")
    known = len(breaches(site))
    r = upload(asel, big_file(600))
    assert r.status_code == 200, r.text[-2000:]
    assert "600 entries would be opened" in r.text
    link, import_id, _sig = FOLLOW.search(r.text).groups()
    waiting = asel.get(link)  # not confirmed yet: nothing begun
    assert waiting.status_code == 200 and 'data-testid="import-waiting"' in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text
    assert asel.get(link[:-4] + "0000").status_code == 404  # another signature
    assert site.browser("marat").get(link).status_code == 404  # another officer's session
    done = confirm(asel, r.text)
    assert done.status_code == 200, done.text[-2000:]
    assert "600 entries opened." in done.text and "600 / 600" in done.text
    assert f"import {import_id}" in done.text
    assert len(breaches(site)) == known + 600
    assert all(c.withdrawn_at is None for c in breaches(site))
    assert len(shown(site)) == known + 600
    finished = asel.get(link).text
    assert "The import is finished" in finished and "600 / 600" in finished
    assert '<meta http-equiv="refresh"' not in finished


def test_an_interrupted_import_is_followed_and_resumed(site: Web):
    asel = site.browser("asel")
    known = len(breaches(site))
    preview, import_id, link = interrupted(site, asel, 600)
    running = asel.get(link).text
    assert "500 / 600" in running and '<meta http-equiv="refresh"' in running
    assert len(shown(site)) == known  # hidden
    # confirming the same form again would begin it twice: refused, nothing more stored
    before = site.dump()
    again = confirm(asel, preview)
    assert again.status_code == 409 and f"Import {import_id} has already begun" in again.text
    assert "500 / 600" in again.text and 'data-testid="import-resume"' in again.text
    assert site.dump() == before
    form = {"csrf": csrf_of(preview), "token": TOKEN.search(preview).group(1),
            "import_id": import_id, "action": "resume",
            "import_sig": re.search(r'name="import_sig" value="([^"]+)"', preview).group(1)}
    resumed = asel.post(f"{FORM}/confirm", data=form)
    assert resumed.status_code == 200, resumed.text[-2000:]
    assert "100 entries opened." in resumed.text and "600 / 600" in resumed.text
    assert len(shown(site)) == known + 600


def test_an_interrupted_import_is_rolled_back(site: Web):
    asel = site.browser("asel")
    known = len(breaches(site))
    preview, import_id, link = interrupted(site, asel, 600)
    form = {"csrf": csrf_of(preview), "import_id": import_id, "action": "rollback",
            "import_sig": re.search(r'name="import_sig" value="([^"]+)"', preview).group(1)}
    marat = site.browser("marat")  # another organisation's officer, knowing the id
    forged = {**form, "csrf": site.csrf(marat), "import_sig": "0" * 32}
    before = site.dump()
    other = marat.post(f"{FORM}/confirm", data=forged)
    assert other.status_code == 404 and site.dump() == before
    r = asel.post(f"{FORM}/confirm", data=form)
    assert r.status_code == 200, r.text[-2000:]
    assert f"Import {import_id} rolled back: 500 entries withdrawn." in r.text
    assert len(shown(site)) == known
    assert "The import was rolled back" in asel.get(link).text
