"""An article drafted from what a supervisor pastes or uploads. Pure: no Flask, no database.

Plain text and Markdown: the first line is the title (Markdown's leading ``#`` dropped), the
rest the body. A saved HTML page: trafilatura extracts the main text, the title, the site's
name (as the publisher), the date, the language and the page's own URL; navigation, footers and
ads stay out. The body is then canonical (NFC, ``\\n``) as stored, so the preview shows exactly
the text reviewers will annotate.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import PurePath

from ..text import canonicalize, parse_seed_text

HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown"})


@dataclass(frozen=True, slots=True)
class Draft:
    title: str
    body: str
    source_url: str | None = None
    publisher: str | None = None
    published_at: date | None = None
    language: str | None = None
    author: str | None = None  # shown in the preview; the article keeps no author field


class UnreadableDocument(ValueError):
    """The upload holds no text we can use (the message says why, for the field ``file``)."""


def draft_from_upload(filename: str, data: bytes) -> Draft:
    suffix = PurePath(filename or "").suffix.lower()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableDocument(f"The file is not UTF-8 text ({error.reason} at byte "
                                 f"{error.start}).") from None
    if suffix in HTML_SUFFIXES or (suffix not in TEXT_SUFFIXES
                                   and text.lstrip()[:15].lower().startswith(("<!doctype",
                                                                              "<html"))):
        return draft_from_html(text)
    return draft_from_text(text, markdown=suffix in (".md", ".markdown"),
                           fallback_title=PurePath(filename or "").stem)


def draft_from_text(text: str, *, markdown: bool = False, fallback_title: str = "") -> Draft:
    try:
        parsed = parse_seed_text(text)
    except ValueError:
        raise UnreadableDocument("The file holds no text.") from None
    title = parsed.title.lstrip("#").strip() if markdown else parsed.title
    return Draft(title=title or fallback_title, body=canonicalize(parsed.body))


def draft_from_html(html: str) -> Draft:
    import trafilatura

    document = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                           include_tables=True, favor_precision=True)
    body = (getattr(document, "text", None) or "").strip() if document is not None else ""
    if not body:
        raise UnreadableDocument("No article text was found in this page.")
    title = (getattr(document, "title", None) or "").strip()
    lines = body.split("\n")
    if title and lines and lines[0].strip() == title:
        body = "\n".join(lines[1:]).strip() or body  # the title is not part of the text
    return Draft(title=title, body=canonicalize(body) + "\n",
                 source_url=getattr(document, "url", None) or None,
                 publisher=getattr(document, "sitename", None) or None,
                 published_at=_date(getattr(document, "date", None)),
                 language=getattr(document, "language", None) or None,
                 author=getattr(document, "author", None) or None)


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
