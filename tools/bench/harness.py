"""Side-by-side measurement: pymoby against a reference tool, in one run.

A benchmark module in this directory is named ``bench_*.py`` and defines
``run(quick: bool) -> list[Comparison]``. It starts whatever it needs, measures
our implementation and the reference (dockerd, skopeo, GNU tar, ctr) in
alternation with :func:`alternate`, and returns the comparisons; ``run.py``
prints them as a table and writes them as JSON.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

__all__ = ["Comparison", "alternate", "timed"]


@dataclass(slots=True)
class Comparison:
    """Samples of one quantity, measured for us and for the reference."""

    name: str
    unit: str  # "s", "MB", "req/s", ...
    baseline: str  # what we compare with: "dockerd", "skopeo", "GNU tar", "ctr"
    ours: list[float] = field(default_factory=list)
    theirs: list[float] = field(default_factory=list)
    higher_is_better: bool = False
    note: str = ""

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def theirs_median(self) -> float:
        return statistics.median(self.theirs)

    @property
    def ratio(self) -> float:
        """ours / theirs for the medians: below 1 is better for times and sizes."""
        return self.ours_median / self.theirs_median if self.theirs_median else float("inf")

    @property
    def ahead(self) -> bool:
        return self.ratio >= 1 if self.higher_is_better else self.ratio <= 1

    @staticmethod
    def spread(samples: list[float]) -> float:
        """Half the interquartile range relative to the median (0.05 = +-5%)."""
        if len(samples) < 4:
            return (max(samples) - min(samples)) / 2 / statistics.median(samples) if samples else 0.0
        q1, _, q3 = statistics.quantiles(samples, n=4)
        return (q3 - q1) / 2 / statistics.median(samples)

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.update(
            ours_median=self.ours_median,
            theirs_median=self.theirs_median,
            ratio=self.ratio,
            ours_spread=self.spread(self.ours),
            theirs_spread=self.spread(self.theirs),
            ahead=self.ahead,
        )
        return data


def timed(action: Callable[[], object]) -> float:
    """Run ``action`` once and return the wall time it took, in seconds."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def alternate(
    comparison: Comparison,
    ours: Callable[[], float],
    theirs: Callable[[], float],
    runs: int,
    warmup: int = 1,
) -> Comparison:
    """Take ``runs`` samples of each side, alternating which goes first.

    Each callable returns one sample (a time from :func:`timed`, a rate, a
    size). Alternation spreads the machine's drift over both sides.
    """
    for _ in range(warmup):
        ours()
        theirs()
    for i in range(runs):
        if i % 2 == 0:
            comparison.ours.append(ours())
            comparison.theirs.append(theirs())
        else:
            comparison.theirs.append(theirs())
            comparison.ours.append(ours())
    return comparison
