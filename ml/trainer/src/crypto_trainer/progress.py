"""Progress lines for people, on stderr; stdout is kept for the one JSON summary."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime

ProgressSink = Callable[[str], None]

# The `serve` command routes a run's progress into its own display (stage, %, elapsed) instead.
_sink: ProgressSink | None = None


def set_sink(sink: ProgressSink | None) -> ProgressSink | None:
    """Send progress messages to `sink` (None: back to stderr); returns the previous sink."""
    global _sink
    previous, _sink = _sink, sink
    return previous


def progress(message: str) -> None:
    sink = _sink
    if sink is not None:
        sink(message)
        return
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[trainer {stamp}] {message}", file=sys.stderr, flush=True)
