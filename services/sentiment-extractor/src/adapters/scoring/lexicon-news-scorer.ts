import type { CoinDetector } from '../../domain/coins.js';
import { LexiconScorer } from '../../domain/lexicon-scorer.js';
import type { ScoredItem, ScoringInput } from '../../domain/sentiment.js';
import type { NewsScorer } from './news-scorer.js';

export class LexiconNewsScorer implements NewsScorer {
  readonly name = 'lexicon';
  private readonly scorer: LexiconScorer;

  constructor(detector: CoinDetector) {
    this.scorer = new LexiconScorer(detector);
  }

  score(input: ScoringInput): Promise<ScoredItem> {
    return Promise.resolve(this.scorer.score(input));
  }

  /** Synchronous form, for the fallback path that must not fail. */
  scoreNow(input: ScoringInput): ScoredItem {
    return this.scorer.score(input);
  }
}
