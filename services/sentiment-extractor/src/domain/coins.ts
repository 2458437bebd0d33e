/**
 * The coins the scorer recognises in text: about thirty of the largest by market value, each
 * with its ticker and the names people write. Names and tickers that are also English words
 * ("link", "near", "optimism", "stellar") only count when written the way a coin is written.
 */
export interface CoinEntry {
  ticker: string;
  /** Names matched case-insensitively as whole words/phrases. */
  names: string[];
  /** Names matched only with this exact capitalisation (they are also common words). */
  properNames?: string[];
  /** Other tickers meaning the same coin (a rename, a wrapped form). */
  aliases?: string[];
}

export const COINS: readonly CoinEntry[] = [
  { ticker: 'BTC', names: ['bitcoin', 'bitcoins', 'btc'], aliases: ['XBT', 'WBTC'] },
  { ticker: 'ETH', names: ['ethereum', 'ether', 'eth'], aliases: ['WETH'] },
  { ticker: 'USDT', names: ['tether', 'usdt'] },
  { ticker: 'XRP', names: ['xrp', 'ripple'] },
  { ticker: 'BNB', names: ['bnb', 'binance coin', 'bnb chain'] },
  { ticker: 'SOL', names: ['solana'], aliases: [] },
  { ticker: 'USDC', names: ['usdc', 'usd coin'] },
  { ticker: 'DOGE', names: ['dogecoin', 'doge'] },
  { ticker: 'ADA', names: ['cardano'] },
  { ticker: 'TRX', names: ['tron', 'trx'] },
  { ticker: 'LINK', names: ['chainlink'] },
  { ticker: 'AVAX', names: ['avax'], properNames: ['Avalanche'] },
  { ticker: 'XLM', names: ['xlm'], properNames: ['Stellar'] },
  { ticker: 'TON', names: ['toncoin'] },
  { ticker: 'SHIB', names: ['shiba inu', 'shib'] },
  { ticker: 'DOT', names: ['polkadot'] },
  { ticker: 'BCH', names: ['bitcoin cash', 'bch'] },
  { ticker: 'LTC', names: ['litecoin', 'ltc'] },
  { ticker: 'SUI', names: [], properNames: ['Sui'] },
  { ticker: 'HBAR', names: ['hedera', 'hbar'] },
  { ticker: 'UNI', names: ['uniswap'] },
  { ticker: 'NEAR', names: ['near protocol'] },
  { ticker: 'APT', names: ['aptos'] },
  { ticker: 'PEPE', names: ['pepe'] },
  { ticker: 'ICP', names: ['internet computer'] },
  { ticker: 'ETC', names: ['ethereum classic'] },
  { ticker: 'XMR', names: ['monero', 'xmr'] },
  { ticker: 'ATOM', names: [], properNames: ['Cosmos'] },
  { ticker: 'FIL', names: ['filecoin'] },
  { ticker: 'ARB', names: ['arbitrum'] },
  { ticker: 'OP', names: [], properNames: ['Optimism'] },
  { ticker: 'POL', names: [], properNames: ['Polygon'], aliases: ['MATIC'] },
  { ticker: 'AAVE', names: ['aave'] },
  { ticker: 'ZEC', names: ['zcash', 'zec'] },
];

interface Pattern {
  ticker: string;
  regex: RegExp;
  /** Longer phrases win over shorter ones at the same place ("Bitcoin Cash" is not BTC). */
  length: number;
}

export interface CoinMention {
  ticker: string;
  /** Character offsets of each mention in the text. */
  spans: Array<[number, number]>;
}

/** Finds coin mentions in text: names, tickers ("BTC", "$BTC") and aliases, mapped to tickers. */
export class CoinDetector {
  private readonly patterns: Pattern[];
  private readonly aliasToTicker: Map<string, string>;

  constructor(coins: readonly CoinEntry[] = COINS) {
    const patterns: Pattern[] = [];
    this.aliasToTicker = new Map();
    for (const coin of coins) {
      this.aliasToTicker.set(coin.ticker, coin.ticker);
      for (const alias of coin.aliases ?? []) this.aliasToTicker.set(alias, coin.ticker);
      for (const name of coin.names) {
        patterns.push({ ticker: coin.ticker, regex: wordRegex(name, 'giu'), length: name.length });
      }
      for (const name of coin.properNames ?? []) {
        patterns.push({ ticker: coin.ticker, regex: wordRegex(name, 'gu'), length: name.length });
      }
      // Upper-case tickers, optionally cash-tagged, are a coin even when the word is English.
      for (const ticker of [coin.ticker, ...(coin.aliases ?? [])]) {
        patterns.push({
          ticker: coin.ticker,
          regex: new RegExp(`(?<![\\p{L}\\p{N}])\\$?${ticker}(?![\\p{L}\\p{N}])`, 'gu'),
          length: ticker.length,
        });
      }
    }
    this.patterns = patterns.sort((a, b) => b.length - a.length);
  }

  /** Mentions in order of first appearance; overlapping matches go to the longest phrase. */
  detect(text: string): CoinMention[] {
    const taken: Array<[number, number]> = [];
    const byTicker = new Map<string, CoinMention>();
    for (const pattern of this.patterns) {
      for (const match of text.matchAll(pattern.regex)) {
        const start = match.index;
        const end = start + match[0].length;
        if (taken.some(([s, e]) => start < e && end > s)) continue;
        taken.push([start, end]);
        const mention = byTicker.get(pattern.ticker) ?? { ticker: pattern.ticker, spans: [] };
        mention.spans.push([start, end]);
        byTicker.set(pattern.ticker, mention);
      }
    }
    const first = (mention: CoinMention): number => Math.min(...mention.spans.map(([s]) => s));
    return [...byTicker.values()].sort((a, b) => first(a) - first(b));
  }

  /** The canonical ticker for a tag a source gave ("XBT" → "BTC"); unknown tags pass through. */
  canonicalTicker(tag: string): string {
    const upper = tag.trim().toUpperCase();
    return this.aliasToTicker.get(upper) ?? upper;
  }
}

function wordRegex(phrase: string, flags: string): RegExp {
  const escaped = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, flags);
}

const TICKER = /^[A-Z0-9]{2,12}$/;

/**
 * The coins a news item is about: the source's tags first (the source knows), then the coins
 * found in the title and body. Tags that cannot be tickers (CryptoPanic has one-letter ones)
 * are dropped. At most `limit` coins, so a listicle naming twenty coins does not flood the topic.
 */
export function coinsOfItem(
  detector: CoinDetector,
  item: { title: string; body?: string | undefined; currencies: readonly string[] },
  limit = 8,
): string[] {
  const coins: string[] = [];
  const add = (ticker: string): void => {
    if (TICKER.test(ticker) && !coins.includes(ticker)) coins.push(ticker);
  };
  for (const tag of item.currencies) add(detector.canonicalTicker(tag));
  for (const mention of detector.detect(`${item.title}\n${item.body ?? ''}`)) add(mention.ticker);
  return coins.slice(0, limit);
}
