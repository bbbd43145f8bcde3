"""A list's rows joined in Python (web/kit/rows.py) are the markup of the Jinja loop they
replace (a macro call a row for the checkbox and the own-deadline title, the same words
translated in every row; a due date as the reader writes it): the loop is kept here and both
are rendered for rows of every kind (projected, a deadline merzim or an instrument sets, no
object, no one responsible, characters HTML escapes), in kk, ru and en, with and without the
checkbox and the organisation's column, in both lists' day columns."""

from __future__ import annotations

import re
from datetime import date

import pytest
from jinja2 import DictLoader, Environment
from markupsafe import escape

from web.kit.rows import stage_options, stage_rows
from workflow.core.names import name_in
from workflow.definitions import load_registry
from workflow.i18n import LANGUAGES, Translator, date_text
from workflow.services.views import OverdueRow, StageRow

LOOP = "".join([
    '{% macro bulk_cell(_, value, what) %}<td data-label="{{ _(\'bulk.select\') }}" class="select',
    '"><input type="checkbox" name="item" value="{{ value }}" form="bulk" aria-label="{{ _(\'bul',
    'k.select_item\', what=what) }}" data-testid="select"></td>{% endmacro %}\n',
    '{% macro own_title(basis, _) %}{% if basis %} class="own-deadline" data-basis="{{ basis }}"',
    ' title="{{ _(\'stage.own_deadline_merzim\') if basis == \'merzim\' else _(\'stage.own_dea',
    'dline\', basis=basis) }}"{% endif %}{% endmacro %}\n',
    "{% set l_analysis, l_org, l_object, l_stage, l_due, l_projected, l_responsible, late = _('",
    "list.col_case'), _('web.organisation'), _('list.col_object'), _('stage.col_stage'), _('sta",
    "ge.col_due'), _('stage.projected'), _('list.col_responsible'), 'late' if days_key == 'work",
    "ing_days_overdue' else '' %}\n",
    '    {% for r in items %}\n',
    '      <tr class="{{ late }}" data-stage="{{ r.stage }}" data-row-org="{{ r.organisation }}',
    '">\n',
    "        {% if select %}{{ bulk_cell(_, r.analysis ~ ':' ~ r.stage, '#' ~ r.analysis ~ ' ' ",
    '~ r.stage_name) }}{% endif %}\n',
    '        <td data-label="{{ l_analysis }}"><a href="/cases/{{ r.analysis }}">#{{ r.analysis',
    ' }}</a></td>\n',
    '        {% if not org %}<td data-label="{{ l_org }}">{{ r.organisation_name }}</td>{% endi',
    'f %}\n',
    '        <td data-label="{{ l_object }}">{{ r.object or \'\' }}</td>\n',
    '        <td data-label="{{ l_stage }}">{{ r.stage_name }}</td>\n',
    '        <td data-label="{{ l_due }}"{{ own_title(r.due_basis, _) }}><time datetime="{{ r.d',
    'ue.isoformat() }}">{{ r.due | day }}</time>{% if r.projected %} <em>{{ l_projected }}</em>',
    '{% endif %}</td>\n',
    '        <td class="num" data-label="{{ days_label }}" data-days="{{ r | attr(days_key) }}"',
    '>{{ r | attr(days_key) }}</td>\n',
    '        <td data-label="{{ l_responsible }}">{% if r.responsible_name %}{{ r.responsible_n',
    'ame }}{% else %}<em class="unassigned" data-testid="unassigned">{{ _(\'comments.unassigned',
    '\') }}</em> <a href="/cases/{{ r.analysis }}#assign" data-testid="assign-link">{{ _(\'comm',
    'ents.assign_action\') }}</a>{% endif %}</td>\n',
    '      </tr>\n',
    '    {% endfor %}',
])


def rows(kind: type) -> list:
    out = []
    for i, (obj, resp, basis, projected, left) in enumerate([
            ("AK-ALM-EDU", "Aigerim <Officer>", "", False, -3),
            (None, None, "merzim", True, -1),
            ("Dept & \"Co\"", "Erlan", "I-2", False, 0),
            ("MF", None, "<b>", True, None),
            ("MF-KGD", "Asel", "", True, 4)]):
        out.append(kind(stage_id=i + 1, organisation=f"ORG-{i}&<", organisation_name=f"Org {i} <'\">",
                        subject_path=f"/KZ/{i}/", year=2026, analysis=100 + i, case=100 + i,
                        process="internal_analysis", object=obj, stage=f"stage_{i}",
                        stage_name=f"Stage {i} & <note>", due=date(2026, 9, 1 + i),
                        projected=projected, due_basis=basis, working_days_left=left,
                        responsible="login" if resp else None, responsible_name=resp))
    return out


