import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alert, candle, MINUTE, prediction, sentiment, T0 } from '../testing/market.js';
import { MarketHistory, type HistoryLimits } from './market-history.js';

const HOUR = 60 * MINUTE;

function history(overrides: Partial<HistoryLimits> = {}): MarketHistory {
  return new MarketHistory({
    retentionMs: HOUR,
    timeframe: '1m',
    timeframeMs: MINUTE,
    horizons: [1, 5],
    pairs: ['BTC/USDT'],
    maxPairs: 2,
    maxAlertsPerPair: 50,
    maxSentimentPerCoin: 50,
    ...overrides,
  });
}

describe('MarketHistory', () => {
  it('keeps one span per pair, bounded behind the pair’s newest event time', () => {
    const h = history();
    for (let minute = 1; minute <= 180; minute += 1) {
      h.addCandle(candle(T0 + minute * MINUTE, 100 + minute));
      h.addPrediction(prediction({ horizon: 5, featureTime: T0 + minute * MINUTE }));
    }
    const pair = h.pair('BTC/USDT');
    assert.ok(pair !== undefined);
    const candles = pair.candles.values();
    // The clock is the newest feature time (T0+180m, a candle's close); candles are held by open time.
    assert.equal(candles.length, 60, 'the candles that opened in the last hour');
    assert.equal(candles[candles.length - 1]?.close, 280);
    assert.ok((candles[0]?.openTime ?? 0) >= pair.newestTime - HOUR);
    assert.equal(pair.predictions.get(5)?.size, 61);
    assert.equal(h.addCandle(candle(T0 + 10 * MINUTE, 1)), 'too-old', 'a candle behind the span is refused');
  });

  it('moves every series of a pair on the same clock', () => {
    const h = history();
    h.addPrediction(prediction({ horizon: 1, featureTime: T0 }));
    h.addCandle(candle(T0 + 3 * HOUR, 100));
    assert.equal(h.pair('BTC/USDT')?.predictions.get(1)?.size, 0, 'an old prediction leaves when candles move on');
  });

  it('keeps the newest revision of a candle and the latest made prediction per feature time', () => {
    const h = history();
    h.addCandle(candle(T0 + MINUTE, 100, { revision: 1 }));
    assert.equal(h.addCandle(candle(T0 + MINUTE, 90, { revision: 0 })), 'kept', 'an older revision is ignored');
    assert.equal(h.addCandle(candle(T0 + MINUTE, 110, { revision: 2 })), 'accepted');
    assert.equal(h.pair('BTC/USDT')?.candles.last()?.close, 110);

    const first = prediction({ horizon: 1, featureTime: T0, predictedPrice: 101 });
    const second = prediction({
      horizon: 1,
      featureTime: T0,
      predictedPrice: 102,
      createdAt: first.createdAt + 1_000,
      model: { name: 'price-BTC-USDT-1m', version: '4', servedBy: 'champion' },
    });
    h.addPrediction(second);
    assert.equal(h.addPrediction(first), 'kept', 'the prediction made later stays');
    assert.equal(h.pair('BTC/USDT')?.predictions.get(1)?.size, 1);
    assert.equal(h.pair('BTC/USDT')?.predictions.get(1)?.last()?.predictedPrice, 102);
  });

  it('ignores pairs, timeframes and horizons it does not show', () => {
    const h = history();
    assert.equal(h.addCandle(candle(T0, 1, { pair: 'ETH/USDT' })), 'ignored');
    assert.equal(h.addCandle(candle(T0, 1, { timeframe: '5m' })), 'ignored');
    assert.equal(h.addPrediction(prediction({ horizon: 15, featureTime: T0 })), 'ignored');
    assert.equal(h.addSentiment(sentiment({ coin: 'ETH' })), 'ignored', 'only the coins of the pairs shown');
    assert.deepEqual(h.pairNames(), ['BTC/USDT']);
  });

  it('with * shows every pair seen up to MAX_PAIRS', () => {
    const h = history({ pairs: null, maxPairs: 2 });
    assert.equal(h.addCandle(candle(T0, 1, { pair: 'ETH/USDT' })), 'accepted');
    assert.equal(h.addCandle(candle(T0, 1, { pair: 'BTC/USDT' })), 'accepted');
    assert.equal(h.addCandle(candle(T0, 1, { pair: 'SOL/USDT' })), 'ignored', 'beyond MAX_PAIRS');
    assert.deepEqual(h.pairNames(), ['BTC/USDT', 'ETH/USDT']);
  });

  it('dedupes alerts by id, keeps global ones apart, and counts revisions', () => {
    const h = history();
    const pair = h.pair('BTC/USDT');
    assert.ok(pair !== undefined);
    const before = pair.revision;
    h.addAlert(alert({ id: 'a', time: T0 }));
    h.addAlert(alert({ id: 'a', time: T0 }));
    h.addAlert(alert({ id: 'g', pair: null, time: T0 }));
    assert.equal(pair.alerts.size, 1);
    assert.equal(h.globalAlerts.size, 1);
    assert.ok(pair.revision > before, 'a change bumps the revision');
  });

  it('replaces a re-scored news item and bounds sentiment by the coin’s own newest time', () => {
    const h = history();
    h.addSentiment(sentiment({ newsId: 'n1', score: 0.1, scoredAt: T0 + 1 }));
    h.addSentiment(sentiment({ newsId: 'n1', score: 0.7, scoredAt: T0 + 2 }));
    assert.equal(h.coin('BTC')?.items.size, 1);
    assert.equal(h.coin('BTC')?.items.last()?.score, 0.7);
    h.addSentiment(sentiment({ newsId: 'n2', publishedAt: T0 + 2 * HOUR, scoredAt: T0 + 2 * HOUR }));
    assert.deepEqual(
      h
        .coin('BTC')
        ?.items.values()
        .map((item) => item.newsId),
      ['n2'],
    );
  });
});
