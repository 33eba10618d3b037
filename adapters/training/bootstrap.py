"""Bootstrap confidence intervals of a mean, for per-query metrics and per-pair similarities."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
RESAMPLES = 2000


@dataclass(frozen=True, slots=True)
class Estimate:
    """A mean with its bootstrap confidence interval."""

    mean: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        """Rounded for reports: four decimals is finer than any interval here."""
        return {"mean": round(self.mean, 4), "low": round(self.low, 4), "high": round(self.high, 4)}


def mean_ci(values: Sequence[float] | np.ndarray, *, seed: int = 0) -> Estimate:
    """The mean of `values` with a 95% percentile bootstrap interval (scipy.stats.bootstrap).

    For a paired comparison pass the per-item differences: the interval of the difference is
    what says whether one model beats another on the same queries.
    """
    from scipy.stats import bootstrap

    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        raise ValueError("no values to estimate a mean from")
    mean = float(data.mean())
    if data.size == 1 or np.all(data == data[0]):
        return Estimate(mean, mean, mean)
    result = bootstrap(
        (data,),
        np.mean,
        confidence_level=CONFIDENCE,
        n_resamples=RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return Estimate(mean, float(interval.low), float(interval.high))
