"""What the browser tests measure of a page on a phone: where its header ends and which tap
targets are smaller than WCAG 2.5.8's 24x24 px."""

from __future__ import annotations

# Where the header ends (px from the top of the page): the header itself, or the offer to save
# the page's language under it when the page shows one.
HEADER_BOTTOM = """() => {
  const boxes = [...document.querySelectorAll('header.top, form.lang-offer')]
    .map(el => el.getBoundingClientRect().bottom + window.scrollY);
  return Math.max(...boxes);
}"""

# Every tap target shown smaller than 24x24 px (WCAG 2.5.8): links, buttons, fields, selects
# and summaries; a check box or a radio button measured with the label around it (a tap on
# either ticks it). Not shown: no box, hidden, or only for screen readers. Exempt, as WCAG's
# "inline" exception: a link among the words of a sentence, i.e. its block holds a letter or a
# digit outside any link or control. [what, its text, width, height, exempt].
SMALL_TARGETS = r"""() => {
  const words = /[\p{L}\p{N}]/u;
  const shown = el => el.getClientRects().length > 0
                      && getComputedStyle(el).visibility !== 'hidden'
                      && !el.closest('.visually-hidden');
  const inSentence = a => {
    let block = a.parentElement;
    while (block.parentElement && getComputedStyle(block).display.startsWith('inline'))
      block = block.parentElement;
    const walk = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const at = n.parentElement;
      if (at.closest('a, button, select, summary, label, textarea') || !shown(at)) continue;
      if (words.test(n.data)) return true;
    }
    return false;
  };
  const out = [];
  const targets = 'a[href], button, input:not([type=hidden]), select, textarea, summary';
  for (const el of document.querySelectorAll(targets)) {
    if (!shown(el)) continue;
    let r = el.getBoundingClientRect();
    const label = el.tagName === 'INPUT' && el.closest('label');
    if (label) {
      const l = label.getBoundingClientRect();
      r = {width: Math.max(r.right, l.right) - Math.min(r.left, l.left),
           height: Math.max(r.bottom, l.bottom) - Math.min(r.top, l.top)};
    }
    if (r.width >= 24 && r.height >= 24) continue;
    out.push([el.tagName.toLowerCase() + (el.type ? ':' + el.type : ''),
              (el.textContent || el.name || '').trim().slice(0, 40),
              Math.round(r.width), Math.round(r.height),
              el.tagName === 'A' && inSentence(el)]);
  }
  return out;
}"""


def too_small(pg) -> list:
    """The tap targets of the page shown smaller than 24x24 px that no exemption covers:
    [what, its text, width, height, False]."""
    return [t for t in pg.evaluate(SMALL_TARGETS) if not t[-1]]
