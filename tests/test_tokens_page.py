"""The API tokens page: revoking asks first (two posts, no JavaScript needed)."""
from __future__ import annotations

import re

from sqlalchemy import select

from workbench.db import db
from workbench.models import ApiToken


def token_ids(app):
    with app.app_context(), db.transaction() as s:
        return {t.id: t.revoked_at is not None for t in s.scalars(select(ApiToken))}


def test_revoking_a_token_asks_first_and_then_revokes(app, page_as, factory):
    rita = page_as("rita")
    rita.refresh_csrf("/tokens")
    assert rita.post("/tokens", {"label": "import script"}).status_code == 200
    (token_id,) = token_ids(app)
    events = factory.audited("token.revoke")
    first = rita.post(f"/tokens/{token_id}/revoke")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert "Revoke “import script”?" in html and "cannot be undone" in html
    assert re.search(r'name="confirm" value="yes"', html)
    assert f'href="/tokens">Keep it</a>' in html
    assert token_ids(app) == {token_id: False} and factory.audited("token.revoke") == events
    second = rita.post(f"/tokens/{token_id}/revoke", {"confirm": "yes"})
    assert second.status_code == 302
    assert token_ids(app) == {token_id: True} and factory.audited("token.revoke") == events + 1
    assert "revoked " in rita.get("/tokens").get_data(as_text=True)


def test_the_confirmation_is_only_for_a_token_the_caller_manages(app, page_as, factory):
    factory.user("omar")
    factory.token("omar")
    (token_id,) = token_ids(app)
    rita = page_as("rita")
    rita.refresh_csrf("/tokens")
    assert rita.post(f"/tokens/{token_id}/revoke").status_code == 404
    assert rita.post(f"/tokens/{token_id}/revoke", {"confirm": "yes"}).status_code == 404
    assert token_ids(app) == {token_id: False}
