"""`merzim preferences show|set LOGIN` (on the command line), on SQLite and
PostgreSQL, through the real entry point: a person's channels, working days before a due
date, digest hour, muted cases and snoozed stages, stored by the account page's service; the
listing names stages by their names in the reader's language; a bad value refuses the whole
command with one clear line and every table stays as it was.

The world: tests/support/cli_world_helpers.py (asel answers for `coi1`, and for `coi2` and `done`,
which nobody is responsible for in her department; `hlth` is another department's).
"""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from tests.support.cli_world_helpers import FORWARD, World
from tests.support.databases import dump_tables
from workflow.notices import service as notices
from workflow.storage.models import ReminderHold, ReminderPreference, User


@pytest.fixture
def world(cli_world) -> World:
    """A copy of the world (conftest's "cli-world" template: built once per process)."""
    return cli_world


def stored(db, login: str = "asel"):
    with Session(db) as s:
        user = s.exec(select(User).where(User.login == login)).one()
        pref = s.get(ReminderPreference, user.id)
        holds = [(h.case_id, h.stage_key, h.until and h.until.isoformat())
                 for h in s.exec(select(ReminderHold).where(ReminderHold.user_id == user.id))]
        return ((pref.channels, pref.before, pref.digest_hour) if pref else None), sorted(
            holds, key=str)


def test_show_gives_the_organisations_settings_before_any_choice(world, db):
    out = world.json("preferences", "show", "asel")
    assert out["login"] == "asel" and out["holds"] == []
    assert (out["channels"], out["before"], out["digest_hour"]) == (None, None, None)
    assert out["organisation"]["before"] == [5, 1, 0]
    text = world.ok("preferences", "show", "asel").stdout
    assert "Reminder preferences of asel:" in text and "5, 1, 0 (the organisation's setting)" \
        in text and "No case is muted and no stage snoozed." in text
    assert stored(db) == (None, [])


def test_set_stores_what_is_given_and_keeps_the_rest(world, db):
    ids = world.ids
    out = world.json("preferences", "set", "asel", "--channels", "telegram", "--before",
                     "3, 1,3", "--digest-hour", "8", "--mute", str(ids["coi2"]),
                     "--snooze", f"{ids['coi1']}:forward=2026-02-10")
    assert (out["channels"], out["before"], out["digest_hour"]) == (["telegram"], [3, 1], 8)
    assert stored(db) == (("telegram", "3,1", 8), sorted(
        [(ids["coi2"], None, None), (ids["coi1"], "forward", "2026-02-10")], key=str))
    # only the hour changes; the channels and the days stay
    world.ok("preferences", "set", "asel", "--digest-hour", "default")
    assert stored(db)[0] == ("telegram", "3,1", None)
    # the reminder planner and the notification centre read the same preferences
    with Session(db) as s:
        user = s.exec(select(User).where(User.login == "asel")).one()
        assert notices.preference(s, user).channels == "telegram"
    world.ok("preferences", "set", "asel", "--channels", "none")
    assert stored(db)[0] == ("", "3,1", None)
    world.ok("preferences", "set", "asel", "--channels", "default", "--before", "default",
             "--unmute", str(ids["coi2"]), "--unsnooze", f"{ids['coi1']}:forward")
    assert stored(db) == ((None, None, None), [])


@pytest.mark.parametrize("lang", ["en", "ru", "kk"])
def test_the_listing_names_stages_not_keys(world, lang):
    ids = world.ids
    world.ok("preferences", "set", "asel", "--snooze", f"{ids['coi1']}:forward=2026-02-10",
             "--mute", str(ids["coi2"]))
    text = world.ok("preferences", "show", "asel", lang=lang).stdout
    flat = " ".join(text.split())
    assert f"«{' '.join(FORWARD[lang].split())}»" in flat, text
    assert "forward»" not in flat and ":forward" not in flat
    assert "2026-02-10" in text
    process = {"en": "Conflict of interest notice", "ru": "Уведомление о конфликте интересов",
               "kk": "Мүдделер қақтығысы туралы хабарлама"}[lang]
    assert process in flat
    shown = world.json("preferences", "show", "asel", lang=lang)["holds"]
    assert {(h["kind"], h["stage"], h["stage_name"]) for h in shown} == {
        ("muted", None, None), ("snoozed", "forward", FORWARD[lang])}


@pytest.mark.parametrize(("args", "code", "words"), [
    (("--digest-hour", "24"), 2, "Digest hour: 24 is not an hour from 0 to 23."),
    (("--digest-hour", ""), 2, "Digest hour"),
    (("--before", "31"), 2, "31 is not a whole number from 0 to 30"),
    (("--before", "5,x"), 2, "x is not a whole number"),
    (("--channels", "fax"), 2, "Unknown channel: fax"),
    (("--channels", ","), 2, "Unknown channel"),
    (("--snooze", "COI1:forward=2026-01-30"), 2, "A snooze must end after today"),
    (("--snooze", "COI1:forward=2026-02-02"), 2, "A snooze must end after today"),
    (("--snooze", "COI1:nope=2026-03-01"), 4, "No open stage nope"),
    (("--snooze", "COI1:forward"), 2, "is not CASE:STAGE=DATE"),
    (("--snooze", "COI1:forward=1.3.2026"), 2, "--snooze"),
    (("--snooze", "DONE:forward=2026-03-01"), 4, "No open stage forward"),
    (("--mute", "HLTH"), 4, "No case"),
    (("--mute", "999"), 4, "No case 999"),
    (("--unmute", "COI1"), 4, "Nothing to undo"),
    (("--unsnooze", "forward"), 2, "is not CASE:STAGE"),
    (("--before", "2", "--mute", "HLTH"), 4, "No case"),  # all or nothing
    ((), 2, "Nothing to change"),
])
def test_bad_values_are_refused_and_nothing_is_stored(world, db, args, code, words):
    ids = world.ids
    args = tuple(a.replace("COI1", str(ids["coi1"])).replace("DONE", str(ids["done"]))
                 .replace("HLTH", str(ids["hlth"])) for a in args)
    before = dump_tables(db)
    result = world("preferences", "set", "asel", *args)
    assert result.returncode == code, (args, result.stdout, result.stderr)
    assert words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert dump_tables(db) == before


def test_refusals_in_the_readers_language_and_an_unknown_user(world, db):
    before = dump_tables(db)
    ru = world("preferences", "set", "asel", "--digest-hour", "99", lang="ru")
    kk = world("preferences", "set", "asel", "--channels", "fax", lang="kk")
    nobody = world("preferences", "show", "nobody")
    assert (ru.returncode, kk.returncode, nobody.returncode) == (2, 2, 4)
    assert "99" in ru.stderr and any("а" <= c <= "я" for c in ru.stderr)
    assert "fax" in kk.stderr and any(c in kk.stderr for c in "әғқңөұүһі")
    assert "nobody" in nobody.stderr
    assert dump_tables(db) == before
