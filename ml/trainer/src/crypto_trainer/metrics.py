"""Held-out metrics, on price: predicted price close * exp(p) against the actual close(t + h)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from .intervals import interval_log_bounds


@dataclass(frozen=True)
class HorizonMetrics:
    """Contract field names. meanWidthPct is in percent; mape, coverage and directionalAccuracy are fractions."""

    mae: float
    rmse: float
    mape: float
    maeNaive: float  # noqa: N815 - contract field name
    maeRatioVsNaive: float  # noqa: N815
    directionalAccuracy: float  # noqa: N815
    coverage: float
    meanWidthPct: float  # noqa: N815

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def price_mae(close: np.ndarray, y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.abs(close * np.exp(p) - close * np.exp(y))))


def directional_accuracy(y: np.ndarray, p: np.ndarray) -> float:
    """Share of rows whose predicted sign matches the realised one, over rows where the price moved.

    A zero prediction never counts as right, so the naive forecast scores 0 here by design.
    """
    moved = y != 0
    if not moved.any():
        return 0.0
    return float(np.mean(np.sign(p[moved]) == np.sign(y[moved])))


def horizon_metrics(close: np.ndarray, y: np.ndarray, p: np.ndarray, v: np.ndarray, scale: float) -> HorizonMetrics:
    actual = close * np.exp(y)
    predicted = close * np.exp(p)
    error = predicted - actual
    mae = float(np.mean(np.abs(error)))
    mae_naive = float(np.mean(np.abs(close - actual)))
    lower, upper = interval_log_bounds(p, v, scale)
    covered = (y >= lower) & (y <= upper)
    width_pct = (np.exp(upper) - np.exp(lower)) * 100.0  # (upper - lower) price / close, in percent
    return HorizonMetrics(
        mae=mae,
        rmse=float(np.sqrt(np.mean(error**2))),
        mape=float(np.mean(np.abs(error) / actual)),
        maeNaive=mae_naive,
        maeRatioVsNaive=mae / mae_naive if mae_naive > 0 else float("inf"),
        directionalAccuracy=directional_accuracy(y, p),
        coverage=float(np.mean(covered)),
        meanWidthPct=float(np.mean(width_pct)),
    )
