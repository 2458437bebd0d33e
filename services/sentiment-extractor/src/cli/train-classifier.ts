/**
 * Trains the sentiment head on sentence embeddings (all-mpnet-base-v2 and all-MiniLM-L6-v2 side by
 * side), the lexicon scores and the text's word n-grams, on the TRAINING splits of the labelled
 * sets only.
 *
 * 1. Settings are compared on validation carved from the training splits: PhraseBank and Twitter
 *    by text hash (20 %), CryptoLin by rolling time blocks (the last 4 blocks of 150 headlines of
 *    its training side, each validated by a model fitted on the headlines before it).
 * 2. The chosen setting (SELECTION below) is refitted on the whole training splits.
 * 3. It is reported once on the held-out test splits and written to models/sentiment-head.json.
 *
 * Usage: node --import tsx src/cli/train-classifier.ts [--wide]
 *   --wide  also compares each encoder alone and the earlier MLP head (the README's validation
 *           table); the default grid is the one setup runs.
 */
import { statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, describeError } from '@crypto-predict/core';
import { concatenate } from '../adapters/embedding/concatenated-embedder.js';
import { EmbeddingCache } from '../adapters/embedding/embedding-cache.js';
import { SentenceEmbedder } from '../adapters/embedding/sentence-embedder.js';
import {
  DATASET_NAMES,
  loadLabelledSet,
  rollingValidationFolds,
  type LabelledExample,
} from '../adapters/labelled-sets.js';
import { loadServiceConfig } from '../config.js';
import { classificationReport } from '../domain/classification-metrics.js';
import { EMBEDDERS, type EmbedderName } from '../domain/embedders.js';
import { LEXICON_FEATURES, lexiconFeatures } from '../domain/head-features.js';
import { LexiconAnalyser } from '../domain/lexicon-scorer.js';
import { balancedClassWeights, trainSoftmax } from '../domain/logistic-regression.js';
import { trainMlp } from '../domain/mlp.js';
import { trainNgramSoftmax } from '../domain/ngram-softmax.js';
import { buildVocabulary, sparseNgrams, vocabularyIndex } from '../domain/ngrams.js';
import { contentHash } from '../domain/news-identity.js';
import { predictWithHead, type SentimentHead } from '../domain/sentiment-head.js';
import { SENTIMENT_LABELS } from '../domain/sentiment.js';
import { selectSetting, type ValidatedSetting } from '../domain/setting-selection.js';

const FIXED = { batchSize: 64, seed: 7 } as const;
/** An n-gram must occur in this many training texts to enter the vocabulary. */
const NGRAM_MIN_TEXTS = 2;
const FOLDS = 4;
/**
 * How the setting is chosen: the highest CryptoLin validation macro-F1 (the news the service
 * scores, and the target still unmet with the mean criterion) among the settings whose PhraseBank
 * validation macro-F1 is at least PHRASEBANK_FLOOR (the PhraseBank target, held on its harder
 * all-agreement-levels validation). If no setting clears the floor, the best mean over the sets.
 */
const PHRASEBANK_FLOOR = 0.75;
const SELECTION = `highest CryptoLin validation macro-F1 (4 rolling time blocks of 150) among settings with PhraseBank validation macro-F1 ≥ ${PHRASEBANK_FLOOR}; validation carved from the training splits`;

interface Setting {
  kind: SentimentHead['kind'];
  embedders: EmbedderName[];
  features: SentimentHead['features'];
  /** Hidden units of an mlp-head. */
  hidden: number;
  epochs: number;
  l2: number;
  learningRate: number;
  /** Weight of CryptoLin relative to the other sets (each set otherwise weighs the same). */
  cryptoWeight: number;
}

const BOTH: EmbedderName[] = ['all-mpnet-base-v2', 'all-MiniLM-L6-v2'];
const ngramGrid = (embedders: EmbedderName[]): Setting[] =>
  [1e-4, 3e-4, 1e-3].flatMap((l2) =>
    [1, 2, 3].map((cryptoWeight): Setting => ({
      kind: 'ngram-softmax-head',
      embedders,
      features: 'embedding+lexicon',
      hidden: 0,
      epochs: 30,
      l2,
      learningRate: 0.005,
      cryptoWeight,
    })),
  );
/** The settings setup compares: n-gram heads on both encoders. */
const DEFAULT_GRID: Setting[] = ngramGrid(BOTH);
/**
 * --wide adds each encoder alone and the MLP head on all-MiniLM-L6-v2 + lexicon that was the
 * default before the n-gram heads (README, "The classifier head").
 */
const WIDE_GRID: Setting[] = [
  {
    kind: 'mlp-head',
    embedders: ['all-MiniLM-L6-v2'],
    features: 'embedding+lexicon',
    hidden: 256,
    epochs: 25,
    l2: 1e-4,
    learningRate: 0.001,
    cryptoWeight: 1,
  },
  ...ngramGrid(['all-MiniLM-L6-v2']),
  ...ngramGrid(['all-mpnet-base-v2']),
  ...DEFAULT_GRID,
];

