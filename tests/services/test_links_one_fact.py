"""Links that neither double nor drop a fact (P-22, P-25): opening a procedure's register entry
applies the duplicate rule and offers the entry typed already; a link joins only cases of one
organisation and person whose kinds the link tables match, one procedure per entry; a link is
undone with a reason; a withdrawn case is not restored while its partner is linked to another;
voiding the record that opened an entry names it and withdraws it when asked; a gift handed
over and a foreign account found are facts too; the offence notice opened from a corrupt-act
report carries the report's day and letter. In every case the score and appendix 2 count each
fact once. On SQLite and PostgreSQL, through the service, the command line, the web and the
API; every refusal changes nothing. A register's fact identity is declared by its
`[scorecard]` table (core/facts.py `FactRule.of`): without the scorecard no entry is a fact,
and the module is skipped; appendix 2 is checked when the forms are installed
(tests/support/features.py).
"""

from __future__ import annotations

import html
import json
from datetime import date

import pytest
from sqlmodel import select

from tests.support.bulk_helpers import commit
from tests.support.databases import dump_tables, refused_unchanged
from tests.support.features import installed, needs
from tests.support.gift_world import (
    BREACH,
    GIFT,
    NOT_HANDED,
    PERSON,
    RECEIVED,
    REGISTRY,
    ctx_of,
    not_handed_over,
)
from tests.support.web_helpers import Web, csrf_of, en
from workflow import services as svc
from workflow.core.errors import UsageError
from workflow.i18n import Translator
from workflow.storage.db import session as open_session
from workflow.storage.models import CaseLink
from workflow.storage.queries.audit import trail_of

pytestmark = needs("scorecard")  # the fact identity is the scorecard table's


def typed_entry(db, person: str = PERSON, kind: str = "reward_or_gift",
                detected: date = NOT_HANDED, subject: str = "MF") -> int:
    """A breach entered by hand (HR's), detected independently: +3 when counted."""
    return commit(db, lambda s: svc.open_case(
        s, ctx_of(), BREACH, subject, person=person,
        fields={"kind": kind, "detected_independently": "yes"},
        dates={"detected": detected}).id)


def scores(db, key: str, expected: int, subject: str = "MF") -> None:
    """The indicator's points in the subject's 2026 score, when the scorecard is installed."""
    if not installed("scorecard"):
        return
    from workflow.scorecard import service as scoring
    from workflow.scorecard.rules import ScoreSettings
    with open_session(db) as s:
        card = scoring.scorecards(s, ctx_of(), subject, 2026, ScoreSettings())[0]
    assert next(i["points"] for i in card["indicators"] if i["key"] == key) == expected, key


def form_2(db, subject: str = "MF", ctx=None):
    """The subject's appendix 2 of 2026 (None when the forms are not installed)."""
    if not installed("forms"):
        return None
    from workflow.forms import service as forms
    with open_session(db) as s:
        data, _shown, _hidden = forms.form_data(s, ctx or ctx_of(), 2, subject, 2026, "ru")
    return data


def lists(db, expected: int, person: str = PERSON, subject: str = "MF") -> None:
    """How many lines of appendix 2 name the person, when the forms are installed."""
    data = form_2(db, subject)
    if data is not None:
        assert sum(1 for line in data.lines if line.person and person in line.person) == expected


def counted_once(db, key: str = "2.5.4", subject: str = "MF") -> None:
    scores(db, key, 3, subject)  # one fact detected independently: +3, once
    lists(db, 1, subject=subject)


# -- the duplicate rule: an entry typed by hand, then the procedure's outcome ------------------


