import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { samplePrediction } from '../test-support/fakes.js';
import { LatestCache } from './latest-cache.js';

describe('LatestCache', () => {
  it('keeps the newest prediction per pair and horizon whatever the arrival order', () => {
    const cache = new LatestCache();
    assert.equal(cache.offer(samplePrediction(2)), true);
    assert.equal(cache.offer(samplePrediction(1)), false, 'an older prediction must not replace a newer one');
    assert.equal(cache.offer(samplePrediction(3, { horizon: 1 })), true);
    assert.deepEqual(
      cache.get('BTC/USDT').map((p) => [p.horizon, p.featureTime]),
      [
        [1, samplePrediction(3).featureTime],
        [5, samplePrediction(2).featureTime],
      ],
    );
  });

  it('prefers the later creation for one feature time (a model swap re-predicting a row)', () => {
    const cache = new LatestCache();
    cache.offer(samplePrediction(1, { createdAt: 100 + samplePrediction(1).featureTime }));
    const later = samplePrediction(1, { createdAt: 200 + samplePrediction(1).featureTime, id: 'later' });
    assert.equal(cache.offer(later), true);
    assert.equal(cache.get('BTC/USDT', 5)[0]?.id, 'later');
  });

  it('serializes an answer once and rebuilds it after a change', () => {
    const cache = new LatestCache();
    assert.equal(cache.body('BTC/USDT'), null);
    cache.offer(samplePrediction(1));
    const first = cache.body('BTC/USDT', 5);
    assert.equal(cache.body('BTC/USDT', 5), first, 'the same bytes must be served until a change');
    cache.offer(samplePrediction(2));
    const second = JSON.parse(cache.body('BTC/USDT', 5)?.toString('utf8') ?? 'null') as {
      predictions: { featureTime: number }[];
    };
    assert.equal(
      second.predictions[0]?.featureTime,
      samplePrediction(2).featureTime,
      'a change must reach the next answer',
    );
    assert.equal(cache.body('BTC/USDT', 60), null, 'a horizon with no prediction has no answer');
  });

  it('summarises pairs', () => {
    const cache = new LatestCache();
    cache.offer(samplePrediction(1, { pair: 'ETH/USDT' }));
    cache.offer(samplePrediction(4, { horizon: 60 }));
    cache.offer(samplePrediction(2));
    assert.deepEqual(cache.pairsSummary(), [
      { pair: 'BTC/USDT', horizons: [5, 60], latestFeatureTime: samplePrediction(4).featureTime },
      { pair: 'ETH/USDT', horizons: [5], latestFeatureTime: samplePrediction(1).featureTime },
    ]);
  });
});
