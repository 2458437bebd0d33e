"""Every shared message schema, as exported from the zod definitions, accepts the golden samples
in packages/core/golden and refuses the invalid ones, so both languages agree on the wire format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

CORE = Path(__file__).resolve().parents[3] / "packages/core"
SCHEMAS = CORE / "json-schema"
GOLDEN = CORE / "golden"


def _schema_for(sample: Path) -> Draft202012Validator:
    name = sample.name.split(".")[0]
    path = SCHEMAS / f"{name}.schema.json"
    assert path.exists(), f"golden sample {sample.name} names no exported schema ({path.name})"
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


VALID = sorted(GOLDEN.glob("*.json"))
INVALID = sorted((GOLDEN / "invalid").glob("*.json"))


def test_there_are_samples_for_every_schema() -> None:
    names = {p.name.split(".")[0] for p in VALID}
    schemas = {p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json")}
    assert schemas and schemas <= names, f"schemas without a golden sample: {sorted(schemas - names)}"


@pytest.mark.parametrize("sample", VALID, ids=lambda p: p.name)
def test_golden_sample_is_valid(sample: Path) -> None:
    errors = list(_schema_for(sample).iter_errors(json.loads(sample.read_text())))
    assert not errors, f"{sample.name}: {[e.message for e in errors]}"


@pytest.mark.parametrize("sample", INVALID, ids=lambda p: p.name)
def test_invalid_sample_is_refused(sample: Path) -> None:
    errors = list(_schema_for(sample).iter_errors(json.loads(sample.read_text())))
    assert errors, f"{sample.name} must be refused by the JSON Schema too"
