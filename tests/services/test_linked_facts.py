"""One fact entered once (P-22): a procedure of 002 whose outcome is a breach of a restriction
(a gift not handed over, a conflict of interest not settled, a foreign account not closed)
offers the register entry of project 2 it is; one confirmation opens it with the person, the
dates, the kind and the files, linked to the case; each case shows the other, their histories
say which made which, withdrawing one asks about the other, and an entry is linked to an
existing case after the fact. The score counts the entry once. On SQLite and PostgreSQL,
through the service, the command line, the web and the API; refusals change nothing.
"""

from __future__ import annotations

import html
import io
import json
import re
from datetime import date

import pytest

from tests.support.bulk_helpers import commit
from tests.support.databases import dump_tables, refused_unchanged
from tests.support.gift_world import (
    BREACH,
    CAL,
    GIFT,
    NOT_HANDED,
    RECEIVED,
    REGISTRY,
    TODAY,
    ctx_of,
    not_handed_over,
)
from tests.support.web_helpers import Web, csrf_of, en
from workflow import services as svc
from workflow.core.case_links import check_target
from workflow.core.errors import ConfigError, NotFound, RuleViolation, UsageError
from workflow.core.register_spec import Keys
from workflow.definitions.schema import parse_case_links
from workflow.services import files as files_service
from workflow.settings import FilesSettings
from workflow.storage.db import session as open_session
from workflow.storage.filestore import FileStore

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# -- the definitions: the links are data, parsed into typed specs -------------------------------


def test_the_three_procedures_of_002_open_the_breach_register_by_data():
    wanted = {GIFT: ("not_handed_over", "reward_or_gift"),
              "conflict_of_interest": ("unsettled", "conflict_of_interest"),
              "foreign_account": ("not_closed", "foreign_account")}
    for key, (event, kind) in wanted.items():
        defn = REGISTRY.get(key)
        # version 3 of the conflict asks the entry's circumstances (000:L1127-1129)
        assert defn.version >= 2
        (link,) = [sp for sp in defn.links if sp.on == event]
        # B-27: the entry counts in the year of the procedure's fact, its declared day
        assert (link.on, link.opens, dict(link.values), dict(link.carry)) == (
            event, BREACH, {"kind": kind}, {"detected": (defn.fact_day,)})
        assert link.ask == (("circumstances",) if key == "conflict_of_interest" else ())
        assert link.source.startswith("002:L")
        # every link of the procedure opens the same kind of fact
        assert {sp.values["kind"] for sp in defn.links} == {kind}
        # the old version stays, without a link, for the cases opened with it
        assert REGISTRY.version(key, 1).links == ()


KEYS = Keys(states=frozenset({"a"}), final_states=frozenset(), events=frozenset({"done"}),
            stages=frozenset(), dates=frozenset({"found"}), values=frozenset({"note"}),
            recurring=False)


@pytest.mark.parametrize("raw, words", [
    ([{"on": "nope", "opens": BREACH}], "on: must name an event"),
    ([{"on": "done"}], "opens: is missing"),
    ([{"on": "done", "opens": BREACH, "carry": {"detected": "elsewhere"}}], "carry.detected"),
    ([{"on": "done", "opens": BREACH, "values": {"kind": "x"}, "carry": {"kind": "found"}}],
     "both set and carried"),
    ([{"on": "done", "opens": BREACH, "when": "now"}], "when: unknown key"),
    ([{"on": "done", "opens": BREACH, "files": "yes"}], "files: must be true or false"),
])
def test_a_broken_link_table_refuses_the_file(raw, words):
    with pytest.raises(ConfigError, match=words):
        parse_case_links(raw, KEYS, "x.toml")


def test_a_link_the_register_cannot_take_is_refused_when_the_definitions_load():
    gift, breach = REGISTRY.get(GIFT), REGISTRY.get(BREACH)
    (link,) = parse_case_links([{"on": "not_handed_over", "opens": BREACH,
                                 "carry": {"detected": "on"}}], _keys(gift), "gift.toml")
    with pytest.raises(ConfigError, match="needs kind"):
        check_target(link, gift, breach, "gift.toml: link 1")
    (link,) = parse_case_links([{"on": "not_handed_over", "opens": BREACH,
                                 "values": {"kind": "bribe"}, "carry": {"detected": "on"}}],
                               _keys(gift), "gift.toml")
    with pytest.raises(ConfigError, match="not one of"):
        check_target(link, gift, breach, "gift.toml: link 1")


