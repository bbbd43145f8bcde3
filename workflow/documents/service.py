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
from collections.abc import Callable, Iterable
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
from workflow.documents.rules import Document, address, addressed, for_stage, of_stage
from workflow.documents.texts import of_definition
from workflow.i18n import LANGUAGES, Translator, check_language, date_text, period_name
from workflow.monitoring import service as monitoring
from workflow.services import visibility
from workflow.services.attachments import record_with_files
from workflow.services.case_plan import stages_of
from workflow.services.cases import case_view
from workflow.services.context import Context
from workflow.services.files import Upload
from workflow.services.lookup import find_programme, get_case
from workflow.services.organisations import org_genitive, org_name, units_named
from workflow.services.processes import definition_of
from workflow.services.programmes import programme_cases, programme_definition, programme_stage
from workflow.services.views import CaseRecord, CaseView
from workflow.settings import FilesSettings
from workflow.storage import audit
from workflow.storage.filestore import FileStore
from workflow.storage.models import (
    DONE_LATE,
    DONE_ON_TIME,
    EVENT,
    NOT_DONE,
    OVERDUE,
    Case,
    EventRecord,
    MonitoringReport,
    Organisation,
    PlanItem,
    Programme,
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
    period: str = ""  # a period's document: the period by its name and dates
    # how it is addressed (`/cases/ID/documents/ADDRESS`): the stage for the stage's own
    # document, the paper's key for another paper drafted beside it
    address: str = ""
    confirms: bool = True  # its signed scan, recorded from its place, confirms the stage

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Drafted:
    """One document of one case (or of a programme: no case) in one language, drafted now."""

    case_id: int | None
    document: str
    name: str
    stage: str
    language: str
    filename: str  # the document, the organisation, the case, its period, the day (D-10)
    content: bytes
    template: str  # whose template: organisation | installation | shipped
    facts: dict[str, Any]
    # the case's planning warnings as it stands (an analysis longer than the recommended
    # working days, I-4): said beside the document wherever it is drafted, never printed in it
    warnings: tuple[dict[str, Any], ...] = ()
    # the protected person it shows (a whistleblower's, D-9): its drafting is a disclosure
    discloses: bool = False
    names: tuple[tuple[str, str], ...] = ()  # its name in every language (the audit's)

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case_id, "document": self.document, "name": self.name,
                "stage": self.stage, "language": self.language, "filename": self.filename,
                "template": self.template, "facts": self.facts,
                "warnings": list(self.warnings)}


def offers(s: Session, ctx: Context, case: Case, language: str | None = None) -> list[Offer]:
    """The documents of a case, each beside the stage it confirms (a stage made per period:
    one per period), in the case's stage order."""
    defn = definition_of(s, ctx, case)
    docs = of_definition(defn)
    if not docs or not ctx.shows_person(case, defn):
        return []
    lang = language or ctx.language
    view = case_view(s, dataclasses.replace(ctx, language=lang), case)
    out = []
    for st in view.stages:
        for doc in of_stage(docs, st.key):
            period = _period_of(doc, st.key)
            out.append(Offer(doc.key, doc.name(lang), st.key, st.name, doc.event,
                             period_title(s, ctx, case, period, lang) if period else "",
                             address(docs, doc, st.key), doc.confirms))
    return out


def _period_of(doc: Document, stage: str) -> str:
    """The period a period's document is of ("" for any other)."""
    return stage.split(":", 1)[1] if doc.per_period and ":" in stage else ""


def period_title(s: Session, ctx: Context, case: Case, period: str, language: str) -> str:
    """A reporting period by its name and its dates, as its document prints it: "1-й отчётный
    период со дня подписания аналитической справки (20.11.2025 – 19.02.2026)"."""
    first, last = monitoring.period_bounds(s, ctx, case, period)
    return (f"{period_name(period, language)} ({date_text(first, language)} – "
            f"{date_text(last, language)})")


def document_of(s: Session, ctx: Context, case: Case, stage: str) -> Document:
    """The document confirming a stage of the case (or another paper drafted beside one, by
    its key: `rules.addressed`), or the refusal naming the stages that have one."""
    return located(s, ctx, case, stage)[0]


