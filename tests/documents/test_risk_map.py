"""Risks assessed, mapped and answered by the plan (D-6) from the web, the API and the command
line, over the demo (tests/support/web_helpers.py, today 19 November 2025): `edu` is the
education department's analysis, its note not yet signed; asel records on it, saule is the
officer of another organisation. Each refusal leaves every table as it was."""

from __future__ import annotations

import json
import re

from sqlmodel import Session, col, select

from tests.monitoring.risk_world import cells as _cells
from tests.support.web_helpers import (
    TODAY,
    Web,
    csrf_of,
    refusal_of,
    web_fixture,  # noqa: F401 - the `web` fixture
)
from workflow.storage.models import Case, Organisation, Risk


def _org_of(web: Web, case_id: int) -> str:
    with Session(web.engine) as s:
        case = s.get(Case, case_id)
        return s.get(Organisation, case.subject_id).code


def _grades(web: Web, case_id: int) -> list[tuple[str, int | None, int | None]]:
    with Session(web.engine) as s:
        return [(r.description, r.likelihood, r.consequence) for r in s.exec(
            select(Risk).where(Risk.analysis_id == case_id).order_by(col(Risk.id)))]


def _risk_problem(page: str) -> str:
    found = re.search(r'data-testid="risk-problem">([^<]*)<', page)
    assert found, page
    return found.group(1)


def test_a_risk_assessed_on_the_web_is_levelled_ranked_and_mapped(web: Web):
    edu = web.analyses["edu"]
    b = web.browser("asel")
    page = b.get(f"/cases/{edu}/documents/analytic_note").text
    assert 'name="likelihood"' in page and 'name="consequence"' in page
    assert "3. Likely" in page and "3. Severe" in page  # the grades by their names
    csrf = csrf_of(page)
    before = web.dump()
    for lk, cq, fragment in (("4", "1", "Likelihood: «4» is not a grade of the scale"),
                             ("2", "", "Consequence is missing")):
        r = b.post(f"/cases/{edu}/documents/analytic_note/risks",
                   data={"csrf": csrf, "description": "Ручное распределение",
                         "likelihood": lk, "consequence": cq})
        assert r.status_code == 422 and fragment in _risk_problem(r.text), r.text
    assert web.dump() == before
    known = len(_grades(web, edu))
    for text, lk, cq in (("Ручное распределение мест", "3", "2"), ("Справки без учёта", "1", "1"),
                         ("Подарки", "", "")):
        r = b.post(f"/cases/{edu}/documents/analytic_note/risks",
                   data={"csrf": csrf, "description": text, "likelihood": lk, "consequence": cq})
        assert r.status_code == 303, r.text
    assert _grades(web, edu)[known:] == [("Ручное распределение мест", 3, 2),
                                         ("Справки без учёта", 1, 1), ("Подарки", None, None)]
    page = b.get(f"/cases/{edu}/documents/analytic_note").text
    levels = re.findall(r'data-testid="risk-level" data-level="(\w*)">([^<]*)<', page)
    ranks = [int(x) for x in re.findall(r'data-testid="risk-rank">(\d+)<', page)]
    assert levels[known:] == [("high", "High"), ("low", "Low"), ("", "not assessed")]
    assert ranks[known:] == [1 if known == 0 else ranks[known], ranks[known] + 1,
                             len(ranks)]  # the one not assessed is ranked last
    assert 'data-testid="risk-map"' in page and "<svg" in page
    # the picture on its own: each risk's number in the cell of its grades
    svg = b.get(f"/cases/{edu}/risk-map.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    cells = _cells(svg.text)
    assert str(known + 1) in cells[(3, 2)][1].split(", ") and cells[(3, 2)][0] == "high"
    assert str(known + 2) in cells[(1, 1)][1].split(", ") and cells[(1, 1)][0] == "low"
    assert str(known + 3) not in {n for _lv, text in cells.values() for n in text.split(", ")}
    # one who may not see the case sees no map
    other = web.browser("saule")
    assert other.get(f"/cases/{edu}/risk-map.svg").status_code == 404
    assert other.get(f"/cases/{edu}/documents/analytic_note").status_code == 404
    # the organisation's page links its map: its analyses' risks by process or subdivision
    code = _org_of(web, edu)
    org_page = b.get(f"/orgs/{code}").text
    assert f'href="/orgs/{code}/risk-map"' in org_page
    mapped = b.get(f"/orgs/{code}/risk-map")
    assert mapped.status_code == 200 and 'data-testid="risk-map-row"' in mapped.text
    assert "Ручное распределение мест" in mapped.text
    cells = _cells(b.get(f"/orgs/{code}/risk-map.svg").text)
    assert f"{edu}/{known + 1}" in cells[(3, 2)][1].split(", ")
    assert other.get(f"/orgs/{code}/risk-map").status_code == 404
    assert other.get(f"/orgs/{code}/risk-map.svg").status_code == 404


def test_the_api_records_and_assesses_a_risk_refusing_bad_grades(web: Web):
    edu = web.analyses["edu"]
    api, other = web.api("asel"), web.api("saule")
    before = web.dump()
    for body in ({"description": "Risk", "likelihood": 5, "consequence": 1},
                 {"description": "Risk", "likelihood": 2},
                 {"description": " ", "likelihood": 1, "consequence": 1}):
        r = api.post(f"/api/v1/cases/{edu}/risks", json=body)
        assert r.status_code == 422, r.text
    assert other.post(f"/api/v1/cases/{edu}/risks",
                      json={"description": "Risk"}).status_code == 404
    assert web.dump() == before
    r = api.post(f"/api/v1/cases/{edu}/risks",
                 json={"description": "Manual allocation", "process": "Queue",
                       "likelihood": 2, "consequence": 2})
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["level_key"], made["level"], made["score"], made["measured"]) == (
        "medium", "Орташа", 4, False)  # in the reader's language (asel reads Kazakh)
    r = api.put(f"/api/v1/cases/{edu}/risks/{made['id']}/assessment",
                json={"likelihood": 3, "consequence": 3})
    assert r.status_code == 200 and r.json()["level_key"] == "high"
    before = web.dump()
    r = api.put(f"/api/v1/cases/{edu}/risks/{made['id']}/assessment",
                json={"likelihood": 0, "consequence": 3}, params={"lang": "kk"})
    assert r.status_code == 422 and "шкала дәрежесі емес" in r.json()["message"]
    r = api.put(f"/api/v1/cases/{edu}/risks/999999/assessment",
                json={"likelihood": 1, "consequence": 3})
    assert r.status_code == 404
    assert web.dump() == before
    listed = api.get(f"/api/v1/cases/{edu}/risks").json()
    assert [r["rank"] for r in listed if r["id"] == made["id"]] == [1]
    assert other.get(f"/api/v1/cases/{edu}/risks").status_code == 404


