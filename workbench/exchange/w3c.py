"""W3C Web Annotation Data Model (https://www.w3.org/TR/annotation-model/) as JSON-LD.

Each assertion becomes one ``Annotation`` with ``motivation: "assessing"``:

* ``body``: a ``TextualBody`` with ``purpose: "tagging"`` whose ``value`` is the tag;
  the note, if not empty, as a ``TextualBody`` with ``purpose: "commenting"``; and
  every evidence link as a ``SpecificResource`` with ``purpose: "linking"`` and the
  link as its ``source``.
* ``target``: a ``SpecificResource`` whose ``source`` is the article's own URL (or,
  without one, the article's IRI under ``base_url``) with two alternative
  selectors: a ``TextQuoteSelector`` (exact/prefix/suffix) and a
  ``TextPositionSelector`` (start/end). The model counts positions in Unicode code
  points, like the workbench; they refer to the canonical (NFC, ``\\n``) body.

Stance and evidence title
-------------------------
"supports", "refutes" and "context" are not W3C motivations, so using them as a
``purpose`` would make the document invalid. The evidence body keeps the valid
``purpose: "linking"`` and carries the stance in an extension property whose key
is a full IRI (:data:`STANCE_PROPERTY`), and the link's title under Dublin Core's
``http://purl.org/dc/terms/title``. Full-IRI keys need no extra ``@context``
entry: a JSON-LD processor expands them to themselves, so the document keeps the
single standard context ``http://www.w3.org/ns/anno.jsonld`` and stays valid;
plain Web Annotation clients simply ignore the two keys.

IRIs mirror the API paths: ``{base}/articles/{id}`` for an article,
``{base}/assertions/{id}`` for an annotation, ``{base}/articles/{id}/annotations``
for the collection (whose single embedded page is ``…?page=1``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from . import (
    STANCES,
    ArticleRecord,
    AssertionRecord,
    EvidenceRecord,
    FormatError,
    ImportedSpan,
    Problem,
    check_assertion,
    check_label_map,
    is_int,
    resolve_label,
)

__all__ = [
    "ANNO_CONTEXT",
    "MOTIVATIONS",
    "STANCE_PROPERTY",
    "TITLE_PROPERTY",
    "ImportedAnnotation",
    "anchor",
    "annotation",
    "article_iri",
    "collection",
    "parse_collection",
    "xsd_datetime",
]

ANNO_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
#: Extension property (a full IRI, so valid without a context entry) holding an evidence stance.
STANCE_PROPERTY = "urn:x-factcheck-workbench:stance"
#: Dublin Core title of an evidence link.
TITLE_PROPERTY = "http://purl.org/dc/terms/title"
#: The motivations (and hence allowed purposes) defined by the Web Annotation Vocabulary.
MOTIVATIONS = frozenset(
    {
        "assessing", "bookmarking", "classifying", "commenting", "describing", "editing", "highlighting",
        "identifying", "linking", "moderating", "questioning", "replying", "tagging",
    }
)


# --------------------------------------------------------------------------
# IRIs and dates
# --------------------------------------------------------------------------


def _base(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, not {base_url!r}")
    return base_url.rstrip("/")


def article_iri(article: ArticleRecord, *, base_url: str) -> str:
    """The workbench IRI of an article."""
    return f"{_base(base_url)}/articles/{article.id}"


def _annotation_iri(assertion: AssertionRecord, base_url: str) -> str:
    return f"{_base(base_url)}/assertions/{assertion.id}"


def xsd_datetime(moment: datetime) -> str:
    """``moment`` as an xsd:dateTime in UTC with a ``Z`` (fractional seconds only when present)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    utc = moment.astimezone(UTC)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def _text_body(value: str, purpose: str, language: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "TextualBody", "purpose": purpose, "value": value, "format": "text/plain"}
    if language:
        body["language"] = language
    return body


def _evidence_body(evidence: EvidenceRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "SpecificResource",
        "purpose": "linking",
        "source": evidence.url,
        STANCE_PROPERTY: evidence.stance,
    }
    if evidence.title:
        body[TITLE_PROPERTY] = evidence.title
    return body


def _target(article: ArticleRecord, assertion: AssertionRecord, base_url: str) -> dict[str, Any]:
    quote: dict[str, Any] = {"type": "TextQuoteSelector", "exact": assertion.quote}
    if assertion.prefix:
        quote["prefix"] = assertion.prefix
    if assertion.suffix:
        quote["suffix"] = assertion.suffix
    position = {"type": "TextPositionSelector", "start": assertion.start, "end": assertion.end}
    return {
        "type": "SpecificResource",
        "source": article.source_url or article_iri(article, base_url=base_url),
        "selector": [quote, position],
    }


