"""A linked entry follows its procedure (B-24), on SQLite and PostgreSQL.

* The outcome that opened a register entry voided and another recorded, the entry takes the
  new outcome's date and act: a gift first recorded as not handed over, then as handed over,
  is a 2.5.4 entry detected the day the gift was received with its hand-over act — and the
  score, appendix 2, the national input (3.1.4, 10.2, 10.3) and the register list agree; the
  other way round the act is voided on the entry. Both histories say it.
* Its kind and person are not corrected while it is linked (nor the procedure's person):
  refused through the service, the command line, the API and the case page, naming the link to
  undo with a reason, with nothing stored; undone, the correction goes through.
"""

from __future__ import annotations

import html
import re
from datetime import date

import pytest

from tests.support.bulk_helpers import commit
from tests.support.databases import dump_tables, refused_unchanged
from tests.support.features import module_of
from tests.support.gift_world import BREACH, GIFT, RECEIVED, ctx_of, not_handed_over
from tests.support.web_helpers import Web, csrf_of, en
from workflow import services as svc
from workflow.storage.db import session as open_session
from workflow.storage.models import EVENT

# the entry's date and act as the score, appendix 2 and the national input read them
national = module_of("forms", "national")
forms = module_of("forms", "service")
scoring = module_of("scorecard", "service")
ScoreSettings = module_of("scorecard", "rules").ScoreSettings

HANDED = date(2026, 2, 20)


def _entry(db, ids) -> int:
    """The gift recorded as not handed over, its 2.5.4 entry opened (detected independently)."""
    not_handed_over(db, ids["gift"])
    return commit(db, lambda s: svc.open_linked(
        s, ctx_of(), ids["gift"], fields={"detected_independently": "yes"}).id)


def _readers(db, entry: int) -> dict:
    """What each reader of the fact says of MF's 2026: the score, appendix 2's gift line, the
    national input's figures, the register list's date of the entry, its hand-over acts."""
    ctx = ctx_of()
    with open_session(db) as s:
        card = scoring.scorecards(s, ctx, "MF", 2026, ScoreSettings())[0]
        data, _shown, _hidden = forms.form_data(s, ctx, 2, "MF", 2026, "ru")
        figures, _n, _h = national.national_data(s, ctx, "MF", 2026, "ru")
        listed = {r.id: r.case_date for r in svc.list_cases(s, ctx, BREACH, None, None)}
        acts = [(r.on, (r.evidence or {}).get("receipt_act"))
                for r in svc.records_of(s, svc.get_case(s, entry))
                if r.kind == EVENT and r.event == "gift_handed_over" and r.voided_by_id is None]
        given = svc.get_case(s, entry).given()
    (line,) = [ln for ln in data.lines if ln.row == 8]  # 2.5.4's row
    return {"points": next(i["points"] for i in card["indicators"] if i["key"] == "2.5.4"),
            "line": {v.key: v.text for v in line.values},
            "breaches": figures.figure("restriction_breaches.reward_or_gift").value,
            "handed": figures.figure("gifts_handed_over").value,
            "not_handed": figures.figure("gifts_not_handed_over").value,
            "listed": listed.get(entry), "acts": acts, "detected": given.get("detected")}


def _history(db, case_id: int) -> list[dict]:
    with open_session(db) as s:
        return [h for h in svc.case_history(s, ctx_of(), svc.get_case(s, case_id))
                if h["kind"] == "followed"]


