import { AppError, describeError, type Logger } from '@crypto-predict/core';
import { wholeText } from '../../domain/coin-text.js';
import { answerJsonSchema, parseAnswer } from '../../domain/llm-answer.js';
import { chatMessages, OVERALL, promptVersion, truncateForPrompt } from '../../domain/llm-prompt.js';
import { contentHash } from '../../domain/news-identity.js';
import type { ScoredItem, ScoringInput } from '../../domain/sentiment.js';
import type { Clock } from '../clock.js';
import type { SentimentMetrics } from '../metrics.js';
import type { LlmBackend } from './llm-backend.js';
import type { LexiconNewsScorer } from './lexicon-news-scorer.js';
import { ConcurrencyLimiter } from './limiter.js';
import type { NewsScorer } from './news-scorer.js';
import type { ScoreCache } from './score-cache.js';

export interface GuardOptions {
  timeoutMs: number;
  /** Further attempts after the first, for errors a retry can help. */
  retries: number;
  concurrency: number;
  /** Base of the exponential backoff between attempts. */
  backoffMs?: number;
  fewShot?: boolean;
  /** Tokens allowed per coin in the answer. */
  maxTokensPerTarget?: number;
}

/**
 * Wraps an LLM backend with what every model call needs in production: a cache keyed by content
 * hash + prompt version + model, a concurrency limit, a timeout per attempt, retries with
 * backoff, and — when the model does not answer — the lexicon, marked `method: 'lexicon'`
 * with the reason, so the pipeline never stalls on the model.
 */
export class GuardedLlmScorer implements NewsScorer {
  readonly name: string;
  readonly promptVersion: string;
  private readonly limiter: ConcurrencyLimiter;

  constructor(
    private readonly backend: LlmBackend,
    private readonly fallback: LexiconNewsScorer,
    private readonly options: GuardOptions,
    private readonly deps: { clock: Clock; log: Logger; metrics?: SentimentMetrics; cache?: ScoreCache },
  ) {
    this.name = `llm:${backend.kind}:${backend.model}`;
    this.limiter = new ConcurrencyLimiter(options.concurrency);
    this.promptVersion = promptVersion(options.fewShot ?? true);
  }

  get cache(): ScoreCache | undefined {
    return this.deps.cache;
  }

  async score(input: ScoringInput): Promise<ScoredItem> {
    const targets = input.coins.length === 0 ? [OVERALL] : [...input.coins];
    const text = truncateForPrompt(wholeText(input));
    const key = contentHash(this.promptVersion, this.backend.model, text, targets.join(','));
    const cached = this.deps.cache?.get(key);
    if (cached !== undefined) {
      this.deps.metrics?.llmCacheHits.inc();
      return this.scored(cached);
    }
    try {
      const coins = await this.limiter.run(() => this.ask(text, targets));
      this.deps.cache?.set(key, coins);
      return this.scored(coins);
    } catch (error) {
      const appError = AppError.from(error);
      this.deps.metrics?.fallbacks.inc({ reason: appError.code });
      this.deps.log.warn(
        { err: describeError(appError), backend: this.backend.kind },
        'LLM did not answer, lexicon fallback',
      );
      return { ...this.fallback.scoreNow(input), fallbackReason: describeError(appError) };
    }
  }

  async close(): Promise<void> {
    await this.backend.close?.();
  }

  private scored(coins: ScoredItem['coins']): ScoredItem {
    return { method: 'llm', model: this.backend.model, promptVersion: this.promptVersion, coins };
  }

  private async ask(text: string, targets: string[]): Promise<ScoredItem['coins']> {
    const prompt = {
      messages: chatMessages(text, targets, this.options.fewShot ?? true),
      schema: answerJsonSchema(targets) as unknown as Record<string, unknown>,
      maxTokens: 16 + targets.length * (this.options.maxTokensPerTarget ?? 96),
    };
    let lastError: AppError | undefined;
    for (let attempt = 0; attempt <= this.options.retries; attempt += 1) {
      if (attempt > 0) {
        this.deps.metrics?.llmRetries.inc({ backend: this.backend.kind });
        const base = this.options.backoffMs ?? 200;
        const wait =
          lastError?.code === 'RATE_LIMITED' && typeof lastError.details.retryAfterMs === 'number'
            ? lastError.details.retryAfterMs
            : base * 2 ** (attempt - 1);
        await this.deps.clock.sleep(wait);
      }
      const started = performance.now();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
      this.deps.metrics?.llmInFlight.inc();
      try {
        const request = { ...prompt, temperature: lastError?.code === 'UPSTREAM_INVALID' ? 0.4 : 0 };
        const raw = await raceAbort(
          this.backend.complete(request, controller.signal),
          controller.signal,
          this.options.timeoutMs,
        );
        const parsed = parseAnswer(raw, targets);
        this.observe(started, parsed.ok ? 'ok' : 'invalid');
        if (parsed.ok) return parsed.coins;
        lastError = new AppError('UPSTREAM_INVALID', parsed.reason, {
          retryable: true,
          details: { raw: raw.slice(0, 500) },
        });
      } catch (error) {
        lastError = controller.signal.aborted
          ? new AppError('TIMEOUT', `LLM call timed out after ${this.options.timeoutMs} ms`, { cause: error })
          : AppError.from(error, 'UPSTREAM_UNAVAILABLE');
        this.observe(started, lastError.code === 'TIMEOUT' ? 'timeout' : 'error');
        if (!lastError.retryable) break;
      } finally {
        clearTimeout(timer);
        this.deps.metrics?.llmInFlight.dec();
      }
    }
    throw lastError ?? new AppError('INTERNAL', 'LLM scoring ended without an answer or an error');
  }

  private observe(started: number, outcome: string): void {
    this.deps.metrics?.llmLatency.observe(
      { backend: this.backend.kind, outcome },
      (performance.now() - started) / 1000,
    );
  }
}

/** Rejects when the signal aborts even if the backend ignores it (a stuck native call). */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AppError('TIMEOUT', `LLM call timed out after ${timeoutMs} ms`));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
