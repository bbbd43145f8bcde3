"""The recorded ministry of the scorecard's end-to-end tests (tests/scorecard/test_scorecard.py, where its
scores are computed by hand), which tests/monitoring/test_cli_monitoring.py scores through the command line
too: its tree, the story each analysis is recorded with, and `record_ministry`; `add_tree`,
which the coverage tests add their trees with too."""

from __future__ import annotations

from datetime import date

from tests.support.features import module_of

TODAY = date(2026, 3, 2)  # every stage of 2025 is due
DOC = {"number": "15-ө", "signed_by": "Minister"}
LINK = {"url": "https://gov.kz/memleket/entities/mf/press/news/1"}
# an announcement counts for 1.1.3 and 1.2.1 with a link on each channel (001:L55-59)
CHANNELS = {"links": "site https://gov.kz/memleket/entities/mf/press/news/1\n"
                     "media https://kazinform.example.kz/mf/1\n"
                     "social https://facebook.example.com/mf/posts/1"}
STORY = [
    ("order", date(2025, 9, 15), DOC),
    ("start_announcement", date(2025, 9, 16), CHANNELS),
    ("discussion_announcement", date(2025, 10, 20), CHANNELS),
    ("public_discussion", date(2025, 10, 30), {"number": "3", **LINK}),
    ("analytic_note", date(2025, 11, 20), DOC),
    ("positions_list", date(2025, 11, 24), DOC),
    ("action_plan", date(2025, 12, 2), DOC),
    ("publication", date(2025, 12, 4), LINK),
]
RECORDED_TREE = [("MF", "Ministry", "central_body", None),
                 ("MF-D1", "Budget department", "apparatus_department", "MF"),
                 ("MF-D2", "Legal department", "apparatus_department", "MF"),
                 ("MF-IA", "Internal audit directorate", "independent_directorate", "MF"),
                 ("MF-K", "Revenue committee", "committee", "MF"),
                 ("MF-K-T1", "Revenue department, Abai", "territorial_department", "MF-K"),
                 ("MF-K-T2", "Revenue department, Ulytau", "territorial_department", "MF-K"),
                 ("MF-QS", "Finance centre JSC", "quasi_state", "MF")]


def add_tree(s, ctx, tree) -> None:
    """Adds each organisation (code, name, kind, parent code or None) of `tree`, parents first;
    its Kazakh and Russian names are its English one marked " (kk)" and " (ru)"."""
    from workflow import services as svc
    for code, name, kind, parent in tree:
        svc.add_org(s, ctx, code, name, kind, parent, name_kk=f"{name} (kk)",
                    name_ru=f"{name} (ru)")


def record_ministry(engine, ctx) -> dict:
    """6 subdivisions (D1 D2 IA K K-T1 K-T2): D1 analysed to the end, IA begun (then
    cancelled by a test), K-T1 analysed by its committee up to the note and positions; D2, K
    and K-T2 never analysed. A risk of D1 eliminated, one of IA's identified."""
    from workflow import services as svc
    ms = module_of("monitoring", "service")
    planning_svc = module_of("planning", "service")
    from workflow.storage.db import session as open_session

    with open_session(engine) as s:
        add_tree(s, ctx, RECORDED_TREE)

        def plan(subject, obj):
            return planning_svc.plan_analysis(s, ctx, subject, obj, date(2025, 10, 1),
                                     date(2025, 11, 10)).analysis.id

        a1, a2, a3 = plan("MF", "MF-D1"), plan("MF", "MF-IA"), plan("MF-K", "MF-K-T1")
        for event, on, evidence in STORY:
            svc.record_event(s, ctx, a1, event, on, dict(evidence))
        for event, on, evidence in STORY[:2]:
            svc.record_event(s, ctx, a2, event, on, dict(evidence))
        for event, on, evidence in STORY[:6]:
            svc.record_event(s, ctx, a3, event, on, dict(evidence))
        risk = ms.add_risk(s, ctx, "Manual refunds", analysis_id=a1)
        rec = ms.add_recommendation(s, ctx, risk.id, "Automate refunds")
        ms.import_plan(s, ctx, [{"measure": "Automate", "completion_form": "Order",
                                 "deadline": "2026-01-30", "responsible": "MF-D1",
                                 "recommendation": str(rec.id)}], analysis_id=a1)
        ms.set_status(s, ctx, rec.id, "fulfilled", date(2026, 2, 2), {"form": "Order", "number": "7"})
        ms.add_risk(s, ctx, "Audit plan leaks", analysis_id=a2)
        planning_svc.record_schedule(s, ctx, "MF", 2025, date(2025, 2, 3), dict(DOC))
        s.commit()
    return {"ctx": ctx, "a2": a2}
