import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { NewsItem } from '@crypto-predict/core';
import { CryptoPanicPage, cryptoPanicItems } from './cryptopanic.js';
import { NewsApiAnswer, newsApiItems } from './newsapi.js';
import { FeedParseError, feedItems } from './rss.js';

const fixture = (name: string): string =>
  readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8');
const RECEIVED = Date.UTC(2025, 10, 17, 19, 0);

describe('CryptoPanic posts', () => {
  it('maps results with their currencies, decoded titles and descriptions', () => {
    const page = CryptoPanicPage.parse(JSON.parse(fixture('cryptopanic-page1.json')));
    const { items, rejected } = cryptoPanicItems(page, RECEIVED);
    assert.equal(rejected.length, 0);
    assert.equal(items.length, 2);
    assert.deepEqual(items[1]?.currencies, ['SOL', 'ETH']);
    assert.equal(items[1]?.title, 'Solana ETF sees record inflows & ETH staking climbs', 'HTML entities decoded');
    assert.equal(
      items[0]?.body,
      'Leveraged traders were wiped out as BTC fell for a third day.',
      'tags stripped from the description',
    );
    assert.equal(items[0]?.source, 'cryptopanic:cointelegraph.com');
    assert.equal(items[0]?.publishedAt, Date.UTC(2025, 10, 17, 18, 40));
    for (const item of items) assert.ok(NewsItem.safeParse(item).success, 'valid NewsItem');
  });
});

describe('NewsAPI articles', () => {
  it('maps articles and skips removed ones', () => {
    const answer = NewsApiAnswer.parse(JSON.parse(fixture('newsapi-everything.json')));
    assert.equal(answer.status, 'ok');
    if (answer.status !== 'ok') return;
    const { items, rejected } = newsApiItems(answer, RECEIVED);
    assert.equal(items.length, 2);
    assert.equal(rejected.length, 1, 'the [Removed] article is rejected');
    assert.equal(items[0]?.source, 'newsapi:CoinDesk');
    assert.equal(
      items[1]?.body,
      'Dogecoin rose 9% on Monday after a major exchange listed it…',
      'content used without its [+N chars] tail when there is no description',
    );
  });

  it('reads an error answer', () => {
    const answer = NewsApiAnswer.parse({
      status: 'error',
      code: 'rateLimited',
      message: 'You have made too many requests',
    });
    assert.equal(answer.status, 'error');
  });
});

describe('RSS and Atom feeds', () => {
  it('reads RSS 2.0 items with CDATA, HTML and RFC 822 dates', () => {
    const { items } = feedItems(fixture('coindesk-rss.xml'), 'coindesk.com', RECEIVED);
    assert.equal(items.length, 2);
    assert.equal(items[0]?.title, 'Bitcoin Miners Rally as Hashprice Recovers');
    assert.equal(items[0]?.body, 'Shares of bitcoin miners jumped on Monday & hashprice rose.');
    assert.equal(
      items[0]?.url,
      'https://www.coindesk.com/markets/2025/11/17/bitcoin-miners-rally-as-hashprice-recovers',
    );
    assert.equal(items[0]?.publishedAt, Date.UTC(2025, 10, 17, 18, 15));
    assert.deepEqual(items[0]?.currencies, ['BTC'], 'only ticker-shaped categories become currencies');
    assert.equal(items[0]?.source, 'rss:coindesk.com');
  });

  it('reads Atom entries and rejects an entry without a date', () => {
    const { items, rejected } = feedItems(fixture('decrypt-atom.xml'), 'decrypt.co', RECEIVED);
    assert.equal(items.length, 1);
    assert.equal(rejected.length, 1);
    assert.equal(items[0]?.url, 'https://decrypt.co/350101/cardano-founder-denies-rug-pull-claims');
    assert.equal(items[0]?.body, 'Charles Hoskinson pushed back on claims about ADA treasury funds.');
    assert.deepEqual(items[0]?.currencies, ['ADA']);
  });

  it('refuses a document that is not a feed', () => {
    assert.throws(() => feedItems('<html><body>hi</body></html>', 'x', RECEIVED), FeedParseError);
    assert.throws(() => feedItems('<rss><channel>', 'x', RECEIVED), FeedParseError);
  });
});
