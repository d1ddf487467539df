"""schema.org ClaimReview for rated assertions (Google's fact-check markup). Pure: no database.

Each rated assertion of a published report becomes one ClaimReview: the claim is the quoted
text, the rating is placed on the project's scale (best = the scale's length, worst = 1), the
author is the publishing organisation, and the claim appears in the article at its source URL.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RatedClaim:
    anchor: str  # the fragment of the report that shows the claim
    quote: str
    rating: str
    explanation: str


def claim_reviews(claims: list[RatedClaim], *, scale: list[str], report_url: str,
                  published: datetime, publisher_name: str, publisher_url: str,
                  source_url: str | None, source_publisher: str | None,
                  source_date: str | None) -> list[dict[str, Any]]:
    """One ClaimReview JSON-LD object per rated claim (ratings not on ``scale`` are skipped)."""
    best = len(scale)
    reviews = []
    for claim in claims:
        if claim.rating not in scale:
            continue
        appearance: dict[str, Any] = {"@type": "CreativeWork"}
        if source_url:
            appearance["url"] = source_url
        if source_date:
            appearance["datePublished"] = source_date
        item: dict[str, Any] = {"@type": "Claim", "appearance": appearance}
        if source_publisher:
            item["author"] = {"@type": "Organization", "name": source_publisher}
            appearance["author"] = {"@type": "Organization", "name": source_publisher}
        review = {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": f"{report_url}#{claim.anchor}",
            "claimReviewed": claim.quote,
            "datePublished": published.date().isoformat(),
            "author": {"@type": "Organization", "name": publisher_name, "url": publisher_url},
            "reviewRating": {
                "@type": "Rating",
                "ratingValue": best - scale.index(claim.rating),
                "bestRating": best,
                "worstRating": 1,
                "alternateName": claim.rating,
            },
            "itemReviewed": item,
        }
        if claim.explanation:
            review["reviewBody"] = claim.explanation
        reviews.append(review)
    return reviews
