"""One error type for the trainer, sorted by what the caller must do (retry, fix input, stop)."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    CONFIG = "CONFIG"  # bad arguments or environment: fix and rerun
    DB_UNREACHABLE = "DB_UNREACHABLE"  # feature store down: retry later
    NO_DATA = "NO_DATA"  # nothing in the requested span
    TOO_FEW_ROWS = "TOO_FEW_ROWS"  # span too short for train/validation/test with purge gaps
    FEATURE_SCHEMA = "FEATURE_SCHEMA"  # mixed schema versions, unknown feature names
    LEAKAGE = "LEAKAGE"  # a feature looks like it knows the future
    ONNX_MISMATCH = "ONNX_MISMATCH"  # exported model disagrees with the fitted one
    CONTRACT_INVALID = "CONTRACT_INVALID"  # contract fails its JSON Schema
    MLFLOW_UNREACHABLE = "MLFLOW_UNREACHABLE"  # tracking server down: retry later
    MLFLOW = "MLFLOW"  # tracking server answered with an error
    KAFKA_UNAVAILABLE = "KAFKA_UNAVAILABLE"  # broker down or not answering: retry later (serve command)
    INTERNAL = "INTERNAL"  # an unexpected failure inside a run (a bug): the serve command records it and goes on


_RETRYABLE = {ErrorCode.DB_UNREACHABLE, ErrorCode.MLFLOW_UNREACHABLE, ErrorCode.KAFKA_UNAVAILABLE}


class TrainerError(Exception):
    """A failure the top-level handler reports as-is; `retryable` says whether running again can help."""

    def __init__(self, code: ErrorCode, message: str, *, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = code in _RETRYABLE
        if cause is not None:
            self.__cause__ = cause

    def to_json(self) -> dict[str, object]:
        return {"code": str(self.code), "message": self.message, "retryable": self.retryable}
