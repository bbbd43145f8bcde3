"""A scorecard (workflow/scorecard/rules.py; projects No. 2-4: workflow/scorecard/evaluation.py)
in plain words of the reader's language: each indicator's title, how it is scored and what was
counted ("7 of 12 subdivisions announced the start (58.33 %) → 5 steps of 10 % → 1.5 points"),
with plural forms; the sources as footnotes; a whole evaluation's projects with their subtotals."""

from __future__ import annotations

import functools
import pickle
from collections.abc import Callable
from datetime import date
from typing import Any

from workflow.i18n import Translator
from workflow.scorecard import evaluation as ev
from workflow.scorecard.rules import DONE, PENDING

SHARES = ("1.1.3", "1.2.1", "1.2.2", "1.3.2", "1.3.3", "1.4.1")
DOCUMENTS = ("1.1.2", "1.2.3", "1.3.1")
ARROW = " → "
MINUS = "−"
# the organisations a scorecard names in a list (taken in, not reported, …) on a page or in the
# API: a root takes in thousands; the others are counted (`compact`), and listed page by page
LISTED = 20
# the indicator objects `CardWords.json` keeps its reading of (the last ones written)
SEEN = 4096
# the organisation lists of an indicator's inputs that `compact` cuts (each entry an
# organisation's code, or [code, figure])
ORG_LISTS = ("from", "from_headcount", "not_reported")


@functools.lru_cache(maxsize=65536)  # a subtree's cards repeat the same few figures
def number(x: float | int, language: str) -> str:
    """12, 1.5, −10 (a decimal comma in kk and ru)."""
    x = float(x)
    text = str(int(abs(x))) if x.is_integer() else f"{abs(x):.2f}".rstrip("0").rstrip(".")
    if language in ("kk", "ru"):
        text = text.replace(".", ",")
    return (MINUS if x < 0 else "") + text


def day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def source(text: str) -> str:
    """'001:L27-33' as a reference: '001:L27–33'."""
    return text.replace("-", "–")


