import type { NewsItem } from '@crypto-predict/core';
import { z } from 'zod';
import { newsItemId } from '../news-identity.js';
import { cleanText } from '../text.js';

/** A page of CryptoPanic's /api/v1/posts/ answer (only the fields the service reads). */
export const CryptoPanicPage = z.object({
  count: z.number().optional(),
  next: z.string().nullable().optional(),
  previous: z.string().nullable().optional(),
  results: z.array(
    z.object({
      id: z.union([z.number(), z.string()]),
      kind: z.string().optional(),
      title: z.string(),
      published_at: z.string(),
      url: z.string().optional(),
      domain: z.string().optional(),
      source: z
        .object({ title: z.string().optional(), domain: z.string().optional(), path: z.string().nullable().optional() })
        .optional(),
      currencies: z
        .array(z.object({ code: z.string(), title: z.string().optional() }))
        .nullable()
        .optional(),
      /** Present with metadata=true (or on paid plans). */
      metadata: z.object({ description: z.string().nullable().optional() }).nullable().optional(),
      description: z.string().nullable().optional(),
      original_url: z.string().nullable().optional(),
    }),
  ),
});
export type CryptoPanicPage = z.infer<typeof CryptoPanicPage>;

const TICKER = /^[A-Z0-9]{2,12}$/;

/** A CryptoPanic post → NewsItem; the original article URL when the plan gives it, else CryptoPanic's. */
export function cryptoPanicItems(page: CryptoPanicPage, receivedAt: number): { items: NewsItem[]; rejected: string[] } {
  const items: NewsItem[] = [];
  const rejected: string[] = [];
  for (const post of page.results) {
    const title = cleanText(post.title);
    const publishedAt = Date.parse(post.published_at);
    if (title === '' || !Number.isFinite(publishedAt)) {
      rejected.push(`post ${String(post.id)}: no title or bad published_at`);
      continue;
    }
    const url = post.original_url ?? post.url;
    const body = cleanText(post.metadata?.description ?? post.description ?? '');
    const publisher = post.source?.domain ?? post.domain;
    items.push({
      v: 1,
      id: newsItemId({ url: url ?? undefined, title }),
      source: publisher === undefined ? 'cryptopanic' : `cryptopanic:${publisher}`,
      title,
      ...(body === '' ? {} : { body }),
      ...(url === undefined || url === null ? {} : { url }),
      currencies: [
        ...new Set(
          (post.currencies ?? [])
            .map((currency) => currency.code.trim().toUpperCase())
            .filter((code) => TICKER.test(code)),
        ),
      ],
      publishedAt,
      receivedAt,
    });
  }
  return { items, rejected };
}
