"""The implementation map of the cross-platform: the shipped `platform/implementation_map.toml`
or the operator's copy (`config.toml [package] map`), read and checked against the loaded
definitions (a subfolder: the registry does not take it for a process definition)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from workflow.core.errors import ConfigError
from workflow.definitions import Registry
from workflow.platform.rules import PlatformMap, parse_map
from workflow.settings import PathSettings


@dataclass(frozen=True)
class PackageSettings(PathSettings):
    """config.toml [package]: `map`, the operator's implementation map of the cross-platform
    (None: the shipped one, workflow/definitions/platform/)."""

    TABLE, KEY, DIRECTORY = "package", "map", False

    map: Path | None = None


SHIPPED_MAP = Path(__file__).parent / "implementation_map.toml"


def load_map(registry: Registry, path: Path | None = None) -> PlatformMap:
    """The map at `path` (None: the shipped one), checked against `registry`."""
    path = path or SHIPPED_MAP
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"package.map: {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"package.map: {path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_map(doc, path.name, {d.key: d for d in registry.all()})
