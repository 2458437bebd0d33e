import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { AppError } from '@crypto-predict/core';
import type * as Ort from 'onnxruntime-node';
import type { InferenceSession as Session } from 'onnxruntime-node';
import type { EmbedderSpec } from '../../domain/embedders.js';
import { WordPieceTokenizer } from '../../domain/wordpiece.js';

export interface EmbedderSettings {
  spec: EmbedderSpec;
  onnxPath: string;
  vocabPath: string;
  /** Word pieces per text, [CLS] and [SEP] included. Headlines fit in 64; bodies are cut. */
  maxTokens: number;
  threads: number;
  batchSize: number;
}

/** What the classifier needs of an embedding model. */
export interface TextEmbedder {
  readonly name: string;
  readonly dimensions: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/**
 * Sentence embeddings (all-MiniLM-L6-v2: 384-d, all-mpnet-base-v2: 768-d; mean-pooled, unit
 * length) run by onnxruntime-node on the CPU, from the ONNX graph scripts/fetch-model.sh builds.
 * Texts are sorted by length and batched so that padding stays small.
 */
export class SentenceEmbedder implements TextEmbedder {
  readonly name: string;
  readonly dimensions: number;

  private constructor(
    private readonly session: Session,
    private readonly ort: typeof Ort,
    private readonly tokenizer: WordPieceTokenizer,
    private readonly settings: EmbedderSettings,
  ) {
    this.name = settings.spec.name;
    this.dimensions = settings.spec.dimensions;
  }

  static async load(settings: EmbedderSettings): Promise<SentenceEmbedder> {
    for (const path of [settings.onnxPath, settings.vocabPath]) {
      if (!existsSync(path)) {
        throw new AppError(
          'MODEL_UNAVAILABLE',
          `no ${path}; run services/sentiment-extractor/scripts/fetch-model.sh embedder`,
          { retryable: false },
        );
      }
    }
    try {
      const ort = await import('onnxruntime-node');
      const session = await ort.InferenceSession.create(settings.onnxPath, {
        intraOpNumThreads: settings.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      const tokenizer = WordPieceTokenizer.fromVocabText(
        await readFile(settings.vocabPath, 'utf8'),
        settings.spec.specialTokens,
      );
      return new SentenceEmbedder(session, ort, tokenizer, settings);
    } catch (error) {
      throw new AppError('MODEL_UNAVAILABLE', `cannot load the embedding model ${settings.onnxPath}`, {
        cause: error,
        retryable: false,
      });
    }
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const encoded = texts.map((text) => this.tokenizer.encode(text, this.settings.maxTokens));
    const order = encoded.map((ids, index) => ({ ids, index })).sort((a, b) => a.ids.length - b.ids.length);
    const result = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.settings.batchSize) {
      const batch = order.slice(start, start + this.settings.batchSize);
      const width = Math.max(...batch.map((entry) => entry.ids.length));
      const ids = new BigInt64Array(batch.length * width).fill(BigInt(this.tokenizer.padId));
      const mask = new BigInt64Array(batch.length * width);
      batch.forEach((entry, row) => {
        entry.ids.forEach((id, col) => {
          ids[row * width + col] = BigInt(id);
          mask[row * width + col] = 1n;
        });
      });
      const output = await this.session.run({
        input_ids: new this.ort.Tensor('int64', ids, [batch.length, width]),
        attention_mask: new this.ort.Tensor('int64', mask, [batch.length, width]),
      });
      const embedding = output.sentence_embedding;
      if (embedding === undefined) throw new AppError('INTERNAL', 'embedding model has no sentence_embedding output');
      const data = embedding.data as Float32Array;
      batch.forEach((entry, row) => {
        result[entry.index] = data.slice(row * this.dimensions, (row + 1) * this.dimensions);
      });
    }
    return result;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
