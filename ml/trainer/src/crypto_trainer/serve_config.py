"""Configuration of `python -m crypto_trainer serve`: environment variables, each overridable by a
flag, parsed once and validated with every problem listed at once."""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Literal

from .errors import ErrorCode, TrainerError
from .timeframe import Timeframe, model_name_for, parse_pair
from .train import DEFAULT_HORIZONS, DEFAULT_VOLATILITY_FEATURE

SpanEnd = Literal["latest", "now"]
LogFormat = Literal["auto", "json", "text"]

MESSAGE_SCHEMAS_RELATIVE = Path("packages/core/json-schema")


@dataclass(frozen=True)
class Setting:
    env: str
    flag: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("KAFKA_BROKERS", "--kafka-brokers", "127.0.0.1:19092", "comma-separated host:port list"),
    Setting("TOPIC_PREFIX", "--topic-prefix", "", "deployment prefix: topics are <prefix>.<topic>"),
    Setting("CONSUMER_GROUP", "--consumer-group", "model-trainer", "consumer group of retrain-requests"),
    Setting("DATABASE_URL", "--database-url", None, "feature store (PostgreSQL), required"),
    Setting("MLFLOW_TRACKING_URI", "--mlflow-tracking-uri", None, "MLflow tracking server and registry, required"),
    Setting("PAIRS", "--pairs", "BTC/USDT", "comma-separated pairs this trainer trains"),
    Setting("TIMEFRAME", "--timeframe", "1m", "candle timeframe of the feature rows"),
    Setting("HORIZONS", "--horizons", ",".join(map(str, DEFAULT_HORIZONS)), "in timeframe units"),
    Setting("TRAIN_LOOKBACK", "--lookback", "30d", "span length: the last N (s, m, h, d) before the span end"),
    Setting("TRAIN_SPAN_END", "--span-end", "latest", "latest: the newest feature row; now: the wall clock"),
    Setting("TRAIN_INTERVAL", "--interval", "24h", "scheduled training every (s, m, h, d); off to disable"),
    Setting("TRAIN_ON_START", "--train-on-start", "false", "true: a scheduled run right at start-up"),
    Setting("MODEL_NAME", "--model-name", None, "registered model name (one pair only; default price-<PAIR>-<tf>)"),
    Setting("EXPERIMENT", "--experiment", "price-models", "MLflow experiment"),
    Setting(
        "VOLATILITY_FEATURE", "--volatility-feature", DEFAULT_VOLATILITY_FEATURE, "interval normaliser, as for train"
    ),
    Setting("COVERAGE", "--coverage", "0.9", "nominal interval coverage, in (0, 1)"),
    Setting("OPS_PORT", "--ops-port", "9108", "/healthz, /readyz, /metrics, /status (0: any free port)"),
    Setting(
        "REQUEST_DATA_WAIT",
        "--request-data-wait",
        "60s",
        "how long a requested run waits for feature rows up to the request's time (span end latest)",
    ),
    Setting("RETRY_MAX_DELAY", "--retry-max-delay", "60s", "cap of the backoff when the store or MLflow is down"),
    Setting("SHUTDOWN_GRACE", "--shutdown-grace", "20s", "on SIGTERM, how long a run under way may finish"),
    Setting("PROGRESS_EVERY", "--progress-every", "10s", "how often a run's progress is logged when not a TTY"),
    Setting("LOG_FORMAT", "--log-format", "auto", "json, text, or auto (text on a TTY, else JSON lines)"),
    Setting("MESSAGE_SCHEMAS", "--message-schemas", None, "folder of the shared JSON Schemas (default: found)"),
)


@dataclass(frozen=True)
class ServeConfig:
    kafka_brokers: str
    topic_prefix: str
    consumer_group: str
    database_url: str
    tracking_uri: str
    pairs: tuple[str, ...]
    timeframe: Timeframe
    horizons: tuple[int, ...]
    lookback: timedelta
    span_end: SpanEnd
    interval: timedelta | None
    train_on_start: bool
    model_name: str | None
    experiment: str
    volatility_feature: str
    coverage: float
    ops_port: int
    request_data_wait: timedelta
    retry_max_delay: timedelta
    shutdown_grace: timedelta
    progress_every: timedelta
    log_format: LogFormat
    message_schemas: Path

    def model_name_for(self, pair: str) -> str:
        return self.model_name or model_name_for(pair, self.timeframe)

    def topic(self, name: str) -> str:
        return f"{self.topic_prefix}.{name}" if self.topic_prefix else name

    @property
    def group_id(self) -> str:
        """The consumer group id joined: CONSUMER_GROUP under the topic prefix, as topics are named
        (as the TypeScript services do), so deployments sharing a cluster never share a group."""
        return self.topic(self.consumer_group)


