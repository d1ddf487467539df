"""Render a body with its assertions as nested ``<mark>`` elements (pure; no Flask).

Overlapping spans cannot nest in HTML, so the text is cut at every span boundary and each piece
is wrapped in one ``<mark>`` per span covering it, the longest outermost. Every assertion thus
stays visible, and the innermost mark under the pointer names the most specific one.
"""
from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True, slots=True)
class Span:
    id: int
    start: int
    end: int
    tag: str
    label: str = ""


def render_highlighted(body: str, spans: Iterable[Span]) -> Markup:
    """The body as HTML with a ``<mark data-assertion-id data-tag>`` per span piece."""
    ordered = sorted((s for s in spans if 0 <= s.start < s.end <= len(body)),
                     key=lambda s: (s.start, -s.end, s.id))
    if not ordered:
        return Markup(html.escape(body, quote=False))
    cuts = sorted({0, len(body), *(s.start for s in ordered), *(s.end for s in ordered)})
    opening = {s.id: (f'<mark data-assertion-id="{s.id}" data-tag="{escape(s.tag)}" '
                      f'class="hl hl-{escape(s.tag)}" title="{escape(s.label or s.tag)}">')
               for s in ordered}
    out: list[str] = []
    # Spans covering the current piece, kept in opening order (the ``ordered`` order), so the
    # longest, earliest span is the outermost mark.
    active: list[Span] = []
    next_span = 0
    for left, right in zip(cuts, cuts[1:]):
        if active:
            active = [s for s in active if s.end > left]
        while next_span < len(ordered) and ordered[next_span].start == left:
            active.append(ordered[next_span])
            next_span += 1
        piece = html.escape(body[left:right], quote=False)
        if active:
            out.append("".join(opening[s.id] for s in active) + piece + "</mark>" * len(active))
        else:
            out.append(piece)
    return Markup("".join(out))
