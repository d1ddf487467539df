"""Agreement figures for supervisors: values on a hand-built article, n/a reasons, blind review,
bad parameters, and the pages showing the API's numbers."""
from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest

from workbench import agreement
from workbench.api.openapi import build_document
from workbench.services import supervision
from workbench.services.supervision import ArticleWork, Mark, compare_pair, sentence_labels

BODY = ("Prices doubled in 2024. The minister said so. Critics disagree strongly. "
        "Nobody checked the data.\n")
# (phrase, tag) per reviewer: one exact agreement, one boundary, one label, one missing.
ALICE = [("Prices doubled", "sourced"), ("The minister said so", "opinion"),
         ("Critics disagree strongly", "opinion"), ("Nobody checked the data", "unsourced")]
BOB = [("Prices doubled", "sourced"), ("The minister said", "opinion"),
       ("Critics disagree strongly", "unsourced")]
# Labels per sentence, by hand: the tag covering most of it, or none.
ALICE_SENTENCES = ["sourced", "opinion", "opinion", "unsourced"]
BOB_SENTENCES = ["sourced", "opinion", "unsourced", "none"]


def spans_of(work: list[tuple[str, str]], coder: str) -> list[tuple[str, int, int, str]]:
    return [(coder, BODY.index(p), BODY.index(p) + len(p), tag) for p, tag in work]


ALL_SPANS = spans_of(ALICE, "alice") + spans_of(BOB, "bob")


