import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDashboardConfig } from './config.js';

describe('loadDashboardConfig', () => {
  it('has defaults for everything', () => {
    const config = loadDashboardConfig({});
    assert.equal(config.PORT, 8088);
    assert.equal(config.OPS_PORT, 9108);
    assert.deepEqual(config.PAIRS, ['BTC/USDT']);
    assert.deepEqual(config.HORIZONS, [1, 5, 15, 60]);
    assert.equal(config.HISTORY_SPAN, 86_400_000);
    assert.equal(config.METRIC_WINDOW, 3_600_000);
    assert.equal(config.METRIC_STEP, 300_000);
    assert.equal(config.TOPIC_PREFIX, '');
  });

  it('reads lists, durations and * for every pair', () => {
    const config = loadDashboardConfig({ PAIRS: '*', HORIZONS: '5, 60', HISTORY_SPAN: '6h', METRIC_WINDOW: '30m' });
    assert.equal(config.PAIRS, null);
    assert.deepEqual(config.HORIZONS, [5, 60]);
    assert.equal(config.HISTORY_SPAN, 6 * 3_600_000);
    assert.equal(config.METRIC_WINDOW, 30 * 60_000);
  });

  it('lists every problem at once', () => {
    assert.throws(
      () =>
        loadDashboardConfig({
          PORT: 'eighty',
          PAIRS: 'btc',
          HORIZONS: '1,1',
          HISTORY_SPAN: 'a day',
          POLL_MS: '10',
        }),
      (error: Error) => {
        for (const name of ['PORT', 'PAIRS', 'HORIZONS', 'HISTORY_SPAN', 'POLL_MS']) {
          assert.match(error.message, new RegExp(`- ${name}[.:]`), `${name} is reported`);
        }
        return true;
      },
    );
  });

  it('refuses a metric window longer than the history', () => {
    assert.throws(() => loadDashboardConfig({ HISTORY_SPAN: '1h', METRIC_WINDOW: '2h' }), /METRIC_WINDOW/);
  });
});
