"""How well reviewers agree: per article and pooled over the project (supervisors only).

No Flask. The database is read with a few Core selects (assignments, bodies, assertions), grouped
by article; everything after that works on plain data (``ArticleWork``) and calls the pure
measures of ``workbench.agreement``. Every figure is ``agreement.figure``'s object
``{"value", "ci95", "n", "reason"}`` with a seeded bootstrap, so the page, the report and the
API, which all call these functions, show the same numbers.

Pooled figures are finished from sums: each article is reduced once to its contribution
(``article_contribution``: its strata, F1 sums, sentence statistics, per-pair counts,
disagreements and confusion, plain JSON), and ``pool`` sums contributions, with one seeded
bootstrap over articles shared by every pooled measure (``agreement.summed_figures``: all
resamples' sums in one matrix product). Over submitted work, contributions and an article's
own figures are kept in the agreement cache (``agreement_cache`` table) under a fingerprint of
the work they were computed from (see "The agreement cache" below), so a dashboard over
10,000 articles recomputes only the articles whose submitted work changed.

Definitions
-----------
Reviewers
    Those assigned to the article who submitted (or all assigned, ``include_unsubmitted``).
Span level
    ``alpha_unitizing.by_tag[tag]``: Krippendorff's (1995) alpha for unitizing the body, for that
    tag (``agreement.unitizing_alpha``; reviewers who marked nothing count as one long gap).
    ``alpha_unitizing.overall``: the same alpha with every assertion in one category, whatever
    its tag: do reviewers mark the same stretches as assertions at all? (Tag agreement is what
    the per-tag alphas, the sentence measures and the label disagreements report.) For an article
    the bootstrap resamples *blocks*: the body cut at sentence starts that no assertion crosses,
    so the full sample is exactly the article. Pooled over articles, alpha is stratified by
    article (reviewers differ between articles): ``1 - sum_a L_a D_o,a / sum_a L_a D_e,a`` with
    each article's own observed and expected disagreement and length ``L_a``; for one article it
    is that article's alpha. The bootstrap resamples articles.
Matching and disagreements
    Per pair of reviewers, their assertions are matched one to one, greedily, best kind first
    (then larger overlap): ``agree`` (same extent and tag), ``label`` (same extent, other tag),
    ``boundary`` (same tag, overlapping, other extent), ``boundary_and_label`` (overlapping, other
    extent and tag). An unmatched assertion takes the best kind it has with any overlapping
    assertion of the other reviewer, or ``missing`` when the other has nothing overlapping it.
    Each matched pair counts once, each unmatched assertion once.
Span F1
    With ``M`` matched pairs, ``n1`` assertions of the first reviewer (usernames in order) and
    ``n2`` of the second: precision ``M / n2``, recall ``M / n1``, F1 ``2M / (n1 + n2)``, summed
    over pairs (micro average). ``exact`` counts ``agree`` matches, ``overlap`` counts ``agree``
    and ``boundary`` matches. The bootstrap resamples the comparison outcomes (articles, pooled).
Sentence level
    Units are ``split_sentences(body)``; a reviewer's label for a sentence is the tag whose
    assertions cover most of its characters (ties: the order of ``TAGS``), or ``"none"`` when no
    assertion touches it. Cohen's kappa per pair and their mean, Fleiss' kappa, Krippendorff's
    alpha (nominal) and Gwet's AC1 over all reviewers. The bootstrap resamples sentences
    (articles, pooled); the measures are finished from per-unit sufficient statistics
    (``workbench.sentence_stats``, checked against ``workbench.agreement`` in the tests), so a
    resample adds small vectors instead of rebuilding a coders × units matrix.
Confusion
    Symmetric counts, each comparison in both orders (as in a coincidence matrix): matched
    assertion pairs ``(tag, tag)``, unmatched ones ``(tag, none)``; and per pair of reviewers each
    sentence's ``(label, label)``.
"""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import orjson
from sqlalchemy import case, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from .. import agreement, sentence_stats
from ..agreement import NotEnoughData
from ..models import TAGS, AgreementCache, Article, Assertion, Assignment, AssignmentStatus, User
from ..models.base import utcnow
from ..text import split_sentences
from ..values import ValueProblem, parse_int
from .errors import NotFound, ValidationFailed


NONE_LABEL = "none"
LABELS = (*TAGS, NONE_LABEL)
ANY_TAG = "any"
AGREE = "agree"
# Best first: matching prefers earlier kinds.
MATCH_KINDS = (AGREE, "label", "boundary", "boundary_and_label")
MISSING = "missing"
KINDS = (*MATCH_KINDS, MISSING)
DISAGREEMENT_KINDS = KINDS[1:]
RESAMPLES = 1000
SEED = 20261202
# SQLite allows 32766 bound parameters; stay far below.
CHUNK = 900
NOTHING_MARKED = "nobody marked anything"
F1_MEASURES = (("exact", 0), ("overlap", 1))
F1_WHICH = ("precision", "recall", "f1")
SENTENCE_MEASURES = ("cohen", "fleiss", "krippendorff", "gwet")


# -- Plain data -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Mark:
    """One assertion as agreement sees it."""

    id: int
    reviewer: str
    start: int
    end: int
    tag: str


@dataclass(slots=True)
class ArticleWork:
    """An article's text measurements and its included reviewers' assertions."""

    article_id: int
    title: str
    length: int
    sentences: list[tuple[int, int]]
    reviewers: list[str]
    marks: dict[str, list[Mark]] = field(default_factory=dict)

    def marks_of(self, reviewer: str) -> list[Mark]:
        return self.marks.get(reviewer, [])


