"""A demo day's email digests in the outbox, for the tests that send them through a real local
SMTP server (tests/delivery/test_email_reuse.py, tests/delivery/test_outbox_connections.py).

The demo is loaded on 19 March 2025; the messages are the digests of Thursday 20 March 2025,
plus one for each extra manager of the Almaty region akimat.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from tests.support.smtp_server import write_config
from workflow import services as svc
from workflow.reminders import outbox
from workflow.reminders import planner as reminders
from workflow.settings import NotifySettings, load_notify_settings, load_settings
from workflow.storage.models import OutboxMessage

LOADED, WORKDAY = date(2025, 3, 19), date(2025, 3, 20)
SENDER = "merzim@example.kz"


def plan_digests(db: Any, make_ctx: Any, tmp_path: Path, port: int, extra: int,
                 outbox_settings: str) -> NotifySettings:
    """Settings for email to 127.0.0.1:`port` (no TLS; `outbox_settings`: the [outbox] lines),
    and the outbox holding the day's digests."""
    cfg = write_config(tmp_path / "merzim.toml", port, sender=SENDER,
                       extra=f"[outbox]\n{outbox_settings}")
    ns = load_notify_settings(load_settings(path=cfg, env={}), env={})
    demo_with_managers(db, make_ctx, extra)
    with Session(db) as s:
        reminders.plan_reminders(s, make_ctx(WORKDAY), ns)
        s.commit()
    return ns


def demo_with_managers(db: Any, make_ctx: Any, extra: int) -> None:
    """The demo, loaded on LOADED, plus `extra` managers of the Almaty region akimat (each
    gets a digest)."""
    from workflow.services.demo import load_demo

    ctx = make_ctx(LOADED)
    with Session(db) as s:
        load_demo(s, ctx)
        for i in range(extra):
            svc.add_user(s, ctx, f"manager{i}", f"Manager {i}", "manager", "AK-ALM",
                         f"manager{i}@example.kz", "en")
        s.commit()


def rows(engine: Any) -> list[OutboxMessage]:
    with Session(engine) as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")
                           .order_by(OutboxMessage.id)))  # type: ignore[arg-type]


def expected_ids(engine: Any) -> Counter[str]:
    return Counter(outbox.message_id(r, SENDER) for r in rows(engine))
