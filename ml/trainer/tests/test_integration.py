"""End to end against a real Postgres feature store and a real MLflow server.

Servers come from DATABASE_URL / MLFLOW_TRACKING_URI when set, else throwaway ones (see conftest):
this test never skips. Real Binance candles become feature rows for a unique pair name, the CLI
trains and registers, and everything is read back over MLflow's REST API as the predictor would.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import string
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
import requests

from crypto_trainer.cli import main
from crypto_trainer.contract import validate_contract
from crypto_trainer.data import load_feature_frame
from crypto_trainer.metrics import price_mae
from crypto_trainer.onnx_export import run_onnx
from crypto_trainer.targets import log_return_targets
from crypto_trainer.timeframe import Timeframe
from support.candles import binance_candles, delete_feature_rows, feature_rows_from_candles, insert_feature_rows

FROM, TO = "2024-03-01", "2024-03-05"  # four days of real 1-minute candles
HORIZONS = [1, 5, 15, 60]
FEATURES = [
    "close_to_sma_30",
    "log_return_1",
    "log_return_5",
    "range_ratio",
    "taker_buy_ratio",
    "volatility_30",
    "volume_ratio_30",
]


def _unique_pair() -> str:
    return "Z" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(7)) + "/USDT"


@pytest.fixture(scope="module")
def pair(database_url: str, mlflow_uri: str) -> Iterator[str]:
    pair = _unique_pair()
    rows = feature_rows_from_candles(binance_candles(FROM, TO))
    insert_feature_rows(database_url, rows, pair)
    yield pair
    delete_feature_rows(database_url, pair)
    if os.environ.get("MLFLOW_TRACKING_URI"):  # a shared server: leave no test model behind
        requests.delete(
            f"{mlflow_uri}/api/2.0/mlflow/registered-models/delete",
            json={"name": f"price-{pair.replace('/', '-')}-1m"},
            timeout=10,
        )


def _api(mlflow_uri: str, path: str, **params: str) -> dict[str, Any]:
    response = requests.get(f"{mlflow_uri}/api/2.0/mlflow/{path}", params=params, timeout=10)
    assert response.status_code == 200, f"{path}: HTTP {response.status_code} {response.text[:300]}"
    result: dict[str, Any] = response.json()
    return result


def _artifact(mlflow_uri: str, artifact_uri: str, path: str) -> bytes:
    """Download through the tracking server's artifact proxy (what the predictor does)."""
    assert artifact_uri.startswith("mlflow-artifacts:/"), f"proxied artifact serving expected: {artifact_uri}"
    location = artifact_uri.removeprefix("mlflow-artifacts:").lstrip("/")
    response = requests.get(f"{mlflow_uri}/api/2.0/mlflow-artifacts/artifacts/{location}/{path}", timeout=30)
    assert response.status_code == 200, f"artifact {path}: HTTP {response.status_code}"
    return response.content


def _train_args(pair: str) -> list[str]:
    # The test feature set (tests/support/candles.py) has the 30-candle volatility only.
    return [
        "train",
        "--pair",
        pair,
        "--timeframe",
        "1m",
        "--from",
        FROM,
        "--to",
        TO,
        "--volatility-feature",
        "volatility_30",
    ]


def _env(database_url: str, mlflow_uri: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "MLFLOW_TRACKING_URI": mlflow_uri}


