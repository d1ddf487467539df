"""Tests of workbench.exchange: W3C Web Annotation, Label Studio and doccano converters.

Pure unit tests: no app, no database, no conftest fixtures.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from itertools import cycle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench import models
from workbench.exchange import (
    STANCES,
    TAGS,
    ArticleRecord,
    AssertionRecord,
    EvidenceRecord,
    FormatError,
    ImportedSpan,
    Problem,
)
from workbench.exchange import doccano, labelstudio, w3c
from workbench.text import canonicalize

BASE = "https://workbench.example/api/v1"
CREATED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)

# 👨🏻‍🚒 = MAN + SKIN TONE + ZWJ + FIRE ENGINE: 4 code points, 7 UTF-16 units, 1 grapheme.
FIREFIGHTER = "\U0001F468\U0001F3FB\u200d\U0001F692"
FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"  # 👨‍👩‍👧‍👦
HEALTH_WORKER = "\U0001F469\u200d\u2695\ufe0f"  # 👩‍⚕️
FRANCE, GERMANY = "\U0001F1EB\U0001F1F7", "\U0001F1E9\U0001F1EA"  # 🇫🇷 🇩🇪 (regional indicator pairs)

RAW_SAMPLES = {
    "emoji": "Claim \U0001F600 verified: the \U0001F680 launched on time, said \U0001F4F0 editors.",
    "zwj": f"The {FAMILY} family and the {HEALTH_WORKER} doctor said {FIREFIGHTER} crews came.",
    "flags": f"Talks between {FRANCE} and {GERMANY} stalled{FRANCE}{GERMANY} officials said.",
    "arabic": "قالَ الوزيرُ إنّ الاقتصادَ ينمو بسرعة. هذا رأيٌ شخصي؟ نعم.",
    "combining": "Z\u0302ut and q\u0307ua met a\u0301\u0323 and क्षत्रिय writers; e\u0301 composes.",
    "crlf": "First line \U0001F600.\r\nSecond line.\r\n\r\nThird\rline with é.",
}
SAMPLES = {name: canonicalize(raw) for name, raw in RAW_SAMPLES.items()}

# Grapheme offsets need the third-party ``regex`` package, which pyproject.toml does not list yet.
needs_regex = pytest.mark.skipif(importlib.util.find_spec("regex") is None, reason="grapheme mode needs 'regex'")
UNIT_PARAMS = [pytest.param(unit, marks=needs_regex) if unit == "grapheme" else unit for unit in doccano.UNITS]


# --------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------


def make_article(body: str, article_id: int = 7, **overrides: Any) -> ArticleRecord:
    fields: dict[str, Any] = {
        "id": article_id, "title": f"Article {article_id}", "body": body, "source_url": None,
        "publisher": "The Daily", "published_at": datetime(2026, 2, 1, tzinfo=UTC), "language": "en",
    }
    fields.update(overrides)
    return ArticleRecord(**fields)


def make_assertion(body: str, start: int, end: int, tag: str = "sourced", *, assertion_id: int = 1,
                   owner: str = "alice", note: str = "", evidence: Sequence[EvidenceRecord] = ()) -> AssertionRecord:
    # Built by slicing, not check_span: some tests need records that the span check refuses.
    quote = body[start:end]
    prefix, suffix = body[max(start - 32, 0):start], body[end:end + 32]
    return AssertionRecord(
        id=assertion_id, start=start, end=end, quote=quote, prefix=prefix, suffix=suffix, tag=tag, note=note,
        owner=owner, created_at=CREATED, updated_at=CREATED + timedelta(minutes=assertion_id),
        evidence=tuple(evidence),
    )


def word_assertions(body: str) -> list[AssertionRecord]:
    """An assertion on every word (whitespace-delimited: never splits a grapheme in SAMPLES), tags cycling."""
    tags, owners = cycle(TAGS), cycle(["alice", "bob"])
    return [
        make_assertion(body, match.start(), match.end(), next(tags), assertion_id=index, owner=next(owners),
                       note=f"note {index}" if index % 2 else "")
        for index, match in enumerate(re.finditer(r"\S+", body), start=1)
    ]


def spans_of(assertions: Sequence[AssertionRecord]) -> list[tuple[int, int, str]]:
    return sorted((a.start, a.end, a.tag) for a in assertions)


def imported(spans: Sequence[ImportedSpan]) -> list[tuple[int, int, str]]:
    return sorted((s.start, s.end, s.tag) for s in spans)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def problem_lines(error: pytest.ExceptionInfo[FormatError]) -> list[int]:
    return sorted({problem.line for problem in error.value.problems})


# --------------------------------------------------------------------------
# Shared records
# --------------------------------------------------------------------------


def test_tags_and_stances_match_the_models():
    assert TAGS == models.TAGS
    assert STANCES == models.STANCES


def test_format_error_keeps_every_problem_and_says_where():
    error = FormatError([(3, "text", "missing"), Problem(5, "", "not valid JSON")])
    assert error.problems == [Problem(3, "text", "missing"), Problem(5, "", "not valid JSON")]
    assert isinstance(error, ValueError)
    assert "2 problems" in str(error) and "3: text: missing" in str(error) and "5: not valid JSON" in str(error)


@pytest.mark.parametrize("name", SAMPLES)
def test_samples_are_canonical_and_crlf_is_gone(name):
    body = SAMPLES[name]
    assert canonicalize(body) == body and "\r" not in body
    assert word_assertions(body)


# --------------------------------------------------------------------------
# doccano
# --------------------------------------------------------------------------


@pytest.mark.parametrize("unit", UNIT_PARAMS)
@pytest.mark.parametrize("name", SAMPLES)
def test_doccano_round_trip(name, unit):
    body = SAMPLES[name]
    assertions = word_assertions(body)
    lines = list(doccano.export_lines([(make_article(body), assertions)], unit=unit))
    assert len(lines) == 1 and "\n" not in lines[0]
    [task] = doccano.parse_lines(lines, {}, unit=unit)
    assert task.text == body
    assert imported(task.spans) == spans_of(assertions)
    assert all(span.quote == body[span.start : span.end] for span in task.spans)
    assert task.title == "Article 7"


@needs_regex
def test_doccano_default_unit_is_utf16_as_in_doccano_issue_2290():
    # doccano issue #2290: "firetrucks" is 22..32 in doccano, 19..29 in Python.
    body = f"{FIREFIGHTER} firemen drive firetrucks"
    assertion = make_assertion(body, 19, 29, "opinion")
    assert assertion.quote == "firetrucks"
    [line] = doccano.export_lines([(make_article(body), [assertion])])
    assert json.loads(line)["label"] == [[22, 32, "opinion"]]
    [codepoints] = doccano.export_lines([(make_article(body), [assertion])], unit="codepoint")
    assert json.loads(codepoints)["label"] == [[19, 29, "opinion"]]
    [graphemes] = doccano.export_lines([(make_article(body), [assertion])], unit="grapheme")
    assert json.loads(graphemes)["label"] == [[16, 26, "opinion"]]


def test_doccano_export_writes_readable_unicode_jsonl():
    body = SAMPLES["arabic"]
    [line] = doccano.export_lines([(make_article(body), [])])
    assert body in line  # ensure_ascii=False: the text stays readable
    assert json.loads(line) == {"text": body, "label": [], "title": "Article 7"}


def test_doccano_lines_survive_splitlines():
    body = "One\u2028two\u2029three\x85four\x0bfive \U0001F600."
    line = "".join(doccano.export_lines([(make_article(body), [make_assertion(body, 0, 3)])]))
    assert line.splitlines() == [line]
    [task] = doccano.parse_lines(line.splitlines(), {})
    assert task.text == body and task.spans[0].quote == "One"


def test_doccano_sample_with_label_triples():
    # The shape doccano's "JSONL" export writes for sequence labelling.
    text = "Ministers 😀 said unemployment fell. Critics disagree!"
    sample = [
        json.dumps({"text": text, "label": [[0, 9, "Sourced"], [13, 36, "UNSOURCED"], [37, 54, "opinion"]]},
                   ensure_ascii=False),
        "",
        json.dumps({"id": 12, "text": "No labels here.", "label": [], "Comments": []}),
    ]
    label_map = {"Sourced": "sourced", "UNSOURCED": "unsourced"}
    first, second = doccano.parse_lines(sample, label_map)
    assert [(s.quote, s.label, s.tag) for s in first.spans] == [
        ("Ministers", "Sourced", "sourced"),
        ("said unemployment fell.", "UNSOURCED", "unsourced"),
        ("Critics disagree!", "opinion", "opinion"),
    ]
    assert first.spans[1].start == 12 and first.spans[1].end == 35  # one code point fewer than UTF-16 units
    assert second.spans == () and second.meta == {"line": 3, "id": 12, "Comments": []}


@needs_regex
def test_doccano_sample_with_entities():
    # The shape doccano writes for projects with relations.
    text = f"{FAMILY} families claim: rents doubled."
    record = {
        "id": 3, "text": text,
        "entities": [
            {"id": 1, "label": "claim", "start_offset": 28, "end_offset": 41},
            {"id": 2, "label": "opinion", "start_offset": 0, "end_offset": 20},
        ],
        "relations": [],
    }
    [task] = doccano.parse_lines([json.dumps(record, ensure_ascii=False)], {"claim": "unsourced"})
    assert [(s.quote, s.tag) for s in task.spans] == [("rents doubled", "unsourced"), (f"{FAMILY} families", "opinion")]
    [grapheme_task] = doccano.parse_lines(
        [json.dumps({"text": text, "entities": [{"label": "opinion", "start_offset": 0, "end_offset": 1}]})],
        {}, unit="grapheme",
    )
    assert grapheme_task.spans[0].quote == FAMILY
    bad = {"text": text, "entities": [{"label": "Claim", "start_offset": 1, "end_offset": 99}]}
    with pytest.raises(FormatError) as error:
        doccano.parse_lines([json.dumps(bad)], {})
    assert [p.field for p in error.value.problems] == [
        "entities[0].label", "entities[0].start_offset", "entities[0].end_offset"]


def test_doccano_reports_every_bad_line():
    text = "A 😀 b"  # UTF-16: "A"=0, " "=1, 😀=2..4, " "=4, "b"=5, end=6
    lines = [
        json.dumps({"text": text, "label": [[0, 1, "sourced"]]}),  # 1: fine
        '{"text": "broken",',  # 2: bad JSON
        json.dumps({"label": [[0, 1, "sourced"]]}),  # 3: no text
        json.dumps({"text": text, "label": [[0, 99, "sourced"]]}),  # 4: out of range
        json.dumps({"text": text, "label": [[3, 6, "sourced"]]}),  # 5: splits the surrogate pair
        json.dumps({"text": text, "label": [[0, 1, "Fact"], [5, 6, "Rumour"]]}),  # 6: two unknown labels
        json.dumps({"text": text, "entities": [{"start_offset": 0, "label": "opinion"}]}),  # 7: missing end_offset
        json.dumps({"text": text, "label": [[2, 2, "opinion"], [5, 1, "opinion"], ["0", 1, "opinion"]]}),  # 8
        json.dumps(["not", "an", "object"]),  # 9
        json.dumps({"text": text, "label": [[0, 1]]}),  # 10: not a triple
    ]
    with pytest.raises(FormatError) as error:
        doccano.parse_lines(lines, {})
    assert problem_lines(error) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    by_line: dict[int, list[Problem]] = {}
    for problem in error.value.problems:
        by_line.setdefault(problem.line, []).append(problem)
    assert by_line[3] == [Problem(3, "text", "missing")]
    assert by_line[4][0].field == "label[0][1]" and "out of range" in by_line[4][0].reason
    assert by_line[5][0].field == "label[0][0]" and "surrogate pair" in by_line[5][0].reason
    assert {(p.field, p.reason) for p in by_line[6]} == {
        ("label[0][2]", "unknown label 'Fact'"), ("label[1][2]", "unknown label 'Rumour'")}
    assert "end_offset" in by_line[7][0].reason
    assert [p.field for p in by_line[8]] == ["label[0]", "label[1]", "label[2][0]"]
    assert by_line[8][0].reason == "span is empty"


@needs_regex
def test_doccano_grapheme_mode_rejects_offsets_past_the_end_and_export_inside_a_cluster():
    text = f"{FAMILY}!"
    with pytest.raises(FormatError) as error:
        doccano.parse_lines([json.dumps({"text": text, "label": [[0, 3, "opinion"]]})], {}, unit="grapheme")
    assert "out of range 0..2" in error.value.problems[0].reason
    inside = make_assertion(text, 0, 2, "opinion")  # the first two code points of the family
    with pytest.raises(ValueError, match="grapheme cluster"):
        list(doccano.export_lines([(make_article(text), [inside])], unit="grapheme"))


def test_doccano_rejects_stale_assertions_and_unknown_units():
    body = "Some text here."
    stale = make_assertion(body, 0, 4)
    with pytest.raises(ValueError, match="quote does not match"):
        list(doccano.export_lines([(make_article("Other text here."), [stale])]))
    with pytest.raises(ValueError, match="empty or outside"):
        list(doccano.export_lines([(make_article(body), [make_assertion(body, 3, 3)])]))
    with pytest.raises(ValueError, match="unit must be one of"):
        list(doccano.export_lines([], unit="bytes"))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="label_map values must be tags"):
        doccano.parse_lines([], {"x": "maybe"})


def test_doccano_ignores_a_leading_byte_order_mark():
    [task] = doccano.parse_lines(["\ufeff" + json.dumps({"text": "ab", "label": [[0, 1, "opinion"]]})], {})
    assert task.spans[0].quote == "a"


def test_doccano_accepts_a_whole_file_or_utf8_bytes():
    body = "Ünïcode \U0001F600 text\u2028more"
    content = "\n".join(doccano.export_lines([(make_article(body), [make_assertion(body, 0, 7)])] * 2)) + "\n"
    from_text = doccano.parse_lines(content, {})
    from_bytes = doccano.parse_lines(content.encode("utf-8").split(b"\n"), {})
    assert from_text == from_bytes and len(from_text) == 2 and from_text[0].spans[0].quote == "Ünïcode"
    with pytest.raises(FormatError) as error:
        doccano.parse_lines([b'{"text": "ok", "label": []}', b'{"text": "\xff"}'], {})
    assert error.value.problems[0].line == 2 and "not UTF-8" in error.value.problems[0].reason


ASTRAL_PIECES = ["a", " ", "\n", "é", "\u0301", "\u200d", "\U0001F600", FAMILY, FRANCE, "ب", "\U00010348", "\uffff"]
astral_text = st.lists(
    st.one_of(st.sampled_from(ASTRAL_PIECES), st.characters(codec="utf-8")), min_size=1, max_size=60
).map("".join)


@settings(max_examples=200, deadline=None)
@given(text=astral_text, data=st.data())
def test_doccano_utf16_offsets_match_javascript_string_indices(text, data):
    offset = data.draw(st.integers(0, len(text)))
    units = utf16_len(text[:offset])  # what JavaScript's String.length would give for the prefix
    assert doccano.from_codepoint(text, offset, "utf16") == units
    assert doccano.to_codepoint(text, units, "utf16") == offset
    astral = [i for i, char in enumerate(text) if ord(char) > 0xFFFF]
    if astral:
        inside = utf16_len(text[: data.draw(st.sampled_from(astral))]) + 1
        with pytest.raises(ValueError, match="surrogate pair"):
            doccano.to_codepoint(text, inside, "utf16")


@settings(max_examples=150, deadline=None)
@given(text=astral_text, data=st.data())
def test_doccano_utf16_round_trip_on_random_spans(text, data):
    pairs = data.draw(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, len(text))), max_size=6))
    spans = sorted({(min(a, b), max(a, b)) for a, b in pairs if a != b})
    assertions = [make_assertion(text, s, e, TAGS[i % 3], assertion_id=i) for i, (s, e) in enumerate(spans)]
    [line] = doccano.export_lines([(make_article(text), assertions)])
    exported = json.loads(line)["label"]
    assert exported == [[utf16_len(text[:s]), utf16_len(text[:e]), TAGS[i % 3]] for i, (s, e) in enumerate(spans)]
    [task] = doccano.parse_lines([line], {})
    assert task.text == text
    assert imported(task.spans) == spans_of(assertions)


# --------------------------------------------------------------------------
# Label Studio
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_label_studio_round_trip(name):
    body = SAMPLES[name]
    assertions = word_assertions(body)
    tasks = labelstudio.export_tasks([(make_article(body), assertions)])
    tasks = json.loads(json.dumps(tasks))  # what a file would hold
    [task] = labelstudio.parse_tasks(tasks, {})
    assert task.text == body and task.title == "Article 7"
    assert imported(task.spans) == spans_of(assertions)


def test_label_studio_export_shape_and_quotes():
    body = SAMPLES["zwj"]
    assertions = word_assertions(body)
    [task] = labelstudio.export_tasks([(make_article(body, source_url="https://news.example/a"), assertions)])
    assert task["id"] == 7
    assert task["data"]["text"] == body and task["data"]["title"] == "Article 7"
    assert task["data"]["source_url"] == "https://news.example/a"
    assert len(task["annotations"]) == 2  # one per reviewer (alice, bob)
    regions = [region for annotation in task["annotations"] for region in annotation["result"]]
    assert len(regions) == len(assertions)
    for region in regions:
        assert region["from_name"] == "label" and region["to_name"] == "text" and region["type"] == "labels"
        value = region["value"]
        assert value["text"] == body[value["start"] : value["end"]]  # code points, like Python slicing
        assert len(value["labels"]) == 1 and value["labels"][0] in TAGS
    noted = [region for region in regions if "meta" in region]
    assert noted and all(region["meta"]["text"][0].startswith("note ") for region in noted)
    assert task["annotations"][0]["created_at"].endswith("Z")


def test_label_studio_offsets_are_code_points():
    body = f"{FIREFIGHTER} firemen drive firetrucks"
    [task] = labelstudio.export_tasks([(make_article(body), [make_assertion(body, 19, 29)])])
    assert task["annotations"][0]["result"][0]["value"] == {
        "start": 19, "end": 29, "text": "firetrucks", "labels": ["sourced"],
    }


LABEL_STUDIO_SAMPLE = [
    {
        "id": 101,
        "data": {"text": "Officials said 😀 the bridge reopened. It is the best bridge.", "title": "Bridge"},
        "annotations": [
            {
                "id": 9, "completed_by": 1, "was_cancelled": False, "ground_truth": False,
                "created_at": "2026-03-09T21:52:49.513742Z", "lead_time": 4.2,
                "result": [
                    {"id": "BtfOIVC3G2", "from_name": "label", "to_name": "text", "type": "labels",
                     "origin": "manual",
                     "value": {"start": 0, "end": 14, "text": "Officials said", "labels": ["Sourced claim"]}},
                    {"id": "5n2MsvFQur", "from_name": "label", "to_name": "text", "type": "labels",
                     "value": {"start": 38, "end": 60, "labels": ["opinion"]}},  # no "text", as in some exports
                    {"id": "c1", "from_name": "sentiment", "to_name": "text", "type": "choices",
                     "value": {"choices": ["Neutral"]}},
                ],
            },
            {"id": 10, "was_cancelled": True, "result": [
                {"type": "labels", "value": {"start": 0, "end": 3, "labels": ["Nonsense"]}}]},
        ],
        "predictions": [
            {"model_version": "v1", "result": [
                {"type": "labels", "from_name": "label", "to_name": "text",
                 "value": {"start": 15, "end": 16, "text": "😀", "labels": ["unsourced"]}}]},
        ],
    },
    {"id": 102, "data": {"text": "Nothing labelled yet."}, "annotations": []},
]


def test_label_studio_sample_task_json():
    first, second = labelstudio.parse_tasks(LABEL_STUDIO_SAMPLE, {"Sourced claim": "sourced"})
    assert [(s.quote, s.label, s.tag) for s in first.spans] == [
        ("Officials said", "Sourced claim", "sourced"),
        ("It is the best bridge.", "opinion", "opinion"),
    ]
    assert first.title == "Bridge" and first.meta == {"task_number": 1, "task_id": 101}
    assert second.spans == () and second.title is None
    [with_predictions, _] = labelstudio.parse_tasks(LABEL_STUDIO_SAMPLE, {"Sourced claim": "sourced"},
                                                     include_predictions=True)
    assert [s.quote for s in with_predictions.spans][-1] == "😀"


def test_label_studio_lists_every_unknown_label_and_never_shifts_spans():
    text = "💩This is an annotation."
    tasks = [
        LABEL_STUDIO_SAMPLE[0],  # "Sourced claim" is unknown without a label map
        {"data": {"text": text}, "annotations": [{"result": [
            # label-studio issue #1347: an old version counted UTF-16 units (13..23, not 12..22).
            {"type": "labels", "value": {"start": 13, "end": 23, "text": "annotation", "labels": ["opinion"]}},
            {"type": "labels", "value": {"start": 0, "end": 99, "labels": ["opinion"]}},
            {"type": "labels", "value": {"start": 1, "end": 5, "labels": ["Person", "Place"]}},
            {"type": "labels", "value": {"start": 1, "end": 5, "labels": ["Rumour"]}},
        ]}]},
        {"data": {"html": "<p>x</p>"}},
        "not a task",
    ]
    with pytest.raises(FormatError) as error:
        labelstudio.parse_tasks(tasks, {})
    assert problem_lines(error) == [1, 2, 3, 4]
    reasons = [p.reason for p in error.value.problems]
    assert "unknown label 'Sourced claim'" in reasons and "unknown label 'Rumour'" in reasons
    shifted = [p for p in error.value.problems if p.field.endswith("value.text")]
    assert len(shifted) == 1 and shifted[0].line == 2 and "'annotation' differs" in shifted[0].reason
    assert any("not inside 0..23" in reason for reason in reasons)
    assert any("exactly one label" in reason for reason in reasons)
    assert Problem(3, "data.text", "missing or not a string") in error.value.problems
    with pytest.raises(FormatError):
        labelstudio.parse_tasks({"data": {}}, {})
    with pytest.raises(FormatError, match="must be a list of tasks"):
        labelstudio.parse_tasks("[]", {})
    [single] = labelstudio.parse_tasks(LABEL_STUDIO_SAMPLE[1], {})
    assert single.text == "Nothing labelled yet."


# --------------------------------------------------------------------------
# W3C Web Annotation Data Model
# --------------------------------------------------------------------------

# Terms of http://www.w3.org/ns/anno.jsonld used by the exporter; any other key
# must be an absolute IRI, or a JSON-LD processor would silently drop it.
ANNO_TERMS = {
    "@context", "id", "type", "motivation", "creator", "created", "modified", "body", "target", "purpose",
    "value", "format", "language", "source", "selector", "exact", "prefix", "suffix", "start", "end",
    "nickname", "label", "total", "first", "last", "partOf", "startIndex", "items",
}
XSD_DATETIME_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\Z")


def is_iri(value: Any) -> bool:
    return isinstance(value, str) and re.match(r"[A-Za-z][A-Za-z0-9+.-]*:\S+\Z", value) is not None


def key_violations(node: Any, path: str = "$") -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in ANNO_TERMS and not is_iri(key):
                found.append(f"{path}.{key}: not a term of the context nor an absolute IRI")
            found += key_violations(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += key_violations(value, f"{path}[{index}]")
    return found


def types_of(node: dict[str, Any]) -> list[Any]:
    value = node.get("type", [])
    return value if isinstance(value, list) else [value]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def selector_violations(selector: dict[str, Any], where: str) -> list[str]:
    found: list[str] = []
    if "TextQuoteSelector" in types_of(selector):
        if not isinstance(selector.get("exact"), str):
            found.append(f"{where}: TextQuoteSelector MUST have exactly 1 exact string")
        for key in ("prefix", "suffix"):
            if key in selector and not isinstance(selector[key], str):
                found.append(f"{where}: {key} MUST be a single string")
    if "TextPositionSelector" in types_of(selector):
        start, end = selector.get("start"), selector.get("end")
        for key, value in (("start", start), ("end", end)):
            if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
                found.append(f"{where}: {key} MUST be exactly 1 non-negative integer")
        if isinstance(start, int) and isinstance(end, int) and start > end:
            found.append(f"{where}: end MUST NOT be before start")
    return found


def body_violations(body: Any, where: str) -> list[str]:
    if not isinstance(body, dict):
        return [] if is_iri(body) else [f"{where}: an external body MUST be an IRI"]
    found: list[str] = []
    if "id" in body and not is_iri(body["id"]):
        found.append(f"{where}: id MUST be an IRI")
    for purpose in as_list(body.get("purpose", [])):
        if purpose not in w3c.MOTIVATIONS:
            found.append(f"{where}: purpose {purpose!r} is not a Motivation")
    if "purpose" in body and not ({"TextualBody", "SpecificResource"} & set(types_of(body))):
        found.append(f"{where}: purpose needs a TextualBody or SpecificResource")
    if "TextualBody" in types_of(body) and not isinstance(body.get("value"), str):
        found.append(f"{where}: TextualBody MUST have exactly 1 value, a single string")
    if "SpecificResource" in types_of(body) and not is_iri(body.get("source")):
        found.append(f"{where}: SpecificResource MUST have exactly 1 source IRI")
    if "format" in body and not re.match(r"[a-z]+/[a-z0-9.+-]+\Z", str(body["format"])):
        found.append(f"{where}: format MUST be a media type")
    return found


def target_violations(target: Any, where: str) -> list[str]:
    if not isinstance(target, dict):
        return [] if is_iri(target) else [f"{where}: an external target MUST be an IRI"]
    found: list[str] = []
    if "SpecificResource" in types_of(target) or "selector" in target:
        if not is_iri(target.get("source")):
            found.append(f"{where}: a SpecificResource MUST have exactly 1 source IRI")
    for index, selector in enumerate(as_list(target.get("selector", []))):
        found += selector_violations(selector, f"{where}.selector[{index}]")
    return found


def annotation_violations(doc: dict[str, Any], *, embedded: bool = False) -> list[str]:
    """Every MUST of the Web Annotation Data Model that applies to what the exporter writes."""
    found = key_violations(doc)
    if not embedded and w3c.ANNO_CONTEXT not in as_list(doc.get("@context")):
        found.append("MUST have the Web Annotation @context")
    if not is_iri(doc.get("id")):
        found.append("MUST have exactly 1 IRI id")
    if "Annotation" not in types_of(doc):
        found.append("MUST have the type Annotation")
    targets = as_list(doc.get("target", []))
    if not targets:
        found.append("MUST have 1 or more targets")
    for index, target in enumerate(targets):
        found += target_violations(target, f"target[{index}]")
    for index, body in enumerate(as_list(doc.get("body", []))):
        found += body_violations(body, f"body[{index}]")
    for motivation in as_list(doc.get("motivation", [])):
        if motivation not in w3c.MOTIVATIONS:
            found.append(f"motivation {motivation!r} is not a Motivation")
    for key in ("created", "modified"):
        if key in doc and not (isinstance(doc[key], str) and XSD_DATETIME_UTC.match(doc[key])):
            found.append(f"{key} MUST be an xsd:dateTime (UTC, Z)")
    creator = doc.get("creator")
    if isinstance(creator, dict) and "nickname" in creator and not isinstance(creator["nickname"], str):
        found.append("creator nickname MUST be a single string")
    return found


def collection_violations(doc: dict[str, Any]) -> list[str]:
    found = key_violations(doc)
    if w3c.ANNO_CONTEXT not in as_list(doc.get("@context")):
        found.append("collection MUST have the Web Annotation @context")
    if not is_iri(doc.get("id")):
        found.append("collection MUST have exactly 1 IRI id")
    if "AnnotationCollection" not in types_of(doc):
        found.append("collection MUST have the type AnnotationCollection")
    if "label" in doc and not isinstance(doc["label"], str):
        found.append("label MUST be a string")
    total = doc.get("total")
    if not (isinstance(total, int) and total >= 0):
        found.append("total MUST be a non-negative integer")
    page = doc.get("first")
    if total and not isinstance(page, dict):
        found.append("a non-empty collection needs its first page")
    if isinstance(page, dict):
        if not is_iri(page.get("id")):
            found.append("page MUST have exactly 1 IRI id")
        if "AnnotationPage" not in types_of(page):
            found.append("page MUST have the type AnnotationPage")
        if page.get("partOf") != doc.get("id"):
            found.append("page partOf MUST be the collection")
        items = page.get("items")
        if not isinstance(items, list) or not items:
            found.append("page MUST have an items list of Annotations")
            items = []
        if total != len(items):
            found.append("total MUST count the annotations")
        for index, item in enumerate(items):
            found += [f"items[{index}]: {v}" for v in annotation_violations(item, embedded=True)]
        if doc.get("last") != page.get("id"):
            found.append("the single page is also the last")
    return found


def test_the_must_checker_is_not_vacuous():
    bad = {"id": "no iri", "type": "Note", "body": {"type": "TextualBody", "value": 3, "purpose": "supports"},
           "target": {"source": "x y", "selector": {"type": "TextPositionSelector", "start": -1, "end": 2.5}},
           "created": "2026-01-01 10:00", "stance": "refutes"}
    found = annotation_violations(bad)
    for expected in ("@context", "IRI id", "type Annotation", "single string", "'supports' is not",
                     "source IRI", "start MUST", "end MUST", "xsd:dateTime", "stance: not a term"):
        assert any(expected in violation for violation in found), expected
    assert "MUST have 1 or more targets" in annotation_violations({"id": "urn:a", "type": "Annotation"})


def evidence_sample() -> tuple[EvidenceRecord, ...]:
    return (
        EvidenceRecord("https://stats.example/unemployment", "Official figures", "supports"),
        EvidenceRecord("https://factcheck.example/123", "", "refutes"),
        EvidenceRecord("https://wiki.example/Bridge", "Background", "context"),
    )


@pytest.mark.parametrize("name", SAMPLES)
def test_w3c_annotation_meets_every_must(name):
    body = SAMPLES[name]
    article = make_article(body)
    for assertion in word_assertions(body)[:4]:
        with_evidence = make_assertion(body, assertion.start, assertion.end, assertion.tag,
                                       assertion_id=assertion.id, note="Check this 😀.", evidence=evidence_sample())
        doc = w3c.annotation(article, with_evidence, base_url=BASE)
        assert annotation_violations(doc) == []
        assert doc["@context"] == "http://www.w3.org/ns/anno.jsonld"
        assert doc["id"] == f"{BASE}/assertions/{assertion.id}"
        [quote, position] = doc["target"]["selector"]
        assert quote["exact"] == body[position["start"] : position["end"]] == with_evidence.quote
        assert doc["target"]["source"] == f"{BASE}/articles/7"


def test_w3c_annotation_contents():
    body = SAMPLES["emoji"]
    start = body.index("verified")
    assertion = make_assertion(body, start, start + 8, "unsourced", assertion_id=42, note="Who verified?",
                               evidence=evidence_sample())
    article = make_article(body, source_url="https://news.example/story")
    doc = w3c.annotation(article, assertion, base_url=BASE + "/", note_language="en")
    assert doc["motivation"] == "assessing"
    assert doc["creator"] == {"type": "Person", "nickname": "alice"}
    assert doc["created"] == "2026-03-01T09:30:00Z" and doc["modified"] == "2026-03-01T10:12:00Z"
    tag, note, *links = doc["body"]
    assert tag == {"type": "TextualBody", "purpose": "tagging", "value": "unsourced", "format": "text/plain"}
    assert note == {"type": "TextualBody", "purpose": "commenting", "value": "Who verified?",
                    "format": "text/plain", "language": "en"}
    assert [(link["purpose"], link["source"], link[w3c.STANCE_PROPERTY]) for link in links] == [
        ("linking", e.url, e.stance) for e in evidence_sample()]
    assert links[0][w3c.TITLE_PROPERTY] == "Official figures" and w3c.TITLE_PROPERTY not in links[1]
    assert doc["target"] == {
        "type": "SpecificResource",
        "source": "https://news.example/story",
        "selector": [
            {"type": "TextQuoteSelector", "exact": "verified", "prefix": assertion.prefix, "suffix": assertion.suffix},
            {"type": "TextPositionSelector", "start": start, "end": start + 8},
        ],
    }
    no_note = w3c.annotation(article, make_assertion(body, 0, 5), base_url=BASE)
    assert [b["purpose"] for b in no_note["body"]] == ["tagging"]  # empty notes are left out


def test_w3c_datetimes_are_utc_and_must_be_aware():
    body = "Text."
    local = datetime(2026, 3, 1, 11, 30, tzinfo=timezone(timedelta(hours=2)))
    shifted = dataclasses.replace(make_assertion(body, 0, 4), created_at=local)
    assert w3c.annotation(make_article(body), shifted, base_url=BASE)["created"] == "2026-03-01T09:30:00Z"
    naive = dataclasses.replace(shifted, created_at=datetime(2026, 3, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        w3c.annotation(make_article(body), naive, base_url=BASE)
    with pytest.raises(ValueError, match="timezone-aware"):
        labelstudio.export_tasks([(make_article(body), [naive])])


@pytest.mark.parametrize("name", SAMPLES)
def test_w3c_collection_meets_every_must_and_round_trips(name):
    body = SAMPLES[name]
    article = make_article(body)
    assertions = word_assertions(body)
    assertions[0] = make_assertion(body, assertions[0].start, assertions[0].end, assertions[0].tag,
                                   assertion_id=assertions[0].id, evidence=evidence_sample(), note="n")
    doc = w3c.collection(article, list(reversed(assertions)), base_url=BASE)
    assert collection_violations(doc) == []
    assert doc["id"] == f"{BASE}/articles/7/annotations" and doc["total"] == len(assertions)
    items = doc["first"]["items"]
    assert [item["target"]["selector"][1]["start"] for item in items] == sorted(a.start for a in assertions)
    parsed = w3c.parse_collection(json.loads(json.dumps(doc)))
    assert [p.tag for p in parsed] == [a.tag for a in sorted(assertions, key=lambda a: a.start)]
    assert parsed[0].evidence == evidence_sample() and parsed[0].note == "n" and parsed[0].creator == "alice"
    assert parsed[0].created == CREATED
    spans = w3c.anchor(parsed, body)
    assert imported(spans) == spans_of(assertions)
    assert all(span.quote == body[span.start : span.end] for span in spans)


def test_w3c_collection_with_custom_id_and_empty_collection():
    article = make_article("Nothing tagged.")
    empty = w3c.collection(article, [], base_url=BASE, id="https://elsewhere.example/c/1")
    assert empty["id"] == "https://elsewhere.example/c/1" and empty["total"] == 0 and "first" not in empty
    assert collection_violations(empty) == []
    assert w3c.parse_collection(empty) == []
    with pytest.raises(ValueError, match="base_url"):
        w3c.collection(article, [], base_url="/relative")


def test_w3c_anchor_uses_quotes_when_there_is_no_position():
    body = "the cat sat. the cat ran."
    page = {
        "@context": w3c.ANNO_CONTEXT, "type": "AnnotationPage", "id": "https://x.example/p",
        "items": [
            {"id": "https://x.example/a1", "type": "Annotation",
             "body": {"type": "TextualBody", "purpose": "tagging", "value": "opinion"},
             "target": {"source": "https://x.example/doc",
                        "selector": {"type": "TextQuoteSelector", "exact": "cat", "prefix": "the ", "suffix": " ran"}}},
            {"id": "https://x.example/a2", "type": "Annotation",
             "body": [{"type": "TextualBody", "purpose": "tagging", "value": "Fact"}],
             "target": {"source": "https://x.example/doc",
                        "selector": [{"type": "TextQuoteSelector", "exact": "the cat"}]}},
        ],
    }
    parsed = w3c.parse_collection(page, {"Fact": "sourced"})
    assert parsed[0].start is None and parsed[1].tag == "sourced"
    with pytest.raises(FormatError) as error:
        w3c.anchor(parsed, body)
    assert error.value.problems == [Problem(2, "TextQuoteSelector", "quote is ambiguous (2 matches)")]
    [span] = w3c.anchor(parsed[:1], body)
    assert (span.start, span.end, span.quote) == (17, 20, "cat")


def test_w3c_anchor_never_shifts_a_position_that_disagrees_with_its_quote():
    body = "💩This is an annotation."
    item = w3c.ImportedAnnotation(1, None, None, 13, 23, "annotation", "", "", "opinion", "opinion", "", None, None,
                                  None, ())
    with pytest.raises(FormatError) as error:
        w3c.anchor([item], body)
    assert error.value.problems[0].field == "TextQuoteSelector.exact"


def test_w3c_import_reports_every_bad_annotation():
    doc = w3c.collection(make_article(SAMPLES["emoji"]), word_assertions(SAMPLES["emoji"])[:2], base_url=BASE)
    good = doc["first"]["items"][0]
    items = [
        good,
        {**good, "type": "Note"},
        {**good, "target": []},
        {**good, "body": [{"type": "TextualBody", "purpose": "tagging", "value": "Rumour"}]},
        {**good, "body": [{"type": "TextualBody", "purpose": "tagging", "value": ["a", "b"]}]},
        {**good, "target": {"source": "https://x.example", "selector": {"type": "TextPositionSelector",
                                                                        "start": 5, "end": 2}}},
        {**good, "created": "yesterday"},
        {**good, "body": [good["body"][0], {"type": "SpecificResource", "purpose": "linking",
                                            "source": "https://e.example", w3c.STANCE_PROPERTY: "maybe"}]},
    ]
    broken = {**doc, "@context": "http://example.org/other", "first": {**doc["first"], "items": items}}
    with pytest.raises(FormatError) as error:
        w3c.parse_collection(broken)
    assert problem_lines(error) == [0, 2, 3, 4, 5, 6, 7, 8]
    reasons = " | ".join(p.reason for p in error.value.problems)
    assert "unknown label 'Rumour'" in reasons and "single string" in reasons and "stance must be" in reasons
    with pytest.raises(FormatError, match="embedded"):
        w3c.parse_collection({**doc, "first": doc["first"]["id"]})
