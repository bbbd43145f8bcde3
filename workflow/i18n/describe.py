"""A process definition in words, in the reader's language: `merzim process show` and the
process page. Names come from the definition itself; the connecting words from the catalogues
(with plural forms)."""

from __future__ import annotations

from typing import Any

from workflow.core.definition import ALL, Definition, DueRule, PeriodDue
from workflow.core.names import name_in
from workflow.i18n import Translator


def _date_name(defn: Definition, anchor: str, t: Translator) -> str:
    key, _, part = anchor.partition(".")
    spec = defn.dates.get(key)
    name = name_in(spec.names if spec else None, t.language, key)
    if key in ("period_start", "period_end", "period_due"):
        name = t(f"describe.date_{key}")
    return t("describe.planned", name=name) if part == "planned" else name


def due_text(defn: Definition, rule: DueRule | None, t: Translator) -> str:
    """'10 working days before the start of the analysis', in the reader's language."""
    if rule is None:
        return t("describe.no_deadline")
    names = [_date_name(defn, a, t) for a in rule.anchors]
    anchor = names[0] if len(names) == 1 else t(f"describe.{rule.combine}",
                                                 list=", ".join(names))
    if rule.offset == 0:
        text = t("describe.on", anchor=anchor)
    else:
        unit = t.plural(f"unit.{rule.unit}", rule.offset)
        text = t(f"describe.{rule.direction}", n=rule.offset, unit=unit, anchor=anchor)
    if rule.inclusive:
        text += "; " + t("describe.inclusive", anchor=anchor)
    if rule.unit != "working_days" and rule.roll != "none":
        text += "; " + t(f"describe.roll_{rule.roll}")
    return text


def period_due_text(rule: PeriodDue, period: str, t: Translator) -> str:
    name = t(f"period.{period}")
    if rule.rule == "period_end":
        text = t("describe.period_end", period=name)
    elif rule.rule == "month_after":
        text = (t("describe.month_after_1", day=rule.day, period=name) if rule.months == 1
                else t("describe.month_after_n", day=rule.day, n=rule.months, period=name))
    else:
        when = f"{rule.day:02d}.{rule.month:02d}"
        text = (t("describe.fixed_same", date=when, period=name) if rule.year_offset == 0
                else t("describe.fixed_later", date=when, n=rule.year_offset, period=name))
    if rule.rule != "period_end" and rule.roll != "none":
        text += "; " + t(f"describe.roll_{rule.roll}")
    return text


def _names(defn: Definition, keys, table: str, language: str) -> str:
    out = []
    for key in keys:
        if key == ALL:
            out.append("*")
            continue
        item = {"states": defn.states, "stages": {k: v.names for k, v in defn.stages.items()},
                "events": {k: v.names for k, v in defn.events.items()}}[table].get(key)
        out.append(name_in(item, language, key))
    return ", ".join(out)


