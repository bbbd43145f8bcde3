"""The shapes of the API's answers: pydantic models made from the view dataclasses
(workflow/services/views.py and the features' views), so that /openapi.json names every
property an /api/v1 operation answers with.

A shape is a route's `response_model`: FastAPI checks the route's answer against it and writes
it out through it. The answer stays the JSON the views' `as_dict()` has always given:

* the keys in the dataclass's order, the fields the JSON leaves out (`leave_out`: the pages'
  labelled values) absent from the shape;
* a key a view leaves out (`optional`: a case's `person` when its process has none, the
  internal analysis's planned dates, the history) stays out — a shape writes only the keys it
  was given and never adds one as null; a person hidden from the reader stays null;
* a key the shape does not know is refused (`additionalProperties: false`), so that a view
  that grows a field without its shape fails the tests instead of losing it silently.

Values that are data rather than views (a case's fields, a stage's evidence, the planning
warnings) stay mappings of any value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Generic, TypeVar, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict, Field, create_model, model_serializer

from workflow.services import views
from workflow.services.links import Linked


class Shape(BaseModel):
    """An answer of the API: only the keys it was given, none it does not name."""

    model_config = ConfigDict(extra="forbid")

    # no return annotation: the document describes the model's own properties
    @model_serializer(mode="wrap")
    def _given_keys(self, handler: Any):
        out = handler(self)
        return {k: v for k, v in out.items() if k in self.model_fields_set}


_SHAPES: dict[type, type[Shape]] = {}


def shape_of(view: type, *, name: str | None = None, leave_out: tuple[str, ...] = (),
             optional: tuple[str, ...] = (), extra: dict[str, Any] | None = None
             ) -> type[Shape]:
    """The shape of a view dataclass's JSON: its fields in order but `leave_out`, `optional`
    ones possibly absent, then `extra` keys an adapter adds (name → type, absent allowed);
    nested views by their own shapes (registered with `shape_of` first, else made here)."""
    hints = get_type_hints(view)
    spec: dict[str, Any] = {}
    for f in dataclasses.fields(view):
        if f.name in leave_out:
            continue
        tp = _mapped(hints[f.name])
        spec[f.name] = (tp, None) if f.name in optional else (tp, ...)
    for key, tp in (extra or {}).items():
        spec[key] = (tp, None)
    shape = create_model(name or view.__name__, __base__=Shape,
                         __doc__=(view.__doc__ or "").strip() or None, **spec)
    _SHAPES.setdefault(view, shape)
    return shape


def _mapped(tp: Any) -> Any:
    """A field's type with every view dataclass in it replaced by its shape."""
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        return _SHAPES.get(tp) or shape_of(tp)
    origin, args = get_origin(tp), get_args(tp)
    if not args:
        return tp
    mapped = tuple(_mapped(a) for a in args)
    if origin in (Union, types.UnionType):
        return typing.Union[mapped]  # noqa: UP007 (a tuple of types, built at run time)
    if origin is tuple:
        return tuple.__class_getitem__(mapped)
    if origin is list:
        return list[mapped[0]]  # type: ignore[valid-type]
    if origin is dict:
        return dict[mapped[0], mapped[1]]  # type: ignore[valid-type]
    return tp


T = TypeVar("T")


class PageOf(BaseModel, Generic[T]):
    """One page of a list: its items, how many there are in all, the page's limit and offset
    (read from the kit's `Page` too)."""

    model_config = ConfigDict(from_attributes=True)

    items: list[T]
    total: int
    limit: int
    offset: int


class CursorPageOf(PageOf[T], Generic[T]):
    """A page of a list by number that also pages by a keyset cursor: `after` (the number the
    page starts above, 0 without one) and `next`, the address of the page after it."""

    after: int = Field(description="The page holds the items numbered above this one "
                                   "(`?after=`; 0: from the first), `offset` of them skipped.")
    next: str | None = Field(description="The address of the next page: the same filters and "
                                         "limit with `after` the last number of this page "
                                         "(no offset: a page far into the list costs as "
                                         "much as the first). None on the last page.")


def page_of(item: type[BaseModel]) -> type[PageOf[Any]]:
    """The page of a list of `item`s (one model per item shape: PageOf[CaseRow]...)."""
    return PageOf[item]  # type: ignore[valid-type]  # (a model made at run time)


def cursor_page_of(item: type[BaseModel]) -> type[CursorPageOf[Any]]:
    """`page_of` for a list paged by a keyset cursor too (`CursorPageOf`)."""
    return CursorPageOf[item]  # type: ignore[valid-type]  # (a model made at run time)


# -- one case --------------------------------------------------------------------------------

CaseStage = shape_of(views.CaseStage, leave_out=("values",))
CaseRecord = shape_of(views.CaseRecord, leave_out=("values",))
LinkedCase = shape_of(Linked, name="LinkedCase")
Case = shape_of(
    views.CaseView, name="Case",
    leave_out=("has_person", "has_planning", "field_values"),
    optional=("person", "planned_start", "planned_end", "actual_start", "actual_end",
              "history"),
    extra={"links": _mapped(list[Linked])})

# -- lists -----------------------------------------------------------------------------------

CaseRow = shape_of(views.CaseRow)
StageRow = shape_of(views.StageRow)
# an overdue stage's JSON counts the working days overdue instead of those left, last
OverdueRow = shape_of(views.OverdueRow, leave_out=("working_days_left",),
                      extra={"working_days_overdue": int})


class Organisation(Shape):
    """An organisation the caller may see, with its names and its parent's code."""

    code: str
    name: str
    name_kk: str | None
    name_ru: str | None
    kind: str
    parent: str | None


class Process(Shape):
    """A process definition: its key, version, names and whether its cases recur."""

    key: str
    version: int
    names: dict[str, str]
    recurring: bool


class ProcessDescription(Shape):
    """A definition in words, as `merzim process show --json` prints it."""

    key: str
    version: int
    names: dict[str, str]
    name: str
    parties: dict[str, Any]
    fields: list[dict[str, Any]]
    dates: list[dict[str, Any]]
    states: list[dict[str, Any]]
    events: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    recurrence: dict[str, Any] | None
    timers: list[dict[str, Any]]
    interpretations: dict[str, Any]
    drafts: list[dict[str, Any]]
    public: dict[str, Any] | None = Field(description="What the public page shows of the "
                                          "process's cases (null: nothing).")
