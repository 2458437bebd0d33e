import { z } from 'zod';
import { EpochMs, Ticker } from './common.js';

/** A news item as received from a source, before scoring. `id` is a hash of its normalised URL/title. */
export const NewsItem = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  source: z.string().min(1),
  title: z.string().min(1),
  body: z.string().optional(),
  url: z.string().optional(),
  /** Coins the source tagged, if any; the scorer finds others in the text. */
  currencies: z.array(Ticker),
  publishedAt: EpochMs,
  receivedAt: EpochMs,
});
export type NewsItem = z.infer<typeof NewsItem>;