def test_the_command_line_assesses_lists_and_refuses_in_the_readers_language(web: Web,
                                                                            merzim_db):
    edu = str(web.analyses["edu"])
    before = web.dump()
    for lang, fragment in (("ru", "Вероятность: «7» — не степень шкалы"),
                           ("kk", "Ықтималдық: «7» шкала дәрежесі емес"),
                           ("en", "Likelihood: «7» is not a grade of the scale")):
        r = merzim_db("risk", "add", edu, "--description", "Risk", "--likelihood", "7",
                      "--consequence", "1", lang=lang)
        assert r.returncode == 2 and fragment in r.stderr and "Traceback" not in r.stderr
    r = merzim_db("risk", "add", edu, "--description", "Risk", "--consequence", "1", lang="ru")
    assert r.returncode == 2 and "не указано — Вероятность" in r.stderr
    assert web.dump() == before
    r = merzim_db("risk", "add", edu, "--description", "Выдача справок без учёта",
                  "--likelihood", "2", "--consequence", "3", "--json")
    assert r.returncode == 0, r.stderr
    made = json.loads(r.stdout)
    assert (made["likelihood"], made["consequence"]) == (2, 3)
    r = merzim_db("risk", "set", str(made["id"]), "--likelihood", "1", "--consequence", "1")
    assert r.returncode == 0 and f"Risk #{made['id']} assessed" in r.stdout
    r = merzim_db("risk", "list", edu, "--json")
    row = next(x for x in json.loads(r.stdout)["risks"] if x["id"] == made["id"])
    assert (row["level_key"], row["measured"]) == ("low", False)
    r = merzim_db("risk", "list", edu, lang="ru")
    assert r.returncode == 0 and "Низкий" in r.stdout and "пока нет" in r.stdout


def test_the_plan_is_approved_with_a_risk_without_measure_only_with_the_reason(web: Web,
                                                                               merzim_db,
                                                                               tmp_path):
    edu = web.analyses["edu"]
    api = web.api("asel")
    r = api.post(f"/api/v1/cases/{edu}/events",
                 json={"event": "analytic_note", "date": TODAY.isoformat(), "number": "12",
                       "signed_by": "Akim"})
    assert r.status_code == 200, r.text
    r = api.post(f"/api/v1/cases/{edu}/risks", json={"description": "Manual allocation"})
    no = next(x["no"] for x in api.get(f"/api/v1/cases/{edu}/risks").json()
              if x["id"] == r.json()["id"])
    # the plan's page says which risks have no measure yet
    b = web.browser("asel")
    page = b.get(f"/cases/{edu}/documents/action_plan").text
    assert f"№{no}" in re.search(r'data-testid="plan-unmeasured">([^<]*)<', page).group(1)
    body = {"event": "action_plan", "date": TODAY.isoformat(), "number": "15",
            "signed_by": "Akim"}
    before = web.dump()
    r = api.post(f"/api/v1/cases/{edu}/events", json=body)
    assert r.status_code == 409 and f"№{no}" in r.json()["message"]
    form = {"csrf": web.csrf(b), "event": "action_plan", "date": TODAY.isoformat(),
            "number": "15", "signed_by": "Akim", "url": "", "note": "",
            "ev_unmeasured_reason": ""}
    assert 'name="ev_unmeasured_reason"' in b.get(f"/cases/{edu}").text
    r = b.post(f"/cases/{edu}/events", data=form)
    assert r.status_code == 409 and f"№{no}" in (refusal_of(r.text) or "")
    r = merzim_db("record", str(edu), "action_plan", "--date", TODAY.isoformat(),
                  "--number", "15", "--signed-by", "Akim", lang="kk")
    assert r.returncode == 3 and f"№{no}" in r.stderr and "Іс-шаралар жоспары бекітілмеді" in r.stderr
    assert web.dump() == before
    r = b.post(f"/cases/{edu}/events",
               data={**form, "ev_unmeasured_reason": "The risk is removed by the new law"})
    assert r.status_code == 303, r.text
    assert web.stage(edu, "action_plan").evidence["unmeasured_reason"] == (
        "The risk is removed by the new law")


