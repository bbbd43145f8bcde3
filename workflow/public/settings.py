"""The public pages' settings, config.toml [public] (docs/operator-guide.md): read with the
settings at every start, so nothing heavier than the standard library is imported here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from workflow.core.errors import ConfigError

FRAME_SOURCE = re.compile(r"^(\*|'self'|'none'|https?://[A-Za-z0-9.*-]+(:\d{1,5})?)$")


@dataclass(frozen=True)
class PublicSettings:
    """config.toml [public]: the organisations' public pages (docs/operator-guide.md)."""

    organisations: tuple[str, ...] = ()  # codes switched on unless an admin switched one off
    cache_seconds: int = 60  # a page, feed or fragment is built at most once per this time
    requests_per_minute: int = 60  # per client address; more is answered 429 (0: no limit)
    frame_ancestors: tuple[str, ...] = ("*",)  # who may frame the embeddable fragment

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None, folder: object = None) -> PublicSettings:
        """The organisations whose public page is on, the cache's lifetime, the rate limit per
        client address and the sites that may frame the embeddable fragment, checked (`folder`,
        the config file's: no path here)."""
        defaults = {"organisations": [], "cache_seconds": 60, "requests_per_minute": 60,
                    "frame_ancestors": ["*"]}
        raw = {**defaults, **(raw or {})}
        unknown = set(raw) - set(defaults)
        if unknown:
            raise ConfigError(f"public: unknown setting {', '.join(sorted(unknown))}")
        orgs = raw.get("organisations")
        if not isinstance(orgs, list) or not all(isinstance(c, str) and c.strip() for c in orgs):
            raise ConfigError(f"public.organisations: {orgs!r} must be a list of organisation "
                              "codes")
        numbers = {}
        for key, top in (("cache_seconds", 86_400), ("requests_per_minute", 100_000)):
            value = raw.get(key)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
                raise ConfigError(f"public.{key}: {value!r} is not a whole number from 0 to {top}")
            numbers[key] = value
        frames = raw.get("frame_ancestors")
        if (not isinstance(frames, list)
                or not all(isinstance(f, str) and FRAME_SOURCE.match(f) for f in frames)):
            raise ConfigError(f"public.frame_ancestors: {frames!r} must be a list of sites "
                              "(\"https://example.kz\"), \"*\" or \"'none'\"")
        return cls(organisations=tuple(dict.fromkeys(c.strip() for c in orgs)),
                   frame_ancestors=tuple(frames) or ("'none'",), **numbers)
