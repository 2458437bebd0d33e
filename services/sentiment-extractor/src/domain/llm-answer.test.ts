import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { answerJsonSchema, parseAnswer } from './llm-answer.js';
import { chatMessages, PROMPT_VERSION, truncateForPrompt } from './llm-prompt.js';

const entry = (ticker: string, label: string, score: number) => ({
  ticker,
  label,
  score,
  confidence: 0.8,
  reason: 'because',
});

describe('parseAnswer', () => {
  it('accepts a complete answer and returns the coins in the asked order', () => {
    const raw = JSON.stringify({ coins: [entry('ETH', 'bearish', -0.4), entry('BTC', 'bullish', 0.7)] });
    const parsed = parseAnswer(raw, ['BTC', 'ETH']);
    assert.ok(parsed.ok, 'a complete answer parses');
    if (parsed.ok)
      assert.deepEqual(
        parsed.coins.map((coin) => coin.coin),
        ['BTC', 'ETH'],
      );
  });

  it('reads JSON wrapped in a code fence', () => {
    const raw = '```json\n' + JSON.stringify({ coins: [entry('BTC', 'neutral', 0)] }) + '\n```';
    assert.ok(parseAnswer(raw, ['BTC']).ok, 'fenced JSON is accepted');
  });

  it('brings the score in line with the label and clamps numbers', () => {
    const raw = JSON.stringify({
      coins: [{ ticker: 'BTC', label: 'bearish', score: 0.6, confidence: 3, reason: 'x' }],
    });
    const parsed = parseAnswer(raw, ['BTC']);
    assert.ok(parsed.ok);
    if (parsed.ok) {
      assert.equal(parsed.coins[0]?.score, -0.6, 'a bearish label makes the score negative');
      assert.equal(parsed.coins[0]?.confidence, 1, 'confidence clamped to 1');
    }
  });

  it('refuses text that is not JSON, a wrong label, a missing or an extra coin', () => {
    assert.match(refusal('I think it is bullish', ['BTC']), /not JSON/);
    assert.match(refusal(JSON.stringify({ coins: [entry('BTC', 'positive', 0.5)] }), ['BTC']), /schema/);
    assert.match(refusal(JSON.stringify({ coins: [entry('BTC', 'bullish', 0.5)] }), ['BTC', 'ETH']), /misses ETH/);
    assert.match(refusal(JSON.stringify({ coins: [entry('DOGE', 'bullish', 0.5)] }), ['BTC']), /not asked/);
    assert.match(
      refusal(JSON.stringify({ coins: [entry('BTC', 'bullish', 0.5), entry('BTC', 'bearish', -0.5)] }), ['BTC']),
      /twice/,
    );
  });
});

function refusal(raw: string, targets: string[]): string {
  const parsed = parseAnswer(raw, targets);
  assert.equal(parsed.ok, false, `"${raw}" must be refused`);
  return parsed.ok ? '' : parsed.reason;
}

describe('answer schema and prompt', () => {
  it('constrains tickers to the asked coins and the array to one entry each', () => {
    const schema = answerJsonSchema(['BTC', 'ETH']);
    assert.deepEqual(schema.properties.coins.items.properties.ticker.enum, ['BTC', 'ETH']);
    assert.equal(schema.properties.coins.minItems, 2);
    assert.equal(schema.properties.coins.maxItems, 2);
  });

  it('versions the prompt by its content and ends with the item', () => {
    assert.match(PROMPT_VERSION, /^news-sentiment-v1-[0-9a-f]{8}$/);
    const messages = chatMessages('Bitcoin up', ['BTC']);
    assert.equal(messages[0]?.role, 'system');
    assert.equal(messages.at(-1)?.content, 'News: Bitcoin up\nTargets: BTC');
  });

  it('truncates long text at a word boundary', () => {
    const text = 'word '.repeat(1000);
    const cut = truncateForPrompt(text, 100);
    assert.ok(cut.length <= 101 && cut.endsWith('…'), 'cut to the limit with an ellipsis');
  });
});
