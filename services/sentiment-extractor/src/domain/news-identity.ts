import { createHash } from 'node:crypto';

/**
 * A URL reduced to what identifies the article: lower-case host without `www.`, no scheme,
 * fragment, tracking parameters or trailing slash. Two feeds linking the same story with
 * different utm_* tags give the same key.
 */
export function normaliseUrl(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = url.hostname.toLowerCase().replace(/^www\./, '');
  const params = [...url.searchParams.entries()]
    .filter(([name]) => !TRACKING_PARAMETER.test(name))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = params.length === 0 ? '' : `?${new URLSearchParams(params).toString()}`;
  const path = url.pathname.replace(/\/+$/, '');
  return `${host}${path}${query}`;
}

const TRACKING_PARAMETER = /^(utm_[a-z]+|ref|ref_src|fbclid|gclid|mc_cid|mc_eid|cmpid|ocid)$/i;

/**
 * A title reduced for duplicate detection: Unicode-normalised, lower case, quotes and
 * punctuation dropped, whitespace collapsed. "Bitcoin Hits $100K!" and "bitcoin hits $100k"
 * are the same story.
 */
export function normaliseTitle(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[‘’‚‛“”„‟'"`´]/g, '')
    .replace(/[^\p{L}\p{N}$%]+/gu, ' ')
    .trim();
}

/** The id of a news item: a hash of its normalised URL, or of its normalised title without one. */
export function newsItemId(item: { url?: string | undefined; title: string }): string {
  const url = item.url === undefined ? undefined : normaliseUrl(item.url);
  const key = url === undefined ? `title:${normaliseTitle(item.title)}` : `url:${url}`;
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** A short content hash, used as a cache key for scoring. */
export function contentHash(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex');
}
