"""The context every use case runs in: calendar, definition, today, actor and language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from calendars import KazakhstanCalendar
from workflow.core.definition import Definition


@dataclass
class Context:
    """What a use case needs besides the session."""

    calendar: KazakhstanCalendar
    definition: Definition
    today: date
    actor: str = "cli"
    language: str = "en"

