"""The serve command without servers: configuration, schedule, spans, the deduplicating run queue,
message validation, dead letters, offset commits, and the main loop driven step by step with a fake
Kafka and a fake training function (so the order of train -> commit can be observed)."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from jsonschema import Draft202012Validator

from crypto_trainer.errors import ErrorCode, TrainerError
from crypto_trainer.kafka_io import Invalid, OffsetTracker, dead_letter, load_validator, parse_retrain_request
from crypto_trainer.runs import RetrainRequest, RunQueue, Trigger
from crypto_trainer.schedule import Schedule, resolve_span
from crypto_trainer.serve_config import ServeConfig, parse_duration, parse_serve_config
from crypto_trainer.service import TrainerService
from crypto_trainer.service_ops import RunProgress, ServiceLog
from crypto_trainer.timeframe import Timeframe
from crypto_trainer.train import TrainConfig

SCHEMAS = Path(__file__).resolve().parents[3] / "packages/core/json-schema"
TOPIC = "t-1.retrain-requests"


def _config(**overrides: str) -> ServeConfig:
    values = {
        "DATABASE_URL": "postgres://x@127.0.0.1:1/x",
        "MLFLOW_TRACKING_URI": "http://127.0.0.1:1",
        "TOPIC_PREFIX": "t-1",
        "PAIRS": "BTC/USDT",
        "TRAIN_INTERVAL": "off",
        "TRAIN_LOOKBACK": "3d",
        "MESSAGE_SCHEMAS": str(SCHEMAS),
        "RETRY_MAX_DELAY": "1s",
        "REQUEST_DATA_WAIT": "0s",
    }
    return parse_serve_config(values | overrides)


def _request(id_: str, pair: str = "BTC/USDT", **overrides: Any) -> bytes:
    message = {
        "v": 1,
        "id": id_,
        "pair": pair,
        "timeframe": "1m",
        "reason": "sustained error drift",
        "requestedBy": "model-error-monitor",
        "time": 1_735_689_961_000,
    }
    return json.dumps(message | overrides).encode()


# -- configuration -------------------------------------------------------------------------------


def test_config_defaults_and_topic_names() -> None:
    config = _config()
    assert config.pairs == ("BTC/USDT",) and config.timeframe.text == "1m" and config.horizons == (1, 5, 15, 60)
    assert config.topic("retrain-requests") == TOPIC, "topics are <prefix>.<topic> as on the TypeScript side"
    assert _config(TOPIC_PREFIX="").topic("retrain-requests") == "retrain-requests"
    assert config.consumer_group == "model-trainer"
    assert config.group_id == f"{config.topic_prefix}.model-trainer", "groups are named under the prefix, as topics"
    assert _config(TOPIC_PREFIX="", CONSUMER_GROUP="g").group_id == "g"
    assert config.interval is None and config.span_end == "latest" and config.lookback == timedelta(days=3)
    assert config.model_name_for("BTC/USDT") == "price-BTC-USDT-1m"
    assert _config(MODEL_NAME="price-e2e-x").model_name_for("BTC/USDT") == "price-e2e-x"


def test_config_lists_every_problem_at_once() -> None:
    with pytest.raises(TrainerError) as caught:
        parse_serve_config(
            {
                "DATABASE_URL": "",
                "PAIRS": "BTC/usdt,ETH/USDT,SOL/USDT",
                "MODEL_NAME": "one-model",
                "TIMEFRAME": "7x",
                "HORIZONS": "1,1",
                "TRAIN_LOOKBACK": "forever",
                "TRAIN_SPAN_END": "tomorrow",
                "TRAIN_INTERVAL": "5x",
                "COVERAGE": "1.5",
                "OPS_PORT": "70000",
                "LOG_FORMAT": "yaml",
                "MESSAGE_SCHEMAS": "/nonexistent",
            }
        )
    error = caught.value
    assert error.code == ErrorCode.CONFIG
    for name in (
        "DATABASE_URL",
        "MLFLOW_TRACKING_URI",
        "PAIRS: pair 'BTC/usdt'",
        "MODEL_NAME",
        "TIMEFRAME",
        "HORIZONS",
        "TRAIN_LOOKBACK",
        "TRAIN_SPAN_END",
        "TRAIN_INTERVAL",
        "COVERAGE",
        "OPS_PORT",
        "LOG_FORMAT",
        "MESSAGE_SCHEMAS",
    ):
        assert name in error.message, f"the error must name {name}: {error.message}"
    assert error.message.count("\n  - ") == 13, "one line per problem"


def test_lookback_must_leave_room_for_the_purge_gaps() -> None:
    with pytest.raises(TrainerError, match="TRAIN_LOOKBACK 2h leaves no room"):
        _config(TRAIN_LOOKBACK="2h", HORIZONS="1,60")
    assert _config(TRAIN_LOOKBACK="4h", HORIZONS="1,60").lookback == timedelta(hours=4)


def test_durations() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("15m") == timedelta(minutes=15)
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("250ms") == timedelta(milliseconds=250)
    assert parse_duration("1.5h") is None and parse_duration("h") is None and parse_duration("") is None


# -- spans and schedule --------------------------------------------------------------------------


def test_span_ends_at_the_newest_feature_row_included() -> None:
    newest = pd.Timestamp("2024-12-01T02:00:00Z")
    span = resolve_span(
        pair="BTC/USDT",
        timeframe=Timeframe.parse("1m"),
        lookback=timedelta(days=3),
        span_end="latest",
        now=pd.Timestamp("2030-01-01T00:00:00Z"),
        newest_feature_time=newest,
    )
    assert span.end == pd.Timestamp("2024-12-01T02:01:00Z"), "end is exclusive: one step past the newest row"
    assert span.start == pd.Timestamp("2024-11-28T02:01:00Z")


def test_span_up_to_now_is_floored_to_the_timeframe() -> None:
    span = resolve_span(
        pair="BTC/USDT",
        timeframe=Timeframe.parse("5m"),
        lookback=timedelta(hours=6),
        span_end="now",
        now=pd.Timestamp("2025-01-01T10:17:42Z"),
        newest_feature_time=None,
    )
    assert (span.start, span.end) == (pd.Timestamp("2025-01-01T04:15:00Z"), pd.Timestamp("2025-01-01T10:15:00Z"))


def test_span_without_any_feature_row_is_no_data() -> None:
    with pytest.raises(TrainerError) as caught:
        resolve_span(
            pair="ETH/USDT",
            timeframe=Timeframe.parse("1m"),
            lookback=timedelta(days=1),
            span_end="latest",
            now=pd.Timestamp("2025-01-01T00:00:00Z"),
            newest_feature_time=None,
        )
    assert caught.value.code == ErrorCode.NO_DATA and "ETH/USDT" in caught.value.message


def test_schedule_fires_every_interval_without_piling_up_missed_slots() -> None:
    schedule = Schedule(timedelta(seconds=60), start=1000.0)
    assert not schedule.due(1059.9) and schedule.due(1060.0)
    schedule.fired(1060.5)
    assert schedule.next_due == 1120.0
    # A run that took 5 minutes: the slots it missed are skipped, not run back to back.
    assert schedule.due(1400.0)
    schedule.fired(1400.0)
    assert schedule.next_due == 1420.0 and not schedule.due(1419.0)


def test_schedule_off_and_on_start() -> None:
    off = Schedule(None, start=0.0)
    assert not off.due(1e12) and off.seconds_until_due(0.0) is None
    eager = Schedule(timedelta(hours=1), start=50.0, run_on_start=True)
    assert eager.due(50.0)
    eager.fired(50.0)
    assert eager.next_due == 3650.0


# -- the run queue -------------------------------------------------------------------------------


def _trigger(kind: str = "request", id_: str = "r") -> Trigger:
    if kind == "schedule":
        return Trigger("schedule", 0.0)
    request = RetrainRequest(id_, "BTC/USDT", "1m", "drift", "monitor", 1)
    return Trigger("request", 0.0, request)


def test_requests_for_a_pair_under_way_join_that_run() -> None:
    queue = RunQueue()
    assert queue.submit("BTC/USDT", _trigger(id_="a"))[0] == "queued"
    assert queue.submit("BTC/USDT", _trigger(id_="b"))[0] == "joined-queued"
    assert queue.submit("ETH/USDT", _trigger(id_="c"))[0] == "queued"
    run = queue.take(0.0)
    assert run is not None and run.pair == "BTC/USDT" and [r.id for r in run.requests] == ["a", "b"]
    assert queue.take(0.0) is None, "one run at a time"
    submitted, joined = queue.submit("BTC/USDT", _trigger("schedule"))
    assert submitted == "joined-running" and joined is run and len(run.triggers) == 3
    assert queue.finish() is run
    nxt = queue.take(0.0)
    assert nxt is not None and nxt.pair == "ETH/USDT" and len(queue) == 1


def test_a_retried_run_waits_for_its_backoff_and_keeps_its_triggers() -> None:
    queue = RunQueue()
    queue.submit("BTC/USDT", _trigger(id_="a"))
    queue.submit("ETH/USDT", _trigger(id_="e"))
    run = queue.take(0.0)
    assert run is not None
    queue.retry_later(not_before=10.0)
    other = queue.take(5.0)
    assert other is not None and other.pair == "ETH/USDT", "a waiting retry does not block other pairs"
    queue.finish()
    assert queue.take(9.9) is None
    again = queue.take(10.0)
    assert again is run and again.attempt == 1 and [r.id for r in again.requests] == ["a"]


# -- messages ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    return load_validator(SCHEMAS, "retrain-request")


def test_a_valid_request_parses(validator: Draft202012Validator) -> None:
    parsed = parse_retrain_request(_request("retrain:BTC-USDT:1m:1"), validator)
    assert parsed == RetrainRequest(
        "retrain:BTC-USDT:1m:1", "BTC/USDT", "1m", "sustained error drift", "model-error-monitor", 1_735_689_961_000
    )


def test_the_golden_sample_parses(validator: Draft202012Validator) -> None:
    golden = (SCHEMAS.parent / "golden" / "retrain-request.json").read_bytes()
    parsed = parse_retrain_request(golden, validator)
    assert isinstance(parsed, RetrainRequest) and parsed.pair == "BTC/USDT"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "message has no value"),
        (b"\xff\xfe", "not UTF-8"),
        (b"{not json", "not JSON"),
        (b"[]", "schema: (root): [] is not of type 'object'"),
        (_request("a", pair="btc-usdt"), "schema: pair: 'btc-usdt' does not match"),
        (_request("a", v=2, time=-5), "schema: time: -5 is less than the minimum"),
    ],
)
def test_invalid_requests_say_why(value: bytes | None, reason: str, validator: Draft202012Validator) -> None:
    parsed = parse_retrain_request(value, validator)
    assert isinstance(parsed, Invalid) and reason in parsed.reason, parsed


def test_every_failing_field_is_listed(validator: Draft202012Validator) -> None:
    parsed = parse_retrain_request(json.dumps({"v": 1, "pair": "BTC/USDT"}).encode(), validator)
    assert isinstance(parsed, Invalid)
    for field_name in ("'id'", "'timeframe'", "'reason'", "'requestedBy'", "'time'"):
        assert field_name in parsed.reason


def test_dead_letters_match_the_shared_schema() -> None:
    schema = load_validator(SCHEMAS, "dead-letter")
    letter = dead_letter(
        source_topic=TOPIC,
        partition=2,
        offset=41,
        key="BTC/USDT",
        value="{x",
        reason="not JSON",
        time_ms=1_735_689_961_000,
    )
    schema.validate(letter)
    assert letter["offset"] == "41" and letter["service"] == "model-trainer", "offsets are strings, as in TS"


# -- offsets -------------------------------------------------------------------------------------


def test_commit_point_is_the_oldest_open_offset() -> None:
    tracker = OffsetTracker()
    for offset in (10, 11, 12):
        tracker.received(0, offset)
    tracker.received(1, 5)
    assert tracker.to_commit() == {}, "nothing done yet: nothing to commit"
    tracker.done(0, 11, 0)
    tracker.done(1, 5, 0)
    assert tracker.to_commit() == {1: 6}, "11 finished before 10: partition 0 cannot move past 10"
    tracker.committed({1: 6})
    tracker.done(0, 10, 0)
    assert tracker.to_commit() == {0: 12}
    tracker.done(0, 12, 0)
    assert tracker.to_commit() == {0: 13}


def test_offsets_of_a_revoked_partition_are_forgotten() -> None:
    tracker = OffsetTracker()
    generation = tracker.received(0, 7)
    tracker.revoked([0])
    tracker.done(0, 7, generation)
    assert tracker.to_commit() == {}, "a partition revoked meanwhile is not ours to commit"
    again = tracker.received(0, 7)
    assert again == generation + 1
    tracker.done(0, 7, generation)  # the stale completion must not close the redelivered message
    assert tracker.open_count() == 1


# -- progress ------------------------------------------------------------------------------------


def test_progress_follows_the_stages_of_a_run() -> None:
    now = [0.0]
    progress = RunProgress(run_id=1, pair="BTC/USDT", trigger="schedule", clock=lambda: now[0])
    seen = []
    for line in (
        "training span [a, b)",
        "checking MLflow at http://x",
        "loading BTC/USDT 1m [a, b) from the feature store",
        "4000 usable rows of 4320",
        "split train=1 validation=1 test=1",
        "fitting lightgbm",  # an unknown line: detail, and some movement towards the next stage
        "ONNX matches native on 600 test rows",
        "registered price-x v3 from run abc",
        "champion decision for v3: not_promoted: ...",
    ):
        now[0] += 1.0
        progress.update(line)
        seen.append((progress.stage, progress.fraction))
    stages = [s for s, _ in seen]
    assert stages == ["span", "connect", "load", "prepare", "fit", "fit", "export", "register", "decide"]
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and 0.06 < fractions[5] < 0.90, "% only moves forward"
    snapshot = progress.snapshot()
    assert snapshot["elapsedSeconds"] == 9.0 and snapshot["percent"] == 99.0
    progress.finished(ok=True, detail="trained")
    logged = progress.take_transitions()
    assert [t["stage"] for t in logged] == [
        "span",
        "connect",
        "load",
        "prepare",
        "fit",
        "export",
        "register",
        "decide",
        "done",
    ], "every stage change is kept for its own log line, however fast the run"
    assert logged[-1]["percent"] == 100.0 and progress.take_transitions() == []


def test_json_log_lines_are_one_object_each() -> None:
    stream = io.StringIO()
    log = ServiceLog(stream, json_lines=True, live_status=True)
    log.info("training progress", stage="fit", percent=30.0)
    log.status("ignored in JSON mode")  # never called in JSON mode by the service; must not break lines
    record = json.loads(stream.getvalue().splitlines()[0])
    assert record["msg"] == "training progress" and record["stage"] == "fit" and record["level"] == 30
    assert log.live_status is False


# -- the main loop, with a fake Kafka and a fake trainer ----------------------------------------


@dataclass
class FakeMessage:
    _partition: int
    _offset: int
    _value: bytes | None
    _key: bytes | None = b"BTC/USDT"

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def value(self) -> bytes | None:
        return self._value

    def key(self) -> bytes | None:
        return self._key

    def topic(self) -> str:
        return TOPIC


@dataclass
class FakeKafka:
    topic: str = TOPIC
    inbox: list[FakeMessage] = field(default_factory=list)
    letters: list[dict[str, Any]] = field(default_factory=list)
    commits: list[dict[int, int]] = field(default_factory=list)
    fail_letters: int = 0

    def ensure_topics(self) -> None:
        pass

    def subscribe(self) -> None:
        pass

    def poll(self, max_messages: int, timeout_s: float) -> list[Any]:
        out, self.inbox = self.inbox[:max_messages], self.inbox[max_messages:]
        return out

    def send_dead_letters(self, letters: list[dict[str, Any]]) -> None:
        if self.fail_letters > 0:
            self.fail_letters -= 1
            raise TrainerError(ErrorCode.KAFKA_UNAVAILABLE, "broker down")
        self.letters.extend(letters)

    def commit(self, offsets: dict[int, int]) -> None:
        self.commits.append(dict(offsets))

    def close(self) -> None:
        pass

    def committed(self, partition: int) -> int | None:
        for commit in reversed(self.commits):
            if partition in commit:
                return commit[partition]
        return None


class FakeTrainer:
    """Blocks each run until released; answers with a summary, or raises the next queued error."""

    def __init__(self) -> None:
        self.calls: list[TrainConfig] = []
        self.release = threading.Semaphore(0)
        self.errors: list[TrainerError] = []
        self.tags: list[tuple[str, str, dict[str, str]]] = []

    def train(self, config: TrainConfig, *, database_url: str, tracking_uri: str) -> dict[str, Any]:
        self.calls.append(config)
        assert self.release.acquire(timeout=10), "the test never released the run"
        if self.errors:
            raise self.errors.pop(0)
        version = str(len(self.calls))
        return {
            "ok": True,
            "modelName": config.model_name,
            "version": version,
            "runId": f"run-{version}",
            "aliases": {"challenger": version, "champion": None},
            "champion": {"decision": "not_promoted", "promoted": False, "reason": "does not beat naive"},
            "test": {"1": {"model": {"maeRatioVsNaive": 1.001}}},
        }

    def tag(self, uri: str, model: str, version: str, run_id: str, tags: dict[str, str]) -> None:
        self.tags.append((model, version, tags))


NEWEST = pd.Timestamp("2024-12-01T02:00:00Z")


@pytest.fixture
def harness() -> Iterator[tuple[TrainerService, FakeKafka, FakeTrainer, list[float]]]:
    kafka, trainer, now = FakeKafka(), FakeTrainer(), [1000.0]
    service = TrainerService(
        _config(),
        log=ServiceLog(io.StringIO(), json_lines=True),
        train_fn=trainer.train,
        newest_fn=lambda url, pair, tf: NEWEST,
        tag_fn=trainer.tag,
        kafka=kafka,
        clock=lambda: now[0],
    )
    yield service, kafka, trainer, now
    for _ in range(5):  # never leave a worker thread blocked
        trainer.release.release()


def _until(service: TrainerService, condition: Any, what: str) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        service.step(poll_timeout_s=0)
        time.sleep(0.01)


def test_invalid_messages_are_dead_lettered_and_committed(harness: Any) -> None:
    service, kafka, trainer, _ = harness
    kafka.fail_letters = 1
    kafka.inbox += [FakeMessage(0, 0, b"{oops"), FakeMessage(0, 1, _request("x", pair="ETH/USDT"))]
    service.step(poll_timeout_s=0)
    assert kafka.letters == [] and kafka.committed(0) is None, "not committed before the dead letters are durable"
    service.step(poll_timeout_s=0)
    reasons = [letter["reason"] for letter in kafka.letters]
    assert reasons[0].startswith("not JSON") and "pair ETH/USDT is not trained here" in reasons[1]
    assert [letter["value"] for letter in kafka.letters] == ["{oops", _request("x", pair="ETH/USDT").decode()]
    assert [letter["offset"] for letter in kafka.letters] == ["0", "1"]
    assert kafka.committed(0) == 2 and trainer.calls == []


def test_a_request_is_committed_only_after_its_run_and_later_ones_join_it(harness: Any) -> None:
    service, kafka, trainer, _ = harness
    kafka.inbox.append(FakeMessage(1, 5, _request("a")))
    _until(service, lambda: len(trainer.calls) == 1, "the run to start")
    kafka.inbox.append(FakeMessage(1, 6, _request("b")))
    service.step(poll_timeout_s=0)
    assert service.queue.running is not None and [r.id for r in service.queue.running.requests] == ["a", "b"]
    assert kafka.committed(1) in (None, 5), "nothing is committed while the run is under way"

    call = trainer.calls[0]
    assert call.pair == "BTC/USDT" and call.end == NEWEST + pd.Timedelta(minutes=1)
    assert call.end - call.start == pd.Timedelta(days=3) and call.horizons == (1, 5, 15, 60)
    trainer.release.release()
    _until(service, lambda: kafka.committed(1) == 7, "both offsets to be committed")
    assert len(trainer.calls) == 1, "the second request was answered by the run under way"
    assert trainer.tags == [
        (
            "price-BTC-USDT-1m",
            "1",
            {
                "trigger": "request",
                "trainer_run": "1",
                "retrain_request_ids": "a,b",
                "retrain_requested_by": "model-error-monitor",
                "retrain_reason": "sustained error drift",
            },
        )
    ]
    recent = service.status()["recentRuns"][0]
    assert recent["ok"] is True and recent["version"] == "1" and recent["requests"] == ["a", "b"]
    assert recent["champion"] == {"decision": "not_promoted", "promoted": False, "reason": "does not beat naive"}


def test_a_retryable_failure_is_retried_and_the_request_stays_open(harness: Any) -> None:
    service, kafka, trainer, now = harness
    trainer.errors.append(TrainerError(ErrorCode.MLFLOW_UNREACHABLE, "MLflow down"))
    kafka.inbox.append(FakeMessage(0, 3, _request("a")))
    _until(service, lambda: len(trainer.calls) == 1, "the first attempt")
    trainer.release.release()
    _until(service, lambda: service.queue.running is None, "the failure to be collected")
    assert kafka.committed(0) in (None, 3) and kafka.letters == [], "a retryable failure commits nothing"
    service.step(poll_timeout_s=0)
    assert len(trainer.calls) == 1, "the retry waits for its backoff"
    now[0] += 2.0
    _until(service, lambda: len(trainer.calls) == 2, "the retry")
    trainer.release.release()
    _until(service, lambda: kafka.committed(0) == 4, "the commit after the successful retry")


def test_a_run_that_fails_for_good_dead_letters_its_requests(harness: Any) -> None:
    service, kafka, trainer, _ = harness
    trainer.errors.append(TrainerError(ErrorCode.TOO_FEW_ROWS, "span too short"))
    kafka.inbox.append(FakeMessage(2, 0, _request("a")))
    _until(service, lambda: len(trainer.calls) == 1, "the run")
    trainer.release.release()
    _until(service, lambda: kafka.committed(2) == 1, "the commit after the dead letter")
    assert kafka.letters[0]["reason"] == "training failed: TOO_FEW_ROWS: span too short"
    assert json.loads(kafka.letters[0]["value"])["id"] == "a", "the original request is kept"
    assert service.status()["recentRuns"][0]["error"]["code"] == "TOO_FEW_ROWS"


def test_a_requested_run_waits_for_the_feature_store_to_reach_the_request() -> None:
    """The store trails the alarm: the run must wait for the row of the request's minute, then train on it."""
    kafka, trainer = FakeKafka(), FakeTrainer()
    request_time = pd.Timestamp("2024-12-01T02:30:20Z")
    store_rows = [NEWEST, NEWEST, pd.Timestamp("2024-12-01T02:30:00Z")]  # behind, behind, caught up
    newest_calls: list[pd.Timestamp] = []

    def newest(url: str, pair: str, tf: Timeframe) -> pd.Timestamp:
        newest_calls.append(store_rows[min(len(newest_calls), len(store_rows) - 1)])
        return newest_calls[-1]

    service = TrainerService(
        _config(REQUEST_DATA_WAIT="30s"),
        log=ServiceLog(io.StringIO(), json_lines=True),
        train_fn=trainer.train,
        newest_fn=newest,
        tag_fn=trainer.tag,
        kafka=kafka,
    )
    try:
        kafka.inbox.append(FakeMessage(0, 0, _request("a", time=int(request_time.timestamp() * 1000))))
        _until(service, lambda: len(trainer.calls) == 1, "the run, once the store caught up")
        assert len(newest_calls) == 3, "polled until the row of the request's minute was there"
        assert trainer.calls[0].end == pd.Timestamp("2024-12-01T02:31:00Z"), "the span ends after that row"
    finally:
        trainer.release.release()


