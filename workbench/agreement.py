"""Inter-annotator agreement measures, pure Python (standard library only).

Every measure returns a ``float`` or raises :class:`NotEnoughData` whose message
says, in a few words, why the figure cannot be given (for instance ``"only one
coder"``, ``"no pairable units"`` or ``"a single category used throughout"``).
Malformed input (rows of different lengths, offsets outside the text, unknown
levels) raises a plain :class:`ValueError`. No measure ever lets a
``ZeroDivisionError`` escape.

Conventions
-----------
* ``None`` marks a missing judgement everywhere.
* Labels are any hashable values compared with ``==``; the ordinal level also
  needs them to be mutually orderable, the interval and ratio levels need real
  numbers (ratio: non-negative ones).
* "Coders × units" means one row per coder, one column per unit.

Measures
--------
``cohen_kappa(a, b)``
    Cohen's (1960) kappa for two coders: ``(p_o - p_e) / (1 - p_e)`` where
    ``p_o`` is the share of units on which both agree and ``p_e`` the chance
    agreement from each coder's own label distribution. Pairs with a ``None``
    are dropped. Computed exactly with integers and divided once.

``fleiss_kappa(counts)``
    Fleiss' (1971) kappa from a subjects × categories table of counts, every
    subject rated by the same number ``n >= 2`` of raters:
    ``P_i = (sum_j n_ij^2 - n) / (n (n - 1))``, ``P_e = sum_j p_j^2`` with
    ``p_j`` the share of all ratings in category ``j``; kappa is
    ``(mean P_i - P_e) / (1 - P_e)``.

``krippendorff_alpha(data, level)``
    Krippendorff's alpha as in Krippendorff (2011), "Computing Krippendorff's
    Alpha-Reliability": a coincidence matrix ``o_ck`` in which each pairable
    unit (one with at least two values) adds ``1 / (m_u - 1)`` for every
    ordered pair of values from different coders; ``n_c`` are its marginals
    and ``n`` their sum; ``alpha = 1 - (n - 1) * sum o_ck d2(c, k) /
    sum n_c n_k d2(c, k)``. Difference functions ``d2``:

    - nominal: 0 if equal, else 1;
    - ordinal: ``(sum_{g=c..k} n_g - (n_c + n_k) / 2) ** 2`` over the values
      present in pairable units sorted, which equals the squared difference
      of their "mid ranks" ``n_<c + n_c / 2`` (this is how it is computed);
    - interval: ``(c - k) ** 2``;
    - ratio: ``((c - k) / (c + k)) ** 2`` (0 when both are 0).

``gwet_ac1(data)``
    Gwet's AC1 (Gwet 2008, "Computing inter-rater reliability and its variance
    in the presence of high agreement"; Gwet 2014, Handbook of Inter-Rater
    Reliability) for any number of raters with missing ratings, as the
    ``irrCAC`` package's ``CAC.gwet()`` computes it with identity weights:
    units with no rating are left out (``n`` is the number of units rated at
    least once); ``p_a`` averages ``sum_k r_ik (r_ik - 1) / (r_i (r_i - 1))``
    over the units with ``r_i >= 2`` ratings; ``pi_k`` averages ``r_ik / r_i``
    over the ``n`` units; ``p_e = sum_k pi_k (1 - pi_k) / (q - 1)`` with ``q``
    the number of categories used anywhere in the data;
    ``AC1 = (p_a - p_e) / (1 - p_e)``.

``unitizing_alpha(length, spans, category, coders=None)``
    Krippendorff's alpha for unitizing a continuum (Krippendorff 1995, "On the
    reliability of unitizing continuous data", Sociological Methodology 25;
    also Krippendorff, Content Analysis, 2nd ed., 2004), the category-specific
    measure INCEpTION / DKPro Agreement call "Krippendorff's alpha
    (unitizing)". For the chosen category each coder's record cuts the
    continuum ``[0, length)`` into *units* (that coder's spans of the
    category) and *gaps* (the maximal stretches between them; spans of other
    categories count as gap). The observed disagreement sums over every pair
    of coders and every pair of overlapping sections (one of each coder):

    - two overlapping units: ``(b_g - b_h) ** 2 + (e_g - e_h) ** 2``;
    - a unit lying wholly inside the other coder's gap: its length squared;
    - anything else: 0;

    ``D_o = 2 / (m (m - 1) L^2) * sum``. The expected disagreement considers
    every unit of the category (all coders, ``N_c`` of them) placed at every
    possible position against every other unit and every gap long enough to
    hold it::

        D_e = (2 / L) * sum_units [ (N_c - 1) * (2 l^3 - 3 l^2 + l) / 3
                                    + l^2 * sum_{gaps g, l_g >= l} (l_g - l + 1) ]
              / ( m L (m L - 1) - sum_units l (l - 1) )

    and ``alpha = 1 - D_o / D_e``. Everything is integer arithmetic with one
    final division. The work is over section boundaries, not positions: per
    coder pair a linear merge of the two section lists for ``D_o``, and a
    sorted gap list with suffix sums (binary search) for ``D_e``.

    Conventions: offsets are half-open ``[start, end)`` code-point offsets;
    empty spans are ignored; overlapping spans of the same coder and category
    are merged into one unit (spans that merely touch stay separate units,
    as in Krippendorff's example where one coder cuts a stretch into several
    adjacent units). The coders are those appearing in ``spans`` (in any
    category) plus those passed in ``coders``: a coder who marked nothing has
    no spans, so pass them there for their silence to count as one gap over
    the whole text. Because ``D_e`` counts discrete positions, alpha is *not*
    exactly invariant when all offsets are multiplied by a factor (``D_o``
    is); it converges as the factor grows, towards the values of
    Krippendorff's continuous treatment.

Confidence intervals
--------------------
``bootstrap_ci(measure, units, seed=..., resamples=..., confidence=...)``
resamples the units with replacement (``random.Random(seed)``), skips
resamples on which ``measure`` raises :class:`NotEnoughData`, and returns the
percentile interval (linear interpolation between order statistics), or
``None`` when fewer than half of the resamples gave a value.

``figure(compute, units, ...)`` wraps a value, its interval and the reason it
is missing or weak into one JSON-ready dict::

    {"value": 0.71, "ci95": [0.52, 0.86], "n": 40, "reason": None}

For a coders × units matrix, pass the columns as units and transpose back in
``compute``, e.g. ``figure(lambda us: krippendorff_alpha(list(zip(*us))),
list(zip(*data)))``.

Measures finished from sums
---------------------------
When every unit is summarised by a vector of sufficient statistics and a
measure is a function of their sum (pooled alphas, F1, the sentence kappas),
``summed_figures(finish, rows, ...)`` draws all resamples at once
(``numpy.random.Generator(PCG64(seed))``): each resample's unit counts form
a row of a weight matrix, and one matrix product gives every resample's sums.
``finish(sums)`` returns several named values (or :class:`NotEnoughData`)
from one vector of sums, so the measures of one set of units share their
resamples. The same data and seed give the same intervals.

Unitizing alpha is not finished from sums (its expected disagreement pairs every unit with
every gap, and gaps join across the cuts), but ``UnitizingBlocks`` resamples blocks of a
continuum without rebuilding each resample: it keeps each block's observed disagreement,
units and inner gaps, and joins only the gaps at the cuts per resample.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from itertools import combinations
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "unitizing_parts",
    "CATEGORY_UNUSED",
    "EMPTY_TEXT",
    "LEVELS",
    "NO_CODERS",
    "NO_EXPECTED_DISAGREEMENT",
    "NO_PAIRABLE_UNITS",
    "NO_SUBJECTS",
    "NotEnoughData",
    "ONE_CODER",
    "ONE_RATER",
    "SINGLE_CATEGORY",
    "bootstrap_ci",
    "resampled_sums",
    "summed_figures",
    "UnitizingBlocks",
    "cohen_kappa",
    "figure",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "unitizing_alpha",
]

T = TypeVar("T")

LEVELS = ("nominal", "ordinal", "interval", "ratio")

# Reasons, kept short: they are shown to people next to an "n/a".
NO_CODERS = "no coders"
ONE_CODER = "only one coder"
NO_PAIRABLE_UNITS = "no pairable units"
SINGLE_CATEGORY = "a single category used throughout"
NO_EXPECTED_DISAGREEMENT = "no expected disagreement"
NO_SUBJECTS = "no subjects"
ONE_RATER = "fewer than two raters per subject"
EMPTY_TEXT = "empty text"
CATEGORY_UNUSED = "nobody marked this category"


class NotEnoughData(ValueError):
    """The data do not support the measure; ``str(exc)`` says why, in a few words."""


# --------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------


def _coder_rows(data: Iterable[Iterable[Any]]) -> list[list[Any]]:
    """Materialise a coders × units matrix; check it has >= 2 rows of equal length."""
    rows = [list(row) for row in data]
    if not rows:
        raise NotEnoughData(NO_CODERS)
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError("every coder's row must have one entry per unit")
    if len(rows) < 2:
        raise NotEnoughData(ONE_CODER)
    return rows


def _unit_values(rows: list[list[Any]]) -> list[list[Any]]:
    """The non-missing values of each unit (column), in coder order."""
    return [[row[u] for row in rows if row[u] is not None] for u in range(len(rows[0]))]


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --------------------------------------------------------------------------
# Cohen's kappa
# --------------------------------------------------------------------------


def cohen_kappa(a: Sequence[Hashable | None], b: Sequence[Hashable | None]) -> float:
    """Cohen's kappa for two coders' labels of the same units (``None``: missing).

    Raises ``ValueError`` when the sequences differ in length and
    :class:`NotEnoughData` when no unit has both labels or when both coders
    used one and the same category throughout (no chance disagreement).
    """
    first, second = list(a), list(b)
    if len(first) != len(second):
        raise ValueError("the two coders' label sequences differ in length")
    pairs = [(x, y) for x, y in zip(first, second) if x is not None and y is not None]
    if not pairs:
        raise NotEnoughData(NO_PAIRABLE_UNITS)
    n = len(pairs)
    agreements = sum(1 for x, y in pairs if x == y)
    marg_a = Counter(x for x, _ in pairs)
    marg_b = Counter(y for _, y in pairs)
    # n^2 * p_e, an integer
    chance = sum(count * marg_b[label] for label, count in marg_a.items())
    if chance == n * n:
        raise NotEnoughData(SINGLE_CATEGORY)
    return (agreements * n - chance) / (n * n - chance)


# --------------------------------------------------------------------------
# Fleiss' kappa
# --------------------------------------------------------------------------


def fleiss_kappa(counts: Iterable[Iterable[int]]) -> float:
    """Fleiss' kappa from a subjects × categories table of rating counts.

    Every subject must have been rated by the same number of raters (else
    ``ValueError``); at least two raters and one subject are needed and the
    ratings may not all fall into one category (else :class:`NotEnoughData`).
    """
    table = [list(row) for row in counts]
    if not table:
        raise NotEnoughData(NO_SUBJECTS)
    width = len(table[0])
    for row in table:
        if len(row) != width:
            raise ValueError("every subject's row must have one count per category")
        for cell in row:
            if not isinstance(cell, int) or isinstance(cell, bool) or cell < 0:
                raise ValueError("counts must be non-negative integers")
    raters = sum(table[0])
    if any(sum(row) != raters for row in table):
        raise ValueError("every subject must be rated by the same number of raters")
    if raters < 2:
        raise NotEnoughData(ONE_RATER)
    subjects = len(table)
    total = subjects * raters
    # mean P_i = agree / (N n (n - 1));  P_e = chance / (N n)^2
    agree = sum(cell * cell for row in table for cell in row) - total
    columns = [sum(row[j] for row in table) for j in range(width)]
    chance = sum(col * col for col in columns)
    if chance == total * total:
        raise NotEnoughData(SINGLE_CATEGORY)
    p_bar = agree / (total * (raters - 1))
    p_e = chance / (total * total)
    return (p_bar - p_e) / (1.0 - p_e)


# --------------------------------------------------------------------------
# Krippendorff's alpha (coding)
# --------------------------------------------------------------------------


def _difference(level: str, values: list[Any], marginals: Counter[Any]) -> Callable[[Any, Any], float]:
    """The squared difference function ``d2(c, k)`` for ``level``."""
    if level == "nominal":
        return lambda c, k: 0.0 if c == k else 1.0
    if level == "ordinal":
        try:
            ordered = sorted(values)
        except TypeError as exc:
            raise ValueError("ordinal values must be mutually orderable") from exc
        mid_rank: dict[Any, float] = {}
        below = 0
        for value in ordered:
            mid_rank[value] = below + marginals[value] / 2
            below += marginals[value]
        return lambda c, k: (mid_rank[c] - mid_rank[k]) ** 2
    for value in values:
        if not _is_real(value):
            raise ValueError(f"{level} values must be finite real numbers, got {value!r}")
    if level == "interval":
        return lambda c, k: float(c - k) ** 2
    for value in values:
        if value < 0:
            raise ValueError(f"ratio values must be non-negative, got {value!r}")

    def ratio(c: Any, k: Any) -> float:
        if c + k == 0:
            return 0.0
        return ((c - k) / (c + k)) ** 2

    return ratio


def krippendorff_alpha(data: Iterable[Iterable[Any]], level: str = "nominal") -> float:
    """Krippendorff's alpha for a coders × units matrix (``None``: missing).

    ``level`` is one of ``"nominal"``, ``"ordinal"``, ``"interval"``,
    ``"ratio"``. Units with fewer than two values are not pairable and are
    ignored, also for the marginals (and so for the ordinal ranks).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}; got {level!r}")
    rows = _coder_rows(data)
    units = [Counter(values) for values in _unit_values(rows) if len(values) >= 2]
    if not units:
        raise NotEnoughData(NO_PAIRABLE_UNITS)
    marginals: Counter[Any] = Counter()
    for unit in units:
        marginals.update(unit)
    values = list(marginals)
    if len(values) < 2:
        raise NotEnoughData(SINGLE_CATEGORY)
    d2 = _difference(level, values, marginals)
    n = sum(marginals.values())
    observed = 0.0
    for unit in units:
        m_u = sum(unit.values())
        within = 0.0
        for (c, n_c), (k, n_k) in combinations(unit.items(), 2):
            within += n_c * n_k * d2(c, k)
        observed += 2.0 * within / (m_u - 1)
    expected = 0.0
    for (c, n_c), (k, n_k) in combinations(marginals.items(), 2):
        expected += n_c * n_k * d2(c, k)
    expected *= 2.0
    if expected <= 0.0:
        # Only possible with distinct values at zero distance (e.g. ratio 0 vs 0.0).
        raise NotEnoughData(NO_EXPECTED_DISAGREEMENT)
    return 1.0 - (n - 1) * observed / expected


