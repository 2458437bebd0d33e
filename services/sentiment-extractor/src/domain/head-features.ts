import { LexiconAnalyser } from './lexicon-scorer.js';
import type { SentimentHead } from './sentiment-head.js';

/** How many numbers lexiconFeatures appends to the embedding. */
export const LEXICON_FEATURES = 3;

/**
 * The lexicon's view of a text as three numbers for the classifier: the crypto-extended score,
 * plain VADER, and their difference (what the crypto terms added).
 */
export function lexiconFeatures(analyser: LexiconAnalyser, text: string): [number, number, number] {
  const extended = analyser.analyse(text).score;
  const plain = LexiconAnalyser.vaderOnly(text);
  return [extended, plain, extended - plain];
}

/** The head's input for one text: the embedding, with the lexicon features when the head uses them. */
export function headInput(
  kind: SentimentHead['features'],
  embedding: Float32Array,
  analyser: LexiconAnalyser,
  text: string,
): Float32Array {
  if (kind === 'embedding') return embedding;
  const input = new Float32Array(embedding.length + LEXICON_FEATURES);
  input.set(embedding);
  input.set(lexiconFeatures(analyser, text), embedding.length);
  return input;
}
