import type { Logger } from '@crypto-predict/core';
import { replayBatches, replayItems, type ReplayWindow } from '../../domain/replay-plan.js';
import type { Clock } from '../clock.js';
import { readNewsFile } from '../news-file.js';
import type { NewsSink, NewsSource } from './news-source.js';

export interface ReplayOptions {
  files: readonly string[];
  window: ReplayWindow;
  /** Event time runs `speed` times faster than wall time; 0 = as fast as possible. */
  speed: number;
  maxBatch?: number;
  clock: Clock;
  log: Logger;
}

/**
 * Replays recorded news files in event-time order, paced by REPLAY_SPEED. The same domain path
 * (dedupe, scoring) runs as for live sources; only the arrival of items differs.
 */
export class ReplaySource implements NewsSource {
  readonly name = 'replay';

  constructor(private readonly options: ReplayOptions) {}

  async run(sink: NewsSink, signal: AbortSignal): Promise<void> {
    const { clock, log } = this.options;
    const all = [];
    for (const file of this.options.files) {
      const parsed = await readNewsFile(file);
      log.info(
        { file, format: parsed.format, items: parsed.items.length, rejected: parsed.rejected.length },
        'news file read',
      );
      for (const rejected of parsed.rejected.slice(0, 5)) log.warn({ file, ...rejected }, 'news file row rejected');
      all.push(...parsed.items);
    }
    const items = replayItems(all, this.options.window);
    const batches = replayBatches(items, this.options.speed, this.options.maxBatch ?? 200);
    log.info({ items: items.length, batches: batches.length, speed: this.options.speed }, 'replay starting');
    const first = items[0]?.publishedAt ?? 0;
    const wallStart = clock.now();
    let sent = 0;
    for (const batch of batches) {
      if (signal.aborted) break;
      const head = batch[0];
      if (head !== undefined && this.options.speed > 0) {
        const due = wallStart + (head.publishedAt - first) / this.options.speed;
        await clock.sleep(due - clock.now(), signal);
        if (signal.aborted) break;
      }
      await sink(batch);
      sent += batch.length;
    }
    log.info({ sent, of: items.length }, 'replay finished');
  }
}
