"""Digest text in the recipient's language: subject, plain text and HTML (kk, ru, en templates)."""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from notifications.policy import DUE_SOON, DUE_TODAY, ESCALATION, OVERDUE, Digest, Line, StageItem

TEMPLATES = Path(__file__).parent / "templates"
SECTIONS = (OVERDUE, ESCALATION, DUE_TODAY, DUE_SOON)


@cache
def template(language: str) -> dict:
    lang = language if language in ("kk", "ru", "en") else "en"
    with (TEMPLATES / f"{lang}.toml").open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def case_label(tpl: dict, internal_analysis: bool, case_id: int, subject: str, obj: str = "",
               period: str | None = None) -> str:
    """How a line names its case: subject → object, the period of an obligation, and
    "analysis #N" for an internal analysis, "case #N" for any other process."""
    parties = subject + (f" → {obj}" if obj else "") + (f", {period}" if period else "")
    return tpl["case"]["analysis" if internal_analysis else "other"].format(parties=parties,
                                                                           id=case_id)


def process_name(tpl: dict, item: StageItem, language: str) -> str:
    names = item.process_names
    if names.get(language) or names.get("en"):
        return names.get(language) or names["en"]
    return tpl["analysis_process"] if item.internal_analysis else item.process


def by_process(lines: list[Line], language: str) -> list[tuple[str, list[Line]]]:
    """The lines grouped by process, each group under the process name in `language`: the
    internal analysis first, then the others by name; within a group, the lines keep the
    policy's order."""
    tpl = template(language)
    groups: dict[tuple[bool, str], list[Line]] = {}
    for ln in lines:
        groups.setdefault((ln.item.internal_analysis, ln.item.process), []).append(ln)
    named = [(process_name(tpl, group[0].item, language), key, group)
             for key, group in groups.items()]
    named.sort(key=lambda g: (not g[1][0], g[0].casefold(), g[1][1]))
    return [(name, group) for name, _key, group in named]


def render_digest(digest: Digest) -> Rendered:
    """One message listing everything the recipient has to know today: a section per kind
    (overdue, …), and in each a sub-heading per process with its lines."""
    lang = digest.recipient.language
    tpl = template(lang)
    counts = digest.counts()
    summary = ", ".join(tpl["summary"][k].format(n=counts[k]) for k in SECTIONS if k in counts)
    subject = tpl["subject"].format(date=digest.day.isoformat(), summary=summary)
    text_parts = [tpl["greeting"].format(name=digest.recipient.name), ""]
    html_parts = [f"<p>{html.escape(tpl['greeting'].format(name=digest.recipient.name))}</p>"]
    for kind in SECTIONS:
        lines = [ln for ln in digest.lines if ln.kind == kind]
        if not lines:
            continue
        text_parts.append(tpl["section"][kind] + ":")
        html_parts.append(f"<h3>{html.escape(tpl['section'][kind])}</h3>")
        for name, group in by_process(lines, lang):
            text_parts.append(f"  {name}")
            html_parts.append(f"<h4>{html.escape(name)}</h4><ul>")
            for ln in group:
                it = ln.item
                due = it.due.isoformat() + (f" ({tpl['projected']})" if it.projected else "")
                body = tpl["line"][kind].format(
                    stage=it.stage_names.get(lang) or it.stage_names.get("en", it.stage_key),
                    case=case_label(tpl, it.internal_analysis, it.analysis_id, it.subject_name,
                                    it.object_code, it.period),
                    due=due, n=ln.working_days)
                text_parts.append(f"    • {body}")
                html_parts.append(f"<li>{html.escape(body)}</li>")
            html_parts.append("</ul>")
        text_parts.append("")
    text_parts.append(tpl["footer"])
    html_parts.append(f"<p><small>{html.escape(tpl['footer'])}</small></p>")
    return Rendered(subject, "\n".join(text_parts), "<html><body>" + "".join(html_parts)
                    + "</body></html>")


def render_moved(language: str, name: str, day: date, lines: list[dict]) -> Rendered:
    """One message to an owner listing the deadlines a calendar change moved.

    `lines`: {"stage_names", "stage", "subject", "object", "analysis", "old", "new"} and,
    optionally, "internal_analysis" (default true) and "period" (see `case_label`)."""
    full = template(language)
    tpl = full["moved"]
    subject = tpl["subject"].format(date=day.isoformat(), n=len(lines))
    intro = tpl["intro"].format(name=name)
    body = [tpl["line"].format(
        stage=ln["stage_names"].get(language) or ln["stage_names"].get("en", ln["stage"]),
        case=case_label(full, ln.get("internal_analysis", True), ln["analysis"], ln["subject"],
                        ln["object"], ln.get("period")),
        old=ln["old"].isoformat(), new=ln["new"].isoformat()) for ln in lines]
    footer = template(language)["footer"]
    text = "\n".join([intro, "", *(f"• {b}" for b in body), "", footer])
    items = "".join(f"<li>{html.escape(b)}</li>" for b in body)
    page = (f"<html><body><p>{html.escape(intro)}</p><ul>{items}</ul>"
            f"<p><small>{html.escape(footer)}</small></p></body></html>")
    return Rendered(subject, text, page)


def render_blocked(language: str, user: str, login: str) -> Rendered:
    tpl = template(language)["blocked"]
    subject = tpl["subject"].format(user=user, login=login)
    body = tpl["body"].format(user=user, login=login)
    return Rendered(subject, body, f"<html><body><p>{html.escape(body)}</p></body></html>")


def link_reply(language: str, key: str, name: str = "") -> str:
    return template(language)["link"][key].format(name=name)
