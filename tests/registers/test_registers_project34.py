"""The registers of projects No. 3 and No. 4 (workflow/definitions/registers/, the contract in its
README; spec shared/domain/projects-2-4.md) and the new versions of four recurring obligations
(civil_servant_training, ethics_explanatory_event, akim_commission_meeting, qse_training_events).

Every key is listed by `merzim process list`; every register is opened (or its period's case
synced) and recorded through the command line, with due dates worked out by hand from the rule
and the Kazakh calendar (`merzim calendar show YEAR`): 2025 — 16 December off; 2026 — 1, 2, 7
January, 9 March, Nauryz 23-25 March (21-22 March fell on the weekend), 1, 7, 11 May;
2027 (rules only) — 1, 4, 7 January, 8, 15, 22-24 March. A refused record (a number that is
not whole, a value outside a choice's list, an organisation outside the subject's subtree, a
subject that is not a quasi-state entity) exits non-zero with a clear message and leaves every
table as it was.
"""

from __future__ import annotations

import json
import tomllib
from datetime import date

import pytest

from calendars import KazakhstanCalendar
from tests.support.databases import database_from_template, dump_tables
from workflow.core import periods
from workflow.core.definition import LANGUAGES
from workflow.definitions import PROCEDURES, REGISTERS, VERSIONS, load_registry, read_file

CAL = KazakhstanCalendar()

DOCUMENTS = ("compliance_regulation", "anticorruption_policy", "anticorruption_manual",
             "coi_policy", "anticorruption_standard", "internal_action_plan",
             "reporting_procedure", "ethics_code")
STANDING = tuple(k for k in DOCUMENTS if k != "anticorruption_manual")  # one entry per entity
PROJECT_3 = (*DOCUMENTS, "documents_published", "iso37001_certificate")
PROJECT_4 = ("akim_commission_schedule", "social_order", "documentolog_course",
             "preventive_work", "legal_outreach")
MINE = (*PROJECT_3, *PROJECT_4)
VERSION_2 = ("civil_servant_training", "ethics_explanatory_event", "akim_commission_meeting",
             "qse_training_events")
# read with the kinds that count as one of them, after those named (workflow/core/kinds.py)
STATE_BODIES = ("central_body", "committee", "territorial_department", "akimat", "department",
                "district_akimat", "city_akimat", "district_department")


def definition(key: str):
    folder = PROCEDURES if key in VERSION_2 else REGISTERS
    return read_file(folder / f"{key}.toml").definition


def raw(key: str) -> dict:
    folder = PROCEDURES if key in VERSION_2 else REGISTERS
    return tomllib.loads((folder / f"{key}.toml").read_text(encoding="utf-8"))


# -- the files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", MINE + VERSION_2)
def test_every_name_in_three_languages_and_every_stage_sourced(key):
    d = definition(key)
    text = ((PROCEDURES if key in VERSION_2 else REGISTERS) / f"{key}.toml").read_text(
        encoding="utf-8")
    assert text.startswith("#") and "000:L" in text  # the header quotes the seed's lines
    named = [d.names, *d.states.values(), *(e.names for e in d.events.values()),
             *(s.names for s in d.stages.values()), *(f.names for f in d.fields.values()),
             *(n.names for n in d.dates.values() if n.names is not None),
             *(e.names for k, e in d.evidence.items() if e.names is not None)]
    for spec in (*d.fields.values(), *d.evidence.values()):
        assert set(spec.choice_names) == set(spec.choices), (key, spec.key)
        named += list(spec.choice_names.values())
    for names in named:
        assert all(names[lang].strip() for lang in LANGUAGES), (key, names)
    assert d.names["kk"] != d.names["ru"] != d.names["en"]
    for stage in d.stages.values():
        assert stage.source.strip() and stage.source[:4] in {"000:", "001:"}, (key, stage.key)
        assert any(e.completes == stage.key for e in d.events.values()), (key, stage.key)