def test_open_linked_offers_the_entry_typed_by_hand_instead_of_a_second(db, ids):
    ctx = ctx_of()
    typed = typed_entry(db)
    not_handed_over(db, ids["gift"])
    with open_session(db) as s:
        (offer,) = svc.offers(s, ctx, svc.get_case(s, ids["gift"]))
        assert offer.same == (typed,)
    refused = refused_unchanged(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"detected_independently": "yes"}))
    assert (refused.key, refused.params["entry"]) == ("rule.link_duplicate", typed)
    text = refused.render(Translator("ru"))
    assert f"№{typed}" in text and "--link-to" in text
    assert f"№{typed}" in refused.render(Translator("kk"))
    counted_once(db)  # the typed entry alone
    # linked instead: one entry, linked, counted once
    entry = commit(db, lambda s: svc.open_linked(s, ctx, ids["gift"], link_to=typed).id)
    assert entry == typed
    with open_session(db) as s:
        gift = svc.get_case(s, ids["gift"])
        assert [(lk.id, lk.role) for lk in svc.linked_cases(s, ctx, gift)] == [(typed, "linked")]
        assert svc.offers(s, ctx, gift) == []
    counted_once(db)


def test_a_second_entry_of_the_same_fact_needs_a_reason_and_is_audited(db, ids):
    ctx = ctx_of()
    typed = typed_entry(db)
    not_handed_over(db, ids["gift"])
    refused = refused_unchanged(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], duplicate_reason="x" * 501), UsageError)
    assert refused.key == "error.bad_duplicate_reason"
    second = commit(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], duplicate_reason="a second gift on the same day").id)
    assert second != typed
    with open_session(db) as s:
        (opened,) = trail_of(s, "case", str(second), ("case.open",))
        payload = json.loads(opened.payload)
        assert payload["duplicate_of"] == [typed]
        assert payload["duplicate_reason"] == "a second gift on the same day"


def test_an_entry_of_another_person_kind_or_year_is_not_the_same_fact(db, ids):
    ctx = ctx_of()
    typed_entry(db, person="Someone Else")
    typed_entry(db, kind="foreign_account")
    typed_entry(db, detected=date(2025, 12, 30))  # (another day of 2026 is: B-23)
    not_handed_over(db, ids["gift"])
    with open_session(db) as s:
        (offer,) = svc.offers(s, ctx, svc.get_case(s, ids["gift"]))
        assert offer.same == ()
    commit(db, lambda s: svc.open_linked(s, ctx, ids["gift"]))


def test_cli_open_linked_names_the_entry_and_links_it_instead(db, ids, cli):
    typed = typed_entry(db)
    code, out, err = cli("record", str(ids["gift"]), "not_handed_over", "--date",
                         NOT_HANDED.isoformat())
    assert code == 0, err
    before = dump_tables(db)
    code, out, err = cli("case", "open-linked", str(ids["gift"]))
    assert code != 0 and out == "" and "Traceback" not in err and dump_tables(db) == before
    assert f"#{typed}" in err and "--link-to" in err
    code, out, err = cli("case", "open-linked", str(ids["gift"]), "--link-to", str(typed),
                         "--json")
    assert code == 0, err
    assert json.loads(out)["id"] == typed
    if installed("scorecard"):  # `merzim score` counts it once
        code, out, err = cli("score", "MF", "--year", "2026", "--json")
        assert {i["key"]: i["points"] for i in json.loads(out)["indicators"]}["2.5.4"] == 3
    lists(db, 1)


# -- withdraw, open again, restore -------------------------------------------------------------


def test_a_withdrawn_entry_is_not_restored_while_its_gift_has_another(db, ids):
    ctx = ctx_of()
    not_handed_over(db, ids["gift"])
    first = commit(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"detected_independently": "yes"}).id)
    commit(db, lambda s: svc.withdraw_case(s, ctx, first, "opened by mistake"))
    second = commit(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"detected_independently": "yes"}).id)
    counted_once(db)
    refused = refused_unchanged(db, lambda s: svc.restore_case(s, ctx, first, "it was right"))
    assert refused.key == "rule.restore_linked_elsewhere"
    assert (refused.params["partner"], refused.params["other"]) == (ids["gift"], second)
    assert f"#{second}" in refused.render(Translator("en"))
    counted_once(db)
    # once the second is withdrawn, the first comes back: still one fact
    commit(db, lambda s: svc.withdraw_case(s, ctx, second, "the first was right"))
    commit(db, lambda s: svc.restore_case(s, ctx, first, "it was right"))
    counted_once(db)


