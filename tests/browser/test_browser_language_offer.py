"""The sign-in page's language wins over the profile's, and the offer to save it works, in a
real browser (Debian's headless Chromium driven by Playwright; the server, the demo and
the pinned day of tests/support/browser_helpers.py). axe-core finds nothing serious.
"""

from __future__ import annotations

import re

import pytest

from tests.support.browser_helpers import (
    MANAGER,
    Server,
    axe_check,
    prefixed_shots,
)

pytestmark = pytest.mark.browser


_failing_shot, _shot = prefixed_shots("browser-language-offer")


def test_the_sign_in_pages_language_wins_and_can_be_saved(page, server: Server) -> None:
    with _failing_shot(page, server, "language"):
        page.context.clear_cookies()
        page.goto(f"{server.base}/login")
        page.locator("nav.langs a[hreflang=ru]").click()  # the sign-in page's own switch
        page.wait_for_url(re.compile(r"/login"))
        assert page.locator("html").get_attribute("lang") == "ru"
        page.fill("input[name=login]", MANAGER)  # nurlan's profile says kk
        page.fill("input[name=password]", server.passwords[MANAGER])
        page.click("form[action='/login'] button[type=submit]")
        page.wait_for_load_state()
        assert "/login" not in page.url
        assert page.locator("html").get_attribute("lang") == "ru"
        offer = page.locator("[data-testid=lang-offer]")
        assert offer.is_visible()
        assert "Қазақша" in offer.inner_text()
        _shot(page, "language-offer")
        axe_check(page)
        here = page.url
        offer.locator("[data-testid=lang-offer-save]").click()
        page.wait_for_url(here)
        assert page.locator("[data-testid=lang-offer]").count() == 0
        # the profile says ru now: without the cookie, the pages are in Russian still
        page.context.clear_cookies(name="merzim_lang")
        page.reload()
        assert page.locator("html").get_attribute("lang") == "ru"
        assert page.locator("[data-testid=lang-offer]").count() == 0