def test_no_rows_in_span_names_pair_timeframe_and_span(
    database_url: str, mlflow_uri: str, pair: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    out = io.StringIO()
    code = main(["train", "--pair", pair, "--timeframe", "1m", "--from", "2020-01-01", "--to", "2020-01-02"], out)
    error = json.loads(out.getvalue().splitlines()[-1])["error"]
    assert code == 1 and error["code"] == "NO_DATA"
    assert pair in error["message"] and "1m" in error["message"] and "2020-01-01T00:00:00Z" in error["message"]


def test_train_register_and_read_back(database_url: str, mlflow_uri: str, pair: str) -> None:
    # The real entry point, as the stack runs it: progress on stderr, one JSON line last on stdout.
    proc = subprocess.run(
        [sys.executable, "-m", "crypto_trainer", *_train_args(pair)],
        env=_env(database_url, mlflow_uri),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    stdout_lines = proc.stdout.strip().splitlines()
    assert len(stdout_lines) == 1, f"stdout must hold only the JSON summary: {stdout_lines[:3]}"
    summary = json.loads(stdout_lines[-1])
    model_name = f"price-{pair.replace('/', '-')}-1m"
    assert summary["ok"] is True and summary["modelName"] == model_name and summary["version"] == "1"
    assert "[trainer" in proc.stderr, "progress lines go to stderr"
    assert set(summary["test"]) == {"1", "5", "15", "60"}
    assert summary["champion"]["reason"]

    alias = _api(mlflow_uri, "registered-models/alias", name=model_name, alias="challenger")["model_version"]
    assert alias["version"] == "1", "challenger must point at the new version"
    version_tags = {t["key"]: t["value"] for t in alias.get("tags", [])}
    assert version_tags["champion_decision"].startswith(summary["champion"]["decision"])
    champion = requests.get(
        f"{mlflow_uri}/api/2.0/mlflow/registered-models/alias",
        params={"name": model_name, "alias": "champion"},
        timeout=10,
    )
    assert (champion.status_code == 200) == summary["champion"]["promoted"], "champion alias follows the decision"

    run = _api(mlflow_uri, "runs/get", run_id=summary["runId"])["run"]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    metrics = {m["key"]: m["value"] for m in run["data"]["metrics"]}
    assert tags["features"] == ",".join(FEATURES)
    assert tags["champion_decision"] == version_tags["champion_decision"]
    for h in HORIZONS:
        for name in ("mae", "rmse", "mape", "mae_ratio_vs_naive", "directional_accuracy", "coverage", "mean_width_pct"):
            assert f"test_{name}_h{h}" in metrics
    # Every candidate is fitted, exported, checked against its ONNX graph, and its metrics are logged.
    assert set(summary["candidates"]) == {"ridge", "lightgbm", "mlp", "torch_mlp"}
    selected = [kind for kind, c in summary["candidates"].items() if c["selected"]]
    assert selected == [summary["modelKind"]] and tags["model_kind"] == summary["modelKind"]
    for kind, candidate in summary["candidates"].items():
        assert candidate["onnxMaxAbsDiff"] <= 1e-5, kind
        for h in HORIZONS:
            assert metrics[f"cand_{kind}_test_mae_ratio_vs_naive_h{h}"] == pytest.approx(
                candidate["testMaeRatioVsNaive"][str(h)]
            )

    artifact_uri = run["info"]["artifact_uri"]
    contract = json.loads(_artifact(mlflow_uri, artifact_uri, "model/contract.json"))
    onnx_bytes = _artifact(mlflow_uri, artifact_uri, "model/model.onnx")
    validate_contract(contract)
    assert contract["modelName"] == model_name and contract["pair"] == pair
    assert contract["modelKind"] == summary["modelKind"]
    assert contract["features"] == FEATURES and contract["horizons"] == HORIZONS
    assert contract["dataHash"] == tags["data_hash"]
    assert contract["splits"]["purgeMinutes"] == 60
    assert alias["source"] == f"{artifact_uri}/model"

    # The downloaded ONNX, fed the test split straight from the feature store, reproduces the contract's metrics.
    timeframe = Timeframe.parse("1m")
    ff = load_feature_frame(database_url, pair, timeframe, pd.Timestamp(FROM, tz="UTC"), pd.Timestamp(TO, tz="UTC"))
    frame = pd.concat([ff.frame, log_return_targets(ff.frame["time"], ff.frame["close"], HORIZONS, timeframe)], axis=1)
    test_span = contract["splits"]["test"]
    rows = frame[
        (frame["time"] >= pd.Timestamp(test_span["from"])) & (frame["time"] <= pd.Timestamp(test_span["to"]))
    ].dropna()
    assert len(rows) == summary["rows"]["test"]
    p = run_onnx(onnx_bytes, rows[contract["features"]].to_numpy(), contract["onnx"]["inputType"])
    assert p.shape == (len(rows), len(HORIZONS))
    for j, h in enumerate(HORIZONS):
        y = rows[f"target_h{h}"].to_numpy()
        mae = price_mae(rows["close"].to_numpy(), y, p[:, j])
        assert mae == pytest.approx(contract["metrics"]["test"][str(h)]["mae"], rel=1e-9)
        assert abs(contract["metrics"]["test"][str(h)]["coverage"] - 0.9) < 0.1, "coverage near nominal on real data"
        assert np.isfinite(contract["intervals"]["scale"][str(h)])


def test_retrain_is_compared_head_to_head_with_the_champion(
    database_url: str, mlflow_uri: str, pair: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With v1 as champion, a retrain on the same data ties it and must not take its place."""
    model_name = f"price-{pair.replace('/', '-')}-1m"
    response = requests.post(
        f"{mlflow_uri}/api/2.0/mlflow/registered-models/alias",
        json={"name": model_name, "alias": "champion", "version": "1"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    out = io.StringIO()
    assert main(_train_args(pair), out) == 0
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert summary["version"] == "2"
    h2h = summary["headToHead"]
    assert h2h is not None and h2h["championVersion"] == "1", "the champion's ONNX must be scored on the new test split"
    assert h2h["championMae"] == pytest.approx(h2h["challengerMae"], rel=1e-9), "same data, same model"
    assert summary["champion"]["promoted"] is False
    champion = _api(mlflow_uri, "registered-models/alias", name=model_name, alias="champion")["model_version"]
    challenger = _api(mlflow_uri, "registered-models/alias", name=model_name, alias="challenger")["model_version"]
    assert (champion["version"], challenger["version"]) == ("1", "2")
