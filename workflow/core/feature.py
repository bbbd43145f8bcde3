"""A feature's declaration, and the registry of the installed ones: what a feature package
(workflow/<feature>/, docs/architecture.md) offers the generic engine, in one place of its own
(`<feature>/feature.py`, `FEATURE`).

The generic engine never imports a feature: the composition roots (the command line, the web
application, the test suite) install the shipped declarations (workflow/installed.py) into
the registry below, which the engine reads. Each capability is a loader,
a function of the feature's own module that imports its own code when first asked, so a
command that never records a monitored case never imports the monitoring.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from typing import Any

Loader = Callable[[], Any]


def _resolve(target: str) -> Any:
    module, _, attribute = target.partition(":")
    found = importlib.import_module(module)
    return reduce(getattr, attribute.split("."), found) if attribute else found


def lazy(target: str) -> Loader:
    """A loader of `"package.module"` or `"package.module:name.attribute"`, imported when first
    asked (a command that never needs it never imports it)."""
    return lambda: _resolve(target)


def lazy_all(*targets: str) -> Loader:
    """A loader of several modules (a feature's page modules), as a tuple."""
    return lambda: tuple(_resolve(t) for t in targets)


@dataclass(frozen=True)
class Feature:
    """One feature. `table`: the definition table that switches it on (None: it reads no
    definition table). The loaders, each optional:

    * `table_model` → the model of its table (a `workflow.core.tables.Table`): it reads and
      checks the table when a definition file loads (with the definition and the file's name
      as the validation's context; a `spec(definition, source)` method, if it has one, gives
      what is kept in `Definition.features`) and is the table's part of the published schema;
    * `listener` → a `services.hooks.Listener`: its answers when a case is recorded, voided or
      re-planned;
    * `opener` → a `services.hooks.Opener`: it opens its definitions' cases itself;
    * `service` → its service module;
    * `demo` → `load(s, ctx, demo)`: its part of the demo (`merzim init --demo`), given the
      demo's file (`services/demo.toml`) as read, after the organisations and users; it returns
      what it loaded, added to the demo's summary (the planning's analyses: `analyses`);
    * `settings` → `from_config(table, folder)`, reading the config.toml table `settings_table`
      (a path in it relative to the config file's `folder`) into the feature's own settings
      type: `Settings.features[name]`, read as `settings.of(TheType)`;
    * `check` → `check(settings)`: what it verifies before `merzim serve` takes a request (an
      operator's file that drafting would refuse stops the start in one line; it returns
      what it found and left alone, for the log);
    * `remind` → `remind(s, ctx, settings, ns)`: the reminder worker's daily plan of its own;
    * `package_form` → the report forms' writer of the cross-platform package;
    * `cli` → its command module (`register(app)` defines its top-level `commands`,
      `extend(groups)` adds to the groups it `extends`, e.g. `org`);
    * `web` → its page modules (`web.py`, …): each declares its `PARTS` (web/kit/parts.py: its
      routers and the extension points of the shared pages it fills); the web application
      includes the routers, its `templates/` folder, and composes the parts.

    `builds_on`: the features whose modules it imports (a view built on another's rules sits
    above it in the import contracts, which `.ci/contracts.py` writes from the declarations).
    """

    name: str
    table: str | None = None
    table_model: Loader | None = None
    listener: Loader | None = None
    opener: Loader | None = None
    service: Loader | None = None
    demo: Loader | None = None
    settings_table: str | None = None
    settings: Loader | None = None
    check: Loader | None = None
    remind: Loader | None = None
    package_form: Loader | None = None
    web: Loader | None = None
    cli: Loader | None = None
    commands: tuple[str, ...] = ()
    extends: tuple[str, ...] = ()
    builds_on: tuple[str, ...] = ()


# -- the registry the engine reads (installed by the composition roots) --------------------

_INSTALLED: dict[str, Feature] = {}  # feature name -> declaration, in installation order


def install(features: Iterable[Feature]) -> None:
    """Install these declarations (replacing any installed before: idempotent)."""
    found = {f.name: f for f in features}
    tables = [f.table for f in found.values() if f.table]
    if len(tables) != len(set(tables)):
        raise ValueError(f"two features read one definition table: {sorted(tables)}")
    _INSTALLED.clear()
    _INSTALLED.update(found)


def installed() -> tuple[Feature, ...]:
    """The installed features, in installation order."""
    if not _INSTALLED:
        raise RuntimeError("no feature installed: a composition root calls "
                           "workflow.installed.install() first")
    return tuple(_INSTALLED.values())


def by_table() -> dict[str, Feature]:
    """The installed features that read a definition table, by that table."""
    return {f.table: f for f in installed() if f.table}


def tables_of(raw: dict) -> tuple[str, ...]:
    """The feature tables a parsed definition document carries, in installation order."""
    return tuple(table for table in by_table() if raw.get(table))


def feature(name: str) -> Feature | None:
    """The installed feature of this name (None: not installed)."""
    installed()
    return _INSTALLED.get(name)


def providing(capability: str) -> tuple[Feature, ...]:
    """The installed features that offer this capability (a `Feature` loader's name)."""
    return tuple(f for f in installed() if getattr(f, capability) is not None)