def _annotation_body(article: ArticleRecord, assertion: AssertionRecord, base_url: str,
                     note_language: str | None) -> dict[str, Any]:
    # The annotation without @context (as it is embedded in a page).
    bodies = [_text_body(assertion.tag, "tagging")]
    if assertion.note:
        bodies.append(_text_body(assertion.note, "commenting", note_language))
    bodies.extend(_evidence_body(evidence) for evidence in assertion.evidence)
    return {
        "id": _annotation_iri(assertion, base_url),
        "type": "Annotation",
        "motivation": "assessing",
        "creator": {"type": "Person", "nickname": assertion.owner},
        "created": xsd_datetime(assertion.created_at),
        "modified": xsd_datetime(assertion.updated_at),
        "body": bodies,
        "target": _target(article, assertion, base_url),
    }


def annotation(
    article: ArticleRecord, assertion: AssertionRecord, *, base_url: str, note_language: str | None = None
) -> dict[str, Any]:
    """One assertion as a stand-alone Web Annotation document (with ``@context``).

    ``note_language`` (a BCP 47 tag) is set on the comment body only when given:
    reviewers do not necessarily write notes in the article's language. Raises
    ``ValueError`` for a stale quote, an unknown tag or a naive datetime.
    """
    check_assertion(article, assertion)
    return {"@context": ANNO_CONTEXT, **_annotation_body(article, assertion, base_url, note_language)}


def collection(
    article: ArticleRecord,
    assertions: Iterable[AssertionRecord],
    *,
    base_url: str,
    id: str | None = None,  # noqa: A002 - the JSON-LD name
    note_language: str | None = None,
) -> dict[str, Any]:
    """All assertions on an article as an ``AnnotationCollection`` with one embedded ``AnnotationPage``.

    The annotations, in text order, are embedded in the page's ``items`` and
    inherit the collection's ``@context``. An empty collection has ``total: 0``
    and no pages.
    """
    ordered = sorted(assertions, key=lambda a: (a.start, a.end, a.id))
    for assertion in ordered:
        check_assertion(article, assertion)
    collection_id = id or f"{article_iri(article, base_url=base_url)}/annotations"
    result: dict[str, Any] = {
        "@context": ANNO_CONTEXT,
        "id": collection_id,
        "type": "AnnotationCollection",
        "label": article.title,
        "total": len(ordered),
    }
    if ordered:
        page_id = f"{collection_id}?page=1"
        result["first"] = {
            "id": page_id,
            "type": "AnnotationPage",
            "partOf": collection_id,
            "startIndex": 0,
            "items": [_annotation_body(article, a, base_url, note_language) for a in ordered],
        }
        result["last"] = page_id
    return result


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportedAnnotation:
    """An annotation read from a W3C collection, not yet checked against any article text.

    ``start``/``end`` come from a TextPositionSelector (``None`` without one) and
    ``exact``/``prefix``/``suffix`` from a TextQuoteSelector (``None``/``""``
    without one). Use :func:`anchor` to check or find them in a body.
    """

    number: int
    id: str | None
    source: str | None
    start: int | None
    end: int | None
    exact: str | None
    prefix: str
    suffix: str
    label: str
    tag: str
    note: str
    creator: str | None
    created: datetime | None
    modified: datetime | None
    evidence: tuple[EvidenceRecord, ...]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _types(node: Mapping[str, Any]) -> list[Any]:
    return _as_list(node.get("type"))


def _pages(data: Any, problems: list[Problem]) -> list[Any]:
    # The embedded items of a collection's first page, or of a bare page.
    if not isinstance(data, dict):
        problems.append(Problem(0, "", "a Web Annotation collection must be a JSON object"))
        return []
    if ANNO_CONTEXT not in _as_list(data.get("@context")):
        problems.append(Problem(0, "@context", f"must include {ANNO_CONTEXT}"))
    if "AnnotationPage" in _types(data):
        page = data
    elif "AnnotationCollection" in _types(data):
        if data.get("total") == 0 and "first" not in data:
            return []
        page = data.get("first")
        if not isinstance(page, dict):
            problems.append(Problem(0, "first", "the first page must be embedded (an object with items)"))
            return []
        if page.get("next") is not None:
            problems.append(Problem(0, "first.next", "multi-page collections are not supported; embed one page"))
    else:
        problems.append(Problem(0, "type", "must be AnnotationCollection or AnnotationPage"))
        return []
    items = page.get("items")
    if not isinstance(items, list):
        problems.append(Problem(0, "items", "the page must have an items list"))
        return []
    return items


