import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NewsDeduper } from './dedupe.js';
import { newsItemId, normaliseTitle, normaliseUrl } from './news-identity.js';

describe('news identity', () => {
  it('normalises URLs: scheme, www, tracking parameters, trailing slash, fragment', () => {
    assert.equal(
      normaliseUrl('https://www.CoinDesk.com/markets/2025/11/15/btc-falls/?utm_source=rss&utm_medium=feed#top'),
      'coindesk.com/markets/2025/11/15/btc-falls',
      'tracking and cosmetic differences do not change the key',
    );
    assert.equal(normaliseUrl('http://example.com/a?b=2&a=1'), 'example.com/a?a=1&b=2', 'query parameters are sorted');
    assert.equal(normaliseUrl('not a url'), undefined, 'garbage is no URL');
  });

  it('normalises titles: case, punctuation, quotes, accents', () => {
    assert.equal(normaliseTitle('Bitcoin Hits $100K — “Récord” High!'), 'bitcoin hits $100k record high');
  });

  it('gives the same id to the same article with different tracking tags', () => {
    const a = newsItemId({ url: 'https://decrypt.co/1/x?utm_source=a', title: 'A' });
    const b = newsItemId({ url: 'https://decrypt.co/1/x/', title: 'B' });
    assert.equal(a, b, 'the URL decides the id when there is one');
    assert.notEqual(
      newsItemId({ title: 'Bitcoin rallies' }),
      newsItemId({ title: 'Bitcoin slumps' }),
      'different titles, different ids',
    );
  });
});

describe('NewsDeduper', () => {
  it('drops a repeat by URL', () => {
    const deduper = new NewsDeduper();
    assert.equal(
      deduper.admit({ url: 'https://cointelegraph.com/news/a', title: 'One story about markets today' }),
      true,
    );
    assert.equal(
      deduper.admit({ url: 'https://cointelegraph.com/news/a?utm_source=x', title: 'Another title entirely here' }),
      false,
      'same URL is a duplicate',
    );
  });

  it('drops a repeat by normalised title across sources', () => {
    const deduper = new NewsDeduper();
    assert.equal(
      deduper.admit({ url: 'https://a.com/1', title: 'SEC Sues Exchange Over Unregistered Securities' }),
      true,
    );
    assert.equal(
      deduper.admit({ url: 'https://b.com/2', title: 'sec sues exchange over unregistered securities!' }),
      false,
      'same title elsewhere is a duplicate',
    );
  });

  it('does not call short generic titles duplicates', () => {
    const deduper = new NewsDeduper();
    assert.equal(deduper.admit({ url: 'https://a.com/1', title: 'Market update' }), true);
    assert.equal(
      deduper.admit({ url: 'https://a.com/2', title: 'Market update' }),
      true,
      'a three-word title is not specific enough',
    );
  });

  it('forgets the oldest keys beyond its capacity', () => {
    const deduper = new NewsDeduper(2);
    deduper.admit({ url: 'https://a.com/1', title: 'x' });
    deduper.admit({ url: 'https://a.com/2', title: 'y' });
    deduper.admit({ url: 'https://a.com/3', title: 'z' });
    assert.equal(deduper.size, 2, 'memory is bounded');
    assert.equal(deduper.admit({ url: 'https://a.com/1', title: 'x' }), true, 'the oldest key was forgotten');
    assert.equal(deduper.admit({ url: 'https://a.com/3', title: 'z' }), false, 'a recent key is remembered');
  });
});