def located(s: Session, ctx: Context, case: Case, stage: str) -> tuple[Document, str]:
    """The document addressed by `stage` (a stage's key, or a paper's drafted beside one)
    with the stage it is drafted beside; refused as `document_of` says."""
    defn = definition_of(s, ctx, case)
    if not ctx.shows_person(case, defn):  # a case whose person the caller may not see: as
        raise NotFound(f"no case {case.id}", key="notfound.analysis",  # if it were not there
                       id=case.id)
    found = addressed(of_definition(defn), stage)
    if found is not None and found[1] in stages_of(s, case):
        return found
    known = list(dict.fromkeys(o.stage for o in offers(s, ctx, case)))
    exc = NotFound(f"stage {stage!r} has no document", key="document.none", stage=stage,
                   known=", ".join(known) or "-")
    spec = defn.stage_spec(stage)
    if spec is not None:
        exc.labels["stage"] = spec.names
    specs = {k: defn.stage_spec(k) for k in known}
    exc.labels["known"] = KeyList(exc.params["known"],
                                  {k: sp.names for k, sp in specs.items() if sp is not None})
    raise exc


def draft(s: Session, ctx: Context, case_id: int | str, stage: str,
          language: str | None = None, folder: Path | None = None) -> Drafted:
    """The document confirming `stage` of a case, drafted in `language` (the context's by
    default) from the operator's template for the case's organisation, hers for the
    installation (`folder`: config.toml [documents] templates) or the shipped one. Refused:
    an unknown case, a stage no document confirms, an unknown language."""
    case = get_case(s, case_id)
    doc, stage = located(s, ctx, case, stage)
    language = check_language(language, ctx.language)
    org = s.get(Organisation, case.subject_id)
    assert org is not None
    view = case_view(s, dataclasses.replace(ctx, language=language), case)
    drafted = _drafted(doc, language, org, folder,
                       lambda: _facts(s, ctx, case, doc, stage, language, view), case.id, stage,
                       filename(doc.name(language), org.code, case.id, ctx.today,
                                _period_of(doc, stage)))
    defn = definition_of(s, ctx, case)
    shown = _person(view, shows_person(defn, doc))  # a protected person it carries: disclosed
    return dataclasses.replace(drafted, warnings=tuple(view.warnings or ()),
                               discloses=visibility.protected(defn)
                               and shown["name"] != texts.BLANK,
                               names=tuple(doc.names.items()))


def shows_person(defn: Definition, doc: Document) -> bool:
    """Whether a paper carries its case's person: always, but in a case whose person is
    protected (a whistleblower's), only a paper her procedure requires her name in (its
    `person`, D-9)."""
    return doc.person or not visibility.protected(defn)


def audit_disclosure(s: Session, ctx: Context, drafted: Drafted) -> None:
    """A paper showing a protected person, drafted and handed to its reader (downloaded from
    the case's page or the API, written by the command line), is audited as a disclosure
    (services/visibility.py DISCLOSED): the case, who drafted it and which paper; nothing for
    any other paper. The caller commits."""
    if drafted.discloses and drafted.case_id is not None:
        audit.append(s, ctx.actor, visibility.DISCLOSED, "case", drafted.case_id,
                     {"seen_by": ctx.actor, "why": "paper", "paper": drafted.document,
                      "paper_names": dict(drafted.names), "language": drafted.language})


def _drafted(doc: Document, language: str, org: Organisation, folder: Path | None,
             facts_of: Callable[[], dict[str, Any]], case_id: int | None, stage: str,
             name: str) -> Drafted:
    """`doc` drafted for `org` in `language` as the download `name`: its template (the
    organisation's, the installation's or the shipped one, found before `facts_of` gathers the
    facts) rendered from the facts."""
    path = texts.template_file(doc.template, language, org.code, folder)
    facts = facts_of()
    content = texts.render(path, facts, name=texts.shown(path, folder), language=language)
    return Drafted(case_id, doc.key, doc.name(language), stage, language, name, content,
                   texts.origin(path, folder), facts)


