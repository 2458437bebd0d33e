"""Model pipelines. Rows with a null feature are dropped before this point, never filled."""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

MODEL_KIND_RIDGE = "ridge"


def ridge_pipeline(alpha: float = 1.0) -> Pipeline:
    """StandardScaler then a multi-output Ridge: one output column per horizon."""
    return Pipeline([("scaler", StandardScaler()), ("ridge", Ridge(alpha=alpha))])


def fit_ridge(x_train: np.ndarray, y_train: np.ndarray, alpha: float = 1.0) -> Pipeline:
    """Fit on training rows only; the scaler sees nothing of validation or test."""
    if np.isnan(x_train).any() or np.isnan(y_train).any():
        raise ValueError("training rows must not hold NaN: drop them, do not fill them")
    if y_train.ndim != 2:
        raise ValueError("targets must be 2-D (rows x horizons)")
    return ridge_pipeline(alpha).fit(x_train, y_train)


def predict(pipeline: Pipeline, x: np.ndarray) -> np.ndarray:
    out = np.asarray(pipeline.predict(x), dtype=np.float64)
    return out.reshape(len(x), -1)
