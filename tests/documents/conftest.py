"""The documents tests' common fixture: `web`, the application on a fresh database with the demo
(both backends; tests/support/web_helpers.py). A module that needs another defines its own."""

from tests.support.web_helpers import web_fixture  # noqa: F401
