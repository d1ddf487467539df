"""Response shapes of the agreement API (documentation and test-time validation)."""
from __future__ import annotations

from typing import Optional

from pydantic import BaseModel, Field


class FigureOut(BaseModel):
    """One agreement figure; ``value`` is null with a ``reason`` when it cannot be given, and
    ``reason`` also says when it rests on too few units."""

    value: Optional[float]
    ci95: Optional[list[float]] = Field(description="95% percentile bootstrap interval [low, high].",
                                        min_length=2, max_length=2)
    n: Optional[int] = Field(description="Units behind the figure (bootstrap units).")
    reason: Optional[str]


class AlphaOut(BaseModel):
    overall: FigureOut = Field(description="Unitizing alpha with every assertion in one category.")
    by_tag: dict[str, FigureOut]


class MatchFiguresOut(BaseModel):
    precision: FigureOut
    recall: FigureOut
    f1: FigureOut


class SpanF1Out(BaseModel):
    exact: MatchFiguresOut
    overlap: MatchFiguresOut


class PairFigureOut(BaseModel):
    reviewers: list[str] = Field(min_length=2, max_length=2)
    figure: FigureOut


class SentenceOut(BaseModel):
    units: int = Field(description="Sentences compared.")
    cohen_kappa: FigureOut = Field(description="Mean of the pairs' kappas.")
    cohen_by_pair: list[PairFigureOut]
    fleiss_kappa: FigureOut
    krippendorff_alpha: FigureOut
    gwet_ac1: FigureOut


class DisagreementsOut(BaseModel):
    agree: int
    label: int
    boundary: int
    boundary_and_label: int
    missing: int
    total: int = Field(description="Every outcome but agree.")


class MeasuresOut(BaseModel):
    alpha_unitizing: AlphaOut
    span_f1: SpanF1Out
    sentence: SentenceOut
    disagreements: DisagreementsOut


class ArticleAgreementOut(BaseModel):
    article_id: int
    reviewers: list[str]
    measures: MeasuresOut


class PairOut(BaseModel):
    reviewers: list[str] = Field(min_length=2, max_length=2)
    articles: int
    span_f1: FigureOut = Field(description="Overlap F1.")
    cohen_kappa: FigureOut = Field(description="Sentence-level Cohen's kappa.")


class ConfusionOut(BaseModel):
    labels: list[str]
    spans: list[list[int]]
    sentences: list[list[int]]


class RankedArticleOut(BaseModel):
    article_id: int
    title: str
    reviewers: list[str]
    assertions: int
    disagreements: DisagreementsOut


class ReviewerCountsOut(BaseModel):
    reviewer: str
    assigned: int
    submitted: int
    assertions: int
    by_tag: dict[str, int]
    per_submitted_article: Optional[float]


class ProjectAgreementOut(BaseModel):
    articles: int = Field(description="Articles compared (two or more reviewers).")
    reviewers: list[str]
    measures: MeasuresOut
    by_pair: list[PairOut]
    confusion: ConfusionOut
    ranked: list[RankedArticleOut]
    reviewer_counts: list[ReviewerCountsOut]


AGREEMENT_MODELS = [FigureOut, ArticleAgreementOut, ProjectAgreementOut]
