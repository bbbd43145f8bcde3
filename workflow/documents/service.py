"""Drafting the documents of a case from its data, and recording the signed scan.

Which stage each document confirms is the feature's data (documents.toml, `rules`); the
templates are the operator's or the shipped ones (`texts`). A draft is only read: nothing here
writes but the record of the signed scan, made by the services' own `record_with_files` (the
stage's confirming record and its file together, all or nothing).

Every date is written as the case's page and `merzim status` write it in the language
(`workflow.i18n.date_text`); a name or position the records do not hold is a visible blank.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from workflow.core.definition import Definition
from workflow.core.errors import KeyList, MerzimError, NotFound, UsageError
from workflow.core.kinds import APPROVER_ROLES
from workflow.core.names import name_in
from workflow.core.signers import ROLE_FIELD
from workflow.documents import texts
from workflow.documents.rules import Document, for_stage
from workflow.documents.texts import of_process
from workflow.i18n import LANGUAGES, Translator, check_language, date_text, period_name
from workflow.monitoring import service as monitoring
from workflow.services.attachments import record_with_files
from workflow.services.case_plan import stages_of
from workflow.services.cases import case_view
from workflow.services.context import Context
from workflow.services.files import Upload
from workflow.services.lookup import get_case
from workflow.services.organisations import org_name
from workflow.services.processes import definition_of
from workflow.services.views import CaseRecord, CaseView
from workflow.settings import FilesSettings
from workflow.storage.filestore import FileStore
from workflow.storage.models import (
    DONE_LATE,
    DONE_ON_TIME,
    EVENT,
    Case,
    EventRecord,
    MonitoringReport,
    Organisation,
    PlanItem,
    Recommendation,
    Risk,
    User,
)
from workflow.storage.queries.accounts import positions_by_name

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Offer:
    """A document a case's stage is confirmed by: what the case page, the command line and
    the API offer to draft beside that stage."""

    document: str
    name: str
    stage: str
    stage_name: str
    event: str

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Drafted:
    """One document of one case in one language, drafted now."""

    case_id: int
    document: str
    name: str
    stage: str
    language: str
    filename: str  # the document, the organisation and the day
    content: bytes
    template: str  # whose template: organisation | installation | shipped
    facts: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case_id, "document": self.document, "name": self.name,
                "stage": self.stage, "language": self.language, "filename": self.filename,
                "template": self.template, "facts": self.facts}


def offers(s: Session, ctx: Context, case: Case, language: str | None = None) -> list[Offer]:
    """The documents of a case, each beside the stage it confirms (a stage made per period:
    one per period), in the case's stage order."""
    defn = definition_of(s, ctx, case)
    docs = of_process(defn.key)
    if not docs:
        return []
    lang = language or ctx.language
    view = case_view(s, dataclasses.replace(ctx, language=lang), case)
    out = []
    for st in view.stages:
        doc = for_stage(docs, st.key)
        if doc is not None:
            out.append(Offer(doc.key, doc.name(lang), st.key, st.name, doc.event))
    return out


def document_of(s: Session, ctx: Context, case: Case, stage: str) -> Document:
    """The document confirming a stage of the case, or the refusal naming the stages that
    have one."""
    defn = definition_of(s, ctx, case)
    doc = for_stage(of_process(defn.key), stage)
    if doc is None or stage not in stages_of(s, case):
        known = [o.stage for o in offers(s, ctx, case)]
        exc = NotFound(f"stage {stage!r} has no document", key="document.none", stage=stage,
                       known=", ".join(known) or "-")
        spec = defn.stage_spec(stage)
        if spec is not None:
            exc.labels["stage"] = spec.names
        specs = {k: defn.stage_spec(k) for k in known}
        exc.labels["known"] = KeyList(exc.params["known"],
                                      {k: sp.names for k, sp in specs.items() if sp is not None})
        raise exc
    return doc