def _keys(defn) -> Keys:
    return Keys(states=frozenset(defn.states), final_states=frozenset(defn.final_states),
                events=frozenset(defn.events), stages=frozenset(defn.stages),
                dates=frozenset(defn.dates), values=frozenset(defn.evidence) | {"number"},
                recurring=False)


# -- the service ------------------------------------------------------------------------------


def test_a_gift_not_handed_over_opens_its_breach_with_one_confirmation(db, ids, tmp_path):
    ctx = ctx_of()
    commit(db, lambda s: files_service.attach_files(
        s, ctx, FileStore(tmp_path / "files"), FilesSettings(), ids["gift"],
        [files_service.Upload("explanation.pdf", io.BytesIO(PDF))]))
    with open_session(db) as s:  # nothing offered before the outcome
        assert svc.offers(s, ctx, svc.get_case(s, ids["gift"])) == []
    not_handed_over(db, ids["gift"])
    with open_session(db) as s:
        (offer,) = svc.offers(s, ctx, svc.get_case(s, ids["gift"]))
        assert (offer.process, offer.event, offer.on) == (BREACH, "not_handed_over", NOT_HANDED)
    entry_id = commit(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"detected_independently": "yes"}).id)
    with open_session(db) as s:
        entry = svc.get_case(s, entry_id)
        assert (entry.process, entry.person_name, entry.person_position) == (
            BREACH, "Erlan Sadykov", "Head of unit")
        assert entry.fields == {"kind": "reward_or_gift", "detected_independently": "yes"}
        assert entry.given() == {"detected": RECEIVED}  # the fact's day (B-27)
        (carried,) = files_service.list_files(s, entry)
        (original,) = files_service.list_files(s, svc.get_case(s, ids["gift"]))
        assert (carried["name"], carried["sha256"]) == (original["name"], original["sha256"])
        gift = svc.get_case(s, ids["gift"])
        assert [(lk.id, lk.role) for lk in svc.linked_cases(s, ctx, gift)] == [
            (entry_id, "made")]
        assert [(lk.id, lk.role) for lk in svc.linked_cases(s, ctx, entry)] == [
            (ids["gift"], "made_by")]
        assert svc.offers(s, ctx, gift) == []  # offered once: it is linked now
        made = [h for h in svc.case_history(s, ctx, gift) if h["kind"] == "linked"]
        made_by = [h for h in svc.case_history(s, ctx, entry) if h["kind"] == "linked"]
        assert [(h["other"], h["role"]) for h in made] == [(entry_id, "made")]
        assert [(h["other"], h["role"]) for h in made_by] == [(ids["gift"], "made_by")]
        assert made_by[0]["name"] == REGISTRY.get(GIFT).name("en")