class Words:
    """Puts one scorecard's numbers into the translator's language."""

    def __init__(self, t: Translator, subject: str = "", names: dict[str, str] | None = None,
                 shared: dict[tuple[Any, ...], str] | None = None):
        self.t = t
        self.lang = t.language
        self.subject = subject
        self.names = names or {}  # organisation code -> name (a consolidated indicator's)
        self.shared = {} if shared is None else shared  # words alike from card to card

    def n(self, x: float | int) -> str:
        return number(x, self.lang)

    def points(self, x: float) -> str:
        found = self.shared.get(("points", x))
        if found is None:
            found = self.shared["points", x] = self.t(
                "score.text.points", points=self.n(x), word=self.t.plural("score.unit.point", x))
        return found

    def share(self, key: str, i: dict[str, Any], until: Any, **did: Any) -> str:
        t = self.t
        text = t("score.text.share", done=i["done"], units=i["units"], percent=self.n(i["percent"]),
                 unit=t.plural(f"score.unit.{i['unit']}", i["units"]),
                 did=t(f"score.did.{key}", **did))
        if i.get("unlinked"):  # 1.3.2: published by a justification note alone (B-15)
            text += "; " + t.n("score.text.unlinked", i["unlinked"])
        if i.get("incomplete"):  # 1.1.3, 1.2.1: not on every channel (001:L55-59)
            missing = ", ".join(t("score.text.channel_missing",
                                  channel=t(f"score.channel.{channel}"), n=n)
                                for channel, n in i.get("missing_channels", {}).items())
            text += "; " + t.n("score.text.incomplete", i["incomplete"], missing=missing)
        return text + self.pending(i, until)

    def pending(self, i: dict[str, Any], until: Any) -> str:
        if not i.get("pending") or until is None:
            return ""
        return "; " + self.t("score.text.pending", n=i["pending"], date=day(until))

    def steps(self, i: dict[str, Any]) -> str:
        return self.t("score.text.steps", steps=self.n(i["steps"]), size=i["step_percent"],
                      step=self.t.plural("score.unit.step", i["steps"]))

    def rule(self, ind: dict[str, Any]) -> str:
        t, key, i = self.t, ind["key"], ind["inputs"]
        if ind.get("scored_by"):  # projects No. 2-4 (the catalogue's kind of rule)
            return self.rule_2_4(key, i)
        params: dict[str, Any] = {"threshold": self.n(i.get("threshold", 0))}
        if key in DOCUMENTS or key == "1.4.1-penalty":
            params["which"] = t(f"score.which.{i.get('rule', 'any')}")
        if key in ("1.5.1", "external"):
            per = i.get("per_unit", i.get("per_step", 0))
            params.update(per=self.n(per), points=t.plural("score.unit.point", per))
        return t(f"score.rule.{key}", **params) or ""

    def text(self, ind: dict[str, Any], year: int) -> str:
        """What was counted, in words, ending with the points."""
        t, key, i = self.t, ind["key"], ind["inputs"]
        if ind["kind"] == "info":
            return t(f"score.note.{ind['note']}")
        if ind.get("scored_by"):
            return self.text_2_4(ind, year)
        if key == "external":
            parts = [t("score.text.external", date=day(i["completed_on"]), fulfilled=i["fulfilled"],
                       items=i["items"], percent=self.n(i["percent"])),
                     self.t("score.text.steps", steps=self.n(i["steps"]), size=1,
                            step=t.plural("score.unit.step", i["steps"]))]
            return ARROW.join([*parts, self.points(ind["points"])])
        if key == "1.1.1":
            if i["approved"]:
                what = t("score.text.schedule_done")
            elif ind["pending_until"]:
                what = t("score.text.schedule_pending", date=day(ind["pending_until"]))
            else:
                what = t("score.text.schedule_missing")
            return what + ARROW + self.points(ind["points"])
        if key in DOCUMENTS:
            if i["analyses"] == 0:
                what = t("score.text.no_analysis", year=year)
            else:
                what = t("score.text.document", what=t(f"score.doc.{key}"), done=i["done"],
                         n=i["analyses"], analyses=t.plural("score.unit.analysis", i["analyses"]))
                if i["missing"]:
                    what += "; " + t("score.text.missing", n=i["missing"])
                what += self.pending(i, ind["pending_until"])
            return what + ARROW + self.points(ind["points"])
        if key in SHARES:
            parts = [self.share(key, i, ind["pending_until"]), self.steps(i)]
            if "threshold" in i and i["percent"] < i["threshold"]:
                parts[-1] = t("score.text.below", threshold=self.n(i["threshold"]))
            return ARROW.join([*parts, self.points(ind["points"])])
        if key == "1.3.3-risks":
            which = "risks" if i["cumulative"] else "risks_highest"
            return t(f"score.text.{which}", identified=i["identified"],
                     eliminated=i["eliminated"], completed=i["completed"]) + ARROW + self.points(
                ind["points"])
        if key == "1.4.1-penalty":
            text = t("score.text.share", done=i["done"], units=i["units"],
                     percent=self.n(100 * i["done"] / i["units"] if i["units"] else 0),
                     unit=t.plural("score.unit.body", i["units"]), did=t("score.did.1.4.1"))
            return text + self.pending(i, ind["pending_until"]) + ARROW + self.points(ind["points"])
        if key == "1.5.1":
            text = t("score.text.cartogram", done=i["done"], units=i["units"],
                     unit=t.plural(f"score.unit.{i['unit']}", i["units"]),
                     did=t("score.did.1.5.1"), per=self.n(i["per_unit"]))
            return text + self.pending(i, ind["pending_until"]) + ARROW + self.points(ind["points"])
        return self.points(ind["points"])  # pragma: no cover - every key is handled above

    # projects No. 2-4 (workflow/scorecard/evaluation.py)

    def rule_2_4(self, key: str, i: dict[str, Any]) -> str:
        t = self.t
        params: dict[str, Any] = {"n": i.get("required", 8)}
        if key == "2.2.1":
            params["counted"] = ", ".join(t(f"score.category.{c}") for c in i.get("counted", ()))
        if key == "4.3.1" and not i.get("cumulative", True):
            key = "4.3.1-highest"
        text = t(f"score.rule.{key}", **params)
        if i.get("threshold"):
            text += t("score.rule.min_percent", threshold=self.n(i["threshold"]))
        return text

    def text_2_4(self, ind: dict[str, Any], year: int) -> str:
        """What was counted for an indicator of projects No. 2-4, ending with the points."""
        key, i, until, rule = ind["key"], ind["inputs"], ind["pending_until"], ind["scored_by"]
        if rule in ev.SHARE_KINDS:
            parts = [self.share(key, i, until, n=i.get("required", 8)), self.steps(i)]
            if "threshold" in i and i["percent"] < i["threshold"]:
                parts[-1] = self.t("score.text.below", threshold=self.n(i["threshold"]))
        elif rule == "facts":
            parts = [self.t("score.text.facts", year=year, facts=i["facts"],
                            independent=i["independent"], per=i["per_fact"])
                     + self.pending(i, until)]
        elif rule == "monthly":
            parts = [self.months(i, f"score.unit.{i.get('unit', 'event')}", year)]
        else:
            parts = {"by_category": self.notices, "band": self.reconciliation,
                     "report_penalty": self.law_report, "certificates": self.certificates,
                     "commission": self.commission, "ratio": self.ratio,
                     "outreach": self.outreach}[rule](ind, year)
        parts[0] += self.origin(i)
        return ARROW.join([*parts, self.points(ind["points"])])

    def origin(self, i: dict[str, Any]) -> str:
        """Where a consolidated indicator's facts came from (B-18) and how many were entered
        after their year's end (B-17), or nothing."""
        text = ""
        if len(i.get("from") or ()) > 1 or any(org != self.subject for org, _ in
                                                i.get("from") or ()):
            text += "; " + self.t("score.text.taken_in", list=self.more(i, "from", [
                f"{self.names.get(org, org)} {self.n(n)}" for org, n in i["from"]]))
        if i.get("entered_late"):
            text += "; " + self.t("score.text.entered_late", n=self.n(i["entered_late"]))
        return text

    def notices(self, ind: dict[str, Any], year: int) -> list[str]:
        i = ind["inputs"]
        return [self.t("score.text.notices", year=year, administrative=i["administrative"],
                       criminal=i["criminal"]) + self.pending(i, ind["pending_until"])]

    def reconciliation(self, ind: dict[str, Any], year: int) -> list[str]:
        t, i = self.t, ind["inputs"]
        if i["filed"] == DONE:
            return [t("score.text.act", administrative=i["administrative"], criminal=i["criminal"],
                      discrediting=i["discrediting"], facts=i["facts"]),
                    t("score.text.band", band=i["band"])]
        if i["filed"] == PENDING:
            return [t("score.text.act_pending", year=year, date=day(ind["pending_until"]))]
        return [t("score.text.act_missing", year=year)]

    def law_report(self, ind: dict[str, Any], year: int) -> list[str]:
        i = ind["inputs"]
        which = "score.text.law_report_late" if i["late"] else f"score.text.law_report_{i['filed']}"
        return [self.t(which, year=year, date=day(i["due"]))]

    def certificates(self, ind: dict[str, Any], year: int) -> list[str]:
        t, i = self.t, ind["inputs"]
        return [t("score.text.cartogram", done=i["done"], units=i["units"],
                  unit=t.plural(f"score.unit.{i['unit']}", i["units"]), did=t("score.did.3.3.1"),
                  per=self.n(i["per_unit"]))]

    def commission(self, ind: dict[str, Any], year: int) -> list[str]:
        t, i = self.t, ind["inputs"]
        text = t("score.text.commission", held=i["held"], base=self.n(i["base"]))
        if i["units"]:
            text += "; " + t("score.text.commission_districts", missed=i["missed"],
                             units=i["units"], percent=self.n(i["percent"]),
                             steps=self.n(i["steps"]),
                             step=t.plural("score.unit.step", i["steps"]),
                             reduction=self.n(-i["reduction"]))
        return [text + self.pending(i, ind["pending_until"])]

    def ratio(self, ind: dict[str, Any], year: int) -> list[str]:
        t, i = self.t, ind["inputs"]
        if i["filed"] != DONE:
            if ind["pending_until"]:
                return [t("score.text.no_figures_pending", year=year,
                          date=day(ind["pending_until"]))]
            return [t("score.text.no_figures", year=year)]
        text = t(f"score.text.{ind['key']}", numerator=self.n(i["numerator"]),
                 denominator=self.n(i["denominator"]), percent=self.n(i["percent"]))
        if i.get("from_headcount"):  # B-20: units with no figures, none trained of their staff
            text += "; " + t.n("score.text.share_headcount", counted(i, "from_headcount"),
                               list=self.more(i, "from_headcount", [
                                   f"{self.names.get(org, org)} {self.n(staff)}"
                                   for org, staff in i["from_headcount"]]))
        if i.get("not_reported"):  # B-20: neither figures nor headcount: the share incomplete
            return [text + "; " + t.n("score.text.share_not_reported",
                                      counted(i, "not_reported"),
                                      list=self.more(i, "not_reported", [
                                          self.names.get(org, org) for org in i["not_reported"]]))
                    + self.pending_share(ind),
                    t("score.text.share_incomplete")]
        return [text + self.pending_share(ind),
                t("score.text.steps", steps=self.n(i["steps"]), size=self.n(i["step_percent"]),
                  step=t.plural("score.unit.step", i["steps"]))]

    def more(self, i: dict[str, Any], which: str, named: list[str]) -> str:
        """The organisations of an input's list joined, and those `compact` cut counted
        ("…, and 4,980 more")."""
        rest = counted(i, which) - len(named)
        return ", ".join(named) + (", " + self.t.n("score.text.and_more", rest)
                                   if rest > 0 else "")

    def pending_share(self, ind: dict[str, Any]) -> str:
        """A consolidated share whose units may still record their figures (B-20)."""
        if not ind.get("pending_until"):
            return ""
        return "; " + self.t("score.text.share_pending", date=day(ind["pending_until"]))

    def months(self, i: dict[str, Any], unit: str, year: int) -> str:
        t = self.t
        if not i["months"]:
            return t("score.text.no_records", year=year)
        return "; ".join(t("score.text.month", month=t(f"score.month.{m}"), n=self.n(x),
                           unit=t.plural(unit, x), points=self.n(p))
                         for m, x, p in i["months"])

    def outreach(self, ind: dict[str, Any], year: int) -> list[str]:
        t, i = self.t, ind["inputs"]
        filed = t(f"score.filed.{i['filed']}", date=day(ind["pending_until"]))
        parts = i["parts"] if i["cumulative"] else [i["parts"][0], max(i["parts"][1:])]
        return [t("score.text.outreach", filed=filed, events=i["events"], online=i["online"],
                  views=self.n(i["views"])),
                " + ".join(self.n(x) for x in parts)]


