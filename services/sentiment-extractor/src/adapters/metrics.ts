import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The service's counters, gauges and histograms, registered on its ops-server registry. */
export function createSentimentMetrics(registry: Registry) {
  return {
    sourceItems: new Counter({
      name: 'news_source_items_total',
      help: 'News items received from a source, before dedupe',
      labelNames: ['source'],
      registers: [registry],
    }),
    duplicates: new Counter({
      name: 'news_duplicates_total',
      help: 'News items dropped as duplicates (same URL or title)',
      labelNames: ['source'],
      registers: [registry],
    }),
    published: new Counter({
      name: 'news_published_total',
      help: 'News items written to the news topic',
      labelNames: ['source'],
      registers: [registry],
    }),
    sourceErrors: new Counter({
      name: 'news_source_errors_total',
      help: 'Failed polls of a news source',
      labelNames: ['source', 'code'],
      registers: [registry],
    }),
    storeItems: new Counter({
      name: 'sentiment_store_items_total',
      help: 'Sentiment messages written to the feature store, by whether they changed a stored item',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    storeSteps: new Counter({
      name: 'sentiment_store_steps_total',
      help: 'Aggregate steps rebuilt in the feature store',
      registers: [registry],
    }),
    storeSeconds: new Histogram({
      name: 'sentiment_store_write_seconds',
      help: 'Time to write one batch of sentiment to the feature store (items and aggregates)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    itemsIn: new Counter({
      name: 'sentiment_items_in_total',
      help: 'News items consumed by the scorer',
      registers: [registry],
    }),
    itemsWithoutCoin: new Counter({
      name: 'sentiment_items_without_coin_total',
      help: 'News items naming no known coin (no sentiment produced)',
      registers: [registry],
    }),
    scored: new Counter({
      name: 'sentiment_items_scored_total',
      help: 'News items scored, by the method that answered',
      labelNames: ['method'],
      registers: [registry],
    }),
    messages: new Counter({
      name: 'sentiment_messages_total',
      help: 'Sentiment messages written (one per item and coin)',
      labelNames: ['method', 'label'],
      registers: [registry],
    }),
    llmLatency: new Histogram({
      name: 'sentiment_llm_latency_seconds',
      help: 'Latency of one LLM call (cache misses only)',
      labelNames: ['backend', 'outcome'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
      registers: [registry],
    }),
    llmCacheHits: new Counter({
      name: 'sentiment_llm_cache_hits_total',
      help: 'LLM answers served from the content-hash cache',
      registers: [registry],
    }),
    llmRetries: new Counter({
      name: 'sentiment_llm_retries_total',
      help: 'LLM calls retried',
      labelNames: ['backend'],
      registers: [registry],
    }),
    fallbacks: new Counter({
      name: 'sentiment_fallbacks_total',
      help: 'Items scored by the lexicon because the configured scorer did not answer',
      labelNames: ['reason'],
      registers: [registry],
    }),
    llmInFlight: new Gauge({ name: 'sentiment_llm_in_flight', help: 'LLM calls running now', registers: [registry] }),
  };
}

export type SentimentMetrics = ReturnType<typeof createSentimentMetrics>;
