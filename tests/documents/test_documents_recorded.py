"""The order with its work plan, the analytic note and the action plan assert only what is
recorded (shared/domain/documents.md D-1, D-2, D-3):

* each document's own date and number are those of the record confirming its stage (the work
  plan's annex line: the order's), visible blanks before; the day of drafting is never one;
* a deadline merzim proposes where no rule sets one (a stage whose definition gives a
  `due_basis`: I-2 the order, I-6 the positions list) carries no basis; every deadline is the
  one `merzim status --json` gives;
* the working group (members with positions, or the unit conducting the analysis) and the
  methods are those recorded with the order (the command line, the API, the case page's form),
  blanks before; a value too long is refused in the reader's language and nothing changes;
* no empty brackets where a value is missing.

The demo's `kgd` analysis (tests/support/web_helpers.py: the State Revenue Department's,
starting in five working days, nothing recorded) is drafted before and after its records, in
kk and ru, through the API as the officer (aigerim) downloads them.
"""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date

import docx
from sqlmodel import Session, select

from tests.documents.helpers import text_of, written
from tests.support.features import module_of
from tests.support.web_helpers import DEFINITION, TODAY, Web, form_block, wd
from workflow.storage.models import EventRecord

texts = module_of("documents", "texts")
BLANK = texts.BLANK
DOCS = ("order", "analytic_note", "action_plan")
LANGS = ("kk", "ru")
ANNEX = {"kk": "{date} № {number} бұйрыққа қосымша",
         "ru": "Приложение к приказу от {date} № {number}"}
METHODS = {"kk": "Талдау әдістері: {}", "ru": "Методы анализа: {}"}
GROUP = {"kk": "2. Талдау жүргізу мына құрамдағы топқа жүктелсін:",
         "ru": "2. Проведение анализа поручить группе в составе:"}
UNIT = {"kk": "2. Талдау жүргізу мына бөлімшеге жүктелсін: {}.",
        "ru": "2. Проведение анализа поручить подразделению: {}."}
UNITS_GROUP = {"kk": "Жұмыс тобының құрамы:", "ru": "Состав рабочей группы:"}
# the fixed text the note printed before the methods were recorded: never a fact of the analysis
FIXED_METHODS = ("сұхбат", "сауалнама", "интервьюирование", "анкетирование")
WORKING_DAYS = {"kk": "жұмыс күн", "ru": "рабоч"}  # "рабочих дней", "рабочих дня"

METHODS_GIVEN = "Изучение регламентов таможенного поста; выборочная проверка 40 деклараций"
MEMBERS = [("Ахметов А. Б.", "главный специалист отдела внутреннего аудита"),
           ("Серикова Д. М.", "ведущий эксперт юридического отдела")]
GROUP_GIVEN = "; ".join(f"{name}, {position}" for name, position in MEMBERS)
ORDER_ON, NOTE_ON, PLAN_ON = wd(-12), wd(-3), wd(-1)
NUMBERS = {"order": "12-ө", "analytic_note": "31-ө", "action_plan": "44-ө"}


def _drafts(web: Web, case: int, lang: str) -> dict[str, bytes]:
    api = web.api("aigerim")
    out = {}
    for stage in DOCS:
        r = api.get(f"/api/v1/cases/{case}/documents/{stage}", params={"lang": lang})
        assert r.status_code == 200, r.text
        out[stage] = r.content
    return out


def _paragraphs(content: bytes) -> list[str]:
    return [p.text.strip() for p in docx.Document(io.BytesIO(content)).paragraphs]


def _number_line(content: bytes) -> tuple[str, str]:
    """The document's own date and number, as its "DATE  № NUMBER" line prints them."""
    lines = [m for p in _paragraphs(content) if (m := re.fullmatch(r"(\S+)\s+№ (\S+)", p))]
    assert len(lines) == 1, _paragraphs(content)
    return lines[0].group(1), lines[0].group(2)


def _work_plan(content: bytes) -> list[list[str]]:
    """The rows of the order's work plan (its only table), without the header row."""
    table = docx.Document(io.BytesIO(content)).tables[0]
    return [[c.text.strip() for c in row.cells] for row in table.rows[1:]]


def _stage_names(lang: str) -> dict[str, str]:
    """Each stage of the definition by its name in the language."""
    return {st.names[lang]: st.key for st in DEFINITION.stages.values()}