def test_the_scorecard_and_form_tables_are_the_contracts():
    expected = {
        # B-17: a standing document counts in every year from its approval until repealed
        **{k: {"indicator": f"3.2.{n}", "counted": "approval", "standing": True,
               "ends": "document_repealed", "states": {"excluded": ["cancelled"]}}
           for n, k in enumerate(DOCUMENTS, start=1) if k != "anticorruption_manual"},
        "anticorruption_manual": {"indicator": "3.2.3", "counted": "update"},
        "documents_published": {"indicator": "3.2.9", "counted": "publication",
                                "standing": True, "records": "document_published",
                                "fields": {"document": "document"},
                                "states": {"excluded": ["cancelled"]}},
        "iso37001_certificate": {"indicator": "3.3.1",
                                 "dates": {"valid_from": "issued", "valid_until": "expires"},
                                 "states": {"excluded": ["cancelled"]}},
        "qse_training_events": {"indicator": "3.1.1", "counted": "training_event"},
        "akim_commission_meeting": {"indicator": "4.1.1", "counted": "meeting"},
        "social_order": {"indicator": "4.1.2", "records": "unit_order",
                         "fields": {"unit": "unit"}},
        "civil_servant_training": {"indicator": "4.2.1", "counted": "training",
                                   "fields": {"numerator": "trained_number",
                                              "denominator": "staff_number"}},
        "documentolog_course": {"indicator": "4.2.2", "counted": "online_course",
                                "fields": {"numerator": "employees_completed",
                                           "denominator": "employees_total"}},
        "ethics_explanatory_event": {"indicator": "4.2.3", "records": "event_held"},
        "preventive_work": {"indicator": "4.2.4", "records": "work_done",
                            "fields": {"count": "servants"}},
        "legal_outreach": {"indicator": "4.3.1", "records": "outreach_event",
                           "counted": "report", "fields": {"views": "views", "online": "online"}},
    }
    assert {k: raw(k).get("scorecard") for k in expected} == expected
    assert raw("akim_commission_schedule").get("scorecard") is None
    forms = {
        "social_order": {"appendix": 4, "records": "unit_order",
                         "columns": ["unit", "amount", "url"]},
        "ethics_explanatory_event": {"appendix": 5, "row": 1, "records": "event_held",
                                     "columns": ["commissioner", "event_held", "topic",
                                                 "audience"]},
        "preventive_work": {"appendix": 5, "row": 2, "records": "work_done",
                            "columns": ["servant", "work_done", "positions_list",
                                        "work_info", "servants_named", "servants"]},
        "legal_outreach": {"appendix": 6, "records": "outreach_event",
                           "columns": ["explained", "outreach_event", "held_at", "url"]},
    }
    assert {k: raw(k).get("form") for k in (*MINE, *VERSION_2) if raw(k).get("form")} == forms
    # every key a table names is the definition's own
    for key in (*MINE, *VERSION_2):
        d, table = definition(key), raw(key).get("scorecard") or {}
        assert table.get("counted") in (None, *d.stages)
        assert table.get("records") in (None, *d.events)
        assert set((table.get("dates") or {}).values()) <= set(d.dates)
        assert set((table.get("states") or {}).get("excluded", [])) <= set(d.states)
        assert set((table.get("fields") or {}).values()) <= set(d.evidence) | set(d.fields)


def test_project_3_is_recorded_only_for_a_quasi_state_entity():
    assert definition("anticorruption_manual").recurrence.applies_to == ("quasi_state",)
    assert definition("qse_training_events").recurrence.applies_to == ("quasi_state",)
    for key in (*STANDING, "documents_published", "iso37001_certificate"):
        d = definition(key)
        assert d.recurrence is None
        for event in d.events.values():  # `cancel` closes an entry opened by mistake; a
            # document repealed needs it approved first (a quasi-state entity's)
            assert event.subject_kinds == (() if event.terminal or event.prerequisites
                                           == ("document_approved",) and event.dest == "repealed"
                                           else ("quasi_state",)), key