def test_a_withdrawn_procedure_is_not_restored_while_its_entry_has_another(db, ids):
    ctx = ctx_of()
    entry = typed_entry(db)
    commit(db, lambda s: svc.link_cases(s, ctx, ids["gift"], entry))
    commit(db, lambda s: svc.withdraw_case(s, ctx, ids["gift"], "wrong case"))
    other = commit(db, lambda s: svc.open_case(s, ctx, GIFT, "MF", person=PERSON,
                                               dates={"received": RECEIVED}).id)
    commit(db, lambda s: svc.link_cases(s, ctx, other, entry))
    refused = refused_unchanged(db, lambda s: svc.restore_case(s, ctx, ids["gift"], "right"))
    assert (refused.key, refused.params["partner"], refused.params["other"]) == (
        "rule.restore_linked_elsewhere", entry, other)
    counted_once(db)


# -- a link only between the cases the link tables join ----------------------------------------


def test_a_mismatched_link_is_refused_with_the_reason_and_nothing_stored(db, ids):
    ctx = ctx_of()
    account = typed_entry(db, kind="foreign_account")
    stranger = typed_entry(db, person="Aigerim Bekova")
    refused = refused_unchanged(db, lambda s: svc.link_cases(s, ctx, ids["gift"], account))
    assert (refused.key, refused.params["entry"], refused.params["case"]) == (
        "rule.link_kind_mismatch", account, ids["gift"])
    words = refused.render(Translator("en"))
    assert "Foreign bank account" in words and "Reward, gift or service accepted" in words
    assert refused.render(Translator("kk")) != words
    refused = refused_unchanged(db, lambda s: svc.link_cases(s, ctx, stranger, ids["gift"]))
    assert refused.key == "rule.link_person"
    # a foreign account's case never takes a gift's entry
    found = commit(db, lambda s: svc.open_case(s, ctx, "foreign_account", "MF", person=PERSON,
                                               dates={"found": date(2026, 1, 12)}).id)
    gift_entry = typed_entry(db)
    refused = refused_unchanged(db, lambda s: svc.link_cases(s, ctx, found, gift_entry))
    assert refused.key == "rule.link_kind_mismatch"
    # one procedure per entry: a second gift case onto a linked entry
    commit(db, lambda s: svc.link_cases(s, ctx, ids["gift"], gift_entry))
    second = commit(db, lambda s: svc.open_case(s, ctx, GIFT, "MF", person=PERSON,
                                                dates={"received": date(2026, 2, 3)}).id)
    refused = refused_unchanged(db, lambda s: svc.link_cases(s, ctx, second, gift_entry))
    assert (refused.key, refused.params["id"], refused.params["other"]) == (
        "rule.link_exists", gift_entry, ids["gift"])


# -- unlink -------------------------------------------------------------------------------------