def filename(name: str, org_code: str, case_id: int, day: date, period: str = "") -> str:
    """A document's download name, by what it holds (D-10): its name, the organisation, the
    case ("№12"), a period's document its period ("2025N1"), then the day it was drafted —
    so the four periods' reports of a case, or two cases' documents, never share a name:
    `Отчёт_о_мониторинге_MF-KGD-ALM_№12_2025N1_2026-01-20.docx`."""
    parts = [_clean(name), _safe(org_code), f"№{case_id}"]
    if period:
        parts.append(_safe(period))
    return "_".join([*parts, day.isoformat()]) + ".docx"


def _clean(name: str) -> str:
    """A document's name as the start of its download name: letters, digits, "-" and "_",
    its spaces as "_"."""
    return "".join(c for c in name if c.isalnum() or c in " -_").strip().replace(" ", "_")


def _safe(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c in "-_.") or "-"


def record_signed(s: Session, ctx: Context, store: FileStore, limits: FilesSettings,
                  case_id: int | str, stage: str, on: date, evidence: dict[str, Any] | None,
                  uploads: Iterable[Upload]) -> EventRecord:
    """The signed scan of a stage's document recorded as that stage's confirming document in
    one step: the stage's record with the scan, through the services' `record_with_files`
    (all or nothing; a period's stage names its period)."""
    case = get_case(s, case_id)
    doc, stage = located(s, ctx, case, stage)
    if not doc.confirms:
        raise UsageError(f"{doc.key} confirms no stage", key="document.confirms_nothing")
    given = {**(evidence or {}), **fixed_evidence(doc, stage)}
    files = list(uploads)
    if not files:
        raise UsageError("the signed scan is missing", key="document.no_scan")
    return record_with_files(s, ctx, store, limits, case.id, doc.event, on, given, files)


def schedule_document(s: Session, ctx: Context, prog: Programme) -> Document:
    """The document a programme's own stage (the schedule's approval) is confirmed by, or the
    refusal when the programme's definition has none."""
    defn = programme_definition(s, ctx, prog)
    stage = programme_stage(s, ctx, prog)
    doc = for_stage(of_definition(defn), stage.key, programme=True) if stage else None
    if doc is None:
        raise NotFound(f"programme {prog.id} has no document", key="document.none_programme",
                       id=prog.id)
    return doc


def draft_schedule(s: Session, ctx: Context, programme_id: int | str,
                   language: str | None = None, folder: Path | None = None) -> Drafted:
    """The schedule of a subject's analyses for a year (1.1.1; 000:L211-235), drafted from its
    programme: each object with the exact period planned for it; approved on the date, under
    the number and by the signer recorded for the schedule (`merzim programme schedule`),
    blanks before. Refused: an unknown programme, an unknown language."""
    prog = find_programme(s, programme_id)
    if prog is None:
        raise NotFound(f"no programme {programme_id}", key="notfound.programme",
                       id=str(programme_id)[:20])
    doc = schedule_document(s, ctx, prog)
    language = check_language(language, ctx.language)
    org = s.get(Organisation, prog.subject_id)
    assert org is not None
    return _drafted(doc, language, org, folder,
                    lambda: _schedule_facts(s, ctx, prog, org, doc, language), None, doc.stage,
                    f"{_clean(doc.name(language))}_{org.code}_{prog.year}.docx")


