"""The Concept's action plan (seed 004, L1246-3017): its items still open, read from
`workflow/definitions/concept_action_plan/items.toml`, and the one-off cases opened for the
bodies an operator names (`merzim case action-plan`). Each case is a case of the definition the list names
(`[plan] process`), its field (`[plan] field`) naming the item and its date (`[plan] date`) the
item's deadline, the last day of the plan's quarter; its stage, due then, comes from the
definition like any other. The list and the definition are data: nothing here names a stage,
an event or a state."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlmodel import Session

from workflow.core.errors import ConfigError, UsageError
from workflow.definitions import DEFINITIONS
from workflow.services.cases import duplicate_cases, open_case
from workflow.services.context import Context
from workflow.services.lookup import get_org
from workflow.storage.models import Case

ITEMS = DEFINITIONS / "concept_action_plan" / "items.toml"


@dataclass(frozen=True)
class Item:
    """One item of the plan: its key (the field's choice), its number in the plan, its line in
    004, its quarter as the plan gives it, its deadline, its form of completion, the bodies the
    plan names and its wording (kk, ru, en)."""

    key: str
    number: str
    line: str
    quarter: str
    deadline: date
    form: dict[str, str]
    responsible: str
    text: dict[str, str]


@dataclass(frozen=True)
class Plan:
    """The list: the definition its items open, the field and the date they fill, the items."""

    process: str
    field: str
    date: str
    items: tuple[Item, ...]

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key or item.number == key:
                return item
        raise UsageError(f"{self.field}: {key!r} is not one of "
                         f"{', '.join(i.key for i in self.items)}",
                         key="error.bad_choice", field=self.field, value=key,
                         known=", ".join(i.key for i in self.items))


def load_plan(path: Path = ITEMS) -> Plan:
    """The list of items, checked: every item complete, its deadline a date, each key once."""
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        head = doc["plan"]
        items = tuple(Item(key=str(i["key"]), number=str(i["number"]), line=str(i["line"]),
                           quarter=str(i["quarter"]), deadline=i["deadline"],
                           form=dict(i["form"]), responsible=str(i["responsible"]),
                           text=dict(i["text"]))
                      for i in doc["item"])
        plan = Plan(str(head["process"]), str(head["field"]), str(head["date"]), items)
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc
    keys = [i.key for i in items]
    if len(set(keys)) != len(keys) or not all(isinstance(i.deadline, date) for i in items):
        raise ConfigError(f"{path.name}: each item needs a key of its own and a deadline date")
    return plan


def open_items(s: Session, ctx: Context, codes: list[str], keys: list[str] | None = None,
               responsible: str | None = None) -> list[tuple[str, Case, Item, bool]]:
    """Open, for each body named and each item (those of `keys`, else every item), the item's
    case due by its deadline. A case of the same body and item still open (not withdrawn, not
    cancelled) is kept, not opened twice. Each: (body, case, item, whether it was opened now).
    One unit of work: an unknown body or item refuses the whole call."""
    plan = load_plan()
    items = [plan.item(k) for k in keys] if keys else list(plan.items)
    out: list[tuple[str, Case, Item, bool]] = []
    for code in codes:
        get_org(s, code)  # an unknown body is refused before anything is opened for it
        for item in items:
            fields = {plan.field: item.key}
            dates = {plan.date: item.deadline}
            kept = duplicate_cases(s, ctx, plan.process, code, fields=fields, dates=dates,
                                   reason=item.line)  # with a reason: the repeats, no refusal
            if kept:
                existing = s.get(Case, kept[0])
                assert existing is not None
                out.append((code, existing, item, False))
                continue
            case = open_case(s, ctx, plan.process, code, fields=fields, dates=dates,
                             responsible=responsible,
                             audit_extra={"action_plan_item": item.number,
                                          "source": item.line})
            out.append((code, case, item, True))
    return out
