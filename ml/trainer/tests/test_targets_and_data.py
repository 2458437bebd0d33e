from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from crypto_trainer.data import frame_from_rows, frame_sha256, redact_url, select_features
from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.targets import log_return_targets, one_period_log_returns
from crypto_trainer.timeframe import Timeframe, model_name_for, parse_pair

M1 = Timeframe.parse("1m")


def test_targets_are_looked_up_by_time_not_by_row() -> None:
    # Minute 3 is missing: the row at minute 2 has no 1-step target, minute 1's 2-step target is minute 3 -> NaN.
    time = pd.Series(pd.to_datetime(["2024-01-01 00:01", "2024-01-01 00:02", "2024-01-01 00:04"], utc=True))
    close = pd.Series([100.0, 110.0, 121.0])
    y = log_return_targets(time, close, [1, 2], M1)
    assert y["target_h1"].iloc[0] == pytest.approx(np.log(1.1))
    assert np.isnan(y["target_h1"].iloc[1]), "no candle at t+1: the target must be missing, not the next row"
    assert np.isnan(y["target_h2"].iloc[0])
    assert y["target_h2"].iloc[1] == pytest.approx(np.log(1.1))
    r = one_period_log_returns(time, close, M1)
    assert np.isnan(r[0]) and r[1] == pytest.approx(np.log(1.1)) and np.isnan(r[2])


def test_jsonb_rows_explode_to_sorted_numeric_columns_with_nulls_kept() -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        (t + pd.Timedelta(minutes=2), 2.0, {"b": 1, "a": None, "label": "x", "flag": True}, 1),
        (t + pd.Timedelta(minutes=1), 1.0, {"b": 2.5, "a": 0.1, "label": "y", "flag": False}, 1),
        (t + pd.Timedelta(minutes=3), 3.0, {"b": 3.0}, 1),
    ]
    ff = frame_from_rows("BTC/USDT", M1, rows)
    assert ff.feature_names == ("a", "b"), "only numeric keys, sorted; text and booleans are not features"
    assert list(ff.frame["close"]) == [1.0, 2.0, 3.0], "rows must come back in time order"
    assert np.isnan(ff.frame["a"].iloc[1]) and np.isnan(ff.frame["a"].iloc[2]), "nulls stay NaN, never filled"
    assert ff.frame["time"].dt.tz is not None


def test_mixed_schema_versions_are_refused() -> None:
    t = datetime(2024, 1, 1, tzinfo=UTC)
    with pytest.raises(TrainerError) as caught:
        frame_from_rows("BTC/USDT", M1, [(t, 1.0, {"a": 1}, 1), (t + pd.Timedelta(minutes=1), 1.0, {"a": 1}, 2)])
    assert caught.value.code == ErrorCode.FEATURE_SCHEMA


def test_feature_selection() -> None:
    assert select_features(["b", "a", "volatility_30"], None, "volatility_30") == ("a", "b", "volatility_30")
    assert select_features(["b", "a", "volatility_30"], ["b", "a"], "volatility_30") == ("b", "a")
    with pytest.raises(TrainerError, match="volatility feature"):
        select_features(["a"], None, "volatility_30")
    with pytest.raises(TrainerError, match="not in the feature store"):
        select_features(["a", "volatility_30"], ["zzz"], "volatility_30")


def test_frame_hash_is_stable_and_sensitive() -> None:
    frame = pd.DataFrame({"time": pd.date_range("2024", periods=3, freq="1min", tz="UTC"), "x": [1.0, np.nan, 2.0]})
    h1 = frame_sha256(frame, ["time", "x"])
    assert h1 == frame_sha256(frame.copy(), ["time", "x"])
    changed = frame.copy()
    changed.loc[2, "x"] = 2.0000001
    assert h1 != frame_sha256(changed, ["time", "x"])
    assert len(h1) == 64


def test_names_and_parsing() -> None:
    assert model_name_for("BTC/USDT", M1) == "price-BTC-USDT-1m"
    assert Timeframe.parse("1h").minutes == 60
    with pytest.raises(TrainerError):
        Timeframe.parse("1x")
    with pytest.raises(TrainerError):
        parse_pair("btc-usdt")
    assert redact_url("postgres://crypto:secret@h:1/db") == "postgres://crypto:***@h:1/db"
