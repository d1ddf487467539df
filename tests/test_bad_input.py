"""Bad input answers a clear error and writes nothing, at every entry point.

Numeric parameters are parsed in one place (``workbench.values``): generated bad values (Unicode
digits, huge integers, separators, signs) get a 422 naming the field in the API and a message
beside the field in a page, never a 500; navigation parameters of pages fall back to their
default. Also: spans that split a character, quotes that differ only by a space, case or normal
form, the content type of API bodies, one-line fields, usernames and CSV cells, and the freeze
of a submitted review in every route that changes it.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.conftest import ApiClient, PageClient
from workbench.api.registry import OPERATIONS
from workbench.db import db
from workbench.models import utcnow
from workbench.models import (ApiToken, Article, Assertion, Assignment, AuditEvent, Evidence,
                              Setting, User)
from workbench.services import users as users_service
from workbench.services.errors import ValidationFailed
from workbench.values import ValueProblem, parse_int

BODY = "Prices doubled in 2024. 👨‍👩‍👧 families, caf\u00e9 and قال الوزير.\n"  # canonical
FAMILY = "👨‍👩‍👧"
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])
ALL_TABLES = (Article, Assertion, Assignment, AuditEvent, Evidence, User, ApiToken, Setting)


def snapshot(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Every row of every table: 'nothing written' means this does not change."""
    with app.app_context(), db.transaction() as s:
        return {model.__tablename__: sorted(
            tuple(str(v) for v in row) for row in s.execute(select(model.__table__)))
            for model in ALL_TABLES}


# Values that str.isdigit() or int() take but are not plain whole numbers, and more.
BAD_INTEGERS = st.one_of(
    st.sampled_from(["²", "١٢", "１２", "߁", "𝟙", "1_000", "1,000", "1 000", "+1", "-1", "1e3",
                     "0x10", "1.0", "12\u00a0", "", " ", "9" * 30, str(2 ** 31), str(2 ** 63),
                     str(2 ** 64 + 1), "NaN", "∞", "0b1", "１"]),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=12)
    .filter(lambda t: not t.isascii()),
    st.integers(min_value=2 ** 31, max_value=2 ** 200).map(str),
    st.integers(max_value=-1).map(str),
)