/** One text as the heads read it: each encoder's embedding and the lexicon scores. */
interface TextInputs {
  embeddings: Partial<Record<EmbedderName, Float32Array>>;
  lexicon: [number, number, number];
}

interface Prepared {
  dataset: string;
  texts: string[];
  inputs: TextInputs[];
  labels: number[];
}

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { wide: { type: 'boolean', default: false } } });
  const grid = args.wide ? WIDE_GRID : DEFAULT_GRID;
  const config = loadServiceConfig();
  const log = createLogger('train-classifier', config.LOG_LEVEL);
  const started = performance.now();
  const needed = [...new Set(grid.flatMap((setting) => setting.embedders))];
  const analyser = new LexiconAnalyser();
  const sets = DATASET_NAMES.map((name) => loadLabelledSet(name, config.DATA_DIR));
  const allTexts = [...new Set(sets.flatMap((set) => [...set.train, ...set.test].map((example) => example.text)))];

  // Every labelled text is embedded once per encoder (cached on disk between runs).
  const inputsOf = new Map<string, TextInputs>(
    allTexts.map((text) => [text, { embeddings: {}, lexicon: lexiconFeatures(analyser, text) }]),
  );
  for (const name of needed) {
    const spec = EMBEDDERS[name];
    const files = config.modelPaths.embedders[name];
    const embedder = await SentenceEmbedder.load({
      spec,
      onnxPath: files.onnx,
      vocabPath: files.vocab,
      maxTokens: 128,
      threads: config.EMBEDDER_THREADS,
      batchSize: 32,
    });
    const onnx = statSync(files.onnx);
    const cache = new EmbeddingCache(
      join(cacheDir(), 'embeddings', `labelled-sets-${spec.file}`),
      `${onnx.size}:${onnx.mtimeMs}`,
      spec.dimensions,
    );
    const embedStarted = performance.now();
    const vectors = await cache.embed(embedder, allTexts);
    cache.save();
    await embedder.close();
    allTexts.forEach((text, i) => {
      const inputs = inputsOf.get(text);
      const vector = vectors[i];
      if (inputs !== undefined && vector !== undefined) inputs.embeddings[name] = vector;
    });
    log.info(
      { embedder: name, texts: allTexts.length, seconds: Math.round((performance.now() - embedStarted) / 1000) },
      'embedded',
    );
  }

  const prepare = (dataset: string, examples: readonly LabelledExample[]): Prepared => ({
    dataset,
    texts: examples.map((example) => example.text),
    inputs: examples.map(
      (example) => inputsOf.get(example.text) ?? { embeddings: {}, lexicon: lexiconFeatures(analyser, example.text) },
    ),
    labels: examples.map((example) => SENTIMENT_LABELS.indexOf(example.label)),
  });
  /** folds[f] = per set, its fit and validation parts in fold f. */
  const folds: Array<{ fits: Prepared[]; validations: Prepared[] }> = Array.from({ length: FOLDS }, () => ({
    fits: [],
    validations: [],
  }));
  const trains: Prepared[] = [];
  const tests: Prepared[] = [];
  for (const set of sets) {
    const setFolds = rollingValidationFolds(set.train, FOLDS);
    for (const [f, fold] of setFolds.entries()) {
      folds[f]?.fits.push(prepare(set.name, fold.fit));
      folds[f]?.validations.push(prepare(set.name, fold.validation));
    }
    trains.push(prepare(set.name, set.train));
    tests.push(prepare(set.name, set.test));
    log.info(
      {
        dataset: set.name,
        folds: setFolds.map((fold) => ({ fit: fold.fit.length, validation: fold.validation.length })),
        train: set.train.length,
        test: set.test.length,
      },
      'split',
    );
  }

  /** The head's dense input for a text: the setting's embeddings side by side (+ lexicon). */
  const headInput = (inputs: TextInputs, setting: Setting): Float32Array => {
    const parts = setting.embedders.map((name) => EMBEDDERS[name]);
    const embedding = concatenate(
      setting.embedders.map((name) => inputs.embeddings[name]),
      parts,
    );
    if (setting.features === 'embedding') return embedding;
    return concatenate(
      [embedding, Float32Array.from(inputs.lexicon)],
      [{ dimensions: embedding.length }, { dimensions: LEXICON_FEATURES }],
    );
  };

  const train = (data: Prepared[], setting: Setting): SentimentHead => {
    const inputs = data.flatMap((part) => part.inputs.map((input) => headInput(input, setting)));
    const labels = data.flatMap((part) => part.labels);
    const sampleWeights = data.flatMap((part) =>
      part.labels.map(() => (part.dataset === 'cryptolin' ? setting.cryptoWeight : 1) / part.labels.length),
    );
    const common = {
      ...FIXED,
      classes: 3,
      epochs: setting.epochs,
      l2: setting.l2,
      learningRate: setting.learningRate,
      sampleWeights,
      classWeights: balancedClassWeights(labels, 3, sampleWeights),
    };
    const base = {
      kind: setting.kind,
      version: 2 as const,
      embedders: setting.embedders,
      embedder: setting.embedders.join('+'),
      features: setting.features,
      dimensions: inputs[0]?.length ?? 0,
      labels: [...SENTIMENT_LABELS],
      id: '',
      trainedOn: [],
      options: {},
    };
    if (setting.kind === 'ngram-softmax-head') {
      // The vocabulary comes from the texts this model is fitted on, never from validation or test.
      const texts = data.flatMap((part) => part.texts);
      const vocabulary = buildVocabulary(texts, NGRAM_MIN_TEXTS);
      const index = vocabularyIndex(vocabulary);
      const model = trainNgramSoftmax(
        inputs.map((dense, i) => ({ dense, ngrams: sparseNgrams(index, texts[i] ?? '') })),
        labels,
        vocabulary.length,
        common,
      );
      return { ...base, weights: model.weights, bias: model.bias, ngrams: { vocabulary, weights: model.ngramWeights } };
    }
    const model =
      setting.kind === 'mlp-head'
        ? trainMlp(inputs, labels, { ...common, hidden: setting.hidden })
        : trainSoftmax(inputs, labels, common);
    return { ...base, ...model };
  };
  const evaluate = (head: SentimentHead, setting: Setting, data: Prepared) =>
    classificationReport(
      data.labels.map((label) => SENTIMENT_LABELS[label] ?? 'neutral'),
      data.inputs.map((input, i) => predictWithHead(head, headInput(input, setting), data.texts[i] ?? '').label),
    );

  const setIndex = (name: string): number => sets.findIndex((set) => set.name === name);
  const compared: Array<ValidatedSetting<Setting>> = [];
  for (const setting of grid) {
    const settingStarted = performance.now();
    const perFold = folds.map(({ fits, validations }) => {
      const head = train(fits, setting);
      return validations.map((data) => evaluate(head, setting, data).macroF1);
    });
    const perSet = sets.map((_, s) => perFold.reduce((sum, fold) => sum + (fold[s] ?? 0), 0) / perFold.length);
    const mean = perSet.reduce((sum, value) => sum + value, 0) / perSet.length;
    compared.push({ setting, perSet, mean });
    log.info(
      {
        ...setting,
        validationMacroF1: Object.fromEntries(sets.map((set, s) => [set.name, round(perSet[s] ?? 0)])),
        cryptolinFolds: perFold.map((fold) => round(fold[setIndex('cryptolin')] ?? 0)),
        mean: round(mean),
        seconds: Math.round((performance.now() - settingStarted) / 1000),
      },
      'validation',
    );
    // Let the logger write (it is asynchronous; training never yields on its own).
    await new Promise((resolve) => setImmediate(resolve));
  }
  const best = selectSetting(compared, {
    target: setIndex('cryptolin'),
    floorSet: setIndex('phrasebank-allagree'),
    floor: PHRASEBANK_FLOOR,
  });
  if (best === undefined) throw new Error('empty grid');

  const fitted = train(trains, best.setting);
  const head: SentimentHead = {
    ...fitted,
    id: contentHash(JSON.stringify(fitted)).slice(0, 8),
    trainedOn: sets.map((set) => ({ dataset: set.name, split: set.split, examples: set.train.length })),
    options: {
      ...FIXED,
      ...best.setting,
      ...(best.setting.kind === 'ngram-softmax-head'
        ? { ngramMinTexts: NGRAM_MIN_TEXTS, vocabulary: fitted.ngrams?.vocabulary.length }
        : {}),
      settingsTried: grid.length,
      selectedBy: SELECTION,
      validationMacroF1: round(best.mean),
      validationMacroF1PerSet: Object.fromEntries(sets.map((set, s) => [set.name, round(best.perSet[s] ?? 0)])),
      trainingSeconds: Math.round((performance.now() - started) / 1000),
    },
  };
  const heldOut: NonNullable<SentimentHead['heldOut']> = {};
  for (const data of tests) {
    const report = evaluate(fitted, best.setting, data);
    heldOut[data.dataset] = { n: report.n, accuracy: round(report.accuracy), macroF1: round(report.macroF1) };
  }
  head.heldOut = heldOut;
  writeFileSync(config.modelPaths.head, `${JSON.stringify(head)}\n`);
  log.info({ file: config.modelPaths.head, id: head.id, setting: best.setting, heldOut }, 'sentiment head written');
}

/** Where downloads and derived data are cached, outside the repository (as fetch-model.sh). */
function cacheDir(): string {
  return process.env.CRYPTO_CACHE_DIR ?? join(homedir(), '.cache', 'crypto-predict');
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

main().catch((error: unknown) => {
  console.error(describeError(error));
  process.exit(1);
});
