import type { CoinDetector } from './coins.js';
import { splitSentences } from './text.js';

/**
 * For each coin, the part of an item that speaks about it: the clauses of the title and body
 * that name it. "Bitcoin rallies while Solana is hacked" then scores BTC and SOL differently.
 * A clause that names no coin ("…, analysts say") belongs with the clause before it, or, at the
 * start of a sentence, with every coin the sentence names. A coin only the source tagged, named
 * nowhere, gets the whole item.
 */
export function textPerCoin(
  detector: CoinDetector,
  item: { title: string; body?: string | undefined },
  coins: readonly string[],
): Map<string, string> {
  const pieces: Array<{ text: string; coins: Set<string> }> = [];
  for (const sentence of [item.title, ...splitSentences(item.body ?? '')]) {
    const clauses = splitClauses(sentence);
    const named = clauses.map((clause) => new Set(detector.detect(clause).map((mention) => mention.ticker)));
    const inSentence = new Set(named.flatMap((set) => [...set]));
    let previous: Set<string> | undefined;
    clauses.forEach((clause, index) => {
      const own = named[index] ?? new Set<string>();
      const owners = own.size > 0 ? own : (previous ?? inSentence);
      pieces.push({ text: clause, coins: owners });
      if (own.size > 0) previous = own;
    });
  }
  const whole = wholeText(item);
  const result = new Map<string, string>();
  for (const coin of coins) {
    const relevant = pieces.filter((piece) => piece.coins.has(coin)).map((piece) => piece.text);
    result.set(coin, relevant.length === 0 ? whole : relevant.join(' '));
  }
  return result;
}

/** Splits at the conjunctions and marks that join contrasting news in one headline. */
export function splitClauses(sentence: string): string[] {
  return sentence
    .split(/\s*(?:;|\s[—–-]\s|,?\s+(?=(?:while|whereas|but|as|even as|after|despite)\s))\s*/i)
    .map((clause) => clause.trim())
    .filter((clause) => clause.length > 0);
}

export function wholeText(item: { title: string; body?: string | undefined }): string {
  const body = item.body?.trim() ?? '';
  if (body === '') return item.title;
  return /[.!?…]$/.test(item.title.trim()) ? `${item.title} ${body}` : `${item.title}. ${body}`;
}
