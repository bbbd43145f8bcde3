"""workflow/i18n/po.py reads a PO file as Babel's read_po does (the catalogues are read without
importing Babel): every catalogue of the project, and a file with what the catalogues may hold."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from babel.messages.pofile import read_po as babel_read_po

from workflow.i18n import Catalogue, load
from workflow.i18n.po import read_po

pytestmark = pytest.mark.unit  # pure: no database, no process

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted([*ROOT.glob("workflow/i18n/locales/*/LC_MESSAGES/*.po"),
                     *ROOT.glob("notifications/locales/*/LC_MESSAGES/*.po")])

TRICKY = r'''# A header comment
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
"(n%100<10 || n%100>=20) ? 1 : 2);\n"

#. an extracted comment
#: workflow/cli/x.py:12
#, python-format, fuzzy
msgid "fuzzy.key"
msgstr "Не готово"

#, python-format
#: a.py:1
msgid "kept.key"
msgstr ""
"Строка \"в кавычках\" и\n"
"перенос\tс табуляцией \\ и обратной чертой"

msgid "empty.key"
msgstr ""

msgid "count.days"
msgid_plural "count.days"
msgstr[0] "{n} день"
msgstr[2] "{n} дней"
msgstr[1] "{n} дня"
msgstr[3] "лишняя форма"

msgctxt "menu"
msgid "kept.key"
msgstr "В меню"

msgid "kept.key"
msgstr "второй раз: первый остаётся"

#, fuzzy
msgid "kept.key"
msgstr "и нечёткий"

#~ msgid "gone.key"
#~ msgstr "устарело"

msgid   "spaced.key"
msgstr   "  пробелы внутри  "
''' + 'msgid "trailing.key"\nmsgstr "blanks after the quote"   \t\n'


def babel_messages(text: str):
    po = babel_read_po(io.BytesIO(text.encode("utf-8")), locale=None)
    return [(m.id, m.string, m.fuzzy, m.context) for m in po if m.id], po.num_plurals


def ours(text: str):
    messages, num_plurals = read_po(text)
    return [(m.id, m.string, m.fuzzy, m.context) for m in messages], num_plurals


def babel_catalogue(path: Path, language: str) -> Catalogue:
    """workflow.i18n.load as it was when it read with Babel."""
    with path.open("rb") as fh:
        po = babel_read_po(fh, locale=None)
    texts, plurals = {}, {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        if message.pluralizable:
            forms = tuple(str(s) for s in message.string)
            if any(forms):
                plurals[message.id[0]] = forms
        elif message.string:
            texts[message.id] = str(message.string)
    return Catalogue(language, texts, plurals, po.num_plurals)


def test_the_project_has_catalogues_to_compare():
    assert len(CATALOGUES) >= 5, CATALOGUES


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_catalogue_reads_as_babel_reads_it(path):
    text = path.read_text(encoding="utf-8")
    assert ours(text) == babel_messages(text)


@pytest.mark.parametrize("path", [p for p in CATALOGUES if "workflow" in p.parts],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_loaded_catalogue_is_the_one_babel_gives(path):
    language, domain = path.parts[-3], path.stem
    assert load(language, domain) == babel_catalogue(path, language)


def test_what_a_catalogue_may_hold_reads_as_babel_reads_it(capsys):
    mine, babel = ours(TRICKY), babel_messages(TRICKY)
    capsys.readouterr()  # Babel's warning about the fourth form of a three-form count
    assert mine == babel
    messages, num_plurals = mine
    found = {(m[0] if isinstance(m[0], str) else m[0][0]): m for m in messages if not m[3]}
    assert found["kept.key"][1] == 'Строка "в кавычках" и\nперенос\tс табуляцией \\ и обратной чертой'
    assert found["kept.key"][2] is True  # a later fuzzy copy marks it
    assert found["count.days"][1] == ("{n} день", "{n} дня", "{n} дней")
    assert found["fuzzy.key"][2] is True and "gone.key" not in found
    assert num_plurals == 3 and found["spaced.key"][1] == "  пробелы внутри  "
