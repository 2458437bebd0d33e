"""`python -m crypto_trainer serve`: the trainer as a long-running service.

It trains each configured pair on a schedule and whenever a valid `retrain-request` arrives on
Kafka. The main thread owns the Kafka consumer (it keeps polling, so a long run never drops it out of
its group), the schedule, the ops server and the display; one worker thread runs one training at a
time through the same `train()` the `train` command calls. A request's offset is committed only when
the run that answers it has finished (trained and registered, or failed for good and dead-lettered
with the reason); a run that fails in a way a retry may fix (store or MLflow down) is retried with
backoff. SIGTERM lets a run under way finish within SHUTDOWN_GRACE, commits what is done and leaves
the group; a second signal exits at once.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any, Protocol

import pandas as pd
import psycopg

from . import progress as progress_module
from .data import redact_url
from .errors import ErrorCode, TrainerError
from .kafka_io import (
    RETRAIN_REQUESTS,
    Invalid,
    KafkaIO,
    OffsetTracker,
    dead_letter,
    decode,
    load_validator,
    parse_retrain_request,
)
from .runs import MessageRef, PlannedRun, RetrainRequest, RunQueue, Trigger
from .schedule import Schedule, TrainingSpan, resolve_span
from .serve_config import ServeConfig
from .service_ops import (
    Counters,
    LineWriter,
    OpsServer,
    RunProgress,
    ServiceLog,
    ServiceLogHandler,
    format_duration,
    is_tty,
    route_library_logs,
)
from .splits import iso
from .timeframe import Timeframe
from .train import TrainConfig, train

TrainFn = Callable[..., dict[str, Any]]
NewestFn = Callable[[str, str, Timeframe], "pd.Timestamp | None"]
TagFn = Callable[[str, str, str, str, dict[str, str]], None]

_NEWEST = "SELECT max(time) FROM feature_rows WHERE pair = %(pair)s AND timeframe = %(timeframe)s"
_RECENT_RUNS = 20


def newest_feature_time(database_url: str, pair: str, timeframe: Timeframe) -> pd.Timestamp | None:
    """The feature time of the pair's newest row, or None when it has none."""
    try:
        with psycopg.connect(database_url, connect_timeout=10) as conn, conn.cursor() as cur:
            cur.execute(_NEWEST, {"pair": pair, "timeframe": timeframe.text})
            row = cur.fetchone()
    except psycopg.OperationalError as exc:
        raise TrainerError(
            ErrorCode.DB_UNREACHABLE, f"cannot reach the feature store at {redact_url(database_url)}: {exc}", cause=exc
        ) from exc
    except psycopg.errors.UndefinedTable as exc:
        raise TrainerError(
            ErrorCode.NO_DATA, f"the feature store at {redact_url(database_url)} has no feature_rows table yet"
        ) from exc
    if row is None or row[0] is None:
        return None
    return pd.Timestamp(row[0]).tz_convert("UTC")


def tag_in_mlflow(tracking_uri: str, model_name: str, version: str, run_id: str, tags: dict[str, str]) -> None:
    """Tag the model version and its run with what triggered the training."""
    from .registry import ModelRegistry

    ModelRegistry(tracking_uri).record_decision(model_name, version, run_id, tags)


@dataclass
class RunOutcome:
    run: PlannedRun
    seconds: float
    span: TrainingSpan | None
    summary: dict[str, Any] | None = None
    error: TrainerError | None = None


class Kafka(Protocol):
    topic: str

    def ensure_topics(self) -> None: ...
    def subscribe(self) -> None: ...
    def poll(self, max_messages: int, timeout_s: float) -> list[Any]: ...
    def send_dead_letters(self, letters: list[dict[str, Any]]) -> None: ...
    def commit(self, offsets: dict[int, int]) -> None: ...
    def close(self) -> None: ...