def test_unlink_with_a_reason_is_audited_in_both_histories_and_offers_again(db, ids):
    ctx = ctx_of()
    not_handed_over(db, ids["gift"])
    entry = typed_entry(db, person="Aigerim Bekova")
    refused = refused_unchanged(db, lambda s: svc.unlink_cases(s, ctx, ids["gift"], entry,
                                                               "wrong"))
    assert refused.key == "rule.link_not_linked"
    right = typed_entry(db)
    commit(db, lambda s: svc.link_cases(s, ctx, ids["gift"], right))
    refused = refused_unchanged(db, lambda s: svc.unlink_cases(s, ctx, ids["gift"], right, " "),
                                UsageError)
    assert refused.key == "error.reason_required"
    commit(db, lambda s: svc.unlink_cases(s, ctx, right, ids["gift"], "another gift"))
    with open_session(db) as s:
        gift = svc.get_case(s, ids["gift"])
        assert svc.linked_cases(s, ctx, gift) == []
        (row,) = s.exec(select(CaseLink)).all()
        assert (row.unlinked_by, row.unlink_reason) == ("test", "another gift")
        for case_id, other in ((ids["gift"], right), (right, ids["gift"])):
            history = svc.case_history(s, ctx, svc.get_case(s, case_id))
            undone = [h for h in history if h["kind"] == "unlinked"]
            assert [(h["other"], h["note"]) for h in undone] == [(other, "another gift")]
        # the outcome is offered again (the entry it names is the one unlinked: the same fact)
        (offer,) = svc.offers(s, ctx, gift)
        assert offer.same == (right,)
    # linked again, in the same row
    commit(db, lambda s: svc.link_cases(s, ctx, ids["gift"], right))
    with open_session(db) as s:
        (row,) = s.exec(select(CaseLink)).all()
        assert row.unlinked_at is None
    scores(db, "2.5.4", 6)  # two facts: Aigerim Bekova's and his, each once
    lists(db, 1)


def test_cli_unlinks_and_shows_it_in_the_history(db, ids, cli):
    entry = typed_entry(db)
    code, out, err = cli("case", "link", str(entry), str(ids["gift"]))
    assert code == 0, err
    before = dump_tables(db)
    code, out, err = cli("case", "unlink", str(entry), str(ids["gift"]), "--reason", "")
    assert code != 0 and "Traceback" not in err and dump_tables(db) == before
    code, out, err = cli("case", "unlink", str(entry), str(ids["gift"]), "--reason",
                         "another gift")
    assert code == 0, err
    assert out.strip() == en("link.unlinked", id=ids["gift"], case=entry)
    code, out, err = cli("case", "history", str(entry))
    assert code == 0 and en("history.unlinked", id=ids["gift"],
                            name=REGISTRY.get(GIFT).name("en")) in out
    code, out, err = cli("case", "history", str(ids["gift"]), "--json")
    assert [h["kind"] for h in json.loads(out)][-2:] == ["linked", "unlinked"]


# -- voiding the record that opened an entry ---------------------------------------------------


def test_voiding_the_outcome_names_the_entry_and_withdraws_it_when_asked(db, ids):
    ctx = ctx_of()
    not_handed_over(db, ids["gift"])
    entry = commit(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"detected_independently": "yes"}).id)
    with open_session(db) as s:
        assert [e.id for e in svc.opened_by_record(s, ctx, ids["gift"], "not_handed_over")] \
            == [entry]
    kept = commit(db, lambda s: svc.void_with_linked(s, ctx, ids["gift"], "not_handed_over",
                                                     "wrong gift"))
    assert (kept.standing, kept.withdrawn) == ((entry,), ())
    counted_once(db)  # named, left to the officer: still counted
    # another gift, voided with its entry in the same step
    other = commit(db, lambda s: svc.open_case(s, ctx, GIFT, "MF", person="Aliya Nurova",
                                               dates={"received": RECEIVED}).id)
    not_handed_over(db, other)
    second = commit(db, lambda s: svc.open_linked(
        s, ctx, other, fields={"detected_independently": "yes"}).id)
    scores(db, "2.5.4", 6)
    done = commit(db, lambda s: svc.void_with_linked(s, ctx, other, "not_handed_over",
                                                     "not this gift", withdraw_linked=True))
    assert (done.standing, done.withdrawn) == ((), (second,))
    with open_session(db) as s:
        withdrawn = svc.get_case(s, second)
        assert (withdrawn.withdrawn_reason, withdrawn.withdrawn_by) == ("not this gift", "test")
    scores(db, "2.5.4", 3)
    lists(db, 0, person="Aliya Nurova")
    counted_once(db)


