"""How well reviewers agree: per article and pooled over the project (supervisors only).

No Flask. The database is read with a few Core selects (assignments, bodies, assertions), grouped
by article; everything after that works on plain data (``ArticleWork``) and calls the pure
measures of ``workbench.agreement``. Every figure is ``agreement.figure``'s object
``{"value", "ci95", "n", "reason"}`` with a seeded bootstrap, so the page and the API, which both
call these functions, show the same numbers.

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

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .. import agreement, sentence_stats
from ..agreement import NotEnoughData
from ..models import TAGS, Article, Assertion, Assignment, AssignmentStatus, User
from ..text import split_sentences
from ..values import ValueProblem, parse_int
from .errors import NotFound, ValidationFailed

T = TypeVar("T")

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


def _f1_measure(which: str, matched: int) -> Callable[[Sequence[F1Item]], float]:
    """precision, recall or f1 from summed items; ``matched`` is 0 (exact) or 1 (overlap)."""

    def measure(items: Sequence[F1Item]) -> float:
        m = sum(item[matched] for item in items)
        n1 = sum(item[2] for item in items)
        n2 = sum(item[3] for item in items)
        denominator = {"precision": n2, "recall": n1, "f1": n1 + n2}[which]
        if denominator == 0:
            raise NotEnoughData(NOTHING_MARKED if n1 + n2 == 0 else
                                f"the {'second' if which == 'precision' else 'first'} "
                                "reviewer marked nothing")
        return (2 * m if which == "f1" else m) / denominator

    return measure


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
    by_tag = {tag: _merged((m.start, m.end) for m in marks if m.tag == tag) for tag in TAGS}
    labels = []
    for start, end in sentences:
        best, best_cover = NONE_LABEL, 0
        for tag in TAGS:
            cover = sum(max(0, min(end, e) - max(start, s)) for s, e in by_tag[tag]
                        if s < end and e > start)
            if cover > best_cover:
                best, best_cover = tag, cover
        labels.append(best)
    return labels


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


def _sentence_measure(name: str, reviewers: Sequence[str], pair: tuple[str, str] | None = None,
                      combine: Callable[[Sequence[sentence_stats.Stats]], sentence_stats.Stats]
                      = sentence_stats.combine) -> Callable[[Sequence[Any]], float]:
    """A sentence measure over units' statistics (sentences, or whole articles)."""
    pairs = list(combinations(reviewers, 2))

    def measure(units: Sequence[sentence_stats.Stats]) -> float:
        if len(reviewers) < 2:
            raise NotEnoughData(agreement.ONE_CODER if reviewers else agreement.NO_CODERS)
        stats = combine(units)
        if name == "cohen":
            return (sentence_stats.cohen_kappa(stats, pair, LAYOUT) if pair
                    else sentence_stats.mean_cohen(stats, pairs, LAYOUT))
        if name == "fleiss":
            return sentence_stats.fleiss_kappa(stats, LAYOUT)
        if name == "krippendorff":
            return sentence_stats.krippendorff_nominal(stats, LAYOUT)
        return sentence_stats.gwet_ac1(stats, LAYOUT)

    return measure


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


def _stratified_alpha(reasons: Sequence[str]) -> Callable[[Sequence[Stratum]], float]:
    def measure(strata: Sequence[Stratum]) -> float:
        usable = [s for s in strata if s is not None]
        expected = sum(e for _, e in usable)
        if not usable or expected <= 0:
            raise NotEnoughData(reasons[0] if reasons else agreement.NO_PAIRABLE_UNITS)
        return 1.0 - sum(o for o, _ in usable) / expected

    return measure


# -- Figures -----------------------------------------------------------------------------------------

def _figure(compute: Callable[[list[T]], float], units: Sequence[T], resamples: int) -> dict[str, Any]:
    return agreement.figure(compute, list(units), seed=SEED, resamples=resamples)


def _pooled(compute: Callable[[list[T]], float]) -> Callable[[list[list[T]]], float]:
    """A measure over base items, applied to clusters (articles) of them."""
    return lambda clusters: compute([item for cluster in clusters for item in cluster])


