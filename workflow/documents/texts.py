"""The documents' DOCX templates: found (the operator's for one organisation, hers for the whole
installation, else the shipped one), rendered with docxtpl from a case's facts, and checked
before an operator's template is installed.

A template is a Word file whose text carries Jinja2 tags (`{{ organisation.name }}`, a table row
`{%tr for s in stages %}`); the facts are plain data whose dates are already written as a
reader of the language writes them. Rendering is sandboxed (a template reaches nothing but the
facts), strict (a placeholder the facts do not have is refused, never printed empty) and
bounded in size and time; a template that cannot render is refused naming its tag, its file
and its language, at drafting as at its check (shared/domain/documents.md D-7). The
placeholders, with what each holds, are `PLACEHOLDERS` below (docs/operator-guide.md).
"""

from __future__ import annotations

import io
import shutil
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from workflow.core.errors import UsageError
from workflow.documents.rules import Document, papers_of, parse
from workflow.settings import PathSettings

DATA = Path(__file__).parent / "documents.toml"  # which stage each document confirms
SHIPPED = Path(__file__).parent / "docx"
SUFFIX = ".docx"
BLANK = "____________________"  # a name or position the records do not hold, left to fill

# The placeholders a template may use, each with what it holds (the operator guide's list).
PLACEHOLDERS: dict[str, str] = {
    "language": "kk, ru or en",
    "document": "the document's name",
    "case": "the analysis's number",
    "today": "the day the document is drafted (never the document's own date: `own`)",
    "own": "the document's own date and number, as recorded for the stage it confirms: "
              ".date, .number (visible blanks until recorded)",
    "process": "the process's name",
    "organisation": "the organisation: .name, .genitive (its name in the genitive: ru "
                    "\"Департамента…\", kk \"…департаментінің\"), .code, .parent (its higher "
                    "body), .kind",
    "object": "the analysed organisation's name",
    "object_genitive": "the analysed organisation's name in the genitive, as \"в деятельности "
                       "…\" and \"… қызметінде\" need it (en: its name)",
    "period": "the analysis's period: .first_day, .last_day",
    "signer": "who signs: .position, .name (a blank to fill when not recorded)",
    "responsible": "the officer conducting the analysis: .name, .position",
    "group": "the working group as recorded with the order: a list of {name, position} (one "
             "row of blanks when neither a group nor a unit is recorded; none for a unit alone)",
    "unit": "the unit conducting the analysis as recorded with the order (\"\" when none)",
    "methods": "the analysis's methods as recorded with the order (a blank until recorded)",
    "stages": "the work plan: a list of {no, key, name, due, basis, done_on, responsible}",
    "risks": "the risks as recorded: a list of {no, description, process, subdivision, "
             "causes, recommendations: [{no, text}], likelihood, consequence, score, level "
             "(its name; \"not assessed\" when it has none), rank}",
    "risks_ranked": "the same risks in the order of their rank (level, score, number)",
    "risk_map": "the risk map as a table (the note's cartogram): .consequence [the columns' "
                "grade names, lowest first], .rows [{name (a likelihood grade, highest first), "
                "cells [{risks (their numbers, \"1, 3\"), level, fill (the level's colour, "
                "for `{% cellbg c.fill %}`)}]}], .legend [{level, risks}] (highest first), "
                ".not_assessed (the numbers of the risks not assessed; \"\" when none)",
    "risk_groups": "the risks grouped as recorded (by process): a list of {name, risks}",
    "recommendations": "every recommendation, numbered: a list of {no, text, risk_no}",
    "plan": "the action plan: a list of {no, measure, answers, form, deadline, responsible, "
            "person, position (the person's, as her account gives it; \"\" when none)}",
    "discussion": "the public discussion's minutes as recorded: .place (announced with its "
                  "date), .participants [{name, position}], .proposals [text], .decisions "
                  "[text] (a blank each until recorded)",
    "justification": "why the note and the plan are not published, as recorded with the "
                     "publication (a blank until recorded)",
    "person": "the person a procedure's case is about, as recorded: .name, .position (a blank "
              "for what is not recorded)",
    "dates": "the case's named dates by key, as recorded (`dates.notified`; a blank until "
             "recorded, never a projection)",
    "due": "each stage's due date by key, as `merzim status` writes it (`due.forward`; "
           "\"(projected)\" after a projected one)",
    "records": "each event's standing record by key: .date, .number, and the evidence the "
               "paper declares it prints (`prints`: `records.forwarded.signed_by`); a blank "
               "until recorded",
    "year": "the schedule's year",
    "schedule": "the schedule of a subject's year: a list of {no, object, first_day, last_day}",
    "positions": "the list of positions: a list of {no, position, subdivision, risk_no (the "
                 "risk's number in the note; \"\" when it is named in words only), risk}",
    "quarter": "the monitoring report's period: .period (its label), .name, .first_day, "
               ".last_day, .title (its name and dates), .report_due, .received_on, "
               ".review_due, .reviewed_on, .rows [{no, measure, deadline, status (one, as of "
               "the period's end), evidence, overdue}], .overdue [the same rows]",
    "results": "the note on the results of monitoring: .recommendations [{no, text, risk_no, "
               "status (the reviews' verdict; a blank when none), status_on, evidence, "
               "serving (the measures serving it) [{no, measure, form, deadline, status, "
               "done_on}]}], .counts [{key, name, n}], .total, .periods [{period, title, "
               "received_on, review_due, reviewed_on}]",
}


