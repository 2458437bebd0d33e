import { z } from 'zod';
import { EpochMs, Ticker } from './common.js';

/** The sentiment of one news item towards one coin, from bearish (-1) to bullish (+1). */
export const Sentiment = z.object({
  v: z.literal(1),
  newsId: z.string().min(1),
  coin: Ticker,
  score: z.number().min(-1).max(1),
  label: z.enum(['bearish', 'neutral', 'bullish']),
  confidence: z.number().min(0).max(1),
  reason: z.string(),
  /** How it was scored: an LLM, a trained classifier, or the lexicon (also the fallback when no model answered). */
  method: z.enum(['llm', 'classifier', 'lexicon']),
  model: z.string().min(1),
  promptVersion: z.string().min(1),
  publishedAt: EpochMs,
  /**
   * When a source first had the news item (its NewsItem.receivedAt; = publishedAt in a replay).
   * The feature store lets a row at time t see the item only once both times are <= t.
   * Optional for messages written before it existed: absent means received at publication.
   */
  receivedAt: EpochMs.optional(),
  scoredAt: EpochMs,
});
export type Sentiment = z.infer<typeof Sentiment>;
