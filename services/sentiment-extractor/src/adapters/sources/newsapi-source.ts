import { AppError, type NewsItem } from '@crypto-predict/core';
import { NewsApiAnswer, newsApiItems } from '../../domain/feeds/newsapi.js';
import type { Clock } from '../clock.js';
import { httpGet, parseJson } from '../http-client.js';

export interface NewsApiSettings {
  url: string;
  apiKey: string;
  query: string;
  timeoutMs: number;
  fetch?: typeof fetch;
  clock: Clock;
}

/**
 * One NewsAPI poll: GET /v2/everything?q=…&apiKey=…, newest first, from the newest article seen
 * (the first poll takes the last day). An `{status: "error"}` body is mapped by its code.
 */
export function newsApiPoll(settings: NewsApiSettings): (signal: AbortSignal) => Promise<NewsItem[]> {
  let newestSeen: number | undefined;
  return async (signal) => {
    const url = new URL(settings.url);
    url.searchParams.set('q', settings.query);
    url.searchParams.set('apiKey', settings.apiKey);
    url.searchParams.set('language', 'en');
    url.searchParams.set('sortBy', 'publishedAt');
    url.searchParams.set('pageSize', '100');
    url.searchParams.set('from', new Date(newestSeen ?? settings.clock.now() - 86_400_000).toISOString().slice(0, 19));
    const answer = await httpGet(url.toString(), {
      timeoutMs: settings.timeoutMs,
      signal,
      ...(settings.fetch === undefined ? {} : { fetch: settings.fetch }),
    });
    const parsed = NewsApiAnswer.safeParse(parseJson(answer.text, 'NewsAPI'));
    if (!parsed.success)
      throw new AppError('UPSTREAM_INVALID', `NewsAPI answer does not match its format: ${parsed.error.message}`, {
        retryable: true,
      });
    if (parsed.data.status === 'error') {
      const code = parsed.data.code ?? 'unknown';
      if (code === 'rateLimited') throw new AppError('RATE_LIMITED', `NewsAPI: ${parsed.data.message ?? code}`);
      if (code.startsWith('apiKey'))
        throw new AppError('UNAUTHORIZED', `NewsAPI: ${parsed.data.message ?? code}`, { retryable: false });
      throw new AppError('UPSTREAM_INVALID', `NewsAPI: ${code}: ${parsed.data.message ?? ''}`, { retryable: false });
    }
    const { items } = newsApiItems(parsed.data, settings.clock.now());
    for (const item of items) newestSeen = Math.max(newestSeen ?? 0, item.publishedAt);
    return items;
  };
}
