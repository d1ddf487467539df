"""workbench.agreement: published values, cross-checks against reference packages, properties.

The reference packages (``krippendorff``, ``irrcac``) are test-only; the module
itself is pure Python.
"""
from __future__ import annotations

import math
import random
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from workbench.agreement import (
    UnitizingBlocks,
    summed_figures,
    LEVELS,
    NO_PAIRABLE_UNITS,
    ONE_CODER,
    SINGLE_CATEGORY,
    NotEnoughData,
    unitizing_parts,
    bootstrap_ci,
    cohen_kappa,
    figure,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    unitizing_alpha,
)

N = None

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
# 4 coders x 12 units with missing values.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]

# Wikipedia, "Fleiss' kappa", worked example: 10 subjects, 14 raters, 5 categories.
FLEISS_WIKIPEDIA = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]


def krippendorff_1995(stretch: int = 1) -> tuple[int, list[tuple[int, int, int, str]]]:
    """Krippendorff (1995, p. 57): two coders on a continuum of 24, categories A-D.

    The example as DKPro Agreement's Krippendorff1995Test spells it out, as
    (coder, offset, length, category), turned into half-open (start, end)
    spans, every offset multiplied by ``stretch``.
    """
    raw = [
        # A: Bertha, Bill
        (0, 2, 8, "A"), (0, 14, 6, "A"), (1, 4, 4, "A"), (1, 15, 2, "A"),
        # B: John, Jill (Jill cuts the stretch into adjacent units)
        (0, 0, 18, "B"),
        (1, 0, 2, "B"), (1, 2, 1, "B"), (1, 3, 1, "B"), (1, 4, 1, "B"),
        (1, 5, 1, "B"), (1, 6, 3, "B"), (1, 9, 1, "B"),
        # C: Gerret, Gill
        (0, 2, 6, "C"), (0, 10, 2, "C"), (0, 14, 4, "C"), (0, 20, 2, "C"),
        (1, 0, 2, "C"), (1, 4, 4, "C"), (1, 10, 4, "C"), (1, 16, 2, "C"), (1, 20, 2, "C"),
        # D: Heather, Hill
        (0, 0, 2, "D"), (0, 2, 8, "D"), (0, 10, 4, "D"), (0, 14, 6, "D"), (0, 20, 4, "D"),
        (1, 0, 4, "D"), (1, 4, 4, "D"), (1, 8, 7, "D"), (1, 15, 2, "D"), (1, 17, 7, "D"),
    ]
    spans = [(coder, off * stretch, (off + ln) * stretch, cat) for coder, off, ln, cat in raw]
    return 24 * stretch, spans


def random_matrix(rng: random.Random, coders: int, units: int, labels: int, missing: float):
    return [
        [None if rng.random() < missing else rng.randint(1, labels) for _ in range(units)]
        for _ in range(coders)
    ]


# --------------------------------------------------------------------------
# Published values
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "published"),
    [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)],
)
def test_krippendorff_2011_example(level: str, published: float) -> None:
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(published, abs=5e-4)


def test_krippendorff_2011_example_exact_nominal() -> None:
    # Unrounded value (the paper rounds it to 0.743), as the krippendorff package gives it.
    assert krippendorff_alpha(KRIPPENDORFF_2011) == pytest.approx(0.7434210526315789, abs=1e-12)


def test_fleiss_wikipedia_example() -> None:
    assert fleiss_kappa(FLEISS_WIKIPEDIA) == pytest.approx(0.210, abs=5e-4)


def test_cohen_two_by_two() -> None:
    # 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.400, abs=5e-4)
    # pairs with a None are dropped
    assert cohen_kappa(a + [None, "yes"], b + ["no", None]) == pytest.approx(0.4, abs=1e-12)


def test_gwet_ac1_two_raters() -> None:
    first = ["y"] * 8 + ["n", "y"]
    second = ["y"] * 8 + ["n", "n"]
    assert gwet_ac1([first, second]) == pytest.approx(0.8658, abs=5e-5)


UNITIZING_1995 = {"A": 0.553, "B": -0.926, "C": 0.679, "D": 0.066}


