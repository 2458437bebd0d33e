import { parseArgs } from 'node:util';
import { AppError, describeError, Pair, Timeframe, type Candle } from '@crypto-predict/core';
import { readBinanceCandles } from '@crypto-predict/core/market-data';
import { createPool, DEFAULT_DATABASE_URL, FeatureStoreWriter, migrate } from '@crypto-predict/feature-store';
import { runBackfill } from '../adapters/backfill.js';
import { DEFAULT_FEATURES_CONFIG, loadFeatureSet } from '../adapters/feature-config-file.js';
import { IndicatorStateStore } from '../adapters/state-store.js';
import { CandleResampler } from '../domain/candles/resample.js';
import { FeatureEngine } from '../domain/features/feature-engine.js';

const USAGE = `usage: backfill --pair BTC/USDT --timeframe 1m --from 2023-01-01 --to 2025-01-01
         [--config features.json] [--database-url URL] [--batch 10000] [--save-state]
Reads the real Binance 1-minute candles in shared/data (resampled for longer timeframes), computes
the features with the live service's FeatureEngine and writes feature_rows and feature_latest.
--save-state also stores the final engine state in indicator_state, for a live service that
continues right after --to. Progress goes to stderr; the last line on stdout is a JSON summary.`;

function parseTime(text: string, flag: string): number {
  const time = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(time))
    throw new AppError('CONFIG_INVALID', `${flag}: "${text}" is not a date (YYYY-MM-DD or ISO 8601)`);
  return time;
}

async function* resampled(candles: AsyncIterable<Candle>, timeframe: string): AsyncGenerator<Candle> {
  if (timeframe === '1m') {
    yield* candles;
    return;
  }
  const resampler = new CandleResampler(timeframe);
  for await (const candle of candles) {
    const done = resampler.push(candle);
    if (done !== undefined) yield done;
  }
  const last = resampler.flush();
  if (last !== undefined) yield last;
}

function bar(fraction: number): string {
  const width = 30;
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      pair: { type: 'string', default: 'BTC/USDT' },
      timeframe: { type: 'string', default: '1m' },
      from: { type: 'string' },
      to: { type: 'string' },
      config: { type: 'string', default: process.env.INDICATORS_CONFIG ?? DEFAULT_FEATURES_CONFIG },
      'database-url': { type: 'string', default: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL },
      batch: { type: 'string', default: '10000' },
      'save-state': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const problems: string[] = [];
  if (!Pair.safeParse(values.pair).success) problems.push(`--pair: "${values.pair}" is not a pair like BTC/USDT`);
  if (!Timeframe.safeParse(values.timeframe).success)
    problems.push(`--timeframe: "${values.timeframe}" is not a timeframe like 1m or 1h`);
  if (values.from === undefined) problems.push('--from is required');
  if (values.to === undefined) problems.push('--to is required');
  const batchSize = Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    problems.push(`--batch: "${values.batch}" is not a positive integer`);
  if (problems.length > 0) throw new AppError('CONFIG_INVALID', `${problems.join('\n')}\n${USAGE}`);
  const from = parseTime(values.from ?? '', '--from');
  const to = parseTime(values.to ?? '', '--to');
  if (to <= from) throw new AppError('CONFIG_INVALID', '--to must be after --from');

  const featureSet = loadFeatureSet(values.config);
  if (!featureSet.timeframes.includes(values.timeframe)) {
    throw new AppError(
      'CONFIG_INVALID',
      `timeframe ${values.timeframe} is not configured in ${values.config} (${featureSet.timeframes.join(', ')})`,
    );
  }
  const engine = new FeatureEngine(featureSet);
  const pool = createPool(values['database-url'], { applicationName: 'technical-indicators-backfill', max: 2 });
  try {
    await migrate(pool);
    const writer = new FeatureStoreWriter(pool, { batchSize: 5000 });
    const minutes = (to - from) / 60_000;
    const started = performance.now();
    let lastReport = 0;
    const result = await runBackfill({
      candles: resampled(readBinanceCandles({ from, to, pair: values.pair }), values.timeframe),
      engine,
      write: (rows) => writer.write(rows),
      batchSize,
      onProgress: (progress) => {
        const now = performance.now();
        if (now - lastReport < 1000) return;
        lastReport = now;
        const fraction = (progress.at - from) / 60_000 / minutes;
        const rate = progress.rows / ((now - started) / 1000);
        process.stderr.write(
          `\r${bar(fraction)} ${(fraction * 100).toFixed(1).padStart(5)}%  ${progress.rows.toLocaleString('en-US')} rows  ${Math.round(rate).toLocaleString('en-US')} rows/s  `,
        );
      },
    });
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(
      `\r${bar(1)} 100.0%  ${result.rows.toLocaleString('en-US')} rows  ${Math.round(result.rows / seconds).toLocaleString('en-US')} rows/s  \n`,
    );
    let stateSaved = false;
    const snapshot = engine.snapshot(values.pair, values.timeframe);
    if (values['save-state'] === true && snapshot !== undefined) {
      await new IndicatorStateStore(pool).save([snapshot], []);
      stateSaved = true;
    }
    const summary = {
      pair: values.pair,
      timeframe: values.timeframe,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      featureSet: featureSet.hash,
      features: featureSet.features.length,
      candles: result.candles,
      rows: result.rows,
      gapFilled: result.gapFilled,
      ignored: result.ignored,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond: Math.round(result.rows / seconds),
      computeSeconds: Number((result.computeMs / 1000).toFixed(2)),
      writeWaitSeconds: Number((result.writeWaitMs / 1000).toFixed(2)),
      stateSaved,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nbackfill failed: ${describeError(error)}\n`);
  process.exit(1);
});