def test_opening_twice_or_before_the_outcome_is_refused_with_nothing_stored(db, ids):
    ctx = ctx_of()
    refused = refused_unchanged(db, lambda s: svc.open_linked(s, ctx, ids["gift"]))
    assert refused.key == "rule.link_no_outcome"
    assert refused.render(_t("ru")).startswith(f"Дело №{ids['gift']}")
    not_handed_over(db, ids["gift"])
    refused = refused_unchanged(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"kind": "foreign_account"}), UsageError)
    assert refused.key == "error.link_field_set"
    refused = refused_unchanged(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"], fields={"detected_independently": "maybe"}), UsageError)
    refused = refused_unchanged(db, lambda s: svc.open_linked(s, ctx, ids["gift"], "offence_notice"),
                                UsageError)
    assert refused.key == "error.link_none"
    entry = commit(db, lambda s: svc.open_linked(s, ctx, ids["gift"]).id)
    refused = refused_unchanged(db, lambda s: svc.open_linked(s, ctx, ids["gift"]))
    assert (refused.key, refused.params["other"]) == ("rule.link_exists", entry)
    refused_unchanged(db, lambda s: svc.open_linked(s, ctx, 999), NotFound)


def _t(lang: str):
    from workflow.i18n import Translator

    return Translator(lang)


def test_a_voided_outcome_is_no_longer_offered(db, ids):
    ctx = ctx_of()
    not_handed_over(db, ids["gift"])
    commit(db, lambda s: svc.void_record(s, ctx, ids["gift"], "not_handed_over", "wrong gift"))
    with open_session(db) as s:
        assert svc.offers(s, ctx, svc.get_case(s, ids["gift"])) == []
    assert refused_unchanged(db, lambda s: svc.open_linked(
        s, ctx, ids["gift"])).key == "rule.link_no_outcome"


def test_an_entry_is_linked_after_the_fact_in_either_order_and_refusals_change_nothing(db, ids):
    ctx = ctx_of()

    def breach(subject: str = "MF", kind: str = "reward_or_gift", second: str | None = None):
        return lambda s: svc.open_case(s, ctx, BREACH, subject, person="Erlan Sadykov",
                                       fields={"kind": kind},
                                       dates={"detected": NOT_HANDED}, fact_reason=second).id

    entry, elsewhere = commit(db, breach()), commit(db, breach("MJ"))
    notice = commit(db, lambda s: svc.open_case(s, ctx, "offence_notice", "MF", person="X",
                                                fields={"category": "criminal"},
                                                dates={"detected": NOT_HANDED}).id)
    for a, b, key, error in ((ids["gift"], ids["gift"], "error.link_self", UsageError),
                             (ids["gift"], notice, "rule.link_kinds", RuleViolation),
                             (ids["gift"], elsewhere, "rule.link_subject", RuleViolation)):
        assert refused_unchanged(db, lambda s, a=a, b=b: svc.link_cases(s, ctx, a, b),
                                 error).key == key
    commit(db, lambda s: svc.link_cases(s, ctx, entry, ids["gift"]))  # the entry first
    with open_session(db) as s:
        gift = svc.get_case(s, ids["gift"])
        assert [(lk.id, lk.role) for lk in svc.linked_cases(s, ctx, gift)] == [(entry, "linked")]
    second = commit(db, breach(second="a second gift that year"))  # (B-23: with a reason)
    refused = refused_unchanged(db, lambda s: svc.link_cases(s, ctx, ids["gift"], second))
    assert (refused.key, refused.params["other"]) == ("rule.link_exists", entry)
    not_handed_over(db, ids["gift"])  # linked already: nothing more is offered
    with open_session(db) as s:
        assert svc.offers(s, ctx, svc.get_case(s, ids["gift"])) == []


def test_withdrawing_one_withdraws_the_other_only_when_asked(db, ids):
    ctx = ctx_of()
    not_handed_over(db, ids["gift"])
    entry = commit(db, lambda s: svc.open_linked(s, ctx, ids["gift"]).id)
    commit(db, lambda s: svc.withdraw_case(s, ctx, entry, "entered by mistake"))
    with open_session(db) as s:
        gift = svc.get_case(s, ids["gift"])
        assert gift.withdrawn_at is None and svc.standing_linked(s, gift) == []
        (seen,) = svc.linked_cases(s, ctx, gift)
        assert seen.withdrawn
        # the entry withdrawn, the outcome is offered again
        assert [o.process for o in svc.offers(s, ctx, gift)] == [BREACH]
    commit(db, lambda s: svc.restore_case(s, ctx, entry, "it was right"))
    commit(db, lambda s: svc.withdraw_case(s, ctx, ids["gift"], "both wrong", with_linked=True))
    with open_session(db) as s:
        assert svc.get_case(s, entry).withdrawn_at is not None
        assert svc.get_case(s, ids["gift"]).withdrawn_reason == "both wrong"


# -- counted once ----------------------------------------------------------------------------


def test_acceptance_a_gift_not_handed_over_is_one_fact_in_the_score(db, ids, cli):
    code, out, err = cli("record", str(ids["gift"]), "not_handed_over", "--date",
                         NOT_HANDED.isoformat())
    assert code == 0, err
    before = dump_tables(db)
    code, out, err = cli("case", "open-linked", str(ids["gift"]), "--field", "kind=foreign_account")
    assert code == 2 and out == "" and "Traceback" not in err and dump_tables(db) == before
    code, out, err = cli("case", "open-linked", str(ids["gift"]), "--field",
                         "detected_independently=yes", "--json")
    assert code == 0, err
    entry = json.loads(out)["id"]
    code, out, err = cli("score", "MF", "--year", "2026", "--json")
    assert code == 0, err
    card = json.loads(out)
    points = {i["key"]: i["points"] for i in card["indicators"]}
    assert points["2.5.4"] == 3  # one fact detected independently: +3 (001:L416-430), once
    project_2 = next(p for p in card["projects"] if p["project"] == 2)
    assert project_2["awards"] == 3
    code, out, _err = cli("case", "history", str(ids["gift"]))
    assert code == 0 and f"Register entry #{entry}" in out
    code, out, _err = cli("case", "history", str(entry), lang="ru")
    assert code == 0 and f"Открыто из дела №{ids['gift']}" in out
    # withdrawing the gift case asks about the entry: it stays unless told
    code, out, _err = cli("case", "withdraw", str(ids["gift"]), "--reason", "wrong person")
    assert code == 0 and en("link.still_standing", id=entry, case=ids["gift"]) in out
    code, out, err = cli("score", "MF", "--year", "2026", "--json")
    assert {i["key"]: i["points"] for i in json.loads(out)["indicators"]}["2.5.4"] == 3


def test_cli_links_after_the_fact_and_restores_within_the_year(db, ids, cli):
    code, out, err = cli("case", "open", BREACH, "--subject", "MF", "--person", "Erlan Sadykov",
                         "--field", "kind=reward_or_gift", "--date", "detected=2026-02-16",
                         "--json")
    assert code == 0, err
    entry = json.loads(out)["id"]
    before = dump_tables(db)
    code, out, err = cli("case", "link", str(entry), str(entry))
    assert code == 2 and "Traceback" not in err and dump_tables(db) == before
    code, out, err = cli("case", "link", str(entry), str(ids["gift"]))
    assert code == 0 and out.strip() == en("link.saved", case=ids["gift"], entry=entry), err
    code, out, err = cli("case", "withdraw", str(entry), "--reason", "wrong", "--with-linked",
                         "--json")
    assert code == 0 and json.loads(out)["linked_withdrawn"] == [ids["gift"]], err
    code, out, err = cli("case", "restore", str(entry), "--reason", "was right")
    assert code == 0 and out.strip() == en("restore.saved", id=entry), err
    code, out, _err = cli("case", "history", str(entry), "--json")
    assert [h["kind"] for h in json.loads(out)][-3:] == ["linked", "withdrawn", "restored"]


# -- the web and the API ------------------------------------------------------------------------


@pytest.fixture
def cw(web) -> Web:
    """The `web` fixture's application with every shipped process."""
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, REGISTRY)
    return web