def test_scheduled_runs_train_every_pair_on_the_interval() -> None:
    kafka, trainer, now = FakeKafka(), FakeTrainer(), [0.0]
    service = TrainerService(
        _config(PAIRS="BTC/USDT,ETH/USDT", TRAIN_INTERVAL="1h"),
        log=ServiceLog(io.StringIO(), json_lines=True),
        train_fn=trainer.train,
        newest_fn=lambda url, pair, tf: NEWEST,
        tag_fn=trainer.tag,
        kafka=kafka,
        clock=lambda: now[0],
    )
    try:
        service.step(poll_timeout_s=0)
        assert trainer.calls == [], "the first scheduled run is one interval after start"
        now[0] = 3600.0
        _until(service, lambda: len(trainer.calls) == 1, "the first scheduled run")
        trainer.release.release()
        _until(service, lambda: len(trainer.calls) == 2, "the second pair's run")
        trainer.release.release()
        _until(service, lambda: len(trainer.tags) == 2, "both runs to finish")
        assert [c.pair for c in trainer.calls] == ["BTC/USDT", "ETH/USDT"]
        assert [c.model_name for c in trainer.calls] == ["price-BTC-USDT-1m", "price-ETH-USDT-1m"]
        assert all(t[2]["trigger"] == "schedule" and "retrain_request_ids" not in t[2] for t in trainer.tags)
        assert service.status()["nextScheduledInSeconds"] == 3600.0
    finally:
        for _ in range(3):
            trainer.release.release()
