"""The report forms (appendices 1-6 of the Instruction, seed 000 L1762-2143): filled from the
registers for a subject organisation and a year, written as XLSX in Kazakh or Russian, laid
out as in the seed (shared/domain/projects-2-4.md, "The report forms").

`layouts.toml` (data: per appendix its header line «…Нұсқаулыққа №N қосымша», title, approval
block, columns in the seed's order, fixed rows, groups, footnote, figures; each text in kk as
the seed writes it and in ru, with its seed line) · `rules` (pure: the layouts parsed, the
lines, the sheet model — cells, merged ranges, the table's heading rows — built from them,
a fact a paragraph, `lay_out`) · `texts` (reads layouts.toml) · `xlsx` (the sheet written with
openpyxl, every text as text, never a formula, set up to print: A4 landscape, one page wide,
the heading rows on every page, B-19) · `service` (the subject's cases and records of the year
turned into lines, laid out and written; the export audited; `package_form`, a form as the
cross-platform package carries it under its sub-task, workflow/platform) · `cli`
(`merzim form N ORG --year Y [--lang kk|ru] [--output FILE]`) · `web`
(`GET /forms/{n}.xlsx?org=CODE&year=Y&lang=kk|ru`, a download) · `national` (the input to the
National Report, 004:L3202-3204: the subject's year in figures and in words, each with its
source and entries, as `national.toml` lists them; `merzim form national ORG`,
`GET /forms/national.xlsx`).

Which entries fill a form is the definitions' `[form]` table (registers/README.md): `appendix`;
`row` (appendices 2, 5; with a choice — `group_by`, else the `[scorecard.fields] kind` —
the row moves down by the choice's index: restriction_breach 5 + its kind, 2.5.1-2.5.5);
`records` (each standing record of that event is a line, else each case); `group_by`
(appendix 3's category); `columns` (the fields, named dates and evidence written, in order;
absent: every one the entry has). Appendix 1 (project 1's cartogram report) is also filled by
the internal analysis: the records of the event its `[scorecard.events] cartogram_updated`
names, with their `section` (a department or district) and, from version 5, the part of it
they updated (`[scorecard.fields] part`: positions or the list of risks, 000:L1807-1809,
001:L232-248), written in that part's row; an update naming no part (version 4) is written in
both rows. The year of an entry: its
`[scorecard] year_of` date when it has one, else its period's or its date's; its state not one
of `[scorecard.states] excluded`.

A line names the case's person and position only to whom the case page shows them
(services/visibility.py `may_see_person`: the officers of the case's organisation and admins); to a
manager above, the person is written as hidden and the case's evidence is left out, as on the
case page. The command line's operator sees every case (as `merzim status` shows it). No key
of a definition is written in this package's Python: stages, events, states and dates come
from the tables.
"""