@pytest.mark.parametrize("category", sorted(UNITIZING_1995))
def test_unitizing_krippendorff_1995_stretched(category: str) -> None:
    length, spans = krippendorff_1995(500)
    value = unitizing_alpha(length, spans, category)
    assert value == pytest.approx(UNITIZING_1995[category], abs=0.02)


def test_unitizing_krippendorff_1995_disagreements() -> None:
    """D_o as DKPro's test gives it (exact, any stretch); D_e near its continuous value."""
    observed = {"A": 0.03125, "B": 2.26736, "C": 0.02777, "D": 0.38715}
    expected = {"A": 0.06990, "B": 1.17731, "C": 0.08642, "D": 0.41445}
    for stretch in (1, 7, 500):
        length, spans = krippendorff_1995(stretch)
        for category in "ABCD":
            do_num, do_den, de_num, de_den = unitizing_parts(length, spans, category)
            assert do_num / do_den == pytest.approx(observed[category], abs=1e-5)
            if stretch == 500:
                assert de_num / de_den == pytest.approx(expected[category], abs=0.005)


def test_unitizing_c_lands_above_published() -> None:
    # A correct discrete computation lands about 0.014 above the published 0.679.
    length, spans = krippendorff_1995(500)
    assert unitizing_alpha(length, spans, "C") == pytest.approx(0.693, abs=0.002)


# --------------------------------------------------------------------------
# Cross-checks against reference packages
# --------------------------------------------------------------------------

SHAPES = [(2, 10, 2, 0.1), (3, 25, 4, 0.25), (5, 40, 5, 0.3), (8, 15, 3, 0.5), (2, 60, 7, 0.0)]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(4))
def test_krippendorff_matches_package(level: str, shape: tuple[int, int, int, float], seed: int) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    rng = random.Random(1000 * seed + hash(shape) % 1000)
    data = random_matrix(rng, *shape)
    try:
        ours = krippendorff_alpha(data, level)
    except NotEnoughData:
        pytest.skip("degenerate random draw")
    matrix = np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float)
    theirs = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
    assert ours == pytest.approx(float(theirs), abs=1e-9)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(4))
def test_krippendorff_float_interval_matches_package(shape: tuple[int, int, int, float], seed: int) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    rng = random.Random(seed)
    coders, units, _, missing = shape
    data = [
        [None if rng.random() < missing else rng.uniform(0.0, 10.0) for _ in range(units)]
        for _ in range(coders)
    ]
    matrix = np.array([[np.nan if v is None else v for v in row] for row in data], dtype=float)
    for level in ("interval", "ratio"):
        theirs = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
        assert krippendorff_alpha(data, level) == pytest.approx(float(theirs), abs=1e-9)


def _irrcac(data):
    pd = pytest.importorskip("pandas")
    raw = pytest.importorskip("irrCAC.raw")
    frame = pd.DataFrame(
        {f"r{i}": [float("nan") if v is None else float(v) for v in row] for i, row in enumerate(data)}
    )
    return raw.CAC(frame, digits=15)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("seed", range(4))
def test_gwet_matches_irrcac(shape: tuple[int, int, int, float], seed: int) -> None:
    rng = random.Random(7919 * seed + len(shape) + shape[1])
    data = random_matrix(rng, *shape)
    try:
        ours = gwet_ac1(data)
    except NotEnoughData:
        pytest.skip("degenerate random draw")
    theirs = _irrcac(data).gwet()["est"]["coefficient_value"]
    assert ours == pytest.approx(float(theirs), abs=1e-9)


@pytest.mark.filterwarnings("ignore")
def test_gwet_published_example_matches_irrcac() -> None:
    # irrCAC's own 4-rater example is Krippendorff's 2011 matrix: AC1 0.77544.
    assert gwet_ac1(KRIPPENDORFF_2011) == pytest.approx(0.77544, abs=5e-6)
    theirs = _irrcac(KRIPPENDORFF_2011).gwet()["est"]["coefficient_value"]
    assert gwet_ac1(KRIPPENDORFF_2011) == pytest.approx(float(theirs), abs=1e-9)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("seed", range(6))
