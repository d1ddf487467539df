"""Text primitives shared by the whole workbench.

Every offset in the system is a count of Unicode code points into an article's
canonical body, i.e. a Python ``str`` index. Browsers count UTF-16 code units,
so the conversions between the two live here (and mirror ``static/js/offsets.js``).

This module is deliberately pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import regex

__all__ = [
    "CONTEXT_LENGTH",
    "GRAPHEME_CONTEXT",
    "SeedArticle",
    "SpanError",
    "Sentence",
    "canonicalize",
    "check_offsets",
    "check_span",
    "codepoint_to_utf16",
    "content_hash",
    "parse_seed_text",
    "span_window",
    "split_sentences",
    "utf16_to_codepoint",
]

CONTEXT_LENGTH = 32


# --------------------------------------------------------------------------
# Canonical form
# --------------------------------------------------------------------------


def canonicalize(text: str) -> str:
    """Return ``text`` with CRLF/CR line endings turned into LF, then NFC-normalised."""
    unified = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", unified)


def content_hash(canonical: str) -> str:
    """Return the SHA-256 hex digest of the UTF-8 encoding of a canonical text."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------
# Offsets: code points <-> UTF-16 code units
# --------------------------------------------------------------------------


def _require_int(offset: int, kind: str) -> None:
    # bool is an int subclass; True as an offset is always a caller bug.
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise TypeError(f"{kind} must be an int, not {type(offset).__name__}")


def _require_offset(offset: int, upper: int, kind: str) -> None:
    _require_int(offset, kind)
    if offset < 0 or offset > upper:
        raise ValueError(f"{kind} {offset} is out of range 0..{upper}")


def _encode_utf16(text: str) -> bytes:
    try:
        return text.encode("utf-16-le")
    except UnicodeEncodeError as exc:
        # Only possible for strings holding lone surrogates, which no decoded
        # UTF-8 input (and hence no canonical body) can contain.
        raise ValueError("text contains unpaired surrogate code points") from exc


def utf16_to_codepoint(text: str, offset16: int) -> int:
    """Convert a UTF-16 code-unit offset into ``text`` to a code-point offset."""
    _require_int(offset16, "UTF-16 offset")
    if offset16 < 0:
        raise ValueError(f"UTF-16 offset {offset16} is negative")
    # offset16 code units never span more than offset16 code points, so
    # encoding that prefix is enough (and keeps the work proportional to it).
    units = _encode_utf16(text[:offset16])
    if len(units) < 2 * offset16:
        total16 = len(_encode_utf16(text)) // 2
        raise ValueError(f"UTF-16 offset {offset16} is out of range 0..{total16}")
    try:
        # A strict decoder rejects a prefix that ends with half a surrogate pair.
        return len(units[: 2 * offset16].decode("utf-16-le"))
    except UnicodeDecodeError:
        raise ValueError(f"UTF-16 offset {offset16} falls inside a surrogate pair") from None


def codepoint_to_utf16(text: str, offset: int) -> int:
    """Convert a code-point offset into ``text`` to a UTF-16 code-unit offset."""
    _require_offset(offset, len(text), "code-point offset")
    # Astral characters take two UTF-16 units, everything else one.
    return len(_encode_utf16(text[:offset])) // 2


# --------------------------------------------------------------------------
# Spans: the one check every writer of an assertion goes through
# --------------------------------------------------------------------------

# How far either side of an offset the grapheme check looks; a window read from the database
# must hold this much text around the span (see ``span_window``).
GRAPHEME_CONTEXT = 32
_CLUSTER = regex.compile(r"\X")


