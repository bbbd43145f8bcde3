"""The list of positions exposed to corruption risks (appendix 4 of order No. 488; 000:L543-566,
L584-588) drafted from the analysis's records: each position with its subdivision and the risk
by its number in the analytic note; the approval's date and number the ones recorded for the
list's stage, blanks before (D-1). A position names its risk by that number (or by the risk's
words); a number the note does not have is refused, nothing stored. The consolidated export
is headed in the reader's language.

The demo (tests/support/web_helpers.py): `mf_done` is the State Revenue Department's analysis
with the documents' part of the demo (workflow/documents/demo.toml: three risks, two positions
on risks 1 and 3, the list approved); `edu` the education department's, its list not yet
approved."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from tests.documents.helpers import DOCX, text_of, written
from tests.support.web_helpers import (
    Web,
    web_fixture,  # noqa: F401 - the `web` fixture
    world_fixture,  # noqa: F401 - the `world` fixture
)
from workflow.documents.texts import BLANK
from workflow.storage.models import EventRecord, Position, Risk

TITLE = {"kk": "Сыбайлас жемқорлық тәуекелдеріне ұшырайтын лауазымдардың тізбесі",
         "ru": "Перечень должностей, подверженных коррупционным рискам"}


def _records(world: Web, case_id: int) -> tuple[list[Risk], list[Position], EventRecord | None]:
    with Session(world.engine) as s:
        risks = list(s.exec(select(Risk).where(Risk.analysis_id == case_id)
                            .order_by(col(Risk.id))))
        positions = list(s.exec(select(Position).where(Position.analysis_id == case_id)
                                .order_by(col(Position.id))))
        approved = s.exec(select(EventRecord).where(EventRecord.case_id == case_id,
                                                    EventRecord.event == "positions_list",
                                                    EventRecord.kind == "event")).first()
        return risks, positions, approved


def test_the_positions_list_carries_each_position_and_its_risk_by_number(world: Web):
    kgd = world.analyses["mf_done"]
    risks, positions, approved = _records(world, kgd)
    assert len(positions) == 2 and approved is not None
    numbers = {r.id: n for n, r in enumerate(risks, start=1)}
    api = world.api("aigerim")
    for lang in ("kk", "ru"):
        r = api.get(f"/api/v1/cases/{kgd}/documents/positions_list", params={"lang": lang})
        assert r.status_code == 200 and r.headers["content-type"] == DOCX, r.text
        text = text_of(r.content)
        assert TITLE[lang] in text
        for p in positions:
            assert p.risk_id is not None
            assert p.title in text and p.subdivision in text
            # the risk by its number in the note, with its words
            assert f"{numbers[p.risk_id]}. {p.risk}" in text, lang
        # approved on the day and under the number recorded for the list's stage
        number = (approved.evidence or {}).get("number")
        assert f"{written(approved.on)} № {number or BLANK}" in text, lang
        assert "{{" not in text and "()" not in text


def test_before_the_list_is_approved_its_date_and_number_are_blanks(world: Web):
    edu = world.analyses["edu"]
    assert _records(world, edu)[2] is None
    api = world.api("asel")
    r = api.get(f"/api/v1/cases/{edu}/documents/positions_list", params={"lang": "ru"})
    assert r.status_code == 200, r.text
    text = text_of(r.content)
    assert f"{BLANK} № {BLANK}" in text
    assert TITLE["ru"] in text


def test_a_position_names_its_risk_by_number_and_a_number_the_note_lacks_is_refused(
        web: Web, merzim_db):
    kgd = str(web.analyses["mf_done"])
    risks, before, _ = _records(web, int(kgd))
    state = web.dump()
    r = merzim_db("positions", "add", kgd, "--position", "Инспектор", "--subdivision",
                  "Отдел таможенного оформления", "--risk", "9", lang="ru")
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "нет риска № 9" in r.stderr and "3" in r.stderr, r.stderr
    assert web.dump() == state  # nothing stored
    r = merzim_db("positions", "add", kgd, "--position", "Инспектор", "--subdivision",
                  "Отдел таможенного оформления", "--risk", "№2", "--json")
    assert r.returncode == 0, r.stderr
    # the risk's words, spaced and cased otherwise, name the same risk
    words = "  " + risks[2].description.upper() + " "
    r = merzim_db("positions", "add", kgd, "--position", "Секретарь комиссии",
                  "--subdivision", "Отдел управления персоналом", "--risk", words, "--json")
    assert r.returncode == 0, r.stderr
    r = merzim_db("positions", "add", kgd, "--position", "Водитель", "--subdivision",
                  "Хозяйственный отдел", "--risk", "Использование служебного транспорта")
    assert r.returncode == 0, r.stderr
    _, after, _ = _records(web, int(kgd))
    added = after[len(before):]
    assert [(p.title, p.risk_id, p.risk) for p in added] == [
        ("Инспектор", risks[1].id, risks[1].description),
        ("Секретарь комиссии", risks[2].id, risks[2].description),
        ("Водитель", None, "Использование служебного транспорта"),
    ]
    text = text_of(web.api("aigerim").get(f"/api/v1/cases/{kgd}/documents/positions_list",
                                          params={"lang": "ru"}).content)
    assert f"2. {risks[1].description}" in text and f"3. {risks[2].description}" in text
    # words that name no recorded risk print as written, with no number before them
    assert "Использование служебного транспорта" in text
    assert ". Использование служебного транспорта" not in text


def test_the_consolidated_export_is_headed_in_the_readers_language(web: Web, merzim_db,
                                                                   tmp_path):
    out = tmp_path / "positions.csv"
    r = merzim_db("positions", "export", "MF", str(out), lang="ru")
    assert r.returncode == 0, r.stderr
    head, *rows = out.read_text(encoding="utf-8-sig").splitlines()
    assert head.split(",")[:2] == ["Организация", "Анализ"]
    assert "№ риска в справке" in head and "risk_no" not in head
    assert any(",1," in row for row in rows) and any(",3," in row for row in rows)
    r = merzim_db("positions", "export", "MF", "--json")
    listed = json.loads(r.stdout)["positions"]
    assert sorted(p["risk_no"] for p in listed) == [1, 3]
