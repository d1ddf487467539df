"""Property-based fuzzing of the JSON API.

1. Schemathesis reads the OpenAPI document the app serves at /api/v1/openapi.json and, for every
   operation, sends generated requests (valid ones, and ones that break the schema), authenticated
   as a supervisor and as an assigned reviewer, with path ids that are real rows half the time.
   Every response must be a non-5xx, with a documented status code, content type and body shape.
2. Plain Hypothesis throws (start, end, quote) triples at an article full of emoji, ZWJ sequences,
   combining marks, Arabic and CRLF line ends: exactly the triples with
   0 <= start < end <= len(body) and quote == body[start:end] are stored, the others get 422 and
   write nothing; offsets past 32 and 64 bits are a 422 too, not a database error.
3. A NUL character in text for storage is a 422 on both databases, and in a query never a 5xx.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest
import regex
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, example, given, note, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (content_type_conformance, not_a_server_error,
                                 response_headers_conformance, response_schema_conformance,
                                 status_code_conformance)
from sqlalchemy import func, select

import workbench.api  # noqa: F401  (registers the routes the document describes)
from tests.conftest import ApiClient, Factory
from workbench.api.openapi import build_document
from workbench.db import db
from workbench.models import ApiToken, Assertion, AuditEvent, Evidence
from workbench.services import users as users_service

OPERATIONS = sorted((method.upper(), path) for path, item in build_document()["paths"].items()
                    for method in item)
POSITIVE_EXAMPLES = 25
NEGATIVE_EXAMPLES = 15

# The same checks for valid and for schema-violating requests. Not negative_data_rejection: it
# counts an unknown query parameter as invalid (the API ignores those, as OpenAPI allows) and it
# expects a 401 when it drops the Authorization header, which the tests put back on every call.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]

_unique = itertools.count()


@dataclass
class Seeded:
    """Real rows for the path parameters: the reviewer's article, assertion and evidence."""

    ids: dict[str, int]
    tokens: dict[str, str]


def seed(factory: Factory, role: str) -> Seeded:
    n = next(_unique)
    article_id = factory.article(body=f"Fuzzed article {n}. Prices doubled. 👩‍⚕️ قال.\n",
                                 title=f"Fuzz {n}")
    for name, user_role in (("sam", "supervisor"), ("rita", "reviewer"), ("otto", "reviewer")):
        factory.user(name, user_role)
    factory.assign(article_id, "rita")
    tokens = {"supervisor": factory.token("sam"), "reviewer": factory.token("rita")}
    # A second token of the caller's, for the token routes to revoke (not the one in use).
    spare = factory.token("rita" if role == "reviewer" else "sam")
    with factory.app.app_context(), db.transaction() as s:
        spare_id = s.scalar(select(ApiToken.id).where(
            ApiToken.token_hash == users_service.token_digest(spare)))
    with factory.app.test_client() as client:
        response = client.post(
            f"/api/v1/articles/{article_id}/assertions",
            headers={"Authorization": f"Bearer {tokens['reviewer']}"},
            json={"start": 0, "end": 7, "quote": "Fuzzed ", "tag": "opinion",
                  "evidence": [{"url": "https://example.org/a", "stance": "supports"}]})
        assert response.status_code == 201, response.json
        record = response.json
        # A published verdict and a rating, so their GET routes have something to find.
        boss = {"Authorization": f"Bearer {tokens['supervisor']}"}
        assert client.put(f"/api/v1/articles/{article_id}/verdict", headers=boss, json={
            "rating": "well sourced", "state": "published"}).status_code == 200
        assert client.put(f"/api/v1/assertions/{record['id']}/rating", headers=boss,
                          json={"rating": "accurate"}).status_code == 200
    return Seeded(ids={"article_id": article_id, "assertion_id": record["id"],
                       "evidence_id": record["evidence"][0]["id"], "token_id": spare_id,
                       "reviewer": "rita"},
                  tokens=tokens)