class TrainerService:
    def __init__(
        self,
        config: ServeConfig,
        *,
        log: ServiceLog | None = None,
        train_fn: TrainFn = train,
        newest_fn: NewestFn | None = None,
        tag_fn: TagFn | None = None,
        kafka: Kafka | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        json_lines = config.log_format == "json" or (config.log_format == "auto" and not is_tty(sys.stderr))
        self.log = log or ServiceLog(sys.stderr, json_lines=json_lines, live_status=is_tty(sys.stderr))
        self._train = train_fn
        self._newest = newest_fn or (lambda url, pair, tf: newest_feature_time(url, pair, tf))
        self._tag = tag_fn or tag_in_mlflow
        self._clock = clock
        self.topic = config.topic(RETRAIN_REQUESTS)
        self._validator = load_validator(config.message_schemas, "retrain-request")
        self._dead_letter_validator = load_validator(config.message_schemas, "dead-letter")
        self.kafka: Kafka = kafka or KafkaIO(
            brokers=config.kafka_brokers,
            topic=self.topic,
            group=config.group_id,
            on_assign=self._assigned,
            on_revoke=self._revoked,
            on_error=lambda text: self.log.warn("kafka client error", error=text),
            logger=self._kafka_logger(),
        )
        self.queue = RunQueue()
        self.offsets = OffsetTracker()
        self.schedule = Schedule(config.interval, start=clock(), run_on_start=config.train_on_start)
        self.counters = _declare_counters(Counters())
        self._outcomes: queue.Queue[RunOutcome] = queue.Queue()
        self._letters: list[tuple[dict[str, Any], MessageRef | None]] = []
        self._recent: deque[dict[str, Any]] = deque(maxlen=_RECENT_RUNS)
        self._progress: RunProgress | None = None
        self._last_progress_line = 0.0
        self._stop_requested = threading.Event()
        self._subscribed = False
        self._assigned_partitions: list[int] | None = None
        self._ops: OpsServer | None = None

    def _kafka_logger(self) -> logging.Logger:
        """librdkafka's own log lines, as our log lines rather than raw text on stderr."""
        logger = logging.getLogger(f"{__name__}.kafka.{id(self)}")
        logger.propagate = False
        logger.setLevel(logging.INFO)
        logger.addHandler(ServiceLogHandler(self.log))
        return logger

    # -- lifecycle ----------------------------------------------------------------------------

    def run(self) -> int:
        """Serve until stopped (SIGTERM, SIGINT or `request_stop`); returns the exit code."""
        self._install_signals()
        previous_sink = progress_module.set_sink(self._on_progress_line)
        library = LineWriter(lambda line: self.log.info(line, source="library"))
        restore = route_library_logs(library)
        stdout, sys.stdout = sys.stdout, library
        try:
            self._ops = OpsServer(
                self.config.ops_port, ready=self.ready, metrics=self.counters.render, status=self.status
            )
            self._ops.start()
            self._connect()
            if self._stop_requested.is_set():
                return 0
            self.log.info(
                "model-trainer started",
                topic=self.topic,
                group=self.config.group_id,
                pairs=list(self.config.pairs),
                timeframe=self.config.timeframe.text,
                horizons=list(self.config.horizons),
                lookback=format_duration(self.config.lookback),
                spanEnd=self.config.span_end,
                interval=None if self.config.interval is None else format_duration(self.config.interval),
                trainOnStart=self.config.train_on_start,
                modelNames={p: self.config.model_name_for(p) for p in self.config.pairs},
                opsPort=self._ops.port,
            )
            while not self._stop_requested.is_set():
                self.step(poll_timeout_s=0.2 if self.queue.running is not None else 0.5)
            self._shutdown()
            return 0
        finally:
            progress_module.set_sink(previous_sink)
            sys.stdout = stdout
            for handler, stream in restore:
                handler.setStream(stream)
            if self._ops is not None:
                self._ops.stop()

    def request_stop(self) -> None:
        self._stop_requested.set()

    def ready(self) -> bool:
        return self._subscribed and self._assigned_partitions is not None

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _: FrameType | None) -> None:
            if self._stop_requested.is_set():
                self.log.warn("second signal: exiting now", signal=signal.Signals(signum).name)
                os._exit(1)
            self.log.info("stopping", signal=signal.Signals(signum).name)
            self._stop_requested.set()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def _connect(self) -> None:
        """Create the topics and subscribe, retrying with backoff while Kafka is down."""
        delay = 1.0
        while not self._stop_requested.is_set():
            try:
                self.kafka.ensure_topics()
                self.kafka.subscribe()
                self._subscribed = True
                return
            except TrainerError as error:
                if not error.retryable:
                    raise
                self.log.warn("kafka not reachable, retrying", error=error.message, delaySeconds=delay)
                self._stop_requested.wait(delay)
                delay = min(delay * 2, self.config.retry_max_delay.total_seconds())

    def _assigned(self, partitions: list[int]) -> None:
        self._assigned_partitions = sorted(set(self._assigned_partitions or []) | set(partitions))
        self.log.info("partitions assigned", topic=self.topic, partitions=partitions)

    def _revoked(self, partitions: list[int]) -> None:
        try:
            self._commit()
        except TrainerError as error:
            self.log.warn("commit before rebalance failed", error=error.message)
        self.offsets.revoked(partitions)
        self._assigned_partitions = sorted(set(self._assigned_partitions or []) - set(partitions))
        self.log.info("partitions revoked", topic=self.topic, partitions=partitions)

    # -- one turn of the main loop --------------------------------------------------------------

    def step(self, poll_timeout_s: float = 0.5) -> None:
        """Poll, validate and queue requests, fire the schedule, collect a finished run, start the
        next one, deliver dead letters, commit, show progress. Public so tests can drive the loop."""
        self._receive(self.kafka.poll(100, poll_timeout_s))
        now = self._clock()
        if self.schedule.due(now):
            self.schedule.fired(now)
            for pair in self.config.pairs:
                submitted, run = self.queue.submit(pair, Trigger("schedule", now))
                self.log.info("scheduled training", pair=pair, run=run.run_id, submitted=submitted)
        self._collect()
        self._dispatch()
        self._deliver_letters()
        self._commit()
        self._show_progress()

    def _receive(self, messages: list[Any]) -> None:
        for message in messages:
            partition, offset = int(message.partition()), int(message.offset())
            generation = self.offsets.received(partition, offset)
            raw = message.value()
            ref = MessageRef(
                topic=str(message.topic()),
                partition=partition,
                offset=offset,
                key=decode(message.key()),
                value=decode(raw),
                generation=generation,
            )
            parsed = self._accept(parse_retrain_request(raw, self._validator))
            if isinstance(parsed, Invalid):
                self._dead_letter(ref, parsed.reason)
                self.counters.inc("model_trainer_requests_total", outcome="dead_lettered")
                self.log.warn("retrain request dead-lettered", partition=partition, offset=offset, reason=parsed.reason)
                continue
            submitted, run = self.queue.submit(parsed.pair, Trigger("request", self._clock(), parsed, ref))
            self.counters.inc("model_trainer_requests_total", outcome=submitted.replace("-", "_"))
            self.log.info(
                "retrain request received",
                id=parsed.id,
                pair=parsed.pair,
                requestedBy=parsed.requested_by,
                reason=parsed.reason,
                run=run.run_id,
                submitted=submitted,
                partition=partition,
                offset=offset,
                **(
                    {"note": "a run for this pair is under way; this request is answered by it"}
                    if submitted == "joined-running"
                    else {}
                ),
            )

    def _accept(self, parsed: RetrainRequest | Invalid) -> RetrainRequest | Invalid:
        """A valid request this trainer can answer, or why not."""
        if isinstance(parsed, Invalid):
            return parsed
        if parsed.pair not in self.config.pairs:
            return Invalid(f"pair {parsed.pair} is not trained here (PAIRS={','.join(self.config.pairs)})")
        if parsed.timeframe != self.config.timeframe.text:
            return Invalid(f"timeframe {parsed.timeframe} is not trained here (TIMEFRAME={self.config.timeframe.text})")
        return parsed

    def _dead_letter(self, ref: MessageRef | None, reason: str, *, value: str | None = None) -> None:
        letter = dead_letter(
            source_topic=self.topic if ref is None else ref.topic,
            partition=None if ref is None else ref.partition,
            offset=None if ref is None else ref.offset,
            key=None if ref is None else ref.key,
            value=value if ref is None else ref.value,
            reason=reason,
            time_ms=int(time.time() * 1000),
        )
        self._dead_letter_validator.validate(letter)
        self._letters.append((letter, ref))

    def _deliver_letters(self) -> None:
        if not self._letters:
            return
        letters, self._letters = self._letters, []
        try:
            self.kafka.send_dead_letters([letter for letter, _ in letters])
        except TrainerError as error:
            self._letters = letters + self._letters  # kept: their offsets stay open until delivered
            self.log.warn("dead letters not delivered yet, retrying", count=len(letters), error=error.message)
            return
        for _, ref in letters:
            if ref is not None:
                self.offsets.done(ref.partition, ref.offset, ref.generation)

    def _commit(self) -> None:
        offsets = self.offsets.to_commit()
        if not offsets:
            return
        try:
            self.kafka.commit(offsets)
        except TrainerError as error:
            self.log.warn("offset commit failed, retrying", error=error.message)
            return
        self.offsets.committed(offsets)
        self.log.info("offsets committed", topic=self.topic, offsets={str(p): o for p, o in offsets.items()})

    # -- runs -----------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        if self._stop_requested.is_set():
            return
        run = self.queue.take(self._clock())
        if run is None:
            return
        self._progress = RunProgress(run_id=run.run_id, pair=run.pair, trigger=run.trigger.short(), clock=self._clock)
        self._last_progress_line = 0.0
        self.counters.set("model_trainer_run_in_progress", 1)
        self.log.info(
            "training run started",
            run=run.run_id,
            pair=run.pair,
            trigger=run.trigger.kind,
            requests=[r.id for r in run.requests],
            attempt=run.attempt + 1,
        )
        # The event time the requests were made at: the run waits for the feature store to reach it.
        wanted = max((r.time for r in run.requests), default=None)
        threading.Thread(target=self._execute, args=(run, wanted), name=f"train-{run.run_id}", daemon=True).start()

    def _execute(self, run: PlannedRun, wanted_ms: int | None) -> None:
        """In the worker thread: resolve the span, train, and hand the outcome to the main thread."""
        started = self._clock()
        span: TrainingSpan | None = None
        try:
            config = self.config
            newest = self._wait_for_rows(run.pair, wanted_ms) if config.span_end == "latest" else None
            span = resolve_span(
                pair=run.pair,
                timeframe=config.timeframe,
                lookback=config.lookback,
                span_end=config.span_end,
                now=pd.Timestamp.now(tz="UTC"),
                newest_feature_time=newest,
            )
            progress_module.progress(f"training span {span}")
            summary = self._train(
                TrainConfig(
                    pair=run.pair,
                    timeframe=config.timeframe,
                    start=span.start,
                    end=span.end,
                    horizons=config.horizons,
                    coverage=config.coverage,
                    volatility_feature=config.volatility_feature,
                    experiment=config.experiment,
                    model_name_override=config.model_name_for(run.pair),
                ),
                database_url=config.database_url,
                tracking_uri=config.tracking_uri,
            )
            self._outcomes.put(RunOutcome(run, self._clock() - started, span, summary=summary))
        except TrainerError as error:
            self._outcomes.put(RunOutcome(run, self._clock() - started, span, error=error))
        except Exception as exc:  # a bug must not take the service down: record it and go on
            internal = TrainerError(ErrorCode.INTERNAL, f"{type(exc).__name__}: {exc}", cause=exc)
            self._outcomes.put(RunOutcome(run, self._clock() - started, span, error=internal))

    def _wait_for_rows(self, pair: str, wanted_ms: int | None) -> pd.Timestamp | None:
        """The newest feature time; for a request, after waiting (up to REQUEST_DATA_WAIT) until the store
        holds the row of the minute it was made in. The feature store is written by its own consumer,
        so it can trail the alarm that led to the request; the run should see the data that caused it."""
        config = self.config
        newest = self._newest(config.database_url, pair, config.timeframe)
        if wanted_ms is None:
            return newest
        wanted = pd.Timestamp(wanted_ms, unit="ms", tz="UTC").floor(f"{config.timeframe.minutes}min")
        deadline = self._clock() + config.request_data_wait.total_seconds()
        if newest is None or newest < wanted:
            progress_module.progress(f"waiting for feature rows up to {iso(wanted)} (newest: {_iso_or_none(newest)})")
        while (newest is None or newest < wanted) and self._clock() < deadline:
            if self._stop_requested.wait(0.5):
                break
            newest = self._newest(config.database_url, pair, config.timeframe)
        if newest is None or newest < wanted:
            progress_module.progress(
                f"the feature store has rows up to {_iso_or_none(newest)} only, not {iso(wanted)}: training on them"
            )
        return newest

    def _collect(self) -> bool:
        """Handle the finished run, if any; True when one finished."""
        try:
            outcome = self._outcomes.get_nowait()
        except queue.Empty:
            return False
        run = outcome.run
        progress = self._progress
        if progress is not None:
            failed = outcome.error is not None
            progress.finished(ok=not failed, detail=f"failed: {outcome.error.code}" if outcome.error else "trained")
            self._show_progress()
            if self.log.live_status:
                self.log.status("")
        self._progress = None
        self.counters.set("model_trainer_run_in_progress", 0)
        if outcome.error is not None and outcome.error.retryable:
            if self._stop_requested.is_set():
                self.queue.finish()  # left uncommitted: redelivered to whoever consumes next
                self.log.warn("run failed while stopping; its requests stay uncommitted", **self._run_fields(outcome))
                return True
            delay = min(2.0 * 2**run.attempt, self.config.retry_max_delay.total_seconds())
            self.queue.retry_later(self._clock() + delay)
            self.counters.inc("model_trainer_runs_total", trigger=run.trigger.kind, outcome="retrying")
            self.log.warn("training run failed, retrying", retryInSeconds=delay, **self._run_fields(outcome))
            return True

        self.queue.finish()
        result = self._result_record(outcome)
        if outcome.error is not None:
            self.counters.inc("model_trainer_runs_total", trigger=run.trigger.kind, outcome="failed")
            for trigger in run.triggers:
                if trigger.message is not None:
                    self._dead_letter(
                        trigger.message, f"training failed: {outcome.error.code}: {outcome.error.message}"
                    )
            self.log.error("training run failed", **result)
            self._recent.appendleft(result)
        else:
            assert outcome.summary is not None
            self._record_trigger(outcome)
            for message in run.messages:
                self.offsets.done(message.partition, message.offset, message.generation)
            self.counters.inc("model_trainer_runs_total", trigger=run.trigger.kind, outcome="trained")
            self.counters.set("model_trainer_last_run_seconds", outcome.seconds, pair=run.pair)
            promoted = bool((outcome.summary.get("champion") or {}).get("promoted"))
            self.counters.set("model_trainer_last_run_promoted", 1 if promoted else 0, pair=run.pair)
            self.log.info(_headline(result), **result)
            self._recent.appendleft(result)  # after the tags, so /status readers find them in MLflow
        return True

    def _record_trigger(self, outcome: RunOutcome) -> None:
        summary, run = outcome.summary or {}, outcome.run
        requests = run.requests
        tags = {
            "trigger": run.trigger.kind,
            "trainer_run": str(run.run_id),
            "retrain_request_ids": ",".join(r.id for r in requests),
        }
        if requests:
            tags["retrain_requested_by"] = ",".join(sorted({r.requested_by for r in requests}))
            tags["retrain_reason"] = requests[0].reason[:500]
        try:
            self._tag(
                self.config.tracking_uri,
                str(summary["modelName"]),
                str(summary["version"]),
                str(summary["runId"]),
                {k: v for k, v in tags.items() if v},
            )
        except (TrainerError, KeyError) as error:
            self.log.warn("could not tag the model version with its trigger", error=str(error))

    def _run_fields(self, outcome: RunOutcome) -> dict[str, Any]:
        run = outcome.run
        fields: dict[str, Any] = {
            "run": run.run_id,
            "pair": run.pair,
            "trigger": run.trigger.kind,
            "requests": [r.id for r in run.requests],
            "attempt": run.attempt + 1,
            "seconds": round(outcome.seconds, 2),
            "span": None if outcome.span is None else str(outcome.span),
        }
        if outcome.error is not None:
            fields["error"] = outcome.error.to_json()
        return fields

    def _result_record(self, outcome: RunOutcome) -> dict[str, Any]:
        """The result log of one run: what triggered it, what it registered, and the champion decision."""
        record = self._run_fields(outcome)
        record["ok"] = outcome.error is None
        summary = outcome.summary
        if summary is not None:
            champion = summary.get("champion") or {}
            record |= {
                "modelName": summary.get("modelName"),
                "version": summary.get("version"),
                "mlflowRunId": summary.get("runId"),
                "champion": {
                    "decision": champion.get("decision"),
                    "promoted": champion.get("promoted"),
                    "reason": champion.get("reason"),
                },
                "aliases": summary.get("aliases"),
                "maeRatioVsNaive": {
                    h: (metrics.get("model") or {}).get("maeRatioVsNaive")
                    for h, metrics in (summary.get("test") or {}).items()
                },
                "rows": summary.get("rows"),
            }
        return record

    # -- progress and status --------------------------------------------------------------------

    def _on_progress_line(self, message: str) -> None:
        progress = self._progress
        if progress is None:
            self.log.info(message)
            return
        progress.update(message)

    def _show_progress(self) -> None:
        progress = self._progress
        if progress is None:
            return
        now = self._clock()
        if self.log.live_status:
            if now - self._last_progress_line >= 0.5:
                self.log.status(progress.bar())
                self._last_progress_line = now
            return
        transitions = progress.take_transitions()
        for snapshot in transitions:
            self.log.info("training progress", **snapshot)
        if transitions or now - self._last_progress_line >= self.config.progress_every.total_seconds():
            if not transitions:
                self.log.info("training progress", **progress.snapshot())
            self._last_progress_line = now

    def status(self) -> dict[str, Any]:
        progress = self._progress
        now = self._clock()
        return {
            "state": "stopping" if self._stop_requested.is_set() else "training" if progress else "idle",
            "running": None if progress is None else progress.snapshot(),
            "waiting": [
                {"run": r.run_id, "pair": r.pair, "triggers": [t.describe() for t in r.triggers], "attempt": r.attempt}
                for r in self.queue.waiting
            ],
            "nextScheduledInSeconds": self.schedule.seconds_until_due(now),
            "partitions": self._assigned_partitions,
            "openMessages": self.offsets.open_count(),
            "recentRuns": list(self._recent),
        }

    # -- shutdown -------------------------------------------------------------------------------

    def _shutdown(self) -> None:
        if self.queue.running is not None:
            grace = self.config.shutdown_grace.total_seconds()
            self.log.info("waiting for the run under way to finish", run=self.queue.running.run_id, graceSeconds=grace)
            deadline = self._clock() + grace
            while self.queue.running is not None and self._clock() < deadline:
                if not self._collect():
                    time.sleep(0.1)
                self._show_progress()
            if self.queue.running is not None:
                self.log.warn(
                    "run abandoned at shutdown; its requests stay uncommitted and will be redelivered",
                    run=self.queue.running.run_id,
                    pair=self.queue.running.pair,
                )
        self._deliver_letters()
        self._commit()
        self.kafka.close()
        self.log.info("model-trainer stopped", openMessages=self.offsets.open_count())


