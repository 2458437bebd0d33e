import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alert, candle, MINUTE, predictAndScore, sentiment, T0 } from '../testing/market.js';
import { MarketHistory } from './market-history.js';
import { sentimentBuckets } from './sentiment-series.js';
import { buildSnapshot, pairSummaries } from './snapshot.js';

const HOUR = 60 * MINUTE;
const options = { windowMs: HOUR, stepMs: 5 * MINUTE, sentimentBucketMs: HOUR, maxAlerts: 3, maxSentimentItems: 2 };

function filled(): MarketHistory {
  const history = new MarketHistory({
    retentionMs: 24 * HOUR,
    timeframe: '1m',
    timeframeMs: MINUTE,
    horizons: [1, 5, 15, 60],
    pairs: ['BTC/USDT'],
    maxPairs: 5,
    maxAlertsPerPair: 100,
    maxSentimentPerCoin: 100,
  });
  const candles = Array.from({ length: 120 }, (_, index) => candle(T0 + (index + 1) * MINUTE, 100 + (index % 7)));
  const messages = predictAndScore(candles, [1, 5, 15, 60]);
  for (const c of messages.candles) history.addCandle(c);
  for (const p of messages.predictions) history.addPrediction(p);
  for (const e of messages.errors) history.addError(e);
  for (let index = 0; index < 5; index += 1) history.addAlert(alert({ id: `a${index}`, time: T0 + index * MINUTE }));
  history.addAlert(alert({ id: 'global', pair: null, time: T0 + 90 * MINUTE, details: {} }));
  history.addSentiment(sentiment({ newsId: 'n1', score: 0.5, publishedAt: T0 + 10 * MINUTE }));
  history.addSentiment(sentiment({ newsId: 'n2', score: -0.3, publishedAt: T0 + 20 * MINUTE }));
  history.addSentiment(sentiment({ newsId: 'n3', score: 0.2, publishedAt: T0 + 70 * MINUTE }));
  return history;
}

describe('buildSnapshot', () => {
  it('draws each prediction on the bar whose close it predicts', () => {
    const snapshot = buildSnapshot(filled(), 'BTC/USDT', options);
    assert.ok(snapshot !== null);
    assert.equal(snapshot.candles.length, 120);
    assert.equal(snapshot.candles[0]?.time, T0, 'a candle is drawn at its open time');
    const five = snapshot.horizons.find((view) => view.horizon === 5);
    assert.ok(five !== undefined);
    assert.equal(five.predictions.length, 120);
    for (const [index, point] of five.predictions.entries()) {
      // The prediction made on candle #index's close (T0 + (index + 1)m) targets 5 minutes later.
      const targetTime = T0 + (index + 1 + 5) * MINUTE;
      assert.equal(point.time, targetTime - MINUTE, 'on the candle that closes at the target time');
      assert.ok(point.lower < point.predicted && point.predicted < point.upper);
    }
    const newest = five.predictions[five.predictions.length - 1];
    assert.equal((five.latest?.targetTime ?? 0) - MINUTE, newest?.time);
    assert.equal(five.latest?.servedBy, 'champion');
    assert.equal(five.nominalCoverage, 0.9);
  });

  it('gives each horizon its metric series, ending at its newest scored target time', () => {
    const snapshot = buildSnapshot(filled(), 'BTC/USDT', options);
    assert.ok(snapshot !== null);
    for (const view of snapshot.horizons) {
      // A prediction made at minute m for h minutes is scored when the candle closing at m + h exists.
      const scored = 120 - view.horizon;
      if (scored <= 0) {
        assert.deepEqual(view.metrics, [], `${view.horizon}m: nothing scored yet`);
        assert.equal(view.current, null);
        continue;
      }
      assert.equal(view.current?.time, T0 + 120 * MINUTE, `${view.horizon}m ends at the newest target time`);
      assert.equal(view.current?.count, Math.min(scored, 60), `${view.horizon}m window holds up to an hour`);
      assert.deepEqual(view.models, ['price-BTC-USDT-1m@3 (champion)']);
    }
  });

  it('lists the pair’s and the global alerts, newest first, bounded', () => {
    const snapshot = buildSnapshot(filled(), 'BTC/USDT', options);
    assert.deepEqual(
      snapshot?.alerts.map((a) => [a.id, a.pair, a.horizon]),
      [
        ['global', null, null],
        ['a4', 'BTC/USDT', 5],
        ['a3', 'BTC/USDT', 5],
      ],
    );
  });

  it('shows the base coin’s sentiment: buckets, newest items and the mean', () => {
    const snapshot = buildSnapshot(filled(), 'BTC/USDT', options);
    assert.ok(snapshot !== null);
    assert.equal(snapshot.coin, 'BTC');
    assert.equal(snapshot.quote, 'USDT');
    assert.deepEqual(
      snapshot.sentiment.latest.map((item) => item.newsId),
      ['n3', 'n2'],
      'newest first, bounded',
    );
    assert.equal(snapshot.sentiment.count, 3);
    assert.ok(Math.abs((snapshot.sentiment.meanScore ?? 0) - 0.4 / 3) < 1e-12);
    assert.deepEqual(
      snapshot.sentiment.buckets.map((b) => [b.time - T0, b.count, Math.round(b.meanScore * 100) / 100]),
      [
        [0, 2, 0.1],
        [HOUR, 1, 0.2],
      ],
    );
  });

  it('is null for a pair not shown, and the pair list says what is held', () => {
    const history = filled();
    assert.equal(buildSnapshot(history, 'ETH/USDT', options), null);
    assert.deepEqual(pairSummaries(history), [{ pair: 'BTC/USDT', candles: 120, newestTime: T0 + 120 * MINUTE }]);
  });
});

describe('sentimentBuckets', () => {
  it('counts labels per bucket and leaves empty buckets out', () => {
    const buckets = sentimentBuckets(
      [
        sentiment({ newsId: 'a', score: 0.9, publishedAt: T0 }),
        sentiment({ newsId: 'b', score: -0.9, publishedAt: T0 + 1 }),
        sentiment({ newsId: 'c', score: 0, publishedAt: T0 + 3 * HOUR }),
      ],
      HOUR,
    );
    assert.deepEqual(buckets, [
      { time: T0, count: 2, meanScore: 0, bullish: 1, neutral: 0, bearish: 1 },
      { time: T0 + 3 * HOUR, count: 1, meanScore: 0, bullish: 0, neutral: 1, bearish: 0 },
    ]);
  });
});
