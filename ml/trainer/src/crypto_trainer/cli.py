"""`python -m crypto_trainer train ...`: progress on stderr, one JSON summary as the last stdout line.

Exit codes: 0 trained and registered; 2 bad arguments or environment; 3 a retry may help (database or
MLflow unreachable); 1 any other refusal (no data, leakage, ONNX mismatch, invalid contract).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import pandas as pd

from .errors import ErrorCode, TrainerError
from .leakage import DEFAULT_MAX_ABS_CORR
from .models import CANDIDATE_KINDS, DEFAULT_CANDIDATES
from .serve_config import add_serve_parser
from .timeframe import Timeframe, parse_pair
from .train import DEFAULT_HORIZONS, DEFAULT_VOLATILITY_FEATURE, TrainConfig, train


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m crypto_trainer", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    t = commands.add_parser("train", help="train, evaluate, export and register one pair/timeframe model")
    t.add_argument("--pair", required=True, help="e.g. BTC/USDT")
    t.add_argument("--timeframe", required=True, help="e.g. 1m")
    t.add_argument("--from", dest="start", required=True, help="span start, inclusive (ISO date or time, UTC)")
    t.add_argument("--to", dest="end", required=True, help="span end, exclusive (ISO date or time, UTC)")
    t.add_argument("--horizons", default=",".join(map(str, DEFAULT_HORIZONS)), help="in timeframe units")
    t.add_argument("--coverage", type=float, default=0.9, help="nominal interval coverage, in (0, 1)")
    t.add_argument("--features", default=None, help="comma-separated ordered feature list (default: all, sorted)")
    t.add_argument("--volatility-feature", default=DEFAULT_VOLATILITY_FEATURE)
    t.add_argument("--alpha", type=float, default=1.0, help="ridge L2 penalty on standardised features")
    t.add_argument("--split", default="0.70,0.15,0.15", help="train,validation,test fractions by row")
    t.add_argument("--leakage-max-abs-corr", type=float, default=DEFAULT_MAX_ABS_CORR)
    t.add_argument("--experiment", default="price-models")
    t.add_argument("--model-name", default=None, help="registered model name (default: price-<PAIR>-<timeframe>)")
    t.add_argument(
        "--candidates",
        default=",".join(DEFAULT_CANDIDATES),
        help="comma-separated candidate models; the best on validation MAE is registered "
        f"(known: {', '.join(CANDIDATE_KINDS)})",
    )
    add_serve_parser(commands)
    return parser


def _timestamp(text: str, flag: str) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(text)
    except ValueError as exc:
        raise TrainerError(ErrorCode.CONFIG, f"{flag} {text!r} is not an ISO date or time") from exc
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _ints(text: str, flag: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError as exc:
        raise TrainerError(ErrorCode.CONFIG, f"{flag} {text!r} is not a comma-separated list of integers") from exc
    if not values or any(v <= 0 for v in values) or len(set(values)) != len(values):
        raise TrainerError(ErrorCode.CONFIG, f"{flag} {text!r} must be distinct positive integers")
    return values


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    start, end = _timestamp(args.start, "--from"), _timestamp(args.end, "--to")
    if not start < end:
        raise TrainerError(ErrorCode.CONFIG, f"--from {args.start} must be before --to {args.end}")
    if not 0 < args.coverage < 1:
        raise TrainerError(ErrorCode.CONFIG, f"--coverage {args.coverage} must be in (0, 1)")
    try:
        fractions = tuple(float(v) for v in args.split.split(","))
    except ValueError as exc:
        raise TrainerError(ErrorCode.CONFIG, f"--split {args.split!r} is not three numbers") from exc
    if len(fractions) != 3:
        raise TrainerError(ErrorCode.CONFIG, f"--split {args.split!r} is not three numbers")
    features = tuple(f.strip() for f in args.features.split(",") if f.strip()) if args.features else None
    return TrainConfig(
        pair=parse_pair(args.pair),
        timeframe=Timeframe.parse(args.timeframe),
        start=start,
        end=end,
        horizons=_ints(args.horizons, "--horizons"),
        coverage=args.coverage,
        features=features,
        volatility_feature=args.volatility_feature,
        alpha=args.alpha,
        fractions=(fractions[0], fractions[1], fractions[2]),
        leakage_max_abs_corr=args.leakage_max_abs_corr,
        experiment=args.experiment,
        model_name_override=args.model_name,
        candidates=tuple(k.strip() for k in args.candidates.split(",") if k.strip()),
    )


def _env(name: str, example: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise TrainerError(ErrorCode.CONFIG, f"environment variable {name} is not set (e.g. {example})")
    return value


def _exit_code(error: TrainerError) -> int:
    if error.code == ErrorCode.CONFIG:
        return 2
    return 3 if error.retryable else 1


def _serve(args: argparse.Namespace) -> int:
    """The long-running trainer (see service.py); logs on stderr, exit 2 on invalid configuration."""
    from .serve_config import parse_serve_config, settings_from
    from .service import serve

    with contextlib.redirect_stdout(sys.stderr):  # libraries print; keep stdout clean
        try:
            config = parse_serve_config(settings_from(args))
        except TrainerError as error:
            print(f"[model-trainer] {error.message}", file=sys.stderr)
            return 2
        return serve(config)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    args = _parser().parse_args(argv)
    if args.command == "serve":
        return _serve(args)
    summary: dict[str, Any]
    code = 0
    # Libraries (MLflow) may print; keep stdout for the summary alone.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            config = config_from_args(args)
            summary = train(
                config,
                database_url=_env("DATABASE_URL", "postgres://crypto:crypto@127.0.0.1:15432/crypto"),
                tracking_uri=_env("MLFLOW_TRACKING_URI", "http://127.0.0.1:15000"),
            )
        except TrainerError as error:
            print(f"[trainer] error {error.code}: {error.message}", file=sys.stderr)
            summary = {"ok": False, "error": error.to_json()}
            code = _exit_code(error)
    print(json.dumps(summary, allow_nan=False), file=out, flush=True)
    return code
