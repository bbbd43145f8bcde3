"""What the tests that scrape a running `merzim serve`'s /metrics share: the config.toml that
opens /metrics to a token, `merzim serve` started and stopped around a test, and the value of
one series in the Prometheus text page."""

from __future__ import annotations

import hashlib
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.processes import SCRIPT, env_for, free_port, wait_answering

__all__ = ["Served", "metrics_config", "metric_value", "serving"]


def metrics_config(directory: Path, token: str) -> None:
    """config.toml in `directory`: /metrics open to `token`, no reminder channel, a worker
    heartbeat every 2 s."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    (directory / "config.toml").write_text(
        f'[web]\nmetrics_token_sha256 = "{digest}"\n[reminders]\nchannels = []\n'
        '[worker]\nheartbeat_seconds = 2\n', encoding="utf-8")


@dataclass
class Served:
    proc: subprocess.Popen
    base: str


@contextmanager
def serving(db_url: str, cwd: Path, *args: str, ready_within: float = 60) -> Iterator[Served]:
    """`merzim serve --port P [args]` in `cwd` on `db_url`, once /readyz says ready; stopped
    with SIGTERM afterwards, which it must answer by exiting 0 within 30 s."""
    port = free_port()
    proc = subprocess.Popen([str(SCRIPT), "serve", "--port", str(port), *args],
                            env=env_for(db_url), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    served = Served(proc, f"http://127.0.0.1:{port}")
    try:
        wait_answering(proc, f"{served.base}/readyz", "serve did not become ready", ready_within)
        yield served
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            assert proc.wait(timeout=30) == 0
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("serve did not stop on SIGTERM")


def metric_value(text: str, series: str) -> float:
    """The value of one series (its full name with labels) in a Prometheus text page."""
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} not in the metrics:\n{text[:3000]}")