@cache
def documents() -> dict[str, dict[str, Document]]:
    """Every process's documents (documents.toml), by process key then document key."""
    return parse(tomllib.loads(DATA.read_text(encoding="utf-8")))


def of_process(process: str) -> dict[str, Document]:
    """The documents documents.toml gives a process (none: an empty mapping)."""
    return documents().get(process, {})


def of_definition(definition: Any) -> dict[str, Document]:
    """The documents of a definition: documents.toml's for its process, then the papers its
    own `[papers]` table declares (an operator's procedure)."""
    return {**of_process(definition.key), **papers_of(definition)}


def template_names(definitions: Any = ()) -> tuple[str, ...]:
    """Every template name a document is drafted from: the shipped documents', then those of
    the papers `definitions` declare (an operator's)."""
    declared = [d.template for defn in definitions for d in papers_of(defn).values()]
    return tuple(dict.fromkeys([*(d.template for t in documents().values() for d in t.values()),
                                *declared]))


@dataclass(frozen=True)
class DocumentsSettings(PathSettings):
    """config.toml [documents]: `templates`, a folder of the operator's DOCX templates,
    LANG/NAME.docx for the whole installation and ORG_CODE/LANG/NAME.docx for one
    organisation, taking precedence over the shipped ones (None: the shipped ones only)."""

    TABLE, KEY, DIRECTORY = "documents", "templates", True

    templates: Path | None = None


def template_file(template: str, language: str, org_code: str | None,
                  folder: Path | None) -> Path:
    """The file a document is drafted from: the operator's for the organisation, hers for
    the installation, else the shipped one."""
    bases = []
    if folder is not None:
        if org_code:
            bases.append(folder / org_code)
        bases.append(folder)
    bases.append(SHIPPED)
    for base in bases:
        path = base / language / f"{template}{SUFFIX}"
        if path.is_file():
            return path
    raise UsageError(f"no template {language}/{template}{SUFFIX}", key="document.no_template",
                     template=template, language=language)


def origin(path: Path, folder: Path | None) -> str:
    """Whose template a file is: "organisation", "installation" or "shipped"."""
    if folder is not None and path.is_relative_to(folder):
        return "installation" if path.parent.parent == folder else "organisation"
    return "shipped"


# Rendering is bounded: a template is data an operator places, and a loop in it must not hold a
# server's worker or its memory. The XML a template renders is counted as it is produced and the
# clock read at each piece: past either bound the drafting stops and nothing is drafted.
MAX_RENDERED = 50 * 1024 * 1024  # characters of the document's XML, every part together
RENDER_SECONDS = 20.0


class _Bounds:
    """What one document's rendering has used of its bounds (every part of the DOCX)."""

    def __init__(self, max_chars: int, seconds: float) -> None:
        import time

        self.max_chars, self.seconds = max_chars, seconds
        self.used = 0
        self.deadline = time.monotonic() + seconds

    def concat(self, pieces) -> str:
        import time

        out = []
        for n, piece in enumerate(pieces):
            self.used += len(piece)
            if self.used > self.max_chars:
                raise RenderBounded("size")
            if n % 256 == 0 and time.monotonic() > self.deadline:
                raise RenderBounded("time")
            out.append(piece)
        return "".join(out)


class RenderBounded(Exception):  # noqa: N818 - a bound reached, named by `what`
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _environment(bounds: _Bounds | None = None):
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    if bounds is not None:  # Template.render joins what it yields with the environment's concat
        env.concat = bounds.concat  # type: ignore[method-assign]
    return env


class TemplateRefused(UsageError):
    key = "document.template_refused"


