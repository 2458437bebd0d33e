import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NewsItem } from '@crypto-predict/core';
import { parseCsvWithHeader } from './csv.js';
import { detectNewsFileFormat, newsItemsFromRows, parseCryptoPanicCurrencies, parseUtc } from './news-files.js';

const CRYPTOPANIC = `datetime_utc,title,currencies,source,source_type,cryptopanic_url,cryptopanic_sentiment,cryptopanic_confidence,votes_json,description
2025-11-15T01:12:28Z,Harvard University Significantly Increases Bitcoin ETF Holdings,BTC,coincu.com,link,https://cryptopanic.com/news/27074140/Harvard,neutral,0,"{""important"": 4}","Harvard boosts its Bitcoin ETF shares,
indicating growing interest."
2025-11-15T02:01:43Z,"Michael Saylor Slams 47,000 BTC Sale Rumor",BTC ;ETH ;A ,cryptonews.com,link,https://cryptopanic.com/news/27074513/Saylor,bearish,64,{},
not-a-date,Broken row,No currency,x.com,link,https://cryptopanic.com/news/1/x,neutral,0,{},
`;

const CRYPTONEWS = `datetime_utc,source,subject,title,text,url,auto_sentiment_class,auto_polarity,auto_subjectivity,date_raw
2021-10-27T15:17:00Z,CryptoNews,defi,Cream Finance Suffers Another Exploit,Cream Finance (CREAM) suffered another flash loan attack.,https://cryptonews.com/news/cream.htm,neutral,0.0,0.0,27-10-2021 15:17
2021-10-28T10:00:00Z,CoinTelegraph,bitcoin,"Bitcoin ""whales"" buy the dip",Large holders added\u009c coins.,https://cointelegraph.com/news/whales,positive,0.2,0.4,28-10-2021 10:00
`;

describe('recorded news files', () => {
  it('recognises both formats by their header', () => {
    assert.equal(detectNewsFileFormat(parseCsvWithHeader(CRYPTOPANIC).header), 'cryptopanic');
    assert.equal(detectNewsFileFormat(parseCsvWithHeader(CRYPTONEWS).header), 'cryptonews');
    assert.equal(detectNewsFileFormat(['a', 'b']), undefined);
  });

  it('maps CryptoPanic rows to valid NewsItems, multi-line descriptions included', () => {
    const { items, rejected } = newsItemsFromRows('cryptopanic', parseCsvWithHeader(CRYPTOPANIC).rows);
    assert.equal(items.length, 2);
    assert.deepEqual(
      rejected,
      [{ row: 3, reason: 'bad datetime_utc "not-a-date"' }],
      'a bad row is reported, not fatal',
    );
    const [first, second] = items;
    assert.equal(first?.publishedAt, Date.UTC(2025, 10, 15, 1, 12, 28));
    assert.equal(
      first?.receivedAt,
      first?.publishedAt,
      'replayed items are received at publication time (deterministic)',
    );
    assert.equal(first?.body, 'Harvard boosts its Bitcoin ETF shares, indicating growing interest.');
    assert.equal(first?.source, 'cryptopanic:coincu.com');
    assert.deepEqual(second?.currencies, ['BTC', 'ETH'], 'tags split on ";" and one-letter tags dropped');
    for (const item of items) assert.ok(NewsItem.safeParse(item).success, 'every item passes the core NewsItem schema');
  });

  it('maps cryptonews rows, taking a coin from the subject and cleaning stray control characters', () => {
    const { items } = newsItemsFromRows('cryptonews', parseCsvWithHeader(CRYPTONEWS).rows);
    assert.deepEqual(
      items.map((item) => item.currencies),
      [[], ['BTC']],
    );
    assert.equal(items[1]?.title, 'Bitcoin "whales" buy the dip');
    assert.equal(items[1]?.body, 'Large holders added coins.');
    assert.equal(items[0]?.url, 'https://cryptonews.com/news/cream.htm');
  });

  it('reads CryptoPanic currency tags', () => {
    assert.deepEqual(parseCryptoPanicCurrencies('No currency'), []);
    assert.deepEqual(parseCryptoPanicCurrencies('BTC ;ETH ;XRP '), ['BTC', 'ETH', 'XRP']);
    assert.deepEqual(parseCryptoPanicCurrencies('4'), [], 'a one-character tag cannot be a ticker');
  });

  it('parses only zoned ISO times', () => {
    assert.equal(parseUtc('2025-11-14T19:30:06Z'), Date.UTC(2025, 10, 14, 19, 30, 6));
    assert.equal(parseUtc('2025-11-14 19:30:06'), undefined, 'a time without a zone is ambiguous');
  });
});
