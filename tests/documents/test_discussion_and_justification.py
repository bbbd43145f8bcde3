"""The minutes of the public discussion (1.2.2; 000:L326-352, 001:L104-106) and the justification
note replacing the publication (1.3.2; 000:L473-481), drafted from the records: the minutes'
number and day the discussion's record's, its place the one announced, its participants,
proposals and decisions as recorded with it; the note's reason as recorded with the
publication. What is not recorded is a visible blank (D-3), never template text.

The demo (tests/support/web_helpers.py): `edu`'s discussion is recorded (protocol No. 7)
without minutes; `kk` is in progress, its discussion not yet held; `qs` has its plan approved,
its publication overdue."""

from __future__ import annotations

from sqlmodel import Session, col, select

from tests.documents.helpers import text_of, written
from tests.support.web_helpers import (
    TODAY,
    Web,
    web_fixture,  # noqa: F401 - the `web` fixture
    world_fixture,  # noqa: F401 - the `world` fixture
)
from workflow.documents.texts import BLANK
from workflow.storage.models import EventRecord

MINUTES = {"kk": "Ішкі талдау нәтижелерін жария талқылау ХАТТАМАСЫ",
           "ru": "ПРОТОКОЛ № {n} публичного обсуждения"}
PARTICIPANTS = "Сейтова А. К., руководитель аппарата; Омаров Б. Т., член общественного совета"
PROPOSALS = "Ввести электронную очередь; Публиковать решения комиссии"
DECISIONS = "Включить предложения в план мероприятий"
REASON = "Справка содержит сведения, составляющие служебную тайну"


def _record(engine, case_id: int, event: str) -> EventRecord | None:
    with Session(engine) as s:
        return s.exec(select(EventRecord).where(EventRecord.case_id == case_id,
                                                EventRecord.event == event,
                                                EventRecord.kind == "event")
                      .order_by(col(EventRecord.id).desc())).first()


def test_the_minutes_before_their_participants_are_recorded_are_blanks_to_fill(world: Web):
    edu = world.analyses["edu"]
    held = _record(world.engine, edu, "public_discussion")
    assert held is not None and not {"discussion_participants", "discussion_proposals",
                                     "discussion_decisions"} & set(held.evidence or {})
    api = world.api("asel")
    for lang in ("kk", "ru"):
        r = api.get(f"/api/v1/cases/{edu}/documents/public_discussion", params={"lang": lang})
        assert r.status_code == 200, r.text
        text = text_of(r.content)
        number = (held.evidence or {})["number"]
        assert (MINUTES[lang].format(n=number) in text) and number in text
        assert written(held.on) in text
        # nobody, no proposal, no decision invented: blanks to fill by hand
        assert f"– {BLANK}, {BLANK}." in text
        assert f"1. {BLANK}" in text
        assert "{{" not in text and "()" not in text


def test_the_minutes_carry_the_participants_proposals_and_decisions_recorded(web: Web,
                                                                             merzim_db):
    kk = str(web.analyses["kk"])
    r = merzim_db("record", kk, "public_discussion", "--date", TODAY.isoformat(), "--number",
                  "12", "--url", "https://kgd.gov.kz/discussion",
                  "--evidence", f"discussion_participants={PARTICIPANTS}",
                  "--evidence", f"discussion_proposals={PROPOSALS}",
                  "--evidence", f"discussion_decisions={DECISIONS}", today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    text = text_of(web.api("bolat").get(f"/api/v1/cases/{kk}/documents/public_discussion",
                                        params={"lang": "ru"}).content)
    assert "ПРОТОКОЛ № 12" in text and written(TODAY) in text
    assert "– Сейтова А. К., руководитель аппарата;" in text
    assert "– Омаров Б. Т., член общественного совета." in text  # the last member
    assert "1. Ввести электронную очередь" in text and "2. Публиковать решения комиссии" in text
    assert "1. Включить предложения в план мероприятий" in text
    assert BLANK + ";" not in text and BLANK + "." not in text


def test_a_minutes_field_too_long_is_refused_and_nothing_is_stored(web: Web, merzim_db):
    kk = str(web.analyses["kk"])
    before = web.dump()
    r = merzim_db("record", kk, "public_discussion", "--date", TODAY.isoformat(), "--number",
                  "12", "--url", "https://kgd.gov.kz/discussion",
                  "--evidence", "discussion_decisions=" + "я" * 501, lang="ru",
                  today=TODAY.isoformat())
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert "Решения, принятые по итогам обсуждения" in r.stderr, r.stderr
    assert web.dump() == before


def test_the_justification_note_states_the_reason_recorded_with_the_publication(web: Web,
                                                                               merzim_db):
    qs = web.analyses["qs"]
    api = web.api("timur")
    before = text_of(api.get(f"/api/v1/cases/{qs}/documents/publication",
                             params={"lang": "ru"}).content)
    assert "ОБОСНОВАНИЕ" in before and f"по следующей причине: {BLANK}" in before
    r = merzim_db("record", str(qs), "publication", "--date", TODAY.isoformat(), "--number",
                  "45", "--signed-by", "Руководитель аппарата",
                  "--evidence", "approver_role=head_of_apparatus",
                  "--evidence", f"unpublished_reason={REASON}", today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    for lang in ("ru", "kk"):
        text = text_of(api.get(f"/api/v1/cases/{qs}/documents/publication",
                               params={"lang": lang}).content)
        assert REASON in text, lang
        assert written(TODAY) in text
        assert ("Руководитель аппарата" if lang == "ru" else "Аппарат басшысы") in text
