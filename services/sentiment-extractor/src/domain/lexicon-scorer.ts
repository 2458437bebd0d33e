import vader from 'vader-sentiment';
import type { CoinDetector } from './coins.js';
import { textPerCoin, wholeText } from './coin-text.js';
import { OVERALL } from './llm-prompt.js';
import { clamp, labelOf, type CoinSentiment, type ScoredItem, type ScoringInput } from './sentiment.js';

/**
 * Crypto and market terms with a valence on VADER's scale (-4 … +4). General-purpose VADER
 * reads "hack", "rug pull" or "ETF approval" as neutral or wrong; these override it. A matched
 * term is taken out of the text VADER sees, so a word is never counted twice.
 */
export const CRYPTO_TERMS: Readonly<Record<string, number>> = {
  // Losses of funds and fraud
  hack: -2.6,
  hacked: -2.8,
  hacks: -2.4,
  hacker: -2.2,
  hackers: -2.2,
  exploit: -2.5,
  exploited: -2.7,
  exploits: -2.4,
  'rug pull': -3.2,
  rugpull: -3.2,
  'rug pulled': -3.2,
  'rug-pull': -3.2,
  drained: -2.4,
  stolen: -2.6,
  theft: -2.6,
  phishing: -2.2,
  ponzi: -3.0,
  scam: -2.8,
  scams: -2.6,
  fraud: -2.8,
  breach: -2.2,
  'security breach': -2.6,
  insolvency: -2.8,
  insolvent: -2.8,
  bankruptcy: -2.8,
  depeg: -2.5,
  depegged: -2.6,
  'de-peg': -2.5,
  collapse: -2.6,
  collapses: -2.6,
  collapsed: -2.6,
  // Regulation and market access
  'sec lawsuit': -2.6,
  lawsuit: -1.6,
  sues: -1.8,
  sued: -1.8,
  charged: -1.5,
  crackdown: -2.0,
  delisting: -2.6,
  delist: -2.4,
  delists: -2.4,
  delisted: -2.6,
  'etf rejection': -2.6,
  'etf rejected': -2.6,
  'etf delay': -1.4,
  'etf delayed': -1.4,
  'etf approval': 2.8,
  'etf approved': 2.8,
  'etf approves': 2.8,
  'etf launch': 2.0,
  'etf inflows': 2.0,
  'etf outflows': -2.0,
  // Price action
  liquidation: -1.8,
  liquidations: -1.8,
  liquidated: -2.0,
  'sell-off': -2.2,
  selloff: -2.2,
  'sells off': -2.0,
  dump: -1.8,
  dumps: -1.8,
  dumped: -1.8,
  dumping: -1.8,
  crash: -2.6,
  crashes: -2.6,
  crashed: -2.6,
  plunge: -2.4,
  plunges: -2.4,
  plunged: -2.4,
  plummet: -2.6,
  plummets: -2.6,
  plummeted: -2.6,
  tumble: -2.0,
  tumbles: -2.0,
  tumbled: -2.0,
  slump: -2.0,
  slumps: -2.0,
  slumped: -2.0,
  sinks: -1.8,
  sank: -1.8,
  slides: -1.4,
  slid: -1.4,
  drops: -1.3,
  dropped: -1.3,
  dips: -1.0,
  dipped: -1.0,
  falls: -1.3,
  fell: -1.3,
  decline: -1.4,
  declines: -1.4,
  declined: -1.4,
  decreased: -1.3,
  decrease: -1.2,
  outflows: -1.2,
  'bear market': -2.2,
  bearish: -2.4,
  capitulation: -2.2,
  fud: -1.6,
  downtrend: -1.6,
  'all-time high': 2.6,
  'all time high': 2.6,
  ath: 2.4,
  'record high': 2.3,
  'new high': 2.0,
  rally: 2.0,
  rallies: 2.0,
  rallied: 2.0,
  surge: 2.0,
  surges: 2.0,
  surged: 2.0,
  soar: 2.2,
  soars: 2.2,
  soared: 2.2,
  skyrockets: 2.6,
  skyrocketed: 2.6,
  jumps: 1.5,
  jumped: 1.5,
  climbs: 1.4,
  climbed: 1.4,
  rises: 1.3,
  rose: 1.3,
  gains: 1.5,
  gained: 1.5,
  increased: 1.3,
  increase: 1.2,
  grew: 1.3,
  inflows: 1.3,
  'bull run': 2.4,
  'bull market': 2.2,
  bullish: 2.4,
  breakout: 1.6,
  moon: 2.0,
  mooning: 2.4,
  rebound: 1.6,
  rebounds: 1.6,
  recovers: 1.5,
  recovery: 1.4,
  // Adoption and protocol events
  halving: 1.0,
  adoption: 1.5,
  partnership: 1.5,
  partners: 1.2,
  'mainnet launch': 1.5,
  upgrade: 1.2,
  listing: 1.4,
  lists: 1.0,
  'lists on': 1.5,
  accumulate: 1.2,
  accumulating: 1.2,
  'buys the dip': 1.5,
  approval: 1.8,
  approved: 1.8,
  wins: 2.0,
  'record profit': 2.4,
  profit: 1.4,
  loss: -1.4,
  losses: -1.6,
};