def shown(path: Path, folder: Path | None) -> str:
    """A template file as a message names it: inside the templates folder by its place there
    (ORG/ru/order.docx, ru/order.docx), a shipped one as ru/order.docx, any other by its path."""
    for base in (folder, SHIPPED):
        if base is not None and path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return str(path)


def render(path: Path, facts: dict[str, Any], *, name: str | None = None,
           language: str = "", max_chars: int = MAX_RENDERED,
           seconds: float = RENDER_SECONDS) -> bytes:
    """The template at `path` rendered from the facts, as the bytes of a DOCX file. A
    template that cannot render (a broken tag, an unknown placeholder, a filter the sandbox
    refuses, not a Word file) or passes the bounds is refused naming its tag, the file (`name`,
    by default its path) and the language, never with an unexpected error."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateError

    label = name or str(path)
    bounds = _Bounds(max_chars, seconds)
    try:
        doc = DocxTemplate(str(path))
        doc.render(facts, jinja_env=_environment(bounds), autoescape=True)
    except RenderBounded as exc:
        if exc.what == "size":
            raise TemplateRefused(f"{label} ({language}): the document passes {max_chars}",
                                  key="document.render_too_large", file=label,
                                  language=language,
                                  limit=f"{max_chars // (1024 * 1024)} MiB") from None
        raise TemplateRefused(f"{label} ({language}): rendering passes {seconds:g} s",
                              key="document.render_too_slow", file=label, language=language,
                              seconds=f"{seconds:g}") from None
    except TemplateError as exc:
        raise _broken(label, language, _snippet(exc)) from None
    except Exception as exc:  # noqa: BLE001 - a wrong loop, a sandbox refusal, not a DOCX
        raise _broken(label, language, f"{type(exc).__name__}: {exc}") from None
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _broken(label: str, language: str, tag: str) -> TemplateRefused:
    return TemplateRefused(f"{label} ({language}): {tag}", key="document.template_broken",
                           file=label, language=language, tag=tag)


def check(path: Path, template: str, language: str) -> None:
    """Refuse a template that does not render: a broken tag (anywhere: the whole template is
    parsed, a branch the sample facts do not take too), a placeholder not among
    `PLACEHOLDERS` or a part of one the facts do not have; rendered within the bounds drafting
    has. The refusal names the tag, the template and the language."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateSyntaxError

    def refuse(tag: str, english: str) -> TemplateRefused:
        return TemplateRefused(f"{language}/{template}{SUFFIX}: {english}: {tag}",
                               key="document.template_refused", tag=tag,
                               template=f"{template}{SUFFIX}", language=language)

    env = _environment()
    parsed: list[Any] = []
    parse = env.parse
    def keep(source, *args, **kwargs):  # the whole template's tree, every branch
        parsed.append(parse(source, *args, **kwargs))
        return parsed[-1]

    env.parse = keep
    try:
        doc = DocxTemplate(str(path))
        found = doc.get_undeclared_template_variables(env)
    except TemplateSyntaxError as exc:
        raise refuse(_snippet(exc), "broken tag") from None
    except Exception as exc:  # not a Word file at all
        raise TemplateRefused(f"{language}/{template}{SUFFIX}: not a DOCX file ({exc})",
                              key="document.template_not_docx",
                              template=f"{template}{SUFFIX}", language=language) from None
    unknown = sorted(set(found) - set(PLACEHOLDERS))
    if unknown:
        raise refuse(unknown[0], "unknown placeholder")
    for tree in parsed:  # every branch, taken or not by the sample: a part the facts lack
        missing = _missing_part(tree, sample(language))
        if missing:
            raise refuse(missing, "unknown placeholder")
    try:
        render(path, sample(language), name=f"{template}{SUFFIX}", language=language)
    except TemplateRefused as exc:
        if exc.key != "document.template_broken":  # a bound passed: named as drafting names it
            raise
        raise refuse(str(exc.params["tag"]), "does not render") from None


_UNKNOWN = object()


def _key(node) -> str | None:
    """The part a `x.part` or `x["part"]` reads (None: not a fixed name)."""
    from jinja2 import nodes

    if isinstance(node, nodes.Getattr):
        return node.attr
    return node.arg.value if isinstance(node.arg, nodes.Const) and isinstance(
        node.arg.value, str) else None


