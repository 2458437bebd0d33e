import { AppError, type NewsItem } from '@crypto-predict/core';
import { FeedParseError, feedItems } from '../../domain/feeds/rss.js';
import type { Clock } from '../clock.js';
import { httpGet } from '../http-client.js';

export interface RssSettings {
  url: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  clock: Clock;
}

/** A short name for a feed: its host without www (coindesk.com, cointelegraph.com, decrypt.co). */
export function feedName(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return url;
  }
}

/**
 * One poll of an RSS 2.0 or Atom feed, with a conditional GET (ETag / Last-Modified) so an
 * unchanged feed costs a 304 and no parsing.
 */
export function rssPoll(settings: RssSettings): (signal: AbortSignal) => Promise<NewsItem[]> {
  let etag: string | undefined;
  let lastModified: string | undefined;
  const name = feedName(settings.url);
  return async (signal) => {
    const headers: Record<string, string> = {
      accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8',
    };
    if (etag !== undefined) headers['if-none-match'] = etag;
    if (lastModified !== undefined) headers['if-modified-since'] = lastModified;
    const answer = await httpGet(settings.url, {
      timeoutMs: settings.timeoutMs,
      signal,
      headers,
      ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    });
    if (answer.status === 304) return [];
    etag = answer.headers.get('etag') ?? undefined;
    lastModified = answer.headers.get('last-modified') ?? undefined;
    try {
      return feedItems(answer.text, name, settings.clock.now()).items;
    } catch (error) {
      if (error instanceof FeedParseError)
        throw new AppError('UPSTREAM_INVALID', `feed ${name}: ${error.message}`, { cause: error, retryable: true });
      throw error;
    }
  };
}
