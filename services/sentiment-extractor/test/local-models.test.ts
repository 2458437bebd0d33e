import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { createLogger } from '@crypto-predict/core';
import { systemClock } from '../src/adapters/clock.js';
import { buildScorer } from '../src/adapters/scoring/build-scorer.js';
import { loadServiceConfig } from '../src/config.js';
import { CoinDetector } from '../src/domain/coins.js';
import { classifierModelsPresent } from './helpers.js';

// The real local models, when scripts/fetch-model.sh has put them in models/. Each runs on two or
// three items only; the evaluation CLI is where they are measured at scale.
const config = loadServiceConfig({ LOG_LEVEL: 'silent', LLM_TIMEOUT_MS: '60000', LLM_RETRIES: '0' });
const log = createLogger('test', 'silent');
const detector = new CoinDetector();
const hasClassifier = classifierModelsPresent(config.modelPaths);
const hasLlm = existsSync(config.modelPaths.llm);

describe('local models', () => {
  it('the classifier (all-mpnet-base-v2 + all-MiniLM-L6-v2 + n-grams) reads clear headlines the right way', async () => {
    assert.ok(
      hasClassifier,
      'the classifier models are missing: run services/sentiment-extractor/scripts/fetch-model.sh',
    );
    const scorer = await buildScorer('classifier', config, { detector, clock: systemClock, log });
    try {
      const scored = await scorer.scoreMany?.([
        { title: 'Bitcoin soars to a record high as ETF inflows surge', coins: ['BTC'] },
        { title: 'Exchange hacked, hackers steal $200 million in Ether', coins: ['ETH'] },
      ]);
      assert.equal(scored?.[0]?.method, 'classifier');
      assert.match(scored?.[0]?.model ?? '', /^all-mpnet-base-v2\+all-MiniLM-L6-v2\+lexicon\+ngram-softmax-head@/);
      assert.equal(scored?.[0]?.coins[0]?.label, 'bullish', 'a record high is bullish');
      assert.equal(scored?.[1]?.coins[0]?.label, 'bearish', 'a hack is bearish');
    } finally {
      await scorer.close?.();
    }
  });

  it(
    'Gemma 3 270M answers in the schema for two items',
    // Generous: on a loaded 2-core machine two CPU generations can take a minute or more.
    { timeout: 240_000 },
    async () => {
      assert.ok(hasLlm, 'the GGUF model is missing: run services/sentiment-extractor/scripts/fetch-model.sh llm');
      const scorer = await buildScorer('llm', config, { detector, clock: systemClock, log });
      try {
        const first = await scorer.score({ title: 'Exchange hacked, attackers drain $40M in ETH', coins: ['ETH'] });
        const second = await scorer.score({
          title: 'Bitcoin rallies while Solana network suffers an outage',
          coins: ['BTC', 'SOL'],
        });
        assert.equal(first.method, 'llm', `the local LLM answered (fallback: ${first.fallbackReason ?? 'none'})`);
        assert.equal(second.method, 'llm', `the local LLM answered (fallback: ${second.fallbackReason ?? 'none'})`);
        assert.deepEqual(
          second.coins.map((coin) => coin.coin),
          ['BTC', 'SOL'],
          'one answer per asked coin, in order',
        );
        assert.match(first.model, /gemma-3-270m/);
      } finally {
        await scorer.close?.();
      }
    },
  );
});