def counted(i: dict[str, Any], which: str) -> int:
    """How many organisations an input's list names, those `compact` cut included."""
    return i.get(f"{which}_count", len(i.get(which) or ()))


def compact(result: dict[str, Any], listed: int = LISTED) -> dict[str, Any]:
    """A scorecard as a page or the API shows it: its lists of organisations (`taken_in`, and
    each indicator's `from`, `from_headcount`, `not_reported`) cut to their first `listed`,
    each with how many it names (`taken_in_count`, `<list>_count`), and `organisations` the
    names of those listed only. A root takes in thousands (its scorecard was 857 KB of
    codes and names); every figure is the evaluation's, unchanged. A new dictionary: the kept
    result is shared, not to be changed."""
    names = result.get("organisations") or {}
    named: set[str] = set()
    indicators = []
    for ind in result["indicators"]:
        inputs = ind.get("inputs") or {}
        if any(len(inputs.get(k) or ()) > listed for k in ORG_LISTS):
            inputs = {**inputs}
            for k in ORG_LISTS:
                if len(inputs.get(k) or ()) > listed:
                    inputs[f"{k}_count"] = len(inputs[k])
                    inputs[k] = inputs[k][:listed]
            ind = {**ind, "inputs": inputs}
        for k in ORG_LISTS:
            named.update(x if isinstance(x, str) else x[0] for x in inputs.get(k) or ())
        indicators.append(ind)
    out = {**result, "indicators": indicators}
    if "projects" in result:  # each project's indicators: the same, cut alike
        by_key = {i["key"]: i for i in indicators}
        out["projects"] = [{**p, "indicators": [by_key.get(i["key"], i)
                                                for i in p["indicators"]]}
                           for p in result["projects"]]
    if "taken_in" in result:
        out["taken_in"] = list(result["taken_in"][:listed])
        out["taken_in_count"] = len(result["taken_in"])
        named.update(out["taken_in"])
    if "organisations" in result:
        out["organisations"] = {code: names[code] for code in names if code in named}
    return out


