"""One i18n mechanism, complete, and no raw keys in front of a reader.

* Every gettext catalogue (PO files: domains merzim and cli in workflow/i18n/locales, digest in
  notifications/locales) parses, declares the language's Plural-Forms (en 2, ru 3, kk 1),
  gives each count that many non-empty forms, and has exactly the English keys.
* Every message key the code names literally (`t("web.x")`, `key="rule.y"`, a template's
  `_('list.z')`) is in the English catalogue.
* Refusals in kk and ru name events, stages, states and fields by their names, never by key.
* Every page a manager, an officer and an administrator can open (each register's page
  included), rendered in kk and ru, shows no event, stage, state or field key of any process
  definition, no message key of the catalogue and no period code (2026Q4, 2026H2, 2026M10:
  a period reads by its name) in its visible text, and Russian counts use the right plural
  forms (1 день, 2 дня, 5 дней).
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.support.raw_words import codes_and_keys, raw_keys
from tests.support.web_helpers import world_fixture  # noqa: F401 - the `world` fixture
from workflow.core.errors import RuleViolation
from workflow.definitions import load_registry
from workflow.i18n import Translator, load

ROOT = Path(__file__).resolve().parents[2]
DOMAINS = {  # domain -> (folder, languages that must match the first one)
    "merzim": (ROOT / "workflow" / "i18n" / "locales", ("en", "kk", "ru")),
    "digest": (ROOT / "notifications" / "locales", ("en", "kk", "ru")),
    "cli": (ROOT / "workflow" / "i18n" / "locales", ("kk", "ru")),
}
NPLURALS = {"en": 2, "ru": 3, "kk": 1}
KEY_SHAPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")


def _po(domain: str, language: str):
    folder, _ = DOMAINS[domain]
    with (folder / language / "LC_MESSAGES" / f"{domain}.po").open("rb") as fh:
        return read_po(fh, domain=domain)


def _ids(catalog) -> set[str]:
    return {m.id[0] if m.pluralizable else m.id for m in catalog if m.id}


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_every_catalogue_is_complete_with_its_plural_forms(domain):
    _, languages = DOMAINS[domain]
    catalogs = {lang: _po(domain, lang) for lang in languages}
    reference = _ids(catalogs[languages[0]])
    assert reference, f"{domain}: the {languages[0]} catalogue is empty"
    for lang, catalog in catalogs.items():
        assert catalog.num_plurals == NPLURALS[lang], (domain, lang, catalog.plural_forms)
        ids = _ids(catalog)
        assert ids == reference, (domain, lang, sorted(reference - ids), sorted(ids - reference))
        for message in catalog:
            if not message.id:
                continue
            assert not message.fuzzy, (domain, lang, message.id)
            if message.pluralizable:
                forms = list(message.string)
                assert len(forms) == NPLURALS[lang] and all(f.strip() for f in forms), \
                    (domain, lang, message.id, forms)
            else:
                assert str(message.string).strip(), (domain, lang, message.id)
        # a count in one language is a count in all of them
        plural_ids = {m.id[0] for m in catalog if m.id and m.pluralizable}
        english_plurals = {m.id[0] for m in catalogs[languages[0]] if m.id and m.pluralizable}
        assert plural_ids == english_plurals, (domain, lang, plural_ids ^ english_plurals)


TRANSLATING = {"t", "_", "n", "plural", "translate", "gettext", "kind_name"}


def _literal_keys() -> dict[str, set[str]]:
    """The message keys the code names literally, by file: the first argument of a call of a
    translator (`t("…")`, `t.n("…", n)`, `translate("…")`), a `key="…"` argument (an error's
    message), and a template's `_('…')`/`t('…')`."""
    found: dict[str, set[str]] = {}
    for folder in ("workflow", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            keys = found.setdefault(str(path.relative_to(ROOT)), set())
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in TRANSLATING and node.args and isinstance(node.args[0], ast.Constant):
                    keys.add(node.args[0].value)
                keys.update(k.value.value for k in node.keywords
                            if k.arg == "key" and isinstance(k.value, ast.Constant))
    call = re.compile(r"""(?<![\w.])(?:_|t|gettext)(?:\.n)?\(\s*['"]([^'"]+)['"](?!\s*~)""")
    for path in (ROOT / "web" / "templates").glob("*.html"):
        keys = set(call.findall(path.read_text(encoding="utf-8")))
        found.setdefault(str(path.relative_to(ROOT)), set()).update(keys)
    return {where: {k for k in keys if isinstance(k, str) and KEY_SHAPE.match(k)}
            for where, keys in found.items()}


def test_every_key_the_code_names_is_catalogued():
    english = load("en")
    known = set(english.texts) | set(english.plurals)
    missing = {f"{where}: {key}" for where, keys in _literal_keys().items() for key in keys
               if key not in known}
    assert not missing, sorted(missing)


# -- refusals name things, not keys ------------------------------------------------------------

def test_the_scan_finds_a_key_and_passes_a_name():
    assert raw_keys("Келесі әрекеттер: order") == ["order"]
    assert raw_keys("analytic_note оқиғасының күні") == ["analytic_note"]
    assert raw_keys("Келесі әрекеттер: «Бұйрық» · AK-ALM-EDU · https://x.kz/order") == []
    assert codes_and_keys("Кезең: 2026Q4, 2026-H2 · score.risk.all · 2026M10") == [
        "2026-H2", "2026M10", "2026Q4", "score.risk.all"]
    assert codes_and_keys("IV тоқсан 2026 · 2026-11-23 · www.gov.kz · файл.pdf · 2026") == []


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_a_refusal_names_events_states_and_fields_in_the_readers_language(language):
    defn = load_registry().get("internal_risk_analysis")
    t = Translator(language)
    event, other = "analytic_note", "analysis_end"
    refusals = [
        RuleViolation(key="rule.prerequisite", event=event, other=other),
        RuleViolation(key="rule.missing_evidence", event=event, field="number"),
        RuleViolation(key="rule.not_allowed", event=event, state="published",
                      allowed="order, start_announcement"),
        RuleViolation(key="rule.missing_evidence_any", event=event, groups="number + url | note"),
        RuleViolation(key="rule.stage_not_open", stage="order", status="done_on_time"),
    ]
    for exc in refusals:
        text = defn.name_keys(exc).render(t)
        assert raw_keys(text) == [], text
    first = defn.name_keys(RuleViolation(key="rule.prerequisite", event=event, other=other))
    text = first.render(t)
    assert defn.events[event].names[language] in text
    assert defn.events[other].names[language] in text


def test_russian_counts_take_their_plural_forms():
    t = Translator("ru")
    assert [t.n("unit.working_days", n) for n in (1, 2, 5, 11, 21, 22, 25)] == [
        "рабочий день", "рабочих дня", "рабочих дней", "рабочих дней", "рабочий день",
        "рабочих дня", "рабочих дней"]
    assert Translator("en").n("unit.working_days", 1) == "working day"
    assert Translator("en").n("unit.working_days", 2) == "working days"


# -- every page in kk and ru ----------------------------------------------------------------

class _Text(HTMLParser):
    """The text a reader sees: text nodes, alt/title/aria-label/placeholder attributes; not
    scripts, styles, or the values of form fields (what the reader typed or chooses from)."""

    SKIP = {"script", "style", "textarea"}

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        for name, value in attrs:
            if name in ("alt", "title", "aria-label", "placeholder") and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(parser.parts)


def _pages(w) -> list[str]:
    """Every HTML page of the dashboard a demo user opens (ids from the demo)."""
    pages = ["/", "/overdue", "/due", "/cases", "/obligations", "/programmes", "/score",
             "/calendar/2026", "/account", "/outbox", "/registers", "/coverage",
             "/notifications", "/account/reminders", "/people", "/admin/public"]
    pages += [f"/cases/{case_id}" for case_id in w.analyses.values()]
    pages += [f"/programmes/{p}" for p in w.programmes.values()]
    routes = {getattr(r, "path", "") for r in w.app.routes}
    pages += [p for p in ("/work", "/overview") if p in routes]
    return pages


def _read(page: str, t: Translator) -> str:
    """A page's visible text without the one place a period's code is due: a field that takes
    a monitoring period as its code (2025Q4) says so in its label's example and placeholder."""
    page = page.replace('placeholder="2025Q4"', "")
    return visible_text(page).replace(t("form.period"), "")


@pytest.mark.parametrize("language", ["kk", "ru"])
@pytest.mark.slow
def test_no_page_shows_a_raw_key_in_kazakh_or_russian(world, language):
    w = world
    t = Translator(language)
    found: dict[str, list[str]] = {}
    for login in ("nurlan", "asel", "erlan"):
        browser = w.browser(login)
        browser.cookies.set("merzim_lang", language)
        try:
            for path in _pages(w):
                r = browser.get(path, follow_redirects=True)
                if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
                    continue
                keys = codes_and_keys(_read(r.text, t))
                if keys:
                    found[f"{login} {path}"] = keys
                if path == "/registers":  # and each register's own page
                    extra = re.findall(r'href="(/registers/[a-z0-9_]+)"', r.text)
                    for more in dict.fromkeys(extra):
                        keys = codes_and_keys(_read(browser.get(more).text, t))
                        if keys:
                            found[f"{login} {more}"] = keys
        finally:
            browser.cookies.set("merzim_lang", "en")
    assert not found, found


def test_a_message_names_organisations_in_the_readers_language():
    """A digest line names the subject and the object by their kk/ru names (the code only
    where an organisation has no name), and an analysis of the subject itself once."""
    from datetime import date

    from notifications.render import render_moved

    names = {"en": "Education department", "kk": "Білім басқармасы", "ru": "Управление образования"}
    school = {"en": "School No. 5", "kk": "№5 мектеп", "ru": "Школа №5"}
    lines = [{"stage_names": {"kk": "Бұйрық", "ru": "Приказ", "en": "Order"}, "stage": "order",
              "subject": "Education department", "object": "AK-SCH5", "subject_names": names,
              "object_names": school, "analysis": 3, "old": date(2026, 12, 31),
              "new": date(2027, 1, 4)},
             {"stage_names": {"kk": "Бұйрық", "ru": "Приказ", "en": "Order"}, "stage": "order",
              "subject": "Education department", "object": "AK-EDU", "subject_names": names,
              "object_names": names, "analysis": 4, "old": date(2026, 12, 31),
              "new": date(2027, 1, 4)}]
    kk = render_moved("kk", "Әлия", date(2026, 12, 1), lines).text
    assert "Бұйрық — Білім басқармасы → №5 мектеп, №3 талдау" in kk
    assert "Бұйрық — Білім басқармасы, №4 талдау" in kk
    ru = render_moved("ru", "Алия", date(2026, 12, 1), lines).text
    assert "Приказ — Управление образования → Школа №5, анализ №3" in ru
    assert "AK-SCH5" not in kk + ru and "Education" not in kk + ru


@pytest.mark.parametrize(("args", "kk", "ru"), [
    (["status"], "'ANALYSIS' аргументі көрсетілмеген.", "Не указан аргумент 'ANALYSIS'."),
    (["nosuchcommand"], "'nosuchcommand' деген команда жоқ.", "Команды 'nosuchcommand' нет."),
    (["overdue", "--bogus"], "--bogus деген параметр жоқ.", "Параметра --bogus нет."),
], ids=["missing-argument", "no-such-command", "no-such-option"])
def test_the_command_lines_own_errors_speak_the_readers_language(capsys, args, kk, ru):
    """click's usage errors (typer vendors click with English f-strings) in kk and ru, exit 2,
    with where to find help; English stays click's wording."""
    from workflow.cli import main

    for language, expected, help_hint in (("kk", kk, "(анықтама: merzim --help)"),
                                          ("ru", ru, "(справка: merzim --help)")):
        with pytest.raises(SystemExit) as stop:
            main(["--lang", language, *args])
        assert stop.value.code == 2
        err = capsys.readouterr().err.strip()
        assert err == f"{expected} {help_hint}", err
    with pytest.raises(SystemExit) as stop:
        main(["--lang", "en", *args])
    assert stop.value.code == 2 and capsys.readouterr().err.strip().endswith("(merzim --help)")


def test_help_pages_say_usage_in_the_readers_language(capsys):
    from workflow.cli import main

    for language, word in (("ru", "Использование:"), ("kk", "Қолданылуы:"), ("en", "Usage:")):
        try:
            main(["--lang", language, "status", "--help"])
        except SystemExit as stop:
            assert stop.code in (0, None)
        assert word in capsys.readouterr().out


# -- the command line in kk and ru ------------------------------------------------------------

COMMAND = re.compile(r"\((?:[^()]*\bmerzim\b[^()]*|\s*[a-z][a-z0-9_]*\s*)\)")


def cli_raw_keys(text: str) -> list[str]:
    """Raw keys in CLI output, leaving out command syntax the operator types: "(merzim record
    8 meeting_held)" and a key in parentheses after its name ("«Бұйрық» (order)")."""
    return raw_keys(COMMAND.sub(" ", text))


def test_the_cli_scan_leaves_commands_alone():
    assert cli_raw_keys("«Бұйрық» (merzim record 8 order); «Хабарландыру» (start_announcement)") \
        == []
    assert cli_raw_keys("Келесі әрекеттер: order") == ["order"]


@pytest.mark.slow
def test_no_cli_message_shows_a_raw_key_in_kazakh_or_russian(merzim_db, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("the wording does not depend on the backend: SQLite only")
    today = "2026-11-23"
    init = merzim_db("init", "--demo", today=today)
    assert init.returncode == 0, init.stderr
    commands = [["status", str(n)] for n in (1, 2, 8, 12)] + [
        ["overdue"], ["due"], ["org", "list"], ["user", "list"],
        ["obligations", "list", "--org", "AK-ILI", "--year", "2026"],
        ["record", "2", "analytic_note", "--date", "2026-11-20"],  # evidence missing
        ["record", "2", "order", "--date", "2026-11-20"],  # already recorded
        ["record", "3", "publication", "--date", "2026-11-20"],  # not now
        ["void", "2", "nosuch", "--note", "x"],  # nothing to void: lists what is
    ]
    found = {}
    for language in ("kk", "ru"):
        for args in commands:
            run = merzim_db(*args, today=today, lang=language)
            assert "Traceback" not in run.stderr, (args, run.stderr)
            keys = cli_raw_keys(run.stdout + "\n" + run.stderr)
            if keys:
                found[f"{language} {' '.join(args)}"] = keys
    assert not found, found