def test_fleiss_matches_irrcac_on_complete_data(seed: int) -> None:
    rng = random.Random(seed)
    coders, units, labels = rng.randint(2, 7), rng.randint(5, 30), rng.randint(2, 5)
    data = random_matrix(rng, coders, units, labels, 0.0)
    counts = [[sum(1 for row in data if row[u] == c) for c in range(1, labels + 1)] for u in range(units)]
    try:
        ours = fleiss_kappa(counts)
    except NotEnoughData:
        pytest.skip("degenerate random draw")
    theirs = _irrcac(data).fleiss()["est"]["coefficient_value"]
    assert ours == pytest.approx(float(theirs), abs=1e-9)


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("seed", range(6))
def test_cohen_matches_irrcac_conger_for_two_raters(seed: int) -> None:
    # Conger's kappa for two raters with complete data is Cohen's kappa.
    rng = random.Random(seed)
    data = random_matrix(rng, 2, rng.randint(5, 40), rng.randint(2, 4), 0.0)
    try:
        ours = cohen_kappa(data[0], data[1])
    except NotEnoughData:
        pytest.skip("degenerate random draw")
    theirs = _irrcac(data).conger()["est"]["coefficient_value"]
    assert ours == pytest.approx(float(theirs), abs=1e-9)


# --------------------------------------------------------------------------
# Unitizing: the fast computation against a naive transcription of the formula
# --------------------------------------------------------------------------


def naive_unitizing(length, spans, category, coders=()):
    """Direct transcription: every pair of sections, every unit against every gap."""
    records = {}
    for coder in coders:
        records.setdefault(coder, [])
    for coder, start, end, cat in spans:
        records.setdefault(coder, [])
        if cat == category and end > start:
            records[coder].append((start, end))
    sections = {}
    for coder, units in records.items():
        merged = []
        for start, end in sorted(units):
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
            else:
                merged.append((start, end))
        secs, pos = [], 0
        for start, end in merged:
            if start > pos:
                secs.append((pos, start, False))
            secs.append((start, end, True))
            pos = end
        if pos < length:
            secs.append((pos, length, False))
        sections[coder] = secs
    m = len(sections)
    total = 0
    for c1, c2 in combinations(sections, 2):
        for b1, e1, u1 in sections[c1]:
            for b2, e2, u2 in sections[c2]:
                overlap = max(b1, b2) < min(e1, e2)
                if u1 and u2 and overlap:
                    total += (b1 - b2) ** 2 + (e1 - e2) ** 2
                elif u1 and not u2 and b2 <= b1 and e1 <= e2:
                    total += (e1 - b1) ** 2
                elif u2 and not u1 and b1 <= b2 and e2 <= e1:
                    total += (e2 - b2) ** 2
    d_o = Fraction(2 * total, m * (m - 1) * length * length)
    units = [e - b for secs in sections.values() for b, e, u in secs if u]
    gaps = [e - b for secs in sections.values() for b, e, u in secs if not u]
    n_c = len(units)
    num = Fraction(0)
    for ell in units:
        num += Fraction((n_c - 1) * (2 * ell**3 - 3 * ell**2 + ell), 3)
        num += ell * ell * sum(g - ell + 1 for g in gaps if g >= ell)
    d_e = Fraction(2, length) * num / (m * length * (m * length - 1) - sum(ell * (ell - 1) for ell in units))
    return d_o, d_e


span_lists = st.integers(min_value=1, max_value=60).flatmap(
    lambda length: st.tuples(
        st.just(length),
        st.lists(
            st.tuples(
                st.integers(0, 3),
                st.integers(0, length),
                st.integers(0, length),
                st.sampled_from("xyz"),
            ).map(lambda t: (t[0], min(t[1], t[2]), max(t[1], t[2]), t[3])),
            max_size=25,
        ),
    )
)


@settings(max_examples=300)
@given(span_lists, st.sampled_from("xyz"))
def test_unitizing_matches_naive_formula(case, category) -> None:
    length, spans = case
    try:
        do_num, do_den, de_num, de_den = unitizing_parts(length, spans, category, coders=[9])
    except NotEnoughData:
        return
    d_o, d_e = naive_unitizing(length, spans, category, coders=[9])
    assert Fraction(do_num, do_den) == d_o
    assert Fraction(de_num, de_den) == d_e


