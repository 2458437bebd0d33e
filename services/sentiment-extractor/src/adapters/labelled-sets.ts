import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AppError } from '@crypto-predict/core';
import { parseCsvWithHeader } from '../domain/csv.js';
import { isTestByHash } from '../domain/dataset-split.js';
import type { SentimentLabel } from '../domain/sentiment.js';

export interface LabelledExample {
  text: string;
  label: SentimentLabel;
  /** Publication date where the set has one (CryptoLin), for time-ordered validation splits. */
  date?: string;
}

export interface LabelledSet {
  name: string;
  /** How the split was made, for the figures table. */
  split: string;
  train: LabelledExample[];
  test: LabelledExample[];
}

export const DATASET_NAMES = ['phrasebank-allagree', 'twitter-fin', 'cryptolin'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

/** Share of PhraseBank sentences (by text hash) held out for testing. */
export const PHRASEBANK_TEST_SHARE = 0.3;
/** CryptoLin rows on or after this date are the test side (about the last 30 % in time). */
export const CRYPTOLIN_TEST_FROM = '2021-07-15';

function gz(path: string): string {
  try {
    return gunzipSync(readFileSync(path)).toString('utf8');
  } catch (error) {
    throw new AppError('CONFIG_INVALID', `cannot read labelled set ${path}`, { cause: error });
  }
}

/**
 * Financial PhraseBank (Malo et al. 2014). The split is by sentence hash over all agreement
 * levels: training uses every training-side sentence (majority label), testing only the
 * test-side sentences all annotators agreed on (= Sentences_AllAgree), so no test sentence is
 * ever seen in training at any agreement level.
 */
export function loadPhraseBank(dataDir: string): LabelledSet {
  const { rows } = parseCsvWithHeader(
    gz(join(dataDir, 'sentiment/financial_phrasebank_v1.0/financial_phrasebank_all_levels.csv.gz')),
  );
  const train: LabelledExample[] = [];
  const test: LabelledExample[] = [];
  for (const row of rows) {
    const label = { positive: 'bullish', negative: 'bearish', neutral: 'neutral' }[row.label ?? ''] as
      SentimentLabel | undefined;
    const text = row.sentence?.trim() ?? '';
    if (label === undefined || text === '') continue;
    if (isTestByHash(text, PHRASEBANK_TEST_SHARE)) {
      if (row.max_agreement_pct === '100') test.push({ text, label });
    } else {
      train.push({ text, label });
    }
  }
  return {
    name: 'phrasebank-allagree',
    split: `sha256(sentence) split, ${PHRASEBANK_TEST_SHARE * 100}% test; train = train side, all agreement levels; test = test side, AllAgree only`,
    train,
    test,
  };
}

/** zeroshot/twitter-financial-news-sentiment: its own train file for training, valid file for testing. */
export function loadTwitterFinancial(dataDir: string): LabelledSet {
  const read = (file: string): LabelledExample[] =>
    parseCsvWithHeader(gz(join(dataDir, 'sentiment', file))).rows.flatMap((row) => {
      const label = ({ '0': 'bearish', '1': 'bullish', '2': 'neutral' } as const)[row.label as '0' | '1' | '2'];
      const text = row.text?.trim() ?? '';
      return label === undefined || text === '' ? [] : [{ text, label }];
    });
  return {
    name: 'twitter-fin',
    split: 'train file → train; valid file → test',
    train: read('twitter_financial_news_sentiment_train.csv.gz'),
    test: read('twitter_financial_news_sentiment_valid.csv.gz'),
  };
}

/** CryptoLin (Gadi & Sicilia 2024), split by time: rows before CRYPTOLIN_TEST_FROM train, the rest test. */
export function loadCryptoLin(dataDir: string): LabelledSet {
  const { rows } = parseCsvWithHeader(gz(join(dataDir, 'sentiment/cryptolin_2018-07_2021-09.csv.gz')));
  const train: LabelledExample[] = [];
  const test: LabelledExample[] = [];
  for (const row of rows) {
    const label = ({ '-1': 'bearish', '0': 'neutral', '1': 'bullish' } as const)[
      row.final_manual_labelling as '-1' | '0' | '1'
    ];
    const text = row.news?.trim() ?? '';
    if (label === undefined || text === '') continue;
    const date = row.date ?? '';
    (date < CRYPTOLIN_TEST_FROM ? train : test).push({ text, label, date });
  }
  return {
    name: 'cryptolin',
    split: `by date: < ${CRYPTOLIN_TEST_FROM} train, ≥ ${CRYPTOLIN_TEST_FROM} test`,
    train,
    test,
  };
}

export function loadLabelledSet(name: DatasetName, dataDir: string): LabelledSet {
  if (name === 'phrasebank-allagree') return loadPhraseBank(dataDir);
  if (name === 'twitter-fin') return loadTwitterFinancial(dataDir);
  return loadCryptoLin(dataDir);
}

/**
 * A validation split carved from a TRAINING split, for choosing hyperparameters without looking
 * at the test side: the last `share` by date where examples are dated, else by text hash.
 */
export function validationSplit(
  examples: readonly LabelledExample[],
  share = 0.2,
): { fit: LabelledExample[]; validation: LabelledExample[] } {
  if (examples.every((example) => example.date !== undefined)) {
    const sorted = [...examples].sort((a, b) =>
      (a.date ?? '') < (b.date ?? '') ? -1 : (a.date ?? '') > (b.date ?? '') ? 1 : 0,
    );
    const cut = Math.floor(sorted.length * (1 - share));
    return { fit: sorted.slice(0, cut), validation: sorted.slice(cut) };
  }
  const fit: LabelledExample[] = [];
  const validation: LabelledExample[] = [];
  for (const example of examples)
    (isTestByHash(example.text, share, 'validation-split-v1') ? validation : fit).push(example);
  return { fit, validation };
}

/**
 * Rolling-origin validation folds carved from a TRAINING split: for dated examples, the last
 * `folds` blocks of `blockSize` examples in date order, each validated by a model fitted on the
 * examples dated before its block (as a model is used: on news that comes after what it learned
 * from); for undated examples, the same hash split (validationSplit) in every fold. A single
 * 20 % block of CryptoLin's training side is 241 headlines, too few to tell settings apart.
 */
export function rollingValidationFolds(
  examples: readonly LabelledExample[],
  folds = 4,
  blockSize = 150,
): Array<{ fit: LabelledExample[]; validation: LabelledExample[] }> {
  if (!examples.every((example) => example.date !== undefined)) {
    const split = validationSplit(examples);
    return Array.from({ length: folds }, () => split);
  }
  const sorted = [...examples].sort((a, b) =>
    (a.date ?? '') < (b.date ?? '') ? -1 : (a.date ?? '') > (b.date ?? '') ? 1 : 0,
  );
  return Array.from({ length: folds }, (_, k) => {
    const end = sorted.length - k * blockSize;
    const start = Math.max(0, end - blockSize);
    return { fit: sorted.slice(0, start), validation: sorted.slice(start, end) };
  });
}
