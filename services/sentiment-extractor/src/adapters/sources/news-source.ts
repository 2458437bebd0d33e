import type { NewsItem } from '@crypto-predict/core';

/** Receives items from a source; resolves once they are durable (on the news topic). */
export type NewsSink = (items: NewsItem[]) => Promise<void>;

/**
 * A source of news: a recorded file, or a polled API or feed. `run` resolves when the source is
 * exhausted (a replay) or the signal aborts (a poller).
 */
export interface NewsSource {
  readonly name: string;
  run(sink: NewsSink, signal: AbortSignal): Promise<void>;
}
