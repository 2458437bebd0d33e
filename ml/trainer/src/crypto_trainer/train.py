"""The training run, top to bottom: frame -> targets -> split -> guard -> fit -> calibrate ->
evaluate -> ONNX -> contract -> MLflow -> champion gate.

`fit_and_evaluate` is pure (no database, no MLflow, the clock passed in) so tests can call it on
synthetic frames; `train` adds the feature store and the registry around it.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import champion as gate
from .baselines import ewma_drift_log_returns, naive_log_returns
from .contract import build_contract, validate_contract, write_contract
from .data import FeatureFrame, frame_sha256, load_feature_frame, select_features
from .errors import ErrorCode, TrainerError
from .intervals import conformal_scale
from .leakage import DEFAULT_MAX_ABS_CORR, LeakageFinding, assert_no_leakage
from .metrics import HorizonMetrics, horizon_metrics, price_mae
from .models import DEFAULT_CANDIDATES, CandidateSettings, FitData, FittedCandidate, check_candidates, fit_candidate
from .onnx_export import INPUT_NAME, OUTPUT_NAME, OnnxModel, finish_onnx, run_onnx, verify_onnx
from .progress import progress
from .reference import feature_reference
from .registry import CHALLENGER, CHAMPION, EXPERIMENT, ChampionArtifacts, ModelRegistry
from .splits import Span, WalkForwardSplit, early_stopping_split, iso, walk_forward_split
from .targets import log_return_targets, one_period_log_returns, target_column
from .timeframe import Timeframe, model_name_for

DEFAULT_HORIZONS = (1, 5, 15, 60)
# The 120-candle volatility keeps the conformal intervals' coverage within ~2-4 points of nominal in every
# volatility tercile on 2025 data; the 30-candle one under-covers calm hours (86 %) and over-covers busy
# ones (93 %) because short-window volatility mean-reverts (README, "Intervals").
DEFAULT_VOLATILITY_FEATURE = "volatility_120"


@dataclass(frozen=True)
class TrainConfig:
    pair: str
    timeframe: Timeframe
    start: pd.Timestamp
    end: pd.Timestamp
    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    coverage: float = 0.9
    features: tuple[str, ...] | None = None
    volatility_feature: str = DEFAULT_VOLATILITY_FEATURE
    alpha: float = 1.0
    candidates: tuple[str, ...] = DEFAULT_CANDIDATES
    settings: CandidateSettings = field(default_factory=CandidateSettings)
    # The end of the training split on which candidates that stop early (rounds, epochs) judge themselves.
    stop_fraction: float = 0.15
    fractions: tuple[float, float, float] = (0.70, 0.15, 0.15)
    leakage_max_abs_corr: float = DEFAULT_MAX_ABS_CORR
    experiment: str = EXPERIMENT
    onnx_input_type: str = "float64"
    min_rows_per_split: int = 30
    # A registered-model name other than the conventional one (tests and experiments use their own).
    model_name_override: str | None = None

    @property
    def model_name(self) -> str:
        return self.model_name_override or model_name_for(self.pair, self.timeframe)

    @property
    def purge(self) -> pd.Timedelta:
        return max(self.horizons) * self.timeframe.step


@dataclass(frozen=True)
class BaselineMetrics:
    naive: dict[int, HorizonMetrics]
    ewma: dict[int, HorizonMetrics]


@dataclass
class CandidateResult:
    """One fitted candidate, scored like the registered model would be."""

    kind: str
    model: FittedCandidate
    fit_seconds: float
    scales: dict[int, float]
    validation_metrics: dict[int, HorizonMetrics]
    test_metrics: dict[int, HorizonMetrics]
    onnx: OnnxModel
    onnx_max_abs_diff: float

    @property
    def validation_score(self) -> float:
        """Mean over horizons of the validation MAE ratio vs naive: the ratio puts horizons on one scale."""
        return float(np.mean([m.maeRatioVsNaive for m in self.validation_metrics.values()]))

    def to_json(self, selected: bool) -> dict[str, Any]:
        return {
            "selected": selected,
            "fitSeconds": round(self.fit_seconds, 3),
            "validationScore": self.validation_score,
            "validationMaeRatioVsNaive": {str(h): m.maeRatioVsNaive for h, m in self.validation_metrics.items()},
            "testMaeRatioVsNaive": {str(h): m.maeRatioVsNaive for h, m in self.test_metrics.items()},
            "testDirectionalAccuracy": {str(h): m.directionalAccuracy for h, m in self.test_metrics.items()},
            "testCoverage": {str(h): m.coverage for h, m in self.test_metrics.items()},
            "onnxMaxAbsDiff": self.onnx_max_abs_diff,
        }


@dataclass
class FittedModel:
    """Everything a run produces before it touches MLflow. `model` is the selected candidate."""

    config: TrainConfig
    features: tuple[str, ...]
    model: FittedCandidate
    usable: pd.DataFrame  # rows with every feature and target present, time-ordered
    labelled: pd.DataFrame  # all rows with every target present (nulls kept), for head-to-head scoring
    split: WalkForwardSplit
    scales: dict[int, float]
    validation_metrics: dict[int, HorizonMetrics]
    test_metrics: dict[int, HorizonMetrics]
    baselines: BaselineMetrics
    onnx: OnnxModel
    onnx_max_abs_diff: float
    leakage: list[LeakageFinding]
    contract: dict[str, Any]
    candidates: dict[str, CandidateResult] = field(default_factory=dict)
    fit_rows: int = 0
    stop_rows: int = 0
    dropped_rows: dict[str, int] = field(default_factory=dict)

    @property
    def model_kind(self) -> str:
        return self.model.kind

    @property
    def fit_seconds(self) -> float:
        return sum(c.fit_seconds for c in self.candidates.values())


def _matrix(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    return np.asarray(frame.loc[:, list(columns)].to_numpy(dtype=np.float64), dtype=np.float64)


def fit_and_evaluate(feature_frame: FeatureFrame, config: TrainConfig, *, now: datetime) -> FittedModel:
    horizons = config.horizons
    targets = [target_column(h) for h in horizons]
    features = select_features(feature_frame.feature_names, config.features, config.volatility_feature)
    frame = feature_frame.frame
    labelled = pd.concat([frame, log_return_targets(frame["time"], frame["close"], horizons, config.timeframe)], axis=1)
    # The EWMA baseline reads past closes only; computed on every row so warm-up rows still feed it.
    labelled["_ewma_r1"] = one_period_log_returns(frame["time"], frame["close"], config.timeframe)
    has_targets = labelled[targets].notna().all(axis=1)
    needed = list(dict.fromkeys([*features, config.volatility_feature]))
    has_features = labelled[needed].notna().all(axis=1)
    dropped = {
        "missingTarget": int((~has_targets).sum()),
        "nullFeature": int((has_targets & ~has_features).sum()),
    }
    ewma_all = ewma_drift_log_returns(labelled["_ewma_r1"].to_numpy(), horizons)
    usable = labelled.loc[has_targets & has_features].reset_index(drop=True)
    ewma_usable = ewma_all[(has_targets & has_features).to_numpy()]
    labelled = labelled.loc[has_targets].reset_index(drop=True)
    progress(
        f"{len(usable)} usable rows of {len(frame)} ({dropped['nullFeature']} with a null feature, "
        f"{dropped['missingTarget']} without every target); {len(features)} features"
    )
    if usable.empty:
        raise TrainerError(
            ErrorCode.TOO_FEW_ROWS, f"no row of {config.pair} {config.timeframe} has every feature and target"
        )

    split = walk_forward_split(usable["time"], config.purge, config.fractions, config.min_rows_per_split)
    progress(
        f"split train={len(split.train)} validation={len(split.validation)} test={len(split.test)} purge={config.purge}"
    )
    x = _matrix(usable, features)
    y = _matrix(usable, targets)
    close = usable["close"].to_numpy(dtype=np.float64)
    vol = usable[config.volatility_feature].to_numpy(dtype=np.float64)

    leakage = assert_no_leakage(x[split.train], y[split.train], features, horizons, config.leakage_max_abs_corr)
    kinds = check_candidates(config.candidates)
    fit_rows, stop_rows = early_stopping_split(usable["time"], split.train, config.purge, config.stop_fraction)
    data = FitData(x[fit_rows], y[fit_rows], x[stop_rows], y[stop_rows])
    settings = dataclasses.replace(config.settings, ridge_alpha=config.alpha)

    def evaluate(rows: np.ndarray, p: np.ndarray, scales: dict[int, float]) -> dict[int, HorizonMetrics]:
        return {
            h: horizon_metrics(close[rows], y[rows, j], p[:, j], vol[rows], scales[h]) for j, h in enumerate(horizons)
        }

    def calibrate(p_val: np.ndarray) -> dict[int, float]:
        val = split.validation
        return {h: conformal_scale(y[val, j], p_val[:, j], vol[val], config.coverage) for j, h in enumerate(horizons)}

    def ratios(metrics: dict[int, HorizonMetrics]) -> str:
        return " ".join(f"h{h}={m.maeRatioVsNaive:.4f}" for h, m in metrics.items())

    candidates: dict[str, CandidateResult] = {}
    for kind in kinds:
        progress(f"candidate {kind}: fitting on {len(fit_rows)} rows, stopping on {len(stop_rows)}")
        fit = fit_candidate(kind, data, settings)
        p_val, p_test = fit.model.predict(x[split.validation]), fit.model.predict(x[split.test])
        scales = calibrate(p_val)
        onnx_model = finish_onnx(fit.model.to_onnx(len(features), config.onnx_input_type), config.onnx_input_type)
        onnx_diff = verify_onnx(onnx_model, x[split.test], p_test, horizons)
        result = CandidateResult(
            kind=kind,
            model=fit.model,
            fit_seconds=fit.fit_seconds,
            scales=scales,
            validation_metrics=evaluate(split.validation, p_val, scales),
            test_metrics=evaluate(split.test, p_test, scales),
            onnx=onnx_model,
            onnx_max_abs_diff=onnx_diff,
        )
        candidates[kind] = result
        progress(
            f"candidate {kind}: {fit.fit_seconds:.1f} s; MAE ratio vs naive "
            f"validation {ratios(result.validation_metrics)} | test {ratios(result.test_metrics)}; "
            f"ONNX max abs diff {onnx_diff:.1e} on {len(split.test)} test rows"
        )
    # The candidate chosen on validation (never on test), so the test split still judges it fairly.
    best = min(candidates.values(), key=lambda c: c.validation_score)
    progress(f"selected {best.kind} (mean validation MAE ratio vs naive {best.validation_score:.5f})")
    scales, validation_metrics, test_metrics = best.scales, best.validation_metrics, best.test_metrics
    onnx_model, onnx_diff = best.onnx, best.onnx_max_abs_diff

    naive_val = naive_log_returns(len(split.validation), horizons)
    naive_test = naive_log_returns(len(split.test), horizons)
    ewma_val, ewma_test = ewma_usable[split.validation], ewma_usable[split.test]
    baselines = BaselineMetrics(
        naive=evaluate(split.test, naive_test, calibrate(naive_val)),
        ewma=evaluate(split.test, ewma_test, calibrate(ewma_val)),
    )

    data_hash = frame_sha256(usable, ["time", "close", *features, *targets])
    contract = build_contract(
        feature_schema_version=feature_frame.schema_version,
        model_name=config.model_name,
        model_kind=best.kind,
        pair=config.pair,
        timeframe=config.timeframe.text,
        horizons=horizons,
        features=features,
        onnx_input_type=onnx_model.input_type,
        onnx_input=INPUT_NAME,
        onnx_output=OUTPUT_NAME,
        coverage=config.coverage,
        volatility_feature=config.volatility_feature,
        scales=scales,
        training_span=Span(usable["time"].iloc[0], usable["time"].iloc[-1]),
        train=split.train_span,
        validation=split.validation_span,
        test=split.test_span,
        purge_minutes=config.purge.total_seconds() / 60,
        data_hash=data_hash,
        test_metrics=test_metrics,
        reference=feature_reference(x[split.train], features),
        created_at=now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    schema = validate_contract(contract)
    progress(f"contract validated against {schema}" if schema else "contract checked (no JSON Schema published yet)")
    return FittedModel(
        config=config,
        features=features,
        model=best.model,
        usable=usable,
        labelled=labelled,
        split=split,
        scales=scales,
        validation_metrics=validation_metrics,
        test_metrics=test_metrics,
        baselines=baselines,
        onnx=onnx_model,
        onnx_max_abs_diff=onnx_diff,
        leakage=leakage,
        contract=contract,
        candidates=candidates,
        fit_rows=len(fit_rows),
        stop_rows=len(stop_rows),
        dropped_rows=dropped,
    )


def head_to_head(
    fitted: FittedModel, champion_version: str, champion_contract: dict[str, Any], champion_onnx: bytes
) -> gate.HeadToHead:
    """Score the champion's ONNX and the challenger on the same rows of the challenger's test span."""
    span = fitted.split.test_span
    champion_features = [str(f) for f in champion_contract["features"]]
    needed = list(dict.fromkeys([*fitted.features, *champion_features]))
    frame = fitted.labelled
    rows = frame.loc[(frame["time"] >= span.start) & (frame["time"] <= span.end)].dropna(subset=needed)
    if rows.empty:
        raise TrainerError(ErrorCode.TOO_FEW_ROWS, "no test row has the features of both challenger and champion")
    horizons = fitted.config.horizons
    champion_horizons = [int(h) for h in champion_contract["horizons"]]
    y = _matrix(rows, [target_column(h) for h in horizons])
    close = rows["close"].to_numpy(dtype=np.float64)
    p_new = fitted.model.predict(_matrix(rows, fitted.features))
    p_champion_all = run_onnx(
        champion_onnx, _matrix(rows, champion_features), str(champion_contract["onnx"]["inputType"])
    )
    p_champion = p_champion_all[:, [champion_horizons.index(h) for h in horizons]]
    return gate.HeadToHead(
        champion_version=champion_version,
        rows=len(rows),
        champion_mae={h: price_mae(close, y[:, j], p_champion[:, j]) for j, h in enumerate(horizons)},
        challenger_mae={h: price_mae(close, y[:, j], p_new[:, j]) for j, h in enumerate(horizons)},
    )


def _run_metrics(fitted: FittedModel) -> dict[str, float]:
    out: dict[str, float] = {}
    for h in fitted.config.horizons:
        m, v = fitted.test_metrics[h], fitted.validation_metrics[h]
        out |= {
            f"test_mae_h{h}": m.mae,
            f"test_rmse_h{h}": m.rmse,
            f"test_mape_h{h}": m.mape,
            f"test_mae_ratio_vs_naive_h{h}": m.maeRatioVsNaive,
            f"test_directional_accuracy_h{h}": m.directionalAccuracy,
            f"test_coverage_h{h}": m.coverage,
            f"test_mean_width_pct_h{h}": m.meanWidthPct,
            f"test_mae_naive_h{h}": m.maeNaive,
            f"test_mae_ratio_ewma_vs_naive_h{h}": fitted.baselines.ewma[h].maeRatioVsNaive,
            f"test_mean_width_pct_naive_h{h}": fitted.baselines.naive[h].meanWidthPct,
            f"val_mae_ratio_vs_naive_h{h}": v.maeRatioVsNaive,
            f"val_coverage_h{h}": v.coverage,
            f"interval_scale_h{h}": fitted.scales[h],
        }
    out["onnx_max_abs_diff"] = fitted.onnx_max_abs_diff
    out["fit_seconds"] = fitted.fit_seconds
    for kind, c in fitted.candidates.items():
        out[f"cand_{kind}_fit_seconds"] = c.fit_seconds
        out[f"cand_{kind}_validation_score"] = c.validation_score
        out[f"cand_{kind}_onnx_max_abs_diff"] = c.onnx_max_abs_diff
        for h in fitted.config.horizons:
            m, v = c.test_metrics[h], c.validation_metrics[h]
            out |= {
                f"cand_{kind}_val_mae_ratio_vs_naive_h{h}": v.maeRatioVsNaive,
                f"cand_{kind}_test_mae_ratio_vs_naive_h{h}": m.maeRatioVsNaive,
                f"cand_{kind}_test_directional_accuracy_h{h}": m.directionalAccuracy,
                f"cand_{kind}_test_coverage_h{h}": m.coverage,
                f"cand_{kind}_test_mean_width_pct_h{h}": m.meanWidthPct,
            }
    out["leakage_max_abs_spearman"] = max((abs(f.spearman) for f in fitted.leakage), default=0.0)
    return out


def _run_params(fitted: FittedModel) -> dict[str, str | int | float]:
    c = fitted.config
    return {
        "pair": c.pair,
        "timeframe": c.timeframe.text,
        "span_from": iso(c.start),
        "span_to": iso(c.end),
        "horizons": ",".join(map(str, c.horizons)),
        "model_kind": fitted.model_kind,
        "candidates": ",".join(fitted.candidates),
        "alpha": c.alpha,
        "coverage": c.coverage,
        "volatility_feature": c.volatility_feature,
        "split_fractions": ",".join(map(str, c.fractions)),
        "purge_minutes": c.purge.total_seconds() / 60,
        "n_features": len(fitted.features),
        "rows_train": len(fitted.split.train),
        "rows_fit": fitted.fit_rows,
        "rows_stop": fitted.stop_rows,
        "rows_validation": len(fitted.split.validation),
        "rows_test": len(fitted.split.test),
        "rows_dropped_null_feature": fitted.dropped_rows.get("nullFeature", 0),
        "rows_dropped_missing_target": fitted.dropped_rows.get("missingTarget", 0),
        "leakage_max_abs_corr": c.leakage_max_abs_corr,
        "onnx_input_type": fitted.onnx.input_type,
        "feature_schema_version": int(fitted.contract["featureSchemaVersion"]),
    } | {
        f"cand_{kind}_{name}": value
        for kind, cand in fitted.candidates.items()
        for name, value in cand.model.params().items()
    }


def _compare_with_champion(
    registry: ModelRegistry, fitted: FittedModel
) -> tuple[ChampionArtifacts | None, gate.HeadToHead | None, str]:
    """The current champion, its head-to-head result when comparable, and why not when it is not."""
    config = fitted.config
    try:
        current = registry.champion(config.model_name)
    except TrainerError as error:
        if error.retryable:
            raise
        # Its artifacts are gone or unreadable: the predictor cannot load it either.
        return None, None, f"the current champion could not be loaded ({error.message}), so beating naive suffices"
    if current is None:
        return None, None, "no current champion"
    why_not = gate.incompatibility(
        current.contract,
        pair=config.pair,
        timeframe=config.timeframe.text,
        feature_schema_version=int(fitted.contract["featureSchemaVersion"]),
        horizons=config.horizons,
        available_features=list(fitted.labelled.columns),
    )
    if why_not is None:
        try:
            comparison = head_to_head(fitted, current.version, current.contract, current.onnx_bytes)
        except Exception as error:  # any failure to run the stored model (onnxruntime has its own exception types)
            why_not = f"its ONNX model could not be scored ({error})"
        else:
            return current, comparison, ""
    return (
        current,
        None,
        f"current champion v{current.version} is not comparable ({why_not}), so beating naive suffices",
    )


def train(config: TrainConfig, *, database_url: str, tracking_uri: str) -> dict[str, Any]:
    """Run end to end and return the JSON summary."""
    progress(f"checking MLflow at {tracking_uri}")
    registry = ModelRegistry(tracking_uri)
    span = f"[{iso(config.start)}, {iso(config.end)})"
    progress(f"loading {config.pair} {config.timeframe} {span} from the feature store")
    feature_frame = load_feature_frame(database_url, config.pair, config.timeframe, config.start, config.end)
    fitted = fit_and_evaluate(feature_frame, config, now=datetime.now(UTC))
    contract = fitted.contract

    with tempfile.TemporaryDirectory(prefix="crypto-trainer-") as tmp:
        model_dir = Path(tmp)
        fitted.onnx.save(model_dir / contract["onnx"]["file"])
        write_contract(contract, model_dir)
        progress(f"logging run to experiment {config.experiment}")
        run = registry.log_run(
            experiment=config.experiment,
            run_name=f"{config.model_name}-{contract['createdAt']}",
            params=_run_params(fitted),
            metrics=_run_metrics(fitted),
            tags={
                "data_hash": contract["dataHash"],
                "training_span": f"{contract['trainingSpan']['from']}/{contract['trainingSpan']['to']}",
                "features": ",".join(fitted.features),
                "model_name": config.model_name,
                "pair": config.pair,
                "timeframe": config.timeframe.text,
                "model_kind": fitted.model_kind,
            },
            model_dir=model_dir,
        )
    version = registry.register(
        config.model_name, run, tags={"data_hash": contract["dataHash"], "model_kind": fitted.model_kind}
    )
    progress(f"registered {config.model_name} v{version} from run {run.run_id}")

    registry.set_alias(config.model_name, CHALLENGER, version)
    _, comparison, no_comparison = _compare_with_champion(registry, fitted)
    ratios = {h: fitted.test_metrics[h].maeRatioVsNaive for h in config.horizons}
    decision = gate.decide(ratios, comparison, no_comparison)
    if decision.promote:
        registry.set_alias(config.model_name, CHAMPION, version)
    registry.record_decision(
        config.model_name,
        version,
        run.run_id,
        {"champion_decision": decision.tag_value, "champion_promoted": str(decision.promote).lower()},
    )
    progress(f"champion decision for v{version}: {decision.tag_value}")
    champion_version = registry.alias_version(config.model_name, CHAMPION)

    return {
        "ok": True,
        "runId": run.run_id,
        "experimentId": run.experiment_id,
        "modelName": config.model_name,
        "version": version,
        "modelUri": f"{run.artifact_uri}/model",
        "modelKind": fitted.model_kind,
        "fitSeconds": round(fitted.fit_seconds, 3),
        "candidates": {kind: c.to_json(kind == fitted.model_kind) for kind, c in fitted.candidates.items()},
        "aliases": {CHALLENGER: version, CHAMPION: champion_version},
        "champion": {"decision": decision.decision, "promoted": decision.promote, "reason": decision.reason},
        "headToHead": None
        if comparison is None
        else {
            "championVersion": comparison.champion_version,
            "rows": comparison.rows,
            "championMae": {str(h): v for h, v in comparison.champion_mae.items()},
            "challengerMae": {str(h): v for h, v in comparison.challenger_mae.items()},
        },
        "rows": {
            "train": len(fitted.split.train),
            "validation": len(fitted.split.validation),
            "test": len(fitted.split.test),
            "fit": fitted.fit_rows,
            "stop": fitted.stop_rows,
            **fitted.dropped_rows,
        },
        "splits": contract["splits"],
        "features": list(fitted.features),
        "dataHash": contract["dataHash"],
        "onnxMaxAbsDiff": fitted.onnx_max_abs_diff,
        "intervalScale": contract["intervals"]["scale"],
        "test": {
            str(h): {
                "model": fitted.test_metrics[h].to_json(),
                "naive": fitted.baselines.naive[h].to_json(),
                "ewma": fitted.baselines.ewma[h].to_json(),
            }
            for h in config.horizons
        },
    }