def _selectors(target: Mapping[str, Any], number: int, problems: list[Problem]) -> dict[str, Any]:
    # start/end/exact/prefix/suffix from the target's selectors.
    found: dict[str, Any] = {"start": None, "end": None, "exact": None, "prefix": "", "suffix": ""}
    for index, selector in enumerate(_as_list(target.get("selector"))):
        path = f"target.selector[{index}]"
        if not isinstance(selector, dict):
            continue
        kinds = _types(selector)
        if "TextPositionSelector" in kinds:
            start, end = selector.get("start"), selector.get("end")
            if not (is_int(start) and is_int(end) and 0 <= start <= end):
                problems.append(Problem(number, path, "start and end must be integers with 0 <= start <= end"))
            else:
                found["start"], found["end"] = start, end
        elif "TextQuoteSelector" in kinds:
            exact = selector.get("exact")
            prefix, suffix = selector.get("prefix", ""), selector.get("suffix", "")
            if not isinstance(exact, str) or not isinstance(prefix, str) or not isinstance(suffix, str):
                problems.append(Problem(number, path, "exact (required), prefix and suffix must be strings"))
            else:
                found.update(exact=exact, prefix=prefix, suffix=suffix)
    if found["start"] is None and found["exact"] is None:
        problems.append(Problem(number, "target.selector", "needs a TextPositionSelector or a TextQuoteSelector"))
    return found


def _target_of(item: Mapping[str, Any], number: int, problems: list[Problem]) -> dict[str, Any] | None:
    targets = _as_list(item.get("target"))
    if len(targets) != 1:
        problems.append(Problem(number, "target", f"exactly one target is supported, found {len(targets)}"))
        return None
    target = targets[0]
    if not isinstance(target, dict):
        problems.append(Problem(number, "target", "the target must be a SpecificResource with selectors"))
        return None
    found = _selectors(target, number, problems)
    source = target.get("source")
    found["source"] = source if isinstance(source, str) else None
    return found


def _purposes(body: Mapping[str, Any]) -> list[Any]:
    return _as_list(body.get("purpose"))


def _evidence_of(body: Mapping[str, Any], path: str, number: int, problems: list[Problem]) -> EvidenceRecord | None:
    source = body.get("source")
    url = source.get("id") if isinstance(source, dict) else source
    stance = body.get(STANCE_PROPERTY, "context")
    title = body.get(TITLE_PROPERTY, "")
    if not isinstance(url, str) or not url:
        problems.append(Problem(number, f"{path}.source", "must be the evidence URL"))
        return None
    if stance not in STANCES:
        problems.append(Problem(number, f"{path}.{STANCE_PROPERTY}", f"stance must be one of {', '.join(STANCES)}"))
        return None
    return EvidenceRecord(url=url, title=title if isinstance(title, str) else "", stance=stance)


def _bodies_of(
    item: Mapping[str, Any], number: int, label_map: Mapping[str, str], problems: list[Problem]
) -> dict[str, Any]:
    # label/tag, note and evidence from the bodies; reports missing or duplicate tags.
    labels: list[str] = []
    notes: list[str] = []
    evidence: list[EvidenceRecord] = []
    for index, body in enumerate(_as_list(item.get("body"))):
        path = f"body[{index}]"
        if not isinstance(body, dict):
            continue  # a bare IRI body says nothing we can import
        purposes = _purposes(body)
        if "TextualBody" in _types(body) or "value" in body:
            value = body.get("value")
            if not isinstance(value, str):
                problems.append(Problem(number, f"{path}.value", "a TextualBody value must be a single string"))
            elif "tagging" in purposes:
                labels.append(value)
            elif "commenting" in purposes:
                notes.append(value)
        elif "linking" in purposes or "SpecificResource" in _types(body):
            record = _evidence_of(body, path, number, problems)
            if record is not None:
                evidence.append(record)
    tag = None
    if len(labels) != 1:
        problems.append(Problem(number, "body", f"needs exactly one tagging body, found {len(labels)}"))
    else:
        tag = resolve_label(labels[0], label_map)
        if tag is None:
            problems.append(Problem(number, "body", f"unknown label {labels[0]!r}"))
    return {"label": labels[0] if labels else "", "tag": tag, "note": "\n\n".join(notes), "evidence": tuple(evidence)}


