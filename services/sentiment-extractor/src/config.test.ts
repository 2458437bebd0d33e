import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@crypto-predict/core';
import { loadServiceConfig } from './config.js';

describe('config', () => {
  it('stores sentiment with the default aggregate settings', () => {
    const config = loadServiceConfig({});
    assert.equal(config.STORE, true, 'the store role is on by default');
    assert.deepEqual(config.sentimentSettings, { windows: ['1h', '4h', '24h'], halfLife: '1h', lagMs: 0 });
  });

  it('lists every problem of the sentiment aggregate settings at once', () => {
    assert.throws(
      () => loadServiceConfig({ SENTIMENT_WINDOWS: '1h,90s,1h', SENTIMENT_HALF_LIFE: 'soon' }),
      (error: unknown) =>
        error instanceof AppError &&
        /90s/.test(error.message) &&
        /repeated/.test(error.message) &&
        /soon/.test(error.message),
      'a bad window, a repeated window and a bad half-life are all reported',
    );
  });
});
