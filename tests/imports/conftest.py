"""The import tests' common fixtures: `web`, the application on a fresh database with the demo
(both backends; tests/support/web_helpers.py), and `site`, that application with every shipped
definition, the registers too (tests/support/import_helpers.py).
A module that needs another defines its own."""

from tests.support.import_helpers import site_fixture  # noqa: F401
from tests.support.web_helpers import web_fixture  # noqa: F401
