"""The worker: APScheduler is the clock for planning reminders, dispatching the outbox and
polling Telegram; the database is the store of record."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from notifications.email import EmailChannel
from notifications.telegram import TelegramChannel
from workflow.reminders import heartbeat, outbox
from workflow.reminders import planner as reminders
from workflow.reminders.planner import Context
from workflow.reminders.telegram_link import Answer, holder_name, poll_updates, release_lease
from workflow.settings import NotifySettings

log = logging.getLogger("merzim.worker")
# APScheduler logs two INFO lines for every run of every job (dispatch runs every few
# seconds); keep its warnings (missed runs) and errors, drop the chatter.
logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)


def build_channels(ns: NotifySettings) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    if "email" in ns.channels and ns.smtp is not None:
        channels["email"] = EmailChannel(ns.smtp)
    if "telegram" in ns.channels and ns.telegram is not None:
        channels["telegram"] = TelegramChannel(ns.telegram)
    return channels


@dataclass
class Worker:
    """One worker process: plan (once a day, idempotent), dispatch, poll."""

    engine: Engine
    ns: NotifySettings
    make_context: Callable[[date], Context]
    now: Callable[[], datetime]  # timezone-aware local now
    channels: dict[str, Any]
    pinned_day: bool = False  # MERZIM_TODAY set: treat the send time as reached
    stopping: threading.Event = field(default_factory=threading.Event)  # set on SIGTERM
    # Jobs run once a day (and at start) with today's date, given by the composition root
    # (the CLI): opening the recurring obligations' cases. Each returns how much it did.
    daily: tuple[Callable[[date], int], ...] = ()
    # The features' own reminders (coverage, B-14), planned with the digests (a working day, at
    # the send time), each in a transaction of its own and once a day per process (a failure
    # is tried again at the next planning): each writes its outbox rows and returns them.
    planners: tuple[Callable[[Session, Context], list], ...] = ()
    _planners_day: date | None = field(default=None, init=False)
    # a linked person's Telegram commands answered (/due, /overdue, /case N), given by the
    # composition root (the CLI's worker command); None: commands get no answer
    answer: Answer | None = None
    # what this process has done, written by `heartbeat_once` (workflow/reminders/heartbeat.py)
    beat: heartbeat.Beat = field(default_factory=lambda: heartbeat.Beat(heartbeat.worker_name()))

    def heartbeat_once(self) -> None:
        """Say this worker is alive (and what it did) in the database: /readyz and /metrics."""
        import time

        now = time.time()
        if not self.beat.started:
            self.beat.started = now
        self.beat.at = now
        heartbeat.write(self.engine, self.beat)
        # the web's idempotency keys older than a day, forgotten (services/idempotency.py)
        from workflow.storage.queries import idempotency

        with self.engine.begin() as conn:
            idempotency.forget_keys(conn, now - idempotency.KEEP_SECONDS)

    def daily_once(self) -> int:
        """Run the daily jobs for today (idempotent: they may run again after a restart)."""
        today = self.now().date()
        done = 0
        for job in self.daily:
            done += job(today) or 0
        if done:
            log.info("daily jobs: %d done for %s", done, today)
        return done

    def plan_once(self) -> int:
        """Write today's digests if today is a working day and the send time has come."""
        now = self.now()
        ctx = self.make_context(now.date())
        if not ctx.calendar.is_working_day(ctx.today):
            return 0
        early = not self.pinned_day and now.time() < self.ns.send_time
        if early and not self._early_digest(now.hour):
            return 0
        planned = 0
        try:
            with Session(self.engine) as s:
                # each person's digest from her digest hour, else the send time
                planned = len(reminders.plan_reminders(
                    s, ctx, self.ns, None if self.pinned_day else now.time()))
                s.commit()
        except IntegrityError:  # another planner wrote the same rows first (SQLite has no lock)
            log.info("another planner already wrote today's digests")
        if not early:
            planned += self._plan_features(ctx)
        outbox.refresh_statistics(self.engine, planned)
        import time

        self.beat.plan_runs += 1
        self.beat.plan_last = time.time()
        self.beat.planned += planned
        if planned:
            log.info("planned %d messages for %s", planned, ctx.today)
        return planned

    def _early_digest(self, hour: int) -> bool:
        """Whether someone chose a digest hour that has come before the send time."""
        with Session(self.engine) as s:
            return any(h <= hour for h in reminders.early_hours(s))

    def _plan_features(self, ctx: Context) -> int:
        if not self.planners or self._planners_day == ctx.today:
            return 0
        written = 0
        for plan in self.planners:
            try:
                with Session(self.engine) as s:
                    written += len(plan(s, ctx))
                    s.commit()
            except IntegrityError:  # another planner wrote them first: read again next time
                log.info("another planner already wrote today's %s",
                         getattr(plan, "__name__", "reminders"))
                return written
        self._planners_day = ctx.today
        return written

    def _blocked(self, user_id: int) -> None:
        with Session(self.engine) as s:
            user = outbox.mark_chat_blocked(s, user_id)
            if user is not None:
                reminders.tell_admins_blocked(s, user, self.now().date())
            s.commit()

    def dispatch_once(self) -> outbox.DispatchStats:
        sender = self.ns.smtp.sender if self.ns.smtp else "merzim@localhost"
        stats = outbox.dispatch(self.engine, self.ns.outbox, self.channels, sender,
                                on_blocked=self._blocked, stop=self.stopping.is_set)
        self.beat.sent += stats.sent
        self.beat.retried += stats.retried
        self.beat.failed += stats.failed
        if stats.sent or stats.failed or stats.retried:
            log.info("dispatch: %d sent, %d retried, %d failed", stats.sent, stats.retried,
                     stats.failed)
        return stats

    def poll_once(self) -> int:
        """Poll Telegram if this process holds the poller's lease (one poller at a time across
        nodes; held for `[telegram] lease_seconds`, at least three poll intervals, renewed at
        each poll)."""
        tg = self.channels.get("telegram")
        if tg is None:
            return 0
        if not hasattr(self, "_holder"):
            self._holder = holder_name()
        seconds = max(self.ns.telegram_lease_seconds, 3 * self.ns.telegram_poll_seconds)
        return poll_updates(self.engine, tg, holder=self._holder, lease_seconds=seconds,
                            answer=self.answer, today=self.now().date())

    def cycle(self) -> dict[str, Any]:
        """One planning and dispatch cycle (merzim worker --once)."""
        opened = self.daily_once()
        planned = self.plan_once()
        polled = 0
        if "telegram" in self.channels:
            try:
                polled = self.poll_once()
                release_lease(self.engine, self._holder)  # one cycle: the next may poll at once
            except Exception as exc:  # polling must not stop delivery
                log.warning("telegram poll failed: %s", exc)
        stats = self.dispatch_once()
        # a heartbeat like the running worker's (what this cycle did): /readyz is ready while
        # `worker --once` runs from a timer (cron, a systemd timer) at least every 3 heartbeats
        self.heartbeat_once()
        return {"opened": opened, "planned": planned, "linked": polled, "sent": stats.sent,
                "retried": stats.retried, "failed": stats.failed, "errors": stats.errors}

    def add_jobs(self, sched, timezone: str) -> None:
        """The planning (at the send time, plus a catch-up), dispatch and polling jobs."""
        from apscheduler.triggers.cron import CronTrigger

        t = self.ns.send_time
        start = datetime.now().astimezone()
        sched.add_job(self._safe(self.heartbeat_once), "interval",
                      seconds=self.ns.heartbeat_seconds, id="heartbeat",
                      name="worker heartbeat", next_run_time=start)
        if self.daily:
            sched.add_job(self._safe(self.daily_once), CronTrigger(hour=0, minute=5,
                                                                   timezone=timezone),
                          id="daily", name="daily jobs (obligations)", next_run_time=start)
        sched.add_job(self._safe(self.plan_once), CronTrigger(hour=t.hour, minute=t.minute,
                                                              timezone=timezone), id="plan",
                      name="plan reminders")
        sched.add_job(self._safe(self.plan_once), "interval", minutes=self.ns.catch_up_minutes,
                      id="catch_up", name="plan reminders (catch-up)", next_run_time=start)
        sched.add_job(self._safe(self.dispatch_once), "interval", seconds=self.ns.dispatch_seconds,
                      id="dispatch", name="dispatch the outbox", next_run_time=start)
        if "telegram" in self.channels:
            sched.add_job(self._safe(self.poll_once), "interval",
                          seconds=self.ns.telegram_poll_seconds, id="telegram_poll",
                          name="poll Telegram (links, commands, snoozes)")

    @staticmethod
    def _job_defaults() -> dict[str, Any]:
        return {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}

    def run_forever(self, timezone: str) -> None:
        """Block until SIGTERM or SIGINT, then stop cleanly (running jobs finish)."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        sched = BlockingScheduler(timezone=timezone, job_defaults=self._job_defaults())
        self.add_jobs(sched, timezone)

        stop = stop_handler(sched, self.stopping)
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        log.info("worker started")
        sched.start()
        if hasattr(self, "_holder"):  # the next poller need not wait for the lease to expire
            try:
                release_lease(self.engine, self._holder)
            except Exception as exc:  # the lease then expires by itself
                log.warning("telegram lease not released: %s", exc)
        log.info("worker stopped")

    def start_background(self, timezone: str):
        """Run the jobs in a background thread (the worker embedded in `merzim serve`)."""
        from apscheduler.schedulers.background import BackgroundScheduler

        sched = BackgroundScheduler(timezone=timezone, job_defaults=self._job_defaults())
        self.add_jobs(sched, timezone)
        sched.start()
        return sched

    @staticmethod
    def _safe(job: Callable[[], Any]) -> Callable[[], None]:
        def run() -> None:
            try:
                job()
            except Exception:  # a failing job is logged and tried again at its next run
                log.exception("job %s failed", getattr(job, "__name__", job))

        run.__name__ = getattr(job, "__name__", "job")
        return run


def stop_handler(sched, stopping: threading.Event) -> Callable[[int, Any], None]:
    """The worker's SIGTERM and SIGINT handler: `stopping` set (a running dispatch sends what it
    claimed and claims no more), then the scheduler stopped -- not in the handler itself: it
    runs in the main thread, which may be inside the scheduler's own loop (`_process_jobs`
    holds its re-entrant job store lock); shutting down under it emptied the job store that
    loop was updating, and the worker died with JobLookupError instead of exiting 0
    (tests/delivery/test_worker_signal.py). A thread of its own waits for the loop's lock, then stops
    it."""

    def stop(signum: int, _frame: Any) -> None:
        log.info("signal %s: stopping the worker", signum)
        stopping.set()
        threading.Thread(target=_shut_down, args=(sched,), name="merzim-worker-stop",
                         daemon=True).start()

    return stop


def _shut_down(sched, tries: int = 200) -> None:
    """Stop a scheduler from a thread other than its loop's; a signal that came just before the
    scheduler started waits for it to start (for up to 10 s)."""
    from apscheduler.schedulers import SchedulerNotRunningError

    for _ in range(tries):
        try:
            sched.shutdown(wait=False)
            return
        except SchedulerNotRunningError:
            time.sleep(0.05)
