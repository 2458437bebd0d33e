"""`python -m crypto_trainer serve` against a real Kafka, PostgreSQL and MLflow server.

Kafka is the local stack's (KAFKA_BROKERS, default 127.0.0.1:19092); PostgreSQL and MLflow come from
the conftest fixtures (the stack's when DATABASE_URL / MLFLOW_TRACKING_URI are set, else throwaway
servers). Everything is unique to the test (pair, topic prefix, group, model) and removed after it.

Retrain requests are on the topic before the trainer starts: two for the pair, one that is not JSON,
one for a pair it does not train. One run must answer both requests, register exactly one new version
tagged with their ids and the champion decision, commit their offsets only after that (the log's order
shows it), dead-letter the other two with the reason, and stop cleanly on SIGTERM. (A request joining a
run already under way is timing-dependent here, so the unit tests cover it with a controlled trainer.)
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import string
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
import pytest
import requests
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from support.candles import binance_candles, delete_feature_rows, feature_rows_from_candles, insert_feature_rows
from support.servers import free_port

FROM, TO = "2024-03-01", "2024-03-05"
T = TypeVar("T")


def _wait(what: str, check: Callable[[], T | None], timeout_s: float, interval_s: float = 0.25) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value is not None:
            return value
        assert time.monotonic() < deadline, f"timed out after {timeout_s} s waiting for {what}"
        time.sleep(interval_s)


@pytest.fixture(scope="module")
def kafka_brokers() -> str:
    brokers = os.environ.get("KAFKA_BROKERS", "127.0.0.1:19092")
    try:
        AdminClient({"bootstrap.servers": brokers}).list_topics(timeout=10)
    except Exception as exc:
        pytest.fail(f"Kafka at {brokers} is not reachable (start it: bash scripts/stack.sh start): {exc}")
    return brokers


@pytest.fixture
def names(database_url: str, mlflow_uri: str, kafka_brokers: str) -> Iterator[dict[str, str]]:
    prefix = f"trainer-{uuid.uuid4().hex[:8]}"
    pair = "Z" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(7)) + "/USDT"
    topic = f"{prefix}.retrain-requests"
    admin = AdminClient({"bootstrap.servers": kafka_brokers})
    for future in admin.create_topics([NewTopic(topic, num_partitions=3)]).values():
        future.result(timeout=30)
    insert_feature_rows(database_url, feature_rows_from_candles(binance_candles(FROM, TO)), pair)
    yield {"prefix": prefix, "pair": pair, "topic": topic, "model": f"price-{prefix}", "group": f"{prefix}-trainer"}
    delete_feature_rows(database_url, pair)
    requests.delete(
        f"{mlflow_uri}/api/2.0/mlflow/registered-models/delete", json={"name": f"price-{prefix}"}, timeout=10
    )
    for future in admin.delete_topics([topic, f"{topic}.dlq"], operation_timeout=30).values():
        with contextlib.suppress(Exception):  # a topic the trainer never created
            future.result(timeout=30)


def _request(id_: str, pair: str) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "id": id_,
            "pair": pair,
            "timeframe": "1m",
            "reason": "sustained error drift (integration test)",
            "requestedBy": "test_service_integration",
            # Event time: the minute of the newest feature row (the trainer waits for the store to reach it).
            "time": int(pd.Timestamp(TO, tz="UTC").timestamp() * 1000),
        }
    ).encode()


def _committed_and_end(brokers: str, topic: str, group: str) -> tuple[int, int]:
    """Summed committed offsets of the group and summed end offsets over the topic's partitions."""
    consumer = Consumer({"bootstrap.servers": brokers, "group.id": group, "enable.auto.commit": False})
    try:
        partitions = [TopicPartition(topic, p) for p in range(3)]
        committed = consumer.committed(partitions, timeout=10)
        ends = [consumer.get_watermark_offsets(tp, timeout=10)[1] for tp in partitions]
        return sum(max(tp.offset, 0) for tp in committed), sum(ends)
    finally:
        consumer.close()


def _read_all(brokers: str, topic: str, count: int, timeout_s: float = 30) -> list[dict[str, Any]]:
    consumer = Consumer(
        {"bootstrap.servers": brokers, "group.id": f"reader-{uuid.uuid4().hex[:8]}", "auto.offset.reset": "earliest"}
    )
    out: list[dict[str, Any]] = []
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + timeout_s
        while len(out) < count and time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                out.append(json.loads(message.value() or b"null"))
    finally:
        consumer.close()
    return out


