"""Label Studio JSON tasks for a text span-labelling project.

The matching labelling config is::

    <View>
      <Labels name="label" toName="text">
        <Label value="sourced"/><Label value="unsourced"/><Label value="opinion"/>
      </Labels>
      <Text name="text" value="$text"/>
    </View>

Each exported task is ``{"id", "data": {"text", "title", ...}, "annotations": [...]}``;
there is one annotation per workbench reviewer (Label Studio's notion of an
annotation is one person's work on a task) whose ``result`` holds one region per
assertion: ``{"id", "from_name": "label", "to_name": "text", "type": "labels",
"value": {"start", "end", "text", "labels": [tag]}}``. A non-empty note goes in
the region's ``meta.text`` (Label Studio's per-region "meta info"). Evidence
links have no place in this format and are not exported.

Offset units
------------
Label Studio's ``Text`` tag stores ``start``/``end`` as **code-point** offsets
(Python ``str`` indices). Early versions used JavaScript (UTF-16) indices, which
broke after emoji (label-studio issues #1008, #1347, #539); the fix "Store code
points instead of js length" (label-studio PR #1559, merged through
label-studio-frontend PR #308) changed that, and issue #4988 (Label Studio 1.9.1)
reports that with a leading ``👨🏻‍🚒`` the exported JSON offsets are correct
even though the on-screen highlight was off. Because files from old versions
may still count UTF-16 units, import never trusts offsets alone: when a region
carries its ``text``, it must equal ``data.text[start:end]`` or the region is
reported (never shifted).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

from . import (
    ArticleRecord,
    ArticleWithAssertions,
    AssertionRecord,
    FormatError,
    ImportedSpan,
    ImportedTask,
    Problem,
    check_assertion,
    check_label_map,
    is_int,
    resolve_label,
)

__all__ = ["FROM_NAME", "TO_NAME", "export_task", "export_tasks", "parse_tasks"]

#: Names of the <Labels> and <Text> tags in the labelling config above.
FROM_NAME = "label"
TO_NAME = "text"


# --------------------------------------------------------------------------
# Export
# --------------------------------------------------------------------------


def _timestamp(moment: datetime) -> str:
    # Label Studio writes ISO 8601 with a trailing "Z".
    if moment.tzinfo is None:
        raise ValueError("datetimes must be timezone-aware (UTC)")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _region(assertion: AssertionRecord) -> dict[str, Any]:
    region: dict[str, Any] = {
        "id": f"wb-{assertion.id}",
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
        "type": "labels",
        "value": {
            "start": assertion.start,
            "end": assertion.end,
            "text": assertion.quote,
            "labels": [assertion.tag],
        },
    }
    if assertion.note:
        region["meta"] = {"text": [assertion.note]}
    return region


def _annotation(assertions: list[AssertionRecord]) -> dict[str, Any]:
    # One reviewer's assertions on one article, in text order.
    ordered = sorted(assertions, key=lambda a: (a.start, a.end, a.id))
    return {
        "result": [_region(assertion) for assertion in ordered],
        "created_at": _timestamp(min(a.created_at for a in ordered)),
        "updated_at": _timestamp(max(a.updated_at for a in ordered)),
    }


def _task_data(article: ArticleRecord) -> dict[str, Any]:
    data: dict[str, Any] = {TO_NAME: article.body, "title": article.title, "article_id": article.id}
    optional = {
        "source_url": article.source_url,
        "publisher": article.publisher,
        "language": article.language,
        "published_at": _timestamp(article.published_at) if article.published_at else None,
    }
    data.update({key: value for key, value in optional.items() if value is not None})
    return data


def export_task(item: ArticleWithAssertions) -> dict[str, Any]:
    """One Label Studio task for one article: its body and one annotation per reviewer.

    Raises ``ValueError`` if an assertion's quote no longer matches the body.
    """
    article, assertions = item
    for assertion in assertions:
        check_assertion(article, assertion)
    by_owner = sorted(assertions, key=lambda a: a.owner)
    annotations = [_annotation(list(group)) for _, group in groupby(by_owner, key=lambda a: a.owner)]
    return {"id": article.id, "data": _task_data(article), "annotations": annotations}


def export_tasks(items: Iterable[ArticleWithAssertions]) -> list[dict[str, Any]]:
    """Label Studio tasks (JSON-serialisable) for articles with their assertions; offsets in code points."""
    return [export_task(item) for item in items]


# --------------------------------------------------------------------------
# Import
# --------------------------------------------------------------------------


def _region_span(
    region: Any, text: str, label_map: Mapping[str, str], where: tuple[int, str], problems: list[Problem]
) -> ImportedSpan | None:
    # One "labels" region -> a span, or None after reporting what is wrong with it.
    number, path = where
    before = len(problems)
    value = region.get("value")
    if not isinstance(value, dict):
        problems.append(Problem(number, f"{path}.value", "must be an object"))
        return None
    start, end = value.get("start"), value.get("end")
    if not (is_int(start) and is_int(end)):
        problems.append(Problem(number, f"{path}.value", "start and end must be integers"))
    elif not 0 <= start < end <= len(text):
        problems.append(Problem(number, f"{path}.value", f"span {start}..{end} is not inside 0..{len(text)}"))
    labels = value.get("labels")
    tag: str | None = None
    if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
        problems.append(Problem(number, f"{path}.value.labels", "must be a list of exactly one label name"))
    else:
        tag = resolve_label(labels[0], label_map)
        if tag is None:
            problems.append(Problem(number, f"{path}.value.labels", f"unknown label {labels[0]!r}"))
    if len(problems) > before or tag is None:
        return None
    quote = text[start:end]
    given = value.get("text")
    if given is not None and given != quote:
        problems.append(
            Problem(number, f"{path}.value.text", f"{given!r} differs from the task text at {start}..{end} ({quote!r})")
        )
        return None
    return ImportedSpan(start, end, labels[0], tag, quote)


def _result_lists(task: Mapping[str, Any], include_predictions: bool) -> list[tuple[str, Any]]:
    # (field path, result list) for every annotation (and optionally prediction) to read.
    keys = ("annotations", "predictions") if include_predictions else ("annotations",)
    found: list[tuple[str, Any]] = []
    for key in keys:
        entries = task.get(key) or []
        if not isinstance(entries, list):
            found.append((key, None))
            continue
        for index, entry in enumerate(entries):
            if isinstance(entry, dict) and entry.get("was_cancelled"):
                continue
            result = entry.get("result") if isinstance(entry, dict) else None
            found.append((f"{key}[{index}].result", result))
    return found


def _parse_task(
    task: Any, number: int, label_map: Mapping[str, str], include_predictions: bool, problems: list[Problem]
) -> ImportedTask | None:
    if not isinstance(task, dict):
        problems.append(Problem(number, "", "a task must be an object"))
        return None
    data = task.get("data")
    text = data.get(TO_NAME) if isinstance(data, dict) else None
    if not isinstance(text, str):
        problems.append(Problem(number, f"data.{TO_NAME}", "missing or not a string"))
        return None
    spans: list[ImportedSpan] = []
    for path, results in _result_lists(task, include_predictions):
        if not isinstance(results, list):
            problems.append(Problem(number, path, "must be a list"))
            continue
        for index, region in enumerate(results):
            if not isinstance(region, dict):
                problems.append(Problem(number, f"{path}[{index}]", "must be an object"))
            elif region.get("type") == "labels":
                span = _region_span(region, text, label_map, (number, f"{path}[{index}]"), problems)
                if span is not None:
                    spans.append(span)
            # Other result types (choices, relations, textarea, ...) carry no spans.
    title = data.get("title")
    return ImportedTask(
        text=text,
        spans=tuple(spans),
        title=title if isinstance(title, str) else None,
        meta={"task_number": number, "task_id": task.get("id")},
    )


def parse_tasks(
    data: Any, label_map: Mapping[str, str], *, include_predictions: bool = False
) -> list[ImportedTask]:
    """Read Label Studio JSON (a list of tasks, or one task) into tasks with code-point spans.

    Only ``labels`` regions become spans; cancelled annotations are skipped and
    ``predictions`` are read only if ``include_predictions``. Spans from all of a
    task's annotations are returned together, in file order. ``label_map`` maps
    Label Studio label names to workbench tags (our own tag names map to
    themselves). Raises :class:`FormatError` listing every problem, numbered by
    task (1-based): unknown labels, bad offsets, and region ``text`` that differs
    from ``data.text[start:end]``.
    """
    check_label_map(label_map)
    if isinstance(data, dict) and "data" in data:
        data = [data]  # a single task, as Label Studio also accepts
    if not isinstance(data, list):
        raise FormatError([Problem(0, "", "Label Studio JSON must be a list of tasks")])
    problems: list[Problem] = []
    tasks = [_parse_task(task, number, label_map, include_predictions, problems) for number, task in enumerate(data, 1)]
    if problems:
        raise FormatError(problems)
    return [task for task in tasks if task is not None]
