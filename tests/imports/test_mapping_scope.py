"""What her mapping may name and whose it is. Her own header is never mapped to who answers
for a case or whom it is about (`subject`, `person`, `responsible`) unless the register's
definition lists that party in `[parties] mappable`: the web's form does not offer them, and a
mapping naming one anyway (a forged form, a confirm's hidden fields, `--map`) is refused in
the reader's language with every table unchanged. A mapping is kept for the organisation and
the register it was made for: an officer of another organisation importing the same
register's file is asked again (and keeps her own), a colleague of the same organisation is
not. Through the real web application and the real `merzim` entry point, on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from sqlmodel import Session, select

from tests.support.import_helpers import but_kept
from tests.support.import_usecase_helpers import HIDDEN, cli_of, post_form, standing
from tests.support.web_helpers import CALENDAR, TODAY, Web, _settings, csrf_of
from tests.support.web_import_helpers import DAY, PROCESS, csv_of, upload
from web.app import create_app
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.definitions.schema import Party
from workflow.imports import cells
from workflow.storage.models import AuditRecord, Case, ImportMapping, Organisation
from workflow.storage.queries import imports as queries

MAP = f"/registers/{PROCESS}/import/map"
CONFIRM = f"/registers/{PROCESS}/import/confirm"
# "Лицо" is the person's own column (its Russian label); the other two are her own headers
HEADERS = "Телефон,Лицо,Вид нарушения,Принятые меры,detected"
PROTECTED = ("subject", "person", "responsible")
OPTION = re.compile(r'<option value="([^"]*)">')


def her_file(*people: str) -> bytes:
    return csv_of(HEADERS, *(f",{p},foreign_account,Выговор,{DAY}" for p in people))


def mappings(site: Web) -> list[tuple]:
    with Session(site.engine) as s:
        return sorted((m.organisation_id, m.target, m.header_folded, m.field)
                      for m in s.exec(select(ImportMapping)))


def org_id(site: Web, code: str) -> int:
    with Session(site.engine) as s:
        return s.exec(select(Organisation.id).where(Organisation.code == code)).one()


def map_form(page: str, action: str = MAP) -> str:
    assert f'action="{action}"' in page, page[-2000:]
    start = page.index(f'action="{action}"')
    return page[start:page.index("</form>", start)]


def offered(page: str, action: str = MAP) -> list[set[str]]:
    """The columns each select of the mapping form offers."""
    return [set(OPTION.findall(select_)) for select_ in
            map_form(page, action).split("<select")[1:]]


def choose(page: str, choices: dict[str, str], action: str = MAP) -> dict[str, str]:
    """The mapping form filled: each unknown header's select set as `choices` says."""
    data = dict(HIDDEN.findall(map_form(page, action)))
    data["csrf"] = csrf_of(page)
    for name, header in list(data.items()):
        if name.startswith("header_"):
            data["field_" + name[len("header_"):]] = choices[header]
    return data


def mapping_records(site: Web) -> list[str]:
    with Session(site.engine) as s:
        return [r.payload for r in s.exec(select(AuditRecord).where(
            AuditRecord.action == "import.mapping"))]


# -- what is offered ------------------------------------------------------------------------------


def test_the_rule_is_the_one_the_definition_format_declares():
    """`[parties] mappable` takes exactly the parties the imports protect."""
    assert set(typing.get_args(Party)) == set(cells.PROTECTED) == set(PROTECTED)
    defn = load_registry().get(PROCESS)
    assert defn.parties.mappable == ()
    assert set(cells.targets(defn)) == set(cells.applicable(defn)) - set(PROTECTED)


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_who_answers_and_whom_it_is_about_are_not_offered(site: Web, lang: str):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", lang)
    r = upload(asel, her_file("A. Person"))
    assert r.status_code == 200, r.text[-2000:]
    defn = load_registry().get(PROCESS)
    choices = offered(r.text)
    assert len(choices) == 2  # "Вид нарушения" and "Принятые меры"
    for options in choices:
        assert options == {"", "-", *cells.targets(defn)}
        assert options.isdisjoint(PROTECTED)
        assert {"kind", "measures", "position", "detected"} <= options
    withheld = {"en": "Not offered: Organisation, Person, Responsible officer.",
                "ru": "Не предлагаются: Организация, Лицо, Ответственный сотрудник.",
                "kk": "Ұсынылмайды: Ұйым, Тұлға, Жауапты қызметкер."}[lang]
    assert withheld in r.text, r.text[-2000:]
    asel.cookies.set("merzim_lang", "en")


