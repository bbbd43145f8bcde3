"""Links of a record, each with its channel (I-15): an announcement is published on
the subject's internet resource, in the media and on social networks (000:L265-269;
001:L55-59), so a record may carry several links.

An evidence field of type "links" holds them as text, one link a line, "CHANNEL URL" (its
`choices` are the channels): plain text like every evidence value, readable in the audit log
and in exports. A record of an older version that has one plain link (the built-in `url`,
or any field of type "url") reads as one link whose channel was not given (None). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workflow.core.definition import Definition

MAX_LINKS = 10  # links of one field of one record


@dataclass(frozen=True)
class Link:
    channel: str | None  # a choice of the field; None: a plain link (channel not given)
    url: str


def parse_links(text: str | None) -> list[Link]:
    """The links of a field's text as recorded ("CHANNEL URL" a line), in order, each once."""
    out: list[Link] = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        first, _, rest = line.partition(" ")
        link = Link(first, rest.strip()) if rest.strip() else Link(None, first)
        if link not in out:
            out.append(link)
    return out


def format_links(links: Iterable[tuple[str, str] | Link]) -> str:
    """Links as a field keeps them: "CHANNEL URL" a line, blank URLs left out, each once."""
    out: list[str] = []
    for item in links:
        channel, url = (item.channel, item.url) if isinstance(item, Link) else item
        url = (url or "").strip()
        line = f"{(channel or '').strip()} {url}".strip()
        if url and line not in out:
            out.append(line)
    return "\n".join(out)


def links_of(definition: Definition, evidence: Mapping[str, Any] | None) -> list[Link]:
    """Every link a record (or a done stage's evidence) carries, by the definition's types of
    its fields: the plain links first (channel None), then each links field's, each URL once."""
    evidence = evidence or {}
    evidence_types = {k: spec.type for k, spec in definition.evidence.items()}
    plain = [Link(None, str(evidence[k]).strip()) for k, t in evidence_types.items()
             if t == "url" and str(evidence.get(k) or "").strip()]
    listed = [link for k, t in evidence_types.items() if t == "links"
              for link in parse_links(str(evidence.get(k) or ""))]
    out: list[Link] = []
    for link in plain + listed:
        if link.url not in {x.url for x in out}:
            out.append(link)
    return out


def links_evidence(definition: Definition, links: Iterable[tuple[str, str]],
                   option: str) -> dict[str, str]:
    """Links an adapter received as (channel, URL) pairs (`--link CHANNEL=URL`, the API's
    `links`) as the evidence of the definition's links field; refused when it has none. The
    channels and URLs are checked with the record (machine.field_problems)."""
    from workflow.core.errors import UsageError

    given = list(links)
    if not given:
        return {}
    key = next((k for k, spec in definition.evidence.items() if spec.type == "links"), None)
    if key is None:
        raise UsageError(f"{option}: this process records no links with channels",
                         key="error.no_links", option=option)
    return {key: format_links(given) or " "}
