"""The risk map (pure): a likelihood × consequence grid drawn as SVG, each risk's label placed
in the cell of its grades, each cell coloured by its level (the criteria file's `colour`), with
a title, a description, the axes' grade names and a legend as text, so that a screen reader
and a printout read it as the picture shows it. The words come in already translated."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from workflow.core.names import name_in
from workflow.monitoring.levels import Criteria

CELL_W, CELL_H = 170, 84  # a cell's least height: taller when its labels need more lines
LEFT, TOP, BOTTOM = 196, 56, 150
CHAR_W = 7.5  # the width of a character of the labels, roughly (13 px, bold)
WRAP = 22  # characters of a grade's name on one line under the grid


def _wrapped(text: str, width: int = WRAP) -> list[str]:
    """`text` in lines of at most `width` characters, broken between words."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def _lines(labels: Sequence[str]) -> list[str]:
    """A cell's labels in the lines its width holds."""
    longest = max((len(label) for label in labels), default=1)
    per_line = max(1, int((CELL_W - 12) // (CHAR_W * (longest + 2))))
    return [", ".join(labels[n:n + per_line]) for n in range(0, len(labels), per_line)]


def svg(found: Criteria, placed: Mapping[tuple[int, int], Sequence[str]], language: str,
        title: str, words: Mapping[str, str], cell_text: Callable[[Sequence[str]], str],
        desc: str = "", note: str = "") -> str:
    """The map of `placed` ((likelihood, consequence) → the labels of its risks) on the
    criteria's grid in `language`: likelihood rising upwards, consequence rightwards.
    `words`: "likelihood", "consequence", "legend"; `cell_text(labels)`: a cell's spoken
    text ("2 risks: 1, 3"); `note`: a line under the legend (the risks not assessed)."""
    rows, cols = len(found.likelihood), len(found.consequence)
    lines = max((len(_lines(labels)) for labels in placed.values()), default=1)
    cell_h = max(CELL_H, 24 + 17 * lines)
    width = LEFT + cols * CELL_W + 20
    height = TOP + rows * cell_h + BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="riskmap-title '
           f'riskmap-desc" class="risk-map" font-family="sans-serif" font-size="13">',
           f'<title id="riskmap-title">{escape(title)}</title>',
           f'<desc id="riskmap-desc">{escape(desc)}</desc>',
           f'<text x="{LEFT}" y="22" font-size="16" font-weight="bold">{escape(title)}</text>']
    for grade in found.likelihood:
        y = TOP + (rows - grade.grade) * cell_h
        out.append(f'<text x="{LEFT - 8}" y="{y + cell_h // 2}" text-anchor="end" '
                   f'class="axis-likelihood">{grade.grade}. '
                   f'{escape(name_in(grade.names, language))}</text>')
        for cons in found.consequence:
            x = LEFT + (cons.grade - 1) * CELL_W
            level = found.level(grade.grade, cons.grade)
            assert level is not None
            labels = list(placed.get((grade.grade, cons.grade), ()))
            spoken = cell_text(labels) if labels else ""
            out.append(f'<g class="cell" data-likelihood="{grade.grade}" '
                       f'data-consequence="{cons.grade}" data-level={quoteattr(level.key)}>')
            out.append(f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{cell_h}" '
                       f'fill={quoteattr(level.colour)} stroke="#555"/>')
            if spoken:
                out.append(f'<title>{escape(spoken)}</title>')
            for n, line in enumerate(_lines(labels)):
                out.append(f'<text x="{x + CELL_W // 2}" y="{y + 24 + 17 * n}" '
                           f'text-anchor="middle" font-weight="bold" class="risks">'
                           f'{escape(line)}</text>')
            out.append('</g>')
    base = TOP + rows * cell_h
    for cons in found.consequence:
        x = LEFT + (cons.grade - 1) * CELL_W + CELL_W // 2
        wrapped = _wrapped(f"{cons.grade}. {name_in(cons.names, language)}")
        spans = "".join(f'<tspan x="{x}" dy="{0 if i == 0 else 15}">{escape(text)}</tspan>'
                        for i, text in enumerate(wrapped))
        out.append(f'<text x="{x}" y="{base + 18}" text-anchor="middle" '
                   f'class="axis-consequence">{spans}</text>')
    out.append(f'<text x="{LEFT + cols * CELL_W // 2}" y="{base + 56}" text-anchor="middle" '
               f'font-weight="bold">{escape(words["consequence"])} →</text>')
    out.append(f'<text x="14" y="{TOP + rows * cell_h // 2}" font-weight="bold" '
               f'transform="rotate(-90 14 {TOP + rows * cell_h // 2})" text-anchor="middle">'
               f'{escape(words["likelihood"])} →</text>')
    y = base + 86
    out.append(f'<text x="{LEFT}" y="{y}" font-weight="bold">{escape(words["legend"])}:</text>')
    for i, level in enumerate(found.levels):
        x = LEFT + 90 + i * 120
        out.append(f'<rect x="{x}" y="{y - 13}" width="16" height="16" '
                   f'fill={quoteattr(level.colour)} stroke="#555"/>')
        out.append(f'<text x="{x + 22}" y="{y}" class="legend" data-level={quoteattr(level.key)}>'
                   f'{escape(name_in(level.names, language))}</text>')
    if note:
        out.append(f'<text x="{LEFT}" y="{y + 28}" class="not-assessed">{escape(note)}</text>')
    out.append('</svg>')
    return "\n".join(out)


def grid(found: Criteria, placed: Mapping[tuple[int, int], Sequence[str]], language: str
         ) -> dict[str, object]:
    """The map as a table a document prints (the note's cartogram): `.consequence` the
    consequence grades' names (lowest first, the columns), `.rows` a row per likelihood grade
    (highest first, as the picture has them) with its `.name` and `.cells` [{risks ("1, 3";
    "" when none), level (its name), fill (its colour as a Word shading, "F2B8B5")}]."""
    rows = []
    for grade in reversed(found.likelihood):
        cells = []
        for cons in found.consequence:
            level = found.level(grade.grade, cons.grade)
            assert level is not None
            cells.append({"risks": ", ".join(placed.get((grade.grade, cons.grade), ())),
                          "level": name_in(level.names, language),
                          "fill": level.colour.lstrip("#").upper()})
        rows.append({"name": f"{grade.grade}. {name_in(grade.names, language)}",
                     "cells": cells})
    return {"consequence": [f"{c.grade}. {name_in(c.names, language)}"
                            for c in found.consequence], "rows": rows}
