"""Real Binance BTC/USDT 1-minute candles from shared/data, turned into feature rows FOR TESTS ONLY.

The production features come from the TypeScript technical-indicators service; this is a small,
honest stand-in (every value uses candles up to and including its own) so integration tests and the
demo run have realistic rows in `feature_rows`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg

FEATURE_SCHEMA_VERSION = 1
DDL_RELATIVE = Path("packages/feature-store/sql/001_feature_rows.sql")


def repo_root() -> Path:
    for folder in Path(__file__).resolve().parents:
        if (folder / DDL_RELATIVE).is_file():
            return folder
    raise FileNotFoundError(f"no enclosing repo with {DDL_RELATIVE}")


def shared_data_dir() -> Path:
    configured = os.environ.get("SHARED_DATA_DIR")
    candidates = [Path(configured)] if configured else []
    candidates += [repo_root().parent / "shared" / "data", Path("/work/shared/data")]
    for candidate in candidates:
        if (candidate / "candles").is_dir():
            return candidate
    raise FileNotFoundError(f"shared data not found in {candidates}")


def binance_candles(start: str, end: str) -> pd.DataFrame:
    """Candles with open time in [start, end), read from the year files that span it."""
    lo, hi = pd.Timestamp(start, tz="UTC"), pd.Timestamp(end, tz="UTC")
    files = {
        2023: "binance_spot_btcusdt_1m_2023.csv.gz",
        2024: "binance_spot_btcusdt_1m_2024.csv.gz",
        2025: "binance_spot_btcusdt_1m_2025-01_2025-11.csv.gz",
    }
    parts = []
    for year in range(lo.year, (hi - pd.Timedelta(milliseconds=1)).year + 1):
        frame = pd.read_csv(shared_data_dir() / "candles" / files[year])
        frame["open_time"] = pd.to_datetime(frame["open_time_ms"], unit="ms", utc=True)
        parts.append(frame[(frame["open_time"] >= lo) & (frame["open_time"] < hi)])
    return pd.concat(parts, ignore_index=True).sort_values("open_time").reset_index(drop=True)


def feature_rows_from_candles(candles: pd.DataFrame) -> pd.DataFrame:
    """time (= candle close time), close and a small causal feature set; NaN while warming up."""
    close = candles["close"].astype(float)
    log_close = np.log(close)
    r1 = log_close.diff()
    volume = candles["volume"].astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        taker_buy_ratio = (candles["taker_buy_base_volume"].astype(float) / volume).where(volume > 0)
        volume_ratio = (volume / volume.rolling(30).mean()).where(volume.rolling(30).mean() > 0)
    return pd.DataFrame(
        {
            "time": candles["open_time"] + pd.Timedelta(minutes=1),
            "close": close,
            "log_return_1": r1,
            "log_return_5": log_close.diff(5),
            "volatility_30": r1.rolling(30).std(),
            "range_ratio": (candles["high"].astype(float) - candles["low"].astype(float)) / close,
            "close_to_sma_30": close / close.rolling(30).mean() - 1.0,
            "volume_ratio_30": volume_ratio,
            "taker_buy_ratio": taker_buy_ratio,
        }
    )


def _jsonb_rows(rows: pd.DataFrame, pair: str, timeframe: str) -> Iterator[tuple[object, ...]]:
    names = [c for c in rows.columns if c not in ("time", "close")]
    values = rows[names].to_numpy(dtype=float)
    for i, (time, close) in enumerate(zip(rows["time"], rows["close"], strict=True)):
        features = {n: (None if np.isnan(v) else float(v)) for n, v in zip(names, values[i], strict=True)}
        yield (pair, timeframe, time.to_pydatetime(), float(close), json.dumps(features), FEATURE_SCHEMA_VERSION)


def apply_feature_store_ddl(database_url: str) -> None:
    ddl = (repo_root() / DDL_RELATIVE).read_text()
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(ddl.encode())


def insert_feature_rows(database_url: str, rows: pd.DataFrame, pair: str, timeframe: str = "1m") -> int:
    with psycopg.connect(database_url) as conn, conn.cursor() as cur:
        with cur.copy("COPY feature_rows (pair, timeframe, time, close, features, schema_version) FROM STDIN") as copy:
            for record in _jsonb_rows(rows, pair, timeframe):
                copy.write_row(record)
        conn.commit()
    return len(rows)


def delete_feature_rows(database_url: str, pair: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM feature_rows WHERE pair = %s", (pair,))