def _schedule_facts(s: Session, ctx: Context, prog: Programme, org: Organisation,
                    doc: Document, language: str) -> dict[str, Any]:
    """The placeholders of the schedule: the organisation, the year, its approval and a row
    per analysis of the programme (its object and planned period, as the programme's page
    shows them)."""
    t = Translator(language)

    def day(value: date | None) -> str:
        return date_text(value, language) if value else texts.BLANK

    parent = s.get(Organisation, org.parent_id) if org.parent_id else None
    stage = programme_stage(s, ctx, prog)
    evidence = dict(stage.evidence or {}) if stage is not None and stage.done_on else {}
    number = str(evidence.get("number") or "").strip()
    rows = []
    for n, case in enumerate(programme_cases(s, prog), start=1):
        view = case_view(s, dataclasses.replace(ctx, language=language), case)
        rows.append({"no": n, "object": view.object_name or view.subject_name,
                     "first_day": day(view.planned_start), "last_day": day(view.planned_end)})
    return {
        "language": language, "document": doc.name(language), "year": prog.year,
        "organisation": {"name": org_name(org, language),
                         "genitive": org_genitive(org, language), "code": org.code,
                         "parent": org_name(parent, language) if parent else "",
                         "kind": org.kind},
        "signer": _signed(s, org, evidence, t) or {"name": texts.BLANK,
                                                   "position": texts.BLANK},
        "own": {"date": day(stage.done_on if stage is not None else None),
                "number": number or texts.BLANK},
        "schedule": rows,
    }


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
    docs = of_definition(definition_of(s, ctx, case))
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
           language: str, view: CaseView) -> dict[str, Any]:
    """Every placeholder of `texts.PLACEHOLDERS`, written in `language` (`view`: the case's
    view in that language)."""
    t = Translator(language)
    defn = definition_of(s, ctx, case)

    def day(value: date | None) -> str:
        return date_text(value, language) if value else ""

    org = s.get(Organisation, case.subject_id)
    assert org is not None
    parent = s.get(Organisation, org.parent_id) if org.parent_id else None
    obj = (s.get(Organisation, case.object_id) if case.object_id else None) or org
    owner = s.get(User, case.responsible_id) if case.responsible_id else None
    responsible = {"name": owner.full_name if owner is not None else texts.BLANK,
                   "position": (owner.position if owner is not None else None) or texts.BLANK}
    standing = view.standing()
    risks, recommendations = _risks(s, case)
    numbers = {r.id: n for n, r in enumerate(risks, start=1)}
    rec_numbers = {r.id: n for n, r in enumerate(recommendations, start=1)}
    recs_of: dict[int, list[dict[str, Any]]] = {}
    rec_rows = []
    for r in recommendations:
        row = {"no": rec_numbers[r.id], "text": r.text, "risk_no": numbers[r.risk_id]}
        rec_rows.append(row)
        recs_of.setdefault(r.risk_id, []).append(row)
    items = list(s.exec(select(PlanItem).where(PlanItem.analysis_id == case.id)
                        .order_by(col(PlanItem.id))))
    # a unit named by an organisation's code or name: its name in the document's language
    listed = monitoring.positions_of(s, case.id)
    units = units_named(s, obj, [r.subdivision or "" for r in risks]
                        + [i.subdivision or "" for i in items]
                        + [p["subdivision"] for p in listed], language)

    def unit_name(text: str | None) -> str:
        return units.get(text or "", text or "")

    risk_rows = [{"no": numbers[r.id], "description": r.description, "process": r.process or "",
                  "subdivision": unit_name(r.subdivision), "causes": r.causes or texts.BLANK,
                  "recommendations": recs_of.get(r.id, []), **assessed_facts(a, language)}
                 for r, a in zip(risks, monitoring.ranked(risks), strict=True)]
    groups: dict[str, list[dict[str, Any]]] = {}
    for risk, row in zip(risks, risk_rows, strict=True):
        groups.setdefault(risk.process or "", []).append(row)
    by_key = {st.key: st for st in view.stages}
    positions = positions_by_name(s, org.id, [i.person for i in items if i.person])
    plan = []
    for n, item in enumerate(items, start=1):
        rec = next((r for r in recommendations if r.id == item.recommendation_id), None)
        answers = f"{rec_numbers[rec.id]} / {numbers[rec.risk_id]}" if rec else "—"
        plan.append({"no": n, "measure": item.measure, "answers": answers,
                     "form": item.completion_form, "deadline": day(item.deadline),
                     "responsible": unit_name(item.subdivision),
                     "person": item.person or texts.BLANK,
                     "position": positions.get(item.person or "", "")})
    members = _members(_recorded(standing, doc, "members"))
    unit = _recorded(standing, doc, "unit")
    start = view.actual_start or view.planned_start  # the period as it stands (I-11, I-12)
    end = view.actual_end or view.planned_end
    return {
        "language": language,
        "document": doc.name(language),
        "case": case.id,
        "today": day(ctx.today),
        "process": view.process_name,
        "organisation": {"name": org_name(org, language), "code": org.code,
                         "genitive": org_genitive(org, language),
                         "parent": org_name(parent, language) if parent else "",
                         "kind": org.kind},
        "object": org_name(obj, language),
        "object_genitive": org_genitive(obj, language),
        "period": {"first_day": day(start), "last_day": day(end)},
        "signer": _signer(s, org, standing, doc, t),
        "responsible": responsible,
        "group": members or ([] if unit else [{"name": texts.BLANK, "position": texts.BLANK}]),
        "unit": unit,
        "methods": _recorded(standing, doc, "methods") or texts.BLANK,
        "discussion": {"place": _recorded(standing, doc, "place") or texts.BLANK,
                       "participants": _members(_recorded(standing, doc, "participants"))
                       or [{"name": texts.BLANK, "position": texts.BLANK}],
                       "proposals": _items(_recorded(standing, doc, "proposals")),
                       "decisions": _items(_recorded(standing, doc, "decisions"))},
        "justification": _recorded(standing, doc, "justification") or texts.BLANK,
        "own": _issued(view, doc, stage, day),
        "stages": [{"no": n, "key": st.key, "name": st.name, "due": due_text(st, t),
                    "basis": _basis(defn, st.key, language, t), "done_on": day(st.done_on),
                    "responsible": responsible}
                   for n, st in enumerate((st for st in view.stages if ":" not in st.key),
                                          start=1)],
        "person": _person(view, shows_person(defn, doc)),
        "dates": {key: day(view.dates[key].date)
                  if key in view.dates and not view.dates[key].projected else texts.BLANK
                  for key in defn.dates},
        "due": {st.key: due_text(st, t) for st in view.stages if ":" not in st.key},
        "records": _printed(defn, standing, doc, day),
        "risks": risk_rows,
        "risk_groups": [{"name": name, "risks": rows} for name, rows in groups.items()],
        "risks_ranked": sorted(risk_rows, key=lambda r: r["rank"]),
        "risk_map": _risk_map(risk_rows, language),
        "recommendations": rec_rows,
        "plan": plan,
        "positions": [{**p, "risk_no": p["risk_no"] or "",
                       "subdivision": unit_name(p["subdivision"])} for p in listed],
        "quarter": _monitoring(s, ctx, case, doc, stage, by_key, items, recommendations, plan,
                               language, t),
        "results": _results(recommendations, rec_rows, items, plan, by_key, doc,
                            _periods(s, ctx, case, doc, by_key, language), language, t),
    }


