"""Modelling rules on synthetic data with known structure."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.metrics import price_mae
from crypto_trainer.models import (
    CANDIDATE_KINDS,
    CandidateSettings,
    FitData,
    check_candidates,
    fit_candidate,
    fit_ridge,
    predict,
)
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
        **{"volatility_feature": "volatility_30", **kw},  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def ar() -> object:
    return ar_frame()


@pytest.fixture(scope="module")
def fitted_ar(ar):  # type: ignore[no-untyped-def]
    return fit_and_evaluate(ar, _config(), now=NOW)


def test_real_ar_signal_beats_naive(fitted_ar) -> None:  # type: ignore[no-untyped-def]
    ratios = {h: m.maeRatioVsNaive for h, m in fitted_ar.test_metrics.items()}
    assert ratios[1] < 0.98, f"an AR(1) phi=0.3 signal must beat naive clearly at h=1: {ratios}"
    assert all(r < 1.0 for r in ratios.values()), f"and at every horizon: {ratios}"
    assert fitted_ar.test_metrics[1].directionalAccuracy > 0.55
    assert set(fitted_ar.candidates) == set(CANDIDATE_KINDS), "every candidate is fitted by default"
    for kind, candidate in fitted_ar.candidates.items():
        h1 = candidate.test_metrics[1].maeRatioVsNaive
        assert h1 < 0.985, f"{kind} must learn the AR(1) signal at h=1 (test MAE ratio {h1:.4f})"


def test_the_candidate_with_the_best_validation_mae_is_registered(fitted_ar) -> None:  # type: ignore[no-untyped-def]
    best = min(fitted_ar.candidates.values(), key=lambda c: c.validation_score)
    assert fitted_ar.model_kind == best.kind and fitted_ar.contract["modelKind"] == best.kind
    assert fitted_ar.test_metrics == best.test_metrics, "the contract's metrics are the selected candidate's"
    assert fitted_ar.onnx.to_bytes() == best.onnx.to_bytes()
    for kind, candidate in fitted_ar.candidates.items():
        assert candidate.onnx_max_abs_diff <= 1e-5, f"{kind}'s ONNX export equals the native model on test"


def test_candidates_stop_early_on_training_rows_only(fitted_ar) -> None:  # type: ignore[no-untyped-def]
    split = fitted_ar.split
    assert fitted_ar.fit_rows + fitted_ar.stop_rows < len(split.train), "a purge gap separates fit and stop rows"
    assert fitted_ar.fit_rows > 0.8 * len(split.train) * 0.85 and fitted_ar.stop_rows > 0


def test_unknown_candidates_are_refused_with_the_known_list() -> None:
    with pytest.raises(TrainerError) as caught:
        check_candidates(["ridge", "xgboost", "ridge"])
    assert caught.value.code == ErrorCode.CONFIG
    assert (
        "xgboost" in caught.value.message
        and "lightgbm" in caught.value.message
        and "duplicates" in caught.value.message
    )


@pytest.mark.parametrize("kind", CANDIDATE_KINDS)
def test_shuffled_target_destroys_every_candidates_skill(ar, kind: str) -> None:  # type: ignore[no-untyped-def]
    """Targets permuted on the training rows: no candidate may then beat naive on later rows."""
    frame = ar.frame
    y = log_return_targets(frame["time"], frame["close"], [1, 2], ONE_MINUTE).to_numpy()
    keep = ~np.isnan(y).any(axis=1) & frame[["log_return_1", "volatility_30"]].notna().all(axis=1).to_numpy()
    rows = frame.loc[keep].reset_index(drop=True)
    x, y = rows[["log_return_1", "noise", "volatility_30"]].to_numpy(), y[keep]
    split = walk_forward_split(rows["time"], pd.Timedelta(minutes=2))
    cut = int(len(split.train) * 0.85)
    fit, stop = split.train[:cut], split.train[cut + 2 :]
    close = rows["close"].to_numpy()[split.test]
    rng = np.random.default_rng(3)
    honest = fit_candidate(kind, FitData(x[fit], y[fit], x[stop], y[stop]), CandidateSettings()).model
    shuffled = fit_candidate(
        kind, FitData(x[fit], rng.permutation(y[fit]), x[stop], rng.permutation(y[stop])), CandidateSettings()
    ).model

    def ratio(model) -> float:  # type: ignore[no-untyped-def]
        p = model.predict(x[split.test])[:, 0]
        return price_mae(close, y[split.test, 0], p) / price_mae(close, y[split.test, 0], np.zeros(len(p)))

    assert ratio(shuffled) > 0.995, f"{kind} on shuffled targets must not beat naive: {ratio(shuffled):.4f}"
    assert ratio(honest) < ratio(shuffled) - 0.01, f"{kind}: honest {ratio(honest):.4f}, shuffled {ratio(shuffled):.4f}"


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


def test_scalers_and_models_are_fitted_on_train_rows_only(ar, fitted_ar) -> None:  # type: ignore[no-untyped-def]
    fitted = fitted_ar
    after_train = ar.frame["time"] > fitted.split.train_span.end
    tampered = ar.frame.copy()
    rng = np.random.default_rng(11)
    for name in ("log_return_1", "noise"):  # scramble every feature value after the training span
        tampered.loc[after_train, name] = rng.normal(50.0, 20.0, after_train.sum())
    tampered_fitted = fit_and_evaluate(
        type(ar)(ar.pair, ar.timeframe, ar.schema_version, tampered, ar.feature_names), _config(), now=NOW
    )
    a = fitted.candidates["ridge"].model.pipeline.named_steps
    b = tampered_fitted.candidates["ridge"].model.pipeline.named_steps  # type: ignore[attr-defined]
    assert np.array_equal(a["scaler"].mean_, b["scaler"].mean_), "scaler mean must not see validation/test rows"
    assert np.array_equal(a["scaler"].scale_, b["scaler"].scale_), "scaler scale must not see validation/test rows"
    assert np.array_equal(a["ridge"].coef_, b["ridge"].coef_), "model must not see validation/test rows"
    assert fitted.contract["reference"] == tampered_fitted.contract["reference"], "drift reference is train-only"
    # Every candidate (scalers, early stopping, weights) is the same function when only later rows differ.
    probe = np.random.default_rng(5).normal(0.0, 1e-3, size=(200, 3)) + np.array([0.0, 0.0, 1e-3])
    for kind, candidate in fitted.candidates.items():
        same = tampered_fitted.candidates[kind].model.predict(probe)
        assert np.array_equal(candidate.model.predict(probe), same), f"{kind} must not see validation/test rows"


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


def test_honest_features_pass_the_leakage_guard(fitted_ar) -> None:  # type: ignore[no-untyped-def]
    strongest = max(abs(f.spearman) for f in fitted_ar.leakage)
    assert 0.1 < strongest < 0.5, f"the AR signal is real but modest: {strongest}"


def test_conformal_coverage_on_heteroscedastic_data_is_nominal() -> None:
    ff = ar_frame(rows=30_000, seed=21)
    for coverage in (0.8, 0.9):
        fitted = fit_and_evaluate(ff, _config(horizons=(1, 5), coverage=coverage, candidates=("ridge",)), now=NOW)
        for h, m in fitted.test_metrics.items():
            assert abs(m.coverage - coverage) <= 0.03, f"h={h} coverage {m.coverage:.3f} vs nominal {coverage}"
        # Volatility-normalised widths must track the regime: wider when volatility is high.
        assert fitted.scales[5] > fitted.scales[1]


def test_contract_from_synthetic_run_is_complete(fitted_ar) -> None:  # type: ignore[no-untyped-def]
    c = fitted_ar.contract
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