@SETTINGS
@given(raw=BAD_INTEGERS)
def test_parse_int_refuses_everything_but_ascii_whole_numbers(raw: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        parse_int(raw, "limit", minimum=0)
    assert caught.value.field == "limit" and "limit" in caught.value.message
    assert isinstance(caught.value, ValidationFailed)


@given(value=st.integers(min_value=0, max_value=2 ** 31 - 1), pad=st.sampled_from(["", " "]))
def test_parse_int_takes_ascii_whole_numbers(value: int, pad: str) -> None:
    assert parse_int(f"{pad}{value}{pad}", "n") == value


@pytest.fixture
def world(factory):  # type: ignore[no-untyped-def]
    article_id = factory.article(body=BODY, title="Bad input")
    factory.user("rita")
    factory.user("sue", "supervisor")
    factory.assign(article_id, "rita")
    rita = ApiClient(factory.app.test_client(), factory.token("rita"))
    sue = ApiClient(factory.app.test_client(), factory.token("sue"))
    created = rita.post(f"/articles/{article_id}/assertions", json={
        "start": 0, "end": 14, "quote": "Prices doubled", "tag": "sourced",
        "evidence": [{"url": "https://stats.example/cpi"}]}).json
    return {"article": article_id, "rita": rita, "sue": sue, "assertion": created["id"],
            "evidence": created["evidence"][0]["id"]}


API_QUERY_PARAMS = [("sue", "/articles", "limit"), ("sue", "/articles", "cursor"),
                    ("rita", "/articles/{article}/assertions", "limit"),
                    ("rita", "/articles/{article}/assertions", "cursor"),
                    ("sue", "/audit", "limit"), ("sue", "/audit", "cursor"),
                    ("sue", "/audit", "article"), ("sue", "/agreement", "limit")]


def test_every_numeric_api_query_parameter_is_covered() -> None:
    """The OpenAPI document lists the integer-valued query parameters: each is tested here."""
    declared = set()
    for op in OPERATIONS:
        for param in op.query:
            schema = param.get("schema", {})
            if schema.get("type") == "integer" or "[0-9]" in schema.get("pattern", ""):
                declared.add((op.path.replace("<int:article_id>", "{article}"), param["name"]))
    assert declared == {(path, name) for _, path, name in API_QUERY_PARAMS}


@pytest.mark.parametrize("who, path, name", API_QUERY_PARAMS)
def test_bad_integers_in_api_queries_are_422(app, world, who, path, name) -> None:  # type: ignore[no-untyped-def]
    client: ApiClient = world[who]
    url = path.format(article=world["article"])

    @SETTINGS
    @given(raw=BAD_INTEGERS)
    @example(raw="١")
    def check(raw: str) -> None:
        if name in ("cursor", "article") and not raw.strip(" \t"):
            return  # an empty cursor is the first page, an empty filter no filter
        response = client.get(url, query_string={name: raw})
        assert response.status_code == 422, (raw, response.get_data(as_text=True))
        assert response.json["error"]["field"] == name

    check()


PAGE_NAVIGATION = [("/articles", "before"), ("/articles/{article}", "cards"),
                   ("/articles/{article}", "focus"), ("/audit", "before")]


@pytest.mark.parametrize("path, name", PAGE_NAVIGATION)
def test_bad_integers_in_page_navigation_fall_back_to_the_default(page_as, world, path, name):  # type: ignore[no-untyped-def]
    page: PageClient = page_as("sue", create=False)
    url = path.format(article=world["article"])

    @SETTINGS
    @given(raw=BAD_INTEGERS)
    def check(raw: str) -> None:
        response = page.get(url, query_string={name: raw})
        assert response.status_code == 200, (raw, response.status_code)

    check()


@pytest.mark.parametrize("path", ["/articles/{n}", "/api/v1/articles/{n}"])
@pytest.mark.parametrize("digits", ["１", "١", "𝟙", "1" + "0" * 30])
def test_ids_in_urls_are_ascii_and_in_range(app, world, path, digits) -> None:  # type: ignore[no-untyped-def]
    client = app.test_client()
    response = client.get(path.format(n=digits),
                          headers={"Authorization": f"Bearer {world['sue'].token}"})
    assert response.status_code in (404, 302)  # 302: the page asks an anonymous caller to log in
    if path.startswith("/api"):
        assert response.status_code == 404


FORM_FIELDS = [("/articles/{article}/assertions", "start"),
               ("/articles/{article}/assertions", "end"),
               ("/assertions/{assertion}/edit", "version")]


@pytest.mark.parametrize("path, name", FORM_FIELDS)
def test_bad_integers_in_forms_get_a_message_beside_the_field(app, page_as, world, path, name):  # type: ignore[no-untyped-def]
    page: PageClient = page_as("rita", create=False)
    page.refresh_csrf(f"/articles/{world['article']}")
    url = path.format(article=world["article"], assertion=world["assertion"])
    valid = {"start": "0", "end": "14", "quote": "Prices doubled", "tag": "opinion",
             "note": "", "version": "1"}
    before = snapshot(app)

    @SETTINGS
    @given(raw=BAD_INTEGERS.filter(lambda r: r.strip(" \t") != ""))
    def check(raw: str) -> None:
        response = page.post(url, {**valid, name: raw}, htmx=True)
        assert response.status_code == 422, (raw, response.status_code)
        html = response.get_data(as_text=True)
        assert f"{name} must be a whole number" in html

    check()
    assert snapshot(app) == before


# -- Spans -----------------------------------------------------------------------------------------

def _post_span(world, start, end, quote):  # type: ignore[no-untyped-def]
    return world["rita"].post(f"/articles/{world['article']}/assertions",
                              json={"start": start, "end": end, "quote": quote, "tag": "opinion"})


@pytest.mark.parametrize("label, shift", [("trailing space", lambda q: q + " "),
                                          ("leading space", lambda q: " " + q),
                                          ("case", str.upper),
                                          ("NFD", lambda q: unicodedata.normalize("NFD", q))])
def test_a_quote_that_differs_only_slightly_is_refused(app, world, label, shift) -> None:  # type: ignore[no-untyped-def]
    start = BODY.index("caf\u00e9")
    end = start + 4
    assert BODY[start:end] == "café"
    quote = shift("café")
    assert quote != "café"
    before = snapshot(app)
    response = _post_span(world, start, end, quote)
    assert response.status_code == 422, label
    assert response.json["error"]["field"] == "quote"
    assert snapshot(app) == before


def test_end_past_the_text_is_refused_even_when_the_quote_is_the_tail(app, world) -> None:  # type: ignore[no-untyped-def]
    n = len(BODY)
    before = snapshot(app)
    response = _post_span(world, n - 3, n + 1, BODY[n - 3:])
    assert response.status_code == 422
    assert response.json["error"]["field"] == "end"
    assert snapshot(app) == before


@pytest.mark.parametrize("cut", [1, 2, 3, 4])
def test_offsets_splitting_a_character_are_refused(app, world, cut) -> None:  # type: ignore[no-untyped-def]
    start = BODY.index(FAMILY)
    before = snapshot(app)
    response = _post_span(world, start, start + cut, BODY[start:start + cut])
    assert response.status_code == 422
    assert response.json["error"]["field"] == "end"
    response = _post_span(world, start + cut, start + len(FAMILY),
                          BODY[start + cut:start + len(FAMILY)])
    assert response.status_code == 422
    assert response.json["error"]["field"] == "start"
    assert snapshot(app) == before
    whole = _post_span(world, start, start + len(FAMILY), FAMILY)
    assert whole.status_code == 201


def test_a_combining_mark_alone_is_refused(app, factory, world) -> None:  # type: ignore[no-untyped-def]
    from workbench.text import canonicalize

    body = canonicalize("Nao e\u0301\u0323\u0302 ok.\n")  # é keeps two marks after NFC
    assert "\u0302" in body
    article_id = factory.article(body=body, title="Marks")
    factory.assign(article_id, "rita")
    mark = body.index("\u0302")
    response = world["rita"].post(f"/articles/{article_id}/assertions", json={
        "start": mark, "end": mark + 1, "quote": "\u0302", "tag": "opinion"})
    assert response.status_code == 422
    assert response.json["error"]["field"] == "start"


# -- Content type, one-line fields, usernames, CSV ---------------------------------------------

BODY_ROUTES = [op for op in OPERATIONS if op.request is not None]


@pytest.mark.parametrize("op", BODY_ROUTES, ids=lambda op: f"{op.method} {op.path}")
@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", ""])
def test_api_bodies_must_be_sent_as_json(app, world, op, content_type) -> None:  # type: ignore[no-untyped-def]
    path = (op.path.replace("<int:article_id>", str(world["article"]))
            .replace("<int:assertion_id>", str(world["assertion"]))
            .replace("<reviewer>", "rita"))
    client = world["sue"] if op.path == "/articles" or "assignments" in op.path else world["rita"]
    before = snapshot(app)
    response = client.raw(op.method.upper(), path,
                          b'{"title": "T", "body": "B", "start": 0, "end": 6, "quote": "Prices",'
                          b' "tag": "opinion", "version": 1, "url": "https://e.example/",'
                          b' "reviewer": "rita"}', content_type=content_type)
    assert response.status_code == 415, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "unsupported_media_type"
    assert snapshot(app) == before


def test_the_openapi_document_lists_415_for_every_body(app) -> None:  # type: ignore[no-untyped-def]
    from workbench.api.openapi import build_document

    with app.app_context():
        document = build_document()
    for op in BODY_ROUTES:
        path = "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", op.path)
        assert "415" in document["paths"][path][op.method]["responses"]


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\v", "\f", "\x1c", "\x1e",
                                       "\r", "\n"])
