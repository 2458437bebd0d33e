import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { SENTIMENT_LABELS, type CoinSentiment } from '../../domain/sentiment.js';

/**
 * LLM answers keyed by a hash of (prompt version, model, text, targets): the same story from two
 * sources, a replay or a restarted evaluation never asks the model twice. Least recently used
 * entries go first. With a file, entries are appended as JSON lines and read back on start.
 */
export class ScoreCache {
  private readonly entries = new Map<string, CoinSentiment[]>();

  constructor(
    private readonly capacity = 10_000,
    private readonly file?: string,
  ) {
    if (file !== undefined && existsSync(file)) this.load(file);
  }

  get(key: string): CoinSentiment[] | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: CoinSentiment[]): void {
    this.put(key, value);
    if (this.file !== undefined) {
      mkdirSync(dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${JSON.stringify({ key, value })}\n`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private put(key: string, value: CoinSentiment[]): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  private load(file: string): void {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      try {
        const parsed = CacheLine.safeParse(JSON.parse(line));
        if (parsed.success) this.put(parsed.data.key, parsed.data.value);
      } catch {
        // A torn last line from a killed run is skipped; the entry is simply recomputed.
      }
    }
  }
}

const CacheLine = z.object({
  key: z.string(),
  value: z.array(
    z.object({
      coin: z.string(),
      score: z.number(),
      label: z.enum(SENTIMENT_LABELS),
      confidence: z.number(),
      reason: z.string(),
    }),
  ),
});