# --------------------------------------------------------------------------
# Gwet's AC1
# --------------------------------------------------------------------------


def gwet_ac1(data: Iterable[Iterable[Hashable | None]]) -> float:
    """Gwet's AC1 for a coders × units matrix of labels (``None``: missing).

    Any number of coders; the multiple-rater formula with missing ratings
    (Gwet 2008/2014), matching ``irrCAC.raw.CAC(df).gwet()`` with identity
    weights: the categories are those used anywhere in the data.
    """
    rows = _coder_rows(data)
    units = [Counter(values) for values in _unit_values(rows) if values]
    rated_twice = [(unit, sum(unit.values())) for unit in units if sum(unit.values()) >= 2]
    if not rated_twice:
        raise NotEnoughData(NO_PAIRABLE_UNITS)
    categories: set[Hashable] = set()
    for unit in units:
        categories.update(unit)
    q = len(categories)
    if q < 2:
        raise NotEnoughData(SINGLE_CATEGORY)
    p_a = sum(
        sum(r * (r - 1) for r in unit.values()) / (r_i * (r_i - 1)) for unit, r_i in rated_twice
    ) / len(rated_twice)
    share: Counter[Hashable] = Counter()
    for unit in units:
        r_i = sum(unit.values())
        for label, r in unit.items():
            share[label] += r / r_i
    n = len(units)
    p_e = sum((s / n) * (1.0 - s / n) for s in share.values()) / (q - 1)
    # p_e <= 1 / q <= 1 / 2, so the denominator is never zero.
    return (p_a - p_e) / (1.0 - p_e)


