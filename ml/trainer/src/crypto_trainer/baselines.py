"""Forecasts every model is compared with. Both fit nothing and read only the past."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def naive_log_returns(rows: int, horizons: Sequence[int]) -> np.ndarray:
    """The last-price forecast: price(t + h) = close(t), i.e. a zero log return."""
    return np.zeros((rows, len(horizons)), dtype=np.float64)


def ewma_drift_log_returns(one_period_returns: np.ndarray, horizons: Sequence[int], span: int = 60) -> np.ndarray:
    """Drift forecast: h times the exponentially weighted mean of past 1-period log returns.

    `one_period_returns` must be in time order and end at each row's own time (r(t) = ln c(t)/c(t-1)),
    so each forecast uses only returns known at t. Missing returns are skipped, not filled.
    """
    drift = pd.Series(one_period_returns).ewm(span=span, adjust=False, ignore_na=True).mean().fillna(0.0).to_numpy()
    return np.outer(drift, np.asarray(horizons, dtype=np.float64))
