"""Her own column names: a register file whose headers the register does not know is mapped
once (which column each header is, or ignored), on the web preview or with `merzim case
import --map`; the mapping is remembered for her organisation and the register, so the next
file with the same headers imports with no question. Mapping refusals store nothing. Through
the real web application and the real `merzim` entry point, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re

from sqlmodel import Session, select

from tests.support.import_helpers import but_kept
from tests.support.import_usecase_helpers import cli_of, post_form, standing
from tests.support.web_helpers import TODAY, Web, csrf_of
from tests.support.web_import_helpers import DAY, PROCESS, csv_of, upload
from workflow.storage.models import AuditRecord, ImportMapping, Organisation

MAP = f"/registers/{PROCESS}/import/map"
CONFIRM = f"/registers/{PROCESS}/import/confirm"
# "Лицо" is the person's own column (its Russian label); "Вид нарушения" and "Принятые меры"
# are her own headers, for the kind and the measures
HEADERS = "Телефон,Лицо,Вид нарушения,Принятые меры,detected"


def her_file(*people: str) -> bytes:
    return csv_of(HEADERS, *(f",{p},foreign_account,Выговор,{DAY}" for p in people))


def mappings(site: Web) -> list[tuple]:
    with Session(site.engine) as s:
        return sorted((m.organisation_id, m.target, m.header_folded, m.field, m.updated_by)
                      for m in s.exec(select(ImportMapping)))


def org_id(site: Web, code: str) -> int:
    with Session(site.engine) as s:
        return s.exec(select(Organisation.id).where(Organisation.code == code)).one()


def choose(page: str, choices: dict[str, str]) -> dict[str, str]:
    """The mapping form filled: each unknown header's select set as `choices` says."""
    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                           page[page.index(f'action="{MAP}"'):]))
    data["csrf"] = csrf_of(page)
    for name, header in list(data.items()):
        if name.startswith("header_"):
            data["field_" + name[len("header_"):]] = choices[header]
    return data


def test_her_headers_are_mapped_once_then_remembered(site: Web):
    asel = site.browser("asel")
    before = site.dump()
    r = upload(asel, her_file("A. Person", "B. Person"))
    assert r.status_code == 200, r.text[-2000:]
    assert "2 columns of your file are not ones the register knows" in r.text
    assert '<label for="field_0">Вид нарушения</label>' in r.text
    assert '<label for="field_1">Принятые меры</label>' in r.text
    assert "Телефон" not in r.text.split('action="' + MAP)[1].split("</form>")[0]  # ignored
    assert '<option value="kind">' in r.text and '<option value="-">Ignore this column' in r.text
    assert but_kept(site.dump()) == but_kept(before)  # asked: nothing stored but the file
    mapped = asel.post(MAP, data=choose(r.text, {"Вид нарушения": "kind",
                                                  "Принятые меры": "measures"}))
    assert mapped.status_code == 200, mapped.text[-2000:]
    assert "The file is accepted: 2 entries would be opened." in mapped.text
    assert "Columns not read (not fields of the register): Телефон." in mapped.text
    assert mappings(site) == []  # remembered when the import is confirmed, not before
    done = post_form(asel, mapped.text, CONFIRM)
    assert "2 entries opened." in done.text, done.text[-2000:]
    assert [c[2] for c in standing(site)] == ["A. Person", "B. Person"]
    edu = org_id(site, "AK-ALM-EDU")
    assert mappings(site) == [(edu, PROCESS, "вид нарушения", "kind", "web:asel"),
                              (edu, PROCESS, "принятые меры", "measures", "web:asel")]
    with Session(site.engine) as s:
        record = s.exec(select(AuditRecord).where(AuditRecord.action == "import.mapping")).one()
    assert (record.entity, record.entity_id) == ("organisation", str(edu))
    assert json.loads(record.payload) == {"process": PROCESS, "mapping": {
        "вид нарушения": "kind", "принятые меры": "measures"}}
    # the next file with the same headers (any case and spacing) needs no question
    again = upload(asel, her_file("C. Person").replace("Вид нарушения".encode(),
                                                        "ВИД  нарушения".encode()))
    assert "The file is accepted: 1 entry would be opened." in again.text, again.text[-2000:]
    # nothing asked (a column it lacks may still be given one value for every row, folded away)
    assert 'data-testid="import-every-field"' not in again.text
    assert 'data-testid="import-every-more"' in again.text
    assert "1 entry opened." in post_form(asel, again.text, CONFIRM).text
    assert [c[2] for c in standing(site)] == ["A. Person", "B. Person", "C. Person"]


def test_a_mapping_she_leaves_unchosen_is_asked_again(site: Web):
    asel = site.browser("asel")
    r = upload(asel, her_file("A. Person"))
    data = choose(r.text, {"Вид нарушения": "kind", "Принятые меры": ""})
    again = asel.post(MAP, data=data)
    assert again.status_code == 200
    assert "1 column of your file is not one the register knows" in again.text
    assert '<label for="field_0">Принятые меры</label>' in again.text
    assert 'value="Вид нарушения"' in again.text  # her first choice carried on


