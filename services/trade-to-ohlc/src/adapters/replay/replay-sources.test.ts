import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import type { Trade } from '@crypto-predict/core';
import { trade } from '../../test-support/reference-candles.js';
import { readGenericCsv } from './generic-csv.js';
import { paceReplay, type Clock } from './replay-pacer.js';
import type { BadRow, ReplayCounters, TradeSource } from './trade-source.js';

const dir = mkdtempSync(join(tmpdir(), 'trade-to-ohlc-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(source: TradeSource): Promise<Trade[][]> {
  const out: Trade[][] = [];
  for await (const batch of source) out.push(batch);
  return out;
}

describe('readGenericCsv', () => {
  it('reads time_ms,price,qty,side[,trade_id], gzipped or not, and reports bad rows with the reason', async () => {
    const text = [
      'time_ms,price,qty,side,trade_id',
      '1723161255342,61837.63,0.02,sell,a1',
      '1723161255617,61837.64,0.048,BUY,a2',
      '1723161255700,-1,0.1,buy,a3',
      'not,a,row',
      '1723161255800,61837.65,0,sell,a5',
      '',
      '1723161255900,61837.66,0.5,buy,a6',
    ].join('\n');
    const path = join(dir, 'trades.csv.gz');
    writeFileSync(path, gzipSync(text));
    const counters: ReplayCounters = { rows: 0, trades: 0, badRows: 0 };
    const bad: BadRow[] = [];
    const batches = await collect(
      readGenericCsv({ path, pair: 'BTC/USDT', counters, onBadRow: (row) => bad.push(row), batchSize: 2 }),
    );
    assert.deepEqual(
      batches.map((b) => b.length),
      [2, 1],
      'valid rows in batches of the asked size',
    );
    const trades = batches.flat();
    assert.deepEqual(
      trades.map((t) => [t.tradeId, t.side, t.time, t.source]),
      [
        ['a1', 'sell', 1723161255342, 'replay-ticks'],
        ['a2', 'buy', 1723161255617, 'replay-ticks'],
        ['a6', 'buy', 1723161255900, 'replay-ticks'],
      ],
      'ids, taker sides and times as written',
    );
    assert.deepEqual(counters, { rows: 6, trades: 3, badRows: 3 }, 'every row is counted');
    assert.deepEqual(
      bad.map((b) => b.line),
      [4, 5, 6],
      'bad rows are reported by line',
    );
    assert.match(bad[0]?.reason ?? '', /price/, 'the reason names the field');
    assert.match(bad[1]?.reason ?? '', /columns/, 'a short row says so');
  });

  it('makes trade ids from time and line when the file has none, and refuses an unknown header', async () => {
    const path = join(dir, 'plain.csv');
    writeFileSync(path, 'time_ms,price,qty,side\n1723161255342,100,1,sell\n');
    const [batch] = await collect(readGenericCsv({ path, pair: 'ETH/USDT' }));
    assert.equal(batch?.[0]?.tradeId, '1723161255342-2', 'id = time-line');
    assert.equal(batch?.[0]?.pair, 'ETH/USDT', 'the configured pair');
    const wrong = join(dir, 'wrong.csv');
    writeFileSync(wrong, 'ts,px\n1,2\n');
    await assert.rejects(collect(readGenericCsv({ path: wrong, pair: 'BTC/USDT' })), /header must be/);
  });
});

describe('paceReplay', () => {
  function fakeClock(): Clock & { slept: number[] } {
    let now = 1_000_000;
    const slept: number[] = [];
    return {
      slept,
      now: () => now,
      sleep: (ms) => {
        slept.push(Math.round(ms));
        now += ms;
        return Promise.resolve();
      },
    };
  }
  async function* source(): TradeSource {
    await Promise.resolve();
    const t0 = Date.UTC(2024, 0, 1);
    yield [trade(t0, 1, 1), trade(t0 + 10, 1, 1), trade(t0 + 60_000, 1, 1)];
    yield [trade(t0 + 120_000, 1, 1)];
  }

  it('at speed 60 plays a minute of trades per second, in batches that leave when due', async () => {
    const clock = fakeClock();
    const batches = await collect(paceReplay(source(), 60, clock));
    assert.deepEqual(
      batches.map((b) => b.length),
      [2, 1, 1],
      'trades due together leave together',
    );
    assert.deepEqual(clock.slept, [1_000, 1_000], 'one second of wall time per minute of trades');
  });

  it('at speed 0 passes the source through without waiting', async () => {
    const clock = fakeClock();
    const batches = await collect(paceReplay(source(), 0, clock));
    assert.deepEqual(
      batches.map((b) => b.length),
      [3, 1],
      'batches as read',
    );
    assert.deepEqual(clock.slept, [], 'no waiting');
  });
});
