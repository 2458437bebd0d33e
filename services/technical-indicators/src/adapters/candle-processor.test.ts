import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, createLogger, type Candle, type FeatureRow } from '@crypto-predict/core';
import { FeatureEngine, type SeriesSnapshot } from '../domain/features/feature-engine.js';
import { realCandles, SPANS } from '../testing/real-candles.js';
import { CandleProcessor, type EngineStateStore } from './candle-processor.js';
import { loadFeatureSet } from './feature-config-file.js';

const featureSet = loadFeatureSet();
const log = createLogger('test', 'silent');

class MemoryState implements EngineStateStore {
  readonly snapshots = new Map<string, SeriesSnapshot>();
  readonly candles: Candle[] = [];
  failSaves = 0;

  save(snapshots: readonly SeriesSnapshot[], candles: readonly Candle[]): Promise<void> {
    if (this.failSaves > 0) {
      this.failSaves -= 1;
      return Promise.reject(new AppError('STORE_UNAVAILABLE', 'database down'));
    }
    for (const snapshot of snapshots)
      this.snapshots.set(`${snapshot.pair}|${snapshot.timeframe}`, structuredClone(snapshot));
    this.candles.push(...candles);
    return Promise.resolve();
  }

  recentCandles(pair: string, timeframe: string, before: number, limit: number): Promise<Candle[]> {
    return Promise.resolve(
      this.candles.filter((c) => c.pair === pair && c.timeframe === timeframe && c.openTime < before).slice(-limit),
    );
  }
}

describe('CandleProcessor', () => {
  it('rolls the engine back when publishing or saving fails, so the retried batch gives the same rows', async () => {
    const candles = await realCandles(SPANS.volatile, 300);
    const state = new MemoryState();
    const published: FeatureRow[] = [];
    let failPublish = 0;
    const processor = new CandleProcessor({
      engine: new FeatureEngine(featureSet),
      publish: (rows) => {
        if (failPublish > 0) {
          failPublish -= 1;
          return Promise.reject(new AppError('KAFKA_UNAVAILABLE', 'broker down'));
        }
        published.push(...rows);
        return Promise.resolve();
      },
      state,
      log,
      warmupCandles: 100,
      keepCandles: true,
    });
    for (let start = 0; start < candles.length; start += 50) {
      const batch = candles.slice(start, start + 50);
      if (start === 100) failPublish = 1;
      if (start === 200) state.failSaves = 1;
      for (;;) {
        try {
          await processor.handle(batch);
          break;
        } catch (error) {
          assert.ok(
            error instanceof AppError && error.retryable,
            'the failure is passed on as retryable, for the consumer to retry',
          );
        }
      }
    }
    const reference = new FeatureEngine(featureSet);
    const expected = candles.flatMap((candle) => {
      const outcome = reference.apply(candle);
      return outcome.kind === 'rows' ? outcome.rows : [];
    });
    // The batch whose save failed was published twice (at-least-once); the store's upsert absorbs it.
    const lastPerTime = [...new Map(published.map((row) => [row.time, row])).values()];
    assert.deepEqual(
      lastPerTime,
      expected,
      'after the retries the rows are exactly those of an engine that never failed',
    );
    assert.equal(published.length, 350, 'only the batch whose snapshot failed to save was published twice');
    assert.equal(
      state.snapshots.get('BTC/USDT|1m')?.lastOpenTime,
      candles.at(-1)?.openTime,
      'the saved snapshot is at the last candle',
    );
  });

  it('ignores candles of unconfigured timeframes without touching the engine', async () => {
    const candles = await realCandles(SPANS.volatile, 3);
    const engine = new FeatureEngine(featureSet);
    const processor = new CandleProcessor({
      engine,
      publish: () => Promise.resolve(),
      log,
      warmupCandles: 0,
      keepCandles: false,
    });
    assert.deepEqual(await processor.handle(candles.map((c) => ({ ...c, timeframe: '2h' }))), [], 'no rows');
    assert.deepEqual(engine.seriesKeys(), [], 'no series started');
  });
});
