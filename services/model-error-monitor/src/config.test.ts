import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@crypto-predict/core';
import { loadMonitorConfig, modelNameFor } from './config.js';

describe('monitor config', () => {
  it('has working defaults', () => {
    const config = loadMonitorConfig({});
    assert.equal(config.OPS_PORT, 9107);
    assert.equal(config.ACTUAL_GRACE_MS, 300_000);
    assert.deepEqual(config.METRIC_WINDOWS, [3_600_000, 86_400_000, 604_800_000], '1h, 24h, 7d');
    assert.deepEqual(config.PAIRS, ['BTC/USDT']);
    assert.equal(config.ALERT_WEBHOOK_URL, undefined);
    assert.equal(modelNameFor(config, 'ETH/USDT'), 'price-ETH-USDT-1m', 'model names follow the trainer');
  });

  it('reads windows, pairs and * for every pair', () => {
    const config = loadMonitorConfig({ METRIC_WINDOWS: '15m,6h', PAIRS: 'BTC/USDT, ETH/USDT' });
    assert.deepEqual(config.METRIC_WINDOWS, [900_000, 21_600_000]);
    assert.deepEqual(config.PAIRS, ['BTC/USDT', 'ETH/USDT']);
    assert.equal(loadMonitorConfig({ PAIRS: '*' }).PAIRS, null);
  });

  it('lists every problem at once', () => {
    assert.throws(
      () =>
        loadMonitorConfig({
          METRIC_WINDOWS: '1h,soon',
          PAIRS: 'btc',
          ACTUAL_GRACE_MS: '-1',
          ALERT_WEBHOOK_URL: 'not a url',
        }),
      (error: unknown) =>
        error instanceof AppError &&
        error.code === 'CONFIG_INVALID' &&
        /METRIC_WINDOWS/.test(error.message) &&
        /PAIRS/.test(error.message) &&
        /ACTUAL_GRACE_MS/.test(error.message) &&
        /ALERT_WEBHOOK_URL/.test(error.message),
    );
  });

  it('refuses a retention no longer than the grace period', () => {
    assert.throws(
      () => loadMonitorConfig({ ACTUAL_GRACE_MS: '600000', ACTUALS_RETENTION_MS: '600000' }),
      /ACTUALS_RETENTION_MS/,
    );
  });
});
