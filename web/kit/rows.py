"""The rows of a list of stages (web/templates/_rows.html `stage_table`), joined in Python.

A list page has up to 50 rows of ten cells; as a Jinja loop with a macro call a row (the
bulk checkbox, the own-deadline mark) and the same words translated again in every row, the
rows were a third of the root overdue page's server time at 1,000,000 stage rows
(bench/web/README.md). Here each row is one f-string: the words translated once a page,
every value escaped as Jinja's autoescape does. A due date reads as its reader writes dates
(workflow.i18n.date_text); who set it when the sources give none (a rule's code, "B-4") is no
word of the list: it is the cell's title (shown on hover) and is printed on the case's page.
The markup, cell for cell:

    <tr class="late" data-stage="KEY" data-row-org="CODE">
      [<td data-label="Select" class="select"><input type="checkbox" name="item" value="ID:KEY"
        form="bulk" aria-label="Select #ID STAGE" data-testid="select"></td>]
      <td data-label="Analysis"><a href="/cases/ID">#ID</a></td>
      [<td data-label="Organisation">NAME</td>]  (a sorted table, one for every organisation)
      <td data-label="Object">…</td> <td data-label="Stage">…</td>
      <td data-label="Due"[ class="own-deadline" data-basis="B-4" title="set by merzim, B-4"]>
        <time datetime="ISO">26.11.2026</time>[ <em>projected</em>]</td>
      <td class="num" data-label="DAYS" data-days="N">N</td>
      <td data-label="Responsible">NAME, or "Unassigned" and a link to assign it (to why it
        cannot be: its organisation has no officer)</td>
    </tr>
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from typing import Any

from jinja2.filters import do_urlencode as urlencode
from markupsafe import Markup, escape

from workflow.core.names import name_in
from workflow.i18n import Translator, date_text


def stage_rows(items: Iterable[Any], t: Translator, days_key: str, days_label: str,
               select: bool = False, named_org: bool = False,
               staffless: Iterable[str] = ()) -> Markup:
    """The <tr>s of `items` (StageRows: workflow/services/views.py) for `stage_table`:
    `days_key` the attribute shown in the days column (`working_days_overdue`,
    `working_days_left`), `select` the bulk checkbox first, `named_org` the organisation's
    column (a table sorted across organisations); `staffless` the codes of organisations
    with no officer, whose unassigned rows say so (their link: the case page's why)."""
    escaped: dict[Any, str] = {}

    def e(value: Any) -> str:  # escape, once per distinct value (rows repeat their stages,
        found = escaped.get(value)  # organisations and officers)
        if found is None:
            found = escaped[value] = escape(value)
        return found

    late = "late" if days_key == "working_days_overdue" else ""
    overdue = days_key == "working_days_overdue"
    (l_case, l_org, l_object, l_stage, l_due, l_resp, l_select, merzim_mark, projected,
     unassigned, assign) = _labels(t.language)
    staffless = frozenset(staffless)
    no_officer = escape(t("handover.no_officer_short")) if staffless else ""
    l_days = e(days_label)
    marks: dict[str, str] = {}
    days_shown: dict[Any, str] = {}
    out = []
    for r in items:
        stage, case = e(r.stage), r.analysis
        days = -(r.working_days_left or 0) if overdue else getattr(r, days_key)
        due = r.due.isoformat()
        shown = days_shown.get(r.due)
        if shown is None:
            shown = days_shown[r.due] = date_text(r.due, t.language)
        basis = r.due_basis
        if basis:
            mark = marks.get(basis)
            if mark is None:
                text = merzim_mark if basis == "merzim" else e(t("stage.own_deadline",
                                                                 basis=basis))
                mark = marks[basis] = (f' class="own-deadline" data-basis="{e(basis)}" '
                                       f'title="{text}"')
        else:
            mark = ""
        cell = (f'<td data-label="{l_select}" class="select"><input type="checkbox" name="item" '
                f'value="{case}:{stage}" form="bulk" aria-label="'
                f'{e(t("bulk.select_item", what=f"#{case} {r.stage_name}"))}" '
                f'data-testid="select"></td>' if select else "")
        org = f'\n        <td data-label="{l_org}">{e(r.organisation_name)}</td>' if named_org else ""
        out.append(
            f'\n      <tr class="{late}" data-stage="{stage}" data-row-org="{e(r.organisation)}">'
            f'\n        {cell}'
            f'\n        <td data-label="{l_case}"><a href="/cases/{case}">#{case}</a></td>{org}'
            f'\n        <td data-label="{l_object}">{e(r.object or "")}</td>'
            f'\n        <td data-label="{l_stage}">{e(r.stage_name)}</td>'
            f'\n        <td data-label="{l_due}"{mark}><time datetime="{due}">{shown}</time>'
            f'{projected if r.projected else ""}</td>'
            f'\n        <td class="num" data-label="{l_days}" data-days="{days}">{days}</td>'
            f'\n        <td data-label="{l_resp}">'
            + (str(e(r.responsible_name)) if r.responsible_name else
               f'{unassigned} <a href="/cases/{case}#assign" data-testid="assign-no-officer">'
               f'{no_officer}</a>' if r.organisation in staffless else
               f'{unassigned} <a href="/cases/{case}#assign" data-testid="assign-link">'
               f'{assign}</a>') + '</td>'
            '\n      </tr>')
    return Markup("".join(out))


@functools.cache
def _labels(language: str) -> tuple[str, ...]:
    """The rows' words in a language, escaped: the same for every table of every page (a
    page's list has a table per organisation, ~70 on the root's first page)."""
    t = Translator(language)
    return (*(str(escape(t(key))) for key in (
        "list.col_case", "web.organisation", "list.col_object", "stage.col_stage",
        "stage.col_due", "list.col_responsible", "bulk.select", "stage.own_deadline_merzim")),
        f' <em>{escape(t("stage.projected"))}</em>',
        f'<em class="unassigned" data-testid="unassigned">{escape(t("comments.unassigned"))}'
        '</em>', str(escape(t("comments.assign_action"))))


# A list's Stage filter offers every procedure's stages (a few hundred options), the same for
# every reader of a language: made once per (definitions, language, procedure, choice).
_STAGE_OPTIONS: dict[tuple[int, str, str | None, str | None], tuple[Any, Markup]] = {}
_STAGE_OPTIONS_MOST = 512


def stage_options(registry: Any, lang: str, process: str | None, stage: str | None) -> Markup:
    """The <optgroup>s of the Stage filter: the chosen procedure's stages (none chosen: every
    procedure's, grouped by procedure, a stage key two share offered in each), each option's
    value "procedure:stage"; the option of `process`:`stage` selected, or, for a stage key
    alone (no procedure), an option of that key first, selected."""
    key = (id(registry), lang, process, stage)
    found = _STAGE_OPTIONS.get(key)
    if found is not None and found[0] is registry:
        return found[1]
    chosen = f"{process}:{stage}" if stage else None
    out = []
    if stage and process is None:  # a stage key alone (an older address): in any procedure
        names = next((d.stages[stage].names for d in registry.all() if stage in d.stages), None)
        if names is not None:  # offered as chosen, so the form sends what the list shows
            out.append(f'<option value="{escape(stage)}" selected>'
                       f'{escape(name_in(names, lang, stage))}</option>')
    for d in [registry.get(process)] if process else registry.all():
        options = []
        for k, st in d.stages.items():
            value = f"{d.key}:{k}"
            options.append(f'<option value="{escape(value)}" '
                           f'{"selected" if value == chosen else ""}>'
                           f'{escape(name_in(st.names, lang, k))}</option>')
        out.append(f'<optgroup label="{escape(d.names[lang])}">{"".join(options)}</optgroup>')
    markup = Markup("".join(out))
    if len(_STAGE_OPTIONS) >= _STAGE_OPTIONS_MOST:
        _STAGE_OPTIONS.clear()
    _STAGE_OPTIONS[key] = (registry, markup)
    return markup


# `summary_rows` joined, by the summary (a kept list: the same object while the list is kept,
# read by nobody after) and the language; at most SUMMARIES kept
SUMMARIES = 64
_SUMMARIES: dict[tuple[int, str], tuple[Any, Markup]] = {}
_SUMMARIES_LOCK = threading.Lock()


def summary_rows(summary: Iterable[dict[str, Any]], t: Translator) -> Markup:
    """The <tr>s of an overdue list's summary by subordinate organisation (overdue.html; the
    `child_counts` of web/kit/views.py), joined in Python: the same markup as the loop it
    replaces (the organisation's name, a link choosing it unless it is the reader's own, and
    its count), the column names translated once, not once a row. Joined once per summary
    and language: the summary kept with the list's counts (`views.kept`) is the same object
    for every page until the list changes, and nobody changes it."""
    key = (id(summary), t.language)
    with _SUMMARIES_LOCK:
        found = _SUMMARIES.get(key)
    if found is not None and found[0] is summary:
        return found[1]
    markup = _summary_rows(summary, t)
    with _SUMMARIES_LOCK:
        if len(_SUMMARIES) >= SUMMARIES:
            _SUMMARIES.clear()
        _SUMMARIES[key] = (summary, markup)
    return markup


def _summary_rows(summary: Iterable[dict[str, Any]], t: Translator) -> Markup:
    l_org, l_count = escape(t("web.organisation")), escape(t("web.count"))
    out = []
    for o in summary:
        # each row joined once per content (a summary read again after a write in one
        # subordinate differs from the last in that one's row)
        key = (l_org, l_count, o["name"], o["code"], o["own"], o["count"])
        row = _SUMMARY_ROWS.get(key)
        if row is None:
            name, code = escape(o["name"]), o["code"]
            shown = name if o["own"] else f'<a href="?org={urlencode(code)}">{name}</a>'
            row = (f'<tr data-summary-org="{escape(code)}"><td data-label="{l_org}">{shown}'
                   f'</td><td class="num" data-label="{l_count}">{escape(o["count"])}</td>'
                   f'</tr>')
            if len(_SUMMARY_ROWS) >= SUMMARY_ROWS:
                _SUMMARY_ROWS.clear()
            _SUMMARY_ROWS[key] = row  # (a dict's item set is atomic)
        out.append(row)
    return Markup("".join(out))


SUMMARY_ROWS = 4096  # rows of `_summary_rows` kept, by their content and column names
_SUMMARY_ROWS: dict[tuple[Any, ...], str] = {}
