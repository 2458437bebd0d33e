"""Modelling rules on synthetic data with known structure."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.metrics import price_mae
from crypto_trainer.models import fit_ridge, predict
from crypto_trainer.splits import walk_forward_split
from crypto_trainer.targets import log_return_targets
from crypto_trainer.train import TrainConfig, fit_and_evaluate
from support.synthetic import ONE_MINUTE, ar_frame, with_feature

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _config(horizons: tuple[int, ...] = (1, 2, 5), **kw: object) -> TrainConfig:
    return TrainConfig(
        pair="SYN/USDT",
        timeframe=ONE_MINUTE,
        start=pd.Timestamp("2024-01-01", tz="UTC"),
        end=pd.Timestamp("2025-01-01", tz="UTC"),
        horizons=horizons,
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def ar() -> object:
    return ar_frame()


def test_real_ar_signal_beats_naive(ar) -> None:  # type: ignore[no-untyped-def]
    fitted = fit_and_evaluate(ar, _config(), now=NOW)
    ratios = {h: m.maeRatioVsNaive for h, m in fitted.test_metrics.items()}
    assert ratios[1] < 0.98, f"an AR(1) phi=0.3 signal must beat naive clearly at h=1: {ratios}"
    assert all(r < 1.0 for r in ratios.values()), f"and at every horizon: {ratios}"
    assert fitted.test_metrics[1].directionalAccuracy > 0.55


def test_shuffled_target_has_no_skill(ar) -> None:  # type: ignore[no-untyped-def]
    """Same features, targets permuted on train: the model must fall back to ~naive on test."""
    frame = ar.frame
    y = log_return_targets(frame["time"], frame["close"], [1], ONE_MINUTE).to_numpy()
    keep = ~np.isnan(y[:, 0]) & frame[["log_return_1", "volatility_30"]].notna().all(axis=1).to_numpy()
    rows = frame.loc[keep].reset_index(drop=True)
    x, y = rows[["log_return_1", "noise", "volatility_30"]].to_numpy(), y[keep]
    split = walk_forward_split(rows["time"], pd.Timedelta(minutes=1))
    close = rows["close"].to_numpy()
    rng = np.random.default_rng(3)
    shuffled = fit_ridge(x[split.train], rng.permutation(y[split.train]))
    honest = fit_ridge(x[split.train], y[split.train])
    naive_mae = price_mae(close[split.test], y[split.test, 0], np.zeros(len(split.test)))
    ratio_shuffled = price_mae(close[split.test], y[split.test, 0], predict(shuffled, x[split.test])[:, 0]) / naive_mae
    ratio_honest = price_mae(close[split.test], y[split.test, 0], predict(honest, x[split.test])[:, 0]) / naive_mae
    assert ratio_shuffled == pytest.approx(1.0, abs=0.01), f"shuffled targets must give ratio ~1: {ratio_shuffled}"
    assert ratio_honest < ratio_shuffled - 0.02


def test_scaler_and_model_are_fitted_on_train_rows_only(ar) -> None:  # type: ignore[no-untyped-def]
    fitted = fit_and_evaluate(ar, _config(), now=NOW)
    after_train = ar.frame["time"] > fitted.split.train_span.end
    tampered = ar.frame.copy()
    rng = np.random.default_rng(11)
    for name in ("log_return_1", "noise"):  # scramble every feature value after the training span
        tampered.loc[after_train, name] = rng.normal(50.0, 20.0, after_train.sum())
    tampered_fitted = fit_and_evaluate(
        type(ar)(ar.pair, ar.timeframe, ar.schema_version, tampered, ar.feature_names), _config(), now=NOW
    )
    a, b = fitted.pipeline.named_steps, tampered_fitted.pipeline.named_steps
    assert np.array_equal(a["scaler"].mean_, b["scaler"].mean_), "scaler mean must not see validation/test rows"
    assert np.array_equal(a["scaler"].scale_, b["scaler"].scale_), "scaler scale must not see validation/test rows"
    assert np.array_equal(a["ridge"].coef_, b["ridge"].coef_), "model must not see validation/test rows"
    assert fitted.contract["reference"] == tampered_fitted.contract["reference"], "drift reference is train-only"


def test_feature_shifted_from_the_future_is_caught(ar) -> None:  # type: ignore[no-untyped-def]
    close = ar.frame["close"]
    future_5 = np.log(close.shift(-5) / close).to_numpy()  # the 5-minute return that has not happened yet
    with pytest.raises(TrainerError) as caught:
        fit_and_evaluate(with_feature(ar, "momentum_5", future_5), _config(), now=NOW)
    assert caught.value.code == ErrorCode.LEAKAGE
    assert "momentum_5" in caught.value.message and "h=5" in caught.value.message
    # Off by one candle only: the next return leaking into "the last return".
    next_return = ar.frame["log_return_1"].shift(-1).to_numpy()
    with pytest.raises(TrainerError, match="log_return_next"):
        fit_and_evaluate(with_feature(ar, "log_return_next", next_return), _config(), now=NOW)


def test_honest_features_pass_the_leakage_guard(ar) -> None:  # type: ignore[no-untyped-def]
    fitted = fit_and_evaluate(ar, _config(), now=NOW)
    strongest = max(abs(f.spearman) for f in fitted.leakage)
    assert 0.1 < strongest < 0.5, f"the AR signal is real but modest: {strongest}"


def test_conformal_coverage_on_heteroscedastic_data_is_nominal() -> None:
    ff = ar_frame(rows=30_000, seed=21)
    for coverage in (0.8, 0.9):
        fitted = fit_and_evaluate(ff, _config(horizons=(1, 5), coverage=coverage), now=NOW)
        for h, m in fitted.test_metrics.items():
            assert abs(m.coverage - coverage) <= 0.03, f"h={h} coverage {m.coverage:.3f} vs nominal {coverage}"
        # Volatility-normalised widths must track the regime: wider when volatility is high.
        assert fitted.scales[5] > fitted.scales[1]


def test_contract_from_synthetic_run_is_complete(ar) -> None:  # type: ignore[no-untyped-def]
    fitted = fit_and_evaluate(ar, _config(), now=NOW)
    c = fitted.contract
    assert c["features"] == ["log_return_1", "noise", "volatility_30"]
    assert c["horizons"] == [1, 2, 5]
    assert set(c["metrics"]["test"]) == {"1", "2", "5"}
    assert set(c["intervals"]["scale"]) == {"1", "2", "5"}
    assert c["splits"]["purgeMinutes"] == 5
    assert c["onnx"] == {"file": "model.onnx", "input": "features", "inputType": "float64", "output": "log_returns"}
    for name, ref in c["reference"].items():
        assert len(ref["fractions"]) == len(ref["edges"]) - 1, name
        assert sum(ref["fractions"]) == pytest.approx(1.0)
    assert c["createdAt"] == "2025-01-01T00:00:00Z"