@settings(max_examples=200)
@given(span_lists, st.sampled_from("xyz"))
def test_unitizing_only_float_or_not_enough_data(case, category) -> None:
    length, spans = case
    try:
        value = unitizing_alpha(length, spans, category)
    except NotEnoughData as exc:
        assert str(exc)
        return
    assert math.isfinite(value) and value <= 1.0


one_coder_record = st.integers(min_value=1, max_value=60).flatmap(
    lambda length: st.tuples(
        st.just(length),
        st.lists(
            st.tuples(st.integers(0, length - 1), st.integers(1, length), st.sampled_from("xy")).map(
                lambda t: (min(t[0], t[1] - 1), max(t[0] + 1, t[1]), t[2])
            ),
            max_size=10,
        ).map(lambda spans: [(0, 1, "x")] + spans),
    )
)


@settings(max_examples=200)
@given(one_coder_record, st.integers(2, 5))
def test_unitizing_perfect_agreement(case, coders) -> None:
    length, mine = case
    copied = [(c, start, end, cat) for c in range(coders) for start, end, cat in mine]
    try:
        value = unitizing_alpha(length, copied, "x")
    except NotEnoughData as exc:
        # only when every position is its own unit of length 1: nothing to expect
        assert str(exc) == "no expected disagreement"
        return
    assert value == 1.0


@settings(max_examples=200)
@given(span_lists, st.sampled_from("xyz"), st.integers(2, 5))
def test_unitizing_stretching(case, category, factor) -> None:
    """D_o is exactly invariant under stretching; alpha is not (D_e counts positions)."""
    length, spans = case
    stretched = [(c, s * factor, e * factor, cat) for c, s, e, cat in spans]
    try:
        p = unitizing_parts(length, spans, category)
    except NotEnoughData as exc:
        with pytest.raises(NotEnoughData, match=f"^{exc}$"):
            unitizing_parts(length * factor, stretched, category)
        return
    q = unitizing_parts(length * factor, stretched, category)
    assert Fraction(p[0], p[1]) == Fraction(q[0], q[1])


def test_unitizing_alpha_is_not_exactly_stretch_invariant_but_converges() -> None:
    values = [unitizing_alpha(*krippendorff_1995(k), "C") for k in (1, 10, 100, 1000)]
    assert values[0] != values[1]
    steps = [abs(b - a) for a, b in zip(values, values[1:])]
    assert steps[0] > steps[1] > steps[2]


@settings(max_examples=100)
@given(span_lists, st.sampled_from("xyz"), st.randoms(use_true_random=False))
def test_unitizing_ignores_span_order_and_coder_names(case, category, rnd) -> None:
    length, spans = case
    try:
        value = unitizing_alpha(length, spans, category)
    except NotEnoughData as exc:
        with pytest.raises(NotEnoughData, match=str(exc)):
            unitizing_alpha(length, list(reversed(spans)), category)
        return
    shuffled = list(spans)
    rnd.shuffle(shuffled)
    renamed = [(f"coder-{c}", s, e, cat) for c, s, e, cat in shuffled]
    assert unitizing_alpha(length, renamed, category) == value


def test_unitizing_merges_overlapping_spans_and_keeps_touching_ones() -> None:
    merged = [("a", 2, 10, "x"), ("b", 3, 9, "x")]
    overlapping = [("a", 2, 7, "x"), ("a", 5, 10, "x"), ("b", 3, 9, "x")]
    assert unitizing_alpha(20, overlapping, "x") == unitizing_alpha(20, merged, "x")
    touching = [("a", 2, 6, "x"), ("a", 6, 10, "x"), ("b", 3, 9, "x")]
    assert unitizing_alpha(20, touching, "x") != unitizing_alpha(20, merged, "x")


def test_unitizing_silent_coder_counts_only_when_named() -> None:
    spans = [("a", 2, 10, "x"), ("b", 3, 9, "x")]
    with_silent = unitizing_alpha(20, spans, "x", coders=["a", "b", "c"])
    assert with_silent < unitizing_alpha(20, spans, "x")
    with pytest.raises(NotEnoughData, match="^only one coder$"):
        unitizing_alpha(20, [("a", 2, 10, "x")], "x")
    assert unitizing_alpha(20, [("a", 2, 10, "x")], "x", coders=["b"]) < 0
    # a coder who marked only other categories is seen, and counts as all gap for "x"
    assert unitizing_alpha(20, [("a", 2, 10, "x"), ("b", 12, 14, "y")], "x") == unitizing_alpha(
        20, [("a", 2, 10, "x")], "x", coders=["b"]
    )


