import type { Sentiment } from '@crypto-predict/core';

/** The scored news of one time bucket: their mean score in [-1, 1] and counts per label. */
export interface SentimentBucket {
  /** Start of the bucket, epoch ms. */
  time: number;
  count: number;
  meanScore: number;
  bullish: number;
  neutral: number;
  bearish: number;
}

export interface SentimentItem {
  newsId: string;
  publishedAt: number;
  score: number;
  label: Sentiment['label'];
  confidence: number;
  method: Sentiment['method'];
  reason: string;
}

/** Buckets of `bucketMs` (epoch-aligned) by publication time, oldest first; empty buckets are left out. */
export function sentimentBuckets(items: readonly Sentiment[], bucketMs: number): SentimentBucket[] {
  if (!(bucketMs > 0)) throw new RangeError('bucketMs must be positive');
  const buckets = new Map<number, { sum: number; count: number; bullish: number; neutral: number; bearish: number }>();
  for (const item of items) {
    const time = Math.floor(item.publishedAt / bucketMs) * bucketMs;
    const bucket = buckets.get(time) ?? { sum: 0, count: 0, bullish: 0, neutral: 0, bearish: 0 };
    bucket.sum += item.score;
    bucket.count += 1;
    bucket[item.label] += 1;
    buckets.set(time, bucket);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([time, bucket]) => ({
      time,
      count: bucket.count,
      meanScore: bucket.sum / bucket.count,
      bullish: bucket.bullish,
      neutral: bucket.neutral,
      bearish: bucket.bearish,
    }));
}

/** The newest `limit` items, newest first. */
export function latestSentiment(items: readonly Sentiment[], limit: number): SentimentItem[] {
  return items
    .slice(Math.max(0, items.length - limit))
    .reverse()
    .map((item) => ({
      newsId: item.newsId,
      publishedAt: item.publishedAt,
      score: item.score,
      label: item.label,
      confidence: item.confidence,
      method: item.method,
      reason: item.reason,
    }));
}
