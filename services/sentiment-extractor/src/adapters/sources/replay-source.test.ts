import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { createLogger, type NewsItem } from '@crypto-predict/core';
import type { Clock } from '../clock.js';
import { ReplaySource } from './replay-source.js';

const HEADER =
  'datetime_utc,title,currencies,source,source_type,cryptopanic_url,cryptopanic_sentiment,cryptopanic_confidence,votes_json,description';
const row = (time: string, title: string): string =>
  `${time},${title},BTC,x.com,link,https://cryptopanic.com/news/${title.replace(/\W/g, '')},neutral,0,{},`;

/** A clock that advances when slept on, recording each wait. */
function fakeClock(): Clock & { waits: number[] } {
  let now = 1_000_000;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: (ms) => {
      waits.push(Math.round(ms));
      now += Math.max(0, ms);
      return Promise.resolve();
    },
  };
}

describe('ReplaySource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'replay-'));
  const file = join(dir, 'news.csv.gz');
  writeFileSync(
    file,
    gzipSync(
      [
        HEADER,
        row('2025-11-16T10:02:00Z', 'Third item about bitcoin'),
        row('2025-11-16T10:00:00Z', 'First item about bitcoin'),
        row('2025-11-16T10:01:00Z', 'Second item about bitcoin'),
        row('2025-11-16T11:00:00Z', 'Outside the window'),
      ].join('\n'),
    ),
  );
  const log = createLogger('test', 'silent');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('replays the window in event-time order, paced by the speed factor', async () => {
    const clock = fakeClock();
    const batches: NewsItem[][] = [];
    const source = new ReplaySource({
      files: [file],
      window: { from: Date.parse('2025-11-16T10:00:00Z'), to: Date.parse('2025-11-16T10:30:00Z') },
      speed: 60,
      clock,
      log,
    });
    await source.run((items) => {
      batches.push(items);
      return Promise.resolve();
    }, new AbortController().signal);
    assert.deepEqual(
      batches.flat().map((item) => item.title),
      ['First item about bitcoin', 'Second item about bitcoin', 'Third item about bitcoin'],
    );
    assert.deepEqual(clock.waits, [0, 1_000, 1_000], 'one minute of event time at 60x is one second of wall time');
  });
});