def _datetime_of(item: Mapping[str, Any], key: str, number: int, problems: list[Problem]) -> datetime | None:
    value = item.get(key)
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        problems.append(Problem(number, key, "must be an xsd:dateTime with a timezone"))
        return None
    return parsed.astimezone(UTC)


def _creator_of(item: Mapping[str, Any]) -> str | None:
    creator = item.get("creator")
    if isinstance(creator, dict):
        name = creator.get("nickname") or creator.get("name")
        return name if isinstance(name, str) else None
    return creator if isinstance(creator, str) else None


def _parse_item(
    item: Any, number: int, label_map: Mapping[str, str], problems: list[Problem]
) -> ImportedAnnotation | None:
    if not isinstance(item, dict) or "Annotation" not in _types(item):
        problems.append(Problem(number, "type", "each item must be an Annotation"))
        return None
    before = len(problems)
    target = _target_of(item, number, problems)
    bodies = _bodies_of(item, number, label_map, problems)
    created = _datetime_of(item, "created", number, problems)
    modified = _datetime_of(item, "modified", number, problems)
    if len(problems) > before or target is None:
        return None
    identifier = item.get("id")
    return ImportedAnnotation(
        number=number,
        id=identifier if isinstance(identifier, str) else None,
        source=target["source"],
        start=target["start"],
        end=target["end"],
        exact=target["exact"],
        prefix=target["prefix"],
        suffix=target["suffix"],
        label=bodies["label"],
        tag=bodies["tag"],
        note=bodies["note"],
        creator=_creator_of(item),
        created=created,
        modified=modified,
        evidence=bodies["evidence"],
    )


def parse_collection(data: Any, label_map: Mapping[str, str] | None = None) -> list[ImportedAnnotation]:
    """Read a Web Annotation collection (or a single page) with embedded annotations.

    Record numbers in problems are 1-based item positions (0 for the collection
    itself). Each annotation needs one target with a TextPositionSelector and/or
    TextQuoteSelector and exactly one ``tagging`` body whose value is a tag (via
    ``label_map``). Evidence without a stance is imported as ``"context"``.
    Quotes are not checked here (no text is known yet): see :func:`anchor`.
    Raises :class:`FormatError` listing every problem.
    """
    labels = dict(label_map or {})
    check_label_map(labels)
    problems: list[Problem] = []
    items = _pages(data, problems)
    parsed = [_parse_item(item, number, labels, problems) for number, item in enumerate(items, start=1)]
    if problems:
        raise FormatError(problems)
    return [annotation for annotation in parsed if annotation is not None]


# --------------------------------------------------------------------------
# Anchoring imported annotations in a body
# --------------------------------------------------------------------------


def _find_quote(body: str, exact: str, prefix: str, suffix: str) -> list[int]:
    # Start offsets where exact occurs with the given context around it.
    starts: list[int] = []
    position = body.find(exact)
    while position != -1 and exact:
        if body[:position].endswith(prefix) and body[position + len(exact):].startswith(suffix):
            starts.append(position)
        position = body.find(exact, position + 1)
    return starts


def _anchor_one(body: str, item: ImportedAnnotation, problems: list[Problem]) -> ImportedSpan | None:
    start, end = item.start, item.end
    if start is not None and end is not None:
        if end > len(body) or start >= end:
            problems.append(Problem(item.number, "TextPositionSelector", f"{start}..{end} is not a span of the text"))
            return None
        if item.exact is not None and body[start:end] != item.exact:
            problems.append(Problem(item.number, "TextQuoteSelector.exact", "does not match the text at its position"))
            return None
        return ImportedSpan(start, end, item.label, item.tag, body[start:end])
    assert item.exact is not None  # parse_collection guarantees one of the selectors
    starts = _find_quote(body, item.exact, item.prefix, item.suffix)
    if len(starts) != 1:
        reason = "quote not found in the text" if not starts else f"quote is ambiguous ({len(starts)} matches)"
        problems.append(Problem(item.number, "TextQuoteSelector", reason))
        return None
    return ImportedSpan(starts[0], starts[0] + len(item.exact), item.label, item.tag, item.exact)


def anchor(annotations: Sequence[ImportedAnnotation], body: str) -> list[ImportedSpan]:
    """Place imported annotations in ``body``: one span per annotation, in the same order.

    A position must agree with the quote when both are given (never shifted); a
    quote alone must occur exactly once with its prefix/suffix. Raises
    :class:`FormatError` listing every annotation that does not fit.
    """
    problems: list[Problem] = []
    spans = [_anchor_one(body, item, problems) for item in annotations]
    if problems:
        raise FormatError(problems)
    return [span for span in spans if span is not None]
