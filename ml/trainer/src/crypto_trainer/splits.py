"""Walk-forward train / validation / test split by time, with purge gaps.

A train row at time t carries a target that reads close(t + H) for the largest horizon H. Purging
every train row with t > validation_start - H keeps train targets from reaching into validation's
span (and likewise validation into test). Nothing is shuffled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import ErrorCode, TrainerError


@dataclass(frozen=True)
class Span:
    start: pd.Timestamp
    end: pd.Timestamp

    def to_json(self) -> dict[str, str]:
        return {"from": iso(self.start), "to": iso(self.end)}


@dataclass(frozen=True)
class WalkForwardSplit:
    """Row positions (into the frame the split was made on) of each part, in time order."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    train_span: Span
    validation_span: Span
    test_span: Span
    purge: pd.Timedelta


def walk_forward_split(
    time: pd.Series,
    purge: pd.Timedelta,
    fractions: tuple[float, float, float] = (0.70, 0.15, 0.15),
    min_rows: int = 30,
) -> WalkForwardSplit:
    """Cut strictly increasing times at the 70% and 85% row positions, then purge before each cut."""
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise TrainerError(ErrorCode.CONFIG, f"split fractions must be 3 positive numbers summing to 1: {fractions}")
    times = pd.DatetimeIndex(time)
    if not times.is_monotonic_increasing or not times.is_unique:
        raise TrainerError(ErrorCode.CONFIG, "split needs strictly increasing times")
    n = len(times)
    validation_cut = times[min(int(n * fractions[0]), n - 1)]
    test_cut = times[min(int(n * (fractions[0] + fractions[1])), n - 1)]
    positions = np.arange(n)
    train = positions[times <= validation_cut - purge]
    validation = positions[(times >= validation_cut) & (times <= test_cut - purge)]
    test = positions[times >= test_cut]
    counts = {"train": len(train), "validation": len(validation), "test": len(test)}
    if min(counts.values()) < min_rows:
        raise TrainerError(
            ErrorCode.TOO_FEW_ROWS,
            f"after purge gaps of {purge} the split has {counts} usable rows from {n}; each part needs "
            f">= {min_rows}: use a longer span",
        )
    return WalkForwardSplit(
        train=train,
        validation=validation,
        test=test,
        train_span=Span(times[train[0]], times[train[-1]]),
        validation_span=Span(times[validation[0]], times[validation[-1]]),
        test_span=Span(times[test[0]], times[test[-1]]),
        purge=purge,
    )


def iso(ts: pd.Timestamp) -> str:
    return str(pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"))


def early_stopping_split(
    time: pd.Series, train: np.ndarray, purge: pd.Timedelta, fraction: float = 0.15, min_rows: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Cut the training rows into `fit` rows and the last `fraction` as `stop` rows, purged like the splits.

    Candidates that stop early (boosting rounds, epochs) judge themselves on the stop rows, so the
    validation split is never used for fitting. Returns positions into the same frame as `train`.
    """
    times = pd.DatetimeIndex(time)[train]
    n = len(train)
    stop_cut = times[min(int(n * (1.0 - fraction)), n - 1)]
    fit = train[times <= stop_cut - purge]
    stop = train[times >= stop_cut]
    if min(len(fit), len(stop)) < min_rows:
        raise TrainerError(
            ErrorCode.TOO_FEW_ROWS,
            f"the training split's {n} rows leave {len(fit)} to fit and {len(stop)} to stop early on after a purge "
            f"of {purge}; each needs >= {min_rows}: use a longer span",
        )
    return fit, stop
