"""The command line's help in Kazakh and Russian (workflow/locales/cli_help/*.toml).

Every command and every option or argument with an English help text has its Kazakh and
Russian text (an option's text may be given once by its name, e.g. "--json", for every command
that has it); no catalogue key names a command or option that does not exist; and
`merzim --help` shows the reader's language, chosen by --lang, MERZIM_LANG or config.toml.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import typer

from tests.support.envs import clean_env
from tests.support.features import installed
from workflow.cli import app
from workflow.cli.help_i18n import LANGUAGES, catalogue, param_name, texts, walk

CYRILLIC = re.compile(r"[А-Яа-яӘәҒғҚқҢңӨөҰұҮүҺһІі]")
KAZAKH_ONLY = re.compile(r"[ӘәҒғҚқҢңӨөҰұҮүҺһІі]")


def tree():
    return list(texts(typer.main.get_command(app)))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_help_text_is_translated(language):
    cat = catalogue(language)
    missing = []
    for kind, key, obj in tree():
        if kind == "command":
            if not cat["commands"].get(key):
                missing.append(f"command {key!r}")
        elif not (cat["options"].get(key) or cat["options"].get(param_name(obj))):
            missing.append(f"option {key!r}")
    assert missing == [], f"{language}: {len(missing)} help texts missing: {missing[:20]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_stale_or_untranslated_entries(language):
    cat = catalogue(language)
    commands = {key for kind, key, _o in tree() if kind == "command"}
    options = {key for kind, key, _o in tree() if kind == "option"}
    names = {param_name(obj) for kind, _k, obj in tree() if kind == "option"} | {"--help"}
    assert set(cat["commands"]) - commands == set(), "catalogue names unknown commands"
    assert {k for k in cat["options"] if " " in k or not k.startswith("-") and k.isupper()
            } - options - names == set(), "catalogue names unknown options"
    assert {k for k in cat["options"] if " " not in k} - names == set()
    for key, text in [*cat["commands"].items(), *cat["options"].items()]:
        assert CYRILLIC.search(text), f"{language}: {key!r} is not translated: {text!r}"
    english = {(kind, key): (obj.help or "").strip() for kind, key, obj in tree()}
    assert not any(cat["commands"].get(k) == v for (kind, k), v in english.items()
                   if kind == "command")


def test_kazakh_texts_are_kazakh_and_russian_are_not():
    kk, ru = catalogue("kk"), catalogue("ru")
    kk_all = " ".join([*kk["commands"].values(), *kk["options"].values()])
    ru_all = " ".join([*ru["commands"].values(), *ru["options"].values()])
    assert len(KAZAKH_ONLY.findall(kk_all)) > 100
    assert len(KAZAKH_ONLY.findall(ru_all)) == 0


def test_help_follows_the_language(merzim):
    kk, ru = catalogue("kk"), catalogue("ru")
    for args, lang, expected in [
        (("--lang", "kk", "--help"), "en", kk["commands"][""]),
        (("--lang", "ru", "case", "open", "--help"), "en", ru["commands"]["case open"]),
        (("case", "open", "--help"), "ru", ru["commands"]["case open"]),
        (("--lang=kk", "overdue", "--help"), "en", kk["commands"]["overdue"]),
    ]:
        result = merzim(*args, lang=lang)
        assert result.returncode == 0, result.stderr
        flat = " ".join(result.stdout.replace("│", " ").split())
        assert " ".join(expected.split())[:40] in flat, (args, flat[:400])
    english = merzim("--lang", "en", "case", "open", "--help")
    flat = " ".join(english.stdout.replace("│", " ").split())
    assert "Open a case of a process" in flat and not CYRILLIC.search(flat)
    option = ru["options"].get("case open --person") or ru["options"]["--person"]
    shown = merzim("--lang", "ru", "case", "open", "--help")
    assert " ".join(option.split())[:30] in " ".join(shown.stdout.replace("│", " ").split())


def test_version(merzim):
    from importlib.metadata import version

    result = merzim("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"merzim {version('merzim')}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_option_and_panel_titles_are_translated(merzim, language):
    cat = catalogue(language)
    assert set(cat["panels"]) == {"arguments", "options", "commands", "required", "default",
                                  "envvar"}
    assert cat["options"].get("--help")
    shown = merzim("--lang", language, "calendar", "add", "--help")
    assert shown.returncode == 0, shown.stderr
    flat = " ".join(shown.stdout.replace("│", " ").split())
    for text in (cat["panels"]["arguments"], cat["panels"]["options"], cat["options"]["--help"],
                 cat["panels"]["required"]):
        assert text in flat, (text, flat)
    assert "[required]" not in flat
    assert "Show this message" not in flat
    english = merzim("--lang", "en", "calendar", "add", "--help").stdout
    assert "Show this message and exit." in english and "Options" in english


def test_a_page_shown_again_after_other_languages_is_the_same(merzim):
    """main keeps the command tree it built for a command and a language
    (workflow/cli/__init__.py, `_BUILT`): a page shown again in this process, after the same
    command in the other languages, is the page it showed first, panel titles included."""
    args = ("org", "--help")
    first = {lang: merzim("--lang", lang, *args).stdout for lang in ("en", "kk", "ru")}
    assert len(set(first.values())) == 3, "each language its own page"
    for lang in ("ru", "en", "kk", "en"):
        again = merzim("--lang", lang, *args)
        assert again.returncode == 0, again.stderr
        assert again.stdout == first[lang], lang
    assert "Options" in first["en"] and not CYRILLIC.search(first["en"])


# -- every option says what it is and what to type ------------------------------------------------


def test_every_option_and_argument_has_help_in_english():
    missing = [f"{path} {param_name(param)}".strip()
               for path, cmd in walk(typer.main.get_command(app)) for param in cmd.params
               if not getattr(param, "hidden", False) and not (param.help or "").strip()]
    assert missing == []


def test_every_option_that_takes_a_value_names_it():
    """`--date DATE`, `--org CODE`: a metavar in the code, in capitals, for every option that is
    not a flag (else typer shows the Python type)."""
    unnamed = [f"{path} {param_name(param)}"
               for path, cmd in walk(typer.main.get_command(app)) for param in cmd.params
               if param.param_type_name == "option" and not param.is_flag
               and not (param.metavar and param.metavar.isupper())]
    assert unnamed == []


HELP_PAGES = """
import sys
import typer
from workflow.cli import app, main
from workflow.cli.help_i18n import walk
for path, _cmd in walk(typer.main.get_command(app)):
    print("=== merzim " + path, flush=True)
    main(["--lang", sys.argv[1], *path.split(), "--help"])
    sys.stdout.flush()
