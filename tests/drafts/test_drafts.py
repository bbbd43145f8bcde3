"""Announcement drafts: the start, discussion-date, discussion-results and
publication announcements written from the case in kk, ru and en (000:L265-352, L432-481);
the operator's templates; `merzim draft` (text, DOCX); the draft page (text box, language,
DOCX, recording the publication with its edited text); the API; who may read and record.

The demo's analyses (tests/support/web_helpers.py, today 19 November 2025): `ile` is the Ile district
akimat's analysis of its education department (planned 26 November 2025 - 12 January 2026,
nothing recorded, its officer saule); `kgd` the ministry's State Revenue Department's
(aigerim); `edu` the akimat's education department's (asel), its discussion held.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import docx
import pytest
from sqlmodel import Session, select

from tests.support.databases import dump_tables
from tests.support.features import needs
from tests.support.person_helpers import person_world_fixture  # noqa: F401 - the `pw` fixture
from tests.support.web_helpers import (
    ORGS,
    TODAY,
    Web,
    csrf_of,
    web_fixture,  # noqa: F401 - the `web` fixture
    world_fixture,  # noqa: F401 - the `world` fixture
)
from workflow.core.errors import ConfigError
from workflow.storage.models import AuditRecord, Case, EventRecord, Stage

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MISSING = 999999
NAMES = {code: {"en": en, "ru": ru, "kk": kk} for code, _k, _p, en, ru, kk in ORGS}
# How a reader writes a date (independent of merzim's own table): kk "2025 жылғы 26 қараша",
# ru "26 ноября 2025" (the templates add "года"), en "26 November 2025".
MONTHS = {
    "kk": "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "en": "January February March April May June July August September October November "
          "December",
}


def written(day: date, lang: str) -> str:
    month = MONTHS[lang].split()[day.month - 1]
    return f"{day.year} жылғы {day.day} {month}" if lang == "kk" else f"{day.day} {month} {day.year}"


def planned(w: Web, key: str) -> tuple[date, date]:
    with Session(w.engine) as s:
        dates = s.get(Case, w.analyses[key]).dates
    return date.fromisoformat(dates["start"]), date.fromisoformat(dates["end"])


def body_of(page: str) -> str:
    """The draft text box's content as the browser shows it."""
    import html

    found = re.search(r'<textarea id="draft-text"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, page[:2000]
    return html.unescape(found.group(1))


# -- the definition: drafts are data --------------------------------------------------------------


def _doc(**drafts):
    return {"process": {"key": "p", "initial_state": "a", "names": {"kk": "p", "ru": "p", "en": "p"}},
            "states": {"a": {"kk": "a", "ru": "a", "en": "a"}},
            "evidence": {"text": {"type": "draft", "names": {"kk": "t", "ru": "t", "en": "t"}},
                         "place": {"type": "text", "names": {"kk": "m", "ru": "m", "en": "m"}}},
            "stage": [{"key": "s", "names": {"kk": "s", "ru": "s", "en": "s"}}],
            "event": [{"key": "e", "completes": "s", "names": {"kk": "e", "ru": "e", "en": "e"}}],
            "drafts": drafts}


def test_a_stage_names_its_draft_in_the_definition():
    from workflow.definitions import load_definition
    from workflow.definitions import parse_document as parse_definition
    from workflow.drafts.rules import drafts_of

    defn = load_definition()
    assert {k: (d.template, d.event, d.stored_as, d.asks) for k, d in drafts_of(defn).items()} == {
        "start_announcement": ("start_announcement", "start_announcement", "published_text", ()),
        "discussion_announcement": ("discussion_announcement", "discussion_announcement",
                                    "published_text", ("discussion_date", "discussion_place",
                                                       "public_council")),
        "public_discussion": ("discussion_results", "public_discussion", "published_text", ()),
        "publication": ("publication", "publication", "published_text", ()),
    }
    # the event defaults to the one completing the stage
    parsed = parse_definition(_doc(s={"stored_as": "text", "asks": ["place"]}), "t")
    assert drafts_of(parsed)["s"].event == "e" and drafts_of(parsed)["s"].template == "s"
    for bad, reason in [({"x": {"stored_as": "text"}}, "unknown stage"),
                        ({"s": {"stored_as": "place"}}, "type \"draft\""),
                        ({"s": {"stored_as": "text", "template": "../etc"}}, "template: must match"),
                        ({"s": {"stored_as": "text", "event": "nope"}}, "is not an event"),
                        ({"s": {"stored_as": "text", "asks": ["text"]}}, "asks names a draft"),
                        ({"s": {"stored_as": "text", "asks": ["nope"]}}, "unknown evidence")]:
        with pytest.raises(ConfigError, match=re.escape(reason)):
            parse_definition(_doc(**bad), "t")


def test_process_show_names_the_drafts(merzim):
    shown = json.loads(merzim("process", "show", "internal_risk_analysis", "--json").stdout)
    assert [(d["stage"], d["template"], d["event"], d["stored_as"]) for d in shown["drafts"]] \
        == [("start_announcement", "start_announcement", "start_announcement", "published_text"),
            ("discussion_announcement", "discussion_announcement", "discussion_announcement",
             "published_text"),
            ("public_discussion", "discussion_results", "public_discussion", "published_text"),
            ("publication", "publication", "publication", "published_text")]
    text = merzim("process", "show", "internal_risk_analysis").stdout
    assert "Announcement drafts:" in text
    assert ("Announce the start of the analysis (start_announcement): written from the template "
            "start_announcement; the published text is kept with the record of Start announced "
            "(field published_text)") in " ".join(text.split())
    ru = " ".join(merzim("process", "show", "internal_risk_analysis", lang="ru").stdout.split())
    assert "Проекты объявлений:" in ru
    # a procedure without drafts says nothing of them
    gift = merzim("process", "show", "gift")
    assert "drafts" not in gift.stdout
    assert json.loads(merzim("process", "show", "gift", "--json").stdout)["drafts"] == []


@needs("public")
def test_process_show_names_the_public_page(merzim):
    shown = json.loads(merzim("process", "show", "internal_risk_analysis", "--json").stdout)
    assert shown["public"]["announced_by"] == "start_announcement"
    text = merzim("process", "show", "internal_risk_analysis").stdout
    assert "Public page: a case is listed once Start announced is recorded" in " ".join(
        text.split())
    ru = " ".join(merzim("process", "show", "internal_risk_analysis", lang="ru").stdout.split())
    assert "Публичная страница: дело показывается" in ru
    # a procedure without a public page says nothing of it
    assert "Public page" not in merzim("process", "show", "gift").stdout


# -- what a draft says ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_start_announcement_names_the_subject_the_object_and_the_period(world: Web, lang):
    """Acceptance: the start announcement's kk and ru drafts name the subject, the object and
    the period of the analysis, its dates as a reader of the language writes them."""
    start, end = planned(world, "ile")
    r = world.api("saule").get(f"/api/v1/cases/{world.analyses['ile']}/drafts/start_announcement",
                               params={"lang": lang})
    assert r.status_code == 200, r.text
    got = r.json()
    text = got["text"]
    assert got["language"] == lang and got["stage"] == "start_announcement"
    assert NAMES["AK-ALM-ILE"][lang] in text
    assert NAMES["AK-ALM-ILE-EDU"][lang] in text
    assert written(start, lang) in text and written(end, lang) in text
    assert start.isoformat() not in text  # never the ISO form
    if lang == "ru":
        assert f"с {written(start, 'ru')} года по {written(end, 'ru')} года" in text
        assert text.startswith("ОБЪЯВЛЕНИЕ\nо начале внутреннего анализа коррупционных рисков")
    else:
        assert f"{written(start, 'kk')} – {written(end, 'kk')}" in text
        assert text.startswith("ХАБАРЛАНДЫРУ\n")
    # the contact: the responsible officer, her e-mail, the organisation
    assert "Saule Zhakupova" in text and NAMES["AK-ALM-ILE"][lang] in text.splitlines()[-1]
    assert got["published"] is None and got["template"] == "shipped"


def test_each_announcement_says_what_its_source_requires(world: Web):
    """The discussion date and place (given, else the latest day of the discussion), the
    discussion's results with its protocol, the note and the plan with the secrecy sentence."""
    api = world.api("asel")
    edu = world.analyses["edu"]
    with Session(world.engine) as s:
        stages = {st.key: st for st in s.exec(select(Stage).where(Stage.case_id == edu))}
        protocol = stages["public_discussion"].evidence["number"]
        held = stages["public_discussion"].done_on
    r = api.get(f"/api/v1/cases/{edu}/drafts/discussion_announcement",
                params={"lang": "ru", "discussion_date": "2025-10-20",
                        "discussion_place": "актовый зал, ул. Абая 1"})
    assert r.status_code == 200, r.text
    text = r.json()["text"]
    assert "Дата обсуждения: 20 октября 2025 года" in text
    assert "Место проведения: актовый зал, ул. Абая 1" in text
    assert r.json()["asks"] == {"discussion_date": "2025-10-20",
                                "discussion_place": "актовый зал, ул. Абая 1",
                                "public_council": ""}
    # nothing given: the latest day the discussion may take place, and a place to fill in
    ile = world.analyses["ile"]
    due = world.stage(ile, "public_discussion").due_date
    text = world.api("saule").get(f"/api/v1/cases/{ile}/drafts/discussion_announcement",
                                  params={"lang": "kk"}).json()["text"]
    assert f"Талқылау күні: {written(due, 'kk')}" in text and "[өтетін орны]" in text

    text = api.get(f"/api/v1/cases/{edu}/drafts/public_discussion", params={"lang": "ru"}
                   ).json()["text"]
    assert f"Протокол публичного обсуждения: № {protocol}" in text
    assert f"Дата обсуждения: {written(held, 'ru')} года" in text

    text = api.get(f"/api/v1/cases/{edu}/drafts/publication", params={"lang": "kk"}).json()["text"]
    assert "қызметтік, коммерциялық немесе Қазақстан Республикасының заңымен қорғалатын өзге де " \
           "құпия" in text
    assert "Талдамалық анықтама: " in text


# -- the operator's templates -----------------------------------------------------------------


def test_an_operator_template_replaces_the_shipped_one(web: Web, merzim_db, tmp_path):
    folder = tmp_path / "announcements" / "ru"
    folder.mkdir(parents=True)
    (folder / "start_announcement.txt.j2").write_text(
        "Наш текст: {{ subject }}, {{ object }}, {{ dates.start }}–{{ dates.end }}. "
        "{{ records.nothing.at.all }}Телефон: 8 (727) 000-00-00\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[drafts]\ntemplates = "announcements"\n', encoding="utf-8")
    ile = str(web.analyses["ile"])
    start, end = planned(web, "ile")
    r = merzim_db("draft", ile, "start_announcement", "--lang", "ru", config=config,
                  today=TODAY.isoformat())
    assert r.returncode == 0, r.stderr
    assert r.stdout == (f"Наш текст: {NAMES['AK-ALM-ILE']['ru']}, {NAMES['AK-ALM-ILE-EDU']['ru']}, "
                        f"{written(start, 'ru')}–{written(end, 'ru')}. Телефон: 8 (727) 000-00-00\n")
    # another language, or another stage, still has the shipped one
    r = merzim_db("draft", ile, "start_announcement", "--lang", "kk", config=config)
    assert r.returncode == 0 and r.stdout.startswith("ХАБАРЛАНДЫРУ\n")
    r = merzim_db("draft", ile, "publication", "--lang", "ru", "--json", config=config)
    assert r.returncode == 0 and '"template": "shipped"' in r.stdout
    # a broken operator template is the operator's error, named, not a traceback
    (folder / "start_announcement.txt.j2").write_text("{% if %}", encoding="utf-8")
    r = merzim_db("draft", ile, "start_announcement", "--lang", "ru", config=config)
    assert r.returncode == 2 and "start_announcement.txt.j2" in r.stderr
    assert "Traceback" not in r.stderr
    # a folder that is not there stops merzim at start
    config.write_text('[drafts]\ntemplates = "nowhere"\n', encoding="utf-8")
    r = merzim_db("draft", ile, "start_announcement", config=config)
    assert r.returncode == 2 and "drafts.templates" in r.stderr


def test_an_operator_template_cannot_reach_beyond_its_facts(web: Web, tmp_path):
    """The templates run in Jinja2's sandbox: an operator's file reads the case's facts only."""
    from workflow.core.errors import ConfigError as Refused
    from workflow.drafts.texts import render

    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "x.txt.j2").write_text("{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                              encoding="utf-8")
    with pytest.raises(Refused, match="x.txt.j2"):
        render("x", "en", {}, tmp_path)


# -- the command line -------------------------------------------------------------------------------


def test_merzim_draft_prints_the_text_and_writes_a_docx(web: Web, merzim_db, tmp_path):
    ile = str(web.analyses["ile"])
    printed = merzim_db("draft", ile, "start_announcement", lang="ru")
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith("ОБЪЯВЛЕНИЕ\n")  # the command line's language by default
    en = merzim_db("draft", ile, "start_announcement", "--lang", "en", lang="ru")
    assert en.stdout.startswith("ANNOUNCEMENT\n")
    before = dump_tables(web.engine)
    out = tmp_path / "start.docx"
    r = merzim_db("draft", ile, "start_announcement", "--lang", "ru", "--docx", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"Draft written to {out}."
    document = docx.Document(str(out))
    paragraphs = [p.text for p in document.paragraphs]
    assert paragraphs[0] == "Объявление о начале внутреннего анализа"  # the stage, a heading
    assert document.paragraphs[0].style.name == "Heading 1"
    assert "\n".join(paragraphs[1:]) + "\n" == printed.stdout
    assert document.core_properties.language == "ru-RU"
    assert dump_tables(web.engine) == before  # a draft writes nothing


def test_merzim_draft_refusals_are_one_translated_line_and_change_nothing(web: Web, merzim_db,
                                                                          tmp_path):
    ile = str(web.analyses["ile"])
    before = dump_tables(web.engine)
    for args, code, message in [
        (("draft", str(MISSING), "start_announcement"), 4, f"№{MISSING} іс табылмады"),
        (("draft", ile, "order"), 4, "«Сыбайлас жемқорлық тәуекелдеріне ішкі талдау жүргізу туралы "
                                     "бұйрықты бекіту» кезеңінің хабарландыру жобасы жоқ"),
        (("draft", ile, "start_announcement", "--lang", "de"), 2, "de тілі белгісіз"),
        (("draft", ile, "discussion_announcement", "--evidence", "number=7"), 2,
         "Жоба «құжат нөмірі» мәнін сұрамайды"),
        (("draft", ile, "discussion_announcement", "--evidence", "discussion_date=2025-02-30"), 3,
         "2025-02-30 — 1900-01-01 мен 2100-12-31 аралығындағы күн емес"),
        (("draft", ile, "start_announcement", "--docx", str(tmp_path / "no" / "such" / "x.docx")),
         2, "x.docx"),
    ]:
        r = merzim_db(*args, lang="kk")
        assert r.returncode == code, (args, r.returncode, r.stderr)
        assert message in r.stderr, (args, r.stderr)
        assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert dump_tables(web.engine) == before
    assert not (tmp_path / "no").exists()


# -- the web page ----------------------------------------------------------------------------------


def test_the_case_page_links_each_stage_with_a_draft(world: Web):
    page = world.browser("saule").get(f"/cases/{world.analyses['ile']}").text
    links = re.findall(r'href="/cases/\d+/drafts/([a-z_]+)" class="draft-link"', page)
    assert links == ["start_announcement", "discussion_announcement", "public_discussion",
                     "publication"]


def test_the_draft_page_shows_the_text_in_the_chosen_language(world: Web):
    b = world.browser("saule")
    ile = world.analyses["ile"]
    r = b.get(f"/cases/{ile}/drafts/start_announcement")
    assert r.status_code == 200
    text = body_of(r.text)
    assert text.startswith("ANNOUNCEMENT\n")  # the page's language (the browser's: en)
    assert NAMES["AK-ALM-ILE-EDU"]["en"] in text
    for code in ("kk", "ru", "en"):
        assert f'data-testid="draft-lang-{code}"' in r.text
    assert 'data-testid="draft-record"' in r.text  # saule records on her analysis
    assert 'data-copy="draft-text"' in r.text and 'src="/static/draft.js"' in r.text
    ru = b.get(f"/cases/{ile}/drafts/start_announcement", params={"draft_lang": "ru"})
    assert body_of(ru.text).startswith("ОБЪЯВЛЕНИЕ\n")
    assert 'lang="ru" data-testid="draft-text"' in ru.text
    assert "Sign out" in ru.text and '<html lang="en">' in ru.text  # the page stays in hers
    # the discussion's date and place are asked for, and kept in the language links
    r = b.get(f"/cases/{ile}/drafts/discussion_announcement",
              params={"discussion_place": "Hall 2", "discussion_date": "2025-12-29"})
    assert "Place: Hall 2" in body_of(r.text)
    assert "Date of the discussion: 29 December 2025" in body_of(r.text)
    assert re.search(r'href="[^"]*draft_lang=kk[^"]*discussion_place=Hall\+2', r.text)
    assert 'name="ev_discussion_place" value="Hall 2"' in r.text  # kept with the record
    assert b.get("/static/draft.js").status_code == 200


def test_a_manager_reads_a_draft_but_does_not_record_it(world: Web):
    b = world.browser("nurlan")
    ile = world.analyses["ile"]
    r = b.get(f"/cases/{ile}/drafts/start_announcement")
    assert r.status_code == 200 and NAMES["AK-ALM-ILE"]["en"] in body_of(r.text)
    assert 'data-testid="draft-record"' not in r.text
    before, audit = world.dump(), world.last_audit()
    r = b.post(f"/cases/{ile}/drafts/start_announcement",
               data={"csrf": csrf_of(r.text), "date": TODAY.isoformat(),
                     "url": "https://example.kz/a", "ev_published_text": "text"})
    assert r.status_code == 409
    assert "Only an officer of the subject organisation can record" in r.text
    assert world.dump() == before
    assert [a[1] for a in world.audit_since(audit)] == ["refused.event"]


def test_the_officer_records_the_publication_with_her_edited_text(web: Web):
    b = web.browser("saule")
    ile = web.analyses["ile"]
    page = b.get(f"/cases/{ile}/drafts/start_announcement", params={"draft_lang": "kk"}).text
    edited = body_of(page).replace("ХАБАРЛАНДЫРУ", "ХАБАРЛАНДЫРУ (түзетілген)") + "Қосымша жол.\n"
    form = {"csrf": csrf_of(page), "draft_lang": "kk", "date": TODAY.isoformat(),
            "ev_published_text": edited}
    # refused first (no link): the page again, the text as typed, nothing stored
    before, audit = web.dump(), web.last_audit()
    r = b.post(f"/cases/{ile}/drafts/start_announcement", data=form)
    assert r.status_code == 409, r.text[:500]
    assert 'data-testid="refusal"' in r.text
    assert body_of(r.text) == edited.replace("\r\n", "\n")
    assert web.dump() == before
    assert [a[1] for a in web.audit_since(audit)] == ["refused.event"]
    # with the link: recorded, the text kept with the record, audited with it
    r = b.post(f"/cases/{ile}/drafts/start_announcement",
               data={**form, "url": "https://ile.gov.kz/news/1"})
    assert r.status_code == 303 and r.headers["location"] == f"/cases/{ile}"
    with Session(web.engine) as s:
        rec = s.exec(select(EventRecord).where(EventRecord.case_id == ile,
                                               EventRecord.event == "start_announcement")).one()
        # (kept as every evidence field is: without the blanks around it)
        assert rec.evidence == {"url": "https://ile.gov.kz/news/1", "published_text": edited.strip()}
        audited = s.exec(select(AuditRecord).where(AuditRecord.action == "event.start_announcement",
                                                   AuditRecord.entity_id == str(ile))).one()
        assert '"published_text"' in audited.payload and "түзетілген" in audited.payload
    case_page = b.get(f"/cases/{ile}").text
    assert 'data-testid="recorded"' in case_page
    shown = re.search(r'data-stage="start_announcement".*?<pre data-testid="published-text">'
                      r'(.*?)</pre>', case_page, re.S)
    assert shown and "ХАБАРЛАНДЫРУ (түзетілген)" in shown.group(1)
    # the draft page now shows what was published, and offers no second record
    again = b.get(f"/cases/{ile}/drafts/start_announcement").text
    assert 'data-testid="published-text"' in again and "Қосымша жол." in again
    assert 'data-testid="draft-record"' not in again
    api = web.api("saule").get(f"/api/v1/cases/{ile}/drafts/start_announcement").json()
    assert api["published"] == edited.strip() and api["published_on"] == TODAY.isoformat()
    # the audit chain still verifies
    with Session(web.engine) as s:
        from workflow.storage import audit as chain

        assert chain.verify(s).ok


def test_the_discussion_date_and_place_are_kept_with_their_announcement(web: Web):
    b = web.browser("saule")
    ile = web.analyses["ile"]
    page = b.get(f"/cases/{ile}/drafts/discussion_announcement",
                 params={"discussion_date": "2025-11-19", "discussion_place": "Ile akimat, hall"}
                 ).text
    r = b.post(f"/cases/{ile}/drafts/discussion_announcement",
               data={"csrf": csrf_of(page), "date": TODAY.isoformat(),
                     "url": "https://ile.gov.kz/news/2", "ev_discussion_date": "2025-11-19",
                     "ev_discussion_place": "Ile akimat, hall",
                     "ev_published_text": body_of(page)})
    assert r.status_code == 303, r.text[:800]
    st = web.stage(ile, "discussion_announcement")
    assert st.evidence["discussion_place"] == "Ile akimat, hall"
    assert st.evidence["discussion_date"] == "2025-11-19"
    # the results' draft repeats them
    text = web.api("saule").get(f"/api/v1/cases/{ile}/drafts/public_discussion",
                                params={"lang": "en"}).json()["text"]
    assert "Place: Ile akimat, hall" in text and "Date of the discussion: 19 November 2025" in text


def test_the_docx_of_the_draft_and_of_the_edited_text(world: Web):
    b = world.browser("saule")
    ile = world.analyses["ile"]
    r = b.get(f"/cases/{ile}/drafts/start_announcement/docx", params={"draft_lang": "ru"})
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    assert f"case-{ile}-start_announcement-ru.docx" in r.headers["content-disposition"]
    paragraphs = [p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs]
    assert paragraphs[1] == "ОБЪЯВЛЕНИЕ" and NAMES["AK-ALM-ILE-EDU"]["ru"] in "\n".join(paragraphs)
    page = b.get(f"/cases/{ile}/drafts/start_announcement").text
    before = world.dump()
    r = b.post(f"/cases/{ile}/drafts/start_announcement/docx",
               data={"csrf": csrf_of(page), "ev_published_text": "Line one\nLine two"})
    assert r.status_code == 200 and r.headers["content-type"] == DOCX
    assert [p.text for p in docx.Document(io.BytesIO(r.content)).paragraphs][1:] == \
        ["Line one", "Line two"]
    assert world.dump() == before
    assert b.post(f"/cases/{ile}/drafts/start_announcement/docx",
                  data={"csrf": "wrong", "ev_published_text": "x"}).status_code == 409


def test_refused_draft_pages_are_translated_and_change_nothing(world: Web):
    b = world.browser("saule")
    ile = world.analyses["ile"]
    before = world.dump()
    r = b.get(f"/cases/{ile}/drafts/order")
    assert r.status_code == 404 and "has no announcement draft" in r.text
    r = b.get(f"/cases/{ile}/drafts/start_announcement", params={"draft_lang": "de"})
    assert r.status_code == 422 and "Unknown language de" in r.text
    r = b.get(f"/cases/{ile}/drafts/discussion_announcement", params={"number": "1"})
    assert r.status_code == 422 and "does not ask for" in r.text
    for page in (r.text,):
        assert "Traceback" not in page
    assert world.dump() == before


# -- who may read a draft -----------------------------------------------------------------------


def _same_404(hidden, missing, token_h: str, token_m: str) -> None:
    assert hidden.status_code == 404 and missing.status_code == 404
    assert hidden.text == missing.text.replace(token_m, token_h)


@pytest.mark.parametrize("login,other", [("saule", "kgd"), ("aigerim", "ile"), ("nurlan", "kgd"),
                                         ("gulnar", "ile"), ("asel", "ile")])
def test_another_organisation_cannot_read_a_draft(world: Web, login, other):
    """Outside what she may see, a draft, its DOCX and its publication answer as a case that
    does not exist; the API the same (and 401 without a token)."""
    b = world.browser(login)
    api = world.api(login)
    aid = world.analyses[other]
    csrf = world.csrf(b)
    before = world.dump()
    for path in ("drafts/start_announcement", "drafts/start_announcement/docx"):
        _same_404(b.get(f"/cases/{aid}/{path}"), b.get(f"/cases/{MISSING}/{path}"),
                  str(aid), str(MISSING))
    body = {"csrf": csrf, "date": TODAY.isoformat(), "url": "https://example.kz/x",
            "ev_published_text": "x"}
    for path in ("drafts/start_announcement", "drafts/start_announcement/docx"):
        _same_404(b.post(f"/cases/{aid}/{path}", data=body),
                  b.post(f"/cases/{MISSING}/{path}", data=body), str(aid), str(MISSING))
    for path in ("drafts/start_announcement", "drafts"):
        _same_404(api.get(f"/api/v1/cases/{aid}/{path}"),
                  api.get(f"/api/v1/cases/{MISSING}/{path}"), str(aid), str(MISSING))
    assert world.dump() == before


def test_drafts_need_a_session_or_a_token(world: Web):
    ile = world.analyses["ile"]
    anon = world.client()
    for path in (f"/cases/{ile}/drafts/start_announcement",
                 f"/cases/{ile}/drafts/start_announcement/docx"):
        assert anon.get(path).status_code == 303
        assert anon.post(path, data={"csrf": "x"}).status_code == 303
    for path in (f"/api/v1/cases/{ile}/drafts", f"/api/v1/cases/{ile}/drafts/start_announcement"):
        assert world.api(None).get(path).status_code == 401


def test_the_api_lists_a_cases_drafts_and_refuses_in_json(world: Web):
    api = world.api("saule")
    ile = world.analyses["ile"]
    got = api.get(f"/api/v1/cases/{ile}/drafts", params={"lang": "ru"}).json()
    assert [d["stage"] for d in got["stages"]] == ["start_announcement", "discussion_announcement",
                                                    "public_discussion", "publication"]
    assert got["stages"][1]["asks"] == ["discussion_date", "discussion_place", "public_council"]
    assert got["stages"][0]["name"] == "Объявление о начале внутреннего анализа"
    r = api.get(f"/api/v1/cases/{ile}/drafts/order", params={"lang": "ru"})
    assert r.status_code == 404 and "нет проекта объявления" in r.json()["message"]
    r = api.get(f"/api/v1/cases/{ile}/drafts/start_announcement", params={"lang": "de"})
    assert r.status_code == 422
    r = api.get(f"/api/v1/cases/{ile}/drafts/discussion_announcement",
                params={"discussion_date": "tomorrow"})
    assert r.status_code in (409, 422) and "tomorrow" in r.json()["message"]


def test_a_published_text_is_long_but_bounded(web: Web):
    """The published text may be far longer than a document number, not without limit."""
    from workflow.core.machine import MAX_DRAFT, MAX_TEXT

    b = web.browser("saule")
    ile = web.analyses["ile"]
    page = b.get(f"/cases/{ile}/drafts/start_announcement").text
    before = web.dump()
    r = b.post(f"/cases/{ile}/drafts/start_announcement",
               data={"csrf": csrf_of(page), "date": TODAY.isoformat(),
                     "url": "https://ile.gov.kz/n", "ev_published_text": "я" * (MAX_DRAFT + 1)})
    assert r.status_code == 409 and f"Published text: at most {MAX_DRAFT} characters." in r.text
    assert web.dump() == before
    long_text = "Ж" * (MAX_TEXT * 4)
    r = b.post(f"/cases/{ile}/drafts/start_announcement",
               data={"csrf": csrf_of(page), "date": TODAY.isoformat(),
                     "url": "https://ile.gov.kz/n", "ev_published_text": long_text})
    assert r.status_code == 303
    assert web.stage(ile, "start_announcement").evidence["published_text"] == long_text


def test_shipped_templates_exist_for_every_draft_and_language():
    from workflow.definitions import load_registry
    from workflow.drafts.rules import drafts_of
    from workflow.drafts.texts import template_file

    drafted = [d for d in load_registry().all() if drafts_of(d)]
    assert drafted, "no shipped definition has a draft: the check below would check nothing"
    for defn in drafted:
        for spec in drafts_of(defn).values():
            for lang in ("kk", "ru", "en"):
                assert template_file(spec.template, lang) is not None, (defn.key, spec, lang)
    assert Path(template_file("start_announcement", "kk")).read_text(encoding="utf-8")


# -- a case about a person ----------------------------------------------------------------------

PERSON_NOTICE = (Path(__file__).parent / "procedures/person_notice.toml").read_text(encoding="utf-8")


def test_a_draft_of_a_case_about_a_person_is_as_private_as_its_person(web: Web, tmp_path):
    """A definition of one's own may give a case about a person an announcement: its draft is
    read only by those who may see the person (procedures.md), for everyone else the case does
    not exist -- whatever the template would print of the records."""
    from tests.support.web_helpers import CALENDAR
    from web.kit.access import viewer_for
    from workflow import services as svc
    from workflow.core.errors import NotFound
    from workflow.definitions import load_registry
    from workflow.drafts.service import write_draft
    from workflow.drafts.web import draft_case

    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "person_notice.toml").write_text(PERSON_NOTICE, encoding="utf-8")
    (tmp_path / "tpl" / "en").mkdir(parents=True)
    (tmp_path / "tpl" / "en" / "person_notice.txt.j2").write_text(
        "Notice of {{ subject }} since {{ dates.noticed }}", encoding="utf-8")
    ctx = svc.Context(CALENDAR, load_registry((tmp_path / "defs",)), TODAY, actor="test",
                      language="en")
    with Session(web.engine) as s:
        case = svc.open_case(s, ctx, "person_notice", "AK-ALM-EDU", person="Secret Person",
                             position="Secret position", dates={"noticed": TODAY})
        s.commit()
        for login, sees in [("asel", True), ("erlan", True), ("nurlan", False),
                            ("dana", False), ("marat", False), ("gulnar", False)]:
            viewer = viewer_for(s, svc.get_user(s, login))
            if sees:
                assert draft_case(s, ctx, viewer, case.id)[0].id == case.id
                text = write_draft(s, ctx, case.id, "announce", "en",
                                   templates=tmp_path / "tpl").text
                assert text == f"Notice of Education Department since {written(TODAY, 'en')}\n"
                assert "Secret" not in text  # (the facts hold no person)
            else:
                with pytest.raises(NotFound) as refused:
                    draft_case(s, ctx, viewer, case.id)
                assert refused.value.key == "notfound.analysis", login


@pytest.mark.slow
def test_the_shipped_cases_about_a_person_have_no_draft_and_show_nothing(pw: Web):
    """Every role of tests/web/test_person_visibility.py asks for drafts of the four cases about a
    person: none has one; the answer names no person, evidence or note."""
    from tests.support.person_helpers import CASE_KEYS, ROLES, leaks

    for role in ROLES:
        b, api = pw.browser(role.login), pw.api(role.login)
        for key in CASE_KEYS:
            case = pw.analyses[key]
            for r in (b.get(f"/cases/{case}/drafts/start_announcement"),
                      b.get(f"/cases/{case}/drafts/start_announcement/docx"),
                      api.get(f"/api/v1/cases/{case}/drafts/start_announcement")):
                assert r.status_code == 404, (str(role), key, r.status_code)
                assert leaks(r.text) == [], (str(role), key)
            listed = api.get(f"/api/v1/cases/{case}/drafts")
            assert (listed.status_code == 200) is (key in role.sees), (str(role), key)
            assert leaks(listed.text) == [], (str(role), key)
            if listed.status_code == 200:
                assert listed.json()["stages"] == []
