import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FeatureRow, ModelContract } from '@crypto-predict/core';
import {
  expectedLogReturns,
  featureRow,
  FIXTURE_SETTINGS,
  fixtureContract,
  inputsOf,
} from '../test-support/fixtures.js';
import { predictBatch, ServingLadder, type ServableModel } from './serving-ladder.js';

const settings = FIXTURE_SETTINGS;

/** A model computed in JS from the fixture weights, with hooks to fail or to pause its run. */
class FakeModel implements ServableModel {
  runs = 0;
  failWith: Error | null = null;
  gate: Promise<void> | null = null;

  constructor(
    readonly version: string,
    readonly weights: 'v1' | 'v2' = 'v1',
    readonly contract: ModelContract = fixtureContract(),
    readonly name = 'price-BTC-USDT-1m',
  ) {}

  async run(inputs: readonly (readonly number[])[]): Promise<number[][]> {
    this.runs += 1;
    if (this.gate !== null) await this.gate;
    if (this.failWith !== null) throw this.failWith;
    return inputs.map((row) => expectedLogReturns(this.weights, row));
  }
}

const rows = (from: number, count: number): FeatureRow[] =>
  Array.from({ length: count }, (_, i) => featureRow(from + i));

describe('predictBatch', () => {
  it('serves every row and horizon from the champion, in row then horizon order', async () => {
    const ladder = new ServingLadder();
    const model = new FakeModel('3');
    ladder.install(model, 'champion');
    const batch = rows(0, 3);
    const outcome = await predictBatch(ladder, batch, settings, 1);
    assert.equal(outcome.predictions.length, 12, 'each row must get one prediction per horizon');
    assert.equal(model.runs, 1, 'a batch must be one model run');
    assert.deepEqual(
      outcome.predictions.map((p) => `${p.featureTime}:${p.horizon}`),
      batch.flatMap((row) => settings.horizons.map((h) => `${row.time}:${h}`)),
    );
    const first = outcome.predictions[1];
    const row = batch[0];
    assert.ok(first !== undefined && row !== undefined);
    assert.equal(
      first.predictedLogReturn,
      expectedLogReturns('v1', inputsOf(row))[1],
      'horizon 5 must be column 1 of the output',
    );
    assert.ok(outcome.predictions.every((p) => p.model.servedBy === 'champion' && p.model.version === '3'));
  });

  it('serves a row naive while a model feature warms up, and the rest from the model', async () => {
    const ladder = new ServingLadder();
    ladder.install(new FakeModel('3'), 'champion');
    const warming = featureRow(1);
    warming.features = { ...warming.features, rsi_14: null };
    const outcome = await predictBatch(ladder, [featureRow(0), warming, featureRow(2)], settings, 1);
    assert.deepEqual(outcome.rows, { champion: 2, pinned: 0, previous: 0, naive: 1 });
    const naive = outcome.predictions.filter((p) => p.featureTime === warming.time);
    assert.equal(naive.length, 4);
    assert.ok(
      naive.every((p) => p.model.servedBy === 'naive' && p.predictedLogReturn === 0),
      'the warming row must be naive',
    );
    assert.equal(outcome.refusals.length, 0, 'a null feature is warm-up, not a contract mismatch');
  });

  it('gives no prediction for a row whose volatility is unknown when naive must serve it', async () => {
    const ladder = new ServingLadder();
    const row = featureRow(0);
    row.features = { ...row.features, volatility_30: null };
    const outcome = await predictBatch(ladder, [row], settings, 1);
    assert.equal(outcome.predictions.length, 0);
    assert.equal(outcome.skipped, 4);
  });

  it('serves naive with no model at all', async () => {
    const outcome = await predictBatch(new ServingLadder(), rows(0, 2), settings, 1);
    assert.equal(outcome.predictions.length, 8);
    assert.ok(outcome.predictions.every((p) => p.model.servedBy === 'naive'));
  });

  it('refuses a champion whose contract does not fit the rows and falls back to the previous model', async () => {
    const ladder = new ServingLadder();
    const previous = new FakeModel('2', 'v2');
    const champion = new FakeModel(
      '3',
      'v1',
      fixtureContract({ features: ['log_return_1', 'rsi_14', 'funding_rate'] }),
    );
    ladder.install(previous, 'champion');
    ladder.install(champion, 'champion');
    const outcome = await predictBatch(ladder, rows(0, 2), settings, 1);
    assert.equal(outcome.refusals.length, 1, 'the mismatching champion must be refused once');
    assert.equal(outcome.refusals[0]?.kind, 'contract');
    assert.match(outcome.refusals[0]?.problems.join() ?? '', /funding_rate/);
    assert.equal(champion.runs, 0, 'a refused model must never run');
    assert.ok(outcome.predictions.every((p) => p.model.servedBy === 'previous' && p.model.version === '2'));
    assert.deepEqual(
      ladder.top(),
      { rung: 'previous', model: { name: 'price-BTC-USDT-1m', version: '2' } },
      'the refusal must stick',
    );
  });

  it('falls to previous, then naive, when models fail to run', async () => {
    const ladder = new ServingLadder();
    const previous = new FakeModel('2');
    const champion = new FakeModel('3');
    ladder.install(previous, 'champion');
    ladder.install(champion, 'champion');
    champion.failWith = new Error('boom');
    const first = await predictBatch(ladder, rows(0, 2), settings, 1);
    assert.ok(
      first.predictions.every((p) => p.model.servedBy === 'previous'),
      'a failed champion run must fall to previous',
    );
    assert.equal(first.predictions.length, 8, 'no row may be lost when a run fails');
    previous.failWith = new Error('boom too');
    const second = await predictBatch(ladder, rows(2, 2), settings, 1);
    assert.ok(
      second.predictions.every((p) => p.model.servedBy === 'naive'),
      'with every model failing, naive must serve',
    );
    assert.equal(second.predictions.length, 8);
  });

  it('serves a configured horizon the model lacks naive, and the others from the model', async () => {
    const ladder = new ServingLadder();
    const contract = fixtureContract();
    const partial = new FakeModel('4', 'v1', { ...contract, horizons: [1, 5, 15, 30] });
    ladder.install(partial, 'pinned');
    const outcome = await predictBatch(ladder, rows(0, 1), settings, 1);
    assert.deepEqual(
      outcome.predictions.map((p) => `${p.horizon}:${p.model.servedBy}`),
      ['1:pinned', '5:pinned', '15:pinned', '60:naive'],
    );
  });
});

