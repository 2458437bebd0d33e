import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { bulkIndex, deleteIndices, type Prediction } from '@crypto-predict/core';
import { seededRandom, testElastic, testStack, uniquePrefix } from '@crypto-predict/core/testing';
import { errorDocument, errorIndex } from '@crypto-predict/model-error-monitor/error-index';
import { scorePrediction } from '@crypto-predict/model-error-monitor/score';
import { predictionsIndex } from '@crypto-predict/price-predictor/prediction-index';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ApiKeyStore } from '../src/adapters/api-key-store.js';
import { buildApi, type ApiApp } from '../src/app.js';
import { loadApiConfig } from '../src/config.js';
import { samplePrediction } from '../src/test-support/fakes.js';
import { schemaFor } from './support/database.js';
import { probe, type Answer } from './support/http-probe.js';
import { installIndexMappings } from './support/indices.js';
import { fuzzRequests, type FuzzCase, type FuzzRules, type Operation } from './support/openapi-fuzz.js';

/** Requests generated; FUZZ_REQUESTS changes how many, FUZZ_SEED which. */
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 10_500);
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_601);
const CONCURRENCY = 16;
const MINUTE = 60_000;
const T0 = Math.floor(Date.now() / MINUTE) * MINUTE - 60 * MINUTE;

/** The pairs and horizons that have predictions: what makes a latest 200 rather than 404. */
const DATA: Record<string, number[]> = { 'BTC/USDT': [1, 5, 15, 60], 'ETH/USDT': [5] };

function prediction(pair: string, horizon: number, minute: number): Prediction {
  const featureTime = T0 + minute * MINUTE;
  const lastClose = pair === 'BTC/USDT' ? 90_000 + minute : 3_000 + minute;
  return samplePrediction(0, {
    pair,
    horizon,
    featureTime,
    createdAt: featureTime + 120,
    lastClose,
    predictedLogReturn: 0.0002,
    predictedPrice: lastClose * Math.exp(0.0002),
    lower: lastClose * 0.99,
    upper: lastClose * 1.01,
    model: { name: 'price-1m', version: '2', servedBy: 'champion' },
  });
}

const normalPair = (text: string): string => text.toUpperCase().replace('-', '/');

/** Epoch ms of a from/to value as the document describes them (a number, a date-time, a date). */
const timeOf = (text: string): number => (/^[0-9]+$/.test(text) ? Number(text) : Date.parse(text));

const WINDOW_UNIT_MS: Record<string, number> = { m: MINUTE, h: 60 * MINUTE, d: 1_440 * MINUTE };

function clip(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}

/** Headers whose values depend on the moment or the bucket, not on the request: compared by presence. */
const VOLATILE_HEADERS = new Set(['date', 'ratelimit-remaining', 'ratelimit-reset', 'retry-after']);
/** Connection management, which differs between the lanes by design (node:http's own choices). */
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive']);

/**
 * An answer as far as the lanes must agree on it: status, body, header names and stable values.
 * Each API counts its own requests, so /metrics is compared by status and content type only.
 */
function comparable(answer: Answer, target: string): string {
  const ownCounts = target.startsWith('/metrics');
  const headers = Object.entries(answer.headers)
    .filter(([name]) => !CONNECTION_HEADERS.has(name))
    .map(([name, value]) => {
      const volatile = VOLATILE_HEADERS.has(name) || (ownCounts && name === 'content-length');
      return `${name}: ${volatile ? '*' : String(value)}`;
    })
    .sort();
  return JSON.stringify({ status: answer.status, headers, body: ownCounts ? '*' : answer.body });
}

