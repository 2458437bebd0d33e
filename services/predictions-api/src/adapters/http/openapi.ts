import { Prediction } from '@crypto-predict/core';
import { z } from 'zod';

// Parameter schemas are exact (patterns, bounds, examples): the fuzz test generates its requests,
// valid and invalid, from this document.
const pair = {
  name: 'pair',
  in: 'query',
  required: true,
  description: 'Trading pair, BASE/QUOTE (BTC/USDT; btc-usdt is accepted too)',
  schema: {
    type: 'string',
    pattern: '^[A-Za-z0-9]{2,12}[/-][A-Za-z0-9]{2,12}$',
    examples: ['BTC/USDT', 'btc-usdt', 'ETH/USDT'],
  },
};
const horizon = {
  name: 'horizon',
  in: 'query',
  required: false,
  description: 'Horizon in minutes; all horizons when absent',
  schema: { type: 'integer', minimum: 1, maximum: 10080, examples: [1, 5, 15, 60] },
};
const MIN_TIME = Date.UTC(2000, 0, 1);
const MAX_TIME = Date.UTC(2100, 0, 1);
const time = (name: string, description: string) => ({
  name,
  in: 'query',
  required: false,
  description: `${description}: epoch ms, an RFC 3339 date-time with its zone, or a date (UTC midnight); from 2000-01-01 to 2100-01-01`,
  schema: {
    oneOf: [
      { type: 'integer', minimum: MIN_TIME, maximum: MAX_TIME, examples: [1735689600000] },
      {
        type: 'string',
        format: 'date-time',
        formatMinimum: new Date(MIN_TIME).toISOString(),
        formatMaximum: new Date(MAX_TIME).toISOString(),
        examples: ['2025-01-01T00:00:00Z'],
      },
      {
        type: 'string',
        format: 'date',
        formatMinimum: new Date(MIN_TIME).toISOString().slice(0, 10),
        formatMaximum: new Date(MAX_TIME).toISOString().slice(0, 10),
        examples: ['2025-01-01'],
      },
    ],
  },
});
const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const rateHeaders = {
  'RateLimit-Limit': { description: 'Bucket size: requests allowed at once', schema: { type: 'integer' } },
  'RateLimit-Remaining': { description: 'Requests left now', schema: { type: 'integer' } },
  'RateLimit-Reset': { description: 'Seconds until the bucket is full again', schema: { type: 'integer' } },
};
const guarded = {
  '400': error('A parameter is missing, unknown or invalid; `parameter` names it'),
  '401': error('No key, an unknown key or a revoked key'),
  '429': {
    ...error('Over the rate limit of this key'),
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } }, ...rateHeaders },
  },
  '503': error('A store the answer needs is unavailable'),
};
const json = (description: string, schema: Record<string, unknown>) => ({
  description,
  headers: rateHeaders,
  content: { 'application/json': { schema } },
});
const predictions = { type: 'array', items: { $ref: '#/components/schemas/Prediction' } };
const nullableNumber = { type: ['number', 'null'] };

