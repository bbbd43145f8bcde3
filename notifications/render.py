"""Digest text in the recipient's language: subject, plain text and HTML (kk, ru, en templates)."""

from __future__ import annotations

import html
import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from notifications.policy import DUE_SOON, DUE_TODAY, ESCALATION, OVERDUE, Digest

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


def render_digest(digest: Digest) -> Rendered:
    """One message listing everything the recipient has to know today."""
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
        html_parts.append(f"<h3>{html.escape(tpl['section'][kind])}</h3><ul>")
        for ln in lines:
            it = ln.item
            due = it.due.isoformat() + (f" ({tpl['projected']})" if it.projected else "")
            body = tpl["line"][kind].format(
                stage=it.stage_names.get(lang) or it.stage_names.get("en", it.stage_key),
                subject=it.subject_name, object=it.object_code, analysis=it.analysis_id,
                due=due, n=ln.working_days)
            text_parts.append(f"• {body}")
            html_parts.append(f"<li>{html.escape(body)}</li>")
        text_parts.append("")
        html_parts.append("</ul>")
    text_parts.append(tpl["footer"])
    html_parts.append(f"<p><small>{html.escape(tpl['footer'])}</small></p>")
    return Rendered(subject, "\n".join(text_parts), "<html><body>" + "".join(html_parts)
                    + "</body></html>")


def render_moved(language: str, name: str, day: date, lines: list[dict]) -> Rendered:
    """One message to an owner listing the deadlines a calendar change moved.

    `lines`: {"stage_names", "stage", "subject", "object", "analysis", "old", "new"}."""
    tpl = template(language)["moved"]
    subject = tpl["subject"].format(date=day.isoformat(), n=len(lines))
    intro = tpl["intro"].format(name=name)
    body = [tpl["line"].format(
        stage=ln["stage_names"].get(language) or ln["stage_names"].get("en", ln["stage"]),
        subject=ln["subject"], object=ln["object"], analysis=ln["analysis"],
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