@dataclass(frozen=True, slots=True)
class Link:
    """The outcome of comparing two reviewers at one place: a matched pair or a lone assertion."""

    kind: str
    first: Mark | None
    second: Mark | None


@dataclass(slots=True)
class PairComparison:
    first: str
    second: str
    links: list[Link]


# -- Matching two reviewers ----------------------------------------------------------------------

def _overlap(a: Mark, b: Mark) -> int:
    return min(a.end, b.end) - max(a.start, b.start)


def _kind(a: Mark, b: Mark) -> str:
    same_extent = a.start == b.start and a.end == b.end
    same_tag = a.tag == b.tag
    if same_extent:
        return AGREE if same_tag else "label"
    return "boundary" if same_tag else "boundary_and_label"


def compare_pair(first: Sequence[Mark], second: Sequence[Mark]) -> list[Link]:
    """Match two reviewers' assertions one to one and classify every outcome (see the module)."""
    candidates = []
    for i, a in enumerate(first):
        for j, b in enumerate(second):
            overlap = _overlap(a, b)
            if overlap > 0:
                kind = _kind(a, b)
                candidates.append((MATCH_KINDS.index(kind), -overlap, i, j, kind))
    candidates.sort()
    used_first: set[int] = set()
    used_second: set[int] = set()
    best_first: dict[int, int] = {}
    best_second: dict[int, int] = {}
    links: list[Link] = []
    for rank, _, i, j, kind in candidates:
        best_first[i] = min(best_first.get(i, rank), rank)
        best_second[j] = min(best_second.get(j, rank), rank)
        if i in used_first or j in used_second:
            continue
        used_first.add(i)
        used_second.add(j)
        links.append(Link(kind, first[i], second[j]))
    for i, a in enumerate(first):
        if i not in used_first:
            kind = MATCH_KINDS[best_first[i]] if i in best_first else MISSING
            links.append(Link(kind, a, None))
    for j, b in enumerate(second):
        if j not in used_second:
            kind = MATCH_KINDS[best_second[j]] if j in best_second else MISSING
            links.append(Link(kind, None, b))
    return links


def pair_comparisons(work: ArticleWork) -> list[PairComparison]:
    """Every pair of the article's reviewers (usernames in order), compared."""
    return [PairComparison(a, b, compare_pair(work.marks_of(a), work.marks_of(b)))
            for a, b in combinations(work.reviewers, 2)]


# F1 items: (exact matches, overlap matches, first's assertions, second's assertions).
F1Item = tuple[int, int, int, int]


def f1_items(links: Iterable[Link]) -> list[F1Item]:
    """One item per link; their sums are ``(M_exact, M_overlap, n1, n2)``."""
    items: list[F1Item] = []
    for link in links:
        if link.first is not None and link.second is not None:
            items.append((int(link.kind == AGREE), int(link.kind in (AGREE, "boundary")), 1, 1))
        else:
            items.append((0, 0, int(link.first is not None), int(link.second is not None)))
    return items


# -- Sentence labels -------------------------------------------------------------------------------