def _person(view: CaseView, shown: bool = True) -> dict[str, str]:
    """The person a case is about, as recorded (a visible blank for what is not, or for a
    protected person a paper does not carry: `shows_person`; a case whose person the caller
    may not see is never drafted: `document_of`)."""
    person = view.person if shown else None
    return {"name": (person.name if person is not None else None) or texts.BLANK,
            "position": (person.position if person is not None else None) or texts.BLANK}


def _printed(defn: Definition, standing: dict[str, CaseRecord], doc: Document,
             day: Callable[[date | None], str]) -> dict[str, dict[str, str]]:
    """Every event's standing record as a paper prints it: its date and number, with the
    evidence the document declares it prints (`prints`, "EVENT.FIELD"); a record not made or a
    field not given is a visible blank (D-1, D-3)."""
    out: dict[str, dict[str, str]] = {}
    for event in defn.events:
        rec = standing.get(event)
        evidence = (rec.evidence or {}) if rec is not None else {}
        out[event] = {"date": day(rec.on) if rec is not None else texts.BLANK,
                      "number": str(evidence.get("number") or "").strip() or texts.BLANK}
    for printed in doc.prints:
        event, _, field = printed.partition(".")
        rec = standing.get(event)
        value = str(((rec.evidence or {}) if rec is not None else {}).get(field) or "").strip()
        out.setdefault(event, {})[field] = value or texts.BLANK
    return out