def _not_available(reason: str) -> dict[str, Any]:
    return {"value": None, "ci95": None, "n": 0, "reason": reason}


def _f1_figures(units: Sequence[Any], pooled: bool, resamples: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, matched in (("exact", 0), ("overlap", 1)):
        out[name] = {}
        for which in ("precision", "recall", "f1"):
            measure = _f1_measure(which, matched)
            out[name][which] = _figure(_pooled(measure) if pooled else measure, units, resamples)
    return out


def _sentence_figures(units: Sequence[sentence_stats.Stats], reviewers: Sequence[str],
                      sentences: int, resamples: int,
                      pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    combine = sentence_stats.CombineCache()

    def fig(name: str, pair: tuple[str, str] | None = None) -> dict[str, Any]:
        return _figure(_sentence_measure(name, reviewers, pair, combine), units, resamples)

    return {
        "units": sentences,
        "cohen_kappa": fig("cohen"),
        "cohen_by_pair": [{"reviewers": [a, b], "figure": fig("cohen", (a, b))}
                          for a, b in pairs],
        "fleiss_kappa": fig("fleiss"),
        "krippendorff_alpha": fig("krippendorff"),
        "gwet_ac1": fig("gwet"),
    }


def _summed(items: Sequence[F1Item]) -> list[F1Item]:
    """An article's F1 items as one (its bootstrap unit when articles are resampled)."""
    return [tuple(map(sum, zip(*items)))] if items else []  # type: ignore[list-item]


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
        alpha[category] = _figure(_blocks_alpha(category, work.reviewers), units, resamples)
    links = [link for c in comparisons for link in c.links]
    pairs = [(c.first, c.second) for c in comparisons]
    return {
        "article_id": work.article_id,
        "reviewers": list(work.reviewers),
        "measures": {
            "alpha_unitizing": {"overall": alpha[ANY_TAG],
                                "by_tag": {tag: alpha[tag] for tag in TAGS}},
            "span_f1": _f1_figures(f1_items(links), False, resamples),
            "sentence": _sentence_figures(sentence_units(work), work.reviewers,
                                          len(work.sentences), resamples, pairs),
            "disagreements": disagreement_counts(comparisons),
        },
    }


def article_agreement(session: Session, article_id: int, *, include_unsubmitted: bool = False,
                      resamples: int = RESAMPLES) -> dict[str, Any]:
    """Agreement on one article: ``{"article_id", "reviewers", "measures"}``; NotFound if unknown.

    The caller checks the right to see it (supervisors and admins)."""
    return measure_article(load_article(session, article_id,
                                        include_unsubmitted=include_unsubmitted),
                           resamples=resamples)


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
    works = load_work(session, ids, include_unsubmitted=include_unsubmitted)
    return {
        **measure_project(works, resamples=resamples, ranked_limit=ranked_limit),
        "reviewer_counts": reviewer_counts(session, ids),
    }


def measure_project(works: Sequence[ArticleWork], *, resamples: int = RESAMPLES,
                    ranked_limit: int = 20) -> dict[str, Any]:
    """The pooled figures over articles with two or more reviewers (pure)."""
    works = [w for w in works if len(w.reviewers) >= 2]
    reviewers = sorted({r for w in works for r in w.reviewers})
    comparisons = {w.article_id: pair_comparisons(w) for w in works}
    columns = {w.article_id: sentence_columns(w) for w in works}
    alpha: dict[str, Any] = {}
    for category in (ANY_TAG, *TAGS):
        strata, reasons = [], []
        for w in works:
            share, reason = stratum(w, category)
            strata.append(share)
            if reason:
                reasons.append(reason)
        alpha[category] = (_figure(_stratified_alpha(reasons), strata, resamples) if works
                           else _not_available(agreement.NO_CODERS))
    f1_units = [_summed(f1_items(link for c in comparisons[w.article_id] for link in c.links))
                for w in works]
    pairs = sorted({(c.first, c.second) for cs in comparisons.values() for c in cs})
    stats = {w.article_id: sentence_stats.combine(
        sentence_stats.unit_stats(column, LAYOUT) for column in columns[w.article_id])
        for w in works}
    article_stats = [stats[w.article_id] for w in works]
    sentences = sum(len(w.sentences) for w in works)
    return {
        "articles": len(works),
        "reviewers": reviewers,
        "measures": {
            "alpha_unitizing": {"overall": alpha[ANY_TAG],
                                "by_tag": {tag: alpha[tag] for tag in TAGS}},
            "span_f1": _f1_figures(f1_units, True, resamples),
            "sentence": _sentence_figures(article_stats, reviewers, sentences, resamples, pairs),
            "disagreements": disagreement_counts(c for cs in comparisons.values() for c in cs),
        },
        "by_pair": by_pair(works, comparisons, stats, resamples),
        "confusion": confusion(comparisons.values(), works, columns),
        "ranked": ranked(works, comparisons, ranked_limit),
    }


def by_pair(works: Sequence[ArticleWork], comparisons: dict[int, list[PairComparison]],
            stats: dict[int, sentence_stats.Stats], resamples: int) -> list[dict[str, Any]]:
    """Reviewer × reviewer: overlap F1 and sentence kappa over the articles both reviewed
    (articles resampled)."""
    f1_units: dict[tuple[str, str], list[list[F1Item]]] = defaultdict(list)
    kappa_units: dict[tuple[str, str], list[sentence_stats.Stats]] = defaultdict(list)
    for w in works:
        for c in comparisons[w.article_id]:
            f1_units[(c.first, c.second)].append(_summed(f1_items(c.links)))
            kappa_units[(c.first, c.second)].append(_pair_only(stats[w.article_id],
                                                               (c.first, c.second)))
    return [{"reviewers": [a, b], "articles": len(f1_units[(a, b)]),
             "span_f1": _figure(_pooled(_f1_measure("f1", 1)), f1_units[(a, b)], resamples),
             "cohen_kappa": _figure(_sentence_measure("cohen", [a, b], (a, b)),
                                    kappa_units[(a, b)], resamples)}
            for a, b in sorted(f1_units)]


def _pair_only(stats: sentence_stats.Stats, pair: tuple[str, str]) -> sentence_stats.Stats:
    """Just one pair's Cohen counts (all a pair's kappa needs; resamples then add less)."""
    cells = stats.pairs.get(pair)
    return sentence_stats.Stats((), {pair: cells} if cells else {}, stats.raters)


def confusion(comparisons: Iterable[list[PairComparison]], works: Sequence[ArticleWork],
              columns: dict[int, list[Column]]) -> dict[str, Any]:
    """Symmetric tag confusion over matched assertions and over sentences (see the module)."""
    index = {label: i for i, label in enumerate(LABELS)}
    spans = [[0] * len(LABELS) for _ in LABELS]
    sentences = [[0] * len(LABELS) for _ in LABELS]

    def add(table: list[list[int]], x: str, y: str) -> None:
        table[index[x]][index[y]] += 1
        table[index[y]][index[x]] += 1

    for cs in comparisons:
        for c in cs:
            for link in c.links:
                first = link.first.tag if link.first else NONE_LABEL
                second = link.second.tag if link.second else NONE_LABEL
                add(spans, first, second)
    for w in works:
        for a, b in combinations(w.reviewers, 2):
            for column in columns[w.article_id]:
                add(sentences, column[a], column[b])
    return {"labels": list(LABELS), "spans": spans, "sentences": sentences}


def ranked(works: Sequence[ArticleWork], comparisons: dict[int, list[PairComparison]],
           limit: int) -> list[dict[str, Any]]:
    """Articles with the most disagreements first (then most assertions, then id)."""
    rows = []
    for w in works:
        counts = disagreement_counts(comparisons[w.article_id])
        assertions = sum(len(w.marks_of(r)) for r in w.reviewers)
        rows.append({"article_id": w.article_id, "title": w.title, "reviewers": list(w.reviewers),
                     "assertions": assertions, "disagreements": counts})
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


__all__ = ["ArticleWork", "KINDS", "LABELS", "Link", "Mark", "article_agreement",
           "compare_pair", "load_article", "measure_article", "measure_project",
           "project_agreement", "sentence_labels", "span_kinds", "worst_kind"]