def test_the_entry_takes_the_hand_over_after_the_void_and_every_reader_agrees(db, ids):
    ctx = ctx_of()
    entry = _entry(db, ids)
    before = _readers(db, entry)
    # the gift's day, whatever the outcome (B-27: the year of the procedure's fact)
    assert (before["detected"], before["acts"], before["not_handed"]) == (RECEIVED, [], 1)
    commit(db, lambda s: svc.void_record(s, ctx, ids["gift"], "not_handed_over", "it was"))
    assert _readers(db, entry)["detected"] == RECEIVED  # nothing moves on the void alone
    commit(db, lambda s: svc.record_event(s, ctx, ids["gift"], "handed_over", HANDED,
                                          {"receipt_act": "Act 7"}))
    got = _readers(db, entry)
    # the new outcome's day (the gift's: carry detected = received) and its act
    assert (got["detected"], got["listed"], got["acts"]) == (RECEIVED, RECEIVED,
                                                             [(HANDED, "Act 7")])
    assert got["points"] == 3  # still one fact, detected independently (001:L416-430)
    assert got["line"]["detected"] == RECEIVED.strftime("%d.%m.%Y")
    assert "Act 7" in got["line"]["gift_handed_over"]  # appendix 2 prints the measure
    assert (got["breaches"], got["handed"], got["not_handed"]) == (1, 1, 0)
    (mine,) = _history(db, entry)
    assert (mine["other"], mine["role"]) == (ids["gift"], "made_by")
    assert mine["changes"] == []  # the day stays the gift's (B-27); the act is recorded
    (theirs,) = _history(db, ids["gift"])
    assert (theirs["other"], theirs["role"]) == (entry, "made")
    # voiding the hand-over now names the entry it backs (the link follows the outcome)
    with open_session(db) as s:
        assert [c.id for c in svc.opened_by_record(s, ctx, ids["gift"], "handed_over")] == [entry]


def test_the_other_way_round_the_hand_over_act_is_voided_on_the_entry(db, ids):
    ctx = ctx_of()
    commit(db, lambda s: svc.record_event(s, ctx, ids["gift"], "handed_over", HANDED,
                                          {"receipt_act": "Act 7"}))
    entry = commit(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"detected_independently": "yes"}).id)
    assert _readers(db, entry)["acts"] == [(HANDED, "Act 7")]
    commit(db, lambda s: svc.void_record(s, ctx, ids["gift"], "handed_over", "not in full"))
    not_handed_over(db, ids["gift"])
    got = _readers(db, entry)
    assert (got["detected"], got["listed"], got["acts"]) == (RECEIVED, RECEIVED, [])
    assert "gift_handed_over" not in got["line"] or not got["line"]["gift_handed_over"]
    assert (got["points"], got["breaches"], got["handed"], got["not_handed"]) == (3, 1, 0, 1)


def test_an_entry_linked_after_the_fact_or_still_backed_stands_as_it_is(db, ids):
    ctx = ctx_of()
    entry = commit(db, lambda s: svc.open_case(s, ctx, BREACH, "MF", person="Erlan Sadykov",
                                               fields={"kind": "reward_or_gift"},
                                               dates={"detected": date(2026, 2, 25)}).id)
    commit(db, lambda s: svc.link_cases(s, ctx, ids["gift"], entry))
    commit(db, lambda s: svc.record_event(s, ctx, ids["gift"], "handed_over", HANDED,
                                          {"receipt_act": "Act 7"}))
    got = _readers(db, entry)
    assert (got["detected"], got["acts"]) == (date(2026, 2, 25), [])
    assert _history(db, entry) == []


# -- the kind and the person are not corrected while linked -------------------------------------


def test_a_linked_entrys_kind_and_person_are_refused_and_nothing_is_stored(db, ids):
    ctx = ctx_of()
    entry = _entry(db, ids)
    for kwargs in ({"fields": {"kind": "conflict_of_interest"}}, {"person": "Someone Else"},
                   {"fields": {"kind": "foreign_account"}, "person": "Someone Else"}):
        refused = refused_unchanged(db, lambda s, k=kwargs: svc.edit_case(
            s, ctx, entry, reason="typed wrong", **k))
        assert (refused.key, refused.params["id"], refused.params["other"]) == (
            "rule.edit_linked", entry, ids["gift"])
    text = refused_unchanged(db, lambda s: svc.edit_case(
        s, ctx, entry, fields={"kind": "conflict_of_interest"}, reason="x"))
    from workflow.i18n import Translator

    for lang, words in (("en", "Undo the link"), ("ru", "отмените связь"),
                        ("kk", "байланысты")):
        assert words in text.render(Translator(lang)), lang
    # what is not the fact is corrected as ever: the position, the spacing of the name
    commit(db, lambda s: svc.edit_case(s, ctx, entry, position="Deputy head", reason="typo"))
    commit(db, lambda s: svc.edit_case(s, ctx, entry, person="Erlan  SADYKOV", reason="typo"))
    # undone with a reason, the kind is corrected
    commit(db, lambda s: svc.unlink_cases(s, ctx, entry, ids["gift"], "another fact"))
    commit(db, lambda s: svc.edit_case(s, ctx, entry, fields={"kind": "conflict_of_interest",
                                                              "circumstances": "x"},
                                       reason="it was a conflict"))
    with open_session(db) as s:
        assert svc.get_case(s, entry).fields["kind"] == "conflict_of_interest"