def _value(node, scope: dict[str, Any]) -> Any:
    """What a name or a chain of parts holds in the sample facts (_UNKNOWN: not judged)."""
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return scope.get(node.name, _UNKNOWN)
    if isinstance(node, nodes.Getattr | nodes.Getitem):
        base, key = _value(node.node, scope), _key(node)
        if isinstance(base, dict) and key is not None:
            return base.get(key, _UNKNOWN)
    return _UNKNOWN


def _name_of(node) -> str:
    from jinja2 import nodes

    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_name_of(node.node)}.{node.attr}"
    return "…"


def _missing_part(node, scope: dict[str, Any]) -> str | None:
    """The first `placeholder.part` the template reads that the facts never have, in every
    branch (an `{% if %}` the sample facts do not take, a loop inside it): each placeholder is
    resolved against the sample facts, a loop's variable against its list's first item; what
    cannot be resolved (a value set in the template, a filter's result) is not judged."""
    from jinja2 import nodes

    if isinstance(node, nodes.Getattr | nodes.Getitem):
        base, key = _value(node.node, scope), _key(node)
        if isinstance(base, dict) and key is not None and key not in base:
            return f"{_name_of(node.node)}.{key}"
    if isinstance(node, nodes.For):
        return _missing_in_loop(node, scope)
    for child in node.iter_child_nodes():
        found = _missing_part(child, scope)
        if found:
            return found
    return None


def _missing_in_loop(node, scope: dict[str, Any]) -> str | None:
    """A loop's list judged in the scope around it, its body with the loop's variable bound to
    the list's first item (a tuple of variables, `loop`: not judged)."""
    from jinja2 import nodes

    found = _missing_part(node.iter, scope)
    if found:
        return found
    items = _value(node.iter, scope)
    inner = {**scope, "loop": _UNKNOWN}
    for target in node.target.find_all(nodes.Name) if not isinstance(
            node.target, nodes.Name) else [node.target]:
        inner[target.name] = _UNKNOWN
    if isinstance(node.target, nodes.Name) and isinstance(items, list) and items:
        inner[node.target.name] = items[0]
    for child in (*node.body, *node.else_, *([node.test] if node.test else [])):
        found = _missing_part(child, inner)
        if found:
            return found
    return None


def _snippet(exc: Exception) -> str:
    """The tag a Jinja error is about, as the template's text shows it, with Jinja's own
    words and the paragraph it is in (¶ N, counting a table's paragraphs: docxtpl puts each
    paragraph of the XML on a line of its own, after the document's opening line)."""
    import re

    message = getattr(exc, "message", None) or str(exc)
    source = getattr(exc, "source", None)
    lineno = getattr(exc, "lineno", None)
    if source and lineno:
        lines = source.splitlines()
        if 0 < lineno <= len(lines):
            text = re.sub(r"<[^>]+>", "", lines[lineno - 1])
            tags = re.findall(r"\{[{%][^{}]*[}%]?\}?", text)
            where = f", ¶ {lineno - 1}" if lineno > 1 else ""
            if tags:
                return f"{tags[-1]} ({message}{where})"
            return f"{message}{where}"
    return message


def check_folder(folder: Path | None, names: tuple[str, ...] = ()) -> tuple[Path, ...]:
    """Every template in the operator's folder checked as drafting and `check-template` check
    it, when merzim starts serving: a broken one stops the start, refused naming its tag, its
    file and its language (never found first by an officer drafting). Returns the DOCX files
    of the folder no document is drafted from (a name or a language folder misspelt), which
    the start reports and leaves alone."""
    from workflow.i18n import LANGUAGES

    if folder is None or not folder.is_dir():
        return ()
    known, ignored = set(names or template_names()), []
    for path in sorted(folder.rglob(f"*{SUFFIX}")):
        parts = path.relative_to(folder).parts  # LANG/NAME.docx or ORG/LANG/NAME.docx
        language = parts[-2] if len(parts) in (2, 3) else ""
        if language not in LANGUAGES or path.stem not in known:
            ignored.append(path)
            continue
        try:
            check(path, path.stem, language)
        except TemplateRefused as exc:
            tag = str(exc.params.get("tag") or exc.message)
            raise TemplateRefused(f"{shown(path, folder)} ({language}): {tag}",
                                  key="document.template_refused_at_start",
                                  file=shown(path, folder), language=language,
                                  tag=tag) from None
    return tuple(ignored)


def install(source: Path, folder: Path, template: str, language: str,
            org_code: str | None) -> Path:
    """Check the operator's template and copy it where it is found: her organisation's
    folder, or the installation's. Returns where it went; a refused one goes nowhere."""
    check(source, template, language)
    target = (folder / org_code if org_code else folder) / language / f"{template}{SUFFIX}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


