"""Reference Quix Streams application for the `ohlc` benchmark.

The same job as trade-to-ohlc's aggregator, written the way Quix Streams is meant to be used:
JSON trades keyed by pair in, an event-time tumbling 1-minute window with a 2-second grace period
per key, reduced to open, high, low, close (first and last by event time), volume, VWAP, trade
count and taker buy/sell volume, and the closed windows (`.final()`) out as JSON candles.

Configuration comes from the environment (the benchmark sets it):
  KAFKA_BROKERS, QUIX_INPUT_TOPIC, QUIX_OUTPUT_TOPIC, QUIX_GROUP, QUIX_STATE_DIR,
  QUIX_PROCESSING_GUARANTEE (exactly-once | at-least-once), QUIX_COMMIT_INTERVAL (s),
  QUIX_COMMIT_EVERY (messages).
It runs until SIGTERM.
"""

from __future__ import annotations

import os
from typing import Any

from quixstreams import Application

WINDOW_MS = 60_000
GRACE_MS = 2_000


def event_time(value: Any, headers: Any, timestamp: float, timestamp_type: Any) -> int:
    return int(value["time"])


def initializer(trade: dict[str, Any]) -> dict[str, Any]:
    qty = trade["qty"]
    buy = trade["side"] == "buy"
    return {
        "pair": trade["pair"],
        "open": trade["price"],
        "openAt": trade["time"],
        "high": trade["price"],
        "low": trade["price"],
        "close": trade["price"],
        "closeAt": trade["time"],
        "volume": qty,
        "notional": trade["price"] * qty,
        "trades": 1,
        "buyVolume": qty if buy else 0.0,
        "sellVolume": 0.0 if buy else qty,
    }


def reducer(window: dict[str, Any], trade: dict[str, Any]) -> dict[str, Any]:
    price = trade["price"]
    qty = trade["qty"]
    time = trade["time"]
    if time < window["openAt"]:
        window["open"] = price
        window["openAt"] = time
    if time >= window["closeAt"]:
        window["close"] = price
        window["closeAt"] = time
    # Comparisons rather than max()/min(): cheaper in CPython, so the reference is not slowed down.
    if price > window["high"]:  # noqa: PLR1730
        window["high"] = price
    if price < window["low"]:  # noqa: PLR1730
        window["low"] = price
    window["volume"] += qty
    window["notional"] += price * qty
    window["trades"] += 1
    if trade["side"] == "buy":
        window["buyVolume"] += qty
    else:
        window["sellVolume"] += qty
    return window


def to_candle(window: dict[str, Any]) -> dict[str, Any]:
    value = window["value"]
    vwap = min(value["high"], max(value["low"], value["notional"] / value["volume"]))
    return {
        "v": 1,
        "pair": value["pair"],
        "timeframe": "1m",
        "openTime": window["start"],
        "closeTime": window["end"],
        "open": value["open"],
        "high": value["high"],
        "low": value["low"],
        "close": value["close"],
        "volume": value["volume"],
        "vwap": vwap,
        "trades": value["trades"],
        "buyVolume": value["buyVolume"],
        "sellVolume": value["sellVolume"],
        "empty": False,
        "revision": 0,
    }


def main() -> None:
    guarantee = os.environ.get("QUIX_PROCESSING_GUARANTEE", "exactly-once")
    if guarantee not in ("exactly-once", "at-least-once"):
        raise SystemExit(
            f"QUIX_PROCESSING_GUARANTEE={guarantee}: exactly-once or at-least-once"
        )
    app = Application(
        broker_address=os.environ["KAFKA_BROKERS"],
        consumer_group=os.environ["QUIX_GROUP"],
        auto_offset_reset="earliest",
        processing_guarantee="exactly-once"
        if guarantee == "exactly-once"
        else "at-least-once",
        commit_interval=float(os.environ.get("QUIX_COMMIT_INTERVAL", "0.5")),
        commit_every=int(os.environ.get("QUIX_COMMIT_EVERY", "50000")),
        state_dir=os.environ["QUIX_STATE_DIR"],
        loglevel="WARNING",
    )
    trades = app.topic(
        os.environ["QUIX_INPUT_TOPIC"],
        key_deserializer="str",
        value_deserializer="json",
        timestamp_extractor=event_time,
    )
    candles = app.topic(
        os.environ["QUIX_OUTPUT_TOPIC"], key_serializer="str", value_serializer="json"
    )
    sdf = app.dataframe(trades)
    sdf = (
        sdf.tumbling_window(duration_ms=WINDOW_MS, grace_ms=GRACE_MS)
        .reduce(reducer, initializer)
        .final()
    )
    sdf = sdf.apply(to_candle)
    sdf.to_topic(candles)
    app.run()


if __name__ == "__main__":
    main()