def test_recurrences_and_whom_they_apply_to():
    expected = {"anticorruption_manual": ("year", ("quasi_state",)),
                "akim_commission_schedule": ("year", ("akimat", "district_akimat", "city_akimat")),
                "social_order": ("year", ("akimat", "city_akimat")),
                "documentolog_course": ("year", STATE_BODIES),
                "preventive_work": ("month", STATE_BODIES),
                "legal_outreach": ("year", STATE_BODIES)}
    for key, (period, kinds) in expected.items():
        rec = definition(key).recurrence
        assert (rec.period, rec.applies_to, rec.enabled) == (period, kinds, True), key
    # the schedule by the end of the first quarter, rolled back (merzim's own):
    schedule = definition("akim_commission_schedule").recurrence.due
    assert periods.due_date(CAL, periods.parse("2026"), schedule) == date(2026, 3, 31)  # Tue
    assert periods.due_date(CAL, periods.parse("2027"), schedule) == date(2027, 3, 31)  # Wed
    # Sunday 31 March 2024 => Friday 29 March 2024; Saturday 31 March 2029 => Friday 30 March
    assert periods.due_date(CAL, periods.parse("2024"), schedule) == date(2024, 3, 29)
    assert periods.due_date(CAL, periods.parse("2029"), schedule) == date(2029, 3, 30)


def test_the_previous_versions_are_kept_for_the_cases_opened_with_them():
    registry = load_registry()
    for key in VERSION_2:  # raised once for these registers (ethics: again, for its form)
        assert registry.get(key).version == (3 if key == "ethics_explanatory_event" else 2)
        assert all((VERSIONS / f"{key}.v{n}.toml").is_file()
                   for n in range(1, registry.get(key).version))
        assert registry.version(key, 1).version == 1
    old = registry.version("civil_servant_training", 1)  # the free-text share stays readable
    assert old.stages["training"].requires == ("trained_share",)
    assert old.evidence["trained_share"].type == "text"
    new = registry.get("civil_servant_training")
    assert "trained_share" not in new.evidence
    assert new.stages["training"].requires == ("staff_number", "trained_number")
    assert {new.evidence[k].type for k in ("staff_number", "trained_number")} == {"integer"}
    ethics = registry.version("ethics_explanatory_event", 1)  # one event closed the month
    assert ethics.events["event_held"].dest in ethics.final_states
    assert not ethics.events["event_held"].repeatable
    now = registry.get("ethics_explanatory_event")
    assert now.events["event_held"].repeatable and now.final_states == ()
    assert now.events["event_held"].requires == ("topic", "audience", "commissioner")
    assert now.evidence["audience"].type == "integer"
    assert registry.get("akim_commission_meeting").events["meeting_held"].optional == ("url",)


# -- the command line -----------------------------------------------------------------------------


# The organisations of `world`: (code, kind, parent).
ORGS = (("MF", "central_body", None), ("QS", "quasi_state", "MF"), ("AK", "akimat", None),
        ("AK-CULT", "department", "AK"), ("AK-D1", "district_akimat", "AK"),
        ("AK2", "akimat", None), ("AK2-D1", "district_akimat", "AK2"))


def registers_world(engine) -> None:
    """What `merzim init`, `merzim org add` for each of ORGS and `merzim user add aigerim --org
    QS --email aigerim@qazaq.kz --language en` store, through the services those commands call
    (one unit of work each, as the command line's audit actor, on the command line's today):
    built once per test process as a template (tests.support.databases.database_from_template) instead of
    ten commands before each test."""
    from sqlmodel import Session

    from workflow import services as svc
    from workflow.cli.common import audit_actor, today_in_zone
    from workflow.services import Context
    from workflow.services.transactions import prepare

    prepare(engine)
    registry = load_registry()
    registry.check()
    ctx = Context(KazakhstanCalendar(), registry, today_in_zone(), actor=audit_actor("cli"),
                  language="en")
    for code, kind, parent in ORGS:
        with Session(engine) as s:
            svc.add_org(s, ctx, code, f"Organisation {code}", kind, parent, None, None)
            s.commit()
    with Session(engine) as s:
        svc.add_user(s, ctx, "aigerim", "aigerim", "officer", "QS", "aigerim@qazaq.kz", "en")
        s.commit()


@pytest.fixture
def db_built(backend, tmp_path):
    """This module's database: a copy of the `registers_world` template."""
    with database_from_template(backend, tmp_path, recipe=registers_world,
                                recipe_name="registers-project34") as built:
        yield built


