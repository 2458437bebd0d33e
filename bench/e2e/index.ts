// Benchmark `e2e`: latency from a 1-minute candle window's close to its predictions being served by
// the API. The whole system runs on the local stack (isolated by a prefix), replaying real trades at
// 60x real time, so a window closes every second and the system is not saturated. For each window:
// start = the candle's Kafka timestamp (when trade-to-ohlc closed the window and published it);
// end = when the API's push stream delivered the last of that window's predictions (all horizons)
// to a client, i.e. when the API's in-memory "latest" had them. Both clocks are this machine's.
import type { BenchOptions, BenchResult } from '../run.js';
import { TOPICS, topicName } from '@crypto-predict/core';
import { testKafka } from '@crypto-predict/core/testing';
import { startSandbox } from '../../scripts/lib/sandbox.js';
import { quantile, round } from '../lib/stats.js';

const PAIR = 'BTC/USDT';
const HORIZONS = 4;

export async function run(options: BenchOptions): Promise<BenchResult> {
  const minutes = options.quick ? 10 : 60;
  const from = Date.parse('2024-12-01T00:00:00Z');
  const to = from + minutes * 60_000;
  const log = (message: string): void => void process.stderr.write(`[e2e] ${message}\n`);

  log(`starting the system: train on 2024-11-24..2024-12-01, replay ${minutes} real minutes at 60x`);
  const sandbox = await startSandbox({
    label: 'bench',
    pair: PAIR,
    train: { from: '2024-11-24', to: '2024-12-01' },
    replay: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), speed: 60 },
  });
  const closedAt = new Map<number, number>(); // candle closeTime -> wall time the candle was published
  const servedAt = new Map<number, { count: number; last: number }>(); // featureTime -> arrivals
  const kafka = testKafka(`${sandbox.id}-bench`);
  const consumer = kafka.consumer({ kafkaJS: { groupId: `${sandbox.id}-bench`, fromBeginning: true } });
  const abort = new AbortController();
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topicName(sandbox.id, TOPICS.candles.name)] });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const candle = JSON.parse(message.value?.toString('utf8') ?? '{}') as {
          timeframe?: string;
          closeTime?: number;
        };
        if (candle.timeframe === '1m' && typeof candle.closeTime === 'number' && !closedAt.has(candle.closeTime)) {
          closedAt.set(candle.closeTime, Number(message.timestamp));
        }
        await Promise.resolve();
      },
    });

    const stream = await fetch(`http://127.0.0.1:${sandbox.apiPort}/v1/stream?pair=${encodeURIComponent(PAIR)}`, {
      headers: { authorization: `Bearer ${sandbox.apiKey}`, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (!stream.ok || stream.body === null) throw new Error(`the API's stream answered ${stream.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    const deadline = Date.now() + (minutes + 120) * 1000;
    // Node's web streams are async-iterable; the chunks are bytes of the SSE text.
    for await (const chunk of stream.body as unknown as AsyncIterable<Uint8Array>) {
      const now = Date.now();
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of event.split('\n')) {
          if (!line.startsWith('data:')) continue;
          const prediction = JSON.parse(line.slice(5)) as { featureTime?: number };
          if (typeof prediction.featureTime !== 'number') continue;
          const seen = servedAt.get(prediction.featureTime) ?? { count: 0, last: 0 };
          servedAt.set(prediction.featureTime, { count: seen.count + 1, last: now });
        }
      }
      if ((servedAt.get(to)?.count ?? 0) >= HORIZONS || Date.now() > deadline) break;
    }
  } finally {
    abort.abort();
    await consumer.disconnect().catch(() => undefined);
    await sandbox.cleanup();
  }

  const latencies: number[] = [];
  for (const [featureTime, served] of servedAt) {
    const closed = closedAt.get(featureTime);
    if (closed !== undefined && served.count >= HORIZONS) latencies.push(served.last - closed);
  }
  log(`${latencies.length} windows measured of ${minutes}`);
  if (latencies.length === 0) throw new Error('no window was measured: see the service logs under .data/test-logs');
  return {
    windows: latencies.length,
    replayed_minutes: minutes,
    replay_speed: 60,
    p50_ms: round(quantile(latencies, 0.5)),
    p99_ms: round(quantile(latencies, 0.99)),
    max_ms: round(Math.max(...latencies)),
    served_by: `pinned ONNX model (${String(sandbox.trained.modelKind)}), 4 horizons per window`,
  };
}