def _risk_map(rows: list[dict[str, Any]], language: str) -> dict[str, Any]:
    """The note's cartogram: the risks by their numbers in the cells of the criteria's grid
    (`riskmap.grid`), the levels with the risks of each, highest first, and the risks not
    assessed ("" when none)."""
    from workflow.monitoring import levels, riskmap

    found = levels.criteria()
    placed: dict[tuple[int, int], list[str]] = {}
    for r in rows:
        if r["likelihood"] is not None and r["consequence"] is not None:
            placed.setdefault((r["likelihood"], r["consequence"]), []).append(str(r["no"]))
    legend = [{"level": name_in(lv.names, language, lv.key),
               "risks": ", ".join(str(r["no"]) for r in rows if r["level_key"] == lv.key)
               or "—"} for lv in reversed(found.levels)]
    return {**riskmap.grid(found, placed, language), "legend": legend,
            "not_assessed": ", ".join(str(r["no"]) for r in rows if r["likelihood"] is None)}


def _issued(view: CaseView, doc: Document, stage: str, day: Any) -> dict[str, str]:
    """The document's own date and number: those of the standing record of the stage it
    confirms (a period's: that period's record), else visible blanks (D-1: the day of drafting
    is never a document's date)."""
    period = stage.split(":", 1)[1] if doc.per_period and ":" in stage else None
    own = None
    for r in view.records if doc.confirms else ():  # a paper confirming nothing: blanks
        if r.kind == EVENT and not r.void and r.event == doc.event and (
                period is None or str((r.evidence or {}).get(doc.per_period or "")) == period):
            own = r
    number = str((own.evidence or {}).get("number") or "").strip() if own is not None else ""
    return {"date": day(own.on) if own is not None else texts.BLANK,
            "number": number or texts.BLANK}


def _recorded(standing: dict[str, CaseRecord], doc: Document, fact: str) -> str:
    """A fact the document reads from a record's evidence (documents.toml `recorded`): ""
    when the data names no field for it or the record does not carry it."""
    where = doc.recorded_field(fact)
    if where is None or where[0] not in standing:
        return ""
    return str((standing[where[0]].evidence or {}).get(where[1]) or "").strip()


def _items(text: str) -> list[str]:
    """Proposals or decisions as recorded, one after another separated by ";" (or lines); a
    single visible blank when none is recorded."""
    return [p.strip() for p in text.replace("\n", ";").split(";") if p.strip()] or [texts.BLANK]


def _members(text: str) -> list[dict[str, str]]:
    """The working group as recorded: members separated by ";" (or lines), each "name,
    position"; a part not given is a visible blank."""
    out = []
    for part in text.replace("\n", ";").split(";"):
        name, _, position = part.partition(",")
        if name.strip() or position.strip():
            out.append({"name": name.strip() or texts.BLANK,
                        "position": position.strip() or texts.BLANK})
    return out


def due_text(st: Any, t: Translator) -> str:
    """A stage's due date as `merzim status` writes it: the day, "(projected)" after it."""
    if st.due is None:
        return "—"
    text = date_text(st.due, t.language)
    return text + " " + t("stage.projected") if st.projected else text


def _basis(defn: Definition, stage: str, language: str, t: Translator) -> str:
    """The working-day basis of a stage's deadline ("10 working days before: Start of the
    analysis"); "" for a stage whose deadline is not counted in working days; "—" (none) for
    a deadline merzim proposes where no rule sets one (its stage's `due_basis`, I-17: D-2)."""
    spec = defn.stage_spec(stage)
    rule = spec.due if spec is not None else None
    if spec is not None and spec.own_deadline:
        return "—"  # D-2: merzim proposes this deadline (its `due_basis`); no rule is its basis
    if rule is None or rule.unit != "working_days":
        return ""
    anchors = [a.split(".", 1)[0] for a in rule.anchors]
    names = ", ".join(name_in(defn.dates[a].names, language, a) if a in defn.dates else a
                      for a in anchors)
    return t.n(f"document.basis_{rule.direction}", rule.offset, anchor=names)


