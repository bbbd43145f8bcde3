"""The calendar feed's events in words: the description names the case,
the organisations and says in the feed owner's language whether the due date is fixed or
projected and who sets it; the event links the case page; a display alarm for each of the
owner's reminder days (the organisation's [reminders] before: 5, 1 and 0 working days), at the
reminders' send time. (The feeds' scope, tokens and moved deadlines: tests/web/test_web_exports.py.)"""

from __future__ import annotations

import re
from datetime import date, timedelta

from icalendar import Calendar

from tests.support.features import needs
from tests.support.web_helpers import Web

pytestmark = needs("planning")  # the cases it reads are the analyses the planning plans


def _feed(web: Web, login: str) -> Calendar:
    b = web.browser(login)
    r = b.post("/account/feeds", data={"csrf": web.csrf(b), "scope": "user"})
    assert r.status_code == 200
    url = re.search(r'<code>https?://testserver(/ics/[^<]+\.ics)</code>', r.text).group(1)
    r = web.client(lang=None).get(url)
    assert r.status_code == 200
    return Calendar.from_ical(r.content)


def _events(cal: Calendar) -> dict[str, object]:
    return {str(ev["uid"]): ev for ev in cal.walk("VEVENT")}


@needs("monitoring")  # the positions list is a stage of the monitoring
def test_events_in_the_owners_language_with_the_link_and_alarms(web: Web):
    timur = _events(_feed(web, "timur"))  # English; the demo's analysis No. 6
    ev = timur["stage-68@merzim"]  # the positions list, due 2025-10-20 (a Monday)
    assert ev.decoded("dtstart") == date(2025, 10, 20)
    assert str(ev["description"]) == (
        "Case #6: Social-Entrepreneurial Corporation Zhetysu JSC. Due date fixed; deadline set "
        "by merzim, I-6.\nhttp://testserver/cases/6")
    assert str(ev["url"]) == "http://testserver/cases/6"
    # 5, 1 and 0 working days before, at 09:00: Monday 13 Oct, Friday 17 Oct, the day itself
    assert [(str(a["action"]), a.decoded("trigger"), str(a["description"]))
            for a in ev.walk("VALARM")] == [
        ("DISPLAY", timedelta(days=-7, hours=9),
         "List of positions exposed to corruption risk: due in 5 working days"),
        ("DISPLAY", timedelta(days=-3, hours=9),
         "List of positions exposed to corruption risk: due in 1 working day"),
        ("DISPLAY", timedelta(hours=9),
         "List of positions exposed to corruption risk: due today")]
    asel = _events(_feed(web, "asel"))  # Kazakh
    assert str(asel["stage-22@merzim"]["description"]) == (
        "№2 іс: Білім басқармасы. Мерзімі болжамды (әлі белгіленбеген).\n"
        "http://testserver/cases/2")
    # on the due day itself the alarm says so, in the owner's language (not "0 days left")
    assert str(asel["stage-22@merzim"].walk("VALARM")[-1]["description"]).endswith(
        ": мерзімі бүгін")
    for events in (timur, asel):  # names, not codes; words, not "fixed"/"projected"
        for ev in events.values():
            text = str(ev["description"])
            assert not re.search(r"\b[A-Z]{2,}-[A-Z-]+\b|; (fixed|projected)$", text), text
            assert len(ev.walk("VALARM")) == 3
            assert not any(" 0 " in str(a["description"]) for a in ev.walk("VALARM"))
