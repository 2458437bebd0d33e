"""The champion gate: when a freshly trained challenger becomes the serving champion.

Rules (all on the new run's held-out test split):
1. It must beat the naive last-price forecast on price MAE at every horizon (ratio < 1).
2. If a champion exists and is compatible (same pair, timeframe, feature schema version and target,
   its features available in the new frame, its horizons covering the new ones), the champion's own
   ONNX model is scored on the same test rows and the challenger must have a lower MAE at every horizon.
   Metrics in the champion's contract are from its own, older test span and are not comparable.
3. An incompatible champion cannot be compared, so beating naive is enough.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HeadToHead:
    """Both models scored on the same rows of the new test split."""

    champion_version: str
    rows: int
    champion_mae: Mapping[int, float]
    challenger_mae: Mapping[int, float]


@dataclass(frozen=True)
class ChampionDecision:
    promote: bool
    reason: str

    @property
    def decision(self) -> str:
        return "promoted" if self.promote else "not_promoted"

    @property
    def tag_value(self) -> str:
        return f"{self.decision}: {self.reason}"


def incompatibility(
    champion_contract: Mapping[str, Any],
    *,
    pair: str,
    timeframe: str,
    feature_schema_version: int,
    horizons: Sequence[int],
    available_features: Sequence[str],
) -> str | None:
    """Why the champion cannot be scored on the new test split, or None when it can."""
    checks = [
        (champion_contract.get("pair") == pair, f"pair {champion_contract.get('pair')} != {pair}"),
        (
            champion_contract.get("timeframe") == timeframe,
            f"timeframe {champion_contract.get('timeframe')} != {timeframe}",
        ),
        (
            champion_contract.get("featureSchemaVersion") == feature_schema_version,
            f"feature schema version {champion_contract.get('featureSchemaVersion')} != {feature_schema_version}",
        ),
        (champion_contract.get("target") == "log_return", f"target {champion_contract.get('target')}"),
    ]
    for ok, why in checks:
        if not ok:
            return why
    missing = [f for f in champion_contract.get("features", []) if f not in available_features]
    if missing:
        return f"its features {missing} are not in the new frame"
    champion_horizons = [int(h) for h in champion_contract.get("horizons", [])]
    uncovered = [h for h in horizons if h not in champion_horizons]
    if uncovered:
        return f"it does not predict horizons {uncovered}"
    if champion_contract.get("onnx", {}).get("inputType") not in ("float32", "float64"):
        return "unknown ONNX input type"
    return None


def decide(
    ratios_vs_naive: Mapping[int, float],
    head_to_head: HeadToHead | None,
    no_comparison_reason: str,
) -> ChampionDecision:
    ratios = ", ".join(f"h{h}={r:.4f}" for h, r in ratios_vs_naive.items())
    losing = [h for h, r in ratios_vs_naive.items() if not r < 1.0]
    if losing:
        return ChampionDecision(
            False, f"does not beat naive on test price MAE at horizons {losing} (MAE ratio vs naive {ratios})"
        )
    if head_to_head is None:
        return ChampionDecision(
            True, f"beats naive at every horizon (MAE ratio vs naive {ratios}); {no_comparison_reason}"
        )
    worse = [h for h in ratios_vs_naive if not head_to_head.challenger_mae[h] < head_to_head.champion_mae[h]]
    versus = ", ".join(
        f"h{h}={head_to_head.challenger_mae[h]:.4f}/{head_to_head.champion_mae[h]:.4f}" for h in ratios_vs_naive
    )
    where = f"champion v{head_to_head.champion_version} on {head_to_head.rows} rows of the new test split"
    if worse:
        return ChampionDecision(
            False, f"beats naive ({ratios}) but not {where} at horizons {worse} (MAE new/champion {versus})"
        )
    return ChampionDecision(True, f"beats naive ({ratios}) and {where} at every horizon (MAE new/champion {versus})")
