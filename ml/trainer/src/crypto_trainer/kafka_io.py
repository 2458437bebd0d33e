"""Kafka for the serve command: `retrain-requests` in (validated against the shared JSON Schema),
dead letters out, offsets committed only when the caller says a message is done.

The pure parts (`parse_retrain_request`, `dead_letter`, `OffsetTracker`) are tested without a broker;
`KafkaIO` is the thin confluent-kafka layer around them. Dead letters have exactly the shape the
TypeScript consumers write (packages/core/src/schemas/dead-letter.ts) on `<topic>.dlq`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic
from jsonschema import Draft202012Validator

from .errors import ErrorCode, TrainerError
from .runs import RetrainRequest

SERVICE = "model-trainer"
RETRAIN_REQUESTS = "retrain-requests"
RETRAIN_REQUEST_PARTITIONS = 3  # as TOPICS.retrainRequests in packages/core/src/topics.ts
DEAD_LETTER_PARTITIONS = 1


def dead_letter_topic(topic: str) -> str:
    return f"{topic}.dlq"


def load_validator(schemas: Path, name: str) -> Draft202012Validator:
    path = schemas / f"{name}.schema.json"
    try:
        schema = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise TrainerError(ErrorCode.CONFIG, f"cannot read the JSON Schema {path}: {exc}", cause=exc) from exc
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


@dataclass(frozen=True)
class Invalid:
    reason: str


def parse_retrain_request(value: bytes | None, validator: Draft202012Validator) -> RetrainRequest | Invalid:
    """The message's request, or why it cannot be used (every failing field listed, as the TS side does)."""
    if value is None:
        return Invalid("message has no value")
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Invalid(f"not UTF-8: {exc}")
    try:
        message = json.loads(text)
    except ValueError as exc:
        return Invalid(f"not JSON: {exc}")
    errors = sorted(validator.iter_errors(message), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        problems = [f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}" for e in errors]
        return Invalid(f"schema: {'; '.join(problems)}")
    return RetrainRequest(
        id=str(message["id"]),
        pair=str(message["pair"]),
        timeframe=str(message["timeframe"]),
        reason=str(message["reason"]),
        requested_by=str(message["requestedBy"]),
        time=int(message["time"]),
    )


def dead_letter(
    *,
    source_topic: str,
    partition: int | None,
    offset: int | None,
    key: str | None,
    value: str | None,
    reason: str,
    time_ms: int,
) -> dict[str, Any]:
    """A `dead-letter` record: the original text kept with the reason, so nothing is lost silently."""
    return {
        "v": 1,
        "sourceTopic": source_topic,
        "partition": partition,
        "offset": None if offset is None else str(offset),
        "key": key,
        "value": value,
        "reason": reason,
        "service": SERVICE,
        "time": time_ms,
    }


def decode(raw: bytes | None) -> str | None:
    """Message text as the dead letter keeps it (UTF-8; undecodable bytes replaced rather than lost)."""
    return None if raw is None else raw.decode("utf-8", errors="replace")


class OffsetTracker:
    """Which offsets of each partition may be committed: everything below the oldest one still open.

    Messages finish out of order (a request for pair B may be answered before an earlier one for pair
    A), and a Kafka commit says "everything before this offset is done", so the commit point of a
    partition is its oldest unfinished offset, or one past the newest received when all are done.
    """

    def __init__(self) -> None:
        self._open: dict[int, set[int]] = {}
        self._next: dict[int, int] = {}
        self._committed: dict[int, int] = {}
        self._generation: dict[int, int] = {}

    def generation(self, partition: int) -> int:
        return self._generation.get(partition, 0)

    def received(self, partition: int, offset: int) -> int:
        """Track a message; returns the partition's generation to carry with it."""
        # The group's committed position is at most the first offset read after an assignment, so
        # committing that offset would change nothing: it is the baseline to move forward from.
        self._committed.setdefault(partition, offset)
        self._open.setdefault(partition, set()).add(offset)
        self._next[partition] = max(self._next.get(partition, 0), offset + 1)
        return self.generation(partition)

    def done(self, partition: int, offset: int, generation: int) -> None:
        """The message's output is durable. Ignored for a partition revoked since it was received."""
        if generation != self.generation(partition):
            return
        self._open.get(partition, set()).discard(offset)

    def to_commit(self) -> dict[int, int]:
        """Partition -> offset to commit (the next one to read), for partitions that moved forward."""
        out: dict[int, int] = {}
        for partition, next_offset in self._next.items():
            still_open = self._open.get(partition)
            target = min(still_open) if still_open else next_offset
            if target > self._committed.get(partition, -1):
                out[partition] = target
        return out

    def committed(self, offsets: Mapping[int, int]) -> None:
        for partition, offset in offsets.items():
            self._committed[partition] = max(self._committed.get(partition, -1), offset)

    def revoked(self, partitions: Iterable[int]) -> None:
        """Forget partitions this consumer no longer owns; their open messages will be read again elsewhere."""
        for partition in partitions:
            self._generation[partition] = self.generation(partition) + 1
            self._open.pop(partition, None)
            self._next.pop(partition, None)
            self._committed.pop(partition, None)

    def open_count(self) -> int:
        return sum(len(offsets) for offsets in self._open.values())


class KafkaIO:
    """One consumer of `<prefix>.retrain-requests` (manual commits) and one idempotent producer."""

    def __init__(
        self,
        *,
        brokers: str,
        topic: str,
        group: str,
        on_assign: Callable[[list[int]], None],
        on_revoke: Callable[[list[int]], None],
        on_error: Callable[[str], None],
        logger: logging.Logger | None = None,
    ) -> None:
        self.topic = topic
        self.brokers = brokers
        self._on_assign = on_assign
        self._on_revoke = on_revoke
        self._on_error = on_error
        self._logger = logger

        def error_cb(error: KafkaError) -> None:
            on_error(f"{error.name()}: {error.str()}")

        self.consumer = Consumer(
            {
                "bootstrap.servers": brokers,
                "group.id": group,
                "client.id": SERVICE,
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                # The main loop keeps polling while a run trains in its own thread, so this is never
                # reached by a long run; it only catches a stuck process.
                "max.poll.interval.ms": 300_000,
                "error_cb": error_cb,
                **({} if logger is None else {"logger": logger}),
            }
        )
        self.producer = Producer(
            {
                "bootstrap.servers": brokers,
                "client.id": SERVICE,
                "enable.idempotence": True,
                "acks": "all",
                "linger.ms": 5,
                "error_cb": error_cb,
                **({} if logger is None else {"logger": logger}),
            }
        )

    def ensure_topics(self, timeout_s: float = 30.0) -> None:
        """Create the topic and its dead-letter topic when missing (existing ones are left alone)."""
        settings: dict[str, Any] = {"bootstrap.servers": self.brokers, "client.id": SERVICE}
        if self._logger is not None:
            settings["logger"] = self._logger
        admin = AdminClient(settings)
        wanted = [
            NewTopic(self.topic, num_partitions=RETRAIN_REQUEST_PARTITIONS),
            NewTopic(dead_letter_topic(self.topic), num_partitions=DEAD_LETTER_PARTITIONS),
        ]
        try:
            existing = set(admin.list_topics(timeout=timeout_s).topics)
        except KafkaException as exc:
            raise TrainerError(
                ErrorCode.KAFKA_UNAVAILABLE, f"cannot reach Kafka at {self.brokers}: {exc}", cause=exc
            ) from exc
        missing = [t for t in wanted if t.topic not in existing]
        if not missing:
            return
        for name, future in admin.create_topics(missing, operation_timeout=timeout_s).items():
            try:
                future.result(timeout=timeout_s)
            except KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue
                raise TrainerError(
                    ErrorCode.KAFKA_UNAVAILABLE, f"cannot create topic {name}: {exc}", cause=exc
                ) from exc

    def subscribe(self) -> None:
        def assigned(_: Consumer, partitions: list[TopicPartition]) -> None:
            self._on_assign([p.partition for p in partitions])

        def revoked(_: Consumer, partitions: list[TopicPartition]) -> None:
            self._on_revoke([p.partition for p in partitions])

        self.consumer.subscribe([self.topic], on_assign=assigned, on_revoke=revoked, on_lost=revoked)

    def poll(self, max_messages: int, timeout_s: float) -> list[Message]:
        """Messages of the topic (errors are reported through on_error, not returned)."""
        messages = self.consumer.consume(num_messages=max_messages, timeout=timeout_s)
        good: list[Message] = []
        for message in messages:
            error = message.error()
            if error is None:
                good.append(message)
            elif error.code() != KafkaError._PARTITION_EOF:
                # A fetch error of one partition; librdkafka retries it, we only make it visible.
                self._on_error(f"{error.name()}: {error.str()}")
        return good

    def send_dead_letters(self, letters: list[dict[str, Any]], timeout_s: float = 10.0) -> None:
        """Produce every letter to its source topic's `.dlq` and wait until the broker has them all."""
        failures: list[str] = []

        def delivered(error: KafkaError | None, _: Message) -> None:
            if error is not None:
                failures.append(str(error))

        for letter in letters:
            key = letter["key"]
            self.producer.produce(
                dead_letter_topic(str(letter["sourceTopic"])),
                value=json.dumps(letter, allow_nan=False).encode("utf-8"),
                key=None if key is None else str(key).encode("utf-8"),
                on_delivery=delivered,
            )
        remaining = self.producer.flush(timeout_s)
        if failures or remaining:
            raise TrainerError(
                ErrorCode.KAFKA_UNAVAILABLE,
                f"dead letters not delivered ({remaining} pending): {'; '.join(failures[:3]) or 'timed out'}",
            )

    def commit(self, offsets: Mapping[int, int]) -> None:
        if not offsets:
            return
        try:
            self.consumer.commit(
                offsets=[TopicPartition(self.topic, partition, offset) for partition, offset in offsets.items()],
                asynchronous=False,
            )
        except KafkaException as exc:
            raise TrainerError(ErrorCode.KAFKA_UNAVAILABLE, f"offset commit failed: {exc}", cause=exc) from exc

    def close(self) -> None:
        """Leave the group (a prompt rebalance for the others) and flush what is still queued."""
        try:
            self.consumer.close()
        finally:
            self.producer.flush(10)