# --------------------------------------------------------------------------
# Krippendorff's alpha for unitizing
# --------------------------------------------------------------------------

# A section of one coder's record: (begin, end, is_unit), half-open.
_Section = tuple[int, int, bool]


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort spans and merge those that overlap (touching spans stay separate)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _sections(units: list[tuple[int, int]], length: int) -> list[_Section]:
    """Cut ``[0, length)`` into the coder's units and the gaps between them."""
    sections: list[_Section] = []
    pos = 0
    for start, end in units:
        if start > pos:
            sections.append((pos, start, False))
        sections.append((start, end, True))
        pos = end
    if pos < length:
        sections.append((pos, length, False))
    return sections


def _pair_disagreement(first: list[_Section], second: list[_Section]) -> int:
    """Sum of squared distances over overlapping sections of two coders' records.

    Both records tile the same continuum, so a merge visits each overlapping
    pair of sections exactly once; non-overlapping pairs contribute nothing.
    """
    total = 0
    i = j = 0
    while i < len(first) and j < len(second):
        b1, e1, unit1 = first[i]
        b2, e2, unit2 = second[j]
        if unit1 and unit2:
            total += (b1 - b2) ** 2 + (e1 - e2) ** 2
        elif unit1:
            if b2 <= b1 and e1 <= e2:
                total += (e1 - b1) ** 2
        elif unit2:
            if b1 <= b2 and e2 <= e1:
                total += (e2 - b2) ** 2
        if e1 <= e2:
            i += 1
        if e2 <= e1:
            j += 1
    return total