def test_cli_void_names_the_entry_and_withdraws_it_with_the_flag(db, ids, cli):
    code, out, err = cli("record", str(ids["gift"]), "not_handed_over", "--date",
                         NOT_HANDED.isoformat())
    assert code == 0, err
    code, out, err = cli("case", "open-linked", str(ids["gift"]), "--json")
    entry = json.loads(out)["id"]
    code, out, err = cli("void", str(ids["gift"]), "not_handed_over", "--note", "wrong",
                         "--withdraw-linked")
    assert code == 0, err
    assert en("link.void_withdrawn", id=entry) in out
    with open_session(db) as s:
        assert svc.get_case(s, entry).withdrawn_at is not None


def test_cli_void_without_the_flag_says_the_entry_stays(db, ids, cli):
    cli("record", str(ids["gift"]), "not_handed_over", "--date", NOT_HANDED.isoformat())
    code, out, err = cli("case", "open-linked", str(ids["gift"]), "--json")
    entry = json.loads(out)["id"]
    code, out, err = cli("void", str(ids["gift"]), "not_handed_over", "--note", "wrong",
                         "--json")
    assert code == 0, err
    body = json.loads(out)
    assert (body["linked_standing"], body["linked_withdrawn"]) == ([entry], [])


# -- a gift handed over, a foreign account found -----------------------------------------------


def test_a_gift_handed_over_opens_its_entry_with_the_hand_over_act(db, ids):
    ctx = ctx_of()
    commit(db, lambda s: svc.record_event(s, ctx, ids["gift"], "handed_over",
                                          date(2026, 2, 6), {"receipt_act": "Act No. 12"}))
    with open_session(db) as s:
        (offer,) = svc.offers(s, ctx, svc.get_case(s, ids["gift"]))
        assert (offer.process, offer.event) == (BREACH, "handed_over")
    entry = commit(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"detected_independently": "yes"}).id)
    with open_session(db) as s:
        case = svc.get_case(s, entry)
        assert case.fields["kind"] == "reward_or_gift"
        assert case.given() == {"detected": RECEIVED}
        (act,) = [r for r in svc.records_of(s, case) if r.event == "gift_handed_over"]
        assert (act.on, act.evidence["receipt_act"]) == (date(2026, 2, 6), "Act No. 12")
    counted_once(db)


def test_a_foreign_account_found_opens_its_entry_whatever_its_outcome(db, ids):
    ctx = ctx_of()
    found = commit(db, lambda s: svc.open_case(s, ctx, "foreign_account", "MF", person=PERSON,
                                               dates={"found": date(2026, 1, 12)}).id)
    with open_session(db) as s:
        assert svc.offers(s, ctx, svc.get_case(s, found)) == []
    commit(db, lambda s: svc.record_event(s, ctx, found, "notified", date(2026, 1, 13)))
    entry = commit(db, lambda s: svc.open_linked(
        s, ctx, found, fields={"detected_independently": "yes"}).id)
    with open_session(db) as s:
        case = svc.get_case(s, entry)
        assert (case.fields["kind"], case.given()) == (
            "foreign_account", {"detected": date(2026, 1, 12)})
    # the closure proved later: still the one entry
    commit(db, lambda s: svc.record_event(s, ctx, found, "closure_proved", date(2026, 2, 20)))
    with open_session(db) as s:
        assert svc.offers(s, ctx, svc.get_case(s, found)) == []
    counted_once(db, "2.5.5")


# -- the offence notice of a corrupt-act report -------------------------------------------------


