"""Every change of a case in its history: a correction with who, when, each value's old and
new (labelled and shown in the reader's words) and the reason — through the service, the
command line (`merzim case history N`, `--json`), the API and the case page, the person's name
shown only to those who may see the person; and every audit action the code writes about a
case (found by reading the code's audit writes) is in `merzim case history N --json`.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import ast
import html
import importlib
import io
import json
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from calendars import KazakhstanCalendar
from tests.support.bulk_helpers import commit
from tests.support.cli_runner import Merzim
from tests.support.web_helpers import (
    Web,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow import services as svc
from workflow.core.errors import MerzimError
from workflow.definitions import load_registry
from workflow.i18n import Translator
from workflow.services import comments
from workflow.services import files as files_service
from workflow.services import transactions as tx
from workflow.settings import FilesSettings
from workflow.storage.db import session as open_session
from workflow.storage.filestore import FileStore
from workflow.storage.models import Case
from workflow.storage.queries.audit import whole_trail_of

CAL = KazakhstanCalendar()
REGISTRY = load_registry()
TODAY = date(2026, 3, 2)  # a Monday
HIRE = "tainted_hire"
PERSON, RENAMED = "Erlan Sadykov", "Erlan Sadykuly"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ROOT = Path(__file__).resolve().parents[2]


def ctx_of(actor: str = "test", language: str = "en"):
    return svc.Context(CAL, REGISTRY, TODAY, actor=actor, language=language)


def hire(s) -> int:
    ctx = ctx_of("cli:setup")
    svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
    svc.add_user(s, ctx, "asel", "Asel", "officer", "MF")
    return svc.open_case(s, ctx, HIRE, "MF", person=PERSON, position="Driver",
                         fields={"detected_independently": "yes", "before_prohibition": "yes"},
                         dates={"hired": date(2026, 2, 2)}).id


def corrected(s, case_id: int, actor: str = "web:asel") -> None:
    svc.edit_case(s, ctx_of(actor), case_id, person=RENAMED,
                  fields={"detected_independently": "no"},
                  dates={"hired": date(2026, 2, 3)}, reason="typed from the wrong order")


def correction_of(history: list[dict]) -> dict:
    [entry] = [h for h in history if h["kind"] == "corrected"]
    return entry


def test_a_correction_shows_each_value_old_and_new_in_the_readers_words(db):
    case_id = commit(db, hire)
    commit(db, lambda s: corrected(s, case_id))
    for lang, independent, yes, no in (("en", "Detected independently", "Yes", "No"),
                                       ("ru", "Факт выявлен самостоятельно", "Да", "Нет"),
                                       ("kk", "Факт дербес анықталды ма", "Иә", "Жоқ")):
        t = Translator(lang)
        with open_session(db) as s:
            entry = correction_of(svc.case_history(s, ctx_of(language=lang),
                                                   s.get(Case, case_id)))
        assert (entry["action"], entry["actor"], entry["note"]) == (
            "case.edit", "web:asel", "typed from the wrong order")
        hired = REGISTRY.get(HIRE).dates["hired"].names[lang]
        assert [(c["field"], c["label"], c["old"], c["new"]) for c in entry["changes"]] == [
            ("person", t("history.edit_person"), PERSON, RENAMED),
            ("detected_independently", independent, yes, no),
            ("hired", hired, "2026-02-02", "2026-02-03")]
        assert entry["at"] and entry["moved"] == 0
    # hidden with the person: that the name changed, never the names, nor the reason
    with open_session(db) as s:
        hidden = correction_of(svc.case_history(s, ctx_of(), s.get(Case, case_id),
                                                show_person=False, show_files=False))
    assert hidden["changes"][0] == {"field": "person", "label": "Person", "old": None,
                                    "new": None, "hidden": True}
    assert hidden["changes"][1]["new"] == "No" and hidden["note"] is None
    assert "Erlan" not in json.dumps(hidden, default=str)


def test_the_cli_shows_the_correction_in_words_and_in_json(db, db_url, tmp_path):
    case_id = commit(db, hire)
    commit(db, lambda s: corrected(s, case_id))
    merzim = Merzim(tmp_path, db_url=db_url, today=TODAY, env={"COLUMNS": "400"})
    out = merzim("case", "history", str(case_id), lang="en").stdout
    assert ("Case corrected: Person: Erlan Sadykov → Erlan Sadykuly; Detected independently: "
            "Yes → No; Hired: 2026-02-02 → 2026-02-03 — Reason: typed from the wrong order"
            ) in out, out
    ru = merzim("case", "history", str(case_id), lang="ru")
    assert ru.returncode == 0 and "Дело исправлено" in ru.stdout
    assert "Факт выявлен самостоятельно: Да → Нет" in ru.stdout and "{" not in ru.stdout
    data = json.loads(merzim("case", "history", str(case_id), "--json").stdout)
    entry = correction_of(data)
    assert entry["changes"][1] == {"field": "detected_independently",
                                   "label": "Detected independently", "old": "Yes", "new": "No"}
    assert entry["note"] == "typed from the wrong order"


# -- the API and the page: the person's name only to those who see the person ---------------------


@pytest.fixture
def cw(web) -> Web:
    """The application with every definition (the demo's web fixture loads a few)."""
    from tests.support.web_helpers import CALENDAR
    from web.app import create_app

    web.app = create_app(web.app.state.settings, web.engine, CALENDAR, REGISTRY)
    return web


def test_the_api_and_the_page_show_the_correction_and_hide_the_name_from_a_manager(cw: Web):
    web = cw
    api = web.api("asel")  # an officer of the case's organisation: sees the person
    opened = api.post("/api/v1/cases", json={
        "process": HIRE, "subject": "AK-ALM-EDU", "person": PERSON,
        "fields": {"detected_independently": "yes"}, "dates": {"hired": "2025-10-01"}})
    assert opened.status_code == 200, opened.text
    case_id = opened.json()["id"]
    answer = api.patch(f"/api/v1/cases/{case_id}", json={
        "person": RENAMED, "fields": {"detected_independently": "no"},
        "reason": "typed from the wrong order"})
    assert answer.status_code == 200, answer.text
    entry = correction_of(answer.json()["history"])
    assert entry["actor"].endswith(":asel") and entry["at"]
    assert [(c["field"], c["old"], c["new"]) for c in entry["changes"]] == [
        ("person", PERSON, RENAMED), ("detected_independently", "Иә", "Жоқ")]  # in Kazakh
    assert entry["note"] == "typed from the wrong order"
    # a manager above: the case, the correction and its fields, never the names nor the reason
    manager = web.api("nurlan").get(f"/api/v1/cases/{case_id}").json()
    entry = correction_of(manager["history"])
    assert entry["changes"][0] == {"field": "person", "old": None, "new": None, "hidden": True,
                                   "label": Translator("kk")("history.edit_person")}
    assert entry["changes"][1]["new"] == "Жоқ"
    assert "Erlan" not in json.dumps(manager) and "wrong order" not in json.dumps(manager)
    # the page (in the browser's language: English)
    t = Translator("en")
    page = html.unescape(web.browser("asel").get(f"/cases/{case_id}").text)
    changes = re.search(r'<ul class="changes" data-testid="history-changes">(.*?)</ul>', page,
                        re.S).group(1)
    assert t("history.edit_change", label="Detected independently", old="Yes", new="No") \
        in changes
    assert t("history.edit_change", label=t("history.edit_person"), old=PERSON,
             new=RENAMED) in changes
    assert t("history.reason", reason="typed from the wrong order") in page
    seen = html.unescape(web.browser("nurlan").get(f"/cases/{case_id}").text)
    history = re.search(r'<section class="history".*?</section>', seen, re.S).group(0)
    assert 'data-kind="corrected"' in history and "Erlan" not in seen
    assert t("history.edit_hidden", label=t("history.edit_person")) in history
    # the views of the case (Asel's, the manager's own a line once read) folded below it
    reads = re.search(r'<details class="history-reads".*?</details>', history, re.S).group(0)
    assert t("history.viewed") in reads and "history." not in reads.replace(
        'class="history-reads"', "")
    assert re.search(r"<summary>\d+ views and refused attempts</summary>", reads), reads


# -- every audit action about a case, in its history -----------------------------------------------


WRITERS = ("append", "audited", "refused")  # audit.append, transactions.audited / refused


def _callee(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _actions(module: str, expr: ast.expr) -> set[str]:
    """An action as the code writes it: a text, a constant, either of two, or an f-string's
    fixed start (`event.*`)."""
    if isinstance(expr, ast.Constant):
        return {expr.value}
    if isinstance(expr, ast.JoinedStr):
        return {expr.values[0].value + "*"}  # type: ignore[attr-defined]
    if isinstance(expr, ast.IfExp):
        return _actions(module, expr.body) | _actions(module, expr.orelse)
    if isinstance(expr, ast.Name):
        return {getattr(importlib.import_module(module), expr.id)}
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):  # visibility.X
        return {getattr(getattr(importlib.import_module(module), expr.value.id), expr.attr)}
    raise AssertionError(f"{module}: an audit action not read: {ast.unparse(expr)}")


def audit_actions_about_a_case() -> dict[str, str]:
    """Every audit action the code writes about one case (entity "case", not "*"), each with
    a module that writes it: read from the code's audit writes."""
    found: dict[str, str] = {}
    for path in sorted([*ROOT.glob("workflow/**/*.py"), *ROOT.glob("web/**/*.py")]):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name, rows = _callee(node.func), []
            if name in WRITERS and len(node.args) >= 5:
                rows.append(node.args[2:5])
            elif name == "append_many":
                rows += [n.elts[:3] for n in ast.walk(node)
                         if isinstance(n, ast.Tuple) and len(n.elts) == 4]
            elif name == "audit_person_case_access":
                rows.append([node.args[3], ast.Constant("case"), ast.Constant(0)])
            for action, entity, ident in rows:
                if not (isinstance(entity, ast.Constant) and entity.value == "case") or (
                        isinstance(ident, ast.Constant) and ident.value == "*"):
                    continue
                if isinstance(action, ast.Name) and action.id == "action":
                    continue  # a helper's parameter: its callers name the action
                for value in _actions(module, action):
                    found.setdefault(value, module)
    return found


def prepared(store: FileStore, name: str):
    return files_service.prepare(store, FilesSettings(),
                                 [files_service.Upload(name, io.BytesIO(PDF))])[0]


def everything(s, store: FileStore) -> list[int]:
    """Cases that went through every kind of change, view and refusal there is."""
    ctx = ctx_of("cli:setup")
    svc.add_org(s, ctx, "MF", "Ministry of Finance", "central_body")
    svc.add_user(s, ctx, "asel", "Asel", "officer", "MF")
    svc.add_user(s, ctx, "dana", "Dana", "officer", "MF")
    asel = ctx_of("web:asel")
    gift = svc.open_case(s, ctx, "gift", "MF", person=PERSON, position="Head of unit",
                         dates={"received": date(2026, 2, 2)})
    svc.assign_responsible(s, ctx, gift.id, "dana")
    svc.record_event(s, asel, gift.id, "not_handed_over", date(2026, 2, 16))
    entry = svc.open_linked(s, asel, gift.id, fields={"detected_independently": "yes"})
    svc.edit_case(s, asel, entry.id, fields={"detected_independently": "no"},
                  reason="reported by the police")
    [scan] = files_service.attach(s, asel, store, gift, None, [prepared(store, "scan.pdf")])
    files_service.audit_person_case_access(s, asel, gift, "view.person_case", {"files": 1})
    files_service.audit_person_case_access(s, asel, gift, "file.download", {"file": scan.id})
    files_service.void_file(s, asel, gift, scan.id, "wrong scan")
    svc.void_with_linked(s, asel, gift.id, "not_handed_over", "wrong date",
                         withdraw_linked=True)
    svc.restore_case(s, asel, entry.id, "withdrawn by mistake")
    svc.record_event(s, asel, gift.id, "not_handed_over", date(2026, 2, 17))
    svc.unlink_cases(s, asel, gift.id, entry.id, "not this gift")
    svc.link_cases(s, asel, gift.id, entry.id)
    said = comments.add_comment(s, asel, gift.id, svc.get_user(s, "asel"), "@dana see this")
    comments.edit_comment(s, asel, said.id, svc.get_user(s, "asel"), "@dana see this, please")
    s.commit()  # (a refusal rolls back what the request did, then keeps itself)
    try:  # refused as an adapter refuses: nothing changed, the refusal audited
        svc.edit_case(s, asel, entry.id, fields={"detected_independently": "no"}, reason="x")
    except MerzimError as exc:
        tx.refused(s, asel.actor, "refused.edit", "case", entry.id, {"key": exc.key})
    notice = svc.open_case(s, ctx, "conflict_of_interest", "MF", person="Aliya Nurova",
                           dates={"notified": date(2026, 2, 2)})
    svc.record_not_done(s, asel, notice.id, "recommendation", "the leadership was away")
    s.commit()
    tx.refused(s, asel.actor, "refused.event", "case", notice.id, {"key": "rule.x"})
    # a risk refused on an analytic note's page (the documents feature's form), audited so
    tx.refused(s, asel.actor, "refused.risk", "case", notice.id, {"key": "rule.x"})
    screening = svc.open_case(s, ctx, "declaration_law_change", "MF",  # about no person
                              dates={"entry_into_force": date(2026, 2, 2)})
    [order] = files_service.attach(s, asel, store, screening, None,
                                   [prepared(store, "order.pdf")])
    files_service.set_public(s, asel, screening, order.id, True)
    files_service.set_public(s, asel, screening, order.id, False)
    # a whistleblower's case handed over by its responsible officer: a disclosure (P-26)
    wb = svc.open_case(s, ctx, "whistleblower_protection", "MF", person="Madina Secretova",
                       responsible="asel", dates={"application_received": date(2026, 2, 20)})
    svc.assign_responsible(s, asel, wb.id, "dana", by=svc.get_user(s, "asel"))
    return [gift.id, entry.id, notice.id, screening.id, wb.id]


def _covers(pattern: str, action: str) -> bool:
    return action.startswith(pattern[:-1]) if pattern.endswith("*") else action == pattern


@pytest.mark.slow
def test_every_audit_action_about_a_case_is_in_its_history(db, db_url, tmp_path):
    written = audit_actions_about_a_case()
    assert {"case.open", "case.edit", "event.*", "file.attach", "case.link"} <= set(written)
    store = FileStore(tmp_path / "files")
    cases = commit(db, lambda s: everything(s, store))
    with open_session(db) as s:
        trails = {c: [a.action for a in whole_trail_of(s, "case", str(c))] for c in cases}
    done = [a for trail in trails.values() for a in trail]
    # the story goes through every action the code writes about a case
    assert [p for p in written if not any(_covers(p, a) for a in done)] == []
    merzim = Merzim(tmp_path, db_url=db_url, today=TODAY)
    for case_id, trail in trails.items():
        history = json.loads(merzim("case", "history", str(case_id), "--json").stdout)
        shown = Counter(h["action"] for h in history)
        assert shown == Counter(trail), (case_id, shown, Counter(trail))
        assert all(h["kind"] != "other" for h in history)
        text = merzim("case", "history", str(case_id), lang="ru").stdout
        assert "{" not in text and "history." not in text