def draft(s: Session, ctx: Context, case_id: int | str, stage: str,
          language: str | None = None, folder: Path | None = None) -> Drafted:
    """The document confirming `stage` of a case, drafted in `language` (the context's by
    default) from the operator's template for the case's organisation, hers for the
    installation (`folder`: config.toml [documents] templates) or the shipped one. Refused:
    an unknown case, a stage no document confirms, an unknown language."""
    case = get_case(s, case_id)
    doc = document_of(s, ctx, case, stage)
    language = check_language(language, ctx.language)
    org = s.get(Organisation, case.subject_id)
    assert org is not None
    path = texts.template_file(doc.template, language, org.code, folder)
    facts = _facts(s, ctx, case, doc, stage, language)
    content = texts.render(path, facts, name=texts.shown(path, folder), language=language)
    return Drafted(case.id, doc.key, doc.name(language), stage, language,
                   filename(doc.name(language), org.code, ctx.today), content,
                   texts.origin(path, folder), facts)


def filename(name: str, org_code: str, day: date) -> str:
    """A document's download name: its name, the organisation, the day (ISO)."""
    clean = "".join(c for c in name if c.isalnum() or c in " -_").strip().replace(" ", "_")
    return f"{clean}_{org_code}_{day.isoformat()}.docx"


def record_signed(s: Session, ctx: Context, store: FileStore, limits: FilesSettings,
                  case_id: int | str, stage: str, on: date, evidence: dict[str, Any] | None,
                  uploads: Iterable[Upload]) -> EventRecord:
    """The signed scan of a stage's document recorded as that stage's confirming document in
    one step: the stage's record with the scan, through the services' `record_with_files`
    (all or nothing; a period's stage names its period)."""
    case = get_case(s, case_id)
    doc = document_of(s, ctx, case, stage)
    given = {**(evidence or {}), **fixed_evidence(doc, stage)}
    files = list(uploads)
    if not files:
        raise UsageError("the signed scan is missing", key="document.no_scan")
    return record_with_files(s, ctx, store, limits, case.id, doc.event, on, given, files)


def risks_of(s: Session, case: Case, language: str = "en") -> list[dict[str, Any]]:
    """The case's risks as its documents number them, each with its causes and conditions,
    its grades, level (its key and name in `language`; "" and "not assessed" when it has
    none) and rank (the monitoring's `ranked`)."""
    risks, _recs = _risks(s, case)
    return [{"no": n, "description": r.description, "process": r.process or "",
             "subdivision": r.subdivision or "", "causes": r.causes or "", "id": r.id,
             **assessed_facts(a, language)}
            for (n, r), a in zip(enumerate(risks, start=1), monitoring.ranked(risks),
                                 strict=True)]


def assessed_facts(a: Any, language: str) -> dict[str, Any]:
    """A ranked risk's facts: likelihood, consequence, score, level (name), level_key, rank."""
    return {"likelihood": a.likelihood, "consequence": a.consequence, "score": a.score,
            "level_key": a.level.key if a.level else "",
            "level": name_in(a.level.names, language, a.level.key) if a.level
            else Translator(language)("risk.not_assessed"),
            "colour": a.level.colour if a.level else "", "rank": a.rank}


def analyses_with_risks(s: Session, org_id: int) -> list[int]:
    """The analyses (not withdrawn) whose subject or object is the organisation and that
    recorded a risk, by id."""
    query = (select(Case.id).join(Risk, col(Risk.analysis_id) == col(Case.id))
             .where((col(Case.subject_id) == org_id) | (col(Case.object_id) == org_id),
                    col(Case.withdrawn_at).is_(None))
             .distinct().order_by(col(Case.id)))
    return [int(i) for i in s.exec(query)]


def unmeasured_for(s: Session, ctx: Context, case: Case, doc: Document) -> list[int] | None:
    """On the page of the document whose record approves the action plan (the monitoring's
    `plan_approved_by`): the numbers of the risks no measure of the plan answers yet; None on
    any other document's page."""
    if doc.event != monitoring.keys(definition_of(s, ctx, case)).get("plan_approved_by"):
        return None
    return monitoring.unmeasured(s, case.id)


