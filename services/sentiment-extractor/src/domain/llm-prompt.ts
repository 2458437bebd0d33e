import { contentHash } from './news-identity.js';

/**
 * The prompt the LLM scorers send. Its version is a name plus a hash of the text, so any edit to
 * the prompt changes the version recorded in every Sentiment and invalidates cached answers.
 */
export const PROMPT_NAME = 'news-sentiment-v1';

/** The target standing for "the news as a whole" when no coin is named (the evaluation sets). */
export const OVERALL = 'OVERALL';

export const SYSTEM_PROMPT = [
  'You are a financial news analyst. For each listed target, judge whether the news is bullish',
  '(good for its price), bearish (bad for its price) or neutral (no clear price impact), as the',
  'market would read it. Hacks, lawsuits, bans, losses, delistings and price falls are bearish;',
  'approvals, adoption, partnerships, profits, record highs and price rises are bullish; routine',
  'announcements and plain facts are neutral. score is from -1 (very bearish) to 1 (very bullish),',
  'confidence from 0 to 1, reason a few words. Answer only with JSON.',
].join('\n');

const EXAMPLES = [
  {
    text: 'Exchange hacked, attackers drain $40M in ETH',
    targets: ['ETH'],
    answer:
      '{"coins":[{"ticker":"ETH","label":"bearish","score":-0.8,"confidence":0.9,"reason":"exchange hack drains funds"}]}',
  },
  {
    text: 'Company profit rose to EUR 12m from EUR 8m a year earlier',
    targets: [OVERALL],
    answer:
      '{"coins":[{"ticker":"OVERALL","label":"bullish","score":0.6,"confidence":0.8,"reason":"profit increased"}]}',
  },
  {
    text: 'The annual general meeting will be held on 5 May',
    targets: [OVERALL],
    answer:
      '{"coins":[{"ticker":"OVERALL","label":"neutral","score":0,"confidence":0.8,"reason":"routine announcement"}]}',
  },
] as const;

export const PROMPT_VERSION = `${PROMPT_NAME}-${contentHash(SYSTEM_PROMPT, JSON.stringify(EXAMPLES)).slice(0, 8)}`;

/** The version of the prompt as sent: without the worked examples it is a different prompt. */
export function promptVersion(fewShot: boolean): string {
  return fewShot ? PROMPT_VERSION : `${PROMPT_VERSION}-zero-shot`;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export function userMessage(text: string, targets: readonly string[]): string {
  const named = targets.map((target) => (target === OVERALL ? `${OVERALL} (the news as a whole)` : target)).join(', ');
  return `News: ${text}\nTargets: ${named}`;
}

/** System prompt, worked examples as earlier turns, then the item. */
export function chatMessages(text: string, targets: readonly string[], fewShot = true): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: SYSTEM_PROMPT }];
  if (fewShot) {
    for (const example of EXAMPLES) {
      messages.push({ role: 'user', content: userMessage(example.text, example.targets) });
      messages.push({ role: 'assistant', content: example.answer });
    }
  }
  messages.push({ role: 'user', content: userMessage(text, targets) });
  return messages;
}

/** Longest text sent to the model: news bodies can be long and a small context fills fast. */
export const MAX_PROMPT_TEXT_CHARS = 1200;

export function truncateForPrompt(text: string, maxChars = MAX_PROMPT_TEXT_CHARS): string {
  if (text.length <= maxChars) return text;
  const cut = text.slice(0, maxChars);
  const lastSpace = cut.lastIndexOf(' ');
  return `${cut.slice(0, lastSpace > maxChars * 0.8 ? lastSpace : maxChars)}…`;
}
