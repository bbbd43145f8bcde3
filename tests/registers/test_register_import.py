"""A register imported from a spreadsheet: `merzim case import KEY FILE` opens a
case for every row, records the row's event when it names one, and stores nothing when a row
or a column is refused. Shown with the gift register (002:L161: hand over within 7 calendar
days of receipt, rolled to the next working day)."""

from __future__ import annotations

import json

import openpyxl
import pytest


@pytest.fixture
def cli(merzim_db):
    assert merzim_db("init").returncode == 0
    assert merzim_db("org", "add", "MF", "--name", "Ministry", "--kind",
                     "central_body").returncode == 0

    def run(*args: str, lang: str = "en"):
        return merzim_db(*args, today="2026-11-20", lang=lang)
    return run


def cases(cli) -> list[dict]:
    result = cli("case", "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def write_csv(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


def test_every_row_opens_a_case_and_records_its_event(cli, tmp_path):
    f = write_csv(tmp_path / "gifts.csv",
                  "subject,person,position,received,event,on,receipt_act\n"
                  "MF,Aida,Chief expert,2026-03-20,handed_over,2026-03-24,АП-12\n"
                  "MF,Berik,Expert,2026-10-03,,,\n")
    result = cli("case", "import", "gift", str(f), "--json")
    assert result.returncode == 0, result.stderr
    opened = json.loads(result.stdout)["opened"]
    assert [(o["row"], o["recorded"]) for o in opened] == [(2, "handed_over"), (3, None)]
    first = json.loads(cli("status", str(opened[0]["id"]), "--json").stdout)
    second = json.loads(cli("status", str(opened[1]["id"]), "--json").stdout)
    # 20 March 2026 + 7 calendar days = 27 March, a Friday and a working day; handed over
    # on the 24th: done on time
    assert [(s["key"], s["due"], s["status"]) for s in first["stages"]] == [
        ("hand_over", "2026-03-27", "done_on_time")]
    assert first["state"] == "handed_over"
    # 3 October 2026 (a Saturday) + 7 = Saturday 10 October, rolled to Monday 12 October
    assert [(s["key"], s["due"]) for s in second["stages"]] == [("hand_over", "2026-10-12")]
    # the same rows from an XLSX file
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["subject", "person", "received"])
    ws.append(["MF", "Dana", "2026-05-04"])
    wb.save(tmp_path / "gifts.xlsx")
    result = cli("case", "import", "gift", str(tmp_path / "gifts.xlsx"))
    assert result.returncode == 0, result.stderr
    assert "1 case opened." in result.stdout
    assert len(cases(cli)) == 3


@pytest.mark.parametrize("text, exit_code, message", [
    # a column the definition does not know: refused before any row
    ("subject,person,recieved\nMF,Aida,2026-03-20\n", 2,
     "Unknown columns recieved. A file of this register may have: Organisation, Person, "),
    # the second data row (row 3 of the file) has a bad date: the first is not kept either
    ("subject,person,received\nMF,Aida,2026-03-20\nMF,Berik,31.02.2026\n", 2,
     "Row 3: column “Received (or learned of)”, value “31.02.2026”: not a date"),
    # an organisation that does not exist
    ("subject,person,received\nMF,Aida,2026-03-20\nXX,Berik,2026-03-20\n", 4, "Row 3:"),
    # a required person missing
    ("subject,person,received\nMF,,2026-03-20\n", None, "Row 2:"),
    # evidence without an event
    ("subject,person,received,receipt_act\nMF,Aida,2026-03-20,АП-1\n", 2,
     "Row 2: evidence is given but no event"),
    # an event the state does not accept yet (recorded twice in one row is impossible; a
    # date in the future is refused by the same rules as `merzim record`)
    ("subject,person,received,event,on,receipt_act\nMF,Aida,2026-03-20,handed_over,"
     "2026-12-01,АП-1\n", None, "Row 2:"),
])
def test_a_refused_row_or_column_stores_nothing(cli, tmp_path, text, exit_code, message):
    before = cases(cli)
    result = cli("case", "import", "gift", str(write_csv(tmp_path / "bad.csv", text)))
    assert result.returncode != 0
    if exit_code is not None:
        assert result.returncode == exit_code, result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert cases(cli) == before


def test_the_refusal_is_in_the_readers_language(cli, tmp_path):
    f = write_csv(tmp_path / "bad.csv", "subject,person,recieved\nMF,Aida,2026-03-20\n")
    ru = cli("case", "import", "gift", str(f), lang="ru")
    kk = cli("case", "import", "gift", str(f), lang="kk")
    assert "Неизвестные столбцы recieved" in ru.stderr
    assert "Белгісіз бағандар: recieved" in kk.stderr


def test_a_russian_file_is_read_in_the_officers_words(cli, tmp_path):
    """Russian headers and an event by its Russian name, dates as dd.mm.yyyy, the
    organisation by its name: read as the keys; a mistaken cell named in Russian."""
    f = write_csv(tmp_path / "подарки.csv",
                  "Организация;Лицо;Дата получения подарка (или когда о нём стало известно)\n"
                  "Ministry;Аида;20.03.2026\n"
                  "MF;Берик;2026-10-03\n")
    result = cli("case", "import", "gift", str(f), "--json", lang="ru")
    assert result.returncode == 0, result.stderr
    opened = json.loads(result.stdout)["opened"]
    first = json.loads(cli("status", str(opened[0]["id"]), "--json").stdout)
    assert [(s["key"], s["due"]) for s in first["stages"]] == [("hand_over", "2026-03-27")]
    before = cases(cli)
    bad = write_csv(tmp_path / "ошибки.csv",
                    "Организация;Лицо;Дата получения подарка (или когда о нём стало известно)\n"
                    "Нет такой;Аида;20.03.2026\nMF;Берик;32.03.2026\n")
    refused = cli("case", "import", "gift", str(bad), lang="ru")
    assert refused.returncode == 4, refused.stderr
    assert "Строка 2: столбец «Организация», значение «Нет такой»: нет организации" \
        in refused.stderr, refused.stderr
    assert "Строка 3: столбец «Дата получения подарка (или когда о нём стало известно)», " \
        "значение «32.03.2026»: это не дата" in refused.stderr, refused.stderr
    assert cases(cli) == before
