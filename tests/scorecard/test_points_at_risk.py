"""The points still to win, first: the score page and the overview list every open stage of
the year that can still win or lose points, overdue ones included, each with the points
recording it is worth (the evaluation with it done less the evaluation without it), ranked by
points and then by deadline, each linking to where it is recorded; the badge counts points.

The world is tests/support/registers_world.py's on 15 December 2026: the akimat AK (officer aida)
with its internal analysis of its education department AK-EDU, whose analytic note is overdue
(no note: 1.2.3's −5; the department, AK's one subdivision, not covered: 1.3.3's 30 lost).
Recording the note here changes the world: this module has its own."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from tests.support.cli_runner import answer
from tests.support.registers_world import (  # noqa: F401  (the `web` and `world` fixtures)
    D2026,
    web_fixture,
    world_fixture,
)
from workflow.storage.models import Case

RISK = re.compile(r'<li data-risk="([^"]+)" data-deadline="([\d-]+)"(?: data-case="(\d+)")?'
                  r'(?: data-points="([^"]+)")?( data-overdue)?>(.*?)</li>', re.S)


def get(web, login: str, url: str, lang: str = "en") -> str:
    b = web.browser(login)
    b.cookies.set("merzim_lang", lang)
    r = b.get(url)
    assert r.status_code == 200, r.text[:500]
    return r.text


def risks(page: str) -> tuple[list[tuple[str, ...]], str]:
    part = page.split('data-testid="score-risks"', 1)[1].split("</section>", 1)[0]
    return RISK.findall(part), part


def analysis_id(web) -> int:
    with Session(web.engine) as s:
        found = s.exec(select(Case).where(Case.process == "internal_risk_analysis")).one()
    assert found.id is not None
    return found.id


def scorecard(web) -> dict:
    r = web.api("aida").get("/api/v1/scores?org=AK&year=2026")
    assert r.status_code == 200, r.text
    return r.json()["items"][0]


def test_the_overdue_analytic_note_is_first_with_its_points(web):
    note = analysis_id(web)
    found, part = risks(get(web, "aida", "/score/AK?year=2026"))
    key, deadline, case, points, overdue, text = found[0]
    # first: worth the most, 1.2.3's −5 saved and 1.3.3's 30 won, though its day has passed
    assert (key, int(case), float(points), bool(overdue)) == ("1.2.3", note, 35.0, True)
    assert deadline < D2026
    assert "+35 points" in text and "overdue" in text and "Sign the analytic note" in text
    assert "1.3.3" in text  # both indicators it counts in
    # it links to where it is recorded: the case's record form with the note's event
    assert f'href="/cases/{note}?event=analytic_note#record"' in text
    # ranked by points, then by deadline; the lines without a figure last
    figures = [(-float(p), d) for _k, d, _c, p, _o, _t in found if p]
    assert figures == sorted(figures) and len(figures) >= 3
    assert all(p for _k, _d, _c, p, _o, _t in found[:len(figures)])
    # an overdue stage of a register is there too, with its points, and nothing worth 0
    assert all(float(p) != 0 for _k, _d, _c, p, _o, _t in found if p)
    # the badge counts the points, not the lines
    badge = re.search(r'data-testid="score-risks-count">([^<]+)<', part)
    worth = sum(float(p) for _k, _d, _c, p, _o, _t in found if p)
    more = int(re.search(r"(\d+) more", part).group(1)) if " more" in part else 0
    assert badge is not None and badge.group(1) == f"{worth:g} points", (badge, more)
    # the overview shows the same first line and the same badge
    overview, opart = risks(get(web, "aida", "/overview?org=AK"))
    assert overview[0][:5] == found[0][:5]
    assert re.search(r'data-testid="score-risks-count">([^<]+)<', opart).group(1) == badge.group(1)
    # and so does My work, for the officer's own akimat
    work, _wpart = risks(get(web, "aida", "/work"))
    assert work[0][:5] == found[0][:5]


def test_the_points_are_in_the_readers_language_with_plurals(web):
    for lang, words in (("ru", ("+35 баллов", "просрочено", "+3 балла")),
                        ("kk", ("+35 ұпай", "мерзімі өтті", "+3 ұпай"))):
        _found, part = risks(get(web, "aida", "/score/AK?year=2026", lang))
        for w in words:
            assert w in part, (lang, w)
        assert "score.atrisk" not in part


def test_the_notes_points_are_the_score_difference_after_recording_it(world, web):
    note = analysis_id(web)
    found, _part = risks(get(web, "aida", "/score/AK?year=2026"))
    listed = next(float(p) for _k, _d, c, p, _o, _t in found if c == str(note) and p
                  and _k == "1.2.3")
    before = scorecard(web)
    answer(world["m"]("record", str(note), "analytic_note", "--date", D2026,
                      "--evidence", "number=AN-1", "--evidence", "signed_by=Head",
                      today=D2026))
    after = scorecard(web)
    was = {i["key"]: i for i in before["indicators"]}
    changed = {i["key"]: round(i["points"] - was[i["key"]]["points"], 2)
               for i in after["indicators"] if i["points"] != was[i["key"]]["points"]}
    # the note's own indicators gained exactly what its line said: 1.2.3's −5 gone, 1.3.3's 30
    assert changed.pop("1.2.3") + changed.pop("1.3.3") == listed == 35
    # anything else that moved is a stage whose deadline the note set (the action plan is due
    # 10 working days after it): provisional again, its points still at risk, listed
    now = {i["key"]: i for i in after["indicators"]}
    assert all(now[k]["pending_until"] for k in changed), changed
    assert round(after["total"] - before["total"], 2) == 35 + sum(changed.values())
    found, _part = risks(get(web, "aida", "/score/AK?year=2026"))
    assert not any(k == "1.2.3" and c == str(note) for k, _d, c, _p, _o, _t in found)
    assert all(any(k == key for k, *_rest in found) for key in changed)
