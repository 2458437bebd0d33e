import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AppError, createElasticClient, deleteIndices, type ElasticClient } from '@crypto-predict/core';
import { testElastic, uniquePrefix } from '@crypto-predict/core/testing';
import { MonitorStore, type ActualDoc } from '../src/adapters/monitor-store.js';
import { MINUTE, T0 } from '../src/testing/fixtures.js';

/** Closes of a pair, one a minute from T0. */
function closes(pair: string, count: number): ActualDoc[] {
  return Array.from({ length: count }, (_, i) => ({ pair, closeTime: T0 + i * MINUTE, close: 100 + i, revision: 0 }));
}

async function storedCloses(elastic: ElasticClient, index: string, pair: string): Promise<number[]> {
  await elastic.indices.refresh({ index });
  const response = await elastic.search<ActualDoc>({
    index,
    size: 10_000,
    query: { term: { pair } },
    sort: [{ closeTime: 'asc' }],
  });
  return response.hits.hits.map((hit) => hit._source?.closeTime ?? Number.NaN);
}

describe('MonitorStore against the real Elasticsearch 8.19', { timeout: 120_000 }, () => {
  const prefix = uniquePrefix();
  const elastic = testElastic();
  const store = new MonitorStore(elastic, prefix, { refresh: true });

  before(async () => {
    await store.ensureIndices();
    // More old closes than one prune page (1,000), so pruning has to page.
    const result = await store.write({
      errors: [],
      pendingUpserts: [],
      pendingDeletes: [],
      actuals: [...closes('BTC/USDT', 2_500), ...closes('ETH/USDT', 10)],
    });
    assert.deepEqual(result.refused, [], 'every close must be stored');
  });

  after(async () => {
    await deleteIndices(elastic, `${prefix}-*`);
    await elastic.close();
  });

  it('prunes a pair’s closes older than the cutoff, page by page, and nothing else', async () => {
    const cutoff = T0 + 2_200 * MINUTE;
    assert.equal(await store.pruneActuals('BTC/USDT', cutoff), 2_200, 'every BTC close before the cutoff is deleted');
    const btc = await storedCloses(elastic, store.actuals, 'BTC/USDT');
    assert.equal(btc.length, 300, 'the 300 closes at or after the cutoff are kept');
    assert.equal(btc[0], cutoff, 'the close exactly at the cutoff is kept');
    assert.equal((await storedCloses(elastic, store.actuals, 'ETH/USDT')).length, 10, 'another pair is untouched');
  });

  it('prunes idempotently: a second run finds nothing to delete', async () => {
    assert.equal(await store.pruneActuals('BTC/USDT', T0 + 2_200 * MINUTE), 0);
    assert.equal(await store.pruneActuals('SOL/USDT', T0 + 2_200 * MINUTE), 0, 'a pair without closes prunes nothing');
  });

  it('restores what is left after a prune', async () => {
    const restored = await store.loadActuals(null, 10_000 * MINUTE);
    assert.equal(restored.length, 310, '300 BTC and 10 ETH closes');
    assert.deepEqual(
      restored.find((doc) => doc.pair === 'BTC/USDT'),
      { pair: 'BTC/USDT', closeTime: T0 + 2_200 * MINUTE, close: 2_300, revision: 0 },
      'the oldest BTC close left, in closeTime order',
    );
  });

  it('fails a prune retryably when Elasticsearch is unreachable', async () => {
    const unreachable = createElasticClient('http://127.0.0.1:1', { maxRetries: 0 });
    try {
      await assert.rejects(
        new MonitorStore(unreachable, prefix).pruneActuals('BTC/USDT', T0),
        (error: unknown) => error instanceof AppError && error.code === 'STORE_UNAVAILABLE' && error.retryable,
      );
    } finally {
      await unreachable.close();
    }
  });
});
