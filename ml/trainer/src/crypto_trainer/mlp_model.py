"""scikit-learn MLP candidate: StandardScaler + MLPRegressor over all horizons, exported with skl2onnx.

MLPRegressor's own early stopping holds out a *random* part of the rows; here epochs are run with
`partial_fit` and stopped on the time-ordered stop rows instead, keeping the weights of the best
epoch. Targets are divided by their per-horizon training standard deviation so every horizon weighs
the same in the squared loss; the factors are folded back into the output layer afterwards, so the
fitted estimator (and its ONNX graph) outputs plain log returns.

Export: skl2onnx 1.20's MLPRegressor converter reshapes every output to [N, 1] (multi-output models
come out as [N * H, 1]), so the graph is written here from the fitted weights: (x - mean) / scale,
then MatMul + Add (+ Relu) per layer, all in double.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from onnx.onnx_pb import ModelProto
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from .errors import ErrorCode, TrainerError
from .models import MODEL_KIND_MLP, CandidateSettings, FitData, SklearnCandidate, threads_for


@dataclass
class MlpCandidate(SklearnCandidate):
    def to_onnx(self, n_features: int, input_type: str) -> ModelProto:
        if input_type != "float64":
            raise TrainerError(ErrorCode.CONFIG, f"the MLP candidate exports float64 inputs only, not {input_type}")
        return mlp_onnx(self.pipeline, n_features)


def mlp_onnx(pipeline: Pipeline, n_features: int) -> ModelProto:
    scaler: StandardScaler = pipeline.named_steps["scaler"]
    mlp: MLPRegressor = pipeline.named_steps["mlp"]
    if mlp.activation != "relu" or mlp.out_activation_ != "identity":
        raise TrainerError(
            ErrorCode.ONNX_MISMATCH, f"MLP export handles relu/identity, not {mlp.activation}/{mlp.out_activation_}"
        )
    inits = [
        numpy_helper.from_array(np.asarray(scaler.mean_, dtype=np.float64), "mean"),
        numpy_helper.from_array(np.asarray(scaler.scale_, dtype=np.float64), "scale"),
    ]
    nodes = [
        helper.make_node("Sub", ["features", "mean"], ["centred"]),
        helper.make_node("Div", ["centred", "scale"], ["h0"]),
    ]
    last = len(mlp.coefs_) - 1
    for i, (w, b) in enumerate(zip(mlp.coefs_, mlp.intercepts_, strict=True)):
        inits += [
            numpy_helper.from_array(np.asarray(w, np.float64), f"w{i}"),
            numpy_helper.from_array(np.asarray(b, np.float64), f"b{i}"),
        ]
        nodes.append(helper.make_node("MatMul", [f"h{i}", f"w{i}"], [f"m{i}"]))
        out = "log_returns" if i == last else f"a{i}"
        nodes.append(helper.make_node("Add", [f"m{i}", f"b{i}"], [out]))
        if i != last:
            nodes.append(helper.make_node("Relu", [out], [f"h{i + 1}"]))
    n_outputs = int(mlp.coefs_[-1].shape[1])
    graph = helper.make_graph(
        nodes,
        "mlp_log_returns",
        [helper.make_tensor_value_info("features", TensorProto.DOUBLE, [None, n_features])],
        [helper.make_tensor_value_info("log_returns", TensorProto.DOUBLE, [None, n_outputs])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def minibatch_size(rows: int, largest: int) -> int:
    """About 100 steps per epoch on short spans (a month), `largest` rows per step on long ones."""
    return int(min(largest, max(64, rows // 100), rows))


def target_scale(y: np.ndarray) -> np.ndarray:
    scale = np.asarray(np.std(y, axis=0), dtype=np.float64)
    return np.where(scale > 0, scale, 1.0)


def fit_mlp(data: FitData, settings: CandidateSettings) -> MlpCandidate:
    scaler = StandardScaler().fit(data.x_fit)
    x_fit, x_stop = scaler.transform(data.x_fit), scaler.transform(data.x_stop)
    scale = target_scale(data.y_fit)
    y_fit = data.y_fit / scale
    mlp = MLPRegressor(
        hidden_layer_sizes=settings.mlp_hidden,
        activation="relu",
        alpha=1e-4,
        batch_size=minibatch_size(len(x_fit), settings.mlp_batch_size),
        learning_rate_init=1e-3,
        random_state=settings.seed,
        shuffle=True,  # minibatch order within the fit rows only; no row crosses a split
    )
    best_mae, best_epoch, best = np.inf, 0, copy.deepcopy(mlp)
    epochs = 0
    with warnings.catch_warnings(), threadpool_limits(limits=threads_for(len(x_fit), settings)):
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(1, settings.mlp_max_epochs + 1):
            mlp.partial_fit(x_fit, y_fit)
            epochs = epoch
            mae = float(np.mean(np.abs(mlp.predict(x_stop).reshape(len(x_stop), -1) * scale - data.y_stop)))
            if mae < best_mae:
                best_mae, best_epoch, best = mae, epoch, copy.deepcopy(mlp)
            elif epoch - best_epoch >= settings.mlp_patience:
                break
    # Fold the target scale into the output layer: predict() then returns log returns directly.
    best.coefs_[-1] = best.coefs_[-1] * scale
    best.intercepts_[-1] = best.intercepts_[-1] * scale
    pipeline = Pipeline([("scaler", scaler), ("mlp", best)])
    return MlpCandidate(
        MODEL_KIND_MLP,
        pipeline,
        {
            "hidden": ",".join(map(str, settings.mlp_hidden)),
            "epochs_run": epochs,
            "best_epoch": best_epoch,
            "batch_size": settings.mlp_batch_size,
            "loss": "squared_error on targets / train std",
        },
    )
