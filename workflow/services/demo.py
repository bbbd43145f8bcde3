"""Demo data: a realistic organisation tree, users and a programme dated relative to today.

Everything goes through the service layer, so the demo obeys the same rules as an officer.
There is always something done, something due within days and something overdue.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from workflow import services as svc
from workflow.storage.models import Organisation

ORGS = [
    # code, kind, parent, en, ru, kk
    ("MF", "central_body", None, "Ministry of Finance", "Министерство финансов",
     "Қаржы министрлігі"),
    ("MF-KGD", "committee", "MF", "State Revenue Committee", "Комитет государственных доходов",
     "Мемлекеттік кірістер комитеті"),
    ("MF-KGD-ALM", "territorial_department", "MF-KGD", "State Revenue Department, Almaty region",
     "Департамент государственных доходов по области", "Облыс бойынша мемлекеттік кірістер "
     "департаменті"),
    ("MF-KGD-ABAI", "territorial_department", "MF-KGD", "State Revenue Department, Abai region",
     "Департамент государственных доходов по области Абай", "Абай облысы бойынша мемлекеттік "
     "кірістер департаменті"),
    ("MF-KK", "committee", "MF", "Treasury Committee", "Комитет казначейства",
     "Қазынашылық комитеті"),
    ("MF-KK-ALM", "territorial_department", "MF-KK", "Treasury Department, Almaty region",
     "Департамент казначейства по области", "Облыс бойынша қазынашылық департаменті"),
    ("AK-ALM", "akimat", None, "Akimat of Almaty region", "Акимат Алматинской области",
     "Алматы облысының әкімдігі"),
    ("AK-ALM-EDU", "department", "AK-ALM", "Education Department", "Управление образования",
     "Білім басқармасы"),
    ("AK-ALM-HLTH", "department", "AK-ALM", "Health Department", "Управление здравоохранения",
     "Денсаулық сақтау басқармасы"),
    ("AK-ALM-ILE", "district_akimat", "AK-ALM", "Akimat of Ile district",
     "Акимат Илийского района", "Іле ауданының әкімдігі"),
    ("AK-ALM-ILE-EDU", "department", "AK-ALM-ILE", "Ile district education department",
     "Отдел образования Илийского района", "Іле ауданының білім бөлімі"),
    ("AK-ALM-TLG", "district_akimat", "AK-ALM", "Akimat of Talgar district",
     "Акимат Талгарского района", "Талғар ауданының әкімдігі"),
    ("QS-ZHETYSU", "quasi_state", "AK-ALM", "Social-Entrepreneurial Corporation Zhetysu JSC",
     "АО СПК «Жетісу»", "«Жетісу» ӘКК АҚ"),
]

USERS = [
    # login, name, role, org, language
    ("aigerim", "Aigerim Sadykova", "officer", "MF-KGD-ALM", "kk"),
    ("asel", "Asel Nurpeisova", "officer", "AK-ALM-EDU", "kk"),
    ("marat", "Marat Ospanov", "officer", "AK-ALM-HLTH", "ru"),
    ("saule", "Saule Zhakupova", "officer", "AK-ALM-ILE", "kk"),
    ("bolat", "Bolat Kenzhebayev", "officer", "MF-KK-ALM", "ru"),
    ("timur", "Timur Akhmetov", "officer", "QS-ZHETYSU", "en"),
    ("nurlan", "Nurlan Iskakov", "manager", "AK-ALM", "kk"),
    ("dana", "Dana Serikbayeva", "manager", "AK-ALM", "ru"),
    ("gulnar", "Gulnar Abenova", "manager", "MF", "ru"),
    ("erlan", "Erlan Tulegenov", "admin", "AK-ALM", "ru"),
]

DOC = {"number": "15-ө", "signed_by": "Head of apparatus"}
LINK = "https://www.gov.kz/memleket/entities/demo/press/news/details/1"


def _record(s: Session, ctx: svc.Context, aid: int, event: str, on: date, **evidence: str) -> None:
    svc.record_event(s, ctx, aid, event, on, evidence)


def _monitor_until_today(s: Session, ctx: svc.Context, aid: int) -> None:
    """Record every quarterly report already due, on time, and its review two days later."""
    for key, stage in sorted(svc.stages_of(s, svc.get_analysis(s, aid)).items()):
        if not key.startswith("monitoring_report:") or stage.due_date >= ctx.today:
            continue
        period = key.split(":", 1)[1]
        _record(s, ctx, aid, "monitoring_report", stage.due_date, period=period)
        review = ctx.calendar.add_working_days(stage.due_date, 2)
        if review <= ctx.today:
            _record(s, ctx, aid, "monitoring_review", review, period=period)


def load_demo(s: Session, ctx: svc.Context) -> dict[str, Any]:
    """Load the demo once (a second call changes nothing)."""
    if s.exec(select(Organisation).where(Organisation.code == "MF")).first():
        return {"already": True}
    for code, kind, parent, en, ru, kk in ORGS:
        svc.add_org(s, ctx, code, en, kind, parent, name_kk=kk, name_ru=ru)
    for login, name, role, org, lang in USERS:
        svc.add_user(s, ctx, login, name, role, org, f"{login}@example.kz", lang)
    cal, today = ctx.calendar, ctx.today

    def wd(n: int) -> date:
        return cal.add_working_days(today, n)

    def plan(subject: str, obj: str, start: date, who: str) -> int:
        return svc.plan_analysis(s, ctx, subject, obj, start, None, None, who).analysis.id

    ids = []
    # 1. Done: published on time (started 80 working days ago).
    a = plan("MF-KGD-ALM", "MF-KGD-ALM", wd(-80), "aigerim")
    st = svc.stages_of(s, svc.get_analysis(s, a))
    _record(s, ctx, a, "order", st["order"].due_date, **DOC)
    _record(s, ctx, a, "start_announcement", st["start_announcement"].due_date, url=LINK)
    _record(s, ctx, a, "analysis_start", wd(-80))
    _record(s, ctx, a, "discussion_announcement", st["discussion_announcement"].due_date, url=LINK)
    _record(s, ctx, a, "public_discussion", st["public_discussion"].due_date, number="3",
            url=LINK)
    end = st["analysis_end"].due_date
    _record(s, ctx, a, "analysis_end", end)
    _record(s, ctx, a, "analytic_note", cal.add_working_days(end, 7), **DOC)
    _record(s, ctx, a, "positions_list", cal.add_working_days(end, 8), **DOC)
    _record(s, ctx, a, "action_plan", cal.add_working_days(end, 15), **DOC)
    _record(s, ctx, a, "publication", cal.add_working_days(end, 17), url=LINK)
    _monitor_until_today(s, ctx, a)
    ids.append(a)

    # 2. Overdue: the analysis ended 14 working days ago; the note is 4 working days late.
    a = plan("AK-ALM-EDU", "AK-ALM-EDU", wd(-43), "asel")
    st = svc.stages_of(s, svc.get_analysis(s, a))
    _record(s, ctx, a, "order", st["order"].due_date, **DOC)
    _record(s, ctx, a, "start_announcement", cal.add_working_days(st["order"].due_date, 2),
            url=LINK)  # two days late
    _record(s, ctx, a, "analysis_start", wd(-43))
    _record(s, ctx, a, "discussion_announcement", st["discussion_announcement"].due_date, url=LINK)
    _record(s, ctx, a, "public_discussion", st["public_discussion"].due_date, number="7", url=LINK)
    _record(s, ctx, a, "analysis_end", wd(-14))
    ids.append(a)

    # 3. Due within days: starts in 12 working days, the order is due in 2.
    ids.append(plan("AK-ALM-HLTH", "AK-ALM-HLTH", wd(12), "marat"))

    # 4. Overdue start announcement: starts in 5 working days; only the order is recorded.
    a = plan("AK-ALM-ILE", "AK-ALM-ILE-EDU", wd(5), "saule")
    _record(s, ctx, a, "order", wd(-7), **DOC)
    ids.append(a)

    # 5. In progress: started 10 working days ago; the discussion must be announced soon.
    a = plan("MF-KK-ALM", "MF-KK-ALM", wd(-10), "bolat")
    st = svc.stages_of(s, svc.get_analysis(s, a))
    _record(s, ctx, a, "order", wd(-24), **DOC)
    _record(s, ctx, a, "start_announcement", wd(-21), url=LINK)
    _record(s, ctx, a, "analysis_start", wd(-10))
    ids.append(a)

    # 6. Plan approved, publication overdue (quasi-state company).
    a = plan("QS-ZHETYSU", "QS-ZHETYSU", wd(-60), "timur")
    st = svc.stages_of(s, svc.get_analysis(s, a))
    _record(s, ctx, a, "order", st["order"].due_date, **DOC)
    _record(s, ctx, a, "start_announcement", st["start_announcement"].due_date, url=LINK)
    _record(s, ctx, a, "analysis_start", wd(-60))
    _record(s, ctx, a, "discussion_announcement", st["discussion_announcement"].due_date, url=LINK)
    _record(s, ctx, a, "public_discussion", st["public_discussion"].due_date, number="2", url=LINK)
    _record(s, ctx, a, "analysis_end", wd(-31))
    _record(s, ctx, a, "analytic_note", wd(-22), **DOC)
    _record(s, ctx, a, "action_plan", wd(-12), **DOC)
    ids.append(a)

    # The akimat approved its schedule; the ministry has not (a missing schedule costs points).
    svc.record_schedule(s, ctx, "AK-ALM-EDU", wd(-43).year, wd(-60), dict(DOC))
    return {"organisations": len(ORGS), "users": [u[0] for u in USERS], "analyses": ids}
