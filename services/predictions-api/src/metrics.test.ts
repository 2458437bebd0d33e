import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AggregatorRegistry, Counter, Histogram, Registry } from 'prom-client';
import { createApiMetrics, DURATION_BOUNDS } from './metrics.js';

type Observation = [route: string, status: number, seconds: number];

/** Every kind of duration: each bound exactly (le is inclusive), between bounds, past the last one. */
const OBSERVATIONS: Observation[] = [
  ...DURATION_BOUNDS.map((bound): Observation => ['latest', 200, bound]),
  ['latest', 200, 0.00001],
  ['latest', 200, 0.0007],
  ['latest', 429, 0.0003],
  ['latest', 401, 0.02],
  ['history', 200, 0.3],
  ['history', 200, 2.5],
  ['history', 503, 0.06],
  ['pairs', 400, 0],
];

const NAMES = ['api_requests_total', 'api_request_duration_seconds'];

/** The API's metrics, fed `observations`. */
function fromApi(observations: Observation[]): Registry {
  const registry = new Registry();
  const metrics = createApiMetrics(registry);
  for (const [route, status, seconds] of observations) metrics.observe(route, status, seconds);
  return registry;
}

/** The oracle: prom-client's own labelled Counter and Histogram, fed the same. */
function fromPromClient(observations: Observation[]): Registry {
  const registry = new Registry();
  const requests = new Counter({
    name: 'api_requests_total',
    help: 'HTTP requests, by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'api_request_duration_seconds',
    help: 'HTTP request duration, by route',
    labelNames: ['route'],
    buckets: [...DURATION_BOUNDS],
    registers: [registry],
  });
  for (const [route, status, seconds] of observations) {
    requests.inc({ route, status: String(status) });
    duration.observe({ route }, seconds);
  }
  return registry;
}

/** The lines of the request metrics in a text exposition, in a stable order. */
function requestLines(text: string): string[] {
  const nameOf = (line: string): string =>
    (line.startsWith('# ') ? line.split(' ')[2] : /^[^{ ]+/.exec(line)?.[0])?.replace(/_(bucket|sum|count)$/, '') ?? '';
  return text
    .split('\n')
    .filter((line) => NAMES.includes(nameOf(line)))
    .sort();
}

type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

async function requestMetricsJson(registry: Registry): Promise<MetricsJson> {
  return (await registry.getMetricsAsJSON()).filter((entry) => NAMES.includes(entry.name));
}

describe('API request metrics', () => {
  it('expose exactly what prom-client’s own Counter and Histogram would, fed the same requests', async () => {
    const ours = requestLines(await fromApi(OBSERVATIONS).metrics());
    const oracle = requestLines(await fromPromClient(OBSERVATIONS).metrics());
    assert.ok(
      oracle.some((line) => line.startsWith('api_request_duration_seconds_bucket{le="+Inf",route="history"} 3')),
    );
    assert.deepEqual(ours, oracle);
  });

  it('count every request once however often they are scraped', async () => {
    const registry = new Registry();
    const metrics = createApiMetrics(registry);
    metrics.observe('latest', 200, 0.0001);
    metrics.observe('latest', 200, 0.0001);
    await registry.metrics();
    metrics.observe('latest', 200, 0.0001);
    const text = await registry.metrics();
    assert.match(text, /^api_requests_total\{route="latest",status="200"\} 3$/m);
    assert.match(text, /^api_request_duration_seconds_count\{route="latest"\} 3$/m);
    assert.match(await registry.metrics(), /^api_requests_total\{route="latest",status="200"\} 3$/m);
  });

  it('sum across cluster workers as prom-client’s metrics do', async () => {
    const first = OBSERVATIONS.slice(0, 7);
    const second = OBSERVATIONS.slice(7);
    const ours = AggregatorRegistry.aggregate([
      await requestMetricsJson(fromApi(first)),
      await requestMetricsJson(fromApi(second)),
    ]);
    const oracle = AggregatorRegistry.aggregate([
      await requestMetricsJson(fromPromClient(first)),
      await requestMetricsJson(fromPromClient(second)),
    ]);
    assert.deepEqual(requestLines(await ours.metrics()), requestLines(await oracle.metrics()));
    assert.match(await ours.metrics(), /^api_request_duration_seconds_count\{route="latest"\} 14$/m);
  });

  it('start again from zero when the registry is reset', async () => {
    const registry = fromApi(OBSERVATIONS);
    registry.resetMetrics();
    const text = await registry.metrics();
    assert.doesNotMatch(text, /^api_requests_total\{/m);
    assert.match(text, /^api_request_duration_seconds_count\{route="latest"\} 0$/m);
  });
});