def test_the_notice_carries_the_reports_day_of_the_incident_and_its_letter(db):
    ctx = ctx_of()

    def report(s):
        svc.add_org(s, ctx, "QS", "Samruk company", "quasi_state")
        svc.add_user(s, ctx, "timur", "Timur", "officer", "QS")
        case = svc.open_case(s, ctx, "corrupt_act_report", "QS", person=PERSON,
                             fields={"kind": "corrupt_act"},
                             dates={"reported": date(2026, 2, 2),
                                    "incident": date(2026, 1, 20)})
        for event, day, evidence in (("manager_informed", date(2026, 2, 2), {}),
                                     ("check_opened", date(2026, 2, 3), {}),
                                     ("findings", date(2026, 2, 20), {"number": "5"}),
                                     ("materials_sent", date(2026, 2, 24),
                                      {"number": "Letter 17"})):
            svc.record_event(s, ctx, case.id, event, day, evidence)
        return case.id

    case_id = commit(db, report)
    entry = commit(db, lambda s: svc.open_linked(s, ctx, case_id,
                                                 fields={"category": "criminal"}).id)
    with open_session(db) as s:
        notice = svc.get_case(s, entry)
        assert notice.given()["detected"] == date(2026, 1, 20)  # the day of the incident
        (sent,) = [r for r in svc.records_of(s, notice) if r.event == "notice_sent"]
        assert (sent.on, sent.evidence["letter"]) == (date(2026, 2, 24), "Letter 17")
    scores(db, "2.1.1", 5, "QS")  # a criminal offence notified: +5, once
    data = form_2(db, "QS", ctx)
    if data is not None:  # appendix 2 states the day of the incident and the letter
        (line,) = [x for x in data.lines if x.person and PERSON in x.person]
        shown = " ".join(str(v) for v in line.values)
        assert "Letter 17" in shown and "20.01.2026" in shown, shown


# -- the web and the API ------------------------------------------------------------------------


@pytest.fixture
def cw(web) -> Web:
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, REGISTRY)
    return web


def _without_refusals(dump):
    return {k: v for k, v in dump.items() if k != "audit_log"}


def _api_gift_and_entry(api, person: str) -> tuple[int, int]:
    gift = api.post("/api/v1/cases", json={
        "process": GIFT, "subject": "AK-ALM-EDU", "person": person,
        "dates": {"received": "2025-10-01"}}).json()["id"]
    entry = api.post("/api/v1/cases", json={
        "process": BREACH, "subject": "AK-ALM-EDU", "person": person,
        "fields": {"kind": "reward_or_gift"}, "dates": {"detected": "2025-10-20"}}).json()["id"]
    return gift, entry


def test_api_open_linked_links_the_typed_entry_and_unlinks_with_a_reason(cw):
    api = cw.api("asel")
    gift, entry = _api_gift_and_entry(api, "Dana Omarova")
    api.post(f"/api/v1/cases/{gift}/events", json={"event": "not_handed_over",
                                                  "date": "2025-10-20"})
    before = cw.dump()
    twice = api.post(f"/api/v1/cases/{gift}/linked", json={})
    assert twice.status_code == 409 and twice.json()["error"] == "rule.link_duplicate"
    assert _without_refusals(cw.dump()) == _without_refusals(before)
    linked = api.post(f"/api/v1/cases/{gift}/linked", json={"link_to": entry})
    assert linked.status_code == 200, linked.text
    assert [(lk["id"], lk["role"]) for lk in linked.json()["links"]] == [(entry, "linked")]
    before = cw.dump()
    bad = api.post(f"/api/v1/cases/{gift}/unlink", json={"other": entry, "reason": ""})
    assert bad.status_code == 422 and _without_refusals(cw.dump()) == _without_refusals(before)
    undone = api.post(f"/api/v1/cases/{gift}/unlink",
                      json={"other": entry, "reason": "another gift"})
    assert undone.status_code == 200, undone.text
    assert "links" not in undone.json()
    again = api.post(f"/api/v1/cases/{gift}/unlink", json={"other": entry, "reason": "again"})
    assert again.status_code == 409 and again.json()["error"] == "rule.link_not_linked"
    # a manager of the organisation above records on neither: refused, nothing stored
    api.post(f"/api/v1/cases/{gift}/links", json={"other": entry})
    nurlan = cw.api("nurlan")
    before = cw.dump()
    manager = nurlan.post(f"/api/v1/cases/{gift}/unlink",
                                    json={"other": entry, "reason": "no"})
    assert manager.status_code in (403, 409)
    assert _without_refusals(cw.dump()) == _without_refusals(before)


