"""``workbench export`` and ``workbench import``: thin commands over the exchange services."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import click
from flask import Flask
from flask.cli import with_appcontext

from .db import db
from .exchange.doccano import UNITS
from .services import articles as articles_service
from .services import exchange as exchange_service
from .services import imports as imports_service
from .services.errors import WorkbenchError
from .services.imports import ImportFailed
from .values import ValueProblem, parse_int

# How often the export counter on stderr is refreshed, in lines written.
_COUNTER_EVERY = 10_000


@click.command("export")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(exchange_service.FORMATS))
@click.option("--article", "article", default=None, help="Export only this article (its id).")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              default=None, help="Write to FILE instead of standard output.")
@click.option("--unit", type=click.Choice(UNITS), default="utf16", show_default=True,
              help="doccano offsets: UTF-16 units (a default doccano project), code points, "
                   "or graphemes (a project in grapheme mode).")
@click.option("--base-url", default=exchange_service.DEFAULT_BASE_URL, show_default=True,
              help="Base of the IRIs in W3C exports.")
@with_appcontext
def export_command(fmt: str, article: str | None, out: Path | None, unit: str,
                   base_url: str) -> None:
    """Export the project (or one article) as FORMAT, streamed."""
    try:
        article_id = None if article is None else parse_int(article, "--article", minimum=1)
    except ValueProblem as problem:
        raise click.BadParameter(problem.message, param_hint="--article") from None
    session = db.session
    try:
        chunks = exchange_service.export_lines(session, fmt, article_id=article_id, unit=unit,
                                               base_url=base_url)
        if out is None:
            written = _write(chunks, sys.stdout)
        else:
            with out.open("w", encoding="utf-8", newline="") as handle:
                written = _write(chunks, handle)
    except (WorkbenchError, ValueError) as error:
        raise click.ClickException(getattr(error, "message", str(error))) from None
    target = out if out is not None else "standard output"
    click.echo(f"\rExported {written:,} lines as {fmt} to {target}.", err=True)


def _write(chunks: Iterator[str], handle: IO[str]) -> int:
    """Write every chunk (a line or a batch of lines), with a running count of lines on
    stderr; returns how many lines were written."""
    count, report_at = 0, _COUNTER_EVERY
    for chunk in chunks:
        handle.write(chunk)
        count += chunk.count("\n")
        if count >= report_at:
            click.echo(f"\r{count:,} lines…", err=True, nl=False)
            report_at = count + _COUNTER_EVERY
    handle.flush()
    return count


@click.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--map", "mappings", multiple=True, metavar="LABEL=TAG",
              help="Map a foreign label name to a tag (repeatable).")
@click.option("--owner", default=None, metavar="USERNAME",
              help="Who owns the imported Label Studio and doccano annotations.")
@click.option("--format", "fmt", type=click.Choice(imports_service.FORMATS), default="auto",
              show_default=True)
@click.option("--unit", type=click.Choice(UNITS), default="utf16", show_default=True,
              help="Offset unit of doccano files.")
@with_appcontext
def import_command(paths: tuple[Path, ...], mappings: tuple[str, ...], owner: str | None,
                   fmt: str, unit: str) -> None:
    """Import files and folders (text, Markdown, JSONL, Label Studio, doccano), all or nothing."""
    try:
        label_map = imports_service.parse_label_map(mappings)
    except WorkbenchError as error:
        raise click.BadParameter(error.message, param_hint="--map") from None
    try:
        with db.transaction() as session:
            report = imports_service.import_paths(
                session, list(paths), actor=None, label_map=label_map, owner=owner, fmt=fmt,
                unit=unit, progress=_progress)
    except ImportFailed as failure:
        click.echo("", err=True)
        for problem in failure.problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(
            f"Nothing was imported: {len(failure.problems)} problem(s) listed above.") from None
    except WorkbenchError as error:
        raise click.ClickException(error.message) from None
    _index_deferred_search()
    click.echo("", err=True)
    for line in report.lines():
        click.echo(line)


def _index_deferred_search() -> None:
    """Put the imported articles into the search index, a short transaction at a time (the
    import left them out of it so as not to hold SQLite's write lock for the indexing)."""
    with db.transaction() as session:
        total = articles_service.deferred_search_count(session)
    done = 0
    while done < total:
        with db.transaction() as session:
            indexed = articles_service.index_deferred_search(session)
        if not indexed:
            break
        done = min(total, done + indexed)
        _progress("search index", done, total)


def _progress(kind: str, done: int, total: int) -> None:
    """A counter on stderr, rewritten in place: ``articles: 300/10000``."""
    if done == total or done % 100 == 0:
        end = "\n" if done == total else ""
        click.echo(f"\r{kind}: {done}/{total}{end}", err=True, nl=False)


def register_exchange_commands(app: Flask) -> None:
    """Add ``export`` and ``import`` to the app's command group."""
    for command in (export_command, import_command):
        app.cli.add_command(command)
