"""The standard's procedures and the recurring obligations reach the daily
digest like any stage, and each section of a digest groups its lines by process (a sub-heading
with the process name in the reader's language; the internal analysis first, then the others by
name). A line of a case about a person never names the person; a line of a case that is not an
internal analysis says "case", and an obligation's line shows its period.

The world is built through the services on Thursday 24 December 2026 (Wednesday 16 December,
Independence Day, is off):

* a conflict-of-interest notice received Tuesday 15 December: `forward` is due 3 working days
  later (17, 18, 21 December), Monday 21 December; on the 24th 3 working days overdue (22, 23, 24);
* a gift received Thursday 10 December: `hand_over` is due 7 calendar days later, Thursday
  17 December; on the 24th 5 working days overdue (18, 21, 22, 23, 24);
* the quarterly conflict-of-interest analysis of 2026Q4, due the last working day of the
  quarter, Thursday 31 December: 5 working days left (25, 28, 29, 30, 31);
* an internal analysis starting Tuesday 19 January 2027 whose order and start announcement are
  due 10 working days before, on 31 December too.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from calendars import KazakhstanCalendar
from notifications.policy import DUE_SOON, ESCALATION, OVERDUE
from notifications.render import render_digest
from tests.support.features import module_of
from workflow import services as svc
from workflow.definitions import load_registry
from workflow.reminders import planner as reminders
from workflow.services import obligations
from workflow.settings import load_notify_settings, load_settings
from workflow.storage.models import OutboxMessage, User

CAL = KazakhstanCalendar()
TODAY = date(2026, 12, 24)
PEOPLE = ("Arman Aliyev", "Dana Seitova")  # the persons the two procedure cases are about


@pytest.fixture(scope="module")
def registry():
    """Every shipped definition; of the recurring obligations only the quarterly
    conflict-of-interest analysis is switched on (the others would add lines of their own)."""
    every = load_registry()
    return load_registry(obligations={d.key: {"enabled": False} for d in every.recurring()
                                      if d.key != "coi_quarterly_analysis"})


@pytest.fixture
def world(db, registry) -> dict[str, int]:
    ctx = svc.Context(CAL, registry, TODAY, actor="test", language="en")
    with Session(db) as s:
        svc.add_org(s, ctx, "AK", "Akimat", "akimat")
        svc.add_org(s, ctx, "AK-EDU", "Education", "department", "AK")
        svc.add_user(s, ctx, "aliya", "Aliya", "officer", "AK-EDU", "aliya@example.kz", "en")
        svc.update_user(s, ctx, "aliya", telegram_chat_id="4242")
        svc.add_user(s, ctx, "nurlan", "Nurlan", "manager", "AK", "nurlan@example.kz", "ru")
        planning_svc = module_of("planning", "service")  # it plans the analysis
        analysis = planning_svc.plan_analysis(s, ctx, "AK-EDU", "AK-EDU", date(2027, 1, 19)).analysis
        conflict = svc.open_case(s, ctx, "conflict_of_interest", "AK-EDU", person=PEOPLE[0],
                                 position="Chief specialist",
                                 dates={"notified": date(2026, 12, 15)})
        gift = svc.open_case(s, ctx, "gift", "AK-EDU", person=PEOPLE[1],
                             dates={"received": date(2026, 12, 10)})
        opened = obligations.sync(s, ctx)
        s.commit()
        quarter = next(o["id"] for o in opened
                       if (o["org"], o["period"]) == ("AK-EDU", "2026Q4"))
        due = {(c.process, k): st.due_date for c in (analysis, conflict, gift)
               for k, st in svc.stages_of(s, c).items()}
    assert due["internal_risk_analysis", "order"] == date(2026, 12, 31)
    assert due["internal_risk_analysis", "start_announcement"] == date(2026, 12, 31)
    assert due["conflict_of_interest", "forward"] == date(2026, 12, 21)
    assert due["gift", "hand_over"] == date(2026, 12, 17)
    return {"analysis": analysis.id, "conflict": conflict.id, "gift": gift.id,
            "quarter": quarter}


def _notify(tmp_path: Path):
    cfg = tmp_path / "merzim.toml"
    cfg.write_text('[reminders]\nchannels = ["email", "telegram"]\n', encoding="utf-8")
    return load_notify_settings(load_settings(path=cfg, env={}), env={}, require_secrets=False)


def _plan(db, registry, tmp_path) -> dict[tuple[str, str], OutboxMessage]:
    ctx = svc.Context(CAL, registry, TODAY, actor="worker", language="en")
    with Session(db) as s:
        rows = reminders.plan_reminders(s, ctx, _notify(tmp_path))
        s.commit()
        logins = {u.id: u.login for u in s.exec(select(User))}
        out = {}
        for row in rows:
            s.refresh(row)
            s.expunge(row)
            out[logins[row.recipient_id], row.channel] = row
    return out


def test_procedures_and_obligations_reach_the_digest_grouped_by_process(db, registry, world,
                                                                        tmp_path):
    rows = _plan(db, registry, tmp_path)
    assert set(rows) == {("aliya", "email"), ("aliya", "telegram"), ("nurlan", "email")}
    aliya = rows["aliya", "email"]
    assert aliya.subject == "merzim 2026-12-24: 2 overdue, 3 due soon"  # the format as before
    ids = world
    assert aliya.body_text == "\n".join([
        "Good morning, Aliya.",
        "",
        "Overdue:",
        "  Conflict of interest notice",
        "    • Forward the notice to the prevention subdivision — Education, "
        f"case #{ids['conflict']}: due 2026-12-21, overdue by 3 working days",
        "  Gift or service received",
        "    • Hand the gift over (or pay for the service) — Education, "
        f"case #{ids['gift']}: due 2026-12-17, overdue by 5 working days",
        "",
        "Due soon:",
        "  Internal analysis of corruption risks",
        "    • Approve the order to conduct the analysis — Education, "
        f"analysis #{ids['analysis']}: due 2026-12-31 (deadline set by merzim), "
        "5 working days left",
        "    • Announce the start of the analysis — Education, "
        f"analysis #{ids['analysis']}: due 2026-12-31, 5 working days left",
        "  Quarterly conflict-of-interest analysis",
        "    • Analyse conflicts of interest — Education, Q4 2026, "
        f"case #{ids['quarter']}: due 2026-12-31, 5 working days left",
        "",
        "merzim — deadlines of anti-corruption procedures and obligations. Working days are "
        "counted by the calendar of the Republic of Kazakhstan.",
    ])
    # Telegram sends the subject and the same grouped text (notifications/telegram.py).
    telegram = rows["aliya", "telegram"]
    assert (telegram.address, telegram.subject, telegram.body_text) == (
        "4242", aliya.subject, aliya.body_text)
    # The HTML body: a sub-heading per process under each section, its lines in a list.
    html = aliya.body_html
    assert ("<h3>Overdue</h3><h4>Conflict of interest notice</h4><ul><li>Forward the notice"
            in html)
    assert ("</ul><h4>Gift or service received</h4><ul><li>Hand the gift over (or pay for the "
            "service) — Education, case #" in html)
    assert ("<h3>Due soon</h3><h4>Internal analysis of corruption risks</h4><ul><li>Approve the "
            "order" in html)
    assert (f"</ul><h4>Quarterly conflict-of-interest analysis</h4><ul><li>Analyse conflicts of "
            f"interest — Education, Q4 2026, case #{ids['quarter']}: due 2026-12-31, 5 working "
            f"days left</li></ul>" in html)

    # The manager of the akimat hears of both overdue procedures, in Russian and grouped by
    # their Russian names: "Подарок…" before "Уведомление…" (the English order is the reverse).
    nurlan = rows["nurlan", "email"]
    assert nurlan.subject == "merzim 24.12.2026: просрочено в ваших организациях: 2"
    text = nurlan.body_text
    gift_at = text.index("  Подарок или услуга, полученные в связи с исполнением функций\n")
    notice_at = text.index("  Уведомление о конфликте интересов\n")
    assert text.index("Просрочено в курируемых организациях:") < gift_at < notice_at
    assert (f"    • Передать подарок органу управления госимуществом (оплатить услугу в бюджет)"
            f" — Education, дело №{ids['gift']}: срок 17.12.2026, просрочено на 5 рабочих дней"
            in text)
    assert "анализ №" not in text

    # Nobody's digest names the persons the cases are about, in any part or channel.
    for row in rows.values():
        for part in (row.subject, row.body_text, row.body_html):
            for person in PEOPLE:
                assert person not in part and person.split()[0] not in part
            assert "Chief specialist" not in part


def test_grouping_in_every_language(db, registry, world, tmp_path):
    """The internal analysis comes first even where its name sorts later (in Kazakh,
    "Сыбайлас…" after "Мүдделер…"); the other processes follow by name; a case that is not an
    analysis is a case (іс, дело) with its period."""
    ctx = svc.Context(CAL, registry, TODAY, actor="worker", language="en")
    with Session(db) as s:
        digests = reminders.preview(s, ctx, _notify(tmp_path))
    officer = next(d for d in digests if d.recipient.name == "Aliya")
    assert [(ln.kind, ln.item.process) for ln in officer.lines] == [
        (OVERDUE, "gift"), (OVERDUE, "conflict_of_interest"),
        (DUE_SOON, "internal_risk_analysis"), (DUE_SOON, "internal_risk_analysis"),
        (DUE_SOON, "coi_quarterly_analysis")]
    assert officer.lines[-1].item.period == "2026Q4"
    manager = next(d for d in digests if d.recipient.name == "Nurlan")
    assert {ln.kind for ln in manager.lines} == {ESCALATION}

    heads = {lang: [registry.get(k).name(lang) for k in (
        "conflict_of_interest", "gift", "internal_risk_analysis", "coi_quarterly_analysis")]
        for lang in ("kk", "ru", "en")}
    for lang, overdue_order in (("en", (0, 1)), ("ru", (1, 0)), ("kk", (0, 1))):
        rendered = render_digest(replace(officer, recipient=replace(officer.recipient,
                                                                    language=lang)))
        for body, head in ((rendered.text, "  {}\n"), (rendered.html, "<h4>{}</h4>")):
            at = [body.index(head.format(h)) for h in heads[lang]]
            first, second = (at[i] for i in overdue_order)
            assert first < second < at[2] < at[3], lang
            # one sub-heading per process and section
            assert [body.count(head.format(h)) for h in heads[lang]] == [1, 1, 1, 1]
    kk = render_digest(replace(officer, recipient=replace(officer.recipient, language="kk")))
    assert f"Education, 2026 ж. 4-тоқсан, №{world['quarter']} іс: мерзімі 31.12.2026" in kk.text
    assert f"Education, №{world['analysis']} талдау" in kk.text
    assert f"Education, №{world['conflict']} іс: мерзімі 21.12.2026" in kk.text
    assert "2026Q4" not in kk.text and "I-2" not in kk.text  # no period's code, no rule's
    ru = render_digest(replace(officer, recipient=replace(officer.recipient, language="ru")))
    assert f"Education, 4-й квартал 2026 г., дело №{world['quarter']}: срок 31.12.2026" in ru.text
    assert ru.subject.startswith("merzim 24.12.2026: ")
    assert f"Education, анализ №{world['analysis']}" in ru.text
    # A non-analysis line never says "analysis" of its case.
    en = render_digest(officer)
    assert en.text.count("analysis #") == 2 and en.text.count("case #") == 3



def test_a_moved_deadline_of_a_case_says_case():
    """The message about deadlines a calendar change moved names a case as the digest does."""
    from notifications.render import render_moved

    lines = [{"stage_names": {"en": "Analyse conflicts of interest"}, "stage": "analysis",
              "subject": "Education", "object": "", "analysis": 7, "internal_analysis": False,
              "period": "2026Q4", "period_names": {"en": "Q4 2026", "ru": "4-й квартал 2026 г."},
              "old": date(2026, 12, 31), "new": date(2027, 1, 4)},
             {"stage_names": {"en": "Approve the order"}, "stage": "order",
              "subject": "Education", "object": "AK-EDU", "analysis": 3,
              "old": date(2026, 12, 31), "new": date(2027, 1, 4)}]
    text = render_moved("en", "Aliya", TODAY, lines).text
    assert ("• Analyse conflicts of interest — Education, Q4 2026, case #7: 2026-12-31 → "
            "2027-01-04") in text
    assert "Education, 4-й квартал 2026 г., дело №7: 31.12.2026 → 04.01.2027" in render_moved(
        "ru", "Aliya", TODAY, lines).text
    assert "• Approve the order — Education → AK-EDU, analysis #3: 2026-12-31 → 2027-01-04" \
        in text
