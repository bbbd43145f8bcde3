"""Work in bulk: a selection of stages or cases from a list ("My work",
"Overdue", "Cases", the obligations), then one action on all of them — record the event that
completes each stage (or one event on each case) with the same date, evidence and confirming
document; hand the cases over to another officer; read the selection for an export.

All or nothing: every item is tried, each in a savepoint of the caller's transaction; when
any is refused, `BulkRefused` names every refused item with its reason and the caller's
transaction rolls back, so nothing is stored. Each item is audited as it would be alone
(`event.*`, `files.attach`, `analysis.assign`), and the bulk action once more with its items
(`bulk.record`, `bulk.assign`). A selection holds at most `MAX_ITEMS` items.

An item is a case ("12") or one of its stages ("12:publication", a period's stage
"12:report:2025Q4"): the lists' checkboxes carry these values, the API takes them as objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from workflow.core.errors import MerzimError, RuleViolation, UsageError
from workflow.core.names import name_in
from workflow.services.cases import assign_responsible, record_event, shown_status, stages_of
from workflow.services.context import Context
from workflow.services.files import Prepared, Upload, attach, discard, prepare, summary
from workflow.services.lookup import get_case
from workflow.services.processes import definition_of
from workflow.settings import FilesSettings
from workflow.storage import audit
from workflow.storage.filestore import FileStore
from workflow.storage.models import Case, EventRecord, Organisation, User

MAX_ITEMS = 200  # four pages of a list; more at once is a mistake more often than a wish

Guard = Callable[[Case], None]  # the adapter's "may this caller act on this case" (raises)


@dataclass(frozen=True)
class Item:
    """A selected case, or one of its stages."""

    case: int
    stage: str | None = None

    @property
    def value(self) -> str:
        return f"{self.case}:{self.stage}" if self.stage else str(self.case)


def parse_items(values: Iterable[str]) -> list[Item]:
    """The selection as the lists send it ("12", "12:stage"), in order, each once; refused
    when empty, malformed or longer than MAX_ITEMS."""
    items: dict[Item, None] = {}
    for raw in values:
        text = str(raw).strip()
        number, _, stage = text.partition(":")
        if not number.isdigit() or not 0 < int(number) < 2**63 or len(text) > 200:
            raise UsageError(f"not a case or stage: {text!r}", key="bulk.bad_item",
                             value=text[:64])
        items[Item(int(number), stage or None)] = None
    return checked(list(items))


def checked(items: list[Item]) -> list[Item]:
    if not items:
        raise UsageError("nothing selected", key="bulk.none_selected")
    if len(items) > MAX_ITEMS:
        raise UsageError(f"more than {MAX_ITEMS} items", key="bulk.too_many",
                         n=len(items), limit=MAX_ITEMS)
    return items


@dataclass
class Refusal:
    item: Item
    error: MerzimError


class BulkRefused(RuleViolation):
    """One or more items of a bulk action refused: nothing is stored; `refusals` names each."""

    def __init__(self, refusals: list[Refusal], total: int):
        super().__init__(f"{len(refusals)} of {total} items refused", key="bulk.refused",
                         n=len(refusals), total=total)
        self.refusals = refusals


class _Deferred:
    """The file store seen by `files.attach` while a bulk record runs: one document confirms
    every record, so its content goes to its address once, when all are written."""

    def commit(self, staged) -> None:
        return None


def _each(s: Session, items: list[Item], act: Callable[[Item], Any]) -> list[Any]:
    """`act` on every item in a savepoint of its own; every refusal collected, then raised.
    The transaction begins first (on SQLite, a savepoint opened outside one would begin it,
    and its release would commit the item): the audit's lock, as `obligations.sync` takes."""
    audit.serialise(s)
    done, refusals = [], []
    for item in items:
        try:
            with s.begin_nested():
                done.append(act(item))
        except MerzimError as exc:
            refusals.append(Refusal(item, exc))
    if refusals:
        raise BulkRefused(refusals, len(items))
    return done


def _event_of(defn, item: Item, event: str | None) -> str:
    """The event an item is recorded with: the one that completes its stage, else the one
    chosen for the cases."""
    if item.stage:
        stage_key = item.stage.split(":", 1)[0]
        spec = defn.event_for_stage(stage_key)
        if stage_key not in defn.stages or spec is None:
            raise RuleViolation(f"no event records stage {item.stage}", key="bulk.no_event",
                                stage=stage_key)
        if event and spec.key != event:
            raise RuleViolation(f"{event} does not record {stage_key}", key="bulk.other_event",
                                stage=stage_key, event=event)
        return spec.key
    if not event:  # (record_all refuses case items without one before any is tried)
        raise UsageError("no event chosen for the cases", key="bulk.event_required")
    return event


