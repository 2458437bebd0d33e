"""LightGBM candidate: one gradient-boosted tree ensemble per horizon, exported as one ONNX node.

Objective L1: the gate scores mean absolute error, whose minimiser is the conditional median, and
minute returns are fat-tailed enough that fitting the mean (L2) loses to naive where L1 does not.
Trees need no scaler. Each booster stops early on the stop rows (the end of the training split).

Export: onnxmltools' LightGBM converter emits float32 thresholds, so a feature within float32
rounding of a split goes the other way than in LightGBM (measured: 1.6e-5 max difference, over the
1e-5 bound). The graph here is written from the booster's own dump with double thresholds and leaf
values (`*_as_tensor` attributes, ai.onnx.ml opset 3); every horizon is one target of a single
TreeEnsembleRegressor. That operator's output is float32 in every opset the predictor's onnxruntime
runs, so it is cast to double: sums of leaves ~1e-3 lose ~1e-10 there, far below the bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
from onnx import TensorProto, helper, numpy_helper
from onnx.onnx_pb import ModelProto

from .errors import ErrorCode, TrainerError
from .models import MODEL_KIND_LIGHTGBM, CandidateSettings, FitData, threads_for


@dataclass
class LightGbmCandidate:
    boosters: list[lgb.Booster]
    rounds: list[int]
    fitted_params: dict[str, str | int | float]
    kind: str = MODEL_KIND_LIGHTGBM

    def predict(self, x: np.ndarray) -> np.ndarray:
        columns = [
            np.asarray(b.predict(x, num_iteration=n), dtype=np.float64)
            for b, n in zip(self.boosters, self.rounds, strict=True)
        ]
        return np.column_stack(columns).reshape(len(x), len(self.boosters))

    def to_onnx(self, n_features: int, input_type: str) -> ModelProto:
        if input_type != "float64":
            raise TrainerError(
                ErrorCode.CONFIG,
                f"the LightGBM candidate exports float64 inputs only (split thresholds are doubles), not {input_type}",
            )
        return tree_ensemble_onnx(
            [b.dump_model(num_iteration=n) for b, n in zip(self.boosters, self.rounds, strict=True)], n_features
        )

    def params(self) -> dict[str, str | int | float]:
        return dict(self.fitted_params) | {f"rounds_h{j}": n for j, n in enumerate(self.rounds)}


def _lgb_params(settings: CandidateSettings, n_fit: int) -> dict[str, Any]:
    return {
        "objective": "l1",
        "learning_rate": settings.lgb_learning_rate,
        "num_leaves": settings.lgb_num_leaves,
        # Leaves must hold enough minutes to be more than noise; scales with the span.
        "min_data_in_leaf": max(20, n_fit // 500),
        "feature_fraction": 0.8,
        "bagging_fraction": 0.5,
        "bagging_freq": 1,
        "lambda_l2": 10.0,
        "max_bin": 63,
        "num_threads": threads_for(n_fit, settings),
        "seed": settings.seed,
        "deterministic": True,
        "force_row_wise": True,
        "verbosity": -1,
    }


def fit_lightgbm(data: FitData, settings: CandidateSettings) -> LightGbmCandidate:
    params = _lgb_params(settings, len(data.x_fit))
    boosters, rounds = [], []
    for j in range(data.y_fit.shape[1]):
        train_set = lgb.Dataset(data.x_fit, data.y_fit[:, j], free_raw_data=True)
        stop_set = lgb.Dataset(data.x_stop, data.y_stop[:, j], reference=train_set)
        booster = lgb.train(
            params,
            train_set,
            num_boost_round=settings.lgb_max_rounds,
            valid_sets=[stop_set],
            callbacks=[lgb.early_stopping(settings.lgb_patience, verbose=False)],
        )
        boosters.append(booster)
        rounds.append(max(1, int(booster.best_iteration or booster.current_iteration())))
    shown = {k: v for k, v in params.items() if k not in ("verbosity", "force_row_wise", "num_threads")}
    return LightGbmCandidate(
        boosters, rounds, {k: v if isinstance(v, int | float | str) else str(v) for k, v in shown.items()}
    )


_NODE_FIELDS = (
    "nodes_treeids",
    "nodes_nodeids",
    "nodes_featureids",
    "nodes_modes",
    "nodes_truenodeids",
    "nodes_falsenodeids",
    "target_treeids",
    "target_nodeids",
    "target_ids",
)


def tree_ensemble_onnx(dumps: list[dict[str, Any]], n_features: int) -> ModelProto:
    """One TreeEnsembleRegressor (target j = dumps[j]) with double thresholds and leaves, cast to double."""
    lists: dict[str, list[Any]] = {name: [] for name in _NODE_FIELDS}
    thresholds: list[float] = []
    leaves: list[float] = []
    tree_offset = 0
    for target, dump in enumerate(dumps):
        for tree in dump["tree_info"]:
            tree_id = tree_offset + int(tree["tree_index"])
            _add_tree(tree["tree_structure"], tree_id, target, lists, thresholds, leaves)
        tree_offset += len(dump["tree_info"])
    attributes: dict[str, Any] = {
        "n_targets": len(dumps),
        "aggregate_function": "SUM",
        "post_transform": "NONE",
        "nodes_values_as_tensor": numpy_helper.from_array(np.asarray(thresholds, dtype=np.float64), "nodes_values"),
        "target_weights_as_tensor": numpy_helper.from_array(np.asarray(leaves, dtype=np.float64), "target_weights"),
        "base_values_as_tensor": numpy_helper.from_array(np.zeros(len(dumps), dtype=np.float64), "base_values"),
        **lists,
    }
    node = helper.make_node(
        "TreeEnsembleRegressor", ["features"], ["log_returns_f32"], domain="ai.onnx.ml", **attributes
    )
    cast = helper.make_node("Cast", ["log_returns_f32"], ["log_returns"], to=TensorProto.DOUBLE)
    graph = helper.make_graph(
        [node, cast],
        "lightgbm_log_returns",
        [helper.make_tensor_value_info("features", TensorProto.DOUBLE, [None, n_features])],
        [helper.make_tensor_value_info("log_returns", TensorProto.DOUBLE, [None, len(dumps)])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    model.ir_version = 8
    return model


def _add_tree(
    root: dict[str, Any],
    tree_id: int,
    target: int,
    lists: dict[str, list[Any]],
    thresholds: list[float],
    leaves: list[float],
) -> None:
    """Append one tree's nodes in pre-order; node ids are positions within the tree."""
    next_id = 0
    stack: list[tuple[dict[str, Any], int | None, bool]] = [(root, None, False)]
    while stack:
        node, parent_index, is_right = stack.pop()
        node_id = next_id
        next_id += 1
        if parent_index is not None:
            lists["nodes_falsenodeids" if is_right else "nodes_truenodeids"][parent_index] = node_id
        lists["nodes_treeids"].append(tree_id)
        lists["nodes_nodeids"].append(node_id)
        if "split_feature" not in node:  # a leaf (a single-leaf tree has no split either)
            lists["nodes_featureids"].append(0)
            lists["nodes_modes"].append("LEAF")
            lists["nodes_truenodeids"].append(0)
            lists["nodes_falsenodeids"].append(0)
            thresholds.append(0.0)
            lists["target_treeids"].append(tree_id)
            lists["target_nodeids"].append(node_id)
            lists["target_ids"].append(target)
            leaves.append(float(node["leaf_value"]))
            continue
        if node.get("decision_type") != "<=" or node.get("missing_type") == "Zero":
            raise TrainerError(
                ErrorCode.ONNX_MISMATCH,
                f"LightGBM split {node.get('decision_type')} (missing values: {node.get('missing_type')}) "
                "has no exact ONNX form",
            )
        index = len(lists["nodes_treeids"]) - 1
        lists["nodes_featureids"].append(int(node["split_feature"]))
        lists["nodes_modes"].append("BRANCH_LEQ")  # LightGBM goes left when x <= threshold
        lists["nodes_truenodeids"].append(-1)
        lists["nodes_falsenodeids"].append(-1)
        thresholds.append(float(node["threshold"]))
        # Right pushed first so the left subtree is numbered first (pre-order).
        stack.append((node["right_child"], index, True))
        stack.append((node["left_child"], index, False))
