"""Candidate models: what every candidate is, how one is fitted, and the ridge candidate itself.

Every candidate predicts all horizons at once (input [N, F] features, output [N, H] log returns),
is fitted on training rows only (its scaler too), and exports itself to an ONNX graph with the
contract's input and output names. Rows with a null feature are dropped before this point, never
filled.

Candidates that stop early (LightGBM, the MLPs) stop on the last part of the *training* split (the
`stop` rows, after a purge gap), so the validation split stays for choosing between candidates and
calibrating the intervals, and the test split for the verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
from onnx.onnx_pb import ModelProto
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .errors import ErrorCode, TrainerError

MODEL_KIND_RIDGE = "ridge"
MODEL_KIND_LIGHTGBM = "lightgbm"
MODEL_KIND_MLP = "mlp"
MODEL_KIND_TORCH_MLP = "torch_mlp"
CANDIDATE_KINDS = (MODEL_KIND_RIDGE, MODEL_KIND_LIGHTGBM, MODEL_KIND_MLP, MODEL_KIND_TORCH_MLP)
DEFAULT_CANDIDATES = CANDIDATE_KINDS


@dataclass(frozen=True)
class CandidateSettings:
    """Fixed (not tuned) settings: the validation split is kept for choosing and calibrating."""

    seed: int = 0
    threads: int = 2
    ridge_alpha: float = 1.0
    # LightGBM: one booster per horizon, L1 objective (the gate scores MAE, whose optimum is the median).
    lgb_max_rounds: int = 300
    lgb_learning_rate: float = 0.05
    lgb_num_leaves: int = 15
    lgb_patience: int = 30
    # MLPs: epochs over the fit rows, stopped when the stop rows' MAE has not improved for `patience`.
    mlp_hidden: tuple[int, ...] = (32, 16)
    mlp_max_epochs: int = 20
    mlp_patience: int = 3
    mlp_batch_size: int = 1024
    torch_hidden: tuple[int, ...] = (64, 32)
    torch_max_epochs: int = 20
    torch_patience: int = 3
    torch_batch_size: int = 2048
    torch_learning_rate: float = 1e-3


@dataclass(frozen=True)
class FitData:
    """Training rows only: `fit` rows to learn from and the purged `stop` rows after them."""

    x_fit: np.ndarray
    y_fit: np.ndarray
    x_stop: np.ndarray
    y_stop: np.ndarray

    @property
    def x_train(self) -> np.ndarray:
        return np.concatenate([self.x_fit, self.x_stop])

    @property
    def y_train(self) -> np.ndarray:
        return np.concatenate([self.y_fit, self.y_stop])


class FittedCandidate(Protocol):
    kind: str

    def predict(self, x: np.ndarray) -> np.ndarray:
        """[N, F] float64 features -> [N, H] float64 log returns."""
        ...

    def to_onnx(self, n_features: int, input_type: str) -> ModelProto:
        """The same function as an ONNX graph: input `features` [N, F], output `log_returns` [N, H]."""
        ...

    def params(self) -> dict[str, str | int | float]:
        """What was fitted and how (logged to MLflow with the candidate's prefix)."""
        ...


@dataclass
class CandidateFit:
    model: FittedCandidate
    fit_seconds: float
    notes: dict[str, str | int | float] = field(default_factory=dict)


def threads_for(rows: int, settings: CandidateSettings) -> int:
    """One thread below ~100k rows: there, OpenMP's barriers cost more than a second core brings,
    and far more on a shared, loaded machine (measured: 5x slower fits of a month's rows)."""
    return 1 if rows < 100_000 else max(1, settings.threads)


def check_training_rows(x: np.ndarray, y: np.ndarray) -> None:
    if np.isnan(x).any() or np.isnan(y).any():
        raise ValueError("training rows must not hold NaN: drop them, do not fill them")
    if y.ndim != 2:
        raise ValueError("targets must be 2-D (rows x horizons)")


def ridge_pipeline(alpha: float = 1.0) -> Pipeline:
    """StandardScaler then a multi-output Ridge: one output column per horizon."""
    return Pipeline([("scaler", StandardScaler()), ("ridge", Ridge(alpha=alpha))])


def fit_ridge(x_train: np.ndarray, y_train: np.ndarray, alpha: float = 1.0) -> Pipeline:
    """Fit on training rows only; the scaler sees nothing of validation or test."""
    check_training_rows(x_train, y_train)
    return ridge_pipeline(alpha).fit(x_train, y_train)


def predict(pipeline: Pipeline, x: np.ndarray) -> np.ndarray:
    out = np.asarray(pipeline.predict(x), dtype=np.float64)
    return out.reshape(len(x), -1)


@dataclass
class SklearnCandidate:
    """A fitted scikit-learn pipeline (exported with skl2onnx)."""

    kind: str
    pipeline: Pipeline
    fitted_params: dict[str, str | int | float]

    def predict(self, x: np.ndarray) -> np.ndarray:
        return predict(self.pipeline, x)

    def to_onnx(self, n_features: int, input_type: str) -> ModelProto:
        from .onnx_export import sklearn_to_onnx

        n_outputs = int(self.predict(np.zeros((1, n_features))).shape[1])
        return sklearn_to_onnx(self.pipeline, n_features, n_outputs, input_type)

    def params(self) -> dict[str, str | int | float]:
        return dict(self.fitted_params)


def fit_ridge_candidate(data: FitData, settings: CandidateSettings) -> SklearnCandidate:
    # No early stopping: ridge learns from every training row, the stop rows included.
    pipeline = fit_ridge(data.x_train, data.y_train, settings.ridge_alpha)
    return SklearnCandidate(MODEL_KIND_RIDGE, pipeline, {"alpha": settings.ridge_alpha})


def _fitters() -> Mapping[str, Callable[[FitData, CandidateSettings], FittedCandidate]]:
    # Imported here so that a trainer without PyTorch still runs the other candidates.
    from .lightgbm_model import fit_lightgbm
    from .mlp_model import fit_mlp

    def fit_torch(data: FitData, settings: CandidateSettings) -> FittedCandidate:
        from .torch_model import fit_torch_mlp

        return fit_torch_mlp(data, settings)

    return {
        MODEL_KIND_RIDGE: fit_ridge_candidate,
        MODEL_KIND_LIGHTGBM: fit_lightgbm,
        MODEL_KIND_MLP: fit_mlp,
        MODEL_KIND_TORCH_MLP: fit_torch,
    }


def check_candidates(kinds: Sequence[str]) -> tuple[str, ...]:
    """The requested candidate kinds, validated: known, distinct, non-empty, and importable."""
    unknown = [k for k in kinds if k not in CANDIDATE_KINDS]
    problems = []
    if not kinds:
        problems.append("no candidate model requested")
    if unknown:
        problems.append(f"unknown candidate(s) {unknown} (known: {', '.join(CANDIDATE_KINDS)})")
    if len(set(kinds)) != len(kinds):
        problems.append(f"candidate list has duplicates: {list(kinds)}")
    if MODEL_KIND_TORCH_MLP in kinds:
        try:
            import torch  # noqa: F401
        except ImportError as exc:
            problems.append(
                f"candidate {MODEL_KIND_TORCH_MLP} needs PyTorch, which is not importable ({exc}): install it with "
                "`bash scripts/setup.d/60-torch.sh` (or pip install -e 'ml/trainer[torch]'), or leave it out of "
                "--candidates"
            )
    if problems:
        raise TrainerError(ErrorCode.CONFIG, "; ".join(problems))
    return tuple(kinds)


def fit_candidate(kind: str, data: FitData, settings: CandidateSettings) -> CandidateFit:
    check_training_rows(data.x_fit, data.y_fit)
    check_training_rows(data.x_stop, data.y_stop)
    started = time.perf_counter()
    model = _fitters()[kind](data, settings)
    return CandidateFit(model, time.perf_counter() - started)
