"""Announcement drafts of a case: the text merzim writes for a stage whose
confirming record is a publication, from the case's facts, in the reader's language.

Which stage has a draft, its template, the record that confirms the publication and the
evidence field that keeps the published text are the definition's `[drafts]` (data); the
templates are the operator's or the shipped ones (`workflow.drafts.texts`). A draft is only
read: nothing here writes. The published text is stored by recording the draft's event with
the text in its `stored_as` evidence field (`cases.record_event`, audited like any record).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from calendars.rules import spell
from workflow.core.definition import Definition
from workflow.core.errors import KeyList, NotFound, UsageError
from workflow.core.links import links_of
from workflow.core.machine import MAX_DRAFT, field_problems  # noqa: F401 (the adapters' limit)
from workflow.core.names import name_in
from workflow.drafts import texts
from workflow.drafts.rules import Draft, drafts_of
from workflow.i18n import check_language
from workflow.services.cases import case_view
from workflow.services.context import Context
from workflow.services.lookup import get_case
from workflow.services.organisations import org_name
from workflow.services.processes import definition_of
from workflow.services.views import CaseRecord, CaseView
from workflow.storage.models import Case, Organisation, Recommendation, Risk, User


@dataclass(frozen=True)
class Asked:
    """A value the officer gives a draft before its record exists (the discussion's date)."""

    key: str
    name: str  # in the draft's language
    type: str  # the evidence type: text | date | ...
    value: str  # as given or recorded (a date as YYYY-MM-DD)


@dataclass(frozen=True)
class DraftText:
    """One stage's draft of one case in one language, and what its publication record keeps."""

    case_id: int
    stage: str
    stage_name: str
    language: str
    title: str  # the stage's name: the DOCX heading
    text: str  # written from the case now
    event: str  # the record that confirms the publication
    event_name: str
    stored_as: str  # the evidence field of that record that keeps the published text
    asks: tuple[Asked, ...]
    published: str | None  # the text kept with the standing record, once recorded
    published_on: date | None
    overridden: bool  # written from the operator's template (config.toml [drafts] templates)

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case_id, "stage": self.stage, "stage_name": self.stage_name,
                "language": self.language, "text": self.text, "event": self.event,
                "event_name": self.event_name, "stored_as": self.stored_as,
                "asks": {a.key: a.value for a in self.asks},
                "published": self.published,
                "published_on": self.published_on.isoformat() if self.published_on else None,
                "template": "operator" if self.overridden else "shipped"}


def draft_stages(defn: Definition) -> list[str]:
    """The stages of a definition that have a draft, in the definition's order."""
    return [key for key in defn.stages if key in drafts_of(defn)]


def draft_spec(defn: Definition, stage: str) -> Draft:
    """The draft of a stage, or the refusal naming the stages that have one."""
    spec = drafts_of(defn).get(stage)
    if spec is None:
        known = draft_stages(defn)
        exc = NotFound(f"stage {stage!r} has no draft", key="draft.none", stage=stage,
                       known=", ".join(known) or "-")
        # named as stages (an event may share a stage's key)
        if defn.stage_spec(stage) is not None:
            exc.labels["stage"] = defn.stage_spec(stage).names
        exc.labels["known"] = KeyList(exc.params["known"],
                                      {k: defn.stages[k].names for k in known})
        raise exc
    return spec


def write_draft(s: Session, ctx: Context, case_id: int | str, stage: str,
                language: str | None = None, values: dict[str, str] | None = None,
                templates: Path | None = None) -> DraftText:
    """The draft of `stage` for a case in `language` (the context's by default). `values`:
    what the draft asks for (its `asks`), else what its record carries; `templates`: the
    operator's folder. Refused: an unknown case, a stage without a draft, an unknown
    language, a value the draft does not ask for or that is not what its field takes."""
    case = get_case(s, case_id)
    defn = definition_of(s, ctx, case)
    spec = draft_spec(defn, stage)
    language = check_language(language, ctx.language)
    given = _given(defn, spec, values or {})
    view = case_view(s, dataclasses.replace(ctx, language=language), case)
    standing = view.standing()
    record = standing.get(spec.event)
    recorded = (record.evidence if record else None) or {}
    asked = {k: given.get(k) or recorded.get(k) or "" for k in spec.asks}
    facts = _facts(s, defn, case, view, standing, asked, language, ctx.today)
    stage_name = defn.stage_name(stage, language)
    event = defn.events[spec.event]
    return DraftText(
        case.id, stage, stage_name, language, stage_name,
        texts.render(spec.template, language, facts, templates),
        spec.event, name_in(event.names, language), spec.stored_as,
        tuple(Asked(k, _label(defn, k, language), defn.evidence[k].type, asked[k])
              for k in spec.asks),
        recorded.get(spec.stored_as), record.on if record else None,
        _overridden(spec.template, language, templates))


