"""What the tests that start `merzim serve` as a process share: the console script, a free
port, the login form's CSRF field and the environment of the several-workers tests."""

from __future__ import annotations

import re
import socket

from tests.cli_runner import SCRIPT, merzim_env

__all__ = ["CSRF", "SCRIPT", "env_for", "free_port"]

CSRF = re.compile(r'name="csrf" value="([^"]*)"')


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(db_url: str) -> dict[str, str]:
    """`merzim serve --workers N` on `db_url`, in English, on 2026-02-04."""
    return merzim_env(db_url=db_url, today="2026-02-04")
