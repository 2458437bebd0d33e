from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support.candles import apply_feature_store_ddl
from support.servers import throwaway_mlflow, throwaway_postgres


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """DATABASE_URL when set (the stack's Postgres), else a throwaway cluster; DDL applied either way."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        apply_feature_store_ddl(configured)
        yield configured
        return
    with throwaway_postgres() as url:
        apply_feature_store_ddl(url)
        yield url


@pytest.fixture(scope="session")
def mlflow_uri() -> Iterator[str]:
    """MLFLOW_TRACKING_URI when set (the stack's server), else a throwaway `mlflow server`."""
    configured = os.environ.get("MLFLOW_TRACKING_URI")
    if configured:
        yield configured
        return
    with throwaway_mlflow() as uri:
        yield uri
