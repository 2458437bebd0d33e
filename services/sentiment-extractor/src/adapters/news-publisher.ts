import { TOPICS, type Logger, type MessageProducer, type NewsItem } from '@crypto-predict/core';
import type { NewsDeduper } from '../domain/dedupe.js';
import type { SentimentMetrics } from './metrics.js';
import type { NewsSink } from './sources/news-source.js';

/**
 * The sink every source writes to: drops items already seen (same URL or title, across
 * sources), then writes the rest to the news topic and resolves once the broker has them.
 */
export function newsPublisher(deps: {
  producer: MessageProducer;
  deduper: NewsDeduper;
  metrics: SentimentMetrics;
  log: Logger;
  source: string;
}): NewsSink {
  let published = 0;
  return async (items: NewsItem[]) => {
    deps.metrics.sourceItems.inc({ source: deps.source }, items.length);
    const fresh = items.filter((item) => deps.deduper.admit(item));
    const duplicates = items.length - fresh.length;
    if (duplicates > 0) deps.metrics.duplicates.inc({ source: deps.source }, duplicates);
    if (fresh.length === 0) return;
    await deps.producer.send(TOPICS.news, fresh);
    deps.metrics.published.inc({ source: deps.source }, fresh.length);
    const before = published;
    published += fresh.length;
    if (Math.floor(published / 100) > Math.floor(before / 100) || before === 0) {
      deps.log.info({ source: deps.source, published, duplicates }, 'news published');
    }
  };
}