def _iso_or_none(time: pd.Timestamp | None) -> str:
    return "none" if time is None else iso(time)


def _headline(result: dict[str, Any]) -> str:
    champion = result.get("champion") or {}
    verdict = "promoted to champion" if champion.get("promoted") else "not promoted"
    return f"trained {result.get('modelName')} v{result.get('version')}: {verdict} ({champion.get('reason')})"


def _declare_counters(counters: Counters) -> Counters:
    counters.declare("model_trainer_runs_total", "counter", "Training runs by trigger and outcome")
    counters.declare("model_trainer_requests_total", "counter", "Retrain requests by what became of them")
    counters.declare("model_trainer_run_in_progress", "gauge", "1 while a training run is under way")
    counters.declare("model_trainer_last_run_seconds", "gauge", "Wall time of the last successful run")
    counters.declare("model_trainer_last_run_promoted", "gauge", "1 when the last run became champion")
    counters.set("model_trainer_run_in_progress", 0)
    return counters


def serve(config: ServeConfig) -> int:
    """The top-level handler: a failure the loop does not handle itself is logged, and the exit code says so."""
    service = TrainerService(config)
    try:
        return service.run()
    except Exception as exc:
        service.log.error("model-trainer crashed", error=f"{type(exc).__name__}: {exc}")
        return 1