# -- a mapping naming them anyway -----------------------------------------------------------------


# each protected column, by its key or its label (in any language)
FORGED = [("subject", "Organisation"), ("person", "Person"),
          ("responsible", "Responsible officer"), ("Ответственный сотрудник", "Responsible officer"),
          ("Тұлға", "Person")]


@pytest.mark.parametrize(("target", "named"), FORGED)
def test_a_forged_mapping_naming_them_is_refused_and_changes_nothing(site: Web, target: str,
                                                                     named: str):
    asel = site.browser("asel")
    r = upload(asel, her_file("A. Person"))
    before, since = but_kept(site.dump()), site.last_audit()
    forged = asel.post(MAP, data=choose(r.text, {"Вид нарушения": "kind",
                                                 "Принятые меры": target}))
    assert forged.status_code == 422, forged.text[-2000:]
    assert f"Column “Принятые меры” cannot be mapped to “{named}”" in forged.text, \
        forged.text[-2000:]
    it_may_be = forged.text.split("It may be: ")[1].split("</")[0]
    assert "Kind of restriction" in it_may_be and "Responsible officer" not in it_may_be
    assert but_kept(site.dump()) == before
    assert mappings(site) == [] and mapping_records(site) == []
    assert [(action, payload) for _, action, payload in site.audit_since(since)] == [
        ("refused.import_preview", {"key": "import.map_protected"})]


def test_a_forged_confirm_naming_them_is_refused_and_changes_nothing(site: Web):
    """The preview's confirm carries her mapping in hidden fields: one changed to name the
    responsible officer is refused when confirmed; no case, no mapping."""
    asel = site.browser("asel")
    r = upload(asel, her_file("A. Person"))
    ready = asel.post(MAP, data=choose(r.text, {"Вид нарушения": "kind",
                                                "Принятые меры": "measures"}))
    assert "The file is accepted: 1 entry would be opened." in ready.text, ready.text[-2000:]
    data = dict(HIDDEN.findall(map_form(ready.text, CONFIRM)))
    data["csrf"] = csrf_of(ready.text)
    forged = dict(data)
    [measures] = [n for n, v in data.items() if n.startswith("header_") and v == "Принятые меры"]
    forged["field_" + measures[len("header_"):]] = "responsible"
    before, since = but_kept(site.dump()), site.last_audit()
    refused = asel.post(CONFIRM, data=forged)
    assert refused.status_code == 422, refused.text[-2000:]
    assert "cannot be mapped to “Responsible officer”" in refused.text, refused.text[-2000:]
    assert but_kept(site.dump()) == before
    assert standing(site) == [] and mappings(site) == [] and mapping_records(site) == []
    assert [action for _, action, _ in site.audit_since(since)] == ["refused.import"]
    # the file as previewed is still hers to confirm
    done = asel.post(CONFIRM, data=data)
    assert "1 entry opened." in done.text, done.text[-2000:]
    edu = org_id(site, "AK-ALM-EDU")
    assert mappings(site) == [(edu, PROCESS, "вид нарушения", "kind"),
                              (edu, PROCESS, "принятые меры", "measures")]


@pytest.mark.parametrize(("lang", "says"), [
    ("ru", "Столбец «Принятые меры» нельзя сопоставить со столбцом «Ответственный сотрудник»"),
    ("kk", "«Принятые меры» бағанын «Жауапты қызметкер» бағанына сәйкестендіруге болмайды")])
def test_the_refusal_reads_in_her_language(site: Web, lang: str, says: str):
    asel = site.browser("asel")
    asel.cookies.set("merzim_lang", lang)
    r = upload(asel, her_file("A. Person"))
    before = but_kept(site.dump())
    forged = asel.post(MAP, data=choose(r.text, {"Вид нарушения": "kind",
                                                 "Принятые меры": "responsible"}))
    assert forged.status_code == 422
    assert says in forged.text, forged.text[-2000:]
    assert but_kept(site.dump()) == before
    asel.cookies.set("merzim_lang", "en")