@pytest.fixture
def newsroom(factory, api_as) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Supervisor sue, reviewers alice and bob on one article (both submitted), carol alone on a
    second article (not submitted)."""
    clients = {"sue": api_as("sue", "supervisor"), "alice": api_as("alice"), "bob": api_as("bob"),
               "carol": api_as("carol"), "ada": api_as("ada", "admin")}
    article = factory.article(body=BODY, title="Prices and the minister")
    other = factory.article(body="Rain is expected on Tuesday.\n", title="Weather outlook")
    for name, work in (("alice", ALICE), ("bob", BOB)):
        factory.assign(article, name, "sue")
        for phrase, tag in work:
            start = BODY.index(phrase)
            created = clients[name].post(f"/articles/{article}/assertions", json={
                "start": start, "end": start + len(phrase), "quote": phrase, "tag": tag})
            assert created.status_code == 201, created.json
        assert clients[name].post(f"/articles/{article}/submit").status_code == 200
    factory.assign(other, "carol", "sue")
    clients["carol"].post(f"/articles/{other}/assertions", json={
        "start": 0, "end": 4, "quote": "Rain", "tag": "sourced"})
    factory.assign(other, "alice", "sue")
    return {"clients": clients, "article": article, "other": other}


def matches_schema(response: Any, path: str) -> None:
    document = build_document()
    schema = document["paths"][path]["get"]["responses"][str(response.status_code)]["content"][
        "application/json"]["schema"]
    jsonschema.Draft202012Validator({**schema, "components": document["components"]}).validate(
        response.json)


# -- Pure parts ------------------------------------------------------------------------------------

def mark(i: int, who: str, start: int, end: int, tag: str) -> Mark:
    return Mark(i, who, start, end, tag)


def test_matching_classifies_each_kind():
    first = [mark(1, "a", 0, 10, "sourced"), mark(2, "a", 20, 30, "opinion"),
             mark(3, "a", 40, 50, "opinion"), mark(4, "a", 60, 70, "unsourced"),
             mark(5, "a", 80, 90, "sourced")]
    second = [mark(6, "b", 0, 10, "sourced"), mark(7, "b", 20, 28, "opinion"),
              mark(8, "b", 40, 50, "sourced"), mark(9, "b", 82, 95, "opinion"),
              mark(10, "b", 100, 110, "opinion")]
    kinds = {(l.first.id if l.first else None, l.second.id if l.second else None): l.kind
             for l in compare_pair(first, second)}
    assert kinds == {(1, 6): "agree", (2, 7): "boundary", (3, 8): "label",
                     (5, 9): "boundary_and_label", (4, None): "missing", (None, 10): "missing"}


def test_a_span_split_in_two_is_two_boundary_disagreements():
    long = [mark(1, "a", 0, 20, "opinion")]
    halves = [mark(2, "b", 0, 9, "opinion"), mark(3, "b", 10, 20, "opinion")]
    assert sorted(l.kind for l in compare_pair(long, halves)) == ["boundary", "boundary"]


def test_sentence_label_is_the_tag_covering_most_of_it():
    sentences = [(0, 20), (20, 40), (40, 60)]
    marks = [mark(1, "a", 0, 5, "sourced"), mark(2, "a", 3, 12, "opinion"),
             mark(3, "a", 25, 30, "unsourced"), mark(4, "a", 28, 36, "unsourced")]
    # opinion covers 9 of sentence 1, sourced 5; overlapping unsourced spans count once (11).
    assert sentence_labels(sentences, marks) == ["opinion", "unsourced", "none"]


def test_pooled_alpha_of_one_article_is_that_articles_alpha():
    work = ArticleWork(1, "t", len(BODY), [(0, 23), (24, 45), (46, 72), (73, 97)],
                       ["alice", "bob"], {
                           "alice": [mark(i, "alice", s, e, t)
                                     for i, (_, s, e, t) in enumerate(spans_of(ALICE, "alice"))],
                           "bob": [mark(10 + i, "bob", s, e, t)
                                   for i, (_, s, e, t) in enumerate(spans_of(BOB, "bob"))]})
    one = supervision.measure_article(work, resamples=50)["measures"]["alpha_unitizing"]
    pooled = supervision.measure_project([work], resamples=50)["measures"]["alpha_unitizing"]
    for tag in ("sourced", "unsourced", "opinion"):
        assert pooled["by_tag"][tag]["value"] == pytest.approx(one["by_tag"][tag]["value"])
    assert pooled["overall"]["value"] == pytest.approx(one["overall"]["value"])


# -- The article API ---------------------------------------------------------------------------------

def test_article_figures_by_hand(newsroom):
    response = newsroom["clients"]["sue"].get(f"/articles/{newsroom['article']}/agreement")
    assert response.status_code == 200, response.json
    matches_schema(response, "/api/v1/articles/{article_id}/agreement")
    body = response.json
    assert body["article_id"] == newsroom["article"]
    assert body["reviewers"] == ["alice", "bob"]
    m = body["measures"]
    assert m["disagreements"] == {"agree": 1, "boundary": 1, "label": 1, "boundary_and_label": 0,
                                  "missing": 1, "total": 3}
    exact, overlap = m["span_f1"]["exact"], m["span_f1"]["overlap"]
    # 1 exact match, 2 overlapping ones; alice has 4 assertions, bob 3.
    assert exact["precision"]["value"] == pytest.approx(1 / 3)
    assert exact["recall"]["value"] == pytest.approx(1 / 4)
    assert exact["f1"]["value"] == pytest.approx(2 / 7)
    assert overlap["f1"]["value"] == pytest.approx(4 / 7)
    assert overlap["f1"]["n"] == 4  # outcomes: 3 matched pairs and 1 missing
    for tag in ("sourced", "unsourced", "opinion"):
        expected = agreement.unitizing_alpha(len(BODY), ALL_SPANS, tag, coders=["alice", "bob"])
        assert m["alpha_unitizing"]["by_tag"][tag]["value"] == pytest.approx(expected)
    assert m["alpha_unitizing"]["by_tag"]["sourced"]["value"] == pytest.approx(1.0)
    overall = agreement.unitizing_alpha(len(BODY), [(c, s, e, "any") for c, s, e, _ in ALL_SPANS],
                                        "any")
    assert m["alpha_unitizing"]["overall"]["value"] == pytest.approx(overall)
    s = m["sentence"]
    assert s["units"] == 4
    kappa = agreement.cohen_kappa(ALICE_SENTENCES, BOB_SENTENCES)
    assert s["cohen_kappa"]["value"] == pytest.approx(kappa)
    assert s["cohen_by_pair"][0]["reviewers"] == ["alice", "bob"]
    assert s["cohen_by_pair"][0]["figure"]["value"] == pytest.approx(kappa)
    data = [ALICE_SENTENCES, BOB_SENTENCES]
    assert s["krippendorff_alpha"]["value"] == pytest.approx(agreement.krippendorff_alpha(data))
    assert s["gwet_ac1"]["value"] == pytest.approx(agreement.gwet_ac1(data))
    # 2 of 4 sentences agree; each label's share: sourced 2/8, opinion 3/8, unsourced 2/8, none 1/8.
    p_e = (2 / 8) ** 2 + (3 / 8) ** 2 + (2 / 8) ** 2 + (1 / 8) ** 2
    assert s["fleiss_kappa"]["value"] == pytest.approx((0.5 - p_e) / (1 - p_e))


def test_figures_carry_intervals_and_say_when_units_are_few(newsroom):
    m = newsroom["clients"]["sue"].get(f"/articles/{newsroom['article']}/agreement").json[
        "measures"]
    figure = m["sentence"]["cohen_kappa"]
    low, high = figure["ci95"]
    assert low <= figure["value"] <= high
    assert figure["n"] == 4 and figure["reason"] == "only 4 units: too few to trust"
    again = newsroom["clients"]["sue"].get(f"/articles/{newsroom['article']}/agreement").json
    assert again["measures"] == m  # seeded bootstrap: the same interval every time


def test_one_reviewer_gives_reasons_not_numbers(newsroom):
    sue = newsroom["clients"]["sue"]
    body = sue.get(f"/articles/{newsroom['other']}/agreement").json
    assert body["reviewers"] == []  # nobody submitted
    m = body["measures"]
    assert m["alpha_unitizing"]["overall"] == {"value": None, "ci95": None, "n": 1,
                                               "reason": "no coders"}
    assert m["sentence"]["fleiss_kappa"]["value"] is None
    assert m["span_f1"]["overlap"]["f1"]["reason"] == "nobody marked anything"
    wip = sue.get(f"/articles/{newsroom['other']}/agreement?include_unsubmitted=1").json
    assert wip["reviewers"] == ["alice", "carol"]
    assert wip["measures"]["alpha_unitizing"]["by_tag"]["opinion"]["reason"] == (
        "nobody marked this category")
    # carol (second) marked "Rain", alice (first) nothing: one missing; recall is undefined.
    assert wip["measures"]["disagreements"]["missing"] == 1
    assert wip["measures"]["span_f1"]["exact"]["recall"]["reason"] == (
        "the first reviewer marked nothing")
    assert wip["measures"]["span_f1"]["exact"]["precision"]["value"] == 0.0


def test_include_unsubmitted_adds_work_in_progress(newsroom, factory):
    sue = newsroom["clients"]["sue"]
    factory.user("dan")
    factory.assign(newsroom["article"], "dan", "sue")
    assert sue.get(f"/articles/{newsroom['article']}/agreement").json["reviewers"] == [
        "alice", "bob"]
    assert sue.get(f"/articles/{newsroom['article']}/agreement?include_unsubmitted=true").json[
        "reviewers"] == ["alice", "bob", "dan"]


@pytest.mark.parametrize("who", ["alice", "bob", "carol"])
def test_reviewers_do_not_learn_the_figures_exist(newsroom, who):
    client = newsroom["clients"][who]
    for path in (f"/articles/{newsroom['article']}/agreement", "/agreement"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json["error"]["code"] == "not_found"


def test_unknown_article_is_not_found(newsroom):
    response = newsroom["clients"]["sue"].get("/articles/999999/agreement")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("query, field", [
    ("include_unsubmitted=maybe", "include_unsubmitted"), ("limit=0", "limit"),
    ("limit=abc", "limit"), ("limit=201", "limit"), ("limit=%C2%B2", "limit")])
def test_bad_parameters_are_422(newsroom, query, field):
    sue = newsroom["clients"]["sue"]
    for path in ("/agreement", f"/articles/{newsroom['article']}/agreement"):
        if field == "limit" and "articles/" in path:
            continue
        response = sue.get(f"{path}?{query}")
        assert response.status_code == 422, (path, query)
        assert response.json["error"]["field"] == field


# -- The project API --------------------------------------------------------------------------------

def test_project_figures_pool_the_articles(newsroom):
    sue = newsroom["clients"]["sue"]
    response = sue.get("/agreement")
    assert response.status_code == 200, response.json
    matches_schema(response, "/api/v1/agreement")
    body = response.json
    assert body["articles"] == 1 and body["reviewers"] == ["alice", "bob"]
    article = sue.get(f"/articles/{newsroom['article']}/agreement").json["measures"]
    pooled = body["measures"]
    for tag in ("sourced", "unsourced", "opinion"):
        assert pooled["alpha_unitizing"]["by_tag"][tag]["value"] == pytest.approx(
            article["alpha_unitizing"]["by_tag"][tag]["value"])
    assert pooled["span_f1"]["overlap"]["f1"]["value"] == pytest.approx(4 / 7)
    assert pooled["disagreements"] == article["disagreements"]
    assert [p["reviewers"] for p in body["by_pair"]] == [["alice", "bob"]]
    assert body["by_pair"][0]["span_f1"]["value"] == pytest.approx(4 / 7)
    labels = body["confusion"]["labels"]
    assert labels == ["sourced", "unsourced", "opinion", "none"]
    spans = body["confusion"]["spans"]
    at = {label: i for i, label in enumerate(labels)}
    assert spans[at["sourced"]][at["sourced"]] == 2  # one exact match, both directions
    assert spans[at["opinion"]][at["unsourced"]] == spans[at["unsourced"]][at["opinion"]] == 1
    assert spans[at["unsourced"]][at["none"]] == 1
    assert body["ranked"][0]["article_id"] == newsroom["article"]
    assert body["ranked"][0]["disagreements"]["total"] == 3
    counts = {r["reviewer"]: r for r in body["reviewer_counts"]}
    assert counts["alice"]["assigned"] == 2 and counts["alice"]["submitted"] == 1
    assert counts["bob"]["by_tag"] == {"sourced": 1, "unsourced": 1, "opinion": 1}


def test_project_search_narrows_the_articles(newsroom):
    sue = newsroom["clients"]["sue"]
    assert sue.get("/agreement?q=minister").json["articles"] == 1
    none = sue.get("/agreement?q=weather").json
    assert none["articles"] == 0 and none["ranked"] == []
    assert none["measures"]["alpha_unitizing"]["overall"]["reason"] == "no coders"
    assert sue.get("/agreement?q=weather&include_unsubmitted=1").json["articles"] == 1


def test_admin_sees_the_figures_too(newsroom):
    assert newsroom["clients"]["ada"].get("/agreement").status_code == 200


# -- The pages -----------------------------------------------------------------------------------

ROW = re.compile(r'<tr data-measure="([^"]+)"><th scope="row">[^<]*</th><td class="num">'
                 r'<span class="fig-value">([^<]+)</span>')


def page_values(html: str) -> dict[str, str]:
    return dict(ROW.findall(html))


def api_values(measures: dict[str, Any]) -> dict[str, str]:
    def text(figure: dict[str, Any]) -> str:
        return "n/a" if figure["value"] is None else f"{figure['value']:.3f}"

    values = {"alpha_unitizing.overall": text(measures["alpha_unitizing"]["overall"])}
    for tag, figure in measures["alpha_unitizing"]["by_tag"].items():
        values[f"alpha_unitizing.by_tag.{tag}"] = text(figure)
    for how in ("exact", "overlap"):
        for which in ("precision", "recall", "f1"):
            values[f"span_f1.{how}.{which}"] = text(measures["span_f1"][how][which])
    for name in ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1"):
        values[f"sentence.{name}"] = text(measures["sentence"][name])
    return values


def test_article_page_shows_the_api_figures_and_marks_kinds(newsroom, page_as):
    page = page_as("sue", create=False)
    response = page.get(f"/articles/{newsroom['article']}/agreement")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    api = newsroom["clients"]["sue"].get(f"/articles/{newsroom['article']}/agreement").json
    assert page_values(html) == api_values(api["measures"])
    kinds = re.findall(r'data-kind="(\w+)" title=', html)
    assert sorted(kinds) == sorted(["agree", "agree", "boundary", "boundary", "label", "label",
                                    "missing"])
    assert html.count('class="compare-column"') == 2
    assert "Nobody checked the data" in html


def test_dashboard_shows_the_api_figures(newsroom, page_as):
    page = page_as("sue", create=False)
    html = page.get("/agreement").get_data(as_text=True)
    api = newsroom["clients"]["sue"].get("/agreement").json
    assert page_values(html) == api_values(api["measures"])
    assert f'href="/articles/{newsroom["article"]}/agreement"' in html
    assert "<svg" in html and 'role="img"' in html
    assert '>Agreement</a>' in html  # in the nav


def test_dashboard_refuses_a_bad_limit_beside_the_field(newsroom, page_as):
    page = page_as("sue", create=False)
    response = page.get("/agreement?limit=0")
    assert response.status_code == 422
    assert 'id="limit-error"' in response.get_data(as_text=True)


def test_reviewers_get_404_pages_and_no_nav_link(newsroom, page_as):
    page = page_as("alice", create=False)
    assert page.get("/agreement").status_code == 404
    assert page.get(f"/articles/{newsroom['article']}/agreement").status_code == 404
    assert ">Agreement</a>" not in page.get("/articles").get_data(as_text=True)


# -- Sufficient statistics equal the pure measures ----------------------------------------------------

@pytest.mark.parametrize("seed", range(8))
def test_sentence_stats_match_the_pure_measures(seed):
    import random

    from workbench import sentence_stats

    rng = random.Random(seed)
    labels = ("sourced", "unsourced", "opinion", "none")
    layout = sentence_stats.Layout(labels)
    coders = ["a", "b", "c"]
    missing = seed % 2 == 1  # odd seeds: some judgements missing (Fleiss then has no figure)
    columns = [{c: (None if missing and rng.random() < 0.2 else rng.choice(labels[:2 + seed % 3]))
                for c in coders} for _ in range(rng.randrange(5, 40))]
    stats = sentence_stats.combine(sentence_stats.unit_stats(col, layout) for col in columns)
    data = [[col[c] for col in columns] for c in coders]

    def both(pure, fast):  # type: ignore[no-untyped-def]
        try:
            expected = pure()
        except agreement.NotEnoughData as exc:
            with pytest.raises(agreement.NotEnoughData):
                fast()
            return str(exc)
        assert fast() == pytest.approx(expected, abs=1e-12)
        return None

    both(lambda: agreement.krippendorff_alpha(data),
         lambda: sentence_stats.krippendorff_nominal(stats, layout))
    both(lambda: agreement.gwet_ac1(data), lambda: sentence_stats.gwet_ac1(stats, layout))
    both(lambda: agreement.cohen_kappa(data[0], data[2]),
         lambda: sentence_stats.cohen_kappa(stats, ("a", "c"), layout))
    rated = {sum(v is not None for v in col.values()) for col in columns}
    if len(rated) == 1:
        counts = [[sum(1 for c in coders if col[c] == label) for label in labels]
                  for col in columns]
        both(lambda: agreement.fleiss_kappa(counts),
             lambda: sentence_stats.fleiss_kappa(stats, layout))
    else:
        with pytest.raises(agreement.NotEnoughData, match="different numbers of reviewers"):
            sentence_stats.fleiss_kappa(stats, layout)


# -- The demo seed ------------------------------------------------------------------------------------

def test_demo_seed_gives_the_dashboard_real_disagreement(app, factory, api_as):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--demo"])
    assert result.exit_code == 0, result.output
    assert "Demo reviews annotated and submitted: 4." in result.output  # 2 articles × 2
    again = runner.invoke(args=["seed", "--demo"])
    assert "Demo reviews annotated" not in again.output  # submitted work is left alone
    sue = api_as("sue", "supervisor")
    body = sue.get("/agreement").json
    assert body["articles"] == 2 and body["reviewers"] == ["reviewer", "reviewer2"]
    counts = body["measures"]["disagreements"]
    assert counts["agree"] > counts["total"] > 0
    assert all(counts[kind] > 0 for kind in ("boundary", "label", "missing"))
    assert body["measures"]["alpha_unitizing"]["overall"]["value"] is not None


def test_article_page_with_nobody_to_compare_and_a_bad_flag(newsroom, page_as):
    page = page_as("sue", create=False)
    lonely = page.get(f"/articles/{newsroom['other']}/agreement")
    assert lonely.status_code == 200
    assert "agreement needs two" in lonely.get_data(as_text=True)
    assert page.get(f"/articles/{newsroom['other']}/agreement?include_unsubmitted=2"
                    ).status_code == 422
    assert page.get("/articles/999999/agreement").status_code == 404


# -- The agreement cache ---------------------------------------------------------------------------

def cache_rows(app: Any) -> dict[int, Any]:
    from workbench.db import db
    from workbench.models import AgreementCache

    with app.app_context():
        return {row.article_id: (row.fingerprint, row.figures is not None,
                                 row.contribution is not None)
                for row in db.session.query(AgreementCache)}


def test_figures_are_kept_until_the_submitted_work_changes(newsroom, app):
    sue, alice = newsroom["clients"]["sue"], newsroom["clients"]["alice"]
    article = newsroom["article"]
    first = sue.get(f"/articles/{article}/agreement").json
    fingerprint, has_figures, _ = cache_rows(app)[article]
    assert has_figures
    assert sue.get(f"/articles/{article}/agreement").json == first
    assert cache_rows(app)[article][0] == fingerprint  # served, not recomputed
    # Alice's review reopened: she drops her unmatched assertion and submits again.
    assert sue.post(f"/articles/{article}/assignments/alice/reopen",
                    json={"reason": "check the last sentence"}).status_code == 200
    mine = alice.get(f"/articles/{article}/assertions").json["items"]
    lone = next(a for a in mine if a["quote"] == "Nobody checked the data")
    assert alice.delete(f"/assertions/{lone['id']}").status_code == 204
    # While reopened, alice's work is not compared: nobody to compare bob with.
    alone = sue.get(f"/articles/{article}/agreement").json
    assert alone["reviewers"] == ["bob"]
    assert alice.post(f"/articles/{article}/submit").status_code == 200
    again = sue.get(f"/articles/{article}/agreement").json
    assert again["reviewers"] == ["alice", "bob"]
    assert cache_rows(app)[article][0] != fingerprint
    before, after = (x["measures"]["disagreements"] for x in (first, again))
    assert after["missing"] == before["missing"] - 1 and after["agree"] == before["agree"]


def test_pooled_figures_use_and_refresh_the_cache(newsroom, app):
    sue = newsroom["clients"]["sue"]
    article = newsroom["article"]
    pooled = sue.get("/agreement").json
    assert cache_rows(app)[article][2]  # contribution stored
    assert sue.get("/agreement").json == pooled
    # The article's own figures and its contribution share one row and one fingerprint.
    single = sue.get(f"/articles/{article}/agreement").json
    fingerprint, has_figures, has_contribution = cache_rows(app)[article]
    assert has_figures and has_contribution
    assert (pooled["measures"]["alpha_unitizing"]["overall"]["value"]
            == pytest.approx(single["measures"]["alpha_unitizing"]["overall"]["value"]))
    assert sue.post(f"/articles/{article}/assignments/bob/reopen",
                    json={"reason": "again"}).status_code == 200
    assert sue.get("/agreement").json["articles"] == 0
    assert newsroom["clients"]["bob"].post(f"/articles/{article}/submit").status_code == 200
    assert sue.get("/agreement").json == pooled  # the same work again: the same figures


def test_a_stale_cache_row_is_never_served(newsroom, app):
    from workbench.db import db
    from workbench.models import AgreementCache

    sue = newsroom["clients"]["sue"]
    article = newsroom["article"]
    honest = sue.get(f"/articles/{article}/agreement").json
    with app.app_context():
        row = db.session.get(AgreementCache, article)
        row.fingerprint = "0" * 64
        row.figures = '{"forged": true}'
        db.session.commit()
    assert sue.get(f"/articles/{article}/agreement").json == honest


def test_a_cache_write_that_cannot_take_the_lock_still_answers(newsroom, app, monkeypatch):
    from sqlalchemy.exc import OperationalError

    def locked(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(supervision, "_upsert", locked)
    sue = newsroom["clients"]["sue"]
    response = sue.get(f"/articles/{newsroom['article']}/agreement")
    assert response.status_code == 200 and response.json["reviewers"] == ["alice", "bob"]
    assert sue.get("/agreement").status_code == 200
    assert cache_rows(app) == {}  # nothing kept; computed again next time
