"""The message catalogues (workflow/locales/*.toml) match each other and the process definition."""

from __future__ import annotations

import string

import pytest

from workflow.definitions import load_definition
from workflow.i18n import LANGUAGES, Translator, catalogue

pytestmark = pytest.mark.unit  # pure: no database, no process

TRANSLATIONS = [lang for lang in LANGUAGES if lang != "en"]

# Keys whose kk/ru text may equal the English one (proper names, codes, commands).
# None at present; add "language.key" entries here with a reason if one is ever needed.
SAME_AS_ENGLISH: dict[str, set[str]] = {"kk": set(), "ru": set()}


def _fields(text: str) -> set[tuple[str, str | None, str]]:
    """The replacement fields of a str.format text: (name, conversion, format spec)."""
    return {(name, conversion, spec or "")
            for _, name, spec, conversion in string.Formatter().parse(text) if name is not None}


def _literal(text: str) -> str:
    """The text without its replacement fields."""
    return "".join(literal for literal, *_ in string.Formatter().parse(text))


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_catalogue_has_exactly_the_english_keys(language):
    keys, english = set(catalogue(language)), set(catalogue("en"))
    assert not english - keys, f"missing in {language}.toml: {sorted(english - keys)}"
    assert not keys - english, f"not in en.toml: {sorted(keys - english)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_a_valid_format_string(language):
    for key, text in catalogue(language).items():
        try:
            _fields(text)
        except ValueError as exc:
            pytest.fail(f"{language}.toml {key}: {exc}")


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_use_the_english_placeholders(language):
    english = catalogue("en")
    wrong = {key: (sorted(_fields(text), key=str), sorted(_fields(english[key]), key=str))
             for key, text in catalogue(language).items()
             if key in english and _fields(text) != _fields(english[key])}
    assert not wrong, f"{language}.toml placeholders differ from en.toml: {wrong}"


@pytest.mark.parametrize("language", TRANSLATIONS)
def test_translations_differ_from_english(language):
    english = catalogue("en")
    untranslated = sorted(
        key for key, text in catalogue(language).items()
        if key in english and any(ch.isalpha() for ch in _literal(english[key]))
        and text == english[key] and key not in SAME_AS_ENGLISH[language])
    assert not untranslated, f"{language}.toml keeps the English text of {untranslated}"


def test_same_as_english_exceptions_are_real_keys():
    for language, keys in SAME_AS_ENGLISH.items():
        assert keys <= set(catalogue("en")), keys - set(catalogue("en"))
        assert all(catalogue(language)[k] == catalogue("en")[k] for k in keys)


def test_kazakh_translator_renders_the_values():
    text = Translator("kk")("rule.not_allowed", event="x", state="y", allowed="z")
    assert text == catalogue("kk")["rule.not_allowed"].format(event="x", state="y", allowed="z")
    for value in ("x", "y", "z"):
        assert value in text
    assert "{" not in text and "}" not in text
    assert text != Translator("en")("rule.not_allowed", event="x", state="y", allowed="z")


@pytest.fixture(scope="module")
def definition():
    return load_definition("internal_risk_analysis")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_stage_is_named_in_every_language(definition, language):
    stages = {**definition.stages, **definition.programme_stages}
    assert stages
    for key, stage in stages.items():
        assert stage.names.get(language, "").strip(), f"stage {key} has no {language} name"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_state_is_named_and_catalogued_in_every_language(definition, language):
    assert definition.states
    texts = catalogue(language)
    for key, names in definition.states.items():
        assert names.get(language, "").strip(), f"state {key} has no {language} name"
        assert texts.get(f"state.{key}", "").strip(), f"{language}.toml lacks state.{key}"