@pytest.fixture
def world(merzim_db, db):
    """A ministry (MF) with a quasi-state entity under it (QS, whose officer gets reminders), a
    regional akimat (AK) with its culture department and a district akimat, and another akimat
    (AK2) with a district of its own (`registers_world`, as the command line builds it: the
    first test of each backend checks it is)."""

    class World:
        engine = db

        @staticmethod
        def ok(*args: str, today: str = "2026-04-30"):
            result = merzim_db(*args, "--json", today=today)
            assert result.returncode == 0 and not result.stderr, (args, result.stderr)
            return json.loads(result.stdout)

        @staticmethod
        def refused(*args: str, today: str = "2026-04-30") -> str:
            """The refusal's message; the command exits non-zero and changes nothing."""
            before = dump_tables(db)
            result = merzim_db(*args, today=today)
            assert result.returncode != 0, (args, result.stdout)
            after = dump_tables(db)
            assert (len(after["process_case"]), len(after["event_record"])) == (
                len(before["process_case"]), len(before["event_record"]))
            assert after == before
            return result.stderr.strip()

        @classmethod
        def case_of(cls, process: str, org: str, period: str, today: str = "2026-04-30") -> int:
            return next(c["id"] for c in cls.ok("case", "list", "--process", process, "--org",
                                                org, today=today)
                        if c["subject"] == org and c["period"] == period)

    return World


CLOCK = {"at", "created_at", "updated_at", "prev_hash", "hash"}  # the clock, and hashes over it


def without_clock(engine) -> dict[str, list[tuple]]:
    """Every row of every table, without the columns the clock fills (and the audit chain's
    hashes, which cover the time)."""
    from sqlalchemy import MetaData, select

    meta = MetaData()
    meta.reflect(bind=engine)
    with engine.connect() as conn:
        return {name: [tuple(r) for r in conn.execute(
                    select(*[c for c in table.c if c.name not in CLOCK])
                    .order_by(*table.primary_key.columns))]
                for name, table in sorted(meta.tables.items())}


def test_the_world_is_what_the_command_line_builds(backend, tmp_path):
    """The `world` template holds what the ten commands it stands for store (the same rows, ids
    and audit records), on each backend."""
    from tests.support.cli_runner import Merzim
    from workflow.storage.db import make_engine

    with database_from_template(backend, tmp_path, "cli.db") as (url, _nothing):
        merzim = Merzim(tmp_path, db_url=url)
        assert merzim("init").returncode == 0
        for code, kind, parent in ORGS:
            args = ["org", "add", code, "--name", f"Organisation {code}", "--kind", kind]
            assert merzim(*args, *(["--parent", parent] if parent else [])).returncode == 0
        assert merzim("user", "add", "aigerim", "--org", "QS", "--email", "aigerim@qazaq.kz",
                      "--language", "en").returncode == 0
        with database_from_template(backend, tmp_path, "template.db", recipe=registers_world,
                                    recipe_name="registers-project34") as (template, _n):
            built, copied = make_engine(url), make_engine(template)
            try:
                assert without_clock(copied) == without_clock(built)
            finally:
                built.dispose()
                copied.dispose()


def stages(view: dict) -> dict[str, tuple]:
    return {st["key"]: (st["due"], st["status"], st["done_on"]) for st in view["stages"]}


def standing_records(view: dict, event: str) -> list[dict]:
    return [r for r in view["records"] if r["event"] == event and not r["void"]]


def test_process_list_names_every_register_and_the_new_versions(world):
    listed = {p["key"]: p for p in world.ok("process", "list")}
    assert set(MINE) | set(VERSION_2) <= set(listed)
    assert all(set(listed[k]["names"]) == {"kk", "ru", "en"} for k in MINE)
    assert {k: listed[k]["version"] for k in VERSION_2} == {
        k: 3 if k == "ethics_explanatory_event" else 2 for k in VERSION_2}
    assert {k: listed[k].get("recurrence") for k in PROJECT_4} == {
        "akim_commission_schedule": "year", "social_order": "year",
        "documentolog_course": "year", "preventive_work": "month", "legal_outreach": "year"}
    assert listed["anticorruption_manual"].get("recurrence") == "year"
    assert all(listed[k].get("recurrence") is None for k in (*STANDING, "documents_published",
                                                             "iso37001_certificate"))