def test_serve_trains_on_retrain_requests_and_commits_after_the_run(
    names: dict[str, str], database_url: str, mlflow_uri: str, kafka_brokers: str, tmp_path: Path
) -> None:
    pair, topic = names["pair"], names["topic"]
    # The service joins CONSUMER_GROUP under the topic prefix, as it names its topics.
    group_id = f"{names['prefix']}.{names['group']}"
    producer = Producer({"bootstrap.servers": kafka_brokers})
    sent = [
        (b"{not json", pair.encode()),
        (_request("other-pair", "QQQQ/USDT"), b"QQQQ/USDT"),
        (_request("req-a", pair), pair.encode()),
        (_request("req-b", pair), pair.encode()),
    ]
    for value, key in sent:
        producer.produce(topic, value=value, key=key)
    assert producer.flush(10) == 0

    ops_port = free_port()
    env = {
        **os.environ,
        "KAFKA_BROKERS": kafka_brokers,
        "DATABASE_URL": database_url,
        "MLFLOW_TRACKING_URI": mlflow_uri,
        "TOPIC_PREFIX": names["prefix"],
        "CONSUMER_GROUP": names["group"],
        "PAIRS": pair,
        "MODEL_NAME": names["model"],
        "TRAIN_LOOKBACK": "4d",
        "VOLATILITY_FEATURE": "volatility_30",  # of the test feature set in support/candles.py
        "TRAIN_INTERVAL": "off",
        "OPS_PORT": str(ops_port),
        "LOG_FORMAT": "json",
        "PROGRESS_EVERY": "1s",
    }
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "crypto_trainer", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{ops_port}"

    def status() -> dict[str, Any] | None:
        assert process.poll() is None, f"serve exited early:\n{log_path.read_text()[-3000:]}"
        try:
            response = requests.get(f"{base}/status", timeout=2)
        except requests.RequestException:
            return None
        result: dict[str, Any] = response.json()
        return result

    try:
        finished = _wait("the run to finish", lambda: s if (s := status()) and s["recentRuns"] else None, 180)
        result = finished["recentRuns"][0]
        assert result["ok"] is True, result
        assert result["requests"] == ["req-a", "req-b"], "one run answers both requests of the pair"
        assert result["modelName"] == names["model"] and result["version"] == "1"
        assert result["champion"]["decision"] in ("promoted", "not_promoted") and result["champion"]["reason"]

        # Exactly one new version, tagged with what triggered it and the champion decision.
        versions = requests.get(
            f"{mlflow_uri}/api/2.0/mlflow/model-versions/search",
            params={"filter": f"name='{names['model']}'"},
            timeout=10,
        ).json()["model_versions"]
        assert [v["version"] for v in versions] == ["1"]
        tags = {t["key"]: t["value"] for t in versions[0]["tags"]}
        assert tags["trigger"] == "request" and tags["retrain_request_ids"] == "req-a,req-b"
        assert tags["champion_decision"] == f"{result['champion']['decision']}: {result['champion']['reason']}"
        champion = requests.get(
            f"{mlflow_uri}/api/2.0/mlflow/registered-models/alias",
            params={"name": names["model"], "alias": "champion"},
            timeout=10,
        )
        assert (champion.status_code == 200) == result["champion"]["promoted"], (
            "the champion alias follows the decision"
        )

        _wait(
            "every offset to be committed",
            lambda: True if (ce := _committed_and_end(kafka_brokers, topic, group_id))[0] == ce[1] else None,
            30,
        )
        letters = _read_all(kafka_brokers, f"{topic}.dlq", 2)
        by_value = {letter["value"]: letter for letter in letters}
        assert by_value["{not json"]["reason"].startswith("not JSON") and by_value["{not json"]["sourceTopic"] == topic
        other = next(letter for letter in letters if "QQQQ/USDT" in (letter["value"] or ""))
        assert "pair QQQQ/USDT is not trained here" in other["reason"] and other["service"] == "model-trainer"

        metrics = requests.get(f"{base}/metrics", timeout=5).text
        assert 'model_trainer_runs_total{outcome="trained",trigger="request"} 1' in metrics
        assert 'model_trainer_requests_total{outcome="dead_lettered"} 2' in metrics
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert code == 0, f"SIGTERM must stop serve cleanly:\n{log_path.read_text()[-3000:]}"

    lines = log_path.read_text().splitlines()
    assert all(line.startswith("{") for line in lines), "LOG_FORMAT=json: every line, libraries' too, is JSON"
    records = [json.loads(line) for line in lines]
    progress = [r for r in records if r.get("msg") == "training progress"]
    percents = [r["percent"] for r in progress]
    assert percents == sorted(percents) and percents[-1] == 100, f"progress moves forward to the end: {percents}"
    assert {"load", "fit", "register"} <= {r["stage"] for r in progress}
    assert all("elapsedSeconds" in r for r in progress)
    headline = [i for i, r in enumerate(records) if str(r.get("msg", "")).startswith("trained ")]
    assert len(headline) == 1 and records[headline[0]]["version"] == "1" and records[headline[0]]["champion"]["reason"]

    # The requests' partition is committed past them only after the run finished, never before.
    received = {r["id"]: r for r in records if r.get("msg") == "retrain request received"}
    partition, last = str(received["req-b"]["partition"]), received["req-b"]["offset"]
    assert received["req-a"]["partition"] == received["req-b"]["partition"], "one key, one partition"
    commits = [(i, r["offsets"][partition]) for i, r in enumerate(records) if partition in r.get("offsets", {})]
    assert commits, "the requests' partition was committed"
    assert all(i > headline[0] for i, offset in commits if offset > received["req-a"]["offset"]), commits
    assert commits[-1][1] == last + 1, "committed past the last request once it was answered"
    assert records[-1]["msg"] == "model-trainer stopped" and records[-1]["openMessages"] == 0
