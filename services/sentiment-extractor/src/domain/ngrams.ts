/**
 * Word n-gram features of a text for the classifier's bag-of-words part: lower-cased words of two
 * or more letters or digits, each word and each pair of neighbouring words counted once (binary),
 * scaled to unit length over the n-grams the vocabulary knows.
 */
const WORD = /[\p{L}\p{N}_]{2,}/gu;

/** The distinct unigrams and bigrams of a text, in order of first appearance. */
export function textNgrams(text: string): string[] {
  const words = text.toLowerCase().match(WORD) ?? [];
  const seen = new Set<string>();
  words.forEach((word, i) => {
    seen.add(word);
    const next = words[i + 1];
    if (next !== undefined) seen.add(`${word} ${next}`);
  });
  return [...seen];
}

/** The n-grams found in at least `minTexts` of the texts, sorted (so the same texts give the same vocabulary). */
export function buildVocabulary(texts: readonly string[], minTexts = 2): string[] {
  const counts = new Map<string, number>();
  for (const text of texts) for (const gram of textNgrams(text)) counts.set(gram, (counts.get(gram) ?? 0) + 1);
  return [...counts.entries()]
    .filter(([, count]) => count >= minTexts)
    .map(([gram]) => gram)
    .sort();
}

/** A text as sparse features over a vocabulary: the indices of its known n-grams, each 1/sqrt(count). */
export interface SparseNgrams {
  indices: Int32Array;
  value: number;
}

export function sparseNgrams(index: ReadonlyMap<string, number>, text: string): SparseNgrams {
  const indices = textNgrams(text)
    .map((gram) => index.get(gram))
    .filter((i): i is number => i !== undefined)
    .sort((a, b) => a - b);
  return { indices: Int32Array.from(indices), value: indices.length === 0 ? 0 : 1 / Math.sqrt(indices.length) };
}

export function vocabularyIndex(vocabulary: readonly string[]): Map<string, number> {
  return new Map(vocabulary.map((gram, i) => [gram, i]));
}