def _signer(s: Session, org: Organisation, standing: dict[str, CaseRecord], doc: Document,
            t: Translator) -> dict[str, str]:
    """Who signs: the document's own record's signer once recorded, else the signer of the
    records it names (`signer_from`: the head who ordered the analysis), else a blank."""
    for event in ((doc.event,) if doc.confirms else ()) + doc.signer_from:  # a paper
        # confirming nothing is not signed by its stage's record's signer
        evidence = (standing[event].evidence or {}) if event in standing else {}
        signed = _signed(s, org, evidence, t)
        if signed is not None:
            return signed
    return {"name": texts.BLANK, "position": texts.BLANK}


def _signed(s: Session, org: Organisation, evidence: dict[str, Any],
            t: Translator) -> dict[str, str] | None:
    """The signer a record's evidence names (None: none). Her position: the record's
    `approver_role` named in the document's language, else that of the organisation's person
    of that name; a signer recorded by her role ("Head of apparatus", "Руководитель
    аппарата") is that role, in the document's language, her name a blank."""
    if not evidence.get("signed_by"):
        return None
    name = str(evidence["signed_by"]).strip()
    role = evidence.get(ROLE_FIELD) or _role_named(name)
    if _role_named(name):
        name = texts.BLANK
    position = t(f"approver.{role}") if role and role != "other" else \
        positions_by_name(s, org.id, [name]).get(name, texts.BLANK)
    return {"name": name, "position": position}


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
    """The period a monitoring report covers (its stage's period: the report confirms the
    period's review, D-5; else the last one reported, else the last one there is), named with
    its dates, its units' report's and review's deadlines and days, and each measure as it
    stood at the end of the period's last day (today while the period runs): one status
    (`measure_status`) from its deadline's status then (`monitoring.measure_on`: a measure
    whose recommendation was fulfilled is done, not overdue) and the verdict on its
    recommendation then, with their evidence."""
    periods = list(s.exec(select(MonitoringReport)
                          .where(MonitoringReport.analysis_id == case.id)
                          .order_by(col(MonitoringReport.period))))
    wanted = _period_of(doc, stage) or None
    row = next((p for p in periods if p.period == wanted), None) if wanted else \
        next((p for p in reversed(periods) if p.received_on), periods[-1] if periods else None)
    period = row.period if row else (wanted or "")

    def day(value: date | None) -> str:
        return date_text(value, language) if value else ""

    report_stage = doc.related_stage("period_report")
    review_stage = doc.stage if doc.per_period else doc.related_stage("period_review")
    report = by_key.get(f"{report_stage}:{period}") if report_stage else None
    review = by_key.get(f"{review_stage}:{period}") if review_stage else None
    measure = doc.related_stage("plan_measure")
    recs = {r.id: r for r in recommendations}
    as_of = ctx.today
    first = last = None
    if row is not None:
        first, last = monitoring.period_bounds(s, ctx, case, row.period)
        as_of = min(as_of, last)
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
        shown = t(f"document.measure.{measure_status(status, then)}") if status else texts.BLANK
        rows.append({"no": drafted["no"], "measure": item.measure,
                     "deadline": drafted["deadline"], "status": shown,
                     "evidence": evidence or "—", "overdue": status == "overdue"})

    def given(value: date | None) -> str:  # a date still to come: a blank line to fill
        return day(value) or texts.BLANK

    name = period_name(period, language) if period else texts.BLANK
    return {"period": period, "name": name,
            "first_day": given(first), "last_day": given(last),
            "title": f"{name} ({day(first)} – {day(last)})" if first and last else name,
            "report_due": given(report.due if report else None),
            "received_on": given(row.received_on if row else None),
            "review_due": given(review.due if review else None),
            "reviewed_on": given(row.reviewed_on if row else None),
            "rows": rows, "overdue": [r for r in rows if r["overdue"]]}


