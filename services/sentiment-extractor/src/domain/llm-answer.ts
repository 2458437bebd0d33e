import { z } from 'zod';
import { clamp, SENTIMENT_LABELS, type CoinSentiment, type SentimentLabel } from './sentiment.js';

/**
 * The JSON Schema the LLM's answer must follow: one entry per target, in a fixed field order so
 * a small model commits to the label before the number. Backends turn it into a grammar
 * (node-llama-cpp) or a `response_format` (OpenAI-compatible servers).
 */
export function answerJsonSchema(targets: readonly string[]) {
  return {
    type: 'object',
    properties: {
      coins: {
        type: 'array',
        minItems: targets.length,
        maxItems: targets.length,
        items: {
          type: 'object',
          properties: {
            ticker: { type: 'string', enum: [...targets] },
            label: { type: 'string', enum: [...SENTIMENT_LABELS] },
            score: { type: 'number' },
            confidence: { type: 'number' },
            reason: { type: 'string' },
          },
          required: ['ticker', 'label', 'score', 'confidence', 'reason'],
          additionalProperties: false,
        },
      },
    },
    required: ['coins'],
    additionalProperties: false,
  } as const;
}

const AnswerEntry = z.object({
  ticker: z.string(),
  label: z.enum(SENTIMENT_LABELS),
  score: z.number().finite(),
  confidence: z.number().finite(),
  reason: z.string(),
});
const Answer = z.object({ coins: z.array(AnswerEntry) });

export type AnswerParse = { ok: true; coins: CoinSentiment[] } | { ok: false; reason: string };

/**
 * Parses and checks an LLM answer against the targets it was asked about. Every target must be
 * answered exactly once. The label is what the model committed to first, so a score whose sign
 * contradicts it is brought in line (magnitude kept); scores and confidences are clamped.
 */
export function parseAnswer(raw: string, targets: readonly string[]): AnswerParse {
  let json: unknown;
  try {
    json = JSON.parse(extractJson(raw));
  } catch (error) {
    return { ok: false, reason: `answer is not JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  const parsed = Answer.safeParse(json);
  if (!parsed.success) {
    return {
      ok: false,
      reason: `answer does not match the schema: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    };
  }
  const byTicker = new Map<string, CoinSentiment>();
  for (const entry of parsed.data.coins) {
    const ticker = entry.ticker.trim().toUpperCase();
    if (!targets.includes(ticker)) return { ok: false, reason: `answer names ${ticker}, which was not asked` };
    if (byTicker.has(ticker)) return { ok: false, reason: `answer names ${ticker} twice` };
    byTicker.set(ticker, {
      coin: ticker,
      label: entry.label,
      score: consistentScore(entry.label, clamp(entry.score, -1, 1)),
      confidence: clamp(entry.confidence, 0, 1),
      reason: entry.reason.trim().slice(0, 200),
    });
  }
  const missing = targets.filter((target) => !byTicker.has(target));
  if (missing.length > 0) return { ok: false, reason: `answer misses ${missing.join(', ')}` };
  return {
    ok: true,
    coins: targets.map((target) => byTicker.get(target)).filter((c): c is CoinSentiment => c !== undefined),
  };
}

function consistentScore(label: SentimentLabel, score: number): number {
  if (label === 'neutral') return clamp(score, -0.05, 0.05);
  const magnitude = Math.max(Math.abs(score), 0.1);
  return label === 'bullish' ? magnitude : -magnitude;
}

/** Chat models sometimes wrap JSON in a ``` fence or add words around it. */
function extractJson(raw: string): string {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(raw);
  const text = (fenced?.[1] ?? raw).trim();
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : text;
}
