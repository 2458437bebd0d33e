import { normaliseTitle, normaliseUrl } from './news-identity.js';

/**
 * Remembers the URLs and titles of the last `capacity` items and says whether a new item is a
 * repeat of one of them. Sources overlap (an RSS story also appears on CryptoPanic) and pollers
 * see the same page twice, so every source passes its items through one of these. Memory is
 * bounded: the oldest keys are forgotten first.
 */
export class NewsDeduper {
  private readonly seen = new Set<string>();
  private readonly order: string[] = [];
  private head = 0;

  constructor(private readonly capacity = 50_000) {}

  /** True if the item is new (and remembers it); false if its URL or title was seen before. */
  admit(item: { url?: string | undefined; title: string }): boolean {
    const keys = dedupeKeys(item);
    if (keys.some((key) => this.seen.has(key))) return false;
    for (const key of keys) this.remember(key);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private remember(key: string): void {
    this.seen.add(key);
    this.order.push(key);
    while (this.order.length - this.head > this.capacity) {
      const oldest = this.order[this.head];
      this.head += 1;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    // Compact the queue now and then so it does not grow without bound.
    if (this.head > this.capacity) {
      this.order.splice(0, this.head);
      this.head = 0;
    }
  }
}

export function dedupeKeys(item: { url?: string | undefined; title: string }): string[] {
  const keys: string[] = [];
  const url = item.url === undefined ? undefined : normaliseUrl(item.url);
  if (url !== undefined) keys.push(`url:${url}`);
  const title = normaliseTitle(item.title);
  // Very short titles ("Bitcoin", "Market update") are not specific enough to call duplicates.
  if (title.split(' ').length >= 4) keys.push(`title:${title}`);
  return keys;
}