def _periods(s: Session, ctx: Context, case: Case, doc: Document, by_key: dict[str, Any],
             language: str) -> list[dict[str, Any]]:
    """Every reporting period of the case by its name and dates, with its units' report's
    receipt and its review's deadline and day (a blank for what is not recorded)."""
    review_stage = doc.related_stage("period_review") or (doc.stage if doc.per_period else "")
    out = []
    for row in s.exec(select(MonitoringReport).where(MonitoringReport.analysis_id == case.id)
                      .order_by(col(MonitoringReport.period))):
        review = by_key.get(f"{review_stage}:{row.period}") if review_stage else None
        out.append({"period": row.period,
                    "title": period_title(s, ctx, case, row.period, language),
                    "received_on": date_text(row.received_on, language)
                    if row.received_on else texts.BLANK,
                    "review_due": date_text(review.due, language)
                    if review is not None and review.due else texts.BLANK,
                    "reviewed_on": date_text(row.reviewed_on, language)
                    if row.reviewed_on else texts.BLANK})
    return out


def measure_status(status: str, verdict: tuple[str, date | None, dict[str, Any]] | None
                   ) -> str:
    """The one status a measure has at a period's end, from its deadline's status then
    (`monitoring.measure_on`) and the verdict on its recommendation then (`verdict_on`; a
    verdict never recorded has no date): done on time, done late or not done as its stage
    says; else not fulfilled when the review said so; else overdue; else the review's "in
    progress" or "not started"; else not yet due (`document.measure.*`)."""
    said = verdict[0] if verdict is not None and verdict[1] is not None else None
    if status in (DONE_ON_TIME, DONE_LATE, NOT_DONE):
        return status
    if said == monitoring.NOT_FULFILLED:
        return NOT_DONE
    if status == OVERDUE:
        return OVERDUE
    if said in (monitoring.IN_PROGRESS, monitoring.NOT_STARTED):
        return said
    return "not_due"


def _results(recommendations: list[Recommendation], rec_rows: list[dict[str, Any]],
             items: list[PlanItem], plan: list[dict[str, Any]], by_key: dict[str, Any],
             doc: Document, periods: list[dict[str, Any]], language: str,
             t: Translator) -> dict[str, Any]:
    """The note on the results of monitoring (appendix 7 of order No. 488, 000:L511-527): each
    recommendation with the status the reviews set (its verdict as recorded, with its day and
    evidence; a blank when none was recorded), the measures serving it with their forms of
    completion, deadlines and status; the count of recommendations per status; the periods
    with their reviews."""
    def day(value: date | None) -> str:
        return date_text(value, language) if value else ""

    measure = doc.related_stage("plan_measure")
    serving: dict[int, list[dict[str, Any]]] = {}
    for item, drafted in zip(items, plan, strict=True):
        if item.recommendation_id is None:
            continue
        st = by_key.get(f"{measure}:{item.id}")
        status = st.status if st is not None else ""
        done = day(st.done_on) if st is not None and st.done_on else ""
        serving.setdefault(item.recommendation_id, []).append({
            "no": drafted["no"], "measure": item.measure, "form": item.completion_form,
            "deadline": drafted["deadline"],
            "status": t(f"status.{status}") if status else texts.BLANK, "done_on": done})
    counts = dict.fromkeys(monitoring.STATUSES, 0)
    unrecorded = 0
    rows = []
    for rec, drafted in zip(recommendations, rec_rows, strict=True):
        recorded = rec.status_on is not None
        if recorded:
            counts[rec.status] = counts.get(rec.status, 0) + 1
        else:
            unrecorded += 1
        evidence = ", ".join(str(v) for v in (rec.evidence or {}).values() if v)
        rows.append({**drafted,
                     "status": t(f"document.recommendation.{rec.status}") if recorded
                     else texts.BLANK,
                     "status_on": day(rec.status_on) or texts.BLANK,
                     "evidence": evidence or "—",
                     "serving": serving.get(rec.id, [])})
    shown = [{"key": k, "name": t(f"document.recommendation.{k}"), "n": n}
             for k, n in counts.items()]
    shown.append({"key": "", "name": t("document.result.unrecorded"), "n": unrecorded})
    return {"recommendations": rows, "counts": shown, "total": len(rows),
            "periods": periods}
