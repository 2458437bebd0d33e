import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PredictionError } from '@crypto-predict/core';
import { candle, MINUTE, scorable, T0 } from '../testing/fixtures.js';
import { ActualJoiner, type JoinerOptions } from './actual-joiner.js';

const options: JoinerOptions = { graceMs: 5 * MINUTE, retentionMs: 48 * 60 * MINUTE, maxPendingPerPair: 1000 };
const TARGET = T0 + 5 * MINUTE;

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: expected ${expected}, got ${actual}`);
}

describe('ActualJoiner', () => {
  it('scores a prediction against the 1m close at featureTime + horizon, with hand-computed arithmetic', () => {
    const joiner = new ActualJoiner(options);
    // lastClose 100, predicted 101 (up), interval [99, 103]; the price fell to 80.
    const pending = joiner.addPrediction(scorable({ lastClose: 100, predictedPrice: 101, lower: 99, upper: 103 }));
    assert.equal(pending.resolutions.length, 0, 'no record before the target candle');
    assert.equal(pending.pending.length, 1, 'the prediction is pending and must be persisted');

    const result = joiner.addCandle(candle(TARGET, 80));
    assert.equal(result.resolutions.length, 1, 'the target candle resolves the prediction');
    const resolution = result.resolutions[0];
    assert.ok(resolution !== undefined);
    const record = resolution.record;
    assert.ok(PredictionError.safeParse(record).success, 'the record satisfies the PredictionError schema');
    assert.equal(record.status, 'scored');
    assert.equal(record.targetTime, TARGET);
    assert.equal(record.actualPrice, 80);
    assert.equal(record.error, 21, 'error = predicted − actual = 101 − 80');
    assert.equal(record.absError, 21);
    assert.equal(record.squaredError, 441);
    assert.equal(record.pctError, 26.25, 'pctError = 21 / 80 · 100');
    assert.equal(record.directionCorrect, false, 'predicted up, went down');
    assert.equal(record.inInterval, false, '80 is below the lower bound 99');
    assert.equal(record.naiveError, 20, 'naive error = lastClose − actual = 100 − 80');
    assert.equal(record.naiveAbsError, 20);
    assert.equal(record.scoredAt, TARGET, 'scoredAt is event time: the target time, when the actual became known');
    assert.equal(resolution.wasPending, true);
    assert.equal(resolution.kind, 'first');
  });

  it('gives the same record whichever of prediction and candle arrives first', () => {
    const a = new ActualJoiner(options);
    a.addPrediction(scorable());
    const predictionFirst = a.addCandle(candle(TARGET, 102)).resolutions.map((r) => r.record);

    const b = new ActualJoiner(options);
    b.addCandle(candle(TARGET, 102));
    const candleFirst = b.addPrediction(scorable()).resolutions.map((r) => r.record);

    assert.equal(candleFirst.length, 1, 'a prediction whose actual is cached is scored at once');
    assert.deepEqual(candleFirst, predictionFirst, 'the order of arrival does not change the record');
    const record = candleFirst[0];
    assert.ok(record !== undefined);
    close(record.error ?? Number.NaN, -1, 'error');
    close(record.pctError ?? Number.NaN, (-1 / 102) * 100, 'pctError');
    assert.equal(record.directionCorrect, true, 'predicted up and went up');
    assert.equal(record.inInterval, true, '102 is inside [99, 103]');
    assert.equal(record.naiveAbsError, 2);
  });

  it('ignores candles of other timeframes even when they close at the target time', () => {
    const joiner = new ActualJoiner(options);
    joiner.addPrediction(scorable());
    const result = joiner.addCandle(candle(TARGET, 90, { timeframe: '5m' }));
    assert.equal(result.skipped, 'not-1m');
    assert.equal(result.resolutions.length, 0, 'a 5m candle is not the actual');
    assert.equal(joiner.pendingCount('BTC/USDT'), 1, 'the prediction stays pending');
  });

  it('counts an empty-window candle (carrying the previous close) as the actual', () => {
    const joiner = new ActualJoiner(options);
    joiner.addPrediction(scorable());
    const result = joiner.addCandle(
      candle(TARGET, 100, { empty: true, volume: 0, trades: 0, buyVolume: 0, sellVolume: 0 }),
    );
    const record = result.resolutions[0]?.record;
    assert.equal(record?.status, 'scored', 'an empty window is a real price: no trade moved it');
    assert.equal(record?.actualPrice, 100);
    assert.equal(record?.directionCorrect, null, 'the price did not move, so there is no direction to get right');
    assert.equal(record?.naiveAbsError, 0);
  });

  it('marks direction null when the prediction itself is a flat move', () => {
    const joiner = new ActualJoiner(options);
    joiner.addCandle(candle(TARGET, 105));
    const record = joiner.addPrediction(scorable({ predictedPrice: 100, lastClose: 100 })).resolutions[0]?.record;
    assert.equal(record?.directionCorrect, null, 'a flat prediction has no direction');
    assert.equal(record?.error, -5);
  });

  it('resolves a prediction as actual-missing once the watermark passes target + grace, not before', () => {
    const joiner = new ActualJoiner(options);
    joiner.addPrediction(scorable());
    joiner.addCandle(candle(TARGET - MINUTE, 100));
    // The target candle never comes; later ones do.
    const atGrace = joiner.addCandle(candle(TARGET + 5 * MINUTE, 100));
    assert.equal(atGrace.resolutions.length, 0, 'at exactly target + grace the actual may still come');
    const passed = joiner.addCandle(candle(TARGET + 6 * MINUTE, 100));
    assert.equal(passed.resolutions.length, 1, 'past target + grace the actual is missing');
    const resolution = passed.resolutions[0];
    assert.equal(resolution?.cause, 'watermark');
    const record = resolution?.record;
    assert.equal(record?.status, 'actual-missing');
    assert.equal(record?.actualPrice, null);
    assert.equal(record?.error, null);
    assert.equal(record?.absError, null);
    assert.equal(record?.inInterval, null);
    assert.equal(record?.naiveError, null);
    assert.equal(record?.scoredAt, TARGET + 5 * MINUTE, 'scoredAt is the deadline that passed: target + grace');
    assert.ok(
      record !== undefined && PredictionError.safeParse(record).success,
      'a missing record satisfies the schema',
    );
    assert.equal(joiner.pendingCount('BTC/USDT'), 0);
  });

  it('records a late prediction whose target candle never came as actual-missing at once', () => {
    const joiner = new ActualJoiner(options);
    joiner.addCandle(candle(TARGET - MINUTE, 100));
    joiner.addCandle(candle(TARGET + 10 * MINUTE, 100));
    const result = joiner.addPrediction(scorable());
    assert.equal(result.resolutions[0]?.record.status, 'actual-missing');
    assert.equal(result.resolutions[0]?.overwrite, true);
    assert.equal(result.pending.length, 0, 'nothing is left pending');
  });

  it('re-scores an actual-missing prediction when its candle arrives late, overwriting by id', () => {
    const joiner = new ActualJoiner(options);
    joiner.addPrediction(scorable());
    joiner.addCandle(candle(TARGET + 10 * MINUTE, 100));
    const late = joiner.addCandle(candle(TARGET, 102));
    assert.equal(late.resolutions.length, 1);
    const resolution = late.resolutions[0];
    assert.equal(resolution?.kind, 'rescore');
    assert.equal(resolution?.cause, 'revision');
    assert.equal(resolution?.record.status, 'scored');
    assert.equal(resolution?.record.actualPrice, 102);
    assert.equal(resolution?.record.scoredAt, TARGET, 'a scored record is known at its target time');
  });

  it('re-scores on a revised candle whose close changed, and ignores same-close and older revisions', () => {
    const joiner = new ActualJoiner(options);
    joiner.addPrediction(scorable());
    joiner.addCandle(candle(TARGET, 102));

    const same = joiner.addCandle(candle(TARGET, 102, { revision: 1 }));
    assert.equal(same.resolutions.length, 0, 'a revision that keeps the close changes no score');

    const revised = joiner.addCandle(candle(TARGET, 104, { revision: 2 }));
    assert.equal(revised.resolutions.length, 1);
    assert.equal(revised.resolutions[0]?.kind, 'rescore');
    assert.equal(revised.resolutions[0]?.record.actualPrice, 104);
    assert.equal(revised.resolutions[0]?.record.error, -3);

    const older = joiner.addCandle(candle(TARGET, 90, { revision: 1 }));
    assert.equal(older.skipped, 'older-revision', 'an out-of-order older revision never wins');
    assert.equal(older.resolutions.length, 0);
  });

  it('does not score a re-delivered prediction twice', () => {
    const joiner = new ActualJoiner(options);
    joiner.addCandle(candle(TARGET, 102));
    assert.equal(joiner.addPrediction(scorable()).resolutions.length, 1);
    const again = joiner.addPrediction(scorable());
    assert.equal(again.skipped, 'duplicate-prediction');
    assert.equal(again.resolutions.length, 0, 'a replayed prediction yields no second record');

    const pendingTwice = new ActualJoiner(options);
    pendingTwice.addPrediction(scorable());
    pendingTwice.addPrediction(scorable());
    assert.equal(pendingTwice.pendingCount('BTC/USDT'), 1, 'a re-delivered pending prediction is held once');
    assert.equal(pendingTwice.addCandle(candle(TARGET, 102)).resolutions.length, 1);
  });

  it('resolves every horizon and model that targets the same candle', () => {
    const joiner = new ActualJoiner(options);
    joiner.addPrediction(scorable({ horizon: 1, featureTime: TARGET - MINUTE }));
    joiner.addPrediction(scorable({ horizon: 5, featureTime: TARGET - 5 * MINUTE }));
    joiner.addPrediction(
      scorable({
        horizon: 5,
        featureTime: TARGET - 5 * MINUTE,
        model: { name: 'naive', version: '0', servedBy: 'naive' },
      }),
    );
    joiner.addPrediction(scorable({ horizon: 15, featureTime: TARGET - 15 * MINUTE }));
    const result = joiner.addCandle(candle(TARGET, 101));
    assert.equal(result.resolutions.length, 4, 'one candle is the actual of all four');
    assert.ok(result.resolutions.every((r) => r.record.targetTime === TARGET));
  });

  it('keeps pairs apart: one pair’s candles never resolve another’s predictions', () => {
    const joiner = new ActualJoiner(options);
    joiner.addPrediction(scorable({ pair: 'ETH/USDT' }));
    joiner.addCandle(candle(TARGET, 101));
    joiner.addCandle(candle(TARGET + 60 * MINUTE, 101));
    assert.equal(joiner.pendingCount('ETH/USDT'), 1, 'a halted pair keeps its predictions pending');
    const eth = joiner.addCandle(candle(TARGET, 2000, { pair: 'ETH/USDT' }));
    assert.equal(eth.resolutions[0]?.record.actualPrice, 2000);
  });

  it('bounds the pending predictions of a halted pair, giving up on the oldest first', () => {
    const joiner = new ActualJoiner({ ...options, maxPendingPerPair: 3 });
    for (let minute = 0; minute < 3; minute += 1) {
      assert.equal(joiner.addPrediction(scorable({ featureTime: T0 + minute * MINUTE })).resolutions.length, 0);
    }
    const overflow = joiner.addPrediction(scorable({ featureTime: T0 + 3 * MINUTE }));
    assert.equal(overflow.resolutions.length, 1, 'the fourth pending prediction pushes out one');
    const evicted = overflow.resolutions[0];
    assert.equal(evicted?.cause, 'pending-limit');
    assert.equal(evicted?.record.featureTime, T0, 'the oldest target goes first');
    assert.equal(evicted?.record.status, 'actual-missing');
    assert.equal(evicted?.record.scoredAt, T0 + 3 * MINUTE, 'with no candles, event time is the prediction stream’s');
    assert.equal(overflow.pending.length, 1, 'the new prediction is pending');
    assert.equal(joiner.pendingCount('BTC/USDT'), 3);
  });

  it('records predictions older than the retention as missing without overwriting what may exist', () => {
    const joiner = new ActualJoiner({ ...options, retentionMs: 60 * MINUTE });
    joiner.addCandle(candle(TARGET + 3 * 60 * MINUTE, 100));
    const result = joiner.addPrediction(scorable());
    assert.equal(result.resolutions[0]?.cause, 'beyond-retention');
    assert.equal(result.resolutions[0]?.overwrite, false, 'a record that may have been scored must not be overwritten');
    assert.equal(joiner.addCandle(candle(TARGET, 99)).skipped, 'stale-candle', 'closes beyond retention are not kept');
  });

  it('restores from seeded state: cached closes score new predictions, seeded records are not repeated', () => {
    const joiner = new ActualJoiner(options);
    joiner.seedActual('BTC/USDT', TARGET, 102, 0);
    joiner.seedResolved(scorable({ featureTime: T0 - MINUTE, horizon: 6 }), 102);
    assert.equal(
      joiner.addPrediction(scorable({ featureTime: T0 - MINUTE, horizon: 6 })).skipped,
      'duplicate-prediction',
    );
    assert.equal(joiner.addPrediction(scorable()).resolutions[0]?.record.actualPrice, 102);
    assert.equal(joiner.watermark('BTC/USDT'), TARGET);
  });
});
