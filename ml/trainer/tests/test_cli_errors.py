"""Clear errors at the edge: the message says what is wrong and where."""

from __future__ import annotations

import io
import json

import pytest

from crypto_trainer.cli import main
from support.servers import free_port

ARGS = ["train", "--pair", "BTC/USDT", "--timeframe", "1m", "--from", "2024-01-01", "--to", "2024-01-08"]


def _run(argv: list[str]) -> tuple[int, dict[str, object]]:
    out = io.StringIO()
    code = main(argv, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, "stdout must hold exactly one JSON line"
    return code, json.loads(lines[-1])


def test_unreachable_mlflow_names_the_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.setenv("DATABASE_URL", "postgres://crypto:crypto@127.0.0.1:1/crypto")
    code, summary = _run(ARGS)
    assert code == 3, "unreachable MLflow is retryable"
    assert summary["ok"] is False
    error = summary["error"]
    assert isinstance(error, dict)
    assert error["code"] == "MLFLOW_UNREACHABLE" and uri in error["message"] and error["retryable"] is True


def test_missing_environment_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code, summary = _run(ARGS)
    assert code == 2
    assert "DATABASE_URL" in str(summary["error"])


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [("--horizons", "1,x", "--horizons"), ("--coverage", "1.5", "--coverage"), ("--timeframe", "7x", "timeframe")],
)
def test_bad_arguments(flag: str, value: str, expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:1")
    monkeypatch.setenv("DATABASE_URL", "postgres://x@127.0.0.1:1/x")
    argv = [*ARGS]
    if flag in argv:
        argv[argv.index(flag) + 1] = value
    else:
        argv += [flag, value]
    code, summary = _run(argv)
    assert code == 2 and expected in str(summary["error"])


def test_model_name_flag_overrides_the_conventional_name() -> None:
    from crypto_trainer.cli import _parser, config_from_args

    default = config_from_args(_parser().parse_args(ARGS))
    assert default.model_name == "price-BTC-USDT-1m", "the conventional name is price-<PAIR>-<timeframe>"
    named = config_from_args(_parser().parse_args([*ARGS, "--model-name", "e2e-model"]))
    assert named.model_name == "e2e-model", "--model-name registers under the given name"
