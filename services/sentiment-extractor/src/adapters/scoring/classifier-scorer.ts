import { readFile } from 'node:fs/promises';
import { AppError, describeError, type Logger } from '@crypto-predict/core';
import { textPerCoin, wholeText } from '../../domain/coin-text.js';
import type { CoinDetector } from '../../domain/coins.js';
import { OVERALL } from '../../domain/llm-prompt.js';
import { headInput } from '../../domain/head-features.js';
import { LexiconAnalyser } from '../../domain/lexicon-scorer.js';
import { predictWithHead, SentimentHead } from '../../domain/sentiment-head.js';
import type { CoinSentiment, ScoredItem, ScoringInput } from '../../domain/sentiment.js';
import type { TextEmbedder } from '../embedding/sentence-embedder.js';
import type { SentimentMetrics } from '../metrics.js';
import type { LexiconNewsScorer } from './lexicon-news-scorer.js';
import type { NewsScorer } from './news-scorer.js';

export async function loadSentimentHead(path: string): Promise<SentimentHead> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AppError(
      'MODEL_UNAVAILABLE',
      `no sentiment head at ${path}; run services/sentiment-extractor/scripts/fetch-model.sh classifier`,
      { cause: error, retryable: false },
    );
  }
  const parsed = SentimentHead.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new AppError(
      'MODEL_UNAVAILABLE',
      `${path} is not a sentiment head of this version (rerun services/sentiment-extractor/scripts/fetch-model.sh classifier): ${parsed.error.message}`,
      {
        retryable: false,
      },
    );
  return parsed.data;
}

/**
 * Sentence embeddings (the encoders the head names) of the text about each coin → the trained
 * head. Batches
 * every coin text of every item of a Kafka batch into one embedding run. If the embedder fails,
 * the lexicon answers, marked as such.
 */
export class ClassifierScorer implements NewsScorer {
  readonly name = 'classifier';
  readonly model: string;
  private readonly analyser = new LexiconAnalyser();

  constructor(
    private readonly embedder: TextEmbedder,
    private readonly head: SentimentHead,
    private readonly detector: CoinDetector,
    private readonly fallback: LexiconNewsScorer,
    private readonly deps: { log: Logger; metrics?: SentimentMetrics },
  ) {
    this.model = `${head.embedder}+${head.features === 'embedding' ? '' : 'lexicon+'}${head.kind}@${head.id}`;
  }

  async score(input: ScoringInput): Promise<ScoredItem> {
    const [scored] = await this.scoreMany([input]);
    if (scored === undefined) throw new AppError('INTERNAL', 'classifier returned no result');
    return scored;
  }

  async scoreMany(inputs: readonly ScoringInput[]): Promise<ScoredItem[]> {
    // One text per (item, coin); an item with no coins is scored as a whole.
    const jobs = inputs.map((input) => {
      if (input.coins.length === 0) return [{ coin: OVERALL, text: wholeText(input) }];
      const texts = textPerCoin(this.detector, input, input.coins);
      return input.coins.map((coin) => ({ coin, text: texts.get(coin) ?? wholeText(input) }));
    });
    const unique = [...new Set(jobs.flat().map((job) => job.text))];
    let embeddings: Map<string, Float32Array>;
    try {
      const vectors = await this.embedder.embed(unique);
      embeddings = new Map(unique.map((text, index) => [text, vectors[index] ?? new Float32Array()]));
    } catch (error) {
      const appError = AppError.from(error, 'MODEL_UNAVAILABLE');
      this.deps.metrics?.fallbacks.inc({ reason: appError.code });
      this.deps.log.warn({ err: describeError(appError) }, 'embedding failed, lexicon fallback');
      return inputs.map((input) => ({ ...this.fallback.scoreNow(input), fallbackReason: describeError(appError) }));
    }
    return jobs.map((itemJobs) => ({
      method: 'classifier',
      model: this.model,
      promptVersion: 'none',
      coins: itemJobs.map(({ coin, text }): CoinSentiment => {
        const embedding = embeddings.get(text) ?? new Float32Array(this.embedder.dimensions);
        const prediction = predictWithHead(
          this.head,
          headInput(this.head.features, embedding, this.analyser, text),
          text,
        );
        const p = prediction.probabilities;
        return {
          coin,
          score: round(prediction.score),
          label: prediction.label,
          confidence: round(prediction.confidence),
          reason: `p(bullish) ${p.bullish.toFixed(2)}, p(neutral) ${p.neutral.toFixed(2)}, p(bearish) ${p.bearish.toFixed(2)}`,
        };
      }),
    }));
  }

  async close(): Promise<void> {
    await this.embedder.close();
  }
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
