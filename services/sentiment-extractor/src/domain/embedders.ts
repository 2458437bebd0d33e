import { BERT_SPECIAL_TOKENS, type SpecialTokens } from './wordpiece.js';

/**
 * The sentence encoders the classifier can read, as scripts/fetch-model.sh places them in the
 * models folder: `<file>.onnx` (mean pooling and L2 normalisation inside the graph) and
 * `<file>.vocab.txt` (WordPiece, uncased).
 */
export interface EmbedderSpec {
  /** The model's name, recorded in the head and in every Sentiment's model name. */
  name: string;
  file: string;
  dimensions: number;
  specialTokens: SpecialTokens;
}

export const EMBEDDERS = {
  'all-MiniLM-L6-v2': {
    name: 'all-MiniLM-L6-v2',
    file: 'all-minilm-l6-v2',
    dimensions: 384,
    specialTokens: BERT_SPECIAL_TOKENS,
  },
  'all-mpnet-base-v2': {
    name: 'all-mpnet-base-v2',
    file: 'all-mpnet-base-v2',
    dimensions: 768,
    specialTokens: { cls: '<s>', sep: '</s>', pad: '<pad>', unk: '[UNK]' },
  },
} as const satisfies Record<string, EmbedderSpec>;

export type EmbedderName = keyof typeof EMBEDDERS;
export const EMBEDDER_NAMES = Object.keys(EMBEDDERS) as [EmbedderName, ...EmbedderName[]];
