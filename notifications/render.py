"""Digest text in the recipient's language: subject, plain text and HTML.

The texts are the gettext catalogues `notifications/locales/{kk,ru,en}/LC_MESSAGES/digest.po`
(msgid = the key below; counts are plural entries, one form per the language's Plural-Forms).
notifications may not import workflow, so it reads its own domain here."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from notifications.policy import DUE_SOON, DUE_TODAY, ESCALATION, OVERDUE, Digest, Line, StageItem
from notifications.written import date_text

LOCALES = Path(__file__).parent / "locales"
SECTIONS = (OVERDUE, ESCALATION, DUE_TODAY, DUE_SOON)


class Texts:
    """One language's digest texts: `tpl("line.overdue", n=3, …)` formats a message (a count
    in the form for `n`); English fills any gap."""

    def __init__(self, language: str, texts: dict[str, str],
                 plurals: dict[str, tuple[str, ...]], english: Texts | None = None):
        self.language, self.texts, self.plurals, self.english = language, texts, plurals, english

    def raw(self, key: str, n: int = 1) -> str:
        if key in self.texts:
            return self.texts[key]
        if key in self.plurals:
            forms = self.plurals[key]
            return forms[min(_plural_index(self.language, n), len(forms) - 1)]
        if self.english is not None:
            return self.english.raw(key, n)
        raise KeyError(key)

    def __call__(self, key: str, **params: Any) -> str:
        return self.raw(key, params.get("n", 1)).format(**params)


def _plural_index(language: str, n: int) -> int:
    """The catalogues' Plural-Forms: ru one/few/many, en one/other, kk a single form."""
    if language == "ru":
        if n % 10 == 1 and n % 100 != 11:
            return 0
        return 1 if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else 2
    return 0 if language == "kk" or n == 1 else 1


@cache
def template(language: str) -> Texts:
    from babel.messages.pofile import read_po

    lang = language if language in ("kk", "ru", "en") else "en"
    texts: dict[str, str] = {}
    plurals: dict[str, tuple[str, ...]] = {}
    with (LOCALES / lang / "LC_MESSAGES" / "digest.po").open("rb") as fh:
        for message in read_po(fh, domain="digest"):
            if not message.id or message.fuzzy:
                continue
            if isinstance(message.id, str):  # (else a plural entry: singular and plural ids)
                if message.string:
                    texts[message.id] = str(message.string)
            else:
                plurals[message.id[0]] = tuple(message.string or ())
    return Texts(lang, texts, plurals, None if lang == "en" else template("en"))


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def case_label(tpl: Texts, internal_analysis: bool, case_id: int, subject: str, obj: str = "",
               period: str | None = None) -> str:
    """How a line names its case: subject → object (an analysis of the subject itself: the
    subject alone), in the reader's language, the period of an obligation by its name, and
    "analysis #N" for an internal analysis, "case #N" for any other process."""
    parties = subject + (f" → {obj}" if obj and obj != subject else "") \
        + (f", {period}" if period else "")
    return tpl("case.analysis" if internal_analysis else "case.other", parties=parties,
               id=case_id)


def name_in(names: dict[str, str], language: str, fallback: str = "") -> str:
    """The name in the reader's language, else the English one, else `fallback` (the rule of
    workflow.core.names, which notifications may not import: its one copy here)."""
    return names.get(language) or names.get("en") or fallback


def process_name(tpl: Texts, item: StageItem, language: str) -> str:
    return (name_in(item.process_names, language)
            or (tpl("analysis_process") if item.internal_analysis else item.process))


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


def case_url(base_url: str, case_id: int) -> str:
    """The case page's address under the public URL ("" without one: no link)."""
    return f"{base_url.rstrip('/')}/cases/{case_id}" if base_url else ""


def _html_line(body: str, url: str) -> str:
    text = html.escape(body)
    return f'<a href="{html.escape(url)}">{text}</a>' if url else text