describe('the API under 10,000+ requests generated from its OpenAPI document', { timeout: 240_000 }, () => {
  const stack = testStack();
  const prefix = uniquePrefix('fuzz');
  const schema = schemaFor(prefix);
  const elastic = testElastic();
  const logs: string[] = [];
  const keys = ApiKeyStore.connect(stack.databaseUrl, schema);
  const registry = new Registry();
  let app: ApiApp;
  /** The same API with the fast lane off: node:http answers everything. */
  let plain: ApiApp;
  let key = '';
  let revokedKey = '';

  before(async () => {
    await installIndexMappings(elastic, prefix);
    const predictions = Object.entries(DATA).flatMap(([pair, horizons]) =>
      horizons.flatMap((horizon) =>
        Array.from({ length: pair === 'BTC/USDT' ? 30 : 3 }, (_, minute) => prediction(pair, horizon, minute)),
      ),
    );
    const scored = predictions
      .filter((p) => p.pair === 'BTC/USDT' && p.horizon === 5)
      .slice(0, 12)
      .map((p, i) => ({ p, e: scorePrediction(p, p.lastClose * (1 + (i % 3) * 0.004 - 0.004), p.targetTime + 500) }));
    const written = await bulkIndex(
      elastic,
      [
        ...predictions.map((p) => ({ index: predictionsIndex(prefix), id: p.id, document: p })),
        ...scored.map(({ p, e }) => ({ index: errorIndex(prefix), id: e.predictionId, document: errorDocument(e, p) })),
      ],
      { refresh: 'wait_for' },
    );
    assert.deepEqual(written.failed, [], 'the test data must be indexed');
    await keys.ensureSchema();
    key = (await keys.create('fuzz')).key;
    const revoked = await keys.create('revoked');
    revokedKey = revoked.key;
    await keys.revoke(revoked.record.id);
    const config = loadApiConfig({
      PORT: '0',
      ELASTICSEARCH_URL: stack.elasticsearchUrl,
      DATABASE_URL: stack.databaseUrl,
      DATABASE_SCHEMA: schema,
      TOPIC_PREFIX: prefix,
      FEED_ENABLED: 'false',
      RATE_LIMIT_PER_S: '1000000',
      RATE_LIMIT_BURST: '1000000',
    });
    const log = pino({ level: 'warn' }, { write: (line: string) => logs.push(line) });
    // One fixed clock for both, so that answers that read it (a performance window without scored
    // predictions ends at the clock) are the same from both lanes.
    const clock = (): number => T0 + 90 * MINUTE;
    app = buildApi(config, { log, registry, clock });
    plain = buildApi({ ...config, FAST_LANE: false }, { log, registry: new Registry(), clock });
    await app.start();
    await plain.start();
  });

  after(async () => {
    await app?.stop();
    await plain?.stop();
    await deleteIndices(elastic, `${prefix}-*`);
    await elastic.close();
    await keys.dropSchema();
    await keys.close();
  });

  it('never answers 5xx, answers every 4xx with a JSON reason, and every valid request as it must; the fast lane answers as node:http does', async (t) => {
    const base = new URL(app.url);
    const plainBase = new URL(plain.url);
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    // Other methods, event streams, over-long targets and targets not in origin form (`*`,
    // `http://…`) go on connections of their own: each hands its keep-alive connection to node:http
    // for good (fast-lane.ts), and the GETs after it would no longer test the fast lane.
    const otherAgent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const laneFor = (c: FuzzCase): Agent =>
      c.method === 'GET' && c.target.startsWith('/') && !c.target.startsWith('/v1/stream') && c.target.length < 4_000
        ? agent
        : otherAgent;
    const auth = { authorization: `Bearer ${key}` };
    const document = (await (await fetch(`${app.url}/openapi.json`)).json()) as Parameters<typeof fuzzRequests>[0];

    // Cursors the API issued, to use as valid values (collected first, so the run is reproducible).
    const cursors: string[] = [];
    for (const query of ['limit=5&order=asc', 'limit=7', 'horizon=5&limit=3', 'limit=11&order=asc&horizon=1']) {
      let cursor: string | null = null;
      for (let page = 0; page < 3; page += 1) {
        const answer = await probe(
          agent,
          base,
          {
            method: 'GET',
            target: `/v1/predictions?pair=BTC/USDT&${query}${cursor === null ? '' : `&cursor=${cursor}`}`,
            headers: auth,
          },
          5_000,
        );
        assert.equal(answer.status, 200, `history must answer: ${answer.body}`);
        cursor = (JSON.parse(answer.body) as { nextCursor: string | null }).nextCursor;
        if (cursor === null) break;
        cursors.push(cursor);
      }
    }
    assert.ok(cursors.length >= 8, 'paging the test data must issue cursors');

    const rules: FuzzRules = {
      crossCheck: (_operation: Operation, query) => {
        const [from, to] = [query.get('from'), query.get('to')];
        return from !== undefined && to !== undefined && timeOf(from) > timeOf(to) ? 'from' : null;
      },
      valueCheck: (parameter, value) => {
        if (parameter.name !== 'window') return true;
        // "at most 90d", in the parameter's description.
        return Number(value.slice(0, -1)) * (WINDOW_UNIT_MS[value.slice(-1)] ?? Number.NaN) <= 90 * 1_440 * MINUTE;
      },
      validStatus: (operation, query) => {
        if (operation.path !== '/v1/predictions/latest') return 200;
        const horizons = DATA[normalPair(query.get('pair') ?? '')] ?? [];
        const horizon = query.get('horizon');
        return horizons.length > 0 && (horizon === undefined || horizons.includes(Number(horizon))) ? 200 : 404;
      },
      extraValid: {
        pair: ['eth-usdt', 'XRP/EUR', 'SOL/USDT'],
        from: [String(T0), String(T0 + 10 * MINUTE), new Date(T0 - MINUTE).toISOString()],
        to: [String(T0 + 20 * MINUTE), new Date(T0 + 40 * MINUTE).toISOString()],
      },
      opaque: { cursor: cursors },
      goodAuth: [auth, { 'x-api-key': key }, { authorization: `bearer  ${key}` }, { 'x-api-key': ` ${key}` }],
      badAuth: [
        {},
        { 'x-api-key': 'letmein' },
        { authorization: `Bearer cpk_${randomBytes(32).toString('base64url')}` },
        { authorization: `Bearer ${revokedKey}` },
        { 'x-api-key': revokedKey },
        { authorization: 'Basic dXNlcjpwYXNz' },
        { authorization: 'Bearer ' },
        { authorization: `Bearer ${key} extra` },
        { authorization: `Bearer ${key.slice(0, -1)}` },
        { 'x-api-key': `${key},${key}` },
        { 'x-api-key': key.toUpperCase() },
        { authorization: `Bearer ${'k'.repeat(5_000)}` },
        { authorization: `Bearer ${revokedKey}`, 'x-api-key': key },
      ],
    };

    const generator = fuzzRequests(document, rules, seededRandom(SEED));
    const cases: FuzzCase[] = Array.from({ length: REQUESTS }, () => generator.next());
    const failures: string[] = [];
    const tally = new Map<string, number>();
    const count = (label: string): void => {
      tally.set(label, (tally.get(label) ?? 0) + 1);
    };

    const check = (c: FuzzCase, answer: Answer): string | null => {
      const { status } = answer;
      if (status >= 500) return `answered ${status}`;
      const { expect } = c;
      if (typeof expect.status === 'number' && status !== expect.status)
        return `answered ${status}, not ${expect.status}`;
      if (expect.status === '4xx' && (status < 400 || status > 499)) return `answered ${status}, not a 4xx`;
      const hasBody = c.method !== 'HEAD';
      if (status >= 400 && hasBody) {
        if (!/^application\/json/.test(String(answer.headers['content-type']))) {
          return `a ${status} without a JSON body (content-type ${String(answer.headers['content-type'])})`;
        }
        let body: { error?: unknown; message?: unknown; parameter?: unknown };
        try {
          body = JSON.parse(answer.body) as typeof body;
        } catch {
          return `a ${status} whose body is not JSON: ${clip(answer.body)}`;
        }
        if (
          typeof body.error !== 'string' ||
          body.error === '' ||
          typeof body.message !== 'string' ||
          body.message === ''
        )
          return `a ${status} without error and message: ${clip(answer.body)}`;
        if ('parameter' in expect && expect.parameter !== undefined && body.parameter !== expect.parameter)
          return `a 400 naming ${JSON.stringify(body.parameter)}, not ${JSON.stringify(expect.parameter)}: ${clip(body.message)}`;
      }
      if (status === 200 && hasBody && c.stream !== true && c.operation.startsWith('GET /v1/')) {
        try {
          const body = JSON.parse(answer.body) as { predictions?: { pair: string }[] };
          if (c.operation === 'GET /v1/predictions/latest' && (body.predictions ?? []).length === 0)
            return 'a latest 200 without predictions';
        } catch {
          return `a 200 whose body is not JSON: ${clip(answer.body)}`;
        }
      }
      return null;
    };

    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < cases.length) {
          const c = cases[next] as FuzzCase;
          next += 1;
          let problem: string | null;
          let status = 'error';
          try {
            const [answer, plainAnswer] = await Promise.all([
              probe(laneFor(c), base, c, 10_000),
              probe(laneFor(c), plainBase, c, 10_000),
            ]);
            status = String(answer.status);
            problem = check(c, answer) ?? check(c, plainAnswer);
            // Event streams are node:http's on both; their heads are compared like any answer.
            const [fast, slow] = [comparable(answer, c.target), comparable(plainAnswer, c.target)];
            if (problem === null && fast !== slow)
              problem = `the lanes differ: ${clip(fast, 400)} vs node:http ${clip(slow, 400)}`;
          } catch (error) {
            problem = `no answer: ${(error as Error).message}`;
          }
          count(`${c.kind} → ${status}`);
          if (problem !== null && failures.length < 1_000) {
            const sent = c.raw === undefined ? `${c.method} ${c.target}` : JSON.stringify(c.raw);
            failures.push(`${c.kind}: ${clip(sent)} → ${problem}`);
          }
        }
      }),
    );
    agent.destroy();
    otherAgent.destroy();
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`${cases.length} requests in ${seconds.toFixed(1)} s (seed ${SEED})`);
    t.diagnostic(
      [...tally]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([label, n]) => `${label}: ${n}`)
        .join(', '),
    );
    // FUZZ_REPORT=<file> keeps every failure (the assertion shows the first 25).
    if (process.env.FUZZ_REPORT !== undefined) writeFileSync(process.env.FUZZ_REPORT, failures.join('\n'));
    assert.deepEqual(failures.slice(0, 25), [], `${failures.length} of ${cases.length} requests answered wrongly`);
    // Both lanes of the fast-lane API must have been exercised for the comparison to mean anything.
    const counted = async (name: string): Promise<number> =>
      (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
    const [laneAnswers, handoffs] = [
      await counted('api_fast_lane_answers_total'),
      await counted('api_fast_lane_handoffs_total'),
    ];
    t.diagnostic(`fast lane: ${laneAnswers} answers, ${handoffs} connections handed to node:http`);
    assert.ok(laneAnswers > REQUESTS / 2, `the fast lane must answer most requests (answered ${laneAnswers})`);
    assert.ok(handoffs > 100, `the fast lane must hand the others to node:http (handed off ${handoffs})`);
    assert.ok(
      (tally.get('valid → 200') ?? 0) > REQUESTS / 10 && [...tally.keys()].some((label) => label.endsWith('→ 400')),
      'the run must have included many valid requests and refused ones',
    );
    const errors = logs.filter((line) => /"level":(50|60)/.test(line));
    assert.deepEqual(errors.slice(0, 5), [], 'the API must log no error while fuzzed');
    assert.equal((await fetch(`${app.url}/healthz`)).status, 200, 'the API must still be alive');
  });
});