@pytest.mark.parametrize("field", ["title", "publisher"])
def test_one_line_fields_refuse_every_line_separator(app, world, separator, field) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(app)
    payload = {"title": "A title", "body": f"A new body {field} {ord(separator)}.",
               "publisher": "A paper"}
    payload[field] = f"Half{separator}half"
    response = world["sue"].post("/articles", json=payload)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert snapshot(app) == before


def test_the_publisher_limit_holds_outside_the_api_too(app) -> None:  # type: ignore[no-untyped-def]
    from workbench.services.articles import MAX_PUBLISHER_LENGTH, create_article

    with app.app_context(), pytest.raises(ValidationFailed) as caught:
        with db.transaction() as s:
            create_article(s, title="T", body="Some body.", actor=None,
                           publisher="p" * (MAX_PUBLISHER_LENGTH + 1))
    assert caught.value.field == "publisher"


@SETTINGS
@given(first=st.sampled_from(["-", "=", "+", "@", ".", " ", "\t"]),
       rest=st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True))
def test_usernames_cannot_start_like_a_formula(app, first: str, rest: str) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), pytest.raises(ValidationFailed) as caught:
        with db.transaction() as s:
            users_service.create_user(s, first + rest, "reviewer", "long enough password")
    assert caught.value.field == "username"


