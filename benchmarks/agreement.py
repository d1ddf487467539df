"""Agreement figures over many articles: ``python -m benchmarks.agreement --articles 10000``.

Synthetic, seeded work (3 reviewers per article, ~10 assertions each, 30 sentences, agreeing
mostly) measured by the pure part of the supervision service (``measure_project``: every
pooled figure with its bootstrap, the pairs, the confusion, the ranking). Reports wall time and
peak RSS; a figure, not a timed test. Not yet part of ``make bench``.
"""
from __future__ import annotations

import argparse
import random
import resource
import time

from workbench.models import TAGS
from workbench.services.supervision import ArticleWork, Mark, measure_project

LENGTH = 3000
SENTENCES = [(k * 100, k * 100 + 95) for k in range(30)]


def synthetic_work(article_id: int, rng: random.Random,
                   reviewers: tuple[str, ...] = ("r1", "r2", "r3")) -> ArticleWork:
    """One article: shared claims that each reviewer keeps, shifts, retags or misses."""
    claims = [(rng.randrange(0, LENGTH - 60), rng.randrange(10, 50), rng.choice(TAGS))
              for _ in range(10)]
    marks: dict[str, list[Mark]] = {}
    next_id = article_id * 100
    for reviewer in reviewers:
        own = []
        for start, length, tag in claims:
            if rng.random() < 0.15:
                continue
            start = max(0, start + rng.choice((0, 0, 0, -3, 4)))
            tag = tag if rng.random() < 0.8 else rng.choice(TAGS)
            next_id += 1
            own.append(Mark(next_id, reviewer, start, min(LENGTH, start + length), tag))
        marks[reviewer] = own
    return ArticleWork(article_id, f"Article {article_id}", LENGTH, SENTENCES, list(reviewers),
                       marks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    rng = random.Random(20261202)
    works = [synthetic_work(i, rng) for i in range(1, args.articles + 1)]
    started = time.perf_counter()
    result = measure_project(works, resamples=args.resamples)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    overall = result["measures"]["alpha_unitizing"]["overall"]
    print(f"{args.articles} articles × 3 reviewers, {args.resamples} resamples: "
          f"{elapsed:.2f} s, peak RSS {peak_mb:.0f} MB; overall unitizing alpha "
          f"{overall['value']:.3f} {overall['ci95']}")


if __name__ == "__main__":
    main()
