import type { Prediction } from '@crypto-predict/core';

/** Whether `candidate` is newer than `current`: later feature time, then later creation. */
function isNewer(candidate: Prediction, current: Prediction): boolean {
  if (candidate.featureTime !== current.featureTime) return candidate.featureTime > current.featureTime;
  return candidate.createdAt > current.createdAt;
}

interface PairEntry {
  byHorizon: Map<number, Prediction>;
  /** Serialized answers (UTF-8), built on first read after a change: the hot path only writes bytes. */
  bodies: Map<number | 'all', Buffer>;
}

/**
 * The newest prediction per pair and horizon. Fed in any order (warm-up from the store, the live
 * topic, replays): an older prediction never replaces a newer one.
 */
export class LatestCache {
  private readonly pairs = new Map<string, PairEntry>();

  /** Offers a prediction; true when it became the latest of its pair and horizon. */
  offer(prediction: Prediction): boolean {
    let entry = this.pairs.get(prediction.pair);
    if (entry === undefined) {
      entry = { byHorizon: new Map(), bodies: new Map() };
      this.pairs.set(prediction.pair, entry);
    }
    const current = entry.byHorizon.get(prediction.horizon);
    if (current !== undefined && !isNewer(prediction, current)) return false;
    entry.byHorizon.set(prediction.horizon, prediction);
    entry.bodies.clear();
    return true;
  }

  /** The latest predictions of a pair, by horizon ascending; one horizon when given. */
  get(pair: string, horizon?: number): Prediction[] {
    const entry = this.pairs.get(pair);
    if (entry === undefined) return [];
    if (horizon !== undefined) {
      const prediction = entry.byHorizon.get(horizon);
      return prediction === undefined ? [] : [prediction];
    }
    return [...entry.byHorizon.values()].sort((a, b) => a.horizon - b.horizon);
  }

  /**
   * The JSON answer for a pair (and horizon) as UTF-8, or null when there is no prediction;
   * serialized and encoded once per change, whatever the number of readers.
   */
  body(pair: string, horizon?: number): Buffer | null {
    const entry = this.pairs.get(pair);
    if (entry === undefined) return null;
    const slot = horizon ?? 'all';
    const cached = entry.bodies.get(slot);
    if (cached !== undefined) return cached;
    const predictions = this.get(pair, horizon);
    if (predictions.length === 0) return null;
    const body = Buffer.from(JSON.stringify({ pair, predictions }), 'utf8');
    entry.bodies.set(slot, body);
    return body;
  }

  /** Every pair with its horizons and the newest feature time. */
  pairsSummary(): { pair: string; horizons: number[]; latestFeatureTime: number }[] {
    return [...this.pairs.entries()]
      .map(([pair, entry]) => {
        const predictions = [...entry.byHorizon.values()];
        return {
          pair,
          horizons: predictions.map((p) => p.horizon).sort((a, b) => a - b),
          latestFeatureTime: Math.max(...predictions.map((p) => p.featureTime)),
        };
      })
      .sort((a, b) => a.pair.localeCompare(b.pair));
  }

  size(): number {
    let count = 0;
    for (const entry of this.pairs.values()) count += entry.byHorizon.size;
    return count;
  }
}
