"""The `workbench` command group: migrations, seeds, users and tokens."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from workbench.db import db
from workbench.models import ApiToken, Article, Assignment, User
from workbench.services.users import user_for_token

SEEDS = Path(__file__).parent.parent / "seeds"


def test_seed_loads_every_file_once_and_strips_boilerplate(app, factory):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    files = len([p for p in SEEDS.iterdir() if p.suffix == ".txt"])
    assert f"Seeds: {files} loaded, 0 already there" in first.output
    second = runner.invoke(args=["seed"])
    assert f"Seeds: 0 loaded, {files} already there" in second.output
    assert factory.count(Article) == files
    with app.app_context():
        articles = list(db.session.scalars(select(Article).order_by(Article.id)))
        for article in articles:
            for junk in ("[ad_1]", "[ad_2]", "Source link", "Share This"):
                assert junk not in article.body
            assert not article.body.startswith(article.title)
        assert articles[0].title == "Mali gets Chinese military support, a hard blow to Algerian regime"


def test_seed_takes_a_title_from_a_sidecar_file(app, factory, tmp_path):
    (tmp_path / "a.txt").write_text("this MaliFacing a threat, Mali acts. " * 10 + "\n")
    (tmp_path / "b.txt").write_text("Headline\n\nThe body of b.\n")
    (tmp_path / "b.title").write_text("  An editor's\ntitle  \n")
    result = app.test_cli_runner().invoke(args=["seed", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Seeds: 2 loaded" in result.output  # the .title file is not an article
    with app.app_context():
        titles = list(db.session.scalars(select(Article.title).order_by(Article.id)))
    assert titles[0].startswith("Facing a threat, Mali acts.")
    assert titles[1] == "An editor's title"


def test_seed_demo_creates_accounts_once_and_assigns_reviewers(app, factory):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    for name in ("reviewer", "reviewer2", "supervisor", "admin"):
        assert f"  {name} " in result.output
    again = runner.invoke(args=["seed", "--demo"])
    assert "Demo accounts already exist" in again.output
    assert factory.count(User) == 4
    assert factory.count(Assignment) == 2 * factory.count(Article)


def test_users_add_with_password_from_stdin(app, factory):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "add", "nadia", "--role", "supervisor",
                                 "--password-stdin"], input="a long password\n")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    from tests.conftest import PageClient

    client = PageClient(app.test_client())
    assert client.login("nadia", "a long password").status_code == 302


def test_users_add_generates_and_prints_a_password(app):
    result = app.test_cli_runner().invoke(args=["users", "add", "omar", "--role", "reviewer"])
    assert result.exit_code == 0
    assert "Password (shown once): " in result.output


def test_users_add_refuses_bad_role_and_duplicates(app, factory):
    runner = app.test_cli_runner()
    bad_role = runner.invoke(args=["users", "add", "x1", "--role", "boss"])
    assert bad_role.exit_code != 0
    runner.invoke(args=["users", "add", "dup", "--role", "reviewer"])
    duplicate = runner.invoke(args=["users", "add", "dup", "--role", "reviewer"])
    assert duplicate.exit_code != 0
    assert "already exists" in duplicate.output
    assert factory.count(User) == 1


def test_tokens_create_prints_the_token_last(app, factory):
    factory.user("rita")
    result = app.test_cli_runner().invoke(args=["tokens", "create", "rita"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    with app.app_context():
        assert user_for_token(db.session, token).username == "rita"
        stored = db.session.scalar(select(ApiToken.token_hash))
    assert token not in stored  # only a digest is kept
    response = app.test_client().get("/api/v1/articles",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_tokens_create_for_unknown_user_fails(app):
    result = app.test_cli_runner().invoke(args=["tokens", "create", "ghost"])
    assert result.exit_code != 0
    assert "No user named 'ghost'" in result.output