def test_the_standing_documents_of_an_entity(world):
    for key in STANDING:
        opened = world.ok("case", "open", key, "--subject", "QS")
        assert stages(opened) == {"approval": (None, "open", None)}  # no deadline in the sources
        assert opened["state"] == "not_approved"
        case = str(opened["id"])
        assert "needs" in world.refused("record", case, "document_approved", "--date",
                                        "2026-02-03")  # the approving act's number
        view = world.ok("record", case, "document_approved", "--date", "2026-02-03",
                        "--number", "12-ОД", "--url", "https://qazaq.kz/docs/policy.pdf")
        assert stages(view) == {"approval": (None, "done_on_time", "2026-02-03")}
        assert view["state"] == "in_effect"
        for day, number in (("2026-03-02", "31-ОД"), ("2026-04-06", "44-ОД")):
            view = world.ok("record", case, "document_updated", "--date", day, "--number", number)
        assert [r["evidence"]["number"] for r in standing_records(view, "document_updated")] == [
            "31-ОД", "44-ОД"]
        assert view["state"] == "in_effect"


def test_a_subject_that_is_not_a_quasi_state_entity_is_refused(world):
    """`[process] applies_to`: a project No. 3 entry is opened for a quasi-state entity only
    (001:L455-457), refused for any other kind with nothing stored."""
    for key in (*STANDING, "documents_published"):
        message = world.refused("case", "open", key, "--subject", "MF")
        assert "applies to “quasi-state entity”, not to an organisation of kind " \
               "“central state body”" in message, message
    message = world.refused("case", "open", "iso37001_certificate", "--subject", "AK", "--field",
                            "certificate_number=KZ-1", "--date", "issued=2024-05-02", "--date",
                            "expires=2027-05-02")
    assert "quasi-state entity" in message, message
    assert all(definition(k).applies_to == ("quasi_state",)
               for k in (*STANDING, "documents_published", "iso37001_certificate"))


def test_the_eight_documents_published(world):
    case = str(world.ok("case", "open", "documents_published", "--subject", "QS")["id"])
    message = world.refused("record", case, "document_published", "--date", "2026-03-02",
                            "--url", "https://qazaq.kz/docs/x", "--evidence",
                            "document=anticorruption_policies")
    assert "anticorruption_policies is not an allowed value" in message, message
    assert "compliance_regulation, anticorruption_policy" in message
    assert "needs" in world.refused("record", case, "all_published", "--date", "2026-03-02")
    for i, document in enumerate(DOCUMENTS, start=1):
        view = world.ok("record", case, "document_published", "--date", f"2026-03-{i + 1:02d}",
                        "--url", f"https://qazaq.kz/docs/{document}.pdf", "--evidence",
                        f"document={document}")
    assert stages(view) == {"publication": (None, "open", None)}
    view = world.ok("record", case, "all_published", "--date", "2026-03-10")
    assert stages(view) == {"publication": (None, "done_on_time", "2026-03-10")}
    assert view["state"] == "all_online"
    # an updated document published again: still recorded
    view = world.ok("record", case, "document_published", "--date", "2026-04-01", "--url",
                    "https://qazaq.kz/docs/ethics_code-2026.pdf", "--evidence",
                    "document=ethics_code")
    published = standing_records(view, "document_published")
    assert len(published) == 9
    assert {r["evidence"]["document"] for r in published} == set(DOCUMENTS)