class _AnyKey:
    """A sample of a table keyed by the case's definition (its dates, stages, events): any
    key reads a date, any part of it too. What a case does not have is refused at drafting,
    naming the tag (the facts are then the case's own keys)."""

    def __getattr__(self, name: str) -> _AnyKey:
        if name.startswith("_"):
            raise AttributeError(name)
        return self

    def __getitem__(self, name: str) -> _AnyKey:
        return self

    def __str__(self) -> str:
        return "01.01.2026"


def sample(language: str) -> dict[str, Any]:
    """Facts of every placeholder, one row each: what a template is checked against."""
    person = {"name": "A. B.", "position": BLANK}
    row = {"no": 1, "measure": "m", "deadline": "01.01.2026", "status": "s", "evidence": "e",
           "overdue": False}
    recommendation = {"no": 1, "text": "r", "risk_no": 1}
    risk = {"no": 1, "description": "d", "process": "p", "subdivision": "s", "causes": "c",
            "recommendations": [recommendation], "likelihood": 1, "consequence": 1,
            "score": 1, "level": "l", "level_key": "low", "colour": "", "rank": 1}
    return {
        "language": language, "document": "D", "case": 1, "today": "01.01.2026",
        "process": "P",
        "organisation": {"name": "O", "genitive": "O", "code": "O", "parent": "P", "kind": "k"},
        "object": "O", "object_genitive": "O",
        "period": {"first_day": "01.01.2026", "last_day": "01.02.2026"},
        "signer": person, "responsible": person, "group": [person], "unit": "U",
        "methods": "M", "own": {"date": "01.01.2026", "number": "1"},
        "stages": [{"no": 1, "key": "k", "name": "n", "due": "01.01.2026", "basis": "b",
                    "done_on": "", "responsible": person}],
        "risks": [risk], "risk_groups": [{"name": "p", "risks": [risk]}], "risks_ranked": [risk],
        "risk_map": {"consequence": ["c"], "rows": [{"name": "l", "cells": [
            {"risks": "1", "level": "l", "fill": "FFFFFF"}]}],
            "legend": [{"level": "l", "risks": "1"}], "not_assessed": ""},
        "recommendations": [recommendation],
        "plan": [{"no": 1, "measure": "m", "answers": "1", "form": "f",
                  "deadline": "01.01.2026", "responsible": "r", "person": "p",
                  "position": ""}],
        "discussion": {"place": "p", "participants": [person], "proposals": ["p"],
                       "decisions": ["d"]},
        "justification": "j",
        "person": person, "dates": _AnyKey(), "due": _AnyKey(), "records": _AnyKey(),
        "year": 2026,
        "schedule": [{"no": 1, "object": "o", "first_day": "01.02.2026",
                      "last_day": "01.03.2026"}],
        "positions": [{"no": 1, "position": "p", "subdivision": "s", "risk_no": 1, "risk": "r"}],
        "quarter": {"period": "2026Q1", "name": "Q1", "first_day": "01.01.2026",
                    "last_day": "31.03.2026", "title": "Q1 (01.01.2026 – 31.03.2026)",
                    "report_due": "", "received_on": "", "review_due": "", "reviewed_on": "",
                    "rows": [row], "overdue": [row]},
        "results": {"recommendations": [{**recommendation, "status": "s", "status_on": "",
                                         "evidence": "e", "serving": [
                                             {"no": 1, "measure": "m", "form": "f",
                                              "deadline": "01.01.2026", "status": "s",
                                              "done_on": ""}]}],
                    "counts": [{"key": "k", "name": "n", "n": 1}], "total": 1,
                    "periods": [{"period": "2026Q1", "title": "Q1", "received_on": "",
                                 "review_due": "", "reviewed_on": ""}]},
    }


def check_installation(settings) -> tuple[str, ...]:
    """The documents' check at the start of serving (workflow/core/feature.py `check`): the
    operator's templates folder, every template in it; what it holds that no document is
    drafted from, as lines for the log."""
    from workflow.definitions import load_registry

    folder = settings.of(DocumentsSettings).templates
    if folder is None:
        return ()
    # the papers an operator's definitions declare are drafted from her folder too
    names = template_names(load_registry(settings.process_dirs, settings.interpretations,
                                         settings.obligations, lazy=True).all())
    return tuple(f"{shown(p, folder)}: no document is drafted from this file (a template is "
                 f"LANG/NAME.docx or ORG_CODE/LANG/NAME.docx, NAME one of "
                 f"{', '.join(names)})" for p in check_folder(folder, names))
