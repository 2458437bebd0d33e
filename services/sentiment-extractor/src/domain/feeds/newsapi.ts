import type { NewsItem } from '@crypto-predict/core';
import { z } from 'zod';
import { newsItemId } from '../news-identity.js';
import { cleanText } from '../text.js';

/** NewsAPI /v2/everything: `{status: "ok", totalResults, articles}` or `{status: "error", code, message}`. */
export const NewsApiAnswer = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ok'),
    totalResults: z.number().optional(),
    articles: z.array(
      z.object({
        source: z.object({ id: z.string().nullable().optional(), name: z.string().nullable().optional() }).optional(),
        author: z.string().nullable().optional(),
        title: z.string().nullable(),
        description: z.string().nullable().optional(),
        url: z.string().nullable().optional(),
        publishedAt: z.string(),
        content: z.string().nullable().optional(),
      }),
    ),
  }),
  z.object({ status: z.literal('error'), code: z.string().optional(), message: z.string().optional() }),
]);
export type NewsApiAnswer = z.infer<typeof NewsApiAnswer>;

export function newsApiItems(
  answer: Extract<NewsApiAnswer, { status: 'ok' }>,
  receivedAt: number,
): { items: NewsItem[]; rejected: string[] } {
  const items: NewsItem[] = [];
  const rejected: string[] = [];
  for (const article of answer.articles) {
    const title = cleanText(article.title ?? '');
    const publishedAt = Date.parse(article.publishedAt);
    // NewsAPI blanks articles removed at the publisher's request to "[Removed]".
    if (title === '' || title === '[Removed]' || !Number.isFinite(publishedAt)) {
      rejected.push(`article ${article.url ?? '?'}: removed, untitled or bad publishedAt`);
      continue;
    }
    const url = article.url ?? undefined;
    // `content` is cut at 200 characters with "… [+1234 chars]"; the description is cleaner.
    const body = cleanText(article.description ?? article.content?.replace(/\s*\[\+\d+ chars\]$/, '') ?? '');
    items.push({
      v: 1,
      id: newsItemId({ url, title }),
      source: `newsapi:${article.source?.name ?? article.source?.id ?? 'unknown'}`,
      title,
      ...(body === '' ? {} : { body }),
      ...(url === undefined ? {} : { url }),
      currencies: [],
      publishedAt,
      receivedAt,
    });
  }
  return { items, rejected };
}
