"""The OpenAPI document describes every API route, and real responses match it."""
from __future__ import annotations

import re

import jsonschema
import pytest
from openapi_spec_validator import validate

from workbench.api.openapi import build_document


def flask_rule_to_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_document_is_public_and_valid_openapi(app):
    response = app.test_client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate(response.json)


def test_every_api_route_is_documented(app):
    paths = build_document()["paths"]
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = flask_rule_to_path(rule.rule)
        assert path in paths, f"{rule.rule} is not in the OpenAPI document"
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], f"{method} {rule.rule} is not documented"


def response_schema(path: str, method: str, status: int) -> dict:
    document = build_document()
    operation = document["paths"][path][method]
    content = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    return {**content, "components": document["components"]}


def assert_matches(response, path, method):
    schema = response_schema(path, method, response.status_code)
    jsonschema.Draft202012Validator(schema).validate(response.json)


@pytest.fixture
def reviewer(api_as, factory):
    api = api_as("rita")
    api.article_id = factory.article(body="Prices doubled 😀 in 2024.", title="T")
    factory.assign(api.article_id, "rita")
    return api


def test_responses_match_their_schemas(reviewer):
    api = reviewer
    created = api.post(f"/articles/{api.article_id}/assertions",
                       json={"start": 0, "end": 14, "quote": "Prices doubled", "tag": "sourced",
                             "evidence": [{"url": "https://example.org"}]})
    assert created.status_code == 201
    assert_matches(created, "/api/v1/articles/{article_id}/assertions", "post")
    listed = api.get(f"/articles/{api.article_id}/assertions")
    assert_matches(listed, "/api/v1/articles/{article_id}/assertions", "get")
    assert_matches(api.get("/articles"), "/api/v1/articles", "get")
    assert_matches(api.get(f"/articles/{api.article_id}"), "/api/v1/articles/{article_id}", "get")
    stale = api.patch(f"/assertions/{created.json['id']}", json={"version": 9, "note": "x"})
    assert stale.status_code == 409
    assert_matches(stale, "/api/v1/assertions/{assertion_id}", "patch")
    bad = api.post(f"/articles/{api.article_id}/assertions", json={})
    assert_matches(bad, "/api/v1/articles/{article_id}/assertions", "post")
