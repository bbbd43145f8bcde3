"""The browser tests' fixtures, from tests/support/browser_helpers.py: the demo served once for a
module (`server`), Chromium launched for it (`chromium`) and a fresh page (`page`). A module that
serves something else defines its own `server`, which the other two then use."""

from tests.support.browser_helpers import chromium, page, server  # noqa: F401
