"""ONNX export of the candidates and the proof that an export computes what the native model does.

float64 in and out: features reach the predictor as JavaScript numbers (doubles), and double
precision keeps price-level features exact. Every candidate's graph is opset 17 (plus ai.onnx.ml 3
for tree ensembles), IR version 8, which onnxruntime-node has run for years: skl2onnx for the
scikit-learn pipelines (Sub, Div, MatMul, Add, Relu), the PyTorch exporter for the torch MLP (Gemm,
Relu), and a TreeEnsembleRegressor written from the booster for LightGBM (lightgbm_model.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx.onnx_pb import ModelProto
from skl2onnx import to_onnx
from skl2onnx.common.data_types import DoubleTensorType, FloatTensorType
from sklearn.pipeline import Pipeline

from .errors import ErrorCode, TrainerError

INPUT_NAME = "features"
OUTPUT_NAME = "log_returns"
MAX_ABS_DIFF = 1e-5
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
# onnxruntime-node in the predictor loads IR 8 (ONNX 1.10+) models; keep every candidate there.
MAX_IR_VERSION = 8

_TENSOR_TYPES = {"float32": (FloatTensorType, np.float32), "float64": (DoubleTensorType, np.float64)}


@dataclass(frozen=True)
class OnnxModel:
    proto: ModelProto
    input_type: str

    def to_bytes(self) -> bytes:
        return bytes(self.proto.SerializeToString())

    def save(self, path: Path) -> None:
        path.write_bytes(self.to_bytes())


def sklearn_to_onnx(pipeline: Pipeline, n_features: int, n_outputs: int, input_type: str = "float64") -> ModelProto:
    tensor_type, _ = _TENSOR_TYPES[input_type]
    proto: ModelProto = to_onnx(
        pipeline,
        initial_types=[(INPUT_NAME, tensor_type([None, n_features]))],
        final_types=[(OUTPUT_NAME, tensor_type([None, n_outputs]))],
        target_opset=TARGET_OPSET,
    )
    return proto


def finish_onnx(proto: ModelProto, input_type: str) -> OnnxModel:
    """Stamp and check a candidate's graph: the contract's input and output names, a loadable IR version."""
    names = ([i.name for i in proto.graph.input], [o.name for o in proto.graph.output])
    if names != ([INPUT_NAME], [OUTPUT_NAME]):
        raise TrainerError(
            ErrorCode.ONNX_MISMATCH, f"ONNX graph has inputs/outputs {names}, expected {INPUT_NAME}/{OUTPUT_NAME}"
        )
    if proto.ir_version > MAX_IR_VERSION:
        raise TrainerError(ErrorCode.ONNX_MISMATCH, f"ONNX IR version {proto.ir_version} > {MAX_IR_VERSION}")
    proto.doc_string = "log returns per horizon; see contract.json beside this file"
    onnx.checker.check_model(proto)
    return OnnxModel(proto, input_type)


def export_pipeline(pipeline: Pipeline, n_features: int, n_outputs: int, input_type: str = "float64") -> OnnxModel:
    return finish_onnx(sklearn_to_onnx(pipeline, n_features, n_outputs, input_type), input_type)


def session_for(model_bytes: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model_bytes, sess_options=options, providers=["CPUExecutionProvider"])


def run_onnx(model_bytes: bytes, x: np.ndarray, input_type: str) -> np.ndarray:
    _, dtype = _TENSOR_TYPES[input_type]
    session = session_for(model_bytes)
    outputs = session.run([OUTPUT_NAME], {INPUT_NAME: x.astype(dtype)})
    return np.asarray(outputs[0], dtype=np.float64)


def verify_onnx(model: OnnxModel, x: np.ndarray, native: np.ndarray, horizons: Sequence[int]) -> float:
    """Max |ONNX - native| over the given rows; raises ONNX_MISMATCH above MAX_ABS_DIFF."""
    out = run_onnx(model.to_bytes(), x, model.input_type)
    if out.shape != native.shape:
        raise TrainerError(ErrorCode.ONNX_MISMATCH, f"ONNX output shape {out.shape} differs from native {native.shape}")
    diff = float(np.max(np.abs(out - native))) if out.size else 0.0
    if not diff <= MAX_ABS_DIFF:  # also catches NaN
        row, column = (int(i) for i in np.unravel_index(int(np.nanargmax(np.abs(out - native))), out.shape))
        raise TrainerError(
            ErrorCode.ONNX_MISMATCH,
            f"ONNX and native predictions differ by {diff:.3g} (> {MAX_ABS_DIFF}) at row {row}, "
            f"horizon {horizons[column]}: refusing to publish this model",
        )
    return diff