def _gift_case(browser, person: str = "Gulnar Abenova") -> int:
    page = browser.get(f"/cases/new/{GIFT}")
    opened = browser.post(f"/cases/new/{GIFT}", data={
        "csrf": csrf_of(page.text), "person": person, "date_received": "2025-10-01"})
    assert opened.status_code == 303, opened.text
    return int(opened.headers["location"].rsplit("/", 1)[1])


def test_web_acceptance_one_confirmation_opens_the_entry_and_each_page_links_the_other(cw):
    asel = cw.browser("asel")
    case_id = _gift_case(asel)
    page = asel.get(f"/cases/{case_id}")
    assert 'data-testid="link-offer"' not in page.text
    done = asel.post(f"/cases/{case_id}/events", data={
        "csrf": csrf_of(page.text), "event": "not_handed_over", "date": "2025-10-20"})
    assert done.status_code == 303, done.text
    page = asel.get(f"/cases/{case_id}")
    assert page.text.count('data-testid="link-offer"') == 1
    csrf = csrf_of(page.text)
    before = cw.dump()
    bad = asel.post(f"/cases/{case_id}/linked", data={
        "csrf": csrf, "process": BREACH, "f.detected_independently": "perhaps"})
    assert bad.status_code == 422 and cw.dump() == before
    opened = asel.post(f"/cases/{case_id}/linked", data={
        "csrf": csrf, "process": BREACH, "f.detected_independently": "yes"})
    assert opened.status_code == 303, opened.text
    page = asel.get(f"/cases/{case_id}")
    (entry,) = [int(x) for x in re.findall(r'<li data-linked="(\d+)" data-role="made"', page.text)]
    assert en("link.opened", id=entry, case=case_id) in html.unescape(page.text)
    assert f'href="/cases/{entry}" data-testid="linked-case"' in page.text
    assert 'data-testid="link-offer"' not in page.text
    other = asel.get(f"/cases/{entry}")
    assert f'<li data-linked="{case_id}" data-role="made_by">' in other.text
    assert f'href="/cases/{case_id}" data-testid="linked-case"' in other.text
    assert "Gulnar Abenova" in other.text  # her own organisation's officer sees the person
    assert re.findall(r'<tr data-kind="linked"', other.text)
    # the withdraw form names the linked case and offers to withdraw it too
    assert 'data-testid="withdraw-linked"' in other.text
    confirm = asel.post(f"/cases/{entry}/withdraw", data={
        "csrf": csrf_of(other.text), "reason": "wrong", "with_linked": "yes"})
    assert confirm.status_code == 200 and 'data-testid="confirm-linked"' in confirm.text
    both = asel.post(f"/cases/{entry}/withdraw", data={
        "csrf": csrf_of(other.text), "reason": "wrong", "with_linked": "yes", "confirm": "yes"})
    assert both.status_code == 303
    page = asel.get(f"/cases/{case_id}")
    assert 'data-testid="withdrawn"' in page.text and 'data-testid="restore-form"' in page.text
    # undoing it sits under the banner that says it is withdrawn, not among the linked cases;
    # the case reads as withdrawn (bold), its last state beside it, not in bold
    after = page.text.split('data-testid="withdrawn"', 1)[1]
    assert after.index('data-testid="restore-form"') < after.index('data-testid="person"'
                                                                   if 'data-testid="person"' in after
                                                                   else 'data-testid="linked"')
    linked = page.text.split('data-testid="linked"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="restore-form"' not in linked
    for lang, word in (("kk", "Кері қайтарылған"), ("ru", "Отозвано"), ("en", "Withdrawn")):
        shown = html.unescape(asel.get(f"/cases/{case_id}?lang={lang}").text)
        assert f'<strong data-testid="state-withdrawn">{word}</strong>' in shown
        assert '<strong data-testid="state">' not in shown
    restored = asel.post(f"/cases/{case_id}/restore", data={"csrf": csrf, "reason": "was right"})
    assert restored.status_code == 303
    page = asel.get(f"/cases/{case_id}")
    assert 'data-testid="withdrawn"' not in page.text
    assert en("restore.saved", id=case_id) in html.unescape(page.text)
    kinds = re.findall(r'<tr data-kind="([a-z_]+)"', page.text)
    assert kinds[-3:] == ["linked", "withdrawn", "restored"]


def test_a_manager_sees_the_links_without_the_person_and_cannot_act(cw):
    asel = cw.browser("asel")
    case_id = _gift_case(asel, "Serik Tokayev")
    page = asel.get(f"/cases/{case_id}")
    asel.post(f"/cases/{case_id}/events", data={
        "csrf": csrf_of(page.text), "event": "not_handed_over", "date": "2025-10-20"})
    manager = cw.browser("nurlan")
    page = manager.get(f"/cases/{case_id}")
    assert 'data-testid="link-offer"' not in page.text and 'data-testid="link-form"' not in page.text
    before = cw.dump()
    refused = manager.post(f"/cases/{case_id}/linked", data={"csrf": csrf_of(page.text),
                                                              "process": BREACH})
    assert refused.status_code == 409 and cw.dump() == before
    opened = asel.post(f"/cases/{case_id}/linked", data={
        "csrf": csrf_of(asel.get(f"/cases/{case_id}").text), "process": BREACH})
    assert opened.status_code == 303
    page = manager.get(f"/cases/{case_id}")
    assert 'data-testid="linked-case"' in page.text and "Serik Tokayev" not in page.text
    body = cw.api("nurlan").get(f"/api/v1/cases/{case_id}").json()
    (link,) = body["links"]
    assert link["role"] == "made" and link["person"] is None
    mine = cw.api("asel").get(f"/api/v1/cases/{case_id}").json()
    assert mine["links"][0]["person"] == "Serik Tokayev"


def test_api_opens_links_and_restores_and_refuses_with_nothing_stored(cw):
    api = cw.api("asel")
    body = {"process": GIFT, "subject": "AK-ALM-EDU", "person": "Aliya Nurova",
            "dates": {"received": "2025-10-01"}}
    case_id = api.post("/api/v1/cases", json=body).json()["id"]
    before = cw.dump()
    early = api.post(f"/api/v1/cases/{case_id}/linked", json={})
    assert early.status_code == 409 and early.json()["error"] == "rule.link_no_outcome"
    assert _without_refusals(cw.dump()) == _without_refusals(before)
    api.post(f"/api/v1/cases/{case_id}/events", json={"event": "not_handed_over",
                                                      "date": "2025-10-20"})
    opened = api.post(f"/api/v1/cases/{case_id}/linked",
                      json={"fields": {"detected_independently": "no"}})
    assert opened.status_code == 200, opened.text
    (link,) = opened.json()["links"]
    assert (link["process"], link["role"]) == (BREACH, "made")
    repeat = {"process": BREACH, "subject": "AK-ALM-EDU", "person": "Aliya Nurova",
              "fields": {"kind": "reward_or_gift"}, "dates": {"detected": "2025-10-20"}}
    refused = api.post("/api/v1/cases", json=repeat)  # the same fact (B-23): a reason
    assert refused.status_code == 409 and refused.json()["error"] == "rule.duplicate_case"
    entry = api.post("/api/v1/cases", json={
        **repeat, "duplicate_reason": "a second gift that October"}).json()["id"]
    twice = api.post(f"/api/v1/cases/{case_id}/links", json={"other": entry})
    assert twice.status_code == 409 and twice.json()["error"] == "rule.link_exists"
    withdrawn = api.post(f"/api/v1/cases/{case_id}/withdraw",
                         json={"reason": "wrong", "with_linked": True})
    assert withdrawn.status_code == 200
    assert api.get(f"/api/v1/cases/{link['id']}").json()["withdrawn"] is not None
    restored = api.post(f"/api/v1/cases/{case_id}/restore", json={"reason": "was right"})
    assert restored.status_code == 200 and restored.json()["withdrawn"] is None
    again = api.post(f"/api/v1/cases/{case_id}/restore", json={"reason": "again"})
    assert again.status_code == 409 and again.json()["error"] == "rule.case_not_withdrawn"


def _without_refusals(dump):
    """The tables without the audit log (a refusal of the API is audited)."""
    return {k: v for k, v in dump.items() if k != "audit_log"}


def test_web_links_an_entry_typed_by_hand_to_the_gift_case_after_the_fact(cw):
    api, asel = cw.api("asel"), cw.browser("asel")
    gift = api.post("/api/v1/cases", json={
        "process": GIFT, "subject": "AK-ALM-EDU", "person": "Dana Omarova",
        "dates": {"received": "2025-10-01"}}).json()["id"]
    entry = api.post("/api/v1/cases", json={
        "process": BREACH, "subject": "AK-ALM-EDU", "person": "Dana Omarova",
        "fields": {"kind": "reward_or_gift"}, "dates": {"detected": "2025-10-20"}}).json()["id"]
    page = asel.get(f"/cases/{entry}")
    assert 'data-testid="link-form"' in page.text
    csrf = csrf_of(page.text)
    before = cw.dump()
    for other, status in (("abc", 422), (str(entry), 422), ("999999", 422)):
        refused = asel.post(f"/cases/{entry}/links", data={"csrf": csrf, "other": other})
        assert refused.status_code == status, (other, refused.status_code)
        assert _without_refusals(cw.dump()) == _without_refusals(before)
    done = asel.post(f"/cases/{entry}/links", data={"csrf": csrf, "other": f"#{gift}"})
    assert done.status_code == 303, done.text
    page = asel.get(f"/cases/{entry}")
    assert en("link.linked", id=gift, case=entry) in html.unescape(page.text)
    assert f'<li data-linked="{gift}" data-role="linked">' in page.text
    assert f'<li data-linked="{entry}" data-role="linked">' in asel.get(f"/cases/{gift}").text


def test_a_case_of_the_version_before_the_links_is_offered_and_linked_by_the_current_file(db, ids):
    """A conflict-of-interest case opened with version 1 (no [[link]]) keeps its version; its
    `unsettled` still offers the breach by the current file's link."""
    from workflow.definitions import Registry

    old = svc.Context(CAL, Registry.of(REGISTRY.version("conflict_of_interest", 1)), TODAY,
                      actor="test", language="en")
    coi = commit(db, lambda s: svc.open_case(s, old, "conflict_of_interest", "MF",
                                             person="Dana Omarova",
                                             dates={"notified": date(2026, 1, 12)}).id)
    ctx = ctx_of()
    commit(db, lambda s: svc.record_event(s, ctx, coi, "unsettled", date(2026, 2, 20)))
    with open_session(db) as s:
        case = svc.get_case(s, coi)
        assert case.process_version == 1
        assert [(o.process, o.on) for o in svc.offers(s, ctx, case)] == [
            (BREACH, date(2026, 2, 20))]
    entry = commit(db, lambda s: svc.open_linked(
        s, ctx, coi, fields={"circumstances": "Audited her brother's company"}).id)
    with open_session(db) as s:
        assert svc.get_case(s, entry).fields == {
            "kind": "conflict_of_interest", "circumstances": "Audited her brother's company"}


# -- an internal check of a corrupt act whose materials went to the authorities ---------------

REPORT = "corrupt_act_report"


def test_materials_sent_to_the_authorities_open_the_offence_notice_asking_its_category(db):
    """The enterprise policy's internal check (003:L316-326) whose materials went to the
    authorities is an offence of project No. 2: its `offence_notice` entry opens with the
    report's person, the category asked in the same confirmation (P-22); without the category
    it is refused with nothing stored."""
    ctx = ctx_of()

    def setup_report(s):
        svc.add_org(s, ctx, "QS", "Samruk company", "quasi_state")
        svc.add_user(s, ctx, "timur", "Timur", "officer", "QS")
        case = svc.open_case(s, ctx, REPORT, "QS", person="Dana Aliyeva", position="Buyer",
                             fields={"kind": "corrupt_act"},
                             dates={"reported": date(2026, 2, 2)})
        for event, day, evidence in (("manager_informed", date(2026, 2, 2), {}),
                                     ("check_opened", date(2026, 2, 3), {}),
                                     ("findings", date(2026, 2, 20), {"number": "5"}),
                                     ("materials_sent", date(2026, 2, 24), {"number": "17"})):
            svc.record_event(s, ctx, case.id, event, day, evidence)
        return case.id

    report = commit(db, setup_report)
    with open_session(db) as s:
        (offer,) = svc.offers(s, ctx, svc.get_case(s, report))
        assert (offer.process, offer.event) == ("offence_notice", "materials_sent")
    refused = refused_unchanged(db, lambda s: svc.open_linked(s, ctx, report),
                                error=(RuleViolation, UsageError))
    assert "category" in str(refused)
    entry_id = commit(db, lambda s: svc.open_linked(s, ctx, report,
                                                    fields={"category": "criminal"}).id)
    with open_session(db) as s:
        entry = svc.get_case(s, entry_id)
        assert (entry.process, entry.person_name, entry.fields["category"]) == (
            "offence_notice", "Dana Aliyeva", "criminal")
        # the day of the report (no day of the incident given), never the day the
        # materials were sent; the letter that sent them is the entry's notice
        assert entry.given()["detected"] == date(2026, 2, 2)
        (sent,) = [r for r in svc.records_of(s, entry) if r.event == "notice_sent"]
        assert (sent.on, sent.evidence["letter"]) == (date(2026, 2, 24), "17")
        assert [lk.id for lk in svc.linked_cases(s, ctx, svc.get_case(s, report))] == [entry_id]


def test_a_link_may_ask_a_required_field_only_if_it_leaves_it_open():
    report, notice = REGISTRY.get(REPORT), REGISTRY.get("offence_notice")
    (link,) = parse_case_links([{"on": "materials_sent", "opens": "offence_notice",
                                 "carry": {"detected": "on"}}], _keys(report), "r.toml")
    with pytest.raises(ConfigError, match="needs category"):
        check_target(link, report, notice, "r.toml: link 1")
    (link,) = parse_case_links([{"on": "materials_sent", "opens": "offence_notice",
                                 "carry": {"detected": "on"}, "ask": ["nothing"]}],
                               _keys(report), "r.toml")
    with pytest.raises(ConfigError, match="leaves open"):
        check_target(link, report, notice, "r.toml: link 1")
