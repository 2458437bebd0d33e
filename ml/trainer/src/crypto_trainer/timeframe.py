"""Candle lengths (`1m`, `5m`, `1h`, `1d`) parsed once into a duration."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from .errors import ErrorCode, TrainerError

_TIMEFRAME = re.compile(r"^([1-9][0-9]*)([mhd])$")
_UNIT_MINUTES = {"m": 1, "h": 60, "d": 1440}
_PAIR = re.compile(r"^[A-Z0-9]{2,12}/[A-Z0-9]{2,12}$")


@dataclass(frozen=True)
class Timeframe:
    text: str
    minutes: int

    @staticmethod
    def parse(text: str) -> Timeframe:
        match = _TIMEFRAME.match(text)
        if match is None:
            raise TrainerError(ErrorCode.CONFIG, f"timeframe {text!r} is not like 1m, 5m, 15m, 1h or 1d")
        return Timeframe(text, int(match.group(1)) * _UNIT_MINUTES[match.group(2)])

    @property
    def step(self) -> pd.Timedelta:
        return pd.Timedelta(minutes=self.minutes)

    def __str__(self) -> str:
        return self.text


def parse_pair(text: str) -> str:
    if _PAIR.match(text) is None:
        raise TrainerError(ErrorCode.CONFIG, f"pair {text!r} is not BASE/QUOTE in upper case, e.g. BTC/USDT")
    return text


def model_name_for(pair: str, timeframe: Timeframe) -> str:
    """Registered model name: `price-BTC-USDT-1m`."""
    return f"price-{pair.replace('/', '-')}-{timeframe.text}"