def draft_docx(draft: DraftText, text: str | None = None) -> bytes:
    """The draft (or the officer's edited `text` of it) as a Word document."""
    return texts.docx(draft.title, draft.text if text is None else text, draft.language)


# -- the facts a template is written from ------------------------------------------------------


def _given(defn: Definition, spec: Draft, values: dict[str, str]) -> dict[str, str]:
    """The values given for the draft, checked as its record would check them."""
    cleaned = {k: v.strip() for k, v in values.items() if v is not None and v.strip()}
    for key in cleaned:
        if key not in spec.asks:
            raise defn.name_keys(UsageError(f"the draft does not ask for {key!r}",
                                            key="draft.not_asked", field=key,
                                            known=", ".join(spec.asks) or "-"))
    problems = field_problems(defn, cleaned)
    if problems:
        raise defn.name_keys(problems[0])
    return cleaned


def _facts(s: Session, defn: Definition, case: Case, view: CaseView,
           standing: dict[str, CaseRecord], asked: dict[str, str], language: str,
           today: date) -> dict[str, Any]:
    """What a template may use (docs/operator-guide.md, "Announcement templates"): every date
    written as a reader of `language` writes it."""

    def day(value: date | None) -> str:
        return spell(value, language) if value else ""

    def evidence(values: dict[str, Any]) -> dict[str, str]:
        return {k: _spelled(defn, k, v, language) for k, v in values.items()
                if defn.evidence.get(k) is None or defn.evidence[k].type != "draft"}

    owner = s.get(User, case.responsible_id) if case.responsible_id else None
    subject = s.get(Organisation, case.subject_id)
    risks = s.exec(select(func.count()).select_from(Risk)
                   .where(Risk.analysis_id == case.id)).one()
    recommendations = s.exec(select(func.count()).select_from(Recommendation).join(Risk)
                             .where(Risk.analysis_id == case.id)).one()
    return {
        "language": language,
        "case_id": case.id,
        "process": view.process_name,
        "subject": view.subject_name,
        "object": view.object_name or "",
        "dates": {k: day(d.date) for k, d in view.dates.items()},
        "stages": {st.key: {"name": st.name, "due": day(st.due),
                            "done_on": day(st.done_on)} for st in view.stages},
        "records": {k: {**evidence(r.evidence or {}), "date": day(r.on),
                        "links": _links(defn, r.evidence or {}, language)}
                    for k, r in standing.items()},
        "values": evidence(asked),
        "contact": {"name": owner.full_name if owner and owner.active else "",
                    "email": (owner.email or "") if owner and owner.active else "",
                    "organisation": org_name(subject, language)},
        "risks": risks,
        "recommendations": recommendations,
        "today": day(today),
    }


def _links(defn: Definition, evidence: dict[str, Any], language: str) -> list[dict[str, str]]:
    """A record's links (I-15) for a template: each {"url", "channel"} (the channel's name in
    the language; empty for a plain link)."""
    names = {c: n for spec in defn.evidence.values() if spec.type == "links"
             for c, n in spec.choice_names.items()}
    return [{"url": link.url,
             "channel": name_in(names[link.channel], language) if link.channel in names else ""}
            for link in links_of(defn, evidence)]


def _spelled(defn: Definition, key: str, value: Any, language: str) -> str:
    spec = defn.evidence.get(key)
    if spec is not None and spec.type == "date" and value:
        try:
            return spell(date.fromisoformat(str(value)), language)
        except ValueError:
            return str(value)
    return "" if value is None else str(value)


def _label(defn: Definition, key: str, language: str) -> str:
    return name_in(defn.evidence[key].names, language, key)


def _overridden(template: str, language: str, folder: Path | None) -> bool:
    found = texts.template_file(template, language, folder)
    return found is not None and folder is not None and found.parent.parent == folder
