import type { ScoredItem, ScoringInput } from '../../domain/sentiment.js';

/** Something that scores a news item for its coins: the lexicon, a classifier, an LLM. */
export interface NewsScorer {
  /** Stable name for logs and evaluation tables. */
  readonly name: string;
  score(input: ScoringInput): Promise<ScoredItem>;
  /** Scores many items; scorers that batch (the classifier) override this. */
  scoreMany?(inputs: readonly ScoringInput[]): Promise<ScoredItem[]>;
  close?(): Promise<void>;
}

export async function scoreAll(scorer: NewsScorer, inputs: readonly ScoringInput[]): Promise<ScoredItem[]> {
  if (scorer.scoreMany !== undefined) return scorer.scoreMany(inputs);
  return Promise.all(inputs.map((input) => scorer.score(input)));
}
