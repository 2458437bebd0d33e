from __future__ import annotations

import math

import numpy as np
import pytest

from crypto_trainer.intervals import conformal_scale
from crypto_trainer.metrics import directional_accuracy, horizon_metrics
from crypto_trainer.reference import decile_reference


def test_conformal_scale_uses_the_finite_sample_rank() -> None:
    scores = np.arange(1, 11, dtype=float)  # |y - p| / v = 1..10
    # ceil((10 + 1) * 0.8) = 9 -> the 9th smallest score
    assert conformal_scale(scores, np.zeros(10), np.ones(10), 0.8) == 9.0
    with pytest.raises(ValueError, match="too few"):
        conformal_scale(scores, np.zeros(10), np.ones(10), 0.95)


@pytest.mark.parametrize("coverage", [0.8, 0.9, 0.95])
def test_vol_normalised_conformal_covers_heteroscedastic_noise(coverage: float) -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    vol = np.exp(rng.normal(0, 0.7, 2 * n)) * 1e-3  # volatility swings over an order of magnitude
    y = 0.3 * vol + vol * rng.standard_t(4, 2 * n)  # heavy tails, scale proportional to vol
    p = 0.3 * vol
    scale = conformal_scale(y[:n], p[:n], vol[:n], coverage)
    covered = np.abs(y[n:] - p[n:]) <= scale * vol[n:]
    assert abs(covered.mean() - coverage) <= 0.03
    # The coverage must also hold within the high and low volatility halves: that is what normalising buys.
    high = vol[n:] > np.median(vol[n:])
    assert abs(covered[high].mean() - coverage) <= 0.03
    assert abs(covered[~high].mean() - coverage) <= 0.03


def test_price_metrics() -> None:
    close = np.array([100.0, 200.0])
    y = np.log(np.array([110.0, 180.0]) / close)
    p = np.log(np.array([105.0, 190.0]) / close)
    m = horizon_metrics(close, y, p, np.array([0.01, 0.01]), scale=1.0)
    assert m.mae == pytest.approx((5 + 10) / 2)
    assert m.maeNaive == pytest.approx((10 + 20) / 2)
    assert m.maeRatioVsNaive == pytest.approx(0.5)
    assert m.rmse == pytest.approx(math.sqrt((25 + 100) / 2))
    assert m.mape == pytest.approx((5 / 110 + 10 / 180) / 2), "mape is a fraction, like the golden contract"
    assert m.directionalAccuracy == 1.0
    assert m.meanWidthPct == pytest.approx((math.exp(0.01) - math.exp(-0.01)) * 100)


def test_directional_accuracy_ignores_flat_rows_and_zero_predictions_count_wrong() -> None:
    assert directional_accuracy(np.array([0.1, -0.1, 0.0]), np.array([0.2, 0.0, 0.3])) == 0.5


def test_decile_reference() -> None:
    ref = decile_reference(np.arange(1000, dtype=float))
    assert len(ref["edges"]) == 11
    assert ref["fractions"] == pytest.approx([0.1] * 10, abs=0.002)
    flat = decile_reference(np.ones(50))
    assert flat == {"edges": [1.0, 1.0], "fractions": [1.0]}
