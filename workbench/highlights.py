"""Render a body with its assertions as nested ``<mark>`` elements (pure; no Flask).

Overlapping spans cannot nest in HTML, so the text is cut at every span boundary and each piece
is wrapped in one ``<mark>`` per span covering it, the longest outermost. Every assertion thus
stays visible, and the innermost mark under the pointer names the most specific one.

Where several spans cover a piece, their tints would blend into colours that match no tag, so
the outermost mark of that piece carries ``hl-multi`` (one neutral tint; the stylesheet clears
the inner marks' tints) and every mark keeps its own underline, whose colour *and* style
(solid, wavy, dashed) name its tag; its title lists the tags over the piece. A span's own
title (tag and reviewer) is on its pieces alone and on the piece where it starts; inside an
overlap it goes on untitled, so the pointer reads the overlap's title there.
"""
from __future__ import annotations

import html
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

from markupsafe import Markup, escape


class Span(NamedTuple):
    """One assertion to mark (a tuple: hashing and comparing a thousand, to find the HTML
    already drawn for them, costs little)."""

    id: int
    start: int
    end: int
    tag: str
    label: str = ""
    who: int = 0  # the reviewer's number on the page, shown where the span starts (0: none)


def render_highlighted(body: str, spans: Iterable[Span]) -> Markup:
    """The body as HTML with a ``<mark data-assertion-id data-tag>`` per span piece.

    The same body and spans give the same HTML, so it is kept (a few articles' worth): a busy
    article is reread far more often than its assertions change, and drawing a thousand
    overlapping spans costs more than the rest of its page. Only bodies up to
    ``CACHED_BODY_LIMIT`` characters are kept, so the cache stays a few megabytes a worker
    however long the articles (a body may be 2 MB)."""
    if len(body) > CACHED_BODY_LIMIT:
        return _render.__wrapped__(body, tuple(spans))
    return _render(body, tuple(spans))


#: The longest body whose drawn HTML ``render_highlighted`` keeps (32 are kept at the most).
CACHED_BODY_LIMIT = 100_000


@lru_cache(maxsize=32)
def _render(body: str, spans: tuple[Span, ...]) -> Markup:
    ordered = sorted((s for s in spans if 0 <= s.start < s.end <= len(body)),
                     key=lambda s: (s.start, -s.end, s.id))
    if not ordered:
        return Markup(html.escape(body, quote=False))
    cuts = sorted({0, len(body), *(s.start for s in ordered), *(s.end for s in ordered)})
    # Each span's opening tags, built once: where it starts (naming its reviewer by a number
    # drawn by CSS from data-who, so the text and every offset into it stay as they are), where
    # it goes on alone, and inside an overlap, where the piece's outer mark names the overlap
    # and the span's own title is left to the piece where it starts (a thousand overlapping
    # spans would otherwise repeat their titles thousands of times).
    heads = {s.id: _head(s) for s in ordered}
    titles = {s.id: str(escape(s.label or s.tag)) for s in ordered}
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
            title = escape(f"{tags}: {len(active)} assertions overlap")
            parts = [heads[outer.id].format(extra="hl-multi ", who=_who(outer, starting),
                                            title=f' title="{title}"')]
            for s in inner:
                begins = s.id in starting
                parts.append(heads[s.id].format(
                    extra="", who=_who(s, starting),
                    title=f' title="{titles[s.id]}"' if begins else ""))
            out.append("".join(parts) + piece + "</mark>" * len(active))
        elif active:
            span = active[0]
            out.append(heads[span.id].format(extra="", who=_who(span, starting),
                                             title=f' title="{titles[span.id]}"')
                       + piece + "</mark>")
        else:
            out.append(piece)
    return Markup("".join(out))


def _head(span: Span) -> str:
    """The span's opening tag, with slots for an extra class, data-who and the title."""
    tag = str(escape(span.tag)).replace("{", "{{").replace("}", "}}")
    return (f'<mark data-assertion-id="{span.id}" data-tag="{tag}" '
            f'class="hl {{extra}}hl-{tag}"{{who}}{{title}}>')


def _who(span: Span, starting: set[int]) -> str:
    return f' data-who="{span.who}"' if span.who and span.id in starting else ""
