"""Guard against features that know the future.

Minute-scale crypto log returns are close to unpredictable: the best honest single-feature rank
correlations (information coefficients) with the next return are of order 0.01-0.1. A feature whose
Spearman correlation with a target on the training split exceeds `max_abs_corr` (default 0.5: it
would alone rank-explain a quarter of future-return variation) is almost surely computed from the
future (a shift the wrong way, a centred window, a target copied into the features), so the run
stops instead of producing a too-good model. Rank correlation keeps a few fat-tailed returns from
making an honest feature look leaky or a leaky one look honest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ErrorCode, TrainerError

DEFAULT_MAX_ABS_CORR = 0.5


@dataclass(frozen=True)
class LeakageFinding:
    feature: str
    horizon: int
    spearman: float


def max_abs_correlations(
    x_train: np.ndarray, y_train: np.ndarray, features: Sequence[str], horizons: Sequence[int]
) -> list[LeakageFinding]:
    """For each feature, its strongest |Spearman| with any horizon's target on train."""
    x_ranks = pd.DataFrame(x_train).rank().to_numpy()
    y_ranks = pd.DataFrame(y_train).rank().to_numpy()
    xc = x_ranks - x_ranks.mean(axis=0)
    yc = y_ranks - y_ranks.mean(axis=0)
    x_norm = np.sqrt((xc**2).sum(axis=0))
    y_norm = np.sqrt((yc**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = (xc.T @ yc) / np.outer(x_norm, y_norm)
    corr = np.nan_to_num(corr)  # a constant feature has no correlation
    findings = []
    for i, name in enumerate(features):
        j = int(np.argmax(np.abs(corr[i])))
        findings.append(LeakageFinding(name, int(horizons[j]), float(corr[i, j])))
    return findings


def assert_no_leakage(
    x_train: np.ndarray,
    y_train: np.ndarray,
    features: Sequence[str],
    horizons: Sequence[int],
    max_abs_corr: float = DEFAULT_MAX_ABS_CORR,
) -> list[LeakageFinding]:
    findings = max_abs_correlations(x_train, y_train, features, horizons)
    leaky = [f for f in findings if abs(f.spearman) > max_abs_corr]
    if leaky:
        detail = ", ".join(f"{f.feature} (h={f.horizon}, spearman={f.spearman:+.3f})" for f in leaky)
        raise TrainerError(
            ErrorCode.LEAKAGE,
            f"features correlate implausibly with future returns on train (|rho| > {max_abs_corr}): {detail}; "
            "they probably read the future",
        )
    return findings
