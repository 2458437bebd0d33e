import type { NewsItem, Sentiment } from '@crypto-predict/core';
import type { ScoredItem } from './sentiment.js';

/** One scored news item → one Sentiment message per coin. */
export function sentimentMessages(item: NewsItem, scored: ScoredItem, scoredAt: number): Sentiment[] {
  return scored.coins.map((coin) => ({
    v: 1,
    newsId: item.id,
    coin: coin.coin,
    score: coin.score,
    label: coin.label,
    confidence: coin.confidence,
    reason: coin.reason === '' ? '-' : coin.reason,
    method: scored.method,
    model: scored.model,
    promptVersion: scored.promptVersion,
    publishedAt: item.publishedAt,
    receivedAt: item.receivedAt,
    scoredAt,
  }));
}
