"""The forms' texts and layout: `layouts.toml` beside this module, read once and checked
(rules.parse_layouts). A folder of its own: the registry never takes it for a definition."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

from workflow.core.errors import ConfigError
from workflow.forms.rules import Layouts, parse_layouts

LAYOUTS = Path(__file__).parent / "layouts.toml"


def read_toml(path: Path) -> dict:
    """One of the forms' TOML files, or a ConfigError naming it."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None


@cache
def layouts(path: Path = LAYOUTS) -> Layouts:
    """The layouts of appendices 1-6 (read once per process)."""
    return parse_layouts(read_toml(path), path.name)
