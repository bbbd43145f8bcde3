"""The catalogues are read by Babel (`babel.messages.pofile.read_po`); what it read is kept beside
each PO file and read from there while the file is the same: every catalogue of the project
loads as Babel reads it, a changed file is read again, and what a catalogue may hold (counts,
escapes, fuzzy and empty entries) reads as it should."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from babel.messages.pofile import read_po as babel_read_po

from workflow.i18n import Catalogue, compiled_path, load, read_catalogue, read_with_babel

pytestmark = pytest.mark.unit  # pure: no database, no process

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(ROOT.glob("workflow/i18n/locales/*/LC_MESSAGES/*.po"))

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


def babel_catalogue(path: Path, language: str) -> Catalogue:
    """What the catalogue holds, read by Babel here, entry by entry."""
    with path.open("rb") as fh:
        po = babel_read_po(fh, locale=None)
    texts, plurals = {}, {}
    for message in po:
        if not message.id or message.fuzzy or message.context:
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
def test_the_loaded_catalogue_is_the_one_babel_gives(path):
    language, domain = path.parts[-3], path.stem
    assert load(language, domain) == babel_catalogue(path, language)


def test_what_a_catalogue_may_hold_reads_as_it_should(capsys):
    texts, plurals, num_plurals = read_with_babel(TRICKY.encode("utf-8"))
    capsys.readouterr()  # Babel's warning about the fourth form of a three-form count
    assert num_plurals == 3
    assert plurals == {"count.days": ["{n} день", "{n} дня", "{n} дней"]}  # the 4th cut
    # a later fuzzy copy marks the first fuzzy: neither it nor the one in a context is read
    assert "kept.key" not in texts and "fuzzy.key" not in texts
    assert "empty.key" not in texts and "gone.key" not in texts  # (obsolete)
    assert texts["spaced.key"] == "  пробелы внутри  "
    assert texts["trailing.key"] == "blanks after the quote"


def test_escapes_read_as_written():
    text = ('msgid ""\nmsgstr ""\n"Plural-Forms: nplurals=2; plural=(n != 1);\\n"\n\n'
            'msgid "quoted.key"\nmsgstr ""\n"Строка \\"в кавычках\\" и\\n"\n'
            '"перенос\\tс табуляцией \\\\ и чертой"\n')
    texts, _, num_plurals = read_with_babel(text.encode("utf-8"))
    assert texts == {"quoted.key": 'Строка "в кавычках" и\nперенос\tс табуляцией \\ и чертой'}
    assert num_plurals == 2


def test_what_babel_read_is_kept_and_read_again_only_when_the_file_changes(tmp_path):
    po = tmp_path / "merzim.po"
    po.write_text('msgid "a.key"\nmsgstr "первый"\n', encoding="utf-8")
    assert read_catalogue(po)[0] == {"a.key": "первый"}
    kept = json.loads(compiled_path(po).read_text(encoding="utf-8"))
    assert kept["texts"] == {"a.key": "первый"} and len(kept["sha256"]) == 64
    # while the file is the same, what was kept is what is read
    kept["texts"]["a.key"] = "из сохранённого"
    compiled_path(po).write_text(json.dumps(kept), encoding="utf-8")
    assert read_catalogue(po)[0] == {"a.key": "из сохранённого"}
    # the file changed: Babel reads it again, and that is kept
    po.write_text('msgid "a.key"\nmsgstr "второй"\n', encoding="utf-8")
    assert read_catalogue(po)[0] == {"a.key": "второй"}
    assert read_catalogue(po)[0] == {"a.key": "второй"}
    assert json.loads(compiled_path(po).read_text(encoding="utf-8"))["texts"] == {
        "a.key": "второй"}


def test_a_damaged_kept_file_is_read_again_by_babel(tmp_path):
    po = tmp_path / "cli.po"
    po.write_text('msgid "b.key"\nmsgstr "текст"\n', encoding="utf-8")
    compiled_path(po).write_text("{not json", encoding="utf-8")
    assert read_catalogue(po) == ({"b.key": "текст"}, {}, 2)
    assert json.loads(compiled_path(po).read_text(encoding="utf-8"))["texts"] == {
        "b.key": "текст"}



@pytest.mark.parametrize("path", [*CATALOGUES,
                                  *sorted(ROOT.glob("notifications/locales/*/LC_MESSAGES/*.po"))],
                         ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_entry_is_a_block_of_its_own(path: Path):
    """An entry ends with a blank line: what reads a catalogue by its blocks (the feature
    removal's pruning of stale command-line help) sees one entry a block. A merge that joins
    two appended entries must not pass unseen."""
    lines = path.read_text(encoding="utf-8").splitlines()
    in_msgstr, joined = False, []
    for number, line in enumerate(lines, 1):
        if line.startswith("msgstr"):
            in_msgstr = True
        elif in_msgstr and line.startswith('"'):
            continue
        elif in_msgstr and line.strip():
            joined.append(f"{number}: {line[:60]}")
            in_msgstr = False
        else:
            in_msgstr = False
    assert joined == []