"""
TYPE_PLACEHOLDER = re.compile(r"<(?:bool|str|int|float|path|text|file|dir|list\[\w+\])>"
                              r"|\{[a-z_]+\}")


@pytest.mark.parametrize("language", ("en", *LANGUAGES))
def test_no_help_page_shows_a_python_type(tmp_path, language):
    """Every help page of every command, in each language: named placeholders (FILE, DATE,
    LOGIN), never typer's <str>, <bool>, <path> or a lower-case {file}."""
    env = clean_env()
    env["COLUMNS"] = "200"
    result = subprocess.run([sys.executable, "-c", HELP_PAGES, language], cwd=tmp_path, env=env,
                            capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    pages = {page.split("\n", 1)[0]: page for page in result.stdout.split("=== ")[1:]}
    assert len(pages) == len(list(walk(typer.main.get_command(app))))
    shown = {title: TYPE_PLACEHOLDER.findall(page) for title, page in pages.items()}
    assert {title: found for title, found in shown.items() if found} == {}
    record = " ".join(pages["merzim record"].replace("│", " ").split())
    for option in ("--date DATE", "--period PERIOD", "--evidence KEY=VALUE", "--number NUMBER"):
        assert option in record, (option, record)
    if installed("monitoring"):  # its commands take the id or the organisation, then the file
        assert "{ID} [FILE]" in pages["merzim plan export"]
        assert "{ORG} [FILE]" in pages["merzim positions export"]
        assert "--analysis" not in pages["merzim plan export"]
