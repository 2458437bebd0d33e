import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { contentHash } from '../../domain/news-identity.js';
import type { TextEmbedder } from './sentence-embedder.js';

/**
 * Embeddings of the labelled sets, kept on disk between training runs (they take minutes on a
 * shared 2-core machine and never change for a given model file). Keyed by text hash; the file
 * is tied to the model by `modelKey`.
 */
export class EmbeddingCache {
  private readonly vectors = new Map<string, Float32Array>();
  private dirty = false;

  constructor(
    private readonly file: string,
    private readonly modelKey: string,
    private readonly dimensions: number,
  ) {
    if (!existsSync(`${file}.json`) || !existsSync(`${file}.f32`)) return;
    const index = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as { modelKey?: string; keys?: string[] };
    if (index.modelKey !== modelKey || index.keys === undefined) return;
    const buffer = readFileSync(`${file}.f32`);
    const data = new Float32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
    index.keys.forEach((key, i) => this.vectors.set(key, data.slice(i * dimensions, (i + 1) * dimensions)));
  }

  async embed(embedder: TextEmbedder, texts: readonly string[]): Promise<Float32Array[]> {
    const keys = texts.map((text) => contentHash(text));
    const missing = [...new Set(texts.filter((_, i) => !this.vectors.has(keys[i] ?? '')))];
    if (missing.length > 0) {
      const fresh = await embedder.embed(missing);
      missing.forEach((text, i) => {
        const vector = fresh[i];
        if (vector !== undefined) this.vectors.set(contentHash(text), vector);
      });
      this.dirty = true;
    }
    return keys.map((key) => this.vectors.get(key) ?? new Float32Array(this.dimensions));
  }

  save(): void {
    if (!this.dirty) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const keys = [...this.vectors.keys()];
    const data = new Float32Array(keys.length * this.dimensions);
    keys.forEach((key, i) => data.set(this.vectors.get(key) ?? new Float32Array(this.dimensions), i * this.dimensions));
    writeFileSync(`${this.file}.f32`, Buffer.from(data.buffer));
    writeFileSync(`${this.file}.json`, JSON.stringify({ modelKey: this.modelKey, keys }));
    this.dirty = false;
  }
}
