"""The documents tests' common fixtures, from tests/support/web_helpers.py: `web`, the
application on a fresh database with the demo (both backends), and `world`, one demo database
per backend for a whole module that changes nothing. A module that needs another defines its
own."""

from tests.support.web_helpers import web_fixture, world_fixture  # noqa: F401
