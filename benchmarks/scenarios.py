"""What the load runs send: the requests of each scenario, built from the corpus and accounts.

Saves are spread over many (article, reviewer) pairs: every request of a run targets a different
pair that is assigned and still open, so an htmx save re-renders a workspace of realistic size
(the reviewer's own assertions on that article, as a real save would) instead of one article
that keeps growing. API saves and htmx saves use disjoint pairs.
"""
from __future__ import annotations

import json
import random
import urllib.parse
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, text

from . import corpus_text
from .accounts import Account, Accounts
from .corpus import HEAVY_ARTICLE_ID
from .loadgen import HttpRequest
from .sessions import BrowserSession

TAGS = ("sourced", "unsourced", "opinion")


# One client's API saves at each corpus size: the save rate must stay flat as the corpus grows.
SAVE_BY_SIZE = "save (API) by corpus size"

@dataclass(frozen=True, slots=True)
class ListScenario:
    """A read of the article list: ``page`` (HTML, supervisor) or ``api`` (JSON, bearer)."""

    name: str
    kind: str  # "page" or "api"
    description: str

    def request(self, corpus_size: int, supervisor: Account,
                browser: BrowserSession) -> HttpRequest:
        middle = corpus_size // 2
        query = {"list": "", "next": f"?before={middle}" if self.kind == "page"
                 else f"?cursor={middle}",
                 "search": f"?q={corpus_text.COMMON_SEARCH_WORD}",
                 "search-rare": f"?q={corpus_text.RARE_SEARCH_WORD}"}[self.name]
        if self.kind == "page":
            return HttpRequest("GET", "/articles" + query, (("Cookie", browser.cookie_header),))
        return HttpRequest("GET", "/api/v1/articles" + query,
                           (("Authorization", f"Bearer {supervisor.token}"),))

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind})"


LIST_SCENARIOS = [
    ListScenario("list", "page", "GET /articles, first page (50), supervisor"),
    ListScenario("list", "api", "GET /api/v1/articles, first page (50), supervisor"),
    ListScenario("next", "page", "GET /articles?before=N/2, a page half-way down the list"),
    ListScenario("next", "api", "GET /api/v1/articles?cursor=N/2, a page half-way down"),
    ListScenario("search", "page",
                 f"GET /articles?q={corpus_text.COMMON_SEARCH_WORD} (in ~5% of articles)"),
    ListScenario("search", "api",
                 f"GET /api/v1/articles?q={corpus_text.COMMON_SEARCH_WORD} (~5%)"),
    ListScenario("search-rare", "page",
                 f"GET /articles?q={corpus_text.RARE_SEARCH_WORD} (in ~0.2% of articles)"),
    ListScenario("search-rare", "api",
                 f"GET /api/v1/articles?q={corpus_text.RARE_SEARCH_WORD} (~0.2%)"),
]


def article_page_request(browser: BrowserSession) -> HttpRequest:
    """The heavy article (1,000 assertions by 3 reviewers), opened by the supervisor."""
    return HttpRequest("GET", f"/articles/{HEAVY_ARTICLE_ID}", (("Cookie", browser.cookie_header),))


@dataclass(frozen=True, slots=True)
class SaveTarget:
    article_id: int
    reviewer_id: int
    start: int
    end: int
    quote: str
    tag: str
    existing: int  # the reviewer's assertions on this article before the run


@dataclass(frozen=True, slots=True)
class SaveTargets:
    api: list[SaveTarget]
    htmx: list[SaveTarget]

    @staticmethod
    def mean_existing(targets: list[SaveTarget]) -> float:
        return sum(t.existing for t in targets) / len(targets) if targets else 0.0


def load_save_targets(engine: Engine, per_channel: int, seed: int) -> SaveTargets:
    """Open (article, reviewer) pairs, newest articles first, each with a span of its body."""
    rng = random.Random(seed)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "SELECT s.article_id, s.reviewer_id, a.body FROM assignments s "
            "JOIN articles a ON a.id = s.article_id "
            "WHERE s.status = 'assigned' AND s.article_id <> :heavy "
            "ORDER BY s.article_id DESC, s.reviewer_id LIMIT :n"),
            {"heavy": HEAVY_ARTICLE_ID, "n": 2 * per_channel}).all()
        oldest = min((r.article_id for r in rows), default=0)
        existing = Counter({(r.article_id, r.reviewer_id): r.n for r in connection.execute(text(
            "SELECT article_id, reviewer_id, count(*) AS n FROM assertions "
            "WHERE article_id >= :oldest GROUP BY article_id, reviewer_id"),
            {"oldest": oldest})})
    # Several spans per open review when there are fewer reviews than targets: a replayed
    # request must be a new span (the same span and tag twice is refused with 409).
    # No two targets the same span and tag of one reviewer (the second would get 409).
    targets, seen = [], set()
    for i in range(2 * per_channel if rows else 0):
        r = rows[i % len(rows)]
        for _ in range(20):
            target = _target(rng, r.article_id, r.reviewer_id, r.body,
                             existing[(r.article_id, r.reviewer_id)])
            key = (target.article_id, target.reviewer_id, target.start, target.end, target.tag)
            if key not in seen:
                seen.add(key)
                targets.append(target)
                break
    rng.shuffle(targets)
    half = len(targets) // 2
    return SaveTargets(api=targets[:half], htmx=targets[half:])


def _target(rng: random.Random, article_id: int, reviewer_id: int, body: str,
            existing: int) -> SaveTarget:
    """A run of whole words: from after a space to before a later space."""
    start = body.find(" ", rng.randrange(max(1, len(body) - 200))) + 1
    end = body.find(" ", start + rng.randint(10, 80))
    if start <= 0 or end <= start:
        start, end = 0, min(len(body), 40)
    return SaveTarget(article_id, reviewer_id, start, end, body[start:end], rng.choice(TAGS),
                      existing)


def api_save_requests(targets: list[SaveTarget], accounts: Accounts) -> list[HttpRequest]:
    tokens = {r.id: r.token for r in accounts.reviewers}
    return [HttpRequest(
        "POST", f"/api/v1/articles/{t.article_id}/assertions",
        (("Authorization", f"Bearer {tokens[t.reviewer_id]}"),
         ("Content-Type", "application/json")),
        json.dumps({"start": t.start, "end": t.end, "quote": t.quote, "tag": t.tag},
                   ensure_ascii=False).encode("utf-8"))
        for t in targets]


def htmx_save_requests(targets: list[SaveTarget],
                       browsers: dict[int, BrowserSession]) -> list[HttpRequest]:
    """The tag bar's form post, as htmx sends it (``HX-Request: true``)."""
    requests = []
    for t in targets:
        browser = browsers[t.reviewer_id]
        form = urllib.parse.urlencode({"csrf_token": browser.csrf_token, "start": t.start,
                                       "end": t.end, "quote": t.quote, "tag": t.tag})
        requests.append(HttpRequest(
            "POST", f"/articles/{t.article_id}/assertions",
            (("Cookie", browser.cookie_header),
             ("Content-Type", "application/x-www-form-urlencoded"),
             ("HX-Request", "true"), ("HX-Current-URL", f"/articles/{t.article_id}")),
            form.encode("ascii")))
    return requests
