import { AppError, type NewsItem } from '@crypto-predict/core';
import { CryptoPanicPage, cryptoPanicItems } from '../../domain/feeds/cryptopanic.js';
import type { Clock } from '../clock.js';
import { httpGet, parseJson } from '../http-client.js';

export interface CryptoPanicSettings {
  url: string;
  token: string;
  currencies?: string | undefined;
  timeoutMs: number;
  /** Pages followed through `next` per poll when everything on a page is new. */
  maxPages?: number;
  fetch?: typeof fetch;
  clock: Clock;
}

/**
 * One CryptoPanic poll: GET /api/v1/posts/?auth_token=…&public=true, newest first, following
 * `next` while the page holds only posts newer than the newest seen so far.
 */
export function cryptoPanicPoll(settings: CryptoPanicSettings): (signal: AbortSignal) => Promise<NewsItem[]> {
  let newestSeen = 0;
  return async (signal) => {
    const first = new URL(settings.url);
    first.searchParams.set('auth_token', settings.token);
    first.searchParams.set('public', 'true');
    first.searchParams.set('metadata', 'true');
    if (settings.currencies !== undefined && settings.currencies !== '')
      first.searchParams.set('currencies', settings.currencies);
    const items: NewsItem[] = [];
    let next: string | undefined = first.toString();
    for (let page = 0; next !== undefined && page < (settings.maxPages ?? 3); page += 1) {
      const answer = await httpGet(next, {
        timeoutMs: settings.timeoutMs,
        signal,
        ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
      });
      const parsed = CryptoPanicPage.safeParse(parseJson(answer.text, 'CryptoPanic'));
      if (!parsed.success)
        throw new AppError('UPSTREAM_INVALID', `CryptoPanic page does not match its format: ${parsed.error.message}`, {
          retryable: true,
        });
      const { items: pageItems } = cryptoPanicItems(parsed.data, settings.clock.now());
      items.push(...pageItems);
      const reachedSeen = pageItems.some((item) => item.publishedAt <= newestSeen);
      next =
        reachedSeen || parsed.data.next === null || parsed.data.next === undefined
          ? undefined
          : withToken(parsed.data.next, settings.token);
    }
    for (const item of items) newestSeen = Math.max(newestSeen, item.publishedAt);
    return items;
  };
}

/** `next` links normally carry the token; make sure they do. */
function withToken(link: string, token: string): string {
  const url = new URL(link);
  if (!url.searchParams.has('auth_token')) url.searchParams.set('auth_token', token);
  return url.toString();
}
