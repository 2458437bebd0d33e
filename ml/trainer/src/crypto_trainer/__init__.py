"""Crypto price model trainer: feature store -> sklearn -> ONNX -> MLflow."""

__version__ = "0.1.0"