def _merged(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def sentence_labels(sentences: Sequence[tuple[int, int]], marks: Sequence[Mark]) -> list[str]:
    """Each sentence's label for one reviewer: the tag covering most of it, else ``none``."""
    cover = {tag: _coverage(sentences, _merged((m.start, m.end) for m in marks if m.tag == tag))
             for tag in TAGS}
    labels = []
    for i in range(len(sentences)):
        best, best_cover = NONE_LABEL, 0
        for tag in TAGS:  # ties: the order of TAGS
            if cover[tag][i] > best_cover:
                best, best_cover = tag, cover[tag][i]
        labels.append(best)
    return labels


def _coverage(sentences: Sequence[tuple[int, int]], merged: Sequence[tuple[int, int]]) -> list[int]:
    """How many characters of each sentence the merged (sorted, disjoint) spans cover."""
    out = []
    first, previous = 0, 0
    for start, end in sentences:
        if start < previous:
            first = 0  # out of order: search from the beginning again
        previous = start
        while first < len(merged) and merged[first][1] <= start:
            first += 1
        covered = 0
        k = first
        while k < len(merged) and merged[k][0] < end:
            covered += max(0, min(end, merged[k][1]) - max(start, merged[k][0]))
            k += 1
        out.append(covered)
    return out


# A sentence as a unit: reviewer -> label (reviewers absent from the article are missing).
Column = dict[str, str]


def sentence_columns(work: ArticleWork) -> list[Column]:
    """Every sentence's label per reviewer of the article."""
    per_reviewer = {r: sentence_labels(work.sentences, work.marks_of(r)) for r in work.reviewers}
    return [{r: per_reviewer[r][i] for r in work.reviewers} for i in range(len(work.sentences))]


LAYOUT = sentence_stats.Layout(LABELS)


def sentence_units(work: ArticleWork) -> list[sentence_stats.Stats]:
    """The article's sentences as bootstrap units: each one's sufficient statistics."""
    return [sentence_stats.unit_stats(column, LAYOUT) for column in sentence_columns(work)]


# -- Unitizing alpha --------------------------------------------------------------------------------

# A block of the body no assertion crosses: (length, spans relative to the block).
Block = tuple[int, list[tuple[str, int, int, str]]]


def _spans(work: ArticleWork, category: str | None = None) -> list[tuple[str, int, int, str]]:
    """``(coder, start, end, category)``; ``category=ANY_TAG`` puts every assertion in one."""
    return [(m.reviewer, m.start, m.end, category or m.tag)
            for r in work.reviewers for m in work.marks_of(r)]


def blocks(work: ArticleWork, category: str | None = None) -> list[Block]:
    """The body cut at sentence starts that no assertion crosses (the article's bootstrap units)."""
    spans = _spans(work, category)
    cuts = sorted({0, *(s for s, _ in work.sentences
                        if not any(start < s < end for _, start, end, _ in spans))})
    cuts = [c for c in cuts if c < work.length] + [work.length]
    out: list[Block] = []
    for left, right in zip(cuts, cuts[1:]):
        inside = [(c, s - left, e - left, t) for c, s, e, t in spans if left <= s and e <= right]
        out.append((right - left, inside))
    return out


def _blocks_alpha(category: str, coders: Sequence[str]) -> Callable[[Sequence[Block]], float]:
    def measure(sample: Sequence[Block]) -> float:
        offset, spans = 0, []
        for length, inside in sample:
            spans.extend((c, s + offset, e + offset, t) for c, s, e, t in inside)
            offset += length
        return agreement.unitizing_alpha(offset, spans, category, coders=coders)

    return measure


# One article's share of a stratified alpha: (L * D_o, L * D_e), or None when it has no figure.
Stratum = tuple[float, float] | None


def stratum(work: ArticleWork, category: str) -> tuple[Stratum, str | None]:
    """The article's weighted observed and expected disagreement for ``category``, or why not."""
    spans = _spans(work, ANY_TAG if category == ANY_TAG else None)
    try:
        # The integer parts of the pure measure, so the pooled figure uses its exact definition.
        do_num, do_den, de_num, de_den = agreement.unitizing_parts(
            work.length, spans, category, work.reviewers)
    except NotEnoughData as exc:
        return None, str(exc)
    if de_num == 0:
        return None, agreement.NO_EXPECTED_DISAGREEMENT
    return (work.length * do_num / do_den, work.length * de_num / de_den), None


# -- Figures -----------------------------------------------------------------------------------------

def _not_available(reason: str) -> dict[str, Any]:
    return {"value": None, "ci95": None, "n": 0, "reason": reason}


def disagreement_counts(comparisons: Iterable[PairComparison]) -> dict[str, int]:
    """How many comparison outcomes of each kind, and the disagreements in ``total``."""
    counts = dict.fromkeys(KINDS, 0)
    for comparison in comparisons:
        for link in comparison.links:
            counts[link.kind] += 1
    counts["total"] = sum(counts[k] for k in DISAGREEMENT_KINDS)
    return counts


# -- One article -----------------------------------------------------------------------------------

def measure_article(work: ArticleWork, *, resamples: int = RESAMPLES) -> dict[str, Any]:
    """The agreement figures of one article's work (pure; see the module for definitions)."""
    comparisons = pair_comparisons(work)
    alpha: dict[str, Any] = {}
    for category in (ANY_TAG, *TAGS):
        units = blocks(work, ANY_TAG if category == ANY_TAG else None)
        resampled = agreement.UnitizingBlocks(units, category, work.reviewers)
        alpha[category] = agreement.figure(
            _blocks_alpha(category, work.reviewers), units, seed=SEED, resamples=resamples,
            interval=lambda r=resampled: r.interval(seed=SEED, resamples=resamples))
    links = [link for c in comparisons for link in c.links]
    pairs = tuple((c.first, c.second) for c in comparisons)
    sentences = sentence_units(work)
    columns = _PoolColumns(pairs, tuple(sorted({m for u in sentences for m in u.raters})))
    finish = _pooled_finish(columns, work.reviewers, dict.fromkeys((ANY_TAG, *TAGS)))
    # Links are the F1 bootstrap's units, sentences the sentence measures'.
    f1 = agreement.summed_figures(finish, [columns.f1_row(i) for i in f1_items(links)],
                                  width=columns.width, seed=SEED, resamples=resamples)
    by_sentence = agreement.summed_figures(finish, [columns.sentence_row(u) for u in sentences],
                                           width=columns.width, seed=SEED, resamples=resamples)
    return {
        "article_id": work.article_id,
        "reviewers": list(work.reviewers),
        "measures": {
            "alpha_unitizing": {"overall": alpha[ANY_TAG],
                                "by_tag": {tag: alpha[tag] for tag in TAGS}},
            "span_f1": _f1_section(f1),
            "sentence": _sentence_section(by_sentence, pairs, len(work.sentences)),
            "disagreements": disagreement_counts(comparisons),
        },
    }


def article_agreement(session: Session, article_id: int, *, include_unsubmitted: bool = False,
                      resamples: int = RESAMPLES) -> dict[str, Any]:
    """Agreement on one article: ``{"article_id", "reviewers", "measures"}``; NotFound if unknown.

    Over submitted work (the default) the figures come from the agreement cache while the work
    is unchanged. The caller checks the right to see it (supervisors and admins)."""
    if include_unsubmitted or resamples != RESAMPLES:
        return measure_article(load_article(session, article_id,
                                            include_unsubmitted=include_unsubmitted),
                               resamples=resamples)
    fingerprint = fingerprints(session, [article_id]).get(article_id)
    if fingerprint is None:
        raise NotFound("No such article.")
    row = session.get(AgreementCache, article_id)
    if row is not None and row.fingerprint == fingerprint and row.figures is not None:
        figures: dict[str, Any] = orjson.loads(row.figures)
        return figures
    figures = measure_article(load_article(session, article_id), resamples=resamples)
    _store(session, [{"article_id": article_id, "fingerprint": fingerprint,
                      "figures": orjson.dumps(figures).decode()}], "figures")
    return figures


def load_article(session: Session, article_id: int, *,
                 include_unsubmitted: bool = False) -> ArticleWork:
    """One article's work, for the measures and the side-by-side view; NotFound if unknown."""
    works = load_work(session, [article_id], include_unsubmitted=include_unsubmitted,
                      keep_single=True)
    if not works:
        raise NotFound("No such article.")
    return works[0]


def span_kinds(work: ArticleWork) -> dict[int, list[tuple[str, str]]]:
    """For every assertion id: ``(other reviewer, kind)`` for each other reviewer."""
    kinds: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for comparison in pair_comparisons(work):
        for link in comparison.links:
            if link.first is not None:
                kinds[link.first.id].append((comparison.second, link.kind))
            if link.second is not None:
                kinds[link.second.id].append((comparison.first, link.kind))
    return dict(kinds)


def worst_kind(kinds: Iterable[tuple[str, str]]) -> str:
    """The most serious outcome among an assertion's comparisons (``agree`` if there are none)."""
    found = [kind for _, kind in kinds]
    return max(found, key=KINDS.index) if found else AGREE


# -- The project -------------------------------------------------------------------------------------

def project_agreement(session: Session, *, search: str | None = None,
                      article_ids: Sequence[int] | None = None, include_unsubmitted: bool = False,
                      ranked_limit: int = 20, resamples: int = RESAMPLES) -> dict[str, Any]:
    """Agreement pooled over the articles the list's search picks (or ``article_ids``, or all).

    ``{"articles", "reviewers", "measures", "by_pair", "confusion", "ranked", "reviewer_counts"}``
    where ``articles`` counts the articles compared (two or more reviewers)."""
    ids = scope_ids(session, search=search, article_ids=article_ids)
    if include_unsubmitted:
        works = load_work(session, ids, include_unsubmitted=True)
        contributions = [{**article_contribution(w), "article_id": w.article_id,
                          "title": w.title} for w in works]
    else:
        contributions = cached_contributions(session, ids)
    return {
        **pool(contributions, resamples=resamples, ranked_limit=ranked_limit),
        "reviewer_counts": reviewer_counts(session, ids),
    }


def measure_project(works: Sequence[ArticleWork], *, resamples: int = RESAMPLES,
                    ranked_limit: int = 20) -> dict[str, Any]:
    """The pooled figures over articles with two or more reviewers (pure)."""
    return pool([{**article_contribution(w), "article_id": w.article_id, "title": w.title}
                 for w in works if len(w.reviewers) >= 2],
                resamples=resamples, ranked_limit=ranked_limit)


# -- An article's contribution to the pooled figures ------------------------------------------------
#
# Everything the pooled figures need of one article, as plain JSON (what the agreement cache
# stores): per category its stratum of the stratified alpha, its F1 sums, its sentences' summed
# statistics, per pair of reviewers its F1 sums and Cohen counts, its disagreement counts and its
# share of the confusion tables. The pooled figures sum these; a resample sums them with weights.

def article_contribution(work: ArticleWork) -> dict[str, Any]:
    """One article's sufficient statistics for :func:`pool` (pure; JSON-ready)."""
    comparisons = pair_comparisons(work)
    columns = sentence_columns(work)
    stats = sentence_stats.summed(columns, LAYOUT)
    strata: dict[str, list[float] | None] = {}
    reasons: dict[str, str | None] = {}
    for category in (ANY_TAG, *TAGS):
        share, reasons[category] = stratum(work, category)
        strata[category] = None if share is None else list(share)
    return {
        "reviewers": list(work.reviewers),
        "sentences": len(work.sentences),
        "assertions": sum(len(work.marks_of(r)) for r in work.reviewers),
        "strata": strata,
        "reasons": reasons,
        "f1": _f1_sums(link for c in comparisons for link in c.links),
        "core": list(stats.core),
        "raters": sorted(stats.raters),
        "pairs": [{"reviewers": [c.first, c.second], "f1": _f1_sums(c.links),
                   "cells": list(stats.pairs.get((c.first, c.second), ()))}
                  for c in comparisons],
        "disagreements": disagreement_counts(comparisons),
        "confusion": confusion(comparisons, work, columns),
    }


def _f1_sums(links: Iterable[Link]) -> list[int]:
    """``(M_exact, M_overlap, n1, n2)`` summed over the links."""
    return [sum(column) for column in zip(*f1_items(links))] or [0, 0, 0, 0]


def confusion(comparisons: Iterable[PairComparison], work: ArticleWork,
              columns: Sequence[Column]) -> dict[str, list[list[int]]]:
    """Symmetric tag confusion over matched assertions and over sentences (see the module)."""
    index = {label: i for i, label in enumerate(LABELS)}
    spans = [[0] * len(LABELS) for _ in LABELS]
    sentences = [[0] * len(LABELS) for _ in LABELS]

    def add(table: list[list[int]], x: str, y: str) -> None:
        table[index[x]][index[y]] += 1
        table[index[y]][index[x]] += 1

    for c in comparisons:
        for link in c.links:
            add(spans, link.first.tag if link.first else NONE_LABEL,
                link.second.tag if link.second else NONE_LABEL)
    for a, b in combinations(work.reviewers, 2):
        for column in columns:
            add(sentences, column[a], column[b])
    return {"spans": spans, "sentences": sentences}


# -- Pooling contributions ----------------------------------------------------------------------

def _f1_value(which: str, m: float, n1: float, n2: float) -> float | NotEnoughData:
    denominator = {"precision": n2, "recall": n1, "f1": n1 + n2}[which]
    if denominator == 0:
        return NotEnoughData(NOTHING_MARKED if n1 + n2 == 0 else
                             f"the {'second' if which == 'precision' else 'first'} "
                             "reviewer marked nothing")
    return (2 * m if which == "f1" else m) / denominator


def _attempt(compute: Callable[[], float]) -> float | NotEnoughData:
    try:
        return compute()
    except NotEnoughData as exc:
        return exc


@dataclass(frozen=True, slots=True)
class _PoolColumns:
    """Where each measure's sums sit in a pooled row (one row per article)."""

    pairs: tuple[tuple[str, str], ...]
    rater_counts: tuple[int, ...]

    # 4 categories × (L D_o, L D_e, usable), then the F1 sums, the sentence core, Cohen cells
    # per pair, and how many of the article's sentences had each number of raters.
    alpha = 0
    f1 = 3 * (1 + len(TAGS))
    core = f1 + 4

    @property
    def cells(self) -> int:
        return self.core + LAYOUT.size

    @property
    def raters(self) -> int:
        return self.cells + len(self.pairs) * LAYOUT.k ** 2

    @property
    def width(self) -> int:
        return self.raters + len(self.rater_counts)

    def row(self, c: dict[str, Any]) -> list[float]:
        """An article's row from its contribution."""
        cells = {tuple(entry["reviewers"]): entry["cells"] for entry in c["pairs"]}
        return self._row(c["strata"], c["f1"], c["core"], cells, c["raters"])

    def f1_row(self, item: Sequence[int]) -> list[float]:
        """A link's row (the unit of an article's F1 bootstrap)."""
        return self._row(None, item, None, {}, ())

    def sentence_row(self, stats: sentence_stats.Stats) -> list[float]:
        """A sentence's row (the unit of an article's sentence bootstrap)."""
        return self._row(None, None, stats.core, stats.pairs, stats.raters)

    def _row(self, strata: dict[str, list[float] | None] | None, f1: Sequence[int] | None,
             core: Sequence[float] | None, cells: dict[Any, Sequence[int]],
             raters: Iterable[int]) -> list[float]:
        row = [0.0] * self.width
        for i, category in enumerate((ANY_TAG, *TAGS)):
            share = strata[category] if strata else None
            if share is not None:
                row[3 * i:3 * i + 3] = [share[0], share[1], 1.0]
        if f1:
            row[self.f1:self.f1 + 4] = f1
        if core:
            row[self.core:self.core + LAYOUT.size] = core
        width = LAYOUT.k ** 2
        for k, pair in enumerate(self.pairs):
            if cells.get(pair):
                at = self.cells + k * width
                row[at:at + width] = cells[pair]
        for m in raters:
            row[self.raters + self.rater_counts.index(m)] = 1.0
        return row

    def stats(self, sums: Sequence[float]) -> sentence_stats.Stats:
        width = LAYOUT.k ** 2
        pairs = {}
        for k, pair in enumerate(self.pairs):
            cells = sums[self.cells + k * width:self.cells + (k + 1) * width]
            if any(cells):
                pairs[pair] = tuple(cells)
        raters = frozenset(m for k, m in enumerate(self.rater_counts) if sums[self.raters + k])
        return sentence_stats.Stats(tuple(sums[self.core:self.core + LAYOUT.size]), pairs, raters)


def _pooled_finish(columns: _PoolColumns, reviewers: Sequence[str],
                   reasons: dict[str, str | None]) -> Callable[[list[float]], dict[str, Any]]:
    """Every pooled measure from one vector of summed rows (the total or a resample)."""
    all_pairs = list(combinations(reviewers, 2))

    def finish(sums: list[float]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for i, category in enumerate((ANY_TAG, *TAGS)):
            observed, expected, usable = sums[3 * i:3 * i + 3]
            out[f"alpha:{category}"] = (
                NotEnoughData(reasons[category] or agreement.NO_PAIRABLE_UNITS)
                if not usable or expected <= 0 else 1.0 - observed / expected)
        exact, overlap, n1, n2 = sums[columns.f1:columns.f1 + 4]
        for name, matched in F1_MEASURES:
            for which in F1_WHICH:
                out[f"f1:{name}:{which}"] = _f1_value(which, (exact, overlap)[matched], n1, n2)
        if len(reviewers) < 2:
            few = NotEnoughData(agreement.ONE_CODER if reviewers else agreement.NO_CODERS)
            for name in SENTENCE_MEASURES:
                out[f"sentence:{name}"] = few
            for pair in columns.pairs:
                out[f"sentence:cohen:{pair}"] = few
            return out
        stats = columns.stats(sums)
        out["sentence:cohen"] = _attempt(lambda: sentence_stats.mean_cohen(stats, all_pairs,
                                                                           LAYOUT))
        out["sentence:fleiss"] = _attempt(lambda: sentence_stats.fleiss_kappa(stats, LAYOUT))
        out["sentence:krippendorff"] = _attempt(
            lambda: sentence_stats.krippendorff_nominal(stats, LAYOUT))
        out["sentence:gwet"] = _attempt(lambda: sentence_stats.gwet_ac1(stats, LAYOUT))
        for pair in columns.pairs:
            out[f"sentence:cohen:{pair}"] = _attempt(
                lambda pair=pair: sentence_stats.cohen_kappa(stats, pair, LAYOUT))
        return out

    return finish


def pool(contributions: Sequence[dict[str, Any]], *, resamples: int = RESAMPLES,
         ranked_limit: int = 20) -> dict[str, Any]:
    """The pooled figures from articles' contributions (each with ``article_id`` and ``title``),
    articles resampled by one seeded bootstrap shared by every pooled measure (pure)."""
    reviewers = sorted({r for c in contributions for r in c["reviewers"]})
    pairs = tuple(sorted({tuple(p["reviewers"]) for c in contributions for p in c["pairs"]}))
    columns = _PoolColumns(pairs, tuple(sorted({m for c in contributions for m in c["raters"]})))
    reasons = {category: next((c["reasons"][category] for c in contributions
                               if c["reasons"][category]), None)
               for category in (ANY_TAG, *TAGS)}
    rows = [columns.row(c) for c in contributions]
    figures = agreement.summed_figures(_pooled_finish(columns, reviewers, reasons), rows,
                                       width=columns.width, seed=SEED, resamples=resamples)
    alpha = {category: figures[f"alpha:{category}"] if contributions
             else _not_available(agreement.NO_CODERS) for category in (ANY_TAG, *TAGS)}
    disagreements = dict.fromkeys(KINDS, 0)
    disagreements["total"] = 0
    tables = {"spans": _zeros(), "sentences": _zeros()}
    for c in contributions:
        for kind, count in c["disagreements"].items():
            disagreements[kind] += count
        for name, table in tables.items():
            for row, more in zip(table, c["confusion"][name]):
                row[:] = [x + y for x, y in zip(row, more)]
    return {
        "articles": len(contributions),
        "reviewers": reviewers,
        "measures": {
            "alpha_unitizing": {"overall": alpha[ANY_TAG],
                                "by_tag": {tag: alpha[tag] for tag in TAGS}},
            "span_f1": _f1_section(figures),
            "sentence": _sentence_section(figures, pairs,
                                          sum(c["sentences"] for c in contributions)),
            "disagreements": disagreements,
        },
        "by_pair": by_pair(contributions, pairs, resamples),
        "confusion": {"labels": list(LABELS), **tables},
        "ranked": ranked(contributions, ranked_limit),
    }


def _f1_section(figures: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {name: {which: figures[f"f1:{name}:{which}"] for which in F1_WHICH}
            for name, _ in F1_MEASURES}


def _sentence_section(figures: dict[str, dict[str, Any]], pairs: Sequence[tuple[str, str]],
                      units: int) -> dict[str, Any]:
    return {
        "units": units,
        "cohen_kappa": figures["sentence:cohen"],
        "cohen_by_pair": [{"reviewers": list(pair), "figure": figures[f"sentence:cohen:{pair}"]}
                          for pair in pairs],
        "fleiss_kappa": figures["sentence:fleiss"],
        "krippendorff_alpha": figures["sentence:krippendorff"],
        "gwet_ac1": figures["sentence:gwet"],
    }


def _zeros() -> list[list[int]]:
    return [[0] * len(LABELS) for _ in LABELS]


def by_pair(contributions: Sequence[dict[str, Any]], pairs: Sequence[tuple[str, str]],
            resamples: int) -> list[dict[str, Any]]:
    """Reviewer × reviewer: overlap F1 and sentence kappa over the articles both reviewed
    (articles resampled)."""
    rows: dict[tuple[str, str], list[list[float]]] = {pair: [] for pair in pairs}
    width = LAYOUT.k ** 2
    for c in contributions:
        for entry in c["pairs"]:
            rows[tuple(entry["reviewers"])].append(
                [*entry["f1"], *(entry["cells"] or [0] * width)])
    out = []
    for pair in pairs:
        def finish(sums: list[float], pair: tuple[str, str] = pair) -> dict[str, Any]:
            cells = tuple(sums[4:])
            stats = sentence_stats.Stats((), {pair: cells} if any(cells) else {}, frozenset())
            return {"span_f1": _f1_value("f1", sums[1], sums[2], sums[3]),
                    "cohen_kappa": _attempt(
                        lambda: sentence_stats.cohen_kappa(stats, pair, LAYOUT))}

        figures = agreement.summed_figures(finish, rows[pair], width=4 + width, seed=SEED,
                                           resamples=resamples)
        out.append({"reviewers": list(pair), "articles": len(rows[pair]), **figures})
    return out


def ranked(contributions: Sequence[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """Articles with the most disagreements first (then most assertions, then id)."""
    rows = [{"article_id": c["article_id"], "title": c["title"], "reviewers": c["reviewers"],
             "assertions": c["assertions"], "disagreements": c["disagreements"]}
            for c in contributions]
    rows.sort(key=lambda r: (-r["disagreements"]["total"], -r["assertions"], r["article_id"]))
    return rows[:limit]


# -- Filters, as the API and the page receive them --------------------------------------------------

TRUE_WORDS = ("1", "true", "on", "yes")
FALSE_WORDS = ("", "0", "false", "off", "no")
RANKED_DEFAULT = 20
RANKED_MAX = 200


@dataclass(frozen=True, slots=True)
class AgreementFilters:
    search: str | None = None
    include_unsubmitted: bool = False
    ranked_limit: int = RANKED_DEFAULT


def parse_flag(raw: str | None, name: str) -> bool:
    """A yes/no query value (``1``/``0``, ``true``/``false``, a checkbox's ``on``)."""
    word = (raw or "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationFailed(f"{name} must be 1 or 0 (true or false).", name)


def parse_filters(args: Any) -> AgreementFilters:
    """``q``, ``include_unsubmitted`` and ``limit`` from a query mapping; ValidationFailed (422)
    names the bad field."""
    raw_limit = args.get("limit")
    try:
        # Absent: the default; present, even empty, it must be a number (as the lists' limit).
        limit = RANKED_DEFAULT if raw_limit is None else parse_int(
            raw_limit, "limit", minimum=1, maximum=RANKED_MAX)
    except ValueProblem as problem:
        raise ValidationFailed(problem.message, problem.field) from problem
    search = (args.get("q") or "").strip() or None
    return AgreementFilters(search=search,
                            include_unsubmitted=parse_flag(args.get("include_unsubmitted"),
                                                           "include_unsubmitted"),
                            ranked_limit=limit)


# -- Reading the database ----------------------------------------------------------------------------

def _chunks(values: Sequence[int]) -> Iterator[Sequence[int]]:
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def scope_ids(session: Session, *, search: str | None = None,
              article_ids: Sequence[int] | None = None) -> list[int]:
    """The article ids the list's search (and an optional id list) pick, in id order."""
    # The article list's own search (FTS5 or tsvector), so "the same filters" stays true.
    from .articles import with_search

    stmt = select(Article.id)
    if search and search.strip():
        stmt = with_search(session, stmt, search.strip())
        if stmt is None:
            return []
    ids = list(session.scalars(stmt.order_by(Article.id)))
    if article_ids is not None:
        wanted = set(article_ids)
        ids = [i for i in ids if i in wanted]
    return ids


def load_work(session: Session, article_ids: Sequence[int], *, include_unsubmitted: bool = False,
              keep_single: bool = False) -> list[ArticleWork]:
    """The work on these articles, in id order: three grouped selects per chunk of ids.

    Articles with fewer than two included reviewers are left out unless ``keep_single``."""
    works: list[ArticleWork] = []
    for chunk in _chunks(list(article_ids)):
        reviewers = _reviewers(session, chunk, include_unsubmitted)
        wanted = [i for i in chunk if keep_single or len(reviewers.get(i, {})) >= 2]
        if not wanted:
            continue
        rows = session.execute(select(Article.id, Article.title, Article.body)
                               .where(Article.id.in_(wanted)).order_by(Article.id)).all()
        by_id: dict[int, ArticleWork] = {}
        for article_id, title, body in rows:
            names = reviewers.get(article_id, {})
            by_id[article_id] = ArticleWork(
                article_id=article_id, title=title, length=len(body),
                sentences=[(s.start, s.end) for s in split_sentences(body)],
                reviewers=sorted(names.values()))
        _attach_marks(session, by_id, reviewers)
        works.extend(by_id[i] for i in wanted if i in by_id)
    return works


def _reviewers(session: Session, ids: Sequence[int],
               include_unsubmitted: bool) -> dict[int, dict[int, str]]:
    stmt = (select(Assignment.article_id, User.id, User.username)
            .join(User, User.id == Assignment.reviewer_id)
            .where(Assignment.article_id.in_(ids)))
    if not include_unsubmitted:
        stmt = stmt.where(Assignment.status == AssignmentStatus.submitted.value)
    out: dict[int, dict[int, str]] = defaultdict(dict)
    for article_id, user_id, username in session.execute(stmt):
        out[article_id][user_id] = username
    return out


def _attach_marks(session: Session, by_id: dict[int, ArticleWork],
                  reviewers: dict[int, dict[int, str]]) -> None:
    stmt = (select(Assertion.id, Assertion.article_id, Assertion.reviewer_id, Assertion.start,
                   Assertion.end, Assertion.tag)
            .where(Assertion.article_id.in_(list(by_id)), Assertion.consensus.is_(False))
            .order_by(Assertion.article_id, Assertion.start, Assertion.end, Assertion.id))
    for assertion_id, article_id, reviewer_id, start, end, tag in session.execute(stmt):
        name = reviewers.get(article_id, {}).get(reviewer_id)
        if name is None:
            continue  # work in progress (or of someone no longer assigned) is not compared
        by_id[article_id].marks.setdefault(name, []).append(
            Mark(assertion_id, name, start, end, tag))


def reviewer_counts(session: Session, article_ids: Sequence[int]) -> list[dict[str, Any]]:
    """Per reviewer over these articles: assigned, submitted, assertions (by tag) and pace
    (assertions per submitted article)."""
    stats: dict[str, dict[str, Any]] = {}

    def entry(name: str) -> dict[str, Any]:
        return stats.setdefault(name, {"reviewer": name, "assigned": 0, "submitted": 0,
                                       "assertions": 0, "by_tag": dict.fromkeys(TAGS, 0),
                                       "per_submitted_article": None})

    for chunk in _chunks(list(article_ids)):
        for name, status, count in session.execute(
                select(User.username, Assignment.status, func.count())
                .join(User, User.id == Assignment.reviewer_id)
                .where(Assignment.article_id.in_(chunk))
                .group_by(User.username, Assignment.status)):
            entry(name)["assigned"] += count
            if status == AssignmentStatus.submitted.value:
                entry(name)["submitted"] += count
        for name, tag, count in session.execute(
                select(User.username, Assertion.tag, func.count())
                .join(User, User.id == Assertion.reviewer_id)
                .where(Assertion.article_id.in_(chunk), Assertion.consensus.is_(False))
                .group_by(User.username, Assertion.tag)):
            entry(name)["assertions"] += count
            entry(name)["by_tag"][tag] += count
    for row in stats.values():
        if row["submitted"]:
            row["per_submitted_article"] = row["assertions"] / row["submitted"]
    return [stats[name] for name in sorted(stats)]


# -- The agreement cache ----------------------------------------------------------------------------
#
# Submitted work cannot change (edits answer 403 once a review is submitted), so an article's
# agreement over its submitted work changes only when a review is submitted, reopened or
# unassigned, or its reviewer renamed. The fingerprint hashes exactly what the figures are
# computed from (the submitted reviewers, their assertions' ids, versions and count, the body's
# length) so a change by any path, an import included, makes the cached row stale; no code has
# to remember to clear it. Several servers may compute the same row at once: the write is an
# upsert, and the last of equal answers wins.

# Bump when a measure's definition changes: rows computed by older code are then stale.
CACHE_VERSION = 2


def fingerprints(session: Session, article_ids: Sequence[int]) -> dict[int, str]:
    """The fingerprint of each existing article's submitted work (unknown ids left out)."""
    out: dict[int, str] = {}
    for chunk in _chunks(list(article_ids)):
        out.update(_chunk_fingerprints(session, chunk, _reviewers(session, chunk, False)))
    return out


def _chunk_fingerprints(session: Session, chunk: Sequence[int],
                        reviewers: dict[int, dict[int, str]]) -> dict[int, str]:
    submitted = (select(Assignment.article_id, Assignment.reviewer_id)
                 .where(Assignment.article_id.in_(chunk),
                        Assignment.status == AssignmentStatus.submitted.value)
                 .subquery())
    work = {article_id: (count, last, versions) for article_id, count, last, versions
            in session.execute(
                select(Assertion.article_id, func.count(), func.max(Assertion.id),
                       func.sum(Assertion.version))
                .join(submitted, (submitted.c.article_id == Assertion.article_id)
                      & (submitted.c.reviewer_id == Assertion.reviewer_id))
                .where(Assertion.consensus.is_(False))
                .group_by(Assertion.article_id))}
    out = {}
    for article_id, length in session.execute(
            select(Article.id, func.length(Article.body)).where(Article.id.in_(chunk))):
        key = [CACHE_VERSION, article_id, length, sorted(reviewers.get(article_id, {}).items()),
               work.get(article_id, (0, 0, 0))]
        out[article_id] = hashlib.sha256(json.dumps(key).encode()).hexdigest()
    return out


def cached_contributions(session: Session, article_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The pooled-figure contributions of the articles with two or more submitted reviewers,
    in id order: from the cache where fresh, computed (and stored) where not."""
    out: list[dict[str, Any]] = []
    for chunk in _chunks(list(article_ids)):
        reviewers = _reviewers(session, chunk, False)
        compared = [i for i in chunk if len(reviewers.get(i, {})) >= 2]
        if not compared:
            continue
        current = _chunk_fingerprints(session, compared, reviewers)
        rows = session.execute(
            select(AgreementCache.article_id, AgreementCache.fingerprint,
                   AgreementCache.contribution)
            .where(AgreementCache.article_id.in_(compared),
                   AgreementCache.contribution.is_not(None)))
        found = {article_id: orjson.loads(text) for article_id, fingerprint, text in rows
                 if fingerprint == current.get(article_id)}
        stale = [i for i in compared if i in current and i not in found]
        if stale:
            fresh = {w.article_id: article_contribution(w)
                     for w in load_work(session, stale)}
            _store(session, [{"article_id": i, "fingerprint": current[i],
                              "contribution": orjson.dumps(c).decode()}
                             for i, c in fresh.items()],
                   "contribution")
            found.update(fresh)
        titles = dict(session.execute(select(Article.id, Article.title)
                                      .where(Article.id.in_(list(found)))).all())
        out.extend({**found[i], "article_id": i, "title": titles[i]}
                   for i in compared if i in found)
    return out


def _store(session: Session, rows: list[dict[str, Any]], column: str) -> None:
    """Upsert cache rows setting ``column`` ("figures" or "contribution"); the other is kept
    while the fingerprint is the same and cleared when it changed.

    Best effort, in a savepoint: the figures are already computed and answered whether or not
    they are kept. A read request's SQLite snapshot that cannot become a writer (another
    writer committed since it began) fails here with "database is locked"; the rows are then
    simply computed again next time, never a failed request."""
    if not rows:
        return
    savepoint = session.begin_nested()
    try:
        _upsert(session, rows, column)
        savepoint.commit()
    except OperationalError:
        savepoint.rollback()


def _upsert(session: Session, rows: list[dict[str, Any]], column: str) -> None:
    other = "contribution" if column == "figures" else "figures"
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    table = AgreementCache.__table__
    now = utcnow()
    stmt = insert(table).values([{**row, "computed_at": now} for row in rows])
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.article_id],
        set_={"fingerprint": stmt.excluded.fingerprint,
              column: getattr(stmt.excluded, column),
              other: case((table.c.fingerprint == stmt.excluded.fingerprint, table.c[other]),
                          else_=None),
              "computed_at": stmt.excluded.computed_at})
    session.execute(stmt)


__all__ = ["ArticleWork", "KINDS", "LABELS", "Link", "Mark", "article_agreement",
           "compare_pair", "load_article", "measure_article", "measure_project",
           "project_agreement", "sentence_labels", "span_kinds", "worst_kind"]