NOT_EVALUATED = "—"  # an indicator that does not apply, wherever it is shown (001 §5.2)


def marks(ind: dict[str, Any], w: Words) -> dict[str, str]:
    """An indicator's points, maximum and share of it as shown: "—" for all three when it is
    not evaluated; "no cap" for an award with no maximum; the share only of a maximum."""
    if ind["kind"] == "info":
        return {"points_text": NOT_EVALUATED, "maximum_text": NOT_EVALUATED,
                "percent_text": NOT_EVALUATED}
    if ind["maximum"] is None:
        return {"points_text": w.n(ind["points"]), "percent_text": "",
                "maximum_text": w.t("score.no_maximum") if ind["kind"] == "award" else ""}
    share = 100 * ind["points"] / ind["maximum"] if ind["maximum"] else 0
    return {"points_text": w.n(ind["points"]), "maximum_text": w.n(ind["maximum"]),
            "percent_text": f"{w.n(round(share, 1))} %"}


def project_maximum(indicators: list[dict[str, Any]], w: Words) -> dict[str, Any]:
    """A project's maximum (the sum of its evaluated awards' maxima; an award with no cap
    adds none, `uncapped` says there is one) and its awards as a share of it (above 100 %
    only by an award with no cap)."""
    maximum: float = 0
    capped = uncapped = False
    got: float = 0
    for i in indicators:  # one pass: a subtree's 5,000 cards have 42 each
        if i["kind"] != "award":
            continue
        got += i["points"]
        if i["maximum"] is None:
            uncapped = True
        else:
            capped = True
            maximum += i["maximum"]
    return {"maximum": maximum, "maximum_text": w.n(maximum) if capped else NOT_EVALUATED,
            "uncapped": uncapped,
            # an award with no cap: no maximum to take a share of (its points alone)
            "percent_text": f"{w.n(round(100 * got / maximum, 1))} %"
            if maximum and not uncapped else NOT_EVALUATED}