def _no_empty_brackets(name: str, text: str) -> None:
    assert not re.search(r"\(\s*\)|\[\s*\]|\(\s*,|,\s*\)", text), (name, text)
    assert not re.search(r"(^|\n)\s*,|,\s*,", text), (name, text)


def _check_plan_deadlines(content: bytes, lang: str, dues: dict[str, date]) -> None:
    """Every stage of the work plan with the due date `merzim status --json` gives and the
    basis its definition gives: none ("—") where merzim proposes the deadline (`due_basis`),
    the working days counted where a rule counts them."""
    names = _stage_names(lang)
    rows = _work_plan(content)
    assert rows
    own = 0
    for _no, name, due, basis, _who in rows:
        key = names[name]
        spec = DEFINITION.stage_spec(key)
        if key in dues:
            assert due.startswith(written(dues[key])), (lang, key, due)
        if spec.own_deadline:
            own += 1
            assert basis == "—", (lang, key, basis)
        elif spec.due is not None and spec.due.unit == "working_days":
            assert WORKING_DAYS[lang] in basis, (lang, key, basis)
    assert own == sum(1 for st in DEFINITION.stages.values() if st.own_deadline) >= 2


def _dues(merzim_db, case: int) -> dict[str, date]:
    r = merzim_db("status", str(case), "--json", today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    return {st["key"]: date.fromisoformat(st["due"]) for st in json.loads(r.stdout)["stages"]
            if st["due"]}


def test_before_they_are_recorded_dates_numbers_group_and_methods_are_blanks(web: Web,
                                                                             merzim_db):
    kgd = web.analyses["kgd"]
    dues = _dues(merzim_db, kgd)
    for lang in LANGS:
        drafted = _drafts(web, kgd, lang)
        for name, content in drafted.items():
            text = text_of(content)
            assert _number_line(content) == (BLANK, BLANK), (lang, name)
            assert written(TODAY) not in text, (lang, name)  # the day of drafting is no date
            _no_empty_brackets(name, text)
        order = _paragraphs(drafted["order"])
        assert ANNEX[lang].format(date=BLANK, number=BLANK) in order
        # the group: one member's blanks to fill, never the officer put in its place
        assert GROUP[lang] in order and f"– {BLANK}, {BLANK}." in order
        assert [p for p in order if p.startswith("– ")] == [f"– {BLANK}, {BLANK}."]
        note = text_of(drafted["analytic_note"])
        assert METHODS[lang].format(BLANK) in _paragraphs(drafted["analytic_note"])
        assert not any(word in note for word in FIXED_METHODS), lang
        _check_plan_deadlines(drafted["order"], lang, dues)


def test_what_is_recorded_is_what_the_documents_print(web: Web, merzim_db):
    kgd = web.analyses["kgd"]
    api, b = web.api("aigerim"), web.browser("aigerim")
    page = b.get(f"/cases/{kgd}").text
    before = web.dump()
    # refused, nothing changed: a group longer than a text may be, through the API (in the
    # reader's language, naming the field by its label) and the case page's form
    r = api.post(f"/api/v1/cases/{kgd}/events", headers={"Accept-Language": "ru"},
                 json={"event": "order", "date": ORDER_ON.isoformat(), "number": "12-ө",
                       "signed_by": "Head of apparatus",
                       "evidence": {"working_group": "Ахметов А. Б., специалист; " * 30}})
    assert r.status_code in (409, 422), r.text
    assert "Рабочая группа" in r.text and "500" in r.text, r.text
    form = form_block(page, "record-order")
    assert form is not None
    # the order's form offers the three fields, none of them required
    fields = {k for k in form.values if k.endswith(("analysis_methods", "working_group",
                                                     "working_unit"))}
    assert len(fields) == 3 and not fields & form.required, form.values
    # the group's field is labelled by its name, what to write in it said under it
    group_input = next(k for k in fields if k.endswith("working_group"))
    found = re.search(rf'<label for="(record-order-)?[^"]*{group_input}">([^<]*)<[^\n]*\n'
                      rf'\s*<input [^>]*name="{group_input}"[^>]*aria-describedby="([^"]*)"',
                      page)
    assert found and found.group(2).strip() == "Working group", page
    hint = re.search(rf'id="{found.group(3).split()[0]}" data-testid="field-hint">([^<]*)<',
                     page)
    assert hint and html.unescape(hint.group(1)) == (
        'Each member as "name, position", members separated by ";"')
    methods_field = next(k for k in fields if k.endswith("analysis_methods"))
    csrf = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
    r = b.post(f"/cases/{kgd}/events",
               data={**form.values, "csrf": csrf, "event": "order",
                     "date": ORDER_ON.isoformat(), "number": "12-ө",
                     "signed_by": "Head of apparatus", methods_field: "м" * 501})
    assert r.status_code in (409, 422), r.status_code
    r = merzim_db("record", str(kgd), "order", "--date", ORDER_ON.isoformat(), "--number", "1",
                  "--signed-by", "Head of apparatus", "--evidence",
                  f"analysis_methods={'м' * 501}", today=TODAY.isoformat(), lang="ru")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "Методы анализа" in r.stderr and "500" in r.stderr, r.stderr
    assert web.dump() == before

    # the order by command, with its group and methods; the start as it happened, so that the
    # note may follow it; the note through the API; the plan on the case page's form
    r = merzim_db("record", str(kgd), "analysis_start", "--date", wd(-10).isoformat(),
                  today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    r = merzim_db("record", str(kgd), "order", "--date", ORDER_ON.isoformat(),
                  "--number", NUMBERS["order"], "--signed-by", "Head of apparatus",
                  "--evidence", f"analysis_methods={METHODS_GIVEN}",
                  "--evidence", f"working_group={GROUP_GIVEN}", today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    r = api.post(f"/api/v1/cases/{kgd}/events",
                 json={"event": "analytic_note", "date": NOTE_ON.isoformat(),
                       "number": NUMBERS["analytic_note"], "signed_by": "Head of apparatus"})
    assert r.status_code in (200, 201), r.text
    page = b.get(f"/cases/{kgd}").text
    form = form_block(page, "record-action_plan")
    csrf = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
    r = b.post(f"/cases/{kgd}/events",
               data={**form.values, "csrf": csrf, "event": "action_plan",
                     "date": PLAN_ON.isoformat(), "number": NUMBERS["action_plan"],
                     "signed_by": "Head of apparatus"})
    assert r.status_code == 303, r.text[:2000]
    with Session(web.engine) as s:
        order = s.exec(select(EventRecord).where(EventRecord.case_id == kgd,
                                                 EventRecord.event == "order")).one()
        assert order.evidence["working_group"] == GROUP_GIVEN
        assert order.evidence["analysis_methods"] == METHODS_GIVEN

    dues = _dues(merzim_db, kgd)
    on = {"order": ORDER_ON, "analytic_note": NOTE_ON, "action_plan": PLAN_ON}
    for lang in LANGS:
        drafted = _drafts(web, kgd, lang)
        for name, content in drafted.items():
            assert _number_line(content) == (written(on[name]), NUMBERS[name]), (lang, name)
            _no_empty_brackets(name, text_of(content))
        for name in ("analytic_note", "action_plan"):
            assert written(TODAY) not in text_of(drafted[name]), (lang, name)
        order = _paragraphs(drafted["order"])
        assert written(TODAY) not in "\n".join(order), lang  # the work plan's dues aside
        assert ANNEX[lang].format(date=written(ORDER_ON), number=NUMBERS["order"]) in order
        assert GROUP[lang] in order
        assert [p for p in order if p.startswith("– ")] == [
            f"– {name}, {position}{'.' if n == len(MEMBERS) else ';'}"
            for n, (name, position) in enumerate(MEMBERS, start=1)]
        assert BLANK not in "\n".join(p for p in order if p.startswith("– "))
        assert METHODS[lang].format(METHODS_GIVEN) in _paragraphs(drafted["analytic_note"])
        _check_plan_deadlines(drafted["order"], lang, dues)


def test_a_unit_recorded_instead_of_a_group_conducts_the_analysis(web: Web, merzim_db,
                                                                   tmp_path):
    kgd = web.analyses["kgd"]
    unit = "Отдел внутреннего аудита"
    b = web.browser("aigerim")
    page = b.get(f"/cases/{kgd}").text
    form = form_block(page, "record-order")
    unit_field = next(k for k in form.values if k.endswith("working_unit"))
    # the order's document page, where its signed scan is recorded, asks for them too
    doc_page = b.get(f"/cases/{kgd}/documents/order").text
    for field in ("analysis_methods", "working_group", "working_unit"):
        assert re.search(rf'name="[^"]*{field}"', doc_page), field
    csrf = re.search(r'name="csrf" value="([^"]*)"', page).group(1)
    r = b.post(f"/cases/{kgd}/events",
               data={**form.values, "csrf": csrf, "event": "order",
                     "date": ORDER_ON.isoformat(), "number": NUMBERS["order"],
                     "signed_by": "Head of apparatus", unit_field: unit})
    assert r.status_code == 303, r.text[:2000]
    for lang in LANGS:
        drafted = _drafts(web, kgd, lang)
        order = _paragraphs(drafted["order"])
        assert UNIT[lang].format(unit) in order
        assert GROUP[lang] not in order and UNITS_GROUP[lang] not in order
        assert not [p for p in order if p.startswith("– ")], order  # no member, no blank one
        # the methods were not recorded: still a blank
        assert METHODS[lang].format(BLANK) in _paragraphs(drafted["analytic_note"])


def test_a_risk_and_a_measure_without_a_subdivision_print_no_empty_brackets(web: Web,
                                                                            merzim_db):
    kgd = web.analyses["kgd"]
    r = merzim_db("risk", "add", str(kgd), "--description", "Ручное распределение проверок",
                  today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    for lang in LANGS:
        drafted = _drafts(web, kgd, lang)
        note = text_of(drafted["analytic_note"])
        assert "1. Ручное распределение проверок. " in note, note
        for name, content in drafted.items():
            _no_empty_brackets(name, text_of(content))


def test_a_unit_and_its_group_both_recorded_are_both_printed(web: Web, merzim_db, tmp_path):
    hlth = str(web.analyses["hlth"])  # the akimat's health department: nothing recorded
    unit = "Бөлім: ішкі аудит"
    r = merzim_db("record", hlth, "order", "--date", ORDER_ON.isoformat(), "--number", "7",
                  "--signed-by", "Head of apparatus", "--evidence", f"working_unit={unit}",
                  "--evidence", "working_group=Омаров Н.;  , эксперт", today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    for lang in LANGS:
        out = tmp_path / f"order-{lang}.docx"
        r = merzim_db("document", "draft", hlth, "order", "--lang", lang, "--out", str(out),
                      today=TODAY.isoformat())
        assert r.returncode == 0, r.stderr
        order = _paragraphs(out.read_bytes())
        assert UNIT[lang].format(unit) in order and GROUP[lang] not in order
        assert UNITS_GROUP[lang] in order
        # a member without a position, a position without a name: the missing part a blank
        assert [p for p in order if p.startswith("– ")] == [f"– Омаров Н., {BLANK};",
                                                             f"– {BLANK}, эксперт."]
        assert _number_line(out.read_bytes()) == (written(ORDER_ON), "7")


def test_an_analysis_longer_than_the_limit_is_warned_beside_its_documents(web: Web, merzim_db,
                                                                         tmp_path):
    """An analysis planned for more than the recommended 30 working days (I-4) is warned beside
    its order wherever it is drafted: the document page, the command line (text and JSON);
    the warning is never printed in the document."""
    start = wd(20)
    end = wd(20 + 34)  # 35 working days, both ends counted
    r = merzim_db("analysis", "plan", "--subject", "AK-ALM-TLG", "--object", "AK-ALM-TLG",
                  "--start", start.isoformat(), "--end", end.isoformat(), "--json")
    assert r.returncode == 0, r.stderr
    case = json.loads(r.stdout)["id"]
    words = {"en": "Warning: the analysis lasts 35 working days, more than the recommended 30.",
             "ru": "Внимание: продолжительность анализа в рабочих днях (35) превышает "
                   "рекомендуемую (30)."}
    out = tmp_path / "order.docx"
    for lang, said in words.items():
        r = merzim_db("document", "draft", str(case), "order", "--lang", lang, "--out",
                      str(out), lang=lang)
        assert r.returncode == 0 and said in r.stdout, (r.stdout, r.stderr)
        assert said not in text_of(out.read_bytes())
    r = merzim_db("document", "draft", str(case), "order", "--out", str(out), "--json")
    assert json.loads(r.stdout)["warnings"] == [{"code": "too_long", "working_days": 35,
                                                 "limit": 30}]
    page = web.browser("erlan").get(f"/cases/{case}/documents/order").text
    assert 'data-testid="warning"' in page and words["en"] in page
    # one within the limit is not warned
    kgd = web.analyses["kgd"]
    r = merzim_db("document", "draft", str(kgd), "order", "--out", str(out), "--json")
    assert json.loads(r.stdout)["warnings"] == []
    assert 'data-testid="warning"' not in web.browser("aigerim").get(
        f"/cases/{kgd}/documents/order").text
