"""Targets: y_h(t) = ln(close(t + h * timeframe) / close(t)), looked up by time, never by row offset."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .timeframe import Timeframe


def target_column(horizon: int) -> str:
    return f"target_h{horizon}"


def log_return_targets(
    time: pd.Series, close: pd.Series, horizons: Sequence[int], timeframe: Timeframe
) -> pd.DataFrame:
    """One column per horizon; NaN where the future close is not in the frame (gap or end of span)."""
    by_time = pd.Series(close.to_numpy(dtype=np.float64), index=pd.DatetimeIndex(time))
    now = close.to_numpy(dtype=np.float64)
    out = {}
    for h in horizons:
        future = by_time.reindex(pd.DatetimeIndex(time) + h * timeframe.step).to_numpy()
        out[target_column(h)] = np.log(future / now)
    return pd.DataFrame(out, index=time.index)


def one_period_log_returns(time: pd.Series, close: pd.Series, timeframe: Timeframe) -> np.ndarray:
    """r(t) = ln(close(t) / close(t - timeframe)), NaN when the previous candle is absent."""
    by_time = pd.Series(close.to_numpy(dtype=np.float64), index=pd.DatetimeIndex(time))
    previous = by_time.reindex(pd.DatetimeIndex(time) - timeframe.step).to_numpy()
    result: np.ndarray = np.log(close.to_numpy(dtype=np.float64) / previous)
    return result
