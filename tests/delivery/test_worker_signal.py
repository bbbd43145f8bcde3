"""The worker's SIGTERM handler (workflow/reminders/worker.py, `stop_handler`) stops the
scheduler cleanly wherever the signal lands, also inside the scheduler's own loop: there the
handler used to shut the scheduler down under the loop's job store lock, and the loop then
failed to update the job it had just run (JobLookupError: the worker exited 1 with "Unexpected
error" instead of 0; seen in tests/delivery/test_outbox_resilience.py under load)."""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from workflow.reminders.worker import stop_handler


class SignalInsideTheLoop(IntervalTrigger):
    """An interval whose next fire time, asked by the scheduler's loop while it holds its job
    store lock (and before it updates the job), is computed with a signal delivered first."""

    signalled = False

    def get_next_fire_time(self, previous_fire_time, now):
        if not SignalInsideTheLoop.signalled:
            SignalInsideTheLoop.signalled = True
            os.kill(os.getpid(), signal.SIGUSR1)  # the handler runs here, in this thread
        return super().get_next_fire_time(previous_fire_time, now)


def test_a_signal_inside_the_schedulers_own_loop_stops_it_cleanly():
    sched = BlockingScheduler(timezone="UTC")
    stopping = threading.Event()
    ran = threading.Event()
    sched.add_job(ran.set, SignalInsideTheLoop(seconds=30), id="dispatch",
                  next_run_time=datetime.now(UTC))
    before = signal.signal(signal.SIGUSR1, stop_handler(sched, stopping))
    try:
        sched.start()  # returns once stopped (it raised JobLookupError before the fix)
    finally:
        signal.signal(signal.SIGUSR1, before)
    assert SignalInsideTheLoop.signalled and stopping.is_set()
    assert ran.wait(5), "the job submitted before the signal still ran"
    assert not sched.running


def test_a_signal_before_the_scheduler_starts_still_stops_it():
    sched = BlockingScheduler(timezone="UTC")
    stopping = threading.Event()
    stop_handler(sched, stopping)(signal.SIGTERM, None)  # as if it came before start()
    sched.add_job(lambda: None, "interval", seconds=30, id="dispatch")
    sched.start()  # stopped by the handler's thread once running
    assert stopping.is_set() and not sched.running
