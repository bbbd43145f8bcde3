"""The template of a register's import: the columns the import reads, in its order, headed by
their labels in the reader's language, with drop-down lists of the choices' and the events'
names in that language and date cells formatted and validated as dates; a second sheet names
every column (its key, its label, the values it takes). Read back as it is, it has no rows.
One builder for the web (`GET /registers/{process}/template.xlsx`) and the command line
(`merzim case template PROCESS --lang ru --out FILE.xlsx`)."""

from __future__ import annotations

import io

from workflow.core.definition import Definition
from workflow.core.kinds import APPROVER_ROLES
from workflow.core.names import name_in
from workflow.imports import cells as import_cells

TEMPLATE_ROWS = 500  # rows of the template formatted and validated


def headers(defn: Definition, lang: str) -> list[tuple[str, str]]:
    """Every column of the register's file: (key, its name in `lang`)."""
    return [(key, import_cells.label_in(defn, key, lang))
            for key in import_cells.applicable(defn)]


def listed(defn: Definition, key: str) -> tuple[str, ...]:
    """The values a column accepts from a list: a choice field's or evidence's, the events."""
    if key in defn.fields and defn.fields[key].type == "choice":
        return defn.fields[key].choices
    if key == "event":
        return tuple(defn.events)
    spec = defn.evidence.get(key)
    if spec is not None and spec.type == "choice":
        return spec.choices
    if spec is not None and spec.type == "role":  # an approver's role (the record's check)
        return APPROVER_ROLES
    return ()


def _is_date(defn: Definition, key: str) -> bool:
    return (key == "on" or (key in defn.dates and key not in defn.fields)
            or (key in defn.fields and defn.fields[key].type == "date")
            or (key in defn.evidence and defn.evidence[key].type == "date"))


def template_xlsx(defn: Definition, lang: str, t) -> bytes:
    """The register's template: the import's columns in its order on the first sheet (the one
    the import reads), a list for every column with choices (on a hidden sheet, so a long list
    fits), dates formatted and validated as dates; the columns' names on a second sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = headers(defn, lang)
    wb = Workbook()
    ws = wb.active
    ws.title = "import"
    lists = wb.create_sheet("lists")
    about = wb.create_sheet(t("import.template_columns")[:31] or "columns")
    ws.append([label for _, label in columns])  # read back by `import_cells.map_header`
    about.append([t("import.template_key"), t("import.template_name"),
                  t("import.template_values")])
    last = TEMPLATE_ROWS + 1
    n_lists = 0
    for i, (key, label) in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.cell(row=1, column=i).font = Font(bold=True)
        ws.column_dimensions[letter].width = min(max(12, len(label) + 2), 40)
        names = import_cells.choice_names(defn, key)
        choices = [name_in(names.get(c) or None, lang, c) for c in listed(defn, key)]
        values = ""
        if choices:
            n_lists += 1
            col = get_column_letter(n_lists)
            for j, choice in enumerate(choices, start=1):
                lists.cell(row=j, column=n_lists, value=choice).data_type = "s"
            check = DataValidation(type="list", allow_blank=True,
                                   formula1=f"=lists!${col}$1:${col}${len(choices)}")
            check.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(check)
            values = "; ".join(choices)
        elif _is_date(defn, key):
            check = DataValidation(type="date", operator="between", allow_blank=True,
                                   formula1="DATE(1900,1,1)", formula2="DATE(2100,12,31)")
            check.add(f"{letter}2:{letter}{last}")
            ws.add_data_validation(check)
            for row in range(2, last + 1):
                ws.cell(row=row, column=i).number_format = "DD.MM.YYYY"
            values = t("import.template_date")
        about.append([key, label, values])
    lists.sheet_state = "hidden"
    for cell in about[1]:
        cell.font = Font(bold=True)
    about.column_dimensions["A"].width = 24
    about.column_dimensions["B"].width = 50
    about.column_dimensions["C"].width = 80
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