_DURATION = re.compile(r"^([0-9]+)(ms|s|m|h|d)$")
_UNIT = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta | None:
    """`90s`, `15m`, `6h`, `30d`, `500ms` -> a timedelta; None when it is not one."""
    match = _DURATION.match(text.strip())
    if match is None:
        return None
    return timedelta(seconds=int(match.group(1)) * _UNIT[match.group(2)])


def find_message_schemas(start: Path | None = None) -> Path | None:
    """packages/core/json-schema in the nearest enclosing repo (from the working directory or this file)."""
    for base in [start or Path.cwd(), Path(__file__).resolve()]:
        for folder in [base, *base.parents]:
            candidate = folder / MESSAGE_SCHEMAS_RELATIVE
            if (candidate / "retrain-request.schema.json").is_file():
                return candidate
    return None


def parse_serve_config(values: Mapping[str, str | None]) -> ServeConfig:
    """Parse every setting (defaults from SETTINGS); raise one CONFIG error listing every problem."""
    problems: list[str] = []
    raw = {s.env: (values.get(s.env) if values.get(s.env) is not None else s.default) for s in SETTINGS}

    def text(name: str) -> str:
        return (raw[name] or "").strip()

    def required(name: str, example: str) -> str:
        value = text(name)
        if not value:
            problems.append(f"{name} is not set (e.g. {example})")
        return value

    def duration(name: str, *, allow_off: bool = False, allow_zero: bool = False) -> timedelta | None:
        value = text(name)
        if allow_off and value.lower() in ("off", "0", "none", ""):
            return None
        parsed = parse_duration(value)
        if parsed is None:
            problems.append(f"{name} {value!r} is not a duration like 90s, 15m, 6h or 30d")
            return None
        if parsed <= timedelta(0) and not allow_zero:
            problems.append(f"{name} {value!r} must be longer than zero")
        return parsed

    kafka_brokers = text("KAFKA_BROKERS")
    if not [b for b in kafka_brokers.split(",") if b.strip()]:
        problems.append("KAFKA_BROKERS lists no broker")
    topic_prefix = text("TOPIC_PREFIX")
    if topic_prefix and re.fullmatch(r"[A-Za-z0-9._-]+", topic_prefix) is None:
        problems.append(f"TOPIC_PREFIX {topic_prefix!r} may hold only letters, digits, '.', '_' and '-'")
    consumer_group = text("CONSUMER_GROUP")
    if not consumer_group:
        problems.append("CONSUMER_GROUP is empty")
    database_url = required("DATABASE_URL", "postgres://crypto:crypto@127.0.0.1:15432/crypto")
    tracking_uri = required("MLFLOW_TRACKING_URI", "http://127.0.0.1:15000")

    pairs: list[str] = []
    for item in (p.strip() for p in text("PAIRS").split(",")):
        if not item:
            continue
        try:
            pairs.append(parse_pair(item))
        except TrainerError as error:
            problems.append(f"PAIRS: {error.message}")
    if not pairs and not any(p.startswith("PAIRS") for p in problems):
        problems.append("PAIRS lists no pair")
    if len(set(pairs)) != len(pairs):
        problems.append("PAIRS lists a pair twice")

    timeframe: Timeframe | None = None
    try:
        timeframe = Timeframe.parse(text("TIMEFRAME"))
    except TrainerError as error:
        problems.append(f"TIMEFRAME: {error.message}")

    horizons: tuple[int, ...] = ()
    try:
        horizons = tuple(int(h) for h in text("HORIZONS").split(",") if h.strip())
    except ValueError:
        problems.append(f"HORIZONS {text('HORIZONS')!r} is not a comma-separated list of integers")
    else:
        if not horizons or any(h <= 0 for h in horizons) or len(set(horizons)) != len(horizons):
            problems.append(f"HORIZONS {text('HORIZONS')!r} must be distinct positive integers")

    lookback = duration("TRAIN_LOOKBACK")
    if lookback is not None and timeframe is not None and horizons and all(h > 0 for h in horizons):
        purge = max(horizons) * timedelta(minutes=timeframe.minutes)
        if lookback <= 3 * purge:
            problems.append(
                f"TRAIN_LOOKBACK {text('TRAIN_LOOKBACK')} leaves no room for three splits with a purge gap of "
                f"{purge} (the longest horizon); make it longer than {3 * purge}"
            )
    span_end = text("TRAIN_SPAN_END").lower()
    if span_end not in ("latest", "now"):
        problems.append(f"TRAIN_SPAN_END {span_end!r} must be latest (the newest feature row) or now")
    interval = duration("TRAIN_INTERVAL", allow_off=True)
    train_on_start = text("TRAIN_ON_START").lower()
    if train_on_start not in ("true", "false", "1", "0", "yes", "no"):
        problems.append(f"TRAIN_ON_START {train_on_start!r} must be true or false")

    model_name = text("MODEL_NAME") or None
    if model_name is not None and len(pairs) != 1:
        problems.append("MODEL_NAME names one model, so PAIRS must list exactly one pair (unset it to derive names)")
    experiment = text("EXPERIMENT")
    if not experiment:
        problems.append("EXPERIMENT is empty")
    volatility_feature = text("VOLATILITY_FEATURE")
    if not volatility_feature:
        problems.append("VOLATILITY_FEATURE is empty")

    coverage = 0.0
    try:
        coverage = float(text("COVERAGE"))
    except ValueError:
        problems.append(f"COVERAGE {text('COVERAGE')!r} is not a number")
    else:
        if not 0 < coverage < 1:
            problems.append(f"COVERAGE {coverage} must be in (0, 1)")

    ops_port = -1
    try:
        ops_port = int(text("OPS_PORT"))
    except ValueError:
        problems.append(f"OPS_PORT {text('OPS_PORT')!r} is not a port number")
    else:
        if not 0 <= ops_port <= 65535:
            problems.append(f"OPS_PORT {ops_port} is not in 0..65535")

    request_data_wait = duration("REQUEST_DATA_WAIT", allow_zero=True)
    retry_max_delay = duration("RETRY_MAX_DELAY")
    shutdown_grace = duration("SHUTDOWN_GRACE", allow_zero=True)
    progress_every = duration("PROGRESS_EVERY")
    log_format = text("LOG_FORMAT").lower()
    if log_format not in ("auto", "json", "text"):
        problems.append(f"LOG_FORMAT {log_format!r} must be auto, json or text")

    schemas_text = text("MESSAGE_SCHEMAS")
    message_schemas = Path(schemas_text) if schemas_text else find_message_schemas()
    if message_schemas is None:
        problems.append(
            f"MESSAGE_SCHEMAS is not set and no {MESSAGE_SCHEMAS_RELATIVE} was found above the working directory"
        )
    elif not (message_schemas / "retrain-request.schema.json").is_file():
        problems.append(f"MESSAGE_SCHEMAS {message_schemas} holds no retrain-request.schema.json")

    if problems:
        raise TrainerError(ErrorCode.CONFIG, "invalid configuration:\n  - " + "\n  - ".join(problems))
    assert timeframe is not None and lookback is not None and message_schemas is not None
    assert (
        request_data_wait is not None
        and retry_max_delay is not None
        and shutdown_grace is not None
        and progress_every is not None
    )
    return ServeConfig(
        kafka_brokers=kafka_brokers,
        topic_prefix=topic_prefix,
        consumer_group=consumer_group,
        database_url=database_url,
        tracking_uri=tracking_uri,
        pairs=tuple(pairs),
        timeframe=timeframe,
        horizons=horizons,
        lookback=lookback,
        span_end="now" if span_end == "now" else "latest",
        interval=interval,
        train_on_start=train_on_start in ("true", "1", "yes"),
        model_name=model_name,
        experiment=experiment,
        volatility_feature=volatility_feature,
        coverage=coverage,
        ops_port=ops_port,
        request_data_wait=request_data_wait,
        retry_max_delay=retry_max_delay,
        shutdown_grace=shutdown_grace,
        progress_every=progress_every,
        log_format="json" if log_format == "json" else "text" if log_format == "text" else "auto",
        message_schemas=message_schemas,
    )


def add_serve_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The `serve` subcommand: every setting is an environment variable, and a flag overrides it."""
    serve = commands.add_parser(
        "serve",
        help="a long-running trainer: scheduled training and retrain-requests from Kafka",
        description="Each option overrides the environment variable named in its help.",
    )
    for setting in SETTINGS:
        default = "unset" if setting.default is None else repr(setting.default)
        serve.add_argument(setting.flag, default=None, help=f"{setting.help} [${setting.env}, default {default}]")


def settings_from(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> dict[str, str | None]:
    """Environment values overridden by the flags that were given."""
    values: dict[str, str | None] = {}
    for setting in SETTINGS:
        flag_value = getattr(args, setting.flag.removeprefix("--").replace("-", "_"), None)
        values[setting.env] = flag_value if flag_value is not None else environ.get(setting.env)
    return values
