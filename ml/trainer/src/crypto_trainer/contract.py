"""The model contract written beside model.onnx, and its check against the shared JSON Schema."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jsonschema

from .errors import ErrorCode, TrainerError
from .metrics import HorizonMetrics
from .splits import Span

CONTRACT_VERSION = 1
CONTRACT_FILE = "contract.json"
ONNX_FILE = "model.onnx"
SCHEMA_ENV = "MODEL_CONTRACT_SCHEMA"
SCHEMA_RELATIVE = Path("packages/core/json-schema/model-contract.schema.json")

CONTRACT_FIELDS = (
    "contractVersion",
    "featureSchemaVersion",
    "modelName",
    "modelKind",
    "pair",
    "timeframe",
    "horizons",
    "target",
    "features",
    "onnx",
    "intervals",
    "trainingSpan",
    "splits",
    "dataHash",
    "metrics",
    "reference",
    "createdAt",
)


def build_contract(
    *,
    feature_schema_version: int,
    model_name: str,
    model_kind: str,
    pair: str,
    timeframe: str,
    horizons: Sequence[int],
    features: Sequence[str],
    onnx_input_type: str,
    onnx_input: str,
    onnx_output: str,
    coverage: float,
    volatility_feature: str,
    scales: Mapping[int, float],
    training_span: Span,
    train: Span,
    validation: Span,
    test: Span,
    purge_minutes: float,
    data_hash: str,
    test_metrics: Mapping[int, HorizonMetrics],
    reference: Mapping[str, Mapping[str, list[float]]],
    created_at: str,
) -> dict[str, Any]:
    return {
        "contractVersion": CONTRACT_VERSION,
        "featureSchemaVersion": feature_schema_version,
        "modelName": model_name,
        "modelKind": model_kind,
        "pair": pair,
        "timeframe": timeframe,
        "horizons": [int(h) for h in horizons],
        "target": "log_return",
        "features": list(features),
        "onnx": {"file": ONNX_FILE, "input": onnx_input, "inputType": onnx_input_type, "output": onnx_output},
        "intervals": {
            "method": "conformal-vol-normalised",
            "coverage": coverage,
            "volatilityFeature": volatility_feature,
            "scale": {str(h): float(scales[h]) for h in horizons},
        },
        "trainingSpan": training_span.to_json(),
        "splits": {
            "train": train.to_json(),
            "validation": validation.to_json(),
            "test": test.to_json(),
            "purgeMinutes": purge_minutes,
        },
        "dataHash": data_hash,
        "metrics": {"test": {str(h): test_metrics[h].to_json() for h in horizons}},
        "reference": {name: dict(ref) for name, ref in reference.items()},
        "createdAt": created_at,
    }


def find_schema_path(start: Path | None = None) -> Path | None:
    """$MODEL_CONTRACT_SCHEMA, else packages/core/json-schema/... in the nearest enclosing repo."""
    from_env = os.environ.get(SCHEMA_ENV)
    if from_env:
        return Path(from_env)
    for base in [start or Path.cwd(), Path(__file__).resolve()]:
        for folder in [base, *base.parents]:
            candidate = folder / SCHEMA_RELATIVE
            if candidate.is_file():
                return candidate
    return None


def validate_contract(contract: Mapping[str, Any], schema_path: Path | None = None) -> Path | None:
    """Check field set and JSON Schema. Returns the schema used, or None when none is published."""
    fields = set(contract)
    if fields != set(CONTRACT_FIELDS):
        raise TrainerError(
            ErrorCode.CONTRACT_INVALID,
            f"contract fields differ: missing {sorted(set(CONTRACT_FIELDS) - fields)}, "
            f"extra {sorted(fields - set(CONTRACT_FIELDS))}",
        )
    path = schema_path or find_schema_path()
    if path is None:
        return None
    schema = json.loads(path.read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(contract), key=lambda e: list(e.absolute_path))
    if errors:
        detail = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors[:5])
        raise TrainerError(ErrorCode.CONTRACT_INVALID, f"contract fails {path}: {detail}")
    return path


def write_contract(contract: Mapping[str, Any], folder: Path) -> Path:
    path = folder / CONTRACT_FILE
    path.write_text(json.dumps(contract, indent=2, allow_nan=False) + "\n")
    return path
