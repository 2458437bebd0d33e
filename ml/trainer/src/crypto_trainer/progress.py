"""Progress lines for people, on stderr; stdout is kept for the one JSON summary."""

from __future__ import annotations

import sys
from datetime import UTC, datetime


def progress(message: str) -> None:
    stamp = datetime.now(UTC).strftime("%H:%M:%S")
    print(f"[trainer {stamp}] {message}", file=sys.stderr, flush=True)