def test_the_command_line_refuses_map_naming_them(site: Web, tmp_path):
    cli = cli_of(site, tmp_path)
    path = tmp_path / "hers.csv"
    path.write_bytes(csv_of("Организация,Лицо,Вид нарушения,Принятые меры,detected",
                            f"AK-ALM-EDU,A. Person,foreign_account,Выговор,{DAY}"))
    before, since = site.dump(), site.last_audit()
    for target, named in FORGED:
        refused = cli("case", "import", PROCESS, str(path), "--org", "AK-ALM-EDU",
                      "--map", "Вид нарушения=kind", "--map", f"Принятые меры={target}",
                      today=TODAY)
        assert refused.returncode == 2, refused.stderr
        assert f"Column “Принятые меры” cannot be mapped to “{named}”" in refused.stderr, \
            refused.stderr
    ru = cli("case", "import", PROCESS, str(path), "--org", "AK-ALM-EDU",
             "--map", "Вид нарушения=kind", "--map", "Принятые меры=person", today=TODAY,
             lang="ru")
    assert ru.returncode == 2 and "нельзя сопоставить со столбцом «Лицо»" in ru.stderr, ru.stderr
    assert site.dump() == before and site.audit_since(since) == []
    assert mappings(site) == []


def test_a_mapping_kept_before_naming_them_is_not_applied(site: Web):
    """A header her organisation once mapped to the responsible officer (kept before the rule,
    or while the register declared it mappable) is asked about again, and not offered it."""
    edu = org_id(site, "AK-ALM-EDU")
    with Session(site.engine) as s:
        queries.keep_mapping(s, edu, PROCESS, {"вид нарушения": "kind",
                                               "принятые меры": "responsible"},
                             "web:asel", "2026-01-01T00:00:00+00:00")
        s.commit()
    asel = site.browser("asel")
    r = upload(asel, her_file("A. Person"))
    assert "1 column of your file is not one the register knows" in r.text, r.text[-2000:]
    assert '<label for="field_0">Принятые меры</label>' in r.text
    [options] = offered(r.text)
    assert "responsible" not in options
    mapped = asel.post(MAP, data=choose(r.text, {"Принятые меры": "measures"}))
    assert "The file is accepted: 1 entry would be opened." in mapped.text, mapped.text[-2000:]
    assert "1 entry opened." in post_form(asel, mapped.text, CONFIRM).text
    assert mappings(site) == [(edu, PROCESS, "вид нарушения", "kind"),
                              (edu, PROCESS, "принятые меры", "measures")]
    with Session(site.engine) as s:
        [case] = s.exec(select(Case).where(Case.process == PROCESS)).all()
        assert case.responsible_id == site.user("asel").id  # hers, as for an empty column
        assert (case.fields or {})["measures"] == "Выговор"


# -- whose mapping --------------------------------------------------------------------------------


