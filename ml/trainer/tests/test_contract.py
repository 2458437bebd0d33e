"""The contract the trainer writes against the shared JSON Schema and golden sample in packages/core."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from crypto_trainer.contract import CONTRACT_FIELDS, find_schema_path, validate_contract
from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.train import TrainConfig, fit_and_evaluate
from support.synthetic import ONE_MINUTE, ar_frame

GOLDEN = Path(__file__).resolve().parents[3] / "packages/core/golden/model-contract.json"


def _schema() -> Path:
    path = find_schema_path(Path(__file__).resolve())
    assert path is not None, "packages/core/json-schema/model-contract.schema.json must be published"
    return path


@pytest.fixture(scope="module")
def contract() -> dict[str, Any]:
    config = TrainConfig(
        pair="BTC/USDT",
        timeframe=ONE_MINUTE,
        start=pd.Timestamp("2024-01-01", tz="UTC"),
        end=pd.Timestamp("2025-01-01", tz="UTC"),
        volatility_feature="volatility_30",
        candidates=("ridge", "lightgbm"),
    )
    return fit_and_evaluate(ar_frame(rows=6000), config, now=datetime(2025, 1, 1, tzinfo=UTC)).contract


def test_written_contract_validates_against_the_schema(contract: dict[str, Any]) -> None:
    assert validate_contract(contract, _schema()) == _schema()
    json.dumps(contract, allow_nan=False)  # no NaN or infinity may reach the predictor


def test_golden_contract_validates_and_has_the_same_shape(contract: dict[str, Any]) -> None:
    golden = json.loads(GOLDEN.read_text())
    validate_contract(golden, _schema())
    assert tuple(golden) == CONTRACT_FIELDS, "field order follows the shared golden sample"
    for key in ("onnx", "intervals", "splits"):
        assert set(contract[key]) == set(golden[key]), key
    assert set(contract["metrics"]["test"]["1"]) == set(golden["metrics"]["test"]["1"])


def test_schema_violations_are_refused(contract: dict[str, Any]) -> None:
    bad = copy.deepcopy(contract)
    bad["intervals"]["scale"]["1"] = -1.0
    with pytest.raises(TrainerError) as caught:
        validate_contract(bad, _schema())
    assert caught.value.code == ErrorCode.CONTRACT_INVALID and "intervals/scale/1" in caught.value.message
    extra = {**contract, "surprise": 1}
    with pytest.raises(TrainerError, match="extra"):
        validate_contract(extra, _schema())
