import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@crypto-predict/core';
import { systemClock } from '../src/adapters/clock.js';
import { GuardedLlmScorer } from '../src/adapters/scoring/guarded-llm-scorer.js';
import { LexiconNewsScorer } from '../src/adapters/scoring/lexicon-news-scorer.js';
import { OpenAiBackend } from '../src/adapters/scoring/openai-backend.js';
import { CoinDetector } from '../src/domain/coins.js';
import { PROMPT_VERSION } from '../src/domain/llm-prompt.js';
import { json, startFixtureServer, type Handler } from './http-fixture-server.js';

const log = createLogger('test', 'silent');
const lexicon = new LexiconNewsScorer(new CoinDetector());

/** A chat completion as OpenAI-compatible servers return it, with the given message content. */
function completion(content: string): unknown {
  return {
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1763406000,
    model: 'local-test-model',
    choices: [
      { index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' },
    ],
    usage: { prompt_tokens: 120, completion_tokens: 30, total_tokens: 150 },
  };
}

/** Answers per the request: reads the asked targets from the json_schema and says bearish for each. */
const schemaAwareAnswer: Handler = (_request, body, response) => {
  const request = JSON.parse(body) as {
    response_format?: {
      json_schema?: {
        schema?: { properties?: { coins?: { items?: { properties?: { ticker?: { enum?: string[] } } } } } };
      };
    };
  };
  const targets =
    request.response_format?.json_schema?.schema?.properties?.coins?.items?.properties?.ticker?.enum ?? [];
  const content = JSON.stringify({
    coins: targets.map((ticker) => ({ ticker, label: 'bearish', score: -0.7, confidence: 0.9, reason: 'hack' })),
  });
  response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(completion(content)));
};

describe('OpenAI-compatible backend (local server speaking /v1/chat/completions)', () => {
  it('posts the chat with a json_schema response_format and the key, and parses the answer', async () => {
    const server = await startFixtureServer([schemaAwareAnswer]);
    try {
      const backend = new OpenAiBackend({ baseUrl: `${server.url}/v1`, apiKey: 'sk-test', model: 'local-test-model' });
      const scorer = new GuardedLlmScorer(
        backend,
        lexicon,
        { timeoutMs: 2_000, retries: 0, concurrency: 2 },
        { clock: systemClock, log },
      );
      const scored = await scorer.score({ title: 'Exchange hacked, BTC and ETH drained', coins: ['BTC', 'ETH'] });
      assert.equal(scored.method, 'llm');
      assert.equal(scored.model, 'local-test-model');
      assert.equal(scored.promptVersion, PROMPT_VERSION);
      assert.deepEqual(
        scored.coins.map((coin) => [coin.coin, coin.label, coin.score]),
        [
          ['BTC', 'bearish', -0.7],
          ['ETH', 'bearish', -0.7],
        ],
      );
      const sent = server.requests[0];
      assert.equal(new URL(sent?.url ?? '', server.url).pathname, '/v1/chat/completions');
      assert.equal(sent?.headers.authorization, 'Bearer sk-test');
      const body = JSON.parse(sent?.body ?? '{}') as {
        model: string;
        temperature: number;
        messages: Array<{ role: string }>;
        response_format: { type: string; json_schema: { strict: boolean } };
      };
      assert.equal(body.model, 'local-test-model');
      assert.equal(body.temperature, 0);
      assert.equal(body.response_format.type, 'json_schema');
      assert.equal(body.response_format.json_schema.strict, true);
      assert.equal(body.messages[0]?.role, 'system');
    } finally {
      await server.close();
    }
  });

  it('retries after a 429 and a 500, then answers', async () => {
    const server = await startFixtureServer([
      json(429, { error: { message: 'Rate limit reached' } }, { 'retry-after': '0' }),
      json(500, { error: { message: 'boom' } }),
      schemaAwareAnswer,
    ]);
    try {
      const backend = new OpenAiBackend({ baseUrl: `${server.url}/v1`, model: 'm' });
      const scorer = new GuardedLlmScorer(
        backend,
        lexicon,
        { timeoutMs: 2_000, retries: 2, concurrency: 1, backoffMs: 1 },
        { clock: systemClock, log },
      );
      const scored = await scorer.score({ title: 'Bitcoin news', coins: ['BTC'] });
      assert.equal(scored.method, 'llm', 'the third attempt answers');
      assert.equal(server.requests.length, 3);
    } finally {
      await server.close();
    }
  });

  it('falls back to the lexicon, marked lexicon, when the endpoint does not answer in time', async () => {
    const hang: Handler = () => undefined;
    const server = await startFixtureServer([hang]);
    try {
      const backend = new OpenAiBackend({ baseUrl: `${server.url}/v1`, model: 'm' });
      const scorer = new GuardedLlmScorer(
        backend,
        lexicon,
        { timeoutMs: 200, retries: 0, concurrency: 1 },
        { clock: systemClock, log },
      );
      const scored = await scorer.score({ title: 'Bitcoin exchange hacked', coins: ['BTC'] });
      assert.equal(scored.method, 'lexicon');
      assert.equal(scored.promptVersion, 'none');
      assert.match(scored.fallbackReason ?? '', /TIMEOUT/);
    } finally {
      await server.close();
    }
  });

  it('does not retry a refused key', async () => {
    const server = await startFixtureServer([json(401, { error: { message: 'Incorrect API key provided' } })]);
    try {
      const backend = new OpenAiBackend({ baseUrl: `${server.url}/v1`, apiKey: 'bad', model: 'm' });
      const scorer = new GuardedLlmScorer(
        backend,
        lexicon,
        { timeoutMs: 2_000, retries: 3, concurrency: 1, backoffMs: 1 },
        { clock: systemClock, log },
      );
      const scored = await scorer.score({ title: 'Ether rallies', coins: ['ETH'] });
      assert.equal(scored.method, 'lexicon');
      assert.match(scored.fallbackReason ?? '', /UNAUTHORIZED/);
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });
});