class CardWords:
    """Puts scorecards into words (`in_words`), one after another in one language: what is
    the same from card to card (the indicators' titles and rules, the kinds, the statuses,
    the projects' titles, the footnotes' references) is put into words once, for the first
    card that needs it, and so are the words of an indicator the same in every figure as
    one put into words before (most of a subtree's: "no records in 2026 → 0 points"); a
    subtree of 5,000 cards shares them. An indicator naming organisations is its card's
    own (its subject's, their names)."""

    def __init__(self, t: Translator, encode: Callable[[Any], str] | None = None):
        self.t = t
        self.encode = encode  # `json`'s: a json.JSONEncoder's encode (default separators)
        self.shared: dict[tuple[Any, ...], Any] = {}  # what the cards share, in words
        self.refs: dict[str, str] = {}  # each source as a footnote shows it
        # the last indicators written (`json`), by their object's id, with their figures as
        # `_alike` gives them: a subtree's evaluations share the indicators alike of its
        # subjects with nothing under them (service.each_scorecard's `read_only`), each
        # then read as bytes once, not once per card
        self.seen: dict[int, tuple[dict[str, Any], bytes | None]] = {}

    def once(self, key: tuple[Any, ...], make: Any, *args: Any) -> Any:
        """`make(*args)`, put into words for the first card that needs `key`."""
        found = self.shared.get(key)
        if found is None:
            found = self.shared[key] = make(*args)
        return found

    def indicator(self, w: Words, ind: dict[str, Any], year: int
                  ) -> tuple[dict[str, str], dict[str, str]]:
        """What `in_words` adds to an indicator before its footnote's number (its number,
        project, title, rule and text) and after it (its marks)."""
        key, once = ind["key"], self.once
        return ({"number": key.split("-")[0],  # 1.3.3-risks is 1.3.3's
                 "project": ev.project_of(key),
                 "title": once(("title", key), self.t, f"score.title.{key}"),
                 "rule": once(("rule", key, bool(ind.get("scored_by")),
                               *_rule_inputs(ind["inputs"])), w.rule, ind),
                 "text": w.text(ind, year)},
                marks(ind, w))

    def __call__(self, result: dict[str, Any]) -> dict[str, Any]:
        w = self.words(result)
        notes: dict[str, int] = {}
        indicators = []
        year = result["year"]
        for ind in result["indicators"]:
            number_ = self.footnote(ind, notes)
            alike = None if self.own(ind) else _alike(ind)
            said, shown = (self.indicator(w, ind, year) if alike is None
                           else self.once(("indicator", year, alike), self.indicator, w, ind,
                                          year))
            indicators.append({**ind, **said, "footnote": number_, **shown})
        return self.card(result, w, indicators, notes)

    def json(self, result: dict[str, Any]) -> str:
        """The card in words (`self(result)`) as JSON, the text `self.encode` writes of it
        (a `json.JSONEncoder`'s `encode`, its separators the default): an indicator the same
        in every figure as one written before, at the same footnote, is written once (a
        subtree's cards repeat most of theirs). The results are read, never changed: an
        indicator object met again is the same figures."""
        encode = self.encode
        assert encode is not None, "CardWords(t, encode) writes JSON"
        w = self.words(result)
        notes: dict[str, int] = {}
        written = []
        year = result["year"]
        shared, refs, seen = self.shared, self.refs, self.seen
        for ind in result["indicators"]:
            # its footnote's number (`footnote`) and whether its words are its card's own
            # (`own`), said here: once per indicator of every card
            ref = refs.get(ind["source"])
            if ref is None:
                ref = refs[ind["source"]] = source(ind["source"])
            number_ = notes.setdefault(ref, len(notes) + 1)
            hit = seen.get(id(ind))
            if hit is not None and hit[0] is ind:  # the same object as a card's before
                alike = hit[1]
            else:
                inputs = ind["inputs"]
                alike = None if (inputs.get("from") or inputs.get("from_headcount")
                                 or inputs.get("not_reported")) else _alike(ind)
                if len(seen) >= SEEN:
                    seen.clear()
                seen[id(ind)] = (ind, alike)  # (held: its id is no other's while kept)
            if alike is None:
                said, shown = self.indicator(w, ind, year)
                written.append(encode({**ind, **said, "footnote": number_, **shown}))
                continue
            text = shared.get(("json", year, alike, number_))
            if text is None:
                said, shown = self.once(("indicator", year, alike), self.indicator, w, ind,
                                        year)
                text = shared["json", year, alike, number_] = encode(
                    {**ind, **said, "footnote": number_, **shown})
            written.append(text)
        card = self.card(result, w, [], notes)
        keys = list(card)
        at = keys.index("indicators")
        before = encode({k: card[k] for k in keys[:at]})[:-1]  # "{...", without its "}"
        rest = keys[at + 1:]
        if rest and rest[-1] == "footnotes":  # the same sources from card to card: their
            # list written once per numbering
            numbered = ("footnotes", *notes.items())
            listed = shared.get(numbered)
            if listed is None:
                listed = shared[numbered] = encode(card["footnotes"])
            members = encode({k: card[k] for k in rest[:-1]})[1:-1]  # without its braces
            after = "".join((members, ", " if members else "", '"footnotes": ', listed, "}"))
        else:
            after = encode({k: card[k] for k in rest})[1:]  # "...}", without its "{"
        return "".join((before, ", " if at else "", '"indicators": [', ", ".join(written), "]",
                        ", " if after != "}" else "", after))

    def words(self, result: dict[str, Any]) -> Words:
        return Words(self.t, result.get("subject", ""), result.get("organisations"),
                     self.shared)

    def footnote(self, ind: dict[str, Any], notes: dict[str, int]) -> int:
        """The number of the indicator's source among the card's footnotes (`notes`)."""
        ref = self.refs.get(ind["source"])
        if ref is None:
            ref = self.refs[ind["source"]] = source(ind["source"])
        return notes.setdefault(ref, len(notes) + 1)

    @staticmethod
    def own(ind: dict[str, Any]) -> bool:
        """Whether an indicator's words are its card's own: naming organisations (its
        subject's, their names; `ORG_LISTS`)."""
        inputs = ind["inputs"]
        return bool(inputs.get("from") or inputs.get("from_headcount")
                    or inputs.get("not_reported"))

    def card(self, result: dict[str, Any], w: Words, indicators: list[dict[str, Any]],
             notes: dict[str, int]) -> dict[str, Any]:
        """The card in words around its indicators in words."""
        t, once = self.t, self.once
        until = result.get("provisional_until")
        extra: dict[str, Any] = {}
        if "projects" in result:  # a whole evaluation (evaluation.whole): its projects'
            # subtotals, each naming its indicators by their keys (the card's `indicators`
            # says each once, with its project; a card in words again has no other list)
            of_project = _of_project(result)
            extra["projects"] = [{
                **{k: v for k, v in p.items() if k not in ("indicators", "keys")},
                "keys": [i["key"] for i in of_project.get(p["project"], ())],
                "title": once(("project", p["project"]),
                              t, f"score.project.{p['project']}"),
                "awards_text": w.n(p["awards"]), "deductions_text": w.n(p["deductions"]),
                "subtotal_text": w.n(p["subtotal"]),
                **project_maximum(of_project.get(p["project"], []), w),
                # the same figures in the same words from card to card (`w.n`'s)
                "summary": once(("subtotal", p["project"], w.n(p["awards"]),
                                 w.n(p["deductions"]), w.n(p["subtotal"])),
                                lambda p=p: t("score.subtotal", n=p["project"],
                                              awards=w.n(p["awards"]),
                                              deductions=w.n(p["deductions"]),
                                              subtotal=w.n(p["subtotal"])))}
                for p in result["projects"]]
        header = "score.header_all" if "projects" in result else "score.header"
        kind = result["subject_kind"]
        return {
            **result, "indicators": indicators, **extra,
            "heading": t(header, subject=result.get("subject_name") or result["subject"],
                         year=result["year"]),
            "kind_name": once(("kind", kind), lambda: t(f"org_kind.{kind}")),
            "status": once(("status", until), lambda: t("score.provisional_short",
                                                        date=day(until))
                           if until else t("score.final")),
            "status_text": once(("status_text", until), lambda: t("score.provisional",
                                                                  date=day(until))
                                if until else ""),
            "total_text": once(("total", w.n(result["awards"]), w.n(result["deductions"]),
                                w.n(result["total"])),
                               lambda: t("score.total", awards=w.n(result["awards"]),
                                         deductions=w.n(result["deductions"]),
                                         total=w.n(result["total"]))),
            "awards_text": w.n(result["awards"]), "deductions_text": w.n(result["deductions"]),
            "total_text_short": w.n(result["total"]),
            "footnotes": [{"n": n, "source": ref} for ref, n in notes.items()],
        }


