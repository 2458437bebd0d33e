"""What the serve command shows people and machines: log lines (text on a TTY, JSON lines otherwise),
a run's progress (stage, %, elapsed), counters, and an ops HTTP server (/healthz, /readyz, /metrics,
/status) like the TypeScript services' ops servers."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO

SERVICE = "model-trainer"

_LEVELS = {"info": 30, "warn": 40, "error": 50}


class ServiceLog:
    """Log lines on one stream. JSON lines (pino's shape: level, time, service, msg, fields) when `json`,
    else short human lines; on a TTY a single status line (the run's progress) is redrawn in place."""

    def __init__(self, stream: TextIO, *, json_lines: bool, live_status: bool = False) -> None:
        self.stream = stream
        self.json_lines = json_lines
        # Re-entrant: the SIGTERM handler logs, and may run while the main thread holds the lock.
        self._lock = threading.RLock()
        # A redrawn progress line needs a terminal, and JSON lines must stay one object per line.
        self.live_status = live_status and not json_lines
        self._status = ""

    def info(self, msg: str, **fields: Any) -> None:
        self._write("info", msg, fields)

    def warn(self, msg: str, **fields: Any) -> None:
        self._write("warn", msg, fields)

    def error(self, msg: str, **fields: Any) -> None:
        self._write("error", msg, fields)

    def _write(self, level: str, msg: str, fields: Mapping[str, Any]) -> None:
        now = datetime.now(UTC)
        if self.json_lines:
            record = {
                "level": _LEVELS[level],
                "time": now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z",
                "service": SERVICE,
                "msg": msg,
                **fields,
            }
            line = json.dumps(record, default=str, allow_nan=False)
        else:
            extra = " ".join(f"{k}={_short(v)}" for k, v in fields.items())
            tag = "" if level == "info" else f"{level.upper()} "
            line = f"[{SERVICE} {now.strftime('%H:%M:%S')}] {tag}{msg}{' ' + extra if extra else ''}"
        with self._lock:
            if self._status:
                self.stream.write("\r\x1b[K")
            self.stream.write(line + "\n")
            if self._status:
                self.stream.write(self._status)
            self.stream.flush()

    def status(self, text: str) -> None:
        """Redraw the status line (TTY only); an empty text clears it."""
        with self._lock:
            self.stream.write("\r\x1b[K" + text)
            self._status = text
            self.stream.flush()


class LineWriter(io.TextIOBase):
    """A text stream that hands each complete line to `emit`: what libraries print (MLflow's run links,
    its logger) becomes log records, so JSON output stays one object per line."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        super().__init__()
        self._emit = emit
        self._buffer = ""
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._buffer += text
            *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            if line.strip():
                self._emit(line.rstrip())
        return len(text)


class ServiceLogHandler(logging.Handler):
    """Python logging records (librdkafka's, through confluent-kafka's `logger` setting) as log lines."""

    def __init__(self, log: ServiceLog) -> None:
        super().__init__()
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        level = "error" if record.levelno >= logging.ERROR else "warn" if record.levelno >= logging.WARNING else "info"
        getattr(self._log, level)(record.getMessage(), source=record.name)


def route_library_logs(writer: io.TextIOBase) -> list[tuple[logging.StreamHandler[Any], Any]]:
    """Point the stream handlers of the root and `mlflow` loggers at `writer`; returns what to restore."""
    changed: list[tuple[logging.StreamHandler[Any], Any]] = []
    for name in ("", "mlflow"):
        for handler in logging.getLogger(name).handlers:
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                previous = handler.setStream(writer)
                if previous is not None:
                    changed.append((handler, previous))
    return changed


def format_duration(value: timedelta) -> str:
    """A timedelta as the config writes it: 30d, 6h, 15m, 90s."""
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:197] + "..."


# Stages of a training run, recognised from the progress lines of train.py in the order it prints
# them, with the share of a run's wall time done when each starts. Fitting the candidates dominates
# (on 3 days of 1-minute rows with the default candidates, 16 of 16.4 s in the closed-loop test).
# A line that matches no milestone (e.g. one candidate's) is shown as the detail and moves the % a
# third of the way towards the next milestone, so a long stage still shows movement.
MILESTONES: tuple[tuple[str, re.Pattern[str], float], ...] = (
    ("connect", re.compile(r"^checking MLflow"), 0.01),
    ("load", re.compile(r"^loading "), 0.02),
    ("prepare", re.compile(r"usable rows"), 0.05),
    ("fit", re.compile(r"^split "), 0.06),
    ("export", re.compile(r"^ONNX "), 0.90),
    ("contract", re.compile(r"^contract "), 0.92),
    ("log", re.compile(r"^logging run"), 0.93),
    ("register", re.compile(r"^registered "), 0.96),
    ("decide", re.compile(r"^champion decision"), 0.99),
)


class RunProgress:
    """The progress of the run under way, fed by train()'s progress lines from the worker thread."""

    def __init__(self, *, run_id: int, pair: str, trigger: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.run_id = run_id
        self.pair = pair
        self.trigger = trigger
        self._clock = clock
        self.started = clock()
        self._lock = threading.Lock()
        self.stage = "span"
        self.fraction = 0.0
        self.detail = "resolving the training span"
        self._stage_index = -1
        self._transitions: list[dict[str, Any]] = [self._snapshot()]

    def update(self, message: str) -> None:
        with self._lock:
            for index, (stage, pattern, fraction) in enumerate(MILESTONES):
                if index > self._stage_index and pattern.search(message):
                    self._stage_index, self.stage, self.fraction = index, stage, fraction
                    self.detail = message
                    self._transitions.append(self._snapshot())
                    return
            else:
                following = MILESTONES[self._stage_index + 1][2] if self._stage_index + 1 < len(MILESTONES) else 1.0
                self.fraction += (following - self.fraction) / 3
            self.detail = message

    def finished(self, *, ok: bool, detail: str) -> None:
        with self._lock:
            self.stage, self.detail = ("done", detail) if ok else ("failed", detail)
            self.fraction = 1.0 if ok else self.fraction
            self._transitions.append(self._snapshot())

    def take_transitions(self) -> list[dict[str, Any]]:
        """Snapshots taken when the stage changed, since the last call: each gets its own log line,
        so a fast run still shows every stage it went through."""
        with self._lock:
            out, self._transitions = self._transitions, []
            return out

    def elapsed(self) -> float:
        return self._clock() - self.started

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return self._snapshot()

    def _snapshot(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "pair": self.pair,
            "trigger": self.trigger,
            "stage": self.stage,
            "percent": round(100 * self.fraction, 1),
            "elapsedSeconds": round(self.elapsed(), 1),
            "detail": self.detail,
        }

    def bar(self, width: int = 24) -> str:
        s = self.snapshot()
        filled = round(width * float(s["percent"]) / 100)
        return (
            f"[{SERVICE}] run {s['run']} {s['pair']} [{'#' * filled}{'.' * (width - filled)}] "
            f"{s['percent']:5.1f}%  {s['stage']:<8} {s['elapsedSeconds']:6.1f}s  {str(s['detail'])[:60]}"
        )


class Counters:
    """Prometheus counters and gauges, rendered as text at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        self._kinds: dict[str, tuple[str, str]] = {}

    def declare(self, name: str, kind: str, help_text: str) -> None:
        self._kinds[name] = (kind, help_text)

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def set(self, name: str, value: float, **labels: str) -> None:
        with self._lock:
            self._values[(name, tuple(sorted(labels.items())))] = value

    def render(self) -> str:
        lines: list[str] = []
        with self._lock:
            values = dict(self._values)
        for name, (kind, help_text) in self._kinds.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
            for (metric, labels), value in sorted(values.items()):
                if metric != name:
                    continue
                rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
                lines.append(f"{name}{{{rendered}}} {value:g}" if rendered else f"{name} {value:g}")
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class OpsServer:
    """/healthz (the process answers), /readyz (subscribed and assigned), /metrics, /status (JSON)."""

    def __init__(
        self,
        port: int,
        *,
        ready: Callable[[], bool],
        metrics: Callable[[], str],
        status: Callable[[], dict[str, Any]],
    ) -> None:
        routes: dict[str, Callable[[], tuple[int, str, str]]] = {
            "/healthz": lambda: (200, "application/json", '{"status":"ok"}'),
            "/readyz": lambda: (
                (200, "application/json", '{"ready":true}') if ready() else (503, "application/json", '{"ready":false}')
            ),
            "/metrics": lambda: (200, "text/plain; version=0.0.4", metrics()),
            "/status": lambda: (200, "application/json", json.dumps(status(), default=str)),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                route = routes.get(self.path.split("?")[0])
                code, kind, body = route() if route else (404, "application/json", '{"error":"not found"}')
                data = body.encode("utf-8")
                self.send_response(code)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return  # no access log

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="ops-server", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def is_tty(stream: TextIO = sys.stderr) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
