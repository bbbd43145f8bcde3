"""The schedule of a subject's internal analyses for a year (1.1.1; 000:L211-235) drafted from
its programme: each object with the exact period planned for it, approved on the date, under
the number and by the signer recorded for the schedule (blanks before: D-1); on the programme
page, the API and the command line; refused to one who may not see the programme.

The demo (tests/support/web_helpers.py): the education department (AK-ALM-EDU) has a programme
whose schedule was approved (workflow/services/demo.toml `programme_stage`)."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from tests.documents.helpers import DOCX, text_of, written
from tests.support.web_helpers import (
    Web,
    web_fixture,  # noqa: F401 - the `web` fixture
    world_fixture,  # noqa: F401 - the `world` fixture
)
from workflow import services as svc
from workflow.documents.texts import BLANK
from workflow.storage.models import Case, Organisation, Programme, Stage

TITLE = {"kk": "сыбайлас жемқорлық тәуекелдеріне ішкі талдау жүргізу кестесі",
         "ru": "График проведения внутреннего анализа коррупционных рисков"}


def _programme(engine, code: str = "AK-ALM-EDU") -> tuple[Programme, Stage, list[Case]]:
    with Session(engine) as s:
        org = s.exec(select(Organisation).where(Organisation.code == code)).one()
        prog = s.exec(select(Programme).where(Programme.subject_id == org.id)
                      .order_by(col(Programme.year))).first()
        assert prog is not None
        stage = s.exec(select(Stage).where(Stage.programme_id == prog.id,
                                           col(Stage.case_id).is_(None))).one()
        cases = svc.programme_cases(s, prog)
        return prog, stage, cases


def test_the_schedule_carries_each_object_and_its_period_as_planned(world: Web):
    prog, stage, cases = _programme(world.engine)
    assert cases and stage.done_on is not None
    api = world.api("asel")
    listed = api.get(f"/api/v1/programmes/{prog.id}").json()
    assert listed["schedule_document"] == f"/api/v1/programmes/{prog.id}/schedule"
    for lang in ("kk", "ru"):
        r = api.get(f"/api/v1/programmes/{prog.id}/schedule", params={"lang": lang})
        assert r.status_code == 200 and r.headers["content-type"] == DOCX, r.text
        assert f"_AK-ALM-EDU_{prog.year}.docx" in r.headers["content-disposition"]
        text = text_of(r.content)
        assert TITLE[lang] in text and str(prog.year) in text
        rows = listed["rows"]
        assert len(rows) == len(cases)
        for row, name in zip(rows, _objects(world, cases, lang), strict=True):
            # the object in the document's language, its period as the programme's API gives it
            assert name in text, (lang, name)
            assert written(_day(row["start"])) in text and written(_day(row["end"])) in text
        number = (stage.evidence or {}).get("number")
        assert f"{written(stage.done_on)} № {number or BLANK}" in text, lang
        assert "{{" not in text and "()" not in text


def _objects(world: Web, cases: list[Case], lang: str) -> list[str]:
    with Session(world.engine) as s:
        return [svc.org_name(s.get(Organisation, c.object_id or c.subject_id), lang)
                for c in cases]


def _day(iso: str):
    from datetime import date

    return date.fromisoformat(iso[:10])


def test_the_programme_page_offers_the_schedule_in_each_language(world: Web):
    prog, _stage, _cases = _programme(world.engine)
    page = world.browser("asel").get(f"/programmes/{prog.id}")
    assert page.status_code == 200
    for lang in ("kk", "ru", "en"):
        assert f'href="/programmes/{prog.id}/schedule.docx?lang={lang}"' in page.text
    r = world.browser("asel").get(f"/programmes/{prog.id}/schedule.docx", params={"lang": "en"})
    assert r.status_code == 200 and "Schedule of the internal analyses" in text_of(r.content)


def test_the_schedule_is_refused_to_one_who_may_not_see_the_programme(world: Web):
    prog, _stage, _cases = _programme(world.engine)
    # bolat is an officer of the ministry's office: the akimat's programme is not his
    for path in (f"/programmes/{prog.id}/schedule.docx", "/programmes/987654/schedule.docx"):
        assert world.browser("bolat").get(path).status_code == 404
    assert world.api("bolat").get(f"/api/v1/programmes/{prog.id}/schedule").status_code == 404


def test_merzim_document_schedule_writes_it_and_names_a_missing_programme(web: Web, merzim_db,
                                                                         tmp_path):
    prog, stage, cases = _programme(web.engine)
    before = web.dump()
    out = tmp_path / "schedule.docx"
    r = merzim_db("document", "schedule", "AK-ALM-EDU", "--year", str(prog.year), "--lang",
                  "ru", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["programme"] == prog.id and shown["document"] == "schedule"
    text = text_of(out.read_bytes())
    assert TITLE["ru"] in text and written(stage.done_on) in text
    assert web.dump() == before  # a draft writes nothing
    r = merzim_db("document", "schedule", "AK-ALM-EDU", "--year", "1999", lang="ru")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "1999" in r.stderr and "AK-ALM-EDU" in r.stderr, r.stderr
