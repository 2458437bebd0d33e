import { parseArgs } from 'node:util';
import { describeError } from '@crypto-predict/core';
import { exportTrainingFrameArrow } from '../export-arrow.js';
import { createPool, DEFAULT_DATABASE_URL } from '../pool.js';

/**
 * node --import tsx packages/feature-store/src/cli/export-arrow.ts --pair BTC/USDT --timeframe 1m \
 *   --from 2023-01-01 --to 2025-01-01 --out btc-1m.arrow [--sentiment base|none|COIN] [--database-url URL]
 * Prints one JSON summary line. `--sentiment` (default `base`: the pair's base asset) adds the
 * store's sentiment features as of each row's time; `none` leaves them out.
 */
const { values } = parseArgs({
  options: {
    pair: { type: 'string', default: 'BTC/USDT' },
    timeframe: { type: 'string', default: '1m' },
    from: { type: 'string' },
    to: { type: 'string' },
    out: { type: 'string' },
    sentiment: { type: 'string', default: 'base' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL },
  },
});
const time = (text: string | undefined, flag: string): number => {
  const value = Date.parse(text !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : (text ?? ''));
  if (Number.isNaN(value)) throw new Error(`${flag} needs a date (YYYY-MM-DD or ISO 8601)`);
  return value;
};
const pool = createPool(values['database-url'], { applicationName: 'feature-store-export', max: 1 });
try {
  if (values.out === undefined) throw new Error('--out FILE is required');
  const started = performance.now();
  const result = await exportTrainingFrameArrow(pool, {
    pair: values.pair,
    timeframe: values.timeframe,
    from: time(values.from, '--from'),
    to: time(values.to, '--to'),
    path: values.out,
    sentiment: values.sentiment === 'none' ? false : values.sentiment === 'base' ? true : { coin: values.sentiment },
  });
  process.stdout.write(
    `${JSON.stringify({ ...result, seconds: Number(((performance.now() - started) / 1000).toFixed(2)) })}\n`,
  );
} catch (error) {
  process.stderr.write(`export failed: ${describeError(error)}\n`);
  process.exitCode = 1;
} finally {
  await pool.end();
}