def test_the_iso_certificate_renewal_falls_before_a_holiday_and_is_reminded(world):
    # issued before, expiring on Monday 23 March 2026, Nauryz (21-22 the weekend, 24-25 off):
    # renewal due the working day before, Friday 20 March 2026
    assert "is before" in world.refused(
        "case", "open", "iso37001_certificate", "--subject", "QS", "--field",
        "certificate_number=KZ-37001-17", "--date", "issued=2023-03-23", "--date",
        "expires=2023-03-22", today="2025-12-01")
    opened = world.ok("case", "open", "iso37001_certificate", "--subject", "QS", "--field",
                      "certificate_number=KZ-37001-17", "--field",
                      "certification_body=Certification body (test)", "--date",
                      "issued=2023-03-23", "--date", "expires=2026-03-23", today="2025-12-01")
    assert stages(opened) == {"renewal": ("2026-03-20", "open", None)}
    assert opened["fields"]["certificate_number"] == "KZ-37001-17"
    # 21 working days before Fri 20 March: 16-20, 10-13 (9 March off), 2-6 March, 23-27, 19-20
    # February counted back => Wednesday 18 February 2026. 63: on through February (2-17),
    # January (30 back to 5; 1, 2, 7 off) and December 2025 (31 back to 17; 16 off)
    # => Wednesday 17 December 2025
    reminded = {}
    for day in ("2025-12-16", "2025-12-17", "2025-12-18", "2026-02-17", "2026-02-18",
                "2026-02-19"):
        digests = world.ok("reminders", "preview", today=day)["digests"]
        reminded[day] = [(i["stage"], i["working_days"], i["due"]) for d in digests
                         for i in d["items"] if i["case"] == opened["id"]]
    assert reminded == {"2025-12-16": [], "2025-12-17": [("renewal", 63, "2026-03-20")],
                        "2025-12-18": [], "2026-02-17": [],
                        "2026-02-18": [("renewal", 21, "2026-03-20")], "2026-02-19": []}
    view = world.ok("record", str(opened["id"]), "renewed", "--date", "2026-03-12", "--number",
                    "KZ-37001-29")
    assert stages(view) == {"renewal": ("2026-03-20", "done_on_time", "2026-03-12")}
    assert view["state"] == "renewed"
    # expiring on Saturday 31 October 2026 => Friday 30 October; it lapses without renewal:
    # not before it expires, then the renewal stays not done
    other = world.ok("case", "open", "iso37001_certificate", "--subject", "QS", "--field",
                     "certificate_number=KZ-37001-05", "--date", "issued=2023-11-01", "--date",
                     "expires=2026-10-31", today="2026-11-20")
    assert stages(other) == {"renewal": ("2026-10-30", "overdue", None)}  # on 20 November
    assert "is before" in world.refused("record", str(other["id"]), "lapsed", "--date",
                                        "2026-10-30", today="2026-11-20")
    view = world.ok("record", str(other["id"]), "lapsed", "--date", "2026-11-02",
                    today="2026-11-20")
    assert view["state"] == "lapsed"
    assert stages(view)["renewal"][:2] == ("2026-10-30", "not_done")


def test_the_manual_and_the_meeting_schedule_in_2026_and_2027(world):
    world.ok("obligations", "sync", today="2026-01-12")  # the current year and the next
    rows = {}
    for org in ("QS", "AK", "AK-D1", "AK-CULT", "MF"):
        for year in (2026, 2027):
            rows[(org, year)] = [(r["process"], r["period"], r["stage"], r["due"]) for r in world.ok(
                "obligations", "list", "--org", org, "--year", str(year),
                today="2026-01-12")["obligations"]
                if r["process"] in ("anticorruption_manual", "akim_commission_schedule")]
    # the manual: Thursday 31 December 2026, Friday 31 December 2027 (working days)
    assert rows[("QS", 2026)] == [("anticorruption_manual", "2026", "update", "2026-12-31")]
    assert rows[("QS", 2027)] == [("anticorruption_manual", "2027", "update", "2027-12-31")]
    # the schedule: Tuesday 31 March 2026, Wednesday 31 March 2027; regional and district
    # akimats only
    for org in ("AK", "AK-D1"):
        assert rows[(org, 2026)] == [("akim_commission_schedule", "2026", "meeting_schedule",
                                      "2026-03-31")]
        assert rows[(org, 2027)] == [("akim_commission_schedule", "2027", "meeting_schedule",
                                      "2027-03-31")]
    assert rows[("AK-CULT", 2026)] == rows[("MF", 2026)] == []
    manual = str(world.case_of("anticorruption_manual", "QS", "2026", today="2026-01-12"))
    view = world.ok("record", manual, "manual_updated", "--date", "2026-01-09", "--number",
                    "3-ОД", today="2026-01-12")
    assert stages(view) == {"update": ("2026-12-31", "done_on_time", "2026-01-09")}
    schedule = str(world.case_of("akim_commission_schedule", "AK", "2026", today="2026-01-12"))
    assert "needs" in world.refused("record", schedule, "meeting_schedule_approved", "--date",
                                    "2026-01-09", "--number", "1", today="2026-01-12")
    view = world.ok("record", schedule, "meeting_schedule_approved", "--date", "2026-01-09",
                    "--number", "1", "--signed-by", "Akim of the region", today="2026-01-12")
    assert stages(view) == {"meeting_schedule": ("2026-03-31", "done_on_time", "2026-01-09")}


