from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.splits import walk_forward_split


def _times(n: int, gaps: bool = False) -> pd.Series:
    times = pd.date_range("2024-01-01", periods=n, freq="1min", tz="UTC")
    if gaps:  # drop random minutes: the split must work on time, not on row counts
        keep = np.random.default_rng(1).random(n) > 0.2
        times = times[keep]
    return pd.Series(times)


@pytest.mark.parametrize("gaps", [False, True])
@pytest.mark.parametrize("horizon_minutes", [1, 60])
def test_split_is_time_ordered_disjoint_and_purged(gaps: bool, horizon_minutes: int) -> None:
    time = _times(5000, gaps)
    purge = pd.Timedelta(minutes=horizon_minutes)
    split = walk_forward_split(time, purge)
    parts = {"train": split.train, "validation": split.validation, "test": split.test}
    t = {name: time.iloc[rows].reset_index(drop=True) for name, rows in parts.items()}
    for name, rows in parts.items():
        assert np.all(np.diff(rows) > 0), f"{name} rows must stay in time order"
    assert not set(split.train) & set(split.validation), "train and validation must not overlap"
    assert not set(split.validation) & set(split.test), "validation and test must not overlap"
    assert t["train"].max() < t["validation"].min() < t["validation"].max() < t["test"].min()
    assert t["validation"].min() - t["train"].max() >= purge, "purge gap train->validation must be >= horizon"
    assert t["test"].min() - t["validation"].max() >= purge, "purge gap validation->test must be >= horizon"
    n = len(time)
    assert abs(len(split.test) / n - 0.15) < 0.01
    assert abs(len(split.train) / n - 0.70) < 0.03
    assert split.train_span.end == t["train"].max()
    assert split.test_span.start == t["test"].min()


def test_split_refuses_too_short_span() -> None:
    with pytest.raises(TrainerError) as caught:
        walk_forward_split(_times(200), pd.Timedelta(minutes=60))
    assert caught.value.code == ErrorCode.TOO_FEW_ROWS
    assert "longer span" in caught.value.message


def test_split_refuses_unsorted_times() -> None:
    with pytest.raises(TrainerError):
        walk_forward_split(_times(500).iloc[::-1].reset_index(drop=True), pd.Timedelta(minutes=1))
