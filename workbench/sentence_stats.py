"""Sufficient statistics of the sentence-level agreement measures (pure; no Flask, no database).

A bootstrap over thousands of sentences or articles would rebuild a coders × units matrix for
every resample. Each measure of ``workbench.agreement`` used here is a function of sums over
units, so every unit is summarised once as a small vector, a resample adds vectors, and the
measure is finished from the sums. The formulas are those of ``agreement`` (nominal level);
tests check the values against it on the same data.

- Krippendorff's alpha (nominal): per pairable unit (``m_u >= 2`` values)
  ``o_u = (m_u^2 - sum_c n_uc^2) / (m_u - 1)`` and its value counts ``n_uc``;
  ``alpha = 1 - (n - 1) sum_u o_u / (n^2 - sum_c n_c^2)``.
- Gwet's AC1: per rated unit the shares ``r_ik / r_i``, and for units rated twice or more
  ``sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))``; which categories occur anywhere.
- Fleiss' kappa: per subject its raters, ``sum_j n_ij^2`` and the counts per category.
- Cohen's kappa: per pair of coders the contingency counts of their two labels.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .agreement import (NO_PAIRABLE_UNITS, NO_SUBJECTS, ONE_RATER, SINGLE_CATEGORY,
                        NotEnoughData)

DIFFERENT_RATERS = "articles have different numbers of reviewers"
Pair = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Layout:
    """Where each measure's sums sit in a unit's vector, for ``k`` labels."""

    labels: tuple[str, ...]

    @property
    def k(self) -> int:
        return len(self.labels)

    # Krippendorff: pairable units, sum of o_u, value counts (k).
    @property
    def kripp(self) -> int:
        return 0

    # Gwet: rated units, units rated twice, sum of their agreement, shares (k), occurrences (k).
    @property
    def gwet(self) -> int:
        return 2 + self.k

    # Fleiss: subjects, ratings, sum of squared counts, counts per category (k).
    @property
    def fleiss(self) -> int:
        return self.gwet + 3 + 2 * self.k

    @property
    def size(self) -> int:
        return self.fleiss + 3 + self.k


@dataclass(frozen=True, slots=True)
class Stats:
    """Summed statistics of some units: the core vector, Cohen counts per pair, raters seen."""

    core: tuple[float, ...]
    pairs: Mapping[Pair, tuple[int, ...]]
    raters: frozenset[int]


def unit_stats(column: Mapping[str, str | None], layout: Layout) -> Stats:
    """The statistics of one unit (a sentence): coder -> label, ``None`` for missing."""
    index = {label: i for i, label in enumerate(layout.labels)}
    values = {coder: label for coder, label in column.items() if label is not None}
    counts = Counter(values.values())
    m = sum(counts.values())
    k = layout.k
    core = [0.0] * layout.size
    squares = sum(n * n for n in counts.values())
    if m >= 2:
        core[layout.kripp] = 1
        core[layout.kripp + 1] = (m * m - squares) / (m - 1)
        for label, n in counts.items():
            core[layout.kripp + 2 + index[label]] = n
    g = layout.gwet
    if m >= 1:
        core[g] = 1
        for label, n in counts.items():
            core[g + 3 + index[label]] = n / m
            core[g + 3 + k + index[label]] = 1
    if m >= 2:
        core[g + 1] = 1
        core[g + 2] = sum(n * (n - 1) for n in counts.values()) / (m * (m - 1))
    f = layout.fleiss
    core[f], core[f + 1], core[f + 2] = 1, m, squares
    for label, n in counts.items():
        core[f + 3 + index[label]] = n
    pairs: dict[Pair, tuple[int, ...]] = {}
    coders = sorted(values)
    for i, a in enumerate(coders):
        for b in coders[i + 1:]:
            cells = [0] * (k * k)
            cells[index[values[a]] * k + index[values[b]]] = 1
            pairs[(a, b)] = tuple(cells)
    return Stats(tuple(core), pairs, frozenset({m}))


def combine(units: Iterable[Stats]) -> Stats:
    """The sums of several units' statistics (a resample, or an article's sentences)."""
    units = list(units)
    if not units:
        return Stats((), {}, frozenset())
    core = tuple(map(sum, zip(*(u.core for u in units))))
    by_pair: dict[Pair, list[tuple[int, ...]]] = {}
    raters: set[int] = set()
    for unit in units:
        raters |= unit.raters
        for pair, cells in unit.pairs.items():
            by_pair.setdefault(pair, []).append(cells)
    pairs = {pair: tuple(map(sum, zip(*cells))) for pair, cells in by_pair.items()}
    return Stats(core, pairs, frozenset(raters))


def summed(columns: Iterable[Mapping[str, str | None]], layout: Layout) -> Stats:
    """``combine`` of the columns' ``unit_stats``, each distinct column computed once: an
    article's sentences repeat few label patterns (most are "none" for everyone)."""
    patterns = Counter(tuple(sorted(column.items())) for column in columns)
    if not patterns:
        return Stats((), {}, frozenset())
    core = [0.0] * layout.size
    pairs: dict[Pair, list[int]] = {}
    raters: set[int] = set()
    for pattern, count in patterns.items():
        unit = _pattern_stats(pattern, layout)
        for i, x in enumerate(unit.core):
            if x:
                core[i] += count * x
        for pair, cells in unit.pairs.items():
            into = pairs.setdefault(pair, [0] * len(cells))
            for i, x in enumerate(cells):
                if x:
                    into[i] += count * x
        raters |= unit.raters
    return Stats(tuple(core), {pair: tuple(cells) for pair, cells in pairs.items()},
                 frozenset(raters))