def test_unitizing_not_enough_data_messages() -> None:
    with pytest.raises(NotEnoughData, match="^no coders$"):
        unitizing_alpha(10, [], "x")
    with pytest.raises(NotEnoughData, match="^nobody marked this category$"):
        unitizing_alpha(10, [("a", 1, 3, "y"), ("b", 2, 4, "y")], "x")
    with pytest.raises(NotEnoughData, match="^empty text$"):
        unitizing_alpha(0, [("a", 0, 0, "x")], "x", coders=["b"])
    ones = [(c, i, i + 1, "x") for c in "ab" for i in range(5)]
    with pytest.raises(NotEnoughData, match="^no expected disagreement$"):
        unitizing_alpha(5, ones, "x")


def test_unitizing_rejects_malformed_spans() -> None:
    with pytest.raises(ValueError, match="within"):
        unitizing_alpha(10, [("a", 5, 11, "x"), ("b", 1, 2, "x")], "x")
    with pytest.raises(ValueError, match="within"):
        unitizing_alpha(10, [("a", 5, 4, "x"), ("b", 1, 2, "x")], "x")
    with pytest.raises(ValueError, match="integers"):
        unitizing_alpha(10, [("a", 1.5, 4, "x"), ("b", 1, 2, "x")], "x")


# --------------------------------------------------------------------------
# Properties of the coding measures
# --------------------------------------------------------------------------


@st.composite
def agreeing_matrices(draw):
    """Coders x units where every coder who rated a unit gave it the same label."""
    coders = draw(st.integers(2, 6))
    units = draw(st.integers(2, 20))
    truth = draw(st.lists(st.sampled_from("abcd"), min_size=units, max_size=units))
    mask = draw(
        st.lists(st.lists(st.booleans(), min_size=units, max_size=units), min_size=coders, max_size=coders)
    )
    data = [[label if keep else None for label, keep in zip(truth, row)] for row in mask]
    pairable = {truth[u] for u in range(units) if sum(row[u] is not None for row in data) >= 2}
    assume(len(pairable) >= 2)
    return data


@given(agreeing_matrices(), st.sampled_from(["nominal", "ordinal"]))
def test_perfect_agreement_alpha(data, level) -> None:
    assert krippendorff_alpha(data, level) == 1.0


@given(agreeing_matrices())
def test_perfect_agreement_ac1(data) -> None:
    assert gwet_ac1(data) == pytest.approx(1.0, abs=1e-12)


@given(st.lists(st.sampled_from("abc"), min_size=1, max_size=30))
def test_perfect_agreement_cohen(labels) -> None:
    assume(len(set(labels)) >= 2)
    assert cohen_kappa(labels, labels) == 1.0


@given(st.lists(st.integers(0, 3), min_size=1, max_size=20), st.integers(2, 9))
def test_perfect_agreement_fleiss(choices, raters) -> None:
    assume(len(set(choices)) >= 2)
    table = [[raters if j == c else 0 for j in range(4)] for c in choices]
    assert fleiss_kappa(table) == 1.0


labels_or_none = st.one_of(st.none(), st.integers(0, 3))
matrices = st.integers(0, 6).flatmap(
    lambda units: st.lists(st.lists(labels_or_none, min_size=units, max_size=units), max_size=6)
)


@settings(max_examples=300)
@given(matrices, st.sampled_from(LEVELS))
def test_coding_measures_only_float_or_not_enough_data(data, level) -> None:
    for compute in (lambda: krippendorff_alpha(data, level), lambda: gwet_ac1(data)):
        try:
            value = compute()
        except NotEnoughData as exc:
            assert str(exc)
        else:
            assert math.isfinite(value) and value <= 1.0 + 1e-12
    if len(data) == 2:
        try:
            cohen_kappa(data[0], data[1])
        except NotEnoughData as exc:
            assert str(exc)


