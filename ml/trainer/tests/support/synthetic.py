"""Synthetic feature frames with known structure, for tests that need ground truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crypto_trainer.data import FeatureFrame
from crypto_trainer.timeframe import Timeframe

ONE_MINUTE = Timeframe.parse("1m")


def ar_frame(
    rows: int = 8000,
    phi: float = 0.3,
    seed: int = 7,
    base_vol: float = 1e-3,
    start: str = "2024-01-01T00:01:00Z",
) -> FeatureFrame:
    """1-minute closes whose log returns follow r_t = phi * r_{t-1} + sigma_t * e_t.

    sigma_t swings by a factor of ~7 over slow regimes (heteroscedastic), so a fixed-width interval
    would be wrong and a volatility-normalised one has something to do. Features are what a real
    indicator service could know at t: the last return, the 30-candle volatility and a pure-noise column.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    sigma = base_vol * np.exp(np.sin(2 * np.pi * t / 1500.0))
    shocks = sigma * rng.standard_normal(rows)
    returns = np.empty(rows)
    returns[0] = shocks[0]
    for i in range(1, rows):
        returns[i] = phi * returns[i - 1] + shocks[i]
    close = 30_000.0 * np.exp(np.cumsum(returns))
    r = pd.Series(returns)
    r.iloc[0] = np.nan  # no previous close for the first candle
    frame = pd.DataFrame(
        {
            "time": pd.date_range(start, periods=rows, freq="1min", tz="UTC"),
            "close": close,
            "log_return_1": r.to_numpy(),
            "noise": rng.standard_normal(rows),
            "volatility_30": r.rolling(30).std().to_numpy(),
        }
    )
    return FeatureFrame("SYN/USDT", ONE_MINUTE, 1, frame, ("log_return_1", "noise", "volatility_30"))


def with_feature(feature_frame: FeatureFrame, name: str, values: np.ndarray) -> FeatureFrame:
    frame = feature_frame.frame.copy()
    frame[name] = values
    names = tuple(sorted({*feature_frame.feature_names, name}))
    return FeatureFrame(feature_frame.pair, feature_frame.timeframe, feature_frame.schema_version, frame, names)
