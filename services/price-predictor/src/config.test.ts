import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultModelName, loadPredictorConfig } from './config.js';

describe('price-predictor config', () => {
  it('has working defaults', () => {
    const config = loadPredictorConfig({});
    assert.deepEqual(config.PAIRS, ['BTC/USDT']);
    assert.deepEqual(config.HORIZONS, [1, 5, 15, 60]);
    assert.equal(config.MODEL_ALIAS, 'champion');
    assert.equal(config.MODEL_POLL_MS, 30_000);
    assert.equal(config.COVERAGE, 0.9);
    assert.equal(config.OPS_PORT, 9105);
    assert.equal(config.MODEL_CACHE_DIR, '.data/models');
  });

  it('derives the registered model name from pair and timeframe', () => {
    assert.equal(defaultModelName('BTC/USDT', '1m'), 'price-BTC-USDT-1m');
  });

  it('lists every bad setting at once', () => {
    assert.throws(
      () => loadPredictorConfig({ HORIZONS: '1,x', COVERAGE: '1.5', PAIRS: 'btc-usdt', MODEL_VERSION: 'latest' }),
      (error: unknown) =>
        error instanceof Error &&
        ['HORIZONS', 'COVERAGE', 'PAIRS', 'MODEL_VERSION'].every((name) => error.message.includes(name)),
    );
  });

  it('refuses one MODEL_NAME for several pairs', () => {
    assert.throws(
      () => loadPredictorConfig({ PAIRS: 'BTC/USDT,ETH/USDT', MODEL_NAME: 'price-BTC-USDT-1m' }),
      /MODEL_NAME/,
    );
  });
});