@pytest.mark.parametrize("name", ["ab\n", "a", "x" * 65, "ĳk", "a b"])
def test_other_bad_usernames(app, name) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), pytest.raises(ValidationFailed):
        with db.transaction() as s:
            users_service.create_user(s, name, "reviewer", "long enough password")


def test_the_audit_csv_neutralises_formula_cells(app, page_as, world) -> None:  # type: ignore[no-untyped-def]
    # An account made before usernames were checked (written directly, as an old row would be).
    with app.app_context(), db.transaction() as s:
        s.execute(User.__table__.update().where(User.username == "rita")
                  .values(username="-rita"))
        s.execute(AuditEvent.__table__.insert().values(
            at=utcnow(), actor="=cmd|'/c calc'!A1",
            action="assertion.create", entity_type="assertion"))
    sue = page_as("sue", create=False)
    text = sue.get("/audit/export.csv").get_data(as_text=True)
    assert "'=cmd|" in text
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "-", "@"))


def test_csv_safe_cells() -> None:
    from workbench.csv_safe import csv_line, safe_cell

    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("-rita") == "'-rita"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\tx") == "'\tx"
    assert safe_cell(-5) == -5 and safe_cell(None) == "" and safe_cell("plain") == "plain"
    assert csv_line(["=a", "b,c", 'q"uote']) == "'=a,\"b,c\",\"q\"\"uote\"\r\n"


# -- One answer for what a caller may not see ----------------------------------------------------

def test_missing_and_hidden_evidence_get_the_same_answer(app, factory, world) -> None:  # type: ignore[no-untyped-def]
    factory.user("omar")
    omar = ApiClient(app.test_client(), factory.token("omar"))
    hidden = omar.delete(f"/evidence/{world['evidence']}")
    missing = omar.delete(f"/evidence/{world['evidence'] + 1000}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json == missing.json


# -- A submitted review is frozen everywhere ---------------------------------------------------

def test_after_submit_every_change_is_403_submitted_and_writes_nothing(app, page_as, world):  # type: ignore[no-untyped-def]
    rita: ApiClient = world["rita"]
    # A second, valid span and evidence link to try to change, made before submitting.
    assert rita.post(f"/articles/{world['article']}/submit").status_code == 200
    before = snapshot(app)
    assertion, evidence = world["assertion"], world["evidence"]
    family = BODY.index(FAMILY)
    attempts = [
        rita.post(f"/articles/{world['article']}/assertions",
                  json={"start": family, "end": family + len(FAMILY), "quote": FAMILY,
                        "tag": "opinion"}),
        rita.patch(f"/assertions/{assertion}", json={"tag": "opinion", "version": 1}),
        rita.delete(f"/assertions/{assertion}"),
        rita.post(f"/assertions/{assertion}/evidence", json={"url": "https://more.example/"}),
        rita.delete(f"/evidence/{evidence}"),
    ]
    for response in attempts:
        assert response.status_code == 403, response.get_data(as_text=True)
        assert response.json["error"]["code"] == "submitted"
    page: PageClient = page_as("rita", create=False)
    page.refresh_csrf(f"/articles/{world['article']}")
    forms = [
        (f"/articles/{world['article']}/assertions",
         {"start": family, "end": family + len(FAMILY), "quote": FAMILY, "tag": "opinion"}),
        (f"/assertions/{assertion}/edit", {"tag": "opinion", "note": "", "version": 1}),
        (f"/assertions/{assertion}/delete", {}),
        (f"/assertions/{assertion}/evidence", {"url": "https://more.example/",
                                               "stance": "supports"}),
        (f"/evidence/{evidence}/delete", {}),
    ]
    for path, data in forms:
        response = page.post(path, data)
        assert response.status_code == 403, path
        assert "submitted" in response.get_data(as_text=True)
    assert snapshot(app) == before
