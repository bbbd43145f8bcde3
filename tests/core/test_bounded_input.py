"""Bad input gets a clear error and changes nothing: a text is bounded as its
column is (one limit: workflow/core/limits.py), a whole number within its field's declared
`min`/`max` (default 0 … 10^12) in ASCII digits, a date within 1900-01-01 … 2100-12-31 in
ASCII digits; each refused with a message about what is wrong, in the reader's language, on
every path (command line, import, web form, API), the database unchanged; the OpenAPI
documents the 400 of a body that is not JSON; the calendar-feed links of /account follow
`[web] public_url`; an account that cannot write the audit checkpoint is told once."""

from __future__ import annotations

import copy
import dataclasses
import logging
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import inspect
from starlette.testclient import TestClient

from tests.support.databases import dump_tables
from tests.support.web_helpers import CALENDAR, Web, csrf_of, web_fixture  # noqa: F401 - `web`
from workflow.core import limits
from workflow.core.dates import FIRST_DAY, LAST_DAY, parse_day
from workflow.core.errors import ConfigError, RuleViolation, UsageError
from workflow.core.machine import check_evidence
from workflow.definitions import DEFINITIONS, load_registry
from workflow.definitions.schema import parse_definition

LONG = "Әлия " * 50  # 250 characters
TODAY = "2026-03-02"


# -- one source of each limit -------------------------------------------------------------------


def test_the_columns_lengths_are_the_limits_the_checks_and_the_api_use():
    from web.api import CaseIn
    from workflow.storage.models import ApiToken, Case, Organisation, User

    assert len(LONG) == 250
    columns = {(m.__tablename__, c.name): c.type.length
               for m in (Case, Organisation, User, ApiToken) for c in inspect(m).columns
               if getattr(c.type, "length", None)}
    assert columns[("process_case", "person_name")] == limits.PERSON_NAME == 200
    assert columns[("process_case", "person_position")] == limits.PERSON_POSITION
    assert columns[("organisation", "name")] == columns[("organisation", "name_ru")] \
        == limits.ORG_NAME
    assert columns[("app_user", "full_name")] == limits.FULL_NAME
    assert columns[("api_token", "name")] == limits.TOKEN_NAME
    schema = CaseIn.model_json_schema()["properties"]
    person = [t for t in schema["person"]["anyOf"] if t.get("type") == "string"][0]
    assert person["maxLength"] == limits.PERSON_NAME


# -- the command line and the import: refused, the database unchanged ---------------------------


@pytest.fixture
def cli(merzim_db, db):
    def run(*args: str, lang: str = "en"):
        return merzim_db(*args, today=TODAY, lang=lang)

    for args in (("init",), ("org", "add", "MF", "--name", "Ministry", "--kind", "central_body"),
                 ("org", "add", "AK", "--name", "Akimat", "--kind", "akimat"),
                 ("case", "open", "conflict_of_interest", "--subject", "AK", "--person", "X",
                  "--date", "notified=2026-03-01")):
        assert run(*args).returncode == 0, args
    run.engine = db
    return run


NOTICE = ("case", "open", "offence_notice", "--subject", "MF", "--person", "X", "--field",
          "category=criminal", "--date", "detected=2026-01-05")

REFUSED = {
    # (arguments, language, what the one line says)
    "a-name-of-250": (("case", "open", "conflict_of_interest", "--subject", "AK", "--person",
                       LONG, "--date", "notified=2026-03-01"), "ru",
                      "Длина поля person превышает 200 символов."),
    "a-position-of-301": (("case", "open", "conflict_of_interest", "--subject", "AK", "--person",
                           "X", "--position", "p" * 301, "--date", "notified=2026-03-01"), "en",
                          "position is longer than 300 characters."),
    "negative-damage": ((*NOTICE, "--field", "damage=-5"), "kk",
                        "damage: -5 рұқсат етілген шектен тыс: 0 мен 1000000000000"),
    "damage-above-a-trillion": ((*NOTICE, "--field", "damage=1000000000001"), "en",
                                "from 0 to 1000000000000"),
    "arabic-indic-digits": ((*NOTICE, "--field", "damage=١٢"), "ru",
                            "damage: '١٢' не является целым числом"),
    "full-width-digits": ((*NOTICE, "--field", "damage=１２"), "en",
                          "damage: '１２' is not a whole number"),
    "a-date-in-1899": ((*NOTICE[:-2], "--date", "detected=1899-12-31"), "ru",
                       "1899-12-31 — вне допустимых границ: дата от 1900-01-01 до 2100-12-31"),
    "a-date-of-year-one": ((*NOTICE[:-2], "--date", "detected=0001-01-05"), "en",
                           "a date from 1900-01-01 to 2100-12-31"),
    "full-width-date": ((*NOTICE[:-2], "--date", "detected=２０２６-01-05"), "en",
                        "is not a date"),
    "a-record-in-1899": (("record", "1", "forwarded", "--date", "1899-03-01"), "kk",
                         "1900-01-01 мен 2100-12-31 аралығындағы күн"),
    "an-org-name-of-301": (("org", "add", "LONG", "--name", "n" * 301, "--kind", "akimat"), "en",
                           "must be 1-300 characters"),
    "a-user-name-of-201": (("user", "add", "dana", "--name", "d" * 201, "--role", "officer",
                            "--org", "AK"), "ru", "Длина поля full_name превышает 200"),
}


