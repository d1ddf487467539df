"""Every route in app.url_map, for every kind of caller, answers the status this table expects.

A route added without an entry here fails ``test_every_route_has_an_entry``. Rows a caller may
not see answer 404, never 403; 403 is for rows they see but may not change.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import ApiClient, PageClient

ROLES = ("anonymous", "reviewer", "other_reviewer", "supervisor", "admin")
BODY = "Prices doubled in 2024, the minister said."


@dataclass
class Scenario:
    article: int
    other_article: int
    assertion: int
    evidence: int
    token: int
    target_user: int


def expect(anonymous: int, reviewer: int, other: int, supervisor: int, admin: int) -> dict:
    return dict(zip(ROLES, (anonymous, reviewer, other, supervisor, admin)))


SPAN = {"start": 0, "end": 14, "quote": "Prices doubled", "tag": "sourced"}
# The span the matrix saves: not the scenario's own (the same span and tag twice is a 409).
NEW_SPAN = {"start": 28, "end": 36, "quote": "minister", "tag": "opinion"}

# (rule, method): (how to call it, expected status per role)
MATRIX: dict[tuple[str, str], tuple[dict[str, Any], dict[str, int]]] = {
    # Pages and forms
    ("/", "GET"): ({}, expect(302, 200, 200, 200, 200)),
    ("/articles", "GET"): ({}, expect(302, 200, 200, 200, 200)),
    ("/articles/<int:article_id>", "GET"): ({}, expect(302, 200, 404, 200, 200)),
    ("/articles/<int:article_id>/assertions", "POST"): (
        {"data": NEW_SPAN}, expect(302, 302, 404, 403, 403)),
    ("/assertions/<int:assertion_id>/edit", "POST"): (
        {"data": {"tag": "opinion", "note": "n", "version": 1}}, expect(302, 302, 404, 403, 403)),
    ("/assertions/<int:assertion_id>/delete", "POST"): ({}, expect(302, 302, 404, 403, 403)),
    ("/assertions/<int:assertion_id>/evidence", "POST"): (
        {"data": {"url": "https://example.org/e", "stance": "supports"}},
        expect(302, 302, 404, 403, 403)),
    ("/evidence/<int:evidence_id>/delete", "POST"): ({}, expect(302, 302, 404, 403, 403)),
    # Nothing of the scenario's was deleted: nothing to undo, 409 to whoever sees the row
    # (tests/test_undo.py undoes real deletes).
    ("/assertions/<int:assertion_id>/restore", "POST"): ({}, expect(302, 409, 404, 409, 409)),
    ("/evidence/<int:evidence_id>/restore", "POST"): ({}, expect(302, 409, 404, 409, 409)),
    ("/articles/<int:article_id>/assignments", "POST"): (
        {"data": {"reviewer": "omar"}}, expect(302, 403, 404, 302, 302)),
    # The version is not the current one: those who may edit get 409 (tests/test_metadata.py
    # covers the edit itself).
    ("/articles/<int:article_id>/metadata", "POST"): (
        {"data": {"title": "Renamed", "version": "stale"}}, expect(302, 403, 404, 409, 409)),
    ("/articles/<int:article_id>/submit", "POST"): (
        {"data": {"confirm": "yes", "count": 1}}, expect(302, 302, 404, 404, 404)),
    ("/vendor/<name>", "GET"): ({"name": "htmx.min.js"}, expect(200, 200, 200, 200, 200)),
    ("/static/<path:filename>", "GET"): (
        {"filename": "css/workbench.css"}, expect(200, 200, 200, 200, 200)),
    ("/login", "GET"): ({}, expect(200, 302, 302, 302, 302)),
    ("/login", "POST"): (
        {"data": {"username": "rita", "password": "wrong"}}, expect(401, 401, 401, 401, 401)),
    ("/logout", "POST"): ({}, expect(302, 302, 302, 302, 302)),
    ("/audit", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/audit/export.csv", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/audit/export.jsonl", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/admin/users", "GET"): ({}, expect(302, 404, 404, 404, 200)),
    ("/admin/users", "POST"): (
        {"data": {"username": "newbie", "role": "reviewer"}}, expect(302, 404, 404, 404, 200)),
    ("/admin/users/<int:user_id>/active", "POST"): (
        {"data": {"active": "0"}}, expect(302, 404, 404, 404, 302)),
    ("/tokens", "GET"): ({}, expect(302, 200, 200, 200, 200)),
    ("/tokens", "POST"): ({"data": {"label": "script"}}, expect(302, 200, 200, 200, 200)),
    ("/tokens/<int:token_id>/revoke", "POST"): (
        {"data": {"confirm": "yes"}}, expect(302, 302, 404, 404, 302)),
    ("/admin/settings", "GET"): ({}, expect(302, 404, 404, 404, 200)),
    ("/admin/settings", "POST"): (
        {"data": {"reveal_after_submit": "on"}}, expect(302, 404, 404, 404, 200)),
    # JSON API
    ("/api/v1/openapi.json", "GET"): ({}, expect(200, 200, 200, 200, 200)),
    ("/api/v1/articles", "POST"): (
        {"json": {"title": "New", "body": "A new text."}}, expect(401, 403, 403, 201, 201)),
    ("/api/v1/articles", "GET"): ({}, expect(401, 200, 200, 200, 200)),
    ("/api/v1/articles/<int:article_id>", "GET"): ({}, expect(401, 200, 404, 200, 200)),
    ("/api/v1/articles/<int:article_id>", "PATCH"): (
        {"json": {"title": "Renamed", "version": "stale"}}, expect(401, 403, 404, 409, 409)),
    ("/api/v1/articles/<int:article_id>/assertions", "POST"): (
        {"json": NEW_SPAN}, expect(401, 201, 404, 403, 403)),
    ("/api/v1/articles/<int:article_id>/assertions", "GET"): (
        {}, expect(401, 200, 404, 200, 200)),
    ("/api/v1/assertions/<int:assertion_id>", "GET"): ({}, expect(401, 200, 404, 200, 200)),
    ("/api/v1/assertions/<int:assertion_id>", "PATCH"): (
        {"json": {"tag": "opinion", "version": 1}}, expect(401, 200, 404, 403, 403)),
    ("/api/v1/assertions/<int:assertion_id>", "DELETE"): ({}, expect(401, 204, 404, 403, 403)),
    ("/api/v1/assertions/<int:assertion_id>/evidence", "POST"): (
        {"json": {"url": "https://example.org/e"}}, expect(401, 201, 404, 403, 403)),
    ("/api/v1/evidence/<int:evidence_id>", "DELETE"): ({}, expect(401, 204, 404, 403, 403)),
    ("/api/v1/assertions/<int:assertion_id>/restore", "POST"): (
        {}, expect(401, 409, 404, 409, 409)),
    ("/api/v1/evidence/<int:evidence_id>/restore", "POST"): ({}, expect(401, 409, 404, 409, 409)),
    ("/api/v1/articles/<int:article_id>/assignments", "POST"): (
        {"json": {"reviewer": "omar"}}, expect(401, 403, 404, 201, 201)),
    ("/api/v1/articles/<int:article_id>/assignments", "GET"): (
        {}, expect(401, 403, 404, 200, 200)),
    ("/api/v1/articles/<int:article_id>/submit", "POST"): ({}, expect(401, 200, 404, 404, 404)),
    ("/api/v1/audit", "GET"): ({}, expect(401, 404, 404, 200, 200)),
    ("/api/v1/tokens", "GET"): ({}, expect(401, 200, 200, 200, 200)),
    ("/api/v1/tokens/<int:token_id>", "DELETE"): ({}, expect(401, 204, 404, 404, 204)),
    # Work for many, queues and progress
    ("/assignments", "POST"): (
        {"data": {"article": "<article>", "reviewer": "omar", "per_article": "1"}},
        expect(302, 404, 404, 200, 200)),
    ("/articles/<int:article_id>/assignments/<reviewer>/unassign", "POST"): (
        {"data": {"reason": "Out sick"}}, expect(302, 403, 404, 302, 302)),
    ("/articles/<int:article_id>/assignments/<reviewer>/reopen", "POST"): (
        {"data": {"reason": "Missed a claim"}}, expect(302, 403, 404, 409, 409)),
    ("/queue", "GET"): ({}, expect(302, 200, 200, 200, 200)),
    ("/api/v1/assignments", "POST"): (
        {"json": {"articles": ["<article>"], "reviewers": ["omar"], "per_article": 1}},
        expect(401, 404, 404, 201, 201)),
    ("/api/v1/articles/<int:article_id>/assignments/<reviewer>/unassign", "POST"): (
        {"json": {"reason": "Out sick"}}, expect(401, 403, 404, 204, 204)),
    ("/api/v1/articles/<int:article_id>/assignments/<reviewer>/reopen", "POST"): (
        {"json": {"reason": "Missed a claim"}}, expect(401, 403, 404, 409, 409)),
    ("/api/v1/queue", "GET"): ({}, expect(401, 200, 200, 200, 200)),
    ("/api/v1/progress", "GET"): ({}, expect(401, 404, 404, 200, 200)),
    # Adjudication
    ("/articles/<int:article_id>/consensus", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/articles/<int:article_id>/consensus", "POST"): (
        {"data": {"action": "new", "start": "0", "end": "14", "quote": "Prices doubled",
                  "tag": "sourced", "reason": "Missed"}}, expect(302, 404, 404, 302, 302)),
    ("/api/v1/articles/<int:article_id>/consensus", "GET"): (
        {}, expect(401, 404, 404, 200, 200)),
    ("/api/v1/articles/<int:article_id>/consensus", "POST"): (
        {"json": {"action": "new", "start": 0, "end": 14, "quote": "Prices doubled",
                  "tag": "sourced", "reason": "Missed"}}, expect(401, 404, 404, 201, 201)),
    # Verdicts and reports
    ("/articles/<int:article_id>/report", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/articles/<int:article_id>/verdict", "POST"): (
        {"data": {"rating": "well sourced", "summary": "Fine."}}, expect(302, 404, 404, 302, 302)),
    ("/assertions/<int:assertion_id>/rating", "POST"): (
        {"data": {"rating": "accurate"}}, expect(302, 404, 404, 302, 302)),
    ("/r/<slug>", "GET"): ({"slug": "not-published"}, expect(404, 404, 404, 404, 404)),
    ("/r/<slug>.pdf", "GET"): ({"slug": "not-published"}, expect(404, 404, 404, 404, 404)),
    ("/articles/<int:article_id>/report.pdf", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/reports", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/articles/new", "GET"): ({}, expect(302, 403, 403, 200, 200)),
    ("/admin/import", "GET"): ({}, expect(302, 404, 404, 404, 200)),
    ("/admin/import", "POST"): ({"data": {}}, expect(302, 404, 404, 404, 422)),
    ("/articles/new", "POST"): (
        {"data": {"title": "New one", "body": "A brand new text.", "action": "save"}},
        expect(302, 403, 403, 302, 302)),
    ("/reports/export.csv", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/reports/export.xlsx", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/reports/report.pdf", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/api/v1/articles/<int:article_id>/verdict", "PUT"): (
        {"json": {"rating": "well sourced"}}, expect(401, 404, 404, 200, 200)),
    ("/api/v1/articles/<int:article_id>/verdict", "GET"): ({}, expect(401, 404, 404, 404, 404)),
    ("/api/v1/assertions/<int:assertion_id>/rating", "PUT"): (
        {"json": {"rating": "accurate"}}, expect(401, 404, 404, 200, 200)),
    ("/api/v1/assertions/<int:assertion_id>/rating", "GET"): (
        {}, expect(401, 404, 404, 404, 404)),
    # Agreement (supervisors and admins only; 404 for everyone else)
    ("/agreement", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/articles/<int:article_id>/agreement", "GET"): ({}, expect(302, 404, 404, 200, 200)),
    ("/api/v1/agreement", "GET"): ({}, expect(401, 404, 404, 200, 200)),
    ("/api/v1/articles/<int:article_id>/agreement", "GET"): (
        {}, expect(401, 404, 404, 200, 200)),
    # Exports: `fill` leaves <format> as it is, an unknown format, so a supervisor gets 404 too
    # (tests/test_exchange_io.py covers the real formats).
    ("/api/v1/export/<format>", "GET"): ({}, expect(401, 404, 404, 404, 404)),
    ("/api/v1/articles/<int:article_id>/export/<format>", "GET"): (
        {}, expect(401, 404, 404, 404, 404)),
}

USERNAMES = {"reviewer": ("rita", "reviewer"), "other_reviewer": ("omar", "reviewer"),
             "supervisor": ("sue", "supervisor"), "admin": ("ada", "admin")}


def app_rules(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.rule, method


def test_every_route_has_an_entry(app):
    missing = [key for key in app_rules(app) if key not in MATRIX]
    assert not missing, f"routes without an expected status per role: {missing}"
    stale = [key for key in MATRIX if key not in set(app_rules(app))]
    assert not stale, f"entries for routes that no longer exist: {stale}"


@pytest.fixture
def scenario(factory) -> Scenario:
    users = {role: factory.user(name, kind) for role, (name, kind) in USERNAMES.items()}
    article = factory.article(body=BODY, title="Matrix")
    other_article = factory.article(body="Another text entirely.", title="Other")
    factory.assign(article, "rita", "sue")
    factory.assign(other_article, "omar", "sue")
    rita_api = ApiClient(factory.app.test_client(), factory.token("rita"))
    created = rita_api.post(f"/articles/{article}/assertions", json={
        **SPAN, "evidence": [{"url": "https://example.org/source"}]}).json
    from sqlalchemy import select

    from workbench.db import db
    from workbench.models import ApiToken

    spare = factory.token("rita")  # a second token of rita's, the one revoked by the matrix
    with factory.app.app_context():
        token_id = db.session.scalar(select(ApiToken.id).order_by(ApiToken.id.desc()))
    assert spare
    return Scenario(article=article, other_article=other_article, assertion=created["id"],
                    evidence=created["evidence"][0]["id"], token=token_id,
                    target_user=users["other_reviewer"].id)


def resolve(value: Any, scenario: Scenario) -> Any:
    """A call's body with "<article>" standing for the scenario's article id."""
    if value == "<article>":
        return scenario.article
    if isinstance(value, list):
        return [resolve(v, scenario) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, scenario) for k, v in value.items()}
    return value


def fill(rule: str, scenario: Scenario, call: dict[str, Any]) -> str:
    values = {"article_id": scenario.article, "assertion_id": scenario.assertion,
              "reviewer": "rita",
              "evidence_id": scenario.evidence, "token_id": scenario.token,
              "user_id": scenario.target_user, "name": call.get("name"),
              "filename": call.get("filename"), "slug": call.get("slug")}
    path = rule
    for key, value in values.items():
        for converter in ("int:", "path:", ""):
            path = path.replace(f"<{converter}{key}>", str(value))
    return path


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule, method", sorted(MATRIX))
def test_status_for_role(app, factory, scenario, rule, method, role):
    call, expected = MATRIX[(rule, method)]
    path = fill(rule, scenario, call)
    if rule.startswith("/api/"):
        token = factory.token(USERNAMES[role][0]) if role != "anonymous" else None
        client = ApiClient(app.test_client(), token)
        relative = path.removeprefix("/api/v1")
        kwargs = {"json": resolve(call["json"], scenario)} if "json" in call else {}
        response = getattr(client, method.lower())(relative, **kwargs)
    else:
        page = PageClient(app.test_client())
        if role == "anonymous":
            page.refresh_csrf("/login")
        else:
            assert page.login(USERNAMES[role][0]).status_code == 302
            page.refresh_csrf("/tokens")
        if method == "GET":
            response = page.get(path)
        else:
            response = page.post(path, resolve(call.get("data", {}), scenario))
    response.close()
    assert response.status_code == expected[role], (
        f"{method} {path} as {role}: {response.status_code}, expected {expected[role]}\n"
        f"{response.get_data(as_text=True)[:300]}")


# -- The matrix and the policy agree ---------------------------------------------------------------

def test_pages_guarded_by_a_project_right_answer_as_the_policy_says(app):
    """Every page behind ``@requires(right)`` answers, for each role, what ``project_access``
    grants: let in for those it grants, the policy's refusal for the others (302 to log in,
    anonymously)."""
    from types import SimpleNamespace

    from workbench.services.policy import VISIBLE_PROJECT_RIGHTS, project_access

    guarded = {}
    for rule in app.url_map.iter_rules():
        right = getattr(app.view_functions[rule.endpoint], "required_right", None)
        if right is not None:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                guarded[(rule.rule, method)] = right
    assert guarded, "no page declares a right"
    for key, right in guarded.items():
        _, expected = MATRIX[key]
        assert expected["anonymous"] == 302, key
        for role, (_, kind) in USERNAMES.items():
            granted = getattr(project_access(SimpleNamespace(role=kind)), right)
            if granted:  # let in (the request itself may still be refused, e.g. 422)
                assert expected[role] not in (403, 404), (key, role, right)
            else:  # 403 where the caller sees what they may not add to, else 404
                refusal = 403 if right in VISIBLE_PROJECT_RIGHTS else 404
                assert expected[role] == refusal, (key, role, right)


# -- CSRF: every state-changing page route refuses a post without the right token ----------------

def _state_changing_page_routes(app):
    return sorted((rule, method) for rule, method in app_rules(app)
                  if method != "GET" and not rule.startswith("/api/"))


def _everything(app):
    from sqlalchemy import select

    from workbench.db import db
    from workbench.models import (ApiToken, Article, Assertion, Assignment, AuditEvent, Evidence,
                                  Setting, User)

    with app.app_context(), db.transaction() as s:
        return {m.__tablename__: sorted(tuple(str(v) for v in row)
                                        for row in s.execute(select(m.__table__)))
                for m in (ApiToken, Article, Assertion, Assignment, AuditEvent, Evidence,
                          Setting, User)}


def test_the_csrf_check_covers_every_page_form(app):
    assert len(_state_changing_page_routes(app)) >= 10


@pytest.mark.parametrize("token", ["missing", "wrong"])
@pytest.mark.parametrize("rule, method", [
    key for key in sorted(MATRIX) if key[1] != "GET" and not key[0].startswith("/api/")])
def test_page_forms_without_the_csrf_token_are_400_and_write_nothing(
        app, factory, scenario, rule, method, token):
    call, expected = MATRIX[(rule, method)]
    # The caller for whom the form works, so only the token can be the reason it is refused.
    role = next((r for r in ("reviewer", "supervisor", "admin") if expected[r] < 400),
                "reviewer")
    page = PageClient(app.test_client())
    assert page.login(USERNAMES[role][0]).status_code == 302
    page.refresh_csrf("/tokens")
    before = _everything(app)
    data = dict(resolve(call.get("data", {}), scenario))
    if token == "wrong":
        data["csrf_token"] = "IjAwMDAi.wrong.token"
    response = page.post(fill(rule, scenario, call), data, csrf=token == "wrong")
    assert response.status_code == 400, (rule, response.status_code)
    after = _everything(app)
    # A login attempt records nothing either; the login post itself logs no one in.
    assert after == before