RISK_FIELDS = ("description", "process", "subdivision", "causes")
GRADE_FIELDS = ("likelihood", "consequence")  # chosen on the scales of the criteria file


def risk_places(s: Session, ctx: Context, case: Case) -> dict[str, Document]:
    """The case's stages whose document's page records its risks (the analytic note's)."""
    docs = of_process(definition_of(s, ctx, case).key)
    return {d.stage: d for d in docs.values() if d.records_risks and not d.per_period}


def record_risk(s: Session, ctx: Context, case_id: int | str, stage: str,
                given: dict[str, str]) -> Risk:
    """A risk of the case recorded from the place of the document that carries it (the
    analytic note's), through the monitoring's `add_risk` as every risk is recorded; a refusal
    names the field as the form labels it."""
    case = get_case(s, case_id)
    doc = document_of(s, ctx, case, stage)
    if not doc.records_risks:
        raise NotFound(f"stage {stage!r} records no risk", key="document.no_risks", stage=stage)
    try:
        return monitoring.add_risk(s, ctx, given.get("description", ""),
                                   given.get("process"), given.get("subdivision"),
                                   analysis_id=case.id, causes=given.get("causes"),
                                   likelihood=given.get("likelihood"),
                                   consequence=given.get("consequence"))
    except MerzimError as exc:
        field = exc.params.get("field")
        if field in (*RISK_FIELDS, *GRADE_FIELDS):
            exc.labels["field"] = f"document.risk.{field}"
        raise


def fixed_evidence(doc: Document, stage: str) -> dict[str, str]:
    """The evidence the stage itself gives its record: a period's stage names its period."""
    if doc.per_period and ":" in stage:
        return {doc.per_period: stage.split(":", 1)[1]}
    return {}


# -- the facts a template is drafted from ------------------------------------------------------


