import { AppError } from '@crypto-predict/core';
import { parseRetryAfter } from '../domain/backoff.js';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * GET with a timeout; HTTP failures become AppErrors sorted by what the caller must do:
 * 429 → RATE_LIMITED (with Retry-After in ms), 5xx and network errors → UPSTREAM_UNAVAILABLE,
 * timeouts → TIMEOUT (all retryable); 401/403 → UNAUTHORIZED and other 4xx → UPSTREAM_INVALID
 * (not retryable: a retry sends the same wrong request). 304 is returned as an answer.
 */
export async function httpGet(
  url: string,
  options: {
    timeoutMs: number;
    signal?: AbortSignal;
    headers?: Record<string, string>;
    fetch?: typeof fetch;
    now?: () => number;
  },
): Promise<HttpAnswer> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  const safeUrl = redact(url);
  let response: Response;
  try {
    response = await doFetch(url, {
      headers: { 'user-agent': 'crypto-predict-sentiment-extractor/0.1', ...options.headers },
      signal,
    });
  } catch (error) {
    if (timeout.aborted)
      throw new AppError('TIMEOUT', `GET ${safeUrl} timed out after ${options.timeoutMs} ms`, { cause: error });
    throw new AppError('UPSTREAM_UNAVAILABLE', `GET ${safeUrl} failed`, { cause: error });
  }
  const text = await response.text();
  const status = response.status;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), (options.now ?? Date.now)());
    throw new AppError('RATE_LIMITED', `GET ${safeUrl}: rate limited (429)`, { details: { retryAfterMs } });
  }
  if (status === 401 || status === 403)
    throw new AppError('UNAUTHORIZED', `GET ${safeUrl}: ${status} ${text.slice(0, 200)}`, { retryable: false });
  if (status >= 500) throw new AppError('UPSTREAM_UNAVAILABLE', `GET ${safeUrl}: ${status}`);
  if (status >= 400)
    throw new AppError('UPSTREAM_INVALID', `GET ${safeUrl}: ${status} ${text.slice(0, 200)}`, { retryable: false });
  return { status, headers: response.headers, text };
}

/** Keys never reach logs: auth_token, apiKey and similar query parameters are masked. */
export function redact(url: string): string {
  return url.replace(/([?&](?:auth_token|apikey|api_key|token|key)=)[^&]*/gi, '$1***');
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('UPSTREAM_INVALID', `${what} answered with something that is not JSON`, {
      cause: error,
      retryable: true,
    });
  }
}