def test_a_mapping_is_kept_for_her_organisation_and_the_register(site: Web, make_ctx, tmp_path):
    asel, marat = site.browser("asel"), site.browser("marat")  # AK-ALM-EDU, AK-ALM-HLTH
    edu, hlth = org_id(site, "AK-ALM-EDU"), org_id(site, "AK-ALM-HLTH")
    r = upload(asel, her_file("A. Person"))
    mapped = asel.post(MAP, data=choose(r.text, {"Вид нарушения": "kind",
                                                 "Принятые меры": "measures"}))
    assert "1 entry opened." in post_form(asel, mapped.text, CONFIRM).text
    assert mappings(site) == [(edu, PROCESS, "вид нарушения", "kind"),
                              (edu, PROCESS, "принятые меры", "measures")]
    # another organisation's officer, the same register and headers: asked again
    r = upload(marat, her_file("M. Person"))
    assert "2 columns of your file are not ones the register knows" in r.text, r.text[-2000:]
    mapped = marat.post(MAP, data=choose(r.text, {"Вид нарушения": "kind",
                                                  "Принятые меры": "-"}))
    assert "Columns not read (not fields of the register): Телефон, Принятые меры." \
        in mapped.text, mapped.text[-2000:]
    assert "1 entry opened." in post_form(marat, mapped.text, CONFIRM).text
    assert mappings(site) == sorted([(edu, PROCESS, "вид нарушения", "kind"),
                                     (edu, PROCESS, "принятые меры", "measures"),
                                     (hlth, PROCESS, "вид нарушения", "kind"),
                                     (hlth, PROCESS, "принятые меры", "")])
    # each organisation's next file is read with its own mapping, asking nothing
    again = upload(marat, her_file("M. Person 2"))
    assert "The file is accepted: 1 entry would be opened." in again.text, again.text[-2000:]
    assert "Columns not read (not fields of the register): Телефон, Принятые меры." in again.text
    with Session(site.engine) as s:
        svc.add_user(s, make_ctx(TODAY), "aliya", "Aliya", "officer", "AK-ALM-EDU")
        s.commit()
    aliya = site.browser("aliya")  # asel's colleague
    again = upload(aliya, her_file("B. Person"))
    assert "The file is accepted: 1 entry would be opened." in again.text, again.text[-2000:]
    assert "Columns not read (not fields of the register): Телефон." in again.text
    assert "1 entry opened." in post_form(aliya, again.text, CONFIRM).text
    by_person = {c[2]: c for c in standing(site)}
    assert by_person["B. Person"][0] == edu and by_person["B. Person"][4]["measures"] == "Выговор"
    assert by_person["M. Person"][0] == hlth and "measures" not in (by_person["M. Person"][4] or {})
    # the same organisation, another register: asked again
    other = upload(asel, csv_of("Вид нарушения", "x"), path="/registers/tainted_hire/import")
    assert 'action="/registers/tainted_hire/import/map"' in other.text, other.text[-2000:]
    # the command line: the organisation --org names, or none
    cli = cli_of(site, tmp_path)
    path = tmp_path / "hers.csv"
    path.write_bytes(csv_of("Организация,Лицо,Вид нарушения,Принятые меры,detected",
                            f"AK-ALM-ILE,C. Person,foreign_account,Выговор,{DAY}"))
    for org in (("--org", "AK-ALM-ILE"), ()):
        asked = cli("case", "import", PROCESS, str(path), *org, today=TODAY)
        assert asked.returncode == 2, asked.stderr
        assert "Unknown columns Вид нарушения, Принятые меры" in asked.stderr, asked.stderr
    path.write_bytes(csv_of("Организация,Лицо,Вид нарушения,Принятые меры,detected",
                            f"AK-ALM-EDU,C. Person,foreign_account,Выговор,{DAY}"))
    done = cli("case", "import", PROCESS, str(path), "--org", "AK-ALM-EDU", today=TODAY)
    assert done.returncode == 0, done.stderr


# -- a register that declares a party mappable ----------------------------------------------------


NAMED = (Path(__file__).parent / "registers/breach_named.toml").read_text(encoding="utf-8")


def test_a_register_that_declares_the_person_mappable_offers_it(web: Web, tmp_path: Path):
    folder = tmp_path / "registers"
    folder.mkdir()
    (folder / "breach_named.toml").write_text(NAMED, encoding="utf-8")
    registry = load_registry((folder,))
    url = web.engine.url.render_as_string(hide_password=False)
    web.app = create_app(_settings(tmp_path, url), web.engine, CALENDAR, registry)
    web._browsers.clear()
    form = "/registers/breach_named/import"
    asel = web.browser("asel")
    r = upload(asel, csv_of("Сотрудник,Вид,Дата выявления факта", f"A. Person,gift,{DAY}"),
               path=form)
    assert r.status_code == 200, r.text[-2000:]
    [options] = offered(r.text, f"{form}/map")  # "Вид" is the field's own label
    assert "person" in options and options.isdisjoint({"subject", "responsible"})
    assert "Not offered: Organisation, Responsible officer." in r.text
    before = but_kept(web.dump())
    forged = asel.post(f"{form}/map", data=choose(r.text, {"Сотрудник": "responsible"},
                                                  f"{form}/map"))
    assert forged.status_code == 422 and "cannot be mapped to “Responsible officer”" \
        in forged.text, forged.text[-2000:]
    assert but_kept(web.dump()) == before
    r = upload(asel, csv_of("Сотрудник,Вид,Дата выявления факта", f"A. Person,gift,{DAY}"),
               path=form)
    mapped = asel.post(f"{form}/map", data=choose(r.text, {"Сотрудник": "person"},
                                                  f"{form}/map"))
    assert "The file is accepted: 1 entry would be opened." in mapped.text, mapped.text[-2000:]
    assert "1 entry opened." in post_form(asel, mapped.text, f"{form}/confirm").text
    with Session(web.engine) as s:
        [case] = s.exec(select(Case).where(Case.process == "breach_named")).all()
        assert case.person_name == "A. Person"
    edu = org_id(web, "AK-ALM-EDU")
    assert mappings(web) == [(edu, "breach_named", "сотрудник", "person")]
