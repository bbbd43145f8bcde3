"""The same person (B-26; workflow/core/facts.py `person_text`, `person_key`, `probable_same`):
one normalisation of a name, asked by every path that compares people.

Seven spellings of one recipient of a gift: a soft hyphen, a zero-width space, a Latin "A" and
ё for е are the same identity (refused as the same fact, and by the database); Kazakh letters
for their Russian look-alikes, initials, another word order and a missing patronymic are a
**probable repeat**: shown beside the standing entry (the refusal names it and its person as
written), linked, or kept with a reason, never merged. Typed, through the API, linked from the
gift procedure, imported from a register file and from a sheet of done work: the gift counts
once in the score, appendix 2, the national input and the register list. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, select

from tests.support.bulk_helpers import commit
from tests.support.cli_runner import dated_cli, init_with_orgs
from tests.support.databases import dump_tables, refused_unchanged
from tests.support.fact_counts import counted, listed, typed
from tests.support.features import needs
from tests.support.gift_world import (
    BREACH,
    GIFT,
    NOT_HANDED,
    RECEIVED,
    ctx_of,
    ids_fixture,  # noqa: F401 - the `ids` fixture
)
from tests.support.web_helpers import web_fixture  # noqa: F401 - the `web` fixture
from workflow import services as svc
from workflow.core.errors import MerzimError
from workflow.core.facts import FactRule, person_key, person_text, probable_same
from workflow.i18n import Translator
from workflow.storage.db import session as open_session
from workflow.storage.models import EVENT, Case, EventRecord, Organisation

pytestmark = needs("scorecard")

NAME = "Сәрсенова Алёна Болатқызы"  # the standing entry's recipient
SAME = {  # the same identity, written otherwise
    "soft hyphen": "Сәр\u00adсенова Алёна Болатқызы",
    "zero-width space": "Сәрсе\u200bнова Алёна\ufeff Болатқызы",
    "Latin A": "Сәрсенова \u0041лёна Болатқызы",
    "е for ё": "Сәрсенова Алена Болатқызы",
}
PROBABLE = {  # a probable repeat: never the identity
    "Russian look-alikes of Kazakh letters": "Сарсенова Алёна Болаткызы",
    "initials": "Сәрсенова А. Б.",
    "word order": "Алёна Сәрсенова Болатқызы",
    "no patronymic": "Сәрсенова Алёна",
}


# -- the normaliser ----------------------------------------------------------------------------


@pytest.mark.unit
@pytest.mark.parametrize("how", sorted(SAME))
def test_a_name_written_with_invisible_or_look_alike_letters_is_the_same_person(how):
    assert person_key(SAME[how]) == person_key(NAME)
    assert person_text("  СӘРСЕНОВА   Алёна\u00ad ") == "сәрсенова алена"


@pytest.mark.unit
@pytest.mark.parametrize("how", sorted(PROBABLE))
def test_a_name_differing_by_initials_order_patronymic_or_kazakh_letters_is_probable(how):
    assert person_key(PROBABLE[how]) != person_key(NAME)
    assert probable_same(PROBABLE[how], NAME) and probable_same(NAME, PROBABLE[how])


@pytest.mark.unit
def test_other_people_are_not_probable_repeats():
    assert not probable_same("Сәрсенов Алмас Болатұлы", NAME)  # another surname
    assert not probable_same("Сәрсенова Б. Б.", "Сәрсенова Алёна")  # other initials
    assert not probable_same("Сәрсенова", NAME)  # a surname alone
    assert not probable_same("", NAME)
    # a Latin name stays Latin (its letters are read as Cyrillic only in a Cyrillic name)
    assert person_key("Erlan Sadykov") == "erlansadykov"
    rule = FactRule.of(ctx_of().registry.get(BREACH))
    assert rule is not None
    gift = {"kind": "reward_or_gift"}
    assert rule.probable("Сәрсенова А.Б.", gift, {"detected": "2026-02-02"}, NAME, gift,
                         {"detected": "2026-11-30"})
    assert not rule.probable("Сәрсенова А.Б.", gift, {"detected": "2026-02-02"}, NAME, gift,
                             {"detected": "2025-11-30"})  # another year: another fact
    assert not rule.probable("Сәрсенова А.Б.", {"kind": "foreign_account"},
                             {"detected": "2026-02-02"}, NAME, gift, {"detected": "2026-02-02"})


# -- typed -------------------------------------------------------------------------------------


def test_seven_spellings_typed_count_one_gift(db, ids):
    ctx = ctx_of()
    entry = typed(db, person=NAME).analysis.id
    for how, name in SAME.items():
        refused = refused_unchanged(db, lambda s, name=name: svc.open_checked(
            s, ctx, BREACH, "MF", person=name,
            fields={"kind": "reward_or_gift", "detected_independently": "yes"},
            dates={"detected": date(2026, 2, 20)}))
        assert (refused.key, refused.params.get("id")) == ("rule.duplicate_case", entry), (
            how, refused.key, refused.params)
    for how, name in PROBABLE.items():
        refused = refused_unchanged(db, lambda s, name=name: svc.open_checked(
            s, ctx, BREACH, "MF", person=name,
            fields={"kind": "reward_or_gift", "detected_independently": "yes"},
            dates={"detected": date(2026, 2, 20)}))
        assert (refused.key, refused.params["id"]) == ("rule.probable_repeat", entry), how
        assert refused.params["person"] == NAME  # shown beside the standing entry
        for lang in ("kk", "ru", "en"):
            said = refused.render(Translator(lang))
            assert f"№{entry}" in said or f"#{entry}" in said, said
            assert NAME in said and "{" not in said
    counted(db, 1, person=NAME)


def test_a_probable_repeat_kept_with_a_reason_stands_beside_the_first(db, ids):
    first = typed(db, person=NAME).analysis.id
    second = typed(db, person=PROBABLE["no patronymic"], detected=date(2026, 2, 25),
                   reason="Alyona Sarsenova of the procurement unit, another servant")
    assert second.warnings[0]["duplicate_of"] == [first]
    assert listed(db) == [first, second.analysis.id]


def test_the_database_refuses_an_exact_spelling_written_past_the_services(db, ids):
    from sqlalchemy.exc import IntegrityError

    entry = typed(db, person=NAME).analysis.id
    with open_session(db) as s:
        values = {k: v for k, v in s.get(Case, entry).model_dump().items() if k != "id"}
        values["person_name"] = SAME["zero-width space"]
        copy = Case(**values)
        svc.facts.keep(ctx_of().registry.get(BREACH), copy)
        s.add(copy)
        with pytest.raises(IntegrityError):
            s.commit()
        s.rollback()
    counted(db, 1, person=NAME)


# -- linked from the gift ------------------------------------------------------------------------


def test_the_gift_of_a_probable_repeat_offers_the_standing_entry_to_link(db, ids):
    ctx = ctx_of()
    entry = typed(db, person=NAME).analysis.id
    gift = commit(db, lambda s: svc.open_case(s, ctx, GIFT, "MF",
                                              person=PROBABLE["initials"],
                                              dates={"received": RECEIVED}).id)
    commit(db, lambda s: svc.record_event(s, ctx, gift, "not_handed_over", NOT_HANDED))
    with open_session(db) as s:
        offer = next(o for o in svc.offers(s, ctx, svc.get_case(s, gift)) if o.same)
        assert offer.same == (entry,)
    refused = refused_unchanged(db, lambda s: svc.open_linked(s, ctx, gift))
    assert (refused.key, refused.params["entry"]) == ("rule.link_probable", entry)
    assert NAME in refused.render(Translator("kk")) and NAME in refused.render(Translator("ru"))
    assert commit(db, lambda s: svc.open_linked(s, ctx, gift, link_to=entry).id) == entry
    counted(db, 1, person=NAME)


# -- imported ----------------------------------------------------------------------------------


def _row(person: str, detected: str = "2026-02-20") -> dict[str, str]:
    return {"subject": "MF", "person": person, "kind": "reward_or_gift",
            "detected": detected, "detected_independently": "yes"}


def _refusals(refused: MerzimError) -> list[tuple[str, dict]]:
    return [(r.error.key, r.error.params) for r in getattr(refused, "refused", [])]


def test_the_register_import_names_the_standing_entry_of_every_spelling(db, ids):
    from workflow.imports import registers as register_import

    ctx = ctx_of()
    entry = typed(db, person=NAME).analysis.id
    rows = [_row(name) for name in [*SAME.values(), *PROBABLE.values()]]
    refused = refused_unchanged(db, lambda s: register_import.import_file(s, ctx, BREACH, rows),
                                MerzimError)
    found = _refusals(refused)
    assert [k for k, _p in found] == ["rule.duplicate_case"] * len(SAME) \
        + ["rule.probable_repeat"] * len(PROBABLE)
    assert {p["id"] for _k, p in found} == {entry}
    counted(db, 1, person=NAME)


def test_a_file_holding_one_person_twice_is_refused_naming_the_row(db, ids):
    from workflow.imports import registers as register_import

    ctx = ctx_of()
    rows = [_row(NAME), _row(PROBABLE["word order"], "2026-02-24")]
    refused = refused_unchanged(db, lambda s: register_import.import_file(s, ctx, BREACH, rows),
                                MerzimError)
    ((key, params),) = _refusals(refused)
    assert (key, params["row"], params["person"]) == ("rule.probable_register_row", 2, NAME)
    for lang in ("kk", "ru", "en"):
        assert "{" not in Translator(lang)(key, **params)
    counted(db, 0, person=NAME)


# -- the API -----------------------------------------------------------------------------------


@pytest.fixture
def cw(web):
    """The `web` fixture's application with every shipped process."""
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, ctx_of().registry)
    return web


