"""The risk map (pure): a likelihood × consequence grid drawn as SVG, each risk's label placed
in the cell of its grades, each cell coloured by its level (the criteria file's `colour`), with
a title, a description, the axes' grade names and a legend as text, so that a screen reader
and a printout read it as the picture shows it. The words come in already translated."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from xml.sax.saxutils import escape, quoteattr

from workflow.core.names import name_in
from workflow.monitoring.levels import Criteria

CELL_W, CELL_H = 150, 84
LEFT, TOP, BOTTOM = 170, 56, 130
PER_LINE = 5  # labels a line of a cell holds


def svg(found: Criteria, placed: Mapping[tuple[int, int], Sequence[str]], language: str,
        title: str, words: Mapping[str, str], cell_text: Callable[[Sequence[str]], str],
        desc: str = "") -> str:
    """The map of `placed` ((likelihood, consequence) → the labels of its risks) on the
    criteria's grid in `language`: likelihood rising upwards, consequence rightwards.
    `words`: "likelihood", "consequence", "legend"; `cell_text(labels)`: a cell's spoken
    text ("2 risks: 1, 3")."""
    rows, cols = len(found.likelihood), len(found.consequence)
    width = LEFT + cols * CELL_W + 20
    height = TOP + rows * CELL_H + BOTTOM
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="riskmap-title '
           f'riskmap-desc" class="risk-map" font-family="sans-serif" font-size="13">',
           f'<title id="riskmap-title">{escape(title)}</title>',
           f'<desc id="riskmap-desc">{escape(desc)}</desc>',
           f'<text x="{LEFT}" y="22" font-size="16" font-weight="bold">{escape(title)}</text>']
    for grade in found.likelihood:
        y = TOP + (rows - grade.grade) * CELL_H
        out.append(f'<text x="{LEFT - 8}" y="{y + CELL_H // 2}" text-anchor="end" '
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
            out.append(f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" '
                       f'fill={quoteattr(level.colour)} stroke="#555"/>')
            if spoken:
                out.append(f'<title>{escape(spoken)}</title>')
            for n in range(0, len(labels), PER_LINE):
                line = ", ".join(labels[n:n + PER_LINE])
                out.append(f'<text x="{x + CELL_W // 2}" y="{y + 26 + 18 * (n // PER_LINE)}" '
                           f'text-anchor="middle" font-weight="bold" class="risks">'
                           f'{escape(line)}</text>')
            out.append('</g>')
    base = TOP + rows * CELL_H
    for cons in found.consequence:
        x = LEFT + (cons.grade - 1) * CELL_W + CELL_W // 2
        out.append(f'<text x="{x}" y="{base + 18}" text-anchor="middle" '
                   f'class="axis-consequence">{cons.grade}. '
                   f'{escape(name_in(cons.names, language))}</text>')
    out.append(f'<text x="{LEFT + cols * CELL_W // 2}" y="{base + 40}" text-anchor="middle" '
               f'font-weight="bold">{escape(words["consequence"])} →</text>')
    out.append(f'<text x="14" y="{TOP + rows * CELL_H // 2}" font-weight="bold" '
               f'transform="rotate(-90 14 {TOP + rows * CELL_H // 2})" text-anchor="middle">'
               f'{escape(words["likelihood"])} →</text>')
    y = base + 70
    out.append(f'<text x="{LEFT}" y="{y}" font-weight="bold">{escape(words["legend"])}:</text>')
    for i, level in enumerate(found.levels):
        x = LEFT + 90 + i * 120
        out.append(f'<rect x="{x}" y="{y - 13}" width="16" height="16" '
                   f'fill={quoteattr(level.colour)} stroke="#555"/>')
        out.append(f'<text x="{x + 22}" y="{y}" class="legend" data-level={quoteattr(level.key)}>'
                   f'{escape(name_in(level.names, language))}</text>')
    out.append('</svg>')
    return "\n".join(out)