const NEGATORS = new Set([
  'not',
  'no',
  'never',
  'without',
  "isn't",
  "wasn't",
  "aren't",
  "won't",
  "didn't",
  "doesn't",
  "don't",
  'denies',
  'denied',
  'fails',
  'failed',
  'isnt',
  'wasnt',
  'arent',
  'wont',
  'didnt',
  'doesnt',
  'dont',
  'avoids',
  'avoided',
  'rejects',
  'rejected',
  'refutes',
  'refuted',
  'slams',
]);
/** VADER's scalar for a negated word. */
const NEGATION_SCALAR = -0.74;
/** VADER's normalisation constant: compound = x / sqrt(x² + alpha). */
const ALPHA = 15;

interface TermHit {
  term: string;
  valence: number;
}

interface Analysis {
  score: number;
  hits: TermHit[];
}

/**
 * VADER (the npm `vader-sentiment` port of Hutto & Gilbert's rules and lexicon) extended with
 * crypto terms: crypto phrases are matched first (with negation), removed, VADER scores the
 * rest, and the two valence sums are added before VADER's normalisation.
 */
export class LexiconAnalyser {
  private readonly phrases: Array<{ term: string; regex: RegExp; valence: number }>;

  constructor(terms: Readonly<Record<string, number>> = CRYPTO_TERMS) {
    this.phrases = Object.entries(terms)
      .sort(([a], [b]) => b.length - a.length)
      .map(([term, valence]) => ({
        term,
        valence,
        regex: new RegExp(`(?<![\\p{L}\\p{N}])${escape(term)}(?![\\p{L}\\p{N}])`, 'giu'),
      }));
  }

  analyse(text: string): Analysis {
    let rest = text;
    const hits: TermHit[] = [];
    for (const phrase of this.phrases) {
      rest = rest.replace(phrase.regex, (match: string, offset: number, whole: string) => {
        const negated = isNegated(whole.slice(0, offset));
        hits.push({ term: match.toLowerCase(), valence: negated ? phrase.valence * NEGATION_SCALAR : phrase.valence });
        return ' ';
      });
    }
    const vaderCompound = vader.SentimentIntensityAnalyzer.polarity_scores(rest).compound;
    const total = unnormalise(vaderCompound) + hits.reduce((sum, hit) => sum + hit.valence, 0);
    return { score: normalise(total), hits: [...hits, ...vaderHits(rest)] };
  }

  /** Plain VADER, without the crypto terms: the baseline the evaluation compares against. */
  static vaderOnly(text: string): number {
    return vader.SentimentIntensityAnalyzer.polarity_scores(text).compound;
  }
}

/** Scores each coin of an item on the text that speaks about it. */
export class LexiconScorer {
  readonly model = 'vader+crypto-lexicon-v1';

  constructor(
    private readonly detector: CoinDetector,
    private readonly analyser = new LexiconAnalyser(),
  ) {}

  score(input: ScoringInput): ScoredItem {
    // No coins: the item as a whole (the labelled evaluation sets are scored this way).
    if (input.coins.length === 0) {
      return {
        method: 'lexicon',
        model: this.model,
        promptVersion: 'none',
        coins: [toCoinSentiment(OVERALL, this.analyser.analyse(wholeText(input)))],
      };
    }
    const texts = textPerCoin(this.detector, input, input.coins);
    const coins: CoinSentiment[] = input.coins.map((coin) =>
      toCoinSentiment(coin, this.analyser.analyse(texts.get(coin) ?? input.title)),
    );
    return { method: 'lexicon', model: this.model, promptVersion: 'none', coins };
  }
}

function toCoinSentiment(coin: string, analysis: Analysis): CoinSentiment {
  const score = clamp(analysis.score, -1, 1);
  const label = labelOf(score);
  const strongest = [...analysis.hits].sort((a, b) => Math.abs(b.valence) - Math.abs(a.valence)).slice(0, 3);
  const reason =
    strongest.length === 0
      ? 'no sentiment-bearing words'
      : strongest.map((hit) => `${hit.term} ${hit.valence > 0 ? '+' : ''}${hit.valence.toFixed(1)}`).join(', ');
  // A heuristic: stronger sums are surer; a neutral verdict with no sentiment words is a fair guess.
  const confidence = label === 'neutral' ? (strongest.length === 0 ? 0.6 : 0.4) : 0.5 + 0.5 * Math.abs(score);
  return { coin, score: round(score), label, confidence: round(confidence), reason };
}

function vaderHits(text: string): TermHit[] {
  const hits: TermHit[] = [];
  const seen = new Set<string>();
  for (const token of text.toLowerCase().match(/[\p{L}']+/gu) ?? []) {
    if (token.length < 3 || seen.has(token)) continue;
    seen.add(token);
    const compound = vader.SentimentIntensityAnalyzer.polarity_scores(token).compound;
    if (compound !== 0) hits.push({ term: token, valence: unnormalise(compound) });
  }
  return hits;
}

function isNegated(before: string): boolean {
  const words = before.toLowerCase().match(/[\p{L}']+/gu) ?? [];
  return words.slice(-3).some((word) => NEGATORS.has(word));
}

/** Inverse of VADER's normalisation; compound is rounded to 4 places, so ±1 is held off. */
function unnormalise(compound: number): number {
  const c = clamp(compound, -0.9999, 0.9999);
  return (c * Math.sqrt(ALPHA)) / Math.sqrt(1 - c * c);
}

function normalise(total: number): number {
  return total / Math.sqrt(total * total + ALPHA);
}

function escape(term: string): string {
  return term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}
