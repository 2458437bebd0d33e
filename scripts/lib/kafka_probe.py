#!/usr/bin/env python3
"""Minimal Kafka readiness probe: ApiVersions + Metadata over the wire protocol.

Used by scripts/stack.sh so the health check is a real request to the broker
without needing the kafka-tools jars (not published for every version) or a
client library. Standard library only.

Usage: kafka_probe.py HOST:PORT [TIMEOUT_SECONDS]
Exit 0 and print "cluster=<id> controller=<id> brokers=<id@host:port,...>" when
the broker answers a Metadata request and lists at least one broker; exit 1
with a reason otherwise.
"""

from __future__ import annotations

import socket
import struct
import sys

API_METADATA = 3
API_VERSIONS = 18
# Metadata v4..v8 share the same non-flexible layout for what we read.
# (Kafka 4.x removed Metadata v0-v3.)
METADATA_VERSION = 4
CLIENT_ID = b"crypto-stack-probe"


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return value

    def string(self) -> str | None:
        length = self.take(">h")
        if length < 0:
            return None
        value = self.data[self.pos : self.pos + length].decode()
        self.pos += length
        return value


def request(sock: socket.socket, api_key: int, version: int, corr: int, body: bytes) -> Reader:
    # Request header v1: api_key, api_version, correlation_id, client_id.
    header = struct.pack(">hhih", api_key, version, corr, len(CLIENT_ID)) + CLIENT_ID
    payload = header + body
    sock.sendall(struct.pack(">i", len(payload)) + payload)
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    reader = Reader(recv_exact(sock, size))
    if reader.take(">i") != corr:
        raise RuntimeError("correlation id mismatch")
    return reader


def recv_exact(sock: socket.socket, size: int) -> bytes:
    chunks = []
    while size:
        chunk = sock.recv(size)
        if not chunk:
            raise RuntimeError("connection closed by broker")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def probe(host: str, port: int, timeout: float) -> str:
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.settimeout(timeout)
        # ApiVersions v0 (always supported, response header v0).
        api = request(sock, API_VERSIONS, 0, 1, b"")
        error = api.take(">h")
        if error:
            raise RuntimeError(f"ApiVersions error code {error}")
        ranges = {}
        for _ in range(api.take(">i")):
            key, lo, hi = api.take(">h"), api.take(">h"), api.take(">h")
            ranges[key] = (lo, hi)
        lo, hi = ranges.get(API_METADATA, (0, -1))
        if not lo <= METADATA_VERSION <= hi:
            raise RuntimeError(f"broker does not offer Metadata v{METADATA_VERSION} (has {lo}..{hi})")

        # Metadata v4: topics=null (all), allow_auto_topic_creation=false.
        meta = request(sock, API_METADATA, METADATA_VERSION, 2, struct.pack(">i?", -1, False))
        meta.take(">i")  # throttle_time_ms
        brokers = []
        for _ in range(meta.take(">i")):
            node_id = meta.take(">i")
            broker_host = meta.string()
            broker_port = meta.take(">i")
            meta.string()  # rack
            brokers.append(f"{node_id}@{broker_host}:{broker_port}")
        cluster_id = meta.string()
        controller_id = meta.take(">i")
        if not brokers:
            raise RuntimeError("metadata lists no brokers yet")
        return f"cluster={cluster_id} controller={controller_id} brokers={','.join(brokers)}"


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    host, _, port = sys.argv[1].rpartition(":")
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    try:
        print(probe(host or "127.0.0.1", int(port), timeout))
        return 0
    except (OSError, RuntimeError, struct.error) as exc:
        print(f"not ready: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
