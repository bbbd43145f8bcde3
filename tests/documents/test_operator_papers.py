"""An operator's own procedure carries its own paper without code: a TOML definition in her
definitions folder (config.toml [processes] dirs) declares, in its `[papers]` table, the stage
the paper confirms, the record its signed scan is, the evidence it prints and its names; its
template lies in her templates folder ([documents] templates); `merzim document` lists it,
drafts it from the case (every field as `merzim status --json` and the records give it, a
blank for what is not recorded), and records its signed scan as the stage's confirming
document. A paper naming a stage, an event or evidence its process has not is refused when the
definition loads, naming the place."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest

from tests.documents.helpers import text_of
from workflow.core.errors import DefinitionError
from workflow.definitions import load_registry
from workflow.documents.texts import BLANK, check_installation
from workflow.settings import load_settings

PROCEDURE = (Path(__file__).parent / "procedures/ethics_hearing.toml").read_text(encoding="utf-8")
TAGS = ("{{ document }} № {{ own.number }} {{ own.date }}",
        "{{ person.name }}, {{ person.position }}",
        "referred {{ dates.referred }}, due {{ due.hearing }}",
        "findings: {{ records.heard.findings }}; chair: {{ records.heard.signed_by }}")


def _template(path: Path) -> None:
    d = docx.Document()
    for line in TAGS:
        d.add_paragraph(line)
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """Her definitions folder with the procedure, her templates folder with its template in
    ru and kk, and the config.toml naming both."""
    (tmp_path / "procedures").mkdir()
    (tmp_path / "procedures" / "ethics_hearing.toml").write_text(PROCEDURE, encoding="utf-8")
    for lang in ("ru", "kk"):
        _template(tmp_path / "templates" / lang / "hearing_minutes.docx")
    path = tmp_path / "config.toml"
    path.write_text('[processes]\ndirs = ["procedures"]\n\n[documents]\n'
                    'templates = "templates"\n', encoding="utf-8")
    return path


def test_an_operators_procedure_drafts_its_own_paper_with_no_code(merzim_db, config,
                                                                   tmp_path):
    def run(*args: str, today: str = "2026-03-27"):
        result = merzim_db(*args, today=today, config=config)
        assert result.returncode == 0, (args, result.stdout, result.stderr)
        return result

    run("init")
    run("org", "add", "AK", "--name", "Akimat", "--kind", "akimat")
    opened = json.loads(run("case", "open", "ethics_hearing", "--subject", "AK", "--person",
                            "Arman Aliyev", "--position", "Chief specialist", "--date",
                            "referred=2026-03-20", "--json").stdout)
    case = str(opened["id"])
    listed = json.loads(run("document", "list", case, "--json").stdout)["documents"]
    assert [(d["document"], d["stage"], d["event"]) for d in listed] == [
        ("hearing_minutes", "hearing", "heard")]
    out = tmp_path / "minutes.docx"
    drafted = json.loads(run("document", "draft", case, "hearing", "--lang", "ru", "--out",
                             str(out), "--json").stdout)
    assert drafted["template"] == "installation"
    status = json.loads(run("status", case, "--json").stdout)
    due = next(st["due"] for st in status["stages"] if st["key"] == "hearing")
    y, m, d = due.split("-")
    text = text_of(out.read_bytes())
    assert "Протокол заслушивания" in text
    assert "Arman Aliyev, Chief specialist" in text
    assert f"referred 20.03.2026, due {d}.{m}.{y}" in text
    # nothing recorded yet: its date, number, findings and chair are blanks (D-1, D-3)
    assert f"№ {BLANK} {BLANK}" in text
    assert f"findings: {BLANK}; chair: {BLANK}" in text
    # the signed scan recorded from the paper's place confirms its stage in one step
    scan = tmp_path / "signed.pdf"
    scan.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    run("document", "sign", case, "hearing", "--date", "2026-03-26", "--file", str(scan),
        "--number", "4", "--signed-by", "Dana Ermekova", "--evidence",
        "findings=No breach of the code")
    status = json.loads(run("status", case, "--json").stdout)
    assert status["state"] == "heard"
    assert next(st for st in status["stages"] if st["key"] == "hearing")["done_on"] == \
        "2026-03-26"
    run("document", "draft", case, "hearing", "--lang", "kk", "--out", str(out))
    text = text_of(out.read_bytes())
    assert "Тыңдау хаттамасы № 4 26.03.2026" in text
    assert "findings: No breach of the code; chair: Dana Ermekova" in text
    # her template is checked as a shipped one is
    checked = run("document", "check-template", str(tmp_path / "templates" / "ru" /
                                                      "hearing_minutes.docx"),
                  "--name", "hearing_minutes", "--lang", "ru")
    assert checked.returncode == 0
    # and at the start of `merzim serve`: checked, not reported as a file nothing drafts from
    assert check_installation(load_settings(config, env={})) == ()
    # a date her process has not is refused at drafting, naming the tag; nothing is drafted
    d = docx.Document()
    d.add_paragraph("{{ dates.refered }}")
    d.save(str(tmp_path / "templates" / "ru" / "hearing_minutes.docx"))
    wrong = tmp_path / "wrong.docx"
    refused = merzim_db("document", "draft", case, "hearing", "--lang", "ru", "--out",
                        str(wrong), today="2026-03-27", config=config)
    assert refused.returncode == 2 and "refered" in refused.stderr, refused.stderr
    assert not wrong.exists()


@pytest.mark.parametrize(("table", "place"), [
    ('stage = "hearin"', "stage"),
    ('stage = "hearing"\nevent = "heared"', "event"),
    ('stage = "hearing"\nprints = ["heard.finding"]', "prints")])
def test_a_paper_naming_what_its_process_has_not_is_refused_naming_the_place(
        tmp_path, table, place):
    broken = PROCEDURE.split("[papers.hearing_minutes]")[0] + (
        f'[papers.hearing_minutes]\n{table}\nnames = {{ kk = "a", ru = "b", en = "c" }}\n')
    (tmp_path / "ethics_hearing.toml").write_text(broken, encoding="utf-8")
    with pytest.raises(DefinitionError) as err:
        load_registry((tmp_path,))
    assert f"[papers.hearing_minutes].{place}" in err.value.message, err.value.message