@pytest.mark.parametrize(("args", "lang", "says"), REFUSED.values(), ids=REFUSED.keys())
def test_the_command_line_refuses_in_one_line_and_stores_nothing(cli, args, lang, says):
    before = dump_tables(cli.engine)
    r = cli(*args, lang=lang)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert says in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "too large" not in r.stderr and "слишком велико" not in r.stderr
    assert dump_tables(cli.engine) == before


def test_an_import_row_with_a_name_too_long_stores_nothing(cli, tmp_path):
    f = tmp_path / "gifts.csv"
    f.write_text(f"subject,person,received\nMF,Aida,2026-02-20\nMF,{LONG},2026-02-20\n",
                 encoding="utf-8")
    before = dump_tables(cli.engine)
    r = cli("case", "import", "gift", str(f), lang="kk")
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "person өрісінің ұзындығы 200 таңбадан асады" in r.stderr, r.stderr
    assert dump_tables(cli.engine) == before


def test_the_bounds_still_let_the_right_values_through(cli):
    r = cli(*NOTICE, "--field", "damage=1000000000000")
    assert r.returncode == 0, r.stderr
    r = cli("case", "open", "conflict_of_interest", "--subject", "AK", "--person", "ә" * 200,
            "--date", "notified=2026-01-02")
    assert r.returncode == 0, r.stderr


# -- the web form and the API ---------------------------------------------------------------------


@pytest.fixture
def every_process(web: Web) -> Web:
    """The `web` demo with every shipped definition (the demo's app has the analysis only)."""
    app = create_app_for(web, load_registry())
    return dataclasses.replace(web, app=app, _browsers={}, _tokens={})


def create_app_for(web: Web, registry, **web_settings):
    from web.app import create_app

    settings = web.app.state.settings
    if web_settings:
        settings = dataclasses.replace(settings, web=dataclasses.replace(settings.web,
                                                                         **web_settings))
    return create_app(settings, web.engine, CALENDAR, registry)


def test_the_web_form_refuses_a_name_of_250_with_its_length_and_stores_nothing(
        every_process: Web):
    web = every_process
    officer = web.browser("asel")
    officer.cookies.set("merzim_lang", "ru")
    form = officer.get("/cases/new/conflict_of_interest")
    assert form.status_code == 200, form.text
    before = web.dump()
    r = officer.post("/cases/new/conflict_of_interest", data={
        "csrf": csrf_of(form.text), "person": LONG, "date_notified": "2025-11-18"})
    assert r.status_code == 422, r.text
    assert "превышает 200 символов" in r.text
    assert web.dump() == before