def test_cli_refuses_the_correction_and_shows_the_follow_in_the_history(db, ids, cli):
    entry = _entry(db, ids)
    before = dump_tables(db)
    code, out, err = cli("case", "edit", str(entry), "--field", "kind=insider_information",
                         "--reason", "typed wrong")
    assert code != 0 and "Traceback" not in err
    assert en("rule.edit_linked", id=entry, other=ids["gift"],
              name=ctx_of().registry.get(GIFT).name("en")) in " ".join((out + err).split())
    assert {k: v for k, v in dump_tables(db).items() if k != "audit_log"} == \
        {k: v for k, v in before.items() if k != "audit_log"}
    code, out, err = cli("void", str(ids["gift"]), "not_handed_over", "--note", "it was")
    assert code == 0, err
    code, out, err = cli("record", str(ids["gift"]), "handed_over", "--date",
                         HANDED.isoformat(), "--evidence", "receipt_act=Act 7")
    assert code == 0, err
    code, out, _err = cli("case", "history", str(entry))
    assert code == 0 and en("history.follow_made_by", id=ids["gift"]) in out
    code, out, _err = cli("case", "history", str(ids["gift"]), lang="ru")
    assert code == 0 and f"Запись реестра №{entry} следует этому исходу" in out


@pytest.fixture
def cw(web) -> Web:
    """The `web` fixture's application with every shipped process."""
    from tests.support.gift_world import REGISTRY
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, REGISTRY)
    return web


def test_api_and_page_refuse_and_the_page_offers_to_undo_the_link(cw):
    api, asel = cw.api("asel"), cw.browser("asel")
    gift = api.post("/api/v1/cases", json={
        "process": GIFT, "subject": "AK-ALM-EDU", "person": "Aliya Nurova",
        "dates": {"received": "2025-10-01"}}).json()["id"]
    api.post(f"/api/v1/cases/{gift}/events", json={"event": "not_handed_over",
                                                   "date": "2025-10-20"})
    (link,) = api.post(f"/api/v1/cases/{gift}/linked", json={}).json()["links"]
    entry = link["id"]
    before = cw.dump()
    refused = api.patch(f"/api/v1/cases/{entry}", json={
        "fields": {"kind": "foreign_account"}, "reason": "typed wrong"})
    assert refused.status_code == 409 and refused.json()["error"] == "rule.edit_linked"
    refused = api.patch(f"/api/v1/cases/{entry}", json={"person": "Other", "reason": "typo"})
    assert refused.status_code == 409 and refused.json()["error"] == "rule.edit_linked"
    assert cw.dump() == before
    page = asel.get(f"/cases/{entry}")
    assert en("edit.linked_hint", id=gift) in html.unescape(page.text)  # said before it is sent
    form = {"csrf": csrf_of(page.text), "person": "Aliya Nurova", "position": "",
            "field_kind": "conflict_of_interest", "date_detected": "2025-10-20",
            "reason": "typed wrong"}
    revision = re.search(r'name="revision" value="(\d+)"', page.text)
    form |= {"revision": revision.group(1)} if revision else {}
    for lang, words in (("en", "Undo the link to case"), ("ru", "отмените связь с делом"),
                        ("kk", "байланысты себебін көрсетіп")):
        shown = asel.post(f"/cases/{entry}/edit?lang={lang}", data=form)
        assert shown.status_code == 409, shown.text
        assert words in html.unescape(shown.text), lang
        # the undoing of that link is opened beside the refusal, its reason asked
        opened = re.search(r'<details[^>]*class="correction" open>\s*<summary>[^<]*</summary>\s*'
                           r'<form method="post" action="/cases/\d+/unlink" '
                           r'data-testid="unlink-form"', shown.text)
        assert opened, lang
        assert f'name="other" value="{gift}"' in shown.text.split('data-testid="unlink-form"')[1]
    assert cw.dump() == before