def test_five_and_more_ethics_events_in_one_month_are_all_kept(world):
    world.ok("obligations", "sync")
    case = str(world.case_of("ethics_explanatory_event", "MF", "2026M04"))
    assert "twenty is not a whole number" in world.refused(
        "record", case, "event_held", "--date", "2026-04-01", "--evidence", "topic=Restrictions",
        "--evidence", "audience=twenty", "--evidence", "commissioner=A. Seitkali")
    for i, day in enumerate(("01", "03", "08", "14", "21", "28"), start=1):
        view = world.ok("record", case, "event_held", "--date", f"2026-04-{day}", "--evidence",
                        f"topic=Topic {i}", "--evidence", f"audience={10 * i}", "--evidence",
                        "commissioner=A. Seitkali")
        # the month's stage: the first record completes it, due Thursday 30 April 2026
        assert stages(view) == {"explanatory_event": ("2026-04-30", "done_on_time",
                                                      "2026-04-01")}
        assert view["state"] == "held_this_month"
    held = standing_records(view, "event_held")
    assert [(r["on"], r["evidence"]["audience"]) for r in held] == [
        ("2026-04-01", "10"), ("2026-04-03", "20"), ("2026-04-08", "30"), ("2026-04-14", "40"),
        ("2026-04-21", "50"), ("2026-04-28", "60")]


def test_civil_servant_training_takes_two_whole_numbers(world):
    world.ok("obligations", "sync")
    case = str(world.case_of("civil_servant_training", "MF", "2026"))
    assert "5% is not a whole number" in world.refused(
        "record", case, "staff_trained", "--date", "2026-04-20", "--evidence",
        "staff_number=240", "--evidence", "trained_number=5%")
    assert "needs" in world.refused("record", case, "staff_trained", "--date", "2026-04-20",
                                    "--evidence", "trained_number=13")
    assert "trained_share" in world.refused(  # version 1's free-text share is gone
        "record", case, "staff_trained", "--date", "2026-04-20", "--evidence", "staff_number=240",
        "--evidence", "trained_number=13", "--evidence", "trained_share=5.4")
    view = world.ok("record", case, "staff_trained", "--date", "2026-04-20", "--evidence",
                    "staff_number=240", "--evidence", "trained_number=13", "--number", "7-А")
    # the last working day of 2026: Thursday 31 December (P-3)
    assert stages(view) == {"training": ("2026-12-31", "done_on_time", "2026-04-20")}
    assert view["process_version"] == 2 and view["state"] == "done"


def test_the_social_order_of_a_region_and_its_units(world):
    world.ok("obligations", "sync")
    listed = {c["subject"] for c in world.ok("case", "list", "--process", "social_order")}
    assert listed == {"AK", "AK2"}  # regional akimats only
    case = str(world.case_of("social_order", "AK", "2026"))
    assert "AK2-D1 is not an organisation under AK" in world.refused(
        "record", case, "unit_order", "--date", "2026-03-02", "--evidence", "unit=AK2-D1",
        "--evidence", "amount=5000000", "--url", "https://goszakup.gov.kz/ru/announce/1")
    assert "12.5 is not a whole number" in world.refused(
        "record", case, "totals", "--date", "2026-03-02", "--evidence", "total_allocated=12.5",
        "--evidence", "anticorruption_allocated=3")
    assert "5 000 000 is not a whole number" in world.refused(
        "record", case, "unit_order", "--date", "2026-03-02", "--evidence", "unit=AK-CULT",
        "--evidence", "amount=5 000 000", "--url", "https://goszakup.gov.kz/ru/announce/1")
    view = world.ok("record", case, "totals", "--date", "2026-03-02", "--evidence",
                    "total_allocated=120000000", "--evidence", "anticorruption_allocated=15000000")
    # merzim's own due date: the last working day of 2026, Thursday 31 December
    assert stages(view) == {"allocation": ("2026-12-31", "done_on_time", "2026-03-02")}
    for unit, amount in (("AK-CULT", "9000000"), ("AK-D1", "6000000")):
        view = world.ok("record", case, "unit_order", "--date", "2026-03-16", "--evidence",
                        f"unit={unit}", "--evidence", f"amount={amount}", "--url",
                        f"https://goszakup.gov.kz/ru/announce/{unit}")
    assert [(r["evidence"]["unit"], r["evidence"]["amount"])
            for r in standing_records(view, "unit_order")] == [("AK-CULT", "9000000"),
                                                               ("AK-D1", "6000000")]
    assert view["state"] == "entered"


