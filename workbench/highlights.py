"""Render a body with its assertions as nested ``<mark>`` elements (pure; no Flask).

Overlapping spans cannot nest in HTML, so the text is cut at every span boundary and each piece
is wrapped in one ``<mark>`` per span covering it, the longest outermost. Every assertion thus
stays visible, and the innermost mark under the pointer names the most specific one.

Where several spans cover a piece, their tints would blend into colours that match no tag, so
the outermost mark of that piece carries ``hl-multi`` (one neutral tint; the stylesheet clears
the inner marks' tints) and every mark keeps its own underline, whose colour *and* style
(solid, wavy, dashed) name its tag; its title lists the tags over the piece.
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
    who: int = 0  # the reviewer's number on the page, shown where the span starts (0: none)


def render_highlighted(body: str, spans: Iterable[Span]) -> Markup:
    """The body as HTML with a ``<mark data-assertion-id data-tag>`` per span piece."""
    ordered = sorted((s for s in spans if 0 <= s.start < s.end <= len(body)),
                     key=lambda s: (s.start, -s.end, s.id))
    if not ordered:
        return Markup(html.escape(body, quote=False))
    cuts = sorted({0, len(body), *(s.start for s in ordered), *(s.end for s in ordered)})
    opening = {s.id: _open_mark(s) for s in ordered}
    # Where a span starts, its mark names the reviewer (a number drawn by CSS from data-who,
    # so the text itself, and every offset into it, stays as it is).
    first = {s.id: _open_mark(s, start=True) for s in ordered if s.who}
    out: list[str] = []
    # Spans covering the current piece, kept in opening order (the ``ordered`` order), so the
    # longest, earliest span is the outermost mark.
    active: list[Span] = []
    next_span = 0
    for left, right in zip(cuts, cuts[1:]):
        if active:
            active = [s for s in active if s.end > left]
        starting = set()
        while next_span < len(ordered) and ordered[next_span].start == left:
            active.append(ordered[next_span])
            starting.add(ordered[next_span].id)
            next_span += 1
        piece = html.escape(body[left:right], quote=False)
        if len(active) > 1:
            tags = " + ".join(dict.fromkeys(s.tag for s in active))
            outer, *inner = active
            out.append(_open_mark(outer, "hl-multi ", f"{tags}: {len(active)} assertions overlap",
                                  start=outer.id in starting and bool(outer.who))
                       + "".join(first[s.id] if s.id in starting and s.who else opening[s.id]
                                 for s in inner) + piece
                       + "</mark>" * len(active))
        elif active:
            span = active[0]
            out.append((first[span.id] if span.id in starting and span.who else opening[span.id])
                       + piece + "</mark>")
        else:
            out.append(piece)
    return Markup("".join(out))


def _open_mark(span: Span, extra_class: str = "", title: str | None = None,
               start: bool = False) -> str:
    who = f' data-who="{span.who}"' if start else ""
    return (f'<mark data-assertion-id="{span.id}" data-tag="{escape(span.tag)}" '
            f'class="hl {extra_class}hl-{escape(span.tag)}"{who} '
            f'title="{escape(title or span.label or span.tag)}">')
