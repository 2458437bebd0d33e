import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, createMetricsRegistry, type Trade } from '@crypto-predict/core';
import { createMetrics } from '../metrics.js';
import { trade } from '../test-support/reference-candles.js';
import { runIngest } from './ingest.js';
import type { TradeSource } from './replay/trade-source.js';

const T0 = Date.UTC(2024, 0, 1);

async function* source(): TradeSource {
  await Promise.resolve();
  yield Array.from({ length: 5 }, (_, i) => trade(T0 + i, 100, 1));
  yield Array.from({ length: 3 }, (_, i) => trade(T0 + 100 + i, 100, 1));
}

describe('runIngest', () => {
  it('sends every trade in order, in batches no larger than asked, and sums up', async () => {
    const sent: Trade[][] = [];
    const summary = await runIngest({
      label: 'test',
      source: source(),
      send: async (trades) => {
        sent.push(trades); // the order batches are handed to the producer is the order on the topic
        await new Promise((resolve) => setTimeout(resolve, trades.length % 2));
      },
      batchSize: 2,
      speed: 0,
      progressIntervalMs: 1_000,
      log: createLogger('test', 'silent'),
      metrics: createMetrics(createMetricsRegistry('test')),
    });
    assert.deepEqual(
      sent.map((b) => b.length),
      [2, 2, 1, 2, 1],
      'batches of at most 2, split per source batch',
    );
    assert.deepEqual(
      sent.flat().map((t) => t.time - T0),
      [0, 1, 2, 3, 4, 100, 101, 102],
      'order is kept',
    );
    assert.equal(summary.sent, 8, 'all counted');
    assert.equal(summary.lastTradeTime, T0 + 102, 'the replay clock ends at the last trade');
  });

  it('fails when a send fails', async () => {
    await assert.rejects(
      runIngest({
        label: 'test',
        source: source(),
        send: () => Promise.reject(new Error('broker down')),
        batchSize: 2,
        speed: 0,
        progressIntervalMs: 1_000,
        log: createLogger('test', 'silent'),
        metrics: createMetrics(createMetricsRegistry('test')),
      }),
      /broker down/,
    );
  });
});
