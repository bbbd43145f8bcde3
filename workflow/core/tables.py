"""The building blocks of the definition format's table models (pydantic): the base of every
table (closed, frozen), a key, a list of keys (a single key is a list of one), the names in
kk, ru and en, a whole number or the name of an interpretation holding one, and the refusal
of a table that does not fit, naming the file, the table, the key and the reason.

Each table of the format is one model (workflow/core/definition.py, register_spec.py,
case_links.py and each feature's own, carried by its declaration): the model reads the table
and is what `merzim process schema` publishes (workflow/definitions/schema.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from workflow.core.errors import ConfigError, DefinitionError

if TYPE_CHECKING:
    from workflow.core.definition import Definition

T = TypeVar("T")

LANGUAGES = ("kk", "ru", "en")


class Table(BaseModel):
    """A table of the format: a key it does not know is refused; read once, never changed."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


Key = Annotated[str, StringConstraints(min_length=1)]
Text = Annotated[str, StringConstraints(pattern=r"\S")]
Bool = StrictBool


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def listing(item: Any, min_length: int = 0) -> BeforeValidator:
    """Reads a single `item` as a list of one; the schema says "an item or a list of them"."""
    many = Annotated[list[item], Field(min_length=min_length)] if min_length else list[item]
    return BeforeValidator(_listed, json_schema_input_type=item | many)


# A list of keys (a single key is a list of one); at least one: SomeKeys.
Keys = Annotated[tuple[Key, ...], listing(Key)]
SomeKeys = Annotated[tuple[Key, ...], Field(min_length=1), listing(Key, 1)]
# A whole number within bounds, or the name of an interpretation holding one.
Whole = Annotated[StrictInt, Field(ge=0)] | Key
Positive = Annotated[StrictInt, Field(ge=1)] | Key


class Names(Table):
    """A name in the three languages (the Kazakh one from the sources)."""

    kk: Text
    ru: Text
    en: Text

    def as_dict(self) -> dict[str, str]:
        return {lang: getattr(self, lang) for lang in LANGUAGES}


RootT = TypeVar("RootT")


class CheckedRoot(RootModel[RootT], Generic[RootT]):
    """A feature's table of tables (`[papers]`, `[drafts]`), checked once read against the
    definition it is part of: `spec` given the reading's context, the definition and its
    file's name (`source`)."""

    model_config = {"frozen": True}

    @model_validator(mode="after")
    def _check(self, info: ValidationInfo) -> CheckedRoot[RootT]:
        self.spec((info.context or {})["definition"], (info.context or {})["source"])
        return self

    def spec(self, definition: Definition, source: str = "") -> Any:
        """What the table declares, refused where it does not fit the definition."""
        raise NotImplementedError


# -- refusals ------------------------------------------------------------------------------

# How a pydantic error type reads: the English text, and the catalogue's reason
# (definition.reason.NAME) that says it in the reader's language.
REASONS = {
    "missing": ("is missing", "missing"),
    "extra_forbidden": ("unknown key", "extra_forbidden"),
    "literal_error": ("must be one of", "literal_error"),
    "enum": ("must be one of", "literal_error"),
    "int_type": ("must be a whole number", "int_type"),
    "int_from_float": ("must be a whole number", "int_type"),
    "int_parsing": ("must be a whole number", "int_type"),
    "greater_than_equal": ("must be a whole number >=", "greater_than_equal"),
    "less_than_equal": ("must be a whole number <=", "less_than_equal"),
    "bool_type": ("must be true or false", "bool_type"),
    "string_type": ("must be a text", "string_type"),
    "string_too_short": ("must not be empty", "too_short"),
    "too_short": ("must not be empty", "too_short"),
    "string_pattern_mismatch": ("must match", "string_pattern_mismatch"),
    "list_type": ("must be a list", "list_type"),
    "tuple_type": ("must be a list", "list_type"),
    "dict_type": ("must be a table", "dict_type"),
    "model_type": ("must be a table", "dict_type"),
    "model_attributes_type": ("must be a table", "dict_type"),
}


def _path(doc: Any, loc: Sequence[Any]) -> list[Any]:
    """The part of an error's location that is the document's (pydantic adds the members of
    a union it tried: 'int', 'str', 'function-before[…]')."""
    out: list[Any] = []
    node = doc
    for part in loc:
        if isinstance(node, Mapping) and isinstance(part, str):
            out.append(part)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            out.append(part)
            node = node[part] if part < len(node) else None
        elif node is None and isinstance(part, str) and part.isidentifier():
            out.append(part)  # a key that is missing
            break
    return out


def _expected(error: Mapping[str, Any]) -> str:
    ctx = error.get("ctx") or {}
    for name in ("expected", "ge", "le", "pattern"):
        if name in ctx:
            return str(ctx[name]).replace("'", "").replace(" or ", ", ")
    if error["type"] == "value_error":
        return str(ctx.get("error", error["msg"]))
    return ""


def invalid(reason: str, english: str, **params: Any) -> PydanticCustomError:
    """A table's own rule broken (raised by a model's validator): refused like the rest, its
    reason the catalogue's `definition.reason.REASON` with these {params}."""
    return PydanticCustomError(f"{RULE}{reason}", english, params)


RULE = "definition.reason."  # the error type of a table's own rule (invalid)


def refusal(exc: ValidationError, doc: Any, source: str, table: str = "") -> ConfigError:
    """A table that does not fit its model, refused naming the file, the table, the key and
    the reason (in the reader's language: error.definition and definition.reason.*)."""
    error = exc.errors()[0]
    path = _path(doc, error["loc"])
    node = doc
    for part in path[:2]:  # an entry of an array of tables is named by its key too
        node = (node.get(part) if isinstance(node, Mapping) else node[part]
                if isinstance(node, list) else None)
    path = [*([table] if table else []), *path]
    name = str(path[0]) if path else ""
    if len(path) > 1 and isinstance(path[1], int):
        named = f" ({node['key']})" if isinstance(node, Mapping) and isinstance(
            node.get("key"), str) and not table else ""
        head, rest = f"{name}[{path[1]}]{named}", path[2:]
    else:
        head, rest = f"[{name}]", path[1:]
    where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in rest).replace(".[", "[")
    entry = " ".join(x for x in (head if head != f"[{name}]" else "", where) if x) or name
    params: dict[str, Any] = {}
    if error["type"].startswith(RULE):  # a table's own rule (invalid): its reason and values
        reason, label, expected, params = error["msg"], error["type"], "", dict(
            error.get("ctx") or {})
        text = reason
    else:
        reason, label = REASONS.get(error["type"], ("", ""))
        label = f"{RULE}{label}" if label else ""
        expected = _expected(error) or ("" if reason else error["msg"])
        given = error.get("input")
        shown = f"(not {given!r})" if isinstance(given, (str, int, float)) and error[
            "type"] not in ("missing", "value_error", "extra_forbidden") else ""
        text = " ".join(x for x in (reason, expected, shown) if x)
        expected = f" {expected}" if expected and reason else expected
    return DefinitionError(f"{source}: {head}{' ' + where if where else ''}: {text}",
                           file=source, table=name, entry=entry, reason=label,
                           english=reason, expected=expected, **params)


def read(model: type[T], raw: Any, source: str, table: str = "",
         context: dict[str, Any] | None = None) -> T:
    """A table read by its model, or refused (a ConfigError naming file, table and key)."""
    try:
        return model.model_validate(raw, context=context)  # type: ignore[attr-defined]
    except ValidationError as exc:
        raise refusal(exc, raw, source, table) from None
