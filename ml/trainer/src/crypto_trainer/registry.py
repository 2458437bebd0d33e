"""MLflow: log the run, register the model version, move aliases, fetch the current champion."""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
import requests
from mlflow.entities import Metric, Param
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from .contract import CONTRACT_FILE
from .errors import ErrorCode, TrainerError

EXPERIMENT = "price-models"
MODEL_ARTIFACT_DIR = "model"
CHALLENGER = "challenger"
CHAMPION = "champion"
_BATCH = 100  # MLflow accepts at most 100 params / 1000 metrics per log_batch


@dataclass(frozen=True)
class LoggedRun:
    run_id: str
    experiment_id: str
    artifact_uri: str


@dataclass(frozen=True)
class ChampionArtifacts:
    version: str
    contract: dict[str, Any]
    onnx_bytes: bytes


def check_reachable(tracking_uri: str, timeout_s: float = 5.0) -> None:
    """Fail fast, naming the URI, instead of sitting in MLflow's retry loop for minutes."""
    if not tracking_uri.startswith(("http://", "https://")):
        return
    try:
        response = requests.get(f"{tracking_uri.rstrip('/')}/health", timeout=timeout_s)
    except requests.RequestException as exc:
        raise TrainerError(
            ErrorCode.MLFLOW_UNREACHABLE, f"MLflow tracking server unreachable at {tracking_uri}: {exc}", cause=exc
        ) from exc
    if response.status_code != 200:
        raise TrainerError(
            ErrorCode.MLFLOW_UNREACHABLE,
            f"MLflow tracking server at {tracking_uri} answered /health with HTTP {response.status_code}",
        )


@contextmanager
def _mlflow_errors(action: str, tracking_uri: str) -> Iterator[None]:
    try:
        yield
    except TrainerError:
        raise
    except MlflowException as exc:
        raise TrainerError(ErrorCode.MLFLOW, f"MLflow at {tracking_uri} failed to {action}: {exc}", cause=exc) from exc
    except requests.RequestException as exc:
        raise TrainerError(
            ErrorCode.MLFLOW_UNREACHABLE,
            f"MLflow at {tracking_uri} unreachable while trying to {action}: {exc}",
            cause=exc,
        ) from exc


class ModelRegistry:
    def __init__(self, tracking_uri: str) -> None:
        check_reachable(tracking_uri)
        self.tracking_uri = tracking_uri
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    def experiment_id(self, name: str = EXPERIMENT) -> str:
        with _mlflow_errors(f"get or create experiment {name}", self.tracking_uri):
            experiment = self.client.get_experiment_by_name(name)
            if experiment is not None:
                return str(experiment.experiment_id)
            try:
                return str(self.client.create_experiment(name))
            except MlflowException as exc:
                # Another trainer created it between our get and create.
                experiment = self.client.get_experiment_by_name(name)
                if experiment is None:
                    raise exc from None
                return str(experiment.experiment_id)

    def log_run(
        self,
        *,
        experiment: str,
        run_name: str,
        params: Mapping[str, str | int | float],
        metrics: Mapping[str, float],
        tags: Mapping[str, str],
        model_dir: Path,
    ) -> LoggedRun:
        """One finished run holding params, metrics, tags and `model/` (model.onnx + contract.json)."""
        experiment_id = self.experiment_id(experiment)
        with _mlflow_errors("log the training run", self.tracking_uri):
            run = self.client.create_run(experiment_id, run_name=run_name, tags=dict(tags))
            run_id = run.info.run_id
            try:
                now = int(time.time() * 1000)
                param_list = [Param(k, str(v)) for k, v in params.items()]
                metric_list = [Metric(k, float(v), now, 0) for k, v in metrics.items()]
                for i in range(0, max(len(param_list), len(metric_list)), _BATCH):
                    chunk = slice(i, i + _BATCH)
                    self.client.log_batch(run_id, metrics=metric_list[chunk], params=param_list[chunk])
                self.client.log_artifacts(run_id, str(model_dir), MODEL_ARTIFACT_DIR)
            except BaseException:
                self.client.set_terminated(run_id, "FAILED")
                raise
            self.client.set_terminated(run_id, "FINISHED")
            return LoggedRun(run_id, experiment_id, str(run.info.artifact_uri))

    def register(self, model_name: str, run: LoggedRun, tags: Mapping[str, str]) -> str:
        """A new version of `model_name` whose source is the run's `model/` artifact folder."""
        with _mlflow_errors(f"register a version of {model_name}", self.tracking_uri):
            try:
                self.client.create_registered_model(
                    model_name, description="Price log-return model; contract.json beside model.onnx."
                )
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                    raise
            version = self.client.create_model_version(
                model_name, source=f"{run.artifact_uri}/{MODEL_ARTIFACT_DIR}", run_id=run.run_id, tags=dict(tags)
            )
            deadline = time.monotonic() + 60
            while version.status != "READY":
                if version.status == "FAILED_REGISTRATION" or time.monotonic() > deadline:
                    raise TrainerError(ErrorCode.MLFLOW, f"{model_name} v{version.version} is {version.status}")
                time.sleep(0.5)
                version = self.client.get_model_version(model_name, version.version)
            return str(version.version)

    def set_alias(self, model_name: str, alias: str, version: str) -> None:
        with _mlflow_errors(f"set alias {alias} of {model_name}", self.tracking_uri):
            self.client.set_registered_model_alias(model_name, alias, version)

    def alias_version(self, model_name: str, alias: str) -> str | None:
        with _mlflow_errors(f"read alias {alias} of {model_name}", self.tracking_uri):
            try:
                return str(self.client.get_model_version_by_alias(model_name, alias).version)
            except MlflowException as exc:
                if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                    return None
                raise

    def champion(self, model_name: str) -> ChampionArtifacts | None:
        """The current champion's contract and ONNX bytes, or None when there is no champion."""
        if self.alias_version(model_name, CHAMPION) is None:
            return None
        with _mlflow_errors(f"download the champion of {model_name}", self.tracking_uri):
            version = self.client.get_model_version_by_alias(model_name, CHAMPION)
            with tempfile.TemporaryDirectory(prefix="champion-") as tmp:
                if version.run_id:
                    local = mlflow.artifacts.download_artifacts(
                        run_id=version.run_id,
                        artifact_path=MODEL_ARTIFACT_DIR,
                        dst_path=tmp,
                        tracking_uri=self.tracking_uri,
                    )
                else:
                    local = mlflow.artifacts.download_artifacts(
                        artifact_uri=version.source, dst_path=tmp, tracking_uri=self.tracking_uri
                    )
                folder = Path(local)
                contract = json.loads((folder / CONTRACT_FILE).read_text())
                onnx_file = str(contract.get("onnx", {}).get("file", "model.onnx"))
                onnx_bytes = (folder / onnx_file).read_bytes()
            return ChampionArtifacts(str(version.version), contract, onnx_bytes)

    def record_decision(self, model_name: str, version: str, run_id: str, tags: Mapping[str, str]) -> None:
        with _mlflow_errors(f"tag {model_name} v{version} with the champion decision", self.tracking_uri):
            for key, value in tags.items():
                self.client.set_model_version_tag(model_name, version, key, value)
                self.client.set_tag(run_id, key, value)
