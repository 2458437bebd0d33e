import {
  TOPICS,
  type Logger,
  type MessageProducer,
  type NewsItem,
  type Received,
  type Sentiment,
} from '@crypto-predict/core';
import { coinsOfItem, type CoinDetector } from '../domain/coins.js';
import type { ScoringInput } from '../domain/sentiment.js';
import { sentimentMessages } from '../domain/to-sentiment.js';
import type { Clock } from './clock.js';
import type { SentimentMetrics } from './metrics.js';
import { scoreAll, type NewsScorer } from './scoring/news-scorer.js';

/**
 * The scorer's batch handler: news items → coins → scores → one Sentiment per (item, coin) on
 * the sentiment topic. It resolves only after the broker has the sentiment messages, so the
 * consumer commits the news offsets after the output is durable. Items naming no known coin
 * produce nothing (counted).
 */
export function sentimentHandler(deps: {
  scorer: NewsScorer;
  detector: CoinDetector;
  producer: MessageProducer;
  clock: Clock;
  metrics: SentimentMetrics;
  log: Logger;
  maxCoinsPerItem: number;
}): (batch: Received<NewsItem>[]) => Promise<void> {
  let scoredTotal = 0;
  return async (batch) => {
    deps.metrics.itemsIn.inc(batch.length);
    const work: Array<{ item: NewsItem; input: ScoringInput }> = [];
    for (const { value: item } of batch) {
      const coins = coinsOfItem(deps.detector, item, deps.maxCoinsPerItem);
      if (coins.length === 0) {
        deps.metrics.itemsWithoutCoin.inc();
        continue;
      }
      work.push({ item, input: { title: item.title, body: item.body, coins } });
    }
    if (work.length === 0) return;
    const scored = await scoreAll(
      deps.scorer,
      work.map((entry) => entry.input),
    );
    const scoredAt = deps.clock.now();
    const messages: Sentiment[] = [];
    work.forEach((entry, index) => {
      const result = scored[index];
      if (result === undefined) return;
      deps.metrics.scored.inc({ method: result.method });
      for (const message of sentimentMessages(entry.item, result, scoredAt)) {
        deps.metrics.messages.inc({ method: message.method, label: message.label });
        messages.push(message);
      }
    });
    await deps.producer.send(TOPICS.sentiment, messages);
    const before = scoredTotal;
    scoredTotal += work.length;
    if (Math.floor(scoredTotal / 100) > Math.floor(before / 100) || before === 0) {
      deps.log.info({ scored: scoredTotal, messages: messages.length, scorer: deps.scorer.name }, 'news scored');
    }
  };
}
