from __future__ import annotations

import numpy as np
import onnx
import pytest

from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.models import fit_ridge, predict
from crypto_trainer.onnx_export import export_pipeline, run_onnx, session_for, verify_onnx


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
