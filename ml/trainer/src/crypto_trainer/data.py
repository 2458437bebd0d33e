"""Load a training frame from the feature store (`feature_rows` in Postgres).

A row's `time` is its feature time: the close time of the candle it came from, i.e. the instant its
values became known. The jsonb `features` object is exploded into one float column per key; a null
(an indicator still warming up) becomes NaN and is never filled here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import numpy as np
import pandas as pd
import psycopg

from .errors import ErrorCode, TrainerError
from .splits import iso
from .timeframe import Timeframe

_QUERY = """
SELECT time, close, features, schema_version
FROM feature_rows
WHERE pair = %(pair)s AND timeframe = %(timeframe)s AND time >= %(start)s AND time < %(end)s
ORDER BY time
"""


@dataclass(frozen=True)
class FeatureFrame:
    """Feature rows of one pair/timeframe, ordered by time.

    `frame` has columns `time` (UTC), `close` and one float64 column per numeric feature key (NaN where
    the stored value was null or absent). `feature_names` are those keys, sorted.
    """

    pair: str
    timeframe: Timeframe
    schema_version: int
    frame: pd.DataFrame
    feature_names: tuple[str, ...]


def redact_url(url: str) -> str:
    """The URL without its password, for error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit(parts._replace(netloc=netloc))


def load_feature_frame(
    database_url: str, pair: str, timeframe: Timeframe, start: pd.Timestamp, end: pd.Timestamp
) -> FeatureFrame:
    """Rows with start <= time < end. Raises NO_DATA when the span holds none."""
    try:
        with psycopg.connect(database_url, connect_timeout=10) as conn, conn.cursor() as cur:
            cur.execute(_QUERY, {"pair": pair, "timeframe": timeframe.text, "start": start, "end": end})
            rows = cur.fetchall()
    except psycopg.OperationalError as exc:
        raise TrainerError(
            ErrorCode.DB_UNREACHABLE,
            f"cannot reach the feature store at {redact_url(database_url)}: {exc}".strip(),
            cause=exc,
        ) from exc
    except psycopg.errors.UndefinedTable as exc:
        raise TrainerError(
            ErrorCode.CONFIG,
            f"the feature store at {redact_url(database_url)} has no feature_rows table (run its migrations)",
            cause=exc,
        ) from exc
    if not rows:
        raise TrainerError(
            ErrorCode.NO_DATA,
            f"no feature rows for pair {pair} timeframe {timeframe} in [{iso(start)}, {iso(end)})",
        )
    return frame_from_rows(pair, timeframe, rows)


def frame_from_rows(
    pair: str, timeframe: Timeframe, rows: Sequence[tuple[object, object, object, object]]
) -> FeatureFrame:
    """Explode (time, close, features dict, schema_version) rows into a FeatureFrame."""
    versions = sorted({int(str(r[3])) for r in rows})
    if len(versions) != 1:
        raise TrainerError(
            ErrorCode.FEATURE_SCHEMA,
            f"feature rows for {pair} {timeframe} mix feature schema versions {versions}; "
            "train on a span of one version",
        )
    features = pd.DataFrame.from_records([r[2] if isinstance(r[2], dict) else {} for r in rows])
    reserved = sorted({"time", "close"} & {str(c) for c in features.columns})
    if reserved:
        raise TrainerError(ErrorCode.FEATURE_SCHEMA, f"feature keys {reserved} clash with the row's own columns")
    numeric: dict[str, pd.Series] = {}
    for name in sorted(str(c) for c in features.columns):
        column = features[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            # Keys holding text or booleans are not model inputs; an all-null key has no numeric dtype.
            continue
        numeric[name] = column.astype(np.float64)
    frame = pd.DataFrame(
        {
            "time": pd.to_datetime([r[0] for r in rows], utc=True),
            "close": np.asarray([r[1] for r in rows], dtype=np.float64),
            **{name: col.to_numpy() for name, col in numeric.items()},
        }
    )
    frame = frame.sort_values("time", kind="stable").reset_index(drop=True)
    if frame["time"].duplicated().any():
        raise TrainerError(ErrorCode.FEATURE_SCHEMA, f"duplicate feature times for {pair} {timeframe}")
    return FeatureFrame(pair, timeframe, versions[0], frame, tuple(numeric))


def select_features(
    available: Sequence[str], requested: Sequence[str] | None, volatility_feature: str
) -> tuple[str, ...]:
    """All numeric keys sorted, or the requested list in the given order; the volatility feature must exist."""
    if volatility_feature not in available:
        raise TrainerError(
            ErrorCode.FEATURE_SCHEMA,
            f"volatility feature {volatility_feature!r} is not among the numeric features "
            f"({', '.join(available) or 'none'}); intervals need it",
        )
    if requested is None:
        return tuple(sorted(available))
    missing = [name for name in requested if name not in available]
    if missing:
        raise TrainerError(ErrorCode.FEATURE_SCHEMA, f"requested features not in the feature store: {missing}")
    if len(set(requested)) != len(requested):
        raise TrainerError(ErrorCode.CONFIG, f"feature list has duplicates: {list(requested)}")
    return tuple(requested)


def frame_sha256(frame: pd.DataFrame, columns: Sequence[str]) -> str:
    """SHA-256 of the given columns (names, then values as little-endian float64, time as int64 ns).

    Stable across pandas versions because it hashes raw arrays, not pandas' own object hashing.
    """
    digest = hashlib.sha256(json.dumps(list(columns)).encode())
    for name in columns:
        series = frame[name]
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            nanoseconds = pd.DatetimeIndex(series).tz_convert("UTC").as_unit("ns").asi8
            digest.update(np.ascontiguousarray(nanoseconds, dtype="<i8").tobytes())
        else:
            digest.update(np.ascontiguousarray(series.to_numpy(dtype="<f8")).tobytes())
    return digest.hexdigest()
