import type { NewsItem } from '@crypto-predict/core';
import { XMLParser } from 'fast-xml-parser';
import { newsItemId } from '../news-identity.js';
import { cleanText } from '../text.js';

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  textNodeName: '#text',
  // Elements that may repeat are always arrays, so one-item feeds parse the same way.
  isArray: (name) => ['item', 'entry', 'link', 'category'].includes(name),
  processEntities: true,
  htmlEntities: true,
  trimValues: true,
});

export class FeedParseError extends Error {
  override readonly name = 'FeedParseError';
}

/** An RSS 2.0 or Atom 1.0 document → NewsItems (the format is told by the root element). */
export function feedItems(
  xml: string,
  feedName: string,
  receivedAt: number,
): { items: NewsItem[]; rejected: string[] } {
  let doc: unknown;
  try {
    doc = parser.parse(xml, true);
  } catch (error) {
    throw new FeedParseError(`not well-formed XML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const root = asRecord(doc);
  const rss = asRecord(root.rss);
  const channel = asRecord(rss.channel);
  if (Object.keys(channel).length > 0) return fromEntries(asArray(channel.item).map(rssEntry), feedName, receivedAt);
  const feed = asRecord(root.feed);
  if (Object.keys(feed).length > 0) return fromEntries(asArray(feed.entry).map(atomEntry), feedName, receivedAt);
  throw new FeedParseError('neither an RSS 2.0 <rss><channel> nor an Atom <feed> document');
}

interface Entry {
  title: string;
  link?: string | undefined;
  body: string;
  published: string;
  categories: string[];
}

function rssEntry(raw: unknown): Entry {
  const item = asRecord(raw);
  const guid = asRecord(item.guid);
  const guidIsLink = guid['@_isPermaLink'] !== 'false' && /^https?:/.test(text(item.guid));
  return {
    title: text(item.title),
    link: firstNonEmpty(asArray(item.link).map(text)) ?? (guidIsLink ? text(item.guid) : undefined),
    body: text(item.description) || text(item['content:encoded']),
    published: text(item.pubDate) || text(item['dc:date']),
    categories: asArray(item.category).map(text),
  };
}

function atomEntry(raw: unknown): Entry {
  const entry = asRecord(raw);
  const links = asArray(entry.link).map(asRecord);
  const alternate = links.find((link) => link['@_rel'] === undefined || link['@_rel'] === 'alternate') ?? links[0];
  return {
    title: text(entry.title),
    link: alternate === undefined ? undefined : text(alternate['@_href']),
    body: text(entry.summary) || text(entry.content),
    published: text(entry.published) || text(entry.updated),
    categories: asArray(entry.category).map((category) => text(asRecord(category)['@_term']) || text(category)),
  };
}

const TICKER = /^[A-Z0-9]{2,12}$/;

function fromEntries(
  entries: Entry[],
  feedName: string,
  receivedAt: number,
): { items: NewsItem[]; rejected: string[] } {
  const items: NewsItem[] = [];
  const rejected: string[] = [];
  for (const entry of entries) {
    const title = cleanText(entry.title);
    // RSS dates are RFC 822 ("Tue, 18 Nov 2025 14:03:00 +0000"), Atom's RFC 3339; Date.parse reads both.
    const publishedAt = Date.parse(entry.published);
    if (title === '') {
      rejected.push('entry without a title');
      continue;
    }
    if (!Number.isFinite(publishedAt)) {
      rejected.push(`"${title.slice(0, 60)}": unreadable date "${entry.published}"`);
      continue;
    }
    const body = cleanText(entry.body);
    items.push({
      v: 1,
      id: newsItemId({ url: entry.link, title }),
      source: `rss:${feedName}`,
      title,
      ...(body === '' ? {} : { body: body.slice(0, 4000) }),
      ...(entry.link === undefined || entry.link === '' ? {} : { url: entry.link }),
      // Feeds tag posts with words ("Bitcoin", "Markets"); only ticker-shaped tags are kept.
      currencies: [
        ...new Set(entry.categories.map((category) => category.trim()).filter((category) => TICKER.test(category))),
      ],
      publishedAt,
      receivedAt,
    });
  }
  return { items, rejected };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** Text of a node that may be a string, a number, or an element with attributes and #text. */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const record = asRecord(value);
  const inner = record['#text'];
  return typeof inner === 'string' || typeof inner === 'number' ? String(inner) : '';
}

function firstNonEmpty(values: string[]): string | undefined {
  return values.find((value) => value.trim() !== '');
}