def record_all(s: Session, ctx: Context, items: list[Item], on: date,
               evidence: dict[str, Any] | None, event: str | None = None,
               guard: Guard | None = None, store: FileStore | None = None,
               limits: FilesSettings | None = None,
               uploads: Iterable[Upload] = ()) -> list[EventRecord]:
    """Record on every item the event that completes its stage (a case item: `event`), on
    `on`, with the same evidence and, when given, the same confirming document attached to
    each record. All or nothing (`BulkRefused`); in the caller's transaction."""
    checked(items)
    if not event and any(not i.stage for i in items):  # a case item (an empty stage is none)
        raise UsageError("no event chosen for the cases", key="bulk.event_required")
    uploads = list(uploads)
    prepared: list[Prepared] = prepare(store, limits, uploads) if uploads and store and limits \
        else []
    extra = {"bulk": len(items), **({"files": [summary(p) for p in prepared]} if prepared else {})}

    def act(item: Item) -> EventRecord:
        case = get_case(s, item.case)
        if guard is not None:
            guard(case)
        defn = definition_of(s, ctx, case)
        try:
            key = _event_of(defn, item, event)
        except MerzimError as exc:
            raise defn.name_keys(exc) from None
        record = record_event(s, ctx, case.id, key, on, evidence, audit_extra=extra)
        if prepared:
            attach(s, ctx, _Deferred(), case, record.id, prepared)  # type: ignore[arg-type]
        return record

    try:
        records = _each(s, items, act)
        audit.append(s, ctx.actor, "bulk.record", "case", "*",
                     {"items": [i.value for i in items], "on": on, "event": event,
                      "records": [r.id for r in records],
                      **({"files": extra["files"]} if prepared else {})})
        for p in prepared:  # every row written: the document goes to its address, once
            store.commit(p.staged)  # type: ignore[union-attr]
    except BaseException:
        if store is not None:
            discard(store, prepared)
        raise
    return records


def assign_all(s: Session, ctx: Context, items: list[Item], login: str,
               guard: Guard | None = None, by: User | None = None) -> list[Case]:
    """Hand the case of every item over to the officer `login` (each case once, in the order
    selected), each as `assign_responsible` would alone (`by`: who hands them over, asked of
    each case: P-26). All or nothing (`BulkRefused`); in the caller's transaction."""
    checked(items)
    cases = list(dict.fromkeys(Item(i.case) for i in items))

    def act(item: Item) -> Case:
        case = get_case(s, item.case)
        if guard is not None:
            guard(case)
        return assign_responsible(s, ctx, item.case, login, by=by)

    done = _each(s, cases, act)
    audit.append(s, ctx.actor, "bulk.assign", "case", "*",
                 {"cases": [c.id for c in done], "to": login})
    return done


def selection_rows(s: Session, ctx: Context, items: list[Item],
                   guard: Guard | None = None) -> list[dict[str, Any]]:
    """The selected items as an export's rows: procedure, case, organisation, object, stage,
    due date, the stage's status (its key) or the case's state (its name), responsible
    officer. A hidden or unknown item refuses the export."""
    checked(items)
    lang = ctx.language

    def act(item: Item) -> dict[str, Any]:
        case = get_case(s, item.case)
        if guard is not None:
            guard(case)
        defn = definition_of(s, ctx, case)
        subject = s.get_one(Organisation, case.subject_id)
        obj = s.get(Organisation, case.object_id) if case.object_id else None
        owner = s.get(User, case.responsible_id) if case.responsible_id else None
        row: dict[str, Any] = {"procedure": defn.name(lang), "case": case.id,
               "organisation": name_in(_names(subject), lang, subject.name),
               "object": name_in(_names(obj), lang, obj.name) if obj else "",
               "stage": "", "due": None, "stage_status": None,
               "state": name_in(defn.states[case.state], lang, case.state)
               if case.state in defn.states else case.state,
               "responsible": owner.full_name if owner else ""}
        if item.stage:
            stage = stages_of(s, case).get(item.stage)
            if stage is None:
                raise RuleViolation(f"case {case.id} has no stage {item.stage}",
                                    key="bulk.no_stage", id=case.id, stage=item.stage)
            row.update(stage=defn.stage_name(item.stage.split(":", 1)[0], lang),
                       due=stage.due_date,
                       stage_status=shown_status(stage, ctx.today))
        return row

    return _each(s, items, act)


def _names(org: Organisation) -> dict[str, str]:
    return {k: v for k, v in (("en", org.name), ("kk", org.name_kk), ("ru", org.name_ru)) if v}


def selection_table(rows: list[dict[str, Any]], t: Callable[..., str]
                    ) -> tuple[list[str], list[list[Any]]]:
    """The selection export's columns and cells (`selection_rows`) in the reader's language:
    the web's download and `merzim bulk export` write the same table."""
    header = [t("list.col_procedure"), t("list.col_case"), t("list.col_organisation"),
              t("list.col_object"), t("stage.col_stage"), t("stage.col_due"),
              t("stage.col_status"), t("list.col_responsible")]
    body = [[r["procedure"], r["case"], r["organisation"], r["object"], r["stage"], r["due"],
             t(f"status.{r['stage_status']}") if r["stage_status"] else r["state"],
             r["responsible"]] for r in rows]
    return header, body
