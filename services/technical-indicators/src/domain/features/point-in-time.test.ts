import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candle, FeatureRow } from '@crypto-predict/core';
import { loadFeatureSet } from '../../adapters/feature-config-file.js';
import { realCandles, SPANS } from '../../testing/real-candles.js';
import { INDICATOR_CATALOG } from '../indicators/catalog.js';
import { compileFeatureConfig, type FeatureSet } from './feature-config.js';
import { FeatureEngine } from './feature-engine.js';

/** Every line of every indicator in the catalog, with default parameters. */
const everything: FeatureSet = compileFeatureConfig({
  version: 1,
  timeframes: ['1m'],
  features: [...INDICATOR_CATALOG.values()].flatMap((spec) =>
    Object.keys(spec.lines).map((line) => ({
      name: `${spec.kind}_${line}`.toLowerCase(),
      indicator: spec.kind,
      line,
      allowScaleDependent: true,
    })),
  ),
});

function rowsOf(featureSet: FeatureSet, candles: readonly Candle[]): FeatureRow[] {
  const engine = new FeatureEngine(featureSet);
  return candles.flatMap((candle) => {
    const outcome = engine.apply(candle);
    return outcome.kind === 'rows' ? outcome.rows : [];
  });
}

/** A different future: the bar's prices, volumes and trade count all moved. */
function perturb(candle: Candle): Candle {
  const close = candle.close * 1.03;
  return {
    ...candle,
    close,
    high: Math.max(candle.high * 1.04, close),
    low: candle.low * 0.99,
    volume: candle.volume * 3 + 1,
    buyVolume: candle.buyVolume * 3 + 1,
    sellVolume: candle.sellVolume * 3,
    trades: candle.trades * 2 + 7,
    vwap: candle.vwap * 1.02,
  };
}

describe('point in time: a row never carries a value from a candle that closed after its time', () => {
  for (const [label, featureSet] of [
    ['the default feature set', loadFeatureSet()],
    [`every line of all ${INDICATOR_CATALOG.size} indicators`, everything],
  ] as const) {
    it(`holds for ${label}: changing candle k changes no row before k's close`, async () => {
      const candles = await realCandles(SPANS.volatile, 1600);
      const original = rowsOf(featureSet, candles);
      for (const k of [0, 1, 13, 40, 150, 700, 1500, 1599]) {
        const target = candles[k];
        assert.ok(target !== undefined);
        const future = candles.map((candle, i) => (i === k ? perturb(candle) : candle));
        const changed = rowsOf(featureSet, future);
        const before = (rows: FeatureRow[]) => rows.filter((row) => row.time < target.closeTime);
        assert.equal(before(original).length, k, `rows before candle ${k}'s close are the ${k} earlier ones`);
        assert.deepEqual(before(changed), before(original), `no row before candle ${k} closed depends on it`);
        assert.notDeepEqual(
          changed[k],
          original[k],
          `candle ${k} itself does change its own row (the test can see a change)`,
        );
      }
    });
  }
});
