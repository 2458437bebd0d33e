"""Conformal, volatility-normalised prediction intervals.

Score on the validation split: s = |y - p| / v, with v the row's volatility feature. The scale is the
ceil((n + 1) * coverage)-th smallest score (split-conformal finite-sample correction), so on
exchangeable data P(|y - p| <= scale * v) >= coverage. The predictor applies
lower = close * exp(p - scale * v), upper = close * exp(p + scale * v).
"""

from __future__ import annotations

import math

import numpy as np

METHOD = "conformal-vol-normalised"


def conformal_scale(y: np.ndarray, p: np.ndarray, v: np.ndarray, coverage: float) -> float:
    if not 0 < coverage < 1:
        raise ValueError(f"coverage must be in (0, 1): {coverage}")
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = np.abs(y - p) / v
    # v == 0 (a flat window) with any miss is an infinite score: kept, it is a real miss at any scale.
    scores = np.where(np.isnan(scores), 0.0, scores)
    n = len(scores)
    rank = math.ceil((n + 1) * coverage)
    if rank > n:
        raise ValueError(f"{n} calibration rows are too few for coverage {coverage}")
    scale = float(np.sort(scores)[rank - 1])
    if not math.isfinite(scale):
        raise ValueError("conformal scale is infinite: too many rows with zero volatility")
    return scale


def interval_log_bounds(p: np.ndarray, v: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    return p - scale * v, p + scale * v
