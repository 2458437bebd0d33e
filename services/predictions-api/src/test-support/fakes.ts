import { randomBytes } from 'node:crypto';
import { AppError, predictionId, type Prediction } from '@crypto-predict/core';
import type { ApiKeyRecord, KeyLookup } from '../adapters/api-key-store.js';
import type { PredictionFeed } from '../adapters/prediction-feed.js';
import type { HistoryPage, HistoryRequest, PerformanceRequest, PredictionStore } from '../adapters/prediction-store.js';
import { formatKey, hashKey } from '../domain/api-key.js';
import type { ErrorSums } from '../domain/performance.js';

/** Keys in memory, hashed as the real store hashes them; counts lookups. */
export class MemoryKeys implements KeyLookup {
  lookups = 0;
  private readonly records = new Map<string, ApiKeyRecord>();
  private nextId = 1;

  create(name: string): { id: number; key: string } {
    const key = formatKey(randomBytes(32));
    const id = this.nextId;
    this.nextId += 1;
    this.records.set(hashKey(key), { id, name, createdAt: new Date(), revokedAt: null });
    return { id, key };
  }

  revoke(id: number): void {
    for (const record of this.records.values()) if (record.id === id) record.revokedAt = new Date();
  }

  findByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    this.lookups += 1;
    const record = this.records.get(keyHash);
    return Promise.resolve(record === undefined ? null : { ...record });
  }
}

/** Predictions and error sums in memory, ordered and paged as Elasticsearch orders them: (featureTime, id). */
export class MemoryStore implements PredictionStore {
  predictions: Prediction[] = [];
  sums: ErrorSums[] = [];
  lastErrorRequest: PerformanceRequest | null = null;
  /** What newestScoredTarget answers (undefined: no scored prediction yet). */
  newestTarget: number | undefined = undefined;
  down = false;

  history(request: HistoryRequest): Promise<HistoryPage> {
    return this.answer(() => this.page(request));
  }

  private page(request: HistoryRequest): HistoryPage {
    const sign = request.order === 'asc' ? 1 : -1;
    const compare = (a: { featureTime: number; id: string }, b: { featureTime: number; id: string }): number =>
      sign * (a.featureTime - b.featureTime || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const cursor = request.cursor;
    const matching = this.predictions
      .filter((p) => p.pair === request.pair)
      .filter((p) => request.horizon === undefined || p.horizon === request.horizon)
      .filter((p) => request.from === undefined || p.featureTime >= request.from)
      .filter((p) => request.to === undefined || p.featureTime <= request.to)
      .sort(compare)
      .filter((p) => cursor === undefined || compare(p, cursor) > 0);
    const page = matching.slice(0, request.limit);
    const last = page.at(-1);
    return {
      predictions: page,
      next:
        matching.length > request.limit && last !== undefined ? { featureTime: last.featureTime, id: last.id } : null,
    };
  }

  latest(since: number): Promise<Prediction[]> {
    return this.answer(() => this.predictions.filter((p) => p.featureTime >= since));
  }

  errorSums(request: PerformanceRequest): Promise<ErrorSums[]> {
    return this.answer(() => {
      this.lastErrorRequest = request;
      return this.sums.filter((s) => request.horizon === undefined || s.horizon === request.horizon);
    });
  }

  newestScoredTarget(_pair: string, _horizon: number | undefined): Promise<number | undefined> {
    return this.answer(() => this.newestTarget);
  }

  ping(): Promise<boolean> {
    return Promise.resolve(!this.down);
  }

  /** Answers like a store: asynchronously, or with STORE_UNAVAILABLE while down. */
  private answer<T>(compute: () => T): Promise<T> {
    if (this.down) return Promise.reject(new AppError('STORE_UNAVAILABLE', 'memory store is down'));
    return Promise.resolve(compute());
  }
}

/** A feed the test pushes predictions into. */
export class ManualFeed implements PredictionFeed {
  private listener: ((prediction: Prediction) => void) | null = null;

  start(onPrediction: (prediction: Prediction) => void): Promise<void> {
    this.listener = onPrediction;
    return Promise.resolve();
  }

  push(prediction: Prediction): void {
    this.listener?.(prediction);
  }

  running(): boolean {
    return this.listener !== null;
  }

  stop(): Promise<void> {
    this.listener = null;
    return Promise.resolve();
  }
}

export const T0 = Date.UTC(2025, 0, 1);

/** A valid prediction at minute `minute` after T0. */
export function samplePrediction(minute: number, overrides: Partial<Prediction> = {}): Prediction {
  const base = {
    v: 1 as const,
    pair: 'BTC/USDT',
    timeframe: '1m',
    horizon: 5,
    featureTime: T0 + minute * 60_000,
    createdAt: T0 + minute * 60_000 + 150,
    lastClose: 93_000,
    predictedLogReturn: 0.0001,
    predictedPrice: 93_000 * Math.exp(0.0001),
    lower: 92_800,
    upper: 93_200,
    coverage: 0.9,
    model: { name: 'price-BTC-USDT-1m', version: '3', servedBy: 'champion' as const },
    ...overrides,
  };
  const targetTime = overrides.targetTime ?? base.featureTime + base.horizon * 60_000;
  return { ...base, targetTime, id: overrides.id ?? predictionId(base) };
}
