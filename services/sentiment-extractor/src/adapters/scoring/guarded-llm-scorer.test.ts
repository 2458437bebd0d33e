import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AppError, createLogger } from '@crypto-predict/core';
import { CoinDetector } from '../../domain/coins.js';
import { PROMPT_VERSION } from '../../domain/llm-prompt.js';
import type { Clock } from '../clock.js';
import { GuardedLlmScorer, type GuardOptions } from './guarded-llm-scorer.js';
import { LexiconNewsScorer } from './lexicon-news-scorer.js';
import type { LlmBackend, LlmRequest } from './llm-backend.js';
import { ScoreCache } from './score-cache.js';

const log = createLogger('test', 'silent');
const noWait: Clock = { now: () => 0, sleep: () => Promise.resolve() };
const lexicon = new LexiconNewsScorer(new CoinDetector());
const item = { title: 'Bitcoin exchange hacked, funds drained', coins: ['BTC'] };
const answer = (label: string, score: number): string =>
  JSON.stringify({ coins: [{ ticker: 'BTC', label, score, confidence: 0.9, reason: 'r' }] });

class FakeBackend implements LlmBackend {
  readonly kind = 'fake';
  readonly model = 'fake-model';
  calls = 0;
  active = 0;
  maxActive = 0;
  constructor(
    private readonly behaviour: (call: number, request: LlmRequest, signal: AbortSignal) => Promise<string>,
  ) {}
  async complete(request: LlmRequest, signal: AbortSignal): Promise<string> {
    this.calls += 1;
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      return await this.behaviour(this.calls, request, signal);
    } finally {
      this.active -= 1;
    }
  }
}

const options: GuardOptions = { timeoutMs: 50, retries: 1, concurrency: 2, backoffMs: 1 };
const scorer = (backend: LlmBackend, cache?: ScoreCache, extra: Partial<GuardOptions> = {}): GuardedLlmScorer =>
  new GuardedLlmScorer(
    backend,
    lexicon,
    { ...options, ...extra },
    { clock: noWait, log, ...(cache === undefined ? {} : { cache }) },
  );

