"""The serve command's queue of training runs, one at a time, deduplicated per pair. Pure.

A reason to train (a scheduled slot or a retrain request) for a pair whose run is under way joins
that run: it started moments ago on the same feature store, so a second run would fit the same model.
One queued for a pair that already waits joins the waiting run. Every joined trigger is answered when
the run it joined finishes (its message's offset is committed then).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

TriggerKind = Literal["schedule", "request"]
Submitted = Literal["queued", "joined-running", "joined-queued"]


@dataclass(frozen=True)
class RetrainRequest:
    """A validated `retrain-request` message (packages/core/src/schemas/retrain-request.ts)."""

    id: str
    pair: str
    timeframe: str
    reason: str
    requested_by: str
    time: int

    def to_json(self) -> dict[str, object]:
        return {
            "v": 1,
            "id": self.id,
            "pair": self.pair,
            "timeframe": self.timeframe,
            "reason": self.reason,
            "requestedBy": self.requested_by,
            "time": self.time,
        }


@dataclass(frozen=True)
class MessageRef:
    """Where a consumed message came from: enough to commit past it or dead-letter it."""

    topic: str
    partition: int
    offset: int
    key: str | None
    value: str | None
    # The consumer's assignment generation when it was received: offsets of an older generation are
    # not ours to commit any more (the partition may have moved to another instance meanwhile).
    generation: int = 0


@dataclass(frozen=True)
class Trigger:
    kind: TriggerKind
    received_at: float  # monotonic seconds
    request: RetrainRequest | None = None
    message: MessageRef | None = None

    def short(self) -> str:
        return "schedule" if self.request is None else f"request {self.request.id}"

    def describe(self) -> str:
        if self.request is None:
            return "schedule"
        return f"retrain request {self.request.id} from {self.request.requested_by}: {self.request.reason}"


@dataclass
class PlannedRun:
    run_id: int
    pair: str
    triggers: list[Trigger] = field(default_factory=list)
    attempt: int = 0
    not_before: float = 0.0  # monotonic; a retry waits for its backoff

    @property
    def trigger(self) -> Trigger:
        """What started this run (the first reason)."""
        return self.triggers[0]

    @property
    def requests(self) -> list[RetrainRequest]:
        return [t.request for t in self.triggers if t.request is not None]

    @property
    def messages(self) -> list[MessageRef]:
        return [t.message for t in self.triggers if t.message is not None]


class RunQueue:
    def __init__(self) -> None:
        self._waiting: list[PlannedRun] = []
        self.running: PlannedRun | None = None
        self._next_id = 1

    def submit(self, pair: str, trigger: Trigger) -> tuple[Submitted, PlannedRun]:
        if self.running is not None and self.running.pair == pair:
            self.running.triggers.append(trigger)
            return "joined-running", self.running
        for run in self._waiting:
            if run.pair == pair:
                run.triggers.append(trigger)
                return "joined-queued", run
        run = PlannedRun(self._next_id, pair, [trigger])
        self._next_id += 1
        self._waiting.append(run)
        return "queued", run

    def take(self, now: float) -> PlannedRun | None:
        """The oldest waiting run whose backoff has passed, now under way; None when busy or none is ready."""
        if self.running is not None:
            return None
        for i, run in enumerate(self._waiting):
            if run.not_before <= now:
                self.running = self._waiting.pop(i)
                return self.running
        return None

    def finish(self) -> PlannedRun:
        """The run under way is done (trained, or failed for good); it leaves the queue."""
        if self.running is None:
            raise RuntimeError("no run is under way")
        run, self.running = self.running, None
        return run

    def retry_later(self, not_before: float) -> PlannedRun:
        """The run under way failed in a way a retry may fix: it waits again, keeping its triggers."""
        run = self.finish()
        run.attempt += 1
        run.not_before = not_before
        for other in self._waiting:
            if other.pair == run.pair:  # cannot happen while it ran (triggers joined it), but keep one per pair
                run.triggers.extend(other.triggers)
                self._waiting.remove(other)
                break
        self._waiting.insert(0, run)
        return run

    @property
    def waiting(self) -> list[PlannedRun]:
        return list(self._waiting)

    def __len__(self) -> int:
        return len(self._waiting) + (1 if self.running is not None else 0)
