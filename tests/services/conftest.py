"""The service tests' common fixtures: `web`, the application on a fresh database with the demo
(both backends; tests/support/web_helpers.py), `ids`, the gift cases of the linked-facts
world, and `cli`, the command line on its day (tests/support/gift_world.py). A module that needs
another defines its own."""

from tests.support.gift_world import cli_fixture, ids_fixture  # noqa: F401
from tests.support.web_helpers import web_fixture  # noqa: F401