class SpanError(ValueError):
    """A span that cannot be stored; ``field`` names the input at fault (start, end or quote)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def check_offsets(start: object, end: object) -> tuple[int, int]:
    """The checks that need no text: whole numbers, ``0 <= start < end``."""
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise SpanError(f"{name} must be a whole number of characters.", name)
    assert isinstance(start, int) and isinstance(end, int)
    if start < 0:
        raise SpanError("start must be 0 or more.", "start")
    if start >= end:
        raise SpanError("start must be before end.", "end")
    return start, end


def span_window(start: int, end: int) -> tuple[int, int]:
    """``(first, past)`` code points of the body that ``check_span`` needs for this span:
    the quote, its prefix and suffix, and the text the grapheme check looks at."""
    margin = CONTEXT_LENGTH + GRAPHEME_CONTEXT
    return max(start - margin, 0), end + margin


# Below U+0300 no character extends, joins or prepends a cluster (combining marks, ZWJ,
# variation selectors, regional indicators and Indic marks all lie above it), so between two such
# characters there is always a boundary, but for CR LF (the canonical body has no CR anyway).
_SIMPLE_BELOW = 0x300


def _splits_cluster(text: str, index: int) -> bool:
    """Whether ``index`` falls inside an extended grapheme cluster of ``text``."""
    if index <= 0 or index >= len(text):
        return False
    before, after = text[index - 1], text[index]
    if ord(before) < _SIMPLE_BELOW and ord(after) < _SIMPLE_BELOW:
        return before == "\r" and after == "\n"
    first = max(index - 2 * GRAPHEME_CONTEXT, 0)
    for match in _CLUSTER.finditer(text, first, min(index + GRAPHEME_CONTEXT, len(text))):
        if match.end() >= index:
            return match.end() != index and match.start() != index
    return False


def check_span(body: str, start: object, end: object, quote: object, *, body_start: int = 0,
               body_length: int | None = None) -> tuple[str, str]:
    """Check that ``quote`` is exactly the body's text from ``start`` to ``end`` (code points)
    and that neither offset splits a grapheme cluster; return the ``(prefix, suffix)`` to store.

    ``body`` may be a window of the article (``body_start`` is then its first code point in the
    article and ``body_length`` the article's length), as read by ``span_window``. Raises
    ``SpanError`` naming the field at fault. The quote must match exactly: no trimming, no
    case folding, no normalisation (the body is canonical already; a quote in another normal
    form is another text)."""
    start, end = check_offsets(start, end)
    length = len(body) + body_start if body_length is None else body_length
    if end > length:
        raise SpanError(f"end is past the end of the article ({length} code points).", "end")
    if not isinstance(quote, str):
        raise SpanError("quote must be text.", "quote")
    local_start, local_end = start - body_start, end - body_start
    if local_start < 0 or local_end > len(body):
        raise ValueError("the body window does not hold the span")  # a caller's bug
    if body[local_start:local_end] != quote:
        raise SpanError("quote differs from the article text between start and end.", "quote")
    if _splits_cluster(body, local_start):
        raise SpanError("start falls inside a character (a grapheme cluster such as an emoji "
                        "sequence or a letter with its accents).", "start")
    if _splits_cluster(body, local_end):
        raise SpanError("end falls inside a character (a grapheme cluster such as an emoji "
                        "sequence or a letter with its accents).", "end")
    prefix = body[max(local_start - CONTEXT_LENGTH, 0):local_start]
    return prefix, body[local_end:local_end + CONTEXT_LENGTH]


# --------------------------------------------------------------------------
# Sentences
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    """A sentence of a canonical body; ``body[start:end] == text``."""

    start: int
    end: int
    text: str


# Exactly the characters str.splitlines() breaks on, minus \r (canonical text has none).
_LINE = re.compile(r"[^\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")

# Sentence-ending punctuation, then optional closing quotes/brackets. Directional
# marks and the "pop" controls (PDF, PDI) also count as closers so that an
# isolate such as "\u2067...؟\u2069" stays balanced inside one sentence.
_TERMINATOR = re.compile(
    r"(?P<punct>[.!?…؟۔。！？]+)"
    r"[\"'”’»›)\]}）」』】〕\u200e\u200f\u202c\u2069]*"
)

# CJK full-width terminators end a sentence even without following whitespace,
# because CJK text does not put spaces between sentences.
_FULLWIDTH_TERMINATORS = frozenset("。！？")

# Words that end with a period without ending the sentence (lower case, no final dot).
_ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "mt", "rev", "hon",
        "gen", "col", "lt", "maj", "capt", "cpt", "sgt", "cpl", "adm", "cmdr", "brig",
        "gov", "sen", "rep", "pres", "amb", "supt", "insp",
        "vs", "cf", "approx", "fig", "vol", "pp", "dept", "univ", "inc", "corp", "ltd", "co",
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "e.g", "i.e", "u.s", "u.k", "u.n", "u.s.a", "e.u", "a.k.a",
    }
)

# Longer than any entry above; bounds the backwards scan so long lines stay linear.
_MAX_ABBREVIATION = 8


def _is_abbreviation(line: str, dot: int) -> bool:
    # ``dot`` is the index of a lone "." that is followed by whitespace.
    start = dot
    while start > 0 and dot - start <= _MAX_ABBREVIATION and (line[start - 1].isalnum() or line[start - 1] == "."):
        start -= 1
    word = line[start:dot]
    if not word or dot - start > _MAX_ABBREVIATION:
        return False
    if word.lower() in _ABBREVIATIONS:
        return True
    # A single capital is almost always an initial ("Donald J. Trump").
    return len(word) == 1 and word.isupper()


def _sentence_ends(line: str) -> list[int]:
    # Indices just after each sentence end inside one line.
    ends: list[int] = []
    for match in _TERMINATOR.finditer(line):
        after = match.end()
        if after >= len(line):
            continue  # the end of the line ends the sentence anyway
        punct = match.group("punct")
        if punct[-1] in _FULLWIDTH_TERMINATORS:
            ends.append(after)
        elif line[after].isspace():
            if punct == "." and _is_abbreviation(line, match.start("punct")):
                continue
            ends.append(after)
    return ends


def _is_blank(text: str) -> bool:
    # Invisible format characters alone (e.g. a stray RLM or BOM) are not a sentence.
    return all(char.isspace() or unicodedata.category(char) == "Cf" for char in text)


def split_sentences(body: str) -> list[Sentence]:
    """Split a canonical body into sentences: at line breaks and after sentence-ending punctuation."""
    sentences: list[Sentence] = []
    for line_match in _LINE.finditer(body):
        line = line_match.group()
        line_start = line_match.start()
        piece_start = 0
        for piece_end in [*_sentence_ends(line), len(line)]:
            piece = line[piece_start:piece_end]
            stripped = piece.strip()
            if stripped and not _is_blank(stripped):
                start = line_start + piece_start + (len(piece) - len(piece.lstrip()))
                sentences.append(Sentence(start=start, end=start + len(stripped), text=stripped))
            piece_start = piece_end
    return sentences


# --------------------------------------------------------------------------
# Seed articles (scraped news text files)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedArticle:
    """A title and canonical body parsed from a scraped text file."""

    title: str
    body: str


# Scraper ad placeholders, on their own line or glued to either end of a line.
_AD_AT_START = re.compile(r"^\s*(?:\[ad_\d+\]\s*)+", re.IGNORECASE)
_AD_AT_END = re.compile(r"(?:\s*\[ad_\d+\])+\s*$", re.IGNORECASE)

# Share widgets / link labels that scrapers leave as the last line.
_TRAILING_BOILERPLATE = frozenset({"source link", "share this"})

# A first line this long is a paragraph, not a headline.
_MAX_TITLE_LINE = 200
# Length limit for a title cut out of such a paragraph (including the "…").
_MAX_DERIVED_TITLE = 120


def _squash(line: str) -> str:
    return " ".join(line.split())


def _strip_blank_lines(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _remove_ad_markers(lines: list[str]) -> list[str]:
    kept: list[str] = []
    for line in lines:
        if "[ad_" not in line.lower():
            kept.append(line)  # cheap path for the usual line
            continue
        cleaned = _AD_AT_END.sub("", _AD_AT_START.sub("", line))
        if cleaned != line and not cleaned.strip():
            continue  # the line was nothing but ad markers
        kept.append(cleaned)
    return kept


def _remove_trailing_boilerplate(lines: list[str]) -> list[str]:
    lines = _strip_blank_lines(lines)
    while lines and _squash(lines[-1]).lower() in _TRAILING_BOILERPLATE:
        lines = _strip_blank_lines(lines[:-1])
    return lines


# A word glued to the next one by a scraper: "MaliFacing", "AlgeriaThis" (lower, then Upper+lower).
_GLUE = regex.compile(r"(?<=\p{Ll}{2})(?=\p{Lu}\p{Ll})")


def _unglued_start(sentence: str) -> str:
    """A first sentence without the link words a scraper glued before it ("this MaliFacing a
    threat..." → "Facing a threat..."). Only a sentence that starts in lower case, with the
    glue within its first three words, is cut: names such as "McDonald" stay whole."""
    words = sentence.split(" ")
    if not words or not words[0][:1].islower():
        return sentence
    for index, word in enumerate(words[:3]):
        glue = _GLUE.search(word)
        if glue:
            return " ".join([word[glue.start():], *words[index + 1:]])
    return sentence


def _title_from_paragraph(paragraph: str) -> str:
    # The first sentence cleaned of glued link words, shortened at a word boundary if it is
    # still too long.
    sentences = split_sentences(paragraph)
    first = _unglued_start(_squash(sentences[0].text) if sentences else _squash(paragraph))
    if len(first) <= _MAX_DERIVED_TITLE:
        return first
    room = _MAX_DERIVED_TITLE - 1  # keep one code point for the ellipsis
    cut = first.rfind(" ", 0, room + 1)
    head = first[:cut] if cut > 0 else first[:room]
    return head.rstrip(" ,;:–—-") + "…"


def parse_seed_text(raw: str) -> SeedArticle:
    """Parse a scraped news text file into a title and a canonical body, dropping scraper boilerplate."""
    text = canonicalize(raw).removeprefix("\ufeff")
    lines = _remove_trailing_boilerplate(_remove_ad_markers(text.split("\n")))
    if not lines:
        raise ValueError("seed text contains no article text")

    first_line = lines[0]
    if len(first_line.strip()) > _MAX_TITLE_LINE:
        # Some scrapes lose the headline and start straight with the first
        # paragraph. Derive a short title from its first sentence and keep the
        # paragraph in the body so no article text is lost.
        title = _title_from_paragraph(first_line)
        body_lines = lines
    else:
        title = _squash(first_line)
        body_lines = _strip_blank_lines(lines[1:])
        # Many sites print the headline twice (page title, then article heading).
        if body_lines and _squash(body_lines[0]) == title:
            body_lines = _strip_blank_lines(body_lines[1:])
        if not body_lines:
            # A headline-only file: keep the text annotatable rather than empty.
            body_lines = [first_line]

    body = "\n".join(body_lines).strip()
    # Removing whole lines and surrounding whitespace keeps NFC, but be certain:
    # offsets are only meaningful against the canonical form.
    return SeedArticle(title=title, body=canonicalize(body))
