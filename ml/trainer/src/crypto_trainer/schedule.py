"""When the serve command trains, and on which span. Pure: the clock and the newest feature time are
passed in, so tests call these without a database or a real clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pandas as pd

from .errors import ErrorCode, TrainerError
from .serve_config import SpanEnd
from .splits import iso
from .timeframe import Timeframe


@dataclass(frozen=True)
class TrainingSpan:
    start: pd.Timestamp  # inclusive
    end: pd.Timestamp  # exclusive

    def __str__(self) -> str:
        return f"[{iso(self.start)}, {iso(self.end)})"


def resolve_span(
    *,
    pair: str,
    timeframe: Timeframe,
    lookback: timedelta,
    span_end: SpanEnd,
    now: pd.Timestamp,
    newest_feature_time: pd.Timestamp | None,
) -> TrainingSpan:
    """The last `lookback` before the span end: the newest feature row (included) or the wall clock.

    `now` is floored to the timeframe so two runs started within one candle train on the same span.
    """
    if span_end == "latest":
        if newest_feature_time is None:
            raise TrainerError(ErrorCode.NO_DATA, f"no feature rows for pair {pair} timeframe {timeframe} at all")
        end = newest_feature_time + timeframe.step  # exclusive, so the newest row is in
    else:
        end = now.floor(f"{timeframe.minutes}min")
    return TrainingSpan(end - pd.Timedelta(lookback), end)


class Schedule:
    """Scheduled training every `interval` of monotonic time.

    The first run is due one interval after start (or at once with `run_on_start`). A run that takes
    longer than the interval does not pile up missed runs: the next one is the first slot after now.
    """

    def __init__(self, interval: timedelta | None, *, start: float, run_on_start: bool = False) -> None:
        self.interval = None if interval is None else interval.total_seconds()
        self.next_due: float | None = None
        if self.interval is not None:
            self.next_due = start if run_on_start else start + self.interval

    def due(self, now: float) -> bool:
        return self.next_due is not None and now >= self.next_due

    def fired(self, now: float) -> None:
        """Mark the due slot as taken; the next slot is the first one after `now`."""
        if self.interval is None or self.next_due is None:
            return
        missed = int((now - self.next_due) // self.interval) + 1 if now >= self.next_due else 0
        self.next_due += max(missed, 1) * self.interval

    def seconds_until_due(self, now: float) -> float | None:
        return None if self.next_due is None else max(0.0, self.next_due - now)
