"""Opening a case from the generic forms (`merzim case open`, the web's, the API's, a register's
import, the demo): a feature that plans the cases of a definition itself (the planning feature
plans an analysis: its programme of the year, the duplicate and external-analysis rules, the
warnings; `services.hooks.opener`) opens it its way; any other case opens as `open_case` opens
it, a duplicate confirmed with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

from sqlmodel import Session

from workflow.core.definition import Definition
from workflow.core.errors import KeyList, RuleViolation, UsageError
from workflow.services import hooks, visibility
from workflow.services.case_opening import POSSIBLE_REPEAT, repeats
from workflow.services.cases import open_case
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage.models import Case, Organisation, User


@dataclass
class Planned:
    """A planned analysis: its case (the ORM row when planned one at a time; from a bulk
    import, the stored columns as attributes — read the row with a session to change it), the
    warnings, and the row of an imported file."""

    analysis: Case | SimpleNamespace
    warnings: list[dict[str, Any]] = field(default_factory=list)
    row: int | None = None  # the row of an imported file


def refuse_other_kinds(s: Session, defn: Definition, subject_code: str,
                       switched_on: tuple[str, ...] = ()) -> None:
    """A definition that declares the kinds of organisation it applies to (`[process]
    applies_to`: an ISO 37001 certificate, the enterprise policy's cases are a quasi-state
    entity's) is opened for no other: refused before anything is written, in the reader's
    language; an organisation the operator switched the process on for (`switched_on`, config.toml
    `[processes.organisations]`, P-21) opens it whatever its kind."""
    if not defn.applies_to:
        return
    org = get_org(s, subject_code)
    if defn.opens_for(org.kind) or org.code in switched_on:
        return
    error = RuleViolation(f"{defn.key} does not apply to an organisation of kind {org.kind}",
                          key="rule.obligation_not_for_kind", process=defn.key, kind=org.kind,
                          kinds=", ".join(defn.applies_to))
    error.labels.update(process=dict(defn.names), kind=f"org_kind.{org.kind}",
                        kinds=KeyList(error.params["kinds"], {
                            k: f"org_kind.{k}" for k in defn.applies_to}))
    raise error


def opened_by(user: User, subject: Organisation, responsible: str | None = None) -> str | None:
    """Who answers for a case `user` opens for `subject` (one she sees), the open-a-case form's
    and the API's one question: refused (`rule.cannot_record`, nothing stored) unless she
    opens cases for it (services/visibility.py `records_for`: its officers, administrators);
    else the login of `responsible` when named, else hers when she answers for what she opens
    (an officer: `answers_for_opened`), else nobody."""
    if not visibility.records_for(user, subject.id):
        raise RuleViolation("not allowed to record", key="rule.cannot_record", role=user.role)
    return responsible or (user.login if visibility.answers_for_opened(user) else None)


def open_checked(s: Session, ctx: Context, process: str, subject_code: str,
                 object_code: str | None = None, person: str | None = None,
                 position: str | None = None, fields: dict[str, str] | None = None,
                 dates: dict[str, date] | None = None, responsible: str | None = None,
                 duplicate_reason: str | None = None, period: str | None = None) -> Planned:
    """Open a case from the generic forms: a feature's opener when the definition switches one
    on and it takes the case; else as `open_case` opens it. With a `period` ("2026Q2"), the
    case of a recurring obligation for that period, as `obligations sync` opens it
    (`obligations.open_period`: its dates come from the period, so none are given with it); the
    existing one when the period's case is open already (a warning says so)."""
    defn = ctx.registry.get(process)
    if period is not None:
        if object_code or person or position or fields or dates or duplicate_reason:
            raise UsageError("a period's case is opened with its period alone",
                             key="error.period_alone", period=period)
        from workflow.services import obligations  # (its bulk writer: when a period is given)

        case, new = obligations.open_period(s, ctx, process, subject_code, period, responsible)
        return Planned(case, [] if new else [{"code": "period_case_exists", "id": case.id,
                                              "period": case.period}])
    refuse_other_kinds(s, defn, subject_code, tuple(ctx.process_orgs.get(process, ())))
    dates = dict(dates or {})
    opener = hooks.opener(defn)
    if opener is not None:
        planned = opener(s, ctx, defn, subject_code, object_code, person, position, fields,
                         dates, responsible, duplicate_reason)
        if planned is not None:
            return planned
    # a second case of the same process, subject, person and dates: confirmed with a
    # reason, as a second analysis of the same period is; one whose person the caller may
    # not see is never named to her: the case opens as on a miss, its audit record names the
    # repeated ones, whose pages show it to those who see their person (`repeats`)
    found = repeats(s, ctx, process, subject_code, object_code, person, position,
                    fields, dates, duplicate_reason)
    same = found.shown
    extra: dict[str, Any] = ({"duplicate_of": same, "duplicate_reason": duplicate_reason}
                             if same else {})
    if found.hidden:
        extra[POSSIBLE_REPEAT] = found.hidden
    # a second of a fact stands beside the first by its reason (B-23, services/facts.py); a
    # repeat of one the caller may not see, by the ids it repeats (never refused: no oracle)
    second = (duplicate_reason if same
              else f"{POSSIBLE_REPEAT} {found.hidden}" if found.hidden else None)
    return Planned(open_case(s, ctx, process, subject_code, object_code, person, position,
                             fields, dates, responsible=responsible,
                             audit_extra=extra or None, fact_reason=second),
                   [{"code": "duplicate_case_confirmed", "duplicate_of": same,
                     "reason": duplicate_reason}] if same else [])
