"""Side-by-side measurement: pymoby against a reference tool, in one run.

A benchmark module in this directory is named ``bench_*.py`` and defines
``run(quick: bool) -> list[Comparison]``, or ``run(quick, session=None)``
when it compares the two daemons: ``run.py`` then hands it the one
:class:`sidebyside.Session` (dockerd and pymobyd, started once for the whole
run); called alone, the module starts its own. It measures our
implementation and the reference (dockerd, skopeo, GNU tar, ctr) in
alternation with :func:`alternate`, and returns the comparisons; ``run.py``
prints them as a table and writes them as JSON.

Quick mode (:func:`set_quick`, ``run.py --quick``) takes no warm-up rounds:
its figures show that every path works, not how fast it is.

A module that raises is not left out: ``run.py`` gives it a row that says
"failed: ERROR" (see :attr:`Comparison.failed`) and exits 1.
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["Comparison", "alternate", "private_cgroup_parent", "remove_cgroup_parent", "set_quick", "timed"]


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
    #: Why there are no figures ("failed: ERROR" when its module raised; "" when it was measured).
    failed: str = ""
    #: The bench module it came from (``run.py`` fills it in).
    module: str = ""

    @property
    def measured(self) -> bool:
        """Whether both sides have samples."""
        return not self.failed and bool(self.ours) and bool(self.theirs)

    @property
    def ours_median(self) -> float:
        """The median of our samples (NaN without samples)."""
        return statistics.median(self.ours) if self.ours else math.nan

    @property
    def theirs_median(self) -> float:
        """The median of the reference's samples (NaN without samples)."""
        return statistics.median(self.theirs) if self.theirs else math.nan

    @property
    def ratio(self) -> float:
        """ours / theirs for the medians: below 1 is better for times and sizes."""
        if not self.measured:
            return math.nan
        return self.ours_median / self.theirs_median if self.theirs_median else math.inf

    @property
    def ahead(self) -> bool:
        """Whether our median is at least as good as the reference's."""
        return self.ratio >= 1 if self.higher_is_better else self.ratio <= 1

    @staticmethod
    def spread(samples: list[float]) -> float:
        """Half the interquartile range relative to the median (0.05 = +-5%)."""
        if not samples or not statistics.median(samples):
            return 0.0
        if len(samples) < 4:
            return (max(samples) - min(samples)) / 2 / statistics.median(samples)
        q1, _, q3 = statistics.quantiles(samples, n=4)
        return (q3 - q1) / 2 / statistics.median(samples)

    def as_dict(self) -> dict[str, object]:
        """The samples and the derived figures, JSON-ready (``None`` where nothing was measured)."""
        data = asdict(self)
        measured = self.measured
        data.update(
            ours_median=self.ours_median if self.ours else None,
            theirs_median=self.theirs_median if self.theirs else None,
            ratio=self.ratio if measured and math.isfinite(self.ratio) else None,
            ours_spread=self.spread(self.ours),
            theirs_spread=self.spread(self.theirs),
            ahead=self.ahead if measured else None,
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Comparison:
        """The inverse of :meth:`as_dict` (derived figures are recomputed)."""
        names = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in names})  # type: ignore[arg-type]


_quick = False


def set_quick(quick: bool) -> None:
    """Turn quick mode on or off for this process: :func:`alternate` then skips its warm-up rounds."""
    global _quick
    _quick = quick


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
    size). Alternation spreads the machine's drift over both sides. In quick
    mode there is no warm-up.
    """
    for _ in range(0 if _quick else warmup):
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


def private_cgroup_parent(name: str) -> str:
    """A cgroup parent of this run alone (``/NAME-PID``), so that two runs on one host never share one."""
    return f"/{name}-{os.getpid()}"


def remove_cgroup_parent(parent: str) -> None:
    """Remove ``parent`` (and its empty children) from every cgroup hierarchy; populated ones stay."""
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        base = hierarchy / parent.lstrip("/")
        if not base.is_dir():
            continue
        for child in sorted(base.rglob("*"), key=lambda p: len(str(p)), reverse=True):
            if child.is_dir():
                with contextlib.suppress(OSError):
                    child.rmdir()
        with contextlib.suppress(OSError):
            base.rmdir()