/** The OpenAPI 3.1 description of this API. The Prediction schema comes from the shared message schema. */
export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Crypto price predictions API',
      version: '1.0.0',
      description:
        'Price predictions 1-60 minutes ahead with intervals, their history and measured performance. Every /v1 endpoint needs an API key, as `Authorization: Bearer <key>` or `X-API-Key: <key>`, and is rate limited per key (token bucket).',
    },
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      '/v1/predictions/latest': {
        get: {
          summary: 'The latest prediction of a pair, per horizon',
          parameters: [pair, horizon],
          responses: {
            '200': json('Latest predictions, by horizon', {
              type: 'object',
              required: ['pair', 'predictions'],
              properties: { pair: { type: 'string' }, predictions },
            }),
            '404': error('No prediction for this pair (and horizon) yet'),
            ...guarded,
          },
        },
      },
      '/v1/predictions': {
        get: {
          summary: 'Prediction history, paged with a cursor',
          parameters: [
            pair,
            horizon,
            time('from', 'Earliest feature time (not after `to`)'),
            time('to', 'Latest feature time'),
            {
              name: 'limit',
              in: 'query',
              description: 'Page size, 1-1000',
              schema: { type: 'integer', default: 100, minimum: 1, maximum: 1000 },
            },
            {
              name: 'order',
              in: 'query',
              description: 'By feature time (then id)',
              schema: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
            },
            {
              name: 'cursor',
              in: 'query',
              description: 'nextCursor of the previous page, as it is',
              schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,1024}$' },
            },
          ],
          responses: {
            '200': json('One page', {
              type: 'object',
              required: ['pair', 'predictions', 'nextCursor'],
              properties: {
                pair: { type: 'string' },
                predictions,
                nextCursor: { type: ['string', 'null'], description: 'null on the last page' },
              },
            }),
            ...guarded,
          },
        },
      },
      '/v1/performance': {
        get: {
          summary: 'Measured error of the served predictions, and of the naive forecast, per horizon',
          parameters: [
            pair,
            horizon,
            {
              name: 'window',
              in: 'query',
              description:
                'Look-back on target time, ending at the newest scored prediction of the pair (event time): 30m, 24h, 7d (at most 90d)',
              schema: {
                type: 'string',
                default: '24h',
                pattern: '^[1-9][0-9]{0,4}[mhd]$',
                examples: ['30m', '24h', '7d', '90d'],
              },
            },
          ],
          responses: {
            '200': json('Per-horizon metrics', {
              type: 'object',
              properties: {
                pair: { type: 'string' },
                window: { type: 'string' },
                from: { type: 'integer' },
                to: { type: 'integer' },
                horizons: { type: 'array', items: { $ref: '#/components/schemas/HorizonPerformance' } },
              },
            }),
            ...guarded,
          },
        },
      },
      '/v1/pairs': {
        get: {
          summary: 'Pairs with predictions, their horizons and newest feature time',
          responses: {
            '200': json('Pairs', {
              type: 'object',
              properties: {
                pairs: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      pair: { type: 'string' },
                      horizons: { type: 'array', items: { type: 'integer' } },
                      latestFeatureTime: { type: 'integer' },
                    },
                  },
                },
              },
            }),
            ...guarded,
          },
        },
      },
      '/v1/stream': {
        get: {
          summary: 'Server-sent events: the current latest, then every new prediction',
          parameters: [{ ...pair, required: false }, horizon],
          responses: {
            '200': {
              description: '`event: prediction` frames, `id` = prediction id, `data` = Prediction JSON',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...guarded,
          },
        },
      },
      '/healthz': {
        get: { summary: 'The process is alive', security: [], responses: { '200': { description: 'ok' } } },
      },
      '/readyz': {
        get: {
          summary: 'Every dependency answers',
          security: [],
          responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          security: [],
          responses: { '200': { description: 'text exposition format' } },
        },
      },
      '/openapi.json': {
        get: { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1, JSON' } } },
      },
      '/docs': {
        get: {
          summary: 'A page that lists and tries the endpoints',
          security: [],
          responses: { '200': { description: 'HTML' } },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key (cpk_...)' },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      },
      schemas: {
        Prediction: z.toJSONSchema(Prediction, { target: 'draft-2020-12' }),
        HorizonPerformance: {
          type: 'object',
          properties: {
            horizon: { type: 'integer' },
            count: { type: 'integer' },
            mae: nullableNumber,
            rmse: nullableNumber,
            directionalAccuracy: nullableNumber,
            coverage: { ...nullableNumber, description: 'Share of actuals inside the interval' },
            naive: {
              type: 'object',
              properties: { count: { type: 'integer' }, mae: nullableNumber, rmse: nullableNumber },
            },
            maeRatioVsNaive: { ...nullableNumber, description: 'Below 1: the model beats the last price' },
          },
        },
        Error: {
          type: 'object',
          required: ['error', 'message'],
          properties: {
            error: { type: 'string' },
            message: { type: 'string' },
            parameter: { type: 'string', description: 'The offending query parameter, for 400' },
          },
        },
      },
    },
  };
}
