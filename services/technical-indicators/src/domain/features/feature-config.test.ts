import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { AppError } from '@crypto-predict/core';
import { DEFAULT_FEATURES_CONFIG } from '../../adapters/feature-config-file.js';
import { INDICATOR_CATALOG } from '../indicators/catalog.js';
import { compileFeatureConfig } from './feature-config.js';

const defaultConfig = (): unknown => JSON.parse(readFileSync(DEFAULT_FEATURES_CONFIG, 'utf8'));

function problemsOf(config: unknown): string[] {
  try {
    compileFeatureConfig(config);
  } catch (error) {
    assert.ok(
      error instanceof AppError && error.code === 'CONFIG_INVALID',
      'a bad config is a CONFIG_INVALID AppError',
    );
    return (error.details.problems as string[] | undefined) ?? [];
  }
  return [];
}

describe('compileFeatureConfig', () => {
  it('compiles the default config into the features the trainer and the brief name', () => {
    const set = compileFeatureConfig(defaultConfig());
    const names = set.features.map((feature) => feature.name);
    for (const required of [
      'log_return_1',
      'log_return_5',
      'log_return_15',
      'volatility_30',
      'rsi_14',
      'macd_hist_pct',
      'ema_ratio_20',
      'bb_pctb_20',
      'bb_width_20',
      'natr_14',
      'taker_buy_ratio',
      'trade_count_z_60',
      'roc_10',
    ]) {
      assert.ok(names.includes(required), `the default set has ${required}`);
    }
    assert.deepEqual(set.timeframes, ['1m', '5m', '15m', '1h'], 'the default timeframes');
    assert.equal(new Set(names).size, names.length, 'names are unique');
  });

  it('makes the default set scale-free: every line is free of scale or transformed against the close', () => {
    const set = compileFeatureConfig(defaultConfig());
    for (const feature of set.features) {
      const scale = INDICATOR_CATALOG.get(feature.indicator)?.lines[feature.line];
      assert.ok(
        scale === 'free' || (scale === 'price' && feature.transform !== 'none'),
        `${feature.name} carries no price or volume level`,
      );
    }
  });

  it('expands parameter lists into one feature per value and shares indicator instances', () => {
    const set = compileFeatureConfig({
      version: 1,
      timeframes: ['1m'],
      features: [
        { name: 'rsi_{period}', indicator: 'rsi', params: { period: [7, 14, 21] } },
        { name: 'bb_pctb', indicator: 'bollinger', params: { period: 20 }, line: 'percentB' },
        { name: 'bb_width', indicator: 'bollinger', params: { period: 20 }, line: 'width' },
      ],
    });
    assert.deepEqual(
      set.features.map((f) => f.name),
      ['rsi_7', 'rsi_14', 'rsi_21', 'bb_pctb', 'bb_width'],
      'one feature per listed period, in order',
    );
    assert.equal(
      set.features[3]?.instanceKey,
      set.features[4]?.instanceKey,
      'two lines of one Bollinger share the instance',
    );
    assert.deepEqual(
      set.features[0]?.params,
      { period: 7, source: 'close', unstablePeriod: 0 },
      'defaults are filled in',
    );
  });

  it('lists every problem of a bad config at once', () => {
    const problems = problemsOf({
      version: 1,
      timeframes: ['1m'],
      features: [
        { name: 'a', indicator: 'no_such_indicator' },
        { name: 'b', indicator: 'rsi', params: { period: 1 } },
        { name: 'c', indicator: 'ema', params: { period: 20 } },
        { name: 'd', indicator: 'macd', line: 'nope' },
        { name: 'e', indicator: 'rsi', params: { period: [7, 14] } },
        { name: 'f', indicator: 'rsi', params: { lenght: 14 } },
        { name: 'g_{period}', indicator: 'obv' },
        { name: 'h', indicator: 'rsi', transform: 'divide_by_close' },
        { name: 'i', indicator: 'rsi', timeframes: ['5m'] },
        {
          name: 'j',
          indicator: 'macd',
          params: { fast: 30, slow: 10 },
          line: 'histogram',
          transform: 'divide_by_close',
        },
      ],
    });
    const expectations: [string, RegExp][] = [
      ['unknown indicator', /features\[0\].*unknown indicator "no_such_indicator"/],
      ['period out of range', /features\[1\].*params\.period/],
      ['a price level without transform', /features\[2\].*ema\.value is in price units/],
      ['an unknown line', /features\[3\].*has no line "nope"/],
      ['a duplicate name from a list without placeholder', /feature name e is defined more than once/],
      ['an unknown parameter', /features\[5\].*params/],
      ['a placeholder that is no parameter', /features\[6\].*placeholder/],
      ['a transform on a scale-free line', /features\[7\].*only applies to price-scaled lines/],
      ['a timeframe that is not configured', /features\[8\].*timeframe 5m is not among/],
      ['parameters the indicator rejects', /features\[9\].*fast \(30\) must be shorter than slow \(10\)/],
    ];
    for (const [what, pattern] of expectations) {
      assert.ok(
        problems.some((problem) => pattern.test(problem)),
        `${what} is reported (got:\n${problems.join('\n')})`,
      );
    }
  });

  it('reports schema errors with their paths', () => {
    const problems = problemsOf({ version: 2, timeframes: ['1x'], features: [] });
    assert.ok(
      problems.some((p) => p.startsWith('version')),
      'version is checked',
    );
    assert.ok(
      problems.some((p) => p.startsWith('timeframes.0')),
      'timeframes are checked',
    );
    assert.ok(
      problems.some((p) => p.startsWith('features')),
      'an empty feature list is refused',
    );
  });

  it('gives a different hash when anything that shapes the rows changes', () => {
    const base = { version: 1, timeframes: ['1m'], features: [{ name: 'rsi', indicator: 'rsi' }] };
    const hash = compileFeatureConfig(base).hash;
    assert.equal(compileFeatureConfig(structuredClone(base)).hash, hash, 'the same config, the same hash');
    assert.notEqual(
      compileFeatureConfig({ ...base, features: [{ name: 'rsi', indicator: 'rsi', params: { period: 15 } }] }).hash,
      hash,
      'a parameter changes it',
    );
    assert.notEqual(compileFeatureConfig({ ...base, gapFill: { maxBars: 5 } }).hash, hash, 'the gap policy changes it');
  });
});
