import type { ChatMessage } from '../../domain/llm-prompt.js';

/**
 * One LLM: takes chat messages and the JSON Schema the answer must follow, returns the raw
 * answer text. Errors are AppErrors: TIMEOUT, RATE_LIMITED and UPSTREAM_UNAVAILABLE may succeed
 * on retry; MODEL_UNAVAILABLE with retryable=false (no model file, wrong key) will not.
 */
export interface LlmBackend {
  /** Name of the backend kind, for metrics: `llama` or `openai`. */
  readonly kind: string;
  /** The model's name, recorded in every Sentiment and part of the cache key. */
  readonly model: string;
  complete(request: LlmRequest, signal: AbortSignal): Promise<string>;
  close?(): Promise<void>;
}

export interface LlmRequest {
  messages: ChatMessage[];
  /** JSON Schema of the answer. */
  schema: Record<string, unknown>;
  maxTokens: number;
  /** 0 on the first attempt; a retry after an unusable answer samples (same input, same answer otherwise). */
  temperature: number;
}
