"""The ``workbench`` command: a Flask command group with the project's own commands."""
from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from .config import PROJECT_ROOT
from .db import db
from .models import ROLES, Article, Assignment, Role, User
from .services import users as users_service
from .services.errors import WorkbenchError
from .text import content_hash, parse_seed_text

DEMO_ACCOUNTS = [("reviewer", Role.reviewer), ("reviewer2", Role.reviewer),
                 ("supervisor", Role.supervisor), ("admin", Role.admin)]


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main() -> None:
    """Fact-check annotation workbench."""


def register_commands(app: Flask) -> None:
    for command in (db_group, seed, users_group, tokens_group):
        app.cli.add_command(command)
    from .cli_exchange import register_exchange_commands  # export and import
    register_exchange_commands(app)


def _fail(error: WorkbenchError) -> None:
    raise click.ClickException(error.message)


# -- db -----------------------------------------------------------------------------------------

@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply the migrations up to REVISION (default: head)."""
    from .migrate import upgrade

    url = current_app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    upgrade(url, revision)
    click.echo(f"Database is at {revision} ({db.engine.url.render_as_string(hide_password=True)}).")


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Fail if the models and the migrated schema differ."""
    from .migrate import check

    check(current_app.config["DATABASE_URL"])
    click.echo("Models and migrations agree.")


# -- seed ---------------------------------------------------------------------------------------

@click.command("seed")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=PROJECT_ROOT / "seeds", show_default=True)
@click.option("--demo/--no-demo", default=False,
              help="Also create the demo accounts and assign every article to both reviewers.")
@with_appcontext
def seed(directory: Path, demo: bool) -> None:
    """Load every text file in the seeds folder (idempotent, by content hash). A file
    ``NAME.title`` beside ``NAME.txt`` gives that article's title."""
    from .services.articles import create_article

    files = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix in (".txt", ".md"))
    loaded = skipped = 0
    with db.transaction() as session:
        for index, path in enumerate(files, start=1):
            parsed = parse_seed_text(path.read_text(encoding="utf-8"))
            sidecar = path.with_suffix(".title")  # an editor's title beats the derived one
            if sidecar.is_file() and (title := sidecar.read_text(encoding="utf-8").strip()):
                parsed = dataclasses.replace(parsed, title=" ".join(title.split()))
            label = f"[{index}/{len(files)}] {path.name}"
            if session.scalar(select(Article.id).where(
                    Article.content_hash == content_hash(parsed.body))) is not None:
                skipped += 1
                click.echo(f"{label}: already loaded")
                continue
            article = create_article(session, title=parsed.title, body=parsed.body, actor=None,
                                     language="en")
            loaded += 1
            click.echo(f"{label}: loaded as article {article.id}, “{parsed.title[:70]}” "
                       f"({len(parsed.body)} characters)")
    click.echo(f"Seeds: {loaded} loaded, {skipped} already there, {len(files)} files.")
    if demo:
        _demo_accounts()


def _demo_accounts() -> None:
    """Create the demo users once, printing their passwords that one time."""
    created: list[tuple[str, str, str]] = []
    with db.transaction() as session:
        for name, role in DEMO_ACCOUNTS:
            if session.scalar(select(User.id).where(User.username == name)) is None:
                password = users_service.generate_password()
                users_service.create_user(session, name, role.value, password)
                created.append((name, role.value, password))
        reviewers = list(session.scalars(select(User).where(
            User.username.in_(["reviewer", "reviewer2"]))))
        supervisor = session.scalar(select(User).where(User.username == "supervisor"))
        from .services.assignments import assign

        for article_id in session.scalars(select(Article.id)):
            for reviewer in reviewers:
                if session.scalar(select(Assignment.id).where(
                        Assignment.article_id == article_id,
                        Assignment.reviewer_id == reviewer.id)) is None:
                    assign(session, supervisor, article_id, reviewer.username)
        from .services.demo_work import annotate_demo

        reviews = annotate_demo(session)
    if reviews:
        click.echo(f"Demo reviews annotated and submitted: {reviews}.")
    if created:
        click.echo("\nDemo accounts (passwords are shown only now; keep them):")
        for name, role, password in created:
            click.echo(f"  {name:<11} {role:<11} {password}")
        click.echo("")
    else:
        click.echo("Demo accounts already exist; their passwords were printed when they were "
                   "created (reset one with: workbench users set-password NAME).")


# -- users --------------------------------------------------------------------------------------

@click.group("users")
def users_group() -> None:
    """Accounts."""


def _read_password(password_stdin: bool) -> tuple[str, bool]:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        return password, False
    return users_service.generate_password(), True


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Create a user; the password is read from stdin or generated and printed."""
    password, generated = _read_password(password_stdin)
    try:
        with db.transaction() as session:
            users_service.create_user(session, name, role, password)
    except WorkbenchError as error:
        _fail(error)
    click.echo(f"Created {role} {name}.")
    if generated:
        click.echo(f"Password (shown once): {password}")


@users_group.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def users_set_password(name: str, password_stdin: bool) -> None:
    """Set a new password (ends the user's sessions)."""
    password, generated = _read_password(password_stdin)
    try:
        with db.transaction() as session:
            users_service.set_password(session, users_service.get_user_by_name(session, name),
                                       password)
    except WorkbenchError as error:
        _fail(error)
    click.echo(f"Password of {name} changed.")
    if generated:
        click.echo(f"Password (shown once): {password}")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List the accounts."""
    with db.transaction() as session:
        for user in session.scalars(select(User).order_by(User.username)):
            state = "" if user.active else " (inactive)"
            click.echo(f"{user.username:<24} {user.role}{state}")


# -- tokens -------------------------------------------------------------------------------------

@click.group("tokens")
def tokens_group() -> None:
    """API tokens."""


@tokens_group.command("create")
@click.argument("name")
@click.option("--label", default="", help="What the token is for.")
@with_appcontext
def tokens_create(name: str, label: str) -> None:
    """Create an API token for user NAME; the token is printed once, as the last line."""
    try:
        with db.transaction() as session:
            user = users_service.get_user_by_name(session, name)
            token, secret = users_service.create_token(session, user, label)
    except WorkbenchError as error:
        _fail(error)
    click.echo(f"Token {token.prefix}… created for {name}. It is shown only now:", err=True)
    click.echo(secret)
