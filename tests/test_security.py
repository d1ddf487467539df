"""Sessions, CSRF, headers, escaping, rate limits and the secret key."""
from __future__ import annotations

import pytest

from tests.conftest import PageClient
from workbench import create_app
from workbench.db import db
from workbench.models import Assertion, Evidence

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def article_id(factory):
    return factory.article(body="Prices doubled in 2024.", title="Prices")


def test_page_post_without_csrf_token_is_400_and_writes_nothing(page_as, factory, article_id):
    rita = page_as("rita")
    factory.assign(article_id, "rita")
    response = rita.post(f"/articles/{article_id}/assertions",
                         {"start": 0, "end": 6, "quote": "Prices", "tag": "sourced"}, csrf=False)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    assert factory.count(Assertion) == 0


def test_csrf_token_in_the_htmx_header_is_accepted(page_as, factory, article_id):
    rita = page_as("rita")
    factory.assign(article_id, "rita")
    response = rita.client.post(f"/articles/{article_id}/assertions",
                                data={"start": 0, "end": 6, "quote": "Prices", "tag": "sourced"},
                                headers={"HX-Request": "true", "X-CSRFToken": rita.csrf})
    assert response.status_code == 200
    assert factory.count(Assertion) == 1


def test_login_without_csrf_is_refused(app, factory):
    factory.user("rita")
    response = app.test_client().post("/login", data={"username": "rita",
                                                      "password": "correct horse battery"})
    assert response.status_code == 400


def test_bearer_api_needs_no_csrf_but_needs_auth(app, api_as, factory, article_id):
    api = api_as("rita")
    factory.assign(article_id, "rita")
    ok = api.post(f"/articles/{article_id}/assertions",
                  json={"start": 0, "end": 6, "quote": "Prices", "tag": "sourced"})
    assert ok.status_code == 201
    anonymous = app.test_client().post(f"/api/v1/articles/{article_id}/assertions",
                                       json={"start": 0, "end": 6, "quote": "Prices",
                                             "tag": "sourced"})
    assert anonymous.status_code == 401
    assert factory.count(Assertion) == 1


@pytest.mark.parametrize("path", ["/login", "/api/v1/openapi.json", "/articles"])
def test_security_headers(app, path):
    response = app.test_client().get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(page_as, factory, article_id):
    boss = page_as("sue", "supervisor")
    for path in ("/articles", f"/articles/{article_id}", "/audit", "/tokens"):
        html = boss.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html


def test_session_cookie_is_httponly_and_samesite(app, factory):
    factory.user("rita")
    client = PageClient(app.test_client())
    response = client.login("rita")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session_even_for_a_copied_cookie(app, factory):
    factory.user("rita")
    client = PageClient(app.test_client())
    client.login("rita")
    stolen = client.client.get_cookie("session").value
    assert client.get("/articles").status_code == 200
    client.refresh_csrf("/articles")
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/articles").status_code == 302  # back to the login page


def test_user_typed_text_is_escaped_everywhere(app, page_as, api_as, factory):
    boss_api = api_as("sue", "supervisor")
    created = boss_api.post("/articles", json={"title": XSS, "body": f"Body {XSS} end.",
                                               "publisher": XSS})
    article_id = created.json["id"]
    factory.user("evil_name")
    factory.assign(article_id, "evil_name", "sue")
    api = api_as("rita")
    factory.assign(article_id, "rita", "sue")
    body = created.json["body"]
    start = body.index("<script>")
    response = api.post(f"/articles/{article_id}/assertions", json={
        "start": start, "end": start + 8, "quote": "<script>", "tag": "opinion", "note": XSS,
        "evidence": [{"url": "https://example.org/?q=<b>", "title": XSS, "note": XSS}]})
    assert response.status_code == 201
    boss = page_as("sue", create=False)
    for path in ("/articles", f"/articles/{article_id}", "/audit"):
        html = boss.get(path).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
    assert "&lt;script&gt;" in boss.get(f"/articles/{article_id}").get_data(as_text=True)