def test_the_api_refuses_a_name_of_250_with_its_length_and_stores_nothing(every_process: Web):
    web = every_process
    api = web.api("asel")  # her token made first
    before = web.dump()
    body = {"process": "conflict_of_interest", "subject": "AK-ALM-EDU", "person": LONG,
            "dates": {"notified": "2025-11-18"}}
    r = api.post("/api/v1/cases?lang=kk", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["message"] == "person өрісінің ұзындығы 200 таңбадан асады."
    for dates in ({"notified": "1899-12-31"}, {"notified": "0001-01-01"}):
        r = api.post("/api/v1/cases?lang=ru", json={**body, "person": "X", "dates": dates})
        assert r.status_code == 422, r.text
        assert "дата от 1900-01-01 до 2100-12-31" in r.json()["message"]
    assert web.dump() == before


# -- the definition's bounds ----------------------------------------------------------------------


def _notice_with(**bounds) -> dict:
    doc = tomllib.loads((DEFINITIONS / "registers" / "offence_notice.toml").read_text("utf-8"))
    doc = copy.deepcopy(doc)
    damage = next(f for f in doc["field"] if f["key"] == "damage")
    damage.update(bounds)
    doc["evidence"] = {**doc.get("evidence", {}), "staff": {
        "type": "integer", "names": {"kk": "a", "ru": "b", "en": "staff"}, **bounds}}
    return doc


def test_a_definition_declares_the_bounds_of_an_integer_field_and_evidence():
    defn = parse_definition(_notice_with(min=-10, max=10), "offence_notice.toml")
    assert (defn.fields["damage"].minimum, defn.fields["damage"].maximum) == (-10, 10)
    assert (defn.evidence["staff"].minimum, defn.evidence["staff"].maximum) == (-10, 10)
    check_evidence(defn, {"staff": "-10"})
    for value in ("11", "-11", "１", "1_0", "+5", "1e1"):
        with pytest.raises(RuleViolation) as refused:
            check_evidence(defn, {"staff": value})
        assert refused.value.key == "rule.bad_evidence_integer"
        assert refused.value.params["min"] == -10 and refused.value.params["max"] == 10
    shipped = parse_definition(_notice_with(), "offence_notice.toml")
    assert (shipped.fields["damage"].minimum, shipped.fields["damage"].maximum) == (
        limits.INTEGER_MIN, limits.INTEGER_MAX)
    for bad, says in (({"min": 5, "max": 1}, "above max"), ({"min": "1"}, "min: must be a whole number"),
                      ({"max": 10**16}, "max: must be a whole number <=")):
        with pytest.raises(ConfigError, match=says):
            parse_definition(_notice_with(**bad), "offence_notice.toml")
    doc = _notice_with()
    next(f for f in doc["field"] if f["key"] == "category")["max"] = 3
    with pytest.raises(ConfigError, match="min and max are for type"):
        parse_definition(doc, "offence_notice.toml")


def test_a_typed_date_is_ascii_and_within_the_years():
    assert parse_day(" 2100-12-31 ", "d") == LAST_DAY and parse_day("1900-01-01", "d") == FIRST_DAY
    for text, key in (("2101-01-01", "error.date_out_of_bounds"),
                      ("1899-12-31", "error.date_out_of_bounds"),
                      ("٢٠٢٦-٠١-٠١", "error.bad_date"), ("20260101", "error.bad_date"),
                      ("2026-W01-1", "error.bad_date")):
        with pytest.raises(UsageError) as refused:
            parse_day(text, "d")
        assert refused.value.key == key, text


# -- the OpenAPI's 400 ------------------------------------------------------------------------------


def test_every_operation_reading_a_json_body_documents_the_400_it_answers(web: Web):
    spec = web.client().get("/openapi.json").json()
    reading = [(path, method, op) for path, item in spec["paths"].items()
               for method, op in item.items()
               if "application/json" in (op.get("requestBody") or {}).get("content", {})]
    assert len(reading) >= 9
    for path, method, op in reading:
        assert "400" in op["responses"], (method, path)
        assert op["responses"]["400"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ApiError"}
    get = spec["paths"]["/api/v1/overdue"]["get"]
    assert "400" not in get["responses"]
    # and it is what a body that is not UTF-8 text gets
    r = web.api("asel").post("/api/v1/cases", content=b'{"process": "\xff"}',
                             headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "error.invalid"


# -- the feed links --------------------------------------------------------------------------------


def test_the_feed_link_of_the_account_page_is_built_from_public_url(web: Web):
    app = create_app_for(web, web.app.state.registry,
                         public_url="https://merzim.example.kz:8443/m")
    browser = TestClient(app, base_url="http://10.0.0.11:8000", follow_redirects=False)
    browser.cookies.set("merzim_lang", "en")
    assert web.post_login(browser, "timur").status_code == 303
    form = browser.get("/account")
    r = browser.post("/account/feeds", data={"csrf": csrf_of(form.text), "scope": "user"})
    assert r.status_code == 200
    assert "<code>https://merzim.example.kz:8443/m/ics/" in r.text
    assert "10.0.0.11" not in r.text


# -- the audit checkpoint -----------------------------------------------------------------------------


def test_a_checkpoint_that_cannot_be_written_is_said_once(merzim_db, db, tmp_path: Path,
                                                          caplog):
    from workflow.storage import checkpoint

    nowhere = tmp_path / "not-a-folder"
    nowhere.write_text("a file where the folder should be", encoding="utf-8")
    env = {"MERZIM_AUDIT_CHECKPOINT": str(nowhere / "audit-head")}
    checkpoint._SAID.clear()
    with caplog.at_level(logging.WARNING, logger="workflow.storage.checkpoint"):
        for code in ("A1", "A2"):  # two commands that record (one process here: said once)
            r = merzim_db("org", "add", code, "--name", code, "--kind", "akimat", env=env)
            assert r.returncode == 0, r.stderr
    said = [r.getMessage() for r in caplog.records if "audit checkpoint" in r.getMessage()]
    assert len(said) == 1 and str(nowhere / "audit-head") in said[0], said
    assert "MERZIM_AUDIT_CHECKPOINT" in said[0] and "\n" not in said[0]
    checkpoint._SAID.clear()
