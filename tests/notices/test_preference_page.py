"""The reminder-preference page names the stages (not their keys), grouped by procedure;
the real application on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re

from tests.support.features import needs
from tests.support.web_helpers import TODAY, Web, csrf_of, web_fixture  # noqa: F401

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans


def test_the_preference_page_names_the_stages_by_procedure(web: Web):
    b = web.browser("asel")
    page = b.get("/account/reminders")
    assert page.status_code == 200
    defn = web.app.state.registry.get("internal_risk_analysis")
    select = re.search(r'data-testid="snooze-stage">(.*?)</select>', page.text, re.S)
    assert select, page.text[:3000]
    groups = re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select.group(1), re.S)
    assert [html.unescape(g) for g, _o in groups] == [defn.name("en")]
    options = re.findall(r'<option value="(\d+):([a-z_0-9]+)">([^<]*)</option>', groups[0][1])
    assert options
    for case, stage, label in options:
        assert html.unescape(label).startswith(f"#{case} · {defn.stage_name(stage, 'en')} · ")
        assert stage not in label  # the name, not the key
    case, stage, _label = options[0]
    until = TODAY.replace(year=TODAY.year + 1).isoformat()
    r = b.post("/account/reminders/snooze", data={"csrf": csrf_of(page.text),
                                                  "item": f"{case}:{stage}", "until": until})
    assert (r.status_code, r.headers["location"]) == (303, "/account/reminders")
    after = b.get("/account/reminders").text
    holds = re.search(r'data-testid="holds">(.*?)</div>', after, re.S).group(1)
    assert f"<h3>{html.escape(defn.name('en'))}</h3>" in holds
    assert html.escape(defn.stage_name(stage, "en")) in holds
    assert f"stage {stage}:" not in holds