def test_the_api_refuses_a_probable_repeat_until_a_reason_is_given(cw):
    api = cw.api("asel")
    body = {"process": BREACH, "subject": "AK-ALM-EDU", "person": NAME,
            "fields": {"kind": "reward_or_gift", "detected_independently": "yes"},
            "dates": {"detected": "2025-10-20"}}
    first = api.post("/api/v1/cases", json=body)
    assert first.status_code == 200, first.text
    before = {k: v for k, v in cw.dump().items() if k != "audit_log"}
    for name in [SAME["Latin A"], PROBABLE["initials"]]:
        again = api.post("/api/v1/cases", json={**body, "person": name})
        assert again.status_code == 409, again.text
        assert again.json()["error"] in ("rule.duplicate_case", "rule.probable_repeat")
        assert NAME in again.text or again.json()["error"] == "rule.duplicate_case"
    assert {k: v for k, v in cw.dump().items() if k != "audit_log"} == before
    kept = api.post("/api/v1/cases", json={**body, "person": PROBABLE["initials"],
                                           "duplicate_reason": "another servant"})
    assert kept.status_code == 200, kept.text


# -- a sheet of done work ----------------------------------------------------------------------

PREVENTIVE = "preventive_work"
DISTRICT = "AK-D9"
SERVANT = "Сәрсенова Алёна Болатқызы, бас маман"


