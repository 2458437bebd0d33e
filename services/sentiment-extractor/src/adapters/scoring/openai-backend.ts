import { AppError } from '@crypto-predict/core';
import { z } from 'zod';
import { parseRetryAfter } from '../../domain/backoff.js';
import type { LlmBackend, LlmRequest } from './llm-backend.js';

export interface OpenAiSettings {
  /** Base URL including the version path, e.g. http://127.0.0.1:11434/v1 or https://api.openai.com/v1. */
  baseUrl: string;
  apiKey?: string | undefined;
  model: string;
  fetch?: typeof fetch;
}

const ChatCompletion = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional(), refusal: z.string().nullable().optional() }),
      }),
    )
    .min(1),
});

/**
 * Any OpenAI-compatible chat completions endpoint (OpenAI, vLLM, Ollama, llama.cpp server):
 * POST /chat/completions with `response_format: json_schema`, temperature 0.
 */
export class OpenAiBackend implements LlmBackend {
  readonly kind = 'openai';
  readonly model: string;
  private readonly fetch: typeof fetch;

  constructor(private readonly settings: OpenAiSettings) {
    this.model = settings.model;
    this.fetch = settings.fetch ?? globalThis.fetch;
  }

  async complete(request: LlmRequest, signal: AbortSignal): Promise<string> {
    const url = `${this.settings.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const body = {
      model: this.settings.model,
      messages: request.messages,
      temperature: request.temperature,
      max_tokens: request.maxTokens,
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'news_sentiment', strict: true, schema: request.schema },
      },
    };
    let response: Response;
    try {
      response = await this.fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.settings.apiKey === undefined ? {} : { authorization: `Bearer ${this.settings.apiKey}` }),
        },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      throw new AppError('UPSTREAM_UNAVAILABLE', `cannot reach ${url}`, { cause: error });
    }
    const text = await response.text();
    if (response.status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), Date.now());
      throw new AppError('RATE_LIMITED', 'LLM endpoint is rate limiting', { details: { retryAfterMs } });
    }
    if (response.status === 401 || response.status === 403) {
      throw new AppError('UNAUTHORIZED', `LLM endpoint refused the key (${response.status})`, { retryable: false });
    }
    if (response.status >= 500)
      throw new AppError('UPSTREAM_UNAVAILABLE', `LLM endpoint answered ${response.status}: ${text.slice(0, 200)}`);
    if (!response.ok)
      throw new AppError('UPSTREAM_INVALID', `LLM endpoint answered ${response.status}: ${text.slice(0, 200)}`, {
        retryable: false,
      });
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new AppError('UPSTREAM_INVALID', 'LLM endpoint answered with something that is not JSON', {
        cause: error,
        retryable: true,
      });
    }
    const parsed = ChatCompletion.safeParse(json);
    if (!parsed.success)
      throw new AppError('UPSTREAM_INVALID', 'LLM endpoint answer is not a chat completion', { retryable: true });
    const message = parsed.data.choices[0]?.message;
    if (message?.refusal !== undefined && message.refusal !== null)
      throw new AppError('UPSTREAM_INVALID', `model refused: ${message.refusal}`, { retryable: false });
    const content = message?.content;
    if (content === undefined || content === null || content === '')
      throw new AppError('UPSTREAM_INVALID', 'LLM answer has no content', { retryable: true });
    return content;
  }
}