@lru_cache(maxsize=4096)
def _pattern_stats(pattern: tuple[tuple[str, str | None], ...], layout: Layout) -> Stats:
    return unit_stats(dict(pattern), layout)


def krippendorff_nominal(stats: Stats, layout: Layout) -> float:
    """``agreement.krippendorff_alpha(data, "nominal")`` from summed statistics."""
    if not stats.core or stats.core[layout.kripp] == 0:
        raise NotEnoughData(NO_PAIRABLE_UNITS)
    start = layout.kripp + 2
    marginals = stats.core[start:start + layout.k]
    if sum(1 for n in marginals if n > 0) < 2:
        raise NotEnoughData(SINGLE_CATEGORY)
    n = sum(marginals)
    expected = n * n - sum(x * x for x in marginals)
    return 1.0 - (n - 1) * stats.core[layout.kripp + 1] / expected


def gwet_ac1(stats: Stats, layout: Layout) -> float:
    """``agreement.gwet_ac1(data)`` from summed statistics."""
    g = layout.gwet
    if not stats.core or stats.core[g + 1] == 0:
        raise NotEnoughData(NO_PAIRABLE_UNITS)
    k = layout.k
    shares = stats.core[g + 3:g + 3 + k]
    used = [i for i in range(k) if stats.core[g + 3 + k + i] > 0]
    q = len(used)
    if q < 2:
        raise NotEnoughData(SINGLE_CATEGORY)
    rated = stats.core[g]
    p_a = stats.core[g + 2] / stats.core[g + 1]
    p_e = sum((shares[i] / rated) * (1.0 - shares[i] / rated) for i in used) / (q - 1)
    return (p_a - p_e) / (1.0 - p_e)


def fleiss_kappa(stats: Stats, layout: Layout) -> float:
    """``agreement.fleiss_kappa(counts)`` from summed statistics (every unit equally rated)."""
    if not stats.core or stats.core[layout.fleiss] == 0:
        raise NotEnoughData(NO_SUBJECTS)
    if len(stats.raters) > 1:
        raise NotEnoughData(DIFFERENT_RATERS)
    (raters,) = stats.raters
    if raters < 2:
        raise NotEnoughData(ONE_RATER)
    f = layout.fleiss
    total, squares = stats.core[f + 1], stats.core[f + 2]
    columns = stats.core[f + 3:f + 3 + layout.k]
    chance = sum(c * c for c in columns)
    if chance == total * total:
        raise NotEnoughData(SINGLE_CATEGORY)
    p_bar = (squares - total) / (total * (raters - 1))
    p_e = chance / (total * total)
    return (p_bar - p_e) / (1.0 - p_e)


def cohen_kappa(stats: Stats, pair: Pair, layout: Layout) -> float:
    """``agreement.cohen_kappa(a, b)`` for one pair of coders from summed statistics."""
    cells = stats.pairs.get(pair)
    k = layout.k
    n = sum(cells) if cells else 0
    if not cells or n == 0:
        raise NotEnoughData(NO_PAIRABLE_UNITS)
    agree = sum(cells[i * k + i] for i in range(k))
    first = [sum(cells[i * k:(i + 1) * k]) for i in range(k)]
    second = [sum(cells[j * k + i] for j in range(k)) for i in range(k)]
    chance = sum(a * b for a, b in zip(first, second))
    if chance == n * n:
        raise NotEnoughData(SINGLE_CATEGORY)
    return (agree * n - chance) / (n * n - chance)


def mean_cohen(stats: Stats, pairs: Sequence[Pair], layout: Layout) -> float:
    """The mean of the pairs' kappas (pairs without a figure are left out)."""
    values, reasons = [], []
    for pair in pairs:
        try:
            values.append(cohen_kappa(stats, pair, layout))
        except NotEnoughData as exc:
            reasons.append(str(exc))
    if not values:
        raise NotEnoughData(reasons[0] if reasons else NO_PAIRABLE_UNITS)
    return sum(values) / len(values)
