import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Prediction } from '@crypto-predict/core';
import { featureRow, fixtureContract, INTERVAL_SCALE } from '../test-support/fixtures.js';
import { modelPrediction, naivePrediction } from './predictions.js';

const model = { name: 'price-BTC-USDT-1m', version: '3', servedBy: 'champion' } as const;
const near = (actual: number, expected: number, what: string): void => {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.abs(expected), `${what} must be ${expected}, got ${actual}`);
};

describe('modelPrediction', () => {
  it('follows the contract rule: price close·exp(p), interval close·exp(p ± scale[h]·v)', () => {
    const row = featureRow(7);
    const p = 0.0012;
    const v = 0.0005;
    const prediction = modelPrediction({
      row,
      contract: fixtureContract(),
      horizon: 15,
      logReturn: p,
      volatility: v,
      model,
      createdAt: row.time + 5,
    });
    assert.ok(prediction !== null, 'a finite output must give a prediction');
    assert.ok(Prediction.safeParse(prediction).success, 'the prediction must satisfy the Prediction schema');
    const scale = INTERVAL_SCALE['15'] ?? Number.NaN;
    near(prediction.predictedPrice, row.close * Math.exp(p), 'predictedPrice');
    near(prediction.lower, row.close * Math.exp(p - scale * v), 'lower');
    near(prediction.upper, row.close * Math.exp(p + scale * v), 'upper');
    assert.equal(prediction.coverage, 0.9, 'coverage must be the contract coverage');
    assert.equal(prediction.targetTime, row.time + 15 * 60_000, 'targetTime must be featureTime + horizon minutes');
    assert.equal(prediction.id, `BTC-USDT:15:${row.time}:price-BTC-USDT-1m@3`, 'the id must be deterministic');
  });

  it('gives nothing for an output that is not finite or overflows', () => {
    const row = featureRow(0);
    const base = { row, contract: fixtureContract(), horizon: 1, volatility: 0.001, model, createdAt: row.time };
    assert.equal(modelPrediction({ ...base, logReturn: Number.NaN }), null);
    assert.equal(modelPrediction({ ...base, logReturn: 1e6 }), null);
  });
});

describe('naivePrediction', () => {
  it('carries the last close forward with a normal interval close·exp(±z·v·sqrt(h))', () => {
    const row = featureRow(3);
    const z = 1.6448536269514722;
    const prediction = naivePrediction({
      row,
      horizon: 60,
      volatility: 0.0004,
      z,
      coverage: 0.9,
      candleMinutes: 1,
      createdAt: row.time,
    });
    assert.ok(prediction !== null, 'a known volatility must give a naive prediction');
    assert.ok(Prediction.safeParse(prediction).success, 'the prediction must satisfy the Prediction schema');
    assert.equal(prediction.predictedLogReturn, 0);
    assert.equal(prediction.predictedPrice, row.close);
    near(prediction.lower, row.close * Math.exp(-z * 0.0004 * Math.sqrt(60)), 'lower');
    near(prediction.upper, row.close * Math.exp(z * 0.0004 * Math.sqrt(60)), 'upper');
    assert.deepEqual(prediction.model, { name: 'naive', version: '1', servedBy: 'naive' });
  });

  it('scales per-candle volatility to the horizon in candles', () => {
    const row = featureRow(3, { timeframe: '5m' });
    const prediction = naivePrediction({
      row,
      horizon: 15,
      volatility: 0.001,
      z: 2,
      coverage: 0.95,
      candleMinutes: 5,
      createdAt: row.time,
    });
    near(prediction?.upper ?? Number.NaN, row.close * Math.exp(2 * 0.001 * Math.sqrt(3)), 'upper');
  });

  it('gives nothing while the volatility is unknown', () => {
    const row = featureRow(0);
    assert.equal(
      naivePrediction({
        row,
        horizon: 1,
        volatility: null,
        z: 2,
        coverage: 0.9,
        candleMinutes: 1,
        createdAt: row.time,
      }),
      null,
    );
  });
});