describe('hot swap', () => {
  it('swaps between batches: a batch in flight finishes on the old model, the next uses the new one', async () => {
    const ladder = new ServingLadder();
    const v1 = new FakeModel('1', 'v1');
    const v2 = new FakeModel('2', 'v2');
    ladder.install(v1, 'champion');
    let open: () => void = () => undefined;
    v1.gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const inFlight = predictBatch(ladder, rows(0, 3), settings, 1);
    const retired = ladder.install(v2, 'champion'); // swap while v1 is mid-run
    assert.deepEqual(retired, [], 'v1 must stay on the ladder as previous');
    open();
    const during = await inFlight;
    const after = await predictBatch(ladder, rows(3, 3), settings, 1);
    assert.ok(
      during.predictions.every((p) => p.model.version === '1'),
      'the batch in flight must finish on v1',
    );
    assert.ok(
      after.predictions.every((p) => p.model.version === '2' && p.model.servedBy === 'champion'),
      'the next batch must use v2',
    );
  });

  it('never drops or duplicates a row across a swap at any point of a stream', async () => {
    for (let swapAt = 0; swapAt <= 12; swapAt += 1) {
      const ladder = new ServingLadder();
      ladder.install(new FakeModel('1', 'v1'), 'champion');
      const stream = rows(0, 24);
      const seen: { time: number; version: string }[] = [];
      for (let start = 0, batchNo = 0; start < stream.length; batchNo += 1) {
        const size = 1 + (batchNo % 3);
        if (batchNo === swapAt) ladder.install(new FakeModel('2', 'v2'), 'champion');
        const outcome = await predictBatch(ladder, stream.slice(start, start + size), settings, 1);
        for (const p of outcome.predictions) seen.push({ time: p.featureTime, version: p.model.version });
        start += size;
      }
      for (const row of stream) {
        const forRow = seen.filter((s) => s.time === row.time);
        assert.equal(
          forRow.length,
          4,
          `row ${row.time} must have exactly one prediction per horizon (swap at batch ${swapAt})`,
        );
        assert.equal(new Set(forRow.map((s) => s.version)).size, 1, 'a row must be served by one model');
      }
      const versions = seen.map((s) => s.version).join('');
      assert.match(versions, /^1*2*$/, `versions must switch once, from 1 to 2 (swap at batch ${swapAt})`);
    }
  });
});