@given(st.lists(labels_or_none, max_size=10), st.sampled_from(LEVELS))
def test_one_coder(row, level) -> None:
    with pytest.raises(NotEnoughData, match=f"^{ONE_CODER}$"):
        krippendorff_alpha([row], level)
    with pytest.raises(NotEnoughData, match=f"^{ONE_CODER}$"):
        gwet_ac1([row])


@given(st.integers(2, 5), st.integers(0, 8), st.sampled_from(LEVELS))
def test_all_missing(coders, units, level) -> None:
    data = [[None] * units for _ in range(coders)]
    with pytest.raises(NotEnoughData, match=f"^{NO_PAIRABLE_UNITS}$"):
        krippendorff_alpha(data, level)
    with pytest.raises(NotEnoughData, match=f"^{NO_PAIRABLE_UNITS}$"):
        gwet_ac1(data)
    if coders == 2:
        with pytest.raises(NotEnoughData, match=f"^{NO_PAIRABLE_UNITS}$"):
            cohen_kappa(data[0], data[1])


@given(st.integers(2, 5), st.integers(1, 8), st.integers(1, 5), st.sampled_from(LEVELS))
def test_single_category(coders, units, label, level) -> None:
    data = [[label] * units for _ in range(coders)]
    with pytest.raises(NotEnoughData, match=f"^{SINGLE_CATEGORY}$"):
        krippendorff_alpha(data, level)
    with pytest.raises(NotEnoughData, match=f"^{SINGLE_CATEGORY}$"):
        gwet_ac1(data)
    with pytest.raises(NotEnoughData, match=f"^{SINGLE_CATEGORY}$"):
        cohen_kappa(data[0], data[1])
    with pytest.raises(NotEnoughData, match=f"^{SINGLE_CATEGORY}$"):
        fleiss_kappa([[coders, 0, 0]] * units)


def test_input_errors_and_messages() -> None:
    with pytest.raises(ValueError, match="differ in length"):
        cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa([[2, 1], [1, 1]])
    with pytest.raises(NotEnoughData, match="^fewer than two raters per subject$"):
        fleiss_kappa([[1, 0], [0, 1]])
    with pytest.raises(NotEnoughData, match="^no subjects$"):
        fleiss_kappa([])
    with pytest.raises(NotEnoughData, match="^no coders$"):
        krippendorff_alpha([])
    with pytest.raises(ValueError, match="one entry per unit"):
        krippendorff_alpha([[1, 2], [1]])
    with pytest.raises(ValueError, match="level"):
        krippendorff_alpha(KRIPPENDORFF_2011, "cardinal")
    with pytest.raises(ValueError, match="real numbers"):
        krippendorff_alpha([["a", "b"], ["a", "c"]], "interval")
    with pytest.raises(ValueError, match="non-negative"):
        krippendorff_alpha([[-1, 2], [1, 2]], "ratio")
    # NotEnoughData is a ValueError, so callers that catch ValueError keep working
    assert issubclass(NotEnoughData, ValueError)


# --------------------------------------------------------------------------
# Bootstrap and figure
# --------------------------------------------------------------------------


def alpha_of_units(units):
    """Krippendorff's alpha with units (columns) as the resampled items."""
    return krippendorff_alpha([list(coder) for coder in zip(*units)]) if units else krippendorff_alpha([])


COLUMNS = [list(col) for col in zip(*KRIPPENDORFF_2011)]


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**32), st.integers(20, 200))
def test_bootstrap_is_deterministic(seed, resamples) -> None:
    first = bootstrap_ci(alpha_of_units, COLUMNS, seed=seed, resamples=resamples)
    second = bootstrap_ci(alpha_of_units, COLUMNS, seed=seed, resamples=resamples)
    assert first == second
    assert first is not None
    low, high = first
    assert low <= high <= 1.0


def test_bootstrap_interval_brackets_the_value_and_depends_on_seed() -> None:
    low, high = bootstrap_ci(alpha_of_units, COLUMNS, seed=1)
    assert low < krippendorff_alpha(KRIPPENDORFF_2011) < high
    assert bootstrap_ci(alpha_of_units, COLUMNS, seed=2) != (low, high)
    narrow = bootstrap_ci(alpha_of_units, COLUMNS, seed=1, confidence=0.5)
    assert low <= narrow[0] <= narrow[1] <= high