def _gift_not_handed_over_with_its_entry(api, person: str) -> tuple[int, int]:
    """A gift of `person` received on 1 October 2025, recorded as not handed over, and the
    register entry its link opened: their case ids."""
    gift = api.post("/api/v1/cases", json={
        "process": GIFT, "subject": "AK-ALM-EDU", "person": person,
        "dates": {"received": "2025-10-01"}}).json()["id"]
    api.post(f"/api/v1/cases/{gift}/events", json={"event": "not_handed_over",
                                                  "date": "2025-10-20"})
    entry = api.post(f"/api/v1/cases/{gift}/linked", json={}).json()["links"][0]["id"]
    return gift, entry


def test_api_void_withdraws_the_entry_it_opened_when_asked(cw):
    api = cw.api("asel")
    gift, entry = _gift_not_handed_over_with_its_entry(api, "Aliya Nurova")
    voided = api.post(f"/api/v1/cases/{gift}/void",
                      json={"record": "not_handed_over", "note": "wrong",
                            "withdraw_linked": True})
    assert voided.status_code == 200, voided.text
    (link,) = voided.json()["links"]
    assert (link["id"], link["withdrawn"]) == (entry, True)


def test_web_void_names_the_entry_and_withdraws_it_with_the_checkbox(cw):
    asel, api = cw.browser("asel"), cw.api("asel")
    gift, entry = _gift_not_handed_over_with_its_entry(api, "Serik Tokayev")
    page = asel.get(f"/cases/{gift}")
    csrf = csrf_of(page.text)
    confirm = asel.post(f"/cases/{gift}/void", data={"csrf": csrf, "record": "not_handed_over",
                                                     "note": "wrong gift"})
    assert confirm.status_code == 200 and 'data-testid="confirm-void-entries"' in confirm.text
    assert en("link.void_entries", ids=entry) in html.unescape(confirm.text)
    done = asel.post(f"/cases/{gift}/void", data={
        "csrf": csrf, "record": "not_handed_over", "note": "wrong gift", "confirm": "yes",
        "withdraw_linked": "yes"})
    assert done.status_code == 303, done.text
    assert api.get(f"/api/v1/cases/{entry}").json()["withdrawn"] is not None


def test_web_offers_the_typed_entry_and_unlinks_with_a_reason(cw):
    asel, api = cw.browser("asel"), cw.api("asel")
    gift, entry = _api_gift_and_entry(api, "Gulnar Abenova")
    api.post(f"/api/v1/cases/{gift}/events", json={"event": "not_handed_over",
                                                  "date": "2025-10-20"})
    page = asel.get(f"/cases/{gift}")
    assert 'data-testid="link-same"' in page.text
    assert en("link.same", entry=entry) in html.unescape(page.text)
    csrf = csrf_of(page.text)
    before = cw.dump()
    refused = asel.post(f"/cases/{gift}/linked", data={"csrf": csrf, "process": BREACH})
    assert refused.status_code == 409
    assert _without_refusals(cw.dump()) == _without_refusals(before)
    linked = asel.post(f"/cases/{gift}/linked", data={"csrf": csrf, "process": BREACH,
                                                      "link_to": str(entry)})
    assert linked.status_code == 303, linked.text
    page = asel.get(f"/cases/{gift}")
    assert f'<li data-linked="{entry}" data-role="linked">' in page.text
    assert 'data-testid="unlink-form"' in page.text
    undone = asel.post(f"/cases/{gift}/unlink", data={"csrf": csrf, "other": str(entry),
                                                      "reason": "another gift"})
    assert undone.status_code == 303, undone.text
    page = asel.get(f"/cases/{gift}")
    assert en("link.unlinked", id=entry, case=gift) in html.unescape(page.text)
    assert f'<li data-linked="{entry}"' not in page.text
    assert '<tr data-kind="unlinked"' in page.text


