"""The bulk bar hands the selected cases over to an officer picked by name: its picker lists
the officers of the list's organisations (the reader's subtree, or the organisation filtered
on; an officer's own organisation), grouped by organisation — never a login to type, never
anyone outside.

On SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re

from tests.support.features import needs
from tests.support.web_helpers import Web, world_fixture  # noqa: F401 - the `world` fixture

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans


def picker(page: str) -> dict[str, list[tuple[str, str]]]:
    """The bulk bar's hand-over choices: organisation name -> [(login, name)]."""
    found = re.search(r'<select name="login" data-testid="bulk-assignee">(.*?)</select>',
                      page, re.S)
    assert found, "the bulk bar offers a picker"
    return {html.unescape(label): [(login, html.unescape(name)) for login, name in
                                   re.findall(r'<option value="([^"]+)">([^<]*)</option>', body)]
            for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>',
                                          found.group(1), re.S)}


def logins(choices: dict[str, list[tuple[str, str]]]) -> set[str]:
    return {login for people in choices.values() for login, _name in people}


def test_the_hand_over_is_picked_by_name_among_the_lists_officers(world: Web):
    page = world.browser("nurlan").get("/overdue").text  # the akimat's manager
    assert 'name="login" maxlength' not in page  # no login to type
    choices = picker(page)
    assert ("asel", "Asel Nurpeisova") in [p for people in choices.values() for p in people]
    assert {"asel", "marat", "saule"} <= logins(choices)
    assert not logins(choices) & {"aigerim", "bolat", "nurlan", "dana", "erlan", "gulnar"}
    # filtered on the health department: its officers only
    assert logins(picker(world.browser("nurlan").get("/cases?org=AK-ALM-HLTH").text)) == {
        "marat"}
    # an officer hands over within her own organisation only
    assert logins(picker(world.browser("asel").get("/work").text)) == {"asel"}