def test_two_headers_for_one_column_are_refused_and_nothing_is_stored(site: Web):
    asel = site.browser("asel")
    r = upload(asel, her_file("A. Person"))
    before = but_kept(site.dump())
    twice = asel.post(MAP, data=choose(r.text, {"Вид нарушения": "kind",
                                                 "Принятые меры": "kind"}))
    assert twice.status_code == 422
    assert "are all mapped to “Kind of restriction (sub-task)”" in twice.text, \
        twice.text[-2000:]
    r = upload(asel, her_file("A. Person"))
    unknown = asel.post(MAP, data=choose(r.text, {"Принятые меры": "no_such_field",
                                                   "Вид нарушения": "kind"}))
    assert unknown.status_code == 422
    assert "cannot be “no_such_field”: the register has no such column" in unknown.text
    assert but_kept(site.dump()) == before
    assert mappings(site) == []


def test_a_manager_may_not_map_columns(site: Web):
    asel, nurlan = site.browser("asel"), site.browser("nurlan")
    r = upload(asel, her_file("A. Person"))
    data = choose(r.text, {"Вид нарушения": "kind", "Принятые меры": "measures"})
    data["csrf"] = site.csrf(nurlan)
    before = but_kept(site.dump())
    refused = nurlan.post(MAP, data=data)
    assert refused.status_code in (403, 409), refused.text[-1000:]
    assert "Traceback" not in refused.text
    assert but_kept(site.dump()) == before


def test_the_refusal_reads_in_her_language(site: Web):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", "ru")
    r = upload(asel, her_file("A. Person"))
    twice = asel.post(MAP, data=choose(r.text, {"Вид нарушения": "kind",
                                                 "Принятые меры": "kind"}))
    assert "сопоставлены с одним столбцом" in twice.text
    asel.cookies.set("merzim_lang", "kk")
    r = upload(asel, her_file("A. Person"))
    assert "Файлыңыздың 2 бағаны тізілімге белгісіз" in r.text


# -- the command line -----------------------------------------------------------------------------


CLI_HEADERS = "Телефон,Организация,Лицо,Вид нарушения,Принятые меры,detected"


def test_the_command_line_maps_with_map_and_uses_the_remembered_mapping(site: Web, tmp_path):
    cli = cli_of(site, tmp_path)
    path = tmp_path / "hers.csv"
    path.write_bytes(csv_of(CLI_HEADERS, f"+7 701,AK-ALM-EDU,A. Person,foreign_account,Выговор,{DAY}"))
    before = site.dump()
    refused = cli("case", "import", PROCESS, str(path), today=TODAY)
    assert refused.returncode == 2
    assert "Unknown columns Вид нарушения, Принятые меры" in refused.stderr, refused.stderr
    assert "Kind of restriction" in refused.stderr  # the columns it could be
    ru = cli("case", "import", PROCESS, str(path), today=TODAY, lang="ru")
    assert "Неизвестные столбцы" in ru.stderr or "Принятые меры" in ru.stderr
    twice = cli("case", "import", PROCESS, str(path), "--map", "Вид нарушения=kind",
                "--map", "Принятые меры=kind", today=TODAY)
    assert twice.returncode == 2 and "are all mapped to" in twice.stderr, twice.stderr
    unknown = cli("case", "import", PROCESS, str(path), "--map", "Вид нарушения=nobody",
                  today=TODAY)
    assert unknown.returncode == 2 and "has no such column" in unknown.stderr
    bad = cli("case", "import", PROCESS, str(path), "--map", "Вид нарушения", today=TODAY)
    assert bad.returncode == 2 and "--map takes HEADER=COLUMN" in bad.stderr
    assert site.dump() == before
    done = cli("case", "import", PROCESS, str(path), "--org", "AK-ALM-EDU", "--json",
               "--map", "принятые  меры=measures",
               "--map", "Вид нарушения=Kind of restriction (sub-task)", today=TODAY)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ignored"] == ["Телефон"]
    edu = org_id(site, "AK-ALM-EDU")
    assert [m[:4] for m in mappings(site)] == [
        (edu, PROCESS, "вид нарушения", "kind"), (edu, PROCESS, "принятые меры", "measures")]
    path.write_bytes(csv_of(CLI_HEADERS, f"+7 701,AK-ALM-EDU,B. Person,foreign_account,Выговор,{DAY}"))
    remembered = cli("case", "import", PROCESS, str(path), "--org", "AK-ALM-EDU", today=TODAY)
    assert remembered.returncode == 0, remembered.stderr
    assert [c[2] for c in standing(site)] == ["A. Person", "B. Person"]