def _facts(s: Session, ctx: Context, case: Case, doc: Document, stage: str,
           language: str) -> dict[str, Any]:
    """Every placeholder of `texts.PLACEHOLDERS`, written in `language`."""
    t = Translator(language)
    defn = definition_of(s, ctx, case)
    view = case_view(s, dataclasses.replace(ctx, language=language), case)

    def day(value: date | None) -> str:
        return date_text(value, language) if value else ""

    org = s.get(Organisation, case.subject_id)
    assert org is not None
    parent = s.get(Organisation, org.parent_id) if org.parent_id else None
    owner = s.get(User, case.responsible_id) if case.responsible_id else None
    responsible = {"name": owner.full_name if owner is not None else texts.BLANK,
                   "position": (owner.position if owner is not None else None) or texts.BLANK}
    standing = _standing(view)
    risks, recommendations = _risks(s, case)
    numbers = {r.id: n for n, r in enumerate(risks, start=1)}
    rec_numbers = {r.id: n for n, r in enumerate(recommendations, start=1)}
    recs_of: dict[int, list[dict[str, Any]]] = {}
    rec_rows = []
    for r in recommendations:
        row = {"no": rec_numbers[r.id], "text": r.text, "risk_no": numbers[r.risk_id]}
        rec_rows.append(row)
        recs_of.setdefault(r.risk_id, []).append(row)
    risk_rows = [{"no": numbers[r.id], "description": r.description, "process": r.process or "",
                  "subdivision": r.subdivision or "", "causes": r.causes or texts.BLANK,
                  "recommendations": recs_of.get(r.id, []), **assessed_facts(a, language)}
                 for r, a in zip(risks, monitoring.ranked(risks), strict=True)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for risk, row in zip(risks, risk_rows, strict=True):
        groups.setdefault(risk.process or "", []).append(row)
    by_key = {st.key: st for st in view.stages}
    items = list(s.exec(select(PlanItem).where(PlanItem.analysis_id == case.id)
                        .order_by(col(PlanItem.id))))
    positions = positions_by_name(s, org.id, [i.person for i in items if i.person])
    plan = []
    for n, item in enumerate(items, start=1):
        rec = next((r for r in recommendations if r.id == item.recommendation_id), None)
        answers = f"{rec_numbers[rec.id]} / {numbers[rec.risk_id]}" if rec else "—"
        plan.append({"no": n, "measure": item.measure, "answers": answers,
                     "form": item.completion_form, "deadline": day(item.deadline),
                     "responsible": item.subdivision, "person": item.person or texts.BLANK,
                     "position": positions.get(item.person or "", "")})
    start = view.actual_start or view.planned_start  # the period as it stands (I-11, I-12)
    end = view.actual_end or view.planned_end
    return {
        "language": language,
        "document": doc.name(language),
        "case": case.id,
        "today": day(ctx.today),
        "process": view.process_name,
        "organisation": {"name": org_name(org, language), "code": org.code,
                         "parent": org_name(parent, language) if parent else "",
                         "kind": org.kind},
        "object": view.object_name or view.subject_name,
        "period": {"first_day": day(start), "last_day": day(end)},
        "signer": _signer(s, org, standing, doc, t),
        "responsible": responsible,
        "group": [responsible],
        "stages": [{"no": n, "key": st.key, "name": st.name, "due": due_text(st, t),
                    "basis": _basis(defn, st.key, language, t), "done_on": day(st.done_on),
                    "responsible": responsible}
                   for n, st in enumerate((st for st in view.stages if ":" not in st.key),
                                          start=1)],
        "risks": risk_rows,
        "risk_groups": [{"name": name, "risks": rows} for name, rows in groups.items()],
        "risks_ranked": sorted(risk_rows, key=lambda r: r["rank"]),
        "recommendations": rec_rows,
        "plan": plan,
        "quarter": _monitoring(s, ctx, case, doc, stage, by_key, items, recommendations, plan,
                               language, t),
    }


def due_text(st: Any, t: Translator) -> str:
    """A stage's due date as `merzim status` writes it: the day, "(projected)" after it."""
    if st.due is None:
        return "—"
    text = date_text(st.due, t.language)
    return text + " " + t("stage.projected") if st.projected else text


def _basis(defn: Definition, stage: str, language: str, t: Translator) -> str:
    """The working-day basis of a stage's deadline ("10 working days before: Start of the
    analysis"); "" for a stage whose deadline is not counted in working days."""
    spec = defn.stage_spec(stage)
    rule = spec.due if spec is not None else None
    if rule is None or rule.unit != "working_days":
        return ""
    anchors = [a.split(".", 1)[0] for a in rule.anchors]
    names = ", ".join(name_in(defn.dates[a].names, language, a) if a in defn.dates else a
                      for a in anchors)
    return t.n(f"document.basis_{rule.direction}", rule.offset, anchor=names)


def _standing(view: CaseView) -> dict[str, CaseRecord]:
    out: dict[str, CaseRecord] = {}
    for r in view.records:
        if r.kind == EVENT and not r.void:
            out[r.event] = r
    return out


def _signer(s: Session, org: Organisation, standing: dict[str, CaseRecord], doc: Document,
            t: Translator) -> dict[str, str]:
    """Who signs: the document's own record's signer once recorded, else the signer of the
    records it names (`signer_from`: the head who ordered the analysis), else a blank. Her
    position: the record's `approver_role` named in the document's language, else that of the
    organisation's person of that name; a signer recorded by her role ("Head of apparatus",
    "Руководитель аппарата") is that role, in the document's language, her name a blank."""
    for event in (doc.event, *doc.signer_from):
        evidence = (standing[event].evidence or {}) if event in standing else {}
        if not evidence.get("signed_by"):
            continue
        name = str(evidence["signed_by"]).strip()
        role = evidence.get(ROLE_FIELD) or _role_named(name)
        if _role_named(name):
            name = texts.BLANK
        position = t(f"approver.{role}") if role and role != "other" else \
            positions_by_name(s, org.id, [name]).get(name, texts.BLANK)
        return {"name": name, "position": position}
    return {"name": texts.BLANK, "position": texts.BLANK}


def _role_named(text: str) -> str | None:
    """The approver role (APPROVER_ROLES) a signer's text names in any language, if it names
    one rather than a person."""
    folded = text.casefold()
    for role in APPROVER_ROLES:
        if role != "other" and any(Translator(lang)(f"approver.{role}").casefold() == folded
                                   for lang in LANGUAGES):
            return role
    return None


def _risks(s: Session, case: Case) -> tuple[list[Risk], list[Recommendation]]:
    risks = list(s.exec(select(Risk).where(Risk.analysis_id == case.id)
                        .order_by(col(Risk.id))))
    ids = [r.id for r in risks]
    recs = list(s.exec(select(Recommendation).where(col(Recommendation.risk_id).in_(ids))
                       .order_by(col(Recommendation.id)))) if ids else []
    order = {rid: n for n, rid in enumerate(ids)}
    recs.sort(key=lambda r: (order[r.risk_id], r.id))
    return risks, recs


def _monitoring(s: Session, ctx: Context, case: Case, doc: Document, stage: str,
                by_key: dict[str, Any], items: list[PlanItem],
                recommendations: list[Recommendation], plan: list[dict[str, Any]],
                language: str, t: Translator) -> dict[str, Any]:
    """The quarter a monitoring report covers (its stage's period; else the last one reported,
    else the last one there is) with each measure as it stood at the end of the period's last
    day (today while the period runs): the verdict on its recommendation then, and its
    deadline's status then (`monitoring.measure_on`: a measure whose recommendation was
    fulfilled is done, not overdue), with their evidence."""
    periods = list(s.exec(select(MonitoringReport)
                          .where(MonitoringReport.analysis_id == case.id)
                          .order_by(col(MonitoringReport.period))))
    wanted = stage.split(":", 1)[1] if doc.per_period and ":" in stage else None
    row = next((p for p in periods if p.period == wanted), None) if wanted else \
        next((p for p in reversed(periods) if p.received_on), periods[-1] if periods else None)
    period = row.period if row else (wanted or "")

    def day(value: date | None) -> str:
        return date_text(value, language) if value else ""

    report = by_key.get(f"{doc.stage}:{period}") if doc.per_period else None
    review = by_key.get(f"{doc.related_stage('period_review')}:{period}")
    measure = doc.related_stage("plan_measure")
    recs = {r.id: r for r in recommendations}
    as_of = ctx.today
    if row is not None:
        as_of = min(as_of, monitoring.period_end(s, ctx, case, row.period))
    rows = []
    for item, drafted in zip(items, plan, strict=True):
        st = by_key.get(f"{measure}:{item.id}")
        rec = recs.get(item.recommendation_id or 0)
        then = monitoring.verdict_on(s, rec, as_of) if rec is not None else None
        status = monitoring.measure_on(st.status, st.due, st.done_on, then, as_of) \
            if st is not None else ""
        done_on = st.done_on if st is not None and st.done_on and st.done_on <= as_of else None
        if status in (DONE_ON_TIME, DONE_LATE) and then is not None and then[1] is not None:
            done_on = then[1]  # done by the fulfilment
        evidence = ", ".join(str(v) for v in then[2].values() if v) if then is not None else ""
        if done_on:
            evidence = ", ".join(x for x in (evidence, day(done_on)) if x)
        verdict = t(f"document.recommendation.{then[0]}") if then is not None else ""
        shown = ", ".join(x for x in (verdict, t(f"status.{status}") if status else "") if x)
        rows.append({"no": drafted["no"], "measure": item.measure,
                     "deadline": drafted["deadline"], "status": shown,
                     "evidence": evidence or "—", "overdue": status == "overdue"})
    def given(value: date | None) -> str:  # a date still to come: a blank line to fill
        return day(value) or texts.BLANK

    return {"period": period, "name": period_name(period, language) if period else texts.BLANK,
            "report_due": given(report.due if report else None),
            "received_on": given(row.received_on if row else None),
            "review_due": given(review.due if review else None),
            "reviewed_on": given(row.reviewed_on if row else None),
            "rows": rows, "overdue": [r for r in rows if r["overdue"]]}
