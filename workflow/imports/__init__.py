"""The one import path: a file read, its columns mapped to fields, every row checked, a
preview, then the rows written in short batches that can be resumed or rolled back.

The command line and the web call `usecase` and only render what it answers; it calls the
others:

* `usecase` — the one use case: a file's headers mapped (her organisation's remembered
  mapping too), read, checked whole (`preview`), then written, resumed or rolled back and her
  mapping kept (`write`, `roll_back`);
* `columns` — how every import reads a header, a number and a date;
* `cells` — a file's cells read into the import's keys (headers in any of the three
  languages, dd.mm.yyyy dates, grouped numbers, organisations and officers by name) and
  the columns her own header may be mapped to (`targets`: who answers for an entry and whom
  it is about only where the definition declares them mappable);
* `registers` — a register file checked whole, then written 500 rows a transaction; an
  unfinished import hidden, resumed or rolled back by its id;
* `staging` — a checked web-import file kept in the shared file store until its confirm;
* `progress` — an import's progress and who may finish (resume, roll back) it;
* `template` — a register's import template (XLSX) in one language;
* `organisations`, `people` — an office's own lists of organisations and of people, each one
  function that checks the whole file (the preview) and writes it; `headers` reads their
  header rows, `proposals` proposes the codes and logins they leave out.
"""
