"""The public council and every channel (I-14, I-15, B-15).

* A discussion recorded as held at a public council meeting (the council, the meeting's date,
  the protocol's number) is done and counts for 1.2.2 (001:L104-106): 0.5 per 10 % of the
  subdivisions, 5 at most (001:L92-106).
* An announcement carries several links, each with its channel (000:L265-269; 001:L55-59),
  from the service, the command line (--link CHANNEL=URL, repeated), the API (`links`) and the
  case page's form (a row per link); a bad channel or link is refused and nothing is stored.
* 1.3.2 scores publication on an internet resource (001:L148-150): a publication by a
  justification note alone leaves the share (B-15), 0.3 per 10 % (max 3, 001:L142-156).
* A version 4 record with one plain link still reads as published.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.analysis_world import add_orgs, indicator, plan, record, stage
from tests.support.features import needs
from workflow.core.errors import RuleViolation

DOC = {"number": "15-ө", "signed_by": "Б. Сапаров", "approver_role": "head_of_apparatus"}
SITE = "https://akimat.example.kz/news/1"
MEDIA = "https://tengri.example.kz/2025/04/analysis"
SOCIAL = "https://facebook.example.com/akimat/posts/7"


def d(text: str) -> date:
    return date.fromisoformat(text)


@pytest.fixture
def world(db, make_ctx):
    """A regional akimat with three departments (its subdivisions, 001:L176-185)."""
    return add_orgs(db, make_ctx(d("2025-01-10")))


def _plan(db, ctx, obj) -> int:
    return plan(db, ctx, "AK", obj, d("2025-03-03"))


_record = record


_stage = stage


_indicator = indicator


@needs("scorecard")
def test_a_discussion_at_a_public_council_meeting_is_done_and_counts_for_1_2_2(world, make_ctx):
    """Two of the three departments discuss their results: one at the akimat's public
    council (protocol No. 3 of its meeting on 9 April 2025, no link), one in an open
    discussion (protocol and links); the third never does. 2 of 3 = 66.67 % -> 6 whole steps of
    10 % x 0.5 = 3 points (above the 40 % threshold)."""
    at = make_ctx
    council = _plan(world, at(d("2025-01-10")), "AK-EDU")
    open_one = _plan(world, at(d("2025-01-10")), "AK-HLT")
    _plan(world, at(d("2025-01-10")), "AK-AGR")
    ctx = at(d("2025-04-10"))
    # the council's name alone is not enough: its meeting's date too (one group complete)
    with pytest.raises(RuleViolation) as refused:
        _record(world, ctx, council, "public_discussion", d("2025-04-09"),
                {"number": "3", "public_council": "Public council of the akimat"})
    assert refused.value.key == "rule.missing_evidence_any"
    assert refused.value.params["groups"] == "links | url | public_council + council_date"
    assert _stage(world, council, "public_discussion").status == "open"
    _record(world, ctx, council, "public_discussion", d("2025-04-09"),
            {"number": "3", "public_council": "Public council of the akimat",
             "council_date": "2025-04-09"})
    _record(world, ctx, open_one, "public_discussion", d("2025-04-09"),
            {"number": "4", "links": f"site {SITE}\nsocial {SOCIAL}"})
    stage = _stage(world, council, "public_discussion")
    assert (stage.status, stage.done_on) == ("done_on_time", d("2025-04-09"))
    assert stage.evidence == {"date": "2025-04-09", "number": "3",
                              "public_council": "Public council of the akimat",
                              "council_date": "2025-04-09"}
    discussed = _indicator(world, at(d("2026-02-02")), "1.2.2")
    assert {k: discussed["inputs"][k] for k in ("units", "done", "percent", "steps")} == {
        "units": 3, "done": 2, "percent": 66.67, "steps": 6}
    assert discussed["points"] == 3.0


@needs("scorecard")
def test_a_publication_by_justification_note_alone_leaves_1_3_2s_share(world, make_ctx):
    """AK-EDU publishes with links, AK-HLT by a justification note alone (secret data, I-13),
    AK-AGR never publishes. B-15: AK-HLT leaves the share: 1 of 2 = 50 % -> 5 steps x 0.3 =
    1.5 points (counting it as published would give 2 of 3 -> 6 steps = 1.8; as not published
    1 of 3 -> 3 steps = 0.9)."""
    at = make_ctx
    ids = {obj: _plan(world, at(d("2025-01-10")), obj) for obj in ("AK-EDU", "AK-HLT", "AK-AGR")}
    for aid in ids.values():
        _record(world, at(d("2025-04-28")), aid, "analytic_note", d("2025-04-28"), DOC)
        _record(world, at(d("2025-05-06")), aid, "action_plan", d("2025-05-06"), DOC)
    _record(world, at(d("2025-05-08")), ids["AK-EDU"], "publication", d("2025-05-08"),
            {"links": f"site {SITE}\nmedia {MEDIA}"})
    _record(world, at(d("2025-05-08")), ids["AK-HLT"], "publication", d("2025-05-08"), DOC)
    assert _stage(world, ids["AK-HLT"], "publication").status == "done_on_time"  # I-13
    published = _indicator(world, at(d("2026-02-02")), "1.3.2")
    assert {k: published["inputs"][k] for k in ("units", "done", "unlinked", "percent",
                                                "steps")} == {
        "units": 2, "done": 1, "unlinked": 1, "percent": 50.0, "steps": 5}
    assert published["points"] == 1.5
    # in words: the publication left out is named
    from workflow.i18n import Translator
    from workflow.scorecard import words

    text = words.Words(Translator("en")).text(published, 2025)
    assert "; 1 published by a justification note alone, left out of the share (B-15)" in text
    assert words.Words(Translator("ru")).text(published, 2025).count(
        "1 размещено только обосновывающей справкой и не входит в долю (B-15)") == 1


def test_links_are_checked_and_a_refusal_stores_nothing(world, make_ctx):
    from tests.support.databases import dump_tables
    from workflow.i18n import Translator

    aid = _plan(world, make_ctx(d("2025-01-10")), "AK-EDU")
    ctx = make_ctx(d("2025-02-12"))
    before = dump_tables(world)
    for links, key in ((f"radio {SITE}", "rule.bad_link"), ("site ftp://x.kz/a", "rule.bad_url"),
                       (SITE, "rule.bad_link"),
                       ("\n".join(f"site {SITE}/{n}" for n in range(11)),
                        "rule.too_many_links")):
        with pytest.raises(RuleViolation) as refused:
            _record(world, ctx, aid, "start_announcement", d("2025-02-12"), {"links": links})
        assert refused.value.key == key
    assert dump_tables(world) == before
    first = RuleViolation(key="rule.bad_link", field="Links to the publications",
                          value=f"radio {SITE}", known="site, media, social")
    assert first.render(Translator("en")) == (
        f"Links to the publications: “radio {SITE}” is not a link with its channel "
        "(CHANNEL URL, the channel one of site, media, social).")


def test_several_links_from_the_command_line_and_a_plain_link_still_reads(world, make_ctx,
                                                                           merzim_db):
    from workflow.core.links import Link, links_of
    from workflow.definitions import load_definition

    aid = _plan(world, make_ctx(d("2025-01-10")), "AK-EDU")
    r = merzim_db("record", str(aid), "start_announcement", "--date", "2025-02-12",
                  "--link", f"site={SITE}", "--link", f"media={MEDIA}",
                  "--link", f"social={SOCIAL}", "--json", today="2025-02-12")
    assert r.returncode == 0, r.stderr
    stage = _stage(world, aid, "start_announcement")
    assert stage.evidence["links"] == f"site {SITE}\nmedia {MEDIA}\nsocial {SOCIAL}"
    # a malformed --link: a usage error in the reader's words, nothing stored
    r = merzim_db("record", str(aid), "discussion_announcement", "--date", "2025-02-13",
                  "--link", SITE, today="2025-02-13", lang="ru")
    assert r.returncode == 2
    assert f"--link: '{SITE}' не в виде КАНАЛ=АДРЕС" in r.stderr
    assert _stage(world, aid, "discussion_announcement").status == "open"
    # an unknown channel: refused with the channels named
    r = merzim_db("record", str(aid), "discussion_announcement", "--date", "2025-02-13",
                  "--link", f"tv={SITE}", today="2025-02-13")
    assert r.returncode != 0
    assert "site, media, social" in r.stderr
    # version 4's one plain link (the built-in url) reads as a link whose channel is not given
    defn = load_definition()
    assert links_of(defn, {"url": SITE}) == [Link(None, SITE)]
    assert links_of(defn, stage.evidence) == [Link("site", SITE), Link("media", MEDIA),
                                              Link("social", SOCIAL)]


@needs("public")
def test_the_public_page_names_each_channel_and_the_council(world, make_ctx):
    from workflow.public import service as pub
    from workflow.services.lookup import get_org
    from workflow.storage.db import session as open_session

    aid = _plan(world, make_ctx(d("2025-01-10")), "AK-EDU")
    _record(world, make_ctx(d("2025-02-12")), aid, "start_announcement", d("2025-02-12"),
            {"links": f"site {SITE}\nsocial {SOCIAL}", "url": MEDIA})
    _record(world, make_ctx(d("2025-04-09")), aid, "public_discussion", d("2025-04-09"),
            {"number": "3", "public_council": "Public council of the akimat",
             "council_date": "2025-04-09"})
    ctx = make_ctx(d("2025-04-10"))
    with open_session(world) as s:
        pub.set_public_page(s, ctx, "AK", True)
        s.commit()
        [case] = pub.listing(s, ctx, get_org(s, "AK"))
    start, discussion = case.records
    assert start.links == [MEDIA, SITE, SOCIAL]  # the plain link, then each channel's
    assert start.channels == {SITE: "Internet resource", SOCIAL: "Social network"}
    assert discussion.links == []
    assert discussion.values == [("Public council", "Public council of the akimat"),
                                 ("Date of the public council's meeting", "2025-04-09")]


@needs("drafts")
def test_the_drafts_name_the_council_and_list_the_links(world, make_ctx):
    from workflow.drafts import service as drafts
    from workflow.storage.db import session as open_session

    aid = _plan(world, make_ctx(d("2025-01-10")), "AK-EDU")
    _record(world, make_ctx(d("2025-02-12")), aid, "start_announcement", d("2025-02-12"),
            {"links": f"site {SITE}\nmedia {MEDIA}"})
    ctx = make_ctx(d("2025-03-20"))
    with open_session(world) as s:
        draft = drafts.write_draft(s, ctx, aid, "discussion_announcement", "en",
                                   {"public_council": "Public council of the akimat"})
    assert ("The discussion will be held at a meeting of the Public council of the akimat."
            in draft.text)
    assert f"The start of the analysis was announced: {SITE} (Internet resource), {MEDIA} " \
           "(Media)." in draft.text
    _record(world, make_ctx(d("2025-04-09")), aid, "public_discussion", d("2025-04-09"),
            {"number": "3", "public_council": "Public council of the akimat",
             "council_date": "2025-04-09"})
    with open_session(world) as s:
        draft = drafts.write_draft(s, ctx, aid, "public_discussion", "en")
    assert ("The results were brought to the meeting of the Public council of the akimat on "
            "9 April 2025 (protocol No. 3).") in draft.text
