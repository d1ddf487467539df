"""Exports and imports on the real database: the CLI, the API and the exchange services."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from tests.conftest import ApiClient, Factory
from workbench.db import db
from workbench.models import (Adjudication, Article, Assertion, AssertionRating, Assignment,
                              AuditEvent, Evidence, User, Verdict)
from workbench.services import exchange as exchange_service
from workbench.services.imports import ImportFailed, import_paths
from workbench.text import canonicalize

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467\u200d\U0001F466"  # 👨‍👩‍👧‍👦
FIREFIGHTER = "\U0001F468\U0001F3FB\u200d\U0001F692"  # 👨🏻‍🚒
TEXTS = {
    "emoji": f"Claim \U0001F600 verified: the \U0001F680 launched, said {FIREFIGHTER} crews.",
    "zwj": f"The {FAMILY} family said prices doubled in 2024.",
    "arabic": "قالَ الوزيرُ إنّ الاقتصادَ ينمو بسرعة. هذا رأيٌ شخصي؟ نعم.",
    "crlf": "First line \U0001F600.\r\nSecond line says taxes rose.\r\n\r\nThird.",
}
# A phrase of each text to tag: (text name, phrase, foreign label).
PHRASES = [("emoji", "verified", "Claim"), ("emoji", FIREFIGHTER + " crews", "Opinion"),
           ("zwj", f"{FAMILY} family", "Claim"), ("zwj", "prices doubled", "Opinion"),
           ("arabic", "الاقتصادَ ينمو", "Claim"), ("arabic", "رأيٌ شخصي", "Opinion"),
           ("crlf", "taxes rose", "Claim"), ("crlf", "Third", "Claim")]
LABEL_MAP = ["Claim=sourced", "Opinion=opinion"]
# build_project also settles one consensus assertion on the Arabic text.
CONSENSUS = "ينمو"
STORED = len(PHRASES) + 1


def utf16(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


# -- Helpers ------------------------------------------------------------------------------------

def build_project(factory: Factory) -> dict[str, int]:
    """Two reviewers, a supervisor, articles in several scripts, assertions with evidence."""
    factory.user("rita")
    factory.user("omar")
    factory.user("sue", "supervisor")
    ids: dict[str, int] = {}
    for name, raw in TEXTS.items():
        ids[name] = factory.article(body=raw, title=f"About {name}", publisher="The Daily",
                                    language="ar" if name == "arabic" else "en",
                                    source_url=f"https://news.example/{name}")
        factory.assign(ids[name], "rita", "sue")
        factory.assign(ids[name], "omar", "sue")
    rita = ApiClient(factory.app.test_client(), factory.token("rita"))
    omar = ApiClient(factory.app.test_client(), factory.token("omar"))
    for index, (name, phrase, _) in enumerate(PHRASES):
        body = canonicalize(TEXTS[name])
        start = body.index(phrase)
        reviewer = rita if index % 2 == 0 else omar
        response = reviewer.post(f"/articles/{ids[name]}/assertions", json={
            "start": start, "end": start + len(phrase), "quote": phrase,
            "tag": ("sourced", "unsourced", "opinion")[index % 3], "note": f"note {index} =1+1",
            "evidence": [{"url": f"https://evidence.example/{index}", "title": "Source",
                          "stance": "refutes"}] * (index % 3)})
        assert response.status_code == 201, response.json
    assert rita.post(f"/articles/{ids['zwj']}/submit").status_code == 200
    # A consensus assertion the supervisor settled on one article.
    sue = ApiClient(factory.app.test_client(), factory.token("sue"))
    body = canonicalize(TEXTS["arabic"])
    start = body.index(CONSENSUS)
    settled = sue.post(f"/articles/{ids['arabic']}/consensus", json={
        "action": "new", "start": start, "end": start + len(CONSENSUS), "quote": CONSENSUS,
        "tag": "unsourced",
        "note": "settled", "reason": "Nobody tagged it"})
    assert settled.status_code == 201, settled.json
    return ids


def settle_and_rate(factory: Factory, ids: dict[str, int]) -> None:
    """On top of build_project: decisions of every kind with reasons (one consensus assertion
    removed, so decisions name an assertion that is gone), a published verdict, a draft one,
    and ratings of consensus assertions."""
    sue = ApiClient(factory.app.test_client(), factory.token("sue"))

    def decide(name: str, **decision: Any) -> dict[str, Any]:
        response = sue.post(f"/articles/{ids[name]}/consensus", json=decision)
        assert response.status_code == 201, response.json
        return sue.get(f"/articles/{ids[name]}/consensus").json

    def reviewed(name: str, phrase: str) -> int:
        items = sue.get(f"/articles/{ids[name]}/assertions?limit=1000").json["items"]
        return next(a["id"] for a in items if a["quote"] == phrase and not a.get("consensus"))

    decide("arabic", action="accept", assertions=[reviewed("arabic", "رأيٌ شخصي")],
           tag="opinion", reason="Both reviewers read it as opinion")
    decide("arabic", action="reject", assertions=[reviewed("arabic", "الاقتصادَ ينمو")],
           reason="Too broad a span")
    settled = next(a for a in sue.get(f"/articles/{ids['arabic']}/consensus").json["items"]
                   if a["quote"] == CONSENSUS)
    consensus = decide("arabic", action="edit", assertions=[settled["id"]], tag="sourced",
                       note="a source was found", version=settled["version"],
                       reason="The ministry's figures")
    decide("zwj", action="accept", assertions=[reviewed("zwj", f"{FAMILY} family")],
           reason="Clear enough")
    (accepted,) = sue.get(f"/articles/{ids['zwj']}/consensus").json["items"]
    decide("zwj", action="remove", assertions=[accepted["id"]], reason="Changed my mind")
    for item, rating in zip(consensus["items"], ("accurate", "misleading")):
        response = sue.put(f"/assertions/{item['id']}/rating",
                           json={"rating": rating, "explanation": f"Because {rating}."})
        assert response.status_code == 200, response.json
    for name, state in (("arabic", "published"), ("zwj", "draft")):
        response = sue.put(f"/articles/{ids[name]}/verdict", json={
            "rating": "partly sourced", "summary": f"The {name} text.", "state": state})
        assert response.status_code == 200, response.json


def _strip_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_ids(v) for k, v in value.items()
                if k not in ("id", "article_id", "assertion_id")}
    if isinstance(value, list):
        return [_strip_ids(v) for v in value]
    return value


def canonical_project(app: Flask) -> dict[str, Any]:
    """The project's content with ids aside: what a round trip must keep. Rows that name an
    assertion name it by its content; one that is gone is ``None``."""
    with app.app_context(), db.transaction() as s:
        hashes = dict(s.execute(select(Article.id, Article.content_hash)).all())
        names = dict(s.execute(select(User.id, User.username)).all())
        users = sorted(s.execute(select(User.username, User.role)).all())
        articles = sorted(s.execute(select(
            Article.content_hash, Article.title, Article.body, Article.source_url,
            Article.publisher, Article.published_at, Article.language)).all())
        assignments = sorted(
            (hashes[a.article_id], names[a.reviewer_id], a.status,
             names.get(a.assigned_by_id), a.assigned_at, a.submitted_at)
            for a in s.scalars(select(Assignment)))
        keys = {a.id: (hashes[a.article_id], names[a.reviewer_id], a.start, a.end, a.quote,
                       a.tag, a.note, a.consensus, a.created_at)
                for a in s.scalars(select(Assertion))}
        assertions = sorted(
            (hashes[a.article_id], names[a.reviewer_id], a.start, a.end, a.quote, a.prefix,
             a.suffix, a.tag, a.note, a.consensus, a.created_at, a.updated_at,
             tuple((e.url, e.title, e.note, e.stance, names.get(e.added_by_id))
                   for e in a.evidence))
            for a in s.scalars(select(Assertion)))
        decisions = sorted(
            (hashes[d.article_id], d.version, d.action, d.reason, d.actor,
             names.get(d.actor_id), d.at, tuple(keys.get(i) for i in d.source_ids),
             keys.get(d.result_id), json.dumps(_strip_ids(d.result), sort_keys=True))
            for d in s.scalars(select(Adjudication)))
        verdicts = sorted(
            (hashes[v.article_id], v.rating, v.summary, v.state, v.slug, names.get(v.author_id),
             v.created_at, v.updated_at, v.published_at, v.version)
            for v in s.scalars(select(Verdict)))
        ratings = sorted(
            (keys[r.assertion_id], r.rating, r.explanation, names.get(r.rated_by_id),
             r.updated_at, r.version)
            for r in s.scalars(select(AssertionRating)))
    return {"users": users, "articles": articles, "assignments": assignments,
            "assertions": assertions, "decisions": decisions, "verdicts": verdicts,
            "ratings": ratings}


def export_text(app: Flask, fmt: str, **options: Any) -> str:
    with app.app_context():
        return "".join(exchange_service.export_lines(db.session, fmt, **options))


def run_import(app: Flask, *paths: Path, **options: Any) -> Any:
    options.setdefault("label_map", {})
    with app.app_context(), db.transaction() as s:
        return import_paths(s, list(paths), actor=None, **options)


def counts(app: Flask) -> tuple[int, ...]:
    factory = Factory(app)
    return tuple(factory.count(m) for m in (User, Article, Assignment, Assertion, Evidence,
                                            AuditEvent))


# -- The project's own JSONL --------------------------------------------------------------------

@pytest.mark.parametrize("batch, held", [(1000, 20_000), (2, 3)], ids=["default", "tiny"])
def test_jsonl_round_trip_into_an_empty_database_is_identical(app, factory, empty_app,
                                                              tmp_path, monkeypatch, batch, held):
    from workbench.services import imports

    # Tiny batches: assertions are written while the file is read again, a few at a time.
    monkeypatch.setattr(imports, "SPAN_BATCH", batch)
    monkeypatch.setattr(imports, "MAX_PENDING_SPANS", held)
    settle_and_rate(factory, build_project(factory))
    exported = tmp_path / "project.jsonl"
    exported.write_text(export_text(app, "jsonl"), encoding="utf-8")
    kinds: list[str] = []
    for line in exported.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        kinds.append(record["type"])
        assert not {"password", "password_hash", "token", "session_nonce"} & set(record)
    assert set(kinds) == {"workbench", "user", "article", "assignment", "assertion",
                          "adjudication", "verdict", "rating"}

    report = run_import(empty_app, exported)
    assert report.created["articles"] == len(TEXTS)
    assert report.created["assertions"] == STORED + 1  # two accepted, one of them removed
    assert (report.created["adjudications"], report.created["verdicts"],
            report.created["ratings"]) == (6, 2, 2)
    source = canonical_project(app)
    assert canonical_project(empty_app) == source
    # The removed consensus assertion is named by nobody: its decisions say so.
    assert sum(d[8] is None for d in source["decisions"]) == 3  # reject, accept gone, remove
    with empty_app.app_context():
        # The published report answers at the same public link.
        slug = db.session.scalar(select(Verdict.slug).where(Verdict.state == "published"))
    assert empty_app.test_client().get(f"/r/{slug}").status_code == 200
    with empty_app.app_context(), db.transaction() as s:
        # People who were missing come in inactive: nobody knows their password.
        assert not any(s.scalars(select(User.active)))


def test_reimporting_creates_nothing_and_says_so(app, factory, empty_app, tmp_path):
    settle_and_rate(factory, build_project(factory))
    exported = tmp_path / "project.jsonl"
    exported.write_text(export_text(app, "jsonl"), encoding="utf-8")
    runner = empty_app.test_cli_runner()
    first = runner.invoke(args=["import", str(exported)])
    assert first.exit_code == 0, first.output
    assert f"articles: {len(TEXTS)} created, 0 already present" in first.stdout
    before = counts(empty_app)
    second = runner.invoke(args=["import", str(exported)])
    assert second.exit_code == 0, second.output
    assert f"articles: 0 created, {len(TEXTS)} already present" in second.stdout
    assert f"assertions: 0 created, {STORED + 1} already present" in second.stdout
    for kind, count in (("adjudications", 6), ("verdicts", 2), ("ratings", 2)):
        assert f"{kind}: 0 created, {count} already present" in second.stdout
    assert "Nothing new" in second.stdout
    assert counts(empty_app) == before


def test_one_bad_line_among_1000_writes_nothing_and_names_the_line(app, factory, tmp_path):
    path = tmp_path / "articles.jsonl"
    lines = [json.dumps({"title": f"Article {n}", "body": f"Text number {n} \U0001F600.",
                         "language": "en", "published_at": "2026-03-01"}, ensure_ascii=False)
             for n in range(1, 1001)]
    lines[736] = json.dumps({"title": "No body here"})
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = counts(app)
    with pytest.raises(ImportFailed) as failure:
        run_import(app, path)
    assert [(p.file, p.line, p.field) for p in failure.value.problems] == [(str(path), 737,
                                                                            "body")]
    assert counts(app) == before

    result = app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert f"{path}:737: body" in result.output
    assert "Nothing was imported" in result.output
    assert counts(app) == before


def test_every_bad_line_is_listed(app, tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join([
        json.dumps({"title": "Fine", "body": "A fine text."}),
        "{not json",
        json.dumps({"title": "Bad link", "body": "Text.", "source_url": "ftp://x"}),
        json.dumps({"type": "comment"}),
        json.dumps({"title": "Bad date", "body": "Other text.", "published_at": "March"}),
    ]), encoding="utf-8")
    with pytest.raises(ImportFailed) as failure:
        run_import(app, path)
    assert [(p.line, p.field) for p in failure.value.problems] == [
        (2, ""), (3, "source_url"), (4, "type"), (5, "published_at")]
    assert Factory(app).count(Article) == 0


def test_articles_jsonl_and_text_files(app, factory, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "first.md").write_text("# Prices doubled\n\nThe minister said prices doubled.\n",
                                     encoding="utf-8")
    (folder / "second.txt").write_text("Rain today\r\nIt will rain, they said.\r\n",
                                       encoding="utf-8")
    (folder / "more.jsonl").write_text(json.dumps({
        "title": "From JSONL", "body": "Body from JSONL.", "source_url": "https://x.example/a",
        "publisher": "Wire", "published_at": "2026-01-02", "language": "en"}) + "\n",
        encoding="utf-8")
    report = run_import(app, folder)
    assert report.created["articles"] == 3
    with app.app_context(), db.transaction() as s:
        stored = {a.title: a for a in s.scalars(select(Article))}
    assert stored["Prices doubled"].body == "The minister said prices doubled."
    assert stored["Rain today"].body == "It will rain, they said."
    assert stored["From JSONL"].publisher == "Wire"
    assert str(stored["From JSONL"].published_at) == "2026-01-02"


# -- Label Studio and doccano -------------------------------------------------------------------

def labelstudio_tasks() -> list[dict[str, Any]]:
    """Tasks shaped as Label Studio exports them (code-point offsets, region text)."""
    tasks = []
    for name, raw in TEXTS.items():
        regions = []
        for index, (text_name, phrase, label) in enumerate(PHRASES):
            if text_name != name:
                continue
            start = raw.index(phrase)
            regions.append({"id": f"r{index}", "from_name": "label", "to_name": "text",
                            "type": "labels", "origin": "manual",
                            "value": {"start": start, "end": start + len(phrase),
                                      "text": phrase, "labels": [label]}})
        tasks.append({"id": len(tasks) + 1, "data": {"text": raw},
                      "annotations": [{"id": 10 + len(tasks), "result": regions,
                                       "was_cancelled": False}],
                      "predictions": []})
    return tasks


def doccano_lines(unit: str = "utf16") -> str:
    lines = []
    for name, raw in TEXTS.items():
        labels = []
        for text_name, phrase, label in PHRASES:
            if text_name == name:
                start = raw.index(phrase)
                end = start + len(phrase)
                if unit == "utf16":
                    start, end = utf16(raw, start), utf16(raw, end)
                labels.append([start, end, label])
        lines.append(json.dumps({"id": len(lines) + 1, "text": raw, "label": labels},
                                ensure_ascii=False))
    return "\n".join(lines) + "\n"


def assert_spans_on_exact_characters(app: Flask, owner: str) -> None:
    with app.app_context(), db.transaction() as s:
        rows = s.execute(select(Assertion, Article.body).join(Article)).all()
        stored = {(a.quote, a.tag) for a, _ in rows}
        for assertion, body in rows:
            assert body[assertion.start:assertion.end] == assertion.quote
            assert assertion.reviewer.username == owner
    tags = {"Claim": "sourced", "Opinion": "opinion"}
    assert stored == {(phrase, tags[label]) for _, phrase, label in PHRASES}


def test_labelstudio_import_puts_spans_on_the_exact_characters(app, factory, tmp_path):
    factory.user("lena")
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(labelstudio_tasks(), ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=[
        "import", str(path), "--owner", "lena", *[a for m in LABEL_MAP for a in ("--map", m)]])
    assert result.exit_code == 0, result.output
    assert f"assertions: {len(PHRASES)} created" in result.stdout
    assert_spans_on_exact_characters(app, "lena")
    again = app.test_cli_runner().invoke(args=[
        "import", str(path), "--owner", "lena", *[a for m in LABEL_MAP for a in ("--map", m)]])
    assert "Nothing new" in again.stdout


@pytest.mark.parametrize("unit", ["utf16", "codepoint"])
def test_doccano_import_puts_spans_on_the_exact_characters(app, factory, tmp_path, unit):
    factory.user("lena")
    path = tmp_path / "doccano.jsonl"
    path.write_text(doccano_lines(unit), encoding="utf-8")
    with app.app_context(), db.transaction() as s:
        owner = s.scalar(select(User).where(User.username == "lena"))
        import_paths(s, [path], actor=owner, label_map={"Claim": "sourced",
                                                        "Opinion": "opinion"}, unit=unit)
    assert_spans_on_exact_characters(app, "lena")


def test_unknown_labels_are_refused_with_their_names(app, factory, tmp_path):
    factory.user("lena")
    path = tmp_path / "doccano.jsonl"
    path.write_text(doccano_lines(), encoding="utf-8")
    before = counts(app)
    result = app.test_cli_runner().invoke(args=["import", str(path), "--owner", "lena",
                                                "--map", "Claim=sourced"])
    assert result.exit_code != 0
    assert "unknown labels 'Opinion'" in result.output
    assert counts(app) == before


def test_a_quote_that_does_not_match_its_offsets_is_refused_not_shifted(app, factory, tmp_path):
    factory.user("lena")
    tasks = labelstudio_tasks()
    region = tasks[1]["annotations"][0]["result"][0]["value"]
    region["start"] += 1  # offsets one character off, as a UTF-16 tool would leave them
    region["end"] += 1
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    before = counts(app)
    with pytest.raises(ImportFailed) as failure:
        run_import(app, path, owner="lena", label_map={"Claim": "sourced", "Opinion": "opinion"})
    assert [(p.line, p.field) for p in failure.value.problems] == [
        (2, "annotations[0].result[0].value.text")]
    assert counts(app) == before


@pytest.mark.parametrize("fmt", ["labelstudio", "doccano"])
def test_labelstudio_and_doccano_exports_round_trip_through_our_importer(app, factory,
                                                                         empty_app, tmp_path,
                                                                         fmt):
    build_project(factory)
    path = tmp_path / ("tasks.json" if fmt == "labelstudio" else "doccano.jsonl")
    path.write_text(export_text(app, fmt), encoding="utf-8")
    Factory(empty_app).user("lena")
    report = run_import(empty_app, path, owner="lena")
    assert report.created["assertions"] == STORED
    assert spans_by_text(empty_app) == spans_by_text(app)
    assert run_import(empty_app, path, owner="lena").nothing_new
    if fmt == "labelstudio":
        # Label Studio keeps a region's note in its meta, and our tasks carry the article's
        # source, publisher and language.
        assert notes(empty_app) == notes(app)
        assert canonical_project(empty_app)["articles"] == canonical_project(app)["articles"]


def notes(app: Flask) -> set[tuple[str, str]]:
    with app.app_context(), db.transaction() as s:
        return set(s.execute(select(Assertion.quote, Assertion.note)).all())


def spans_by_text(app: Flask) -> set[tuple[str, str, str]]:
    with app.app_context(), db.transaction() as s:
        rows = s.execute(select(Article.body, Assertion.start, Assertion.end, Assertion.quote,
                                Assertion.tag).join(Article)).all()
    for body, start, end, quote, _ in rows:
        assert body[start:end] == quote
    return {(body, quote, tag) for body, _, _, quote, tag in rows}


def test_w3c_export_quotes_equal_the_body_between_their_offsets(app, factory):
    ids = build_project(factory)
    lines = export_text(app, "w3c").splitlines()
    assert len(lines) == len(TEXTS)
    bodies = {canonicalize(raw) for raw in TEXTS.values()}
    for line in lines:
        collection = json.loads(line)
        assert collection["@context"] == "http://www.w3.org/ns/anno.jsonld"
        assert collection["type"] == "AnnotationCollection"
        for item in collection.get("first", {}).get("items", []):
            quote, position = item["target"]["selector"]
            body = next(b for b in bodies if quote["exact"] in b)
            assert body[position["start"]:position["end"]] == quote["exact"]
    single = json.loads(export_text(app, "w3c", article_id=ids["zwj"]))
    assert single["total"] == 2


# -- CSV ----------------------------------------------------------------------------------------

def test_csv_export_neutralises_formula_cells(app, factory, api_as):
    article = factory.article(body="=SUM(A1) +1 -2 @cmd rest.", title="=HYPERLINK(\"x\")")
    rita = api_as("rita")
    factory.assign(article, "rita")
    for start, end, note in [(0, 8, "+note"), (9, 11, "-note"), (12, 14, "@note"),
                             (15, 19, "=note")]:
        body = "=SUM(A1) +1 -2 @cmd rest."
        assert rita.post(f"/articles/{article}/assertions", json={
            "start": start, "end": end, "quote": body[start:end], "tag": "opinion",
            "note": note}).status_code == 201
    rows = list(csv.reader(io.StringIO(export_text(app, "csv"))))
    assert rows[0] == list(exchange_service.CSV_HEADER)
    assert len(rows) == 5
    for row in rows[1:]:
        record = dict(zip(rows[0], row))
        for column in ("article_title", "quote", "note"):
            assert record[column].startswith("'"), record
    assert {row[6] for row in rows[1:]} == {"'=SUM(A1)", "'+1", "'-2", "'@cmd"}


# -- API ----------------------------------------------------------------------------------------

def test_api_export_is_for_supervisors_and_streams_a_download(app, factory, api_as):
    ids = build_project(factory)
    boss = api_as("boss", "supervisor")
    reviewer = ApiClient(app.test_client(), factory.token("rita"))
    for path in ("/export/jsonl", f"/articles/{ids['zwj']}/export/jsonl"):
        assert reviewer.get(path).status_code == 404
    assert boss.get("/export/excel").status_code == 404
    assert boss.get(f"/articles/{ids['zwj']}/export/excel").status_code == 404
    assert boss.get("/articles/999999/export/csv").status_code == 404
    assert boss.get("/export/doccano?unit=bytes").status_code == 422

    response = boss.get("/export/csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="project.csv"'
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == \
        STORED + 1

    one = boss.get(f"/articles/{ids['arabic']}/export/labelstudio")
    assert one.status_code == 200 and one.mimetype == "application/json"
    assert f'article-{ids["arabic"]}.labelstudio.json' in one.headers["Content-Disposition"]
    (task,) = one.json
    assert task["data"]["text"] == canonicalize(TEXTS["arabic"])

    doccano = boss.get("/export/doccano?unit=codepoint")
    assert doccano.mimetype == "application/jsonl"
    for line in doccano.get_data(as_text=True).splitlines():
        record = json.loads(line)
        for start, end, _ in record["label"]:
            assert record["text"][start:end]


# -- CLI ----------------------------------------------------------------------------------------

def test_cli_export_to_a_file_and_of_one_article(app, factory, tmp_path):
    ids = build_project(factory)
    runner = app.test_cli_runner()
    out = tmp_path / "all.jsonl"
    result = runner.invoke(args=["export", "jsonl", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported" in result.stderr
    kinds = [json.loads(line)["type"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert kinds.count("article") == len(TEXTS) and kinds.count("assertion") == STORED

    one = runner.invoke(args=["export", "csv", "--article", str(ids["crlf"])])
    assert one.exit_code == 0, one.output
    assert len(list(csv.reader(io.StringIO(one.stdout)))) == 3

    for bad in ("abc", "0", "-1"):
        refused = runner.invoke(args=["export", "csv", "--article", bad])
        assert refused.exit_code != 0 and "--article" in refused.output
    missing = runner.invoke(args=["export", "csv", "--article", "999999"])
    assert missing.exit_code != 0 and "No such article" in missing.output
    unknown = runner.invoke(args=["export", "excel"])
    assert unknown.exit_code != 0


def test_cli_import_needs_an_owner_for_foreign_annotations(app, tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps(labelstudio_tasks(), ensure_ascii=False), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", str(path), "--map", "Claim=sourced",
                                                "--map", "Opinion=opinion"])
    assert result.exit_code != 0
    assert "--owner" in result.output
    assert Factory(app).count(Article) == 0
    bad_map = app.test_cli_runner().invoke(args=["import", str(path), "--map", "Claim=true"])
    assert bad_map.exit_code != 0 and "not a tag" in bad_map.output


# -- Memory -------------------------------------------------------------------------------------

def add_assertions(app: Flask, article_id: int, reviewer: str, count: int) -> None:
    """``count`` assertions written straight to the table (arranging data, not testing saves)."""
    from sqlalchemy import insert

    from workbench.models import utcnow

    with app.app_context(), db.transaction() as s:
        reviewer_id = s.scalar(select(User.id).where(User.username == reviewer))
        now = utcnow()
        s.connection().execute(insert(Assertion.__table__), [
            {"article_id": article_id, "reviewer_id": reviewer_id, "start_offset": 0,
             "end_offset": 6, "quote": "Prices", "prefix": "", "suffix": " doubled",
             "tag": "sourced", "note": f"note {n}", "created_at": now, "updated_at": now,
             "version": 1} for n in range(count)])


def peak_while_exporting(app: Flask, fmt: str) -> tuple[int, int]:
    import tracemalloc

    tracemalloc.start()
    try:
        with app.app_context():
            lines = sum(chunk.count("\n") for chunk in exchange_service.export_lines(db.session,
                                                                                     fmt))
        return lines, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_project_export_memory_stays_flat(app, factory, monkeypatch, fmt):
    monkeypatch.setattr(exchange_service, "BATCH", 100)
    factory.user("rita")
    article = factory.article(body="Prices doubled in 2024.", title="Prices")
    add_assertions(app, article, "rita", 300)
    small_lines, small_peak = peak_while_exporting(app, fmt)
    add_assertions(app, article, "rita", 2700)
    large_lines, large_peak = peak_while_exporting(app, fmt)
    assert large_lines - small_lines == 2700
    # Ten times the assertions, about the same peak: one batch is held at a time.
    assert large_peak < small_peak * 1.5 + 200_000, (small_peak, large_peak)


def test_an_article_export_imported_where_it_came_from_adds_nothing(app, factory, tmp_path):
    ids = build_project(factory)
    settle_and_rate(factory, ids)
    path = tmp_path / "one.jsonl"
    path.write_text(export_text(app, "jsonl", article_id=ids["arabic"]), encoding="utf-8")
    kinds = [json.loads(line)["type"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert kinds.count("article") == 1 and kinds.count("assertion") == 4
    assert sorted(set(kinds)) == ["adjudication", "article", "assertion", "assignment",
                                  "rating", "user", "verdict", "workbench"]
    before = counts(app)
    report = run_import(app, path)
    assert report.nothing_new
    assert report.present["assertions"] == 4 and report.present["assignments"] == 2
    assert (report.present["adjudications"], report.present["verdicts"],
            report.present["ratings"]) == (4, 1, 2)
    assert counts(app) == before


@pytest.mark.parametrize("unit", ["utf16", "codepoint", "grapheme"])
def test_doccano_export_counts_offsets_in_the_unit_asked_for(app, factory, unit):
    import regex

    build_project(factory)
    for line in export_text(app, "doccano", unit=unit).splitlines():
        record = json.loads(line)
        text = record["text"]
        pieces = {"utf16": None, "codepoint": list(text),
                  "grapheme": regex.findall(r"\X", text)}[unit]
        for start, end, _ in record["label"]:
            if pieces is None:
                quote = text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le")
            else:
                quote = "".join(pieces[start:end])
            assert any(quote == phrase for _, phrase, _ in PHRASES) or quote == CONSENSUS, (unit, quote)


def test_identical_assertions_made_twice_both_survive_a_round_trip(app, factory, api_as,
                                                                   empty_app, tmp_path):
    article = factory.article(body="Prices doubled in 2024.", title="Prices")
    rita = api_as("rita")
    factory.assign(article, "rita")
    span = {"start": 0, "end": 6, "quote": "Prices", "tag": "sourced"}
    assert rita.post(f"/articles/{article}/assertions", json=span).status_code == 201
    # A reviewer's save refuses a twin (409); an import of older data may still bring one.
    assert rita.post(f"/articles/{article}/assertions", json=span).status_code == 409
    from workbench.db import db
    from workbench.models import User
    from workbench.services.assertions import Guard, NewAssertion, insert_assertions

    with app.app_context(), db.transaction() as session:
        owner = session.scalar(select(User).where(User.username == "rita"))
        insert_assertions(session, article, [NewAssertion(0, 6, "Prices", "sourced")],
                          owner=owner, actor=None, guard=Guard.IMPORT)
    path = tmp_path / "project.jsonl"
    path.write_text(export_text(app, "jsonl"), encoding="utf-8")
    assert run_import(empty_app, path).created["assertions"] == 2
    assert run_import(empty_app, path).nothing_new
    assert canonical_project(empty_app) == canonical_project(app)


def test_a_consensus_assertion_owned_by_a_reviewer_is_refused(app, factory, empty_app,
                                                              tmp_path):
    build_project(factory)
    lines = export_text(app, "jsonl").splitlines()
    number, record = next((n, json.loads(line)) for n, line in enumerate(lines, start=1)
                          if '"type":"assertion"' in line and '"reviewer":"rita"' in line)
    record["consensus"] = True
    lines[number - 1] = json.dumps(record, ensure_ascii=False)
    path = tmp_path / "project.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = counts(empty_app)
    with pytest.raises(ImportFailed) as failure:
        run_import(empty_app, path)
    assert [(p.line, p.field, p.reason) for p in failure.value.problems] == [
        (number, "consensus", "rita may not settle a consensus: only supervisors adjudicate")]
    assert counts(empty_app) == before


def _export_with(app: Flask, tmp_path: Path, changes: dict[str, dict[str, Any]]
                 ) -> tuple[Path, dict[str, int]]:
    """The project's JSONL with the first line of each type changed; the changed lines' numbers."""
    lines = export_text(app, "jsonl").splitlines()
    numbers: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        record = json.loads(line)
        kind = record["type"]
        if kind in changes and kind not in numbers:
            numbers[kind] = number
            lines[number - 1] = json.dumps({**record, **changes[kind]}, ensure_ascii=False)
    path = tmp_path / "changed.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, numbers


def test_bad_adjudication_verdict_and_rating_lines_are_listed(app, factory, empty_app,
                                                              tmp_path):
    settle_and_rate(factory, build_project(factory))
    path, at = _export_with(app, tmp_path, {"adjudication": {"action": "vote", "reason": " "},
                                            "verdict": {"state": "secret", "slug": "x"},
                                            "rating": {"assertion_id": "one"}})
    before = counts(empty_app)
    with pytest.raises(ImportFailed) as failure:
        run_import(empty_app, path)
    assert [(p.line, p.field) for p in failure.value.problems] == sorted([
        (at["adjudication"], "action"), (at["adjudication"], "reason"),
        (at["verdict"], "slug"), (at["verdict"], "state"), (at["rating"], "assertion_id")])
    assert counts(empty_app) == before


def test_ratings_off_the_scale_and_unknown_assertions_write_nothing(app, factory, empty_app,
                                                                    tmp_path):
    settle_and_rate(factory, build_project(factory))
    path, at = _export_with(app, tmp_path, {"verdict": {"rating": "pants on fire"},
                                            "rating": {"assertion_id": 999_999}})
    before = counts(empty_app)
    result = empty_app.test_cli_runner().invoke(args=["import", str(path)])
    assert result.exit_code != 0
    assert (f"{path}:{at['verdict']}: rating: 'pants on fire' is not on this project's "
            "scale") in result.output
    assert f"{path}:{at['rating']}: assertion_id: 999999 names no assertion line" \
        in result.output
    assert "Nothing was imported" in result.output
    assert counts(empty_app) == before


def test_jsonl_lines_are_the_bytes_json_dumps_writes():
    """orjson serialises the export; its lines must be what ``json.dumps`` writes (compact,
    non-ASCII kept), with the characters some readers take for a line end escaped."""
    tricky = "".join(map(chr, range(0x20))) + '"\\/\x7f\x85\u2028\u2029\ufeff' + FAMILY + \
        TEXTS["arabic"] + TEXTS["crlf"]
    records = [{"type": "assertion", "quote": tricky, "note": "", "id": 1, "consensus": False,
                "evidence": [{"url": "https://e.example/?q=\u2028", "title": None}]},
               {"type": "user", "username": "rita", "active": True}]
    expected = "".join(
        json.dumps(r, ensure_ascii=False, separators=(",", ":")).replace(
            "\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085")
        + "\n" for r in records)
    assert exchange_service._lines(records) == expected
    assert all(len(line.splitlines()) == 1 for line in expected.split("\n")[:-1])


@pytest.mark.parametrize("stored", ["2024-01-01 00:01:02.000000", "2026-12-03 09:10:11.123456",
                                    "2026-12-03 09:10:11", "2026-12-03T09:10:11.5+00:00"])
def test_sqlite_timestamps_read_as_text_match_isoformat(stored):
    from datetime import datetime, timezone

    from workbench.models.base import sqlite_isoformat

    moment = datetime.fromisoformat(stored)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    assert sqlite_isoformat(stored) == moment.isoformat()


def test_insert_articles_checks_every_draft_and_refuses_a_stored_text(app, factory):
    from workbench.services.articles import ArticleDraft, insert_articles
    from workbench.services.errors import Conflict, ValidationFailed

    factory.article(body="Already here.", title="Stored")
    before = counts(app)
    drafts = [ArticleDraft(f"T{n}", f"Text {n}.") for n in range(3)]
    for bad, error, field in ((ArticleDraft("Bad link", "Body.", source_url="ftp://x"),
                               ValidationFailed, "items[1].source_url"),
                              (ArticleDraft("Same", "Already here."), Conflict, "items[1].body"),
                              (drafts[0], Conflict, "items[1].body")):
        with pytest.raises(error) as refused, app.app_context(), db.transaction() as s:
            insert_articles(s, [drafts[0], bad, drafts[2]], actor=None)
        assert refused.value.field == field
        assert counts(app) == before
    with app.app_context(), db.transaction() as s:
        ids = insert_articles(s, drafts, actor=None)
        assert [s.get(Article, i).title for i in ids] == ["T0", "T1", "T2"]
        assert s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "article.create", AuditEvent.entity_id.in_(ids))) == 3