def _of_project(result: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    """A whole evaluation's indicators by project, in the card's order: each project's own
    list (`evaluation.whole` groups the card's indicators so) when the projects carry every
    indicator, else grouped here."""
    projects = result["projects"]
    if all("indicators" in p for p in projects) \
            and sum(len(p["indicators"]) for p in projects) == len(result["indicators"]):
        return {p["project"]: p["indicators"] for p in projects}
    out: dict[int, list[dict[str, Any]]] = {}
    for i in result["indicators"]:
        out.setdefault(ev.project_of(i["key"]), []).append(i)
    return out


def _alike(ind: dict[str, Any]) -> bytes | None:
    """An indicator's every figure, as bytes: equal for indicators equal in every figure
    (their inputs built in the same order, as the evaluation builds them); None for one
    holding what has no such form (its words then its card's own)."""
    try:
        return pickle.dumps(ind, pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None


def _rule_inputs(i: dict[str, Any]) -> tuple[Any, ...]:
    """The inputs an indicator's rule in words reads (`Words.rule`): cards alike in these
    share the words."""
    counted = i.get("counted")
    return (i.get("threshold"), i.get("rule"), i.get("per_unit"), i.get("per_step"),
            i.get("required"), tuple(counted) if counted is not None else None,
            i.get("cumulative"))


def in_words(result: dict[str, Any], t: Translator) -> dict[str, Any]:
    """The scorecard with its heading, status and total in words, and each indicator's title,
    rule, text and footnote number; `footnotes` lists the sources once each; each project
    with its subtotal in words and its indicators' keys (`keys`). Many cards in one
    language: `CardWords`."""
    return CardWords(t)(result)


def in_short(results: list[dict[str, Any]], t: Translator) -> list[dict[str, Any]]:
    """What the subtree's table shows of each scorecard (`in_words`'s subject, subject_name,
    kind_name, awards_text, deductions_text, total_text_short and status, the same words),
    without putting every indicator into words: 5,000 subjects print in a fraction of the time.
    The words repeated from row to row (the kinds, the status) are translated once."""
    kinds: dict[str, str] = {}
    statuses: dict[Any, str] = {}
    lang = t.language
    out = []
    for r in results:
        kind = r["subject_kind"]
        if kind not in kinds:
            kinds[kind] = t(f"org_kind.{kind}")
        until = r.get("provisional_until")
        if until not in statuses:
            statuses[until] = (t("score.provisional_short", date=day(until)) if until
                               else t("score.final"))
        out.append({"subject": r["subject"], "subject_name": r.get("subject_name"),
                    "kind_name": kinds[kind], "awards_text": number(r["awards"], lang),
                    "deductions_text": number(r["deductions"], lang),
                    "total_text_short": number(r["total"], lang), "status": statuses[until]})
    return out


def column_label(key: str, t: Translator) -> str:
    """An indicator's column heading, never shared by two columns: its number ("1.3.3"), with
    a word for a second part of the same number ("1.3.3 risks", "1.4.1 deduction") or in place
    of a number ("external analysis")."""
    number_, _, part = key.partition("-")
    if not number_[:1].isdigit():
        return t(f"score.part.{number_}")
    return f"{number_} {t(f'score.part.{part}')}" if part else number_


def numbers_only(body: list[list[Any]]) -> list[list[Any]]:
    """A score table's rows for a spreadsheet: a number column holds numbers, so an indicator
    not evaluated is an empty cell there, not the "—" of the pages and the CSV."""
    return [[None if c == NOT_EVALUATED else c for c in row] for row in body]


def score_table(cards: list[dict[str, Any]], t: Translator,
                chosen: tuple[int, ...] = (1, 2, 3, 4)) -> tuple[list[str], list[list[Any]]]:
    """The scorecards (in words) as one table: a row per subject, a column per indicator's
    points of the `chosen` projects ("—" where it is not evaluated, as on every page), their subtotals, the
    totals and the status."""
    keys: list[str] = []
    titles: dict[str, str] = {}
    for card in cards:
        for ind in card["indicators"]:
            if ind["key"] not in titles and ind["project"] in chosen:
                keys.append(ind["key"])
                titles[ind["key"]] = f"{ind['number']} {ind['title']}"
    projects = sorted({p["project"] for card in cards for p in card.get("projects", ())
                       if p["project"] in chosen})
    header = [t("score.organisation"), t("score.col_subject"), t("score.col_kind"),
              *(titles[k] for k in keys), *(t("score.col_project", n=n) for n in projects),
              t("score.col_awards"), t("score.col_deductions"), t("score.col_total"),
              t("score.col_status")]
    body = []
    for card in cards:
        got = {i["key"]: i for i in card["indicators"]}
        cells = [NOT_EVALUATED if k not in got or got[k]["kind"] == "info" else got[k]["points"]
                 for k in keys]
        subtotals = {p["project"]: p["subtotal"] for p in card.get("projects", ())}
        body.append([card["subject"], card["subject_name"], card["kind_name"], *cells,
                     *(subtotals.get(n) for n in projects),
                     card["awards"], card["deductions"], card["total"], card["status"]])
    return header, body