# -- the link table's new keys: checked when the files load ------------------------------------


def _keys(defn):
    from workflow.core.register_spec import Keys

    return Keys(states=frozenset(defn.states), final_states=frozenset(defn.final_states),
                events=frozenset(defn.events), stages=frozenset(defn.stages),
                dates=frozenset(defn.dates), values=frozenset(defn.evidence) | {"number"},
                recurring=False)


@pytest.mark.parametrize("extra, words", [
    ({"carry": {"detected": []}}, "carry.detected: must not be empty"),
    ({"carry": {"detected": ["received", "nowhere"]}}, "carry.detected: names 'nowhere'"),
    ({"record": "gift_handed_over"}, "record: must be a table"),
    ({"record": {"event": "gift_handed_over", "when": "now"}}, "record.when: unknown key"),
    ({"record": {"evidence": {}}}, "record.event: is missing"),
    ({"record": {"event": "gift_handed_over", "evidence": {"receipt_act": "nothing"}}},
     "record.evidence.receipt_act: names 'nothing'"),
])
def test_a_broken_carry_or_record_refuses_the_file(extra, words):
    from workflow.core.errors import ConfigError
    from workflow.definitions.schema import parse_case_links

    gift = REGISTRY.get(GIFT)
    with pytest.raises(ConfigError, match=words):
        parse_case_links([{"on": "handed_over", "opens": BREACH,
                           "values": {"kind": "reward_or_gift"}, **extra}],
                         _keys(gift), "gift.toml")


@pytest.mark.parametrize("record, words", [
    ({"event": "notice_sent"}, "restriction_breach has no event 'notice_sent'"),
    ({"event": "gift_handed_over", "evidence": {"letter": "receipt_act"}},
     "restriction_breach has no evidence 'letter'"),
])
def test_a_record_the_register_cannot_take_is_refused_when_the_definitions_load(record, words):
    from workflow.core.case_links import check_target
    from workflow.core.errors import ConfigError
    from workflow.definitions.schema import parse_case_links

    gift, breach = REGISTRY.get(GIFT), REGISTRY.get(BREACH)
    (link,) = parse_case_links([{"on": "handed_over", "opens": BREACH,
                                 "values": {"kind": "reward_or_gift"},
                                 "carry": {"detected": "received"}, "record": record}],
                               _keys(gift), "gift.toml")
    with pytest.raises(ConfigError, match=words):
        check_target(link, gift, breach, "gift.toml: link 2")


def test_an_entry_linked_after_the_fact_stands_on_its_own_when_the_outcome_is_voided(db, ids):
    ctx = ctx_of()
    not_handed_over(db, ids["gift"])
    typed = typed_entry(db)
    commit(db, lambda s: svc.open_linked(s, ctx, ids["gift"], link_to=typed))
    done = commit(db, lambda s: svc.void_with_linked(s, ctx, ids["gift"], "not_handed_over",
                                                     "wrong day", withdraw_linked=True))
    assert (done.standing, done.withdrawn) == ((), ())
    counted_once(db)


def test_cli_restore_refuses_in_words_when_the_gift_has_another_entry(db, ids, cli):
    cli("record", str(ids["gift"]), "not_handed_over", "--date", NOT_HANDED.isoformat())
    code, out, err = cli("case", "open-linked", str(ids["gift"]), "--field",
                         "detected_independently=yes", "--json")
    first = json.loads(out)["id"]
    code, out, err = cli("case", "withdraw", str(first), "--reason", "by mistake")
    assert code == 0, err
    code, out, err = cli("case", "open-linked", str(ids["gift"]), "--field",
                         "detected_independently=yes", "--json")
    second = json.loads(out)["id"]
    before = dump_tables(db)
    code, out, err = cli("case", "restore", str(first), "--reason", "was right", lang="ru")
    assert code != 0 and "Traceback" not in err and dump_tables(db) == before
    assert f"№{ids['gift']}" in err and f"№{second}" in err
    counted_once(db)