def test_bootstrap_skips_not_enough_data_and_gives_up() -> None:
    def never(units):
        raise NotEnoughData("no pairable units")

    assert bootstrap_ci(never, [1, 2, 3]) is None
    assert bootstrap_ci(len, []) is None

    def sometimes(units):
        if units.count(0) > 2:
            raise NotEnoughData("too many zeros")
        return float(sum(units))

    result = bootstrap_ci(sometimes, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], seed=5)
    assert result is not None
    with pytest.raises(ValueError):
        bootstrap_ci(len, [1], resamples=0)
    with pytest.raises(ValueError):
        bootstrap_ci(len, [1], confidence=1.0)


def test_figure_shapes() -> None:
    many = COLUMNS * 2
    result = figure(alpha_of_units, many, resamples=200)
    assert set(result) == {"value", "ci95", "n", "reason"}
    assert result["n"] == 24 and result["reason"] is None
    assert result["value"] == pytest.approx(alpha_of_units(many))
    assert isinstance(result["ci95"], list) and len(result["ci95"]) == 2
    assert figure(alpha_of_units, many, resamples=200) == result

    few = figure(alpha_of_units, COLUMNS[:6], resamples=200)
    assert few["value"] is not None and few["n"] == 6
    assert few["reason"] == "only 6 units: too few to trust"
    assert figure(alpha_of_units, COLUMNS[:6], resamples=200, min_units=5)["reason"] is None

    missing = figure(alpha_of_units, [[None, None, None, None]] * 12)
    assert missing == {"value": None, "ci95": None, "n": 12, "reason": "no pairable units"}

    single = figure(lambda: unitizing_alpha(10, [("a", 1, 3, "x")], "x"))
    assert single == {"value": None, "ci95": None, "n": None, "reason": "only one coder"}
    whole = figure(lambda: unitizing_alpha(*krippendorff_1995(), "A"))
    assert whole["value"] == pytest.approx(0.515, abs=1e-3) and whole["ci95"] is None


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("level", LEVELS)
def test_krippendorff_2011_example_matches_package(level: str) -> None:
    krippendorff = pytest.importorskip("krippendorff")
    np = pytest.importorskip("numpy")
    matrix = np.array([[np.nan if v is None else v for v in row] for row in KRIPPENDORFF_2011], dtype=float)
    theirs = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
    assert krippendorff_alpha(KRIPPENDORFF_2011, level) == pytest.approx(float(theirs), abs=1e-9)


# -- Measures finished from sums (the pooled figures' bootstrap) --------------------------------------

def mean_and_share(sums):
    """The mean of x and the share of units with x > 2, from (sum x, count, count x > 2)."""
    total, count, big = sums
    return {"mean": total / count if count else NotEnoughData("no units"),
            "share": big / count if big else NotEnoughData("nothing above 2")}


VALUES = [0.5, 1.0, 2.0, 3.5, 4.0, 1.5, 0.0, 2.5, 3.0, 5.0, 1.0, 2.0]
ROWS = [[x, 1.0, float(x > 2)] for x in VALUES]


def test_summed_figures_resample_units_as_a_direct_bootstrap_would(monkeypatch) -> None:
    import numpy as np

    from workbench import agreement as module

    monkeypatch.setattr(module, "_WEIGHTS_PER_CHUNK", 10**9)  # one draw for all resamples
    figures = summed_figures(mean_and_share, ROWS, width=3, seed=7, resamples=400)
    assert figures["mean"]["value"] == pytest.approx(sum(VALUES) / len(VALUES))
    assert figures["share"]["value"] == pytest.approx(5 / 12)
    # The same resamples drawn by hand: each resample's units, then the plain mean.
    drawn = np.random.Generator(np.random.PCG64(7)).integers(0, 12, size=(400, 12))
    means = sorted(float(np.mean([VALUES[i] for i in row])) for row in drawn)
    assert figures["mean"]["ci95"] == pytest.approx([float(np.percentile(means, 2.5)),
                                                     float(np.percentile(means, 97.5))])
    assert figures["mean"]["n"] == 12 and figures["mean"]["reason"] is None