def _note_tables(content: bytes) -> list[list[list[str]]]:
    import io

    import docx

    d = docx.Document(io.BytesIO(content))
    return [[[c.text for c in row.cells] for row in t.rows] for t in d.tables]


def _fills(content: bytes) -> list[str]:
    """The shading of the risk map's cells, row by row (the note's second table)."""
    import io
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml").decode()
    tables = re.findall(r"<w:tbl>.*?</w:tbl>", xml, flags=re.S)
    return re.findall(r'w:fill="([0-9A-F]{6})"', tables[1])


def test_the_note_prints_each_risks_level_and_rank_the_ranking_and_the_map(web: Web,
                                                                          merzim_db):
    """The analytic note, drafted in kk and ru, prints each risk's level and rank as
    `merzim risk list --json` gives them, the risks in the order of their rank, and the
    risk map as a table: each risk's number in the cell of its grades, each cell shaded by
    its level's colour; a risk not assessed is named under the map."""
    from tests.documents.helpers import text_of
    from workflow.monitoring import levels

    edu = web.analyses["edu"]
    api = web.api("asel")
    for text, lk, cq in (("Ручное распределение мест", 3, 2), ("Справки без учёта", 1, 1),
                         ("Подарки без учёта", None, None), ("Закупки у одного", 3, 3)):
        body = {"description": text, **({"likelihood": lk, "consequence": cq} if lk else {})}
        assert api.post(f"/api/v1/cases/{edu}/risks", json=body).status_code == 201
    r = merzim_db("risk", "list", str(edu), "--json")
    assert r.returncode == 0, r.stderr
    listed = json.loads(r.stdout)["risks"]
    found = levels.criteria()
    for lang, said in (("ru", ("Уровень риска", "ранг", "Карта коррупционных рисков",
                               "Не оценены риски")),
                       ("kk", ("Тәуекел деңгейі", "рангі",
                               "Сыбайлас жемқорлық тәуекелдерінің картасы",
                               "Бағаланбаған тәуекелдер"))):
        rows = {x["id"]: x for x in json.loads(merzim_db(
            "risk", "list", str(edu), "--json", lang=lang).stdout)["risks"]}
        content = api.get(f"/api/v1/cases/{edu}/documents/analytic_note",
                          params={"lang": lang}).content
        text = text_of(content)
        for x in rows.values():
            grades = (f" {x['likelihood']} × " if x["likelihood"] else "")
            line = next(ln for ln in text.splitlines() if ln.startswith(said[0])
                        and f"{said[1]} {x['rank']}." in ln)
            assert x["level"] in line and grades in line, (line, x)
        ranking, grid = _note_tables(content)[:2]
        assert [int(row[0]) for row in ranking[1:]] == sorted(x["rank"] for x in listed)
        assert [int(row[1]) for row in ranking[1:]] == [
            x["no"] for x in sorted(rows.values(), key=lambda x: x["rank"])]
        assert [row[3] for row in ranking[1:]] == [
            x["level"] for x in sorted(rows.values(), key=lambda x: x["rank"])]
        # the map: a row per likelihood grade (highest first), a column per consequence grade
        assert len(grid) == 1 + len(found.likelihood)
        assert all(len(row) == 1 + len(found.consequence) for row in grid)
        for x in rows.values():
            if x["likelihood"] is None:
                continue
            cell = grid[1 + len(found.likelihood) - x["likelihood"]][x["consequence"]]
            assert str(x["no"]) in cell.split(", "), (grid, x)
        fills = _fills(content)
        expected = [found.level(lk.grade, cq.grade).colour.lstrip("#").upper()
                    for lk in reversed(found.likelihood) for cq in found.consequence]
        assert fills == expected
        unassessed = [str(x["no"]) for x in rows.values() if x["likelihood"] is None]
        assert f"{said[3]}: {', '.join(unassessed)}" in text
        assert said[2] in text
