from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from crypto_trainer.champion import HeadToHead, decide, incompatibility
from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.registry import ChampionArtifacts
from crypto_trainer.train import FittedModel, TrainConfig, _compare_with_champion, fit_and_evaluate
from support.synthetic import ONE_MINUTE, ar_frame

CONTRACT = {
    "pair": "BTC/USDT",
    "timeframe": "1m",
    "featureSchemaVersion": 1,
    "target": "log_return",
    "features": ["a", "volatility_30"],
    "horizons": [1, 5, 15, 60],
    "onnx": {"inputType": "float64"},
}
KW = {"pair": "BTC/USDT", "timeframe": "1m", "feature_schema_version": 1, "horizons": [1, 5]}


def test_must_beat_naive_at_every_horizon() -> None:
    d = decide({1: 0.99, 5: 1.001}, None, "no current champion")
    assert not d.promote and "[5]" in d.reason
    assert d.tag_value.startswith("not_promoted: ")


def test_first_model_wins_by_beating_naive() -> None:
    d = decide({1: 0.99, 5: 0.995}, None, "no current champion")
    assert d.promote and "no current champion" in d.reason


def test_must_beat_the_champion_head_to_head_at_every_horizon() -> None:
    h2h = HeadToHead("3", 1000, champion_mae={1: 10.0, 5: 20.0}, challenger_mae={1: 9.0, 5: 20.0})
    d = decide({1: 0.99, 5: 0.99}, h2h, "")
    assert not d.promote and "champion v3" in d.reason and "[5]" in d.reason, "a tie keeps the champion"
    h2h = HeadToHead("3", 1000, champion_mae={1: 10.0, 5: 20.0}, challenger_mae={1: 9.0, 5: 19.9})
    assert decide({1: 0.99, 5: 0.99}, h2h, "").promote


def test_compatibility() -> None:
    assert incompatibility(CONTRACT, available_features=["a", "volatility_30", "b"], **KW) is None  # type: ignore[arg-type]
    assert "features ['a']" in str(incompatibility(CONTRACT, available_features=["volatility_30"], **KW))  # type: ignore[arg-type]
    other_schema = {**KW, "feature_schema_version": 2}
    assert "schema" in str(incompatibility(CONTRACT, available_features=["a", "volatility_30"], **other_schema))  # type: ignore[arg-type]
    more_horizons = {**KW, "horizons": [1, 240]}
    assert "[240]" in str(incompatibility(CONTRACT, available_features=["a", "volatility_30"], **more_horizons))  # type: ignore[arg-type]


class _FakeRegistry:
    """Stands in for MLflow: returns a fixed champion (or raises) from `champion()`."""

    def __init__(self, champion: object) -> None:
        self._champion = champion

    def champion(self, model_name: str) -> object:
        if isinstance(self._champion, Exception):
            raise self._champion
        return self._champion


def _fitted() -> FittedModel:
    config = TrainConfig(
        pair="SYN/USDT",
        timeframe=ONE_MINUTE,
        start=pd.Timestamp("2024-01-01", tz="UTC"),
        end=pd.Timestamp("2025-01-01", tz="UTC"),
        horizons=(1, 5),
        volatility_feature="volatility_30",
        candidates=("ridge",),
    )
    return fit_and_evaluate(ar_frame(rows=4000), config, now=datetime(2025, 1, 1, tzinfo=UTC))


def test_champion_comparison_paths() -> None:
    fitted = _fitted()
    same = ChampionArtifacts("4", fitted.contract, fitted.onnx.to_bytes())
    _, h2h, _ = _compare_with_champion(_FakeRegistry(same), fitted)  # type: ignore[arg-type]
    assert h2h is not None and h2h.champion_version == "4"
    assert h2h.champion_mae == pytest.approx(h2h.challenger_mae)

    other = ChampionArtifacts("4", {**fitted.contract, "features": ["rsi_14"]}, b"")
    _, h2h, why = _compare_with_champion(_FakeRegistry(other), fitted)  # type: ignore[arg-type]
    assert h2h is None and "not comparable" in why and "rsi_14" in why

    broken = ChampionArtifacts("4", fitted.contract, b"not an onnx model")
    _, h2h, why = _compare_with_champion(_FakeRegistry(broken), fitted)  # type: ignore[arg-type]
    assert h2h is None and "could not be scored" in why

    gone = TrainerError(ErrorCode.MLFLOW, "artifact not found")
    assert "could not be loaded" in _compare_with_champion(_FakeRegistry(gone), fitted)[2]  # type: ignore[arg-type]
    down = TrainerError(ErrorCode.MLFLOW_UNREACHABLE, "down")
    with pytest.raises(TrainerError):
        _compare_with_champion(_FakeRegistry(down), fitted)  # type: ignore[arg-type]
