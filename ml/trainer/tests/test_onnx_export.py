from __future__ import annotations

import numpy as np
import onnx
import pytest

from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.models import (
    MODEL_KIND_LIGHTGBM,
    MODEL_KIND_MLP,
    MODEL_KIND_TORCH_MLP,
    CandidateSettings,
    FitData,
    fit_candidate,
    fit_ridge,
    predict,
)
from crypto_trainer.onnx_export import export_pipeline, finish_onnx, run_onnx, session_for, verify_onnx


@pytest.fixture(scope="module")
def fitted():  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    # Mixed scales, like real features: returns (1e-3), a price level (4e4), volumes (1e3).
    x = rng.normal(size=(2000, 4)) * np.array([1e-3, 50.0, 1e3, 1.0]) + np.array([0.0, 4e4, 5e3, 0.0])
    y = x[:, :1] * 0.1 + rng.normal(size=(2000, 4)) * 1e-3
    return fit_ridge(x, y), x


@pytest.mark.parametrize("input_type", ["float64", "float32"])
def test_onnx_equals_native(fitted, input_type: str) -> None:  # type: ignore[no-untyped-def]
    pipeline, x = fitted
    model = export_pipeline(pipeline, 4, 4, input_type)
    native = predict(pipeline, x)
    out = run_onnx(model.to_bytes(), x, input_type)
    assert out.shape == (2000, 4)
    assert np.max(np.abs(out - native)) <= 1e-5
    assert verify_onnx(model, x, native, [1, 5, 15, 60]) <= 1e-5


def test_onnx_interface_matches_the_contract(fitted) -> None:  # type: ignore[no-untyped-def]
    pipeline, _ = fitted
    model = export_pipeline(pipeline, 4, 4)
    session = session_for(model.to_bytes())
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.type, inp.shape[1]) == ("features", "tensor(double)", 4)
    assert (out.name, out.shape[1]) == ("log_returns", 4)
    assert model.proto.ir_version <= 8, "keep the IR version onnxruntime-node can load"
    assert {o.domain: o.version for o in model.proto.opset_import}[""] == 17
    onnx.checker.check_model(model.proto)


def test_mismatch_fails_loudly(fitted) -> None:  # type: ignore[no-untyped-def]
    pipeline, x = fitted
    model = export_pipeline(pipeline, 4, 4)
    native = predict(pipeline, x)
    native[17, 2] += 1e-4
    with pytest.raises(TrainerError) as caught:
        verify_onnx(model, x, native, [1, 5, 15, 60])
    assert caught.value.code == ErrorCode.ONNX_MISMATCH
    assert "row 17" in caught.value.message and "horizon 15" in caught.value.message


def _fit_data(rows: int = 3000, seed: int = 1) -> tuple[FitData, np.ndarray]:
    """Mixed-scale features with a nonlinear signal on three horizons, and probe rows to compare on."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)) * np.array([1e-3, 50.0, 1e3, 1.0]) + np.array([0.0, 4e4, 5e3, 0.0])
    signal = np.where(x[:, :1] > 5e-4, 1e-3, -2e-4) + 0.1 * x[:, 3:4] * 1e-3
    y = signal * np.array([1.0, 2.0, 3.0]) + rng.standard_t(3, size=(rows, 3)) * 1e-3
    cut = int(rows * 0.8)
    probe = rng.normal(size=(2000, 4)) * np.array([1e-3, 50.0, 1e3, 1.0]) + np.array([0.0, 4e4, 5e3, 0.0])
    return FitData(x[:cut], y[:cut], x[cut:], y[cut:]), probe


@pytest.mark.parametrize("kind", [MODEL_KIND_LIGHTGBM, MODEL_KIND_MLP, MODEL_KIND_TORCH_MLP])
def test_every_candidate_exports_an_equal_onnx_graph(kind: str) -> None:
    data, probe = _fit_data()
    model = fit_candidate(kind, data, CandidateSettings(mlp_max_epochs=5, torch_max_epochs=5)).model
    exported = finish_onnx(model.to_onnx(4, "float64"), "float64")
    native = model.predict(probe)
    assert native.shape == (2000, 3)
    assert np.ptp(native[:, 0]) > 0, f"{kind} must have learned something to compare"
    assert verify_onnx(exported, probe, native, [1, 5, 15]) <= 1e-9, f"{kind}: double all the way"
    session = session_for(exported.to_bytes())
    (inp,), (out,) = session.get_inputs(), session.get_outputs()
    assert (inp.name, inp.type, inp.shape[1], out.name, out.shape[1]) == (
        "features",
        "tensor(double)",
        4,
        "log_returns",
        3,
    )
    assert exported.proto.ir_version <= 8 and {o.domain: o.version for o in exported.proto.opset_import}[""] == 17


def test_lightgbm_export_takes_the_same_branch_at_every_split_threshold() -> None:
    """Values at, just below and just above each threshold: float32 thresholds would flip some of these."""
    data, _ = _fit_data()
    model = fit_candidate(MODEL_KIND_LIGHTGBM, data, CandidateSettings()).model
    booster = model.boosters[0]  # type: ignore[attr-defined]
    thresholds: list[tuple[int, float]] = []

    def walk(node: dict[str, object]) -> None:
        if "split_feature" in node:
            thresholds.append((int(str(node["split_feature"])), float(str(node["threshold"]))))
            walk(node["left_child"])  # type: ignore[arg-type]
            walk(node["right_child"])  # type: ignore[arg-type]

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    assert thresholds, "the booster must have split"
    base = data.x_fit.mean(axis=0)
    rows = []
    for feature, threshold in thresholds:
        for value in (threshold, np.nextafter(threshold, -np.inf), np.nextafter(threshold, np.inf)):
            row = base.copy()
            row[feature] = value
            rows.append(row)
    probe = np.asarray(rows)
    exported = finish_onnx(model.to_onnx(4, "float64"), "float64")
    assert verify_onnx(exported, probe, model.predict(probe), [1, 5, 15]) <= 1e-9


def test_tree_and_network_candidates_refuse_float32_inputs() -> None:
    data, _ = _fit_data(rows=600)
    model = fit_candidate(MODEL_KIND_LIGHTGBM, data, CandidateSettings()).model
    with pytest.raises(TrainerError) as caught:
        model.to_onnx(4, "float32")
    assert caught.value.code == ErrorCode.CONFIG
