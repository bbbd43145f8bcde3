"""The documents' DOCX templates: found (the operator's for one organisation, hers for the whole
installation, else the shipped one), rendered with docxtpl from a case's facts, and checked
before an operator's template is installed.

A template is a Word file whose text carries Jinja2 tags (`{{ organisation.name }}`, a table row
`{%tr for s in stages %}`); the facts are plain data whose dates are already written as a
reader of the language writes them. Rendering is sandboxed (a template reaches nothing but the
facts) and strict: a placeholder the facts do not have is refused, never printed empty. The
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
from workflow.documents.rules import Document, parse
from workflow.settings import path_setting

DATA = Path(__file__).parent / "documents.toml"  # which stage each document confirms
SHIPPED = Path(__file__).parent / "docx"
SUFFIX = ".docx"
BLANK = "____________________"  # a name or position the records do not hold, left to fill

# The placeholders a template may use, each with what it holds (the operator guide's list).
PLACEHOLDERS: dict[str, str] = {
    "language": "kk, ru or en",
    "document": "the document's name",
    "case": "the analysis's number",
    "today": "the day the document is drafted",
    "process": "the process's name",
    "organisation": "the organisation: .name, .code, .parent (its higher body), .kind",
    "object": "the analysed organisation's name",
    "period": "the analysis's period: .first_day, .last_day",
    "signer": "who signs: .position, .name (a blank to fill when not recorded)",
    "responsible": "the officer conducting the analysis: .name, .position",
    "group": "the group conducting the analysis: a list of {name, position}",
    "stages": "the work plan: a list of {no, key, name, due, basis, done_on, responsible}",
    "risks": "the risks as recorded: a list of {no, description, process, subdivision, "
             "causes, recommendations: [{no, text}]}",
    "risk_groups": "the risks grouped as recorded (by process): a list of {name, risks}",
    "recommendations": "every recommendation, numbered: a list of {no, text, risk_no}",
    "plan": "the action plan: a list of {no, measure, answers, form, deadline, responsible, "
            "person, position (the person's, as her account gives it; \"\" when none)}",
    "quarter": "the monitoring report's quarter: .period, .name, .report_due, .received_on, .review_due, "
                  ".reviewed_on, .rows [{no, measure, deadline, status, evidence, overdue}], "
                  ".overdue [the same rows]",
}


@cache
def documents() -> dict[str, dict[str, Document]]:
    """Every process's documents (documents.toml), by process key then document key."""
    return parse(tomllib.loads(DATA.read_text(encoding="utf-8")))


def of_process(process: str) -> dict[str, Document]:
    """The documents of a process (none: an empty mapping)."""
    return documents().get(process, {})


def template_names() -> tuple[str, ...]:
    """Every template name a shipped document is drafted from."""
    return tuple(dict.fromkeys(d.template for t in documents().values() for d in t.values()))


@dataclass(frozen=True)
class DocumentsSettings:
    """config.toml [documents]: `templates`, a folder of the operator's DOCX templates,
    LANG/NAME.docx for the whole installation and ORG_CODE/LANG/NAME.docx for one
    organisation, taking precedence over the shipped ones (None: the shipped ones only)."""

    templates: Path | None = None

    @classmethod
    def from_config(cls, raw: dict[str, Any] | None, folder: Path | None = None
                    ) -> DocumentsSettings:
        return cls(path_setting(raw, "documents", "templates", folder, directory=True))


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


def _environment():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def render(path: Path, facts: dict[str, Any]) -> bytes:
    """The template at `path` rendered from the facts, as the bytes of a DOCX file."""
    from docxtpl import DocxTemplate

    doc = DocxTemplate(str(path))
    doc.render(facts, jinja_env=_environment(), autoescape=True)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


class TemplateRefused(UsageError):
    key = "document.template_refused"


def check(path: Path, template: str, language: str) -> None:
    """Refuse a template that does not render: a broken tag, a placeholder not among
    `PLACEHOLDERS` or a part of one the facts do not have; the refusal names the tag, the
    template and the language."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateSyntaxError, UndefinedError

    def refuse(tag: str, english: str) -> TemplateRefused:
        return TemplateRefused(f"{language}/{template}{SUFFIX}: {english}: {tag}",
                               key="document.template_refused", tag=tag,
                               template=f"{template}{SUFFIX}", language=language)

    try:
        doc = DocxTemplate(str(path))
        found = doc.get_undeclared_template_variables(_environment())
    except TemplateSyntaxError as exc:
        raise refuse(_snippet(exc), "broken tag") from None
    except Exception as exc:  # not a Word file at all
        raise TemplateRefused(f"{language}/{template}{SUFFIX}: not a DOCX file ({exc})",
                              key="document.template_not_docx",
                              template=f"{template}{SUFFIX}", language=language) from None
    unknown = sorted(set(found) - set(PLACEHOLDERS))
    if unknown:
        raise refuse(unknown[0], "unknown placeholder")
    try:
        render(path, sample(language))
    except UndefinedError as exc:
        raise refuse(str(exc.message or exc), "unknown placeholder") from None
    except TemplateSyntaxError as exc:
        raise refuse(_snippet(exc), "broken tag") from None
    except Exception as exc:  # a filter or a test the sandbox refuses, a wrong loop
        raise refuse(str(exc), "does not render") from None


def _snippet(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    source = getattr(exc, "source", None)
    lineno = getattr(exc, "lineno", None)
    if source and lineno:
        lines = source.splitlines()
        if 0 < lineno <= len(lines):
            import re
            text = re.sub(r"<[^>]+>", "", lines[lineno - 1])
            tags = re.findall(r"\{[{%][^{}]*[}%]?\}?", text)
            if tags:
                return f"{tags[-1]} ({message})"
    return message


def install(source: Path, folder: Path, template: str, language: str,
            org_code: str | None) -> Path:
    """Check the operator's template and copy it where it is found: her organisation's
    folder, or the installation's. Returns where it went; a refused one goes nowhere."""
    check(source, template, language)
    target = (folder / org_code if org_code else folder) / language / f"{template}{SUFFIX}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target


def sample(language: str) -> dict[str, Any]:
    """Facts of every placeholder, one row each: what a template is checked against."""
    person = {"name": "A. B.", "position": BLANK}
    row = {"no": 1, "measure": "m", "deadline": "01.01.2026", "status": "s", "evidence": "e",
           "overdue": False}
    recommendation = {"no": 1, "text": "r", "risk_no": 1}
    risk = {"no": 1, "description": "d", "process": "p", "subdivision": "s", "causes": "c",
            "recommendations": [recommendation]}
    return {
        "language": language, "document": "D", "case": 1, "today": "01.01.2026",
        "process": "P",
        "organisation": {"name": "O", "code": "O", "parent": "P", "kind": "k"},
        "object": "O", "period": {"first_day": "01.01.2026", "last_day": "01.02.2026"},
        "signer": person, "responsible": person, "group": [person],
        "stages": [{"no": 1, "key": "k", "name": "n", "due": "01.01.2026", "basis": "b",
                    "done_on": "", "responsible": person}],
        "risks": [risk], "risk_groups": [{"name": "p", "risks": [risk]}],
        "recommendations": [recommendation],
        "plan": [{"no": 1, "measure": "m", "answers": "1", "form": "f",
                  "deadline": "01.01.2026", "responsible": "r", "person": "p",
                  "position": ""}],
        "quarter": {"period": "2026Q1", "name": "Q1", "report_due": "", "received_on": "",
                       "review_due": "", "reviewed_on": "", "rows": [row], "overdue": [row]},
    }
