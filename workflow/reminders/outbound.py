"""What a message leaving merzim may say of a case: the one description every e-mail and
Telegram message is built from (P-28).

A reminder, a digest, a deadline-moved notice, a mention notice and the Telegram bot's replies
name a case by its number, its procedure, its organisations, its period and its stages' names
and due dates, and link to its page. `OutboundCase` has no field for the person a case is
about (her name, her position, the typed fields that may name her), so no message builder can
put one into a message; and the text people typed into a case about a person (a comment, a
note) does not leave merzim either (`quote`): it may name her. Who reads the message does not
matter: a protected person never goes out by e-mail or Telegram, whoever the reader is.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from notifications.policy import StageItem
from notifications.render import case_url
from workflow.core import deadlines
from workflow.i18n import period_name
from workflow.storage.models import Case, Organisation, Stage

LANGUAGES = ("kk", "ru", "en")


@dataclass(frozen=True)
class OutboundCase:
    """A case as a message may name it: no person, ever (see the module)."""

    id: int
    process: str
    process_names: dict[str, str]  # the procedure's name in kk, ru, en
    internal_analysis: bool  # a planned internal analysis: messages call it "analysis #N"
    subject_code: str
    subject_name: str
    subject_path: str
    object_code: str  # "" without an object organisation
    responsible_id: int | None
    period: str | None  # a recurring obligation's period ("2026Q4")
    about_person: bool  # its definition has a person party: no typed text of it goes out
    subject_names: dict[str, str] = field(default_factory=dict)  # kk, ru, en
    object_names: dict[str, str] = field(default_factory=dict)

    def period_names(self) -> dict[str, str]:
        """Its period by name in kk, ru, en ("2026 ж. 4-тоқсан", …; none without a period)."""
        return dict(_period_names(self.period)) if self.period else {}

    def quote(self, text: str) -> str | None:
        """Text people typed into the case (a comment) as a message may quote it: None for a
        case about a person (it may name her); the message says where to read it instead."""
        return None if self.about_person else text

    def url(self, base_url: str) -> str:
        """The case's page under [web] public_url ("" without one: no link)."""
        return case_url(base_url, self.id)

    def process_name(self, language: str) -> str:
        return (self.process_names.get(language) or self.process_names.get("en")
                or self.process)

    def subject_in(self, language: str) -> str:
        return self.subject_names.get(language) or self.subject_name


@functools.lru_cache(maxsize=256)
def _period_names(period: str) -> tuple[tuple[str, str], ...]:
    """A period's name in each language, once a process (a planner names thousands)."""
    return tuple((lang, period_name(period, lang)) for lang in LANGUAGES)


def org_names(org: Organisation) -> dict[str, str]:
    """An organisation's name in kk, ru and en (English where a language has none)."""
    return {"en": org.name, "kk": org.name_kk or org.name, "ru": org.name_ru or org.name}


def _definition(ctx: Any, process: str) -> Any:
    loaded = ctx.registry.loaded.get(process)
    return loaded.definition if loaded else None


def describe(ctx: Any, case: Case, subject: Organisation,
             obj: Organisation | None) -> OutboundCase:
    """The outbound description of `case` (of `subject`, about `obj`), from the rows the
    caller already read (a planner reading thousands passes them in)."""
    defn = _definition(ctx, case.process)
    return OutboundCase(
        id=case.id, process=case.process,
        process_names={lang: defn.name(lang) for lang in LANGUAGES} if defn else {},
        internal_analysis=bool(defn and defn.span is not None),
        subject_code=subject.code, subject_name=subject.name, subject_path=subject.path,
        object_code=obj.code if obj else "", responsible_id=case.responsible_id,
        period=case.period,
        # a definition unknown here (a file removed): as if about a person, the safe side
        about_person=defn is None or defn.parties.person != "none",
        subject_names=org_names(subject), object_names=org_names(obj) if obj else {})


def outbound_case(s: Session, ctx: Any, case: Case) -> OutboundCase:
    """The outbound description of one case, its organisations read here."""
    subject = s.get(Organisation, case.subject_id)
    if subject is None:  # (never: a case's subject is a foreign key)
        raise LookupError(f"case {case.id}: no subject organisation")
    obj = s.get(Organisation, case.object_id) if case.object_id is not None else None
    return describe(ctx, case, subject, obj)


def stage_names(ctx: Any, process: str, key: str) -> dict[str, str]:
    """A stage's name in kk, ru and en (its key when the definition is unknown)."""
    defn = _definition(ctx, process)
    return {lang: defn.stage_name(key, lang) if defn else key for lang in LANGUAGES}


def stage_item(ctx: Any, case: OutboundCase, stage: Stage, opened_late: date | None = None
               ) -> StageItem:
    """An open stage with a due date as the reminder policy and the digest take it
    (`opened_late`: the day its case was opened, when after the due date)."""
    defn = _definition(ctx, case.process)
    spec = defn.stage_spec(stage.key) if defn else None
    assert stage.due_date is not None  # (the planner reads stages with a due date)
    return StageItem(
        analysis_id=case.id, stage_key=stage.key,
        stage_names=stage_names(ctx, case.process, stage.key), due=stage.due_date,
        subject_code=case.subject_code, subject_name=case.subject_name,
        object_code=case.object_code, subject_path=case.subject_path,
        subject_names=case.subject_names, object_names=case.object_names,
        responsible_id=case.responsible_id, projected=stage.projected,
        before=spec.remind_before if spec else None, process=case.process,
        process_names=case.process_names, period=case.period,
        period_names=case.period_names(), internal_analysis=case.internal_analysis,
        due_basis=(deadlines.due_basis(defn, ctx.calendar, stage.key, case.period,
                                       stage.due_date) if defn else ""),
        opened_late=opened_late)


def moved_line(ctx: Any, case: OutboundCase, stage_key: str, old: Any, new: Any
               ) -> dict[str, Any]:
    """One line of a deadline-moved notice (`notifications.render.render_moved`)."""
    return {"stage": stage_key, "subject": case.subject_name, "object": case.object_code,
            "subject_names": case.subject_names, "object_names": case.object_names,
            "analysis": case.id, "old": old, "new": new,
            "stage_names": stage_names(ctx, case.process, stage_key),
            "internal_analysis": case.internal_analysis, "period": case.period,
            "period_names": case.period_names()}
