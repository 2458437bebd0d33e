import { AppError, type Logger } from '@crypto-predict/core';
import type { Config } from '../../config.js';
import type { CoinDetector } from '../../domain/coins.js';
import { LEXICON_FEATURES } from '../../domain/head-features.js';
import type { Clock } from '../clock.js';
import { loadEmbedder } from '../embedding/concatenated-embedder.js';
import type { SentimentMetrics } from '../metrics.js';
import { ClassifierScorer, loadSentimentHead } from './classifier-scorer.js';
import { GuardedLlmScorer } from './guarded-llm-scorer.js';
import { LexiconNewsScorer } from './lexicon-news-scorer.js';
import { LlamaBackend } from './llama-backend.js';
import type { NewsScorer } from './news-scorer.js';
import { OpenAiBackend } from './openai-backend.js';
import { ScoreCache } from './score-cache.js';

export type ScorerName = Config['SCORER'];

export interface ScorerDeps {
  detector: CoinDetector;
  clock: Clock;
  log: Logger;
  metrics?: SentimentMetrics;
  /** A JSON-lines file to persist LLM answers across runs (the evaluation CLI uses one). */
  cacheFile?: string;
}

/** Builds the configured scorer; every scorer falls back to the lexicon when its model fails. */
export async function buildScorer(name: ScorerName, config: Config, deps: ScorerDeps): Promise<NewsScorer> {
  const lexicon = new LexiconNewsScorer(deps.detector);
  if (name === 'lexicon') return lexicon;
  if (name === 'classifier') {
    const head = await loadSentimentHead(config.modelPaths.head);
    const embedder = await loadEmbedder(head.embedders, config.modelPaths.embedders, config.EMBEDDER_THREADS);
    const expected = embedder.dimensions + (head.features === 'embedding+lexicon' ? LEXICON_FEATURES : 0);
    if (head.dimensions !== expected) {
      await embedder.close();
      throw new AppError(
        'MODEL_UNAVAILABLE',
        `${config.modelPaths.head} reads ${head.dimensions} inputs but ${embedder.name} (+ lexicon) gives ${expected}; rerun services/sentiment-extractor/scripts/fetch-model.sh classifier`,
        { retryable: false },
      );
    }
    return new ClassifierScorer(embedder, head, deps.detector, lexicon, {
      log: deps.log,
      ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
    });
  }
  const backend =
    name === 'llm'
      ? await LlamaBackend.load({
          modelPath: config.modelPaths.llm,
          sequences: config.LLM_SEQUENCES,
          contextSize: config.LLM_CONTEXT_SIZE,
          threads: config.LLM_THREADS,
          log: deps.log,
        })
      : new OpenAiBackend({
          baseUrl: config.OPENAI_BASE_URL,
          apiKey: config.OPENAI_API_KEY,
          model: config.OPENAI_MODEL,
        });
  const cache = config.LLM_CACHE_SIZE > 0 ? new ScoreCache(config.LLM_CACHE_SIZE, deps.cacheFile) : undefined;
  return new GuardedLlmScorer(
    backend,
    lexicon,
    {
      timeoutMs: config.LLM_TIMEOUT_MS,
      retries: config.LLM_RETRIES,
      concurrency: config.LLM_CONCURRENCY,
      fewShot: config.LLM_FEW_SHOT,
    },
    {
      clock: deps.clock,
      log: deps.log,
      ...(deps.metrics === undefined ? {} : { metrics: deps.metrics }),
      ...(cache === undefined ? {} : { cache }),
    },
  );
}