def test_documentolog_preventive_work_and_legal_outreach(world):
    world.ok("obligations", "sync")
    course = str(world.case_of("documentolog_course", "MF", "2026"))
    view = world.ok("record", course, "course_completed", "--date", "2026-04-27", "--evidence",
                    "employees_total=412", "--evidence", "employees_completed=380", "--evidence",
                    "confirmed_by=Agency officer (test)")
    assert stages(view) == {"online_course": ("2026-12-31", "done_on_time", "2026-04-27")}

    work = str(world.case_of("preventive_work", "MF", "2026M04"))
    # a record is the work with one servant, named with the position (version 3): no number
    # typed apart from the names
    assert "Servant worked with: name, position" in world.refused(
        "record", work, "work_done", "--date", "2026-04-10", "--evidence", "servants=4",
        "--evidence", "positions_list=Register of 2026")
    for day, servant in (("2026-04-10", "A. Bekova, Chief expert"),
                         ("2026-04-17", "B. Omarov, Head of division"),
                         ("2026-04-24", "C. Dosova, Expert")):
        view = world.ok("record", work, "work_done", "--date", day, "--evidence",
                        f"servant={servant}", "--evidence", "positions_list=Register of 2026")
    assert view["stages"] == []  # no deadline in the sources ("жүйелі")
    assert [r["evidence"]["servant"] for r in standing_records(view, "work_done")] == [
        "A. Bekova, Chief expert", "B. Omarov, Head of division", "C. Dosova, Expert"]

    outreach = str(world.case_of("legal_outreach", "MF", "2026"))
    event = ("record", outreach, "outreach_event", "--date", "2026-04-15", "--evidence",
             "explained=Order No. 12 on public services", "--evidence",
             "held_at=2026-04-15 11:00", "--url", "https://mf.gov.kz/news/12")
    assert "maybe is not an allowed value. Give one of: yes, no." in world.refused(
        *event, "--evidence", "online=maybe")
    assert "a lot is not a whole number" in world.refused(
        *event, "--evidence", "online=yes", "--evidence", "views=a lot")
    world.ok(*event, "--evidence", "online=yes", "--evidence", "views=1500")
    view = world.ok("record", outreach, "report_submitted", "--date", "2026-04-29")
    assert stages(view) == {"report": ("2026-12-31", "done_on_time", "2026-04-29")}
    view = world.ok(*event, "--evidence", "online=no")  # after the report: still recorded
    assert [r["evidence"]["online"] for r in standing_records(view, "outreach_event")] == [
        "yes", "no"]


def test_the_meeting_and_the_qse_training_take_an_optional_link(world):
    world.ok("obligations", "sync")
    meeting = str(world.case_of("akim_commission_meeting", "AK", "2026Q2"))
    view = world.ok("record", meeting, "meeting_held", "--date", "2026-04-29", "--url",
                    "https://gov.kz/memleket/entities/almaty/press/1")
    # Q2 2026 ends on Tuesday 30 June (P-3)
    assert stages(view) == {"meeting": ("2026-06-30", "done_on_time", "2026-04-29")}
    assert view["process_version"] == 2
    training = str(world.case_of("qse_training_events", "QS", "2026Q2"))
    assert "not a web link" in world.refused("record", training, "event_held", "--date",
                                             "2026-04-29", "--number", "4", "--url", "protocol")
    view = world.ok("record", training, "event_held", "--date", "2026-04-29", "--number", "4")
    assert stages(view) == {"training_event": ("2026-06-30", "done_on_time", "2026-04-29")}
