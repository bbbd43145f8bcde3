"""The registry of process definitions: the TOML files shipped here, read and validated."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from workflow.core.definition import Definition, parse_definition
from workflow.core.errors import ConfigError

DEFINITIONS = Path(__file__).parent


def load_definition(name: str = "internal_risk_analysis", overrides: dict[str, Any] | None = None,
                    path: Path | None = None) -> Definition:
    """Load workflow/definitions/NAME.toml (or PATH), applying config interpretations."""
    path = path or DEFINITIONS / f"{name}.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"process definition {path.name} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    return parse_definition(doc, path.name, overrides)
