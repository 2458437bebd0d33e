/** What the scorers produce, before it becomes a core `Sentiment` message. */
export const SENTIMENT_LABELS = ['bearish', 'neutral', 'bullish'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

/** How an item was scored. `classifier` is a trained head on sentence embeddings. */
export type ScoringMethod = 'llm' | 'classifier' | 'lexicon';

export interface CoinSentiment {
  coin: string;
  /** Bearish -1 … +1 bullish. */
  score: number;
  label: SentimentLabel;
  confidence: number;
  reason: string;
}

export interface ScoredItem {
  method: ScoringMethod;
  model: string;
  promptVersion: string;
  coins: CoinSentiment[];
  /** Why a fallback scorer answered instead of the configured one, if it did. */
  fallbackReason?: string;
}

/** The text a scorer sees for one news item and the coins it must score. */
export interface ScoringInput {
  title: string;
  body?: string | undefined;
  coins: readonly string[];
}

/** Labels a score with VADER's conventional ±0.05 neutral band unless told otherwise. */
export function labelOf(score: number, neutralBand = 0.05): SentimentLabel {
  if (score > neutralBand) return 'bullish';
  if (score < -neutralBand) return 'bearish';
  return 'neutral';
}

export function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