def unitizing_parts(
    length: int,
    spans: Iterable[tuple[Hashable, int, int, Hashable]],
    category: Hashable,
    coders: Iterable[Hashable] | None = None,
) -> tuple[int, int, int, int]:
    """``(D_o numerator, D_o denominator, D_e numerator, D_e denominator)`` as integers."""
    if isinstance(length, bool) or not isinstance(length, int) or length < 0:
        raise ValueError("length must be a non-negative integer")
    units_of: dict[Hashable, list[tuple[int, int]]] = {}
    for coder in coders or ():
        units_of.setdefault(coder, [])
    for span in spans:
        coder, start, end, span_category = span
        for offset in (start, end):
            if isinstance(offset, bool) or not isinstance(offset, int):
                raise ValueError(f"span offsets must be integers: {span!r}")
        if not 0 <= start <= end <= length:
            raise ValueError(f"span {span!r} does not lie within [0, {length})")
        units = units_of.setdefault(coder, [])
        if span_category == category and end > start:
            units.append((start, end))
    m = len(units_of)
    if m == 0:
        raise NotEnoughData(NO_CODERS)
    if m == 1:
        raise NotEnoughData(ONE_CODER)
    if length == 0:
        raise NotEnoughData(EMPTY_TEXT)
    records = [_sections(_merge(units), length) for units in units_of.values()]
    unit_lengths = [e - b for record in records for b, e, is_unit in record if is_unit]
    if not unit_lengths:
        raise NotEnoughData(CATEGORY_UNUSED)
    gaps = sorted(e - b for record in records for b, e, is_unit in record if not is_unit)

    observed = sum(_pair_disagreement(r1, r2) for r1, r2 in combinations(records, 2))
    observed_num = 2 * observed
    observed_den = m * (m - 1) * length * length

    # suffix[i] = sum(gaps[i:])
    suffix = [0] * (len(gaps) + 1)
    for i in range(len(gaps) - 1, -1, -1):
        suffix[i] = suffix[i + 1] + gaps[i]
    n_c = len(unit_lengths)
    expected = 0
    for ell in unit_lengths:
        first = bisect_left(gaps, ell)
        # sum over gaps g >= ell of (g - ell + 1)
        room = suffix[first] - (len(gaps) - first) * (ell - 1)
        # (2 l^3 - 3 l^2 + l) / 3 = l (l - 1) (2 l - 1) / 3, always an integer
        expected += (n_c - 1) * (ell * (ell - 1) * (2 * ell - 1) // 3) + ell * ell * room
    expected_num = 2 * expected
    pairs = m * length * (m * length - 1) - sum(ell * (ell - 1) for ell in unit_lengths)
    # pairs >= m (m - 1) L^2 > 0: each coder's units are disjoint, so sum l (l - 1) <= m L (L - 1).
    expected_den = length * pairs
    return observed_num, observed_den, expected_num, expected_den


def unitizing_alpha(
    length: int,
    spans: Iterable[tuple[Hashable, int, int, Hashable]],
    category: Hashable,
    *,
    coders: Iterable[Hashable] | None = None,
) -> float:
    """Krippendorff's (1995) alpha for unitizing ``[0, length)``, for one category.

    ``spans`` holds ``(coder, start, end, category)`` tuples with half-open
    integer offsets; spans of other categories count as gaps. The coders are
    those in ``spans`` plus ``coders`` (pass reviewers who marked nothing
    there, or they are not seen). Overlapping spans of one coder in the
    category are merged; touching ones stay separate units. Raises
    :class:`NotEnoughData` for fewer than two coders, an empty text, a
    category nobody marked, or no expected disagreement.
    """
    do_num, do_den, de_num, de_den = unitizing_parts(length, spans, category, coders)
    if de_num == 0:
        raise NotEnoughData(NO_EXPECTED_DISAGREEMENT)
    # alpha = 1 - (do_num / do_den) / (de_num / de_den), one division of integers
    return 1.0 - (do_num * de_den) / (do_den * de_num)


# --------------------------------------------------------------------------
# Bootstrap and the figure object
# --------------------------------------------------------------------------


def _percentile(ordered: list[float], fraction: float) -> float:
    """Linear interpolation between order statistics (numpy's default method)."""
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    weight = position - low
    return ordered[low] + (ordered[high] - ordered[low]) * weight


def bootstrap_ci(
    measure: Callable[[list[T]], float],
    units: Sequence[T],
    *,
    seed: int = 0,
    resamples: int = 1000,
    confidence: float = 0.95,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of ``measure`` over ``units``.

    Each resample draws ``len(units)`` units with replacement from
    ``random.Random(seed)``, so the same data and seed give the same interval.
    Resamples on which ``measure`` raises :class:`NotEnoughData` (or returns a
    non-finite value) are skipped; if fewer than half of them give a value,
    or there are no units, the result is ``None``.
    """
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must lie strictly between 0 and 1")
    pool = list(units)
    if not pool:
        return None
    rng = random.Random(seed)
    values: list[float] = []
    for _ in range(resamples):
        sample = rng.choices(pool, k=len(pool))
        try:
            value = float(measure(sample))
        except NotEnoughData:
            continue
        if math.isfinite(value):
            values.append(value)
    interval = _interval(values, resamples, confidence)
    return None if interval is None else (interval[0], interval[1])


def figure(
    compute: Callable[..., float],
    units: Sequence[Any] | None = None,
    *,
    seed: int = 0,
    resamples: int = 1000,
    min_units: int = 10,
    confidence: float = 0.95,
    interval: Callable[[], list[float] | None] | None = None,
) -> dict[str, Any]:
    """One agreement figure as a JSON-ready dict.

    Returns ``{"value": float | None, "ci95": [low, high] | None, "n": int |
    None, "reason": str | None}``. With ``units``, ``compute(units)`` gives the
    value and :func:`bootstrap_ci` the interval (``confidence`` defaults to the
    0.95 the key is named after); ``n`` is the number of units and, when it is
    below ``min_units``, the value is still given but ``reason`` says it rests
    on too few units. Without ``units``, ``compute()`` is called with no
    argument and there is no interval and no ``n``. When ``compute`` raises
    :class:`NotEnoughData`, ``value`` is ``None`` and ``reason`` its message.
    ``interval``, when given, computes the interval instead of :func:`bootstrap_ci` (e.g.
    :meth:`UnitizingBlocks.interval`, the same resampling without rebuilding each resample).
    """
    pool = None if units is None else list(units)
    n = None if pool is None else len(pool)
    result: dict[str, Any] = {"value": None, "ci95": None, "n": n, "reason": None}
    try:
        value = float(compute() if pool is None else compute(pool))
    except NotEnoughData as exc:
        result["reason"] = str(exc)
        return result
    if not math.isfinite(value):
        result["reason"] = "not a finite number"
        return result
    result["value"] = value
    if pool is not None:
        found = (interval() if interval is not None else
                 bootstrap_ci(compute, pool, seed=seed, resamples=resamples,
                              confidence=confidence))
        result["ci95"] = None if found is None else [found[0], found[1]]
        if n is not None and n < min_units:
            result["reason"] = f"only {n} units: too few to trust"
    return result


# A finish function's answer: each named measure's value, or why it has none.
Finished = dict[str, "float | NotEnoughData"]
# Resamples × units weights per matrix product: bounds memory whatever the units' count.
_WEIGHTS_PER_CHUNK = 2_000_000


def _interval(values: list[float], resamples: int, confidence: float) -> list[float] | None:
    if not values or 2 * len(values) < resamples:
        return None
    values.sort()
    tail = (1.0 - confidence) / 2.0
    return [_percentile(values, tail), _percentile(values, 1.0 - tail)]


def resampled_sums(rows: Sequence[Sequence[float]], *, seed: int = 0,
                   resamples: int = 1000) -> Iterable[np.ndarray]:
    """The column sums of ``rows`` in each of ``resamples`` bootstrap resamples of the rows
    (units drawn with replacement; seeded), as ``resamples × columns`` arrays in chunks."""
    matrix = np.asarray(rows, dtype=np.float64)
    units = len(matrix)
    if units == 0:
        return
    rng = np.random.Generator(np.random.PCG64(seed))
    per_chunk = max(1, min(resamples, _WEIGHTS_PER_CHUNK // units))
    done = 0
    while done < resamples:
        count = min(per_chunk, resamples - done)
        drawn = rng.integers(0, units, size=(count, units))
        drawn += (np.arange(count) * units)[:, None]
        weights = np.bincount(drawn.ravel(), minlength=count * units).reshape(count, units)
        yield weights.astype(np.float64) @ matrix
        done += count


def summed_figures(
    finish: Callable[[list[float]], Finished],
    rows: Sequence[Sequence[float]],
    *,
    width: int,
    seed: int = 0,
    resamples: int = 1000,
    min_units: int = 10,
    confidence: float = 0.95,
) -> dict[str, dict[str, Any]]:
    """Figures (as :func:`figure`'s) of measures finished from the sum of units' vectors.

    ``rows`` holds one vector of sufficient statistics per unit; ``finish(sums)`` gives each
    named measure's value from a vector of column sums, or a :class:`NotEnoughData`. The value
    is finished from the sum of all rows; the percentile interval from the bootstrap resamples
    of the rows (see :func:`resampled_sums`), skipping those without a value, ``None`` when
    fewer than half have one. ``width`` is the rows' length (the sums of no rows are zeros)."""
    if resamples < 1:
        raise ValueError("resamples must be at least 1")
    if not 0.0 < confidence < 1.0:
        raise ValueError("confidence must lie strictly between 0 and 1")
    n = len(rows)
    total = np.asarray(rows, dtype=np.float64).sum(axis=0) if n else np.zeros(width)
    point = finish(total.tolist())
    figures: dict[str, dict[str, Any]] = {}
    samples: dict[str, list[float]] = {}
    for name, value in point.items():
        figures[name] = {"value": None, "ci95": None, "n": n, "reason": None}
        if isinstance(value, NotEnoughData):
            figures[name]["reason"] = str(value)
        elif not math.isfinite(value):
            figures[name]["reason"] = "not a finite number"
        else:
            figures[name]["value"] = float(value)
            samples[name] = []
    if samples:
        for block in resampled_sums(rows, seed=seed, resamples=resamples):
            for sums in block.tolist():
                for name, value in finish(sums).items():
                    if name in samples and not isinstance(value, NotEnoughData) \
                            and math.isfinite(value):
                        samples[name].append(float(value))
    for name, values in samples.items():
        figures[name]["ci95"] = _interval(values, resamples, confidence)
        if n < min_units:
            figures[name]["reason"] = f"only {n} units: too few to trust"
    return figures


# -- Unitizing alpha over resampled blocks ------------------------------------------------------------

class UnitizingBlocks:
    """Krippendorff's unitizing alpha of a continuum cut into blocks, for resamples of blocks.

    A block is ``(length, spans)`` with spans ``(coder, start, end, category)`` relative to the
    block and inside it (no span crosses a cut). A resample is a sequence of block indices,
    concatenated in that order; ``alpha(order)`` is exactly ``unitizing_alpha`` of that
    concatenation (in floating point), without building it: the observed disagreement is a sum
    over blocks, the units' lengths a multiset union, and only the gaps at the cuts depend on
    the order (a coder's gap at a block's end joins the next block's leading gap, across
    blocks where the coder marked nothing)."""

    def __init__(self, blocks: Sequence[tuple[int, Sequence[tuple[Hashable, int, int, Hashable]]]],
                 category: Hashable, coders: Iterable[Hashable]) -> None:
        self.coders = list(dict.fromkeys(coders))
        for _, spans in blocks:
            for span in spans:
                if span[0] not in self.coders:
                    self.coders.append(span[0])
        count = len(blocks)
        self.lengths = np.array([length for length, _ in blocks], dtype=np.float64)
        self.observed = np.zeros(count)
        coders_n = len(self.coders)
        self.has = np.zeros((coders_n, count), dtype=bool)
        self.lead = np.zeros((coders_n, count))
        self.trail = np.zeros((coders_n, count))
        unit_lengths, unit_blocks, gap_lengths, gap_blocks = [], [], [], []
        for b, (length, spans) in enumerate(blocks):
            records = []
            for c, coder in enumerate(self.coders):
                units = _merge([(s, e) for who, s, e, cat in spans
                                if who == coder and cat == category and e > s])
                records.append(_sections(units, length))
                if units:
                    self.has[c, b] = True
                    self.lead[c, b] = units[0][0]
                    self.trail[c, b] = length - units[-1][1]
                    for (_, end), (start, _) in zip(units, units[1:]):
                        if start > end:
                            gap_lengths.append(start - end)
                            gap_blocks.append(b)
                    for s, e in units:
                        unit_lengths.append(e - s)
                        unit_blocks.append(b)
            self.observed[b] = sum(_pair_disagreement(r1, r2)
                                   for r1, r2 in combinations(records, 2))
        self.unit_lengths = np.array(unit_lengths, dtype=np.float64)
        self.unit_blocks = np.array(unit_blocks, dtype=np.int64)
        self.gap_lengths = np.array(gap_lengths, dtype=np.float64)
        self.gap_blocks = np.array(gap_blocks, dtype=np.int64)
        ell = self.unit_lengths
        self.cubic = ell * (ell - 1) * (2 * ell - 1) / 3
        self.squares = ell * ell
        self.falling = ell * (ell - 1)

    def _joined_gaps(self, order: np.ndarray) -> np.ndarray:
        """Every coder's gaps that touch a cut or an end of the continuum, in this order."""
        out = []
        lengths = self.lengths[order]
        for c in range(len(self.coders)):
            has = self.has[c, order]
            positions = np.flatnonzero(has)
            if positions.size == 0:
                out.append(np.array([lengths.sum()]))
                continue
            cum = np.cumsum(np.where(has, 0.0, lengths))
            lead = self.lead[c, order[positions]]
            trail = self.trail[c, order[positions]]
            between = np.diff(cum[positions])
            out.append(np.concatenate((
                [cum[positions[0]] + lead[0]],
                trail[:-1] + between + lead[1:],
                [trail[-1] + cum[-1] - cum[positions[-1]]])))
        gaps = np.concatenate(out)
        return gaps[gaps > 0]

    def alpha(self, order: np.ndarray) -> float:
        """``unitizing_alpha`` of the blocks concatenated in ``order``."""
        m = len(self.coders)
        if m == 0:
            raise NotEnoughData(NO_CODERS)
        if m == 1:
            raise NotEnoughData(ONE_CODER)
        weights = np.bincount(order, minlength=len(self.lengths)).astype(np.float64)
        length = float(self.lengths @ weights)
        if length == 0:
            raise NotEnoughData(EMPTY_TEXT)
        unit_weights = weights[self.unit_blocks]
        n_c = float(unit_weights.sum())
        if n_c == 0:
            raise NotEnoughData(CATEGORY_UNUSED)
        joined = self._joined_gaps(order)
        gaps = np.concatenate((self.gap_lengths, joined))
        gap_weights = np.concatenate((weights[self.gap_blocks], np.ones(joined.size)))
        ranked = np.argsort(gaps, kind="stable")
        gaps, gap_weights = gaps[ranked], gap_weights[ranked]
        # Suffix sums over gaps g >= l: sum of w and of w g.
        count_from = np.concatenate((np.cumsum(gap_weights[::-1])[::-1], [0.0]))
        total_from = np.concatenate((np.cumsum((gap_weights * gaps)[::-1])[::-1], [0.0]))
        first = np.searchsorted(gaps, self.unit_lengths, side="left")
        room = total_from[first] - (self.unit_lengths - 1) * count_from[first]
        expected = float(unit_weights @ ((n_c - 1) * self.cubic + self.squares * room))
        if expected == 0:
            raise NotEnoughData(NO_EXPECTED_DISAGREEMENT)
        pairs = m * length * (m * length - 1) - float(unit_weights @ self.falling)
        observed = float(self.observed @ weights)
        d_o = 2 * observed / (m * (m - 1) * length * length)
        d_e = 2 * expected / (length * pairs)
        return 1.0 - d_o / d_e

    def interval(self, *, seed: int = 0, resamples: int = 1000,
                 confidence: float = 0.95) -> list[float] | None:
        """The percentile bootstrap interval over resamples of the blocks (seeded)."""
        count = len(self.lengths)
        if count == 0:
            return None
        rng = np.random.Generator(np.random.PCG64(seed))
        values = []
        for order in rng.integers(0, count, size=(resamples, count)):
            try:
                value = self.alpha(order)
            except NotEnoughData:
                continue
            if math.isfinite(value):
                values.append(value)
        return _interval(values, resamples, confidence)