def describe(defn: Definition, language: str) -> dict[str, Any]:  # noqa: C901
    """Everything `process show` prints, as data (its --json)."""
    t = Translator(language)
    lang = t.language
    dates = []
    for key, spec in defn.dates.items():
        parts = []
        if spec.given != "none":
            parts.append(t(f"describe.given_{spec.given}"))
        if spec.default is not None:
            parts.append(t("describe.default", rule=due_text(defn, spec.default, t)))
        setters = [e.key for e in defn.events.values() if key in e.sets]
        if setters:
            parts.append(t("describe.set_by", events=_names(defn, setters, "events", lang)))
        if spec.month_day and spec.year_of:  # (a month_day always names its year_of)
            parts.append(t("describe.month_day", date=spec.month_day[3:] + "." + spec.month_day[:2],
                           year=_date_name(defn, spec.year_of, t)))
        if spec.projected_from:
            parts.append(t("describe.projected_from",
                           stage=_names(defn, [spec.projected_from], "stages", lang)))
        dates.append({"key": key, "name": _date_name(defn, key, t), "text": "; ".join(parts)})
    events = []
    for e in defn.events.values():
        parts = [t("describe.from", states=_names(defn, e.source, "states", lang)
                   if e.source else t("describe.any_state"))]
        if e.dest:
            parts.append(t("describe.to", state=_names(defn, [e.dest], "states", lang)))
        if e.completes:
            parts.append(t("describe.completes",
                           stage=_names(defn, [e.completes], "stages", lang)))
        prereq = defn.prerequisites(e)
        if prereq:
            parts.append(t("describe.needs", events=_names(defn, prereq, "events", lang)))
        if e.sets:
            parts.append(t("describe.sets", dates=", ".join(_date_name(defn, d, t)
                                                            for d in e.sets)))
        if e.close:
            parts.append(t("describe.closes", stages=_names(defn, e.close, "stages", lang)))
        if e.open:
            parts.append(t("describe.opens", stages=_names(defn, e.open, "stages", lang)))
        if e.terminal:
            parts.append(t("describe.terminal"))
        if e.repeatable:
            parts.append(t("describe.repeatable"))
        events.append({"key": e.key, "name": name_in(e.names, lang, e.key),
                       "text": "; ".join(parts), "evidence": list(defn.requirements(e))})
    stages = [{"key": st.key, "name": name_in(st.names, lang, st.key),
               "due_text": due_text(defn, st.due, t)
               + ("; " + t("describe.dormant") if st.initially == "dormant" else ""),
               "due": None if st.due is None else {
                   "anchor": list(st.due.anchors), "offset": st.due.offset, "unit": st.due.unit,
                   "direction": st.due.direction, "combine": st.due.combine,
                   "roll": st.due.roll, "inclusive": st.due.inclusive},
               "responsible": st.responsible, "evidence": list(st.requires),
               "initially": st.initially, "source": st.source}
              for st in defn.stages.values()]
    recurrence = None
    if defn.recurrence is not None:
        rec = defn.recurrence
        recurrence = {"period": rec.period, "applies_to": list(rec.applies_to),
                      "enabled": rec.enabled,
                      "text": t("describe.recurrence", period=t(f"period.{rec.period}"),
                                due=period_due_text(rec.due, rec.period, t),
                                kinds=", ".join(t(f"kind_org.{k}") for k in rec.applies_to))}
    return {
        "key": defn.key, "version": defn.version, "names": defn.names, "name": defn.name(lang),
        "parties": {"object": defn.parties.object, "person": defn.parties.person,
                    "person_visibility": defn.parties.person_visibility},
        "fields": [{"key": f.key, "type": f.type, "name": name_in(f.names, lang, f.key),
                    "required": f.required, "choices": list(f.choices),
                    **({"required_when": {k: list(v) for k, v in f.required_when}}
                       if f.required_when else {})}
                   for f in defn.fields.values()],
        "dates": dates,
        "states": [{"key": k, "name": name_in(v, lang, k), "final": k in defn.final_states}
                   for k, v in defn.states.items()],
        "events": events, "stages": stages, "recurrence": recurrence,
        "timers": [{"on": tm.on, "from": list(tm.source), "to": tm.dest} for tm in defn.timers],
        "interpretations": dict(defn.interpretations),
        # the announcements merzim drafts, and what the public page shows: each
        # feature's table as the feature parsed it when the definition was loaded
        "drafts": [{"stage": d.stage, "stage_name": _names(defn, [d.stage], "stages", lang),
                    "template": d.template, "event": d.event,
                    "event_name": _names(defn, [d.event], "events", lang),
                    "stored_as": d.stored_as, "asks": list(d.asks)}
                   for d in (defn.features.get("drafts") or {}).values()],
        "public": _public(defn, t),
    }


def _public(defn: Definition, t: Translator) -> dict[str, Any] | None:
    """What the public page shows of the process's cases ([public], parsed by its feature)."""
    spec = defn.features.get("public")
    if spec is None:
        return None
    lang = t.language
    return {"announced_by": spec.announced_by,
            "announced_by_name": _names(defn, [spec.announced_by], "events", lang),
            "period": list(spec.period),
            "period_names": [_date_name(defn, k, t) for k in spec.period],
            "events": list(spec.events),
            "event_names": _names(defn, list(spec.events), "events", lang) if spec.events else "",
            "fields": list(spec.fields)}
