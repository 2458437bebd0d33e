import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoinDetector } from './coins.js';
import { LexiconAnalyser, LexiconScorer } from './lexicon-scorer.js';

const analyser = new LexiconAnalyser();
const score = (text: string): number => analyser.analyse(text).score;

describe('LexiconAnalyser (VADER + crypto terms)', () => {
  it('reads crypto losses as bearish where plain VADER sees nothing', () => {
    assert.equal(
      LexiconAnalyser.vaderOnly('Exchange announces delisting of the token'),
      0,
      'plain VADER has no opinion on a delisting',
    );
    assert.equal(LexiconAnalyser.vaderOnly('$200M in long liquidations'), 0, 'nor on liquidations');
    assert.ok(score('Protocol exploited, vault drained') < -0.3, 'an exploit is bearish');
    assert.ok(score('Developers accused of a rug pull') < -0.3, 'a rug pull is bearish');
    assert.ok(score('Exchange announces delisting of the token') < -0.3, 'a delisting is bearish');
    assert.ok(score('SEC lawsuit targets the exchange') < -0.3, 'an SEC lawsuit is bearish');
    assert.ok(score('$200M in long liquidations as price tumbles') < -0.3, 'liquidations are bearish');
  });

  it('reads crypto milestones as bullish', () => {
    assert.ok(score('Spot ETF approval expected this week') > 0.3, 'an ETF approval is bullish');
    assert.ok(score('Bitcoin hits an all-time high') > 0.3, 'an all-time high is bullish');
    assert.ok(score('Miners prepare for the halving') > 0.1, 'the halving leans bullish');
  });

  it('flips a negated crypto term', () => {
    assert.ok(score('No hack occurred') > 0, 'a denied hack is not bearish');
    assert.ok(score('Not a rug pull, says team') > 0, 'a denied rug pull is not bearish');
  });

  it('keeps VADER general vocabulary and stays in [-1, 1]', () => {
    assert.ok(score('A great, wonderful result') > 0.5);
    const extreme = score('hack hack exploit exploit rug pull crash crash liquidation delisting');
    assert.ok(extreme >= -1 && extreme < -0.9, 'a pile of bad news saturates near -1');
    assert.equal(score('The meeting is on Tuesday'), 0, 'plain facts score zero');
  });
});

describe('LexiconScorer', () => {
  const scorer = new LexiconScorer(new CoinDetector());

  it('scores each coin on its own clause and labels it', () => {
    const scored = scorer.score({
      title: 'Bitcoin rallies to a record high while Solana network is hacked',
      coins: ['BTC', 'SOL'],
    });
    assert.equal(scored.method, 'lexicon');
    assert.equal(scored.promptVersion, 'none');
    const [btc, sol] = scored.coins;
    assert.equal(btc?.coin, 'BTC');
    assert.equal(btc?.label, 'bullish', 'the rally is BTC news');
    assert.equal(sol?.label, 'bearish', 'the hack is SOL news');
    assert.match(sol?.reason ?? '', /hacked/, 'the reason names the term that decided');
    for (const coin of scored.coins) {
      assert.ok(coin.score >= -1 && coin.score <= 1, 'score in [-1, 1]');
      assert.ok(coin.confidence >= 0 && coin.confidence <= 1, 'confidence in [0, 1]');
    }
  });

  it('labels a neutral sentence neutral', () => {
    const scored = scorer.score({ title: 'Ethereum developers schedule a call for Thursday', coins: ['ETH'] });
    assert.equal(scored.coins[0]?.label, 'neutral');
  });

  it('scores the item as a whole when it has no coins', () => {
    const scored = scorer.score({ title: 'Operating profit rose sharply', coins: [] });
    assert.equal(scored.coins.length, 1);
    assert.equal(scored.coins[0]?.coin, 'OVERALL');
    assert.equal(scored.coins[0]?.label, 'bullish');
  });
});
