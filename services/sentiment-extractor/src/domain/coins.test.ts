import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoinDetector, coinsOfItem } from './coins.js';
import { textPerCoin } from './coin-text.js';

const detector = new CoinDetector();
const tickers = (text: string): string[] => detector.detect(text).map((mention) => mention.ticker);

describe('CoinDetector', () => {
  it('maps names and tickers to tickers', () => {
    assert.deepEqual(tickers('Bitcoin and BTC holders cheer'), ['BTC']);
    assert.deepEqual(tickers('Ether slips while Ethereum devs ship an upgrade'), ['ETH']);
    assert.deepEqual(tickers('$SOL and $XRP lead; Dogecoin lags'), ['SOL', 'XRP', 'DOGE']);
  });

  it('orders coins by first mention', () => {
    assert.deepEqual(tickers('Cardano beats Solana as Bitcoin stalls'), ['ADA', 'SOL', 'BTC']);
  });

  it('prefers the longer name: Bitcoin Cash is BCH, not BTC', () => {
    assert.deepEqual(tickers('Bitcoin Cash hard fork'), ['BCH'], 'the phrase wins over its first word');
    assert.deepEqual(tickers('Ethereum Classic rises'), ['ETC']);
  });

  it('does not read common words as coins', () => {
    assert.deepEqual(
      tickers('Click the link, near the top; optimism grows about polygon shapes'),
      [],
      'lower-case English words are not coins',
    );
    assert.deepEqual(
      tickers('Chainlink LINK and NEAR rally; Optimism OP up'),
      ['LINK', 'NEAR', 'OP'],
      'upper-case tickers and proper names are',
    );
  });

  it('does not match inside other words', () => {
    assert.deepEqual(
      tickers('BTCUSD perpetuals and ethernet cables'),
      [],
      'a ticker glued to other letters is not a mention',
    );
  });

  it('canonicalises aliases a source gives', () => {
    assert.equal(detector.canonicalTicker('xbt'), 'BTC');
    assert.equal(detector.canonicalTicker('MATIC'), 'POL');
    assert.equal(detector.canonicalTicker('MSTR'), 'MSTR', 'unknown tags pass through');
  });
});

describe('coinsOfItem', () => {
  it('puts tagged currencies first, then coins from the text, without repeats or bad tags', () => {
    const coins = coinsOfItem(detector, {
      title: 'Solana and Bitcoin rally',
      body: 'XRP too.',
      currencies: ['BTC', 'A', 'XBT'],
    });
    assert.deepEqual(coins, ['BTC', 'SOL', 'XRP'], 'tags first, one-letter tags dropped, XBT folded into BTC');
  });

  it('caps the number of coins', () => {
    const coins = coinsOfItem(detector, { title: 'BTC ETH XRP SOL ADA DOGE', currencies: [] }, 3);
    assert.deepEqual(coins, ['BTC', 'ETH', 'XRP']);
  });
});

describe('textPerCoin', () => {
  it('gives each coin the clauses that speak about it', () => {
    const texts = textPerCoin(detector, { title: 'Bitcoin rallies to a record high while Solana is hacked' }, [
      'BTC',
      'SOL',
    ]);
    assert.equal(texts.get('BTC'), 'Bitcoin rallies to a record high');
    assert.equal(texts.get('SOL'), 'while Solana is hacked');
  });

  it('gives a coin named nowhere (only tagged) the whole item', () => {
    const texts = textPerCoin(detector, { title: 'Exchange hacked', body: 'Funds were drained.' }, ['USDT']);
    assert.equal(texts.get('USDT'), 'Exchange hacked. Funds were drained.');
  });
});
