"""Announcement drafts in words: a draft's Jinja2 template, the operator's (config.toml
[drafts] templates) or the shipped one (workflow/drafts/draft_templates/LANG/NAME.txt.j2),
rendered in one language from the facts of a case, and the text laid out as a DOCX document.

The facts come from the service layer as plain data whose dates are already written as a
reader of the language writes them (`calendars.rules.spell`). Templates are plain text, never
HTML: nothing is escaped, and a template cannot reach anything but the facts it is given
(Jinja2's sandbox). A fact the case does not have yet is empty (`ChainableUndefined`), so a
template says `{{ values.discussion_place or "…" }}` instead of failing.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from workflow.core.errors import ConfigError
from workflow.settings import PathSettings


@dataclass(frozen=True)
class DraftsSettings(PathSettings):
    """config.toml [drafts]: `templates`, a folder of LANG/NAME.txt.j2 announcement templates
    that take precedence over the shipped ones (None: the shipped ones only)."""

    TABLE, KEY, DIRECTORY = "drafts", "templates", True

    templates: Path | None = None


SHIPPED = Path(__file__).parent / "draft_templates"
SUFFIX = ".txt.j2"


@cache
def _environment(folder: Path | None, language: str):
    from jinja2 import ChainableUndefined, ChoiceLoader, FileSystemLoader
    from jinja2.sandbox import SandboxedEnvironment

    loaders = ([FileSystemLoader(folder / language)] if folder is not None else []) + \
        [FileSystemLoader(SHIPPED / language)]
    return SandboxedEnvironment(loader=ChoiceLoader(loaders), undefined=ChainableUndefined,
                                autoescape=False, trim_blocks=True, lstrip_blocks=True,
                                keep_trailing_newline=False, cache_size=0)  # read each time


def template_file(template: str, language: str, folder: Path | None = None) -> Path | None:
    """The file a draft is written from: the operator's when there is one, else the shipped."""
    for base in ((folder,) if folder is not None else ()) + (SHIPPED,):
        path = base / language / f"{template}{SUFFIX}"
        if path.is_file():
            return path
    return None


def render(template: str, language: str, facts: dict[str, Any],
           folder: Path | None = None) -> str:
    """The draft's text: `template` in `language` with the case's `facts`. A template that is
    missing or broken is a configuration error naming its file."""
    from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

    name = f"{template}{SUFFIX}"
    try:
        text = _environment(folder, language).get_template(name).render(**facts)
    except TemplateNotFound:
        where = f"{folder} or {SHIPPED}" if folder is not None else str(SHIPPED)
        raise ConfigError(f"draft template {language}/{name} is in neither {where}") from None
    except TemplateSyntaxError as exc:
        raise ConfigError(f"draft template {language}/{name}, line {exc.lineno}: "
                          f"{exc.message}") from None
    except TemplateError as exc:  # a sandbox refusal, a bad filter...
        raise ConfigError(f"draft template {language}/{name}: {exc}") from None
    return _tidy(text)


def _tidy(text: str) -> str:
    """Trailing spaces gone, no more than one empty line in a row, one final newline."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def docx(title: str, text: str, language: str) -> bytes:
    """The draft as a Word document: its title as a heading, then one paragraph per line."""
    from docx import Document
    from docx.oxml.ns import qn

    document = Document()
    document.core_properties.title = title
    document.core_properties.language = {"kk": "kk-KZ", "ru": "ru-RU"}.get(language, "en-GB")
    # the proofing language of the text itself, so Word checks it in the right language
    style = document.styles["Normal"]
    rpr = style.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = rpr.makeelement(qn("w:lang"), {})
        rpr.append(lang)
    lang.set(qn("w:val"), document.core_properties.language)
    document.add_heading(title, level=1)
    for line in text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n"):
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