def squeeze(markup: str) -> str:
    return re.sub(r">\s+<", "><", str(markup)).strip()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind,days_key", [(OverdueRow, "working_days_overdue"),
                                           (StageRow, "working_days_left")])
def test_the_rows_are_the_loops_markup(language, kind, days_key):
    env = Environment(loader=DictLoader({"loop": LOOP}), autoescape=True)
    env.filters["day"] = lambda day: date_text(day, language)
    t = Translator(language)
    items = rows(kind)
    label = t(f"list.col_{days_key}")
    for select in (False, True):
        for org in ({"code": "X"}, None):
            old = env.get_template("loop").render(items=items, _=t, days_key=days_key,
                                                  days_label=label, select=select, org=org)
            new = stage_rows(items, t, days_key, label, select, not org)
            assert squeeze(new) == squeeze(old)


# The Stage filter's options as the overdue page's Jinja loop made them (kept verbatim), and
# `stage_options`, which makes them once per definitions, language and choice.
STAGE_LOOP = (
    "{% for d, options in stage_groups %}<optgroup label=\"{{ d.names[lang] }}\">{% for key, "
    "name in options %}<option value=\"{{ key }}\" {{ 'selected' if filters.stage and (filters."
    "process ~ ':' ~ filters.stage) == key }}>{{ name }}</option>{% endfor %}</optgroup>"
    "{% endfor %}")


@pytest.mark.parametrize("process, stage", [
    (None, None), ("gift", None), ("gift", "hand_over"), (None, "hand_over"),
    ("internal_risk_analysis", "order"), ("conflict_of_interest", "no_such_stage")])
def test_the_stage_filter_is_the_loop_it_replaces(process, stage):
    registry = load_registry()
    env = Environment(autoescape=True)
    for lang in LANGUAGES:
        groups = [(d, [(f"{d.key}:{k}", name_in(st.names, lang, k)) for k, st in d.stages.items()])
                  for d in ([registry.get(process)] if process else registry.all())]
        loop = env.from_string(STAGE_LOOP).render(
            stage_groups=groups, lang=lang, filters={"process": process, "stage": stage})
        made = stage_options(registry, lang, process, stage)
        alone = [d.stages[stage].names for d in registry.all() if stage in d.stages
                 and process is None]  # a stage key alone: offered first, chosen
        lead = (f'<option value="{stage}" selected>{escape(name_in(alone[0], lang, stage))}'
                '</option>' if alone else "")
        assert made == lead + loop, lang
        assert stage_options(registry, lang, process, stage) is made  # made once
        assert ("selected" in made) == (stage == "hand_over" and process in ("gift", None)
                                        or (process, stage) == ("internal_risk_analysis", "order"))


def test_a_stage_key_two_procedures_share_is_offered_in_each_and_alone_is_chosen():
    """Two procedures with a stage of one key: the filter offers it under each (neither hides
    the other), and an address naming the key alone (its rows of every procedure) shows it
    chosen, so the form and its exports send the filter the list shows."""
    registry = load_registry()
    holders: dict[str, list[str]] = {}
    for d in registry.all():
        for key in d.stages:
            holders.setdefault(key, []).append(d.key)
    key, processes = next((k, p) for k, p in holders.items() if len(p) > 1)
    made = str(stage_options(registry, "ru", None, None))
    assert all(f'value="{p}:{key}"' in made for p in processes), (key, processes)
    assert "selected" not in made
    chosen = str(stage_options(registry, "ru", None, key))
    assert re.findall(r'<option value="([^"]*)" selected>', chosen) == [key]
    assert chosen.count(f':{key}"') == len(processes)  # each procedure's option kept


def test_a_list_prints_no_rule_code_and_dates_as_its_reader_writes_them():
    """The basis of a due date (a rule's code) is the cell's hover title, never a word of the
    row; the date reads 01.09.2026 in kk and ru, 2026-09-01 in English."""
    for language, first in (("ru", "01.09.2026"), ("kk", "01.09.2026"), ("en", "2026-09-01")):
        made = str(stage_rows(rows(StageRow), Translator(language), "working_days_left", "d"))
        words = re.sub(r"<[^>]+>", " ", made)
        assert "I-2" not in words and "<b>" not in words, language
        assert 'data-basis="I-2" title="' in made and "I-2" in made
        assert f'<time datetime="2026-09-01">{first}</time>' in made