@pytest.fixture
def cli(merzim_db):
    init_with_orgs(merzim_db, (("AK", "AK", "akimat", None),
                               (DISTRICT, "District nine", "district_akimat", "AK")))
    run = dated_cli(merzim_db, "2026-07-14")
    code, _out, err = run("user", "add", "aida", "--name", "Aida", "--role", "officer", "--org",
                          DISTRICT, "--email", "aida@example.kz")
    assert code == 0, err
    run.ok("obligations", "sync", "--from", "2026-01-01", "--org", DISTRICT, "--as", "aida")
    return run


def _sheet(tmp_path, rows: list[tuple[str, str]], name: str):
    path = tmp_path / name
    lines = ["subject,event,on,servant,positions_list",
             *(f'{DISTRICT},work_done,{on},"{servant}",Тізілім 2026' for on, servant in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _work(eng) -> list[tuple]:
    with Session(eng) as s:
        return sorted(s.exec(select(EventRecord.case_id, EventRecord.on).join(
            Case, Case.id == EventRecord.case_id).join(
            Organisation, Organisation.id == Case.subject_id).where(
            Organisation.code == DISTRICT, Case.process == PREVENTIVE,
            EventRecord.kind == EVENT, EventRecord.voided_by_id.is_(None))).all())


def test_a_done_work_sheet_again_with_the_name_typed_otherwise_records_the_work_once(
        cli, db, tmp_path):
    first = _sheet(tmp_path, [("2026-01-15", SERVANT), ("2026-01-20", "Ахметов Нұрлан, маман")],
                   "january.csv")
    code, out, err = cli("case", "import", PREVENTIVE, str(first), "--json")
    assert code == 0, err
    assert json.loads(out)["done_work"] is True
    work = _work(db)
    assert len(work) == 2
    before = dump_tables(db)
    again = _sheet(tmp_path, [("2026-01-15", "СӘРСЕНОВА  Алена\u00ad Болатқызы, бас маман"),
                              ("2026-01-16", "Сарсенова А.Б., бас маман"),
                              ("2026-01-20", "Нұрлан Ахметов, маман")], "again.csv")
    for lang in ("en", "ru", "kk"):
        code, _out, err = cli("case", "import", PREVENTIVE, str(again), lang=lang)
        assert code != 0 and "Traceback" not in err
        recorded = Translator(lang)("import.error_done_recorded", id="\x00", record="\x01")
        probable = Translator(lang)("import.error_done_probable", id="\x00", record="\x01")
        assert err.count(recorded.split("\x01")[1]) == 1, err[:600]
        assert err.count(probable.split("\x01")[1]) == 2, err[:600]
        assert dump_tables(db) == before, lang
    assert _work(db) == work


@pytest.mark.unit
def test_the_keys_an_import_looks_probable_repeats_up_by_find_every_one():
    from workflow.core.facts import probable_keys

    for name in [*SAME.values(), *PROBABLE.values()]:
        assert probable_keys(name) & probable_keys(NAME), name
    assert not probable_keys("Person 3") & probable_keys("Person 209")