FUZZ_SETTINGS = dict(deadline=None, derandomize=True, database=None, print_blob=True,
                     phases=[Phase.explicit, Phase.generate, Phase.shrink],
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                            HealthCheck.data_too_large,
                                            HealthCheck.large_base_example])


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_schemathesis(app: Flask, factory: Factory, role: str, method: str, path: str) -> None:
    seeded = seed(factory, role)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema[path][method]
    described = build_document()["paths"][path][method.lower()]
    names = [p["name"] for p in described["parameters"] if p["in"] == "path"]
    real = {name: seeded.ids[name] for name in names if name in seeded.ids}
    headers = {"Authorization": f"Bearer {seeded.tokens[role]}"}

    positive = st.one_of(operation.as_strategy(path_parameters=real), operation.as_strategy()) \
        if real else operation.as_strategy()

    real_statuses: list[int] = []

    @settings(max_examples=POSITIVE_EXAMPLES, **FUZZ_SETTINGS)
    @given(case=positive)
    def valid_requests(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if real and all(case.path_parameters.get(k) == v for k, v in real.items()):
            real_statuses.append(response.status_code)

    valid_requests()
    # The seeded rows were reached, not only "no such row" (a supervisor has nothing to submit).
    # (A supervisor has nothing to submit; a reviewer is shown no supervisor-only route.)
    hidden = ((role == "supervisor" and path.endswith("/submit"))
              or (role == "reviewer" and "(supervisor" in described["summary"]))
    if real and not hidden:
        assert [s for s in real_statuses if s != 404], real_statuses
    if not described["parameters"] and "requestBody" not in described:
        return  # nothing in the request can break the schema

    @settings(max_examples=NEGATIVE_EXAMPLES, **FUZZ_SETTINGS)
    @given(case=operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def invalid_requests(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    invalid_requests()


# -- Offsets: exactly the right triples are stored -----------------------------------------------

TRICKY = ("Family 👩‍👩‍👧‍👦 and flag 🇲🇦, cafe\u0301 re\u0301sume\u0301\r\n"
          "قال الوزير إن الأسعار تضاعفت\u200f (2024).\r\n"
          "Zalgo z\u0335\u0327a\u0336l\u0338g\u0334o; ZWJ \u200d alone; tab\tend.\r\n")


@pytest.fixture
def offsets_world(app: Flask, factory: Factory) -> tuple[ApiClient, int, str]:
    n = next(_unique)
    article_id = factory.article(body=f"{n}: {TRICKY}", title="Offsets")
    factory.user("rita")
    factory.assign(article_id, "rita")
    api = ApiClient(app.test_client(), factory.token("rita"))
    body = api.get(f"/articles/{article_id}").json["body"]
    assert "\r" not in body and len(body) > 100  # canonical: LF line ends, NFC
    return api, article_id, body


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.app_context(), db.transaction() as s:
        return tuple(s.scalar(select(func.count()).select_from(model))  # type: ignore[return-value]
                     for model in (Assertion, Evidence, AuditEvent))


@st.composite
def triples(draw: st.DrawFn, body: str) -> tuple[Any, Any, Any]:
    n = len(body)
    # Out-of-range integers up to 2**30; beyond 32 and 64 bits see test_huge_offsets_are_refused.
    offset = st.one_of(st.integers(-3, n + 3), st.sampled_from([0, 1, n - 1, n, n + 1]),
                       st.integers(min_value=-(2 ** 30), max_value=2 ** 30))
    start = draw(offset)
    end = draw(st.one_of(offset, st.integers(1, 40).map(lambda k: start + k)))
    kind = draw(st.sampled_from(["slice", "slice", "slice", "nfd", "crlf", "shifted", "text",
                                 "python-slice"]))
    lo, hi = max(start, 0), max(min(end, n), 0)
    exact = body[lo:hi]
    if kind == "slice":
        quote = exact
    elif kind == "nfd":  # the same text, decomposed: not the stored code points
        import unicodedata
        quote = unicodedata.normalize("NFD", exact)
    elif kind == "crlf":
        quote = exact.replace("\n", "\r\n")
    elif kind == "shifted":
        quote = body[lo + 1:hi + 1]
    elif kind == "python-slice":  # negative indexes mean something to Python, not to the API
        quote = body[start:end]
    else:
        quote = draw(st.text(max_size=8))
    return start, end, quote


def test_offsets_are_accepted_exactly_when_they_match(app: Flask,
                                                      offsets_world: tuple[ApiClient, int, str]
                                                      ) -> None:
    api, article_id, body = offsets_world
    n = len(body)
    outcomes: list[int] = []
    saved: set[tuple[int, int]] = set()

    @settings(max_examples=150, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(triple=triples(body))
    @example(triple=(0, n, body))
    @example(triple=(n - 1, n, body[-1]))
    @example(triple=(n, n + 1, "x"))
    @example(triple=(-1, 2, body[-1:2]))
    @example(triple=(n - 2, n + 5, body[n - 2:]))
    def check(triple: tuple[Any, Any, Any]) -> None:
        start, end, quote = triple
        note(f"start={start} end={end} quote={quote!r}")
        boundaries = {0, *(m.end() for m in regex.finditer(r"\X", body))}
        valid = (0 <= start < end <= n and quote == body[start:end]
                 and start in boundaries and end in boundaries)
        before = _counts(app)
        response = api.post(f"/articles/{article_id}/assertions",
                            json={"start": start, "end": end, "quote": quote, "tag": "sourced"})
        after = _counts(app)
        outcomes.append(response.status_code)
        if valid and (start, end) in saved:
            # The same span and tag again: refused, pointing at the first.
            assert response.status_code == 409, response.get_data(as_text=True)
            assert after == before
        elif valid:
            assert response.status_code == 201, response.get_data(as_text=True)
            assert (response.json["start"], response.json["end"], response.json["quote"]) == \
                (start, end, quote)
            assert after == (before[0] + 1, before[1], before[2] + 1)
            saved.add((start, end))
        else:
            assert response.status_code == 422, response.get_data(as_text=True)
            assert response.json["error"]["field"] in ("start", "end", "quote")
            assert after == before, "a refused triple wrote rows"

    check()
    # The generator reached both sides of the property.
    assert outcomes.count(201) >= 10 and outcomes.count(422) >= 20, outcomes


@pytest.mark.parametrize("start, end", [
    (0, 2 ** 31),               # end past a 32-bit integer: PostgreSQL has no substr(text, int, bigint)
    (2 ** 31, 2 ** 31 + 1),
    (0, 2 ** 63),               # past a 64-bit integer: SQLite cannot bind it
    (2 ** 63, 2 ** 63 + 1),
    (2 ** 70, 2 ** 70 + 5),
], ids=["end-2^31", "start-2^31", "end-2^63", "start-2^63", "start-2^70"])
def test_huge_offsets_are_refused(app: Flask, offsets_world: tuple[ApiClient, int, str],
                                  start: int, end: int) -> None:
    """Offsets far past any body are a 422 on ``end``/``start``, never a database error."""
    api, article_id, _ = offsets_world
    before = _counts(app)
    response = api.post(f"/articles/{article_id}/assertions",
                        json={"start": start, "end": end, "quote": "x", "tag": "sourced"})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.json["error"]["field"] in ("start", "end")
    assert _counts(app) == before


# -- NUL characters: PostgreSQL cannot store them, SQLite's length() stops at them ---------------

NUL_CASES = {
    "article-title": ("supervisor", "POST", "/articles", {"title": "T\x00", "body": "Body.\n"}),
    "article-body": ("supervisor", "POST", "/articles", {"title": "T", "body": "ab\x00cd\n"}),
    "assertion-note": ("reviewer", "POST", "/articles/{article_id}/assertions",
                       {"start": 0, "end": 7, "quote": "Fuzzed ", "tag": "opinion",
                        "note": "a\x00b"}),
    "inline-evidence-title": ("reviewer", "POST", "/articles/{article_id}/assertions",
                              {"start": 0, "end": 7, "quote": "Fuzzed ", "tag": "opinion",
                               "evidence": [{"url": "https://example.org/", "title": "\x00"}]}),
    "patch-note": ("reviewer", "PATCH", "/assertions/{assertion_id}",
                   {"version": 1, "note": "\x00"}),
    "evidence-note": ("reviewer", "POST", "/assertions/{assertion_id}/evidence",
                      {"url": "https://example.org/", "note": "x\x00"}),
    "assign-reviewer": ("supervisor", "POST", "/articles/{article_id}/assignments",
                        {"reviewer": "ri\x00ta"}),
}


@pytest.mark.parametrize("case", NUL_CASES, ids=list(NUL_CASES))
def test_nul_in_stored_text_is_refused(app: Flask, factory: Factory, case: str) -> None:
    """A NUL in text meant for storage is a 422 with nothing written, on both databases (not a
    500 on PostgreSQL, nor a body whose offsets SQLite then counts wrong)."""
    role, method, path, payload = NUL_CASES[case]
    seeded = seed(factory, role)
    api = ApiClient(app.test_client(), seeded.tokens[role])
    before = _counts(app)
    response = getattr(api, method.lower())(path.format(**seeded.ids), json=payload)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert _counts(app) == before


@pytest.mark.parametrize("query", ["/articles?q=a%00b", "/audit?user=a%00b",
                                   "/audit?action=assertion%00"])
def test_nul_in_query_is_not_a_server_error(app: Flask, factory: Factory, query: str) -> None:
    seeded = seed(factory, "supervisor")
    response = ApiClient(app.test_client(), seeded.tokens["supervisor"]).get(query)
    assert response.status_code in (200, 422), response.get_data(as_text=True)