describe('GuardedLlmScorer', () => {
  it('returns the LLM answer marked llm, with model and prompt version', async () => {
    const backend = new FakeBackend(() => Promise.resolve(answer('bearish', -0.8)));
    const scored = await scorer(backend).score(item);
    assert.equal(scored.method, 'llm');
    assert.equal(scored.model, 'fake-model');
    assert.equal(scored.promptVersion, PROMPT_VERSION);
    assert.equal(scored.coins[0]?.label, 'bearish');
    assert.equal(scored.fallbackReason, undefined);
  });

  it('falls back to the lexicon, marked lexicon, when the LLM times out', async () => {
    const backend = new FakeBackend(() => new Promise<string>(() => undefined));
    const started = performance.now();
    const scored = await scorer(backend).score(item);
    assert.equal(scored.method, 'lexicon', 'a timed-out LLM is replaced by the lexicon');
    assert.equal(scored.promptVersion, 'none');
    assert.match(scored.fallbackReason ?? '', /TIMEOUT/, 'the reason says it timed out');
    assert.equal(backend.calls, 2, 'one retry after the first timeout');
    assert.ok(performance.now() - started < 1_000, 'the timeout bounds the wait even if the backend never answers');
    assert.equal(scored.coins[0]?.label, 'bearish', 'the lexicon still reads the hack');
  });

  it('retries an invalid answer, sampling instead of repeating the greedy answer, and uses the valid one', async () => {
    const temperatures: number[] = [];
    const backend = new FakeBackend((call, request) => {
      temperatures.push(request.temperature);
      return Promise.resolve(call === 1 ? 'not json at all' : answer('bullish', 0.5));
    });
    const scored = await scorer(backend).score(item);
    assert.equal(scored.method, 'llm');
    assert.equal(backend.calls, 2);
    assert.equal(temperatures[0], 0, 'the first attempt is greedy');
    assert.ok((temperatures[1] ?? 0) > 0, 'the retry samples: a greedy retry would give the same bad answer');
  });

  it('does not retry an error a retry cannot fix', async () => {
    const backend = new FakeBackend(() =>
      Promise.reject(new AppError('UNAUTHORIZED', 'bad key', { retryable: false })),
    );
    const scored = await scorer(backend).score(item);
    assert.equal(scored.method, 'lexicon');
    assert.equal(backend.calls, 1, 'no retry for a non-retryable error');
  });

  it('answers a repeat from the cache without calling the model', async () => {
    const backend = new FakeBackend(() => Promise.resolve(answer('bullish', 0.4)));
    const guarded = scorer(backend, new ScoreCache(10));
    await guarded.score(item);
    const again = await guarded.score({ ...item });
    assert.equal(backend.calls, 1, 'same content, same prompt version, same model: cached');
    assert.equal(again.method, 'llm');
    await guarded.score({ ...item, title: 'Something else entirely about Bitcoin' });
    assert.equal(backend.calls, 2, 'different content is asked');
  });

  it('records a different prompt version, and does not share cached answers, without the worked examples', async () => {
    const backend = new FakeBackend(() => Promise.resolve(answer('bullish', 0.4)));
    const cache = new ScoreCache(10);
    const fewShot = await scorer(backend, cache).score(item);
    const zeroShot = await scorer(backend, cache, { fewShot: false }).score(item);
    assert.equal(fewShot.promptVersion, PROMPT_VERSION);
    assert.equal(zeroShot.promptVersion, `${PROMPT_VERSION}-zero-shot`);
    assert.equal(backend.calls, 2, 'the zero-shot prompt is asked, not served from the few-shot cache entry');
  });

  it('never runs more calls at once than the concurrency limit', async () => {
    const backend = new FakeBackend(() => new Promise((resolve) => setTimeout(() => resolve(answer('neutral', 0)), 5)));
    const guarded = scorer(backend, undefined, { concurrency: 2, timeoutMs: 1_000 });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) => guarded.score({ title: `Bitcoin item number ${i}`, coins: ['BTC'] })),
    );
    assert.equal(backend.calls, 8);
    assert.equal(backend.maxActive, 2, 'at most two in flight');
  });

  it('asks about every coin, or the item as a whole when it has none', async () => {
    const targets: string[][] = [];
    const backend = new FakeBackend((_, request) => {
      const last = request.messages.at(-1)?.content ?? '';
      targets.push(last.split('Targets: ')[1]?.split(', ') ?? []);
      return Promise.resolve(
        JSON.stringify({ coins: [{ ticker: 'OVERALL', label: 'neutral', score: 0, confidence: 0.5, reason: 'r' }] }),
      );
    });
    const scored = await scorer(backend).score({ title: 'Quarterly results are due', coins: [] });
    assert.equal(scored.coins[0]?.coin, 'OVERALL');
    assert.deepEqual(targets[0], ['OVERALL (the news as a whole)']);
  });
});

describe('ScoreCache', () => {
  it('evicts the least recently used entry', () => {
    const cache = new ScoreCache(2);
    const value = [{ coin: 'BTC', score: 0, label: 'neutral' as const, confidence: 1, reason: '' }];
    cache.set('a', value);
    cache.set('b', value);
    cache.get('a');
    cache.set('c', value);
    assert.equal(cache.get('b'), undefined, 'b was least recently used');
    assert.notEqual(cache.get('a'), undefined);
  });

  it('persists entries to a JSON-lines file and reads them back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'score-cache-'));
    try {
      const file = join(dir, 'cache.jsonl');
      new ScoreCache(10, file).set('k', [{ coin: 'ETH', score: 0.5, label: 'bullish', confidence: 0.7, reason: 'x' }]);
      assert.equal(new ScoreCache(10, file).get('k')?.[0]?.coin, 'ETH', 'a new cache on the same file knows the entry');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