def test_login_attempts_are_rate_limited(app_factory, factory):
    app = app_factory(LOGIN_RATE_LIMIT="3 per minute")
    factory.user("rita")
    client = PageClient(app.test_client())
    client.refresh_csrf("/login")
    statuses = [client.client.post("/login", data={"username": "rita", "password": "nope",
                                                   "csrf_token": client.csrf}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]


def redis_available() -> bool:
    try:
        import redis

        with redis.Redis.from_url("redis://127.0.0.1:6379/0",
                                  socket_connect_timeout=1) as connection:
            return bool(connection.ping())
    except Exception:
        return False


@pytest.mark.skipif(not redis_available(), reason="no Redis on 127.0.0.1:6379")
def test_two_app_servers_share_the_login_limit_through_redis(app_factory, factory):
    import redis
    import secrets

    namespace = f"test-{secrets.token_hex(4)}"
    config = {"LOGIN_RATE_LIMIT": "2 per minute", "REDIS_URL": "redis://127.0.0.1:6379/0",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
              "RATELIMIT_KEY_PREFIX": namespace}
    first, second = app_factory(**config), app_factory(**config)
    factory.user("rita")
    statuses = []
    for app in (first, second, second):
        client = PageClient(app.test_client())
        client.refresh_csrf("/login")
        statuses.append(client.client.post("/login", data={
            "username": "rita", "password": "nope", "csrf_token": client.csrf}).status_code)
    assert statuses == [401, 401, 429]
    with redis.Redis.from_url("redis://127.0.0.1:6379/0") as connection:
        for key in connection.scan_iter(f"*{namespace}*"):
            connection.delete(key)
    for app in (first, second):
        app.extensions["workbench_limiter"].storage.storage.connection_pool.disconnect()


def test_refuses_to_start_in_production_without_secret_key(monkeypatch, database_url):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production", "DATABASE_URL": database_url})
    app = create_app({"ENV_NAME": "production", "DATABASE_URL": database_url,
                      "SECRET_KEY": "given-by-the-operator"})
    assert app.secret_key == "given-by-the-operator"
    db.dispose(app)


@pytest.mark.parametrize("raw", ["x", "-1", "9", "١", "1.0", " 1", "99999999999999999999"])
def test_a_bad_trusted_proxies_setting_stops_the_start_with_its_name(monkeypatch, raw):
    monkeypatch.setenv("TRUSTED_PROXIES", raw)
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES must be a number of proxies"):
        create_app({"ENV_NAME": "test"})


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(app_factory):
    """Only as many X-Forwarded-For hops as proxies are believed: a forged first hop is not."""
    from flask import request

    seen = []
    for proxies in (0, 1):
        app = app_factory(TRUSTED_PROXIES=proxies)
        app.add_url_rule("/_remote_address", "remote", lambda: request.remote_addr or "")
        answer = app.test_client().get("/_remote_address", headers={
            "X-Forwarded-For": "203.0.113.9, 198.51.100.7"}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        seen.append(answer.get_data(as_text=True))
    assert seen == ["127.0.0.1", "198.51.100.7"]


def test_server_never_fetches_evidence_urls(api_as, factory, article_id, monkeypatch):
    import socket

    def no_network(*args, **kwargs):
        raise AssertionError("the server tried to open a network connection")

    api = api_as("rita")
    factory.assign(article_id, "rita")
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    response = api.post(f"/articles/{article_id}/assertions", json={
        "start": 0, "end": 6, "quote": "Prices", "tag": "sourced",
        "evidence": [{"url": "http://127.0.0.1:9/never"}]})
    assert response.status_code == 201
    assert factory.count(Evidence) == 1


def test_nul_characters_are_refused_in_forms_and_queries(page_as, api_as, factory, article_id):
    rita = page_as("rita")
    factory.assign(article_id, "rita")
    rita.refresh_csrf(f"/articles/{article_id}")
    response = rita.post(f"/articles/{article_id}/assertions",
                         {"start": 0, "end": 6, "quote": "Prices", "tag": "sourced",
                          "note": "bad\x00note"})
    assert response.status_code == 422
    assert "NUL characters are not allowed." in response.get_data(as_text=True)
    assert factory.count(Assertion) == 0
    api = api_as("sue", "supervisor")
    refused = api.get("/articles?q=a%00b")
    assert refused.status_code == 422 and refused.json["error"]["field"] == "q"