def test_summed_figures_are_seeded_in_chunks_and_give_reasons(monkeypatch) -> None:
    from workbench import agreement as module

    monkeypatch.setattr(module, "_WEIGHTS_PER_CHUNK", 30)  # a few resamples per product
    first = summed_figures(mean_and_share, ROWS, width=3, seed=3, resamples=300)
    assert summed_figures(mean_and_share, ROWS, width=3, seed=3, resamples=300) == first
    assert summed_figures(mean_and_share, ROWS, width=3, seed=4, resamples=300) != first
    low, high = first["mean"]["ci95"]
    assert low < first["mean"]["value"] < high
    none_big = [[x, 1.0, 0.0] for x in VALUES]
    assert summed_figures(mean_and_share, none_big, width=3, resamples=50)["share"] == {
        "value": None, "ci95": None, "n": 12, "reason": "nothing above 2"}
    assert summed_figures(mean_and_share, [], width=3)["mean"] == {
        "value": None, "ci95": None, "n": 0, "reason": "no units"}
    few = summed_figures(mean_and_share, ROWS[:4], width=3, resamples=100)["mean"]
    assert few["reason"] == "only 4 units: too few to trust" and few["ci95"] is not None
    # When fewer than half of the resamples give a value there is no interval: here only those
    # drawing exactly five big units of twelve do (about a quarter).
    def exactly_five(sums):
        return {"m": sums[0] / sums[1] if sums[2] == 5 else NotEnoughData("not five")}

    picky = summed_figures(exactly_five, ROWS, width=3, resamples=200)["m"]
    assert picky["value"] == pytest.approx(sum(VALUES) / 12) and picky["ci95"] is None


# -- Unitizing alpha over resampled blocks ------------------------------------------------------------

@st.composite
def unitized_blocks(draw):
    """Blocks of a continuum with spans of coders a, b (and c, who may mark nothing)."""
    out = []
    for _ in range(draw(st.integers(1, 6))):
        length = draw(st.integers(0, 30))
        spans = []
        for _ in range(draw(st.integers(0, 6)) if length else 0):
            start = draw(st.integers(0, length - 1))
            end = draw(st.integers(start, length))
            spans.append((draw(st.sampled_from("ab")), start, end, draw(st.sampled_from("xy"))))
        out.append((length, spans))
    return out


def concatenated(blocks, order):
    offset, spans = 0, []
    for i in order:
        length, inside = blocks[i]
        spans.extend((c, s + offset, e + offset, t) for c, s, e, t in inside)
        offset += length
    return offset, spans


@settings(max_examples=300, deadline=None)
@given(unitized_blocks(), st.data())
def test_unitizing_blocks_alpha_is_the_alpha_of_the_concatenation(blocks, data) -> None:
    order = data.draw(st.lists(st.integers(0, len(blocks) - 1), min_size=len(blocks),
                               max_size=len(blocks)))
    length, spans = concatenated(blocks, order)
    try:
        expected = unitizing_alpha(length, spans, "x", coders=["a", "b", "c"])
    except NotEnoughData as exc:
        with pytest.raises(NotEnoughData, match=str(exc)):
            UnitizingBlocks(blocks, "x", ["a", "b", "c"]).alpha(np.array(order))
        return
    got = UnitizingBlocks(blocks, "x", ["a", "b", "c"]).alpha(np.array(order))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_unitizing_blocks_interval_is_seeded_and_brackets_the_value() -> None:
    length, spans = krippendorff_1995()
    cuts = [0, 6, 12, 18, length]
    # Spans crossing a cut are left out: blocks are cut where no span crosses.
    blocks = [(right - left, [(c, s - left, e - left, t) for c, s, e, t in spans
                              if left <= s and e <= right])
              for left, right in zip(cuts, cuts[1:])]
    assert sum(b[0] for b in blocks) == length
    resampled = UnitizingBlocks(blocks, "A", [])
    whole = unitizing_alpha(length, [s for b in blocks for s in concatenated([b], [0])[1]], "A")
    assert resampled.alpha(np.arange(len(blocks))) == pytest.approx(whole)
    first = resampled.interval(seed=3, resamples=200)
    assert first == resampled.interval(seed=3, resamples=200)
    assert first != resampled.interval(seed=4, resamples=200)