def render_digest(digest: Digest, base_url: str = "") -> Rendered:
    """One message listing everything the recipient has to know today: a section per kind
    (overdue, …), and in each a sub-heading per process with its lines; each line with the
    link to its case's page under `base_url` ([web] public_url; "": none)."""
    lang = digest.recipient.language
    tpl = template(lang)
    counts = digest.counts()
    summary = ", ".join(tpl(f"summary.{k}", n=counts[k]) for k in SECTIONS if k in counts)
    subject = tpl("subject", date=date_text(digest.day, lang), summary=summary)
    text_parts = [tpl("greeting", name=digest.recipient.name), ""]
    html_parts = [f"<p>{html.escape(tpl('greeting', name=digest.recipient.name))}</p>"]
    for kind in SECTIONS:
        lines = [ln for ln in digest.lines if ln.kind == kind]
        if not lines:
            continue
        text_parts.append(tpl(f"section.{kind}") + ":")
        html_parts.append(f"<h3>{html.escape(tpl(f'section.{kind}'))}</h3>")
        for name, group in by_process(lines, lang):
            text_parts.append(f"  {name}")
            html_parts.append(f"<h4>{html.escape(name)}</h4><ul>")
            for ln in group:
                it = ln.item
                due = date_text(it.due, lang) + (f" ({tpl('projected')})" if it.projected
                                                  else "")
                if it.due_basis:  # a deadline merzim sets, the sources giving none (I-17):
                    due += f" ({tpl('own_deadline_merzim')})"  # its rule on the case's page
                body = tpl(f"line.{kind}",
                    stage=name_in(it.stage_names, lang, it.stage_key),
                    case=case_label(tpl, it.internal_analysis, it.analysis_id,
                                    name_in(it.subject_names, lang, it.subject_name),
                                    name_in(it.object_names, lang, it.object_code),
                                    name_in(it.period_names, lang, it.period or "") or None),
                    due=due, n=ln.working_days)
                url = case_url(base_url, it.analysis_id)
                text_parts.append(f"    • {body}" + (f"\n      {url}" if url else ""))
                html_parts.append(f"<li>{_html_line(body, url)}</li>")
            html_parts.append("</ul>")
        text_parts.append("")
    text_parts.append(tpl("footer"))
    html_parts.append(f"<p><small>{html.escape(tpl('footer'))}</small></p>")
    return Rendered(subject, "\n".join(text_parts), "<html><body>" + "".join(html_parts)
                    + "</body></html>")


def render_moved(language: str, name: str, day: date, lines: list[dict],
                 base_url: str = "") -> Rendered:
    """One message to an owner listing the deadlines a calendar change moved.

    `lines`: {"stage_names", "stage", "subject", "object", "analysis", "old", "new"} and,
    optionally, "internal_analysis" (default true), "period" (see `case_label`) and its
    "period_names" (kk, ru, en), and
    "subject_names"/"object_names" (kk, ru, en: the organisations in the reader's language)."""
    tpl = template(language)
    subject = tpl("moved.subject", date=date_text(day, language), n=len(lines))
    intro = tpl("moved.intro", name=name)
    body = [tpl("moved.line",
        stage=name_in(ln["stage_names"], language, ln["stage"]),
        case=case_label(tpl, ln.get("internal_analysis", True), ln["analysis"],
                        name_in(ln.get("subject_names", {}), language, ln["subject"]),
                        name_in(ln.get("object_names", {}), language, ln["object"]),
                        name_in(ln.get("period_names", {}), language, ln.get("period") or "")
                        or None),
        old=date_text(ln["old"], language), new=date_text(ln["new"], language)) for ln in lines]
    urls = [case_url(base_url, ln["analysis"]) for ln in lines]
    footer = tpl("footer")
    text = "\n".join([intro, "", *(f"• {b}" + (f"\n  {u}" if u else "")
                                    for b, u in zip(body, urls, strict=True)), "", footer])
    items = "".join(f"<li>{_html_line(b, u)}</li>" for b, u in zip(body, urls, strict=True))
    page = (f"<html><body><p>{html.escape(intro)}</p><ul>{items}</ul>"
            f"<p><small>{html.escape(footer)}</small></p></body></html>")
    return Rendered(subject, text, page)


def render_blocked(language: str, user: str, login: str) -> Rendered:
    tpl = template(language)
    subject = tpl("blocked.subject", user=user, login=login)
    body = tpl("blocked.body", user=user, login=login)
    return Rendered(subject, body, f"<html><body><p>{html.escape(body)}</p></body></html>")


def link_reply(language: str, key: str, name: str = "") -> str:
    return template(language)(f"link.{key}", name=name)


SNOOZE_DAYS = (1, 7)  # the buttons of a Telegram reminder: until tomorrow, until next week


def snooze_buttons(language: str, outbox_id: int) -> tuple[tuple[str, str], ...]:
    """A Telegram reminder's buttons: (label, callback data "snooze:ROW:DAYS")."""
    tpl = template(language)
    return tuple((tpl(f"bot.snooze_{days}"), f"snooze:{outbox_id}:{days}")
                 for days in SNOOZE_DAYS)


def bot_text(language: str, key: str, **params: Any) -> str:
    """A reply of the bot in the reader's language (the catalogue's "bot." entries)."""
    return template(language)(f"bot.{key}", **params)
